"""Message scoring: how much a touchpoint sounds like the brand's approved copy.

Two signals, both measured against the approved copy itself:

* **Nearest approved copy.** Each paragraph (a block: a web paragraph, a post, an agent's turn)
  is compared with its k most similar approved paragraphs, not with a centroid, so a brand
  that talks about several topics still works.
* **Contrast.** A linear model learns what sets the approved copy apart from other copy: the
  copy of peers or competitors when the baseline names some (``peers/``), otherwise the whole
  body of copy under audit (positive-unlabelled learning: the approved copy against everything
  audited, each paragraph scored by a model that did not see it). The audited copy is mostly
  on-brand, so the model learns the brand's particular voice and topics rather than "marketing
  copy in general"; it needs some volume, so small checks use the nearest-copy signal alone.

Thresholds come from the baseline's own copy: every approved paragraph is scored the same way
with its own file left out, and "diverges" means less like the brand than 95% of it.
"""

from __future__ import annotations

import math
import re
import statistics
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from auditor.checks import Sentence, fingerprint
from auditor.text import detect_language, split_sentences
from auditor.types import Exemplar, Finding, Status, Touchpoint
from baselines import Baseline, ExemplarDoc, exemplar_channel

if TYPE_CHECKING:
    # numpy is imported where vectors are used: a rules-only check (the bands and penalties
    # below) never pays for loading it.
    import numpy as np

    from auditor.background import RowFile
    from auditor.embedding import Embedder

K_NEAREST = 5
MIN_WORDS = 3  # shorter sentences ("Thanks!", "Okay.") carry no message of their own
# Copy that describes rather than speaks: checked by the rules, not held to the message.
DESCRIPTIVE_SCOPES = ("web.alt", "files.alt")
# The contrast model needs volume on both sides to learn anything stable.
MIN_CONTRAST_APPROVED = 30
MIN_CONTRAST_BACKGROUND = 60
CONTRAST_FOLDS = 5
#: Folds fitted at once (threads: the solver's sparse products run without the GIL).
FOLD_THREADS = 2
CONTRAST_WEIGHT = 4.0
CONTRAST_C = 1.0  # logistic regression's inverse regularisation
LEXICAL_FEATURES = 200_000
#: With peers, also contrast with the audited copy (it is mostly the brand's own, so this
#: mainly sharpens what peers and audited copy share against the approved copy).
PEERS_WITH_AUDITED = True
#: At most this many audited paragraphs are learnt from (whole touchpoints, the same ones
#: every run of the same copy); the rest are scored by the fitted models, a batch of
#: ``SCORE_BATCH`` at a time, so the contrast model's memory stops growing with the run.
CONTRAST_SAMPLE = 4_000
SCORE_BATCH = 2_048
#: Queries per similarity matrix in nearest-copy scoring: 4,096 rows against 10,000 approved
#: sentences are 160 MB, where all of a large run's paragraphs at once would grow with it.
KNN_BATCH = 4_096

# Score anchors: the approved copy's median scores 90, the warn threshold 70, the diverge
# threshold 50. Bands follow: ok >= 70 > warn >= 50 > diverges.
SCORE_AT_MEDIAN, SCORE_AT_WARN, SCORE_AT_DIVERGE = 90.0, 70.0, 50.0
PENALTY = {"error": 30.0, "warning": 12.0, "info": 0.0}


# Asked of the same sentence by every stage of scoring, which reads a chunk of about 4,096
# sentences at a time (``engine.SCORE_SENTENCES``): room for two chunks, not for every
# sentence of a large run (the cache would keep each sentence's text alive).
@lru_cache(maxsize=1 << 13)
def word_count(text: str) -> int:
    """Words with letters in them: a phone number or a price is not a message."""
    # Most words are letters, or letters with punctuation at an end; only the rest are read
    # a character at a time (the whole count is read for every sentence of an audit).
    return sum(1 for word in text.split()
               if word.isalpha() or word.strip(_WORD_EDGES).isalpha()
               or any(ch.isalpha() for ch in word))


_WORD_EDGES = ".,!?:;\"'«»()[]—–-…“”„’"


def weight(text: str) -> float:
    return math.sqrt(max(min(word_count(text), 40), 1))


#: A paragraph of at least this many words reads as prose even without a closing mark.
PROSE_WORDS = 8
_CLOSING_MARK = re.compile(r"[.!?…][\"'»”’)\]]*\s*$")


def reads_as_prose(paragraph: str) -> bool:
    """Whether approved copy is a sentence someone reads, not a heading or a label: it ends
    with a sentence's closing mark, or it is long (``PROSE_WORDS``)."""
    return bool(_CLOSING_MARK.search(paragraph)) or word_count(paragraph) >= PROSE_WORDS


def message_sentences(text: str) -> list[str]:
    """The sentences of a paragraph long enough to carry a message."""
    return [text[s:e] for s, e in split_sentences(text) if word_count(text[s:e]) >= MIN_WORDS]


def paragraph_vectors(groups: Sequence[Sequence[int]], sentence_vectors: np.ndarray
                      ) -> np.ndarray:
    """A paragraph's vector: the normalised mean of its sentences' vectors."""
    import numpy as np

    dim = sentence_vectors.shape[1] if sentence_vectors.ndim == 2 else 1
    out = np.zeros((len(groups), dim), dtype=np.float32)
    for i, members in enumerate(groups):
        if members:
            v = sentence_vectors[list(members)].mean(axis=0)
            norm = np.linalg.norm(v)
            out[i] = v / norm if norm else v
    return out


#: How far below the approved copy's median (in robust standard deviations) a paragraph of
#: it must be to count as inconsistent (Iglewicz and Hoaglin's cut-off for outliers).
OUTLIER_Z = 3.5


@dataclass(frozen=True)
class Unit:
    """An approved sentence in the index, with the paragraph and file it came from."""

    text: str
    paragraph: str
    source: str
    doc: int
    language: str = ""


