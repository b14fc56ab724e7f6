"""Rule kinds are code, brand rules are data.

Each check is a small class whose docstring is its documentation (``brand-audit explain``
prints it). Checks read one touchpoint's scored blocks, sentence by sentence, and return
findings that name the sentence, the rule, why it matters and what to do instead.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import ClassVar

from auditor.text import split_sentences
from auditor.types import Block, Finding, Severity, Touchpoint

RULES_DIR = Path(__file__).resolve().parent.parent / "baselines" / "rules"


@dataclass(frozen=True)
class Sentence:
    """A sentence of a scored block, with where it sits in the block's text."""

    text: str
    block: Block
    start: int
    end: int


def touchpoint_sentences(touchpoint: Touchpoint) -> list[Sentence]:
    """Every sentence of the copy that counts as brand copy, in order."""
    out = []
    for block in touchpoint.scored_blocks:
        for start, end in split_sentences(block.text):
            out.append(Sentence(block.text[start:end], block, start, end))
    return out


def fingerprint(rule: str, touchpoint_id: str, evidence: str) -> str:
    """Stable identity of a finding across runs (for new / resolved and waivers)."""
    norm = re.sub(r"\s+", " ", evidence.strip().lower())
    return hashlib.sha1(f"{rule}\0{touchpoint_id}\0{norm}".encode()).hexdigest()[:16]


class Check:
    """Base class. Subclasses set ``rule``, ``title`` and implement ``run``."""

    rule: ClassVar[str]
    title: ClassVar[str]

    def run(self, touchpoint: Touchpoint, sentences: list[Sentence]) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(self, touchpoint: Touchpoint, sentence: Sentence, severity: Severity,
                message: str, suggestion: str | None, match: tuple[int, int] | None = None,
                rule: str | None = None) -> Finding:
        rule = rule or self.rule
        span = (sentence.start + match[0], sentence.start + match[1]) if match else (
            sentence.start, sentence.end)
        return Finding(
            rule=rule, severity=severity, message=message, evidence=sentence.text,
            locator=sentence.block.locator, span=span, suggestion=suggestion,
            fingerprint=fingerprint(rule, touchpoint.id, sentence.text),
        )


@dataclass(frozen=True)
class _PhraseCategory:
    name: str
    severity: Severity
    title: str
    why: str
    fix: str
    patterns: tuple[re.Pattern[str], ...]


