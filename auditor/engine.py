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
from auditor.checks import Check, Sentence, rule_checks, touchpoint_sentences
from auditor.config import AuditConfig
from auditor.embedding import DEFAULT_MODEL, CachedEmbedder, Embedder, make_embedder
from auditor.scoring import (
    BaselineIndex,
    build_index,
    final_score,
    nearest_exemplar,
    score_message,
    status_for,
)
from auditor.store import Store
from auditor.types import (
    AgentSummary,
    AuditRun,
    ChannelSummary,
    CollectionError,
    Comparison,
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


def score_touchpoints(touchpoints: list[Touchpoint], baseline: Baseline,
                      index: BaselineIndex | None, embedder: Embedder | None,
                      checks: list[Check] | None = None,
                      progress: Progress = _quiet) -> list[TouchpointResult]:
    """Score touchpoints: one embedding pass over every unique sentence, then rules."""
    checks = checks if checks is not None else rule_checks(dict(baseline.banned_terms),
                                                           dict(baseline.preferred_terms))
    all_sentences = [touchpoint_sentences(tp) for tp in touchpoints]
    vectors: dict[str, np.ndarray] = {}
    if index is not None and embedder is not None:
        unique = sorted({s.text for ss in all_sentences for s in ss})
        progress("embedding", 0, len(unique))
        encoded = embedder.encode(unique) if unique else np.zeros((0, 1), dtype=np.float32)
        vectors = dict(zip(unique, encoded))
        progress("embedding", len(unique), len(unique))
    results = []
    for n, (tp, sentences) in enumerate(zip(touchpoints, all_sentences)):
        results.append(_score_one(tp, sentences, index, vectors, checks))
        if n % 50 == 0:
            progress("scoring", n, len(touchpoints))
    progress("scoring", len(touchpoints), len(touchpoints))
    return results


def _score_one(tp: Touchpoint, sentences: list[Sentence], index: BaselineIndex | None,
               vectors: dict[str, np.ndarray], checks: list[Check]) -> TouchpointResult:
    findings: list[Finding] = []
    message_score = None
    if index is not None and sentences:
        matrix = np.stack([vectors[s.text] for s in sentences])
        message = score_message(tp, sentences, matrix, index)
        message_score = message.score
        findings.extend(message.findings)
    for check in checks:
        for finding in check.run(tp, sentences):
            if index is not None and finding.exemplar is None:
                finding = _with_exemplar(finding, index, vectors)
            findings.append(finding)
    findings.sort(key=lambda f: ({"error": 0, "warning": 1, "info": 2}[f.severity], f.rule))
    final = tuple(findings)
    score = final_score(message_score, final)
    return TouchpointResult(tp, score, status_for(score, final), final)


def _with_exemplar(finding: Finding, index: BaselineIndex,
                   vectors: dict[str, np.ndarray]) -> Finding:
    from dataclasses import replace

    vector = vectors.get(finding.evidence)
    if vector is None:
        return finding
    return replace(finding, exemplar=nearest_exemplar(index, vector))


def aggregate(results: list[TouchpointResult]
              ) -> tuple[tuple[ChannelSummary, ...], tuple[AgentSummary, ...], float | None]:
    from auditor.scoring import status_for as band

    by_channel: dict[str, list[TouchpointResult]] = defaultdict(list)
    by_agent: dict[str, list[TouchpointResult]] = defaultdict(list)
    for r in results:
        by_channel[r.touchpoint.channel].append(r)
        if r.touchpoint.agent_id:
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
          index: BaselineIndex | None = None) -> AuditRun:
    """Score collected touchpoints against a baseline and build the run."""
    started_at = started_at or datetime.now(UTC)
    if embedder is not None and index is None:
        progress("building baseline index", 0, 1)
        index = build_index(baseline, embedder)
    results = score_touchpoints(touchpoints, baseline, index, embedder, progress=progress)
    channels, agents, score = aggregate(results)
    context: dict[str, object] = {"brand": baseline.name}
    if index is not None:
        context["calibration"] = index.calibration.as_dict()
    return AuditRun(
        id=started_at.strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6],
        started_at=started_at, finished_at=datetime.now(UTC),
        baseline=str(baseline.root), model=embedder.model_id if embedder else "none (rules only)",
        tool_version=__version__, results=tuple(results), channels=channels, agents=agents,
        errors=tuple(errors), score=score, comparison=compare(results, score, previous),
        context=context)


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
                    previous=store.latest_run(), progress=progress, started_at=started_at)
        report = to_dict(run)
        store.save_run(report)
    return run, report


def write_reports(report: dict, out: Path, formats: Iterable[str] = ("json", "html")) -> dict:
    from reports import write

    out.mkdir(parents=True, exist_ok=True)
    names = {"json": "report.json", "html": "report.html", "markdown": "summary.md",
             "text": "report.txt"}
    return {fmt: write(report, fmt, out / names[fmt]) for fmt in formats}
