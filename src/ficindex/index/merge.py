"""The merge rule of one work page, blurb or interstitial (see :mod:`ficindex.index.store`)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from ficindex.index.chapters import add_older_chapters, save_chapters
from ficindex.index.columns import (
    CONTENT_COLUMNS,
    insert_work,
    record_columns,
    update_work,
    work_row,
)
from ficindex.index.links import save_related
from ficindex.record import COUNTER_FIELDS, Record


def scope(record: Record) -> str:
    """What a page may overwrite: ``full`` (every chapter), ``chapter_view`` or ``blurb``."""
    if record.kind != "work" or not record.chapters:
        return "blurb"
    posted = record.chapters_posted
    if posted is not None and len(record.chapters) < posted:
        return "chapter_view"
    return "full"


def save_work(db: Database, record: Record, work_id: int, at: str, replay: bool) -> str:
    """Merge a work page, blurb or interstitial of ``work_id``; "new", "updated", ... "stale"."""
    existing = work_row(db, work_id)
    kind = scope(record)
    incoming = record_columns(record)
    if existing is not None and not replay and _older(existing, at):
        return _save_older(db, record, existing, incoming, kind, at)
    if existing is None:
        row = _insert_work(db, work_id, incoming, kind, at)
        content_changed = True
    else:
        row, content_changed = _update_work(db, existing, incoming, kind, at)
    mode = "replace" if kind == "full" else "merge"
    related_changed = save_related(db, record, work_id, mode=mode, at=at)
    chapters_changed = False
    if kind != "blurb":
        chapters_changed = save_chapters(db, work_id, record.chapters, kind == "full", at)
    record_stats(db, work_id, at, {k: row[k] for k in COUNTER_FIELDS})
    if existing is None:
        return "new"
    return "updated" if content_changed or related_changed or chapters_changed else "unchanged"


def _older(existing: dict[str, Any], at: str) -> bool:
    """Whether a page fetched at ``at`` is older than what the index holds for its work."""
    return bool(existing["last_fetched"]) and at < existing["last_fetched"]


def _save_older(
    db: Database,
    record: Record,
    existing: dict[str, Any],
    incoming: dict[str, Any],
    kind: str,
    at: str,
) -> str:
    """A page older than the stored data: it may add, never overwrite, so that pages give
    the same index whatever order they are stored in (file times decide nothing else).

    Older than the last full page: only its counters (``stats_history``) and the
    text of chapters never stored (kept as vanished). Newer than that but older
    than the last fetch (an interstitial or blurb came later): it also fills
    columns and link lists stored empty, and adds the chapters the index lacks.
    Returns "updated" when it added anything, else "stale".
    """
    work_id = existing["id"]
    last_full = existing["last_full_fetch"]
    stale = bool(last_full) and at < last_full
    changes = _gaps(existing, incoming, kind, at) if not stale else {}
    first_seen = min(filter(None, [existing["first_seen"], at]))
    if first_seen != existing["first_seen"]:
        changes["first_seen"] = first_seen
    if changes:
        update_work(db, work_id, changes)
    changed = any(k in CONTENT_COLUMNS for k in changes)
    if not stale:
        changed |= save_related(db, record, work_id, mode="fill", at=at)
    if kind != "blurb":
        absent_at = last_full if stale else None
        changed |= add_older_chapters(
            db, work_id, record.chapters, absent_at=absent_at, displaced_at=existing["last_fetched"]
        )
    counters = {k: existing[k] if _empty(incoming[k]) else incoming[k] for k in COUNTER_FIELDS}
    record_stats(db, work_id, at, counters)
    return "updated" if changed else "stale"


def _gaps(existing: dict[str, Any], incoming: dict[str, Any], kind: str, at: str) -> dict[str, Any]:
    """The ``works`` changes of an older page that is not stale: it fills empty columns."""
    changes = {k: v for k, v in incoming.items() if _empty(existing[k]) and not _empty(v)}
    if kind == "full":
        changes["last_full_fetch"] = at
    return changes


def _empty(value: Any) -> bool:
    """A column value a page did not show: null, or an empty JSON list."""
    return value is None or value == "[]"


def _insert_work(
    db: Database, work_id: int, incoming: dict[str, Any], kind: str, at: str
) -> dict[str, Any]:
    row = {**incoming, "id": work_id, "status": "ok", "status_at": None}
    row.update(first_seen=at, last_fetched=at, last_full_fetch=at if kind == "full" else None)
    insert_work(db, row)
    return row


def _update_work(
    db: Database, existing: dict[str, Any], incoming: dict[str, Any], kind: str, at: str
) -> tuple[dict[str, Any], bool]:
    """Write the merged row of a known work; return it and whether its content changed."""
    if kind == "full":
        row = dict(incoming)
    else:
        row = {k: existing[k] for k in CONTENT_COLUMNS}
        row.update({k: v for k, v in incoming.items() if v is not None and v != "[]"})
    row["id"] = existing["id"]
    row["status"] = "ok"
    row["status_at"] = at if existing["status"] != "ok" else existing["status_at"]
    row["first_seen"] = min(filter(None, [existing["first_seen"], at]))
    row["last_fetched"] = max(filter(None, [existing["last_fetched"], at]))
    full_fetches = [existing["last_full_fetch"], at if kind == "full" else None]
    row["last_full_fetch"] = max(filter(None, full_fetches), default=None)
    changes = {k: v for k, v in row.items() if existing.get(k) != v}
    if changes:
        update_work(db, existing["id"], changes)
    return row, any(k in changes for k in (*CONTENT_COLUMNS, "status"))


def record_stats(db: Database, work_id: int, at: str, counters: dict[str, Any]) -> None:
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
    db.conn.execute(_STATS_UPSERT, (work_id, at, *values))


#: A ``stats_history`` row, replacing the counters of one already stored at the same time.
_STATS_UPSERT = (
    f"INSERT INTO stats_history (work, fetched_at, {', '.join(COUNTER_FIELDS)}) "
    f"VALUES (?, ?, {', '.join('?' * len(COUNTER_FIELDS))}) "
    "ON CONFLICT (work, fetched_at) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COUNTER_FIELDS)
)
