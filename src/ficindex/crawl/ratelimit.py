"""One request clock for the whole run: a strict spacing of request starts and a shared pause.

Why not a token bucket (aiolimiter): a bucket lets a burst through after an
idle spell, and AO3's throttle counts bursts. Here the guarantee is simpler and
testable: no two request *starts* are ever closer than ``1 / rate``. The lock
is held while waiting, so waiters start strictly one after the other and a
late wake-up can only widen a gap, never narrow the next one. The fetcher asks
twice: for a turn before connecting, and again (:meth:`RateLimiter.on_wire`)
as the request is sent, so connection set-up time cannot squeeze two sends
together.

A 429 is about the whole client, not one URL, so it pauses *every* worker:
``Retry-After`` (seconds or an HTTP date) sets a pause all ``acquire`` calls
honour. After a 429 the rate is halved and then raised back a little with each
successful response (like Scrapy's AutoThrottle, but driven by 429s rather than
latency), never above the configured rate.

Time is injected: the limiter reads ``clock`` and waits with ``sleep``, and
:class:`Backoff` draws its jitter from ``random``, so tests check the spacing
exactly with a virtual clock instead of measuring milliseconds on a busy machine.
"""

from __future__ import annotations

import asyncio
import math
import random as _random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

#: The rate never drops below this fraction of the configured rate.
MIN_RATE_FACTOR = 1 / 16
#: Each success after a 429 raises the rate by this fraction of the configured rate,
#: so recovering from one halving takes 25 good responses.
RECOVERY_STEP = 1 / 50

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait for a ``Retry-After`` value (delta-seconds or HTTP date); junk -> None.

    ``now`` is the wall-clock time (``time.time()`` when not given) an HTTP date is counted from.
    """
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None  # since Python 3.10 a date it cannot read raises, never returns None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class Backoff:
    """The wait before retry ``n`` (1-based) of one URL: ``initial * 2**(n-1)`` plus up to
    ``initial`` of jitter, never more than ``maximum``.

    The jitter keeps workers that failed together from retrying together;
    ``random`` (a number in [0, 1)) is injected so the bounds can be tested exactly.
    """

    initial: float
    maximum: float
    random: Callable[[], float] = field(default=_random.random)

    def delay(self, retry: int) -> float:
        exponent = min(max(retry - 1, 0), 60)  # 2**60 * anything is past any maximum
        return min(self.maximum, self.initial * 2.0**exponent + self.initial * self.random())


class RateLimiter:
    """Spaces request starts at least ``1 / rate`` apart and pauses everyone on demand."""

    def __init__(
        self,
        rate: float,
        *,
        backoff_initial: float = 2.0,
        backoff_max: float = 300.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.max_rate = rate
        self.rate = rate
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.clock = clock
        self.sleep = sleep
        self._consecutive_throttles = 0
        self._last_start = -math.inf
        self._last_wire = -math.inf
        self._paused_until = -math.inf
        self._lock = asyncio.Lock()
        self._wire_lock = asyncio.Lock()

    async def acquire(self) -> float:
        """Wait for this request's turn; returns its start time (on ``clock``).

        Taken before connecting. :meth:`on_wire` then checks again at the
        moment the request is sent (a new connection takes a few milliseconds).
        """
        async with self._lock:
            self._last_start = await self._wait_after(self._last_start)
            return self._last_start

    async def on_wire(self) -> float:
        """The request is being sent now: keep it ``1 / rate`` after the last one sent, and
        behind any pause that began since its turn."""
        async with self._wire_lock:
            self._last_wire = await self._wait_after(self._last_wire)
            return self._last_wire

    async def _wait_after(self, previous: float) -> float:
        while True:
            now = self.clock()
            target = max(previous + 1 / self.rate, self._paused_until)
            if now >= target:
                return now
            await self.sleep(target - now)

    def pause(self, seconds: float) -> None:
        """Hold every worker for ``seconds`` from now (an existing longer pause stays)."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def throttled(self, retry_after: float | None, *, cap: float) -> float:
        """Record a 429: halve the rate and pause everyone; returns the pause in seconds.

        Without ``Retry-After`` the pause doubles with each 429 in a row,
        starting at ``backoff_initial``; either way it is at most ``cap``.
        """
        self._consecutive_throttles += 1
        self.rate = max(self.max_rate * MIN_RATE_FACTOR, self.rate / 2)
        if retry_after is None:
            exponent = min(self._consecutive_throttles - 1, 30)
            retry_after = min(self.backoff_max, self.backoff_initial * 2**exponent)
        pause = min(retry_after, cap)
        self.pause(pause)
        return pause

    def succeeded(self) -> None:
        """A response that was not a 429: creep back towards the configured rate."""
        self._consecutive_throttles = 0
        if self.rate < self.max_rate:
            self.rate = min(self.max_rate, self.rate + self.max_rate * RECOVERY_STEP)

    def slow_to(self, rate: float) -> None:
        """Lower the configured rate for the rest of the run (a robots.txt ``Crawl-delay``)."""
        self.max_rate = min(self.max_rate, rate)
        self.rate = min(self.rate, self.max_rate)
