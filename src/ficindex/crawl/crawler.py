"""The crawl job: walk listings, fetch each work once, store it, and survive being stopped.

This is the library behind ``ficindex crawl`` and ``ficindex refresh``:

* :func:`run_crawl` (synchronous: takes the index lock, opens the index,
  installs Ctrl-C handling and runs :func:`crawl`);
* :func:`crawl` (the coroutine doing the work on an open index);
* a :class:`~ficindex.crawl.walk.ListingPolicy` decides, page by page, which
  works of a listing to fetch, which blurbs to store, and when to stop
  walking. The default :class:`~ficindex.crawl.walk.CrawlPolicy` fetches every
  work (or, ``metadata_only``, stores the blurbs); ``refresh`` plugs in its own
  policy to stop at the first page of known, unchanged works.

The parts, one seam each: :mod:`.walk` (a listing's walk, shared with
refresh's dry run), :mod:`.judge` (what a fetched work's answer means),
:mod:`.job` (the walker, the fetchers and what each step writes),
:mod:`.engagement_job` (a work's kudos, comment and bookmark pages, with
``with_kinds``), :mod:`.report` (summary and exit code), :mod:`.signals` (Ctrl-C).

How a run goes: every TARGET is registered in the frontier; work targets are
queued; one walker follows each listing target's next links (resuming where an
earlier run stopped) and queues the works it finds, staying only a few pages
ahead of the fetchers; ``concurrency`` workers take queued works oldest first
and fetch each with ``view_full_work=true&view_adult=true``. Every step (a
work's record, its raw page and its frontier row; a listing page and the works
it queued) is one SQLite transaction, so a run killed at any moment loses at
most the step in flight, and running the same command again continues.
Works left queued by an earlier, interrupted run on the same index are
finished too.

Ctrl-C (or SIGTERM) stops taking new work, finishes the works in hand and
returns ``interrupted``; a second Ctrl-C abandons them (they stay queued).
Before robots.txt has been read there is nothing to finish: Ctrl-C then
stops the run at once (KeyboardInterrupt).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import replace

import sqlite_utils

from ficindex.clock import utc_now
from ficindex.crawl import engagement_queue, frontier
from ficindex.crawl.changes import WorkChanges
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.fetcher import Fetcher
from ficindex.crawl.job import CrawlJob, CrawlOptions
from ficindex.crawl.judge import describe
from ficindex.crawl.reach import check_reachable
from ficindex.crawl.report import CrawlResult
from ficindex.crawl.robots import Robots, load_robots
from ficindex.crawl.signals import run_with_stop_signals
from ficindex.crawl.targets import Target
from ficindex.crawl.walk import CrawlPolicy, ListingPolicy, WalkPosition
from ficindex.errors import CannotStart, FicindexError
from ficindex.index import writable_index
from ficindex.progress import Progress

__all__ = ["CrawlOptions", "CrawlResult", "crawl", "open_robots", "run_crawl"]

log = logging.getLogger(__name__)


async def crawl(
    db: sqlite_utils.Database,
    targets: Sequence[Target],
    config: FetchConfig,
    options: CrawlOptions | None = None,
    *,
    policy: ListingPolicy | None = None,
    progress: Progress | None = None,
    stopping: asyncio.Event | None = None,
    abort: asyncio.Event | None = None,
    started: asyncio.Event | None = None,
    retry_failed: bool = True,
    fetcher: Fetcher | None = None,
    robots: Robots | None = None,
    changes: WorkChanges | None = None,
) -> CrawlResult:
    """Crawl ``targets`` into the open index ``db`` and return what happened.

    ``fetcher`` (open) and ``robots``: share one client, rate limiter and
    robots.txt between several crawls of one run (refresh's two passes); by
    default the crawl opens its own and reads robots.txt.

    ``stopping`` set: take no new work, finish what is in hand. ``abort`` set:
    stop retrying at once (in-hand works stay queued). ``started`` is set once
    robots.txt has been read (the run's first request). Works already queued in
    the frontier (by earlier runs, or by the caller, e.g. refresh's
    ``--older-than``) are fetched too. ``retry_failed=False`` leaves works that
    failed earlier alone (refresh's second pass must not retry its first pass's
    failures within the same run). ``changes``: note there what every store did.
    """
    options = options or CrawlOptions()
    policy = policy or CrawlPolicy(metadata_only=options.metadata_only)
    progress = progress or Progress(silent=True)
    stopping = stopping or asyncio.Event()
    abort = abort or asyncio.Event()
    listings = register_targets(
        db, targets, retry_failed=retry_failed, with_kinds=options.with_kinds
    )
    log.debug("crawl of %d targets (%d listings) begins", len(targets), len(listings))
    async with AsyncExitStack() as stack:
        if fetcher is None:
            fetcher = await stack.enter_async_context(Fetcher(config, abort=abort))
        base = replace(fetcher.stats)
        if robots is None:
            robots = await open_robots(fetcher, progress)
        if started is not None:
            started.set()
        job = CrawlJob(
            db, fetcher, robots, options, policy, progress, stopping, base=base, changes=changes
        )
        workers = 0 if options.metadata_only else config.concurrency
        try:
            await _run(job, listings, workers, stopping, abort)
        finally:
            job.tick()
            progress.update(job.stats, force=True)
            progress.clear()
    job.result.interrupted = stopping.is_set()
    log.debug("crawl %s", "interrupted" if job.result.interrupted else "finished")
    return job.result


def register_targets(
    db: sqlite_utils.Database,
    targets: Sequence[Target],
    *,
    retry_failed: bool,
    with_kinds: Sequence[str] = (),
) -> list[tuple[Target, WalkPosition]]:
    """Register every TARGET in the frontier and queue the works; the listings to walk.

    Each listing comes with where its walk stands (earlier runs included).
    ``with_kinds`` are remembered with each target; a work target already
    fetched gets the engagement passes its stored stats make due.
    """
    frontier.migrate(db)
    at = utc_now()
    listings: dict[str, tuple[Target, WalkPosition]] = {}
    engagement = ",".join(with_kinds)
    with db.atomic():
        if retry_failed:
            frontier.requeue_failed(db)
            engagement_queue.requeue_failed(db)
        for target in targets:
            row = frontier.add_target(db, target, at=at, engagement=engagement)
            if target.is_listing:
                listings.setdefault(target.key, (target, WalkPosition.of_target(row)))
            elif target.work_id is not None and frontier.work_state(db, target.work_id) is None:
                frontier.enqueue(db, [target.work_id], target=target.key, at=at)
            elif target.work_id is not None and with_kinds:
                _queue_engagement(db, target.work_id, tuple(with_kinds))
    return list(listings.values())


def _queue_engagement(db: sqlite_utils.Database, work_id: int, kinds: tuple[str, ...]) -> None:
    """The passes due for a work fetched by an earlier run (its stats as stored)."""
    stats = engagement_queue.counters(db, work_id)
    if stats is not None and stats["status"] == "ok":
        for kind, mode, counter in engagement_queue.due(db, work_id, kinds, stats):
            engagement_queue.queue(db, work_id, kind, mode=mode, counter=counter, at=utc_now())


async def _run(
    job: CrawlJob,
    listings: list[tuple[Target, WalkPosition]],
    workers: int,
    stopping: asyncio.Event,
    abort: asyncio.Event,
) -> None:
    """The walker and the fetchers, until all are done; ``abort`` cancels them at once."""
    tasks = [asyncio.ensure_future(job.walk(listings))]
    tasks += [asyncio.ensure_future(job.work_loop()) for _ in range(workers)]

    async def wake_on_stop() -> None:
        await stopping.wait()
        job.changed.set()

    async def cancel_on_abort() -> None:
        await abort.wait()
        for task in tasks:
            task.cancel()

    watchers = [asyncio.ensure_future(wake_on_stop()), asyncio.ensure_future(cancel_on_abort())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error  # a bug, not a network problem: let it show
    finally:
        for task in (*watchers, *tasks):
            task.cancel()
        # Let every task unwind before the client closes (and report nothing twice).
        await asyncio.gather(*watchers, *tasks, return_exceptions=True)


async def open_robots(fetcher: Fetcher, progress: Progress) -> Robots:
    """Read robots.txt for a run, saying so when its ``Crawl-delay`` lowered the rate.

    First, whether the host can be reached at all (:mod:`.reach`): an offline
    machine learns so in seconds, with the cause, not after a minute of retries.
    A robots.txt whose fetch or reading raises (a corrupt body, say) means the
    run cannot start (exit 3, one line), as one that cannot be fetched does.
    """
    await check_reachable(fetcher.config.base_url)
    try:
        robots = await load_robots(fetcher)
    except FicindexError:
        raise
    except Exception as exc:
        raise CannotStart(
            f"could not read {fetcher.config.base_url}/robots.txt ({describe(exc)}); "
            "the site may be misbehaving: try again later"
        ) from exc
    if robots.warning is not None:  # an absurd Crawl-delay, capped: say what is obeyed
        progress.message(f"Warning: {robots.warning}")
    elif robots.slowed:
        delay = robots.crawl_delay()
        progress.message(f"robots.txt asks for a crawl delay of {delay:g} s: rate lowered")
    return robots


def run_crawl(
    db_path: str | os.PathLike[str],
    targets: Sequence[Target],
    config: FetchConfig,
    options: CrawlOptions | None = None,
    *,
    policy: ListingPolicy | None = None,
    progress: Progress | None = None,
) -> CrawlResult:
    """Hold the index lock, open the index and run :func:`crawl` with Ctrl-C handling.

    The first SIGINT/SIGTERM asks the run to finish the works in hand; the
    second abandons them at once (they stay queued for the next run). One
    before robots.txt has been read raises KeyboardInterrupt at once.
    """
    progress = progress or Progress(silent=True)
    if not os.path.exists(db_path):
        # A first run that cannot reach the site must not leave an empty index behind.
        asyncio.run(check_reachable(config.base_url))
    with writable_index(db_path) as db:
        return run_with_stop_signals(
            progress,
            lambda stopping, abort, started: crawl(
                db,
                targets,
                config,
                options,
                policy=policy,
                progress=progress,
                stopping=stopping,
                abort=abort,
                started=started,
            ),
        )
