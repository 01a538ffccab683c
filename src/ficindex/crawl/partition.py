"""Past AO3's result cap: split a capped tag listing into windows of the update date.

AO3 serves at most a fixed number of pages of any listing, but its heading
shows the true total, and a tag listing accepts ``work_search[date_from]`` and
``work_search[date_to]`` (inclusive UTC days of ``revised_at``). A capped tag
listing is bisected into date windows until each window's heading total fits
well under the cap; each window is then walked like any listing, and a
catch-up window from the day before the split began covers works updated
meanwhile (an update moves a work to the newest window).

Every probed total is kept in the frontier (``crawl_windows``), and every
window is a crawl target of its own, so a run killed mid-partition probes and
walks nothing twice when run again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from ficindex.crawl.targets import Target
from ficindex.errors import CannotStart
from ficindex.parser.listing import capped_at
from ficindex.record import Listing

#: A window must list at most this share of the cap (the newest one grows while it is read).
FIT = 0.9
#: Only to find the middle of the first window, which has no start date (old, imported works).
EPOCH = dt.date(1990, 1, 1)
DATE_FROM = "work_search[date_from]"
DATE_TO = "work_search[date_to]"


@dataclass(frozen=True, slots=True)
class Window:
    """Inclusive UTC days of the update date; None: open at that end."""

    start: dt.date | None
    end: dt.date | None

    @property
    def bounds(self) -> tuple[str, str]:
        """The dates as the frontier keeps them ('' for an open end)."""
        return (
            self.start.isoformat() if self.start else "",
            self.end.isoformat() if self.end else "",
        )

    def path(self, listing: str) -> str:
        """The listing's path with this window's filters (only ``YYYY-MM-DD``, as AO3 parses)."""
        start, end = self.bounds
        query = [(k, v) for k, v in ((DATE_FROM, start), (DATE_TO, end)) if v]
        return listing + ("?" + urlencode(query) if query else "")

    def halves(self, today: dt.date) -> tuple[Window, Window] | None:
        """The window split at its middle day, or None when it is a single day."""
        first = self.start or EPOCH
        last = self.end or today
        if first >= last:
            return None
        middle = first + (last - first) // 2
        return Window(self.start, middle), Window(middle + dt.timedelta(days=1), self.end)

    def describe(self) -> str:
        start, end = self.bounds
        return start if start and start == end else f"{start or '...'} to {end or 'now'}"


class FilterIgnored(CannotStart):
    """The site returned the whole listing for a date window: splitting would never end."""


@dataclass(slots=True)
class Plan:
    """The windows to walk, oldest first, with their totals, and what to warn about."""

    windows: list[tuple[Window, int]]
    warnings: list[str]


Probe = Callable[[Window], Awaitable[int]]


async def plan_windows(whole: int, cap: int, today: dt.date, probe: Probe, label: str) -> Plan:
    """Bisect the whole date range until each window's total fits under ``FIT * cap``.

    ``probe(window)`` is the window's heading total (the caller remembers
    probes across runs). Two halves that each count the whole listing mean
    the site ignored the filters: :class:`FilterIgnored`, not an endless split.
    A single day still over the cap is kept, and named in a warning with its count.
    """
    fit = int(cap * FIT)
    plan = Plan([], [])
    pending: list[tuple[Window, int]] = [(Window(None, None), whole)]
    while pending:
        window, total = pending.pop()
        halves = window.halves(today) if total > fit else None
        if halves is None:
            if total > cap:
                plan.warnings.append(
                    f"{label}: {total:,} works were updated on {window.describe()}, more than "
                    f"the {cap:,} AO3 serves; {total - cap:,} of them are unreachable"
                )
            plan.windows.append((window, total))
            continue
        older, newer = halves
        older_total, newer_total = await probe(older), await probe(newer)
        if total and older_total == total and newer_total == total:
            raise FilterIgnored(
                f"{label}: the site ignored the date filters (both {older.describe()} and "
                f"{newer.describe()} list all {total:,} works); cannot split the listing"
            )
        pending += [(newer, newer_total), (older, older_total)]  # older popped first
    covered = sum(total for _, total in plan.windows)
    if abs(covered - whole) > max(20, whole // 100):
        plan.warnings.append(
            f"{label}: the date windows list {covered:,} works but the listing {whole:,}"
        )
    return plan


def cap_to_split(target: Target, listing: Listing, number: int, body: bytes) -> int | None:
    """The cap of a whole tag listing's page 1 that AO3 cuts short (so: split it), else None.

    Only a tag listing without filters is split: AO3 accepts the date filters
    on the tag path, and a window is never split again by this route.
    """
    if target.kind != "tag works" or "?" in target.path or number != 1:
        return None
    return capped_at(body.decode("utf-8", "replace"), listing.total, number)
