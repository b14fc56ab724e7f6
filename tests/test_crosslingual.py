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
        en, ru, fr = (results[f"{stem}.{lang}.md"] for lang in ("en", "ru", "fr"))
        assert abs(en.score - ru.score) <= 10, (stem, en.score, ru.score)
        assert abs(en.score - fr.score) <= 10, (stem, en.score, fr.score)
    assert {results[f"page.{lang}.md"].status for lang in ("en", "ru", "fr")} == {"ok"}
    assert {results[f"offbrand.{lang}.md"].status for lang in ("en", "ru", "fr")} == {"diverges"}
    assert results["page.fr.md"].touchpoint.language == "fr"


def test_every_language_the_approved_copy_lacks_gets_its_allowance(embedder) -> None:
    """French copy against English approved copy is given back what the model loses across
    languages, as Russian copy is, and is left out of the contrast model, which would learn
    French letters as unlike the brand."""
    from auditor.scoring import contrast_plan, language_gaps

    demo = load_baseline(DEMO_BASELINE)
    english = replace(demo, exemplars=tuple(e for e in demo.exemplars if e.language == "en"))
    gaps = language_gaps(english, embedder)
    assert set(gaps) == {"ru", "fr"} and all(g >= 0 for g in gaps.values())
    assert set(language_gaps(demo, embedder)) == {"fr"}  # English and Russian approved

    class Index:  # what contrast_plan reads of a baseline index
        languages = {"en"}
        paragraph_vectors = [0] * 40
        peer_vectors = [0] * 80
    # German has no parallel phrases, so no measured allowance, but stays out of the contrast
    # model all the same: only the approved copy's own languages join it.
    plan = contrast_plan(Index(), ["a", "b", "c", "d"], ["en", "fr", "ru", "de"])
    assert plan is not None and plan.native.tolist() == [True, False, False, False]
