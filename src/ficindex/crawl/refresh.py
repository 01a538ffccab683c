"""Refresh: keep an index current at the cost of a few requests, for a nightly cron job.

AO3's tag, user and collection listings show the most recently updated works
first. So a refresh re-walks every listing target saved by earlier crawls from
page 1 and stops at the first page whose works are all known and unchanged
(same update date and chapter count); everything below it is older and was
seen before. On the pages it walks:

* a new work, a work whose date or chapter count moved, or a work listed again
  after it was deleted or locked, is fetched in full (one request);
* a known, unchanged work whose counters moved (kudos, hits, comments,
  bookmarks) has its blurb stored: the index's merge rule updates the counters
  and adds a ``stats_history`` row, without fetching the work.

Works of a target crawled ``--with`` engagement kinds (or a refresh given
``with_kinds``) also get those pages again, but only when the work's kudos,
comments or bookmarks count moved since the last complete fetch, and only the
pages that can have changed (:mod:`~ficindex.crawl.engagement_job`).

Then, with ``older_than``, works whose last full fetch is older than that are
re-fetched oldest first (a second pass, so the budget of ``max_works`` goes to
the listings first); ``everything`` walks every listing to its end and
re-fetches every work of the index. A re-fetch that answers 404 marks the work
``deleted``, a login redirect ``restricted``, keeping every stored value.

Listings sorted otherwise (series pages, a listing with an explicit
``sort_column``, search results) cannot be cut short and are walked to the end.

All the bookkeeping is the crawler's frontier (:mod:`ficindex.crawl.frontier`):
a refresh is a crawl with :class:`~ficindex.crawl.refresh_policy.RefreshPolicy`.
A walk cut short by Ctrl-C, ``kill -9`` or ``max_pages`` continues from where
it stopped on the next run, works queued and not fetched are fetched then, so
a killed refresh resumes like a crawl.

What it counts (new, updated, unchanged, deleted, restricted) is what the
index's store answered for each work it wrote, gathered over both passes
(:class:`~ficindex.crawl.changes.WorkChanges`): a fetch that stores the same
page again changed nothing, a blurb whose kudos rose did.

:func:`~ficindex.crawl.refresh_plan.plan_refresh` is the dry run: it reads the
same listing pages (it has to, to know what changed) but writes nothing, and
says what a refresh would fetch.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field

import sqlite_utils

from ficindex.clock import utc_now
from ficindex.crawl import frontier
from ficindex.crawl.changes import WorkChanges
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, crawl, open_robots
from ficindex.crawl.fetcher import Fetcher
from ficindex.crawl.refresh_plan import RefreshPlan, plan_refresh, run_plan
from ficindex.crawl.refresh_policy import (
    RefreshOptions,
    RefreshPolicy,
    due_before,
    due_works,
    judge,
    newest_first,
    parse_age,
    saved_targets,
)
from ficindex.crawl.report import CrawlResult, exit_code_of, problem_lines
from ficindex.crawl.robots import Robots
from ficindex.crawl.signals import run_with_stop_signals
from ficindex.crawl.targets import Target
from ficindex.index import writable_index
from ficindex.progress import Progress
from ficindex.wording import plural

__all__ = [
    "RefreshOptions",
    "RefreshPlan",
    "RefreshResult",
    "judge",
    "newest_first",
    "parse_age",
    "plan_refresh",
    "refresh",
    "run_plan",
    "run_refresh",
]

#: The summary's counts, in order.
SUMMARY_COUNTS = ("new", "updated", "unchanged", "deleted", "restricted", "failed")


@dataclass(slots=True)
class RefreshResult:
    """What one refresh did: its passes (crawls), the works it changed, and its cost."""

    passes: list[CrawlResult] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    listing_targets: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    requests: int = 0  # every request of the run: robots.txt (once), both passes, retries

    @property
    def pages(self) -> int:
        return sum(p.stats.pages for p in self.passes)

    @property
    def failures(self) -> list[tuple[str, str]]:
        return [f for p in self.passes for f in p.stats.failures]

    @property
    def exit_code(self) -> int:
        return exit_code_of(self.interrupted, self.failures)

    def summary(self) -> str:
        """The one line a cron job leaves: counts, listing pages, requests, duration."""
        verb = "interrupted" if self.interrupted else "finished"
        counts = ", ".join(f"{self.counts[name]} {name}" for name in SUMMARY_COUNTS)
        return (
            f"refresh {verb}: {counts}; {plural(self.pages, 'listing page')}, "
            f"{plural(self.requests, 'request')}, "
            f"{self.seconds:.1f} s"
        )

    def problems(self) -> list[str]:
        """Lines a person should read even from cron: warnings, failures, how to resume."""
        warnings = [w for p in self.passes for w in p.warnings]
        if not self.listing_targets:
            warnings.insert(
                0,
                "no listing targets in this index: refresh re-walks the listings of "
                "earlier crawls (ficindex crawl DB LISTING_URL)",
            )
        return problem_lines(self.interrupted, warnings, self.failures)


async def refresh(
    db: sqlite_utils.Database,
    config: FetchConfig,
    options: RefreshOptions,
    *,
    progress: Progress | None = None,
    stopping: asyncio.Event | None = None,
    abort: asyncio.Event | None = None,
    started: asyncio.Event | None = None,
) -> RefreshResult:
    """Refresh the open index ``db`` (the caller holds the index lock).

    ``stopping``, ``abort`` and ``started`` mean what they do for :func:`crawl`.
    """
    clock = time.monotonic()
    run = _Refresh(
        db,
        config,
        options,
        progress or Progress(silent=True),
        stopping or asyncio.Event(),
        abort or asyncio.Event(),
    )
    frontier.migrate(db)
    targets = saved_targets(db)
    with db.atomic():
        for target, next_url in targets:
            if next_url is None:  # walked to its end last time: start again at page 1
                frontier.restart_target(db, target.key)
            if options.with_kinds:  # remembered: later refreshes keep them without --with
                frontier.add_target(
                    db, target, at=utc_now(), engagement=",".join(options.with_kinds)
                )
    result = RefreshResult(listing_targets=len(targets))
    # One client, rate limiter (slowed by any 429) and robots.txt for both passes.
    async with Fetcher(config, abort=run.abort) as fetcher:
        try:
            robots = await open_robots(fetcher, run.progress)
            if started is not None:
                started.set()
            result.passes = await run.passes(fetcher, robots, [t for t, _ in targets])
        finally:
            result.requests = fetcher.stats.requests
    result.interrupted = run.stopping.is_set()
    _count(run.changes, run.policy, result)
    result.seconds = time.monotonic() - clock
    return result


@dataclass(slots=True)
class _Refresh:
    """One refresh's settings and what its passes share."""

    db: sqlite_utils.Database
    config: FetchConfig
    options: RefreshOptions
    progress: Progress
    stopping: asyncio.Event
    abort: asyncio.Event
    started_at: str = field(default_factory=utc_now)
    changes: WorkChanges = field(default_factory=WorkChanges)
    policy: RefreshPolicy = field(init=False)

    def __post_init__(self) -> None:
        self.policy = RefreshPolicy(
            metadata_only=self.options.metadata_only, everything=self.options.everything
        )

    async def passes(
        self, fetcher: Fetcher, robots: Robots, targets: list[Target]
    ) -> list[CrawlResult]:
        """The listings first (within ``max_works``), then the works due for their age."""
        options = self.options
        crawl_options = CrawlOptions(
            metadata_only=options.metadata_only,
            max_works=options.max_works,
            max_pages=options.max_pages,
            with_kinds=options.with_kinds,
        )
        first = await self._crawl(fetcher, robots, targets, crawl_options, policy=self.policy)
        left = None if options.max_works is None else options.max_works - first.stats.works
        before = due_before(options, self.started_at)
        if not before or self.stopping.is_set() or (left is not None and left <= 0):
            return [first]
        due = due_works(self.db, before, never_fetched=options.everything, limit=left)
        if not due:
            return [first]
        with self.db.atomic():
            frontier.enqueue(self.db, [w for w, _ in due], target=None, at=utc_now(), force=True)
        second_options = CrawlOptions(max_works=left, with_kinds=options.with_kinds)
        second = await self._crawl(fetcher, robots, [], second_options, retry_failed=False)
        return [first, second]

    async def _crawl(
        self,
        fetcher: Fetcher,
        robots: Robots,
        targets: list[Target],
        options: CrawlOptions,
        *,
        policy: RefreshPolicy | None = None,
        retry_failed: bool = True,
    ) -> CrawlResult:
        return await crawl(
            self.db,
            targets,
            self.config,
            options,
            policy=policy,
            progress=self.progress,
            stopping=self.stopping,
            abort=self.abort,
            retry_failed=retry_failed,
            fetcher=fetcher,
            robots=robots,
            changes=self.changes,
        )


def _count(changes: WorkChanges, policy: RefreshPolicy, result: RefreshResult) -> None:
    """The summary's counts: each work once, by what the run's stores did to it."""
    verdicts = changes.verdicts()
    result.counts.update(verdicts.values())
    listed_or_fetched = policy.seen | changes.fetched_works
    result.counts["unchanged"] = len(listed_or_fetched - verdicts.keys() - changes.failed_works)
    result.counts["failed"] = len(result.failures)


def run_refresh(
    db_path: str | os.PathLike[str],
    config: FetchConfig,
    options: RefreshOptions,
    *,
    progress: Progress | None = None,
) -> RefreshResult:
    """Hold the index's writer lock (exit 3 if taken), open it and refresh with Ctrl-C handling.

    The first SIGINT/SIGTERM finishes the works in hand; the second abandons
    them (they stay queued for the next run). One before robots.txt has been
    read raises KeyboardInterrupt at once.
    """
    progress = progress or Progress(silent=True)
    with writable_index(db_path, create=False) as db:
        return run_with_stop_signals(
            progress,
            lambda stopping, abort, started: refresh(
                db,
                config,
                options,
                progress=progress,
                stopping=stopping,
                abort=abort,
                started=started,
            ),
        )
