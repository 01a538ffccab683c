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
the work (``fetched_at`` before ``works.last_fetched``) only adds to
``stats_history``; ``replay=True`` (used by ``reparse``, which replays pages
oldest first) applies it anyway.

Chapter keys: ``chapters.id`` is AO3's chapter id. When a page does not show it
(a plain-text copy), the row takes the id of the chapter already stored at that
number, or a synthetic negative id ``-(work_id * 100000 + number)`` that the
real id replaces once a page shows it.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from sqlite_utils import Database

from ficindex.clock import utc_iso
from ficindex.errors import BadInput
from ficindex.record import COUNTER_FIELDS, TAG_FIELDS, Chapter, Record

#: Values of ``works.status``.
STATUSES = ("ok", "deleted", "restricted", "unrevealed", "hidden")

#: Record kinds that only report a work's status, and the status each sets.
STATUS_KINDS = {"not_found": "deleted", "restricted": "restricted", "unrevealed": "unrevealed"}

#: ``works`` columns that come from a record (everything except bookkeeping).
CONTENT_COLUMNS = (
    "title",
    "authors",
    "anonymous",
    "gifts",
    "rating",
    *TAG_FIELDS,
    "language",
    "series",
    "collections",
    "published",
    "updated",
    "completed",
    *COUNTER_FIELDS,
    "chapters_total",
    "summary",
    "notes",
    "end_notes",
    "restricted",
)

#: ``tags.type`` of each tag list of a record (the rating is type ``rating``).
TAG_TYPES = {
    "warnings": "warning",
    "categories": "category",
    "fandoms": "fandom",
    "relationships": "relationship",
    "characters": "character",
    "freeforms": "freeform",
}

#: The stored links of one work (``?`` is its id), in the order its page listed them:
#: the merge compares them with a new page's, and export rebuilds records from them.
LINK_SQL = {
    "authors": "SELECT a.user, a.pseud FROM work_authors l JOIN authors a ON a.id = l.author "
    "WHERE l.work = ? ORDER BY l.rowid",
    "tags": "SELECT t.name, t.type FROM work_tags l JOIN tags t ON t.id = l.tag "
    "WHERE l.work = ? ORDER BY l.rowid",
    "series": "SELECT s.id, s.title, l.position FROM work_series l JOIN series s "
    "ON s.id = l.series WHERE l.work = ? ORDER BY l.rowid",
    "collections": "SELECT c.name, c.title FROM work_collections l JOIN collections c "
    "ON c.id = l.collection WHERE l.work = ? ORDER BY l.rowid",
}

_CHAPTER_COLUMNS = ("id", "work", "number", "title", "summary", "notes", "end_notes", "text")
#: Position of ``vanished_at`` in the rows :func:`_save_chapters` reads (after the columns above).
_VANISHED = len(_CHAPTER_COLUMNS)
_SYNTHETIC_BASE = 100_000


def synthetic_chapter_id(work_id: int, number: int) -> int:
    """The stand-in key of a chapter whose AO3 id no page has shown yet (always negative)."""
    return -(work_id * _SYNTHETIC_BASE + number)


def author_label(pseud: str, user: str) -> str:
    """An author as AO3 shows it: ``pseud (user)``, or just ``user`` when they agree."""
    return user if pseud == user else f"{pseud} ({user})"


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
        return _save_work(db, record, work_id, at, replay)


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
            db["works"].insert(
                {
                    "id": work_id,
                    "status": status,
                    "status_at": at,
                    "first_seen": at,
                    "last_fetched": at,
                }
            )
            return "status"
        changes: dict[str, Any] = {}
        if row["status"] != status:
            changes.update(status=status, status_at=at)
        if row["last_fetched"] is None or at > row["last_fetched"]:
            changes["last_fetched"] = at
        if changes:
            db["works"].update(work_id, changes)
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
) -> None:
    """Keep a fetched (or imported) page, zlib-compressed, so ``reparse`` needs no network.

    ``source`` names where an imported page came from (its file name). The same
    bytes fetched at the same time are stored once.
    """
    digest = hashlib.sha256(body).hexdigest()
    db.execute(
        "INSERT OR IGNORE INTO raw_pages "
        "(url, source, fetched_at, http_status, work_id, sha256, size, body) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            url,
            source,
            utc_iso(fetched_at),
            http_status,
            work_id,
            digest,
            len(body),
            zlib.compress(body, 6),
        ],
    )


def _strongest(results: Iterable[str]) -> str:
    order = ("new", "updated", "status", "stale", "unchanged", "skipped")
    found = set(results)
    return next((r for r in order if r in found), "skipped")


