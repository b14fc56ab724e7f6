"""``report.json``: the source of truth for a run. Every other format is a view of this dict.

The shape is the "JSON report" contract in ARCHITECTURE.md. Keys that are optional in the
contract are left out when the run has nothing for them, never written as ``null``; scores
are the exception, where ``null`` means "could not be scored" (and never counts as a pass).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

from auditor.errors import InputError
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
    TouchpointResult,
)

SCHEMA = "brand-audit/report"
SCHEMA_VERSION = 1

#: Worst first: a reviewer reads the top of the list.
STATUS_ORDER = {"diverges": 0, "warn": 1, "ok": 2}
CONVERSATION_CHANNELS = ("calls", "chat")
#: How many of an agent's most frequent rules ``agents[].top_findings`` lists.
AGENT_TOP_FINDINGS = 3


def to_dict(run: AuditRun) -> dict:
    """The JSON report contract for ``run``: plain, JSON-safe values only.

    Beyond the keys ARCHITECTURE.md lists, schema version 1 carries these additive keys, each
    left out when the run has nothing for it (readers must not require them):

    * ``touchpoints[].blocks``: every block in order, ``{"text", "scope", "scored",
      "speaker"?, "locator"}``; customer turns are included with ``scored: false`` as context.
    * ``touchpoints[].findings[].block``: index into that touchpoint's ``blocks``; the
      finding's ``span`` is ``[start, end]`` character offsets in that block's text.
    * ``touchpoints[].tone`` (voice dimension -> -1..1), ``similarity`` (raw, 3 decimals),
      ``position`` (``[x, y]`` on the brand map), ``metadata`` (the collector's strings).
    * ``summary.by_channel[C].tone``: the channel's mean tone.
    * ``agents[].calls``, ``turns`` (scored agent blocks) and ``top_findings``
      (``[{"rule", "count"}]``, most frequent first).
    * ``findings[].translations``: ``{"ru": {"message", "suggestion"}}``, the finding in
      Russian (a Vale rule's message has none).
    * ``coverage``: ``{"messages", "channels", "matrix", "versions"}``, the share (0..1) of
      each channel's touchpoints that express each key message, ``matrix[message][channel]``;
      ``versions[message]`` the same message in the baseline's other languages (a touchpoint
      saying any version says it).
    """
    report: dict = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "run": {
            "id": run.id,
            "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at),
            "baseline": run.baseline,
            "model": run.model,
            "tool_version": run.tool_version,
        },
        "summary": {
            "score": _score(run.score),
            "touchpoints": len(run.results),
            "diverging": run.diverging,
            "warnings": run.warnings,
            "by_channel": {c.channel: _channel(c) for c in run.channels},
        },
        "touchpoints": [_touchpoint(r) for r in sorted(run.results, key=_worst_first)],
        "agents": [_agent(a, run.results) for a in run.agents],
        "errors": [_error(e) for e in run.errors],
    }
    if run.comparison is not None:
        report["comparison"] = _comparison(run.comparison)
    if run.coverage is not None and run.coverage.messages:
        report["coverage"] = _coverage(run.coverage)
    if run.context:
        report["context"] = _json_safe(run.context)
    return report


def write_json(report: dict, path: Path | str) -> Path:
    """Write ``report`` as UTF-8 JSON (readable, non-ASCII kept as is) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(report), encoding="utf-8")
    return path


