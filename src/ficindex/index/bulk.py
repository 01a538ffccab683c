"""Full-text search kept in step once per run instead of once per row.

The FTS5 tables are kept in step with ``works`` and ``chapters`` by triggers.
Each changed chapter then costs two tokenizations (the old text is tokenized
again to delete it, then the new one), and every commit writes and merges
index segments. A run that rewrites much of the index (``reparse`` after a
parser upgrade) does better the way SQLite's own bulk loaders do: triggers off,
rows written, then one ``rebuild`` that tokenizes every text once.

:func:`fts_deferred` does that *inside the caller's transaction*: the triggers
are dropped and re-created (their own stored SQL, so a later migration's
triggers come back as they were) in the same transaction as the rows. A run
that is interrupted or killed rolls back to the index as it was, triggers
included; one that finishes commits rows, search tables and triggers together.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: Content tables whose FTS5 tables (``<table>_fts``) the triggers keep in step.
CONTENT_TABLES = ("works", "chapters")


@dataclass(slots=True)
class Deferred:
    """Handed to the body of :func:`fts_deferred`: set ``changed`` when a row may have
    changed (nothing changed means nothing to rebuild)."""

    changed: bool = False
    triggers: list[tuple[str, str]] = field(default_factory=list)
    #: The content tables whose triggers were dropped (their ``_fts`` tables get rebuilt).
    tables: list[str] = field(default_factory=list)


@contextmanager
def fts_deferred(conn: sqlite3.Connection) -> Iterator[Deferred]:
    """Within an open transaction: FTS triggers off for the body, then one rebuild.

    On leaving normally, each FTS table is rebuilt from its content table if
    ``changed`` was set, and the triggers are re-created. On an exception the
    caller's rollback restores everything; nothing is done here.
    """
    if not conn.in_transaction:
        raise RuntimeError("fts_deferred needs an open transaction")
    marks = ", ".join("?" * len(CONTENT_TABLES))
    rows = conn.execute(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
        f"AND tbl_name IN ({marks}) ORDER BY name",
        CONTENT_TABLES,
    ).fetchall()
    kept = [(name, table, sql) for name, table, sql in rows if sql and f"{table}_fts" in sql]
    state = Deferred(
        triggers=[(name, sql) for name, _, sql in kept],
        tables=list(dict.fromkeys(table for _, table, _ in kept)),
    )
    for name, _ in state.triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    yield state
    if state.changed:
        for table in state.tables:
            fts = f"{table}_fts"
            conn.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")
    for name, sql in state.triggers:
        # (A page whose error ended the whole transaction has brought them back already.)
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [name]).fetchone():
            conn.execute(sql)
