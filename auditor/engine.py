"""The audit itself: collect every channel, score every touchpoint in one embedding pass,
aggregate per channel and agent, compare with the previous run.

Library first: ``run_audit(load_config("audit.toml"))`` works from a notebook; the CLI only
parses arguments and prints.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from auditor import __version__
from auditor.checks import Check, Sentence, fingerprint, rule_checks, touchpoint_sentences
from auditor.config import AuditConfig
from auditor.embedding import DEFAULT_MODEL, CachedEmbedder, Embedder, make_embedder
from auditor.offers import MIN_WORDS as OFFER_MIN_WORDS
from auditor.offers import THRESHOLD as OFFER_THRESHOLD
from auditor.offers import OfferDetector
from auditor.scoring import (
    DESCRIPTIVE_SCOPES,
    MIN_WORDS,
    SCORE_AT_DIVERGE,
    SCORE_AT_WARN,
    BaselineIndex,
    BrandModel,
    build_index,
    final_score,
    fit_brand_model,
    nearest_exemplar,
    score_message,
    status_for,
    weight,
    word_count,
)
from auditor.store import Store
from auditor.tone import DIMENSIONS, ToneAxes, learn_targets, tone_of
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
)
from baselines import Baseline, load_baseline

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _quiet(stage: str, done: int, total: int) -> None:
    pass


@dataclass
class Collected:
    touchpoints: list[Touchpoint] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)


def collect(config: AuditConfig, progress: Progress = _quiet) -> Collected:
    """Run every configured collector; a collector that fails is an error, not a crash."""
    from channels import CollectContext, channel_kinds

    kinds = channel_kinds()
    out = Collected()
    ctx = CollectContext(base_dir=config.base_dir)
    seen: set[str] = set()
    for n, section in enumerate(config.channels):
        kind = kinds[section.kind]
        progress(f"collecting {section.kind}", n, len(config.channels))
        try:
            for item in kind.collect(section.options, ctx):
                if isinstance(item, CollectionError):
                    out.errors.append(item)
                elif item.id not in seen:
                    seen.add(item.id)
                    out.touchpoints.append(item)
        except Exception as exc:  # a collector bug must not lose what others collected
            out.errors.append(CollectionError(
                source=f"channels.{section.kind}[{section.index}]",
                error=f"collector failed: {type(exc).__name__}: {exc}", channel=section.kind))
    progress("collecting", len(config.channels), len(config.channels))
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
    if index is None:
        progress("building baseline index", 0, 1)
        index = build_index(baseline, embedder)
    axes = ToneAxes.build(embedder)
    return Scoring(baseline, index, embedder, checks, axes,
                   exemplar_tone_targets(index, axes), OfferDetector.build(embedder))


def exemplar_tone_targets(index: BaselineIndex, axes: ToneAxes) -> dict:
    """Tone targets per language from brand.toml, else from the approved files' own tone."""
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

    from auditor.tone import parallel_phrases

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


@dataclass(frozen=True)
class Scored:
    results: list[TouchpointResult]
    model: BrandModel | None
    vectors: dict[str, np.ndarray]               # sentence -> vector
    touchpoint_vectors: dict[int, np.ndarray]    # touchpoint position -> mean block vector


