"""Content in a repository, for ``brand-audit check``: structured files, suppression comments,
precise finding positions and the lines a change touched.

* YAML / JSON files: string fields chosen by key path (``hero.title``, ``pages.*.body``) become
  blocks with the line and column of the value (YAML node marks; JSON best effort).
* Suppression comments: ``<!-- brand-audit: ignore RULE -->`` on its own line applies to the
  next block, at the end of a line to the block on that line; ``ignore-file RULE`` to the whole
  file. ``RULE`` is a rule name, a prefix (``respect``) or a glob (``respect.*``); several are
  separated by commas; ``-- reason`` after them is recorded with the suppression.
* Positions: a finding's locator is its block's first character; ``refine_locations`` moves it
  to the evidence itself, so ``path:line:col`` points at the phrase.
* ``changed_lines``: files and new-side line numbers changed since a git ref, plus untracked files.
"""

from __future__ import annotations

import fnmatch
import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from auditor.errors import InputError, ToolError
from auditor.text import detect_language, normalize_space
from auditor.types import AuditRun, Block, Finding, Locator, Touchpoint

STRUCTURED_SUFFIXES = {".yaml", ".yml", ".json"}


@dataclass(frozen=True)
class CheckOptions:
    """``[check]`` in audit.toml: defaults for ``brand-audit check``."""

    #: Key paths of the YAML / JSON string fields that are copy, e.g. ``["hero.title",
    #: "pages.*.body"]``; without them every field of three words or more is read.
    keys: list[str] = field(default_factory=list)
    #: The waiver file, relative to audit.toml (default: .brand-audit-waivers.toml if present).
    waivers: str | None = None
#: Without key paths, a string field is copy when it has at least this many words.
MIN_PROSE_WORDS = 3

# -- Key paths ------------------------------------------------------------------------------


def parse_key_paths(spec: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"hero.title, pages.*.body"`` (or a list of such) as a tuple of patterns."""
    if spec is None:
        return ()
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out = []
    for item in items:
        item = item.strip()
        if not item:
            continue
        if any(not part for part in item.split(".")):
            raise InputError(f"key path {item!r} has an empty segment", key="keys",
                             hint="write dotted paths like hero.title or pages.*.body")
        out.append(item)
    return tuple(out)


def key_path_matches(path: tuple[str, ...], pattern: str) -> bool:
    """Whether a field's path matches ``pattern``.

    Segments are compared with shell globs; ``*`` is exactly one segment (a key or a list
    index), ``**`` any number of segments, so ``pages.*.body`` matches ``pages.0.body`` and
    ``pages.home.body``, and ``**.title`` matches every ``title``.
    """
    return _match(path, tuple(pattern.split(".")))


def _match(path: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not parts:
        return not path
    if parts[0] == "**":
        return any(_match(path[i:], parts[1:]) for i in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], parts[0]) and _match(path[1:], parts[1:])


# -- YAML / JSON ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A string value in a structured file, with its key path and 1-based position."""

    path: tuple[str, ...]
    value: str
    line: int | None
    column: int | None

    @property
    def key(self) -> str:
        return ".".join(self.path)


def structured_fields(text: str, source: str, suffix: str) -> list[Field]:
    """Every string value of a YAML or JSON document, in document order.

    Raises ``InputError`` naming the file, line and column when the document does not parse.
    """
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON: {exc.msg} at column {exc.colno}", source=source,
                             line=exc.lineno, hint="fix the syntax or leave the file out") from None
        try:
            # JSON is (nearly always) YAML too, and PyYAML's nodes carry positions.
            return _yaml_fields(text)
        except Exception:
            return _json_fields(data, text)
    try:
        return _yaml_fields(text)
    except _yaml().MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(f"not valid YAML: {exc.problem or exc.context}", source=source,
                         line=mark.line + 1 if mark else None,
                         hint="fix the syntax or leave the file out") from None
    except _yaml().YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", source=source) from None


def _yaml():
    import yaml

    return yaml


def _yaml_fields(text: str) -> list[Field]:
    yaml = _yaml()
    lines = text.splitlines()
    out: list[Field] = []

    def walk(node, path: tuple[str, ...], seen: frozenset[int]) -> None:
        if id(node) in seen:  # an alias that refers to its own ancestor
            return
        seen = seen | {id(node)}
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else "?"
                walk(value, (*path, str(name)), seen)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, str(i)), seen)
        elif isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:str":
            line, column = _scalar_position(node, lines)
            out.append(Field(path, node.value, line, column))

    for document in yaml.compose_all(text, Loader=yaml.SafeLoader):
        if document is not None:
            walk(document, (), frozenset())
    return out


