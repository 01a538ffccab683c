"""Walking a listing split past AO3's cap: its date windows, then the catch-up window.

The split itself (which windows) is :mod:`ficindex.crawl.partition`; this is
the crawl's side: probes go through the crawl's fetcher and are kept in the
frontier, and each window is walked by the crawl's own walker as a listing
target of its own, so it resumes like any listing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from ficindex.clock import utc_now
from ficindex.crawl import frontier, partition_store
from ficindex.crawl.fetcher import FetchResult
from ficindex.crawl.partition import FilterIgnored, Window, plan_windows
from ficindex.crawl.read_on import ReadOn, day_reached, read_below
from ficindex.crawl.targets import Target
from ficindex.crawl.walk import CrawlPolicy, WalkedPage, WalkPosition, get_listing_page
from ficindex.record import Record

if TYPE_CHECKING:
    from ficindex.crawl.job import CrawlJob


class ProbeFailed(Exception):
    """A window's page 1 could not be had (after the fetcher's retries) or shows no total."""


async def walk_windows(job: CrawlJob, target: Target) -> bool:
    """Walk a capped listing window by window, then the catch-up window.

    A refresh instead reads the windows only below where its newest-first walk of
    the whole listing reached the cap (:func:`refresh_windows`). False once the run
    must walk no further (stopped, or out of budget).
    """
    row = partition_store.partition_of(job.db, target.key)
    assert row is not None
    started = dt.date.fromisoformat(row["started_on"])

    async def probe(window: Window) -> int:
        return await _probe(job, target, window)

    try:
        plan = await plan_windows(row["total"], row["cap"], started, probe, target.key)
    except ProbeFailed as exc:  # this listing's failure; the next run probes on from here
        job.stats.failures.append((target.key, str(exc)))
        return True
    for warning in plan.warnings:
        if warning not in job.result.warnings:
            job.result.warnings.append(warning)
    if not isinstance(job.walker.policy, CrawlPolicy):  # a refresh
        return await refresh_windows(job, target, [w for w, _ in plan.windows])
    catch_up = Window(started - dt.timedelta(days=1), None)
    # A window that probed empty holds no work a walk could find (updates move works to
    # the newest window, which the catch-up reads).
    for window in [w for w, total in plan.windows if total] + [catch_up]:
        if not await _walk_window(job, target, window):
            return False
    return await _verify(job, target, plan.windows)


async def _walk_window(
    job: CrawlJob,
    target: Target,
    window: Window,
    first: tuple[FetchResult, Record] | None = None,
    *,
    again: bool = False,
) -> bool:
    """Walk one window as a listing target of its own, from where it stands (``again``:
    from page 1, whose fetch ``first`` is), else from its probe if it is at page 1."""
    path = window.path(target.path)
    part = Target(target.kind, path, path)
    with job.db.atomic():
        frontier.add_target(job.db, part, at=utc_now())
        if again:
            frontier.restart_target(job.db, path)
        position = WalkPosition.of_target(frontier.target_row(job.db, path))
    probed = job.probed.pop(path, None)
    if first is None and position.url == path and position.pages == 0:
        first = probed
    return not job.stopping.is_set() and await job.walker.walk(part, position, first)


async def _verify(job: CrawlJob, target: Target, windows: list[tuple[Window, int]]) -> bool:
    """Probe every window with an end date again, once all are read; read again one that grew.

    Updates move works out of these windows (to the newest, which the catch-up
    reads), and a walk notices works leaving behind it (it reads pages again).
    But a work can also arrive in a window already read, or behind the walk of
    one: a chapter deleted takes its work back to the previous chapter's date, a
    work imported or posted with an old date lands among old ones. Such a window
    lists more works than its probe did: it is read again from page 1. (Equal
    numbers leaving and arriving hide each other.) One request per window, once
    per split (``verified_at``).
    """
    row = partition_store.partition_of(job.db, target.key)
    if row is None or row["verified_at"]:
        return True
    for window, total in windows:
        if window.end is None:
            continue
        result, page = await get_listing_page(job.fetcher, job.robots, window.path(target.path))
        if isinstance(page, str) or page.listing is None or page.listing.total is None:
            why = page if isinstance(page, str) else "the page shows no total"
            job.stats.failures.append((target.key, f"could not check {window.describe()}: {why}"))
            return True  # the next run checks again
        assert result is not None
        grown = page.listing.total > total
        start, end = window.bounds
        with job.db.atomic():
            frontier.log_result(job.db, result)
            if grown:
                partition_store.save_window(
                    job.db,
                    target.key,
                    start,
                    end,
                    total=page.listing.total,
                    at=utc_now(),
                    words=window.word_bounds,
                )
        job.tick()
        if grown and not await _walk_window(job, target, window, (result, page), again=True):
            return False
    with job.db.atomic():
        partition_store.set_verified(job.db, target.key, utc_now())
    return True


async def _probe(job: CrawlJob, target: Target, window: Window) -> int:
    """A window's heading total: remembered from an earlier probe, else its page 1."""
    start, end = window.bounds
    known = partition_store.window_total(job.db, target.key, start, end, window.word_bounds)
    if known is not None:
        return known
    result, page = await get_listing_page(job.fetcher, job.robots, window.path(target.path))
    if isinstance(page, str) or page.listing is None or page.listing.total is None:
        why = page if isinstance(page, str) else "the page shows no total"
        raise ProbeFailed(f"could not probe the window {window.describe()}: {why}")
    assert result is not None
    if "work_search" not in unquote(urlsplit(result.final_url).query):
        moved = urlsplit(result.final_url).path
        synonym = target.kind == "tag works"
        why = " (a synonym tag redirects to its canonical tag)" if synonym else ""
        raise FilterIgnored(
            f"{target.key}: the site answered {window.path(target.path)} with {moved}, "
            f"without the date filters{why}: crawl {moved} instead"
        )
    total = page.listing.total
    job.probed[window.path(target.path)] = (result, page)
    with job.db.atomic():
        partition_store.save_window(
            job.db, target.key, start, end, total=total, at=utc_now(), words=window.word_bounds
        )
        frontier.log_result(job.db, result)
    job.tick()
    return total


