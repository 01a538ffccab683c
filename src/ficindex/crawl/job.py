"""The bookkeeping of a crawl job: who walks, who fetches, and what each step writes.

One walker follows the listing targets (:class:`~ficindex.crawl.walk.ListingWalk`), staying
only a few pages ahead of the fetchers; ``concurrency`` workers take queued works oldest first.
Every step is one SQLite transaction, its frontier row written with the data it stands for: a
work's record, its raw page and its ``crawl_works`` row; a listing page's blurbs, the works it
queued and where the walk stands. A run killed at any moment loses at most the step in flight.

One work's failure is never the crawl's: whatever fetching, parsing or storing
a work raises is recorded as that work's failure, and the crawl goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from ficindex.clock import utc_now
from ficindex.crawl import frontier, partition_store
from ficindex.crawl.changes import WorkChanges
from ficindex.crawl.engagement import work_fetch_path
from ficindex.crawl.engagement_job import EngagementRunner
from ficindex.crawl.engagement_plan import listing_estimate
from ficindex.crawl.engagement_queue import next_work as next_engagement
from ficindex.crawl.fetcher import Fetcher, FetchResult, FetchStats
from ficindex.crawl.judge import Judgement, describe, judge_work
from ficindex.crawl.partition import cap_to_split
from ficindex.crawl.report import CrawlResult
from ficindex.crawl.robots import Robots
from ficindex.crawl.targets import Target
from ficindex.crawl.walk import (
    CrawlPolicy,
    ListingPolicy,
    ListingWalk,
    WalkedPage,
    WalkPosition,
    url_path,
)
from ficindex.crawl.windows import walk_windows
from ficindex.index.store import mark_status, save_raw_page, save_record
from ficindex.parser.listing import PER_PAGE
from ficindex.progress import CrawlStats, Progress, whole_target_estimate
from ficindex.record import Record

#: How many listed works may wait in the queue before the walker fetches another page.
LOOKAHEAD = 2 * PER_PAGE

log = logging.getLogger(__name__)


@dataclass(slots=True)
class CrawlOptions:
    """What to do, as opposed to how to talk to the site (that is :class:`FetchConfig`)."""

    metadata_only: bool = False
    max_works: int | None = None  # works fetched by this run
    max_pages: int | None = None  # listing pages fetched by this run
    #: Engagement kinds to fetch too (``--with``), beside those the targets remember.
    with_kinds: tuple[str, ...] = ()


class CrawlJob:
    """One crawl's moving parts, on an open index; :func:`~ficindex.crawl.crawler.crawl` runs it.

    ``base``: the fetcher's counts when the crawl began (refresh's passes share
    one fetcher); ``changes``: where to note what each store changed, if anyone asks.
    """

    def __init__(
        self,
        db: sqlite_utils.Database,
        fetcher: Fetcher,
        robots: Robots,
        options: CrawlOptions,
        policy: ListingPolicy,
        progress: Progress,
        stopping: asyncio.Event,
        *,
        base: FetchStats,
        changes: WorkChanges | None = None,
    ) -> None:
        self.db = db
        self.base = base
        self.fetcher = fetcher
        self.robots = robots
        self.options = options
        self.progress = progress
        self.stopping = stopping
        self.changes = changes
        self.result = CrawlResult(CrawlStats(clock=fetcher.limiter.clock))
        self.in_hand: set[int] = set()
        self.started_works = 0
        self.changed = asyncio.Event()  # the queue grew, or the walker finished
        self.walker_done = False
        self.roots: set[str] = set()  # the listings given, as opposed to their date windows
        self.totals: dict[str, int] = {}  # heading total of each listing given
        #: Page 1 of each date window probed in this run, to walk without fetching it again.
        self.probed: dict[str, tuple[FetchResult, Record]] = {}
        self.engagement = EngagementRunner(
            db, fetcher, robots, options.with_kinds, self.stats.failures, stopping, self.tick
        )
        self.walker = ListingWalk(
            fetcher, robots, db, policy, self._may_walk, self._take_page, self._listing_failed
        )

    @property
    def stats(self) -> CrawlStats:
        return self.result.stats

    def tick(self) -> None:
        """Bring the request counts and the queue length up to date, and show them."""
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

    async def walk(self, listings: list[tuple[Target, WalkPosition]]) -> None:
        """Walk each listing target from where it stands, until done or told to stop."""
        self.roots = {target.key for target, _ in listings}
        try:
            for target, position in listings:
                self._expect(target, frontier.target_row(self.db, target.key)["total"])
                if self.stopping.is_set() or not await self.walker.walk(target, position):
                    break
                if partition_store.partition_of(self.db, target.key) and not await walk_windows(
                    self, target
                ):
                    break
        finally:
            self.walker_done = True
            self.changed.set()

    def _expect(self, target: Target, total: int | None, sample: Sequence[Record] = ()) -> None:
        """Count a listing's heading total into the run's expected works, and say once what
        the whole listing costs at this run's rate (``--with``: judged from ``sample``)."""
        if total is None or target.key in self.totals:
            return
        earlier = frontier.handled_before(self.db, target.key, blurbs=self.options.metadata_only)
        self.totals[target.key] = max(total - earlier, 0)  # a resumed run counts what is left
        whole, limit = sum(self.totals.values()), self.options.max_works
        self.stats.expected = whole if limit is None else min(whole, limit)
        if not isinstance(self.walker.policy, CrawlPolicy):
            return  # a refresh reads the newest pages only: the whole listing's cost is moot
        rate, delay = self.fetcher.config.rate, self.robots.crawl_delay()
        if delay:
            rate = min(rate, 1 / delay)
        extra = listing_estimate(self.engagement.kinds_for(target.key), total, sample, rate)
        self.progress.message(
            f"{target.key}: {whole_target_estimate(total, rate, PER_PAGE)}{extra}"
        )

    async def _may_walk(self) -> bool:
        """Whether to fetch another listing page now (waiting until the fetchers need one)."""
        max_pages = self.options.max_pages
        if self.stopping.is_set() or (max_pages is not None and self.stats.pages >= max_pages):
            return False
        if self.options.metadata_only:
            return True
        while self._budget_left():
            if self._walker_may_go_on():
                return True
            self.changed.clear()
            await self.changed.wait()
            if self.stopping.is_set():
                return False
        return False

    def _walker_may_go_on(self) -> bool:
        """Stay a couple of pages ahead of the fetchers, and stop once --max-works is covered."""
        queued = frontier.queued_count(self.db) - len(self.in_hand)
        limit = self.options.max_works
        if limit is not None and self.started_works + queued >= limit:
            return False
        return queued < max(LOOKAHEAD, 2 * self.fetcher.config.concurrency)

    def _listing_failed(self, target: Target, why: str, result: FetchResult | None) -> None:
        log.info("listing %s failed: %s", target.key, why)
        self.stats.failures.append((target.key, why))
        if result is not None:
            with self.db.atomic():
                frontier.log_result(self.db, result)

    def _take_page(self, page: WalkedPage) -> bool:
        """Store one walked listing page and count it; False if it could not be stored."""
        target, step = page.target, page.step
        cap = cap_to_split(page.target, page.listing, page.number, page.result.body)
        split = cap is not None and partition_store.partition_of(self.db, target.key) is None
        if split and cap is not None and page.listing.total is not None:
            step.following = None  # the windows will list every work, this page's too
            page.decision.stop = True
            with self.db.atomic():
                partition_store.start_partition(
                    self.db, target.key, total=page.listing.total, cap=cap, on=utc_now()[:10]
                )
        if page.number == 1 and target.key in self.roots:
            self._expect(target, page.listing.total, page.listing.works)
        if step.off_host:
            self.stats.failures.append((target.key, step.off_host))
        try:
            saved = self._store_page(page)
        except Exception as exc:
            why = f"{page.result.url}: could not store the page: {describe(exc)}"
            self._listing_failed(target, why, page.result)
            return False
        for work_id, answer in saved:
            self._note(work_id, answer, "ok")
        log.debug(
            "listing page %s: %d blurbs stored, %d works to fetch",
            page.result.final_url,
            len(saved),
            len(page.decision.fetch),
        )
        self.stats.pages += 1
        self.stats.blurbs += len(saved)
        unreachable = page.unreachable
        if unreachable:
            self.stats.unreachable += unreachable
            self.result.warnings.append(
                f"{target.key}: AO3 lists {page.listing.total:,} works but stops serving pages "
                f"after page {page.number:,}; {unreachable:,} works were "
                "unreachable (split the listing, e.g. by sub-tag or date filter, to reach them)"
            )
        self.changed.set()
        self.tick()
        return True

    def _store_page(self, page: WalkedPage) -> list[tuple[int, str]]:
        """One transaction: the page's blurbs and raw bytes, the works it queued, the walk's
        new position. Returns (work id, what storing it did) for each blurb stored."""
        result, decision, listing = page.result, page.decision, page.listing
        at = result.fetched_at
        with self.db.atomic():
            saved = []
            for blurb in decision.blurbs:
                answer = self._store_blurb(blurb, at)
                if answer is not None and blurb.work_id is not None:
                    saved.append((blurb.work_id, answer))
            if decision.blurbs:
                self._keep_raw_page(result, work_id=None)
            frontier.enqueue(
                self.db, decision.fetch, target=page.target.key, at=at, force=decision.force
            )
            if not self.options.metadata_only:
                self.engagement.queue_listed(page.target.key, page.step.ids)
            following = page.step.following
            frontier.page_done(
                self.db,
                page.target.key,
                url=url_path(result.final_url),
                page=listing.page,
                next_url=url_path(following) if following else None,
                total=listing.total,
                work_ids=page.step.ids,
                unreachable=page.unreachable,
                at=at,
            )
            frontier.log_result(self.db, result)
        return saved

    def _store_blurb(self, blurb: Record, at: str) -> str | None:
        """Store one blurb in a savepoint, so that one that cannot be stored fails alone."""
        try:
            with self.db.atomic():
                return save_record(self.db, blurb, fetched_at=at)
        except Exception as exc:
            why = f"could not store its blurb: {describe(exc)}"
            self.stats.failures.append((f"work {blurb.work_id}", why))
            return None

    # --- works ------------------------------------------------------------------------------

    async def work_loop(self) -> None:
        """One fetcher: take the oldest queued work not in hand, fetch and store it; repeat.

        Engagement passes left queued (by a listing page, or an earlier run) go first.
        """
        while not self.stopping.is_set() and self._budget_left():
            engage = next_engagement(self.db, self.in_hand)
            batch = [engage] if engage else frontier.next_queued(self.db, 1, skip=self.in_hand)
            if not batch:
                if self.walker_done:
                    return
                self.changed.clear()
                await self.changed.wait()
                continue
            work_id = batch[0]
            self.in_hand.add(work_id)
            self.started_works += 0 if engage else 1
            try:
                await (self.engagement.run(work_id) if engage else self._fetch_work(work_id))
            finally:
                self.in_hand.discard(work_id)
                self.changed.set()
                self.tick()

    async def _fetch_work(self, work_id: int) -> None:
        """Fetch, judge and store one work (with comments: as comments page 1), then its
        engagement pages that are due."""
        kinds = self.engagement.kinds_of_work(work_id)
        url = self.fetcher.url(work_fetch_path(work_id, kinds))
        if not self.robots.allowed(url):
            self._finish(work_id, Judgement("failed", f"robots.txt disallows {url}"), None)
            return
        try:
            result = await self.fetcher.get(url)
        except Exception as exc:  # e.g. a body that cannot be decoded: this work's failure
            self._finish(work_id, Judgement("failed", f"fetch failed: {describe(exc)}"), None)
            return
        if result.error is not None and self.fetcher.abort.is_set():
            return  # abandoned by a second Ctrl-C: stays queued for the next run
        judgement = await judge_work(work_id, result)
        try:
            self._finish(work_id, judgement, result, kinds)
        except Exception as exc:
            # The work's transaction was rolled back. Whatever a page makes the store
            # raise, it costs that work only, and the next run retries it rather than
            # dying on it again. An index that cannot record even this ends the run.
            failed = Judgement("failed", f"could not store it: {describe(exc)}")
            self._finish(work_id, failed, result)
            return
        if kinds and judgement.outcome == "ok":
            await self.engagement.run(work_id)

    def _finish(
        self,
        work_id: int,
        judgement: Judgement,
        result: FetchResult | None,
        kinds: tuple[str, ...] = (),
    ) -> None:
        """One transaction: the work's record and raw page, its frontier row, the fetch log,
        and the engagement passes now due (with comments page 1 when it is this page)."""
        outcome = judgement.outcome
        at = result.fetched_at if result else utc_now()
        with self.db.atomic():
            answer = self._store_work(work_id, judgement, result, at)
            if kinds and outcome == "ok" and judgement.record and result:
                self.engagement.on_work(work_id, kinds, judgement.record, result)
            frontier.finish_work(
                self.db,
                work_id,
                outcome,
                reason=judgement.reason,
                attempts=result.attempts if result else 0,
                at=at,
            )
            if result is not None:
                frontier.log_result(self.db, result)
        self.stats.outcomes[outcome] += 1
        if outcome == "failed":
            why = judgement.reason or "unknown reason"
            log.info("work %d failed: %s", work_id, why)
            self.stats.failures.append((f"work {work_id}", why))
        else:
            log.debug("work %d: %s", work_id, outcome)
        if self.changes is not None:
            self.changes.fetched(work_id, outcome)
        if answer is not None:
            self._note(work_id, answer, outcome)

    def _store_work(
        self, work_id: int, judgement: Judgement, result: FetchResult | None, at: str
    ) -> str | None:
        """Store what the fetch gave; returns what the store did (None: nothing stored)."""
        answer = None
        if judgement.record is not None:
            answer = save_record(self.db, judgement.record, fetched_at=at, work_id=work_id)
        if judgement.outcome == "hidden":
            answer = mark_status(self.db, work_id, "hidden", at=at)
        if result is not None and result.body and judgement.outcome != "failed":
            self._keep_raw_page(result, work_id=work_id)
        return answer

    def _keep_raw_page(self, result: FetchResult, *, work_id: int | None) -> None:
        """The fetched page's bytes in ``raw_pages``, so ``reparse`` needs no network."""
        save_raw_page(
            self.db,
            url=result.final_url,
            fetched_at=result.fetched_at,
            http_status=result.status or 0,
            body=result.body,
            work_id=work_id,
            content_type=result.content_type or None,
        )

    def _note(self, work_id: int, answer: str, status: str) -> None:
        if self.changes is not None:
            self.changes.saved(work_id, answer, status)