def _scalar_position(node, lines: list[str]) -> tuple[int, int]:
    line, column = node.start_mark.line, node.start_mark.column
    if node.style in ('"', "'"):
        return line + 1, column + 2  # after the opening quote
    if node.style in ("|", ">"):
        # The text starts on the first non-blank line after the indicator.
        for n in range(line + 1, len(lines)):
            if lines[n].strip():
                return n + 1, len(lines[n]) - len(lines[n].lstrip()) + 1
    return line + 1, column + 1


def _json_fields(data: object, text: str) -> list[Field]:
    """Fallback for JSON that PyYAML rejects: positions found by searching the text in order."""
    out: list[Field] = []
    cursor = 0

    def walk(value: object, path: tuple[str, ...]) -> None:
        nonlocal cursor
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, str(k)))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, str(i)))
        elif isinstance(value, str):
            needle = json.dumps(value, ensure_ascii=False)
            found = text.find(needle, cursor)
            if found < 0:
                out.append(Field(path, value, None, None))
                return
            cursor = found + len(needle)
            line = text.count("\n", 0, found) + 1
            column = found - (text.rfind("\n", 0, found) + 1) + 2
            out.append(Field(path, value, line, column))

    walk(data, ())
    return out


def structured_blocks(text: str, source: str, suffix: str,
                      keys: tuple[str, ...] = ()) -> tuple[Block, ...]:
    """Blocks of the string fields that ``keys`` select (none: every field that reads as
    prose, at least ``MIN_PROSE_WORDS`` words). HTML inside a value is reduced to its text."""
    blocks = []
    for item in structured_fields(text, source, suffix):
        if keys:
            if not any(key_path_matches(item.path, k) for k in keys):
                continue
        elif sum(any(c.isalpha() for c in w) for w in item.value.split()) < MIN_PROSE_WORDS:
            continue
        value = item.value
        if re.search(r"<[A-Za-z/!]", value):
            from bs4 import BeautifulSoup

            value = BeautifulSoup(value, "html.parser").get_text(" ")
        value = normalize_space(value)
        if value:
            blocks.append(Block(value, "files.field", Locator(source, item.line, item.column)))
    return tuple(blocks)


