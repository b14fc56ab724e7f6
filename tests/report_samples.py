"""Sample ``AuditRun`` values for report tests.

``sample_run()`` reads ``fixtures/reports/sample_run.json``: English and Russian copy from a
web page, social posts, calls with agents (customer turns kept as unscored context), a content
file, collection errors, findings with block spans and exemplars, tone, brand-map positions,
key-message coverage, a trend over four runs, and one touchpoint whose text tries to break out
of the HTML report. Channel and agent summaries are computed here the simple way, so the sample
stays consistent when the fixture changes.

``large_run(n)`` generates a deterministic audit of ``n`` touchpoints (10,000 for the scale
tests) from the copy pools in ``fixtures/reports/synthetic_copy.json``.
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditor.types import (
    AgentSummary,
    AuditRun,
    Block,
    ChannelSummary,
    CollectionError,
    Comparison,
    Coverage,
    Exemplar,
    Finding,
    Locator,
    Touchpoint,
    TouchpointResult,
)

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
SAMPLE_RUN = FIXTURES / "sample_run.json"
SYNTHETIC_COPY = FIXTURES / "synthetic_copy.json"
DIMENSIONS = ("formality", "warmth", "confidence", "customer_focus", "respect")

#: What the HTML must never let run, and must show as plain text.
XSS_MARKER = "window.__pwned"


def sample_run(path: Path = SAMPLE_RUN) -> AuditRun:
    """The sample run described by ``path``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    results = tuple(_result(tp) for tp in data["touchpoints"])
    comparison = data.get("comparison")
    coverage = data.get("coverage")
    thresholds = data.get("context", {}).get("thresholds", {"ok": 70, "warn": 50})
    return AuditRun(
        id=data["run"]["id"],
        started_at=datetime.fromisoformat(data["run"]["started_at"]),
        finished_at=datetime.fromisoformat(data["run"]["finished_at"]),
        baseline=data["run"]["baseline"],
        model=data["run"]["model"],
        tool_version=data["run"]["tool_version"],
        results=results,
        channels=_channels(results),
        agents=_agents(results, thresholds),
        errors=tuple(CollectionError(**e) for e in data.get("errors", [])),
        score=_mean(r.score for r in results),
        comparison=_comparison(comparison, results) if comparison else None,
        coverage=Coverage(messages=tuple(coverage["messages"]),
                          channels=tuple(coverage["channels"]),
                          matrix=tuple(tuple(row) for row in coverage["matrix"]),
                          versions=tuple(tuple(v) for v in coverage.get("versions", ())))
        if coverage else None,
        context=data.get("context", {}),
    )


def _result(tp: dict) -> TouchpointResult:
    metadata = dict(tp.get("metadata", {}))
    if tp.get("agent_id"):
        metadata["agent_id"] = tp["agent_id"]
    if "blocks" in tp:
        blocks = tuple(Block(text=b["text"], scope=b["scope"], locator=Locator(**b["locator"]),
                             scored=b.get("scored", True), speaker=b.get("speaker"))
                       for b in tp["blocks"])
    else:
        blocks = (Block(text=tp["text"], scope=f"{tp['channel']}.body",
                        locator=Locator(**tp["locator"])),)
    touchpoint = Touchpoint(
        id=tp["id"], channel=tp["channel"], source=tp["source"], title=tp["title"],
        language=tp["language"], metadata=metadata, blocks=blocks,
    )
    findings = tuple(_finding(f, touchpoint) for f in tp["findings"])
    position = tuple(tp["position"]) if "position" in tp else None
    return TouchpointResult(touchpoint, tp["score"], tp["status"], findings,
                            tone=tp.get("tone", {}), similarity=tp.get("similarity"),
                            position=position)


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
        block=f.get("block"),
    )


def _channels(results: tuple[TouchpointResult, ...]) -> tuple[ChannelSummary, ...]:
    by_channel: dict[str, list[TouchpointResult]] = defaultdict(list)
    for r in results:
        by_channel[r.touchpoint.channel].append(r)
    return tuple(
        ChannelSummary(channel=c, score=_mean(r.score for r in rs), touchpoints=len(rs),
                       diverging=sum(r.status == "diverges" for r in rs),
                       warnings=sum(r.status == "warn" for r in rs), tone=_mean_tone(rs))
        for c, rs in by_channel.items()
    )