def work_row(db: Database, work_id: int) -> dict[str, Any] | None:
    """The ``works`` row of a work as a dict of every column, or None when the id is unknown."""
    cursor = db.execute("SELECT * FROM works WHERE id = ?", [work_id])
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    return None if row is None else dict(zip(names, row, strict=True))


def _json(values: list[str]) -> str:
    return json.dumps(values, ensure_ascii=False)


def record_columns(record: Record) -> dict[str, Any]:
    """The ``works`` columns a record supplies (JSON arrays as text, booleans as 0/1)."""
    values: dict[str, Any] = {
        "title": record.title,
        "authors": _json([author_label(a.pseud, a.user) for a in record.authors]),
        "anonymous": int(record.anonymous),
        "gifts": _json(record.gifts),
        "rating": record.rating,
        "language": record.language,
        "series": _json([s.title for s in record.series]),
        "collections": _json([c.title for c in record.collections]),
        "published": record.published,
        "updated": record.updated,
        "completed": int(record.completed),
        "chapters_total": record.chapters_total,
        "summary": record.summary,
        "notes": record.notes,
        "end_notes": record.end_notes,
        "restricted": int(record.restricted),
    }
    for name in TAG_FIELDS:
        values[name] = _json(getattr(record, name))
    for name in COUNTER_FIELDS:
        values[name] = getattr(record, name)
    return values


def _scope(record: Record) -> str:
    if record.kind != "work" or not record.chapters:
        return "blurb"
    posted = record.chapters_posted
    if posted is not None and len(record.chapters) < posted:
        return "chapter_view"
    return "full"


def _save_work(db: Database, record: Record, work_id: int, at: str, replay: bool) -> str:
    existing = work_row(db, work_id)
    scope = _scope(record)
    incoming = record_columns(record)
    if (
        existing is not None
        and not replay
        and existing["last_fetched"]
        and at < existing["last_fetched"]
    ):
        counters = {
            k: incoming[k] if incoming[k] is not None else existing[k] for k in COUNTER_FIELDS
        }
        _record_stats(db, work_id, at, counters)
        return "stale"

    if existing is None or scope == "full":
        row = dict(incoming)
    else:
        row = {k: existing[k] for k in CONTENT_COLUMNS}
        for key, value in incoming.items():
            if value is not None and value != "[]":
                row[key] = value
    row["id"] = work_id
    row["status"] = "ok"
    if existing is None:
        row.update(status_at=None, first_seen=at, last_fetched=at)
        row["last_full_fetch"] = at if scope == "full" else None
        db["works"].insert(row)
        content_changed = True
    else:
        row["status_at"] = at if existing["status"] != "ok" else existing["status_at"]
        row["first_seen"] = min(filter(None, [existing["first_seen"], at]))
        row["last_fetched"] = max(filter(None, [existing["last_fetched"], at]))
        full_fetches = [existing["last_full_fetch"], at if scope == "full" else None]
        row["last_full_fetch"] = max(filter(None, full_fetches), default=None)
        changes = {k: v for k, v in row.items() if existing.get(k) != v}
        if changes:
            db["works"].update(work_id, changes)
        content_changed = any(k in changes for k in (*CONTENT_COLUMNS, "status"))

    related_changed = _save_related(db, record, work_id, replace_empty=scope == "full")
    chapters_changed = False
    if scope != "blurb":
        chapters_changed = _save_chapters(db, work_id, record.chapters, scope == "full", at)
    _record_stats(db, work_id, at, {k: row[k] for k in COUNTER_FIELDS})
    if existing is None:
        return "new"
    if content_changed or related_changed or chapters_changed:
        return "updated"
    return "unchanged"


def _record_stats(db: Database, work_id: int, at: str, counters: dict[str, Any]) -> None:
    """Add a ``stats_history`` row when the counters differ from the latest at or before ``at``."""
    if all(v is None for v in counters.values()):
        return
    previous = db.execute(
        f"SELECT {', '.join(COUNTER_FIELDS)} FROM stats_history "
        "WHERE work = ? AND fetched_at <= ? ORDER BY fetched_at DESC LIMIT 1",
        [work_id, at],
    ).fetchone()
    values = tuple(counters[k] for k in COUNTER_FIELDS)
    if previous is not None and tuple(previous) == values:
        return
    db["stats_history"].upsert(
        {"work": work_id, "fetched_at": at, **counters}, pk=("work", "fetched_at")
    )


