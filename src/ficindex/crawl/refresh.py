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

Then, with ``older_than``, works whose last full fetch is older than that are
re-fetched oldest first (a second pass, so the budget of ``max_works`` goes to
the listings first); ``everything`` walks every listing to its end and
re-fetches every work of the index. A re-fetch that answers 404 marks the work
``deleted``, a login redirect ``restricted``, keeping every stored value.

Listings sorted otherwise (series pages, a listing with an explicit
``sort_column``, search results) cannot be cut short and are walked to the end.

All the bookkeeping is the crawler's frontier (:mod:`ficindex.crawl.frontier`):
a refresh is a crawl with :class:`RefreshPolicy`. A walk cut short by Ctrl-C,
``kill -9`` or ``max_pages`` continues from where it stopped on the next run,
works queued and not fetched are fetched then, so a killed refresh resumes
like a crawl.

:func:`plan_refresh` is the dry run: it reads the same listing pages (it has to,
to know what changed) but writes nothing, and says what a refresh would fetch.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import sqlite_utils

from ficindex.clock import utc_iso, utc_now
from ficindex.crawl import frontier
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import (
    CrawlOptions,
    CrawlResult,
    PageDecision,
    crawl,
    exit_code_of,
    get_listing_page,
    next_page,
    open_robots,
    problem_lines,
    run_with_stop_signals,
)
from ficindex.crawl.fetcher import Fetcher
from ficindex.crawl.robots import load_robots
from ficindex.crawl.targets import Target
from ficindex.errors import BadInput
from ficindex.index import readable_index, writable_index
from ficindex.index.store import CONTENT_COLUMNS
from ficindex.progress import Progress
from ficindex.record import COUNTER_FIELDS, Record

_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

#: When a work was last looked at in full: its last full fetch, or, for a work that
#: was deleted or locked at the last look, that look (no full page could be had).
_LAST_LOOK = "CASE WHEN status = 'ok' THEN last_full_fetch ELSE last_fetched END"


def parse_age(text: str) -> timedelta:
    """``7d`` -> 7 days; units s, m, h, d, w. Anything else is bad input (exit 2)."""
    match = _AGE.fullmatch(text.strip().lower())
    if not match:
        raise BadInput(
            f"--older-than {text!r} is not an age: give a number and a unit "
            "(s, m, h, d or w), e.g. 7d or 12h"
        )
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


@dataclass(slots=True)
class RefreshOptions:
    """What a refresh does beyond walking the listings."""

    older_than: timedelta | None = None
    everything: bool = False  # --all
    metadata_only: bool = False  # store blurbs, never fetch works
    max_works: int | None = None
    max_pages: int | None = None


# --- judging a listing page ---------------------------------------------------------------


def newest_first(target: Target) -> bool:
    """Whether a listing shows the most recently changed works first, so a walk may stop early.

    AO3 sorts works listings by ``revised_at`` and bookmark listings by
    bookmark date, newest first, unless the URL asks for another order; series
    pages go by part number and searches by relevance.
    """
    query = {k: v for k, v in parse_qsl(urlsplit(target.key).query)}
    column = next((v for k, v in query.items() if k.endswith("[sort_column]")), None)
    direction = next((v for k, v in query.items() if k.endswith("[sort_direction]")), "desc")
    if direction.lower() == "asc" or target.kind == "series":
        return False
    if target.kind == "bookmarks":
        return column in (None, "created_at", "bookmarkable_date")
    if target.kind == "search results":
        return column == "revised_at"
    return column in (None, "revised_at")


def judge(blurb: Record, row: dict[str, Any] | None) -> str:
    """A listed work against the index: ``new``, ``changed``, ``counters`` or ``same``.

    ``changed`` (fetch it): not in the index as a visible work, another chapter
    count, or another date. A blurb's date is AO3's revision date, which moves
    when a one-chapter work is edited although its page shows only the
    publication date; a date older than the day of the last full fetch was
    therefore seen by that fetch, and is not a change (else such a work would
    be fetched, and stop no walk, on every run).
    """
    if row is None:
        return "new"
    if row["status"] != "ok":
        return "changed"  # listed again after a 404 or a login wall: it came back
    if blurb.chapters_posted is not None and blurb.chapters_posted != row["chapters_posted"]:
        return "changed"
    if blurb.updated and blurb.updated != row["updated"]:
        last_full = row["last_full_fetch"]
        if last_full is None or blurb.updated >= last_full[:10]:
            return "changed"
    for name in COUNTER_FIELDS:
        value = getattr(blurb, name)
        if value is not None and value != row[name]:
            return "counters"
    return "same"


