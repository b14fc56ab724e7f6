"""The background worker (``auditor.background``) and the vector-free work it shares."""

from __future__ import annotations

import gc
import os
import signal
import time
import weakref
from functools import partial

import pytest

from auditor.background import Later, Result, RowFile, SharedWork
from auditor.embedding import HashingEmbedder
from auditor.engine import audit
from baselines import DEMO_BASELINE, load_baseline

pytestmark = pytest.mark.skipif(
    "fork" not in __import__("multiprocessing").get_all_start_methods(),
    reason="the background worker needs fork")


def _who(n: int) -> tuple[int, int, int]:
    return os.getpid(), os.nice(0), n * n


def _wait_for_worker(work: SharedWork, tasks: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while work.finished_by_worker() < tasks and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_worker_does_tasks_at_lower_priority_and_its_results_come_back() -> None:
    work = SharedWork([partial(_who, n) for n in range(4)])
    assert work.in_background
    _wait_for_worker(work, 4)
    results = work.all()
    assert [value for *_, value in results] == [0, 1, 4, 9]
    assert work.from_worker == {0, 1, 2, 3}
    assert all(pid != os.getpid() and nice > os.nice(0) for pid, nice, _ in results)


def _slow_in_the_worker(parent: int) -> tuple[int, int, int]:
    if os.getpid() != parent:
        time.sleep(30)  # a worker the machine starves
    return _who(0)


def test_what_the_worker_has_not_finished_is_done_here_without_waiting() -> None:
    started = time.monotonic()
    work = SharedWork([partial(_slow_in_the_worker, os.getpid()),
                       *(partial(_who, n) for n in range(1, 4))])
    results = work.all()
    assert time.monotonic() - started < 20
    assert work.from_worker == set()
    assert [r[2] for r in results] == [0, 1, 4, 9]
    assert all(pid == os.getpid() for pid, *_ in results)


def test_without_a_worker_everything_is_done_here() -> None:
    work = SharedWork([partial(_who, n) for n in range(3)], background=False)
    assert not work.in_background
    assert work.all() == [(os.getpid(), os.nice(0), n * n) for n in range(3)]


def _fails_in_the_worker(parent: int) -> str:
    if os.getpid() != parent:
        raise RuntimeError("only in the worker")
    return "done here"


def _dies_in_the_worker(parent: int) -> str:
    if os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
    return "done here"


@pytest.mark.parametrize("task", [_fails_in_the_worker, _dies_in_the_worker])
def test_a_worker_that_fails_or_dies_costs_time_not_results(task) -> None:
    work = SharedWork([partial(task, os.getpid()), partial(_who, 2)])
    time.sleep(0.5)
    assert work.all()[0] == "done here"


def _always_fails() -> None:
    raise ValueError("bad input")


def test_an_error_in_a_task_is_raised_here_as_it_would_be_without_the_worker() -> None:
    with SharedWork([_always_fails]) as work, pytest.raises(ValueError, match="bad input"):
        work.all()


def _square_plus(who: tuple[int, int, int], k: int) -> tuple[int, int]:
    return os.getpid(), who[2] + k


@pytest.mark.parametrize("background", [True, False])
def test_a_task_takes_an_earlier_tasks_result_whoever_does_it(background) -> None:
    tasks = [partial(_who, 3), partial(_square_plus, Result(0), k=1),
             partial(_square_plus, who=Result(0), k=2)]
    work = SharedWork(tasks, background=background)
    _wait_for_worker(work, 3 if background else 0)
    _, (pid, ten), (_, eleven) = work.all()
    assert (ten, eleven) == (10, 11)
    assert (pid != os.getpid()) == background


def test_this_process_takes_an_earlier_result_from_the_worker_or_makes_it() -> None:
    # The worker is starved on task 0; this process does task 1, and so task 0 too.
    work = SharedWork([partial(_slow_in_the_worker, os.getpid()),
                       partial(_square_plus, Result(0), k=5)])
    assert work.get(1) == (os.getpid(), 5)
    assert work.from_worker == set()
    work.close()


def _note_pid(path: str, value: int) -> int:
    with open(path, "a", encoding="utf-8") as file:
        file.write(f"{os.getpid()}\n")
    return value


def _pause_then_who(later: Later) -> tuple[int, int, int]:
    later.get()
    time.sleep(1.0)  # long enough that this process would do it itself if it did not wait
    return _who(3)


def test_the_worker_skips_the_tasks_this_process_has_taken_and_is_waited_for(tmp_path) -> None:
    # The worker is held on task 0; this process takes tasks 2 and 1 meanwhile, and then
    # the worker, let go, goes straight on to task 3, which this process waits for.
    log = tmp_path / "who.log"
    gate = Later((1,), "float32")
    tasks = [partial(_total, gate), *(partial(_note_pid, str(log), n) for n in (1, 2)),
             partial(_pause_then_who, gate)]
    with SharedWork(tasks) as work:
        assert (work.get(2), work.get(1)) == (2, 1)
        assert not work.worker_on(3), "the worker has not started it and did not keep up"
        gate.set()
        deadline = time.monotonic() + 30
        while not work.worker_on(3) and time.monotonic() < deadline:
            time.sleep(0.02)
        pid, _, nine = work.get(3, wait=True)
        assert pid != os.getpid() and nine == 9
        assert 3 in work.from_worker
    assert log.read_text().split() == [str(os.getpid())] * 2, "tasks 1 and 2 were done once"


def _refuse() -> None:
    raise AssertionError("a result was read although nobody asked for it")


class _Unreadable:
    def __reduce__(self):
        return _refuse, ()


def _unreadable() -> _Unreadable:
    return _Unreadable()


def test_a_result_nobody_asks_for_is_never_read() -> None:
    # The letter patterns are large and only the worker's own brand model needs them.
    with SharedWork([_unreadable, partial(_who, 1)]) as work:
        _wait_for_worker(work, 2)
        assert [value for *_, value in work.all(1, 2)] == [1]
        assert work.from_worker == {0, 1}


class _Held:
    """Something large a task holds (the sentences a chunk of rule checks reads)."""


def _size(held: _Held) -> int:
    return 1


def test_released_tasks_let_go_of_what_they_hold_and_of_their_results() -> None:
    held = [_Held() for _ in range(3)]
    alive = [weakref.ref(h) for h in held]
    with SharedWork([partial(_size, h) for h in held], background=False) as work:
        del held
        assert work.all(0, 2) == [1, 1]
        work.release(range(0, 2))
        gc.collect()
        assert [ref() is None for ref in alive] == [True, True, False]
        with pytest.raises(ValueError, match="task 0 was released"):
            work.get(0)
        assert work.get(2) == 1
        assert alive[2]() is None  # a task done here is let go of once its result is in


def test_a_released_result_the_worker_wrote_is_deleted_unread(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with SharedWork([partial(_who, n) for n in range(3)]) as work:
        _wait_for_worker(work, 3)
        assert work.from_worker == {0, 1, 2}
        (folder,) = tmp_path.iterdir()
        assert len(list(folder.iterdir())) == 3  # one file per result, read when asked for
        work.release([0, 1])
        assert len(list(folder.iterdir())) == 1
        with pytest.raises(ValueError, match="task 1 was released"):
            work.get(1)
        assert work.get(2)[2] == 4


def _a_while_in_the_worker(parent: int) -> tuple[int, int, int]:
    if os.getpid() != parent:
        time.sleep(0.5)
    return _who(1)


@pytest.mark.parametrize("here", [False, True])
def test_a_result_the_worker_finishes_after_it_was_released_or_done_here_is_deleted(
        tmp_path, monkeypatch, here) -> None:
    # The worker's file of a task let go (or done here) while it was still on it stayed in
    # the worker's folder until the end of the run.
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with SharedWork([partial(_a_while_in_the_worker, os.getpid()),
                     partial(_who, 2)]) as work:
        deadline = time.monotonic() + 30
        while not work._started[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        if here:
            assert work.get(0)[0] == os.getpid()
        else:
            work.release([0])
        _wait_for_worker(work, 1)  # task 1 comes after task 0's message
        assert work.from_worker == {1}
        (folder,) = tmp_path.iterdir()
        assert sorted(p.name for p in folder.iterdir()) == ["1.pickle"]


def _total(later: Later) -> float:
    return float(later.get().sum())


def test_a_task_can_wait_for_an_array_this_process_fills_after_the_worker_started() -> None:
    later = Later((3,), "float32")
    with SharedWork([partial(_who, 1), partial(_total, later)]) as work:
        _wait_for_worker(work, 1)
        later.array[:] = [1, 2, 3]
        later.set()
        assert work.worker_on(1)  # it did every task before it
        assert work.get(1, wait=True) == 6.0
        assert work.from_worker == {0, 1}


def test_without_posix_semaphores_the_array_is_not_shared_and_no_worker_reads_it(
        monkeypatch) -> None:
    import multiprocessing

    def no_semaphores(self):
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(type(multiprocessing.get_context("fork")), "Event", no_semaphores)
    later = Later((2,), "float32")
    assert not later.shared
    later.array[:] = [1, 2]
    later.set()
    assert _total(later) == 3.0
    assert not Later((2,), "float32", shared=False).shared


def test_a_worker_that_fell_behind_is_not_waited_for() -> None:
    later = Later((2,), "float32")
    started = time.monotonic()
    with SharedWork([partial(_slow_in_the_worker, os.getpid()), partial(_total, later)]) as work:
        assert work.all(stop=1)[0][0] == os.getpid()  # done here: the worker is starved
        later.array[:] = [4, 5]
        later.set()
        assert not work.worker_on(1)
        assert work.get(1, wait=True) == 9.0  # not waited for: the worker fell behind
    assert time.monotonic() - started < 20
    assert work.from_worker == set()


def test_waiting_for_a_worker_that_dies_falls_back_to_doing_the_task_here() -> None:
    with SharedWork([partial(_dies_in_the_worker, os.getpid())]) as work:
        assert work.get(0, wait=True) == "done here"
        assert not work.worker_on(0)


def test_the_worker_leaves_no_files_or_process_behind(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    work = SharedWork([partial(_who, n) for n in range(3)])
    _wait_for_worker(work, 1)
    process = work._process
    work.all()
    assert not any(tmp_path.iterdir())
    assert process is None or not process.is_alive()


@pytest.mark.parametrize("sample", [None, 200])
def test_scores_are_the_same_with_and_without_the_background_worker(monkeypatch,
                                                                     sample) -> None:
    # The demo's approved copy recombined into touchpoints: enough paragraphs for the
    # contrast model, so its letter patterns are shared work too (with ``sample``, the model
    # learns from 200 paragraphs and scores the rest with the worker's fitted patterns).
    import random

    from auditor import background, scoring

    if sample:
        monkeypatch.setattr(scoring, "CONTRAST_SAMPLE", sample)
    from benchmarks.perf import _recombined_demo

    touchpoints = _recombined_demo(random.Random(7), 2_500)
    baseline = load_baseline(DEMO_BASELINE)
    shared, original = [], background.SharedWork

    def spy(tasks, background=True):
        work = original(tasks, background)
        if background:
            # So the worker's results are the ones used: all but the brand model, which waits
            # for the vectors (and the audit then waits for it: the worker kept up).
            _wait_for_worker(work, len(tasks) - 1)
        shared.append(work)
        work.tasks = len(tasks)
        return work

    monkeypatch.setattr(background, "SharedWork", spy)
    runs = {}
    for name, threshold in (("here", 10**9), ("worker", 0)):
        monkeypatch.setattr("auditor.engine.BACKGROUND_MIN_SENTENCES", threshold)
        run = audit(touchpoints, [], baseline, HashingEmbedder())
        runs[name] = [(r.touchpoint.id, r.score, r.similarity, dict(r.tone), r.findings)
                      for r in run.results]
        assert run.context["calibration"]["method"] == "nearest+contrast"
    assert [w.in_background for w in shared] == [False, True]
    assert shared[1].from_worker == set(range(shared[1].tasks))
    assert shared[1].tasks > 2  # chunks of rules and style, then the brand model
    assert runs["worker"] == runs["here"]
    assert any(findings for *_, findings in runs["here"])


def _rows_sum(later: Later, first: int, last: int) -> float:
    return float(later.get()[first:last].sum())


def test_a_worker_reads_rows_this_process_writes_to_disk_after_it_started() -> None:
    # A matrix that grows with the run (the paragraphs' vectors) waits on disk: the worker
    # reads back what this process wrote after the fork, a range at a time.
    import numpy as np

    later = Later((6, 2), "float32", on_disk=True)
    assert isinstance(later.array, RowFile)
    with SharedWork([partial(_who, 1), partial(_rows_sum, later, 2, 6)]) as work:
        _wait_for_worker(work, 1)
        later.array.write(0, np.ones((2, 2)))
        later.array.write(2, np.arange(8).reshape(4, 2))  # float64 in, float32 stored
        later.set()
        assert work.get(1, wait=True) == 28.0
        assert work.from_worker == {0, 1}
    assert later.array[0:2].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    later.close()


def test_a_row_file_reads_unwritten_rows_as_zeros_and_refuses_what_it_cannot_do() -> None:
    import numpy as np

    rows = RowFile((4, 3), "float32")
    rows.write(1, np.full((1, 3), 2.5))
    assert len(rows) == 4 and rows[:].dtype == np.float32
    assert rows[:].tolist() == [[0, 0, 0], [2.5, 2.5, 2.5], [0, 0, 0], [0, 0, 0]]
    assert rows[3:10].shape == (1, 3) and rows[4:].shape == (0, 3)
    with pytest.raises(IndexError, match="rows 3 to 5 of 4"):
        rows.write(3, np.zeros((2, 3)))
    with pytest.raises(TypeError, match="a range of rows"):
        rows[[0, 1]]
    with pytest.raises(ValueError, match="consecutive"):
        rows[::2]
    rows.close()


def test_a_full_temporary_folder_is_an_error_that_names_it(monkeypatch) -> None:
    import errno
    import tempfile

    import numpy as np

    from auditor.errors import ToolError

    rows = RowFile((4, 3), "float32")

    class Full:
        def seek(self, offset: int) -> None:
            pass

        def write(self, data) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self) -> None:
            pass

    kept, rows._file = rows._file, Full()
    with pytest.raises(ToolError) as raised:
        rows.write(0, np.zeros((1, 3)))
    message = str(raised.value)
    assert message.startswith(tempfile.gettempdir() + ": ")
    assert "No space left on device" in message and "TMPDIR" in message
    kept.close()
