"""Work shared with a second process: what needs no vectors while the model embeds, and
the brand model while the rest of scoring is done.

Embedding is the longest stage of a large audit, and on a small machine it leaves part of
the CPU idle (the model's threads wait on each other between matrix products). The rule
checks and the contrast model's letter patterns need no vectors, so ``SharedWork`` forks a
worker that works through them, in order, at the lowest CPU priority, so it mostly takes CPU
the model leaves. It is not quite free: on the 2-core benchmark machine any process busy on
the second core slows the model's two threads by about a tenth (a busy loop at the lowest
priority made a 55 s encode 63 s), which is still far less than doing the same work after
the embedding. Measured in docs/benchmarks.md ("Performance").

When the vectors are ready, this process takes what it needs with ``get``: a task the
worker has finished comes from the worker; any other task is done here, at normal priority,
from the last task backwards (the worker goes forwards, skipping the tasks this process has
taken), so the audit never waits for a worker the machine starves: on a busy machine the
worker may contribute nothing, and the run is as fast as it would be without it. Tasks must
be deterministic: the result is the same whoever did the task.

A task can also need what this process makes after the worker has started (the brand model
needs the paragraphs' vectors): ``Later`` is an array in memory both processes share (or,
for a matrix that grows with the run, a ``RowFile`` on disk both read a part at a time), and
the task waits until this process has filled it. ``get(i, wait=True)`` waits for the
worker's result when the worker is on the task (it has started it, or did every task before
it itself, which shows the machine gives it CPU) rather than doing it again; otherwise, or
if the worker fails or stops, the task is done here.

A task can take an earlier task's result: ``Result(i)`` among the arguments of a
``functools.partial`` is replaced by task ``i``'s result by whoever does the task (the
worker keeps the results later tasks name; this process takes them from ``get``).

The worker is a copy of this process (``fork``), so nothing is pickled on the way in. Its
results come back through files in a private temporary folder (removed at ``close``), and
only their names through the pipe, so a starved worker can never hold this process up in
the middle of a transfer. Without ``fork`` (Windows, macOS' default), or when asked not to,
every task is done here.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import pickle
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

#: Lowest priority: the worker only gets CPU nothing else wants.
NICENESS = 19


class SharedWork:
    """``tasks`` done by a background worker and this process together."""

    def __init__(self, tasks: Sequence[Callable[[], Any]], background: bool = True) -> None:
        self._tasks = list(tasks)
        self._done: dict[int, Any] = {}
        self._ready: dict[int, Path] = {}  # finished by the worker, read when first asked for
        self._released: set[int] = set()
        self._process = self._receiver = self._folder = None
        # One byte per task in memory the worker shares: the tasks this process has taken
        # (the worker skips them) and the ones the worker has started.
        self._taken = mmap.mmap(-1, max(1, len(self._tasks)))
        self._started = mmap.mmap(-1, max(1, len(self._tasks)))
        if background and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self._folder = Path(tempfile.mkdtemp(prefix="brand-audit-work-"))
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_worker, args=(sender, self._tasks, self._folder, self._taken,
                                      self._started),
                daemon=True, name="brand-audit background")
            try:
                process.start()
            except OSError:  # no memory or processes left for a copy: do it all here
                receiver.close()
            else:
                self._process, self._receiver = process, receiver
            sender.close()
        self.in_background = self._process is not None
        #: Tasks whose result came from the worker (for tests and progress).
        self.from_worker: set[int] = set()

    def get(self, i: int, wait: bool = False) -> Any:
        """Task ``i``'s result: the worker's if it has finished it, else done here. With
        ``wait``, a worker that is on the task is waited for first (``worker_on``)."""
        self._collect()
        if wait and self.worker_on(i):
            while not self._has(i) and self._receiver is not None:
                self._collect(block=True)
        if i in self._ready:
            path = self._ready.pop(i)
            with path.open("rb") as file:
                self._done[i] = pickle.load(file)
            path.unlink()
        elif i not in self._done:
            if i in self._released:
                raise ValueError(f"task {i} was released: its result is gone")
            self._taken[i] = 1
            self._done[i] = _with_results(self._tasks[i], self.get)()
        self._tasks[i] = None  # done: what the task holds can go when its result does
        return self._done[i]

    def release(self, tasks: Iterable[int]) -> None:
        """This process is done with ``tasks``: let go of them and of their results (a
        caller that hands results on a part at a time frees each part as it goes, instead of
        this object holding every result until ``close``)."""
        for i in tasks:
            self._released.add(i)
            self._tasks[i] = None
            self._done.pop(i, None)
            path = self._ready.pop(i, None)
            if path is not None:
                path.unlink(missing_ok=True)

    def _has(self, i: int) -> bool:
        return i in self._done or i in self._ready or i in self._released

    def finished_by_worker(self) -> int:
        """How many tasks the worker has finished so far (without waiting)."""
        self._collect()
        return len(self.from_worker)

    def all(self, start: int = 0, stop: int | None = None) -> list[Any]:
        """The results of the tasks from ``start`` to before ``stop`` (all by default), in
        order. Missing ones are done here, last first, until the worker's finished ones are
        reached. When that is every task, the worker is stopped."""
        stop = len(self._tasks) if stop is None else stop
        for i in reversed(range(start, stop)):
            self._collect()
            if self._has(i) and all(self._has(j) for j in range(start, i)):
                break
            self.get(i)
        results = [self.get(i) for i in range(start, stop)]
        if start == 0 and stop == len(self._tasks):
            self.close()
        return results

    def worker_on(self, i: int) -> bool:
        """Whether the worker, still alive, is on task ``i``: it has started it, or it did
        every task before it itself (the machine gives it CPU, and nothing is left for it
        to do first), so waiting for its result is no slower than doing the task here."""
        self._collect()
        if self._receiver is None or self._has(i):
            return False
        return bool(self._started[i]) or self.from_worker >= set(range(i))

    def close(self) -> None:
        if self._process is not None:
            self._receiver.close()
            self._process.terminate()
            self._process.join()
            self._process = self._receiver = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self._tasks = []  # let go of what the tasks hold

    def _collect(self, block: bool = False) -> None:
        """Take in whatever the worker has finished; with ``block``, wait for its next
        message first."""
        if self._receiver is None:
            return
        try:
            while self._receiver.poll(None if block else 0):
                block = False
                i, name = self._receiver.recv()
                if name is None:
                    continue
                if self._has(i):  # done here or let go meanwhile: nobody will read it
                    (self._folder / name).unlink(missing_ok=True)
                else:
                    self._ready[i] = self._folder / name
                    self.from_worker.add(i)
        except (EOFError, OSError):  # the worker stopped (done, failed or killed)
            self._receiver.close()
            self._process.join()
            self._process = self._receiver = None

    def __enter__(self) -> SharedWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Result:
    """In a task's arguments: the result of task ``index`` of the same ``SharedWork``."""

    index: int


