"""The crawl job's state, kept in the index itself so that a killed run can simply be rerun.

Tables (migration set ``ficindex-crawl``):

* ``crawl_targets``: one row per TARGET ever given (``key`` from
  :mod:`ficindex.crawl.targets`), with where its listing walk stands
  (``next_url``; NULL once walked to the end, ``done_at`` set), the pages
  walked, the heading's total and how many works lay past AO3's result cap.
* ``crawl_pages``: each listing page walked, when, and how many works it listed.
* ``crawl_works``: every work the job must fetch: ``state`` ``queued``,
  ``done`` or ``failed``; ``outcome`` (ok, deleted, restricted, hidden,
  unrevealed, failed); ``reason`` of a failure; ``attempts`` over all runs.
* ``fetch_log``: every fetch (URL, status, attempts, bytes, error, time), for
  auditing what the crawler asked of the site.

Each step's frontier update is written in the same transaction as the data it
stands for (a work's record and raw page, a listing page's queued works), so
after a crash the frontier never claims more than the index holds, and never
less than one step behind it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlite_utils

from ficindex.crawl.targets import Target

if TYPE_CHECKING:
    from ficindex.crawl.fetcher import FetchResult

migrations = sqlite_utils.Migrations("ficindex-crawl")


@migrations()
def m001_frontier(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE crawl_targets (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            url TEXT NOT NULL,
            added_at TEXT NOT NULL,
            next_url TEXT,
            pages_done INTEGER NOT NULL DEFAULT 0,
            total INTEGER,
            unreachable INTEGER NOT NULL DEFAULT 0,
            last_page_ids TEXT,
            done_at TEXT
        )
        """
    )
    db.execute(
        """
        CREATE TABLE crawl_pages (
            url TEXT PRIMARY KEY,
            target TEXT NOT NULL REFERENCES crawl_targets(key),
            page INTEGER,
            works INTEGER NOT NULL,
            fetched_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE crawl_works (
            work_id INTEGER PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
            outcome TEXT,
            reason TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            target TEXT,
            queued_at TEXT NOT NULL,
            done_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX crawl_works_state ON crawl_works(state, queued_at)")
    db.execute(
        """
        CREATE TABLE fetch_log (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            status INTEGER,
            attempts INTEGER NOT NULL,
            bytes INTEGER NOT NULL,
            error TEXT,
            fetched_at TEXT NOT NULL
        )
        """
    )


def migrate(db: sqlite_utils.Database) -> None:
    """Create or upgrade the frontier tables (idempotent)."""
    migrations.apply(db)


def add_target(
    db: sqlite_utils.Database, target: Target, *, at: str, engagement: str = ""
) -> dict[str, Any]:
    """Register a TARGET (once); returns its row, with progress from earlier runs if any.

    ``engagement``: the ``--with`` kinds ("kudos,comments"), remembered so a
    refresh keeps fetching them; given again, the latest choice wins, and a
    run without ``--with`` leaves them as they are.
    """
    db.execute(
        "INSERT INTO crawl_targets (key, kind, url, added_at, next_url, engagement) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
        "engagement = excluded.engagement WHERE excluded.engagement != ''",
        [
            target.key,
            target.kind,
            target.path,
            at,
            target.path if target.is_listing else None,
            engagement,
        ],
    )
    return target_row(db, target.key)


def target_row(db: sqlite_utils.Database, key: str) -> dict[str, Any]:
    rows = list(db.query("SELECT * FROM crawl_targets WHERE key = ?", [key]))
    if not rows:
        raise KeyError(key)
    return rows[0]


def listing_targets(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every listing target ever crawled into this index, oldest first (what refresh re-walks)."""
    return list(db.query("SELECT * FROM crawl_targets WHERE kind != 'work' ORDER BY added_at, key"))


def restart_target(db: sqlite_utils.Database, key: str) -> None:
    """Walk a listing again from page 1 (a refresh), forgetting where the last walk ended."""
    db.execute(
        "UPDATE crawl_targets SET next_url = key, pages_done = 0, last_page_ids = NULL, "
        "done_at = NULL WHERE key = ?",
        [key],
    )


def page_done(
    db: sqlite_utils.Database,
    key: str,
    *,
    url: str,
    page: int | None,
    next_url: str | None,
    total: int | None,
    work_ids: list[int],
    unreachable: int,
    at: str,
) -> None:
    """Record one listing page walked; ``next_url`` None ends the target's walk."""
    db.execute(
        "INSERT INTO crawl_pages (url, target, page, works, fetched_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(url) DO UPDATE SET works = excluded.works, fetched_at = excluded.fetched_at",
        [url, key, page, len(work_ids), at],
    )
    db.execute(
        "UPDATE crawl_targets SET next_url = ?, pages_done = pages_done + 1, total = ?, "
        "unreachable = ?, last_page_ids = ?, done_at = ? WHERE key = ?",
        [next_url, total, unreachable, json.dumps(work_ids), None if next_url else at, key],
    )


def enqueue(
    db: sqlite_utils.Database,
    work_ids: Iterable[int],
    *,
    target: str | None,
    at: str,
    force: bool = False,
) -> None:
    """Queue works to fetch; ones already known stay as they are unless ``force``."""
    for work_id in work_ids:
        cursor = db.execute(
            "INSERT INTO crawl_works (work_id, state, target, queued_at) VALUES (?, 'queued', ?, ?)"
            " ON CONFLICT(work_id) DO NOTHING",
            [work_id, target, at],
        )
        if not cursor.rowcount and force:
            db.execute(
                "UPDATE crawl_works SET state = 'queued', queued_at = ? "
                "WHERE work_id = ? AND state != 'queued'",
                [at, work_id],
            )


def requeue_failed(db: sqlite_utils.Database) -> int:
    """Give works that failed in an earlier run another chance (rerunning is how users retry)."""
    return db.execute("UPDATE crawl_works SET state = 'queued' WHERE state = 'failed'").rowcount


def next_queued(db: sqlite_utils.Database, limit: int, *, skip: Iterable[int] = ()) -> list[int]:
    """The oldest queued works, skipping ones already in hand."""
    skip = set(skip)
    rows = db.query(
        "SELECT work_id FROM crawl_works WHERE state = 'queued' ORDER BY queued_at, rowid LIMIT ?",
        [limit + len(skip)],
    )
    return [r["work_id"] for r in rows if r["work_id"] not in skip][:limit]


def queued_count(db: sqlite_utils.Database) -> int:
    count: int = db.execute("SELECT count(*) FROM crawl_works WHERE state = 'queued'").fetchone()[0]
    return count


def work_state(db: sqlite_utils.Database, work_id: int) -> str | None:
    row = db.execute("SELECT state FROM crawl_works WHERE work_id = ?", [work_id]).fetchone()
    return row[0] if row else None


def finish_work(
    db: sqlite_utils.Database,
    work_id: int,
    outcome: str,
    *,
    reason: str | None,
    attempts: int,
    at: str,
) -> None:
    """A work's fetch is over: outcome ``failed`` leaves it ``failed``, any other ``done``."""
    state = "failed" if outcome == "failed" else "done"
    db.execute(
        "UPDATE crawl_works SET state = ?, outcome = ?, reason = ?, attempts = attempts + ?, "
        "done_at = ? WHERE work_id = ?",
        [state, outcome, reason, attempts, at, work_id],
    )


def log_fetch(
    db: sqlite_utils.Database,
    *,
    url: str,
    status: int | None,
    attempts: int,
    size: int,
    error: str | None,
    at: str,
) -> None:
    db.execute(
        "INSERT INTO fetch_log (url, status, attempts, bytes, error, fetched_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [url, status, attempts, size, error, at],
    )


def log_result(db: sqlite_utils.Database, result: FetchResult) -> None:
    """The ``fetch_log`` row of one fetch, as the fetcher reported it."""
    log_fetch(
        db,
        url=result.final_url,
        status=result.status,
        attempts=result.attempts,
        size=len(result.body),
        error=result.error,
        at=result.fetched_at,
    )


@migrations()
def m002_partitions(db: sqlite_utils.Database) -> None:
    """A capped tag listing's date windows: each probe's total, so a rerun probes nothing twice."""
    db.execute(
        """
        CREATE TABLE crawl_partitions (
            target TEXT PRIMARY KEY REFERENCES crawl_targets(key),
            total INTEGER NOT NULL,
            cap INTEGER NOT NULL,
            started_on TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE crawl_windows (
            target TEXT NOT NULL REFERENCES crawl_targets(key),
            date_from TEXT NOT NULL,
            date_to TEXT NOT NULL,
            total INTEGER NOT NULL,
            probed_at TEXT NOT NULL,
            PRIMARY KEY (target, date_from, date_to)
        )
        """
    )


@migrations()
def m003_window_words(db: sqlite_utils.Database) -> None:
    """A single day over the cap is split by word count: each window's word bounds ('' open),
    part of its key (the table is rebuilt, SQLite cannot widen a primary key); where a
    refresh reading the windows stands; when the windows were checked after the walk."""
    db.execute("ALTER TABLE crawl_windows RENAME TO crawl_windows_by_date")
    db.execute(
        """
        CREATE TABLE crawl_windows (
            target TEXT NOT NULL REFERENCES crawl_targets(key),
            date_from TEXT NOT NULL,
            date_to TEXT NOT NULL,
            words_from TEXT NOT NULL DEFAULT '',
            words_to TEXT NOT NULL DEFAULT '',
            total INTEGER NOT NULL,
            probed_at TEXT NOT NULL,
            PRIMARY KEY (target, date_from, date_to, words_from, words_to)
        )
        """
    )
    db.execute(
        "INSERT INTO crawl_windows (target, date_from, date_to, total, probed_at) "
        "SELECT target, date_from, date_to, total, probed_at FROM crawl_windows_by_date"
    )
    db.execute("DROP TABLE crawl_windows_by_date")
    # A refresh whose newest-first walk reached the cap reads the windows below where it
    # stopped: the newest day it has yet to read, kept so a killed refresh goes on from it.
    db.execute("ALTER TABLE crawl_partitions ADD COLUMN refresh_from TEXT")
    # When the windows, all read, were probed again to find one that grew behind the walk.
    db.execute("ALTER TABLE crawl_partitions ADD COLUMN verified_at TEXT")


def handled_before(db: sqlite_utils.Database, key: str, *, blurbs: bool) -> int:
    """What earlier runs did for a listing and its date windows (keys ``KEY?...``): the
    blurbs its pages listed (``blurbs``: --metadata-only), else the works fetched from it.

    A resumed run counts it out of the listing's total, so its ETA covers what is left.
    """
    family = "(target = ? OR substr(target, 1, length(?) + 1) = ? || '?')"
    if blurbs:
        sql = f"SELECT coalesce(sum(works), 0) FROM crawl_pages WHERE {family}"
    else:
        sql = f"SELECT count(*) FROM crawl_works WHERE state = 'done' AND {family}"
    return int(db.execute(sql, [key, key, key]).fetchone()[0])


@migrations()
def m004_engagement(db: sqlite_utils.Database) -> None:
    """Opt-in engagement pages (``--with``): the kinds each target asked for, and where
    each work's kudos, comments and bookmarks pages stand, so a killed run resumes at the
    page in flight. See :mod:`ficindex.crawl.engagement_queue`."""
    db.execute("ALTER TABLE crawl_targets ADD COLUMN engagement TEXT NOT NULL DEFAULT ''")
    db.execute(
        """
        CREATE TABLE crawl_engagement (
            work_id INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('kudos', 'comments', 'bookmarks')),
            state TEXT NOT NULL CHECK (state IN ('queued', 'done', 'failed')),
            mode TEXT NOT NULL CHECK (mode IN ('all', 'new')),
            counter INTEGER,
            next_path TEXT,
            pending TEXT NOT NULL DEFAULT '[]',
            pages INTEGER NOT NULL DEFAULT 0,
            reason TEXT,
            queued_at TEXT NOT NULL,
            done_at TEXT,
            PRIMARY KEY (work_id, kind)
        )
        """
    )
    db.execute("CREATE INDEX crawl_engagement_state ON crawl_engagement(state, queued_at)")


@migrations()
def m005_engagement_started(db: sqlite_utils.Database) -> None:
    """When a pass over every page of a kind read its page 1: once it is complete, the
    stored rows not seen since are no longer on AO3 (see :mod:`ficindex.crawl.engagement_job`)."""
    db.execute("ALTER TABLE crawl_engagement ADD COLUMN started_at TEXT")