def score_touchpoints(touchpoints: list[Touchpoint], scoring: Scoring,
                      progress: Progress = _quiet) -> Scored:
    """Score touchpoints: one embedding pass over every unique sentence, then the model."""
    all_sentences = [touchpoint_sentences(tp) for tp in touchpoints]
    vectors: dict[str, np.ndarray] = {}
    model = None
    blocks: list[dict[int, int]] = [{} for _ in touchpoints]  # block -> row in block vectors
    if scoring.index is not None and scoring.embedder is not None:
        unique = sorted({s.text for ss in all_sentences for s in ss})
        progress("embedding", 0, len(unique))
        encoded = scoring.embedder.encode(unique) if unique else np.zeros((0, 1), np.float32)
        vectors = dict(zip(unique, encoded))
        progress("embedding", len(unique), len(unique))
        block_vectors, groups, languages, texts = [], [], [], []
        for t, sentences in enumerate(all_sentences):
            by_block: dict[int, list[np.ndarray]] = defaultdict(list)
            for s in sentences:
                if word_count(s.text) >= MIN_WORDS and s.block.scope not in DESCRIPTIVE_SCOPES:
                    by_block[touchpoints[t].blocks.index(s.block)].append(vectors[s.text])
            for b, vs in by_block.items():
                v = np.mean(vs, axis=0)
                blocks[t][b] = len(block_vectors)
                block_vectors.append(v / (np.linalg.norm(v) or 1.0))
                groups.append(t)
                languages.append(touchpoints[t].language)
                texts.append(touchpoints[t].blocks[b].text)
        matrix = (np.stack(block_vectors) if block_vectors
                  else np.zeros((0, scoring.index.vectors.shape[1]), np.float32))
        progress("modelling the brand", 0, 1)
        model = fit_brand_model(scoring.index, matrix, np.array(groups), languages,
                                block_texts=texts)
        offer = scoring.offers.scores(matrix) if scoring.offers is not None else None
    results = []
    touchpoint_vectors = {}
    for n, (tp, sentences) in enumerate(zip(touchpoints, all_sentences)):
        block_raw = {b: float(model.block_raw[row]) for b, row in blocks[n].items()} if model \
            else {}
        if blocks[n]:
            v = matrix[list(blocks[n].values())].mean(axis=0)
            touchpoint_vectors[n] = v / (np.linalg.norm(v) or 1.0)
        block_offer = ({b: float(offer[row]) for b, row in blocks[n].items()}
                       if model is not None and offer is not None else {})
        results.append(_score_one(tp, sentences, scoring, model, vectors, block_raw,
                                  block_offer))
        if n % 50 == 0:
            progress("scoring", n, len(touchpoints))
    progress("scoring", len(touchpoints), len(touchpoints))
    return Scored(results, model, vectors, touchpoint_vectors)


def _score_one(tp: Touchpoint, sentences: list[Sentence], scoring: Scoring,
               model: BrandModel | None, vectors: dict[str, np.ndarray],
               block_raw: dict[int, float], block_offer: dict[int, float] | None = None
               ) -> TouchpointResult:
    findings: list[Finding] = []
    message_score = similarity = None
    tone: dict[str, float] = {}
    if model is not None and sentences:
        matrix = np.stack([vectors[s.text] for s in sentences])
        message = score_message(tp, sentences, matrix, model, block_raw)
        message_score, similarity = message.score, message.similarity
        findings.extend(message.findings)
        judged = [i for i, s in enumerate(sentences)
                  if word_count(s.text) >= MIN_WORDS and s.block.scope not in DESCRIPTIVE_SCOPES]
        if judged and scoring.axes is not None:
            texts = [sentences[i].text for i in judged]
            values = tone_of(texts, matrix[judged], scoring.axes,
                             np.array([weight(t) for t in texts]))
            tone = {d: round(float(v), 3) for d, v in zip(DIMENSIONS, values)}
            findings.extend(_tone_findings(tp, [sentences[i] for i in judged], matrix[judged],
                                           values, scoring))
    for check in scoring.checks:
        for finding in check.run(tp, sentences):
            if scoring.index is not None and finding.exemplar is None:
                finding = _with_exemplar(finding, scoring.index, vectors)
            findings.append(finding)
    findings = [_with_block(f, tp) for f in findings]
    findings += _offer_findings(tp, sentences, block_offer or {}, findings, scoring, vectors)
    findings.sort(key=_urgency)
    final = tuple(findings)
    score = final_score(message_score, final)
    return TouchpointResult(tp, score, status_for(score, final), final, tone=tone,
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


def _tone_findings(tp: Touchpoint, sentences: list[Sentence], matrix: np.ndarray,
                   values: np.ndarray, scoring: Scoring) -> list[Finding]:
    from auditor.tone import advice, explain_off_target, off_target

    if sum(word_count(s.text) for s in sentences) < MIN_TONE_WORDS:
        return []
    targets = scoring.tone_targets.get(tp.language) or scoring.tone_targets.get("*", {})
    out = []
    semantic = scoring.axes.semantic(matrix)
    for j, name, value, target in off_target(values, targets, len(sentences)):
        direction = 1 if value > target.target else -1
        # Tone is measured, not certain: past the approved copy's own spread is worth a look
        # (info); twice that distance is a problem to fix (warning).
        far = abs(value - target.target) > 2 * target.allowed(len(sentences))
        # The sentence that pulls furthest in the off-target direction is the evidence.
        worst = sentences[int(np.argmax(semantic[:, j] * direction))]
        exemplar = (nearest_exemplar(scoring.index, matrix[int(np.argmax(semantic[:, j]
                                                                         * direction))])
                    if scoring.index is not None else None)
        out.append(Finding(
            rule=f"tone.{name}", severity="warning" if far else "info",
            message=explain_off_target(name, value, target, scoring.baseline.name),
            evidence=worst.text, locator=worst.block.locator,
            span=(worst.start, worst.end),
            suggestion=advice(name, direction) or None, exemplar=exemplar,
            fingerprint=fingerprint(f"tone.{name}", tp.id, worst.text)))
    return out


def _offer_findings(tp: Touchpoint, sentences: list[Sentence], block_offer: dict[int, float],
                    found: list[Finding], scoring: Scoring,
                    vectors: dict[str, np.ndarray]) -> list[Finding]:
    """Paragraphs that read as unsolicited offers, unless the phrase rules caught them."""
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
            fingerprint=fingerprint("respect.spam", tp.id, strongest.text))
        if scoring.index is not None:
            finding = _with_exemplar(finding, scoring.index, vectors)
        out.append(finding)
    return out


