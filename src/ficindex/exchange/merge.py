"""Merging an index built elsewhere into this one, with the rules of ``import``.

A lab splitting tags among members ends with one index per machine. Merging
must not invent a second set of rules, so the other index's kept raw pages are
replayed, oldest first, through the same store functions ``import`` uses: a
newer page wins, an older one only adds to ``stats_history``, chapters a page
no longer lists are kept as vanished, status pages set ``works.status``. Raw
pages already present (same sha256, same fetch time) are skipped, which is
what makes a second merge of the same file change nothing.

What raw pages cannot carry is then merged from the other index's tables:

* ``stats_history`` rows with no page behind them, under the store's rule (a
  row only where the counters changed from the latest earlier one);
* statuses set without a page (``hidden``), when newer than this index's data;
* works no raw page brought (an index whose pages were dropped), from their rows;
* the crawl bookkeeping: listing targets with the further-walked progress,
  walked listing pages, the work queue (a finished fetch beats a queued one)
  and the fetch log, so ``refresh`` of this index covers both crawls;
* the engagement rows (kudos, comments, bookmarks) and where their passes
  stand (:mod:`ficindex.exchange.merge_engagement`).
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from ficindex.crawl import frontier
from ficindex.errors import BadInput, ParseError
from ficindex.exchange.merge_engagement import merge_engagement
from ficindex.index.export import work_record
from ficindex.index.store import mark_status, save_record, work_row
from ficindex.loader import Outcome
from ficindex.parser import parse_page
from ficindex.parser.common import work_id_from_href
from ficindex.record import COUNTER_FIELDS

#: The migration sets an index of this ficindex may carry.
_KNOWN_SETS = {"ficindex", "ficindex-crawl"}
_RAW_COLUMNS = (
    "url",
    "source",
    "fetched_at",
    "http_status",
    "work_id",
    "sha256",
    "size",
    "body",
    "content_type",
)
_CRAWL_TABLES = ("crawl_targets", "crawl_pages", "crawl_works", "fetch_log")
_PROGRESS = ("next_url", "pages_done", "total", "unreachable", "last_page_ids", "done_at")
_STATE_RANK = {"queued": 0, "failed": 1, "done": 2}


@dataclass(slots=True)
class TableMerge:
    """What the table merge added, beyond the replayed pages."""

    stats_history: int = 0
    statuses: int = 0
    works_from_rows: int = 0
    crawl_rows: dict[str, int] = field(default_factory=dict)
    engagement: dict[str, int] = field(default_factory=dict)


def check_mergeable(db_path: str | os.PathLike[str], other_path: str | os.PathLike[str]) -> None:
    """Refuse to merge a file into itself (it would read what it writes)."""
    both = os.path.exists(db_path) and os.path.exists(other_path)
    if both and os.path.samefile(db_path, other_path):
        raise BadInput(f"{other_path} is the index being merged into; give another index")


def check_crawl_version(other: Database, path: str | os.PathLike[str]) -> None:
    """Refuse an index whose crawl tables (or any migration set) come from a newer ficindex.

    Opening the index already checks the main set; the crawl set and unknown
    sets are checked here because a merge copies those tables too.
    """
    if "_sqlite_migrations" not in other.table_names():
        return
    known_crawl = {m.name for m in frontier.migrations.pending(Database(memory=True))}
    for migration_set, name in other.execute(
        "SELECT migration_set, name FROM _sqlite_migrations"
    ).fetchall():
        if migration_set not in _KNOWN_SETS or (
            migration_set == "ficindex-crawl" and name not in known_crawl
        ):
            raise BadInput(
                f"{path} was made by a newer ficindex (schema step {name!r} of "
                f"{migration_set!r} is unknown here); upgrade ficindex to merge it"
            )


def raw_page_count(other: Database) -> int:
    """How many raw pages a merge of ``other`` will look at (for the progress bar)."""
    return int(other.execute("SELECT count(*) FROM raw_pages").fetchone()[0])


def replay_pages(db: Database, other: Database) -> Iterator[Outcome]:
    """Copy each raw page of ``other`` not yet in ``db`` and store its record, oldest first.

    One page, one transaction, as in ``import``. A page whose body does not
    decompress to its recorded sha256 is damaged: it is reported and not copied.
    """
    ids = [r[0] for r in other.execute("SELECT id FROM raw_pages ORDER BY fetched_at, id")]
    for page_id in ids:
        row = other.execute(
            f"SELECT {', '.join(_RAW_COLUMNS)} FROM raw_pages WHERE id = ?", [page_id]
        ).fetchone()
        page = dict(zip(_RAW_COLUMNS, row, strict=True))
        name = page["url"] or page["source"] or f"raw page {page_id}"
        if db.execute(
            "SELECT 1 FROM raw_pages WHERE sha256 = ? AND fetched_at = ?",
            [page["sha256"], page["fetched_at"]],
        ).fetchone():
            yield Outcome(name, result="present")
            continue
        try:
            body = zlib.decompress(page["body"])
            if hashlib.sha256(body).hexdigest() != page["sha256"]:
                raise ParseError("the kept page does not match its sha256")
            record = parse_page(body, page["url"])
        except (ParseError, zlib.error) as exc:
            yield Outcome(name, error=f"damaged raw page, not merged: {exc}")
            continue
        with db.atomic():
            db.execute(
                f"INSERT INTO raw_pages ({', '.join(_RAW_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_RAW_COLUMNS))})",
                row,
            )
            result = save_record(
                db, record, fetched_at=page["fetched_at"], work_id=work_id_from_href(page["url"])
            )
        yield Outcome(name, result=result)


def merge_tables(db: Database, other: Database) -> TableMerge:
    """Merge what raw pages do not carry (see the module docstring); one transaction."""
    result = TableMerge()
    with db.atomic():
        result.works_from_rows = _works_from_rows(db, other)
        result.statuses = _statuses(db, other)
        result.stats_history = _stats_history(db, other)
        if "crawl_targets" in other.table_names():
            frontier.migrate(db)
            result.crawl_rows = {
                "crawl_targets": _crawl_targets(db, other),
                "crawl_pages": _crawl_pages(db, other),
                "crawl_works": _crawl_works(db, other),
                "fetch_log": _fetch_log(db, other),
            }
        result.engagement = merge_engagement(db, other)
    return result


def _works_from_rows(db: Database, other: Database) -> int:
    """Works with a record in ``other`` that no replayed page left in ``db``."""
    have = {r[0] for r in db.execute("SELECT id FROM works WHERE title IS NOT NULL")}
    added = 0
    for work_id, last_fetched in other.execute(
        "SELECT id, last_fetched FROM works WHERE title IS NOT NULL ORDER BY id"
    ).fetchall():
        record = None if work_id in have else work_record(other, work_id)
        if record is not None:
            save_record(db, record, fetched_at=last_fetched)
            added += 1
    return added


def _statuses(db: Database, other: Database) -> int:
    """Statuses ``other`` holds that are newer than what ``db`` knows of the work."""
    changed = 0
    for work_id, status, status_at, last_fetched in other.execute(
        "SELECT id, status, status_at, last_fetched FROM works WHERE status != 'ok'"
    ).fetchall():
        at = status_at or last_fetched
        mine = work_row(db, work_id)
        if at is None:
            continue  # no time to order it by: the status cannot be placed in history
        if mine is not None and mine["last_fetched"] and at and at < mine["last_fetched"]:
            continue
        changed += mark_status(db, work_id, status, at=at) == "status"
    return changed


def _stats_history(db: Database, other: Database) -> int:
    """``other``'s counter history, each row kept only where the counters changed."""
    columns = ", ".join(COUNTER_FIELDS)
    known = {r[0] for r in db.execute("SELECT id FROM works")}
    added = 0
    for work_id, fetched_at, *counters in other.execute(
        f"SELECT work, fetched_at, {columns} FROM stats_history ORDER BY work, fetched_at"
    ).fetchall():
        if work_id not in known:
            continue
        previous = db.execute(
            f"SELECT {columns} FROM stats_history WHERE work = ? AND fetched_at <= ? "
            "ORDER BY fetched_at DESC LIMIT 1",
            [work_id, fetched_at],
        ).fetchone()
        if previous is not None and list(previous) == counters:
            continue
        db.table("stats_history").insert(
            {
                "work": work_id,
                "fetched_at": fetched_at,
                **dict(zip(COUNTER_FIELDS, counters, strict=True)),
            },
            replace=True,
        )
        added += 1
    return added


