"""The audit itself: collect every channel, score every touchpoint in one embedding pass,
aggregate per channel and agent, compare with the previous run.

Library first: ``run_audit(load_config("audit.toml"))`` works from a notebook; the CLI only
parses arguments and prints.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from auditor import __version__
from auditor.checks import (
    Check,
    Sentence,
    fingerprint,
    rule_checks,
    rule_titles,
    touchpoint_sentences,
)
from auditor.embedding import (
    DEFAULT_MODEL,
    MINILM_ALIASES,
    USE_ALIASES,
    CachedEmbedder,
    Embedder,
    make_embedder,
)
from auditor.errors import ToolError
from auditor.scoring import (
    SCORE_AT_DIVERGE,
    SCORE_AT_WARN,
    BaselineIndex,
    BrandModel,
    NearestApproved,
    build_index,
    final_score,
    fit_brand_model,
    is_judged,
    nearest_approved,
    nearest_exemplar,
    score_message,
    status_for,
    weight,
    word_count,
)
from auditor.types import (
    AgentSummary,
    AuditRun,
    ChannelSummary,
    CollectionError,
    Comparison,
    Coverage,
    Finding,
    Touchpoint,
    TouchpointResult,
    display_path,
)
from baselines import Baseline, load_baseline

if TYPE_CHECKING:
    # Imported where vectors are used, so a rules-only audit (`check --no-embeddings`) loads
    # neither numpy nor the tone, offer, store and executor modules.
    import numpy as np

    from auditor.background import Later, RowFile
    from auditor.config import AuditConfig
    from auditor.executors import Executor
    from auditor.offers import OfferDetector
    from auditor.scoring import Calibration, Lexical
    from auditor.store import Store
    from auditor.tone import ToneAxes

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _quiet(stage: str, done: int, total: int) -> None:
    pass


@dataclass
class Collected:
    touchpoints: list[Touchpoint] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)


def iter_collect(config: AuditConfig, progress: Progress = _quiet,
                 executor: Executor | None = None) -> Iterator[Touchpoint | CollectionError]:
    """Every configured collector's touchpoints (each id once) and errors, as they come.

    A collector that fails is an error, not a crash. ``executor`` decides where collectors
    run (``auditor.executors``); results come in config order either way.
    """
    from auditor.executors import LocalExecutor

    executor = executor or LocalExecutor()
    sections = list(config.channels)
    seen: set[str] = set()
    for _, item in executor.collect_sections(config, progress):
        if isinstance(item, CollectionError):
            yield item
        elif item.id not in seen:
            seen.add(item.id)
            yield item
    progress("collecting", len(sections), len(sections))


def collect(config: AuditConfig, progress: Progress = _quiet,
            executor: Executor | None = None) -> Collected:
    """Run every configured collector; a collector that fails is an error, not a crash."""
    out = Collected()
    for item in iter_collect(config, progress, executor):
        (out.errors if isinstance(item, CollectionError) else out.touchpoints).append(item)
    return out


@dataclass(frozen=True)
class Scoring:
    """Everything scoring needs besides the touchpoints: the index, the model, the rules."""

    baseline: Baseline
    index: BaselineIndex | None
    embedder: Embedder | None
    checks: list[Check]
    axes: ToneAxes | None = None
    tone_targets: dict = field(default_factory=dict)
    offers: OfferDetector | None = None


def prepare(baseline: Baseline, embedder: Embedder | None, index: BaselineIndex | None = None,
            progress: Progress = _quiet) -> Scoring:
    """Build the baseline index, the tone axes and targets, and the rule checks."""
    checks = rule_checks(baseline=baseline)
    if embedder is None:
        return Scoring(baseline, None, None, checks)
    from auditor.offers import OfferDetector
    from auditor.tone import ToneAxes

    if index is None:
        progress("building baseline index", 0, 1)
        index = build_index(baseline, embedder)
    axes = ToneAxes.build(embedder)
    return Scoring(baseline, index, embedder, checks, axes,
                   exemplar_tone_targets(index, axes), OfferDetector.build(embedder))


def exemplar_tone_targets(index: BaselineIndex, axes: ToneAxes) -> dict:
    """Tone targets per language from brand.toml, else from the approved files' own tone."""
    import numpy as np

    from auditor.tone import learn_targets, tone_of

    by_doc: dict[int, list[int]] = defaultdict(list)
    for i, unit in enumerate(index.units):
        if unit.doc < len(index.baseline.exemplars):
            by_doc[unit.doc].append(i)
    doc_tones: dict[str, list[np.ndarray]] = defaultdict(list)
    sentence_tones: dict[str, list[np.ndarray]] = defaultdict(list)
    for doc, members in by_doc.items():
        texts = [index.units[i].text for i in members]
        language = index.baseline.exemplars[doc].language
        doc_tones[language].append(tone_of(texts, index.vectors[members], axes))
        for i in members:
            one = tone_of([index.units[i].text], index.vectors[[i]], axes)
            sentence_tones[language].append(one)
            sentence_tones["*"].append(one)
    targets = learn_targets(doc_tones, dict(index.baseline.voice),
                            {k: np.array(v) for k, v in sentence_tones.items()})
    return with_translated_targets(targets, axes)


def with_translated_targets(targets: dict, axes: ToneAxes) -> dict:
    """Targets for the languages the approved copy lacks, shifted by how the same phrases
    measure in each language (parallel anchors), so Russian copy is not called formal merely
    for being Russian when the approved copy is English, and the reverse."""
    from dataclasses import replace as change

    import numpy as np

    from auditor.tone import parallel_phrases, tone_of

    phrases = parallel_phrases()
    learned = [lang for lang in targets if lang != "*"]
    if not learned or not phrases:
        return targets
    reference = learned[0]
    if reference not in phrases:
        return targets
    embedder_tone = {lang: np.mean([tone_of([p], v[None, :], axes)
                                    for p, v in zip(texts, axes.encode(texts))], axis=0)
                     for lang, texts in phrases.items()}
    out = dict(targets)
    for language in phrases:
        if language in targets:
            continue
        shift = embedder_tone[language] - embedder_tone[reference]
        out[language] = {
            name: (change(t, target=round(float(np.clip(t.target + shift[j], -1, 1)), 3))
                   if t.learned else t)
            for j, (name, t) in enumerate(targets[reference].items())}
    return out


