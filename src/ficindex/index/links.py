"""A work's many-to-many links: authors, tags, series and collections.

Each link table is rewritten for a work only when the page's list differs
from the stored one, in the page's order (export rebuilds lists from it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from ficindex.record import TAG_FIELDS, Record

#: Makes the link row of one item (a ``work_*`` row without its ``work``), adding the item
#: to its shared table (authors, tags, series, collections) when needed.
Link = Callable[[tuple[Any, ...]], dict[str, Any]]

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


def save_related(db: Database, record: Record, work_id: int, *, mode: str) -> bool:
    """Keep the many-to-many tables in step with the record; True when anything changed.

    ``mode`` is ``"replace"`` (a full page: its lists, even empty ones, are the
    work's), ``"merge"`` (a newer partial page: a list it shows replaces the
    stored one, an empty one leaves it alone) or ``"fill"`` (a page older than
    the stored data: its lists only fill lists stored empty).
    """
    tags = [(record.rating, "rating")] if record.rating else []
    tags += [(name, TAG_TYPES[field]) for field in TAG_FIELDS for name in getattr(record, field)]

    def author_link(item: tuple[Any, ...]) -> dict[str, Any]:
        return {"author": db.table("authors").lookup({"user": item[0], "pseud": item[1]})}

    def tag_link(item: tuple[Any, ...]) -> dict[str, Any]:
        return {"tag": db.table("tags").lookup({"name": item[0], "type": item[1]})}

    def series_link(item: tuple[Any, ...]) -> dict[str, Any]:
        db.table("series").upsert({"id": item[0], "title": item[1]}, pk="id")
        return {"series": item[0], "position": item[2]}

    def collection_link(item: tuple[Any, ...]) -> dict[str, Any]:
        db.table("collections").upsert({"name": item[0], "title": item[1]}, pk="name")
        cid = db.execute("SELECT id FROM collections WHERE name = ?", [item[0]]).fetchone()[0]
        return {"collection": cid}

    links: list[tuple[str, list[tuple[Any, ...]], str, Link]] = [
        (
            "authors",
            _dedupe([(a.user, a.pseud) for a in record.authors]),
            "work_authors",
            author_link,
        ),
        (
            "tags",
            _dedupe(tags),
            "work_tags",
            tag_link,
        ),
        (
            "series",
            _dedupe([(s.id, s.title, s.position) for s in record.series], key=0),
            "work_series",
            series_link,
        ),
        (
            "collections",
            _dedupe([(c.name, c.title) for c in record.collections], key=0),
            "work_collections",
            collection_link,
        ),
    ]
    changed = False
    for name, wanted, table, link in links:
        changed |= _sync(db, work_id, LINK_SQL[name], wanted, mode, table, link)
    return changed


def _dedupe(items: list[tuple[Any, ...]], key: int | None = None) -> list[tuple[Any, ...]]:
    """Drop repeats (a page listing a tag twice) keeping first positions."""
    seen: set[Any] = set()
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
    wanted: list[tuple[Any, ...]],
    mode: str,
    table: str,
    link: Link,
) -> bool:
    """Rewrite ``table``'s links of the work when ``wanted`` differs from what is stored."""
    if not wanted and mode != "replace":
        return False
    current = [tuple(r) for r in db.execute(current_sql, [work_id]).fetchall()]
    if current == wanted or (current and mode == "fill"):
        return False
    rows = [{"work": work_id, **link(item)} for item in wanted]
    db.execute(f"DELETE FROM [{table}] WHERE work = ?", [work_id])
    if rows:
        db.table(table).insert_all(rows)
    return True
