"""A metadata-only copy of an index, safe to publish with ``datasette publish``.

Chapter text, author notes and raw pages are the authors' writing and AO3's
pages, not ours to republish, so the copy keeps what a listing blurb shows.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from ficindex.datasette.tables import PRIVATE_COLUMNS, PUBLIC_TABLES, is_fts_part
from ficindex.datasette.views import ensure_views
from ficindex.errors import BadInput
from ficindex.index import open_index, sqlite_errors
from ficindex.index.engagement_privacy import pseudonymize_engagement


@dataclass(slots=True, frozen=True)
class PublicCopy:
    """What :func:`make_public_copy` wrote."""

    works: int
    chapters: int
    size: int


def make_public_copy(
    src_db_path: str | os.PathLike[str], dest_path: str | os.PathLike[str]
) -> PublicCopy:
    """Write a metadata-only copy of an index, safe to publish with ``datasette publish``.

    Kept: works (without author notes), creators, tags, series, collections,
    chapter numbers and titles, stats_history, and the views. Blanked or
    emptied: chapter text, summaries and notes, raw pages, the crawl frontier
    and fetch log, and any table not known to hold public metadata. The FTS
    tables are rebuilt from what remains (so no dropped word is still
    searchable), the file is vacuumed (so no dropped page survives in free
    pages) and left in rollback-journal mode: one self-contained file.

    The copy is made from a consistent snapshot (``VACUUM INTO``), so a crawl
    may keep writing the source meanwhile. ``dest_path`` is replaced atomically.
    """
    src, dest = Path(src_db_path), Path(dest_path)
    if dest.exists() and src.exists() and os.path.samefile(src, dest):
        raise BadInput("the public copy must be a new file, not the index itself")
    if dest.is_dir():
        raise BadInput(f"{dest} is a directory; give the file name of the copy, e.g. public.db")
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.unlink(missing_ok=True)
    source = open_index(src, create=False)
    try:
        with sqlite_errors(str(src)):
            source.execute("VACUUM INTO ?", [str(tmp)])
        result = _scrub(tmp)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return result


def _scrub(path: Path) -> PublicCopy:
    """Blank the private columns and tables of the copy at ``path``, rebuild FTS, vacuum."""
    conn = sqlite3.connect(str(path))
    db = Database(conn)
    try:
        with db.atomic():
            if "engagement_salt" in db.table_names():
                # Readers' names become salted pseudonyms, comment text and bookmark notes go;
                # first, while the index's secret salt is still there (it is emptied below).
                pseudonymize_engagement(db)
            for table, blanks in PRIVATE_COLUMNS.items():
                _update_without_triggers(db, table, blanks)
            fts = db.table_names(fts5=True)
            for table in db.table_names():
                if table not in PUBLIC_TABLES and not is_fts_part(table, fts):
                    db.execute(f"DELETE FROM [{table}]")
            for name in fts:
                # 'rebuild' re-reads the content table, so only kept words stay searchable.
                db.execute(f"INSERT INTO [{name}]([{name}]) VALUES ('rebuild')")
                db.execute(f"INSERT INTO [{name}]([{name}]) VALUES ('optimize')")
            ensure_views(db)
        db.execute("PRAGMA journal_mode = delete")
        db.execute("VACUUM")
        works = db.execute("SELECT count(*) FROM works").fetchone()[0]
        chapters = db.execute("SELECT count(*) FROM chapters").fetchone()[0]
    finally:
        conn.close()
    return PublicCopy(works=works, chapters=chapters, size=path.stat().st_size)


def _update_without_triggers(db: Database, table: str, values: dict[str, str | None]) -> None:
    """Set ``values`` on every row of ``table`` with its FTS triggers briefly dropped.

    The triggers would re-tokenize every old chapter text just to delete it
    from the FTS index; the FTS tables are rebuilt afterwards anyway.
    """
    triggers = [
        (name, sql)
        for name, sql in db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            [table],
        )
    ]
    for name, _ in triggers:
        db.execute(f"DROP TRIGGER [{name}]")
    assignments = ", ".join(f"[{column}] = ?" for column in values)
    db.execute(f"UPDATE [{table}] SET {assignments}", list(values.values()))
    for _, sql in triggers:
        db.execute(sql)
