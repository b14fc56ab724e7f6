"""Faults: two runs on one store at once, and a run killed part-way (SIGKILL)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditor.cli import PAUSE_ENV
from auditor.store import Store
from baselines import DEMO_BASELINE

REPO = Path(__file__).resolve().parents[1]
PAGES = 40


def project(tmp_path: Path) -> Path:
    """An audit of PAGES Markdown files with the hashing model, store in the project."""
    content = tmp_path / "content"
    content.mkdir()
    for n in range(PAGES):
        (content / f"page{n:03d}.md").write_text(
            f"# Page {n}\n\nFibre at home for the whole family, plan {n}.\n\n"
            "Our support team answers in two minutes, day and night.\n")
    config = tmp_path / "audit.toml"
    config.write_text(f'[audit]\nbaseline = "{DEMO_BASELINE.as_posix()}"\nmodel = "hashing"\n'
                      'store = "history/audit.db"\n\n[[channels.files]]\npath = "content/"\n')
    return config


def start_run(config: Path, out: str, **env: str) -> subprocess.Popen:
    environ = {k: v for k, v in os.environ.items() if k != "GITHUB_STEP_SUMMARY"}
    environ.update(env)
    return subprocess.Popen([sys.executable, "-m", "auditor", "run", "--config", str(config),
                             "--out", str(config.parent / out), "--fail-on", "never"],
                            cwd=REPO, env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def intact(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return [r[0] for r in conn.execute("SELECT id FROM runs ORDER BY started_at")]
    finally:
        conn.close()


def test_two_runs_at_once_on_one_store(tmp_path) -> None:
    config = project(tmp_path)
    procs = [start_run(config, f"out{i}") for i in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    runs = intact(tmp_path / "history" / "audit.db")
    assert len(runs) == 2 and len(set(runs)) == 2
    with Store(tmp_path / "history" / "audit.db") as store:
        for run_id in runs:
            report = store.get_run(run_id)
            assert report["summary"]["touchpoints"] == PAGES
        assert store.journal_mode == "wal"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_run_killed_part_way_leaves_history_intact(tmp_path) -> None:
    config = project(tmp_path)
    db = tmp_path / "history" / "audit.db"
    first = start_run(config, "out1")
    assert first.wait(timeout=300) == 0, first.stderr.read()
    [first_id] = intact(db)

    victim = start_run(config, "out2", **{PAUSE_ENV: "scoring"})
    deadline = time.monotonic() + 240
    line = ""
    while "paused at" not in line and time.monotonic() < deadline:
        line = victim.stderr.readline()
        if not line and victim.poll() is not None:
            break
    assert "paused at scoring" in line, "the run never reached the scoring stage"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    assert intact(db) == [first_id]   # earlier history intact, nothing half-written

    again = start_run(config, "out3")
    assert again.wait(timeout=300) == 0, again.stderr.read()
    runs = intact(db)
    assert runs[0] == first_id and len(runs) == 2
    with Store(db) as store:
        assert store.get_run(first_id)["summary"]["touchpoints"] == PAGES
        # The new run compares with the first, not with the killed one.
        assert store.get_run(runs[1])["comparison"]["previous_run"] == first_id
    history = subprocess.run([sys.executable, "-m", "auditor", "history", "--store", str(db)],
                             capture_output=True, text=True, timeout=120)
    assert history.returncode == 0 and first_id in history.stdout and runs[1] in history.stdout
