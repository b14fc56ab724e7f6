"""Calibration from the baseline's own copy (issue 2): each approved paragraph is scored
against the approved copy with its own file left out, and the warn / diverge thresholds are
the configured percentiles of those scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from auditor.embedding import HashingEmbedder
from auditor.scoring import K_NEAREST, build_index
from baselines import load_baseline

# Each file talks about its own subject in its own words: paragraphs of one file are alike,
# paragraphs of different files share almost nothing.
TOPICS = {
    "routers": "router antenna firmware signal wireless channel band",
    "billing": "invoice payment refund balance charge receipt month",
    "install": "engineer appointment cable socket drill visit morning",
    "outages": "outage repair fault street restore hours update",
    "moving": "move address house transfer keys boxes neighbourhood",
}


def _baseline(root: Path, thresholds: str = "") -> Path:
    (root / "exemplars").mkdir(parents=True)
    (root / "brand.toml").write_text(f'name = "Calibrated"\n{thresholds}', encoding="utf-8")
    for name, words in TOPICS.items():
        w = words.split()
        paragraphs = [" ".join(w[i:] + w[:i]) + "." for i in range(4)]
        (root / "exemplars" / f"{name}.md").write_text("\n\n".join(paragraphs) + "\n",
                                                       encoding="utf-8")
    return root


def _leave_one_file_out(vectors: np.ndarray, docs: np.ndarray) -> np.ndarray:
    sims = vectors @ vectors.T
    sims = np.where(docs[None, :] == docs[:, None], -np.inf, sims)
    return np.sort(sims, axis=1)[:, -K_NEAREST:].mean(axis=1)


def test_approved_copy_is_scored_with_its_own_file_left_out(tmp_path) -> None:
    index = build_index(load_baseline(_baseline(tmp_path / "brand")), HashingEmbedder())
    docs = index.doc_ids
    assert len(index.loo) == len(docs) == 4 * len(TOPICS)
    expected = _leave_one_file_out(index.paragraph_vectors, docs)
    assert index.loo == pytest.approx(expected, abs=1e-5)
    # Within a file the paragraphs are near copies; had a paragraph's own file counted, its
    # score would be close to 1. Left out, only the other subjects remain.
    same_file = index.paragraph_vectors[0] @ index.paragraph_vectors[1]
    assert same_file > 0.8
    assert index.calibration.median < same_file - 0.4


def test_thresholds_are_percentiles_of_the_approved_scores(tmp_path) -> None:
    index = build_index(load_baseline(_baseline(tmp_path / "default")), HashingEmbedder())
    cal = index.calibration
    assert cal.samples == len(index.loo)
    assert cal.median == pytest.approx(np.median(index.loo))
    assert cal.warn == pytest.approx(np.percentile(index.loo, 10))
    assert cal.diverge == pytest.approx(np.percentile(index.loo, 5))

    custom = build_index(load_baseline(_baseline(
        tmp_path / "custom", "\n[thresholds]\nwarn_percentile = 40\ndiverge_percentile = 20\n")),
        HashingEmbedder()).calibration
    assert custom.warn == pytest.approx(np.percentile(index.loo, 40))
    assert custom.diverge == pytest.approx(np.percentile(index.loo, 20))
    assert custom.warn > cal.warn


def test_peers_folder_becomes_the_contrast_background(tmp_path) -> None:
    """Issue 6, distinctiveness: a baseline's ``peers/`` copy is loaded and, with enough of
    it, the brand model contrasts the approved copy with the peers' copy."""
    from auditor.scoring import MIN_CONTRAST_APPROVED, MIN_CONTRAST_BACKGROUND, fit_brand_model

    root = tmp_path / "brand"
    for folder, prefix, count in (("exemplars", "brand", MIN_CONTRAST_APPROVED + 10),
                                  ("peers", "peer", MIN_CONTRAST_BACKGROUND + 10)):
        (root / folder).mkdir(parents=True)
        for f in range(8):
            paragraphs = [f"{prefix} paragraph {f} {i} about {prefix}ish things number {i * f}."
                          for i in range(count // 8 + 1)]
            (root / folder / f"{f}.md").write_text("\n\n".join(paragraphs), encoding="utf-8")
    (root / "brand.toml").write_text('name = "Distinct"\n', encoding="utf-8")
    baseline = load_baseline(root)
    assert len(baseline.peers) == 8 and all(doc.paragraphs for doc in baseline.peers)
    index = build_index(baseline, HashingEmbedder())
    peer_paragraphs = sum(len(doc.paragraphs) for doc in baseline.peers)
    assert len(index.peer_vectors) == len(index.peer_texts) == peer_paragraphs
    blocks = HashingEmbedder().encode(["brand paragraph about brandish things.",
                                       "peer paragraph about peerish things."])
    model = fit_brand_model(index, blocks, np.array(["a", "b"]))
    assert model.calibration.method == "nearest+peers"
    assert model.block_raw[0] > model.block_raw[1]
    # Past the sample size, the paragraphs not learnt from are scored by the same model.
    from auditor import scoring

    texts = ["brand paragraph about brandish things.", "peer paragraph about peerish things."]
    whole = fit_brand_model(index, blocks, np.array(["a", "b"]), block_texts=texts)
    sample = scoring.CONTRAST_SAMPLE
    try:
        scoring.CONTRAST_SAMPLE = 1
        sampled = fit_brand_model(index, blocks, np.array(["a", "b"]), block_texts=texts)
    finally:
        scoring.CONTRAST_SAMPLE = sample
    assert sampled.calibration.method == "nearest+peers"
    assert sampled.block_raw[0] > sampled.block_raw[1]
    assert whole.block_raw[0] > whole.block_raw[1]

    import shutil

    alone = shutil.copytree(root, tmp_path / "no-peers", ignore=shutil.ignore_patterns("peers"))
    without = build_index(load_baseline(alone), HashingEmbedder())
    assert len(without.peer_vectors) == 0
    assert fit_brand_model(without, blocks, np.array(["a", "b"])).calibration.method == "nearest"


@pytest.mark.parametrize("limit", [200_000, 40])
def test_letter_patterns_equal_the_vectorizer_on_repeated_copy(monkeypatch, limit) -> None:
    # Each distinct text is analysed once; the weights must still be the vectorizer's own,
    # with every repeat counted (document frequency, the feature limit and its ties).
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from auditor import scoring

    monkeypatch.setattr(scoring, "LEXICAL_FEATURES", limit)
    docs = ["Fast fibre, fair prices.", "Мы рядом, когда нужно.", "Fast fibre, fair prices.",
            "Call us: we answer in a minute.", "", "Мы рядом, когда нужно.", "fair and fast",
            "Call us: we answer in a minute.", "No surprises on the bill."] * 3 + ["Zyx qwv."]
    ours, _ = scoring.char_ngram_tfidf(docs)
    theirs = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                             min_df=2, max_features=limit, dtype=np.float32).fit_transform(docs)
    assert ours.shape == theirs.shape and (limit > ours.shape[1] or ours.shape[1] == limit)
    assert ours.dtype == theirs.dtype
    assert abs(ours - theirs).max() == 0


def test_letter_pattern_counts_equal_the_vectorizer_entry_for_entry() -> None:
    # Counted a word at a time; the matrix must be the vectorizer's, layout included (the
    # order of each row's entries decides the order later sums add in).
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer

    from auditor.scoring import _char_wb_counts

    docs = ["Fast  fibre,\tfair\u00a0prices.", "", "a", "Мы РЯДОМ\x1cрядом мы", "ab ba ab",
            "fibre FAST", "   ", "Zyx", "fair\nprices fast"]
    ours, names = _char_wb_counts(docs)
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4), dtype=np.float32)
    theirs = vectorizer.fit_transform(docs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert names == vectorizer.get_feature_names_out().tolist()
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(ours, part), getattr(theirs, part)), part
        assert getattr(ours, part).dtype == getattr(theirs, part).dtype, part
    with pytest.raises(ValueError):
        _char_wb_counts(["", "  "])


