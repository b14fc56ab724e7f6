"""The background worker (``auditor.background``) and the vector-free work it takes over."""

from __future__ import annotations

import os
import signal

import pytest

from auditor import background
from auditor.embedding import HashingEmbedder
from auditor.engine import audit
from baselines import DEMO_BASELINE, load_baseline

pytestmark = pytest.mark.skipif(
    "fork" not in __import__("multiprocessing").get_all_start_methods(),
    reason="the background worker needs fork")


def _pid_and_priority(offset: int) -> tuple[int, int, int]:
    return os.getpid(), os.nice(0), offset + 1


def test_work_runs_in_a_lower_priority_process_and_its_result_comes_back() -> None:
    pending = background.start(_pid_and_priority, 41)
    assert pending.in_background
    pid, niceness, value = pending.result()
    assert value == 42
    assert pid != os.getpid()
    assert niceness > os.nice(0)


def test_small_work_runs_here() -> None:
    pending = background.start(_pid_and_priority, 1, background=False)
    assert not pending.in_background
    assert pending.result() == (os.getpid(), os.nice(0), 2)


def _fails_in_the_worker(parent: int) -> str:
    if os.getpid() != parent:
        raise RuntimeError("only in the worker")
    return "done here"


def _dies_in_the_worker(parent: int) -> str:
    if os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
    return "done here"


def _always_fails() -> None:
    raise ValueError("bad input")


@pytest.mark.parametrize("work", [_fails_in_the_worker, _dies_in_the_worker])
def test_a_worker_that_fails_or_dies_costs_time_not_the_result(work) -> None:
    assert background.start(work, os.getpid()).result() == "done here"


def test_an_error_in_the_work_is_raised_here_as_it_would_be_without_the_worker() -> None:
    with pytest.raises(ValueError, match="bad input"):
        background.start(_always_fails).result()


def test_scores_are_the_same_with_and_without_the_background_worker(monkeypatch) -> None:
    # The demo's approved copy audited as touchpoints: enough paragraphs for the contrast
    # model, so its letter patterns come from the worker too.
    import random

    from benchmarks.perf import _recombined_demo

    touchpoints = _recombined_demo(random.Random(7), 2_500)
    baseline = load_baseline(DEMO_BASELINE)
    started, start = [], background.start

    def spy(*args, **kwargs):
        started.append(start(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(background, "start", spy)
    runs = {}
    for name, threshold in (("here", 10**9), ("worker", 0)):
        monkeypatch.setattr("auditor.engine.BACKGROUND_MIN_SENTENCES", threshold)
        run = audit(touchpoints, [], baseline, HashingEmbedder())
        runs[name] = [(r.touchpoint.id, r.score, r.similarity, dict(r.tone), r.findings)
                      for r in run.results]
        # The contrast model ran, so its letter patterns came from the worker too.
        assert run.context["calibration"]["method"] == "nearest+contrast"
    assert [p.in_background for p in started] == [False, True]
    assert runs["worker"] == runs["here"]
    assert any(findings for *_, findings in runs["here"])
