"""Full-text search kept in step once per run or batch instead of once per row.

The full-text indexes (FTS5 tables and the trigram side indexes of CJK rows)
are kept in step with ``works`` and ``chapters`` by triggers. Each changed
chapter then costs two tokenizations (the old text is tokenized again to
delete it, then the new one), and FTS5 writes a new index segment at every
statement that touches it, which it then merges again and again. Two ways
out, both *inside the caller's transaction*, with the triggers dropped and
re-created (their own stored SQL, so a later migration's triggers come back as
they were) in the same transaction as the rows:

* :func:`fts_deferred` (``reparse``, which rewrites much of the index): one
  ``rebuild`` of each index at the end, tokenizing every text once;
* :func:`fts_batched` (``import``, a batch of pages): only the rows the batch
  changed are taken out of the indexes (with the values they held) and put
  back, one statement for all of them.

A run that is interrupted or killed rolls back to the index as it was,
triggers included; one that finishes commits rows, search indexes and
triggers together.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

#: Content tables whose full-text indexes the triggers keep in step.
CONTENT_TABLES = ("works", "chapters")

#: Each content table's full-text indexes: its FTS5 table and the trigram side index of
#: its CJK rows (schema m003). A trigger writing either is deferred.
FULL_TEXT = {table: (f"{table}_fts", f"{table}_cjk") for table in CONTENT_TABLES}


@dataclass(slots=True)
class Deferred:
    """Handed to the body of :func:`fts_deferred`: set ``changed`` when a row may have
    changed (nothing changed means nothing to rebuild)."""

    changed: bool = False
    triggers: list[tuple[str, str]] = field(default_factory=list)
    #: The full-text indexes whose triggers were dropped (rebuilt at the end).
    indexes: list[str] = field(default_factory=list)


@contextmanager
def fts_deferred(conn: sqlite3.Connection) -> Iterator[Deferred]:
    """Within an open transaction: FTS triggers off for the body, then one rebuild.

    On leaving normally, each FTS table is rebuilt from its content table if
    ``changed`` was set, and the triggers are re-created. On an exception the
    caller's rollback restores everything; nothing is done here.
    """
    if not conn.in_transaction:
        raise RuntimeError("fts_deferred needs an open transaction")
    kept = sorted(trigger for table in CONTENT_TABLES for trigger in _fts_triggers(conn, table))
    state = Deferred(
        triggers=kept,
        indexes=[
            index
            for table in CONTENT_TABLES
            for index in FULL_TEXT[table]
            if any(index in sql for _, sql in kept)
        ],
    )
    for name, _ in state.triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    yield state
    if state.changed:
        for index in state.indexes:
            conn.execute(f"INSERT INTO {index} ({index}) VALUES ('rebuild')")
    for name, sql in state.triggers:
        # (A page whose error ended the whole transaction has brought them back already.)
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [name]).fetchone():
            conn.execute(sql)


def _fts_triggers(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """The triggers of ``table`` (name, SQL) that write one of its full-text indexes."""
    rows = conn.execute(
        "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
        "ORDER BY name",
        [table],
    ).fetchall()
    return [(name, sql) for name, sql in rows if sql and _writes(sql, table)]


def _writes(sql: str, table: str) -> bool:
    """Whether a trigger of ``table`` (its SQL) writes one of the table's full-text indexes."""
    return any(index in sql for index in FULL_TEXT[table])


_EVENT = re.compile(r"\bAFTER\s+(INSERT|DELETE|UPDATE)\b", re.IGNORECASE)
#: ``new.rowid`` in a trigger body: a view has no rowid, so on the view the id column
#: (the table's rowid, see :func:`_defer`) stands for it.
_ROWID = re.compile(r"\b(new)\.rowid\b", re.IGNORECASE)
#: A trigger's SQL: its head (with the event), then its statements between BEGIN and END.
_TRIGGER = re.compile(r"(.*?)\bBEGIN\b(.*)\bEND\s*$", re.IGNORECASE | re.DOTALL)


@dataclass(slots=True)
class _Deferred:
    """One content table under :func:`fts_batched`: its dropped triggers, and the replay."""

    table: str
    columns: list[str]
    dropped: list[tuple[str, str]]
    #: Statement bodies of the dropped AFTER INSERT and AFTER DELETE triggers.
    inserts: list[str]
    deletes: list[str]


@contextmanager
def fts_batched(conn: sqlite3.Connection) -> Iterator[None]:
    """Within an open transaction: full-text indexes brought up to date once, at the end.

    FTS5 (as of SQLite 3.40) writes its pending terms to disk as a new index
    segment at every statement and savepoint that touches it, so triggers that
    index one row per statement leave a segment per chapter, which FTS5 then
    merges again and again: about half of an import's time. Here the triggers
    of ``works`` and ``chapters`` that keep their full-text indexes are dropped
    for the body, and temporary triggers only note which rows change (and the
    indexed values of rows the indexes held before, the first time each
    changes). On leaving normally, those old values are deleted from the
    indexes and the rows' current values added, each by one statement that
    runs the dropped triggers' own bodies; then the triggers are re-created.
    The indexes end as row-by-row triggers would leave them.

    Savepoints inside the body (one per page) roll back their notes with their
    rows. On an exception nothing is done here: the caller's rollback restores
    the triggers (DDL is transactional) and the temporary tables. A table whose
    triggers cannot be replayed (no AFTER INSERT or DELETE trigger) is left as it is.
    """
    if not conn.in_transaction:
        raise RuntimeError("fts_batched needs an open transaction")
    deferred = [d for d in map(partial(_defer, conn), CONTENT_TABLES) if d is not None]
    for item in deferred:
        _start(conn, item)
    yield
    for item in deferred:
        _finish(conn, item)


