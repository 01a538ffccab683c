"""``reparse`` keeps full-text search in step by one rebuild per run instead of per-row triggers.

The index it leaves must be the one the row-by-row way leaves: same content
tables, same search results, the same triggers afterwards, FTS5's own
integrity check clean; and a reparse stopped half-way leaves the file as it was.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from ficindex.index import writable_index
from ficindex.loader import import_file, reparse_pages
from index_fixtures import RECORD_TABLES, dump, table_rows

FIXTURES = Path(__file__).parent / "fixtures"
WORDS = ("the", "love", "said", "door", "night", "Harry", "tea", "rain")


def imported(path: Path) -> Path:
    with writable_index(path) as db:
        for page in sorted(FIXTURES.glob("work-*.html")):
            import_file(db, page)
    return path


def content(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return table_rows(conn, RECORD_TABLES)
    finally:
        conn.close()


def searched(path: Path) -> dict[str, list[int]]:
    conn = sqlite3.connect(path)
    try:
        return {
            f"{table}:{word}": [
                r[0]
                for r in conn.execute(
                    f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid", [word]
                )
            ]
            for table in ("works_fts", "chapters_fts")
            for word in WORDS
        }
    finally:
        conn.close()


def triggers(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        ).fetchall()
    finally:
        conn.close()


def test_reparse_after_a_parser_change_equals_the_index_built_page_by_page(tmp_path: Path) -> None:
    first = imported(tmp_path / "first.db")
    again = tmp_path / "again.db"
    shutil.copy(first, again)
    with sqlite3.connect(again) as conn:  # as an older parser would have read them
        conn.execute("UPDATE chapters SET text = 'an older parser read zebracorn here'")
        conn.execute("UPDATE works SET title = 'zebracorn'")
    assert searched(again) != searched(first)
    with writable_index(again) as db:
        outcomes = list(reparse_pages(db))
    assert outcomes and not [o for o in outcomes if o.error]
    assert content(again) == content(first)
    assert searched(again) == searched(first)
    assert any(searched(first).values())
    assert triggers(again) == triggers(first) and len(triggers(first)) >= 6
    with sqlite3.connect(again) as conn:
        for table in ("works_fts", "chapters_fts"):
            conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
        assert conn.execute("SELECT count(*) FROM chapters_fts('zebracorn')").fetchone() == (0,)
        # The triggers work again after the run: a new text is found at once.
        first_id = conn.execute("SELECT min(rowid) FROM chapters").fetchone()[0]
        conn.execute("UPDATE chapters SET text = 'quokkaphrase' WHERE rowid = ?", [first_id])
        assert conn.execute("SELECT count(*) FROM chapters_fts('quokkaphrase')").fetchone() == (1,)


def test_a_reparse_stopped_half_way_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    db_path = imported(tmp_path / "fics.db")
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE chapters SET text = 'older'")
    before = dump(db_path)
    with writable_index(db_path) as db:
        run = reparse_pages(db)
        assert next(run).error is None
        assert next(run).error is None
        run.close()
    assert dump(db_path) == before
