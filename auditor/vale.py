"""Import Vale ``existence`` and ``substitution`` rules as brand terminology.

A team that already lints its docs with Vale keeps one source of truth: point ``brand.toml``
at the style folder (``vale = "styles/Acme"``) or call :func:`load_vale_style`. Each
``*.yml`` / ``*.yaml`` file in the folder is one rule, named ``vale.<Style>.<Rule>`` (the
folder and file names, as Vale names them).

What is read (Vale's documented rule format):

* ``extends: existence``: ``tokens`` (and ``raw`` on its own), ``ignorecase``, ``nonword``,
  ``exceptions``, ``message`` (``%s`` is the matched text), ``level``, ``description``,
  ``link``.
* ``extends: substitution``: ``swap`` (observed → expected; ``a|b`` offers either),
  ``ignorecase``, ``nonword``, ``exceptions``, ``message`` (first ``%s`` the expected word,
  second the matched text), ``level``, ``description``, ``link``. A match that already is the
  expected word is not flagged.
* ``level``: ``suggestion`` → info, ``warning`` → warning, ``error`` → error (default
  suggestion, as in Vale).

Rules of other kinds (occurrence, repetition, capitalization, metric, spelling, sequence, …)
are skipped with a note in :attr:`ValeStyle.notes`, and so is a ``scope`` other than text:
the rule then runs on all copy, which is said in a note too.

Matching: a case-insensitive token without regular-expression characters is a phrase and also
matches its word forms (Russian lemmas, English plurals and tenses, see :mod:`auditor.terms`);
every other token is a regular expression matched as Vale does, on whole words unless
``nonword: true``. Errors name the file and the YAML line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import BaselineError
from auditor.terms import Term, compile_term, is_pattern
from auditor.types import Severity

#: Vale's level → brand-audit's severity.
LEVELS: dict[str, Severity] = {"suggestion": "info", "warning": "warning", "error": "error"}
SUPPORTED = ("existence", "substitution")
_TEXT_SCOPES = ("text", "sentence", "paragraph", "raw", "summary")


@dataclass(frozen=True)
class ValeStyle:
    """The terminology rules of one Vale style folder."""

    name: str                   # the folder's name, e.g. "Acme"
    path: Path
    terms: tuple[Term, ...]
    notes: tuple[str, ...] = ()  # rules skipped or read partly, and why

    @property
    def banned(self) -> dict[str, str]:
        """Existence tokens → the rule's message (a view for notebooks and ``baseline show``)."""
        return {t.text: t.message or "" for t in self.terms if t.kind == "banned"}

    @property
    def preferred(self) -> dict[str, str]:
        """Substitution: observed → expected."""
        return {t.text: t.replacement or "" for t in self.terms if t.kind == "preferred"}

    @property
    def rules(self) -> tuple[str, ...]:
        """The rule names this style contributes, e.g. ``vale.Acme.Hype``."""
        return tuple(dict.fromkeys(t.rule for t in self.terms))


