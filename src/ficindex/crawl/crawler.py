"""The crawl job: walk listings, fetch each work once, store it, and survive being stopped.

This is the library behind ``ficindex crawl`` and ``ficindex refresh``:

* :func:`run_crawl` (synchronous: takes the index lock, opens the index,
  installs Ctrl-C handling and runs :func:`crawl`);
* :func:`crawl` (the coroutine doing the work on an open index);
* :class:`ListingPolicy` decides, page by page, which works of a listing to
  fetch, which blurbs to store, and when to stop walking. The default
  :class:`CrawlPolicy` fetches every work (or, ``metadata_only``, stores the
  blurbs); ``refresh`` plugs in its own policy to stop at the first page of
  known, unchanged works.

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
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import sqlite_utils

from ficindex.clock import utc_now
from ficindex.crawl import frontier
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.fetcher import Fetcher, FetchResult, FetchStats
from ficindex.crawl.robots import Robots, load_robots
from ficindex.crawl.targets import Target, work_path
from ficindex.errors import ParseError
from ficindex.index import writable_index
from ficindex.index.store import mark_status, save_raw_page, save_record
from ficindex.parser import parse_page
from ficindex.parser.listing import PER_PAGE, unreachable_works
from ficindex.progress import CrawlStats, Progress
from ficindex.record import Listing, Record

T = TypeVar("T")

#: How many listed works may wait in the queue before the walker fetches another page.
LOOKAHEAD = 2 * PER_PAGE
#: Failures named one by one in the summary; the rest are counted (all are in ``crawl_works``).
SHOWN_FAILURES = 20
#: Exit code of a run stopped by Ctrl-C or SIGTERM (the shell's convention for SIGINT).
EXIT_INTERRUPTED = 130


@dataclass(slots=True)
class CrawlOptions:
    """What to do, as opposed to how to talk to the site (that is :class:`FetchConfig`)."""

    metadata_only: bool = False
    max_works: int | None = None  # works fetched by this run
    max_pages: int | None = None  # listing pages fetched by this run


@dataclass(slots=True)
class PageDecision:
    """What to do with one listing page.

    ``fetch``: work ids to queue (``force`` re-queues works already done);
    ``blurbs``: blurb records to store as they are; ``stop``: walk no further.
    """

    fetch: list[int] = field(default_factory=list)
    blurbs: list[Record] = field(default_factory=list)
    stop: bool = False
    force: bool = False


class ListingPolicy(Protocol):
    """Decides per listing page; may read the index (``db``) but must not write it."""

    def on_page(self, db: sqlite_utils.Database, target: Target, page: Record) -> PageDecision: ...


@dataclass(slots=True)
class CrawlPolicy:
    """``crawl``: queue every listed work, or store the blurbs with ``metadata_only``."""

    metadata_only: bool = False

    def on_page(self, db: sqlite_utils.Database, target: Target, page: Record) -> PageDecision:
        works = page.listing.works if page.listing else []
        if self.metadata_only:
            return PageDecision(blurbs=[w for w in works if w.work_id and w.kind == "work"])
        return PageDecision(fetch=[w.work_id for w in works if w.work_id and w.kind == "work"])


@dataclass(slots=True)
class CrawlResult:
    stats: CrawlStats
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return exit_code_of(self.interrupted, self.stats.failures)

    def summary(self, command: str = "crawl") -> list[str]:
        """The closing lines: totals, then each failure (the first SHOWN_FAILURES of them)."""
        s = self.stats
        counts = ", ".join(f"{n} {name}" for name, n in s.outcomes.items() if n)
        verb = "interrupted" if self.interrupted else "finished"
        lines = [
            f"{command} {verb}: {s.works} works ({counts or 'none'}), {s.blurbs} blurbs, "
            f"{s.pages} listing pages, {s.requests} requests, {s.retries} retries, "
            f"{s.throttled} x 429, {s.elapsed():.1f} s"
        ]
        return lines + problem_lines(self.interrupted, self.warnings, s.failures)


def exit_code_of(interrupted: bool, failures: Sequence[object]) -> int:
    """SPEC exit codes: 0 all done, 1 some items failed; 130 when stopped by Ctrl-C."""
    if interrupted:
        return EXIT_INTERRUPTED
    return 1 if failures else 0


def problem_lines(
    interrupted: bool, warnings: Sequence[str], failures: Sequence[tuple[str, str]]
) -> list[str]:
    """How to resume, the warnings, then each failure (the first SHOWN_FAILURES of them)."""
    lines = []
    if interrupted:
        lines.append("run the same command again to continue where this run stopped")
    lines += [f"warning: {w}" for w in warnings]
    for what, why in failures[:SHOWN_FAILURES]:
        lines.append(f"failed: {what}: {why}")
    if len(failures) > SHOWN_FAILURES:
        lines.append(
            f"... and {len(failures) - SHOWN_FAILURES} more "
            "(SELECT * FROM crawl_works WHERE state = 'failed')"
        )
    return lines


class _Run:
    """One crawl's moving parts; see :func:`crawl`."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        fetcher: Fetcher,
        robots: Robots,
        options: CrawlOptions,
        policy: ListingPolicy,
        progress: Progress,
        stopping: asyncio.Event,
        base: FetchStats,
    ) -> None:
        self.db = db
        self.base = base  # the fetcher's counts when this run began (a refresh shares it)
        self.fetcher = fetcher
        self.robots = robots
        self.options = options
        self.policy = policy
        self.progress = progress
        self.stopping = stopping
        self.result = CrawlResult(CrawlStats())
        self.in_hand: set[int] = set()
        self.started_works = 0
        self.changed = asyncio.Event()  # the queue grew, or the walker finished
        self.walker_done = False

    @property
    def stats(self) -> CrawlStats:
        return self.result.stats

    def _tick(self) -> None:
        s, f = self.stats, self.fetcher.stats
        b = self.base
        s.requests, s.retries = f.requests - b.requests, f.retries - b.retries
        s.throttled = f.throttled - b.throttled
        s.queued = frontier.queued_count(self.db)
        self.progress.update(s)

    def _budget_left(self) -> bool:
        limit = self.options.max_works
        return limit is None or self.started_works < limit

    # --- listings ---------------------------------------------------------------------------

    async def walk(self, listings: dict[str, tuple[Target, dict[str, Any]]]) -> None:
        """Walk each listing target (key -> target and its frontier row at the run's start)."""
        try:
            for target, row in listings.values():
                if self.stopping.is_set() or not await self._walk_one(target, row):
                    break
        finally:
            self.walker_done = True
            self.changed.set()

    async def _walk_one(self, target: Target, row: dict[str, Any]) -> bool:
        """Walk one listing from where it stands; False when the run's page budget is spent."""
        next_url = row["next_url"]
        last_ids = json.loads(row["last_page_ids"]) if row["last_page_ids"] else None
        pages_here = row["pages_done"]
        while next_url and not self.stopping.is_set():
            if self.options.max_pages is not None and self.stats.pages >= self.options.max_pages:
                return False
            while not self.options.metadata_only:
                if not self._budget_left():
                    return False
                if self._walker_may_go_on():
                    break
                self.changed.clear()
                await self.changed.wait()
                if self.stopping.is_set():
                    return True
            result, page = await get_listing_page(self.fetcher, self.robots, next_url)
            if isinstance(page, str):
                self.stats.failures.append((target.key, page))
                if result is not None:
                    with self.db.atomic():
                        self._log(result)
                return True
            assert result is not None and page.listing is not None
            at, listing = result.fetched_at, page.listing
            pages_here += 1
            decision = self.policy.on_page(self.db, target, page)
            step = next_page(self.fetcher, listing, last_ids, stop=decision.stop)
            if step.off_host:
                self.stats.failures.append((target.key, step.off_host))
            ids, following = step.ids, step.following
            unreachable = 0
            if following is None and not decision.stop and not step.off_host and listing.total:
                # The walk ended (no next link, or AO3 repeated a clamped page): the results
                # past this page, if its total needs more pages, are beyond AO3's cap.
                unreachable = unreachable_works(listing.total, listing.page or pages_here)
            with self.db.atomic():
                for blurb in decision.blurbs:
                    save_record(self.db, blurb, fetched_at=at)
                if decision.blurbs:
                    save_raw_page(
                        self.db,
                        url=result.final_url,
                        fetched_at=at,
                        http_status=result.status or 0,
                        body=result.body,
                        work_id=None,
                    )
                frontier.enqueue(
                    self.db, decision.fetch, target=target.key, at=at, force=decision.force
                )
                frontier.page_done(
                    self.db,
                    target.key,
                    url=_path(result.final_url),
                    page=listing.page,
                    next_url=_path(following) if following else None,
                    total=listing.total,
                    work_ids=ids,
                    unreachable=unreachable,
                    at=at,
                )
                self._log(result)
            self.stats.pages += 1
            self.stats.blurbs += len(decision.blurbs)
            if unreachable:
                self.stats.unreachable += unreachable
                self.result.warnings.append(
                    f"{target.key}: AO3 lists {listing.total:,} works but stops serving pages "
                    f"after page {listing.page or pages_here:,}; {unreachable:,} works were "
                    "unreachable (split the listing, e.g. by sub-tag or date filter, to reach them)"
                )
            last_ids, next_url = ids, following
            self.changed.set()
            self._tick()
        return True

    def _walker_may_go_on(self) -> bool:
        """Stay a couple of pages ahead of the fetchers, and stop once --max-works is covered."""
        queued = frontier.queued_count(self.db) - len(self.in_hand)
        limit = self.options.max_works
        if limit is not None and self.started_works + queued >= limit:
            return False
        return queued < max(LOOKAHEAD, 2 * self.fetcher.config.concurrency)

    # --- works ------------------------------------------------------------------------------

    async def work_loop(self) -> None:
        while not self.stopping.is_set() and self._budget_left():
            batch = frontier.next_queued(self.db, 1, skip=self.in_hand)
            if not batch:
                if self.walker_done:
                    return
                self.changed.clear()
                await self.changed.wait()
                continue
            work_id = batch[0]
            self.in_hand.add(work_id)
            self.started_works += 1
            try:
                await self._fetch_work(work_id)
            finally:
                self.in_hand.discard(work_id)
                self.changed.set()
                self._tick()

    async def _fetch_work(self, work_id: int) -> None:
        url = self.fetcher.url(work_path(work_id))
        if not self.robots.allowed(url):
            self._finish(work_id, "failed", f"robots.txt disallows {url}", None, None)
            return
        try:
            result = await self.fetcher.get(url)
        except Exception as exc:  # one work's failure is never the crawl's (see _store_work)
            self._finish(work_id, "failed", f"fetch failed: {describe(exc)}", None, None)
            return
        if result.error is not None and self.fetcher.abort.is_set():
            return  # abandoned by a second Ctrl-C: stays queued for the next run
        outcome, reason, record = await self._judge_work(work_id, result)
        self._store_work(work_id, outcome, reason, record, result)

    def _store_work(
        self,
        work_id: int,
        outcome: str,
        reason: str | None,
        record: Record | None,
        result: FetchResult,
    ) -> None:
        """Store a judged work; if storing it raises, record the work as failed instead.

        Whatever a server sends, it costs at most that work: the crawl goes on,
        and the next run retries the work rather than dying on it again. An
        index that cannot record even the failure (a full disk) ends the run.
        """
        try:
            self._finish(work_id, outcome, reason, record, result)
        except Exception as exc:
            self._finish(work_id, "failed", f"could not store it: {describe(exc)}", None, result)

    async def _judge_work(
        self, work_id: int, result: FetchResult
    ) -> tuple[str, str | None, Record | None]:
        """(outcome, failure reason, record to store) for one work's fetch."""
        if result.error is not None:
            return "failed", result.error, None
        if result.login_redirect:
            if "restricted=true" in result.final_url:
                return "restricted", None, Record(kind="restricted", work_id=work_id)
            return "hidden", None, None
        if result.status not in (200, 404):
            return "failed", f"HTTP {result.status}", None
        if "html" not in result.content_type.lower():
            kind = result.content_type or "no content type"
            return "failed", f"not an HTML page ({kind})", None
        try:
            record = await asyncio.to_thread(parse_page, result.body, result.final_url)
        except ParseError as exc:
            return "failed", f"unreadable page: {exc}", None
        except Exception as exc:
            return "failed", f"unreadable page: {describe(exc)}", None
        if record.kind in ("not_found", "restricted", "unrevealed"):
            record.work_id = work_id
            outcome = {"not_found": "deleted"}.get(record.kind, record.kind)
            return outcome, None, record
        if record.kind != "work":
            return "failed", f"got a page of kind {record.kind!r} instead of the work", None
        if record.work_id != work_id:
            return "failed", f"the page is work {record.work_id}, not {work_id}", None
        return "ok", None, record

    def _finish(
        self,
        work_id: int,
        outcome: str,
        reason: str | None,
        record: Record | None,
        result: FetchResult | None,
    ) -> None:
        at = result.fetched_at if result else utc_now()
        with self.db.atomic():
            if record is not None:
                save_record(self.db, record, fetched_at=at, work_id=work_id)
            if outcome == "hidden":
                mark_status(self.db, work_id, "hidden", at=at)
            if result is not None and result.body and outcome != "failed":
                save_raw_page(
                    self.db,
                    url=result.final_url,
                    fetched_at=at,
                    http_status=result.status or 0,
                    body=result.body,
                    work_id=work_id,
                )
            frontier.finish_work(
                self.db,
                work_id,
                outcome,
                reason=reason,
                attempts=result.attempts if result else 0,
                at=at,
            )
            if result is not None:
                self._log(result)
        self.stats.outcomes[outcome] += 1
        if outcome == "failed":
            self.stats.failures.append((f"work {work_id}", reason or "unknown reason"))

    def _log(self, result: FetchResult) -> None:
        frontier.log_fetch(
            self.db,
            url=result.final_url,
            status=result.status,
            attempts=result.attempts,
            size=len(result.body),
            error=result.error,
            at=result.fetched_at,
        )


