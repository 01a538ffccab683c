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
"""

from __future__ import annotations

import asyncio
import math
import time
from email.utils import parsedate_to_datetime

#: The rate never drops below this fraction of the configured rate.
MIN_RATE_FACTOR = 1 / 16
#: Each success after a 429 raises the rate by this fraction of the configured rate,
#: so recovering from one halving takes 25 good responses.
RECOVERY_STEP = 1 / 50


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait for a ``Retry-After`` value (delta-seconds or HTTP date); junk -> None."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


class RateLimiter:
    """Spaces request starts at least ``1 / rate`` apart and pauses everyone on demand."""

    def __init__(
        self, rate: float, *, backoff_initial: float = 2.0, backoff_max: float = 300.0
    ) -> None:
        self.max_rate = rate
        self.rate = rate
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._consecutive_throttles = 0
        self._last_start = -math.inf
        self._last_wire = -math.inf
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._wire_lock = asyncio.Lock()

    async def acquire(self) -> float:
        """Wait for this request's turn; returns its start time (``time.monotonic()``).

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
            now = time.monotonic()
            target = max(previous + 1 / self.rate, self._paused_until)
            if now >= target:
                return now
            await asyncio.sleep(target - now)

    def pause(self, seconds: float) -> None:
        """Hold every worker for ``seconds`` from now (an existing longer pause stays)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def throttled(self, retry_after: float | None, *, cap: float) -> float:
        """Record a 429: halve the rate and pause everyone; returns the pause in seconds.

        Without ``Retry-After`` the pause doubles with each 429 in a row,
        starting at ``backoff_initial``.
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