def read_structured_file(path: Path, display: str, keys: tuple[str, ...] = ()) -> Touchpoint:
    """A YAML or JSON file as one touchpoint (``files:<display>``) of its selected fields."""
    from channels.files import decode_text

    try:
        text = decode_text(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", source=display) from None
    except ValueError as exc:
        raise InputError(str(exc), source=display) from None
    blocks = structured_blocks(text, display, path.suffix.lower(), keys)
    return Touchpoint(
        id=f"files:{display}", channel="files", source=display, title=path.name,
        language=detect_language(" ".join(b.text for b in blocks)), blocks=blocks,
        metadata={"path": display},
    )


# -- Suppression comments -------------------------------------------------------------------

_RULES = r"(?P<rules>[\w.*\-]+(?:\s*,\s*[\w.*\-]+)*)"
_DIRECTIVE = rf"brand-audit:\s*(?P<kind>ignore-file|ignore)\s+{_RULES}(?:\s+--\s*(?P<reason>.*?))?"
_COMMENTS = {
    "html": re.compile(rf"<!--\s*{_DIRECTIVE}\s*-->"),
    "mdx": re.compile(rf"(?:<!--|\{{/\*)\s*{_DIRECTIVE}\s*(?:-->|\*/\}})"),
    "hash": re.compile(rf"#\s*{_DIRECTIVE}\s*$"),
}
_COMMENT_STYLE = {
    ".md": ("html",), ".markdown": ("html",), ".html": ("html",), ".htm": ("html",),
    ".xhtml": ("html",), ".mdx": ("mdx",), ".yaml": ("hash",), ".yml": ("hash",),
    ".txt": ("html", "hash"),
}


@dataclass(frozen=True)
class Suppression:
    """One ``brand-audit: ignore`` comment: which rules, where it was written, what it covers."""

    rules: tuple[str, ...]
    line: int                 # the comment's line
    scope: str                # "file" | "next" (the next block) | "line" (the block on its line)
    reason: str = ""

    def covers_rule(self, rule: str) -> bool:
        return any(rule_matches(rule, pattern) for pattern in self.rules)


def rule_matches(rule: str, pattern: str) -> bool:
    """``pattern`` is the rule, a dotted prefix of it (``respect``) or a glob (``respect.*``)."""
    if pattern in ("*", "all"):
        return True
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(rule, pattern)
    return rule == pattern or rule.startswith(pattern + ".")


def find_suppressions(text: str, suffix: str) -> list[Suppression]:
    """The suppression comments in a file's text (comment syntax chosen by its suffix)."""
    styles = [_COMMENTS[s] for s in _COMMENT_STYLE.get(suffix.lower(), ("html", "hash"))]
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if "brand-audit:" not in line:
            continue
        for pattern in styles:
            match = pattern.search(line)
            if not match:
                continue
            rules = tuple(r.strip() for r in match.group("rules").split(","))
            if match.group("kind") == "ignore-file":
                scope = "file"
            else:
                rest = (line[:match.start()] + line[match.end():]).strip()
                scope = "line" if rest else "next"
            out.append(Suppression(rules, number, scope, (match.group("reason") or "").strip()))
            break
    return out


def suppression_for(finding: Finding, blocks: tuple[Block, ...],
                    suppressions: list[Suppression]) -> Suppression | None:
    """The suppression that covers ``finding`` (its locator is its block's), if any."""
    if not suppressions:
        return None
    starts = sorted({b.locator.line for b in blocks if b.locator.line is not None})
    where = finding.locator.line if finding.locator else None
    for s in suppressions:
        if not s.covers_rule(finding.rule):
            continue
        if s.scope == "file":
            return s
        if where is None:
            continue
        if s.scope == "next":
            # ">=": in MDX a {/* comment */} is part of the paragraph it starts.
            target = next((n for n in starts if n >= s.line), None)
        else:  # the block the comment's line belongs to
            target = max((n for n in starts if n <= s.line), default=None)
        if target == where:
            return s
    return None


# -- Precise positions ----------------------------------------------------------------------


def refine_locations(run: AuditRun, texts: Mapping[str, str]) -> AuditRun:
    """``run`` with each finding's locator moved from its block's start to its evidence.

    ``texts`` maps a touchpoint's source to the file's text. Blocks hold normalised text, so
    the evidence is aligned to the raw file character by character, stepping over markup;
    where that fails (entities, generated text) the block's position stays. Each finding's
    ``block`` is set to the index of its block.
    """
    results = []
    for result in run.results:
        text = texts.get(result.touchpoint.source)
        if text is None:
            results.append(result)
            continue
        offsets = _line_offsets(text)
        findings = tuple(_refine(f, result.touchpoint, text, offsets) for f in result.findings)
        results.append(replace(result, findings=findings))
    return replace(run, results=tuple(results))


def evidence_lines(finding: Finding, tp: Touchpoint, text: str) -> tuple[int, int] | None:
    """First and last line in ``text`` of the finding's evidence span (None: unknown)."""
    offsets = _line_offsets(text)
    span = _raw_span(finding, tp, text, offsets)
    if span is None:
        loc = finding.locator
        return (loc.line, loc.line) if loc and loc.line else None
    return _line_at(offsets, span[0]), _line_at(offsets, span[1])


def _block_index(finding: Finding, tp: Touchpoint) -> int | None:
    if finding.block is not None and finding.block < len(tp.blocks):
        return finding.block
    return next((i for i, b in enumerate(tp.blocks) if b.locator == finding.locator), None)


def _raw_span(finding: Finding, tp: Touchpoint, text: str,
              offsets: list[int]) -> tuple[int, int] | None:
    index = _block_index(finding, tp)
    if index is None or finding.span is None:
        return None
    block = tp.blocks[index]
    loc = block.locator
    if loc.line is None or loc.line > len(offsets):
        return None
    start = offsets[loc.line - 1] + (loc.column or 1) - 1
    first = _align(block.text, finding.span[0], text, start)
    if first is None:
        return None
    last = _align(block.text, max(finding.span[1] - 1, finding.span[0]), text, start)
    return first, last if last is not None else first


def _refine(finding: Finding, tp: Touchpoint, text: str, offsets: list[int]) -> Finding:
    index = _block_index(finding, tp)
    if index is None:
        return finding
    span = _raw_span(finding, tp, text, offsets)
    if span is None or finding.locator is None:
        return replace(finding, block=index)
    line = _line_at(offsets, span[0])
    column = span[0] - offsets[line - 1] + 1
    return replace(finding, block=index, locator=replace(finding.locator, line=line,
                                                         column=column))


def _align(block_text: str, target: int, raw: str, start: int) -> int | None:
    """Offset in ``raw`` of ``block_text[target]``, walking both from the block's start and
    stepping over whatever the block text left out (markup, line breaks, link targets)."""
    j = start
    for i in range(min(target, len(block_text) - 1) + 1):
        ch = block_text[i]
        if ch.isspace():
            continue
        skipped = 0
        while j < len(raw) and raw[j] != ch:
            j += 1
            skipped += 1
            if skipped > 200:  # markup never runs this long: the text is not in the file
                return None
        if j >= len(raw):
            return None
        if i == target:
            return j
        j += 1
    return None


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for match in re.finditer(r"\r\n|\r|\n", text):
        offsets.append(match.end())
    return offsets


def _line_at(offsets: list[int], position: int) -> int:
    return bisect_right(offsets, position)


# -- Changed lines --------------------------------------------------------------------------


@dataclass(frozen=True)
class Changes:
    """What changed since a git ref: absolute file path -> changed new-side lines
    (``None``: the whole file is new or untracked)."""

    ref: str
    files: Mapping[Path, frozenset[int] | None]

    def covers(self, path: Path, first: int | None, last: int | None = None) -> bool:
        """Whether lines ``first..last`` of ``path`` include a changed line."""
        key = path.resolve()
        if key not in self.files:
            return False
        lines = self.files[key]
        if lines is None or first is None:
            return True
        return any(n in lines for n in range(first, (last or first) + 1))


_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


def changed_lines(ref: str, cwd: Path | None = None) -> Changes:
    """Files changed since ``ref`` (committed, staged or not) and untracked files, with the
    new-side line numbers each change added or modified (``git diff -U0 REF`` hunks).

    Raises ``ToolError`` when git is missing, this is not a repository or ``ref`` is unknown.
    """
    cwd = cwd or Path.cwd()
    root = Path(_git(["rev-parse", "--show-toplevel"], cwd, ref).strip())
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd, ref)
    files: dict[Path, frozenset[int] | None] = {}
    diff = _git(["diff", "-U0", "--no-color", "--no-ext-diff", "--diff-filter=AMRC",
                 "--no-renames", ref, "--"], root, ref)
    current: Path | None = None
    lines: set[int] = set()
    for row in diff.splitlines():
        if row.startswith("+++ "):
            if current is not None:
                files[current] = frozenset(lines)
            name = row[4:]
            current = None if name == "/dev/null" else (root / _unquote(name)[2:]).resolve()
            lines = set()
        elif row.startswith("@@") and current is not None:
            match = _HUNK.match(row)
            if match:
                first, count = int(match.group(1)), int(match.group(2) or 1)
                lines.update(range(first, first + count))
    if current is not None:
        files[current] = frozenset(lines)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], root, ref)
    for name in untracked.split("\0"):
        if name:
            files[(root / name).resolve()] = None
    return Changes(ref, files)