@dataclass(frozen=True)
class Calibration:
    """The approved copy's own scores (leave-one-file-out) and the thresholds drawn from them."""

    median: float
    warn: float
    diverge: float
    top: float
    sentence_diverge: float
    samples: int
    method: str = "nearest"

    def score(self, raw: float) -> float:
        """Map a raw brand similarity to 0-100 through the calibrated anchors."""
        import numpy as np

        floor = self.diverge - 2.0 * max(self.median - self.diverge, 1e-3)
        points = [(floor, 0.0), (self.diverge, SCORE_AT_DIVERGE), (self.warn, SCORE_AT_WARN),
                  (self.median, SCORE_AT_MEDIAN), (max(self.top, self.median + 1e-3), 100.0)]
        xs, ys = zip(*points)
        return float(np.clip(np.interp(raw, xs, ys), 0.0, 100.0))

    def share_above(self, raw: float, approved: np.ndarray) -> float:
        return float((approved > raw).mean()) if len(approved) else 1.0

    def as_dict(self) -> dict:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class BaselineIndex:
    """The approved copy embedded: sentences for evidence, paragraphs for the brand score."""

    baseline: Baseline
    model_id: str
    units: tuple[Unit, ...]                 # approved sentences (and key messages)
    vectors: np.ndarray                     # (sentences, dim)
    paragraphs: tuple[tuple[str, str, int], ...]  # (text, source, doc) of approved paragraphs
    paragraph_vectors: np.ndarray           # (paragraphs, dim)
    key_vectors: np.ndarray                 # (key messages, dim)
    peer_vectors: np.ndarray                # (peer paragraphs, dim), maybe empty
    calibration: Calibration                # nearest-copy only; a run may recalibrate
    loo: np.ndarray                         # approved paragraphs' own raw scores
    #: Similarity a text loses against this approved copy merely for being in another
    #: language (measured on parallel phrases; see ``language_gaps``), by language.
    language_gap: dict = field(default_factory=dict)
    peer_texts: tuple[str, ...] = ()        # the peer paragraphs, for the lexical features
    _shown_masks: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def languages(self) -> set[str]:
        return {e.language for e in self.baseline.exemplars}

    @property
    def doc_ids(self) -> np.ndarray:
        import numpy as np

        return np.array([p[2] for p in self.paragraphs])

    def nearest_sentences(self, vectors: np.ndarray, language: str | None = None,
                          channel: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Mean similarity of the k nearest approved sentences, and the index of the nearest
        one to show, among those ``shown_mask`` allows (a reviewer of English web copy
        wants an English example from the website)."""
        import numpy as np

        from auditor.embedding import top_k

        sims = vectors @ self.vectors.T
        top = top_k(sims, min(K_NEAREST, sims.shape[1]))
        shown = np.where(self.shown_mask(language, channel)[None, :], sims, -np.inf)
        return top.mean(axis=1), np.argmax(shown, axis=1)

    def shown_mask(self, language: str | None, channel: str | None = None) -> np.ndarray:
        """Which approved sentences may be shown as the example for copy in ``language`` on
        ``channel``: those in the language (all, when none is), of them the ones whose
        paragraph is prose rather than a heading (``reads_as_prose``), and of those the
        channel's own (``exemplar_channel``) when it has some, so a web page is shown web
        copy and a call a call, not whichever is nearest in meaning. Each narrowing applies
        only when it leaves something to show."""
        import numpy as np

        masks = self._shown_masks
        if (language, channel) not in masks:
            mask = np.array([u.language == language for u in self.units], dtype=bool)
            if not language or not mask.any():
                mask = np.ones(len(self.units), dtype=bool)
            # A heading ("What you get") is no example of how the brand writes.
            prose = mask & np.array([reads_as_prose(u.paragraph) for u in self.units],
                                    dtype=bool)
            mask = prose if prose.any() else mask
            if channel:
                own = mask & np.array([exemplar_channel(u.source) == channel
                                       for u in self.units], dtype=bool)
                mask = own if own.any() else mask
            masks[language, channel] = mask
        return masks[language, channel]

    @property
    def loo_paragraphs(self) -> list[tuple[str, str, float]]:
        """(source, paragraph, raw score) of the approved paragraphs, least on-brand first."""
        rows = [(src, text, float(v)) for (text, src, _), v in zip(self.paragraphs, self.loo)]
        return sorted(rows, key=lambda r: r[2])

    def inconsistent_paragraphs(self) -> list[tuple[str, str, float]]:
        """Approved paragraphs that stand apart from the rest of the approved copy.

        An outlier by the modified z-score (Iglewicz and Hoaglin): more than
        ``OUTLIER_Z`` robust standard deviations (1.4826 x the median absolute deviation)
        below the median leave-one-out score. Unlike a percentile, this finds nothing in
        consistent copy and everything that really reads unlike the rest.
        """
        rows = self.loo_paragraphs
        if len(rows) < 5:
            return []
        scores = [r[2] for r in rows]
        median = statistics.median(scores)
        spread = 1.4826 * statistics.median(abs(v - median) for v in scores)
        if spread <= 0:
            return []
        return [r for r in rows if (median - r[2]) / spread > OUTLIER_Z]


def _embed_docs(docs: Sequence[ExemplarDoc], embedder: Embedder
                ) -> tuple[list[tuple[str, str, int]], list[list[int]], list[str]]:
    paragraphs, groups, sentences = [], [], []
    for doc_id, doc in enumerate(docs):
        for paragraph in doc.paragraphs:
            found = message_sentences(paragraph) or [paragraph]
            groups.append(list(range(len(sentences), len(sentences) + len(found))))
            sentences.extend(found)
            paragraphs.append((paragraph, doc.path, doc_id))
    return paragraphs, groups, sentences


def _knn(queries: np.ndarray | RowFile, index: np.ndarray, exclude: np.ndarray | None = None,
         groups: np.ndarray | None = None) -> np.ndarray:
    import numpy as np

    if not len(queries) or not len(index):
        return np.zeros(len(queries), dtype=np.float32)
    # A batch of similarities at a time (and of a file's rows): memory stays bounded.
    if len(queries) > KNN_BATCH or not isinstance(queries, np.ndarray):
        return np.concatenate([
            _knn(queries[i:i + KNN_BATCH], index,
                 None if exclude is None else exclude[i:i + KNN_BATCH], groups)
            for i in range(0, len(queries), KNN_BATCH)])
    sims = queries @ index.T
    if exclude is not None and groups is not None:
        sims = np.where(groups[None, :] == exclude[:, None], -np.inf, sims)
    from auditor.embedding import top_k

    top = top_k(sims, min(K_NEAREST, sims.shape[1]))
    # The mean of the neighbours left after ``exclude``; 0 where none is (approved copy from
    # one document only: numpy's nanmean warned "Mean of empty slice" on the user's screen).
    found = np.isfinite(top)
    count = found.sum(axis=1)
    total = np.where(found, top, 0.0).sum(axis=1)
    return np.divide(total, count, out=np.zeros(len(top), dtype=np.float32),
                     where=count > 0).astype(np.float32)


def build_index(baseline: Baseline, embedder: Embedder) -> BaselineIndex:
    """Embed the approved copy, key messages and peers; calibrate on the approved copy."""
    import numpy as np

    paragraphs, groups, sentences = _embed_docs(baseline.exemplars, embedder)
    peer_paragraphs, peer_groups, peer_sentences = _embed_docs(
        (*baseline.peers, *baseline.counter_examples), embedder)
    key_messages = list(baseline.key_messages)
    vectors = embedder.encode([*sentences, *peer_sentences, *key_messages])
    sentence_vectors = vectors[:len(sentences)]
    peer_vectors = paragraph_vectors(peer_groups, vectors[len(sentences):
                                                          len(sentences) + len(peer_sentences)])
    key_vectors = vectors[len(sentences) + len(peer_sentences):]
    par_vectors = paragraph_vectors(groups, sentence_vectors)

    units = [Unit(sentences[i], paragraphs[p][0], paragraphs[p][1], paragraphs[p][2],
                  baseline.exemplars[paragraphs[p][2]].language)
             for p, members in enumerate(groups) for i in members]
    key_doc = len(baseline.exemplars)
    units += [Unit(m, m, "brand.toml (key message)", key_doc, detect_language(m))
              for m in key_messages]
    all_sentence_vectors = np.vstack([sentence_vectors, key_vectors]) if key_messages else (
        sentence_vectors)

    docs = np.array([p[2] for p in paragraphs])
    loo = _knn(par_vectors, par_vectors, exclude=docs, groups=docs)
    sent_docs = np.array([u.doc for u in units])
    sentence_loo = _knn(all_sentence_vectors, all_sentence_vectors, exclude=sent_docs,
                        groups=sent_docs)
    calibration = calibrate(loo, baseline, sentence_loo, "nearest")
    return BaselineIndex(baseline, embedder.model_id, tuple(units), all_sentence_vectors,
                         tuple(paragraphs), par_vectors, key_vectors, peer_vectors,
                         calibration, loo, language_gaps(baseline, embedder),
                         tuple(p[0] for p in peer_paragraphs))


def language_gaps(baseline: Baseline, embedder: Embedder) -> dict[str, float]:
    """How much similarity a paragraph loses for being in a language the approved copy lacks.

    Multilingual models place a text and its translation close, but not as close as two texts
    of one language. The tone anchors (``baselines/tone/anchors.toml``) are parallel English
    and Russian phrases, six to a pole; windows of three consecutive phrases stand in for
    paragraphs. Each window's nearest-window similarity within the approved language, minus
    its translation's similarity to the same windows, is the loss (never below zero).
    """
    import numpy as np

    from auditor.tone import parallel_phrases

    present = {e.language for e in baseline.exemplars}
    pairs = parallel_phrases()
    gaps: dict[str, float] = {}
    for reference in sorted(present & set(pairs)):
        ref = _windows(embedder.encode(pairs[reference]))
        for language in sorted(set(pairs) - present):
            other = _windows(embedder.encode(pairs[language]))
            gap = float(np.mean(_knn_apart(ref, ref) - _knn_apart(other, ref)))
            gaps[language] = max(gaps.get(language, 0.0), gap, 0.0)
    return gaps


_WINDOW, _POLE = 3, 6


def _windows(vectors: np.ndarray) -> np.ndarray:
    import numpy as np

    out = []
    for start in range(0, len(vectors) - _WINDOW + 1):
        if start // _POLE == (start + _WINDOW - 1) // _POLE:
            v = vectors[start:start + _WINDOW].mean(axis=0)
            out.append(v / (np.linalg.norm(v) or 1.0))
    return np.array(out)


def _knn_apart(queries: np.ndarray, index: np.ndarray) -> np.ndarray:
    """k-nearest similarity, ignoring windows that share a phrase with the query."""
    import numpy as np

    sims = queries @ index.T
    n = len(index)
    for i in range(len(queries)):
        sims[i, max(0, i - _WINDOW + 1):min(n, i + _WINDOW)] = -np.inf
    return np.sort(sims, axis=1)[:, -K_NEAREST:].mean(axis=1)


def calibrate(approved: np.ndarray, baseline: Baseline, sentence_loo: np.ndarray | None,
              method: str, sentence_diverge: float | None = None) -> Calibration:
    import numpy as np

    t = baseline.thresholds
    values = approved if len(approved) else np.array([0.5])
    if sentence_diverge is None:
        sentence_diverge = (float(np.percentile(sentence_loo, t.diverge_percentile))
                            if sentence_loo is not None and len(sentence_loo) else 0.0)
    return Calibration(
        median=float(np.median(values)),
        warn=float(np.percentile(values, t.warn_percentile)),
        diverge=float(np.percentile(values, t.diverge_percentile)),
        top=float(np.percentile(values, 95)),
        sentence_diverge=sentence_diverge,
        samples=len(approved),
        method=method,
    )


@dataclass(frozen=True)
class BrandModel:
    """Raw brand similarity of audited paragraphs, on the same scale as the calibration."""

    index: BaselineIndex
    calibration: Calibration
    approved: np.ndarray         # the approved paragraphs' own raw scores
    block_raw: np.ndarray        # one raw score per audited paragraph, in input order


def fit_brand_model(index: BaselineIndex, block_vectors: np.ndarray | RowFile,
                    block_groups: np.ndarray, block_languages: Sequence[str] | None = None,
                    contrast: bool = True, block_texts: Sequence[str] | None = None,
                    lexical: Lexical | None = None) -> BrandModel:
    """Score audited paragraphs against the approved copy; recalibrate if contrast is used.

    ``block_vectors`` are read a range of rows at a time (``take``), so they can be a
    ``RowFile`` a large run keeps on disk.
    ``block_groups`` names the touchpoint of each audited paragraph, so cross-fitting never
    scores a paragraph with a model that saw another paragraph of the same touchpoint.
    Paragraphs in a language the approved copy lacks get the language gap added back and are
    judged by nearest copy only: a contrast model trained on one language would learn the
    language itself. ``lexical`` is ``lexical_features`` of the same paragraphs when it was
    computed already (it needs no vectors, so it can be made while they are); without it, it
    is made from ``block_texts``.
    """
    import numpy as np

    languages = list(block_languages or [""] * len(block_vectors))
    plan = contrast_plan(index, block_groups, languages)
    gap = np.array([index.language_gap.get(lang, 0.0) for lang in languages])
    knn_blocks = _knn(block_vectors, index.paragraph_vectors) + gap
    approved_knn = index.loo
    if not contrast or plan is None:
        return BrandModel(index, index.calibration, approved_knn, knn_blocks)
    native = plan.native
    if lexical is None:
        lexical = lexical_features(index, plan, block_texts if block_texts is not None
                                   else [""] * len(block_vectors))
    background, background_groups = _background(
        index, plan, take(block_vectors, np.flatnonzero(plan.learnt)),
        block_groups[plan.learnt])
    clf_approved, clf_native = _contrast_scores(
        index, background, background_groups, plan.peer_rows, block_vectors,
        np.flatnonzero(native), block_groups[native], plan.learnt[native], lexical)
    z = _zscorer(approved_knn)
    zc = _zscorer(clf_approved)
    clf_blocks = np.zeros(len(block_vectors))
    clf_blocks[native] = clf_native
    # Without a contrast score, nearest copy stands for both, on the same z scale.
    clf_blocks[~native] = zc.inverse(z(knn_blocks[~native]))
    # The contrast model carries more of the brand's voice than nearest copy does (measured:
    # docs/benchmarks.md "Accuracy"); nearest copy keeps it anchored to real approved text.
    approved_raw = z(approved_knn) + CONTRAST_WEIGHT * zc(clf_approved)
    block_raw = z(knn_blocks) + CONTRAST_WEIGHT * zc(clf_blocks)
    calibration = calibrate(approved_raw, index.baseline, None, f"nearest+{plan.method}",
                            sentence_diverge=index.calibration.sentence_diverge)
    return BrandModel(index, calibration, approved_raw, block_raw)


@dataclass(frozen=True)
class ContrastPlan:
    """What the approved copy is contrasted with, decided before any vector exists.

    ``native`` marks the audited paragraphs in a language of the approved copy (only those
    join the contrast); ``learnt`` the native ones the model learns from (all of them up to
    ``CONTRAST_SAMPLE``): their letter patterns are fitted with the approved copy's, and the
    background is the first ``peer_rows`` peer paragraphs, then the learnt paragraphs when
    ``audited``.
    """

    native: np.ndarray   # bool, one per audited paragraph
    peer_rows: int
    audited: bool
    method: str          # "peers" or "contrast"
    learnt: np.ndarray   # bool, one per audited paragraph: native, and in the sample


def contrast_plan(index: BaselineIndex, block_groups: Sequence[str] | np.ndarray,
                  block_languages: Sequence[str]) -> ContrastPlan | None:
    """The contrast of a run, or None when there is too little copy to learn one from."""
    import numpy as np

    approved = index.languages  # a paragraph of no known language counts as theirs
    native = np.array([not lang or lang in approved for lang in block_languages], dtype=bool)
    if len(index.paragraph_vectors) < MIN_CONTRAST_APPROVED:
        return None
    peers = len(index.peer_vectors) if len(index.peer_vectors) >= MIN_CONTRAST_BACKGROUND \
        else 0
    groups = np.asarray(block_groups)[native] if len(native) else np.asarray([])
    audited = len(groups) >= MIN_CONTRAST_BACKGROUND and len(set(groups.tolist())) >= 5
    if not peers and not audited:
        return None
    joins = (audited and (PEERS_WITH_AUDITED or not peers)) or not peers
    return ContrastPlan(native, peers, joins, "peers" if peers else "contrast",
                        _sample(np.asarray(block_groups), native, CONTRAST_SAMPLE))


def _sample(groups: np.ndarray, native: np.ndarray, limit: int) -> np.ndarray:
    """The native paragraphs learnt from: all of them up to ``limit``; past it, whole
    touchpoints (``groups``) in a fixed pseudo-random order while they fit in ``limit``, so
    every part of a large run is represented and a paragraph is never learnt from apart from
    the rest of its touchpoint."""
    import numpy as np

    if native.sum() <= limit:
        return native.copy()
    unique, sizes = np.unique(groups[native], return_counts=True)
    # In the order of a hash of each group (a touchpoint's copy, ``engine._copy_key``), so
    # one page more or less in the run changes the sample by at most the touchpoints at its
    # edge.
    order = np.array(sorted(range(len(unique)), key=lambda i: _stable_hash(unique[i])),
                     dtype=np.int64)
    taken = np.cumsum(sizes[order]) <= limit
    taken[0] = True  # one touchpoint bigger than the limit is still learnt from
    return native & np.isin(groups, unique[order][taken])


def _background(index: BaselineIndex, plan: ContrastPlan, block_vectors: np.ndarray,
                block_groups: np.ndarray):
    """The background's vectors and groups (peers first, then the audited copy)."""
    import numpy as np

    parts = [index.peer_vectors if plan.peer_rows else
             np.zeros((0, index.paragraph_vectors.shape[1]), np.float32)]
    groups = [np.array([f"peer:{i}" for i in range(plan.peer_rows)], dtype=object)]
    if plan.audited:
        parts.append(block_vectors)
        groups.append(np.array([f"audit:{g}" for g in block_groups], dtype=object))
    return np.vstack(parts), np.concatenate(groups)


@dataclass(frozen=True)
class Lexical:
    """Character n-gram TF-IDF rows of the approved copy, the background and the learnt
    audited paragraphs, in that order (``bounds`` splits them). When the background is the
    audited copy alone, its rows are the audited rows and are kept once
    (``audited_is_background``). The other native paragraphs' rows are made on demand
    (``rest_rows``), a batch at a time.
    """

    matrix: object       # scipy.sparse.csr_matrix, float32
    bounds: tuple[int, int, int, int]
    audited_is_background: bool = False
    patterns: LetterPatterns | None = None
    rest: tuple[str, ...] = ()   # the native paragraphs not learnt from, in order

    def rest_rows(self, first: int, last: int):
        """Rows of ``rest[first:last]``."""
        return self.patterns.transform(self.rest[first:last])

    def rows(self, first: int, last: int):
        """Parts ``first`` to ``last - 1`` (0 approved, 1 background, 2 audited) as one
        matrix that shares this one's memory (a row slice of scipy's copies it)."""
        from scipy.sparse import csr_matrix

        if self.audited_is_background and last == 3:  # the audited rows are the background's
            first, last = min(first, 1), 2
        a, b = self.bounds[first], self.bounds[last]
        m = self.matrix
        start, end = m.indptr[a], m.indptr[b]
        return csr_matrix((m.data[start:end], m.indices[start:end], m.indptr[a:b + 1] - start),
                          shape=(b - a, m.shape[1]))


def lexical_features(index: BaselineIndex, plan: ContrastPlan,
                     block_texts: Sequence[str]) -> Lexical | None:
    """The contrast model's letter patterns (the brand's signature words, spelling,
    punctuation and formatting habits), or None when no n-gram occurs twice."""
    learnt = [t for t, keep in zip(block_texts, plan.learnt.tolist()) if keep]
    rest = tuple(t for t, native, keep in zip(block_texts, plan.native.tolist(),
                                              plan.learnt.tolist()) if native and not keep)
    background_texts = [*index.peer_texts[:plan.peer_rows], *(learnt if plan.audited else ())]
    parts = ([p[0] for p in index.paragraphs], background_texts, learnt)
    try:
        matrix, patterns = char_ngram_tfidf([t for part in parts for t in part])
    except ValueError:  # no n-gram occurs twice: too little text for letter patterns
        return None
    sizes = [len(part) for part in parts]
    bounds = (0, sizes[0], sizes[0] + sizes[1], sum(sizes))
    if plan.audited and not plan.peer_rows:  # the same rows twice
        return Lexical(matrix[:bounds[2]], bounds, True, patterns if rest else None, rest)
    return Lexical(matrix, bounds, False, patterns if rest else None, rest)


def char_ngram_tfidf(docs: Sequence[str]) -> tuple[object, LetterPatterns]:
    """``TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2,
    max_features=LEXICAL_FEATURES, dtype=float32).fit_transform(docs)``, with each distinct
    text analysed once, and the fitted patterns (``LetterPatterns``) that turn more texts
    into rows of the same matrix.

    The audited paragraphs are both the background and the copy scored, and a corpus repeats
    itself (signatures, disclaimers, reposts), so n-gram analysis, the slowest part of the
    contrast model, runs on each distinct text and its rows are repeated; document
    frequencies, the feature limit and the weights are computed over every document exactly
    as the vectorizer computes them (``tests/test_calibration.py`` holds the two equal).
    """
    import numpy as np
    from sklearn.feature_extraction.text import TfidfTransformer

    first: dict[str, int] = {}
    rows = [first.setdefault(doc, len(first)) for doc in docs]
    counts, names = _char_wb_counts(list(first))
    counts = counts[rows]
    # CountVectorizer._limit_features with min_df=2, max_df=1.0, max_features.
    dfs = np.bincount(counts.indices, minlength=counts.shape[1])
    mask = dfs >= 2
    if mask.sum() > LEXICAL_FEATURES:
        tfs = np.asarray(counts.sum(axis=0)).ravel()
        keep = (-tfs[mask]).argsort()[:LEXICAL_FEATURES]
        limited = np.zeros(len(dfs), dtype=bool)
        limited[np.where(mask)[0][keep]] = True
        mask = limited
    kept = np.where(mask)[0]
    if not len(kept):
        raise ValueError("After pruning, no terms remain.")
    counts = counts[:, kept]
    weights = TfidfTransformer(sublinear_tf=True).fit(counts)
    patterns = LetterPatterns({names[k]: j for j, k in enumerate(kept.tolist())}, weights)
    return weights.transform(counts, copy=False), patterns


@dataclass(frozen=True)
class LetterPatterns:
    """Fitted letter patterns: each kept n-gram's column and the fitted TF-IDF weights."""

    columns: dict[str, int]
    weights: object      # sklearn's TfidfTransformer, fitted

    def transform(self, docs: Sequence[str]):
        """``TfidfVectorizer.transform(docs)`` of the vectorizer ``char_ngram_tfidf`` fitted:
        n-grams it did not keep are not counted."""
        first: dict[str, int] = {}
        rows = [first.setdefault(doc, len(first)) for doc in docs]
        counts, _ = _char_wb_counts(list(first), self.columns)
        return self.weights.transform(counts[rows], copy=False)


def _char_wb_counts(docs: list[str], columns: dict[str, int] | None = None):
    """``CountVectorizer(analyzer="char_wb", ngram_range=(2, 4), dtype=float32)
    .fit_transform(docs)``, entry for entry, counted a word at a time, and the feature names
    (alphabetical, as the columns are). With ``columns`` (n-gram to column), the counts of
    those n-grams only, in those columns (``transform`` of a fitted vectorizer).

    ``char_wb`` n-grams never cross a space, so a text's n-grams are its words' n-grams: each
    distinct word is analysed once (by the vectorizer's own ``_char_wb_ngrams``) and the counts
    are (texts x words) @ (words x n-grams). The vectorizer counts every n-gram of every text
    in a Python loop, four times slower. Features are numbered in the order the vectorizer
    first meets them, and each row sorted by that number before features are renumbered
    alphabetically: the vectorizer's own layout, so later sums add in its order.
    """
    from collections import defaultdict
    from itertools import count

    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import CountVectorizer

    # Numbered as first met (a missing key gets the next number, as in the vectorizer), by a
    # counter: a dict numbering itself by its own length is a reference cycle, which keeps
    # every word of the batch until the garbage collector's next full pass.
    word_ids: defaultdict[str, int] = defaultdict(count().__next__)
    indptr, indices = [0], []
    for doc in docs:
        indices += map(word_ids.__getitem__, doc.lower().split())
        indptr.append(len(indices))
    grams_of = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4))._char_wb_ngrams
    if columns is None:
        vocabulary: defaultdict[str, int] = defaultdict(count().__next__)
        column_of = vocabulary.__getitem__
    else:
        vocabulary, column_of = columns, columns.get
    gram_ptr, gram_indices = [0], []
    for word in list(word_ids):  # in the order words first occur, as the vectorizer reads
        if columns is None:
            gram_indices += map(column_of, grams_of(word))
        else:
            gram_indices += [c for c in map(column_of, grams_of(word)) if c is not None]
        gram_ptr.append(len(gram_indices))
    if not vocabulary:
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    texts_by_word = csr_matrix((np.ones(len(indices), np.float32), indices, indptr),
                               shape=(len(docs), len(word_ids)))
    words_by_gram = csr_matrix((np.ones(len(gram_indices), np.float32), gram_indices,
                                gram_ptr), shape=(len(word_ids), len(vocabulary)))
    counts = texts_by_word @ words_by_gram
    counts.sort_indices()
    if columns is not None:
        return counts, None
    # Renumbered alphabetically, as the vectorizer's feature names are sorted.
    names = list(vocabulary)
    index_type = np.int32 if counts.nnz <= np.iinfo(np.int32).max else np.int64
    order = sorted(range(len(names)), key=names.__getitem__)
    alphabetical = np.empty(len(names), dtype=index_type)
    alphabetical[order] = np.arange(len(names), dtype=index_type)
    return (csr_matrix((counts.data, alphabetical[counts.indices],
                        counts.indptr.astype(index_type)), shape=counts.shape),
            [names[i] for i in order])


