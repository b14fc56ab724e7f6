"""Brand baselines: ``baselines/<brand>/brand.toml`` plus ``exemplars/`` of approved copy.

``load_baseline(folder)`` reads and validates one; errors name the file, the line or key,
and what was expected. Only ``name`` and one exemplar file are required; everything else
has a default or is learned from the exemplars.

Folder layout::

    <brand>/
      brand.toml            the brand's settings (below)
      exemplars/            approved copy, any channel, any sub-folders: .md .txt .html .htm;
                            copy in a folder named after a channel (web/, social/, calls/,
                            chat/, email/, sms/) is that channel's: a finding on that channel
                            shows its on-brand example from there (``exemplar_channel``)
      counter_examples/     optional: off-brand copy, loaded the same way
      peers/                optional: peers' or competitors' copy in the same domain; the
                            brand's voice is then what sets its copy apart from theirs

``brand.toml``::

    name = "Sosna"                      # required: the brand's name
    languages = ["en", "ru"]            # optional; default: the exemplars' languages,
                                        #   most paragraphs first
    key_messages = ["...", "..."]       # optional: statements the copy should carry,
                                        #   one entry per statement and language

    [voice]                             # optional: dimension = {target, tolerance}
    # dimensions: formality (formal -1 .. casual +1), warmth, confidence,
    #             customer_focus, respect; target in -1..1, tolerance in (0, 2] (default 0.3)
    warmth = { target = 0.6, tolerance = 0.3 }

    [terminology]
    banned = { "cheap" = "say 'affordable'" }     # term -> why / what to say instead
    preferred = { "customer" = "you" }            # avoid -> use

    vale = "styles/Acme"                # optional: a Vale style folder (relative to this
                                        #   baseline) whose existence and substitution rules
                                        #   are imported as terminology (auditor.vale)

    [readability]
    range = [50, 80]                    # Flesch reading ease, low < high; default: learned

    [thresholds]                        # percentiles of the approved copy's own scores
    warn_percentile = 10                # 0 < diverge_percentile < warn_percentile < 100
    diverge_percentile = 5

Exemplar files are split into paragraphs, the units the index is built from:

* ``.md``: blank-line separated; front matter (``---`` YAML or ``+++`` TOML at the top),
  fenced code blocks, HTML comments, tables and rules are skipped; a heading's text is a
  paragraph of its own (``#`` markers removed); each list item is a paragraph of its own
  (markers stripped); links keep their text, emphasis and code markers are removed.
* ``.txt``: blank-line separated, lines joined.
* ``.html`` / ``.htm``: the text of every ``p``, ``h1``-``h3`` and ``li`` element.

Paragraphs shorter than three words are dropped. A file's language is the one a Markdown
file's front matter declares (``lang`` or ``language``, as for audited files), else it is
guessed from its text with :func:`auditor.text.detect_language`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.errors import BaselineError
from auditor.text import declared_language, detect_language, normalize_space, split_front_matter

DEMO_BASELINE = Path(__file__).parent / "demo"

BRAND_FILE = "brand.toml"
EXEMPLAR_DIR = "exemplars"
COUNTER_EXAMPLE_DIR = "counter_examples"
PEER_DIR = "peers"
EXEMPLAR_EXTENSIONS = (".md", ".txt", ".html", ".htm")
VOICE_DIMENSIONS = ("formality", "warmth", "confidence", "customer_focus", "respect")
MIN_PARAGRAPH_WORDS = 3


@dataclass(frozen=True)
class ExemplarDoc:
    """One approved file, split into paragraphs (the units the index is built from)."""

    path: str              # relative to the baseline folder, e.g. "exemplars/web/home.md"
    language: str          # "en", "ru", ...
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class VoiceTarget:
    target: float          # -1.0 .. 1.0 along the dimension (e.g. formal=-1 .. casual=+1)
    tolerance: float = 0.3


@dataclass(frozen=True)
class Thresholds:
    """Where warn and diverges begin, as percentiles of the approved copy's own
    leave-one-out scores ("less like the brand than 95% of its approved copy")."""

    warn_percentile: float = 10.0
    diverge_percentile: float = 5.0


@dataclass(frozen=True)
class Baseline:
    name: str
    root: Path
    languages: tuple[str, ...]
    key_messages: tuple[str, ...]
    exemplars: tuple[ExemplarDoc, ...]
    counter_examples: tuple[ExemplarDoc, ...] = ()
    #: Copy of peers or competitors in the same domain: the brand's voice is what sets its
    #: copy apart from theirs (``peers/`` folder, loaded like the exemplars).
    peers: tuple[ExemplarDoc, ...] = ()
    voice: Mapping[str, VoiceTarget] = field(default_factory=dict)
    banned_terms: Mapping[str, str] = field(default_factory=dict)     # term -> why / what instead
    preferred_terms: Mapping[str, str] = field(default_factory=dict)  # avoid -> use
    readability: tuple[float, float] | None = None
    thresholds: Thresholds = Thresholds()
    vale: Path | None = None  # a Vale style folder whose term rules are imported


# ---------------------------------------------------------------------------------------------
# brand.toml

_TOP_KEYS = ("name", "languages", "key_messages", "voice", "terminology", "readability",
             "thresholds", "vale")
_SUB_KEYS = {
    "voice": VOICE_DIMENSIONS,
    "terminology": ("banned", "preferred"),
    "readability": ("range",),
    "thresholds": ("warn_percentile", "diverge_percentile"),
}
_VOICE_KEYS = ("target", "tolerance")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def load_baseline(folder: str | Path) -> Baseline:
    """Read and validate the baseline in ``folder`` (or the folder of a ``brand.toml`` path).

    Raises :class:`auditor.errors.BaselineError` naming the file, line and key at fault and
    what was expected.
    """
    root = Path(folder)
    if root.is_file() and root.name == BRAND_FILE:
        root = root.parent
    if not root.exists():
        raise BaselineError(
            "baseline folder not found", source=str(root),
            hint=f"expected a folder holding {BRAND_FILE} and {EXEMPLAR_DIR}/; "
                 "`brand-audit init` writes a skeleton")
    if not root.is_dir():
        raise BaselineError(
            "baseline is not a folder", source=str(root),
            hint=f"pass the folder that holds {BRAND_FILE} and {EXEMPLAR_DIR}/")
    brand_path = root / BRAND_FILE
    if not brand_path.is_file():
        raise BaselineError(
            f"{BRAND_FILE} not found", source=str(brand_path),
            hint='create it with at least: name = "Your brand"')
    settings = _BrandFile(brand_path)

    exemplars = _load_docs(root, EXEMPLAR_DIR)
    if not any(doc.paragraphs for doc in exemplars):
        where = root / EXEMPLAR_DIR
        found = ("no exemplar files" if not exemplars
                 else f"no paragraphs of {MIN_PARAGRAPH_WORDS}+ words in the exemplar files")
        raise BaselineError(
            found, source=str(where),
            hint="put approved copy (web pages, posts, call phrasing) under "
                 f"{where}/ as {', '.join(EXEMPLAR_EXTENSIONS)} files; sub-folders are fine")
    exemplars = tuple(doc for doc in exemplars if doc.paragraphs)
    counter_examples = tuple(doc for doc in _load_docs(root, COUNTER_EXAMPLE_DIR)
                             if doc.paragraphs)

    peers = tuple(doc for doc in _load_docs(root, PEER_DIR) if doc.paragraphs)

    languages = settings.languages or _languages_of(exemplars)
    return Baseline(
        name=settings.name,
        root=root,
        languages=languages,
        key_messages=settings.key_messages,
        exemplars=exemplars,
        counter_examples=counter_examples,
        peers=peers,
        voice=settings.voice,
        banned_terms=settings.banned,
        preferred_terms=settings.preferred,
        readability=settings.readability,
        thresholds=settings.thresholds,
        vale=settings.vale,
    )


def exemplar_channel(path: str) -> str | None:
    """The channel an approved file is copy of: the folder under ``exemplars/`` it sits in,
    when that folder is named after a channel (``exemplars/web/home.md`` is web copy,
    ``exemplars/calls/billing.md`` a call script); None for any other file."""
    from auditor.types import CHANNELS

    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == EXEMPLAR_DIR and parts[1] in CHANNELS \
        else None


def _languages_of(docs: tuple[ExemplarDoc, ...]) -> tuple[str, ...]:
    counts: Counter[str] = Counter()
    for doc in docs:
        counts[doc.language] += len(doc.paragraphs)
    return tuple(lang for lang, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


class _BrandFile:
    """The validated settings of one ``brand.toml``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BaselineError("not valid UTF-8", source=str(path),
                                hint=f"save {BRAND_FILE} as UTF-8 ({exc.reason})") from None
        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            raise self._syntax_error(exc) from None
        except RecursionError:  # tomllib recurses per nested array or inline table
            raise BaselineError("arrays or tables nested too deeply to read", source=str(path),
                                hint=f"{BRAND_FILE} needs a few levels at most; is it "
                                     f"damaged?") from None

        for key in data:
            if key not in _TOP_KEYS:
                self._unknown(key, key, _TOP_KEYS)
        for table, allowed in _SUB_KEYS.items():
            value = data.get(table)
            if value is None:
                continue
            if not isinstance(value, dict):
                raise self._error(f"got {_describe(value)}, expected a table", table,
                                  f"write it as a [{table}] section with keys "
                                  f"{', '.join(allowed)}")
            for sub in value:
                if sub not in allowed:
                    self._unknown(sub, f"{table}.{sub}", allowed)

        self.name = self._name(data)
        self.languages = self._languages(data)
        self.key_messages = self._key_messages(data)
        self.voice = self._voice(data.get("voice", {}))
        terminology = data.get("terminology", {})
        self.banned = self._term_table(terminology, "banned", "why it is banned or what to say")
        self.preferred = self._term_table(terminology, "preferred", "the word to use instead")
        self.readability = self._readability(data.get("readability", {}))
        self.thresholds = self._thresholds(data.get("thresholds", {}))
        self.vale = self._vale(data.get("vale"))

    # -- values --------------------------------------------------------------------------------

    def _name(self, data: dict[str, Any]) -> str:
        if "name" not in data:
            raise BaselineError("missing required key 'name'", source=str(self.path), key="name",
                                hint='add a top-level line like: name = "Your brand"')
        name = data["name"]
        if not isinstance(name, str) or not name.strip():
            raise self._error(f"got {_describe(name)}, expected a non-empty string", "name",
                              'write it like: name = "Your brand"')
        return name.strip()

    def _languages(self, data: dict[str, Any]) -> tuple[str, ...]:
        value = data.get("languages")
        if value is None:
            return ()
        hint = 'a list of language codes like ["en", "ru"], or leave it out to learn them'
        if not isinstance(value, list) or not value:
            raise self._error(f"got {_describe(value)}, expected a non-empty list of strings",
                              "languages", hint)
        for item in value:
            if not isinstance(item, str) or not _LANGUAGE_CODE.match(item):
                raise self._error(f"{_describe(item)} is not a language code", "languages",
                                  hint)
        return tuple(dict.fromkeys(value))

    def _key_messages(self, data: dict[str, Any]) -> tuple[str, ...]:
        value = data.get("key_messages")
        if value is None:
            return ()
        hint = 'a list of statements like ["Prices with no hidden fees.", "..."]'
        if not isinstance(value, list):
            raise self._error(f"got {_describe(value)}, expected a list of strings",
                              "key_messages", hint)
        messages = []
        for number, item in enumerate(value, 1):
            if not isinstance(item, str) or not item.strip():
                raise self._error(
                    f"entry {number} is {_describe(item)}, not a non-empty string",
                    "key_messages", hint)
            messages.append(normalize_space(item))
        return tuple(messages)

    def _voice(self, table: dict[str, Any]) -> dict[str, VoiceTarget]:
        voice = {}
        for dimension, spec in table.items():
            key = f"voice.{dimension}"
            example = f"{dimension} = {{ target = 0.5, tolerance = 0.3 }}"
            if not isinstance(spec, dict):
                raise self._error(f"got {_describe(spec)}, expected a table", key,
                                  f"write it like: {example}")
            for sub in spec:
                if sub not in _VOICE_KEYS:
                    self._unknown(sub, f"{key}.{sub}", _VOICE_KEYS)
            if "target" not in spec:
                raise self._error("no target", key, f"write it like: {example}")
            target = spec["target"]
            if not _is_number(target) or not -1.0 <= target <= 1.0:
                raise self._error(f"got {_describe(target)}", f"{key}.target",
                                  "expected a number from -1 to 1")
            tolerance = spec.get("tolerance", VoiceTarget.tolerance)
            if not _is_number(tolerance) or not 0.0 < tolerance <= 2.0:
                raise self._error(f"got {_describe(tolerance)}", f"{key}.tolerance",
                                  "expected a number above 0, at most 2")
            voice[dimension] = VoiceTarget(float(target), float(tolerance))
        return voice

    def _term_table(self, terminology: dict[str, Any], which: str, meaning: str
                    ) -> dict[str, str]:
        value = terminology.get(which)
        if value is None:
            return {}
        key = f"terminology.{which}"
        hint = f'a table like {which} = {{ "term" = "{meaning}" }}'
        if not isinstance(value, dict):
            raise self._error(f"got {_describe(value)}, expected a table of strings", key, hint)
        terms = {}
        for term, note in value.items():
            if not term.strip() or not isinstance(note, str):
                raise self._error(f"got {_describe(note)} for {term!r}, expected a string",
                                  f"{key}.{term}", hint)
            terms[term.strip()] = note
        return terms

    def _readability(self, table: dict[str, Any]) -> tuple[float, float] | None:
        value = table.get("range")
        if value is None:
            return None
        hint = "expected two numbers, low < high, e.g. range = [50, 80] (Flesch reading ease)"
        if (not isinstance(value, list) or len(value) != 2
                or not all(_is_number(v) for v in value) or not value[0] < value[1]):
            raise self._error(f"got {_describe(value)}", "readability.range", hint)
        return float(value[0]), float(value[1])

    def _vale(self, value: Any) -> Path | None:
        if value is None:
            return None
        hint = 'a Vale style folder relative to the baseline, e.g. vale = "styles/Acme"'
        if not isinstance(value, str) or not value.strip():
            raise self._error(f"got {_describe(value)}, expected a folder path", "vale", hint)
        folder = (self.path.parent / value).resolve()
        if not folder.is_dir():
            raise self._error(f"Vale style folder {str(folder)!r} not found", "vale", hint)
        return folder

    def _thresholds(self, table: dict[str, Any]) -> Thresholds:
        default = Thresholds()
        warn = table.get("warn_percentile", default.warn_percentile)
        diverge = table.get("diverge_percentile", default.diverge_percentile)
        for sub, value in (("warn_percentile", warn), ("diverge_percentile", diverge)):
            if not _is_number(value):
                raise self._error(f"got {_describe(value)}", f"thresholds.{sub}",
                                  "expected a number from 0 to 100")
        if not 0 < diverge < warn < 100:
            key = ("thresholds.diverge_percentile" if "diverge_percentile" in table
                   else "thresholds.warn_percentile")
            raise self._error(
                f"thresholds out of order: diverge_percentile={diverge:g}, "
                f"warn_percentile={warn:g}", key,
                "expected 0 < diverge_percentile < warn_percentile < 100, e.g. 5 and 10")
        return Thresholds(warn_percentile=float(warn), diverge_percentile=float(diverge))

    # -- errors --------------------------------------------------------------------------------

    def _error(self, message: str, key: str, hint: str) -> BaselineError:
        return BaselineError(message, source=str(self.path), line=_line_of(self.text, key),
                             key=key, hint=hint)

    def _unknown(self, name: str, key: str, allowed: tuple[str, ...]) -> None:
        hint = f"allowed: {', '.join(allowed)}"
        close = difflib.get_close_matches(name, allowed, n=1)
        if close:
            hint = f"did you mean '{close[0]}'? {hint}"
        raise self._error("unknown key", key, hint)

    def _syntax_error(self, exc: tomllib.TOMLDecodeError) -> BaselineError:
        message = str(exc)
        line = getattr(exc, "lineno", None)  # Python 3.14+; older ones only say it in text
        found = _TOML_POSITION.search(message)
        if found:
            line = line or int(found.group(1))
            message = message[:found.start()]
        return BaselineError(
            f"TOML syntax error: {message}", source=str(self.path), line=line,
            hint='check quotes, commas and brackets; strings need quotes, e.g. name = "Acme"')


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _describe(value: object) -> str:
    """A value as the user wrote it in TOML, for error messages."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_describe(item) for item in value) + "]"
    return repr(value)


def _line_of(text: str, dotted_key: str) -> int | None:
    """Best effort: the line where ``dotted_key`` (e.g. ``voice.warmth.target``) is set.

    Each part is searched after the previous one, as a bare or quoted key followed by
    ``=``, ``.`` or ``]`` (a table header), with comments masked out.
    """
    masked = _mask_comments(text)
    position, line = 0, None
    for part in dotted_key.split("."):
        pattern = re.compile(
            r"""(?<![\w"'-])["']?""" + re.escape(part) + r"""["']?\s*(?:=|\.|\])""")
        match = pattern.search(masked, position)
        if not match:
            break
        position = match.end()
        line = masked.count("\n", 0, match.start()) + 1
    return line


def _mask_comments(text: str) -> str:
    """``text`` with TOML comments blanked (so a key named in a comment is never 'found')."""
    lines = []
    for raw in text.split("\n"):
        quote = None
        cut = len(raw)
        for index, char in enumerate(raw):
            if quote:
                if char == quote and (quote == "'" or raw[index - 1] != "\\"):
                    quote = None
            elif char in "\"'":
                quote = char
            elif char == "#":
                cut = index
                break
        lines.append(raw[:cut])
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# exemplar files

def _load_docs(root: Path, subdir: str) -> tuple[ExemplarDoc, ...]:
    folder = root / subdir
    if not folder.is_dir():
        return ()
    files = sorted(
        path for path in folder.rglob("*")
        if path.is_file() and path.suffix.lower() in EXEMPLAR_EXTENSIONS
        and not any(part.startswith(".") for part in path.relative_to(folder).parts))
    return tuple(_read_doc(root, path) for path in files)


def _read_doc(root: Path, path: Path) -> ExemplarDoc:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BaselineError("not valid UTF-8", source=str(path),
                            hint=f"save exemplar files as UTF-8 ({exc.reason})") from None
    suffix = path.suffix.lower()
    front: dict[str, str] = {}
    if suffix == ".md":
        front, body = split_front_matter(text.split("\n"))
        blocks = markdown_paragraphs("\n".join(body))
    elif suffix in (".html", ".htm"):
        blocks = html_paragraphs(text)
    else:
        blocks = text_paragraphs(text)
    language = declared_language(front.get("lang") or front.get("language")) \
        or detect_language(" ".join(blocks))
    paragraphs = tuple(p for p in blocks if _word_count(p) >= MIN_PARAGRAPH_WORDS)
    return ExemplarDoc(path=path.relative_to(root).as_posix(), language=language,
                       paragraphs=paragraphs)


_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def text_paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs of plain text, lines joined, whitespace normalised."""
    paragraphs = (normalize_space(block) for block in re.split(r"\n\s*\n", text))
    return [p for p in paragraphs if p]