@pytest.mark.parametrize("limit", [200_000, 30])
def test_letter_patterns_turn_new_copy_into_the_vectorizers_rows(monkeypatch, limit) -> None:
    # Paragraphs the contrast model does not learn from are made into rows later, by the
    # fitted patterns: n-grams it never kept are not counted, repeats are weighted alike.
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    from auditor import scoring

    monkeypatch.setattr(scoring, "LEXICAL_FEATURES", limit)
    fitted = ["Fast fibre, fair prices.", "Мы рядом, когда нужно.", "fair and fast",
              "Call us: we answer in a minute.", "No surprises on the bill."] * 2
    new = ["Fast answers, fair bills.", "", "Zyx qwv", "Мы рядом всегда", "fair and fast",
           "Fast answers, fair bills.", "ПОЗВОНИТЕ нам"]
    _, patterns = scoring.char_ngram_tfidf(fitted)
    ours = patterns.transform(new)
    theirs = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True,
                             min_df=2, max_features=limit, dtype=np.float32
                             ).fit(fitted).transform(new)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert abs(ours - theirs).max() < 1e-6
    assert ours[1].nnz == ours[2].nnz == 0 and ours[0].nnz > 0


def test_letter_patterns_leave_no_garbage_for_the_collector() -> None:
    # The contrast model turns a large run's paragraphs into rows 2,048 at a time; what a
    # batch counted with must go when the batch is done, not linger (a reference cycle) until
    # the garbage collector's next full pass: on a 50,000-sentence audit that was 17 MB of
    # words at the memory peak.
    import gc

    from auditor import scoring

    docs = [f"Fibre number {i} reaches street {i % 97} at a fair price {i * 7}."
            for i in range(500)]
    _, patterns = scoring.char_ngram_tfidf(docs)
    gc.collect()
    gc.disable()
    try:
        patterns.transform(docs)
        scoring.char_ngram_tfidf(docs)
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_a_large_run_learns_from_whole_touchpoints_up_to_the_sample_size() -> None:
    from auditor.scoring import _sample

    groups = np.repeat(np.arange(40), 5)  # 40 touchpoints of 5 paragraphs
    native = np.ones(len(groups), dtype=bool)
    native[groups == 3] = False  # a touchpoint in a language the approved copy lacks
    assert np.array_equal(_sample(groups, native, 10_000), native)
    learnt = _sample(groups, native, 52)
    assert 45 <= learnt.sum() <= 52 and not learnt[~native].any()
    for g in range(40):  # a touchpoint is learnt from whole, or not at all
        assert learnt[groups == g].all() or not learnt[groups == g].any()
    assert np.array_equal(learnt, _sample(groups, native, 52))  # the same every run
    assert _sample(groups, native, 2).sum() == 5  # one touchpoint even past the limit
    # One touchpoint more changes the sample by at most the touchpoints at its edge.
    more = np.r_[groups, [99] * 5]
    learnt_more = _sample(more, np.r_[native, [True] * 5], 52)
    kept = {int(g) for g in groups[learnt]}
    kept_more = {int(g) for g in more[learnt_more]} - {99}
    assert len(kept ^ kept_more) <= 2


