"""Progress bars on long work, and --quiet (issue 2, CLI)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

from auditor.cli import Progress
from baselines import DEMO_BASELINE
from tests.conftest import FIXTURES


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _draw(monkeypatch, stream: io.StringIO, enabled: bool) -> str:
    monkeypatch.setattr(sys, "stderr", stream)
    progress = Progress(enabled)
    for done in range(0, 11):
        progress("scoring", done, 10)
    progress("writing the report", 1, 1)
    progress.close()
    return stream.getvalue()


def test_progress_bars_draw_on_a_terminal(monkeypatch) -> None:
    drawn = _draw(monkeypatch, _Terminal(), enabled=True)
    assert "scoring" in drawn and "writing the report" in drawn and "100%" in drawn


def test_a_bar_grows_with_a_crawl_that_finds_more_pages(monkeypatch) -> None:
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    progress = Progress(True)
    progress("reading web pages", 1, 4)
    progress("reading web pages", 3, 40)  # the home page linked to 36 more
    assert progress.bar is not None and progress.bar.length == 40 and progress.bar.pos == 3
    progress("reading web pages", 40, 40)
    progress.close()
    assert "100%" in stream.getvalue().split("\r")[-1]


def test_no_bars_when_quiet_or_not_a_terminal(monkeypatch) -> None:
    assert _draw(monkeypatch, _Terminal(), enabled=False) == ""
    assert _draw(monkeypatch, io.StringIO(), enabled=True) == ""


def _brand_audit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_quiet_prints_only_results_and_errors(tmp_path) -> None:
    loud = _brand_audit("init", str(tmp_path / "loud"))
    assert loud.returncode == 0 and "wrote" in loud.stdout + loud.stderr
    quiet = _brand_audit("--quiet", "init", str(tmp_path / "quiet"))
    assert quiet.returncode == 0 and (tmp_path / "quiet" / "audit.toml").is_file()
    assert quiet.stdout == quiet.stderr == ""

    project = shutil.copytree(FIXTURES / "project", tmp_path / "project")
    config = project / "audit.toml"
    config.write_text(config.read_text().replace("../../../baselines/demo",
                                                 DEMO_BASELINE.as_posix())
                      .replace("[audit]\n", '[audit]\nmodel = "hashing"\nfail_on = "never"\n'))
    normal = _brand_audit("run", "--config", str(config))
    assert normal.returncode == 0, normal.stderr
    assert "Brand score" in normal.stderr
    run = _brand_audit("--quiet", "run", "--config", str(config))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith("report.html") and len(run.stdout.splitlines()) == 1
    assert "Brand score" not in run.stderr