def _defer(conn: sqlite3.Connection, table: str) -> _Deferred | None:
    """The triggers of ``table`` to defer, with their replay bodies (None: leave it alone)."""
    dropped = _fts_triggers(conn, table)
    bodies = _bodies(dropped)
    info = conn.execute(f'PRAGMA main.table_info("{table}")').fetchall()
    key = [(r[1], r[2].upper()) for r in info if r[5]]
    if not bodies or not bodies["INSERT"] or not bodies["DELETE"] or key != [("id", "INTEGER")]:
        return None
    return _Deferred(table, [r[1] for r in info], dropped, bodies["INSERT"], bodies["DELETE"])


def _bodies(triggers: list[tuple[str, str]]) -> dict[str, list[str]] | None:
    """The statement bodies of ``triggers`` by their event (None: one could not be read)."""
    bodies: dict[str, list[str]] = {"INSERT": [], "DELETE": [], "UPDATE": []}
    for _, sql in triggers:
        parts = _TRIGGER.match(sql)
        event = _EVENT.search(parts.group(1)) if parts else None
        if parts is None or event is None:
            return None
        bodies[event.group(1).upper()].append(parts.group(2))
    return bodies


def _start(conn: sqlite3.Connection, d: _Deferred) -> None:
    """Drop ``d``'s triggers; make the temporary tables and triggers that take notes.

    ``fts_seen_T``: ids whose index entries may need to change. ``fts_old_T``:
    the values a row had when the batch began, kept at its first change.
    ``fts_fresh_T``: ids whose row was inserted (or renamed to) in the batch, or
    whose old values are kept already: a later change of them keeps nothing.
    """
    t = d.table
    cols = ", ".join(f'"{c}"' for c in d.columns)
    old = ", ".join(f'old."{c}"' for c in d.columns)
    others = ", ".join(f'"{c}"' for c in d.columns if c != "id")
    for name, _ in d.dropped:
        conn.execute(f'DROP TRIGGER main."{name}"')
    conn.execute(f'CREATE TEMP TABLE "fts_old_{t}" (id INTEGER PRIMARY KEY, {others})')
    # Rows put back go through a view, so they are not copied anywhere on the way.
    conn.execute(f'CREATE TEMP VIEW "fts_new_{t}" AS SELECT {cols} FROM main."{t}" WHERE 0')
    for kind in ("seen", "fresh"):
        conn.execute(f'CREATE TEMP TABLE "fts_{kind}_{t}" (id INTEGER PRIMARY KEY)')
    keep = (
        f'INSERT INTO "fts_old_{t}" ({cols}) SELECT {old} WHERE NOT EXISTS '
        f'(SELECT 1 FROM "fts_fresh_{t}" WHERE id = old.id); '
        + _note(t, "fresh", "old.id")
        + _note(t, "seen", "old.id")
    )
    conn.execute(
        f'CREATE TEMP TRIGGER "fts_note_{t}_ai" AFTER INSERT ON main."{t}" BEGIN '
        + _note(t, "seen", "new.id")
        + _note(t, "fresh", "new.id")
        + " END"
    )
    conn.execute(
        f'CREATE TEMP TRIGGER "fts_note_{t}_ad" AFTER DELETE ON main."{t}" BEGIN {keep} END'
    )
    # An update keeps the old values, then marks the new id fresh only when it is a new id.
    conn.execute(
        f'CREATE TEMP TRIGGER "fts_note_{t}_au" AFTER UPDATE ON main."{t}" BEGIN {keep} '
        + _note(t, "seen", "new.id")
        + _note(t, "fresh", "new.id", "new.id != old.id")
        + " END"
    )
    conn.execute(
        f'CREATE TEMP TRIGGER "fts_replay_{t}_ad" AFTER DELETE ON "fts_old_{t}" BEGIN '
        + " ".join(d.deletes)
        + " END"
    )
    conn.execute(
        f'CREATE TEMP TRIGGER "fts_replay_{t}_ai" INSTEAD OF INSERT ON "fts_new_{t}" BEGIN '
        + " ".join(_ROWID.sub(r'\1."id"', body) for body in d.inserts)
        + " END"
    )


def _note(table: str, kind: str, value: str, condition: str = "1") -> str:
    """A trigger statement adding ``value`` to the ``kind`` note table of ``table`` once.

    Not ``INSERT OR IGNORE``: in a trigger the conflict policy of the statement
    that fired it (the merge's upserts) would override the IGNORE.
    """
    notes = f'"fts_{kind}_{table}"'
    return (
        f"INSERT INTO {notes} (id) SELECT {value} WHERE {condition} "
        f"AND NOT EXISTS (SELECT 1 FROM {notes} WHERE id = {value}); "
    )


def _finish(conn: sqlite3.Connection, d: _Deferred) -> None:
    """Delete the kept old values from the indexes, add the changed rows' current ones,
    drop the temporary objects and re-create the triggers."""
    t = d.table
    cols = ", ".join(f'"{c}"' for c in d.columns)
    for name in ("ai", "ad", "au"):
        conn.execute(f'DROP TRIGGER temp."fts_note_{t}_{name}"')
    conn.execute(f'DELETE FROM "fts_old_{t}"')
    conn.execute(
        f'INSERT INTO "fts_new_{t}" ({cols}) SELECT {cols} FROM main."{t}" '
        f'WHERE id IN (SELECT id FROM "fts_seen_{t}")'
    )
    conn.execute(f'DROP VIEW temp."fts_new_{t}"')
    for kind in ("old", "seen", "fresh"):
        conn.execute(f'DROP TABLE temp."fts_{kind}_{t}"')
    for _, sql in d.dropped:
        conn.execute(sql)
