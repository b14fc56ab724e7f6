"""Terminology matching that knows word forms, in English and Russian.

A brand bans "дешёвый" and means every form of it: "дешёвые", "дешевого", "дешёвых". It
prefers "router" to "CPE" and means "CPEs" too. This module turns the baseline's term tables
(and imported Vale rules, see :mod:`auditor.vale`) into :class:`Term` values and finds them in
sentences with a :class:`TermMatcher`.

How a term matches:

* **A phrase** (one or more words): each word matches its word forms. Russian words are
  compared by lemma (pymorphy3's dictionary, shipped in the wheel, no download): "скрытые
  платежи" matches "скрытых платежей"; ё and е are the same letter. English words match
  plural, past and -ing forms ("hurry" matches "hurries", "hurried", "hurrying"; "competitors"
  matches "competitor"). Comparatives are *not* forms of the word: "дешевле" and "cheaper"
  compare prices, they don't call the product cheap; ban them explicitly if you mean them.
  The words of a phrase must follow each other, separated by spaces or hyphens ("end user",
  "end-user"). Case never matters.
* **A pattern**: a term holding a regular-expression character (``\\ [ ] ( ) { } | ? * + ^
  $``) is a Python regular expression, as in Vale: ``безлимит\\w*`` or ``free(?:bie)?s?``.
  It matches whole words (no letter or digit right before or after) and ignores case unless
  the rule says otherwise.

One finding per term per sentence, pointing at the exact words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

from auditor.errors import BaselineError
from auditor.types import Severity

TermKind = Literal["banned", "preferred"]

#: Characters that make a term a regular expression (``.`` is not one: "e.g." is a phrase).
REGEX_CHARACTERS = frozenset("\\[](){}|?*+^$")
#: Words whose base forms (and whether they may start a term) are remembered, the most
#: recent ones: a run's vocabulary grows with the run, and the words that repeat are common.
WORD_CACHE = 1 << 15

# A word: letters or digits, with inner apostrophes ("don't", "customer's").
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
# What may separate the words of a phrase in running text: spaces and hyphens.
_PHRASE_GAP = re.compile(r"[\s\-‐‑\u00ad]+")
_VOWELS = frozenset("aeiouy")
# English words ending in -s that are not plurals ("news" is not "new" + s).
_NOT_PLURAL = frozenset({
    "news", "series", "species", "means", "lens", "does", "plus", "always", "perhaps",
    "whereas", "towards", "afterwards", "besides", "sometimes", "nowadays", "physics",
    "economics", "politics", "mathematics", "analytics", "diabetes", "mumps", "chaos",
    "canvas", "atlas", "alias", "bias", "christmas", "yes", "thus", "various", "previous",
})


#: The words of ``Term.explain``, by report language.
_EXPLAIN = {
    "en": {"open": "“", "close": "”", "or": " or ", "form": " (a form of {})",
           "banned": "Banned term {}{}: {}", "says": "{}: the brand says {}.",
           "write": "Write {} instead of {}.", "rephrase": "Rephrase without {}.",
           "more": " More: {}"},
    "ru": {"open": "«", "close": "»", "or": " или ", "form": " (форма слова {})",
           "banned": "Запрещённый термин {}{}: {}", "says": "{}: бренд говорит {}.",
           "write": "Пишите {} вместо {}.", "rephrase": "Переформулируйте без {}.",
           "more": " Подробнее: {}"},
}


@dataclass(frozen=True)
class Term:
    """One terminology rule: what to look for and what to tell the writer.

    ``kind`` "banned" says the term is off-brand (``note``: why, or what to say instead);
    "preferred" says the brand uses another word (``replacement``). ``message`` is a Vale-style
    template: ``%s`` is filled with the matched words (for a substitution, with the
    replacement first and the matched words second); without one, the message is written
    from ``note`` / ``replacement``.
    """

    text: str                       # as written: "дешёвый", "скрытые платежи", r"free\w*"
    kind: TermKind
    rule: str                       # "terms.banned", "terms.preferred", "vale.Acme.Hype"
    severity: Severity
    note: str = ""                  # banned: why it is off-brand / what to say instead
    replacement: str | None = None  # preferred: the word to use ("a|b": either)
    message: str | None = None      # Vale-style template with %s
    regex: bool = False             # text is a regular expression
    ignorecase: bool = True
    exceptions: tuple[str, ...] = ()  # matched words that are fine after all (Vale)
    link: str | None = None         # where to read more (Vale's ``link``)
    whole_words: bool = True        # a pattern must not start or end inside a word

    def explain(self, found: str, language: str = "en") -> tuple[str, str]:
        """The finding's message and suggestion for the words ``found`` in the copy, in
        ``language`` ("en", "ru"); a Vale rule's message is its author's, in any language."""
        w = _EXPLAIN[language]
        words = [f"{w['open']}{x}{w['close']}" for x in (self.replacement or "").split("|")]
        use = w["or"].join(words) if self.replacement else ""
        quoted = f"{w['open']}{found}{w['close']}"
        if self.message is not None:
            plain = (self.replacement or "").replace("|", " or ")
            message = _printf(self.message, [plain, found] if self.kind == "preferred"
                              else [found])
        elif self.kind == "banned":
            form = "" if _same_words(found, self.text) or self.regex else (
                w["form"].format(f"{w['open']}{self.text}{w['close']}"))
            message = w["banned"].format(quoted, form, self.note)
        else:
            message = w["says"].format(quoted, use)
        if self.kind == "preferred" and use:
            suggestion = w["write"].format(use, quoted)
        elif self.note:
            suggestion = self.note
        else:
            suggestion = w["rephrase"].format(quoted)
        if self.link:
            suggestion += w["more"].format(self.link)
        return message, suggestion


def terms_from_tables(banned: dict[str, str], preferred: dict[str, str],
                      source: str | None = None) -> list[Term]:
    """Terms from a baseline's ``[terminology]`` tables (term → why; avoid → use).

    Raises :class:`BaselineError` naming ``source`` and the key when a pattern does not
    compile.
    """
    terms = [Term(text, "banned", "terms.banned", "warning", note=why,
                  regex=is_pattern(text)) for text, why in banned.items()]
    terms += [Term(text, "preferred", "terms.preferred", "info", replacement=use,
                   regex=is_pattern(text)) for text, use in preferred.items()]
    for term in terms:
        if term.regex:
            compile_term(term, source=source, key=f"terminology.{term.kind}.{term.text}")
    return terms


def is_pattern(term: str) -> bool:
    """True when ``term`` holds a regular-expression character and is matched as a pattern."""
    return any(ch in REGEX_CHARACTERS for ch in term)


@dataclass(frozen=True)
class TermMatch:
    """Where a term occurs in a sentence (character offsets into the sentence)."""

    term: Term
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    keys: frozenset[str]


@dataclass(frozen=True)
class _Phrase:
    term: Term
    words: tuple[frozenset[str], ...]  # keys each word of the term accepts
    gaps: tuple[str | None, ...]       # between words: None = spaces/hyphens, else literal


class TermMatcher:
    """Finds many terms in a sentence at once: the sentence is tokenised and lemmatised
    once, and only terms whose first word is in it are tried."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self.terms = tuple(terms)
        self._patterns: list[tuple[Term, re.Pattern[str]]] = []
        self._by_first_key: dict[str, list[_Phrase]] = {}
        self._starts = _Starts(self._by_first_key)
        # Russian terms need the morphological dictionary (a third of a second to load); it
        # is loaded when the first sentence with Cyrillic letters comes, not for English copy.
        self._cyrillic: list[Term] = []
        self._order = {id(term): n for n, term in enumerate(self.terms)}
        for term in self.terms:
            if term.regex:
                self._patterns.append((term, compile_term(term)))
            elif _CYRILLIC.search(term.text):
                self._cyrillic.append(term)
            else:
                self._add_phrase(term)

    def _add_phrase(self, term: Term) -> None:
        phrase = _phrase(term)
        if phrase is not None:
            for key in phrase.words[0]:
                self._by_first_key.setdefault(key, []).append(phrase)
        # Forget what words were found to start: a word may start the new term.
        self._starts = _Starts(self._by_first_key)

    def find(self, sentence: str) -> list[TermMatch]:
        """Every term found in ``sentence``, the first occurrence of each, in text order."""
        if self._cyrillic and _CYRILLIC.search(sentence):
            for term in self._cyrillic:
                self._add_phrase(term)
            self._cyrillic = []
        found: dict[int, TermMatch] = {}
        order = self._order
        # Most sentences hold no term's first word: one look-up per word says so (``_Starts``
        # remembers each word's answer), before the sentence is tokenised with positions.
        if self._by_first_key and any(map(self._starts.__getitem__, _WORD.findall(sentence))):
            tokens = _tokens(sentence)
            for i, token in enumerate(tokens):
                for key in token.keys:
                    for phrase in self._by_first_key.get(key, ()):
                        n = order[id(phrase.term)]
                        if n in found:
                            continue
                        end = _match_phrase(phrase, tokens, i, sentence)
                        if end is not None:
                            text = sentence[token.start:end]
                            if _wanted(phrase.term, text, sentence, token.start):
                                found[n] = TermMatch(phrase.term, token.start, end, text)
        for term, pattern in self._patterns:
            for match in pattern.finditer(sentence):
                text = match.group(0).strip()
                if not text:
                    continue
                start = match.start() + match.group(0).index(text)
                if not _wanted(term, text, sentence, start):
                    continue
                found[order[id(term)]] = TermMatch(term, start, start + len(text), text)
                break
        return sorted(found.values(), key=lambda m: (m.start, order[id(m.term)]))


