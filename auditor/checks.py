"""Rule kinds are code, brand rules are data.

Each check is a small class whose docstring is its documentation (``brand-audit explain``
prints it). Checks read one touchpoint's scored blocks, sentence by sentence, and return
findings that name the sentence, the rule, why it matters and what to do instead.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from auditor.terms import Term, TermMatcher, terms_from_tables
from auditor.text import declared_language, detect_language, split_sentences
from auditor.types import Block, Finding, Severity, Touchpoint

if TYPE_CHECKING:
    from baselines import Baseline

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
    """Base class. Subclasses set ``rule``, ``title`` (and ``title_ru``, the title in
    Russian reports) and implement ``run``."""

    rule: ClassVar[str]
    title: ClassVar[str]
    title_ru: ClassVar[str]

    def run(self, touchpoint: Touchpoint, sentences: list[Sentence]) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(self, touchpoint: Touchpoint, sentence: Sentence, severity: Severity,
                message: str, suggestion: str | None, match: tuple[int, int] | None = None,
                rule: str | None = None, ru: tuple[str, str | None] | None = None) -> Finding:
        """``ru``: the message and suggestion in Russian, for reports in Russian."""
        rule = rule or self.rule
        span = (sentence.start + match[0], sentence.start + match[1]) if match else (
            sentence.start, sentence.end)
        return Finding(
            rule=rule, severity=severity, message=message, evidence=sentence.text,
            locator=sentence.block.locator, span=span, suggestion=suggestion,
            fingerprint=fingerprint(rule, touchpoint.id, sentence.text),
            translations=(("ru", *ru),) if ru else (),
        )


@dataclass(frozen=True)
class _PhraseCategory:
    name: str
    severity: Severity
    title: str
    why: str
    fix: str
    patterns: tuple[re.Pattern[str], ...]
    #: All of ``patterns`` in one: most sentences match none, and one search says so.
    any_pattern: re.Pattern[str] | None = None
    #: ``any_pattern`` without IGNORECASE, for the lower-cased sentence (``_folded``): twice
    #: as fast, and it finds whatever ``any_pattern`` finds. None unless every letter of the
    #: phrases is a lower-case English or Russian one.
    screen: re.Pattern[str] | None = None
    #: ``title``, ``why`` and ``fix`` in Russian (reports in Russian).
    ru: tuple[str, str, str] | None = None


@cache
def _respect_categories(path: Path = RULES_DIR / "respect.toml") -> tuple[_PhraseCategory, ...]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for name, table in data.items():
        phrases = [*table.get("en", []), *table.get("ru", [])]
        patterns = tuple(re.compile(rf"(?<!\w){p}", re.IGNORECASE) for p in phrases)
        source = "(?<!\\w)(?:" + "|".join(f"(?:{p})" for p in phrases) + ")"
        any_pattern = re.compile(source, re.IGNORECASE) if phrases else None
        screen = re.compile(source) if phrases and _screenable(source) else None
        ru = (table["title_ru"], table["why_ru"], table["fix_ru"]) if "title_ru" in table \
            else None
        out.append(_PhraseCategory(name, table["severity"], table["title"], table["why"],
                                   table["fix"], patterns, any_pattern, screen, ru))
    return tuple(out)


def _screenable(source: str) -> bool:
    """Whether every letter of a pattern is a lower-case English or Russian one (other
    characters having no case)."""
    return all(ch in _LOWER_EN_RU or ch.lower() == ch.upper() for ch in source)


_LOWER_EN_RU = frozenset("abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщъыьэюя")
# Characters IGNORECASE matches to one of those letters that ``str.lower`` does not turn into
# it ("ſ" is "s", "ᲀ" is "в"), and "İ", whose lower case is two characters.
_FOLDS_APART = re.compile("[\u0130\u0131\u017f\u1c80-\u1c88]")


def _folded(text: str) -> str | None:
    """``text`` in lower case when a case-sensitive search of it finds everything a
    case-insensitive search of ``text`` finds (for patterns written in lower case)."""
    return None if _FOLDS_APART.search(text) else text.lower()


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
    title_ru = "Уважение к клиенту"

    def run(self, touchpoint: Touchpoint, sentences: list[Sentence]) -> Iterator[Finding]:
        for sentence in sentences:
            folded = _folded(sentence.text)
            for category in _respect_categories():
                if category.any_pattern is None:
                    continue
                if folded is not None and category.screen is not None:
                    if not category.screen.search(folded):
                        continue
                elif not category.any_pattern.search(sentence.text):
                    continue
                # The first listed phrase that matches names the finding, as it always has.
                for pattern in category.patterns:
                    match = pattern.search(sentence.text)
                    if match:
                        span = _whole_words(sentence.text, *match.span())
                        phrase = sentence.text[span[0]:span[1]]
                        ru = category.ru
                        yield self.finding(
                            touchpoint, sentence, category.severity,
                            f"{category.title}: “{phrase}”. {category.why}",
                            category.fix, span, rule=f"respect.{category.name}",
                            ru=(f"{ru[0]}: «{phrase}». {ru[1]}", ru[2]) if ru else None)
                        break


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``..``end`` widened to whole words: a phrase written as a stem ("успей", "спеши")
    quotes and marks the word it is part of ("Успейте", "поспешите")."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return start, end


# Two or more capitalised words in a row; a lone short word is an acronym (SMS, FAQ, ТВ).
_CAPS_RUN = re.compile(r"\b[A-ZА-ЯЁ]{2,}(?:[\s,]+[A-ZА-ЯЁ]{2,})+\b")
_CAPS_BANG = re.compile(r"\b[A-ZА-ЯЁ]{3,}\s*!")  # "СРОЧНО!", "NOW!"


def _shouted(run: str) -> list[str]:
    """The words of a run of capitals, when at least two of them are words said aloud rather
    than acronyms ("LAST CHANCE", "ТОЛЬКО СЕГОДНЯ", not "GSA IT", "HTTPS URL", "МВД РФ");
    else none. An English word is one the pronouncing dictionary knows, said in fewer
    syllables than it has letters (an acronym is spelled out: "URL" is three); a Russian
    one has three letters or more, a vowel among them."""
    from auditor.readability import RUSSIAN_VOWELS, dictionary_syllables

    words = re.findall(r"[^\W\d_]+", run)
    said = 0
    for word in words:
        if _is_cyrillic(word[0]):
            said += len(word) >= 3 and not RUSSIAN_VOWELS.isdisjoint(word.lower())
        else:
            syllables = dictionary_syllables(word)
            said += syllables is not None and syllables < len(word)
    return words if said >= 2 else []


class ShoutingCheck(Check):
    """Flags shouting: words in capitals and runs of exclamation marks.

    Capitals and "!!!" read as raised voice in every channel. Acronyms are not shouting,
    alone or in a row (SMS, EBITDA, "GSA IT", "HTTPS URL", "МВД РФ"); two or more capitalised
    words said aloud in a row ("LAST CHANCE", "ТОЛЬКО СЕГОДНЯ"), a capitalised word with an
    exclamation mark, or two or more exclamation marks in a row, are.

    Example:  "ONLY TODAY!!! MEGA SALE"
    Fix:      "Today only: 20% off your first three months."
    """

    rule = "respect.shouting"
    title = "Shouting"
    title_ru = "Крик"

    def run(self, touchpoint: Touchpoint, sentences: list[Sentence]) -> Iterator[Finding]:
        for sentence in sentences:
            caps = next((words for run in _CAPS_RUN.finditer(sentence.text)
                         if (words := _shouted(run.group(0)))), [])
            if not caps and (bang := _CAPS_BANG.search(sentence.text)):
                caps = [bang.group(0).rstrip("! ")]
            bangs = re.search(r"[!?]*![!?]*!+", sentence.text)
            if caps or bangs:
                what, what_ru = [], []
                if caps:
                    what.append(f"capitals ({' '.join(caps[:4])})")
                    what_ru.append(f"заглавные буквы ({' '.join(caps[:4])})")
                if bangs:
                    what.append(f"“{bangs.group(0)}”")
                    what_ru.append(f"«{bangs.group(0)}»")
                yield self.finding(
                    touchpoint, sentence, "warning",
                    f"Shouting: {' and '.join(what)}. Capitals and repeated exclamation marks "
                    "read as a raised voice.",
                    "Write in sentence case with at most one exclamation mark; let the offer "
                    "speak for itself.", bangs.span() if bangs and not caps else None,
                    ru=(f"Крик: {' и '.join(what_ru)}. Заглавные буквы и череда "
                        "восклицательных знаков читаются как повышенный голос.",
                        "Пишите обычными буквами и ставьте не больше одного восклицательного "
                        "знака: пусть предложение говорит само за себя."))


class TerminologyCheck(Check):
    """Flags banned terms and terms the brand prefers to say differently.

    The terms come from the baseline's ``[terminology]`` table: ``banned`` (term → why or
    what to say instead) and ``preferred`` (avoid → use), plus the existence and
    substitution rules of a Vale style named by ``vale`` in brand.toml (rules
    ``vale.<Style>.<Rule>``, with Vale's level and message). Case never matters. Russian
    words match every form of the same word by dictionary lemma ("дешёвый" finds "дешёвые",
    "дешевого"; "скрытые платежи" finds "скрытых платежей"; ё = е), English words their
    plurals and tenses ("hurry" finds "hurried"). Comparatives are different words
    ("дешевле", "cheaper"). A term with regex characters is a pattern ("безлимит\\w*").

    Example:  "Cheap internet for everyone" with banned "cheap" → "say 'affordable'".
    Fix:      Use the brand's word, or say what the person gets.
    """

    rule = "terms"
    title = "Terminology"
    title_ru = "Термины"

    def __init__(self, banned: dict[str, str], preferred: dict[str, str],
                 terms: Sequence[Term] = (), source: str | None = None) -> None:
        self.matcher = TermMatcher([*terms_from_tables(banned, preferred, source), *terms])

    def run(self, touchpoint: Touchpoint, sentences: list[Sentence]) -> Iterator[Finding]:
        for sentence in sentences:
            for match in self.matcher.find(sentence.text):
                term = match.term
                message, suggestion = term.explain(match.text)
                finding = self.finding(touchpoint, sentence, term.severity, message,
                                       suggestion, (match.start, match.end), rule=term.rule,
                                       # a Vale rule's message is its author's alone
                                       ru=term.explain(match.text, "ru")
                                       if term.message is None else None)
                # Two terms in one sentence are two findings to waive or resolve separately.
                yield replace(finding, fingerprint=fingerprint(
                    term.rule, touchpoint.id, f"{sentence.text}\0{term.text}"))


class ReadabilityCheck(Check):
    """Flags copy harder to read than the brand's approved copy (a warning), or choppier
    than it (information only).

    Measures Flesch reading ease in the touchpoint's language (English: the classic formula;
    Russian: Oborneva's constants, syllables as vowel letters; German, Spanish, French,
    Italian and Dutch: their own constants, syllables by hyphenation; no other language is
    given a Flesch score) over its prose sentences (three words or more), when it has at
    least 40 words of them. The target is the baseline's ``[readability] range``, or else
    the range the brand's own approved copy spans in that language (10th to 90th percentile
    of its exemplar files). Below the range is a warning naming the longest sentence; above
    it, only copy in clipped fragments (under 8 words a sentence on average) is noted, as
    information.

    Example:  "Pursuant to the provisions of the subscriber agreement, the termination of
              services necessitates the submission of a written notification ..." (Flesch 5)
    Fix:      Short sentences and everyday words: "To cancel, write to us. We stop the
              service the same day."
    """

    rule = "readability"
    title = "Readability"
    title_ru = "Читаемость"

    def __init__(self, ranges: Mapping[str, tuple[float, float]], learned: bool = False
                 ) -> None:
        """``ranges``: language → (low, high) Flesch; the key "*" applies to every language."""
        self.ranges = dict(ranges)
        self.learned = learned

    def run(self, touchpoint: Touchpoint, sentences: list[Sentence]) -> Iterator[Finding]:
        from auditor import readability

        found = [(s, words) for s in sentences
                 if len(words := readability.words_of(s.text)) >= readability.PROSE_MIN_WORDS]
        if not found:
            return
        prose, words = [s for s, _ in found], [w for _, w in found]
        # The language the touchpoint was collected with; identified here only when it
        # declares none (a touchpoint made without a collector).
        language = declared_language(touchpoint.language) \
            or detect_language(" ".join(s.text for s in prose))
        target = self.ranges.get(language, self.ranges.get("*"))
        if target is None:
            return
        result = readability.measure_words(words, language)
        if result.flesch is None or result.words < readability.MIN_WORDS:
            return
        low, high = target
        clipped = result.avg_sentence_words < CLIPPED_SENTENCE_WORDS
        if low <= result.flesch and (result.flesch <= high or not clipped):
            return  # above the range only clipped copy is noted: plain words never hurt
        lengths = [len(w) for w in words]
        brand = (f"the brand's approved {_LANGUAGE_NAMES.get(result.language, result.language)}"
                 f" copy scores between {low:.0f} and {high:.0f}" if self.learned
                 else f"the brand writes between {low:.0f} and {high:.0f}")
        brand_ru = (f"одобренные тексты бренда на "
                    f"{_LANGUAGE_NAMES_RU.get(result.language, result.language)} набирают от "
                    f"{low:.0f} до {high:.0f}" if self.learned
                    else f"бренд пишет в пределах от {low:.0f} до {high:.0f}")
        long_share = 100 * result.long_words / result.words
        if result.flesch < low:
            severity: Severity = "warning"
            worst = prose[lengths.index(max(lengths))]
            sentences_are = ("long sentences" if result.avg_sentence_words >= 20
                             else "sentences")
            message = (f"Harder to read than the brand's copy: Flesch {result.flesch:.0f}, "
                       f"{brand}; {sentences_are} of {result.avg_sentence_words:.0f} words on "
                       f"average, {long_share:.0f}% of words longer than six letters.")
            suggestion = (f"Split long sentences (this one has {max(lengths)} words; aim for "
                          "under 20) and prefer short, everyday words.")
            ru = (f"Читается труднее, чем тексты бренда: Флеш {result.flesch:.0f}, {brand_ru}; "
                  f"средняя длина предложения в словах: {result.avg_sentence_words:.0f}, "
                  f"слов длиннее шести букв: {long_share:.0f}%.",
                  f"Разбейте длинные предложения (слов в этом: {max(lengths)}; лучше меньше "
                  "20) и выбирайте короткие, обычные слова.")
        else:
            # Easier than the brand's range is a nudge, not a problem: plain copy never hurts
            # a reader, clipped slogans only sound unlike the brand.
            severity = "info"
            worst = prose[lengths.index(min(lengths))]
            message = (f"Choppier than the brand's copy: Flesch {result.flesch:.0f}, {brand}; "
                       f"short sentences of {result.avg_sentence_words:.0f} words on average.")
            suggestion = ("Join clipped fragments into whole sentences that say what the "
                          "person gets and why.")
            ru = (f"Рубленее, чем тексты бренда: Флеш {result.flesch:.0f}, {brand_ru}; "
                  f"короткие предложения, средняя длина в словах: "
                  f"{result.avg_sentence_words:.0f}.",
                  "Соберите обрывки в цельные предложения: что человек получает и зачем.")
        yield self.finding(touchpoint, worst, severity, message, suggestion, ru=ru)


class ObfuscationCheck(Check):
    """Flags disguised text: letters of another alphabet hidden inside words.

    Spammers write "Нyжны люди" with a Latin "y", or "Ηавοркала" with Greek letters, so
    filters miss the words. Customers and platforms read it as spam. A word counts as
    disguised when it mixes Cyrillic with Latin or Greek letters and is not a known mixed form
    (a hyphenated "iPhone-ом" is fine); two such words, or one of four letters or more, are
    flagged: an error, or a warning when it is one word with one foreign letter ("уровнe" may
    be a typo). A word whose only foreign letter is its first ("cудьбу", typed before the
    keyboard layout switched) is a typo, and a Latin "ë" is how many people type "ё".

    Example:  "Ищем нa зaвтpa 2 гpyзчикa, oплaтa cpaзy"
    Fix:      write every word in one alphabet.
    """

    rule = "respect.obfuscated"
    title = "Disguised text"
    title_ru = "Замаскированный текст"

    def run(self, touchpoint: Touchpoint, sentences: list[Sentence]) -> Iterator[Finding]:
        for sentence in sentences:
            if not _ANY_CYRILLIC.search(sentence.text):
                continue  # every disguised word holds a Cyrillic letter
            mixed = [m for m in _WORD.finditer(sentence.text)
                     if not _ONE_ALPHABET.fullmatch(m.group(0)) and _is_disguised(m.group(0))]
            if len(mixed) >= 2 or (mixed and len(mixed[0].group(0)) >= 4):
                words = ", ".join(f"“{m.group(0)}”" for m in mixed[:3])
                words_ru = ", ".join(f"«{m.group(0)}»" for m in mixed[:3])
                # One letter in one word may be a typo ("уровнe"): worth a look, not proof.
                lone = len(mixed) == 1 and _foreign_letters(mixed[0].group(0)) == 1
                yield self.finding(
                    touchpoint, sentence, "warning" if lone else "error",
                    f"Disguised text: {words} mix letters of two alphabets, a spammer's trick to "
                    "slip past filters.",
                    "Write every word in one alphabet; if a filter blocks the message, the "
                    "message is the problem.", mixed[0].span(),
                    ru=(f"Замаскированный текст: в словах {words_ru} смешаны буквы двух "
                        "алфавитов — приём спамеров, чтобы обойти фильтры.",
                        "Пишите каждое слово одним алфавитом; если фильтр блокирует "
                        "сообщение, дело в самом сообщении."))
                return


_WORD = re.compile(r"[^\W\d_]+")
# The Unicode blocks of every character named CYRILLIC (and of no LATIN or GREEK one): a
# sentence without one cannot hold a disguised word, nor can a word all in them or all ASCII.
_CYRILLIC_BLOCKS = "\u0400-\u052f\u1c80-\u1c8f\u1d2b\u2de0-\u2dff\ua640-\ua69f"
_ANY_CYRILLIC = re.compile(f"[{_CYRILLIC_BLOCKS}]")
_ONE_ALPHABET = re.compile(f"[{_CYRILLIC_BLOCKS}]+|[\\x00-\\x7f]+")
_LATIN_YO = frozenset("\u00eb\u00cb")  # ë Ë


def _is_disguised(word: str) -> bool:
    """Whether ``word`` mixes Latin or Greek letters into Cyrillic ones, other than a typo."""
    foreign = _foreign_letters(word)
    if foreign == 1 and not _is_cyrillic(word[0]):
        return False  # "cудьбу": the first letter typed before the keyboard layout switched
    return foreign > 0


def _foreign_letters(word: str) -> int:
    """How many Latin or Greek letters ``word`` mixes into Cyrillic ones (0: none, or no
    Cyrillic letter to mix them into)."""
    cyrillic = foreign = 0
    for ch in word:
        if ch in _LATIN_YO:
            continue  # "приобрëл": how many people type "ё", not a disguise
        name = unicodedata.name(ch, "")
        if name.startswith("CYRILLIC"):
            cyrillic += 1
        elif name.startswith(("LATIN", "GREEK")):
            foreign += 1
    return foreign if cyrillic else 0


def _is_cyrillic(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("CYRILLIC")


_LANGUAGE_NAMES = {"en": "English", "ru": "Russian", "de": "German", "es": "Spanish",
                   "fr": "French", "it": "Italian", "nl": "Dutch"}
_LANGUAGE_NAMES_RU = {"en": "английском", "ru": "русском", "de": "немецком",
                      "es": "испанском", "fr": "французском", "it": "итальянском",
                      "nl": "нидерландском"}
#: Copy above the readability range is noted only when its sentences are this short on
#: average: slogans and fragments, not merely plain words.
CLIPPED_SENTENCE_WORDS = 8


def rule_checks(banned: dict[str, str] | None = None,
                preferred: dict[str, str] | None = None, *,
                baseline: Baseline | None = None) -> list[Check]:
    """The rule-based checks that run on every touchpoint (no embeddings needed).

    With ``baseline``, its terms (unless ``banned`` / ``preferred`` are given), its Vale
    style and its readability range (or the one learned from its exemplars) are used too.
    Raises :class:`auditor.errors.BaselineError` for a broken term pattern or Vale rule.
    """
    checks: list[Check] = [RespectCheck(), ShoutingCheck(), ObfuscationCheck()]
    terms: list[Term] = []
    source = None
    if baseline is not None:
        from auditor.readability import learn_range
        from auditor.vale import load_vale_style

        source = str(baseline.root / "brand.toml")
        banned = dict(baseline.banned_terms) if banned is None else banned
        preferred = dict(baseline.preferred_terms) if preferred is None else preferred
        if baseline.vale is not None:
            terms = list(load_vale_style(baseline.vale).terms)
    if banned or preferred or terms:
        checks.append(TerminologyCheck(dict(banned or {}), dict(preferred or {}), terms,
                                       source))
    if baseline is not None:
        if baseline.readability is not None:
            checks.append(ReadabilityCheck({"*": baseline.readability}))
        else:
            learned = learn_range(baseline)
            if learned:
                checks.append(ReadabilityCheck(learned, learned=True))
    return checks


def rule_docs() -> dict[str, str]:
    """Rule name → documentation, for ``brand-audit explain``."""
    from auditor import scoring

    docs = {c.rule: (c.__doc__ or "").strip() for c in (RespectCheck, ShoutingCheck,
                                                         TerminologyCheck, ReadabilityCheck)}
    for category in _respect_categories():
        if not category.patterns:
            continue  # detected in code; documented by its class below
        docs[f"respect.{category.name}"] = (
            f"{category.title}. {category.why}\nFix: {category.fix}\n\n{RespectCheck.__doc__}")
    docs[ObfuscationCheck.rule] = (ObfuscationCheck.__doc__ or "").strip()
    docs["terms.banned"] = docs["terms.preferred"] = docs["terms"]
    from auditor import vale

    docs["vale"] = ("A rule from the brand's own Vale style (vale.<Style>.<Rule>): a word or "
                    "phrase the style bans or replaces; the finding quotes the rule's message."
                    "\n\n" + (vale.__doc__ or "").strip())
    docs.update(scoring.rule_docs())
    from auditor import tone

    docs.update(tone.rule_docs())
    return docs


def rule_titles() -> dict[str, dict[str, str]]:
    """Rule name → its title by report language (``{"en": ..., "ru": ...}``), for reports
    that name rules to people (the Agents table, the rule filter). A brand's own Vale rules
    have none: their name is their title."""
    from auditor import scoring, tone

    titles = {c.rule: {"en": c.title, "ru": c.title_ru}
              for c in (ShoutingCheck, ReadabilityCheck, ObfuscationCheck)}
    for category in _respect_categories():
        titles[f"respect.{category.name}"] = {
            "en": category.title, **({"ru": category.ru[0]} if category.ru else {})}
    titles["terms.banned"] = {"en": "Banned term", "ru": "Запрещённый термин"}
    titles["terms.preferred"] = {"en": "Preferred term", "ru": "Предпочтительный термин"}
    titles.update(scoring.rule_titles())
    titles.update(tone.rule_titles())
    return titles


def rule_doc(rule: str, docs: dict[str, str] | None = None) -> str | None:
    """The documentation of ``rule``, or of the family it belongs to: a brand's own rules
    are named under their kind (``vale.Sosna.Jargon`` is a ``vale`` rule)."""
    docs = rule_docs() if docs is None else docs
    parts = rule.split(".")
    for n in range(len(parts), 0, -1):
        doc = docs.get(".".join(parts[:n]))
        if doc is not None:
            return doc
    return None
