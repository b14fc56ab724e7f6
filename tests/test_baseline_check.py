"""`brand-audit baseline check` warns when the approved copy is itself inconsistent (issue 6)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from baselines import DEMO_BASELINE
from tests.conftest import FIXTURES

pytestmark = pytest.mark.model


def test_off_brand_file_among_the_approved_copy_is_named_first(tmp_path) -> None:
    baseline = tmp_path / "sosna"
    shutil.copytree(DEMO_BASELINE, baseline, ignore=shutil.ignore_patterns("sources"))
    shutil.copy(FIXTURES / "content" / "off_brand.md", baseline / "exemplars" / "investors.md")
    result = subprocess.run([sys.executable, "-m", "auditor", "baseline", "check", str(baseline)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "read unlike the rest of the approved copy" in result.stdout
    listed = [line.strip() for line in result.stdout.splitlines() if line.startswith("  ")]
    # The three prose paragraphs of the investor page are the least like the rest.
    assert [line.split(":")[0] for line in listed[:3]] == ["exemplars/investors.md"] * 3
    # Only the investor page stands apart: the rest of the approved copy is one voice.
    assert all(line.startswith("exemplars/investors.md") for line in listed)


def test_consistent_approved_copy_flags_nothing() -> None:
    # The demo's approved copy is one voice: a percentile would always name its bottom 5%.
    result = subprocess.run([sys.executable, "-m", "auditor", "baseline", "check",
                             str(DEMO_BASELINE)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "consistent: no paragraph stands apart" in result.stdout



def test_approved_copy_in_one_file_is_not_called_consistent(tmp_path) -> None:
    # Each paragraph is calibrated against the other files; with one file there is nothing to
    # compare it with, and the check said "consistent" over a median similarity of 0.000.
    baseline = tmp_path / "acme"
    (baseline / "exemplars").mkdir(parents=True)
    (baseline / "brand.toml").write_text('name = "Acme"\n', encoding="utf-8")
    (baseline / "exemplars" / "web.md").write_text(
        "We answer every question plainly, the same day. No hidden fees, ever.\n\n"
        "Our team is here when you need us, by phone or chat.\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "auditor", "baseline", "check",
                             str(baseline)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "consistent" not in result.stdout
    assert "all approved copy is in one file" in result.stdout.lower()
    assert "Add approved copy from a few more pages" in result.stdout
