"""Plain-text views of a report: lint-style lines for terminals and CI logs, and a short
Markdown summary (for a pull request comment or ``$GITHUB_STEP_SUMMARY``).
"""

from __future__ import annotations

import re

from auditor.types import Locator

from .i18n import counted

_LOCATOR_FIELDS = ("source", "line", "column", "css", "start_ms", "end_ms")
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_ANSI = {
    "error": "\033[31m", "warning": "\033[33m", "info": "\033[36m",
    "ok": "\033[32m", "bold": "\033[1m", "dim": "\033[2m", "reset": "\033[0m",
}
#: Findings listed in the Markdown summary.
MARKDOWN_TOP = 10
_VERDICT = {"ok": "on brand", "warn": "needs attention", "diverges": "off brand"}


def render_text(report: dict, color: bool = False) -> str:
    """One line per finding, ``where  severity  rule  message``, then a summary line.

    ``where`` is the finding's own locator if it has one, else its touchpoint's:
    ``path:line:col`` for files, ``url (css)`` for pages, ``file @mm:ss`` for calls.
    Sources that could not be collected are listed as errors too: they never pass silently.
    ANSI colours only when ``color`` is true.
    """
    paint = _painter(color)
    rows = []
    for tp in report.get("touchpoints", []):
        tp_locator = tp.get("locator") or {"source": tp.get("source", "")}
        for finding in tp.get("findings", []):
            locator = finding.get("locator") or tp_locator
            rows.append((_sort_key(locator), describe_locator(locator),
                         finding.get("severity", "info"), finding.get("rule", ""),
                         _one_line(finding.get("message", ""))))
    rows.sort(key=lambda row: row[0])
    for error in report.get("errors", []):
        rows.append(((), error.get("source", ""), "error", "collection",
                     _one_line(error.get("error", ""))))

    lines = [
        f"{paint(where, 'bold')}  {paint(severity, severity)}  {rule}  {message}"
        for _, where, severity, rule, message in rows
    ]
    for gate in report.get("gates") or []:
        if gate.get("status") != "pass":
            style = "error" if gate.get("status") == "fail" else "warning"
            lines.append(f"{paint('gate ' + gate.get('status', ''), style)}  "
                         f"{gate.get('gate', '')}  {_one_line(gate.get('message', ''))}")
    lines.append(_summary_line(report, paint))
    return "\n".join(lines) + "\n"


def render_markdown(report: dict) -> str:
    """A short Markdown summary: brand score, a per-channel table and the top findings."""
    run = report.get("run", {})
    summary = report.get("summary", {})
    context = report.get("context") or {}
    brand = context.get("brand") or run.get("baseline", "")
    out = [f"## brand-audit: {_md(brand)}", ""]
    score = summary.get("score")
    headline = f"**Brand score: {_score(score)}/100**" if score is not None else (
        "**Brand score: not scored**")
    counts = (f"{counted(summary.get('touchpoints', 0), 'touchpoint')}, "
              f"{summary.get('diverging', 0)} diverging, {summary.get('warnings', 0)} to review")
    comparison = report.get("comparison")
    if comparison and comparison.get("score_delta") is not None:
        counts += (f"; {comparison['score_delta']:+.1f} since run "
                   f"`{_code(comparison.get('previous_run', ''))}`")
    out += [f"{headline} · {counts}.", ""]

    by_channel = summary.get("by_channel", {})
    if by_channel:
        out += ["| Channel | Score | Touchpoints | Diverging | To review |",
                "|---|---:|---:|---:|---:|"]
        for name, c in by_channel.items():
            out.append(f"| {_md(name)} | {_score(c.get('score'))} | {c.get('touchpoints', 0)} "
                       f"| {c.get('diverging', 0)} | {c.get('warnings', 0)} |")
        out.append("")

    out += _markdown_gates(report)
    findings = [(tp, f) for tp in report.get("touchpoints", []) for f in tp.get("findings", [])]
    findings.sort(key=lambda pair: _SEVERITY_ORDER.get(pair[1].get("severity"), 9))
    if findings:
        out += [f"### Top findings ({min(len(findings), MARKDOWN_TOP)} of {len(findings)})", ""]
        for tp, f in findings[:MARKDOWN_TOP]:
            where = describe_locator(f.get("locator") or tp.get("locator")
                                     or {"source": tp.get("source", "")})
            line = (f"- **{_md(f.get('severity', ''))}** `{_code(f.get('rule', ''))}` "
                    f"in `{_code(where)}`: {_md(f.get('message', ''))}")
            if f.get("suggestion"):
                line += f" *Suggestion:* {_md(f['suggestion'])}"
            out.append(line)
        out.append("")
    out += _markdown_changes(report)
    out += _markdown_waived(report)
    errors = report.get("errors", [])
    if errors:
        out += [f"### Could not be collected ({len(errors)})", ""]
        out += [f"- `{_code(e.get('source', ''))}`: {_md(e.get('error', ''))}" for e in errors]
        out.append("")
    return "\n".join(out)


_GATE_MARK = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail"}


def _markdown_gates(report: dict) -> list[str]:
    gates = report.get("gates") or []
    if not gates:
        return []
    failed = sum(g.get("status") == "fail" for g in gates)
    out = [f"### Gates: {'failed' if failed else 'passed'}", "",
           "| Gate | Level | Result | Detail |", "|---|---|---|---|"]
    for g in gates:
        out.append(f"| `{_code(g.get('gate', ''))}` | {_md(g.get('level', ''))} "
                   f"| {_GATE_MARK.get(g.get('status', ''), _md(g.get('status', '')))} "
                   f"| {_md(g.get('message', ''))} |")
    out.append("")
    return out


