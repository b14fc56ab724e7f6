"""Vale style import: existence and substitution rules become terminology findings with
Vale's level and message; other kinds are skipped with a note; broken files name file and
line (fixtures/vale/)."""

from __future__ import annotations

import pytest

from auditor.checks import TerminologyCheck, rule_checks, touchpoint_sentences
from auditor.errors import BaselineError
from auditor.types import Block, Locator, Touchpoint
from auditor.vale import load_vale_style
from baselines import load_baseline
from tests.conftest import FIXTURES

VALE = FIXTURES / "vale"


def _findings(text: str, checks=None) -> list:
    tp = Touchpoint(id="t", channel="web", source="x", title="t", language="en",
                    blocks=(Block(text, "web.p", Locator("x")),))
    if checks is None:
        checks = [TerminologyCheck({}, {}, load_vale_style(VALE / "Acme").terms)]
    return [f for c in checks for f in c.run(tp, touchpoint_sentences(tp))]


def test_style_reads_existence_and_substitution_and_notes_the_rest() -> None:
    style = load_vale_style(VALE / "Acme")
    assert style.name == "Acme"
    assert style.rules == ("vale.Acme.Brand", "vale.Acme.Hype", "vale.Acme.Jargon",
                           "vale.Acme.Spam")
    assert "revolutionary" in style.banned and style.preferred["utilize"] == "use"
    assert style.preferred["end user"] == "you|the customer"
    notes = "\n".join(style.notes)
    assert "vale.Acme.SentenceLength: 'extends: occurrence'" in notes
    assert "vale.Acme.Headings: 'extends: capitalization'" in notes


@pytest.mark.parametrize(("text", "rule", "severity", "message", "match"), [
    ("A revolutionary router.", "vale.Acme.Hype", "warning",
     "Avoid 'revolutionary': it is hype, say what the person gets.", "revolutionary"),
    ("Best-in-class support.", "vale.Acme.Hype", "warning",
     "Avoid 'Best-in-class': it is hype, say what the person gets.", "Best-in-class"),
    ("Революционные тарифы для дома.", "vale.Acme.Hype", "warning",
     "Avoid 'Революционные': it is hype, say what the person gets.", "Революционные"),
    ("Поддержка мирового уровня.", "vale.Acme.Hype", "warning",
     "Avoid 'мирового уровня': it is hype, say what the person gets.", "мирового уровня"),
    ("We utilized fibre.", "vale.Acme.Jargon", "error",
     "Use 'use' instead of 'utilized'.", "utilized"),
    ("Every end user gets a router.", "vale.Acme.Jargon", "error",
     "Use 'you or the customer' instead of 'end user'.", "end user"),
    ("Мы осуществляем подключение.", "vale.Acme.Jargon", "error",
     "Use 'делать' instead of 'осуществляем'.", "осуществляем"),
    ("Возврат денежных средств за день.", "vale.Acme.Jargon", "error",
     "Use 'деньги' instead of 'денежных средств'.", "денежных средств"),
    ("Free WiFi in every room.", "vale.Acme.Brand", "info",
     "Write 'Wi-Fi', not 'WiFi'.", "WiFi"),
    ("Earn $500 a day from home.", "vale.Acme.Spam", "error",
     "'$500 a day' reads like spam.", "$500 a day"),
])
def test_vale_rule_fires_with_its_level_and_message(text, rule, severity, message, match
                                                     ) -> None:
    hits = [f for f in _findings(text) if f.rule == rule]
    assert hits, f"{rule} missed {text!r}"
    finding = hits[0]
    assert (finding.severity, finding.message) == (severity, message)
    assert text[finding.span[0]:finding.span[1]] == match
    assert finding.suggestion


@pytest.mark.parametrize("text", [
    "You get fast internet at a fair price.",
    "Revolutionary Road is a novel.",         # an exception in Hype.yml
    "Free Wi-Fi in every room.",              # already the brand's spelling
    "Free wifi in every room.",               # Brand.yml is case-sensitive, as in Vale
    "Мы делаем подключение бесплатно.",
    "We earn your trust every day.",
])
def test_vale_rules_pass_clean_text(text: str) -> None:
    assert _findings(text) == []


def test_existence_suggestion_carries_description_and_link() -> None:
    (finding,) = _findings("A world-class team.")
    assert finding.suggestion == ("Say what the person gets instead, in plain words. "
                                  "More: https://example.org/style/hype")


def test_baseline_vale_key_feeds_rule_checks() -> None:
    baseline = load_baseline(VALE / "baseline")
    assert baseline.vale == (VALE / "Acme").resolve()
    rules = [f.rule for f in _findings("Cheap and revolutionary plans for every end user.",
                                       rule_checks(baseline=baseline))]
    assert rules == ["terms.banned", "vale.Acme.Hype", "vale.Acme.Jargon"]


def test_baseline_with_missing_vale_folder_names_line_and_key() -> None:
    with pytest.raises(BaselineError) as err:
        load_baseline(VALE / "broken" / "baseline_missing")
    assert err.value.line == 3 and err.value.key == "vale"
    assert "brand.toml" in str(err.value) and "not found" in str(err.value)


@pytest.mark.parametrize(("case", "line", "words"), [
    ("syntax", 5, ["YAML syntax error"]),
    ("level", 3, ["'critical' is not a Vale level", "suggestion, warning or error"]),
    ("regex", 6, ["'free(bie' is not a valid regular expression", "missing )"]),
    ("tokens", 4, ["expected a list of strings"]),
    ("extends", 1, ["missing 'extends'"]),
])
def test_broken_rule_names_file_and_line(case: str, line: int, words: list[str]) -> None:
    with pytest.raises(BaselineError) as err:
        load_vale_style(VALE / "broken" / case)
    assert err.value.source == str(VALE / "broken" / case / "Bad.yml")
    assert err.value.line == line
    for word in words:
        assert word in str(err.value)


def test_folder_without_rules_or_missing_is_explained() -> None:
    with pytest.raises(BaselineError, match="no Vale rule files"):
        load_vale_style(VALE / "broken" / "empty")
    with pytest.raises(BaselineError, match="Vale style folder not found"):
        load_vale_style(VALE / "nowhere")
