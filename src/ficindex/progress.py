"""Progress of a crawl or refresh on stderr: a live line on a terminal, log lines otherwise.

On a terminal the line is redrawn at most a few times a second; for a cron job
or a log file (not a terminal) a plain line is written every ``LOG_EVERY``
seconds, so a multi-day crawl leaves a readable trace without flooding the
log. ``silent`` mutes both; the final summary is printed by the caller.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

#: Seconds between progress lines when stderr is not a terminal (and in refresh's --log-file).
LOG_EVERY = 60.0

#: Outcomes a work can end a run with, in the order the summary lists them.
OUTCOMES = ("ok", "deleted", "restricted", "hidden", "unrevealed", "failed")


@dataclass(slots=True)
class CrawlStats:
    """What a run did so far; the crawler and refresh update it, progress and summaries read it."""

    pages: int = 0
    blurbs: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    queued: int = 0  # works known to the frontier and not done yet
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    unreachable: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    started: float = field(default_factory=time.monotonic)

    @property
    def works(self) -> int:
        return sum(self.outcomes.values())

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """Draws :class:`CrawlStats` on ``stream``. Call :meth:`update` often; it rate-limits itself."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        silent: bool = False,
    ) -> None:
        self.stream = stream or sys.stderr
        self.silent = silent
        self.interactive = self.stream.isatty()
        self.interval = 0.25 if self.interactive else LOG_EVERY
        self._last = time.monotonic()
        self._drawn = False

    def describe(self, stats: CrawlStats) -> str:
        """One line: pages and works done, request rate, ETA, retries and 429s."""
        elapsed = max(stats.elapsed(), 1e-9)
        rate = stats.requests / elapsed
        works = stats.works
        parts = [f"{stats.pages} pages", f"{works} works"]
        if stats.queued:
            parts[-1] += f" (+{stats.queued} queued)"
        if stats.outcomes["failed"]:
            parts.append(f"{stats.outcomes['failed']} failed")
        parts.append(f"{rate:.2f} req/s")
        if stats.queued and works:
            parts.append(f"ETA {_duration(stats.queued * elapsed / works)}")
        parts.append(f"{stats.retries} retries")
        parts.append(f"{stats.throttled} x 429")
        return ", ".join(parts)

    def update(self, stats: CrawlStats, *, force: bool = False) -> None:
        if self.silent:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        line = self.describe(stats)
        if self.interactive:
            done, total = stats.works, stats.works + stats.queued
            filled = int(20 * done / total) if total else 0
            bar = "#" * filled + "-" * (20 - filled)
            self.stream.write(f"\r\x1b[K[{bar}] {line}")
            self._drawn = True
        else:
            self.stream.write(f"ficindex: {line}\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        """A line that must not be lost under the bar (warnings, the interrupt notice)."""
        if self.silent:
            return
        self.clear()
        self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False