def _mean_tone(results: list[TouchpointResult]) -> dict[str, float]:
    values: dict[str, list[float]] = defaultdict(list)
    for r in results:
        for dimension, value in r.tone.items():
            values[dimension].append(value)
    return {d: sum(v) / len(v) for d, v in values.items()}


def _agents(results: tuple[TouchpointResult, ...], thresholds: dict) -> tuple[AgentSummary, ...]:
    by_agent: dict[str, list[TouchpointResult]] = defaultdict(list)
    for r in results:
        if r.touchpoint.agent_id:
            by_agent[r.touchpoint.agent_id].append(r)
    agents = []
    for agent, rs in sorted(by_agent.items()):
        score = _mean(r.score for r in rs)
        status = ("ok" if score is not None and score >= thresholds["ok"] else
                  "warn" if score is not None and score >= thresholds["warn"] else "diverges")
        agents.append(AgentSummary(agent_id=agent, touchpoints=len(rs), score=score,
                                   status=status))
    return tuple(agents)


def _comparison(data: dict, results: tuple[TouchpointResult, ...]) -> Comparison:
    new_rules = set(data.get("new_rules", ()))
    new = tuple(f.fingerprint for r in results for f in r.findings if f.rule in new_rules)
    return Comparison(previous_run=data["previous_run"], new=new,
                      resolved=tuple(data.get("resolved", ())), score_delta=data["score_delta"])


def _mean(scores) -> float | None:
    values = [s for s in scores if s is not None]
    return sum(values) / len(values) if values else None


# A generated audit at scale ----------------------------------------------------------------

