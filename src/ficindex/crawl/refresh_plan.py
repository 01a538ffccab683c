"""Refresh's dry run: read the listing pages a refresh would, decide as it would, write nothing.

It walks with the crawler's own :class:`~ficindex.crawl.walk.ListingWalk` and
the refresh's :class:`~ficindex.crawl.refresh_policy.RefreshPolicy`, so it
reads the same pages and stops at the same one as the real run (including its
reading on in a split listing's date windows, :mod:`.read_on`); it has to read
them, to know what changed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from dataclasses import dataclass, field, replace

import sqlite_utils

from ficindex.clock import utc_now
from ficindex.crawl import partition_store
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import open_robots
from ficindex.crawl.fetcher import Fetcher, FetchResult
from ficindex.crawl.partition import Window, plan_windows
from ficindex.crawl.read_on import ReadOn, day_reached, read_below
from ficindex.crawl.refresh_policy import (
    Listed,
    RefreshOptions,
    RefreshPolicy,
    due_before,
    due_works,
    saved_targets,
)
from ficindex.crawl.targets import Target
from ficindex.crawl.walk import ListingWalk, WalkedPage, WalkPosition
from ficindex.index import readable_index
from ficindex.progress import Progress


@dataclass(slots=True)
class RefreshPlan:
    """What a refresh would do now: the works it would fetch (and why) and what that costs."""

    fetch: dict[int, str] = field(default_factory=dict)  # work id -> reason
    blurbs: int = 0  # blurbs whose counters (or more) would be stored
    pages: int = 0  # listing pages the dry run read (the real run reads the same)
    requests: int = 0  # requests the dry run itself made
    warnings: list[str] = field(default_factory=list)
    #: Works the listing pages showed that the refresh would not leave queued unfetched:
    #: their listing and counters (the engagement cost is judged from them).
    listed: dict[int, Listed] = field(default_factory=dict)

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
    waiting = [] if options.metadata_only else _waiting(db)
    async with Fetcher(config) as fetcher:
        robots = await open_robots(fetcher, Progress(silent=True))

        async def may_go_on() -> bool:
            return options.max_pages is None or plan.pages < options.max_pages

        def on_page(page: WalkedPage) -> bool:
            plan.pages += 1
            return True

        def on_failure(target: Target, why: str, result: FetchResult | None) -> None:
            plan.warnings.append(f"{target.key}: {why}")

        walk = ListingWalk(fetcher, robots, db, policy, may_go_on, on_page, on_failure)
        for target, next_url in saved_targets(db):
            if not await walk.walk(target, WalkPosition(next_url or target.key)):
                break
            if not await _read_on(db, walk, target, plan):
                break
        plan.requests = fetcher.stats.requests
    plan.blurbs = policy.blurbs
    if not options.metadata_only:
        _plan_fetches(db, options, policy, waiting, plan)
        # A work queued but past --max-works is not fetched, and a listing page does not
        # queue the engagement passes of a queued work: it has none this run.
        unfetched = (set(policy.planned) | set(waiting)) - set(plan.fetch)
        plan.listed = {w: seen for w, seen in policy.listed.items() if w not in unfetched}
    return plan


class _NotProbed(Exception):
    """A window of the split has no probed total: the dry run cannot know the windows."""


async def _read_on(
    db: sqlite_utils.Database, walk: ListingWalk, target: Target, plan: RefreshPlan
) -> bool:
    """Read on below the cap in a split listing's windows, as the refresh would
    (:mod:`.read_on`), from the probes kept in the index; reading only. False once
    ``max_pages`` is spent."""
    tables = db.table_names()
    if (
        "crawl_partitions" not in tables
        or "refresh_from" not in db["crawl_partitions"].columns_dict
    ):
        return True  # not split, or split by an older ficindex (the refresh upgrades it first)
    rows = list(db.query("SELECT * FROM crawl_partitions WHERE target = ?", [target.key]))
    if not rows:
        return True
    row = rows[0]
    day = day_reached(walk.last.get(target.key))
    if day is None and row["refresh_from"]:
        day = dt.date.fromisoformat(row["refresh_from"])
    if day is None:
        return True

    async def probe(window: Window) -> int:
        start, end = window.bounds
        total = partition_store.window_total(db, target.key, start, end, window.word_bounds)
        if total is None:
            raise _NotProbed(window.describe())
        return total

    started = dt.date.fromisoformat(row["started_on"])
    try:
        split = await plan_windows(row["total"], row["cap"], started, probe, target.key)
    except _NotProbed as exc:
        plan.warnings.append(f"{target.key}: the window {exc} was never probed; crawl it first")
        return True

    async def walk_part(window: Window, whole: bool) -> str:
        path = window.path(target.path)
        walker = replace(walk, policy=ReadOn(walk.policy)) if whole else walk
        walker.last.pop(path, None)
        failures = len(plan.warnings)
        if not await walker.walk(Target(target.kind, path, path), WalkPosition(path)):
            return "stopped"
        last = walker.last.get(path)
        if last is not None and last.decision.stop:
            return "known"
        return "failed" if len(plan.warnings) > failures else "ended"

    def reached(window: Window) -> dt.date | None:
        return day_reached(walk.last.get(window.path(target.path)))

    return await read_below(day, [w for w, _ in split.windows], walk_part, reached, _nowhere)


def _nowhere(day: dt.date | None) -> None:
    """The dry run keeps no note of where it stands: it writes nothing."""


def _waiting(db: sqlite_utils.Database) -> list[int]:
    """Works an earlier run left queued or failed: the refresh fetches them first."""
    if "crawl_works" not in db.table_names():
        return []
    rows = db.execute(
        "SELECT work_id FROM crawl_works WHERE state IN ('queued', 'failed') "
        "ORDER BY queued_at, rowid"
    )
    return [row[0] for row in rows]


def _plan_fetches(
    db: sqlite_utils.Database,
    options: RefreshOptions,
    policy: RefreshPolicy,
    waiting: list[int],
    plan: RefreshPlan,
) -> None:
    """The works the refresh would fetch, in its order and within ``max_works``."""
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


def run_plan(
    db_path: str | os.PathLike[str], config: FetchConfig, options: RefreshOptions
) -> RefreshPlan:
    """The dry run on an index file: read-only, and without the writer lock (it writes nothing)."""
    with readable_index(db_path) as db:
        return asyncio.run(plan_refresh(db, config, options))
