"""Saving parsed records into the index, with the merge rule.

What a page tells us depends on its kind, so each kind may only overwrite what
it really shows:

* a **full work page** (every posted chapter) replaces the work's record: every
  column, its authors, tags, series and collections; chapters missing from it
  are marked ``vanished_at`` (kept, with their text), never deleted;
* a **chapter view** (fewer chapters than ``chapters_posted``) updates the
  work's metadata and counters and only the chapters it holds;
* a **listing blurb** or an **adult-content interstitial** updates metadata and
  counters only: values the page does not show (``None``, an empty list) never
  erase what an earlier fetch stored, and chapters are never touched;
* ``not_found`` / ``restricted`` / ``unrevealed`` pages set ``works.status``
  (``deleted`` / ``restricted`` / ``unrevealed``) and keep every stored value;
  a work seen again returns to ``ok``.

Writes happen only when something differs, and every timestamp comes from the
caller's ``fetched_at`` (the fetch time, or a saved file's mtime), never from
the clock unless none is given; so saving the same page twice leaves the
file's tables identical. A page older than what the index already holds for
the work (``fetched_at`` before ``works.last_fetched``) adds and never
overwrites, so the index does not depend on the order pages are stored in:
older than the last full page, it adds to ``stats_history`` and keeps the text
of chapters never stored (as vanished); newer than that (only an interstitial
or blurb came later), it also fills the columns and lists stored empty and
adds the chapters the index lacks, so a full page always supplies its
chapters. ``replay=True`` (used by ``reparse``, which replays pages oldest
first) applies every page as if it were the newest.

The work row's columns live in :mod:`~ficindex.index.columns`, the merge of a
work page in :mod:`~ficindex.index.merge`, its links in
:mod:`~ficindex.index.links` and its chapters (and their keys) in
:mod:`~ficindex.index.chapters`; this module is the entry point and re-exports
the names other layers use.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from ficindex.clock import utc_iso
from ficindex.errors import BadInput
from ficindex.index.chapters import synthetic_chapter_id
from ficindex.index.columns import (
    CONTENT_COLUMNS,
    author_label,
    insert_work,
    record_columns,
    update_work,
    work_row,
)
from ficindex.index.links import LINK_SQL, TAG_TYPES
from ficindex.index.merge import save_work
from ficindex.record import Record

__all__ = [
    "CONTENT_COLUMNS",
    "LINK_SQL",
    "STATUSES",
    "STATUS_KINDS",
    "TAG_TYPES",
    "author_label",
    "mark_status",
    "record_columns",
    "save_raw_page",
    "save_record",
    "synthetic_chapter_id",
    "work_row",
]

#: zlib level of stored raw pages. Measured on generated and real AO3 pages: level 1
#: compresses 3-6x faster than level 6 for 10-17 % more bytes, and at 6 compression was
#: about a tenth of an import. (zstd would need a dependency for a gain of the same kind.)
RAW_PAGE_LEVEL = 1

#: Values of ``works.status``.
STATUSES = ("ok", "deleted", "restricted", "unrevealed", "hidden")

#: Record kinds that only report a work's status, and the status each sets.
STATUS_KINDS = {"not_found": "deleted", "restricted": "restricted", "unrevealed": "unrevealed"}


def save_record(
    db: Database,
    record: Record,
    *,
    fetched_at: str | None = None,
    work_id: int | None = None,
    replay: bool = False,
) -> str:
    """Merge one parsed page into the index; return what happened.

    ``work_id`` is the work the caller fetched or read the page for; it is used
    when the page itself names none (a login page, a Mystery Work), so a status
    page of a work never seen before still leaves a row for it.

    ``"new"`` (a work first seen), ``"updated"``, ``"unchanged"``, ``"status"``
    (only the status changed), ``"stale"`` (older than the stored data: only
    ``stats_history`` may grow), or ``"skipped"`` (nothing to store: rate
    limits, error pages, pages without a work id). A listing saves each blurb
    and returns the strongest of their results.
    """
    at = utc_iso(fetched_at)
    if record.kind == "listing":
        works = record.listing.works if record.listing else []
        results = [save_record(db, w, fetched_at=at, replay=replay) for w in works]
        return _strongest(results)
    if record.work_id is not None:
        work_id = record.work_id
    if work_id is None:
        return "skipped"
    if record.kind in STATUS_KINDS:
        return mark_status(db, work_id, STATUS_KINDS[record.kind], at=at)
    if record.kind not in ("work", "adult_interstitial"):
        return "skipped"
    with db.atomic():
        return save_work(db, record, work_id, at, replay)


def mark_status(db: Database, work_id: int, status: str, *, at: str | None = None) -> str:
    """Set ``works.status`` of a work, keeping all its data; returns "status" or "unchanged".

    An id never seen before gets a row holding only its id and status, so a
    crawler remembers that the work exists (or existed) without refetching it.
    """
    if status not in STATUSES:
        raise BadInput(f"unknown work status {status!r}; use one of {', '.join(STATUSES)}")
    at = utc_iso(at)
    with db.atomic():
        row = work_row(db, work_id)
        if row is None:
            insert_work(
                db,
                {
                    "id": work_id,
                    "status": status,
                    "status_at": at,
                    "first_seen": at,
                    "last_fetched": at,
                },
            )
            return "status"
        changes: dict[str, Any] = {}
        if row["status"] != status:
            changes.update(status=status, status_at=at)
        if row["last_fetched"] is None or at > row["last_fetched"]:
            changes["last_fetched"] = at
        if changes:
            update_work(db, work_id, changes)
        return "status" if "status" in changes else "unchanged"


def save_raw_page(
    db: Database,
    *,
    url: str | None,
    fetched_at: str,
    http_status: int | None,
    body: bytes,
    work_id: int | None,
    source: str | None = None,
    content_type: str | None = None,
) -> None:
    """Keep a fetched (or imported) page, zlib-compressed, so ``reparse`` needs no network.

    ``source`` names where an imported page came from (its file name);
    ``content_type`` is the HTTP header it came with, whose charset ``reparse``
    needs to read the bytes as the crawl did. The same
    bytes fetched at the same time are stored once. Level :data:`RAW_PAGE_LEVEL`:
    see its comment; pages stored at any other level read back the same.
    """
    digest = hashlib.sha256(body).hexdigest()
    db.conn.execute(
        "INSERT OR IGNORE INTO raw_pages "
        "(url, source, fetched_at, http_status, work_id, sha256, size, body, content_type) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            url,
            source,
            utc_iso(fetched_at),
            http_status,
            work_id,
            digest,
            len(body),
            zlib.compress(body, RAW_PAGE_LEVEL),
            content_type,
        ],
    )


def _strongest(results: Iterable[str]) -> str:
    order = ("new", "updated", "status", "stale", "unchanged", "skipped")
    found = set(results)
    return next((r for r in order if r in found), "skipped")
