"""GitHub Actions workflow commands: findings as annotations on the pull request's diff.

``::error file=content/offer.md,line=3,col=1,title=respect.pressure::message`` for each finding
(``warning`` for warnings, ``notice`` for information), and one annotation per failed or
warning gate. Values are escaped the way the Actions runner unescapes them: ``%``, CR and LF
everywhere, and ``:`` and ``,`` inside properties, so copy cannot end a command early or inject
another one.
"""

from __future__ import annotations

_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: object) -> str:
    """A command's message, escaped per the Actions toolkit (``escapeData``)."""
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: object) -> str:
    """A command property value, escaped per the Actions toolkit (``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **properties: object) -> str:
    """One workflow command line; properties with a None value are left out."""
    props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items() if v is not None)
    return f"::{kind}{' ' + props if props else ''}::{escape_data(message)}"


def render_github(report: dict) -> str:
    """Annotations for every finding and every gate that did not pass, one per line."""
    lines = []
    for tp in report.get("touchpoints", []):
        for f in tp.get("findings", []):
            loc = f.get("locator") or tp.get("locator") or {"source": tp.get("source", "")}
            message = str(f.get("message", ""))
            if f.get("suggestion"):
                message += f"\nSuggestion: {f['suggestion']}"
            source = str(loc.get("source") or tp.get("source", ""))
            is_file = "://" not in source
            lines.append(command(
                _COMMAND.get(f.get("severity", "info"), "notice"), message,
                file=source if is_file else None,
                line=loc.get("line") if is_file else None,
                col=loc.get("column") if is_file else None,
                title=f"brand-audit {f.get('rule', '')}" + ("" if is_file else f" ({source})")))
    for e in report.get("errors", []):
        lines.append(command("error", f"could not be read: {e.get('error', '')}",
                             title=f"brand-audit: {e.get('source', '')}"))
    for gate in report.get("gates") or []:
        if gate.get("status") == "pass":
            continue
        kind = "error" if gate.get("status") == "fail" else "warning"
        message = "\n".join([gate.get("message", ""), *gate.get("details", [])])
        lines.append(command(kind, message, title=f"brand-audit gate {gate.get('gate', '')}"))
    return "\n".join(lines) + ("\n" if lines else "")
