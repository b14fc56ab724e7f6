"""Message scoring: how much a touchpoint sounds like the brand's approved copy.

Each sentence is compared with its k nearest approved sentences (not a centroid, so a brand
that talks about several topics still works). The thresholds come from the baseline's own
copy: every approved paragraph is scored against the rest of the baseline with its own file
left out, and "diverges" means less like the brand than 95% of that approved copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from auditor.checks import Sentence, fingerprint
from auditor.embedding import Embedder
from auditor.text import split_sentences
from auditor.types import Exemplar, Finding, Status, Touchpoint
from baselines import Baseline

K_NEAREST = 5
MIN_WORDS = 3  # shorter sentences ("Thanks!", "Okay.") carry no message of their own
# Copy that describes rather than speaks: checked by the rules, not held to the message.
DESCRIPTIVE_SCOPES = ("web.alt", "files.alt")

# Score anchors: the approved copy's median scores 90, the warn threshold 70, the diverge
# threshold 50. Bands follow: ok >= 70 > warn >= 50 > diverges.
SCORE_AT_MEDIAN, SCORE_AT_WARN, SCORE_AT_DIVERGE = 90.0, 70.0, 50.0
PENALTY = {"error": 30.0, "warning": 12.0, "info": 0.0}


@dataclass(frozen=True)
class Unit:
    """An approved sentence in the index, with the paragraph and file it came from."""

    text: str
    paragraph: str
    source: str
    doc: int


@dataclass(frozen=True)
class Calibration:
    """Leave-one-out similarities of the approved copy and the thresholds drawn from them."""

    median: float
    warn: float
    diverge: float
    top: float
    sentence_diverge: float
    samples: int

    def score(self, similarity: float) -> float:
        """Map a raw similarity to 0-100 through the calibrated anchors."""
        floor = self.diverge - 2.0 * max(self.median - self.diverge, 1e-3)
        points = [(floor, 0.0), (self.diverge, SCORE_AT_DIVERGE), (self.warn, SCORE_AT_WARN),
                  (self.median, SCORE_AT_MEDIAN), (max(self.top, self.median + 1e-3), 100.0)]
        xs, ys = zip(*points)
        return float(np.clip(np.interp(similarity, xs, ys), 0.0, 100.0))

    def as_dict(self) -> dict:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class BaselineIndex:
    baseline: Baseline
    model_id: str
    units: tuple[Unit, ...]
    vectors: np.ndarray           # (n, dim), normalised
    calibration: Calibration
    loo_paragraphs: tuple[tuple[str, str, float], ...]  # (source, paragraph, similarity)

    def nearest(self, vectors: np.ndarray, exclude_doc: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Mean similarity of the k nearest approved sentences, and the index of the nearest."""
        sims = vectors @ self.vectors.T
        if exclude_doc is not None:
            doc_ids = np.array([u.doc for u in self.units])
            sims = np.where(doc_ids[None, :] == exclude_doc[:, None], -np.inf, sims)
        k = min(K_NEAREST, sims.shape[1])
        top = -np.sort(-sims, axis=1)[:, :k]
        top = np.where(np.isfinite(top), top, np.nan)
        return np.nan_to_num(np.nanmean(top, axis=1), nan=0.0), np.argmax(sims, axis=1)


def word_count(text: str) -> int:
    """Words with letters in them: a phone number or a price is not a message."""
    return sum(any(ch.isalpha() for ch in word) for word in text.split())


def _weight(text: str) -> float:
    return math.sqrt(min(word_count(text), 40))


def build_index(baseline: Baseline, embedder: Embedder) -> BaselineIndex:
    """Embed the approved copy and key messages and calibrate the thresholds on them."""
    units: list[Unit] = []
    for doc, exemplar in enumerate(baseline.exemplars):
        for paragraph in exemplar.paragraphs:
            for start, end in split_sentences(paragraph):
                sentence = paragraph[start:end]
                if word_count(sentence) >= MIN_WORDS:
                    units.append(Unit(sentence, paragraph, exemplar.path, doc))
    key_doc = len(baseline.exemplars)
    for message in baseline.key_messages:
        units.append(Unit(message, message, "brand.toml (key message)", key_doc))
    vectors = embedder.encode([u.text for u in units])
    index = BaselineIndex(baseline, embedder.model_id, tuple(units), vectors,
                          Calibration(0, 0, 0, 0, 0, 0), ())
    return _calibrate(index)


def _calibrate(index: BaselineIndex) -> BaselineIndex:
    units = index.units
    docs = np.array([u.doc for u in units])
    sims, _ = index.nearest(index.vectors, exclude_doc=docs)
    by_paragraph: dict[tuple[int, str], list[tuple[float, float]]] = {}
    for unit, sim in zip(units, sims):
        if unit.source.startswith("brand.toml"):
            continue
        by_paragraph.setdefault((unit.doc, unit.paragraph), []).append((sim, _weight(unit.text)))
    paragraph_scores = []
    loo = []
    for (doc, paragraph), pairs in by_paragraph.items():
        value = sum(s * w for s, w in pairs) / sum(w for _, w in pairs)
        paragraph_scores.append(value)
        loo.append((index.baseline.exemplars[doc].path, paragraph, float(value)))
    if len(paragraph_scores) < 5:
        paragraph_scores = [float(s) for s in sims] or [0.5]
    t = index.baseline.thresholds
    values = np.array(paragraph_scores)
    calibration = Calibration(
        median=float(np.median(values)),
        warn=float(np.percentile(values, t.warn_percentile)),
        diverge=float(np.percentile(values, t.diverge_percentile)),
        top=float(np.percentile(values, 95)),
        sentence_diverge=float(np.percentile(sims, t.diverge_percentile)) if len(sims) else 0.0,
        samples=len(values),
    )
    return BaselineIndex(index.baseline, index.model_id, index.units, index.vectors,
                         calibration, tuple(sorted(loo, key=lambda x: x[2])))


