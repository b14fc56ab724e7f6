"""JUnit XML: the test-report format every CI system shows (GitLab, Jenkins, Azure, CircleCI).

One ``testsuite`` per channel with one ``testcase`` per touchpoint; each error-severity finding
is a ``failure`` of its touchpoint (warnings and notes go to ``system-out``). Sources that could
not be read are ``error`` test cases, and gate verdicts, when the report has them, are a
``gates`` suite of their own so a failed score gate shows up as a failed test.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from reports.text import describe_locator

# XML 1.0 cannot carry most control characters, even escaped.
_INVALID_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_junit(report: dict) -> str:
    """``report`` as JUnit XML text (UTF-8, with the XML declaration)."""
    run = report.get("run", {})
    root = ET.Element("testsuites", name="brand-audit")
    by_channel: dict[str, list[dict]] = {}
    for tp in report.get("touchpoints", []):
        by_channel.setdefault(tp.get("channel", ""), []).append(tp)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for channel, tps in sorted(by_channel.items()):
        suite = _suite(root, f"brand-audit.{channel}", run)
        failures = 0
        for tp in tps:
            failures += _touchpoint_case(suite, tp, channel)
        _count(suite, len(tps), failures, 0, totals)
    errors = report.get("errors", [])
    if errors:
        suite = _suite(root, "brand-audit.collection", run)
        for e in errors:
            case = ET.SubElement(suite, "testcase", classname="collection",
                                 name=_clean(e.get("source", "")))
            ET.SubElement(case, "error", type="collection",
                          message=_clean(e.get("error", ""))).text = _clean(e.get("error", ""))
        _count(suite, len(errors), 0, len(errors), totals)
    gates = report.get("gates") or []
    if gates:
        suite = _suite(root, "brand-audit.gates", run)
        failed = 0
        for gate in gates:
            case = ET.SubElement(suite, "testcase", classname="gates",
                                 name=_clean(f"{gate.get('gate')} ({gate.get('level')})"))
            body = "\n".join([gate.get("message", ""), *gate.get("details", [])])
            if gate.get("status") == "fail":
                failed += 1
                ET.SubElement(case, "failure", type=_clean(gate.get("gate", "")),
                              message=_clean(gate.get("message", ""))).text = _clean(body)
            else:
                ET.SubElement(case, "system-out").text = _clean(body)
        _count(suite, len(gates), failed, 0, totals)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _suite(root: ET.Element, name: str, run: dict) -> ET.Element:
    attrs = {"name": name}
    if run.get("started_at"):
        attrs["timestamp"] = str(run["started_at"]).rstrip("Z")
    return ET.SubElement(root, "testsuite", attrs)


def _count(suite: ET.Element, tests: int, failures: int, errors: int, totals: dict) -> None:
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    totals["tests"] += tests
    totals["failures"] += failures
    totals["errors"] += errors


def _touchpoint_case(suite: ET.Element, tp: dict, channel: str) -> int:
    """One test case; returns 1 when it failed."""
    case = ET.SubElement(suite, "testcase", classname=f"brand-audit.{channel}",
                         name=_clean(tp.get("source") or tp.get("id", "")))
    if channel == "files" and tp.get("source"):
        case.set("file", _clean(tp["source"]))
    errors = [f for f in tp.get("findings", []) if f.get("severity") == "error"]
    for f in errors:
        where = describe_locator(f.get("locator") or tp.get("locator") or {"source": ""})
        body = f"{where} {f.get('rule')}: {f.get('message')}"
        if f.get("evidence"):
            body += f"\n  “{f['evidence']}”"
        if f.get("suggestion"):
            body += f"\nSuggestion: {f['suggestion']}"
        failure = ET.SubElement(case, "failure", type=_clean(f.get("rule", "")),
                                message=_clean(f"{f.get('rule')}: {f.get('message', '')}"))
        failure.text = _clean(body)
    score = tp.get("score")
    lines = [f"score {score:.1f}" if isinstance(score, (int, float)) else "not scored",
             f"status {tp.get('status')}"]
    for f in tp.get("findings", []):
        if f.get("severity") != "error":
            where = describe_locator(f.get("locator") or tp.get("locator") or {"source": ""})
            lines.append(f"{f.get('severity')}: {where} {f.get('rule')}: {f.get('message')}")
    for f in tp.get("waived", []):
        lines.append(f"waived: {f.get('rule')}: {(f.get('waiver') or {}).get('reason', '')}")
    ET.SubElement(case, "system-out").text = _clean("\n".join(lines))
    return 1 if errors else 0


def _clean(text: object) -> str:
    return _INVALID_XML.sub("", str(text))
