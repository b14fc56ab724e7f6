"""A realistic sample ``AuditRun`` for report tests, from ``fixtures/reports/sample_run.json``.

The copy lives in the fixture file (English and Russian; a web page, social posts, calls with
agents, a content file, collection errors, findings with exemplars, and one touchpoint whose
text tries to break out of the HTML report). Channel and agent summaries are computed here the
simple way, so the sample stays consistent when the fixture changes.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from auditor.types import (
    AgentSummary,
    AuditRun,
    Block,
    ChannelSummary,
    CollectionError,
    Comparison,
    Exemplar,
    Finding,
    Locator,
    Touchpoint,
    TouchpointResult,
)

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
SAMPLE_RUN = FIXTURES / "sample_run.json"

#: What the HTML must never let run, and must show as plain text.
XSS_MARKER = "window.__pwned"


def sample_run(path: Path = SAMPLE_RUN) -> AuditRun:
    """The sample run described by ``path``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    results = tuple(_result(tp) for tp in data["touchpoints"])
    comparison = data.get("comparison")
    return AuditRun(
        id=data["run"]["id"],
        started_at=datetime.fromisoformat(data["run"]["started_at"]),
        finished_at=datetime.fromisoformat(data["run"]["finished_at"]),
        baseline=data["run"]["baseline"],
        model=data["run"]["model"],
        tool_version=data["run"]["tool_version"],
        results=results,
        channels=_channels(results),
        agents=_agents(results),
        errors=tuple(CollectionError(**e) for e in data.get("errors", [])),
        score=_mean(r.score for r in results),
        comparison=_comparison(comparison, results) if comparison else None,
        context=data.get("context", {}),
    )


def _result(tp: dict) -> TouchpointResult:
    locator = Locator(**tp["locator"])
    metadata = {"agent_id": tp["agent_id"]} if tp.get("agent_id") else {}
    touchpoint = Touchpoint(
        id=tp["id"], channel=tp["channel"], source=tp["source"], title=tp["title"],
        language=tp["language"], metadata=metadata,
        blocks=(Block(text=tp["text"], scope=f"{tp['channel']}.body", locator=locator),),
    )
    findings = tuple(_finding(f, touchpoint) for f in tp["findings"])
    return TouchpointResult(touchpoint, tp["score"], tp["status"], findings)


def _finding(f: dict, touchpoint: Touchpoint) -> Finding:
    fingerprint = hashlib.sha256(
        f"{f['rule']}\0{touchpoint.source}\0{f['evidence']}".encode()).hexdigest()[:16]
    return Finding(
        rule=f["rule"], severity=f["severity"], message=f["message"], evidence=f["evidence"],
        locator=Locator(**f["locator"]) if "locator" in f else None,
        span=tuple(f["span"]) if "span" in f else None,
        suggestion=f.get("suggestion"),
        exemplar=Exemplar(**f["exemplar"]) if "exemplar" in f else None,
        fingerprint=fingerprint,
    )


def _channels(results: tuple[TouchpointResult, ...]) -> tuple[ChannelSummary, ...]:
    by_channel: dict[str, list[TouchpointResult]] = defaultdict(list)
    for r in results:
        by_channel[r.touchpoint.channel].append(r)
    return tuple(
        ChannelSummary(channel=c, score=_mean(r.score for r in rs), touchpoints=len(rs),
                       diverging=sum(r.status == "diverges" for r in rs),
                       warnings=sum(r.status == "warn" for r in rs))
        for c, rs in by_channel.items()
    )


def _agents(results: tuple[TouchpointResult, ...]) -> tuple[AgentSummary, ...]:
    by_agent: dict[str, list[TouchpointResult]] = defaultdict(list)
    for r in results:
        if r.touchpoint.agent_id:
            by_agent[r.touchpoint.agent_id].append(r)
    order = {"ok": 0, "warn": 1, "diverges": 2}
    return tuple(
        AgentSummary(agent_id=a, touchpoints=len(rs), score=_mean(r.score for r in rs),
                     status=max((r.status for r in rs), key=order.__getitem__))
        for a, rs in sorted(by_agent.items())
    )


def _comparison(data: dict, results: tuple[TouchpointResult, ...]) -> Comparison:
    new_rules = set(data.get("new_rules", ()))
    new = tuple(f.fingerprint for r in results for f in r.findings if f.rule in new_rules)
    return Comparison(previous_run=data["previous_run"], new=new,
                      resolved=tuple(data.get("resolved", ())), score_delta=data["score_delta"])


def _mean(scores) -> float | None:
    values = [s for s in scores if s is not None]
    return sum(values) / len(values) if values else None
