"""Progress of a long run on stderr, one style for import, reparse, merge, crawl and refresh.

On a terminal, one line redrawn a few times a second: a bar, the count done of
the total, the rate and the time left. Elsewhere (cron, a pipe, a log file) the
same text as a plain line every ``LOG_EVERY`` seconds, so a multi-day crawl
leaves a readable trace without flooding the log. ``silent`` draws nothing.

Every periodic line and every notice also goes to the ``ficindex.progress``
logger (INFO and WARNING), so a ``--log-file`` or a program's own logging
handler keeps them. A record already shown on stderr carries ``displayed``, so
that the command line's stderr handler does not print it twice.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from ficindex.log import ROOT
from ficindex.wording import plural

#: Seconds between progress lines when stderr is not a terminal (and in a --log-file).
LOG_EVERY = 60.0
#: Width of the bar on a terminal.
BAR = 20

#: Outcomes a work can end a run with, in the order the summary lists them.
OUTCOMES = ("ok", "deleted", "restricted", "hidden", "unrevealed", "failed")

log = logging.getLogger(f"{ROOT}.progress")
#: Shown on stderr already: the command line's stderr handler skips such records.
DISPLAYED = {"displayed": True}
_active: list[Progress] = []  # the bar drawn on the terminal now, if any


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
    #: Works the run expects to handle, from the listings' heading totals (capped by
    #: --max-works); None until a listing's total is known.
    expected: int | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    #: The run's clock (the fetcher's, so that a test's virtual clock paces both).
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    started: float = math.nan  # when the run began on ``clock``; nan: now
    _marks: list[tuple[float, int]] = field(default_factory=list, repr=False)  # (time, handled)

    def __post_init__(self) -> None:
        if math.isnan(self.started):
            self.started = self.clock()

    @property
    def works(self) -> int:
        return sum(self.outcomes.values())

    @property
    def handled(self) -> int:
        """Works fetched plus blurbs stored: what ``expected`` counts down."""
        return self.works + self.blurbs

    def remaining_seconds(self) -> float | None:
        """Time left at the recent pace: the works still expected, at the works per second
        seen over about the latter half of the run so far.

        From the listing totals, not from the works found so far, so it does not
        shrink each time a listing page queues more; and from the recent pace, so
        the start's one-off requests (robots.txt, a split listing's probes) do not
        make it pessimistic for long. Each call notes where the run stands (a
        mark every 10% more works, so a few hundred at most). None before any
        pace is known.
        """
        done, now = self.handled, self.clock()
        if self.expected is None or not done:
            return None
        marks = self._marks
        if not marks or done >= marks[-1][1] * 1.1:
            marks.append((now, done))
        since, then = next(((t, n) for t, n in reversed(marks) if n <= done / 2), (0.0, 0))
        if not then:
            since = self.started
        seconds_per_work = (now - since) / (done - then)
        return max(self.expected - done, 0) * seconds_per_work

    def elapsed(self) -> float:
        return self.clock() - self.started


def duration(seconds: float) -> str:
    """``42s``, ``3m07s``, ``2h05m``."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def about(seconds: float) -> str:
    """A long span in plain words: ``about 31 days``, ``about 1.5 days``, ``about 5 hours``."""
    days = seconds / 86400
    if days >= 10:
        return f"about {days:,.0f} days"
    if days >= 1:
        return f"about {days:.1f} days"
    if seconds >= 3600:
        return f"about {seconds / 3600:.1f} hours"
    minutes = max(round(seconds / 60), 1)
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def whole_target_estimate(works: int, rate: float, per_page: int) -> str:
    """How long a whole listing takes at ``rate`` requests/s, in full and with --metadata-only.

    A full crawl costs one request per work plus one listing page per
    ``per_page`` works; --metadata-only the listing pages alone (the date
    windows' few probes aside).
    """
    shown = works if works < 10_000 else round(works, -3)
    full = works * (1 + 1 / per_page) / rate
    metadata = works / per_page / rate
    return (
        f"~{shown:,} works: {about(full)} at {rate:g} requests/s; "
        f"--metadata-only: {about(metadata)}"
    )


def clear_active() -> None:
    """Wipe the bar now on the terminal, so a log line can be written on a clean line."""
    for progress in _active:
        progress.clear()