_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+(.*?))?\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_TABLE_ROW = re.compile(r"^\s*\|")
_BLOCKQUOTE = re.compile(r"^\s{0,3}(?:>\s?)+")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)\1")
_CODE_SPAN = re.compile(r"`+([^`]*)`+")


def markdown_paragraphs(text: str) -> list[str]:
    """Paragraphs of Markdown prose, in order (see the module docstring for what is kept)."""
    _, lines = split_front_matter(_HTML_COMMENT.sub("", text).split("\n"))
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraph = _clean_inline(" ".join(current))
            if paragraph:
                paragraphs.append(paragraph)
            current.clear()

    fence: str | None = None
    for line in lines:
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            flush()
            fence = opened.group(1)
            continue
        if not line.strip() or _RULE.match(line) or _TABLE_ROW.match(line):
            flush()
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            current.append(heading.group(1) or "")
            flush()
            continue
        line = _BLOCKQUOTE.sub("", line)
        item = _LIST_ITEM.match(line)
        if item:
            flush()  # each list item is a paragraph of its own
            line = line[item.end():]
        current.append(line.strip())
    flush()
    return paragraphs


def _clean_inline(text: str) -> str:
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _CODE_SPAN.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\2", text)
    return normalize_space(text)


_HTML_BLOCKS = ("p", "h1", "h2", "h3", "li")


def html_paragraphs(text: str) -> list[str]:
    """Text of every ``p``, ``h1``-``h3`` and ``li`` element; a ``li`` holding ``p``s gives
    only the ``p``s, so no text is counted twice."""
    from bs4 import BeautifulSoup  # only HTML exemplars need it

    soup = BeautifulSoup(text, "lxml")
    for tag in soup(["script", "style", "template", "noscript"]):
        tag.decompose()
    paragraphs = []
    for element in soup.find_all(_HTML_BLOCKS):
        if element.find(_HTML_BLOCKS):
            continue
        paragraph = normalize_space(element.get_text(" "))
        if paragraph:
            paragraphs.append(paragraph)
    return paragraphs
