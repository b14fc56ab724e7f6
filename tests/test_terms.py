"""Terminology with word forms: each term against pass / fail texts in English and Russian
(fixtures/terms/cases.toml), plus the findings' wording, spans and rule names."""

from __future__ import annotations

import tomllib

import pytest

from auditor.checks import TerminologyCheck, rule_checks, touchpoint_sentences
from auditor.errors import BaselineError
from auditor.terms import Term, TermMatcher, english_forms, terms_from_tables, word_keys
from auditor.types import Block, Locator, Touchpoint
from tests.conftest import FIXTURES

DATA = tomllib.loads((FIXTURES / "terms" / "cases.toml").read_text(encoding="utf-8"))
BANNED, PREFERRED = DATA["banned"], DATA["preferred"]


def _touchpoint(text: str, tp_id: str = "t") -> Touchpoint:
    return Touchpoint(id=tp_id, channel="web", source="x", title="t", language="en",
                      blocks=(Block(f"Intro line. {text}", "web.p", Locator("x", line=1)),))


def _findings(text: str) -> list:
    tp = _touchpoint(text)
    check = TerminologyCheck(BANNED, PREFERRED)
    return list(check.run(tp, touchpoint_sentences(tp)))


def _cases(kind: str) -> list:
    return [pytest.param(case["term"], item, id=f"{case['term']}-{kind}-{n}")
            for case in DATA["case"] for n, item in enumerate(case[kind])]


@pytest.mark.parametrize(("term", "item"), _cases("fail"))
def test_term_flags_its_word_forms(term: str, item: dict) -> None:
    tp = _touchpoint(item["text"])
    block_text = tp.blocks[0].text
    hits = [f for f in _findings(item["text"]) if f"“{item['match']}”" in f.message]
    assert hits, f"{term!r} missed {item['match']!r} in {item['text']!r}"
    finding = hits[0]
    start, end = finding.span
    assert block_text[start:end] == item["match"], "the span points at the exact words"
    assert finding.rule == ("terms.banned" if term in BANNED else "terms.preferred")
    assert finding.suggestion
    if term in BANNED:
        assert BANNED[term] in finding.message and finding.severity == "warning"
    else:
        assert f"“{PREFERRED[term]}”" in finding.suggestion and finding.severity == "info"


@pytest.mark.parametrize(("term", "text"), _cases("pass"))
def test_term_leaves_other_words_alone(term: str, text: str) -> None:
    # Only this case's term must stay silent; another term may legitimately fire.
    matcher = TermMatcher([t for t in terms_from_tables(BANNED, PREFERRED) if t.text == term])
    assert matcher.find(text) == []


def test_banned_finding_says_which_term_a_form_belongs_to() -> None:
    (finding,) = _findings("Самые дешёвые тарифы.")
    assert finding.message.startswith("Banned term “дешёвые” (a form of “дешёвый”): звучит")
    (exact,) = _findings("Cheap plans.")
    assert exact.message.startswith("Banned term “Cheap”: sounds")


def test_preferred_finding_names_the_brand_word() -> None:
    (finding,) = _findings("Абонентам доступна поддержка.")
    assert finding.message == "“Абонентам”: the brand says “вы”."
    assert finding.suggestion == "Write “вы” instead of “Абонентам”."


def test_two_terms_in_one_sentence_are_two_findings_with_distinct_fingerprints() -> None:
    found = _findings("Cheap plans for every customer, hurry.")
    assert [f.rule for f in found] == ["terms.banned", "terms.preferred", "terms.banned"]
    assert len({f.fingerprint for f in found}) == 3
    again = _findings("Cheap plans for every customer, hurry.")
    assert [f.fingerprint for f in found] == [f.fingerprint for f in again]


def test_one_finding_per_term_per_sentence() -> None:
    found = _findings("Cheap, cheap, cheap plans.")
    assert len(found) == 1 and found[0].span[0] == len("Intro line. ")


def test_lemmas_fold_yo_and_skip_comparatives() -> None:
    assert "дешевый" in word_keys("дешёвые") and "дешевый" in word_keys("ДЕШЕВОГО")
    assert "дешевый" not in word_keys("дешевле")  # pymorphy3 calls it COMP of "дешёвый"
    assert {"платеж"} <= word_keys("платежей")


