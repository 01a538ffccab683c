"""Walking a listing split past AO3's cap: its date windows, then the catch-up window.

The split itself (which windows) is :mod:`ficindex.crawl.partition`; this is
the crawl's side: probes go through the crawl's fetcher and are kept in the
frontier, and each window is walked by the crawl's own walker as a listing
target of its own, so it resumes like any listing.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from ficindex.clock import utc_now
from ficindex.crawl import frontier
from ficindex.crawl.partition import FilterIgnored, Window, plan_windows
from ficindex.crawl.targets import Target
from ficindex.crawl.walk import WalkPosition, get_listing_page

if TYPE_CHECKING:
    from ficindex.crawl.job import CrawlJob


class ProbeFailed(Exception):
    """A window's page 1 could not be had (after the fetcher's retries) or shows no total."""


async def walk_windows(job: CrawlJob, target: Target) -> bool:
    """Walk a capped listing window by window, then the catch-up window.

    False once the run must walk no further (stopped, or out of budget).
    """
    row = frontier.partition_of(job.db, target.key)
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
    catch_up = Window(started - dt.timedelta(days=1), None)
    # A window that probed empty holds no work a walk could find (updates move works to
    # the newest window, which the catch-up reads).
    for window in [w for w, total in plan.windows if total] + [catch_up]:
        path = window.path(target.path)
        part = Target(target.kind, path, path)
        with job.db.atomic():
            position = WalkPosition.of_target(frontier.add_target(job.db, part, at=utc_now()))
        probed = job.probed.pop(path, None)
        first = probed if position.url == path and position.pages == 0 else None
        if job.stopping.is_set() or not await job.walker.walk(part, position, first):
            return False
    return True


async def _probe(job: CrawlJob, target: Target, window: Window) -> int:
    """A window's heading total: remembered from an earlier probe, else its page 1."""
    start, end = window.bounds
    known = frontier.window_total(job.db, target.key, start, end, window.word_bounds)
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
        frontier.save_window(
            job.db, target.key, start, end, total=total, at=utc_now(), words=window.word_bounds
        )
        frontier.log_result(job.db, result)
    job.tick()
    return total
