"""Where each work's engagement pages stand, so a killed run resumes at the page in flight.

One ``crawl_engagement`` row per (work, kind) ever asked for (migration
``m004_engagement`` of :mod:`ficindex.crawl.frontier`):

* ``state``: ``queued`` (pages to fetch), ``done``, ``failed`` (a page failed;
  the next run retries from that page, as failed works are retried);
* ``mode``: ``all`` (every page) or ``new`` (only what can have changed since
  the last complete pass, see :mod:`ficindex.crawl.engagement_job`);
* ``counter``: the work's stat (kudos, comments or bookmarks) this pass
  answers; a later stat that differs makes the kind due again;
* ``next_path``: the next page to fetch (NULL: the paged list is walked),
  ``pending``: thread pages (``/comments/CID``) still to fetch, as JSON;
* ``started_at`` (migration ``m005_engagement_started``): when the latest
  ``all`` pass read its page 1 (kept through later ``new`` passes). Every row
  that pass saw got a ``last_seen`` at or after it, so once it is complete a
  stored row with an older ``last_seen`` was no longer on AO3 at that pass.

Each page's rows are written in the same transaction as the row's new
position, so after a kill the index never holds less than the cursor says.

The "known items" a ``new`` pass stops at are read here from the engagement
tables, with plain SQL: they are the crawler's question, not the index's API.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from ficindex.crawl.engagement import (
    KINDS,
    THREADS_PER_PAGE,
    bookmarks_path,
    comments_path,
    kudos_path,
    parse_kinds,
)

#: The works stat each kind answers to.
COUNTER = {"kudos": "kudos", "comments": "comments", "bookmarks": "bookmarks"}


@dataclass(slots=True)
class Cursor:
    """One (work, kind) row: where its pages stand."""

    work_id: int
    kind: str
    mode: str
    counter: int | None
    next_path: str | None
    pending: list[str] = field(default_factory=list)
    pages: int = 0
    started_at: str | None = None

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> Cursor:
        return cls(
            row["work_id"],
            row["kind"],
            row["mode"],
            row["counter"],
            row["next_path"],
            list(json.loads(row["pending"])),
            row["pages"],
            row.get("started_at"),
        )


def has_table(db: sqlite_utils.Database) -> bool:
    """Whether the index has the engagement frontier (a read-only dry run may lack it).

    One lookup of that name: it is asked per work, and listing every table (search
    indexes and their shadow tables included) cost more than the question.
    """
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'crawl_engagement'"
    ).fetchone()
    return found is not None


def target_kinds(db: sqlite_utils.Database, key: str | None) -> tuple[str, ...]:
    """The kinds remembered for a target; a date window of a split listing has its listing's."""
    if key is None or not has_table(db):
        return ()
    row = db.execute(
        "SELECT engagement FROM crawl_targets WHERE engagement != '' AND (key = ? "
        "OR substr(?, 1, length(key) + 1) IN (key || '?', key || '&')) "
        "ORDER BY length(key) DESC LIMIT 1",
        [key, key],
    ).fetchone()
    return parse_kinds(row[0]) if row else ()


def work_target(db: sqlite_utils.Database, work_id: int) -> str | None:
    """The target that queued the work first (a refresh's re-queue keeps it)."""
    row = db.execute("SELECT target FROM crawl_works WHERE work_id = ?", [work_id]).fetchone()
    return row[0] if row else None


def counters(db: sqlite_utils.Database, work_id: int) -> dict[str, Any] | None:
    """The work's stored stats and kudos paragraph, or None for a work not in the index."""
    rows = list(
        db.query(
            "SELECT status, kudos, comments, bookmarks, kudos_users, kudos_guests "
            "FROM works WHERE id = ?",
            [work_id],
        )
    )
    return rows[0] if rows else None


def due(
    db: sqlite_utils.Database, work_id: int, kinds: Iterable[str], stats: dict[str, Any]
) -> list[tuple[str, str, int | None]]:
    """(kind, mode, counter) of the kinds to fetch now, given the work's ``stats``.

    Never fetched: ``all``. Done, and its stat rose since: ``new``; fell since
    (a deleted account or bookmark): ``all``, so every item still there is seen
    again and the gone ones are those whose ``last_seen`` stays behind. Queued or
    failed: left as it stands (the run resumes it, or retries it).
    """
    rows = {
        row["kind"]: row
        for row in db.query(
            "SELECT kind, state, counter FROM crawl_engagement WHERE work_id = ?", [work_id]
        )
    }
    found = []
    for kind in kinds:
        counter = stats.get(COUNTER[kind])
        row = rows.get(kind)
        if row is None:
            found.append((kind, "all", counter))
        elif row["state"] == "done" and counter is not None and counter != row["counter"]:
            fell = row["counter"] is not None and counter < row["counter"]
            found.append((kind, "all" if fell else "new", counter))
    return found


def start_path(db: sqlite_utils.Database, work_id: int, kind: str, mode: str) -> str:
    """The first page of a pass: page 1, but see :func:`newest_comments_page`."""
    if kind == "kudos":
        return kudos_path(work_id)
    if kind == "bookmarks":
        return bookmarks_path(work_id)
    page = newest_comments_page(db, work_id) if mode == "new" else 1
    return comments_path(work_id) + (f"&page={page}" if page > 1 else "")


