"""Executors: the local one and Ray give the same audit; streaming and caches keep it lean."""

from __future__ import annotations

import numpy as np
import pytest

from auditor.config import load_config
from auditor.embedding import CachedEmbedder, HashingEmbedder, MemoryCache
from auditor.engine import (
    MEMO_KIND,
    LazyEmbedder,
    SentenceVectors,
    audit,
    audit_key,
    collect,
    embed_sentences,
    model_loaded,
    open_embedder,
    run_audit,
)
from auditor.errors import ToolError
from auditor.executors import LocalExecutor, make_executor, runs_anywhere
from auditor.store import Store
from baselines import DEMO_BASELINE, load_baseline
from tests.conftest import copy_project


def _scores(report: dict) -> dict[str, tuple]:
    return {tp["id"]: (tp["score"], tp["status"], tuple(f["fingerprint"] for f in tp["findings"]))
            for tp in report["touchpoints"]}


class CountingEmbedder(HashingEmbedder):
    """Counts the texts that reach the model."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen.extend(texts)
        return super().encode(texts)


def test_unknown_executor_and_stray_address_are_usage_errors() -> None:
    with pytest.raises(ToolError, match="unknown executor 'spark'"):
        make_executor("spark")
    with pytest.raises(ToolError, match="--ray-address needs --executor ray"):
        make_executor("local", address="ray://head:10001")


def test_cli_rejects_a_ray_address_without_the_ray_executor(tmp_path) -> None:
    import subprocess
    import sys

    config = copy_project(tmp_path) / "audit.toml"
    result = subprocess.run([sys.executable, "-m", "auditor", "run", "--config", str(config),
                             "--ray-address", "ray://head:10001"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "--ray-address needs --executor ray" in result.stderr
    assert "Traceback" not in result.stderr


def test_file_sections_run_anywhere_network_sections_stay(tmp_path) -> None:
    from auditor.demo import demo_config

    config = demo_config("http://127.0.0.1:1/", tmp_path)
    where = {(s.kind, s.index): runs_anywhere(s) for s in config.channels}
    assert where[("web", 0)] is False
    assert where[("calls", 0)] and where[("email", 0)] and where[("sms", 0)]
    assert where[("social", 0)], "a JSONL export is a local file"


def test_collect_is_the_same_through_the_local_executor(tmp_path) -> None:
    config = load_config(copy_project(tmp_path) / "audit.toml")
    plain = collect(config)
    through = collect(config, executor=LocalExecutor())
    assert [t.id for t in plain.touchpoints] == [t.id for t in through.touchpoints]
    assert plain.errors == through.errors and plain.errors, "broken.txt is an error"


def test_embedding_runs_in_bounded_batches(monkeypatch) -> None:
    import auditor.engine as engine

    monkeypatch.setattr(engine, "EMBED_BATCH", 7)
    inner = CountingEmbedder()
    calls: list[int] = []
    original = inner.encode
    inner.encode = lambda texts: (calls.append(len(texts)), original(texts))[1]
    texts = [f"sentence number {i} about delivery" for i in range(30)]
    matrix = embed_sentences(texts, inner)
    assert max(calls) <= 7 and sum(calls) == 30
    np.testing.assert_allclose(matrix, HashingEmbedder().encode(texts), atol=1e-6)
    vectors = SentenceVectors({t: i for i, t in enumerate(texts)}, matrix)
    assert texts[3] in vectors and "nope" not in vectors and len(vectors) == 30
    assert np.shares_memory(vectors[texts[3]], matrix), "a view, not a copy"


def _demo_touchpoints(tmp_path):
    from auditor.demo import SOURCES, demo_config, serve_folder

    with serve_folder(SOURCES / "site") as url:
        return collect(demo_config(url, tmp_path, model="hashing")).touchpoints


def _results(run) -> list[tuple]:
    return [(r.touchpoint.id, r.score, r.status, r.findings, dict(r.tone), r.similarity,
             r.position) for r in run.results]


def test_scoring_reads_vectors_back_a_chunk_at_a_time_with_the_same_results(
        tmp_path, monkeypatch) -> None:
    """Behind a vector cache, the run's one embedding pass keeps no vectors: scoring reads
    each chunk's back from the cache, never more than ``SCORE_SENTENCES`` at once (a
    touchpoint longer than that alone), and the results are those of reading them all at
    once. The paragraphs' vectors go to a file on disk as each chunk makes them, each
    paragraph once (``RowFile``), for the brand model and the map to read back."""
    import auditor.engine as engine
    from auditor.background import RowFile

    baseline = load_baseline(DEMO_BASELINE)
    touchpoints = _demo_touchpoints(tmp_path)
    embedder = CachedEmbedder(HashingEmbedder(), MemoryCache())
    whole = audit(touchpoints, [], baseline, embedder)

    reads: list[int] = []
    cached = CachedEmbedder.cached
    monkeypatch.setattr(CachedEmbedder, "cached",
                        lambda self, texts: (reads.append(len(texts)), cached(self, texts))[1])
    kept: list[bool] = []
    embed = engine.embed_sentences
    monkeypatch.setattr(engine, "embed_sentences",
                        lambda *a, keep=True, **k: (kept.append(keep), embed(*a, keep=keep,
                                                                             **k))[1])
    written: list[range] = []
    write = RowFile.write
    monkeypatch.setattr(RowFile, "write", lambda self, first, rows: (
        written.append(range(first, first + len(rows))), write(self, first, rows))[1])
    monkeypatch.setattr(engine, "SCORE_SENTENCES", 20)
    longest = max(len(engine.touchpoint_sentences(tp)) for tp in touchpoints)
    chunked = audit(touchpoints, [], baseline, embedder)
    assert kept == [False], "the embedding pass held no matrix"
    assert len(reads) > 4 and max(reads) <= max(20, longest)
    paragraphs = sum(len(r.touchpoint.blocks) for r in chunked.results)
    assert len(written) > 4 and max(map(len, written)) < paragraphs
    assert sorted(row for rows in written for row in rows) == list(range(written[-1][-1] + 1))
    assert _results(chunked) == _results(whole)
    assert chunked.coverage == whole.coverage and chunked.score == whole.score


@pytest.mark.parametrize("cached", [False, True])
def test_a_run_that_collected_nothing_still_reports_its_errors(cached) -> None:
    """Every page failed: no touchpoint to score, no chunk to read, and still a run."""
    from auditor.types import CollectionError

    embedder = CachedEmbedder(HashingEmbedder(), MemoryCache()) if cached \
        else HashingEmbedder()
    errors = [CollectionError("https://acme.example/", "HTTP 500", "web")]
    run = audit([], errors, load_baseline(DEMO_BASELINE), embedder)
    assert run.results == () and run.score is None and run.errors == tuple(errors)


def test_spans_cover_every_touchpoint_in_order_within_the_limit() -> None:
    from auditor.engine import _spans

    sizes = [3, 4, 0, 9, 1, 1, 2]
    spans = _spans([[None] * n for n in sizes], limit=5)
    assert spans == [(0, 1), (1, 3), (3, 4), (4, 7)]
    assert _spans([], limit=5) == []


def test_reading_back_counts_no_hits_and_embeds_what_the_cache_lost() -> None:
    inner = CountingEmbedder()
    cache = MemoryCache()
    embedder = CachedEmbedder(inner, cache)
    texts = ["Fibre reaches Riverside.", "Support answers at night.", "No hidden fees."]
    first = embedder.encode(texts)
    hits, misses = embedder.hits, embedder.misses
    np.testing.assert_array_equal(embedder.cached(texts[::-1]), first[::-1])
    assert (embedder.hits, embedder.misses) == (hits, misses)
    assert len(inner.seen) == 3, "nothing embedded twice"
    cache._vectors.clear()  # a store emptied meanwhile
    np.testing.assert_array_equal(embedder.cached(texts), first)
    assert len(inner.seen) == 6
    assert all(v.dtype == np.float16 for v in cache._vectors.values()), "1 KB a vector"


def test_lazy_model_is_not_loaded_when_the_cache_holds_everything(monkeypatch) -> None:
    import auditor.engine as engine

    loads: list[str] = []

    def fake_make(spec):
        loads.append(spec)
        model = HashingEmbedder(512)
        model.model_id = "use-multilingual-v3"
        return model

    monkeypatch.setattr(engine, "make_embedder", fake_make)
    cache = MemoryCache()
    texts = ["We deliver on time.", "Наши мастера приезжают вовремя."]
    cold = open_embedder("use", cache)
    assert isinstance(cold.embedder, LazyEmbedder) and not model_loaded(cold)
    first = cold.encode(texts)
    assert loads == ["use"] and model_loaded(cold)
    warm = open_embedder("use", cache)
    second = warm.encode(texts)
    assert loads == ["use"], "every text hit the cache: the model was never loaded"
    assert not model_loaded(warm) and warm.hits == 2 and warm.misses == 0
    np.testing.assert_allclose(first, second, atol=1e-6)


def test_lazy_model_rejects_a_model_that_is_not_what_it_claims(monkeypatch) -> None:
    import auditor.engine as engine

    monkeypatch.setattr(engine, "make_embedder", lambda spec: HashingEmbedder(64))
    with pytest.raises(ToolError, match="expected use-multilingual-v3"):
        LazyEmbedder("use").encode(["hello there"])


def test_unchanged_rerun_reuses_scores_and_a_change_rescores(tmp_path) -> None:
    project = copy_project(tmp_path)
    config = load_config(project / "audit.toml")
    first_model = CountingEmbedder()
    _, first = run_audit(config, embedder=first_model)
    assert first_model.seen, "the cold run embeds"
    again_model = CountingEmbedder()
    _, again = run_audit(config, embedder=again_model)
    assert again_model.seen == [], "an unchanged re-run neither embeds nor scores again"
    assert _scores(again) == _scores(first)
    assert again["summary"] == first["summary"]
    assert again["run"]["id"] != first["run"]["id"]
    (project / "content" / "on_brand.md").write_text(
        (project / "content" / "on_brand.md").read_text() + "\nAct now or lose out forever!\n")
    changed_model = CountingEmbedder()
    _, changed = run_audit(config, embedder=changed_model)
    assert changed_model.seen, "changed copy is scored afresh"
    assert _scores(changed) != _scores(first)


def test_damaged_memo_is_ignored(tmp_path) -> None:
    project = copy_project(tmp_path)
    config = load_config(project / "audit.toml")
    _, first = run_audit(config, embedder=HashingEmbedder())
    with Store(config.store) as store:
        store._conn.execute("UPDATE memo SET value = x'00ff'")
    _, again = run_audit(config, embedder=HashingEmbedder())
    assert _scores(again) == _scores(first)


def test_audit_without_memo_matches_memoised_audit(tmp_path) -> None:
    baseline = load_baseline(DEMO_BASELINE)
    config = load_config(copy_project(tmp_path) / "audit.toml")
    touchpoints = collect(config).touchpoints
    plain = audit(touchpoints, [], baseline, HashingEmbedder())
    with Store(tmp_path / "memo.db") as store:
        stored = audit(touchpoints, [], baseline, HashingEmbedder(), memo=store)
        recalled = audit(touchpoints, [], baseline, HashingEmbedder(), memo=store)
    for run in (stored, recalled):
        assert [(r.touchpoint.id, r.score, r.status, r.findings) for r in run.results] == [
            (r.touchpoint.id, r.score, r.status, r.findings) for r in plain.results]
        assert run.coverage == plain.coverage
    # The recalled results carry the caller's touchpoints, not copies from the store.
    assert {id(r.touchpoint) for r in recalled.results} == {id(tp) for tp in touchpoints}


def test_scores_do_not_depend_on_the_order_touchpoints_arrive_in(tmp_path) -> None:
    # A crawler's pages finish in any order; the same copy must get the same scores.
    from auditor.demo import SOURCES, demo_config, serve_folder

    baseline = load_baseline(DEMO_BASELINE)
    with serve_folder(SOURCES / "site") as url:
        touchpoints = collect(demo_config(url, tmp_path, model="hashing")).touchpoints
    assert len(touchpoints) > 30  # enough for the contrast model, whose folds follow order
    runs = [audit(order, [], baseline, HashingEmbedder())
            for order in (touchpoints, touchpoints[::-1], touchpoints[1::2] + touchpoints[::2])]
    first = {r.touchpoint.id: (r.score, r.status, r.findings) for r in runs[0].results}
    for run in runs[1:]:
        assert {r.touchpoint.id: (r.score, r.status, r.findings) for r in run.results} == first
        assert run.coverage == runs[0].coverage
    with Store(tmp_path / "memo.db") as store:
        audit(touchpoints, [], baseline, HashingEmbedder(), memo=store)
        key = audit_key(sorted(touchpoints, key=lambda tp: tp.id), baseline, HashingEmbedder())
        assert store.get_memo(MEMO_KIND, key) is not None  # the re-run in another order hits


def _ray_or_skip():
    try:
        import ray  # noqa: F401
        import ray.data  # noqa: F401
    except ImportError:
        pytest.skip("Ray is not installed: pip install 'brand-auditor[ray]'")


@pytest.mark.ray
def test_ray_executor_gives_the_local_scores_on_the_demo(tmp_path) -> None:
    """The demo brand's sources (web crawled here, files on Ray, embedding on a Ray Data
    actor pool) on a local 2-CPU Ray instance score exactly as with the local executor."""
    _ray_or_skip()
    from auditor.demo import SOURCES, demo_config, serve_folder

    reports = {}
    with serve_folder(SOURCES / "site") as url:
        local_config = demo_config(url, tmp_path / "local", model="hashing")
        _, reports["local"] = run_audit(local_config)
        executor = make_executor("ray", num_cpus=2)
        try:
            assert executor.name == "ray"
            ray_config = demo_config(url, tmp_path / "ray", model="hashing")
            _, reports["ray"] = run_audit(ray_config, executor=executor)
            texts = [f"Доставим за {i} дней, без сюрпризов." for i in range(600)]
            cached = CachedEmbedder(HashingEmbedder(), MemoryCache())
            np.testing.assert_array_equal(  # the vectors a local run gets, to the bit
                executor.encode(cached, texts),
                CachedEmbedder(HashingEmbedder(), MemoryCache()).encode(texts))
            assert cached.misses == 600
            executor.encode(cached, texts)
            assert cached.hits == 600, "hits never leave this process"
        finally:
            executor.close()
    assert len(reports["local"]["touchpoints"]) > 30
    assert _scores(reports["ray"]) == _scores(reports["local"])
    assert reports["ray"]["summary"] == reports["local"]["summary"]
    assert reports["ray"]["errors"] == reports["local"]["errors"]