class _Starts(dict):
    """Word -> whether it may be the first word of a term (a key of ``by_first_key``),
    worked out once per word (``__missing__``), so a sentence is checked at C speed. At
    ``limit`` words it starts again empty, so a run's vocabulary cannot grow it without
    bound (as ``word_keys`` keeps its last ``WORD_CACHE`` words)."""

    def __init__(self, by_first_key: dict[str, list[_Phrase]], limit: int = WORD_CACHE) -> None:
        super().__init__()
        self._keys = by_first_key.keys()
        self._limit = limit

    def __missing__(self, word: str) -> bool:
        if len(self) >= self._limit:
            self.clear()
        starts = self[word] = not self._keys.isdisjoint(word_keys(word))
        return starts


# ---------------------------------------------------------------------------------------------
# word forms

def fold(word: str) -> str:
    """Lower case, ё as е, typographic apostrophe as ASCII: the spelling keys compare."""
    return word.lower().replace("ё", "е").replace("’", "'")


@cache
def _morph():  # noqa: ANN202 - pymorphy3 has no type hints
    import pymorphy3  # loads its dictionary (~0.3 s) only when Russian terms are in play

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=WORD_CACHE)
def word_keys(word: str) -> frozenset[str]:
    """Every base form a word in running text may be a form of (cached per word)."""
    w = fold(word)
    if _CYRILLIC.search(w):
        keys = {w}
        for parse in _morph().parse(w):
            if "COMP" not in parse.tag:  # "дешевле" compares, it is not "дешёвый"
                keys.add(fold(parse.normal_form))
        return frozenset(keys)
    if _LATIN.search(w):
        return frozenset(english_forms(w))
    return frozenset({w})