def _markdown_changes(report: dict) -> list[str]:
    """New and resolved findings since the previous run (``comparison`` in the report)."""
    comparison = report.get("comparison")
    if not comparison:
        return []
    by_fingerprint = {f.get("fingerprint"): (tp, f) for tp in report.get("touchpoints", [])
                      for f in tp.get("findings", []) if f.get("fingerprint")}
    new = [by_fingerprint[fp] for fp in comparison.get("new", []) if fp in by_fingerprint]
    resolved = comparison.get("resolved_findings") or []
    previous = _code(comparison.get("previous_run", ""))
    out = [f"### Since run `{previous}`: {len(comparison.get('new', []))} new, "
           f"{len(comparison.get('resolved', []))} resolved", ""]
    if new:
        out += [f"**New** ({len(new)}):", ""]
        for tp, f in new[:MARKDOWN_TOP]:
            where = describe_locator(f.get("locator") or tp.get("locator")
                                     or {"source": tp.get("source", "")})
            out.append(f"- `{_code(f.get('rule', ''))}` in `{_code(where)}`: "
                       f"{_md(f.get('message', ''))}")
        if len(new) > MARKDOWN_TOP:
            out.append(f"- … and {len(new) - MARKDOWN_TOP} more")
        out.append("")
    if resolved:
        out += [f"**Resolved** ({len(resolved)}):", ""]
        for f in resolved[:MARKDOWN_TOP]:
            locator = f.get("locator")
            where = describe_locator({"source": f.get("source", ""), **locator}) \
                if isinstance(locator, dict) else f.get("source", "")
            out.append(f"- `{_code(f.get('rule', ''))}` in `{_code(where)}`: "
                       f"{_md(f.get('evidence') or f.get('message', ''))}")
        if len(resolved) > MARKDOWN_TOP:
            out.append(f"- … and {len(resolved) - MARKDOWN_TOP} more")
        out.append("")
    elif comparison.get("resolved"):
        out += [f"**Resolved** ({len(comparison['resolved'])}): no longer found; the previous "
                "run's report has the details.", ""]
    return out


def _markdown_waived(report: dict) -> list[str]:
    waived = [(tp, f) for tp in report.get("touchpoints", []) for f in tp.get("waived", [])]
    if not waived:
        return []
    out = [f"### Waived ({len(waived)})", ""]
    for tp, f in waived[:MARKDOWN_TOP]:
        w = f.get("waiver") or {}
        who = f", owner {_md(w['owner'])}" if w.get("owner") else ""
        until = f", until {_md(w['expires'])}" if w.get("expires") else ""
        out.append(f"- `{_code(f.get('rule', ''))}` in `{_code(tp.get('source', ''))}` "
                   f"({_md(w.get('kind', ''))}{who}{until}): {_md(w.get('reason', ''))}")
    out.append("")
    return out


def describe_locator(locator: dict) -> str:
    """``Locator.describe`` for a locator stored as a dict (unknown keys are ignored)."""
    known = {k: locator[k] for k in _LOCATOR_FIELDS if k in locator}
    known.setdefault("source", "")
    return Locator(**known).describe()


def _sort_key(locator: dict) -> tuple:
    return (str(locator.get("source", "")), locator.get("line") or 0,
            locator.get("column") or 0, locator.get("start_ms") or 0)


def _summary_line(report: dict, paint) -> str:
    summary = report.get("summary", {})
    findings = [f for tp in report.get("touchpoints", []) for f in tp.get("findings", [])]
    by_severity = {s: sum(f.get("severity") == s for f in findings) for s in _SEVERITY_ORDER}
    parts = [
        f"score {_score(summary.get('score'))}",
        counted(summary.get('touchpoints', 0), "touchpoint"),
        paint(f"{summary.get('diverging', 0)} diverging", "error")
        if summary.get("diverging") else "0 diverging",
        paint(f"{summary.get('warnings', 0)} to review", "warning")
        if summary.get("warnings") else "0 to review",
        f"{counted(len(findings), 'finding')} ({counted(by_severity['error'], 'error')}, "
        f"{counted(by_severity['warning'], 'warning')}, {by_severity['info']} info)",
    ]
    if summary.get("waived"):
        parts.append(f"{summary['waived']} waived")
    if summary.get("outside_changes"):
        parts.append(f"{summary['outside_changes']} outside the changed lines")
    errors = len(report.get("errors", []))
    if errors:
        parts.append(paint(f"{counted(errors, 'source')} not collected", "error"))
    return "brand-audit: " + ", ".join(parts)


def _painter(color: bool):
    def paint(text: str, style: str) -> str:
        if not color or style not in _ANSI:
            return text
        return f"{_ANSI[style]}{text}{_ANSI['reset']}"
    return paint


def _score(score: object) -> str:
    return f"{score:.1f}" if isinstance(score, (int, float)) else "n/a"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


def _one_line(text: str) -> str:
    # Collected copy must not inject terminal escapes or break the one-line-per-finding format.
    return _CONTROL.sub("", " ".join(str(text).split()))


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+!|~>])")


def _md(text: object) -> str:
    """Untrusted text as inert Markdown: one line, no markup, no HTML."""
    text = _one_line(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _code(text: object) -> str:
    # Inside `code` nothing is markup; only a backtick could end it.
    return _one_line(str(text)).replace("`", "'")
