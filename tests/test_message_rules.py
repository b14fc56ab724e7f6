"""The message rules on pass / fail texts in English and Russian, with the default model:
the least on-brand sentence is the evidence, next to the nearest approved exemplar
(issue 2 "Scoring v1", issue 6 "each rule has fixture tests in English and Russian")."""

from __future__ import annotations

import pytest

from auditor.embedding import make_embedder
from auditor.engine import audit
from auditor.types import Block, Locator, Touchpoint
from baselines import DEMO_BASELINE, load_baseline

pytestmark = pytest.mark.model

ON = {
    "en": "Fast, reliable fibre internet at home, with a clear price and no long contract. "
          "Installation is free, at a time that suits you. A real person answers support any "
          "time, day or night.",
    "ru": "Быстрый и надёжный домашний интернет по честной цене, без долгих договоров. "
          "Подключение бесплатное, в удобное для вас время. В поддержке в любое время "
          "отвечает живой человек.",
}
OFF = {
    "en": "Adjusted EBITDA margin expanded by 420 basis points, reflecting disciplined capital "
          "allocation across the platform.",
    "ru": "Скорректированная маржа EBITDA выросла на 420 базисных пунктов благодаря "
          "дисциплинированному распределению капитала.",
}
OFF_MORE = {
    "en": "The board remains confident in the long-term growth trajectory and continues to "
          "evaluate strategic acquisitions.",
    "ru": "Совет директоров уверен в долгосрочной траектории роста и продолжает оценивать "
          "стратегические приобретения.",
}
CASES = [(language, kind) for language in ("en", "ru")
         for kind in ("on", "one_off_sentence", "off")]


def _text(language: str, kind: str) -> str:
    return {"on": ON[language], "one_off_sentence": f"{ON[language]} {OFF[language]}",
            "off": f"{OFF[language]} {OFF_MORE[language]}"}[kind]


@pytest.fixture(scope="module")
def results():
    touchpoints = [Touchpoint(f"{lang}-{kind}", "files", f"{lang}-{kind}.md", "", lang,
                              (Block(_text(lang, kind), "files.p",
                                     Locator(f"{lang}-{kind}.md", line=1)),))
                   for lang, kind in CASES]
    run = audit(touchpoints, [], load_baseline(DEMO_BASELINE), make_embedder("use"))
    return {r.touchpoint.id: r for r in run.results}


def _message(result) -> list:
    return [f for f in result.findings if f.rule.startswith("message.")]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_on_brand_copy_passes(results, language) -> None:
    result = results[f"{language}-on"]
    assert result.status == "ok" and _message(result) == []


@pytest.mark.parametrize("language", ["en", "ru"])
def test_one_off_brand_sentence_is_the_evidence(results, language) -> None:
    result = results[f"{language}-one_off_sentence"]
    (finding,) = _message(result)
    assert finding.rule == "message.off_brand_sentence"
    assert finding.evidence == OFF[language]
    assert finding.exemplar is not None and finding.exemplar.text


@pytest.mark.parametrize("language", ["en", "ru"])
def test_off_message_copy_diverges(results, language) -> None:
    result = results[f"{language}-off"]
    assert result.status == "diverges"
    finding = next(f for f in _message(result) if f.rule == "message.off_brand")
    assert finding.evidence in (OFF[language], OFF_MORE[language])
    assert finding.exemplar is not None and finding.exemplar.text


def test_key_message_coverage_counts_paraphrases_per_channel() -> None:
    """Issue 6: for each key message, which channels express it (paraphrases count), as a
    message x channel matrix in report.json."""
    from reports.json_report import to_dict

    texts = {
        ("web", "en"): "Day or night, you will reach a human on our helpline, normally in a few "
                       "minutes.",
        ("web", "ru"): "Днём и ночью на линии поддержки вам ответит человек, а не робот, обычно "
                       "через пару минут.",
        ("social", "en"): "Our new office in the old mill has a garden where the team grows "
                          "tomatoes.",
        ("social", "ru"): "В нашем новом офисе в старой мельнице есть сад, где команда "
                          "выращивает помидоры.",
    }
    touchpoints = [Touchpoint(f"{c}-{lang}", c, f"{c}-{lang}", "", lang,
                              (Block(text, f"{c}.post", Locator(f"{c}-{lang}")),))
                   for (c, lang), text in texts.items()]
    run = audit(touchpoints, [], load_baseline(DEMO_BASELINE), make_embedder("use"))
    coverage = to_dict(run)["coverage"]
    assert coverage["channels"] == ["social", "web"]
    # Each of the five messages is one row, its Russian version beside it.
    assert len(coverage["messages"]) == 5
    assert [len(v) for v in coverage["versions"]] == [1] * 5
    support = next(n for n, m in enumerate(coverage["messages"]) if "real person" in m)
    assert ["живой человек" in v for v in coverage["versions"][support]] == [True]
    assert coverage["matrix"][support] == [0.0, 1.0]
    assert all(row[0] == 0.0 for row in coverage["matrix"]), "the office post carries none"