def term_word_keys(word: str) -> frozenset[str]:
    """The base forms a term's word stands for: itself and its likeliest lemma.

    Only the likeliest parse, so "данный" (this) does not also stand for "дать" (give) and
    flag every "дали"."""
    w = fold(word)
    if _CYRILLIC.search(w):
        parses = _morph().parse(w)
        if parses and "COMP" not in parses[0].tag:
            return frozenset({w, fold(parses[0].normal_form)})
        return frozenset({w})
    if _LATIN.search(w):
        return frozenset(english_forms(w))
    return frozenset({w})


def english_forms(word: str) -> set[str]:
    """``word`` and the base forms it may inflect from: plural -s/-es/-ies, possessive 's,
    past -ed/-ied, -ing (with a doubled consonant or a dropped e undone).

    Deliberately simple: no comparatives, no derivations, stems of at least three letters.
    """
    w = word.lower().replace("’", "'")
    out = {w}
    if w.endswith("'s"):
        w = w[:-2]
        out.add(w)
    if (w.endswith("s") and len(w) > 3 and not w.endswith(("ss", "us", "is"))
            and w not in _NOT_PLURAL):
        out.add(w[:-1])
        if w.endswith("ies") and len(w) > 4:
            out.add(w[:-3] + "y")
        elif w.endswith("es") and w[:-2].endswith(("s", "x", "z", "ch", "sh", "o")):
            out.add(w[:-2])
    if w.endswith("ied") and len(w) > 4:
        out.add(w[:-3] + "y")
    elif w.endswith("ed") and len(w) > 4:
        out.update(_undo_suffix(w[:-2]))
        out.add(w[:-1])  # used -> use, agreed -> agree
    if w.endswith("ing") and len(w) > 4:
        out.update(_undo_suffix(w[:-3]))
    return out


def _undo_suffix(stem: str) -> set[str]:
    if not any(ch in _VOWELS for ch in stem):
        return set()  # "thing" is not "th" + ing
    out = {stem + "e"}  # using -> use, utilized -> utilize
    if len(stem) >= 3:
        out.add(stem)
    if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "aeioulsz":
        out.add(stem[:-1])  # stopped -> stop
    return out