@cache
def _respect_categories(path: Path = RULES_DIR / "respect.toml") -> tuple[_PhraseCategory, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for name, table in data.items():
        phrases = [*table.get("en", []), *table.get("ru", [])]
        patterns = tuple(re.compile(rf"(?<!\w){p}", re.IGNORECASE) for p in phrases)
        out.append(_PhraseCategory(name, table["severity"], table["title"], table["why"],
                                   table["fix"], patterns))
    return tuple(out)


class RespectCheck(Check):
    """Flags copy that pressures, rushes, guilt-trips, brushes off or spams the customer.

    Looks for: false urgency ("last chance", "only 2 hours left", "успейте"), pressure to buy
    ("buy now", "what are you waiting for", "купите прямо сейчас"), guilt-tripping
    ("you'll regret it", "пожалеете"), rudeness ("not my problem", "read the contract",
    "сами виноваты") and spam-style offers ("earn $500 a day", "заработок без вложений").
    Runs on every channel whatever the baseline says, and always names the phrase.

    Example:  "LAST CHANCE!!! Only 2 hours left, don't miss out."
    Fix:      "Our autumn price is available until 30 November. Compare plans at your own pace."
    """

    rule = "respect"
    title = "Respect for the customer"

    def run(self, touchpoint: Touchpoint, sentences: list[Sentence]) -> Iterator[Finding]:
        for sentence in sentences:
            for category in _respect_categories():
                for pattern in category.patterns:
                    match = pattern.search(sentence.text)
                    if match:
                        phrase = match.group(0)
                        yield self.finding(
                            touchpoint, sentence, category.severity,
                            f"{category.title}: “{phrase}”. {category.why}",
                            category.fix, match.span(), rule=f"respect.{category.name}")
                        break


# Two or more capitalised words in a row; a lone short word is an acronym (SMS, FAQ, ТВ).
_CAPS_RUN = re.compile(r"\b[A-ZА-ЯЁ]{2,}(?:[\s,]+[A-ZА-ЯЁ]{2,})+\b")
_CAPS_BANG = re.compile(r"\b[A-ZА-ЯЁ]{3,}\s*!")  # "СРОЧНО!", "NOW!"


class ShoutingCheck(Check):
    """Flags shouting: words in capitals and runs of exclamation marks.

    Capitals and "!!!" read as raised voice in every channel. A lone short acronym (SMS,
    FAQ, EBITDA) is not shouting; two or more capitalised words in a row, a capitalised word
    with an exclamation mark, or two or more exclamation marks in a row, are.

    Example:  "ONLY TODAY!!! MEGA SALE"
    Fix:      "Today only: 20% off your first three months."
    """

    rule = "respect.shouting"
    title = "Shouting"

    def run(self, touchpoint: Touchpoint, sentences: list[Sentence]) -> Iterator[Finding]:
        for sentence in sentences:
            run = _CAPS_RUN.search(sentence.text) or _CAPS_BANG.search(sentence.text)
            caps = re.findall(r"[^\W\d_]+", run.group(0)) if run else []
            bangs = re.search(r"[!?]*![!?]*!+", sentence.text)
            if caps or bangs:
                what = []
                if caps:
                    what.append(f"capitals ({' '.join(caps[:4])})")
                if bangs:
                    what.append(f"“{bangs.group(0)}”")
                yield self.finding(
                    touchpoint, sentence, "warning",
                    f"Shouting: {' and '.join(what)}. Capitals and repeated exclamation marks "
                    "read as a raised voice.",
                    "Write in sentence case with at most one exclamation mark; let the offer "
                    "speak for itself.", bangs.span() if bangs and not caps else None)


class TerminologyCheck(Check):
    """Flags banned terms and terms the brand prefers to say differently.

    The terms come from the baseline's ``[terminology]`` table: ``banned`` (term → why or
    what to say instead) and ``preferred`` (avoid → use). Matching ignores case and, for
    words of five letters or more, accepts other endings of the same word ("дешёвый",
    "дешёвые"), so Russian word forms are caught.

    Example:  "Cheap internet for everyone" with banned "cheap" → "say 'affordable'".
    """

    rule = "terms"
    title = "Terminology"

    def __init__(self, banned: dict[str, str], preferred: dict[str, str]) -> None:
        self.banned = [(t, _term_pattern(t), why) for t, why in banned.items()]
        self.preferred = [(t, _term_pattern(t), use) for t, use in preferred.items()]

    def run(self, touchpoint: Touchpoint, sentences: list[Sentence]) -> Iterator[Finding]:
        for sentence in sentences:
            for _term, pattern, why in self.banned:
                match = pattern.search(sentence.text)
                if match:
                    yield self.finding(touchpoint, sentence, "warning",
                                       f"Banned term “{match.group(0)}”: {why}", why,
                                       match.span(), rule="terms.banned")
            for _term, pattern, use in self.preferred:
                match = pattern.search(sentence.text)
                if match:
                    yield self.finding(touchpoint, sentence, "info",
                                       f"“{match.group(0)}”: the brand says “{use}”.",
                                       f"Write “{use}” instead of “{match.group(0)}”.",
                                       match.span(), rule="terms.preferred")


def _term_pattern(term: str) -> re.Pattern[str]:
    words = term.split()
    parts = []
    for word in words:
        if len(word) >= 5 and word.isalpha():
            parts.append(re.escape(word[: max(4, len(word) - 2)]) + r"\w*")
        else:
            parts.append(re.escape(word))
    return re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)", re.IGNORECASE)


def rule_checks(banned: dict[str, str] | None = None,
                preferred: dict[str, str] | None = None) -> list[Check]:
    """The rule-based checks that run on every touchpoint (no embeddings needed)."""
    checks: list[Check] = [RespectCheck(), ShoutingCheck()]
    if banned or preferred:
        checks.append(TerminologyCheck(dict(banned or {}), dict(preferred or {})))
    return checks


def rule_docs() -> dict[str, str]:
    """Rule name → documentation, for ``brand-audit explain``."""
    from auditor import scoring

    docs = {c.rule: (c.__doc__ or "").strip() for c in (RespectCheck, ShoutingCheck,
                                                         TerminologyCheck)}
    for category in _respect_categories():
        docs[f"respect.{category.name}"] = (
            f"{category.title}. {category.why}\nFix: {category.fix}\n\n{RespectCheck.__doc__}")
    docs["terms.banned"] = docs["terms.preferred"] = docs["terms"]
    docs.update(scoring.rule_docs())
    return docs