class Progress:
    """Draws a run's progress on ``stream``. Call :meth:`count` or :meth:`update` often;
    it rate-limits itself.

    ``lines=False``: no periodic lines on a ``stream`` that is not a terminal
    (refresh from cron must print nothing but what needs attention); they are
    still logged.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        silent: bool = False,
        label: str = "",
        lines: bool = True,
    ) -> None:
        self.stream = stream or sys.stderr
        self.silent = silent
        self.label = label
        self.interactive = _isatty(self.stream)
        self.lines = lines
        self.interval = 0.25 if self.interactive else LOG_EVERY
        self.started = time.monotonic()
        # A terminal shows the bar at once; elsewhere the first line comes after LOG_EVERY.
        self._last = -self.interval if self.interactive else self.started
        self._logged = self.started
        self._drawn = False
        self._filled = 0

    # --- what a run reports -----------------------------------------------------------------

    def count(self, done: int, total: int | None, unit: str, *, force: bool = False) -> None:
        """Items done of ``total`` (``unit``: "page"), with their rate and the time left."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = done / elapsed
        units = plural(total if total is not None else done, unit).split(" ", 1)[1]
        parts = [f"{done}/{total} {units}" if total is not None else f"{done} {units}"]
        parts.append(f"{rate:.1f}/s")
        if total and done:
            parts.append(f"ETA {duration((total - done) / rate)}")
        self._show(done, total, ", ".join(parts), force)

    def update(self, stats: CrawlStats, *, force: bool = False) -> None:
        """A crawl's or refresh's progress: works done of those known, requests, retries."""
        done = stats.handled
        total = stats.expected if stats.expected is not None else done + stats.queued
        self._show(done, max(total, done), self.describe(stats), force)

    def describe(self, stats: CrawlStats) -> str:
        """One line: pages and works done, request rate, ETA, retries and 429s."""
        elapsed = max(stats.elapsed(), 1e-9)
        rate = stats.requests / elapsed
        works = stats.works
        parts = [plural(stats.pages, "page"), plural(works, "work")]
        if stats.queued:
            parts[-1] += f" (+{stats.queued} queued)"
        if stats.outcomes["failed"]:
            parts.append(f"{stats.outcomes['failed']} failed")
        parts.append(f"{rate:.2f} req/s")
        if stats.expected is not None:
            parts.append(f"{stats.handled:,} of ~{stats.expected:,}")
        left = stats.remaining_seconds()
        if left is None and stats.queued and works:
            left = stats.queued * elapsed / works
        if left is not None:
            parts.append(f"ETA {duration(left)}")
        parts.append(plural(stats.retries, "retry"))
        parts.append(f"{stats.throttled} x 429")
        return ", ".join(parts)

    def message(self, text: str) -> None:
        """A notice that must not be lost under the bar (a lowered rate, the interrupt notice).

        Logged as handled (``displayed``) even when silent: ``--silent`` decides for stderr.
        """
        if not self.silent:
            self.clear()
            self.stream.write(text + "\n")
            self.stream.flush()
        log.warning(text, extra=DISPLAYED)

    def clear(self) -> None:
        """Wipe the bar (before other output, and when the run ends)."""
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False
            if self in _active:
                _active.remove(self)

    # --- drawing ----------------------------------------------------------------------------

    def _show(self, done: int, total: int | None, text: str, force: bool) -> None:
        """Redraw the bar (terminal) or write a plain line (elsewhere) when due; log it
        every ``LOG_EVERY`` seconds."""
        now = time.monotonic()
        line = f"{self.label}: {text}" if self.label else text
        shown = False
        if not self.silent and (force or now - self._last >= self.interval):
            self._last = now
            if self.interactive:
                # Never backwards: a listing total can drop while works are read.
                self._filled = max(self._filled, int(BAR * done / total) if total else 0)
                filled = self._filled
                bar = "#" * filled + "-" * (BAR - filled)
                self.stream.write(f"\r\x1b[K[{bar}] {line}")
                self._drawn = True
                if self not in _active:
                    _active.append(self)
            elif self.lines:
                self.stream.write(f"ficindex: {line}\n")
                shown = True
            self.stream.flush()
        if now - self._logged >= LOG_EVERY:
            self._logged = now
            log.info(line, extra=DISPLAYED if shown else None)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream: not a terminal
        return False
