"""An asyncio event loop whose clock only moves when every task is waiting for it.

``loop.time()`` is virtual: when nothing is ready to run, the loop jumps its
clock straight to the next timer instead of sleeping. ``asyncio.sleep`` and
``loop.time`` then behave exactly as on a real loop, minus the waiting and
minus the scheduling noise of a busy machine, so the rate limiter's spacing
can be asserted to the microsecond. (aiolimiter's tests drive its bucket the
same way, through the event loop's clock.) Only for code that does no real I/O.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _JumpingSelector(selectors.SelectSelector):
    """Polls without blocking; a wait the loop asks for becomes a jump of its clock."""

    loop: VirtualTimeLoop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = super().select(0)
        if not events:
            if timeout is None:
                raise RuntimeError("deadlock: every task waits and no timer is set")
            self.loop.now += timeout
        return events


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self, start: float = 1000.0) -> None:
        selector = _JumpingSelector()
        super().__init__(selector)
        selector.loop = self
        self.now = start

    def time(self) -> float:
        return self.now


def run_virtual(main: Coroutine[Any, Any, T], start: float = 1000.0) -> tuple[T, float]:
    """Run ``main`` on a fresh virtual-time loop; returns its result and the virtual time taken."""
    loop = VirtualTimeLoop(start)
    try:
        result = loop.run_until_complete(main)
        return result, loop.now - start
    finally:
        loop.close()


class FakeClock:
    """A clock that moves only when someone sleeps on it, for one task at a time.

    Pass ``clock`` and ``sleep`` to the code under test; ``sleeps`` records
    every wait asked for, in order. Real I/O (the loopback server) still runs
    in real time between the waits, which cost none.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)

    @property
    def waits(self) -> list[float]:
        """The waits that were not zero (tenacity sleeps 0 when a pause did the waiting)."""
        return [s for s in self.sleeps if s > 0]