def _with_exemplar(finding: Finding, index: BaselineIndex,
                   vectors: dict[str, np.ndarray]) -> Finding:
    from dataclasses import replace

    vector = vectors.get(finding.evidence)
    if vector is None:
        return finding
    return replace(finding, exemplar=nearest_exemplar(index, vector))


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


def open_embedder(model: str | None, store: Store | None) -> CachedEmbedder:
    from auditor.embedding import MemoryCache

    return CachedEmbedder(make_embedder(model or DEFAULT_MODEL), store or MemoryCache())


def audit(touchpoints: list[Touchpoint], errors: list[CollectionError], baseline: Baseline,
          embedder: Embedder | None, *, previous: dict | None = None,
          progress: Progress = _quiet, started_at: datetime | None = None,
          index: BaselineIndex | None = None, history: list[dict] | None = None) -> AuditRun:
    """Score collected touchpoints against a baseline and build the run.

    ``previous`` is the previous run's report (for new / resolved findings); ``history`` the
    stored runs' per-channel scores, oldest first (for the trend).
    """
    started_at = started_at or datetime.now(UTC)
    scoring = prepare(baseline, embedder, index, progress)
    scored = score_touchpoints(touchpoints, scoring, progress)
    results = scored.results
    coverage = None
    context: dict[str, object] = {"brand": baseline.name,
                                  "thresholds": {"ok": SCORE_AT_WARN, "warn": SCORE_AT_DIVERGE}}
    if scored.model is not None:
        context["calibration"] = scored.model.calibration.as_dict()
        context["tone_targets"] = {
            lang: {d: {"target": t.target, "tolerance": t.tolerance, "learned": t.learned,
                       "sentence_sd": t.sentence_sd}
                   for d, t in targets.items()}
            for lang, targets in scoring.tone_targets.items()}
        coverage = key_message_coverage(touchpoints, results, scoring.index, scored.vectors)
        results, context["exemplar_map"] = brand_map(results, scored, scoring.index)
    channels, agents, score = aggregate(results)
    if len([a for a in agents if a.score is not None]) >= 2:
        context["agent_spread"] = round(float(np.std([a.score for a in agents
                                                      if a.score is not None])), 1)
    run_id = started_at.strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
    context["trend"] = [*(history or []), {
        "run_id": run_id, "started_at": started_at.isoformat().replace("+00:00", "Z"),
        "score": score, "by_channel": {c.channel: c.score for c in channels}}]
    return AuditRun(
        id=run_id,
        started_at=started_at, finished_at=datetime.now(UTC),
        baseline=str(baseline.root), model=embedder.model_id if embedder else "none (rules only)",
        tool_version=__version__, results=tuple(results), channels=channels, agents=agents,
        errors=tuple(errors), score=score, comparison=compare(results, score, previous),
        coverage=coverage, context=context)