def dumps(report: dict) -> str:
    """The text ``write_json`` writes: indented, non-ASCII kept, newline at the end."""
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def load_json(path: Path | str) -> dict:
    """Read a stored ``report.json``.

    Raises ``InputError`` naming the file when it cannot be read, is not JSON, is not a
    brand-audit report, or was written by a newer brand-audit than this one.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc.strerror or exc}", source=str(path),
                         hint="pass the report.json a brand-audit run wrote") from exc
    except UnicodeDecodeError as exc:
        raise InputError("the file is not UTF-8 text, so it is not a brand-audit report",
                         source=str(path)) from exc
    try:
        report = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg} at column {exc.colno})",
                         source=str(path), line=exc.lineno,
                         hint="pass the report.json a brand-audit run wrote") from exc
    if not isinstance(report, dict) or report.get("schema") != SCHEMA:
        found = report.get("schema") if isinstance(report, dict) else type(report).__name__
        raise InputError(f"not a brand-audit report: expected \"schema\": \"{SCHEMA}\", "
                         f"found {found!r}", source=str(path), key="schema",
                         hint="pass the report.json a brand-audit run wrote")
    version = report.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise InputError(f"schema_version must be a whole number, found {version!r}",
                         source=str(path), key="schema_version")
    if version > SCHEMA_VERSION:
        raise InputError(f"report schema version {version} is newer than this brand-audit "
                         f"understands ({SCHEMA_VERSION})", source=str(path),
                         key="schema_version", hint="upgrade brand-audit to read it")
    return report


def _worst_first(result: TouchpointResult) -> tuple:
    # A missing score sorts before every number: an error never counts as a pass.
    score = result.score if _score(result.score) is not None else -math.inf
    return (STATUS_ORDER.get(result.status, -1), score, result.touchpoint.id)


def _touchpoint(result: TouchpointResult) -> dict:
    tp = result.touchpoint
    out: dict = {
        "id": tp.id,
        "channel": tp.channel,
        "source": tp.source,
        "locator": tp.locator.as_dict(),
        "title": tp.title,
        "language": tp.language,
    }
    if tp.agent_id is not None:
        out["agent_id"] = tp.agent_id
    out["score"] = _score(result.score)
    out["status"] = result.status
    out["findings"] = [_finding(f) for f in result.findings]
    if tp.blocks:
        out["blocks"] = [_block(b) for b in tp.blocks]
    if result.tone:
        out["tone"] = _tone(result.tone)
    similarity = _rounded(result.similarity, 3)
    if similarity is not None:
        out["similarity"] = similarity
    if result.position is not None:
        x, y = (_rounded(v, 4) for v in result.position)
        if x is not None and y is not None:
            out["position"] = [x, y]
    if tp.metadata:
        out["metadata"] = {str(k): str(v) for k, v in tp.metadata.items() if v is not None}
    return out


def _block(block: Block) -> dict:
    out: dict = {"text": block.text, "scope": block.scope, "scored": bool(block.scored)}
    if block.speaker is not None:
        out["speaker"] = block.speaker
    out["locator"] = block.locator.as_dict()
    return out


def _tone(tone: Mapping[str, float]) -> dict:
    return {str(k): v for k, v in ((k, _rounded(v, 3)) for k, v in tone.items())
            if v is not None}


def _finding(finding: Finding) -> dict:
    out: dict = {
        "rule": finding.rule,
        "severity": finding.severity,
        "message": finding.message,
        "evidence": finding.evidence,
    }
    if finding.span is not None:
        out["span"] = [int(finding.span[0]), int(finding.span[1])]
    if finding.suggestion is not None:
        out["suggestion"] = finding.suggestion
    if finding.exemplar is not None:
        out["exemplar"] = _exemplar(finding.exemplar)
    if finding.locator is not None:
        out["locator"] = finding.locator.as_dict()
    if finding.block is not None:
        out["block"] = int(finding.block)
    out["fingerprint"] = finding.fingerprint
    if finding.translations:
        out["translations"] = {
            language: {"message": message, **({"suggestion": suggestion} if suggestion else {})}
            for language, message, suggestion in finding.translations}
    return out


def _exemplar(exemplar: Exemplar) -> dict:
    out: dict = {"text": exemplar.text, "source": exemplar.source}
    if exemplar.similarity is not None and math.isfinite(exemplar.similarity):
        out["similarity"] = round(float(exemplar.similarity), 3)
    return out


def _channel(summary: ChannelSummary) -> dict:
    out: dict = {
        "score": _score(summary.score),
        "touchpoints": summary.touchpoints,
        "diverging": summary.diverging,
        "warnings": summary.warnings,
    }
    if summary.tone:
        out["tone"] = _tone(summary.tone)
    return out


def _agent(agent: AgentSummary, results: tuple[TouchpointResult, ...]) -> dict:
    out: dict = {
        "agent_id": agent.agent_id,
        "touchpoints": agent.touchpoints,
        "score": _score(agent.score),
        "status": agent.status,
    }
    # Worked out here from the agent's own touchpoints, so every engine gets them for free.
    mine = [r for r in results if r.touchpoint.agent_id == agent.agent_id]
    if mine:
        # Conversations only: an SMS campaign an agent sent is not a call.
        out["calls"] = sum(r.touchpoint.channel in CONVERSATION_CHANNELS for r in mine)
        out["turns"] = sum(len(r.touchpoint.scored_blocks) for r in mine)
        rules = Counter(f.rule for r in mine for f in r.findings)
        # Most frequent first; ties by rule name so the order is stable between runs.
        top = sorted(rules.items(), key=lambda item: (-item[1], item[0]))[:AGENT_TOP_FINDINGS]
        out["top_findings"] = [{"rule": rule, "count": count} for rule, count in top]
    return out


def _coverage(coverage: Coverage) -> dict:
    return {
        "messages": list(coverage.messages),
        "channels": list(coverage.channels),
        "matrix": [[_rounded(v, 3) for v in row] for row in coverage.matrix],
        "versions": [list(v) for v in coverage.versions] or [[] for _ in coverage.messages],
    }


def _error(error: CollectionError) -> dict:
    out: dict = {"source": error.source, "error": error.error}
    if error.channel is not None:
        out["channel"] = error.channel
    return out


def _comparison(comparison: Comparison) -> dict:
    return {
        "previous_run": comparison.previous_run,
        "new": list(comparison.new),
        "resolved": list(comparison.resolved),
        "score_delta": _score(comparison.score_delta),
    }


def _score(value: float | None) -> float | None:
    return _rounded(value, 1)


def _rounded(value: float | None, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json_safe(value: object) -> object:
    """``run.context`` as plain JSON values: tuples become lists, dates ISO text, the rest str."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [_json_safe(v) for v in items]
    return str(value)