class SentenceVectors(Mapping[str, "np.ndarray"]):
    """Sentence text -> vector, backed by one float32 matrix (one row per unique sentence):
    the sentences of a chunk of touchpoints (``RunVectors.read``).

    One copy of every vector, no per-sentence arrays, however many touchpoints repeat them.
    """

    def __init__(self, rows: dict[str, int], matrix: np.ndarray) -> None:
        self.rows = rows
        self.matrix = matrix

    def __getitem__(self, text: str) -> np.ndarray:
        return self.matrix[self.rows[text]]

    def __contains__(self, text: object) -> bool:
        return text in self.rows

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def stack(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of ``texts`` as one (len(texts), dim) array."""
        return self.matrix[[self.rows[t] for t in texts]]


@dataclass(frozen=True)
class Scored:
    results: list[TouchpointResult]               # with their places on the brand map
    model: BrandModel | None
    coverage: Coverage | None = None              # ``key_message_coverage``
    exemplar_map: list[dict] = field(default_factory=list)  # ``brand_map``'s approved points


#: Unique sentences embedded per call: bounds the memory of one batch (texts, cache rows,
#: model activations) whatever the size of the audit.
EMBED_BATCH = 4096
#: Sentences whose vectors scoring holds at once: touchpoints are scored a chunk of about
#: this many sentences at a time (``RunVectors``).
SCORE_SENTENCES = 4096


def embed_sentences(texts: Sequence[str], embedder: Embedder, executor: Executor | None = None,
                    progress: Progress = _quiet, keep: bool = True) -> np.ndarray | None:
    """Vectors of ``texts`` (unique) in one preallocated matrix, embedded in bounded batches
    through the cache (``EMBED_BATCH`` at a time). With ``keep=False`` they are only stored
    in the embedder's vector cache and nothing is returned (``RunVectors`` reads them back)."""
    import numpy as np

    from auditor.executors import LocalExecutor

    executor = executor or LocalExecutor()
    # A cluster wants bigger batches than one process (each Ray Data pipeline starts its own
    # actor pool); the executor says how big, within the same bound on memory.
    size = getattr(executor, "batch_size", None) or EMBED_BATCH
    matrix = np.zeros((len(texts), embedder.dim), dtype=np.float32) if keep else None
    progress("embedding", 0, len(texts))
    for start in range(0, len(texts), size):
        batch = texts[start:start + size]
        vectors = executor.encode(embedder, batch)
        if matrix is not None:
            matrix[start:start + len(batch)] = vectors
        progress("embedding", start + len(batch), len(texts))
    return matrix


class RunVectors:
    """The run's sentence vectors after its one embedding pass, a chunk of touchpoints at a
    time (``read``).

    Behind a vector cache (``CachedEmbedder``, as every audit from the CLI embeds), nothing
    is held: each chunk's vectors are read back from the cache, exactly as the pass gave them
    (``CachedEmbedder.cached``), so scoring holds ``SCORE_SENTENCES`` vectors, not one per
    sentence of the run (50,000 sentences are 100 MB of vectors). An embedder without a cache
    keeps them in one matrix.
    """

    def __init__(self, texts: Sequence[str], embedder: Embedder,
                 executor: Executor | None = None, progress: Progress = _quiet) -> None:
        from auditor.embedding import CachedEmbedder

        self._cached = embedder if isinstance(embedder, CachedEmbedder) else None
        matrix = embed_sentences(texts, embedder, executor, progress,
                                 keep=self._cached is None)
        self._held = None if matrix is None else SentenceVectors(
            {t: i for i, t in enumerate(texts)}, matrix)

    def read(self, texts: Sequence[str]) -> SentenceVectors:
        """The vectors of ``texts`` (unique, all embedded by the pass)."""
        rows = {t: i for i, t in enumerate(texts)}
        if self._held is None:
            return SentenceVectors(rows, self._cached.cached(texts))
        return SentenceVectors(rows, self._held.stack(texts))


def _spans(all_sentences: list[list[Sentence]], limit: int | None = None
           ) -> list[tuple[int, int]]:
    """Consecutive touchpoint ranges ``(first, last)`` of at most ``limit`` sentences each
    (default ``SCORE_SENTENCES``; a touchpoint with more is a range of its own)."""
    limit = limit or SCORE_SENTENCES
    spans, first, count = [], 0, 0
    for n, sentences in enumerate(all_sentences):
        if count and count + len(sentences) > limit:
            spans.append((first, n))
            first, count = n, 0
        count += len(sentences)
    if first < len(all_sentences):
        spans.append((first, len(all_sentences)))
    return spans


def _span_texts(all_sentences: list[list[Sentence]], first: int, last: int) -> list[str]:
    return list(dict.fromkeys(s.text for sentences in all_sentences[first:last]
                              for s in sentences))


#: Below this many unique sentences an audit does everything in one process: starting the
#: background worker costs more than the work it would take over.
BACKGROUND_MIN_SENTENCES = 2_000
#: Touchpoints per task of the vector-free work (``auditor.background``): small enough that
#: the worker's last unfinished task costs little when this process does it instead.
BACKGROUND_CHUNK = 200


def score_touchpoints(touchpoints: list[Touchpoint], scoring: Scoring,
                      progress: Progress = _quiet, *, executor: Executor | None = None
                      ) -> Scored:
    """Score touchpoints: one embedding pass over every unique sentence, then the model.

    What needs no vectors (the rule checks and the contrast model's letter patterns) is done
    by a background worker on the other core while the model embeds (``auditor.background``);
    the results are the same as doing it all in this process.
    """
    with _settled_heap() as settle:
        return _score_touchpoints(touchpoints, scoring, progress, executor, settle)


@contextmanager
def _settled_heap() -> Iterator[Callable[[], None]]:
    """Keep the run's long-lived objects out of the garbage collector's walks while it scores.

    A run holds hundreds of thousands of objects (touchpoints, sentences, blocks) until its
    report is written, and every full collection walks them all: splitting 50,000 sentences
    took 0.64 s with them walked and 0.46 s frozen. Inside the block they are frozen
    (``gc.freeze``), and ``settle()`` freezes what was made since: called before the
    background worker forks, it also keeps the worker's collector from writing to those
    objects, so their pages stay shared (the ``gc`` module's advice for fork). Afterwards
    everything is unfrozen, so a long-lived process collects it as usual; a caller that froze
    objects itself is left alone.
    """
    import gc

    if gc.get_freeze_count():
        yield lambda: None
        return
    gc.freeze()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def _score_touchpoints(touchpoints: list[Touchpoint], scoring: Scoring, progress: Progress,
                       executor: Executor | None, settle: Callable[[], None]) -> Scored:
    all_sentences = [touchpoint_sentences(tp) for tp in touchpoints]
    rows: dict[str, int] = {}
    for sentences in all_sentences:
        for s in sentences:
            rows.setdefault(s.text, len(rows))
    if scoring.index is None or scoring.embedder is None:
        # Rules only: nothing is embedded, and numpy is not even loaded.
        ruled = _rule_findings(touchpoints, all_sentences, scoring.checks)
        blocks: list[dict[int, int]] = [{} for _ in touchpoints]
        judged = _judge_all(touchpoints, all_sentences, scoring, ruled, {}, blocks, None)
        return Scored(_score_all(touchpoints, judged, None, blocks, progress), None)
    from functools import partial

    import numpy as np

    from auditor.background import Later, Result, SharedWork
    from auditor.scoring import contrast_plan, lexical_features

    layout = _block_layout(touchpoints, all_sentences)
    plan = contrast_plan(scoring.index, np.array(layout.groups), layout.languages)
    background = getattr(executor, "name", "local") == "local" \
        and len(rows) >= BACKGROUND_MIN_SENTENCES
    # First the contrast model's letter patterns, then the rules and style, a chunk of
    # touchpoints at a time; last, the brand model, which waits for the vectors. (With the
    # vectors cached, this process does the chunks while the worker makes the patterns.)
    chunks = range(0, len(touchpoints), BACKGROUND_CHUNK)
    # The paragraphs' vectors wait on disk for the brand model and the map (2 KB a
    # paragraph: memory that would grow with the run).
    block_vectors = Later((len(layout.members), scoring.embedder.dim), "float32",
                          shared=background, on_disk=True)
    settle()  # the sentences and the layout, before the worker forks
    work = SharedWork([
        partial(lexical_features, scoring.index, plan, layout.texts) if plan else lambda: None,
        *(partial(_vector_free_work, touchpoints[c:c + BACKGROUND_CHUNK],
                  all_sentences[c:c + BACKGROUND_CHUNK], scoring.checks) for c in chunks),
        partial(_brand_model_later, scoring.index, layout, block_vectors, Result(0))],
        background=block_vectors.shared)
    fit = len(chunks) + 1
    with work, closing(block_vectors):
        # Shortest first: the cache's batches and the model's micro-batches fill evenly.
        vectors = RunVectors(sorted(rows, key=lambda t: (len(t), t)), scoring.embedder,
                             executor, progress)
        del rows
        # Then the touchpoints a chunk at a time, twice: their paragraphs and key messages
        # first (the brand model waits for the paragraphs), their tone and findings once the
        # rules are in.
        spans = _spans(all_sentences)
        paragraphs = block_vectors.array
        carried = CoverageCount(touchpoints, scoring.index)
        offer_parts = []
        for first, last in spans:
            chunk = vectors.read(_span_texts(all_sentences, first, last))
            part = _write_blocks(layout, chunk, paragraphs, range(first, last))
            if scoring.offers is not None:
                offer_parts.append(scoring.offers.scores(part))
            carried.add(touchpoints[first:last], all_sentences[first:last], chunk)
            del part
        block_vectors.set()
        offer = np.concatenate(offer_parts) if offer_parts else None
        progress("modelling the brand", 0, 1)
        with one_blas_thread():
            ruled, styles = [], []
            for chunk_ruled, chunk_styles in work.all(1, fit):  # not the letter patterns
                ruled += chunk_ruled
                styles += chunk_styles
            # Held here alone, they go a chunk at a time as the chunks are judged.
            work.release(range(1, fit))
            # A worker that kept up (or, with cached vectors, got to the brand model while
            # this process did the rules) fits the model while this process measures tone
            # and the rest; on a machine too busy for it, the model is fitted here.
            positions, exemplar_map = brand_map(paragraphs, layout.blocks, scoring.index)
            judged: list[Judged] = []
            for first, last in spans:
                chunk = vectors.read(_span_texts(all_sentences, first, last))
                part = slice(first, last)
                toned = _tones(touchpoints[part], all_sentences[part], scoring, chunk,
                               styles[part])
                judged += _judge_all(touchpoints[part], all_sentences[part], scoring,
                                     ruled[part], chunk, layout.blocks[part], offer, toned)
                # Judged: let the chunk's sentences, rule findings and vectors go.
                all_sentences[part] = ruled[part] = styles[part] = [[]] * (last - first)
                del chunk, toned
            model = BrandModel(scoring.index, *work.get(fit, wait=True))
            results = _score_all(touchpoints, judged, model, layout.blocks, progress)
    for n, xy in positions.items():
        results[n] = replace(results[n], position=xy)
    return Scored(results, model, carried.result(), exemplar_map)


def _brand_model_later(index: BaselineIndex, layout: BlockLayout, block_vectors: Later,
                       lexical: Lexical | None) -> tuple[Calibration, np.ndarray, np.ndarray]:
    """``fit_brand_model`` of the run's paragraphs once this process has filled
    ``block_vectors`` (the background worker loads the solver while it waits). The results
    come without the index, which the caller has (a worker sends back a few arrays, not the
    baseline)."""
    import numpy as np

    if lexical is not None:
        import sklearn.linear_model  # noqa: F401
    with one_blas_thread():
        model = fit_brand_model(index, block_vectors.get(), np.array(layout.groups),
                                layout.languages, lexical=lexical, block_texts=layout.texts)
    return model.calibration, model.approved, model.block_raw


def _vector_free_work(touchpoints: list[Touchpoint], all_sentences: list[list[Sentence]],
                      checks: list[Check]):
    """Touchpoints' rule findings and the style half of their tone (``auditor.tone.style``):
    with the contrast model's letter patterns, all of scoring that needs no vectors."""
    from auditor.tone import style

    styles = []
    for sentences in all_sentences:
        judged = [s.text for s in sentences if is_judged(s)]
        styles.append(style(judged) if judged else None)
    return _rule_findings(touchpoints, all_sentences, checks), styles


def _rule_findings(touchpoints: list[Touchpoint], all_sentences: list[list[Sentence]],
                   checks: list[Check]) -> list[list[Finding]]:
    return [[finding for check in checks for finding in check.run(tp, sentences)]
            for tp, sentences in zip(touchpoints, all_sentences)]


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run numpy's BLAS / LAPACK on one thread inside the block.

    Scoring multiplies many small matrices (a touchpoint's sentences by the approved ones) and
    decomposes one (the brand map); OpenBLAS's worker threads cost more than they save there,
    and on a busy 2-core machine they spin against each other: measured on the 10,000-sentence
    benchmark, scoring took 50 s with two BLAS threads and 21 s with one, with the same scores.
    The embedding model is left alone (its big matrices do gain from threads).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # a scikit-learn dependency; without it, BLAS keeps its threads
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@dataclass(frozen=True)
class Judged:
    """A touchpoint judged on everything but the brand model: its tone, its findings (tone,
    rules, offers) and its sentences against the approved ones (for the message score)."""

    findings: list[Finding]
    tone: dict[str, float]
    near: NearestApproved | None = None


def _judge_all(touchpoints, all_sentences, scoring, ruled, vectors, blocks, offer, toned=None
               ) -> list[Judged]:
    out = []
    for n, (tp, sentences) in enumerate(zip(touchpoints, all_sentences)):
        block_offer = ({b: float(offer[row]) for b, row in blocks[n].items()}
                       if offer is not None else {})
        out.append(_judge_one(tp, sentences, scoring, ruled[n], vectors, block_offer,
                              toned[n] if toned else ({}, [])))
        all_sentences[n] = []  # judged: let the sentence objects go
        ruled[n] = []
    return out


def _score_all(touchpoints, judged, model, blocks, progress) -> list[TouchpointResult]:
    results = []
    for n, tp in enumerate(touchpoints):
        block_raw = {b: float(model.block_raw[row]) for b, row in blocks[n].items()} if model \
            else {}
        results.append(_score_one(tp, judged[n], model, block_raw))
        judged[n] = None
        if n % 50 == 0:
            progress("scoring", n, len(touchpoints))
    progress("scoring", len(touchpoints), len(touchpoints))
    return results


def _unit_mean(matrix: np.ndarray, rows: list[int]) -> np.ndarray:
    """The mean of ``matrix``'s ``rows``, scaled to unit length."""
    import numpy as np

    v = matrix[rows].mean(axis=0)
    return v / (np.linalg.norm(v) or 1.0)


@dataclass(frozen=True)
class BlockLayout:
    """The judged paragraphs (blocks) of a run, one row each, known before any vector:
    ``blocks`` maps touchpoint -> block position -> row; per row, its sentences, touchpoint,
    language and text."""

    blocks: list[dict[int, int]]
    members: list[list[str]]
    groups: list[str]      # each paragraph's touchpoint, by its copy (``_copy_key``)
    languages: list[str]
    texts: list[str]


def _block_layout(touchpoints: list[Touchpoint], all_sentences: list[list[Sentence]]
                  ) -> BlockLayout:
    layout = BlockLayout([{} for _ in touchpoints], [], [], [], [])
    for t, sentences in enumerate(all_sentences):
        group = _copy_key(touchpoints[t])
        by_block: dict[int, list[str]] = defaultdict(list)
        position: dict = {}
        for i, block in enumerate(touchpoints[t].blocks):
            position.setdefault(block, i)  # equal blocks are one paragraph
        for s in sentences:
            if is_judged(s):
                by_block[position[s.block]].append(s.text)
        for b, texts in by_block.items():
            layout.blocks[t][b] = len(layout.members)
            layout.members.append(texts)
            layout.groups.append(group)
            layout.languages.append(touchpoints[t].language)
            layout.texts.append(touchpoints[t].blocks[b].text)
    return layout


def _copy_key(touchpoint: Touchpoint) -> str:
    """A touchpoint's copy, hashed: what the contrast model's folds and sample follow, so they
    do not move when other touchpoints join or leave the run, when a site is audited under
    another host or port, or when files are read from another folder; touchpoints with the
    same copy are kept together (one fold), so a copy is never scored by a model that learnt
    from its twin."""
    digest = hashlib.blake2b(digest_size=16)
    for block in touchpoint.blocks:
        digest.update(block.text.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def _write_blocks(layout: BlockLayout, vectors: SentenceVectors, out: RowFile,
                  touchpoints: range) -> np.ndarray:
    """The rows of ``out`` (in ``layout`` row order) of the judged paragraphs of those
    consecutive touchpoints: each paragraph's normalised mean sentence vector. Returns
    them (their rows are consecutive too)."""
    import numpy as np

    rows = [row for n in touchpoints for row in layout.blocks[n].values()]
    part = np.zeros((len(rows), out.shape[1]), dtype=np.float32)
    for k, row in enumerate(rows):
        part[k] = _unit_mean(vectors.matrix, [vectors.rows[t] for t in layout.members[row]])
    if rows:
        out.write(rows[0], part)
    return part


def _judge_one(tp: Touchpoint, sentences: list[Sentence], scoring: Scoring,
               ruled: list[Finding], vectors: Mapping[str, np.ndarray],
               block_offer: dict[int, float],
               toned: tuple[dict[str, float], list[Finding]] = ({}, [])) -> Judged:
    tone, findings = toned[0], list(toned[1])
    for finding in ruled:  # the rule checks' findings (``_rule_findings``)
        if scoring.index is not None and finding.exemplar is None:
            finding = _with_exemplar(finding, scoring.index, vectors, tp)
        findings.append(finding)
    findings = [_with_block(f, tp) for f in findings]
    findings += _offer_findings(tp, sentences, block_offer, findings, scoring, vectors)
    near = None
    if vectors and scoring.index is not None and sentences:
        import numpy as np

        matrix = np.stack([vectors[s.text] for s in sentences])
        near = nearest_approved(tp, sentences, matrix, scoring.index)
    return Judged(findings, tone, near)


def _score_one(tp: Touchpoint, judged: Judged, model: BrandModel | None,
               block_raw: dict[int, float]) -> TouchpointResult:
    findings: list[Finding] = []
    message_score = similarity = None
    if model is not None:
        message = score_message(tp, judged.near, model, block_raw)
        message_score, similarity = message.score, message.similarity
        findings.extend(_with_block(f, tp) for f in message.findings)
    # Message findings first, as the other findings were made: sorting keeps that order
    # within a rule.
    findings.extend(judged.findings)
    findings.sort(key=_urgency)
    final = tuple(findings)
    score = final_score(message_score, final)
    return TouchpointResult(tp, score, status_for(score, final), final, tone=judged.tone,
                            similarity=None if similarity is None else round(similarity, 4))


# Within a severity, what a reviewer should read first: how the customer is treated, then
# the message, then voice, words and readability.
_RULE_ORDER = ("respect", "message", "tone", "terms", "vale", "readability")


def _urgency(finding: Finding) -> tuple[int, int, str]:
    family = finding.rule.split(".")[0]
    order = _RULE_ORDER.index(family) if family in _RULE_ORDER else len(_RULE_ORDER)
    return {"error": 0, "warning": 1, "info": 2}[finding.severity], order, finding.rule


# Tone is judged only on copy long enough to have one.
MIN_TONE_WORDS = 25


def _tones(touchpoints: list[Touchpoint], all_sentences: list[list[Sentence]],
           scoring: Scoring, vectors: SentenceVectors, styles: list
           ) -> list[tuple[dict[str, float], list[Finding]]]:
    """Each touchpoint's tone (dimension -> position) and its tone findings.

    The meaning half of tone is measured for every unique sentence in one product with the
    anchor phrases; ``styles`` holds each touchpoint's style half (``_vector_free_work``).
    """
    import numpy as np

    from auditor.tone import DIMENSIONS, tone_of

    if scoring.axes is None:
        return [({}, []) for _ in touchpoints]
    semantic = scoring.axes.semantic(vectors.matrix)
    out = []
    for tp, sentences, styled in zip(touchpoints, all_sentences, styles):
        judged = [s for s in sentences if is_judged(s)]
        if not judged:
            out.append(({}, []))
            continue
        texts = [s.text for s in judged]
        rows = [vectors.rows[t] for t in texts]
        values = tone_of(texts, None, scoring.axes, np.array([weight(t) for t in texts]),
                         styled=styled, semantic=semantic[rows])
        out.append(({d: round(float(v), 3) for d, v in zip(DIMENSIONS, values)},
                    _tone_findings(tp, judged, vectors.matrix[rows], semantic[rows], values,
                                   scoring)))
    return out


def _tone_findings(tp: Touchpoint, sentences: list[Sentence], matrix: np.ndarray,
                   semantic: np.ndarray, values: np.ndarray, scoring: Scoring
                   ) -> list[Finding]:
    import numpy as np

    from auditor.tone import (
        advice,
        explain_off_target,
        explain_off_target_ru,
        off_target,
    )

    if sum(word_count(s.text) for s in sentences) < MIN_TONE_WORDS:
        return []
    targets = scoring.tone_targets.get(tp.language) or scoring.tone_targets.get("*", {})
    out = []
    for j, name, value, target in off_target(values, targets, len(sentences)):
        direction = 1 if value > target.target else -1
        # Tone is measured, not certain: past the approved copy's own spread is worth a look
        # (info); twice that distance is a problem to fix (warning).
        far = abs(value - target.target) > 2 * target.allowed(len(sentences))
        # The sentence that pulls furthest in the off-target direction is the evidence.
        worst = sentences[int(np.argmax(semantic[:, j] * direction))]
        exemplar = (nearest_exemplar(scoring.index,
                                     matrix[int(np.argmax(semantic[:, j] * direction))],
                                     tp.language, tp.channel)
                    if scoring.index is not None else None)
        out.append(Finding(
            rule=f"tone.{name}", severity="warning" if far else "info",
            message=explain_off_target(name, value, target, scoring.baseline.name),
            evidence=worst.text, locator=worst.block.locator,
            span=(worst.start, worst.end),
            suggestion=advice(name, direction) or None, exemplar=exemplar,
            fingerprint=fingerprint(f"tone.{name}", tp.id, worst.text),
            translations=(("ru", explain_off_target_ru(name, value, target,
                                                       scoring.baseline.name),
                           advice(name, direction, "ru") or None),)))
    return out


def _offer_findings(tp: Touchpoint, sentences: list[Sentence], block_offer: dict[int, float],
                    found: list[Finding], scoring: Scoring,
                    vectors: Mapping[str, np.ndarray]) -> list[Finding]:
    """Paragraphs that read as unsolicited offers, unless the phrase rules caught them."""
    if not block_offer:  # rules only: nothing was measured
        return []
    from auditor.offers import MIN_WORDS as OFFER_MIN_WORDS
    from auditor.offers import THRESHOLD as OFFER_THRESHOLD

    caught = {f.block for f in found if f.rule == "respect.spam"}
    out = []
    for b, value in sorted(block_offer.items()):
        # A heading or a button is too short to judge by meaning alone.
        if value <= OFFER_THRESHOLD or b in caught or word_count(tp.blocks[b].text) < (
                OFFER_MIN_WORDS):
            continue
        block = tp.blocks[b]
        mine = [s for s in sentences if s.block is block and s.text in vectors]
        if not mine:
            continue
        strongest = max(mine, key=lambda s: float(scoring.offers.scores(
            vectors[s.text][None, :])[0]))
        finding = Finding(
            rule="respect.spam", severity="error",
            message=("Reads like an unsolicited offer (easy money, dubious jobs or loans, "
                     "'write to me privately') rather than the brand speaking to its "
                     "customers. Spam-style copy damages the brand that sends it."),
            evidence=strongest.text, locator=block.locator,
            span=(strongest.start, strongest.end), block=b,
            suggestion=("Make a concrete, verifiable offer from the brand's own channel, and "
                        "never ask people to move to private messages."),
            fingerprint=fingerprint("respect.spam", tp.id, strongest.text),
            translations=(("ru", "Читается как непрошеное предложение (лёгкие деньги, "
                                 "сомнительная работа или займы, «пишите в личку»), а не как "
                                 "бренд, который говорит со своими клиентами. Такой текст "
                                 "вредит бренду, который его отправляет.",
                           "Делайте конкретное, проверяемое предложение в собственном канале "
                           "бренда и никогда не зовите людей в личные сообщения."),))
        if scoring.index is not None:
            finding = _with_exemplar(finding, scoring.index, vectors, tp)
        out.append(finding)
    return out


def _with_exemplar(finding: Finding, index: BaselineIndex, vectors: Mapping[str, np.ndarray],
                   tp: Touchpoint) -> Finding:
    from dataclasses import replace

    vector = vectors.get(finding.evidence)
    if vector is None:
        return finding
    return replace(finding, exemplar=nearest_exemplar(index, vector, tp.language, tp.channel))


def _with_block(finding: Finding, tp: Touchpoint) -> Finding:
    """Point the finding at the block its evidence sits in (for highlighting in place)."""
    from dataclasses import replace

    if finding.block is not None:
        return finding
    for b, block in enumerate(tp.blocks):
        if block.locator == finding.locator and finding.evidence in block.text:
            return replace(finding, block=b)
    for b, block in enumerate(tp.blocks):
        if finding.evidence in block.text:
            return replace(finding, block=b)
    return finding


def aggregate(results: list[TouchpointResult]
              ) -> tuple[tuple[ChannelSummary, ...], tuple[AgentSummary, ...], float | None]:
    from auditor.scoring import status_for as band

    by_channel: dict[str, list[TouchpointResult]] = defaultdict(list)
    by_agent: dict[str, list[TouchpointResult]] = defaultdict(list)
    for r in results:
        by_channel[r.touchpoint.channel].append(r)
        # "unknown" is a collector's admission, not a person to rank.
        if r.touchpoint.agent_id and r.touchpoint.agent_id != "unknown":
            by_agent[r.touchpoint.agent_id].append(r)
    channels = tuple(
        ChannelSummary(ch, _mean([r.score for r in rs]), len(rs),
                       sum(r.status == "diverges" for r in rs), sum(r.status == "warn" for r in rs))
        for ch, rs in sorted(by_channel.items()))
    agents = tuple(sorted(
        (AgentSummary(a, len(rs), _mean([r.score for r in rs]),
                      band(_mean([r.score for r in rs]), ()))
         for a, rs in by_agent.items()),
        key=lambda a: (a.score if a.score is not None else 101)))
    run_score = _mean([c.score for c in channels if c.score is not None])
    return channels, agents, run_score


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 1) if vals else None


def compare(current: list[TouchpointResult], score: float | None,
            previous: dict | None) -> Comparison | None:
    """New and resolved findings, by fingerprint, against a previous report dict."""
    if not previous:
        return None
    before = {f.get("fingerprint") for tp in previous.get("touchpoints", [])
              for f in tp.get("findings", []) if f.get("fingerprint")}
    now = {f.fingerprint for r in current for f in r.findings if f.fingerprint}
    prev_score = previous.get("summary", {}).get("score")
    delta = round(score - prev_score, 1) if score is not None and prev_score is not None else None
    return Comparison(previous["run"]["id"], tuple(sorted(now - before)),
                      tuple(sorted(before - now)), delta)


#: Built-in models whose id and dimension are known without loading them, so a run whose
#: every sentence is in the vector cache never loads the model at all.
_KNOWN_MODELS = {
    **{alias: ("use-multilingual-v3", 512) for alias in (*USE_ALIASES, "use-multilingual-v3")},
    **{alias: ("sentence-transformers/all-MiniLM-L6-v2", 384) for alias in MINILM_ALIASES},
}


class LazyEmbedder:
    """A built-in model that is loaded on the first ``encode`` call, not before.

    ``model_id`` and ``dim`` are known up front (they key the vector cache), so a warm run
    answers from the cache without paying for the model's import and load.
    """

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.model_id, self.dim = _KNOWN_MODELS[spec]
        self._model: Embedder | None = None

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded (some text missed the cache)."""
        return self._model is not None

    @property
    def forkable(self) -> bool:
        """Whether the model may be used by forked copies of this process (known before it
        is loaded, from the model it will be)."""
        from auditor.embedding import UniversalSentenceEncoder

        return self.model_id == UniversalSentenceEncoder.model_id

    def one_thread(self) -> AbstractContextManager[None]:
        """The model's ``one_thread`` (the model is loaded first)."""
        return getattr(self._load(), "one_thread", nullcontext)()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._load().encode(texts)

    def _load(self) -> Embedder:
        if self._model is None:
            self._model = make_embedder(self.spec)
            if (self._model.model_id, self._model.dim) != (self.model_id, self.dim):
                raise ToolError(
                    f"model '{self.spec}' loaded as {self._model.model_id} "
                    f"({self._model.dim} dimensions), expected {self.model_id} ({self.dim})",
                    source=self.spec, hint="reinstall the model's package")
        return self._model

    def __getstate__(self) -> dict:
        # Shipped to Ray workers by spec: each loads its own copy.
        return {"spec": self.spec, "model_id": self.model_id, "dim": self.dim, "_model": None}


def open_embedder(model: str | None, store: Store | None) -> CachedEmbedder:
    """The named model (default ``DEFAULT_MODEL``) behind the vector cache in ``store``.

    Built-in models load lazily: only when some text is not in the cache.
    """
    from auditor.embedding import MemoryCache

    spec = (model or DEFAULT_MODEL).strip()
    inner = LazyEmbedder(spec) if spec in _KNOWN_MODELS else make_embedder(spec)
    return CachedEmbedder(inner, store if store is not None else MemoryCache())


def model_loaded(embedder: Embedder | None) -> bool:
    """Whether ``embedder`` (or the model behind its cache) has loaded model weights."""
    inner = getattr(embedder, "embedder", embedder)
    return bool(getattr(inner, "loaded", embedder is not None))


class ResultMemo(Protocol):
    """Where a finished audit's scores are remembered; ``auditor.store.Store`` is one."""

    def get_memo(self, kind: str, key: str) -> bytes | None: ...

    def put_memo(self, kind: str, key: str, value: bytes) -> None: ...


MEMO_KIND = "audit-results"


def audit_key(touchpoints: Iterable[Touchpoint], baseline: Baseline,
              embedder: Embedder | None) -> str:
    """What an audit's scores depend on, hashed: the code and bundled data of brand-audit,
    the baseline's files, the model, and every touchpoint's copy (id, channel, source,
    title, language, blocks)."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{_code_hash()}\0".encode())
    digest.update(f"{embedder.model_id if embedder else 'none'}\0".encode())
    digest.update(_tree_hash(Path(baseline.root)).encode())
    for tp in touchpoints:
        # What scoring reads. Not when it was captured nor its metadata (engagement counts,
        # "answered 304"), which change between crawls of the same copy: aggregation, which
        # reads the agent from the metadata, runs afresh on every run anyway.
        scored = (tp.id, tp.channel, tp.source, tp.title, tp.language, tp.blocks)
        digest.update(repr(scored).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _code_hash() -> str:
    import auditor
    import baselines

    packages = [Path(auditor.__file__).parent, Path(baselines.__file__).parent]
    digest = hashlib.sha256()
    for package in packages:
        for path in sorted(package.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".toml", ".txt", ".json", ".yml",
                                                  ".yaml", ".csv", ".jsonl", ".md"):
                digest.update(path.as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    if root.is_file():
        return hashlib.sha256(root.read_bytes()).hexdigest()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def audit(touchpoints: list[Touchpoint], errors: list[CollectionError], baseline: Baseline,
          embedder: Embedder | None, *, previous: dict | None = None,
          progress: Progress = _quiet, started_at: datetime | None = None,
          index: BaselineIndex | None = None, history: list[dict] | None = None,
          executor: Executor | None = None, memo: ResultMemo | None = None) -> AuditRun:
    """Score collected touchpoints against a baseline and build the run.

    ``previous`` is the previous run's report (for new / resolved findings); ``history`` the
    stored runs' per-channel scores, oldest first (for the trend). ``executor`` decides where
    the embedding runs (``auditor.executors``). With ``memo`` (the history store), an audit
    whose inputs are unchanged since a stored run (same code, baseline files, model and
    touchpoints: ``audit_key``) reuses that run's scores instead of scoring again.
    """
    started_at = started_at or datetime.now(UTC)
    # Scores must not depend on the order touchpoints arrive in (a crawler's pages finish in
    # any order, and the contrast model's folds follow positions): score them in id order.
    touchpoints = sorted(touchpoints, key=lambda tp: tp.id)
    key = audit_key(touchpoints, baseline, embedder) if memo is not None and index is None \
        else None
    remembered = _recall(memo, key)
    if remembered is not None:
        progress("scoring (unchanged since a stored run)", 1, 1)
        results, coverage, scored_context = remembered
        results = [replace(r, touchpoint=tp) for r, tp in zip(results, touchpoints)]
    else:
        scoring = prepare(baseline, embedder, index, progress)
        scored = score_touchpoints(touchpoints, scoring, progress, executor=executor)
        results = scored.results
        coverage = None
        scored_context: dict[str, object] = {}
        if scored.model is not None:
            scored_context["calibration"] = scored.model.calibration.as_dict()
            scored_context["tone_targets"] = {
                lang: {d: {"target": t.target, "tolerance": t.tolerance, "learned": t.learned,
                           "sentence_sd": t.sentence_sd}
                       for d, t in targets.items()}
                for lang, targets in scoring.tone_targets.items()}
            coverage = scored.coverage
            scored_context["exemplar_map"] = scored.exemplar_map
        del scored
        if key is not None:
            import pickle

            memo.put_memo(MEMO_KIND, key, pickle.dumps(
                (tuple(replace(r, touchpoint=None) for r in results), coverage,
                 scored_context), protocol=pickle.HIGHEST_PROTOCOL))
    context: dict[str, object] = {"brand": baseline.name,
                                  "thresholds": {"ok": SCORE_AT_WARN, "warn": SCORE_AT_DIVERGE},
                                  **scored_context}
    context["rules"] = _rule_titles(results)
    channels, agents, score = aggregate(results)
    if len([a for a in agents if a.score is not None]) >= 2:
        import numpy as np

        context["agent_spread"] = round(float(np.std([a.score for a in agents
                                                      if a.score is not None])), 1)
    run_id = started_at.strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
    context["trend"] = [*(history or []), {
        "run_id": run_id, "started_at": started_at.isoformat().replace("+00:00", "Z"),
        "score": score, "by_channel": {c.channel: c.score for c in channels}}]
    return AuditRun(
        id=run_id,
        started_at=started_at, finished_at=datetime.now(UTC),
        baseline=display_path(baseline.root, Path.cwd()),
        model=embedder.model_id if embedder else "none (rules only)",
        tool_version=__version__, results=tuple(results), channels=channels, agents=agents,
        errors=tuple(errors), score=score, comparison=compare(results, score, previous),
        coverage=coverage, context=context)


def _rule_titles(results: Iterable[TouchpointResult]) -> dict[str, dict[str, str]]:
    """The titles of the rules the run's findings name (``checks.rule_titles``), for the
    report to name rules to people; a rule without one is left out (its name is its title)."""
    titles = rule_titles()
    found = sorted({f.rule for r in results for f in r.findings} & titles.keys())
    return {rule: titles[rule] for rule in found}


def _recall(memo: ResultMemo | None, key: str | None):
    """The remembered (results, coverage, context) of ``key``, or None (also when the stored
    value is damaged or from another version of the types: then the audit scores afresh)."""
    if memo is None or key is None:
        return None
    raw = memo.get_memo(MEMO_KIND, key)
    if raw is None:
        return None
    import pickle

    try:
        # The store is this audit's own state, written by this code (the key covers the code).
        return pickle.loads(raw)
    except Exception:
        return None


def key_message_coverage(touchpoints: list[Touchpoint], index: BaselineIndex,
                         vectors: Mapping[str, np.ndarray], all_sentences: list[list[Sentence]]
                         ) -> Coverage | None:
    """Share of each channel's touchpoints that carry each key message (paraphrases count);
    ``all_sentences`` holds each touchpoint's ``touchpoint_sentences`` (``CoverageCount``,
    all at once)."""
    count = CoverageCount(touchpoints, index)
    count.add(touchpoints, all_sentences, vectors)
    return count.result()


class CoverageCount:
    """``key_message_coverage`` counted a chunk of touchpoints at a time (``add``).

    A sentence carries a message when its similarity to the message stands out from how the
    approved copy in general relates to it: above the approved sentences' mean plus
    ``COVERAGE_SIGMAS`` standard deviations (never below ``COVERAGE_FLOOR``). A message's
    versions in other languages (``translation_groups``) are one row: a touchpoint that
    carries any of them carries the message.
    """

    def __init__(self, touchpoints: list[Touchpoint], index: BaselineIndex) -> None:
        import numpy as np

        self.index = index
        self.messages = index.baseline.key_messages
        self.active = bool(self.messages) and bool(len(index.key_vectors))
        if not self.active:
            return
        approved = index.vectors[:len(index.vectors) - len(self.messages)]
        sims = approved @ index.key_vectors.T
        self.threshold = np.maximum(sims.mean(axis=0) + COVERAGE_SIGMAS * sims.std(axis=0),
                                    COVERAGE_FLOOR)
        self.groups = translation_groups(self.messages, index.key_vectors)
        self.channels = sorted({tp.channel for tp in touchpoints})
        self.counts = np.zeros((len(self.groups), len(self.channels)))
        self.totals = np.zeros(len(self.channels))

    def add(self, touchpoints: list[Touchpoint], all_sentences: list[list[Sentence]],
            vectors: Mapping[str, np.ndarray]) -> None:
        import numpy as np

        if not self.active:
            return
        for tp, sentences in zip(touchpoints, all_sentences, strict=True):
            c = self.channels.index(tp.channel)
            texts = [s.text for s in sentences if s.text in vectors]
            if not texts:
                continue
            self.totals[c] += 1
            best = (np.stack([vectors[t] for t in texts]) @ self.index.key_vectors.T).max(
                axis=0)
            carried = best >= self.threshold
            self.counts[:, c] += [carried[group].any() for group in self.groups]

    def result(self) -> Coverage | None:
        import numpy as np

        if not self.active:
            return None
        messages, groups = self.messages, self.groups
        shares = np.divide(self.counts, self.totals, out=np.zeros_like(self.counts),
                           where=self.totals > 0)
        return Coverage(tuple(messages[g[0]] for g in groups), tuple(self.channels),
                        tuple(tuple(round(float(v), 3) for v in row) for row in shares),
                        tuple(tuple(messages[i] for i in g[1:]) for g in groups))


COVERAGE_SIGMAS = 2.5
COVERAGE_FLOOR = 0.35
MAP_EXEMPLARS = 300
MAP_CHUNK = 2048  # touchpoints whose vectors the brand map makes at a time
#: Two key messages in different languages are one message's versions when each is the
#: other's closest message in that language and they are at least this similar. With the
#: multilingual model, the demo's five English-Russian pairs are 0.63-0.84 and every other
#: pair at most 0.31; an English-only model puts no Russian message near an English one.
TRANSLATION_SIMILARITY = 0.5


def translation_groups(messages: Sequence[str], vectors: np.ndarray) -> list[list[int]]:
    """Indices of ``messages`` grouped into one message's language versions, in the
    baseline's order (each group starts with its first-listed version)."""
    import numpy as np

    from auditor.text import detect_language

    languages = [detect_language(m) for m in messages]
    sims = vectors @ vectors.T
    parent = list(range(len(messages)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for a in sorted(set(languages)):
        for b in sorted(set(languages)):
            if a >= b:
                continue
            rows = [i for i, lang in enumerate(languages) if lang == a]
            cols = [j for j, lang in enumerate(languages) if lang == b]
            block = sims[np.ix_(rows, cols)]
            for r, i in enumerate(rows):
                c = int(block[r].argmax())
                if int(block[:, c].argmax()) == r and block[r, c] >= TRANSLATION_SIMILARITY:
                    parent[max(root(i), root(cols[c]))] = min(root(i), root(cols[c]))
    groups: dict[int, list[int]] = {}
    for i in range(len(messages)):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def brand_map(matrix: np.ndarray | RowFile, blocks: list[dict[int, int]], index: BaselineIndex
              ) -> tuple[dict[int, tuple[float, float]], list[dict]]:
    """Project touchpoints and approved paragraphs onto the same 2-D plane (PCA): each
    touchpoint's place (by position) and the approved paragraphs' points.

    A touchpoint's vector is the normalised mean of its judged paragraphs' rows in
    ``matrix`` (``blocks``: touchpoint -> block -> row). They are made ``MAP_CHUNK`` at a
    time, once for the axes and once for the places, so the map never holds one per
    touchpoint: on a large run that was tens of MB while the contrast model was fitted."""
    import numpy as np

    approved = index.paragraph_vectors
    placed = [n for n, rows in enumerate(blocks) if rows]
    if not len(approved) or not placed:
        return {}, []
    step = max(1, len(approved) // MAP_EXEMPLARS)
    picked = list(range(0, len(approved), step))

    def parts() -> Iterator[np.ndarray]:
        yield approved[picked]
        for start in range(0, len(placed), MAP_CHUNK):
            some = placed[start:start + MAP_CHUNK]
            their = [row for n in some for row in blocks[n].values()]
            first = min(their)
            rows = matrix[first:max(their) + 1]  # consecutive in a run's layout
            yield np.vstack([_unit_mean(rows, [r - first for r in blocks[n].values()])
                             for n in some])

    count, total, scatter = 0, np.zeros(approved.shape[1]), np.zeros((approved.shape[1],) * 2)
    for part in parts():
        wide = part.astype(np.float64)
        count += len(wide)
        total += wide.sum(axis=0)
        scatter += wide.T @ wide
    mean = total / count
    axes = _principal_axes(scatter - count * np.outer(mean, mean), 2).astype(approved.dtype)
    centre = mean.astype(approved.dtype)
    xy = np.vstack([(part - centre) @ axes.T for part in parts()])
    span = xy.max(axis=0) - xy.min(axis=0)
    xy = (xy - xy.min(axis=0)) / np.where(span > 0, span, 1)
    exemplar_points = [{"x": round(float(xy[i, 0]), 4), "y": round(float(xy[i, 1]), 4),
                        "text": index.paragraphs[p][0][:300], "source": index.paragraphs[p][1]}
                       for i, p in enumerate(picked)]
    places = {}
    for k, position in enumerate(placed):
        x, y = xy[len(picked) + k]
        places[position] = (round(float(x), 4), round(float(y), 4))
    return places, exemplar_points


def _principal_axes(scatter: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` principal axes (as rows) of rows whose centred scatter matrix (dimensions x
    dimensions, float64) is ``scatter``, each pointing the way its largest loading does
    (scikit-learn's ``svd_flip``), so a map keeps its orientation between runs.

    The eigenvectors of the scatter matrix: the same axes as the centred rows' SVD (to 1e-9
    on 5,300 touchpoints), six times faster, and the rows can be added up a part at a time."""
    import numpy as np

    _, vectors = np.linalg.eigh(scatter)  # ascending eigenvalues
    axes = vectors[:, ::-1][:, :k].T
    signs = np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(axis=1)])
    return axes * signs[:, None]


def run_audit(config: AuditConfig, *, embedder: Embedder | None = None,
              progress: Progress = _quiet, executor: Executor | None = None
              ) -> tuple[AuditRun, dict]:
    """A full audit of every configured channel; the run is stored in the history.

    ``executor`` runs collection and embedding elsewhere (``auditor.executors``: local by
    default, or a Ray cluster); the results are the same. An unchanged re-run reuses the
    stored scores (see ``audit``), and sentences already embedded come from the store's
    vector cache, so a warm run never loads the model.
    """
    from auditor.store import Store
    from reports.json_report import to_dict

    started_at = datetime.now(UTC)
    baseline = load_baseline(config.baseline)
    config.store.parent.mkdir(parents=True, exist_ok=True)
    with Store(config.store) as store:
        touchpoints: list[Touchpoint] = []
        errors: list[CollectionError] = []
        for item in iter_collect(config, progress, executor):
            (errors if isinstance(item, CollectionError) else touchpoints).append(item)
        model = embedder or open_embedder(config.model, store)
        run = audit(touchpoints, errors, baseline, model,
                    previous=store.latest_run(), progress=progress, started_at=started_at,
                    history=trend(store), executor=executor, memo=store)
        del touchpoints  # the run holds them now
        report = to_dict(run)
        store.save_run(report)
    return run, report


def trend(store: Store, limit: int = 30) -> list[dict]:
    """Stored runs' scores per channel, oldest first, for the report's trend chart."""
    runs = store.list_runs(limit)
    return [{"run_id": r["id"], "started_at": r["started_at"], "score": r["score"],
             "by_channel": {c: v.get("score") for c, v in (r.get("by_channel") or {}).items()}}
            for r in reversed(runs)]


def write_reports(report: dict, out: Path, formats: Iterable[str] = ("json", "html"),
                  lang: str = "en") -> dict:
    from reports import write

    out.mkdir(parents=True, exist_ok=True)
    names = {"json": "report.json", "html": "report.html", "markdown": "summary.md",
             "text": "report.txt"}
    return {fmt: write(report, fmt, out / names[fmt], lang=lang) for fmt in formats}