def _save_related(db: Database, record: Record, work_id: int, *, replace_empty: bool) -> bool:
    """Keep the many-to-many tables in step with the record; True when anything changed.

    A partial page (blurb, chapter view) with an empty list leaves the stored links alone.
    """
    tags = [(record.rating, "rating")] if record.rating else []
    tags += [(name, TAG_TYPES[field]) for field in TAG_FIELDS for name in getattr(record, field)]
    changed = _sync(
        db,
        work_id,
        LINK_SQL["authors"],
        _dedupe([(a.user, a.pseud) for a in record.authors]),
        replace_empty,
        "work_authors",
        lambda item: {"author": db["authors"].lookup({"user": item[0], "pseud": item[1]})},
    )
    changed |= _sync(
        db,
        work_id,
        LINK_SQL["tags"],
        _dedupe(tags),
        replace_empty,
        "work_tags",
        lambda item: {"tag": db["tags"].lookup({"name": item[0], "type": item[1]})},
    )

    def series_link(item: tuple) -> dict[str, Any]:
        db["series"].upsert({"id": item[0], "title": item[1]}, pk="id")
        return {"series": item[0], "position": item[2]}

    changed |= _sync(
        db,
        work_id,
        LINK_SQL["series"],
        _dedupe([(s.id, s.title, s.position) for s in record.series], key=0),
        replace_empty,
        "work_series",
        series_link,
    )

    def collection_link(item: tuple) -> dict[str, Any]:
        db["collections"].upsert({"name": item[0], "title": item[1]}, pk="name")
        cid = db.execute("SELECT id FROM collections WHERE name = ?", [item[0]]).fetchone()[0]
        return {"collection": cid}

    changed |= _sync(
        db,
        work_id,
        LINK_SQL["collections"],
        _dedupe([(c.name, c.title) for c in record.collections], key=0),
        replace_empty,
        "work_collections",
        collection_link,
    )
    return changed


def _dedupe(items: list[tuple], key: int | None = None) -> list[tuple]:
    """Drop repeats (a page listing a tag twice) keeping first positions."""
    seen: set = set()
    out = []
    for item in items:
        k = item if key is None else item[key]
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _sync(
    db: Database,
    work_id: int,
    current_sql: str,
    wanted: list[tuple],
    replace_empty: bool,
    table: str,
    link: Callable[[tuple], dict[str, Any]],
) -> bool:
    """Rewrite ``table``'s links of the work when ``wanted`` differs from what is stored."""
    if not wanted and not replace_empty:
        return False
    current = [tuple(r) for r in db.execute(current_sql, [work_id]).fetchall()]
    if current == wanted:
        return False
    rows = [{"work": work_id, **link(item)} for item in wanted]
    db.execute(f"DELETE FROM [{table}] WHERE work = ?", [work_id])
    if rows:
        db[table].insert_all(rows)
    return True


def _save_chapters(
    db: Database, work_id: int, chapters: list[Chapter], full: bool, at: str
) -> bool:
    """Apply a page's chapters; vanish the ones a full page no longer lists. True if changed."""
    cursor = db.execute(
        f"SELECT {', '.join(_CHAPTER_COLUMNS)}, vanished_at FROM chapters WHERE work = ?",
        [work_id],
    )
    stored = {r[0]: r for r in cursor.fetchall()}
    active = {r[2]: r[0] for r in stored.values() if r[_VANISHED] is None}
    changed = False
    plan: list[tuple[int, Chapter]] = []
    for ch in chapters:
        occupant = active.get(ch.number)
        if ch.chapter_id is None:
            cid = occupant if occupant is not None else synthetic_chapter_id(work_id, ch.number)
        else:
            cid = ch.chapter_id
            if occupant is not None and occupant < 0 and cid not in stored:
                # The real id of a chapter first stored under a stand-in key.
                db.execute("UPDATE chapters SET id = ? WHERE id = ?", [cid, occupant])
                stored[cid] = (cid, *stored.pop(occupant)[1:])
                active[ch.number] = cid
                changed = True
        plan.append((cid, ch))
    new_ids = {cid for cid, _ in plan}
    leaving = [cid for cid in active.values() if cid not in new_ids] if full else []
    # A row still holding a number the page gives to another chapter steps aside first
    # (it comes back below if the page lists it under its new number).
    leaving += [active[ch.number] for cid, ch in plan if active.get(ch.number, cid) != cid]
    for cid in dict.fromkeys(leaving):
        db.execute("UPDATE chapters SET vanished_at = ? WHERE id = ?", [at, cid])
        stored[cid] = (*stored[cid][:_VANISHED], at)
        changed = True
    rows = []
    for cid, ch in plan:
        values = (cid, work_id, ch.number, ch.title, ch.summary, ch.notes, ch.end_notes, ch.text)
        old = stored.get(cid)
        if old is not None and old[:_VANISHED] == values and old[_VANISHED] is None:
            continue
        rows.append({**dict(zip(_CHAPTER_COLUMNS, values, strict=True)), "vanished_at": None})
    if rows:
        db["chapters"].upsert_all(rows, pk="id")
        changed = True
    return changed