def read_listing(result: FetchResult) -> Record | str:
    """The listing record of a fetched listing page, or why the page is not one.

    Goes through :func:`~ficindex.parser.parse_page`, so a page cut off in
    transfer (kind ``error_page``) is a failure, never a short last page.
    """
    if result.error is not None:
        return f"{result.url}: {result.error}"
    if result.status != 200:
        return f"{result.url}: HTTP {result.status}"
    try:
        page = parse_page(result.body, result.final_url)
    except ParseError as exc:
        return f"{result.url} is not a listing page ({exc})"
    except Exception as exc:
        return f"{result.url}: unreadable page ({describe(exc)})"
    if page.kind != "listing" or page.listing is None:
        return f"{result.url} is not a listing page (got a page of kind {page.kind!r})"
    return page


async def get_listing_page(
    fetcher: Fetcher, robots: Robots, url: str
) -> tuple[FetchResult | None, Record | str]:
    """Fetch one listing page if robots.txt allows: (the fetch or None, its record or why not)."""
    url = fetcher.url(url)
    if not robots.allowed(url):
        return None, f"robots.txt disallows {url}"
    try:
        result = await fetcher.get(url)
    except Exception as exc:  # whatever the server sent, it ends this listing's walk only
        return None, f"{url}: fetch failed: {describe(exc)}"
    return result, read_listing(result)


