"""CI formats: SARIF 2.1.0 (validated against the OASIS schema), JUnit XML, GitHub
annotations, text, and the Markdown summary with what is new and resolved."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from auditor.content import check_content
from auditor.gates import compare_reports, parse_gates
from baselines import DEMO_BASELINE, load_baseline
from reports import render
from reports.github import command, escape_data, escape_property, render_github
from reports.junit import render_junit
from reports.sarif import FINGERPRINT_KEY, render_sarif, to_sarif
from reports.text import render_markdown, render_text
from tests.conftest import FIXTURES

CI = FIXTURES / "ci"
SCHEMA = json.loads((CI / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture(scope="module")
def report() -> dict:
    gates = parse_gates({"rules": {"respect": "error"}, "min_score": 90}, "gates.toml")
    result = check_content([CI / "content"], load_baseline(DEMO_BASELINE), None,
                           keys=("hero.title", "pages.*.body"), gates=gates)
    return result.report


def all_findings(report: dict) -> list[dict]:
    return [f for tp in report["touchpoints"] for f in tp["findings"]]


def test_sarif_is_valid_and_complete(report) -> None:
    from auditor.checks import rule_docs

    sarif = json.loads(render_sarif(report, rule_docs()))
    jsonschema.Draft7Validator(SCHEMA).validate(sarif)
    jsonschema.Draft7Validator(SCHEMA).validate(json.loads(render(report, "sarif")))
    [run] = sarif["runs"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert {"respect.pressure", "respect.guilt", "respect.shouting"} <= set(rules)
    pressure = rules["respect.pressure"]
    assert pressure["help"]["text"] and "brand-audit explain respect.pressure" in \
        pressure["help"]["text"]
    assert pressure["helpUri"].startswith("https://")
    assert "Hard selling" in pressure["fullDescription"]["text"] or \
        pressure["fullDescription"]["text"] == rule_docs()["respect.pressure"]
    active = [r for r in run["results"] if "suppressions" not in r]
    assert len(active) == len(all_findings(report))
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["partialFingerprints"][FINGERPRINT_KEY]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
    levels = {(r["ruleId"], r["level"]) for r in active}
    assert ("respect.pressure", "error") in levels and ("respect.shouting", "warning") in levels
    html = next(r for r in active if r["ruleId"] == "respect.guilt" and
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
                    "page.html"))
    assert html["locations"][0]["physicalLocation"]["region"]["startLine"] == 8
    waived = [r for r in run["results"] if "suppressions" in r]
    assert waived and all(r["suppressions"][0]["status"] == "accepted" for r in waived)
    assert any("MKT-412" in r["suppressions"][0]["justification"] for r in waived)
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("broken.yaml" in n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
               for n in notes)


def test_sarif_of_urls_calls_and_odd_paths_is_valid() -> None:
    report = {"run": {"id": "r1", "tool_version": "0.1.0"}, "summary": {},
              "touchpoints": [
                  {"id": "web:1", "channel": "web", "source": "https://acme.example/a b",
                   "locator": {"source": "https://acme.example/a%20b", "css": "main > p"},
                   "findings": [{"rule": "tone.pushy", "severity": "warning", "message": "m",
                                 "evidence": "e", "fingerprint": "abc"}]},
                  {"id": "calls:1", "channel": "calls", "source": "calls/ü 1.vtt",
                   "locator": {"source": "calls/ü 1.vtt", "start_ms": 4000},
                   "findings": [{"rule": "respect.pressure", "severity": "error",
                                 "message": "m", "evidence": "e", "fingerprint": "def"}]}],
              "errors": []}
    sarif = to_sarif(report)
    jsonschema.Draft7Validator(SCHEMA).validate(sarif)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"]]
    assert uris[1] == "calls/%C3%BC%201.vtt"
    assert "tone.pushy" in {r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]}


def test_junit_one_testcase_per_touchpoint_one_failure_per_error(report) -> None:
    root = ET.fromstring(render_junit(report).encode())
    cases = [c for c in root.iter("testcase") if c.get("classname") == "brand-audit.files"]
    assert len(cases) == len(report["touchpoints"])
    failures = sum(len(c.findall("failure")) for c in cases)
    assert failures == sum(f["severity"] == "error" for f in all_findings(report))
    assert int(root.get("failures")) >= sum(1 for c in cases if c.findall("failure"))
    errors = [c for c in root.iter("testcase") if c.get("classname") == "collection"]
    assert [c.get("name") for c in errors] == ["tests/fixtures/ci/content/broken.yaml"]
    gates = [c for c in root.iter("testcase") if c.get("classname") == "gates"]
    assert any(c.find("failure") is not None for c in gates)
    html = next(c for c in cases if c.get("name").endswith("page.html"))
    assert sorted(f.text.split(" ")[0].rsplit("/", 1)[-1] for f in html.findall("failure")) == [
        "page.html:8:19", "page.html:8:8"]


def test_junit_strips_characters_xml_cannot_carry() -> None:
    report = {"run": {}, "touchpoints": [{"id": "t", "channel": "files", "source": "a\x07.md",
                                          "score": 10.0, "status": "diverges", "findings": [
        {"rule": "r", "severity": "error", "message": "bell\x07 <&>", "evidence": "e"}]}]}
    root = ET.fromstring(render_junit(report).encode())
    assert root.find(".//failure").get("message") == "r: bell <&>"


def test_github_annotations_are_escaped() -> None:
    assert escape_data("50% off\r\nnow") == "50%25 off%0D%0Anow"
    assert escape_property("a,b:c%") == "a%2Cb%3Ac%25"
    line = command("error", "Buy now!\n::warning::injected", file="x,y.md", line=3,
                   col=7, title="brand-audit respect.pressure")
    assert line == ("::error file=x%2Cy.md,line=3,col=7,title=brand-audit respect.pressure::"
                    "Buy now!%0A::warning::injected")
    assert line.count("\n") == 0


def test_github_render(report) -> None:
    text = render_github(report)
    lines = text.splitlines()
    assert any(ln.startswith("::error file=tests/fixtures/ci/content/page.html,line=8,col=19,")
               for ln in lines)
    assert any(ln.startswith("::warning file=") for ln in lines)
    assert any(ln.startswith("::error title=brand-audit gate min_score::") for ln in lines)
    assert len(lines) == len(all_findings(report)) + len(report["errors"]) + sum(
        g["status"] != "pass" for g in report["gates"])


def test_text_lines_and_colour(report) -> None:
    plain = render_text(report)
    assert "tests/fixtures/ci/content/notes.txt:3:29  error  respect.pressure" in plain
    assert "\033[" not in plain and "gate fail  min_score" in plain
    assert "\033[31m" in render_text(report, color=True)


def test_markdown_summary_says_what_is_new_and_resolved(report) -> None:
    previous = copy.deepcopy(report)
    previous["run"]["id"] = "20250101T000000Z-abc123"
    gone = previous["touchpoints"][0]["findings"]
    gone.append({"rule": "terms.banned", "severity": "warning", "message": "old",
                 "evidence": "Cheap fibre for all.", "fingerprint": "feedfacefeedface",
                 "locator": {"source": "content/old.md", "line": 7, "column": 3}})
    new_fp = previous["touchpoints"][1]["findings"].pop(0)
    current = dict(report, comparison=compare_reports(report, previous))
    assert current["comparison"]["new"] == [new_fp["fingerprint"]]
    assert current["comparison"]["resolved"] == ["feedfacefeedface"]
    md = render_markdown(current)
    assert "### Since run `20250101T000000Z-abc123`: 1 new, 1 resolved" in md
    assert "**New** (1):" in md and new_fp["rule"] in md
    assert "**Resolved** (1):" in md and "Cheap fibre for all" in md
    assert "`terms.banned` in `content/old.md:7:3`" in md  # where it was, to the column
    assert "### Gates: failed" in md and "### Waived" in md
    # A comparison that lists what was resolved without its details (an older report).
    bare = dict(current, comparison={k: v for k, v in current["comparison"].items()
                                     if k != "resolved_findings"})
    assert "**Resolved** (1): no longer found; the previous run's report has the details." \
        in render_markdown(bare)


def test_step_summary_is_appended_and_report_rerenders(tmp_path, report) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = dict(os.environ, GITHUB_STEP_SUMMARY=str(summary))
    out = tmp_path / "report.sarif"
    result = subprocess.run(
        [sys.executable, "-m", "auditor", "check", str(CI / "content" / "notes.txt"),
         "--baseline", str(DEMO_BASELINE), "--no-embeddings", "--format", "sarif",
         "--output", str(out)], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    jsonschema.Draft7Validator(SCHEMA).validate(json.loads(out.read_text()))
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "## brand-audit: Sosna" in text
    assert "### Gates: failed" in text
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(report))
    for fmt in ("sarif", "junit", "github", "markdown"):
        again = subprocess.run([sys.executable, "-m", "auditor", "report", str(saved),
                                "--format", fmt], capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip()
    assert Path(saved).is_file()
