"""SARIF 2.1.0: findings for code-scanning tools (GitHub code scanning, Azure DevOps, IDEs).

One SARIF run per report. Rules carry their documentation (``brand-audit explain``) as help
text and a link; results carry the finding's fingerprint as a partial fingerprint, so a code
scanning service tracks one finding across commits; waived and suppressed findings are results
with a ``suppressions`` entry (reported, not alerted). Sources that could not be read are tool
execution notifications. Validated against the OASIS schema in the tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/brand-audit/brand-audit"
#: Where a rule's documentation lives; the rule id is the anchor.
RULES_URI = INFORMATION_URI + "/blob/main/README.md"
FINGERPRINT_KEY = "brandAuditFingerprint/v1"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(report: dict, rule_docs: Mapping[str, str] | None = None) -> str:
    """``report`` as a SARIF 2.1.0 log (JSON text); see ``to_sarif``."""
    return json.dumps(to_sarif(report, rule_docs), ensure_ascii=False, indent=2) + "\n"


def to_sarif(report: dict, rule_docs: Mapping[str, str] | None = None) -> dict:
    """``report`` as a SARIF 2.1.0 log (a dict).

    ``rule_docs`` (rule name -> documentation, ``auditor.checks.rule_docs()``) become the
    rules' descriptions and help; reports do not import the checks themselves (dependency
    direction), so without it each rule's help points at ``brand-audit explain RULE``.
    """
    docs = dict(rule_docs or {})
    used: list[str] = []
    results = []
    for tp in report.get("touchpoints", []):
        for finding in tp.get("findings", []):
            results.append(_result(tp, finding, None))
            used.append(finding.get("rule", ""))
        for finding in tp.get("waived", []):
            results.append(_result(tp, finding, finding.get("waiver") or {}))
            used.append(finding.get("rule", ""))
    # Every documented rule, plus any reported rule without documentation here.
    names = sorted(set(docs) | set(used))
    index = {name: i for i, name in enumerate(names)}
    for result in results:
        result["ruleIndex"] = index[result["ruleId"]]
    run_info = report.get("run", {})
    notifications = [
        {"level": "error", "message": {"text": str(e.get("error", ""))},
         "locations": [{"physicalLocation": {"artifactLocation": _artifact(e.get("source", ""))}}]}
        for e in report.get("errors", [])
    ]
    invocation: dict = {"executionSuccessful": True}
    if run_info.get("started_at"):
        invocation["startTimeUtc"] = run_info["started_at"]
    if run_info.get("finished_at"):
        invocation["endTimeUtc"] = run_info["finished_at"]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict = {
        "tool": {"driver": {
            "name": "brand-audit",
            "version": str(run_info.get("tool_version") or "0"),
            "informationUri": INFORMATION_URI,
            "rules": [_rule(name, docs.get(name)) for name in names],
        }},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": _properties(report),
    }
    if run_info.get("id"):
        run["automationDetails"] = {"id": f"brand-audit/{run_info['id']}"}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _rule(name: str, doc: str | None) -> dict:
    doc = (doc or f"{name}: reported by brand-audit.").strip()
    first = doc.splitlines()[0].strip() or name
    severity = "error" if name.startswith("message.off_brand") and "sentence" not in name else (
        "note" if name in ("terms.preferred", "message.off_brand_sentence") else "warning")
    return {
        "id": name,
        "name": _pascal(name),
        "shortDescription": {"text": first},
        "fullDescription": {"text": doc},
        "help": {"text": f"{doc}\n\nRun `brand-audit explain {name}` for details.",
                 "markdown": f"{_md_block(doc)}\n\nRun `brand-audit explain {name}` for details."},
        "helpUri": f"{RULES_URI}#{quote(name)}",
        "defaultConfiguration": {"level": severity},
        "properties": {"tags": ["brand", name.split(".")[0]]},
    }


def _result(tp: dict, finding: dict, waiver: dict | None) -> dict:
    locator = finding.get("locator") or tp.get("locator") or {"source": tp.get("source", "")}
    physical: dict = {"artifactLocation": _artifact(locator.get("source") or tp.get("source", ""))}
    region: dict = {}
    if locator.get("line"):
        region["startLine"] = int(locator["line"])
        if locator.get("column"):
            region["startColumn"] = int(locator["column"])
    evidence = str(finding.get("evidence") or "")
    if evidence:
        region["snippet"] = {"text": evidence}
    if region.get("startLine"):
        physical["region"] = region
    message = str(finding.get("message") or finding.get("rule", ""))
    if finding.get("suggestion"):
        message += f" Suggestion: {finding['suggestion']}"
    result: dict = {
        "ruleId": finding.get("rule", ""),
        "level": _LEVEL.get(finding.get("severity", "info"), "note"),
        "message": {"text": message},
        "locations": [{"physicalLocation": physical}],
    }
    if locator.get("css"):
        result["locations"][0]["logicalLocations"] = [{"name": str(locator["css"]),
                                                       "kind": "element"}]
    if finding.get("fingerprint"):
        result["partialFingerprints"] = {FINGERPRINT_KEY: str(finding["fingerprint"])}
    properties: dict = {"touchpoint": tp.get("id"), "channel": tp.get("channel")}
    if finding.get("exemplar"):
        properties["exemplar"] = finding["exemplar"]
    result["properties"] = properties
    if waiver is not None:
        suppression: dict = {
            "kind": "inSource" if waiver.get("kind") == "inline" else "external",
            "status": "accepted",
            "justification": _justification(waiver),
        }
        result["suppressions"] = [suppression]
    return result


def _justification(waiver: dict) -> str:
    parts = [waiver.get("reason") or "suppressed by a brand-audit: ignore comment"]
    if waiver.get("owner"):
        parts.append(f"owner {waiver['owner']}")
    if waiver.get("expires"):
        parts.append(f"expires {waiver['expires']}")
    if waiver.get("where"):
        parts.append(f"({waiver['where']})")
    return "; ".join(parts)


def _artifact(source: str) -> dict:
    """A file path as a relative URI (forward slashes, percent-encoded); URLs kept as they are."""
    source = str(source)
    if urlsplit(source).scheme in ("http", "https", "file"):
        return {"uri": source}
    path = source.replace("\\", "/")
    if path.startswith("/"):
        return {"uri": "file://" + quote(path)}
    return {"uri": quote(path), "uriBaseId": "%SRCROOT%"}


def _properties(report: dict) -> dict:
    summary = report.get("summary", {})
    out: dict = {"score": summary.get("score"), "touchpoints": summary.get("touchpoints", 0),
                 "diverging": summary.get("diverging", 0)}
    if report.get("gates"):
        out["gates"] = report["gates"]
    if report.get("comparison"):
        comparison = report["comparison"]
        out["comparison"] = {k: comparison.get(k) for k in
                             ("previous_run", "score_delta") if k in comparison}
        out["comparison"]["new"] = len(comparison.get("new", []))
        out["comparison"]["resolved"] = len(comparison.get("resolved", []))
    return out


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[._\-]", name) if part)


def _md_block(text: str) -> str:
    # Rule docs are our own text, but keep angle brackets inert for viewers that render HTML.
    return text.replace("<", "&lt;").replace(">", "&gt;")