def newest_comments_page(db: sqlite_utils.Database, work_id: int) -> int:
    """The page that held the newest threads at the last pass.

    Threads are listed oldest first (AO3-MARKUP 7.2), so new threads land on
    the last page or after it: a ``new`` pass starts where the known threads
    ended and follows the next links.
    """
    (threads,) = db.execute(
        "SELECT count(*) FROM comments WHERE work = ? AND parent IS NULL", [work_id]
    ).fetchone()
    return max(1, math.ceil(int(threads) / THREADS_PER_PAGE))


def queue(
    db: sqlite_utils.Database,
    work_id: int,
    kind: str,
    *,
    mode: str,
    counter: int | None,
    at: str,
) -> Cursor:
    """Queue a pass over one kind of the work's pages; returns its cursor."""
    cursor = Cursor(work_id, kind, mode, counter, start_path(db, work_id, kind, mode))
    db.execute(
        "INSERT INTO crawl_engagement (work_id, kind, state, mode, counter, next_path, "
        "queued_at) VALUES (?, ?, 'queued', ?, ?, ?, ?) "
        "ON CONFLICT(work_id, kind) DO UPDATE SET state = 'queued', mode = excluded.mode, "
        "counter = excluded.counter, next_path = excluded.next_path, pending = '[]', pages = 0, "
        "reason = NULL, queued_at = excluded.queued_at, done_at = NULL",
        [work_id, kind, mode, counter, cursor.next_path, at],
    )
    return cursor


def queued(db: sqlite_utils.Database, work_id: int) -> list[Cursor]:
    """The work's queued passes, in fetch order (kudos, comments, bookmarks)."""
    rows = db.query(
        "SELECT * FROM crawl_engagement WHERE work_id = ? AND state = 'queued'", [work_id]
    )
    cursors = [Cursor.of_row(row) for row in rows]
    return sorted(cursors, key=lambda c: KINDS.index(c.kind))


def next_work(db: sqlite_utils.Database, skip: Iterable[int]) -> int | None:
    """The work whose engagement was queued first, among those not in hand."""
    if not has_table(db):
        return None
    skip = set(skip)
    rows = db.execute(
        "SELECT work_id FROM crawl_engagement WHERE state = 'queued' "
        "GROUP BY work_id ORDER BY min(queued_at), work_id LIMIT ?",
        [len(skip) + 1],
    )
    return next((r[0] for r in rows if r[0] not in skip), None)


def queued_count(db: sqlite_utils.Database) -> int:
    if not has_table(db):
        return 0
    return int(
        db.execute(
            "SELECT count(DISTINCT work_id) FROM crawl_engagement WHERE state = 'queued'"
        ).fetchone()[0]
    )


def advance(db: sqlite_utils.Database, cursor: Cursor) -> None:
    """Write the cursor's new position (in the transaction that stored its page)."""
    db.execute(
        "UPDATE crawl_engagement SET mode = ?, next_path = ?, pending = ?, pages = ?, "
        "started_at = ? WHERE work_id = ? AND kind = ?",
        [
            cursor.mode,
            cursor.next_path,
            json.dumps(cursor.pending),
            cursor.pages,
            cursor.started_at,
            cursor.work_id,
            cursor.kind,
        ],
    )


def finish(
    db: sqlite_utils.Database, cursor: Cursor, *, at: str, reason: str | None = None
) -> None:
    """The pass is over: ``done``, or ``failed`` with ``reason`` (its cursor kept for a retry)."""
    advance(db, cursor)
    db.execute(
        "UPDATE crawl_engagement SET state = ?, reason = ?, done_at = ? "
        "WHERE work_id = ? AND kind = ?",
        ["failed" if reason else "done", reason, at, cursor.work_id, cursor.kind],
    )


def drop_unfinished(db: sqlite_utils.Database, work_id: int) -> None:
    """Forget the work's queued and failed passes (a work no longer visible)."""
    db.execute("DELETE FROM crawl_engagement WHERE work_id = ? AND state != 'done'", [work_id])


def requeue_failed(db: sqlite_utils.Database) -> int:
    """Retry failed passes from the page that failed (rerunning is how users retry)."""
    if not has_table(db):
        return 0
    return db.execute(
        "UPDATE crawl_engagement SET state = 'queued', reason = NULL WHERE state = 'failed'"
    ).rowcount


# --- what a ``new`` pass already knows ------------------------------------------------------


def known_logins(db: sqlite_utils.Database, work_id: int, users: Sequence[str]) -> bool:
    """Whether any of ``users`` already left kudos on the work, as stored."""
    return _any_known(db, "SELECT 1 FROM kudos WHERE work = ? AND user = ?", work_id, users)


def known_bookmarks(
    db: sqlite_utils.Database, work_id: int, keys: Sequence[tuple[str, str]]
) -> bool:
    """Whether any of the (user, pseud) bookmarks is already stored for the work."""
    sql = "SELECT 1 FROM bookmarks WHERE work = ? AND user = ? AND pseud = ?"
    return any(db.execute(sql, [work_id, user, pseud]).fetchone() for user, pseud in keys)


def visible_comments(db: sqlite_utils.Database, work_id: int) -> int:
    """Stored comments AO3 showed as visible: what the work's comments stat counts."""
    sql = "SELECT count(*) FROM comments WHERE work = ? AND state = 'visible'"
    return int(db.execute(sql, [work_id]).fetchone()[0])


def _any_known(db: sqlite_utils.Database, sql: str, work_id: int, keys: Sequence[str]) -> bool:
    return any(db.execute(sql, [work_id, key]).fetchone() for key in keys)