def _results_named(task: Callable[[], Any]) -> list[int]:
    if not isinstance(task, partial):
        return []
    return [a.index for a in (*task.args, *task.keywords.values()) if isinstance(a, Result)]


def _with_results(task: Callable[[], Any], result: Callable[[int], Any]) -> Callable[[], Any]:
    """``task`` with each ``Result`` among its arguments replaced by that result."""
    if not _results_named(task):
        return task

    def value(a: Any) -> Any:
        return result(a.index) if isinstance(a, Result) else a

    return partial(task.func, *map(value, task.args),
                   **{k: value(v) for k, v in task.keywords.items()})


class Later:
    """An array this process fills after a worker has started, which the worker's tasks
    read: with ``shared``, anonymous shared memory (a forked worker sees the writes) and a
    signal across processes that it is full; otherwise (or where that cannot be made, as
    without ``fork`` or ``/dev/shm``) an array only this process reads, and ``shared`` is
    False: a worker must not be started for tasks that read it.

    With ``on_disk``, ``array`` is a ``RowFile`` instead, filled with ``write`` and read a
    range of rows at a time, by either process: neither holds the matrix. ``close`` deletes
    it."""

    def __init__(self, shape: tuple[int, ...], dtype: str, shared: bool = True,
                 on_disk: bool = False) -> None:
        import numpy as np

        self._full: threading.Event | Any = threading.Event()
        self.shared = shared and "fork" in multiprocessing.get_all_start_methods()
        if self.shared:
            try:
                self._full = multiprocessing.get_context("fork").Event()
            except OSError:  # no POSIX semaphores here
                self.shared = False
        self.array: np.ndarray | RowFile
        if on_disk:
            self.array = RowFile(shape, dtype)
        elif self.shared:
            count = int(np.prod(shape))
            self._memory = mmap.mmap(-1, max(1, count * np.dtype(dtype).itemsize))
            self.array = np.frombuffer(self._memory, dtype=dtype, count=count).reshape(shape)
        else:
            self.array = np.zeros(shape, dtype=dtype)

    def set(self) -> None:
        """The array is full: tasks waiting in ``get`` go on."""
        self._full.set()

    def get(self) -> np.ndarray | RowFile:
        """The array, once this process has filled it."""
        self._full.wait()
        return self.array

    def close(self) -> None:
        if isinstance(self.array, RowFile):
            self.array.close()


