"""Stored works back into SPEC record objects, many works per query.

Export reads every work it writes; one query per table and work (five a work)
cost more than the JSON itself. Here the ``works`` rows and the link tables
are read for a batch of ids at once, and each work's chapters by one prepared
query (a work's chapters are read one work at a time so that a batch of
50-chapter works never sits in memory at once). The dicts are built directly
in the record's key order (:meth:`ficindex.record.Record.to_dict`), so
``orjson.dumps`` of one is the line ``ficindex parse`` prints for the page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import orjson

from ficindex import AO3_URL
from ficindex.record import TAG_FIELDS

#: Works read per batch: a few hundred ids keep each ``IN (...)`` list short and the
#: rows of one batch (metadata only; chapters are read per work) small.
BATCH = 256

#: True for a ``works`` row some page described, false for a stub known only by id: a stub
#: (see ``mark_status``) has no title, rating, language, dates, words, authors or fandoms,
#: while a work page or blurb always shows some of them, even when its title is empty.
HAS_RECORD_SQL = (
    "(title IS NOT NULL OR rating IS NOT NULL OR language IS NOT NULL OR published IS NOT NULL"
    " OR updated IS NOT NULL OR words IS NOT NULL OR authors != '[]' OR fandoms != '[]')"
)
_RECORD_MARKS = ("title", "rating", "language", "published", "updated", "words")

#: The link rows of a batch of works (``{ids}`` is the list of ``?``), each row led by its
#: work, in the order the work's page listed them (``rowid`` order, as ``LINK_SQL``).
_LINKS = {
    "authors": "SELECT l.work, a.pseud, a.user FROM work_authors l JOIN authors a "
    "ON a.id = l.author WHERE l.work IN ({ids}) ORDER BY l.rowid",
    "series": "SELECT l.work, s.id, s.title, l.position FROM work_series l JOIN series s "
    "ON s.id = l.series WHERE l.work IN ({ids}) ORDER BY l.rowid",
    "collections": "SELECT l.work, c.name, c.title FROM work_collections l JOIN collections c "
    "ON c.id = l.collection WHERE l.work IN ({ids}) ORDER BY l.rowid",
}
_CHAPTERS = (
    "SELECT number, id, title, summary, notes, end_notes, text FROM chapters "
    "WHERE work = ? AND vanished_at IS NULL ORDER BY number"
)
_COUNTERS_FIRST = ("words", "comments", "kudos")
_COUNTERS_LAST = ("bookmarks", "hits", "chapters_posted")


def has_record(row: dict[str, Any]) -> bool:
    """:data:`HAS_RECORD_SQL` for a row already read."""
    marks = any(row[k] is not None for k in _RECORD_MARKS)
    return marks or row["authors"] != "[]" or row["fandoms"] != "[]"


#: What an exported line adds after the record's own keys: where the work stands in the index
#: and where it lives on AO3 (a parsed page cannot know the first three).
EXPORT_FIELDS = ("status", "status_at", "first_seen", "last_fetched", "url")


def record_dicts(
    conn: sqlite3.Connection, ids: Iterable[int], *, export_fields: bool = False
) -> Iterator[dict[str, Any]]:
    """The record dict of each id that has one, in the order of ``ids``, streamed.

    ``export_fields`` appends :data:`EXPORT_FIELDS` after the record's keys, so a
    line without them is still byte for byte the one ``ficindex parse`` prints.
    """
    it = iter(ids)
    while batch := list(islice(it, BATCH)):
        for data, row in _batch(conn, batch):
            if export_fields:
                data.update({name: row[name] for name in EXPORT_FIELDS[:-1]})
                data["url"] = f"{AO3_URL}/works/{row['id']}"
            yield data


def _batch(
    conn: sqlite3.Connection, ids: list[int]
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    marks = ", ".join("?" * len(ids))
    cursor = conn.execute(f"SELECT * FROM works WHERE id IN ({marks})", ids)
    names = [d[0] for d in cursor.description]
    rows = {r[0]: dict(zip(names, r, strict=True)) for r in cursor}
    links = {name: _grouped(conn, sql.format(ids=marks), ids) for name, sql in _LINKS.items()}
    for work_id in ids:
        row = rows.get(work_id)
        if row is not None and has_record(row):
            yield _record(conn, row, links), row


def _grouped(conn: sqlite3.Connection, sql: str, ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for row in conn.execute(sql, ids):
        out.setdefault(row[0], []).append(row[1:])
    return out


def _record(
    conn: sqlite3.Connection, w: dict[str, Any], links: dict[str, dict[int, list[Any]]]
) -> dict[str, Any]:
    """One work's record dict, every key in contract order."""
    wid = w["id"]
    loads = orjson.loads
    return {
        "kind": "work",
        "work_id": wid,
        "title": w["title"],
        "authors": [{"pseud": p, "user": u} for p, u in links["authors"].get(wid, ())],
        "anonymous": bool(w["anonymous"]),
        "gifts": loads(w["gifts"]),
        "rating": w["rating"],
        **{name: loads(w[name]) for name in TAG_FIELDS},
        "language": w["language"],
        "series": [
            {"id": i, "title": t, "position": p} for i, t, p in links["series"].get(wid, ())
        ],
        "collections": [{"name": n, "title": t} for n, t in links["collections"].get(wid, ())],
        "published": w["published"],
        "updated": w["updated"],
        "completed": bool(w["completed"]),
        **{name: w[name] for name in _COUNTERS_FIRST},
        # A row from before the engagement step has neither column: no kudos paragraph read.
        "kudos_users": loads(w.get("kudos_users") or "[]"),
        "kudos_guests": w.get("kudos_guests"),
        **{name: w[name] for name in _COUNTERS_LAST},
        "chapters_total": w["chapters_total"],
        "summary": w["summary"],
        "notes": w["notes"],
        "end_notes": w["end_notes"],
        "restricted": bool(w["restricted"]),
        "chapters": [
            {
                "number": number,
                "chapter_id": cid if cid > 0 else None,
                "title": title,
                "summary": summary,
                "notes": notes,
                "end_notes": end_notes,
                "text": text,
            }
            for number, cid, title, summary, notes, end_notes, text in conn.execute(
                _CHAPTERS, (wid,)
            )
        ],
        "listing": None,
    }