def _stored(db: sqlite_utils.Database, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    columns = ", ".join(COUNTER_FIELDS)
    marks = ", ".join("?" * len(ids))
    rows = db.query(
        f"SELECT id, status, updated, last_full_fetch, {columns} FROM works WHERE id IN ({marks})",
        ids,
    )
    return {row["id"]: row for row in rows}


@dataclass(slots=True)
class RefreshPolicy:
    """The crawler's :class:`~ficindex.crawl.crawler.ListingPolicy` for a refresh.

    Also remembers every work id it saw listed (``seen``) and what it decided
    to fetch and why (``planned``), for the summary and the dry run.
    """

    metadata_only: bool = False
    everything: bool = False
    seen: set[int] = field(default_factory=set)
    planned: dict[int, str] = field(default_factory=dict)
    blurbs: int = 0

    def on_page(self, db: sqlite_utils.Database, target: Target, page: Record) -> PageDecision:
        listed = page.listing.works if page.listing else []
        works = [w for w in listed if w.work_id and w.kind == "work"]
        stored = _stored(db, [w.work_id for w in works if w.work_id])
        decision = PageDecision(force=True)  # a changed work was fetched before: fetch it again
        quiet = bool(works)
        for blurb in works:
            work_id = blurb.work_id
            assert work_id is not None
            self.seen.add(work_id)
            verdict = judge(blurb, stored.get(work_id))
            if verdict in ("new", "changed"):
                quiet = False
                self.planned.setdefault(work_id, verdict)
            if verdict in ("new", "changed") and not self.metadata_only:
                decision.fetch.append(work_id)
            elif verdict != "same":
                decision.blurbs.append(blurb)
        self.blurbs += len(decision.blurbs)
        decision.stop = quiet and not self.everything and newest_first(target)
        return decision


# --- what to walk and what to re-fetch ----------------------------------------------------


def saved_targets(db: sqlite_utils.Database) -> list[tuple[Target, str | None]]:
    """Every listing target of earlier crawls, with where its walk stands (None: finished)."""
    if "crawl_targets" not in db.table_names():
        return []
    return [
        (Target(row["kind"], row["key"], row["url"]), row["next_url"])
        for row in frontier.listing_targets(db)
    ]


def due_before(options: RefreshOptions, started_at: str) -> str | None:
    """The cutoff of the re-fetch pass: works last looked at before it are due."""
    if options.metadata_only:
        return None
    if options.everything:
        return started_at
    if options.older_than is not None:
        return utc_iso(datetime.fromisoformat(started_at) - options.older_than)
    return None


def due_works(
    db: sqlite_utils.Database,
    before: str,
    *,
    never_fetched: bool,
    limit: int | None,
    skip: set[int] | None = None,
) -> list[tuple[int, str | None]]:
    """(work id, last look) of works last looked at before ``before``, oldest first.

    ``never_fetched`` adds works known only from listing blurbs (``--all``).
    """
    where = f"{_LAST_LOOK} < ?" + (f" OR {_LAST_LOOK} IS NULL" if never_fetched else "")
    rows = db.execute(
        f"SELECT id, {_LAST_LOOK} FROM works WHERE {where} ORDER BY {_LAST_LOOK}, id", [before]
    )
    due: list[tuple[int, str | None]] = []
    for work_id, last in rows:
        if skip and work_id in skip:
            continue
        if limit is not None and len(due) >= limit:
            break
        due.append((work_id, last))
    return due


# --- counting what changed ----------------------------------------------------------------


class ChangeTracker:
    """Notes which works a run really changed, whichever code path wrote them.

    TEMP triggers (this connection only, gone when it closes) log every insert
    into ``works``, every change of a content column or of ``status``, and
    every chapter written, and every fetch the frontier closes (done or
    failed). Counting at the data is exact where counting the
    crawler's outcomes could not be: a fetch that stores the same page again
    changes nothing, a blurb whose kudos rose does.
    """

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        differs = " OR ".join(f"old.[{c}] IS NOT new.[{c}]" for c in CONTENT_COLUMNS)
        status = "CASE new.status WHEN 'ok' THEN 'updated' ELSE 'status:' || new.status END"
        for sql in (
            "DROP TABLE IF EXISTS temp.refresh_changes",
            "CREATE TEMP TABLE refresh_changes (work INTEGER NOT NULL, what TEXT NOT NULL)",
            "CREATE TEMP TRIGGER IF NOT EXISTS refresh_work_new AFTER INSERT ON main.works "
            "BEGIN INSERT INTO refresh_changes VALUES (new.id, CASE new.status WHEN 'ok' "
            "THEN 'new' ELSE 'status:' || new.status END); END",
            "CREATE TEMP TRIGGER IF NOT EXISTS refresh_work_status AFTER UPDATE ON main.works "
            f"WHEN old.status IS NOT new.status BEGIN INSERT INTO refresh_changes "
            f"VALUES (new.id, {status}); END",
            "CREATE TEMP TRIGGER IF NOT EXISTS refresh_work_content AFTER UPDATE ON main.works "
            f"WHEN {differs} BEGIN INSERT INTO refresh_changes VALUES (new.id, 'updated'); END",
            "CREATE TEMP TRIGGER IF NOT EXISTS refresh_chapter_new AFTER INSERT ON main.chapters "
            "BEGIN INSERT INTO refresh_changes VALUES (new.work, 'updated'); END",
            "CREATE TEMP TRIGGER IF NOT EXISTS refresh_chapter_edit AFTER UPDATE ON main.chapters "
            "BEGIN INSERT INTO refresh_changes VALUES (new.work, 'updated'); END",
            "CREATE TEMP TRIGGER IF NOT EXISTS refresh_fetched AFTER UPDATE ON main.crawl_works "
            "WHEN new.state != 'queued' BEGIN INSERT INTO refresh_changes "
            "VALUES (new.work_id, 'fetch:' || new.state); END",
        ):
            db.execute(sql)

    def changes(self) -> dict[int, str]:
        """Work id -> ``new``, ``updated``, ``deleted`` or ``restricted`` (any login wall)."""
        notes: dict[int, list[str]] = {}
        for work_id, what in self.db.execute(
            "SELECT work, what FROM temp.refresh_changes ORDER BY rowid"
        ):
            notes.setdefault(work_id, []).append(what)
        result = {}
        for work_id, all_whats in notes.items():
            whats = [w for w in all_whats if not w.startswith("fetch:")]
            if not whats:
                continue
            statuses = [w for w in whats if w.startswith("status:") or w == "updated"]
            last = statuses[-1] if statuses else "updated"
            if "new" in whats and not last.startswith("status:"):
                result[work_id] = "new"
            elif last == "status:deleted":
                result[work_id] = "deleted"
            elif last.startswith("status:"):
                result[work_id] = "restricted"
            else:
                result[work_id] = "updated"
        return result

    def fetched(self) -> tuple[set[int], set[int]]:
        """Works this run fetched (whatever came of it), and those whose fetch failed."""
        done: set[int] = set()
        failed: set[int] = set()
        for work_id, what in self.db.execute(
            "SELECT work, what FROM temp.refresh_changes WHERE what LIKE 'fetch:%' ORDER BY rowid"
        ):
            done.add(work_id)
            if what == "fetch:failed":
                failed.add(work_id)
            else:
                failed.discard(work_id)
        return done, failed

    def close(self) -> None:
        for name in (
            "refresh_work_new",
            "refresh_work_status",
            "refresh_work_content",
            "refresh_chapter_new",
            "refresh_chapter_edit",
            "refresh_fetched",
        ):
            self.db.execute(f"DROP TRIGGER IF EXISTS temp.{name}")
        self.db.execute("DROP TABLE IF EXISTS temp.refresh_changes")


# --- the run ------------------------------------------------------------------------------

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
            f"refresh {verb}: {counts}; {self.pages} listing pages, {self.requests} requests, "
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
    progress = progress or Progress(silent=True)
    stopping = stopping or asyncio.Event()
    abort = abort or asyncio.Event()
    frontier.migrate(db)
    started_at = utc_now()
    tracker = ChangeTracker(db)
    try:
        targets = saved_targets(db)
        with db.atomic():
            for target, next_url in targets:
                if next_url is None:  # walked to its end last time: start again at page 1
                    frontier.restart_target(db, target.key)
        policy = RefreshPolicy(metadata_only=options.metadata_only, everything=options.everything)
        result = RefreshResult(listing_targets=len(targets))
        # One client, rate limiter (slowed by any 429) and robots.txt for both passes.
        async with Fetcher(config, abort=abort) as fetcher:
            try:
                robots = await open_robots(fetcher, progress)
                if started is not None:
                    started.set()
                first = await crawl(
                    db,
                    [t for t, _ in targets],
                    config,
                    CrawlOptions(
                        metadata_only=options.metadata_only,
                        max_works=options.max_works,
                        max_pages=options.max_pages,
                    ),
                    policy=policy,
                    progress=progress,
                    stopping=stopping,
                    abort=abort,
                    fetcher=fetcher,
                    robots=robots,
                )
                result.passes.append(first)
                before = due_before(options, started_at)
                left = None if options.max_works is None else options.max_works - first.stats.works
                if before and not stopping.is_set() and (left is None or left > 0):
                    due = due_works(db, before, never_fetched=options.everything, limit=left)
                    if due:
                        with db.atomic():
                            frontier.enqueue(
                                db, [w for w, _ in due], target=None, at=utc_now(), force=True
                            )
                        second = await crawl(
                            db,
                            [],
                            config,
                            CrawlOptions(max_works=left),
                            progress=progress,
                            stopping=stopping,
                            abort=abort,
                            retry_failed=False,
                            fetcher=fetcher,
                            robots=robots,
                        )
                        result.passes.append(second)
            finally:
                result.requests = fetcher.stats.requests
        result.interrupted = stopping.is_set()
        _count(tracker, policy, result)
    finally:
        tracker.close()
    result.seconds = time.monotonic() - clock
    return result


def _count(tracker: ChangeTracker, policy: RefreshPolicy, result: RefreshResult) -> None:
    changed = tracker.changes()
    fetched, failed = tracker.fetched()
    result.counts.update(changed.values())
    result.counts["unchanged"] = len((policy.seen | fetched) - changed.keys() - failed)
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
    them (they stay queued for the next run).
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


# --- the dry run --------------------------------------------------------------------------


@dataclass(slots=True)
class RefreshPlan:
    """What a refresh would do now: the works it would fetch (and why) and what that costs."""

    fetch: dict[int, str] = field(default_factory=dict)  # work id -> reason
    blurbs: int = 0  # blurbs whose counters (or more) would be stored
    pages: int = 0  # listing pages the dry run read (the real run reads the same)
    requests: int = 0  # requests the dry run itself made
    warnings: list[str] = field(default_factory=list)

    @property
    def cost(self) -> int:
        """Requests of the real refresh, retries aside: robots.txt, listing pages, one per work."""
        return 1 + self.pages + len(self.fetch)


async def plan_refresh(
    db: sqlite_utils.Database, config: FetchConfig, options: RefreshOptions
) -> RefreshPlan:
    """Read the listing pages a refresh would read, and decide as it would; write nothing."""
    plan = RefreshPlan()
    policy = RefreshPolicy(metadata_only=options.metadata_only, everything=options.everything)
    waiting: list[int] = []
    if not options.metadata_only and "crawl_works" in db.table_names():
        rows = db.execute(
            "SELECT work_id FROM crawl_works WHERE state IN ('queued', 'failed') "
            "ORDER BY queued_at, rowid"
        )
        waiting = [row[0] for row in rows]
    async with Fetcher(config) as fetcher:
        robots = await load_robots(fetcher)
        for target, next_url in saved_targets(db):
            url: str | None = next_url or target.key
            last_ids: list[int] | None = None
            while url:
                if options.max_pages is not None and plan.pages >= options.max_pages:
                    break
                _, page = await get_listing_page(fetcher, robots, url)
                if isinstance(page, str):
                    plan.warnings.append(f"{target.key}: {page}")
                    break
                assert page.listing is not None
                plan.pages += 1
                decision = policy.on_page(db, target, page)
                step = next_page(fetcher, page.listing, last_ids, stop=decision.stop)
                url, last_ids = step.following, step.ids
        plan.requests = fetcher.stats.requests
    plan.blurbs = policy.blurbs
    if options.metadata_only:
        return plan
    first = [(w, "queued by an earlier run") for w in waiting]
    queued = set(waiting)
    first += [(w, why) for w, why in policy.planned.items() if w not in queued]
    limit = options.max_works
    for work_id, why in first[:limit]:
        plan.fetch[work_id] = why
    left = None if limit is None else limit - len(plan.fetch)
    before = due_before(options, utc_now())
    if before and (left is None or left > 0):
        due = due_works(
            db, before, never_fetched=options.everything, limit=left, skip=set(plan.fetch)
        )
        for work_id, last in due:
            plan.fetch[work_id] = (
                f"last fetched in full {last}" if last else "never fetched in full"
            )
    return plan


def run_plan(
    db_path: str | os.PathLike[str], config: FetchConfig, options: RefreshOptions
) -> RefreshPlan:
    """The dry run on an index file: read-only, and without the writer lock (it writes nothing)."""
    with readable_index(db_path) as db:
        return asyncio.run(plan_refresh(db, config, options))