@dataclass(frozen=True)
class _zscorer:
    """Standardise against a reference distribution (the approved copy's own scores)."""

    mean: float
    std: float

    def __init__(self, reference: np.ndarray) -> None:
        import numpy as np

        object.__setattr__(self, "mean", float(np.mean(reference)))
        object.__setattr__(self, "std", float(np.std(reference)) or 1.0)

    def __call__(self, x) -> np.ndarray:
        import numpy as np

        return (np.asarray(x, dtype=np.float64) - self.mean) / self.std

    def inverse(self, z) -> np.ndarray:
        import numpy as np

        return np.asarray(z, dtype=np.float64) * self.std + self.mean


def _contrast_scores(index: BaselineIndex, background: np.ndarray, background_groups,
                     peer_rows: int, vectors: np.ndarray | RowFile, blocks: np.ndarray,
                     block_groups: np.ndarray, learnt: np.ndarray, lexical: Lexical | None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Cross-fitted decision values of the approved copy (split by file) and the audited
    paragraphs at rows ``blocks`` of ``vectors`` (split by touchpoint, ``block_groups``), so
    no text is scored by a model that saw it. The ``learnt`` paragraphs are the background's
    audited rows (when the audited copy is part of it); each of the others is scored, a
    batch at a time, by the model of its touchpoint's fold, which never saw it either.

    Features: the paragraph's meaning (its vector) and its letter patterns (``lexical``:
    character n-grams), which carry much of what sets one voice apart from a similar one
    (docs/benchmarks.md).
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    from scipy.sparse import hstack
    from sklearn.linear_model import LogisticRegression

    def features(vectors: np.ndarray, patterns):
        dense = _dense_csr(vectors)
        if lexical is None:
            return dense
        return hstack([dense, patterns], format="csr")

    # Every training row in one matrix, approved copy first, the background after: a fold's
    # training set is one copy of its rows (a fold holds 4/5 of the background: the biggest
    # thing scoring makes).
    n_pos, n_neg = len(index.paragraph_vectors), len(background)
    rows = features(np.vstack([index.paragraph_vectors, background]),
                    lexical and lexical.rows(0, 2))
    labels = np.r_[np.ones(n_pos), np.zeros(n_neg)]
    pos_fold = _folds(index.doc_ids, CONTRAST_FOLDS)
    neg_fold = _stable_folds(np.asarray(background_groups), CONTRAST_FOLDS)
    # When the audited copy is part of the background, its rows there are its features.
    audited_in_background = n_neg > peer_rows
    approved = np.zeros(n_pos)
    block_scores = np.zeros(len(blocks))
    in_background = np.flatnonzero(learnt)  # the background's audited rows, in order
    models: dict[int, LogisticRegression] = {}

    def fit(train: np.ndarray):
        model = LogisticRegression(C=CONTRAST_C, max_iter=2000, class_weight="balanced")
        return model.fit(rows[train], labels[train])

    def fold_scores(fold: int) -> None:
        train_p, train_n = np.flatnonzero(pos_fold != fold), np.flatnonzero(neg_fold != fold)
        if not len(train_p) or not len(train_n):
            return
        model = models[fold] = fit(np.r_[train_p, n_pos + train_n])
        if (pos_fold == fold).any():
            approved[pos_fold == fold] = model.decision_function(
                rows[np.flatnonzero(pos_fold == fold)])
        if audited_in_background:
            held = neg_fold[peer_rows:] == fold
            if held.any():
                block_scores[in_background[held]] = model.decision_function(
                    rows[n_pos + peer_rows + np.flatnonzero(held)])

    # Two folds side by side: the solver's sparse products let go of the GIL, so on two cores
    # the five folds take 3.1 s instead of 4.0 (50,000 sentences), for one more training
    # copy (about 100 MB) at a time; one core gains nothing from it. Each fold writes its
    # own rows of the scores.
    threads = max(1, min(FOLD_THREADS, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="contrast-fold") as pool:
        for done in [pool.submit(fold_scores, fold) for fold in range(CONTRAST_FOLDS)]:
            done.result()
    if not audited_in_background and len(blocks):
        # Peers alone: the audited copy was never seen, one model over everything scores it.
        models = dict.fromkeys(range(CONTRAST_FOLDS), fit(np.arange(n_pos + n_neg)))
        if len(in_background):
            block_scores[in_background] = models[0].decision_function(
                features(take(vectors, blocks[in_background]),
                         lexical and lexical.rows(2, 3)))
    rest = np.flatnonzero(~learnt)
    rest_fold = _stable_folds(np.asarray(block_groups)[rest], CONTRAST_FOLDS)
    for first in range(0, len(rest), SCORE_BATCH):
        batch = rest[first:first + SCORE_BATCH]
        x = features(take(vectors, blocks[batch]),
                     lexical and lexical.rest_rows(first, first + len(batch)))
        fold_of = rest_fold[first:first + SCORE_BATCH]
        for fold, model in models.items():
            if (fold_of == fold).any():
                block_scores[batch[fold_of == fold]] = model.decision_function(
                    x[np.flatnonzero(fold_of == fold)])
    return approved, block_scores


def take(rows: np.ndarray | RowFile, indices: np.ndarray) -> np.ndarray:
    """``rows[indices]`` (``indices`` ascending) of an array or a ``RowFile``; a file is
    read a range of at most ``KNN_BATCH`` rows at a time."""
    import numpy as np

    if isinstance(rows, np.ndarray):
        return rows[indices]
    out = np.empty((len(indices), *rows.shape[1:]), dtype=rows.dtype)
    done = 0
    while done < len(indices):
        first = int(indices[done])
        upto = done + int(np.searchsorted(indices[done:], first + KNN_BATCH))
        out[done:upto] = rows[first:int(indices[upto - 1]) + 1][indices[done:upto] - first]
        done = upto
    return out


def _dense_csr(vectors: np.ndarray):
    """``csr_matrix(vectors)`` for sentence vectors, built from the rows directly (scipy goes
    through coordinates of every entry, the slowest step of the contrast model's input)."""
    import numpy as np
    from scipy.sparse import csr_matrix

    vectors = np.ascontiguousarray(vectors)
    nonzero = vectors != 0
    if not nonzero.all():  # an exact zero is not stored, as scipy does
        return csr_matrix(vectors)
    rows, dim = vectors.shape
    # 32-bit row pointers while they fit, as the letter patterns' rows have: stacking the two
    # would otherwise convert every index to 64 bits.
    pointer = np.int32 if rows * dim < np.iinfo(np.int32).max else np.int64
    return csr_matrix((vectors.reshape(-1), np.tile(np.arange(dim, dtype=np.int32), rows),
                       np.arange(0, rows * dim + 1, dim, dtype=pointer)), shape=vectors.shape)


def _folds(groups: np.ndarray, n: int) -> np.ndarray:
    """A fold number per item, keeping each group in one fold, deterministic."""
    import numpy as np

    unique = sorted(set(groups.tolist()))
    order = np.random.default_rng(0).permutation(len(unique))
    fold_of = {g: int(order[i]) % n for i, g in enumerate(unique)}
    return np.array([fold_of[g] for g in groups.tolist()])


def _stable_folds(groups: np.ndarray, n: int) -> np.ndarray:
    """A fold number per item from a hash of its group (an audited touchpoint, by its copy):
    a touchpoint stays in its fold when others join or leave the run, so the models that
    score unchanged copy change little (folds numbered by position moved 39 of the demo's 44
    touchpoints when one post was added, by up to 12 points)."""
    import numpy as np

    fold_of = {g: _stable_hash(g) % n for g in set(groups.tolist())}
    if len(fold_of) > 1 and len(set(fold_of.values())) == 1:
        return _folds(groups, n)  # all in one fold: no model would learn the others
    return np.array([fold_of[g] for g in groups.tolist()], dtype=np.int64)


def _stable_hash(group: object) -> int:
    import hashlib

    return int.from_bytes(hashlib.blake2b(str(group).encode("utf-8"), digest_size=8).digest(),
                          "big")


@dataclass(frozen=True)
class MessageScore:
    similarity: float | None   # raw brand similarity; None when there is nothing to judge
    score: float | None
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class NearestApproved:
    """A touchpoint's least on-brand judged sentences (``SHOWN_SENTENCES``, the least first)
    against the approved sentences: how close each is (mean of its nearest) and the nearest
    one to show. It does not depend on the brand model, so it is measured while the model is
    fitted; only the sentences a message finding can quote are kept, so a large run does not
    hold every sentence until it is scored."""

    sentences: list[Sentence]
    sims: np.ndarray
    nearest: np.ndarray


SHOWN_SENTENCES = 2  # a message finding quotes the least on-brand of these
#: Characters of that sentence its message quotes (cut at a word, with " …").
QUOTED_CHARS = 140


def nearest_approved(touchpoint: Touchpoint, sentences: list[Sentence], vectors: np.ndarray,
                     index: BaselineIndex) -> NearestApproved | None:
    """``vectors`` are the sentences' own, row by row; None when no sentence is judged."""
    keep = [i for i, s in enumerate(sentences) if is_judged(s)]
    if not keep:
        return None
    import numpy as np

    sims, nearest = index.nearest_sentences(vectors[keep], touchpoint.language,
                                            touchpoint.channel)
    least = np.argsort(sims)[:SHOWN_SENTENCES]
    return NearestApproved([sentences[keep[i]] for i in least], sims[least], nearest[least])


def score_message(touchpoint: Touchpoint, near: NearestApproved | None, model: BrandModel,
                  block_raw: dict[int, float]) -> MessageScore:
    """The touchpoint's brand score from its paragraphs, with the least on-brand sentence.

    ``block_raw`` maps block positions in ``touchpoint.blocks`` to their raw brand similarity;
    ``near`` is ``nearest_approved`` of its sentences.
    """
    if not block_raw:
        return MessageScore(None, None, ())
    index, cal = model.index, model.calibration
    weights = {b: weight(touchpoint.blocks[b].text) for b in block_raw}
    similarity = sum(block_raw[b] * weights[b] for b in block_raw) / sum(weights.values())
    score = cal.score(similarity)
    findings: list[Finding] = []
    if near is None:
        return MessageScore(similarity, score, ())
    sims, nearest = near.sims, near.nearest  # the least on-brand sentence first
    if similarity < cal.warn:
        severity = "error" if similarity < cal.diverge else "warning"
        worst = 0
        sentence = near.sentences[worst]
        unit = index.units[nearest[worst]]
        share = round(cal.share_above(similarity, model.approved) * 100)
        # The sentence in the message itself: a terminal, summary.md or SARIF shows the
        # message, not the report's highlight.
        quoted = textwrap.shorten(sentence.text, QUOTED_CHARS, placeholder=" …")
        stop = "" if quoted[-1:] in tuple(".!?…") else "."  # no ".”." after a sentence's own
        findings.append(_finding(
            touchpoint, sentence, "message.off_brand", severity,
            f"This {_noun(touchpoint)} reads unlike {index.baseline.name}'s approved copy: "
            f"{share}% of the approved copy is closer to the brand than this {_noun(touchpoint)}. "
            f"Its least on-brand sentence: “{quoted}”{stop}",
            "Rewrite it around what the customer gets, in the brand's words; the approved "
            "example shows the tone and message to aim for.",
            Exemplar(unit.paragraph, unit.source, round(float(sims[worst]), 3)),
            ("{} не {} на одобренные тексты ".format(
                *_NOUN_RU.get(touchpoint.channel, ("Этот текст", "похож"))) +
             f"бренда «{index.baseline.name}»: {share}% одобренных текстов ближе к бренду. "
             f"Меньше всего похоже на бренд предложение «{quoted}»{stop}",
             "Перепишите его вокруг того, что получает клиент, словами бренда; одобренный "
             "пример показывает, к какому тону и смыслу стремиться.")))
    else:
        # An on-brand touchpoint may still carry one sentence far from the brand.
        for pos, sentence in enumerate(near.sentences):
            if sims[pos] < cal.sentence_diverge and word_count(sentence.text) >= 6:
                unit = index.units[nearest[pos]]
                findings.append(_finding(
                    touchpoint, sentence, "message.off_brand_sentence", "info",
                    "This sentence is less like the brand than 95% of the approved sentences; "
                    "check that it says what the brand means.",
                    "Compare it with the approved example and bring it closer.",
                    Exemplar(unit.paragraph, unit.source, round(float(sims[pos]), 3)),
                    ("Это предложение меньше похоже на бренд, чем 95% одобренных предложений; "
                     "проверьте, что оно говорит то, что бренд имеет в виду.",
                     "Сравните его с одобренным примером и приблизьте к нему.")))
    return MessageScore(similarity, score, tuple(findings))


def is_judged(sentence: Sentence) -> bool:
    """Whether a sentence is held to the brand's message and tone: long enough to carry one,
    and copy that speaks rather than describes."""
    return word_count(sentence.text) >= MIN_WORDS and sentence.block.scope not in (
        DESCRIPTIVE_SCOPES)


def _finding(touchpoint: Touchpoint, sentence: Sentence, rule: str, severity, message: str,
             suggestion: str, exemplar: Exemplar, ru: tuple[str, str]) -> Finding:
    return Finding(rule=rule, severity=severity, message=message, evidence=sentence.text,
                   locator=sentence.block.locator, span=(sentence.start, sentence.end),
                   suggestion=suggestion, exemplar=exemplar,
                   fingerprint=fingerprint(rule, touchpoint.id, sentence.text),
                   translations=(("ru", *ru),))


#: "This page ... reads unlike" in Russian, by channel: the noun and "похож" in its gender.
_NOUN_RU = {"web": ("Эта страница", "похожа"), "social": ("Этот пост", "похож"),
            "calls": ("Этот звонок", "похож"), "chat": ("Этот чат", "похож"),
            "email": ("Это письмо", "похоже"), "sms": ("Это сообщение", "похоже"),
            "files": ("Этот файл", "похож")}


def _noun(touchpoint: Touchpoint) -> str:
    return {"web": "page", "social": "post", "calls": "call", "chat": "chat",
            "email": "e-mail", "sms": "message", "files": "file"}.get(touchpoint.channel, "copy")


def nearest_exemplar(index: BaselineIndex, vector: np.ndarray, language: str | None = None,
                     channel: str | None = None) -> Exemplar:
    """The approved sentence closest in meaning among those ``BaselineIndex.shown_mask``
    allows for ``language`` and ``channel``, with its paragraph and file."""
    import numpy as np

    sims = np.where(index.shown_mask(language, channel), index.vectors @ vector, -np.inf)
    i = int(np.argmax(sims))
    unit = index.units[i]
    return Exemplar(unit.paragraph, unit.source, round(float(sims[i]), 3))


def status_for(score: float | None, findings: tuple[Finding, ...]) -> Status:
    """Band of the score, raised by the worst finding: an error diverges, a warning warns."""
    if any(f.severity == "error" for f in findings):
        return "diverges"
    if score is not None and score < SCORE_AT_DIVERGE:
        return "diverges"
    if any(f.severity == "warning" for f in findings):
        return "warn"
    if score is not None and score < SCORE_AT_WARN:
        return "warn"
    return "ok"


def final_score(message_score: float | None, findings: tuple[Finding, ...]) -> float:
    """The message score less a penalty per kind of problem (a rule counts once)."""
    base = 100.0 if message_score is None else message_score
    worst: dict[str, float] = {}
    for f in findings:
        if not f.rule.startswith("message."):
            worst[f.rule] = max(worst.get(f.rule, 0.0), PENALTY[f.severity])
    return round(max(0.0, base - min(sum(worst.values()), 60.0)), 1)


def rule_titles() -> dict[str, dict[str, str]]:
    """``message.*`` → title by report language (``checks.rule_titles``)."""
    return {"message.off_brand": {"en": "Off-brand message", "ru": "Не в духе бренда"},
            "message.off_brand_sentence": {"en": "Off-brand sentence",
                                           "ru": "Фраза не в духе бренда"}}


def rule_docs() -> dict[str, str]:
    return {
        "message.off_brand": (
            "Message: the touchpoint as a whole reads unlike the brand's approved copy.\n\n"
            "Each paragraph is compared with the 5 most similar approved paragraphs (any "
            "language: the default model is multilingual) and, when there is enough copy, "
            "with a model of what sets the approved copy apart from peers' copy or from the "
            "rest of the audited copy. The result is compared with the approved copy's own "
            "scores: 'warn' below the 10th percentile, 'diverges' below the 5th (settable in "
            "brand.toml [thresholds]).\n\n"
            "Example: an investor page about 'synergies' on a brand whose copy is about "
            "customers' home internet.\nFix: rewrite around what the customer gets, using the "
            "nearest approved example as a model, or add the page's topic to the approved copy "
            "if it is genuinely on-brand."),
        "message.off_brand_sentence": (
            "Message: one sentence in an otherwise on-brand touchpoint is less like the brand "
            "than 95% of the approved sentences. Informational; check that it says what the "
            "brand means."),
    }
