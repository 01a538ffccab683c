"""Past AO3's result cap: split a capped listing into windows of the update date.

AO3 serves at most a fixed number of pages of any listing, but its heading
shows the true total, and the works listings of a tag, a user, a pseud and a
collection accept ``work_search[date_from]`` and ``work_search[date_to]``
(inclusive UTC days of ``revised_at``): all four are ``WorksController#index``
with an owner, which passes ``work_search`` to the same ``WorkSearchForm``
(otwarchive app/controllers/works_controller.rb ``index``/``load_owner``,
app/models/search/work_query.rb ``date_range_filter``). A capped listing is
bisected into date windows until each window's heading total fits well under
the cap; a single day still over it is bisected by word count
(``work_search[words_from]``/``[words_to]``, inclusive, ``word_count_filter``).
Each window is then walked like any listing, and a catch-up window from the
day before the split began covers works updated meanwhile (an update moves a
work to the newest window). Bookmarks listings take no absolute date filter
(only relative ones on ``created_at``, whose edges move during a crawl), so
they are read to the cap and the unreachable count is reported.

Every probed total is kept in the frontier (``crawl_windows``), and every
window is a crawl target of its own, so a run killed mid-partition probes and
walks nothing twice when run again.
"""

from __future__ import annotations

import datetime as dt
import math
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
#: Only to find the middle of a day's last word window, which has no upper bound.
WORDS_CEILING = 10_000_000
DATE_FROM = "work_search[date_from]"
DATE_TO = "work_search[date_to]"
WORDS_FROM = "work_search[words_from]"
WORDS_TO = "work_search[words_to]"
#: The listing kinds AO3 filters by update date (``WorksController#index`` with an owner).
SPLITTABLE = frozenset({"tag works", "user works", "pseud works", "collection works"})


@dataclass(frozen=True, slots=True)
class Window:
    """Inclusive UTC days of the update date, and for a single day inclusive word counts;
    None: open at that end."""

    start: dt.date | None
    end: dt.date | None
    words_from: int | None = None
    words_to: int | None = None

    @property
    def bounds(self) -> tuple[str, str]:
        """The dates as the frontier keeps them ('' for an open end)."""
        return (
            self.start.isoformat() if self.start else "",
            self.end.isoformat() if self.end else "",
        )

    @property
    def word_bounds(self) -> tuple[str, str]:
        """The word counts as the frontier keeps them ('' for an open end)."""
        low, high = self.words_from, self.words_to
        return ("" if low is None else str(low), "" if high is None else str(high))

    def path(self, listing: str) -> str:
        """The listing's path with this window's filters (only ``YYYY-MM-DD``, as AO3 parses)."""
        values = (*self.bounds, *self.word_bounds)
        names = (DATE_FROM, DATE_TO, WORDS_FROM, WORDS_TO)
        query = [(k, v) for k, v in zip(names, values, strict=True) if v]
        return listing + ("?" + urlencode(query) if query else "")

    def halves(self, today: dt.date) -> tuple[Window, Window] | None:
        """The window split at its middle day (a single day: at its middle word count),
        or None when it cannot be split."""
        first = self.start or EPOCH
        last = self.end or today
        if first < last:
            middle = first + (last - first) // 2
            return Window(self.start, middle), Window(middle + dt.timedelta(days=1), self.end)
        low = self.words_from or 0
        high = WORDS_CEILING if self.words_to is None else self.words_to
        if self.start is None or self.end is None or low >= high:
            return None
        # The geometric middle: word counts spread over orders of magnitude (100 to 1,000,000).
        cut = min(max(int(math.sqrt((low + 1) * (high + 1))) - 1, low), high - 1)
        return (
            Window(self.start, self.end, self.words_from, cut),
            Window(self.start, self.end, cut + 1, self.words_to),
        )

    def describe(self) -> str:
        start, end = self.bounds
        days = start if start and start == end else f"{start or '...'} to {end or 'now'}"
        if self.words_from is None and self.words_to is None:
            return days
        low = self.words_from or 0
        high = "" if self.words_to is None else f" to {self.words_to:,}"
        return f"{days}, {low:,}{high or ' or more'} words"


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

    A single day still over it is bisected by word count (:meth:`Window.halves`).

    ``probe(window)`` is the window's heading total (the caller remembers
    probes across runs). Two halves that each count the whole listing mean
    the site ignored the filters: :class:`FilterIgnored`, not an endless split.
    A single day (and word count) still over the cap is kept, and named in a warning
    with its count.
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
            what = "date" if newer.words_from is None else "word count"
            raise FilterIgnored(
                f"{label}: the site ignored the {what} filters (both {older.describe()} and "
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
    """The cap of a whole listing's page 1 that AO3 cuts short and that can be split, else None.

    Only a works listing of a tag, user, pseud or collection without filters of
    its own is split (see :data:`SPLITTABLE`); a window is never split again by
    this route. Other capped listings are read to the cap, and the walk reports
    the works it could not reach.
    """
    if target.kind not in SPLITTABLE or "?" in target.path or number != 1:
        return None
    return capped_at(body.decode("utf-8", "replace"), listing.total, number)