def test_paragraphs_not_learnt_from_are_scored_alike_in_any_batch(monkeypatch) -> None:
    # Past the sample size, the other paragraphs are scored a batch at a time by the model
    # of their touchpoint's fold: the batch size must not change a score.
    from auditor import scoring
    from baselines import DEMO_BASELINE

    index = build_index(load_baseline(DEMO_BASELINE), HashingEmbedder())
    texts = [f"Paragraph {i} of touchpoint {i % 24}: {'fast fibre fair prices ' * (i % 4)}"
             f"we answer in {i} minutes." for i in range(200)]
    groups = np.array([str(i % 24) for i in range(len(texts))])
    blocks = HashingEmbedder().encode(texts)

    def scores():
        return scoring.fit_brand_model(index, blocks, groups, ["en"] * len(texts),
                                       block_texts=texts).block_raw

    whole = scores()
    monkeypatch.setattr(scoring, "CONTRAST_SAMPLE", 90)
    learnt = scoring._sample(groups, np.ones(len(texts), dtype=bool), 90)
    assert 0 < learnt.sum() <= 90
    sampled = scores()
    monkeypatch.setattr(scoring, "SCORE_BATCH", 7)
    assert np.allclose(scores(), sampled, rtol=0, atol=1e-9)
    assert np.isfinite(sampled).all() and not np.allclose(sampled, whole)
    # Learnt from a sample, the model still ranks the copy much as the whole run's does.
    assert np.corrcoef(sampled, whole)[0, 1] > 0.8


