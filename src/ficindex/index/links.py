"""A work's many-to-many links: authors, tags, series and collections.

Each link table is rewritten for a work only when the page's list differs
from the stored one, in the page's order (export rebuilds lists from it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from sqlite_utils import Database

from ficindex.record import TAG_FIELDS, Record

#: Makes the link row of one item (a ``work_*`` row's values after its ``work``), adding
#: the item to its shared table (authors, tags, series, collections) when needed.
Link = Callable[[tuple[Any, ...]], tuple[Any, ...]]

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


def save_related(
    db: Database, record: Record, work_id: int, *, mode: str, at: str | None = None
) -> bool:
    """Keep the many-to-many tables in step with the record; True when anything changed.

    ``mode`` is ``"replace"`` (a full page: its lists, even empty ones, are the
    work's), ``"merge"`` (a newer partial page: a list it shows replaces the
    stored one, an empty one leaves it alone) or ``"fill"`` (a page older than
    the stored data: its lists only fill lists stored empty).

    A series' or collection's title is shared by every work in it: the page's
    fetch time ``at`` replaces it only when no page fetched later gave it, so the
    title does not depend on the order pages are stored in. The work's links are
    compared by series id and position, and by collection name.

    Plain prepared statements (no schema reads): this runs for every page stored.
    """
    conn = db.conn
    tags = [(record.rating, "rating")] if record.rating else []
    tags += [(name, TAG_TYPES[field]) for field in TAG_FIELDS for name in getattr(record, field)]
    series = _dedupe([(s.id, s.title, s.position) for s in record.series], key=0)
    collections = _dedupe([(c.name, c.title) for c in record.collections], key=0)
    changed = _save_titles(conn, series, collections, at)

    def author_link(item: tuple[Any, ...]) -> tuple[Any, ...]:
        return (_lookup(conn, "authors", "user", "pseud", item[0], item[1]),)

    def tag_link(item: tuple[Any, ...]) -> tuple[Any, ...]:
        return (_lookup(conn, "tags", "name", "type", item[0], item[1]),)

    def collection_link(item: tuple[Any, ...]) -> tuple[Any, ...]:
        return (conn.execute("SELECT id FROM collections WHERE name = ?", item).fetchone()[0],)

    links: list[tuple[str, list[tuple[Any, ...]], Link]] = [
        ("authors", _dedupe([(a.user, a.pseud) for a in record.authors]), author_link),
        ("tags", _dedupe(tags), tag_link),
        ("series", [(i, position) for i, _, position in series], tuple),
        ("collections", [(name,) for name, _ in collections], collection_link),
    ]
    for name, wanted, link in links:
        changed |= _sync(conn, work_id, name, wanted, mode, link)
    return changed


def _save_titles(
    conn: sqlite3.Connection,
    series: list[tuple[Any, ...]],
    collections: list[tuple[Any, ...]],
    at: str | None,
) -> bool:
    """Add or retitle the page's series and collections; True when a stored title changed.

    A stored title is replaced by the page's when the page is as new or newer (or the
    stored one has no time), and only when title or time differ: nothing is written for
    a page stored again.
    """
    changed = False
    for table, key, title in [
        *(("series", i, title) for i, title, _ in series),
        *(("collections", name, title) for name, title in collections),
    ]:
        read, insert, update = _TITLE_SQL[table]
        row = conn.execute(read, (key,)).fetchone()
        if row is None:
            conn.execute(insert, (title, at, key))
        elif (row[1] is None or (at is not None and at >= row[1])) and row != (title, at):
            conn.execute(update, (title, at, key))
            changed |= row[0] != title
    return changed


#: The stored links a page's are compared with, where :data:`LINK_SQL` also reads a shared
#: title (which :func:`_save_titles` keeps, whichever work's page gave it).
_KEY_SQL = {
    "series": "SELECT series, position FROM work_series WHERE work = ? ORDER BY rowid",
    "collections": "SELECT c.name FROM work_collections l JOIN collections c "
    "ON c.id = l.collection WHERE l.work = ? ORDER BY l.rowid",
}

#: Each link table and its columns after ``work``, by the name of its list in :data:`LINK_SQL`.
_LINK_TABLES = {
    "authors": ("work_authors", ("author",)),
    "tags": ("work_tags", ("tag",)),
    "series": ("work_series", ("series", "position")),
    "collections": ("work_collections", ("collection",)),
}

#: A shared title's table: its row (title, title_at) by key, and adding or retitling it.
_TITLE_SQL = {
    "series": (
        "SELECT title, title_at FROM series WHERE id = ?",
        "INSERT INTO series (title, title_at, id) VALUES (?, ?, ?)",
        "UPDATE series SET title = ?, title_at = ? WHERE id = ?",
    ),
    "collections": (
        "SELECT title, title_at FROM collections WHERE name = ?",
        "INSERT INTO collections (title, title_at, name) VALUES (?, ?, ?)",
        "UPDATE collections SET title = ?, title_at = ? WHERE name = ?",
    ),
}


def _lookup(conn: sqlite3.Connection, table: str, a: str, b: str, va: Any, vb: Any) -> int:
    """The id of the (``a``, ``b``) row of an ``authors``/``tags``-shaped table, added if new.

    No cache across pages on purpose: a page whose transaction rolls back takes
    its new rows with it, and a cached id would then point at nothing.
    """
    row = conn.execute(f"SELECT id FROM {table} WHERE {a} = ? AND {b} = ?", (va, vb)).fetchone()
    if row is not None:
        return int(row[0])
    cursor = conn.execute(f"INSERT INTO {table} ({a}, {b}) VALUES (?, ?)", (va, vb))
    return int(cursor.lastrowid or 0)


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
    conn: sqlite3.Connection,
    work_id: int,
    name: str,
    wanted: list[tuple[Any, ...]],
    mode: str,
    link: Link,
) -> bool:
    """Rewrite the work's ``name`` links when ``wanted`` differs from what is stored."""
    if not wanted and mode != "replace":
        return False
    current = [tuple(r) for r in conn.execute(_KEY_SQL.get(name) or LINK_SQL[name], (work_id,))]
    if current == wanted or (current and mode == "fill"):
        return False
    rows = [(work_id, *link(item)) for item in wanted]
    table, columns = _LINK_TABLES[name]
    conn.execute(f"DELETE FROM {table} WHERE work = ?", (work_id,))
    if rows:
        marks = ", ".join("?" * (len(columns) + 1))
        conn.executemany(f"INSERT INTO {table} (work, {', '.join(columns)}) VALUES ({marks})", rows)
    return True