def _rows(other: Database, table: str) -> list[dict[str, Any]]:
    return list(other.query(f"SELECT * FROM [{table}] ORDER BY rowid"))


def _crawl_targets(db: Database, other: Database) -> int:
    """Every target of ``other``; a target both know keeps the further-walked progress."""
    changed = 0
    for theirs in _rows(other, "crawl_targets"):
        mine = next(
            iter(db.query("SELECT * FROM crawl_targets WHERE key = ?", [theirs["key"]])), None
        )
        if mine is None:
            db.table("crawl_targets").insert(theirs)
            changed += 1
            continue
        update: dict[str, Any] = {}
        if theirs["added_at"] < mine["added_at"]:
            update["added_at"] = theirs["added_at"]
        if _walk_progress(theirs) > _walk_progress(mine):
            update.update({k: theirs[k] for k in _PROGRESS})
        if update:
            db.table("crawl_targets").update(mine["key"], update)
            changed += 1
    return changed


def _walk_progress(row: dict[str, Any]) -> tuple[bool, str, int]:
    """How far a listing walk got: finished first (the latest finish), then pages walked."""
    return (row["done_at"] is not None, row["done_at"] or "", row["pages_done"])


def _crawl_pages(db: Database, other: Database) -> int:
    """Walked listing pages; a page both walked keeps the later walk."""
    before = db.execute("SELECT total_changes()").fetchone()[0]
    for page in _rows(other, "crawl_pages"):
        db.execute(
            "INSERT INTO crawl_pages (url, target, page, works, fetched_at) "
            "VALUES (:url, :target, :page, :works, :fetched_at) ON CONFLICT(url) DO UPDATE SET "
            "target = excluded.target, page = excluded.page, works = excluded.works, "
            "fetched_at = excluded.fetched_at WHERE excluded.fetched_at > crawl_pages.fetched_at",
            page,
        )
    return int(db.execute("SELECT total_changes()").fetchone()[0] - before)


def _crawl_works(db: Database, other: Database) -> int:
    """The work queue: a finished fetch beats a failed one, which beats a queued one."""
    changed = 0
    for theirs in _rows(other, "crawl_works"):
        found = list(db.query("SELECT * FROM crawl_works WHERE work_id = ?", [theirs["work_id"]]))
        if found and _queue_rank(found[0]) >= _queue_rank(theirs):
            continue
        db.table("crawl_works").insert(theirs, pk="work_id", replace=True)
        changed += 1
    return changed


def _queue_rank(row: dict[str, Any]) -> tuple[int, str]:
    return (_STATE_RANK.get(row["state"], 0), row["done_at"] or "")


def _fetch_log(db: Database, other: Database) -> int:
    """Requests ``other``'s crawls made, each once (matched on URL, time, status, attempts)."""
    added = 0
    for entry in _rows(other, "fetch_log"):
        entry.pop("id")
        if db.execute(
            "SELECT 1 FROM fetch_log WHERE url = ? AND fetched_at = ? AND status IS ? "
            "AND attempts = ?",
            [entry["url"], entry["fetched_at"], entry["status"], entry["attempts"]],
        ).fetchone():
            continue
        db.table("fetch_log").insert(entry)
        added += 1
    return added
