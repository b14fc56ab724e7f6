"""The audit engine with the deterministic hashing embedder: logic, not model quality."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.embedding import HashingEmbedder
from auditor.engine import audit, run_audit
from auditor.scoring import build_index
from baselines import DEMO_BASELINE, load_baseline
from channels import CollectContext
from channels.files import KIND as FILES
from channels.files import FilesOptions
from tests.conftest import FIXTURES, copy_project

CONTENT = FIXTURES / "content"


@pytest.fixture(scope="module")
def baseline():
    return load_baseline(DEMO_BASELINE)


def _touchpoints(*names: str):
    out = []
    for name in names:
        out += list(FILES.collect(FilesOptions(path=str(CONTENT / name)), CollectContext(CONTENT)))
    return out


def test_calibration_orders_thresholds(baseline) -> None:
    cal = build_index(baseline, HashingEmbedder()).calibration
    assert cal.diverge <= cal.warn <= cal.median <= cal.top
    assert cal.samples >= 100
    assert cal.score(cal.median) == pytest.approx(90)
    assert cal.score(cal.warn) == pytest.approx(70)
    assert cal.score(cal.diverge) == pytest.approx(50)


def test_on_brand_ok_off_brand_diverges(baseline) -> None:
    run = audit(_touchpoints("on_brand.md", "off_brand.md", "pushy.md"), [], baseline,
                HashingEmbedder())
    status = {Path(r.touchpoint.source).name: r for r in run.results}
    assert status["on_brand.md"].status == "ok"
    # The hashing embedder only sees shared words: it ranks, the real model decides.
    assert status["off_brand.md"].score < status["on_brand.md"].score - 20
    pushy = status["pushy.md"]
    assert pushy.status == "diverges"
    assert {"respect.false_urgency", "respect.pressure", "respect.shouting"} <= {
        f.rule for f in pushy.findings}
    assert all(f.exemplar is not None for f in pushy.findings), "every flag shows on-brand copy"
    assert run.score is not None and run.channels[0].channel == "files"


def test_rules_only_without_embeddings(baseline) -> None:
    run = audit(_touchpoints("on_brand.md", "pushy.md"), [], baseline, None)
    by_name = {Path(r.touchpoint.source).name: r for r in run.results}
    assert by_name["on_brand.md"].status == "ok"
    assert by_name["pushy.md"].status == "diverges"
    assert run.model.startswith("none")


def test_the_report_names_the_baseline_as_the_team_reaches_it(baseline, monkeypatch) -> None:
    """A shared report does not show one machine's absolute folders: the baseline is named
    relative to the working folder when it is inside it, else as it is."""
    monkeypatch.chdir(baseline.root.parent.parent)
    run = audit(_touchpoints("on_brand.md"), [], baseline, None)
    assert run.baseline == f"{baseline.root.parent.name}/{baseline.root.name}"
    monkeypatch.chdir(baseline.root / "exemplars")
    run = audit(_touchpoints("on_brand.md"), [], baseline, None)
    assert run.baseline == baseline.root.resolve().as_posix()


def test_run_audit_stores_history_and_compares(tmp_path) -> None:
    project = copy_project(tmp_path)
    config = load_config(project / "audit.toml")
    first, report1 = run_audit(config, embedder=HashingEmbedder())
    assert report1["errors"] and "broken.txt" in report1["errors"][0]["source"]
    assert any(tp["channel"] == "calls" for tp in report1["touchpoints"]), \
        "the good transcript is collected next to the broken one"
    assert "comparison" not in report1
    (project / "content" / "pushy.md").unlink()
    second, report2 = run_audit(config, embedder=HashingEmbedder())
    comparison = report2["comparison"]
    assert comparison["previous_run"] == first.id
    assert comparison["resolved"], "the pushy file's findings are resolved"
    assert comparison["new"] == []
    from auditor.store import Store

    with Store(config.store) as store:
        assert [r["id"] for r in store.list_runs()] == [second.id, first.id]


def test_agents_are_ranked_worst_first(tmp_path) -> None:
    project = copy_project(tmp_path)
    _, report = run_audit(load_config(project / "audit.toml"), embedder=HashingEmbedder())
    agents = [a["agent_id"] for a in report["agents"]]
    assert agents == ["rude", "kind"]


@pytest.mark.model
def test_real_model_flags_off_message_copy_in_any_language(baseline) -> None:
    from auditor.embedding import make_embedder

    run = audit(_touchpoints("on_brand.md", "off_brand.md", "ru_on_brand.md"), [], baseline,
                make_embedder("use"))
    by_name = {Path(r.touchpoint.source).name: r for r in run.results}
    assert by_name["on_brand.md"].status == "ok"
    assert by_name["ru_on_brand.md"].status == "ok"
    off = by_name["off_brand.md"]
    assert off.status == "diverges"
    finding = off.findings[0]
    assert finding.rule == "message.off_brand" and finding.exemplar is not None
    assert finding.locator.line is not None and finding.evidence in (CONTENT / "off_brand.md"
                                                                     ).read_text()


def test_scoring_freezes_the_heap_only_while_it_runs(baseline, monkeypatch) -> None:
    import gc

    from auditor import engine

    seen = []
    real = engine._tones

    def tones(*args, **kwargs):
        seen.append(gc.get_freeze_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_tones", tones)
    assert gc.get_freeze_count() == 0
    audit(_touchpoints("on_brand.md", "pushy.md"), [], baseline, HashingEmbedder())
    assert seen and seen[0] > 0, "the run's objects were frozen while it scored"
    assert gc.get_freeze_count() == 0, "and unfrozen afterwards"

    # A caller's own freeze stays as it is: not undone, not extended. (Checked by object, not
    # by gc.get_freeze_count(), which falls whenever a frozen object is freed.)
    def tracked(o: object) -> bool:  # gc.get_objects() leaves frozen objects out
        return any(x is o for x in gc.get_objects())

    kept = ["frozen by the caller"]
    gc.freeze()
    try:
        with engine._settled_heap() as settle:
            made = ["made after the caller's freeze"]
            settle()
        assert not tracked(kept), "the caller's freeze was undone"
        assert tracked(made), "settle() froze objects of a caller that froze its own"
    finally:
        gc.unfreeze()


def test_brand_map_axes_are_the_svds_and_keep_their_orientation() -> None:
    import numpy as np

    from auditor.engine import _principal_axes

    rng = np.random.default_rng(7)
    rows = (rng.standard_normal((400, 32)) @ rng.standard_normal((32, 32))).astype(np.float32)
    centred = rows - rows.mean(axis=0)
    wide = rows.astype(np.float64)  # the scatter as the map adds it up: uncentred, part by part
    mean = wide.mean(axis=0)
    scatter = wide[:150].T @ wide[:150] + wide[150:].T @ wide[150:] - 400 * np.outer(mean, mean)
    axes = _principal_axes(scatter, 2)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    assert axes.shape == (2, 32)
    for axis, reference in zip(axes, vt[:2]):
        assert abs(abs(float(axis @ reference)) - 1) < 1e-5  # the same axis, up to its sign
        assert axis[np.abs(axis).argmax()] > 0                # pointing its largest loading's way
    # Flipping every row's sign (another run's SVD might) gives the same map.
    flipped = -centred.astype(np.float64)
    assert np.allclose(_principal_axes(flipped.T @ flipped, 2), axes)


@pytest.mark.parametrize("chunk", [3, 2048])
def test_the_brand_map_made_in_parts_is_the_pca_of_every_point(monkeypatch, chunk) -> None:
    # The map adds its touchpoint vectors up a part at a time; the places must be those of one
    # PCA of the approved paragraphs and every touchpoint's mean paragraph together.
    from types import SimpleNamespace

    import numpy as np

    from auditor import engine

    monkeypatch.setattr(engine, "MAP_CHUNK", chunk)
    rng = np.random.default_rng(11)
    approved = rng.standard_normal((12, 16)).astype(np.float32)
    matrix = rng.standard_normal((40, 16)).astype(np.float32)
    blocks = [{b: (3 * n + b) % 40 for b in range(n % 4)} for n in range(20)]  # some empty
    index = SimpleNamespace(paragraph_vectors=approved,
                            paragraphs=[(f"p{i}", "s.md") for i in range(12)])

    places, points = engine.brand_map(matrix, blocks, index)

    placed = [n for n, rows in enumerate(blocks) if rows]
    means = [matrix[list(blocks[n].values())].mean(axis=0) for n in placed]
    rows = np.vstack([approved, *[m / np.linalg.norm(m) for m in means]]).astype(np.float64)
    centred = rows - rows.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2] * np.sign(vt[:2][np.arange(2), np.abs(vt[:2]).argmax(axis=1)])[:, None]
    xy = centred @ axes.T
    xy = (xy - xy.min(axis=0)) / (xy.max(axis=0) - xy.min(axis=0))
    assert sorted(places) == placed
    got = np.array([[p["x"], p["y"]] for p in points] + [places[n] for n in placed])
    assert np.abs(got - xy).max() < 2e-4


def test_the_contrast_models_folds_follow_the_copy_not_ids_or_order() -> None:
    # The same copy under other ids (a site under another host or port, files read from
    # another folder) sorts into another order; folds numbered by position then moved scores
    # of unchanged copy by points. Following the copy, the scores stay.
    import dataclasses
    import random

    import numpy as np

    from benchmarks.perf import _recombined_demo

    touchpoints = _recombined_demo(random.Random(11), 700)
    baseline = load_baseline(DEMO_BASELINE)
    renamed = [dataclasses.replace(tp, id=f"web:http://staging:8080/{len(touchpoints) - n}")
               for n, tp in enumerate(touchpoints)]
    first = audit(touchpoints, [], baseline, HashingEmbedder())
    again = audit(renamed, [], baseline, HashingEmbedder())
    assert first.context["calibration"]["method"] == "nearest+contrast"
    by_copy = {r.touchpoint.blocks: r.similarity for r in again.results}
    ours = np.array([r.similarity for r in first.results])
    theirs = np.array([by_copy[r.touchpoint.blocks] for r in first.results])
    assert np.allclose(ours, theirs, atol=1e-3)


def test_a_touchpoint_keeps_its_fold_when_others_join_the_run() -> None:
    import numpy as np

    from auditor.scoring import CONTRAST_FOLDS, _stable_folds

    groups = np.array([f"copy {i}" for i in range(40)])
    before = _stable_folds(groups, CONTRAST_FOLDS)
    after = _stable_folds(np.r_[groups[:7], ["new copy"], groups[7:]], CONTRAST_FOLDS)
    assert np.array_equal(np.r_[after[:7], after[8:]], before)
    assert set(before.tolist()) == set(range(CONTRAST_FOLDS))  # every fold is used


def test_a_few_touchpoints_that_hash_into_one_fold_are_still_split() -> None:
    import numpy as np

    from auditor.scoring import CONTRAST_FOLDS, _stable_folds, _stable_hash

    same = [g for g in (f"copy {i}" for i in range(500))
            if _stable_hash(g) % CONTRAST_FOLDS == 0][:5]
    folds = _stable_folds(np.array(same), CONTRAST_FOLDS)
    assert len(set(folds.tolist())) == CONTRAST_FOLDS


def test_a_key_messages_translations_are_one_row_of_coverage():
    import numpy as np

    from auditor.engine import translation_groups

    messages = ["Clear prices, no hidden fees.", "Support any time.", "Free installation.",
                "Честные цены без скрытых платежей.", "Поддержка в любое время.",
                "Мы лучше всех."]
    # Vectors standing for a multilingual model: each Russian version near its English one,
    # the last Russian message near none (0.4 to free installation is under the bar).
    near = np.eye(6)
    for en, ru, sim in ((0, 3, 0.8), (1, 4, 0.7), (2, 5, 0.4)):
        near[en, ru] = near[ru, en] = sim
    vectors = np.linalg.cholesky(near)  # rows whose dot products are `near`
    assert np.allclose(vectors @ vectors.T, near)
    assert translation_groups(messages, vectors) == [[0, 3], [1, 4], [2], [5]]
    # An English-only model puts Russian messages near no English one: six rows.
    assert translation_groups(messages, np.eye(6)) == [[0], [1], [2], [3], [4], [5]]
    # Mutual closest only: two English messages close to one Russian one, one pair.
    near = np.eye(3)
    near[0, 2] = near[2, 0] = 0.9
    near[1, 2] = near[2, 1] = 0.6
    near[0, 1] = near[1, 0] = 0.5
    vectors = np.linalg.cholesky(near)
    assert translation_groups(messages[:2] + messages[3:4], vectors) == [[0, 2], [1]]


def test_a_finding_shows_on_brand_copy_of_its_own_channel_when_the_baseline_has_some(baseline
                                                                                     ) -> None:
    """The demo's approved copy is in exemplars/web, social and calls: a web page's findings
    show web copy, a call's show call copy, even where another channel's sentence is nearer
    in meaning; an e-mail (no approved e-mail copy) is shown the nearest of all."""
    from auditor.types import Block, Locator, Touchpoint
    from baselines import exemplar_channel

    script = ("Of course, I can help you cancel. May I ask why you're leaving? "
              "Don't miss out, you'll regret it.")
    assert "Of course, I can help you cancel." in (
        DEMO_BASELINE / "exemplars/calls/cancellation.md").read_text()
    touchpoints = [Touchpoint(f"{channel}:1", channel, f"{channel}.txt", channel, "en",
                              (Block(script, f"{channel}.text", Locator(f"{channel}.txt")),))
                   for channel in ("web", "calls", "email")]
    run = audit(touchpoints, [], baseline, HashingEmbedder())
    shown = {r.touchpoint.channel: {exemplar_channel(f.exemplar.source) for f in r.findings
                                    if f.exemplar is not None}
             for r in run.results}
    assert shown["web"] == {"web"}
    assert shown["calls"] == {"calls"}
    assert shown["email"] == {"calls"}  # the script's own sentences are the nearest


def test_a_heading_of_the_approved_copy_is_never_shown_as_the_example(baseline) -> None:
    """ "What you get" is a heading of the demo's home page: copy that matches it exactly is
    shown the nearest approved prose instead, for a heading shows no one how the brand
    writes."""
    from auditor.scoring import nearest_exemplar, reads_as_prose

    assert "## What you get" in (DEMO_BASELINE / "exemplars/web/home.md").read_text()
    embedder = HashingEmbedder()
    index = build_index(baseline, embedder)
    (vector,) = embedder.encode(["What you get"])
    shown = nearest_exemplar(index, vector, "en", "web")
    assert shown.text != "What you get" and reads_as_prose(shown.text)
    assert shown.source.startswith("exemplars/web/")
    assert not reads_as_prose("Help when you need it") and not reads_as_prose("Что входит в цену")
    assert reads_as_prose("Не знаете, какой тариф выбрать?")