def key_message_coverage(touchpoints: list[Touchpoint], results: list[TouchpointResult],
                         index: BaselineIndex, vectors: dict[str, np.ndarray]) -> Coverage | None:
    """Share of each channel's touchpoints that carry each key message (paraphrases count).

    A sentence carries a message when its similarity to the message stands out from how the
    approved copy in general relates to it: above the approved sentences' mean plus
    ``COVERAGE_SIGMAS`` standard deviations (never below ``COVERAGE_FLOOR``).
    """
    messages = index.baseline.key_messages
    if not messages or not len(index.key_vectors):
        return None
    approved = index.vectors[:len(index.vectors) - len(messages)]
    sims = approved @ index.key_vectors.T
    threshold = np.maximum(sims.mean(axis=0) + COVERAGE_SIGMAS * sims.std(axis=0),
                           COVERAGE_FLOOR)
    channels = sorted({tp.channel for tp in touchpoints})
    counts = np.zeros((len(messages), len(channels)))
    totals = np.zeros(len(channels))
    for tp in touchpoints:
        c = channels.index(tp.channel)
        texts = [s.text for s in touchpoint_sentences(tp) if s.text in vectors]
        if not texts:
            continue
        totals[c] += 1
        best = (np.stack([vectors[t] for t in texts]) @ index.key_vectors.T).max(axis=0)
        counts[:, c] += best >= threshold
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    return Coverage(tuple(messages), tuple(channels),
                    tuple(tuple(round(float(v), 3) for v in row) for row in shares))


COVERAGE_SIGMAS = 2.5
COVERAGE_FLOOR = 0.35
MAP_EXEMPLARS = 300


def brand_map(results: list[TouchpointResult], scored: Scored, index: BaselineIndex
              ) -> tuple[list[TouchpointResult], list[dict]]:
    """Project touchpoints and approved paragraphs onto the same 2-D plane (PCA)."""
    from dataclasses import replace

    approved = index.paragraph_vectors
    if not len(approved) or not scored.touchpoint_vectors:
        return results, []
    step = max(1, len(approved) // MAP_EXEMPLARS)
    picked = list(range(0, len(approved), step))
    positions = sorted(scored.touchpoint_vectors)
    matrix = np.vstack([approved[picked], *[scored.touchpoint_vectors[p] for p in positions]])
    centred = matrix - matrix.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    span = xy.max(axis=0) - xy.min(axis=0)
    xy = (xy - xy.min(axis=0)) / np.where(span > 0, span, 1)
    exemplar_points = [{"x": round(float(xy[i, 0]), 4), "y": round(float(xy[i, 1]), 4),
                        "text": index.paragraphs[p][0][:300], "source": index.paragraphs[p][1]}
                       for i, p in enumerate(picked)]
    out = list(results)
    for k, position in enumerate(positions):
        x, y = xy[len(picked) + k]
        out[position] = replace(out[position], position=(round(float(x), 4), round(float(y), 4)))
    return out, exemplar_points


def run_audit(config: AuditConfig, *, embedder: Embedder | None = None,
              progress: Progress = _quiet) -> tuple[AuditRun, dict]:
    """A full audit of every configured channel; the run is stored in the history."""
    from reports.json_report import to_dict

    started_at = datetime.now(UTC)
    baseline = load_baseline(config.baseline)
    config.store.parent.mkdir(parents=True, exist_ok=True)
    with Store(config.store) as store:
        collected = collect(config, progress)
        model = embedder or open_embedder(config.model, store)
        run = audit(collected.touchpoints, collected.errors, baseline, model,
                    previous=store.latest_run(), progress=progress, started_at=started_at,
                    history=trend(store))
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
