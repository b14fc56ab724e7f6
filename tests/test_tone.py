"""Tone dimensions on fixture texts in English and Russian, against the demo brand's voice."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from auditor.embedding import HashingEmbedder, make_embedder
from auditor.engine import audit
from auditor.tone import DIMENSIONS, ToneAxes, ToneTarget, learn_targets, off_target, style
from auditor.types import Block, Locator, Touchpoint
from baselines import DEMO_BASELINE, VoiceTarget, load_baseline
from tests.conftest import FIXTURES

CASES = tomllib.loads((FIXTURES / "checks" / "tone.toml").read_text(encoding="utf-8"))["case"]


def _post(text: str, i: int) -> Touchpoint:
    language = "ru" if any("а" <= ch <= "я" for ch in text.lower()) else "en"
    return Touchpoint(f"t{i}", "social", f"t{i}", "", language,
                      (Block(text, "social.post", Locator(f"t{i}")),))


@pytest.fixture(scope="module")
def findings():
    texts = [(case["dimension"], kind, text) for case in CASES for kind in ("fail", "pass")
             for text in case[kind]]
    run = audit([_post(t, i) for i, (_, _, t) in enumerate(texts)], [],
                load_baseline(DEMO_BASELINE), make_embedder("use"))
    by_id = {r.touchpoint.id: r for r in run.results}
    return [(d, k, t, {f.rule for f in by_id[f"t{i}"].findings})
            for i, (d, k, t) in enumerate(texts)]


@pytest.mark.model
def test_off_voice_texts_get_a_tone_finding(findings) -> None:
    for dimension, kind, text, rules in findings:
        if kind == "fail":
            assert f"tone.{dimension}" in rules, text


@pytest.mark.model
def test_on_voice_texts_do_not(findings) -> None:
    for dimension, kind, text, rules in findings:
        if kind == "pass":
            assert f"tone.{dimension}" not in rules, text


def test_style_features_read_the_signals() -> None:
    you = style(["You choose the time that suits you, and your plan is yours to change."])
    we = style(["We are the leading provider and our competitors cannot match us."])
    assert you[DIMENSIONS.index("customer_focus")] > we[DIMENSIONS.index("customer_focus")]
    pushy = style(["BUY NOW!!!", "Order today!"])
    calm = style(["Compare the plans when you are ready."])
    assert pushy[DIMENSIONS.index("respect")] < calm[DIMENSIONS.index("respect")]
    hedged = style(["Maybe we could perhaps try to fix it, hopefully."])
    assert hedged[DIMENSIONS.index("confidence")] < 0


def test_declared_targets_win_and_short_texts_get_more_room() -> None:
    tones = {"en": [np.zeros(5), np.full(5, 0.2)]}
    targets = learn_targets(tones, {"warmth": VoiceTarget(0.6, 0.2)},
                            {"en": np.random.default_rng(0).normal(0, 0.4, (50, 5))})
    assert targets["en"]["warmth"] == ToneTarget(0.6, 0.2, False, targets["en"]["warmth"]
                                                 .sentence_sd)
    assert targets["en"]["formality"].learned
    t = targets["en"]["formality"]
    assert t.allowed(1) > t.allowed(100) >= t.tolerance
    values = np.array([0.0, 0.6, 0.0, 0.0, 0.0])
    assert off_target(values, targets["en"], sentences=50) == []


def test_axes_need_no_network_with_the_hashing_model() -> None:
    axes = ToneAxes.build(HashingEmbedder())
    assert axes.semantic(HashingEmbedder().encode(["Thank you, we are glad to help"])).shape == (
        1, len(DIMENSIONS))


def test_every_dimension_has_fixtures_in_both_languages() -> None:
    """Issue 6: each rule has pass and fail fixture texts in English and Russian."""
    assert {case["dimension"] for case in CASES} == set(DIMENSIONS)
    for case in CASES:
        for kind in ("fail", "pass"):
            languages = {_post(text, 0).language for text in case[kind]}
            assert languages == {"en", "ru"}, (case["dimension"], kind)


def test_word_patterns_match_as_the_plain_alternation_does() -> None:
    import re

    from auditor.tone import _words

    alternatives = r"you|your|вы|ваш\w*|№ ?1|no\.? ?1"
    plain = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.I)
    text = ("You and YOUR team: вы, Вашего, ВАША; №1, № 1, No. 1 and no1. "
            "Not: youth, _you, 1you, свы, наш")
    assert _words(alternatives).findall(text) == plain.findall(text)
    assert _words(alternatives).findall(text) == [
        "You", "YOUR", "вы", "Вашего", "ВАША", "№1", "№ 1", "No. 1", "no1"]
    with pytest.raises(ValueError, match="must start with a letter"):
        _words(r"you|\bthem")


def test_anchor_phrases_are_parallel_and_the_axes_are_english_and_russian() -> None:
    from auditor.tone import AXIS_LANGUAGES, dimensions, parallel_phrases

    phrases = parallel_phrases()
    assert set(phrases) >= {"en", "ru", "fr"}
    assert len({len(v) for v in phrases.values()}) == 1  # each a translation of the others
    per_pole = len(phrases["en"]) // (2 * len(dimensions()))
    for dimension in dimensions():  # French phrases measure the gap, they do not move axes
        assert len(dimension.low) == len(dimension.high) == per_pole * len(AXIS_LANGUAGES)
