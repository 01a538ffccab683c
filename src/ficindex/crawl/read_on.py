"""Refresh of a split listing past AO3's cap: read on in the date windows below the cap.

A refresh walks the whole listing newest first and stops at the first page it
knows. When more works changed than AO3 serves, that walk reaches the cap
instead, and the works below it are read from the date windows: first the
whole day the walk ended in (its works straddle the last page), then the older
days of the window holding it, then each older window in turn, each cut short
by the first known page (``--all``: never). A window that reaches the cap
again goes on the same way from its own last day.

The loop is shared by the refresh (:func:`ficindex.crawl.windows.refresh_windows`,
which walks and stores, and keeps where it stands) and its dry run
(:mod:`ficindex.crawl.refresh_plan`, which only reads): each passes how to walk
one window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import sqlite_utils

from ficindex.crawl.partition import Window
from ficindex.crawl.targets import Target
from ficindex.crawl.walk import ListingPolicy, PageDecision, WalkedPage
from ficindex.record import Record

#: Walk a window (``True``: read it whole): "stopped" (the run walks no further), "known"
#: (cut short by a known page), "failed" (a page could not be had: go on from here next
#: time) or "ended" (read to its end, or to the cap).
WalkPart = Callable[[Window, bool], Awaitable[str]]


@dataclass(slots=True)
class ReadOn:
    """Decides as ``policy`` does, but never ends the walk: a day read whole, known or not."""

    policy: ListingPolicy

    def on_page(self, db: sqlite_utils.Database, target: Target, page: Record) -> PageDecision:
        decision = self.policy.on_page(db, target, page)
        decision.stop = False
        return decision


def day_reached(page: WalkedPage | None) -> dt.date | None:
    """The oldest update day on a page that ended its walk at AO3's cap, else None."""
    if page is None or not page.unreachable:
        return None
    days = [w.updated for w in page.listing.works if w.updated]
    return dt.date.fromisoformat(min(days)[:10]) if days else None


async def read_below(
    day: dt.date | None,
    windows: list[Window],
    walk_part: WalkPart,
    reached: Callable[[Window], dt.date | None],
    note: Callable[[dt.date | None], None],
) -> bool:
    """Read the windows from ``day`` (the newest day not read yet) down, as described above.

    ``reached(window)``: the day its walk reached at the cap (None: it was read to its
    end); ``note(day)``: where the reading stands (None: done; a failure leaves it, so
    the next refresh goes on from there). False once the run walks no further.
    """
    whole_day = True
    while day is not None:
        note(day)
        if whole_day:
            end = await walk_part(Window(day, day), True)
            if end in ("stopped", "failed"):
                return end == "failed"  # a failure is this listing's: the run goes on
            day -= dt.timedelta(days=1)
        window = next(w for w in windows if _holds(w, day))
        part = Window(window.start, day)
        end = await walk_part(part, False)
        if end in ("stopped", "failed"):
            return end == "failed"
        if end == "known":
            break
        day, whole_day = reached(part), True
        if day is None and window.start is not None:  # read to its end: the next window
            day, whole_day = window.start - dt.timedelta(days=1), False
    note(None)
    return True


def _holds(window: Window, day: dt.date) -> bool:
    return (window.start is None or window.start <= day) and (
        window.end is None or day <= window.end
    )
