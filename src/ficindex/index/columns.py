"""The ``works`` row of a record: its columns, and how a row is read back.

Shared by the merge (which compares a page's columns with the stored row)
and by export (which rebuilds records from rows), so both agree on one shape.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from ficindex.record import COUNTER_FIELDS, TAG_FIELDS, Record

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


def author_label(pseud: str, user: str) -> str:
    """An author as AO3 shows it: ``pseud (user)``, or just ``user`` when they agree."""
    return user if pseud == user else f"{pseud} ({user})"


def work_row(db: Database, work_id: int) -> dict[str, Any] | None:
    """The ``works`` row of a work as a dict of every column, or None when the id is unknown."""
    cursor = db.execute("SELECT * FROM works WHERE id = ?", [work_id])
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    return None if row is None else dict(zip(names, row, strict=True))


def insert_work(db: Database, row: dict[str, Any]) -> None:
    """Add a ``works`` row (its columns are the dict's keys; ``id`` among them)."""
    names = ", ".join(row)
    db.conn.execute(
        f"INSERT INTO works ({names}) VALUES ({', '.join('?' * len(row))})", [*row.values()]
    )


def update_work(db: Database, work_id: int, changes: dict[str, Any]) -> None:
    """Set some columns of a stored ``works`` row (names from this package, never from input)."""
    sets = ", ".join(f"{name} = ?" for name in changes)
    db.conn.execute(f"UPDATE works SET {sets} WHERE id = ?", [*changes.values(), work_id])


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
    if record.kudos_guests is not None:  # only a work page's kudos paragraph names them
        values["kudos_users"] = _json(record.kudos_users)
        values["kudos_guests"] = record.kudos_guests
    return values
