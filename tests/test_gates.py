"""Gates: per rule and channel levels, minimum scores, diverging touchpoints, no regression,
and the exit codes they give (0 pass, 1 an error gate failed, 2 usage or config error)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.errors import ConfigError
from auditor.gates import Gates, default_gates, evaluate, load_gates_file, parse_gates
from baselines import DEMO_BASELINE
from tests.conftest import FIXTURES

CI = FIXTURES / "ci"


def brand_audit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def finding(rule: str, severity: str, fp: str) -> dict:
    return {"rule": rule, "severity": severity, "message": rule, "evidence": "x",
            "fingerprint": fp, "locator": {"source": "a.md", "line": 3, "column": 1}}


def tp(id_: str, channel: str, score: float | None, status: str, findings=()) -> dict:
    return {"id": id_, "channel": channel, "source": id_, "score": score, "status": status,
            "findings": list(findings)}


def report(*tps: dict) -> dict:
    by_channel: dict = {}
    for t in tps:
        by_channel.setdefault(t["channel"], []).append(t)
    summary = {"score": None, "touchpoints": len(tps),
               "diverging": sum(t["status"] == "diverges" for t in tps),
               "by_channel": {c: {"score": sum(x["score"] for x in ts) / len(ts),
                                  "touchpoints": len(ts)} for c, ts in by_channel.items()}}
    scores = [c["score"] for c in summary["by_channel"].values()]
    summary["score"] = sum(scores) / len(scores) if scores else None
    return {"run": {"id": "now"}, "summary": summary, "touchpoints": list(tps), "errors": []}


SAMPLE = report(
    tp("web:/", "web", 80.0, "ok", [finding("terms.preferred", "info", "a1")]),
    tp("social:1", "social", 40.0, "diverges", [finding("respect.pressure", "error", "b2")]),
    tp("files:x.md", "files", 60.0, "warn", [finding("respect.shouting", "warning", "c3")]),
)


def gate(report_: dict, gates: Gates, name: str, **kw):
    return [r for r in evaluate(report_, gates, **kw).results if r.gate == name]


def test_rule_levels_most_specific_wins_and_channels_cap() -> None:
    g = parse_gates({"rules": {"respect": "warn", "respect.pressure": "error",
                               "terms.*": "off"}, "channels": {"social": "warn"}}, "x.toml")
    assert g.finding_level("respect.shouting", "warning", "web") == "warn"
    assert g.finding_level("respect.pressure", "error", "web") == "error"
    assert g.finding_level("respect.pressure", "error", "social") == "warn"  # capped
    assert g.finding_level("terms.banned", "warning", "web") == "off"
    assert g.finding_level("message.off_brand", "error", "web") == "error"  # by severity
    assert g.finding_level("message.off_brand", "warning", "web") == "warn"


def test_rule_gate() -> None:
    strict = parse_gates({"rules": {"respect.*": "error"}}, "x.toml")
    [error] = gate(SAMPLE, strict, "rules")[:1]
    assert error.failed and "respect.pressure ×1" in error.message
    assert "respect.shouting ×1" in error.message
    capped = parse_gates({"rules": {"respect.*": "error"}, "channels": {"social": "warn",
                                                                        "files": "off"}}, "x")
    results = gate(SAMPLE, capped, "rules")
    assert not any(r.failed for r in results)
    assert [r.level for r in results if not r.passed] == ["warn"]


def test_min_score_gates() -> None:
    assert gate(SAMPLE, parse_gates({"min_score": 60}, "x"), "min_score")[0].passed
    [low] = gate(SAMPLE, parse_gates({"min_score": 61}, "x"), "min_score")
    assert low.failed and "60.0" in low.message
    [warn] = gate(SAMPLE, parse_gates({"min_score": {"value": 90, "level": "warn"}}, "x"),
                  "min_score")
    assert not warn.passed and not warn.failed
    per_channel = parse_gates({"min_channel_score": {"web": 85, "*": 50}}, "x")
    results = {r.gate: r for r in evaluate(SAMPLE, per_channel).results}
    assert results["min_channel_score.web"].failed
    assert results["min_channel_score.social"].failed      # "*" = 50, social 40
    assert results["min_channel_score.files"].passed
    unscored = copy.deepcopy(SAMPLE)
    unscored["summary"]["score"] = None
    assert gate(unscored, parse_gates({"min_score": 1}, "x"), "min_score")[0].failed


def test_max_diverging_gate() -> None:
    [none] = gate(SAMPLE, parse_gates({"max_diverging": 0}, "x"), "max_diverging")
    assert none.failed and "social:1" in none.details[0]
    assert gate(SAMPLE, parse_gates({"max_diverging": 1}, "x"), "max_diverging")[0].passed


def test_a_source_two_touchpoints_share_is_told_apart_by_title() -> None:
    home = {**tp("web:https://a.example/", "web", 10.0, "diverges"),
            "source": "https://a.example/", "title": "Acme: home"}
    chrome = {**tp("web:a.example#site-wide", "web", 20.0, "diverges"),
              "source": "https://a.example/", "title": "Site-wide navigation and footer"}
    other = {**tp("web:https://a.example/x", "web", 30.0, "diverges"),
             "source": "https://a.example/x", "title": "X"}
    [result] = gate(report(home, chrome, other), default_gates(), "fail_on")
    assert result.details == (
        "https://a.example/ (Acme: home): diverges (score 10.0)",
        "https://a.example/ (Site-wide navigation and footer): diverges (score 20.0)",
        "https://a.example/x: diverges (score 30.0)")


def test_no_regression_with_tolerance() -> None:
    previous = copy.deepcopy(SAMPLE)
    previous["run"]["id"] = "before"
    previous["touchpoints"][0]["score"] = 83.0   # web was 83, is 80 now
    g = parse_gates({"no_regression": True, "tolerance": 2.5}, "x")
    [r] = gate(SAMPLE, g, "no_regression", previous=previous)
    assert r.failed and "before" in r.message
    assert any("83.0 → 80.0" in d for d in r.details)
    assert gate(SAMPLE, parse_gates({"no_regression": True, "tolerance": 3}, "x"),
                "no_regression", previous=previous)[0].passed
    # Improvements and new touchpoints are never regressions; no previous run passes.
    assert gate(previous, g, "no_regression", previous=SAMPLE)[0].passed
    assert gate(SAMPLE, g, "no_regression")[0].passed
    warn_only = parse_gates({"no_regression": "warn"}, "x")
    [w] = gate(SAMPLE, warn_only, "no_regression", previous=previous)
    assert not w.passed and not w.failed


def test_fail_on_shorthand_and_defaults() -> None:
    assert evaluate(SAMPLE, default_gates("error")).exit_code == 1
    assert evaluate(SAMPLE, default_gates("never")).exit_code == 0
    ok = report(tp("web:/", "web", 90.0, "ok"), tp("x", "web", 65.0, "warn"))
    assert evaluate(ok, default_gates("error")).exit_code == 0
    assert evaluate(ok, default_gates("warning")).exit_code == 1
    warned = evaluate(ok, default_gates("warning"))
    assert [r.message for r in warned.results if r.gate == "fail_on"] == [
        "1 touchpoint where copy diverges or warns (fail_on = warning)"]
    # Configured gates without fail_on do not judge statuses; --fail-on adds it back.
    lenient = parse_gates({"severity": {"error": "off", "warning": "off"}}, "x")
    assert evaluate(SAMPLE, lenient).exit_code == 0
    assert evaluate(SAMPLE, lenient.with_fail_on("error")).exit_code == 1


@pytest.mark.parametrize("table, key, words", [
    ({"min_scor": 70}, "gates.min_scor", "did you mean 'min_score'"),
    ({"rules": {"respect": "fatal"}}, "gates.rules.respect", "off, warn, error"),
    ({"min_score": 170}, "gates.min_score", "out of range"),
    ({"min_score": "high"}, "gates.min_score", "expected a number"),
    ({"channels": {"blog": "warn"}}, "gates.channels.blog", "unknown channel"),
    ({"tolerance": -1}, "gates.tolerance", "0 or more"),
    ({"fail_on": "sometimes"}, "gates.fail_on", "error, warning, never"),
    ({"severity": {"fatal": "error"}}, "gates.severity.fatal", "unknown severity"),
])
def test_bad_gate_tables(table, key, words) -> None:
    with pytest.raises(ConfigError) as info:
        parse_gates(table, "audit.toml")
    assert info.value.key == key and words in info.value.describe()


def test_gates_in_audit_toml_and_gate_files() -> None:
    config = load_config(CI / "project" / "audit.toml")
    assert config.gates.min_score.value == 50 and config.check.keys == ["hero.title",
                                                                       "pages.*.body"]
    with pytest.raises(ConfigError) as info:
        load_config(CI / "project" / "bad_gates.toml")
    assert info.value.key == "gates.min_channel_score.blog" and info.value.line == 6
    with pytest.raises(ConfigError) as info:
        load_gates_file(CI / "gates" / "unknown_key.toml")
    assert info.value.key == "gates.no_regresion" and info.value.line == 4
    assert "no_regression" in info.value.describe()
    assert load_gates_file(CI / "gates" / "lenient.toml").rules == (("respect", "warn"),)


# -- exit codes from the command line -------------------------------------------------------


def check(*args: str) -> subprocess.CompletedProcess:
    return brand_audit("check", *args, "--baseline", str(DEMO_BASELINE), "--no-embeddings")


def test_exit_codes() -> None:
    content = str(CI / "content" / "page.html")
    clean = str(FIXTURES / "content" / "on_brand.md")
    assert check(clean).returncode == 0
    strict = check(clean, "--gates", str(CI / "gates" / "strict.toml"))
    assert strict.returncode == 0, strict.stdout + strict.stderr
    failed = check(content, "--gates", str(CI / "gates" / "strict.toml"))
    assert failed.returncode == 1 and "gate fail" in failed.stdout
    lenient = check(content, "--gates", str(CI / "gates" / "lenient.toml"))
    assert lenient.returncode == 0, lenient.stdout
    assert "gate warn" in lenient.stdout
    for bad in (check(content, "--gates", str(CI / "gates" / "bad_level.toml")),
                check(content, "--gates", str(CI / "nope.toml")),
                check(content, "--format", "pdf"),
                check(content, "--fail-on", "sometimes")):
        assert bad.returncode == 2, bad.stderr
        assert "Traceback" not in bad.stderr
    bad_level = check(content, "--gates", str(CI / "gates" / "bad_level.toml"))
    assert "bad_level.toml:2" in bad_level.stderr and "gates.rules.respect.*" in bad_level.stderr


def test_check_with_a_config_uses_its_gates_and_keys(tmp_path) -> None:
    result = brand_audit("check", str(CI / "content" / "site.yaml"), "--config",
                         str(CI / "project" / "audit.toml"), "--format", "json",
                         "--output", str(tmp_path / "r.json"))
    assert result.returncode == 1, result.stderr
    import json

    data = json.loads((tmp_path / "r.json").read_text())
    gates = [(g["gate"], g["status"]) for g in data["gates"]]
    assert ("rules", "fail") in gates and any(name == "min_score" for name, _ in gates)
    lines = sorted({f["locator"]["line"] for f in data["touchpoints"][0]["findings"]})
    assert lines == [3, 10]   # hero.title and pages.0.body; footer.note is not selected


# -- comparisons from the command line: the stored run, a reference report, the trend ------


def test_run_and_check_compare_with_the_previous_run(tmp_path) -> None:
    import json

    content = tmp_path / "content"
    content.mkdir()
    plans, offer = content / "plans.md", content / "offer.md"
    plans.write_text("# Plans\n\nFibre at home for the whole family.\n\n"
                     "Our support team answers in two minutes.\n")
    offer.write_text("# Offer\n\nBuy now or you will regret it.\n")
    # Only no_regression is an error gate: findings warn, statuses never fail.
    gates = '[gates]\nno_regression = true\ntolerance = 1.0\nfail_on = "never"\n' \
            'rules = { "respect.*" = "warn", "terms.*" = "warn" }\n'
    (tmp_path / "gates.toml").write_text(gates)
    config = tmp_path / "audit.toml"
    config.write_text(f'[audit]\nbaseline = "{DEMO_BASELINE.as_posix()}"\nmodel = "hashing"\n'
                      f'store = "history/audit.db"\n\n{gates}\n[[channels.files]]\n'
                      'path = "content/"\n')

    def run(out: str) -> tuple[subprocess.CompletedProcess, dict]:
        result = brand_audit("-q", "run", "--config", str(config), "--out", str(tmp_path / out))
        return result, json.loads((tmp_path / out / "report.json").read_text())

    def check(*args: str, gates: str = "gates.toml") -> subprocess.CompletedProcess:
        return brand_audit("check", "content", "--baseline", str(DEMO_BASELINE),
                           "--no-embeddings", "--gates", gates, *args, cwd=tmp_path)

    first, before = run("r1")
    assert first.returncode == 0, first.stderr
    reference = check("--format", "json", "--output", "reference.json")
    assert reference.returncode == 0, reference.stderr

    plans.write_text("# Plans\n\nFibre at home for the whole family. LAST CHANCE!!! Only 2 "
                     "hours left!\n\nOur support team answers in two minutes.\n")
    offer.write_text("# Offer\n\nFibre for everyone in the family.\n")
    second, after = run("r2")
    # Compared with the stored run: plans.md dropped, so no_regression fails the run.
    assert second.returncode == 1 and "gate FAIL: no_regression" in second.stderr
    assert before["run"]["id"] in second.stderr
    comparison = after["comparison"]
    assert comparison["previous_run"] == before["run"]["id"] and comparison["new"]
    assert comparison["resolved"] == [f["fingerprint"] for tp in before["touchpoints"]
                                      for f in tp["findings"]
                                      if tp["source"] == "content/offer.md"]
    summary = (tmp_path / "r2" / "summary.md").read_text()
    assert (f"### Since run `{before['run']['id']}`: {len(comparison['new'])} new, "
            f"{len(comparison['resolved'])} resolved") in summary
    assert "`respect.false_urgency` in `content/plans.md:3:" in summary          # new
    assert "`respect.pressure` in `content/offer.md:3:1`" in summary             # resolved

    history = brand_audit("history", "--store", str(tmp_path / "history" / "audit.db"),
                          "--channel", "files")
    assert history.returncode == 0, history.stderr
    assert before["run"]["id"] in history.stdout and after["run"]["id"] in history.stdout
    files = before["summary"]["by_channel"]["files"]["score"]
    now = after["summary"]["by_channel"]["files"]["score"]
    assert f"files      {files:.1f} → {now:.1f} ({now - files:+.1f}) over 2 runs" \
        in history.stdout

    # `check` against a reference report.json, and against the latest stored run.
    regressed = check("--baseline-report", "reference.json")
    assert regressed.returncode == 1, regressed.stdout + regressed.stderr
    assert "gate fail  no_regression" in regressed.stdout
    assert "reference report reference.json" in regressed.stdout
    tolerant = check("--baseline-report", "reference.json",
                     gates=str(CI / "gates" / "lenient.toml"))  # no no_regression gate
    assert tolerant.returncode == 0, tolerant.stdout
    stored = check("--store", "history/audit.db", "--format", "json")
    assert json.loads(stored.stdout)["comparison"]["previous_run"] == after["run"]["id"]
    both = check("--baseline-report", "reference.json", "--store", "history/audit.db")
    assert both.returncode == 2 and "pass one" in both.stderr


def test_a_run_that_collected_nothing_fails_even_without_gates() -> None:
    # The site down and nothing else configured: "Brand score n/a, 0 touchpoints" exited 0,
    # so a scheduled audit's `|| mail ...` never fired.
    down = report()
    down["errors"] = [{"source": "https://acme.example/", "error": "connection refused",
                       "channel": "web"}]
    (result,) = gate(down, default_gates(), "collection_errors")
    assert result.level == "error" and not result.passed
    assert "nothing was collected: 1 source could not be read" in result.message
    assert evaluate(down, default_gates()).exit_code == 1
    # Something collected: the errors alone fail nothing unless [gates] asks.
    partly = report(tp("web:/", "web", 80.0, "ok"))
    partly["errors"] = down["errors"]
    assert gate(partly, default_gates(), "collection_errors") == []
    assert evaluate(partly, default_gates()).exit_code == 0
    (warned,) = gate(partly, parse_gates({"collection_errors": "warn"}, "audit.toml"),
                     "collection_errors")
    assert warned.level == "warn"
    # Turned off, it is off.
    assert gate(down, parse_gates({"collection_errors": "off"}, "audit.toml"),
                "collection_errors") == []
    # Nothing to collect and nothing failed (an empty folder) is not this gate's business.
    assert gate(report(), default_gates(), "collection_errors") == []
