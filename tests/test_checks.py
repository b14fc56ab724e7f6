"""Each rule against its pass / fail texts in English and Russian (fixtures/checks/rules.toml)."""

from __future__ import annotations

import tomllib

import pytest

from auditor.checks import rule_checks, rule_docs, touchpoint_sentences
from auditor.types import Block, Locator, Touchpoint
from tests.conftest import FIXTURES

CASES = tomllib.loads((FIXTURES / "checks" / "rules.toml").read_text(encoding="utf-8"))["case"]


def _touchpoint(text: str) -> Touchpoint:
    return Touchpoint(id="t", channel="social", source="x", title="t", language="en",
                      blocks=(Block(text, "social.post", Locator("x", line=1)),))


def _rules(text: str, banned=None, preferred=None) -> list:
    tp = _touchpoint(text)
    sentences = touchpoint_sentences(tp)
    return [f for c in rule_checks(banned, preferred) for f in c.run(tp, sentences)]


def _params(kind: str):
    return [pytest.param(case["rule"], text, id=f"{case['rule']}-{kind}-{i}")
            for case in CASES for i, text in enumerate(case[kind])]


@pytest.mark.parametrize(("rule", "text"), _params("fail"))
def test_rule_flags_fail_text(rule: str, text: str) -> None:
    findings = [f for f in _rules(text) if f.rule.startswith(rule)]
    assert findings, f"{rule} missed: {text}"
    finding = findings[0]
    assert finding.evidence in text
    start, end = finding.span
    assert text[start:end].strip(), "the span points at the triggering phrase"
    assert finding.suggestion


@pytest.mark.parametrize(("rule", "text"), _params("pass"))
def test_rule_passes_clean_text(rule: str, text: str) -> None:
    assert [f.rule for f in _rules(text) if f.rule.startswith(rule)] == []


def test_respect_finding_names_the_phrase() -> None:
    (finding,) = [f for f in _rules("Only 2 hours left, act now.") if f.rule ==
                  "respect.false_urgency"]
    assert "“" in finding.message and ("2 hours left" in finding.message
                                       or "act now" in finding.message)


def test_respect_finding_quotes_and_marks_whole_words() -> None:
    # The phrase "успей" quoted half a word: False urgency: “Успей” in "Успейте подключить".
    text = "Успейте подключить, осталось 3 часа."
    (finding,) = [f for f in _rules(text) if f.rule == "respect.false_urgency"]
    assert "“Успейте”" in finding.message
    assert text[finding.span[0]:finding.span[1]] == "Успейте"


def test_terminology_matches_russian_word_forms() -> None:
    banned = {"дешёвый": "говорите «доступный»", "cheap": "say 'affordable'"}
    found = _rules("Самые дешёвые тарифы в городе. Cheap plans for all.", banned=banned)
    terms = [f for f in found if f.rule == "terms.banned"]
    assert len(terms) == 2
    assert not [f for f in _rules("Доступные тарифы.", banned=banned) if f.rule.startswith("terms")]


def test_preferred_term_suggests_the_brand_word() -> None:
    found = _rules("Our clients love it.", preferred={"clients": "customers"})
    (f,) = [f for f in found if f.rule == "terms.preferred"]
    assert "customers" in f.suggestion


def test_fingerprint_is_stable_and_distinct() -> None:
    a = _rules("Buy now! Last chance.")
    b = _rules("Buy now! Last chance.")
    assert [f.fingerprint for f in a] == [f.fingerprint for f in b]
    assert len({f.fingerprint for f in a}) == len({(f.rule, f.evidence) for f in a})


def test_every_rule_is_documented() -> None:
    docs = rule_docs()
    for case in CASES:
        assert case["rule"] in docs and docs[case["rule"]].strip()
    assert "message.off_brand" in docs


def test_respect_prefilter_agrees_with_the_phrase_list() -> None:
    # The combined pattern only skips work: it matches exactly where some listed phrase does.
    from auditor.checks import _respect_categories

    texts = [t for case in CASES for kind in ("pass", "fail") for t in case[kind]]
    texts += [p.read_text(encoding="utf-8") for p in (FIXTURES / "content").glob("*.md")]
    checked = 0
    for category in _respect_categories():
        if category.any_pattern is None:
            continue
        for text in texts:
            listed = any(p.search(text) for p in category.patterns)
            assert bool(category.any_pattern.search(text)) == listed, (category.name, text)
            checked += listed
    assert checked  # some texts do match


def test_respect_lower_case_screen_finds_what_ignorecase_finds() -> None:
    # The screen searches the lower-cased sentence without IGNORECASE; characters that
    # IGNORECASE folds differently from str.lower ("ſ" is "s", "ᲂ" is "о") keep the full search.
    from auditor.checks import _folded, _respect_categories

    assert all(c.screen is not None for c in _respect_categories() if c.any_pattern)
    for text in ["Last Chance to join", "laſt chance to join", "Последний Шанс купить",
                 "пᲂследний шанс купить", "İstanbul: last chance"]:
        assert [f.rule for f in _rules(text)] == ["respect.false_urgency"], text
    assert _folded("laſt") is None and _folded("İ") is None and _folded("ᲀ") is None
    assert _folded("Last ШАНС") == "last шанс"


def test_respect_screen_is_dropped_for_patterns_with_capitals_or_other_scripts() -> None:
    from auditor.checks import _screenable

    assert _screenable(r"(?<!\w)(?:(?:last chance)|(?:успей\w*)|(?:\d+ ₽))")
    assert not _screenable(r"(?<!\w)(?:\S+ now)")   # \S is not \s lower-cased
    assert not _screenable("(?<!\\w)(?:σας)")        # Greek: IGNORECASE folds ς to σ


def test_disguised_text_prefilter_covers_every_cyrillic_letter() -> None:
    """The obfuscation check skips sentences with no character of its Cyrillic blocks, and
    words all in them or all ASCII: that is exact only if the blocks hold every character
    named CYRILLIC and none named LATIN or GREEK."""
    import sys
    import unicodedata

    from auditor.checks import _ANY_CYRILLIC, _is_disguised

    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        name = unicodedata.name(ch, "")
        inside = _ANY_CYRILLIC.fullmatch(ch) is not None
        if name.startswith("CYRILLIC"):
            assert inside, f"U+{code:04X} {name}"
        elif name.startswith(("LATIN", "GREEK")):
            assert not inside, f"U+{code:04X} {name}"
    assert _is_disguised("пpивет") and not _is_disguised("привет")
    # A sentence whose only Cyrillic letters are outside the main block (U+1C82, U+1C83:
    # Cyrillic Extended-C) is still read.
    (finding,) = [f for f in _rules("H\u1c82w a\u1c83k") if f.rule == "respect.obfuscated"]
    assert "H\u1c82w" in finding.message and "a\u1c83k" in finding.message


def test_one_foreign_letter_in_one_word_is_a_warning_not_proof() -> None:
    # "уровнe" with a Latin "e" in a long post is more likely a typo than a spammer's trick.
    def severity(text: str) -> str:
        (finding,) = [f for f in _rules(text) if f.rule == "respect.obfuscated"]
        return finding.severity

    assert severity("Мы подняли скорость до нового уровнe.") == "warning"
    assert severity("Пaссивный доход каждый день.") == "warning"
    assert severity("Нyжны люди нa пapу чacов, oплaтa cpaзу.") == "error"
    assert severity("Ηавοркала за неделю.") == "error"  # two Greek letters in one word
