"""Waivers: recorded, owned exceptions with an expiry; an expired waiver fails the gate."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from auditor.content import check_content
from auditor.errors import ConfigError
from auditor.gates import default_gates
from auditor.waivers import load_waivers
from baselines import DEMO_BASELINE, load_baseline
from tests.conftest import FIXTURES

CI = FIXTURES / "ci"
NOTES = CI / "content" / "notes.txt"


def brand_audit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def waiver_file(path: Path, entries: list[dict]) -> Path:
    blocks = []
    for e in entries:
        lines = ["[[waiver]]"]
        for key, value in e.items():
            lines.append(f"{key} = {value}" if key == "expires" else f"{key} = {json.dumps(value)}")
        blocks.append("\n".join(lines))
    path.write_text("\n\n".join(blocks) + "\n")
    return path


@pytest.fixture(scope="module")
def notes_findings() -> list[dict]:
    result = check_content([NOTES], load_baseline(DEMO_BASELINE), None)
    [tp] = result.report["touchpoints"]
    return tp["findings"]


@pytest.mark.parametrize("name, key, line, words", [
    ("missing_owner.toml", "waiver[1].owner", 7, "missing required key"),
    ("bad_date.toml", "waiver[0].expires", 5, "next spring"),
    ("unknown_key.toml", "waiver[0].expiry", 5, "did you mean 'expires'"),
])
def test_bad_waiver_files_name_file_line_and_key(name, key, line, words) -> None:
    with pytest.raises(ConfigError) as info:
        load_waivers(CI / "waivers" / name)
    err = info.value
    assert (err.key, err.line) == (key, line) and words in err.describe()
    assert name in err.describe()


def test_valid_waiver_sets_the_finding_aside(tmp_path, notes_findings) -> None:
    errors = [f for f in notes_findings if f["severity"] == "error"]
    assert len(errors) == 2
    path = waiver_file(tmp_path / "w.toml", [
        {"fingerprint": f["fingerprint"], "rule": f["rule"], "reason": "quoted in a how-not-to",
         "owner": "anna@acme.example", "expires": "2999-12-31"} for f in errors])
    waivers = load_waivers(path)
    assert waivers[0].line == 1 and waivers[1].line == 8
    result = check_content([NOTES], load_baseline(DEMO_BASELINE), None, waivers=waivers,
                           gates=default_gates("error"))
    [tp] = result.report["touchpoints"]
    assert [f["rule"] for f in tp["findings"]] == ["respect.shouting"]
    assert {f["waiver"]["owner"] for f in tp["waived"]} == {"anna@acme.example"}
    assert tp["waived"][0]["waiver"]["expires"] == "2999-12-31"
    assert tp["status"] == "warn" and tp["score"] == 88.0  # only the shouting penalty left
    assert result.report["summary"]["waived"] == 2
    assert result.gates.exit_code == 0


def test_waiver_for_another_rule_waives_nothing(tmp_path, notes_findings) -> None:
    f = next(f for f in notes_findings if f["severity"] == "error")
    path = waiver_file(tmp_path / "w.toml", [
        {"fingerprint": f["fingerprint"], "rule": "terms.banned", "reason": "r",
         "owner": "o", "expires": "2999-12-31"}])
    result = check_content([NOTES], load_baseline(DEMO_BASELINE), None,
                           waivers=load_waivers(path))
    assert "waived" not in result.report["touchpoints"][0]
    assert result.gates.exit_code == 1


def test_expired_waiver_fails_the_gate_naming_owner_and_expiry(tmp_path, notes_findings) -> None:
    shouting = next(f for f in notes_findings if f["rule"] == "respect.shouting")
    path = waiver_file(tmp_path / ".brand-audit-waivers.toml", [
        {"fingerprint": shouting["fingerprint"], "reason": "legacy banner",
         "owner": "boris@acme.example", "expires": "2024-01-31"}])
    waivers = load_waivers(path)
    assert waivers[0].expired(date(2024, 2, 1)) and not waivers[0].expired(date(2024, 1, 31))
    result = check_content([NOTES], load_baseline(DEMO_BASELINE), None, waivers=waivers,
                           gates=default_gates("never"))
    [gate] = [g for g in result.gates.results if g.gate == "expired_waiver"]
    assert gate.failed
    assert "boris@acme.example" in gate.message and "2024-01-31" in gate.message
    assert shouting["fingerprint"] in gate.message and "still matches 1" in gate.message
    # The expired waiver waives nothing: the finding counts again.
    assert any(f["rule"] == "respect.shouting"
               for f in result.report["touchpoints"][0]["findings"])
    # The same from the command line: the default waiver file in the working folder.
    (tmp_path / "notes.txt").write_text(NOTES.read_text())
    cli = brand_audit("check", "notes.txt", "--baseline", str(DEMO_BASELINE),
                      "--no-embeddings", "--fail-on", "never", cwd=tmp_path)
    assert cli.returncode == 1
    assert "expired_waiver" in cli.stdout and "boris@acme.example" in cli.stdout


def test_waiver_still_valid_on_its_expiry_day(tmp_path, notes_findings) -> None:
    shouting = next(f for f in notes_findings if f["rule"] == "respect.shouting")
    today = date.today().isoformat()
    path = waiver_file(tmp_path / "w.toml", [
        {"fingerprint": shouting["fingerprint"], "reason": "r", "owner": "o",
         "expires": today}])
    result = check_content([NOTES], load_baseline(DEMO_BASELINE), None,
                           waivers=load_waivers(path), gates=default_gates("never"))
    assert result.gates.exit_code == 0
    assert result.report["touchpoints"][0]["waived"][0]["rule"] == "respect.shouting"