def test_paragraph_vectors_on_disk_give_the_scores_of_an_array(monkeypatch) -> None:
    # A large run's paragraph vectors wait in a file (``RowFile``) and are read back a range
    # at a time, for nearest copy, the learnt sample and the batches after it; some
    # paragraphs in a language the approved copy lacks put gaps between the contrast's rows.
    from auditor import scoring
    from auditor.background import RowFile
    from baselines import DEMO_BASELINE

    index = build_index(load_baseline(DEMO_BASELINE), HashingEmbedder())
    texts = [f"Paragraph {i} of touchpoint {i % 24}: {'fast fibre fair prices ' * (i % 4)}"
             f"we answer in {i} minutes." for i in range(200)]
    groups = np.array([str(i % 24) for i in range(len(texts))])
    languages = ["de" if i % 7 == 3 else "en" for i in range(len(texts))]
    blocks = HashingEmbedder().encode(texts)
    monkeypatch.setattr(scoring, "CONTRAST_SAMPLE", 90)
    monkeypatch.setattr(scoring, "SCORE_BATCH", 13)
    monkeypatch.setattr(scoring, "KNN_BATCH", 17)  # also how many rows ``take`` reads at once
    rows = RowFile(blocks.shape, "float32")
    rows.write(0, blocks[:120])
    rows.write(120, blocks[120:])
    try:
        on_disk = scoring.fit_brand_model(index, rows, groups, languages, block_texts=texts)
    finally:
        rows.close()
    in_memory = scoring.fit_brand_model(index, blocks, groups, languages, block_texts=texts)
    assert on_disk.calibration.method == "nearest+contrast"
    assert np.array_equal(on_disk.block_raw, in_memory.block_raw)
    assert np.array_equal(on_disk.approved, in_memory.approved)


def test_take_reads_the_rows_an_index_names_from_a_file_in_ranges(monkeypatch) -> None:
    from auditor import scoring
    from auditor.background import RowFile

    matrix = np.arange(60, dtype=np.float32).reshape(20, 3)
    rows = RowFile(matrix.shape, "float32")
    rows.write(0, matrix)
    monkeypatch.setattr(scoring, "KNN_BATCH", 4)
    for picked in ([], [0], [19], [0, 1, 2, 3, 4, 5], [2, 3, 9, 10, 11, 18, 19], list(range(20))):
        indices = np.array(picked, dtype=np.int64)
        assert np.array_equal(scoring.take(rows, indices), matrix[indices])
        assert np.array_equal(scoring.take(matrix, indices), matrix[indices])
    rows.close()


