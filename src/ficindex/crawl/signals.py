"""Ctrl-C and SIGTERM during a crawl or refresh: finish the works in hand, then stop.

Crawl and refresh share this, so Ctrl-C means the same in both. The first
signal asks the run to take no new work and finish what it holds; the second
abandons that too (unfinished works stay queued for the next run). A signal
before the run's first request has been answered stops it at once instead: a
run still starting holds nothing to finish, and waiting out a slow robots.txt
would make Ctrl-C seem ignored.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ficindex.progress import Progress

T = TypeVar("T")

#: ``body(stopping, abort, started)``: the run, told by events when to stop; it sets
#: ``started`` once its first request (robots.txt) has been answered.
Body = Callable[[asyncio.Event, asyncio.Event, asyncio.Event], Awaitable[T]]


class _StoppedBeforeStart(Exception):
    """A stop signal came before the run's first answer: nothing to finish, stop at once."""


def run_with_stop_signals(progress: Progress, body: Body[T]) -> T:
    """Run ``body`` in a new event loop with :func:`with_stop_signals`.

    A signal before ``body`` has started raises KeyboardInterrupt, as Ctrl-C
    does anywhere else before a run begins.
    """
    try:
        return asyncio.run(with_stop_signals(progress, body))
    except _StoppedBeforeStart:
        raise KeyboardInterrupt from None


async def with_stop_signals(progress: Progress, body: Body[T]) -> T:
    """Run ``body(stopping, abort, started)`` with SIGINT/SIGTERM turned into those events.

    The first signal sets ``stopping`` (finish the works in hand, then stop);
    the second sets ``abort`` (stop at once; unfinished works stay queued).
    A signal before ``body`` sets ``started`` cancels it instead, and this
    raises :class:`_StoppedBeforeStart`.
    """
    loop = asyncio.get_running_loop()
    stopping, abort, started = asyncio.Event(), asyncio.Event(), asyncio.Event()
    task = asyncio.current_task()
    assert task is not None
    before_start = False

    def on_signal() -> None:
        nonlocal before_start
        if not started.is_set():
            before_start = True
            task.cancel()
        elif not stopping.is_set():
            stopping.set()
            progress.message(
                "stopping: finishing the works in hand (press Ctrl-C again to stop at once)"
            )
        elif not abort.is_set():
            abort.set()
            progress.message("stopping at once; unfinished works stay queued for the next run")

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        return await body(stopping, abort, started)
    except asyncio.CancelledError:
        if not before_start:
            raise
        task.uncancel()
        raise _StoppedBeforeStart from None
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