def large_run(n: int = 10_000, seed: int = 7) -> AuditRun:
    """A deterministic audit of ``n`` touchpoints over six channels and a dozen agents.

    About 70% read on brand, 18% need review and 12% diverge; every flagged touchpoint has
    findings with a block index, a span and an exemplar, as the engine writes them. One
    touchpoint carries a script payload in its title and copy.
    """
    pools = json.loads(SYNTHETIC_COPY.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    started = datetime(2024, 5, 6, 6, 0, 4, tzinfo=UTC)
    channels = list(pools["channels"])
    weights = [pools["channels"][c]["weight"] for c in channels]
    results = [_synthetic(i, rng.choices(channels, weights)[0], pools, rng, started)
               for i in range(n)]
    results[min(3, n - 1)] = _hostile(results[min(3, n - 1)], pools["hostile"])
    thresholds = {"ok": 70, "warn": 50}
    agents = _agents(tuple(results), thresholds)
    agent_scores = [a.score for a in agents if a.score is not None]
    summaries = _channels(tuple(results))
    score = _mean(r.score for r in results)
    trend = []
    for week in range(7, -1, -1):
        drift = week * 1.6
        trend.append({
            "run_id": f"{(started - timedelta(weeks=week)):%Y-%m-%dT%H%M}-{week:04x}",
            "started_at": (started - timedelta(weeks=week)).isoformat().replace("+00:00", "Z"),
            "score": round(score + drift * (1 if week % 3 else 0.4), 1),
            "by_channel": {c.channel: round(c.score + drift * (0.5 + i / 4) - (i % 2), 1)
                           for i, c in enumerate(summaries)},
        })
    exemplars = pools["exemplars"]
    exemplar_map = [{"x": round(0.32 + 0.06 * i, 3), "y": round(0.3 + 0.05 * (i % 3), 3),
                     "text": e["text"], "source": e["source"]} for i, e in enumerate(exemplars)]
    findings = [f for r in results for f in r.findings]
    messages = pools["key_messages"]
    coverage = Coverage(
        messages=tuple(messages), channels=tuple(c.channel for c in summaries),
        matrix=tuple(tuple(round(max(0.0, min(1.0, rng.gauss(0.55 - 0.12 * m, 0.25))), 3)
                           for _ in summaries) for m in range(len(messages))))
    return AuditRun(
        id=trend[-1]["run_id"], started_at=started,
        finished_at=started + timedelta(minutes=41, seconds=12),
        baseline="baselines/northwind", model="sentence-transformers/all-MiniLM-L6-v2",
        tool_version="0.1.0", results=tuple(results), channels=summaries, agents=agents,
        errors=tuple(
            CollectionError(source=f"https://northwind.example/archive/{k}",
                            error=f"HTTP 50{k % 4}: the server did not answer after 3 tries.",
                            channel="web") for k in range(12)),
        score=score,
        comparison=Comparison(previous_run=trend[-2]["run_id"],
                              new=tuple(f.fingerprint for f in findings[::4]),
                              resolved=tuple(f"{k:016x}" for k in range(40)),
                              score_delta=round(score - trend[-2]["score"], 1)),
        coverage=coverage,
        context={
            "brand": "Northwind Coffee", "thresholds": thresholds,
            "tone_targets": {"formality": {"target": 0.3, "tolerance": 0.25},
                             "warmth": {"target": 0.6, "tolerance": 0.25},
                             "confidence": {"target": 0.4, "tolerance": 0.3},
                             "customer_focus": {"target": 0.6, "tolerance": 0.25},
                             "respect": {"target": 0.8, "tolerance": 0.2}},
            "exemplar_map": exemplar_map, "trend": trend,
            "agent_spread": round(statistics.pstdev(agent_scores), 1) if agent_scores else 0.0,
        },
    )


#: Per channel, how its tone leans off the targets (so the tone chart shows a story).
_CHANNEL_LEAN = {
    "web": {"formality": 0.15}, "social": {"confidence": 0.3, "respect": -0.25},
    "calls": {"warmth": -0.3, "customer_focus": -0.35}, "chat": {"formality": -0.3},
    "email": {"formality": -0.5, "warmth": -0.2}, "files": {},
}
_TARGETS = {"formality": 0.3, "warmth": 0.6, "confidence": 0.4, "customer_focus": 0.6,
            "respect": 0.8}


def _synthetic(i: int, channel: str, pools: dict, rng: random.Random,
               started: datetime) -> TouchpointResult:
    spec = pools["channels"][channel]
    language = "ru" if rng.random() < 0.3 else "en"
    roll = rng.random()
    status = "ok" if roll < 0.70 else ("warn" if roll < 0.88 else "diverges")
    date = (started - timedelta(days=rng.randrange(30))).date().isoformat()
    slug = f"page-{i}"
    source = spec["sources"].format(slug=slug, n=1000 + i, date=date)
    conversational = channel in ("calls", "chat")
    agent = rng.choice(pools["agents"]) if conversational else None
    lines = pools["on_brand"][language]
    blocks: list[Block] = []
    count = rng.randint(4, 8) if conversational else rng.randint(1, 5)
    for k in range(count):
        if conversational:
            agent_turn = k % 2 == 0
            text = rng.choice(lines if agent_turn else pools["customer"][language])
            locator = Locator(source, start_ms=k * 6000 + 1000, end_ms=k * 6000 + 6000)
            scope = f"{'call' if channel == 'calls' else 'chat'}." \
                    f"{'agent' if agent_turn else 'customer'}.turn"
            blocks.append(Block(text, scope, locator, scored=agent_turn,
                                speaker="Agent" if agent_turn else "Customer"))
        else:
            scopes = spec["scopes"]
            text = " ".join(rng.sample(lines, min(len(lines), 1 + k % 2)))
            locator = (Locator(source, line=1 + 4 * k, column=1) if "://" not in source
                       else Locator(source, css=f"main > :nth-child({k + 1})"))
            blocks.append(Block(text, scopes[min(k, len(scopes) - 1)], locator))

    findings: list[Finding] = []
    if status != "ok":
        severity = "error" if status == "diverges" else "warning"
        candidates = [o for o in pools["off_brand"]
                      if o["severity"] == severity and o["lang"] == language] or [
                      o for o in pools["off_brand"] if o["severity"] == severity]
        for offence in rng.sample(candidates, min(len(candidates), rng.choice((1, 1, 2)))):
            scored = [k for k, b in enumerate(blocks) if b.scored]
            k = rng.choice(scored)
            marked = offence["text"]
            start = marked.index("[[")
            end = marked.index("]]") - 2
            plain = marked.replace("[[", "").replace("]]", "")
            before = blocks[k].text + " " if rng.random() < 0.5 else ""
            blocks[k] = Block(before + plain, blocks[k].scope, blocks[k].locator,
                              blocks[k].scored, blocks[k].speaker)
            span = (len(before) + start, len(before) + end)
            exemplar = pools["exemplars"][offence["exemplar"]]
            evidence = plain[start:end]
            findings.append(Finding(
                rule=offence["rule"], severity=offence["severity"], message=offence["message"],
                evidence=evidence, locator=blocks[k].locator, span=span,
                suggestion=offence["suggestion"],
                exemplar=Exemplar(exemplar["text"], exemplar["source"],
                                  round(rng.uniform(0.55, 0.8), 3)),
                fingerprint=hashlib.sha256(f"{offence['rule']}{source}{k}".encode()
                                           ).hexdigest()[:16],
                block=k))
    score: float | None = {"ok": rng.uniform(70, 97), "warn": rng.uniform(50, 70),
                           "diverges": rng.uniform(12, 50)}[status]
    if rng.random() < 0.004:
        score, status = None, "warn"
        findings = [Finding("scoring.too-short", "info", "Too little copy to score; check it "
                            "by eye.", blocks[0].text[:40], fingerprint=f"short{i}")]
    off = {"ok": 0.0, "warn": 0.35, "diverges": 0.8}[status]
    lean = _CHANNEL_LEAN[channel]
    tone = {d: round(max(-1.0, min(1.0, _TARGETS[d] + lean.get(d, 0.0)
                                   - off * (0.6 if d in ("respect", "warmth") else 0.25)
                                   + rng.gauss(0, 0.12))), 3) for d in DIMENSIONS}
    centre = 0.42 + off * 0.45
    position = (round(rng.gauss(centre, 0.09 + off * 0.05), 4),
                round(rng.gauss(0.38 + off * 0.4, 0.09 + off * 0.05), 4))
    metadata = {"date": date}
    if agent:
        metadata.update(agent_id=agent, call_id=f"{date}-{1000 + i}")
    if channel == "social":
        metadata.update(author="@northwind", platform="telegram", permalink=source)
    # Russian titles for Russian copy, English for English.
    titles = [t for t in spec["titles"] if any("а" <= ch <= "я" for ch in t.lower())
              == (language == "ru")] or spec["titles"]
    touchpoint = Touchpoint(id=f"{channel}:{i}", channel=channel, source=source,
                            title=f"{rng.choice(titles)} #{i}", language=language,
                            blocks=tuple(blocks), metadata=metadata)
    return TouchpointResult(touchpoint, score, status, tuple(findings), tone=tone,
                            similarity=round(0.75 - off * 0.4 + rng.gauss(0, 0.05), 3),
                            position=position)


def _hostile(result: TouchpointResult, payload: str) -> TouchpointResult:
    """The same touchpoint with a script payload in its title and in a flagged block."""
    text = f"Our cheap beans are back. {payload}"
    block = Block(text, "files.paragraph", Locator("content/blog/hostile.md", line=3, column=1))
    touchpoint = Touchpoint(id="files:hostile", channel="files", source="content/blog/hostile.md",
                            title=f"Launch {payload}", language="en", blocks=(block,),
                            metadata={"author": payload})
    finding = Finding("terms.banned", "error", "\"cheap\" is on the banned list.",
                      "cheap", locator=block.locator, span=(4, 9),
                      suggestion=f"Use \"affordable\". {payload}",
                      exemplar=Exemplar(f"Fair prices {payload}", "exemplars/web/pricing.md"),
                      fingerprint="hostile", block=0)
    return TouchpointResult(touchpoint, 31.0, "diverges", (finding,), tone=result.tone,
                            similarity=result.similarity, position=result.position)