class RowFile:
    """A matrix of ``shape`` in a temporary file (in ``TMPDIR``; it has no name, so it goes
    when the last process that has it open closes it): this process writes rows
    (``write``), and it or a forked worker reads back a range at a time (``rows[a:b]``, a
    new array), so the matrix grows on disk, not in either process's memory. Rows never
    written read as zeros."""

    def __init__(self, shape: tuple[int, ...], dtype: str) -> None:
        import numpy as np

        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self._row_bytes = self.dtype.itemsize * int(np.prod(self.shape[1:]))
        with _no_room_says_where():
            self._file = tempfile.TemporaryFile(prefix="brand-audit-rows-")
            self._file.truncate(self.shape[0] * self._row_bytes)
        self._lock = threading.Lock()  # for the seek-and-read where there is no pread

    def __len__(self) -> int:
        return self.shape[0]

    def write(self, first: int, rows: np.ndarray) -> None:
        """Rows ``first`` onwards."""
        import numpy as np

        if first < 0 or first + len(rows) > len(self):
            raise IndexError(f"rows {first} to {first + len(rows)} of {len(self)}")
        data = memoryview(np.ascontiguousarray(rows, dtype=self.dtype).reshape(-1).view(np.uint8))
        with self._lock, _no_room_says_where():
            self._file.seek(first * self._row_bytes)
            self._file.write(data)
            self._file.flush()

    def __getitem__(self, rows: slice) -> np.ndarray:
        import numpy as np

        if not isinstance(rows, slice):
            raise TypeError("a RowFile is read a range of rows at a time: rows[first:last]")
        start, stop, step = rows.indices(len(self))
        if step != 1:
            raise ValueError("a RowFile is read in consecutive rows")
        out = np.empty((max(0, stop - start), *self.shape[1:]), dtype=self.dtype)
        view, offset = memoryview(out.reshape(-1).view(np.uint8)), start * self._row_bytes
        while len(view):
            if hasattr(os, "preadv"):  # its own offset: the processes share the file's
                read = os.preadv(self._file.fileno(), [view], offset)
            else:
                with self._lock:
                    self._file.seek(offset)
                    read = self._file.readinto(view)
            if not read:
                raise OSError(f"the rows file ended at byte {offset}")
            view, offset = view[read:], offset + read
        return out

    def close(self) -> None:
        self._file.close()


@contextmanager
def _no_room_says_where() -> Iterator[None]:
    """A temporary folder that is full or cannot be written to, as an error that names it."""
    try:
        yield
    except OSError as exc:
        from auditor.errors import ToolError

        folder = tempfile.gettempdir()
        raise ToolError(f"cannot write the run's paragraph vectors to a temporary file: "
                        f"{exc.strerror or exc}", source=folder,
                        hint="free space there, or set TMPDIR to a folder with room "
                             "(a large run needs 2 KB a paragraph)") from exc


def _worker(sender, tasks: list[Callable[[], Any]], folder: Path, taken: mmap.mmap,
            started: mmap.mmap) -> None:
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    named = {n for task in tasks for n in _results_named(task)}
    kept: dict[int, Any] = {}  # the results later tasks take
    for i, task in enumerate(tasks):
        if taken[i] and i not in named:
            continue  # the parent is doing it
        started[i] = 1
        try:
            value = _with_results(task, kept.__getitem__)()
            if i in named:
                kept[i] = value
                if taken[i]:
                    continue  # made for the tasks after it: the parent has its own
            name = f"{i}.pickle"
            with (folder / f"{name}.part").open("wb") as file:
                pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(folder / f"{name}.part", folder / name)
        except BaseException:  # noqa: BLE001 - the parent redoes it and raises it there
            sender.send((i, None))
            break  # the tasks after a failure are left to the parent
        sender.send((i, name))
    sender.close()