@dataclass(frozen=True)
class MessageScore:
    similarity: float | None   # None when the touchpoint has no sentence long enough to judge
    score: float | None
    findings: tuple[Finding, ...]


def score_message(touchpoint: Touchpoint, sentences: list[Sentence], vectors: np.ndarray,
                  index: BaselineIndex) -> MessageScore:
    """Similarity of a touchpoint's sentences to the approved copy, with the evidence."""
    keep = [i for i, s in enumerate(sentences)
            if word_count(s.text) >= MIN_WORDS and s.block.scope not in DESCRIPTIVE_SCOPES]
    if not keep:
        return MessageScore(None, None, ())
    sims, nearest = index.nearest(vectors[keep])
    weights = np.array([_weight(sentences[i].text) for i in keep])
    similarity = float((sims * weights).sum() / weights.sum())
    cal = index.calibration
    score = cal.score(similarity)
    findings: list[Finding] = []
    order = np.argsort(sims)
    worst = order[0]
    if similarity < cal.warn:
        severity = "error" if similarity < cal.diverge else "warning"
        sentence = sentences[keep[worst]]
        unit = index.units[nearest[worst]]
        share = _share_below(index, similarity)
        findings.append(Finding(
            rule="message.off_brand", severity=severity,
            message=(f"This {_noun(touchpoint)} reads unlike {index.baseline.name}'s approved "
                     f"copy: {share} of the approved copy is closer to the brand. "
                     f"Its least on-brand sentence is quoted."),
            evidence=sentence.text, locator=sentence.block.locator,
            span=(sentence.start, sentence.end),
            suggestion=("Rewrite it around what the customer gets, in the brand's words; the "
                        "approved example below shows the tone and message to aim for."),
            exemplar=Exemplar(unit.paragraph, unit.source, round(float(sims[worst]), 3)),
            fingerprint=fingerprint("message.off_brand", touchpoint.id, sentence.text)))
    else:
        # An on-brand touchpoint may still carry one sentence far from the brand.
        for pos in order[:2]:
            sentence = sentences[keep[pos]]
            if sims[pos] < cal.sentence_diverge and word_count(sentence.text) >= 6:
                unit = index.units[nearest[pos]]
                findings.append(Finding(
                    rule="message.off_brand_sentence", severity="info",
                    message=("This sentence is less like the brand than 95% of the approved "
                             "sentences; check that it says what the brand means."),
                    evidence=sentence.text, locator=sentence.block.locator,
                    span=(sentence.start, sentence.end),
                    suggestion="Compare it with the approved example and bring it closer.",
                    exemplar=Exemplar(unit.paragraph, unit.source, round(float(sims[pos]), 3)),
                    fingerprint=fingerprint("message.off_brand_sentence", touchpoint.id,
                                            sentence.text)))
    return MessageScore(similarity, score, tuple(findings))


def _share_below(index: BaselineIndex, similarity: float) -> str:
    values = [v for _, _, v in index.loo_paragraphs]
    if not values:
        return "most"
    above = sum(v > similarity for v in values) / len(values)
    return f"{round(above * 100)}%"


def _noun(touchpoint: Touchpoint) -> str:
    return {"web": "page", "social": "post", "calls": "call", "chat": "chat",
            "email": "e-mail", "sms": "message", "files": "file"}.get(touchpoint.channel, "copy")


def nearest_exemplar(index: BaselineIndex, vector: np.ndarray) -> Exemplar:
    sims = index.vectors @ vector
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
    base = 100.0 if message_score is None else message_score
    penalty = sum(PENALTY[f.severity] for f in findings if not f.rule.startswith("message."))
    return round(max(0.0, base - min(penalty, 60.0)), 1)


def rule_docs() -> dict[str, str]:
    return {
        "message.off_brand": (
            "Message: the touchpoint as a whole reads unlike the brand's approved copy.\n\n"
            "Each sentence is compared with the 5 most similar approved sentences (any "
            "language: the default model is multilingual). The touchpoint's similarity is "
            "compared with the approved copy's own: 'warn' below the 15th percentile, "
            "'diverges' below the 5th (settable in brand.toml [thresholds]).\n\n"
            "Example: an investor page about 'synergies' on a brand whose copy is about "
            "customers' home internet.\nFix: rewrite around what the customer gets, using the "
            "nearest approved example as a model, or add the page's topic to the approved copy "
            "if it is genuinely on-brand."),
        "message.off_brand_sentence": (
            "Message: one sentence in an otherwise on-brand touchpoint is less like the brand "
            "than 95% of the approved sentences. Informational; check that it says what the "
            "brand means."),
    }