def test_english_forms_are_conservative() -> None:
    assert {"hurry"} <= english_forms("hurried") and {"use"} <= english_forms("using")
    assert {"stop"} <= english_forms("stopped") and {"competitor"} <= english_forms(
        "competitors")
    assert "new" not in english_forms("news") and "us" not in english_forms("used")
    assert "the" not in english_forms("thing") and "cheap" not in english_forms("cheaper")


def test_broken_pattern_names_the_key() -> None:
    with pytest.raises(BaselineError) as err:
        terms_from_tables({"free(bie": "no"}, {}, source="brand.toml")
    text = str(err.value)
    assert "brand.toml" in text and "terminology.banned.free(bie" in text
    assert "not a valid regular expression" in text and "escape" in text


def test_vale_inline_flags_are_accepted() -> None:
    term = Term("(?i)wifi", "banned", "vale.X.Y", "info", regex=True, ignorecase=False)
    assert [m.text for m in TermMatcher([term]).find("Free WiFi here.")] == ["WiFi"]


def test_rule_checks_keeps_its_old_signature() -> None:
    tp = _touchpoint("Cheap plans.")
    checks = rule_checks({"cheap": "say affordable"}, None)
    found = [f for c in checks for f in c.run(tp, touchpoint_sentences(tp))]
    assert [f.rule for f in found] == ["terms.banned"]


def test_many_touchpoints_lemmatise_each_word_once() -> None:
    word_keys.cache_clear()
    check = TerminologyCheck(BANNED, PREFERRED)
    text = "Никаких скрытых платежей: абонентам доступна поддержка. Cheap customers hurry."
    for n in range(300):
        tp = _touchpoint(text, tp_id=str(n))
        assert len(list(check.run(tp, touchpoint_sentences(tp)))) == 5
    info = word_keys.cache_info()
    assert info.misses <= 20 and info.hits > 1000


def test_a_word_seen_before_russian_terms_load_may_start_one_of_them() -> None:
    # Russian terms join the matcher at the first Cyrillic sentence; a Latin word already
    # judged "starts no term" before then may start one of them ("Wi-Fi роутер").
    matcher = TermMatcher([Term("cheap", "banned", "terms.banned", "warning"),
                           Term("Wi-Fi роутер", "banned", "terms.banned", "warning",
                                note="say «роутер»")])
    assert matcher.find("Our Wi-Fi is fast.") == []
    (found,) = matcher.find("Наш Wi-Fi роутер быстрый.")
    assert found.text == "Wi-Fi роутер"


def test_a_term_is_explained_in_english_and_in_russian_alike():
    banned, preferred = terms_from_tables({"дешёвый": "say 'affordable'"},
                                          {"clients": "customers|people"})
    assert banned.explain("дешёвые") == (
        "Banned term “дешёвые” (a form of “дешёвый”): say 'affordable'", "say 'affordable'")
    assert banned.explain("дешёвые", "ru") == (
        "Запрещённый термин «дешёвые» (форма слова «дешёвый»): say 'affordable'",
        "say 'affordable'")
    assert preferred.explain("clients") == (
        "“clients”: the brand says “customers” or “people”.",
        "Write “customers” or “people” instead of “clients”.")
    assert preferred.explain("clients", "ru") == (
        "«clients»: бренд говорит «customers» или «people».",
        "Пишите «customers» или «people» вместо «clients».")
    vale = Term("leverage", "preferred", "vale.Acme.Words", "warning", replacement="use",
                message="Use '%s' instead of '%s'.")
    assert vale.explain("leverage") == (
        "Use 'use' instead of 'leverage'.", "Write “use” instead of “leverage”.")
    assert vale.explain("leverage", "ru")[0] == "Use 'use' instead of 'leverage'."  # its author's


def test_the_first_word_memo_is_capped_and_still_answers() -> None:
    """The memo of which words may start a term holds at most its limit of words, however
    large the run's vocabulary, and answers the same after it starts again."""
    from auditor.terms import _Starts

    starts = _Starts({"тариф": [], "fee": []}, limit=3)
    words = ["тарифы", "hello", "fees", "world", "тарифом", "again", "fee"]
    answers = [starts[w] for w in words]
    assert answers == [True, False, True, False, True, False, True]
    assert len(starts) <= 3