def _unquote(name: str) -> str:
    # git quotes paths with unusual characters as C strings: "b/caf\303\251.md"
    if name.startswith('"') and name.endswith('"'):
        return name[1:-1].encode("latin-1", "backslashreplace").decode(
            "unicode_escape").encode("latin-1").decode("utf-8", "replace")
    return name


def _git(args: list[str], cwd: Path, ref: str) -> str:
    import subprocess  # only --changed-since runs git

    try:
        proc = subprocess.run(["git", "-c", "core.quotepath=on", *args], cwd=cwd,
                              capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        raise ToolError("git is not installed, so --changed-since cannot tell what changed",
                        hint="install git or drop --changed-since") from None
    if proc.returncode != 0:
        detail = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
        if args[0] == "rev-parse" and "--verify" in args:
            raise ToolError(f"unknown git ref {ref!r}", key="changed-since",
                            hint="fetch it first (in CI: `fetch-depth: 0`) or name another "
                                 "branch, tag or commit") from None
        raise ToolError(f"git {args[0]} failed: {detail or 'exit ' + str(proc.returncode)}",
                        source=str(cwd), key="changed-since",
                        hint="run inside a git work tree") from None
    return proc.stdout


# -- The check itself -----------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """One ``brand-audit check``: the run, its report (exceptions applied, gate verdicts in
    ``report["gates"]``) and the gate verdicts."""

    run: AuditRun
    report: dict
    gates: object  # auditor.gates.GateReport


def collect_paths(paths: list[Path], keys: tuple[str, ...] = (), changes: Changes | None = None,
                  base_dir: Path | None = None, limits=None
                  ) -> tuple[list[Touchpoint], list, dict[str, str]]:
    """Touchpoints, collection errors and raw texts (by source) of content files and folders.

    Folders are walked like ``[[channels.files]]`` (hidden folders skipped); YAML and JSON
    files are included when ``keys`` select fields, and always when named. With ``changes``
    only changed or untracked files are read. ``limits``: the config's ``[limits]`` (default
    caps when None).
    """
    from channels import CollectContext
    from channels.files import KIND as FILES
    from channels.files import FilesOptions, decode_text

    base_dir = base_dir or Path.cwd()
    ctx = CollectContext(base_dir, limits=limits)
    default_include = FilesOptions(path=".").include
    include = [*default_include, *(["*.yaml", "*.yml", "*.json"] if keys else [])]
    touchpoints: list[Touchpoint] = []
    errors: list = []
    texts: dict[str, str] = {}
    seen: set[str] = set()
    for path in paths:
        for item in FILES.collect(FilesOptions(path=str(path), include=include), ctx):
            source = item.source
            file = (base_dir / source) if not Path(source).is_absolute() else Path(source)
            if changes is not None and file.resolve() not in changes.files:
                continue
            if not isinstance(item, Touchpoint):
                if not keys and path.is_dir() and item.source == str(path) and any(
                        next(path.rglob(f"*{suffix}"), None) for suffix in STRUCTURED_SUFFIXES):
                    item = replace(item, error=f"{item.error}; YAML and JSON files in a "
                                               "folder are read with --keys (the fields to check)")
                errors.append(item)
                continue
            if item.id in seen:
                continue
            seen.add(item.id)
            try:
                if file.suffix.lower() in STRUCTURED_SUFFIXES:
                    item = read_structured_file(file, source, keys)
                texts[source] = decode_text(file.read_bytes())
            except InputError as exc:
                from auditor.types import CollectionError

                where = f"line {exc.line}: " if exc.line else ""
                errors.append(CollectionError(source=source, error=where + exc.message,
                                              channel="files"))
                continue
            except (OSError, ValueError) as exc:
                from auditor.types import CollectionError

                errors.append(CollectionError(source=source, error=str(exc), channel="files"))
                continue
            touchpoints.append(item)
    return touchpoints, errors, texts


def check_content(paths: list[Path], baseline, embedder, *, keys: tuple[str, ...] = (),
                  changes: Changes | None = None, waivers: tuple = (), gates=None,
                  previous: dict | None = None, previous_label: str | None = None,
                  today=None, base_dir: Path | None = None, limits=None) -> CheckResult:
    """Check content files against ``baseline`` (``embedder`` None: rules only).

    Inline suppressions and ``waivers`` set findings aside; with ``changes`` only findings on
    changed lines count; ``gates`` (default: ``fail_on = "error"``) are evaluated, against
    ``previous`` for ``no_regression`` and new / resolved findings.
    """
    from auditor.engine import audit
    from auditor.gates import compare_reports, default_gates, evaluate
    from auditor.waivers import Exemption, apply_exceptions
    from reports.json_report import to_dict

    gates = gates or default_gates("error")
    touchpoints, errors, texts = collect_paths(paths, keys, changes, base_dir, limits)
    run = audit(touchpoints, errors, baseline, embedder)
    inline: dict[tuple[str, int], Exemption] = {}
    outside: set[tuple[str, int]] = set()
    base = base_dir or Path.cwd()
    for result in run.results:
        tp = result.touchpoint
        text = texts.get(tp.source)
        if text is None:
            continue
        suppressions = find_suppressions(text, Path(tp.source).suffix)
        for n, finding in enumerate(result.findings):
            # By position, not fingerprint: one sentence repeated on an old and a changed
            # line has one fingerprint but two findings.
            key = (tp.id, n)
            hit = suppression_for(finding, tp.blocks, suppressions)
            if hit is not None:
                inline[key] = Exemption(
                    "inline", hit.reason or f"brand-audit: ignore {', '.join(hit.rules)}",
                    where=f"{tp.source}:{hit.line}")
            if changes is not None:
                lines = evidence_lines(finding, tp, text)
                first, last = lines if lines else (None, None)
                if not changes.covers(base / tp.source, first, last):
                    outside.add(key)
    run = refine_locations(run, texts)
    report = to_dict(run)
    if previous:
        report["comparison"] = compare_reports(report, previous)
    report, status = apply_exceptions(report, inline=inline, waivers=waivers, outside=outside,
                                      today=today)
    gate_report = evaluate(report, gates, previous=previous, previous_label=previous_label,
                           waivers=status)
    report["gates"] = gate_report.as_list()
    return CheckResult(run, report, gate_report)