# --- refresh ---------------------------------------------------------------------------------


async def refresh_windows(job: CrawlJob, target: Target, windows: list[Window]) -> bool:
    """A refresh of a split listing: read on below the cap (:mod:`.read_on`) if the walk of
    the whole listing reached it, or if an earlier refresh was cut short doing so.

    Where it stands is kept (``refresh_from``), so a killed refresh goes on from
    there. False once the run must walk no further.
    """
    row = partition_store.partition_of(job.db, target.key)
    assert row is not None
    day = _read_on_from(job, job.walker.last.get(target.key))
    if day is None and row["refresh_from"]:
        day = dt.date.fromisoformat(row["refresh_from"])

    async def walk_part(window: Window, whole: bool) -> str:
        return await _walk_part(job, target, window, read_on=whole)

    def reached(window: Window) -> dt.date | None:
        return _read_on_from(job, job.walker.last.get(window.path(target.path)))

    def note(day: dt.date | None) -> None:
        with job.db.atomic():
            partition_store.set_refresh_from(job.db, target.key, day.isoformat() if day else None)

    return await read_below(day, windows, walk_part, reached, note)


def _read_on_from(job: CrawlJob, page: WalkedPage | None) -> dt.date | None:
    """The oldest update day on a page that ended its walk at AO3's cap, else None.

    The windows are read on below it, so its works past the cap are not out of
    reach: the walk's warning and count of them are taken back.
    """
    day = day_reached(page)
    if day is not None and page is not None:
        job.stats.unreachable -= page.unreachable
        named = f"{page.target.key}: AO3 lists "
        job.result.warnings[:] = [w for w in job.result.warnings if not w.startswith(named)]
    return day


async def _walk_part(
    job: CrawlJob, target: Target, window: Window, *, read_on: bool = False
) -> str:
    """Walk one window of a refresh from page 1 (or from where a killed refresh left it).

    ``stopped``: the run walks no further; ``known``: the walk stopped at a known page;
    ``failed``: a page could not be had (the next refresh goes on from this window);
    ``ended``: read to its end (or to the cap: its last page is in ``job.walker.last``).
    """
    path = window.path(target.path)
    part = Target(target.kind, path, path)
    with job.db.atomic():
        if frontier.add_target(job.db, part, at=utc_now())["next_url"] is None:
            frontier.restart_target(job.db, path)
        position = WalkPosition.of_target(frontier.target_row(job.db, path))
    walker = replace(job.walker, policy=ReadOn(job.walker.policy)) if read_on else job.walker
    walker.last.pop(path, None)
    if job.stopping.is_set() or not await walker.walk(part, position):
        return "stopped"
    last = walker.last.get(path)
    if last is not None and last.decision.stop:
        return "known"
    return "failed" if frontier.target_row(job.db, path)["next_url"] is not None else "ended"