def describe(exc: Exception) -> str:
    """An unexpected exception as a failure reason: its type and message, on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass(slots=True)
class PageStep:
    """Where a listing walk goes after one page.

    ``ids``: the page's work ids; ``following``: the next page to fetch (None:
    the walk ends here); ``repeated``: the page repeats the one before (AO3
    clamps pages past its result cap to the last one); ``off_host``: why a next
    link that leaves the host was not followed.
    """

    ids: list[int]
    following: str | None
    repeated: bool = False
    off_host: str | None = None


def next_page(
    fetcher: Fetcher, listing: Listing, last_ids: list[int] | None, *, stop: bool
) -> PageStep:
    """The walk's step from one listing page (``stop``: the policy ends the walk here)."""
    ids = [w.work_id for w in listing.works if w.work_id]
    step = PageStep(ids, None if stop else listing.next_url)
    if ids and ids == last_ids:
        step.following, step.repeated = None, True  # a repeat means the end
    if step.following and not fetcher.on_host(step.following):
        step.off_host = f"next page link leaves {fetcher.config.host}: {step.following}"
        step.following = None
    return step


def _path(url: str) -> str:
    """Path and query of a URL on the configured host (the frontier stores no host)."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


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
    failures within the same run).
    """
    options = options or CrawlOptions()
    policy = policy or CrawlPolicy(metadata_only=options.metadata_only)
    progress = progress or Progress(silent=True)
    stopping = stopping or asyncio.Event()
    abort = abort or asyncio.Event()
    frontier.migrate(db)
    at = utc_now()
    with db.atomic():
        if retry_failed:
            frontier.requeue_failed(db)
        listings: dict[str, tuple[Target, dict[str, Any]]] = {}
        for target in targets:
            row = frontier.add_target(db, target, at=at)
            if target.is_listing:
                listings.setdefault(target.key, (target, row))
            if not target.is_listing:
                assert target.work_id is not None
                if frontier.work_state(db, target.work_id) is None:
                    frontier.enqueue(db, [target.work_id], target=target.key, at=at)
    async with AsyncExitStack() as stack:
        if fetcher is None:
            fetcher = await stack.enter_async_context(Fetcher(config, abort=abort))
        base = replace(fetcher.stats)
        if robots is None:
            robots = await open_robots(fetcher, progress)
        if started is not None:
            started.set()
        run = _Run(db, fetcher, robots, options, policy, progress, stopping, base)

        async def wake_on_stop() -> None:
            await stopping.wait()
            run.changed.set()

        workers = 0 if options.metadata_only else config.concurrency
        tasks = [asyncio.ensure_future(run.walk(listings))]
        tasks += [asyncio.ensure_future(run.work_loop()) for _ in range(workers)]

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
            run._tick()
            progress.update(run.stats, force=True)
            progress.clear()
    run.result.interrupted = stopping.is_set()
    return run.result