def test_folds_fitted_side_by_side_give_the_scores_of_one_at_a_time(monkeypatch) -> None:
    from auditor import scoring
    from baselines import DEMO_BASELINE

    index = build_index(load_baseline(DEMO_BASELINE), HashingEmbedder())
    texts = [f"Paragraph {i} of touchpoint {i % 12}: {'fast fibre fair prices ' * (i % 4)}"
             f"we answer in {i} minutes." for i in range(scoring.MIN_CONTRAST_BACKGROUND + 40)]
    groups = np.array([str(i % 12) for i in range(len(texts))])
    blocks = HashingEmbedder().encode(texts)
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(scoring, "FOLD_THREADS", threads)
        model = scoring.fit_brand_model(index, blocks, groups, ["en"] * len(texts),
                                        block_texts=texts)
        assert model.calibration.method == "nearest+contrast"
        results.append((model.block_raw, model.approved))
    assert np.array_equal(results[0][0], results[1][0])
    assert np.array_equal(results[0][1], results[1][1])


def test_nearest_copy_is_the_same_a_batch_of_queries_at_a_time(monkeypatch) -> None:
    # A large run's paragraphs are compared with the approved copy a batch at a time, so the
    # similarity matrix does not grow with the run; exclusions follow their queries.
    from auditor import scoring

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(23, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    docs = np.array([i % 5 for i in range(23)])
    whole = scoring._knn(vectors, vectors, exclude=docs, groups=docs)
    monkeypatch.setattr(scoring, "KNN_BATCH", 4)
    batched = scoring._knn(vectors, vectors, exclude=docs, groups=docs)
    assert batched.shape == whole.shape
    assert np.allclose(batched, whole, rtol=0, atol=1e-6)


def test_nearest_copy_with_every_neighbour_excluded_is_zero_and_quiet() -> None:
    # Approved copy from one document: leaving a paragraph's own document out leaves nothing,
    # and numpy printed "RuntimeWarning: Mean of empty slice" on the user's screen.
    import warnings

    from auditor import scoring

    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(6, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    one_doc = np.zeros(6, dtype=int)
    two_docs = np.array([0, 0, 0, 1, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alone = scoring._knn(vectors, vectors, exclude=one_doc, groups=one_doc)
        paired = scoring._knn(vectors, vectors, exclude=two_docs, groups=two_docs)
    assert alone.dtype == np.float32 and np.array_equal(alone, np.zeros(6, dtype=np.float32))
    sims = vectors @ vectors.T
    for i in range(6):
        others = np.sort(sims[i][two_docs != two_docs[i]])[::-1][:scoring.K_NEAREST]
        assert paired[i] == pytest.approx(others.mean(), abs=1e-6)


def test_a_judged_touchpoint_keeps_only_the_sentences_a_finding_can_quote(tmp_path) -> None:
    # Judged touchpoints wait for the brand model with their nearest approved sentences; a
    # message finding quotes the least on-brand one or two of them, so only those are kept
    # (holding every sentence of a run until it was scored was 14 MB at 50,000 sentences).
    from auditor.checks import touchpoint_sentences
    from auditor.scoring import SHOWN_SENTENCES, nearest_approved
    from auditor.types import Block, Locator, Touchpoint

    embedder = HashingEmbedder()
    index = build_index(load_baseline(_baseline(tmp_path / "brand")), embedder)
    text = " ".join(f"{' '.join(words.split()[:5]).capitalize()} for every customer."
                    for words in [*TOPICS.values(), "quarterly margin guidance ebitda basis"])
    tp = Touchpoint("t", "files", "t.md", "", "en", (Block(text, "files.p", Locator("t.md")),))
    sentences = touchpoint_sentences(tp)
    assert len(sentences) == 6
    vectors = embedder.encode([s.text for s in sentences])
    every, nearest = index.nearest_sentences(vectors, "en", "files")

    near = nearest_approved(tp, sentences, vectors, index)

    least = np.argsort(every)[:SHOWN_SENTENCES]
    assert [s.text for s in near.sentences] == [sentences[i].text for i in least]
    assert near.sims.tolist() == every[least].tolist()
    assert near.nearest.tolist() == nearest[least].tolist()
