"""A baseline approved in one language scores copy in the other (the default model is
multilingual): a page and its translation land within 10 points of each other."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from auditor.embedding import make_embedder
from auditor.engine import audit
from baselines import DEMO_BASELINE, load_baseline
from channels import CollectContext
from channels.files import KIND as FILES
from channels.files import FilesOptions
from tests.conftest import FIXTURES

pytestmark = pytest.mark.model
PAGES = FIXTURES / "crosslingual"


@pytest.fixture(scope="module")
def embedder():
    return make_embedder("use")


def _scores(language: str, embedder) -> dict[str, float]:
    demo = load_baseline(DEMO_BASELINE)
    only = tuple(e for e in demo.exemplars if e.language == language)
    messages = tuple(m for m in demo.key_messages if (language == "ru") == any(
        "а" <= ch <= "я" for ch in m.lower()))
    baseline = replace(demo, exemplars=only, key_messages=messages, languages=(language,))
    touchpoints = list(FILES.collect(FilesOptions(path=str(PAGES)), CollectContext(PAGES)))
    run = audit(touchpoints, [], baseline, embedder)
    return {Path(r.touchpoint.source).name: r for r in run.results}


@pytest.mark.parametrize("baseline_language", ["en", "ru"])
def test_translation_scores_within_ten_points(baseline_language, embedder) -> None:
    results = _scores(baseline_language, embedder)
    for stem in ("page", "offbrand"):
        en, ru = results[f"{stem}.en.md"], results[f"{stem}.ru.md"]
        assert abs(en.score - ru.score) <= 10, (stem, en.score, ru.score)
    assert results["page.en.md"].status == results["page.ru.md"].status == "ok"
    assert results["offbrand.en.md"].status == results["offbrand.ru.md"].status == "diverges"