async def open_robots(fetcher: Fetcher, progress: Progress) -> Robots:
    """Read robots.txt for a run, saying so when its ``Crawl-delay`` lowered the rate."""
    robots = await load_robots(fetcher)
    if robots.slowed:
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


class _StoppedBeforeStart(Exception):
    """A stop signal came before the run's first answer: nothing to finish, stop at once."""


def run_with_stop_signals(
    progress: Progress,
    body: Callable[[asyncio.Event, asyncio.Event, asyncio.Event], Awaitable[T]],
) -> T:
    """Run ``body(stopping, abort, started)`` in a new event loop, with SIGINT/SIGTERM handling.

    Until ``body`` sets ``started`` (once robots.txt is read), the first signal
    cancels it, and this raises KeyboardInterrupt: a run still starting has no
    works in hand to finish, and waiting out a slow robots.txt would make
    Ctrl-C seem ignored. Afterwards, see :func:`with_stop_signals`.
    """
    try:
        return asyncio.run(with_stop_signals(progress, body))
    except _StoppedBeforeStart:
        raise KeyboardInterrupt from None


async def with_stop_signals(
    progress: Progress,
    body: Callable[[asyncio.Event, asyncio.Event, asyncio.Event], Awaitable[T]],
) -> T:
    """Run ``body(stopping, abort, started)`` with SIGINT/SIGTERM turned into those events.

    The first signal sets ``stopping`` (finish the works in hand, then stop);
    the second sets ``abort`` (stop at once; unfinished works stay queued).
    A signal before ``body`` sets ``started`` cancels it instead and raises
    :class:`_StoppedBeforeStart`. Crawl and refresh share this so Ctrl-C means
    the same in both.
    """
    loop = asyncio.get_running_loop()
    stopping, abort, started = asyncio.Event(), asyncio.Event(), asyncio.Event()
    task = asyncio.current_task()
    assert task is not None
    before_start = False

    def on_signal() -> None:
        nonlocal before_start
        if not started.is_set():
            before_start = True
            task.cancel()
        elif not stopping.is_set():
            stopping.set()
            progress.message(
                "stopping: finishing the works in hand (press Ctrl-C again to stop at once)"
            )
        elif not abort.is_set():
            abort.set()
            progress.message("stopping at once; unfinished works stay queued for the next run")

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        return await body(stopping, abort, started)
    except asyncio.CancelledError:
        if not before_start:
            raise
        task.uncancel()
        raise _StoppedBeforeStart from None
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