def _tokens(sentence: str) -> list[_Token]:
    return [_Token(m.start(), m.end(), word_keys(m.group(0)))
            for m in _WORD.finditer(sentence)]


def _phrase(term: Term) -> _Phrase | None:
    words = list(_WORD.finditer(term.text))
    if not words:
        return None
    gaps: list[str | None] = []
    for left, right in zip(words, words[1:]):
        gap = term.text[left.end():right.start()]
        gaps.append(None if _PHRASE_GAP.fullmatch(gap) else re.sub(r"\s+", "", gap))
    return _Phrase(term, tuple(term_word_keys(w.group(0)) for w in words), tuple(gaps))


def _match_phrase(phrase: _Phrase, tokens: Sequence[_Token], first: int,
                  sentence: str) -> int | None:
    """End offset of the phrase starting at token ``first``, or None."""
    if first + len(phrase.words) > len(tokens):
        return None
    for j in range(1, len(phrase.words)):
        before, token = tokens[first + j - 1], tokens[first + j]
        if not token.keys & phrase.words[j]:
            return None
        gap = sentence[before.end:token.start]
        wanted = phrase.gaps[j - 1]
        if wanted is None:
            if not _PHRASE_GAP.fullmatch(gap):
                return None
        elif re.sub(r"\s+", "", gap) != wanted:
            return None
    return tokens[first + len(phrase.words) - 1].end


def _same_words(found: str, term: str) -> bool:
    return [fold(w) for w in _WORD.findall(found)] == [fold(w) for w in _WORD.findall(term)]


def _wanted(term: Term, text: str, sentence: str, start: int) -> bool:
    """False for a listed exception (the match itself, or a phrase around it: "Revolutionary
    Road" excuses "Revolutionary" there, as in Vale), and for a preferred term's match that
    already is the word the brand wants (swap "javascript" -> "JavaScript" must not flag
    "JavaScript")."""
    end = start + len(text)
    for exception in term.exceptions:
        if fold(text) == fold(exception):
            return False
        pattern = exception if is_pattern(exception) else re.escape(exception)
        flags = re.IGNORECASE if term.ignorecase else 0
        try:
            around = re.finditer(pattern, sentence, flags)
            if any(m.start() <= start and end <= m.end() for m in around):
                return False
        except re.error:
            continue  # a broken exception excuses nothing
    return not (term.kind == "preferred" and term.replacement and _is_replacement(term, text))


def _is_replacement(term: Term, text: str) -> bool:
    flags = re.IGNORECASE if term.ignorecase else 0
    return any(re.fullmatch(alt, text, flags) if is_pattern(alt) else (
        fold(alt) == fold(text) if term.ignorecase else alt == text)
        for alt in (term.replacement or "").split("|"))


def compile_term(term: Term, *, source: str | None = None, line: int | None = None,
                 key: str | None = None) -> re.Pattern[str]:
    """A pattern term as a compiled regular expression (whole words unless the term says
    otherwise). Raises :class:`BaselineError` naming ``source``, ``line`` and ``key`` when it
    does not compile."""
    try:
        return _compile(term.text, term.ignorecase, term.whole_words)
    except re.error as exc:
        raise BaselineError(
            f"{term.text!r} is not a valid regular expression: {exc.msg} at position "
            f"{exc.pos}", source=source, line=line, key=key,
            hint=r"terms with \ [ ] ( ) { } | ? * + ^ $ are patterns; escape a literal "
                 r"character with a backslash, e.g. \$5") from None


_GLOBAL_FLAGS = re.compile(r"^\(\?([aiLmsux]+)\)")


@lru_cache(maxsize=4096)
def _compile(text: str, ignorecase: bool, whole_words: bool) -> re.Pattern[str]:
    flags = re.IGNORECASE if ignorecase else 0
    # Vale tokens may open with "(?i)"; Python only accepts that at the very start, and the
    # token is wrapped below, so it becomes a scoped group "(?i:...)".
    leading = _GLOBAL_FLAGS.match(text)
    if leading:
        text = f"(?{leading.group(1)}:{text[leading.end():]})"
    body = f"(?:{text})"
    if whole_words:
        body = rf"(?<![^\W_]){body}(?![^\W_])"
    return re.compile(body, flags)


def _printf(template: str, values: list[str]) -> str:
    """Fill ``%s`` placeholders in order (Go's Sprintf as Vale uses it; %% is a percent)."""
    parts = re.split(r"(%%|%s)", template)
    out, it = [], iter(values)
    for part in parts:
        if part == "%s":
            out.append(next(it, ""))
        elif part == "%%":
            out.append("%")
        else:
            out.append(part)
    return "".join(out)

