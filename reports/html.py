"""The HTML report: one self-contained file, a view of the ``report.json`` dict.

Like Lighthouse's report, everything it needs is inside the file: CSS and JS are inlined from
``templates/assets/``, the report JSON is embedded (escaped) for scripts and for "Download
report.json", and nothing is fetched from any network, so it opens from disk, offline, and prints.

Every collected text (titles, copy, sources, even agent ids) is untrusted. Jinja2 autoescapes
all of it; the embedded JSON escapes ``<``, ``>`` and ``&`` so ``</script>`` in copy cannot end
the script element; the JS only ever writes text with ``textContent``.

Optional ``context`` keys the view uses (all from ``AuditRun.context``):

``brand``
    The brand name in the header (default: ``run.baseline``).
``thresholds``
    ``{"ok": 70, "warn": 50}`` (the default, the scorer's own bands): the run and channel
    scores at or above ``ok`` read "On brand", at or above ``warn`` "Needs attention", below it
    "Off brand". Touchpoint and agent statuses come from the report itself.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .json_report import STATUS_ORDER

TEMPLATES = Path(__file__).parent / "templates"
ASSETS = TEMPLATES / "assets"

#: The same bands the scorer uses for a touchpoint's score (auditor.scoring).
DEFAULT_THRESHOLDS = {"ok": 70.0, "warn": 50.0}
#: How many touchpoints the "Most urgent" list shows.
URGENT_LIMIT = 5

#: Words and icons for each status, so colour is never the only signal.
STATUS = {
    "ok": {"label": "On brand", "icon": "✓"},
    "warn": {"label": "Needs review", "icon": "!"},
    "diverges": {"label": "Diverges", "icon": "✕"},
    None: {"label": "Not scored", "icon": "?"},
}
#: The brand-level verdict reads a little differently from a single touchpoint's badge.
VERDICT = {"ok": "On brand", "warn": "Needs attention", "diverges": "Off brand",
           None: "Not scored"}
SEVERITY = {
    "error": {"label": "Error", "icon": "✕"},
    "warning": {"label": "Warning", "icon": "!"},
    "info": {"label": "Note", "icon": "i"},
}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
CHANNEL_LABELS = {
    "web": "Website", "social": "Social", "calls": "Calls", "chat": "Chat",
    "email": "E-mail", "sms": "SMS", "files": "Content files",
}


def render_html(report: dict) -> str:
    """The report as one self-contained HTML page."""
    return _environment().get_template("report.html.j2").render(
        report=report,
        view=_view(report),
        css=Markup(_asset("report.css", "</style")),
        js=Markup(_asset("report.js", "</script")),
        favicon=_favicon(),
        payload=Markup(script_json(report)),
    )


def script_json(report: dict) -> str:
    """``report`` as JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where ``\\u003c`` means the same
    character, so ``</script>`` or ``<!--`` in collected copy cannot end the element. U+2028
    and U+2029 are escaped too, for scripts that eval the text as JavaScript.
    """
    text = json.dumps(report, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # for every template, whatever its extension
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["score"] = _format_score
    env.filters["channel_label"] = channel_label
    return env


def _asset(name: str, forbidden: str) -> str:
    text = (ASSETS / name).read_text(encoding="utf-8")
    # Our own files, but a stray closing tag would still end the inline element early.
    if forbidden in text.lower():
        raise ValueError(f"{ASSETS / name} must not contain {forbidden!r}")
    return text


@cache
def _favicon() -> str:
    svg = (ASSETS / "favicon.svg").read_text(encoding="utf-8").strip()
    return "data:image/svg+xml," + quote(svg)


# The view: what the template shows, worked out from the report dict once, so the template
# stays a layout and stored reports with missing optional keys still render.

def _view(report: dict) -> dict:
    run = report.get("run", {})
    summary = report.get("summary", {})
    context = report.get("context") or {}
    thresholds = _thresholds(context.get("thresholds"))
    comparison = report.get("comparison")
    new_fingerprints = set(comparison.get("new", ())) if comparison else set()

    touchpoints = [_touchpoint_view(i, tp, new_fingerprints)
                   for i, tp in enumerate(sorted(report.get("touchpoints", []), key=_worst_first))]
    counts = {s: sum(tp["status"] == s for tp in touchpoints) for s in STATUS_ORDER}
    findings = [f for tp in touchpoints for f in tp["findings"]]
    severities = {s: sum(f["severity"] == s for f in findings) for s in SEVERITY}
    started = _parse_time(run.get("started_at"))
    finished = _parse_time(run.get("finished_at"))
    score = summary.get("score")
    status = _band(score, thresholds)

    urgent = [tp for tp in touchpoints if tp["status"] == "diverges"][:URGENT_LIMIT]
    return {
        "brand": context.get("brand") or run.get("baseline") or "Brand audit",
        "run_id": run.get("id", ""),
        "date": _format_time(started),
        "duration": _format_duration(started, finished),
        "baseline": run.get("baseline", ""),
        "model": run.get("model", ""),
        "tool_version": run.get("tool_version", ""),
        "score": score,
        "score_dash": _gauge_dash(score),
        "status": status,
        "verdict": VERDICT.get(status, VERDICT[None]),
        "verdict_icon": STATUS[status]["icon"],
        "thresholds": thresholds,
        "counts": {
            "touchpoints": summary.get("touchpoints", len(touchpoints)),
            "diverging": summary.get("diverging", counts["diverges"]),
            "warnings": summary.get("warnings", counts["warn"]),
            "ok": counts["ok"],
            "errors": len(report.get("errors", [])),
            "findings": len(findings),
        },
        "severities": severities,
        "channels": _channel_rows(summary.get("by_channel", {}), touchpoints, thresholds),
        "channel_options": list(dict.fromkeys(tp["channel"] for tp in touchpoints)),
        "urgent": urgent,
        "more_urgent": counts["diverges"] - len(urgent),
        "touchpoints": touchpoints,
        "agents": sorted(report.get("agents", []), key=_worst_first),
        "errors": report.get("errors", []),
        "comparison": _comparison_view(comparison),
        "status_meta": STATUS,
        "severity_meta": SEVERITY,
    }


def _touchpoint_view(index: int, tp: dict, new_fingerprints: set[str]) -> dict:
    locator = tp.get("locator") or {"source": tp.get("source", "")}
    source = tp.get("source") or locator.get("source", "")
    findings = sorted(
        (_finding_view(f, source, new_fingerprints) for f in tp.get("findings", [])),
        key=lambda f: SEVERITY_ORDER.get(f["severity"], 9),
    )
    status = tp.get("status")
    return {
        **tp,
        "anchor": f"tp-{index + 1}",
        "status": status if status in STATUS_ORDER else None,
        "score": tp.get("score"),
        "agent_id": tp.get("agent_id"),
        "language": tp.get("language") or "",
        "href": _safe_href(source),
        "source_label": _source_label(source),
        "position": _position(locator),
        "findings": findings,
        "worst": findings[0] if findings else None,
        "severities": {s: sum(f["severity"] == s for f in findings) for s in SEVERITY},
        "new_findings": sum(f["is_new"] for f in findings),
    }


def _finding_view(finding: dict, tp_source: str, new_fingerprints: set[str]) -> dict:
    locator = finding.get("locator")
    elsewhere = bool(locator) and locator.get("source", tp_source) != tp_source
    exemplar = finding.get("exemplar")
    return {
        **finding,
        "severity": finding.get("severity") if finding.get("severity") in SEVERITY else "info",
        "suggestion": finding.get("suggestion"),
        "exemplar": exemplar,
        "similarity": _percent(exemplar.get("similarity")) if exemplar else None,
        "position": _position(locator) if locator else "",
        "other_source": _source_label(locator["source"]) if elsewhere else None,
        "is_new": finding.get("fingerprint", "") in new_fingerprints,
    }


def _channel_rows(by_channel: dict, touchpoints: list[dict], thresholds: dict) -> list[dict]:
    rows = []
    for name, channel in by_channel.items():
        mine = [tp for tp in touchpoints if tp["channel"] == name]
        total = channel.get("touchpoints", len(mine))
        diverging = channel.get("diverging", sum(tp["status"] == "diverges" for tp in mine))
        warnings = channel.get("warnings", sum(tp["status"] == "warn" for tp in mine))
        score = channel.get("score")
        rows.append({
            "channel": name, "score": score, "status": _band(score, thresholds),
            "touchpoints": total, "diverging": diverging, "warnings": warnings,
            "ok": max(total - diverging - warnings, 0),
        })
    return sorted(rows, key=lambda r: (r["score"] is not None, r["score"] or 0))


def _comparison_view(comparison: dict | None) -> dict | None:
    if not comparison:
        return None
    delta = comparison.get("score_delta")
    return {
        "previous_run": comparison.get("previous_run", ""),
        "new": len(comparison.get("new", ())),
        "resolved": len(comparison.get("resolved", ())),
        "delta": delta,
        "direction": "none" if not delta else ("up" if delta > 0 else "down"),
    }


def _worst_first(item: dict) -> tuple:
    score = item.get("score")
    return (STATUS_ORDER.get(item.get("status"), -1),
            score if isinstance(score, (int, float)) else float("-inf"))


def _thresholds(value: object) -> dict:
    thresholds = dict(DEFAULT_THRESHOLDS)
    if isinstance(value, dict):
        for key in thresholds:
            if isinstance(value.get(key), (int, float)):
                thresholds[key] = float(value[key])
    return thresholds


def _band(score: float | None, thresholds: dict) -> str | None:
    if not isinstance(score, (int, float)):
        return None
    if score >= thresholds["ok"]:
        return "ok"
    return "warn" if score >= thresholds["warn"] else "diverges"


def _format_score(score: object) -> str:
    return f"{score:.0f}" if isinstance(score, (int, float)) else "—"


def channel_label(channel: str) -> str:
    """``calls`` -> ``Calls``: the name a reviewer knows a channel by."""
    return CHANNEL_LABELS.get(channel, channel.replace("_", " ").capitalize())


def _gauge_dash(score: object) -> str:
    fraction = min(max(score, 0), 100) / 100 if isinstance(score, (int, float)) else 0
    return f"{fraction * 100:.1f} 100"


def _percent(value: object) -> str | None:
    return f"{value * 100:.0f}%" if isinstance(value, (int, float)) else None


def _safe_href(source: str) -> str | None:
    """Only http(s) sources become links; anything else (``javascript:``, paths) stays text."""
    try:
        parts = urlsplit(source)
    except ValueError:
        return None
    return source if parts.scheme in ("http", "https") and parts.netloc else None


def _source_label(source: str) -> str:
    if _safe_href(source):
        label = source.split("://", 1)[1]
        return label.removeprefix("www.").rstrip("/") or source
    return source


def _position(locator: dict) -> str:
    """Where in the source, for people: ``line 12, column 5``, ``01:23–01:28``, a CSS path."""
    parts = []
    if locator.get("line") is not None:
        parts.append(f"line {locator['line']}")
        if locator.get("column") is not None:
            parts.append(f"column {locator['column']}")
    if locator.get("start_ms") is not None:
        span = _clock(locator["start_ms"])
        if locator.get("end_ms") is not None:
            span += f"–{_clock(locator['end_ms'])}"
        parts.append(f"at {span}")
    if locator.get("css"):
        parts.append(f"in {locator['css']}")
    return ", ".join(parts)


def _clock(ms: object) -> str:
    seconds = int(ms) // 1000 if isinstance(ms, (int, float)) else 0
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _format_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    zone = "UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return f"{moment.day} {moment:%B %Y, %H:%M} {zone}".strip()


def _format_duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    seconds = max(int((end - start).total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
