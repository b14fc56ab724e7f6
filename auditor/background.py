"""Work that needs no vectors, done by a second process while the model embeds.

Embedding is the longest stage of a large audit, and on a small machine it leaves part of
the CPU idle (the model's own threads wait on each other between matrix products). The rule
checks and the contrast model's letter patterns need no vectors, so ``start`` hands them to
a forked worker that runs at the lowest CPU priority: it takes only what the model leaves,
so the embedding is no slower, and by the time the vectors are ready most of that work is
done. Measured in docs/benchmarks.md ("Performance").

The worker is a copy of this process (``fork``), so nothing is pickled on the way in, and
only the result comes back. Where ``fork`` does not exist (Windows, macOS' default) or when
the work is small, the work runs here instead, at ``result()``; if the worker dies (killed,
out of memory), it is done here too. Either way the result is the same.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import Any

#: Lowest priority: the worker only gets CPU nothing else in the audit wants.
NICENESS = 19


def start(work: Callable[..., Any], *args: Any, background: bool = True) -> Pending:
    """``work(*args)``, in a background process when ``background`` and ``fork`` allow."""
    if not background or "fork" not in multiprocessing.get_all_start_methods():
        return Pending(work, args)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_worker, args=(sender, work, args), daemon=True,
                              name="brand-audit background")
    try:
        process.start()
    except OSError:  # no memory or processes left for a copy: do it here
        receiver.close()
        sender.close()
        return Pending(work, args)
    sender.close()
    return Pending(work, args, process, receiver)


class Pending:
    """The result of ``start``; ``result()`` waits for it."""

    def __init__(self, work: Callable[..., Any], args: tuple, process=None,
                 receiver=None) -> None:
        self._work, self._args = work, args
        self._process, self._receiver = process, receiver
        self.in_background = process is not None

    def result(self) -> Any:
        if self._process is None:
            return self._work(*self._args)
        try:
            ok, value = self._receiver.recv()
        except (EOFError, OSError):  # the worker died without answering
            ok, value = False, None
        finally:
            self._receiver.close()
            self._process.join()
            self._process = None
        # A failure in the worker is redone here, so it surfaces as it would have without
        # the worker (same exception, this process's traceback).
        return value if ok else self._work(*self._args)


def _worker(sender, work: Callable[..., Any], args: tuple) -> None:
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    try:
        value = work(*args)
    except BaseException:  # noqa: BLE001 - the parent redoes the work and raises it there
        sender.send((False, None))
    else:
        sender.send((True, value))
    finally:
        sender.close()