def load_vale_style(path: str | Path) -> ValeStyle:
    """Read the Vale style folder at ``path``.

    Raises :class:`BaselineError` naming the file and YAML line of a broken rule.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise BaselineError(
            "Vale style folder not found", source=str(folder),
            hint="point 'vale' in brand.toml at a folder of Vale rule files (*.yml), e.g. "
                 'vale = "styles/Acme", relative to the baseline folder')
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix.lower() in (".yml", ".yaml"))
    if not files:
        raise BaselineError("no Vale rule files (*.yml) in the style folder",
                            source=str(folder),
                            hint="a Vale style is a folder of rule files like Hype.yml")
    terms: list[Term] = []
    notes: list[str] = []
    for file in files:
        rule_terms, rule_notes = _read_rule(file, folder.name)
        terms.extend(rule_terms)
        notes.extend(rule_notes)
    return ValeStyle(folder.name, folder, tuple(terms), tuple(notes))


# ---------------------------------------------------------------------------------------------

def _read_rule(file: Path, style: str) -> tuple[list[Term], list[str]]:
    rule = _RuleFile(file)
    name = f"vale.{style}.{file.stem}"
    extends = rule.string("extends", required=True)
    if extends not in SUPPORTED:
        return [], [f"{name}: 'extends: {extends}' rules are not imported (only "
                    f"{' and '.join(SUPPORTED)}); skipped"]
    notes = []
    scope = rule.data.get("scope")
    scopes = scope if isinstance(scope, list) else [scope] if scope else []
    odd = [s for s in scopes if not isinstance(s, str) or s.split(".")[0] not in _TEXT_SCOPES]
    if odd:
        notes.append(f"{name}: scope {', '.join(map(str, odd))} is not supported; the rule "
                     "runs on all copy")
    level = rule.string("level") or "suggestion"
    if level not in LEVELS:
        raise rule.error(f"level {level!r} is not a Vale level", "level",
                         "use suggestion, warning or error")
    ignorecase = rule.flag("ignorecase")
    nonword = rule.flag("nonword")
    common = dict(
        rule=name, severity=LEVELS[level], message=rule.string("message"),
        note=rule.string("description") or "", link=rule.string("link"),
        exceptions=tuple(rule.strings("exceptions")), ignorecase=ignorecase,
        whole_words=not nonword)
    terms: list[Term] = []
    if extends == "existence":
        tokens = rule.strings("tokens")
        raw = rule.strings("raw")
        if raw and tokens:
            return [], [f"{name}: 'raw' together with 'tokens' is not supported; skipped"]
        if raw:
            entries = [("".join(raw), rule.line("raw"), True)]
        else:
            entries = [(t, line, None) for t, line in zip(tokens, rule.item_lines("tokens"))]
        if not entries:
            raise rule.error("no tokens", "tokens",
                             "an existence rule needs a list of tokens to look for")
        for text, line, raw_regex in entries:
            plain = ignorecase and not nonword and not is_pattern(text) and not raw_regex
            term = Term(text.strip(), "banned", regex=not plain,
                        **{**common, "whole_words": common["whole_words"] and not raw_regex})
            terms.append(rule.checked(term, line, "raw" if raw_regex else "tokens"))
    else:
        swap = rule.mapping("swap")
        for (observed, expected), line in zip(swap.items(), rule.key_lines("swap")):
            plain = ignorecase and not nonword and not is_pattern(observed)
            term = Term(observed.strip(), "preferred", replacement=expected, regex=not plain,
                        **common)
            terms.append(rule.checked(term, line, f"swap.{observed}"))
    return terms, notes


class _RuleFile:
    """One Vale rule file: its data and the YAML line of each key and item."""

    def __init__(self, path: Path) -> None:
        import yaml

        self.path = path
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BaselineError("not valid UTF-8", source=str(path),
                                hint=f"save Vale rules as UTF-8 ({exc.reason})") from None
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            raise BaselineError(f"YAML syntax error: {problem}", source=str(path),
                                line=mark.line + 1 if mark else None,
                                hint="check indentation, colons and quotes") from None
        except yaml.YAMLError as exc:
            raise BaselineError(f"YAML error: {exc}", source=str(path)) from None
        finally:
            loader.dispose()
        if not isinstance(data, dict):
            raise BaselineError("not a Vale rule: expected a mapping of keys", source=str(path),
                                line=1, hint="a rule file starts like: extends: existence")
        self.data: dict[str, Any] = data
        self.nodes = {k.value: (k, v) for k, v in node.value}

    def line(self, key: str) -> int | None:
        found = self.nodes.get(key)
        return found[0].start_mark.line + 1 if found else None

    def item_lines(self, key: str) -> list[int]:
        _, value = self.nodes[key]
        return [item.start_mark.line + 1 for item in value.value]

    def key_lines(self, key: str) -> list[int]:
        _, value = self.nodes[key]
        return [k.start_mark.line + 1 for k, _ in value.value]

    def error(self, message: str, key: str, hint: str) -> BaselineError:
        return BaselineError(message, source=str(self.path), line=self.line(key) or 1,
                             key=key, hint=hint)

    def string(self, key: str, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise BaselineError(f"missing '{key}'", source=str(self.path), line=1, key=key,
                                    hint=f"a Vale rule starts like: {key}: existence")
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.error(f"expected a string, got {type(value).__name__}", key,
                             f"write it like: {key}: \"...\"")
        return str(value)

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            raise self.error(f"expected true or false, got {value!r}", key,
                             f"write it like: {key}: true")
        return value

    def strings(self, key: str) -> list[str]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(
                isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
            raise self.error("expected a list of strings", key,
                             f"write it as a YAML list:\n  {key}:\n    - first\n    - second")
        return [str(v) for v in value]

    def mapping(self, key: str) -> dict[str, str]:
        value = self.data.get(key)
        hint = f"write it as a YAML mapping:\n  {key}:\n    observed: expected"
        if value is None:
            raise self.error(f"missing '{key}'", "extends", hint)
        if not isinstance(value, dict) or not all(
                isinstance(k, str | int | float) and isinstance(v, str | int | float)
                for k, v in value.items()):
            raise self.error("expected a mapping of strings", key, hint)
        return {str(k): str(v) for k, v in value.items()}

    def checked(self, term: Term, line: int | None, key: str) -> Term:
        """``term`` once its pattern compiles; else an error at its YAML line."""
        if term.regex:
            compile_term(term, source=str(self.path), line=line, key=key)
        return term
