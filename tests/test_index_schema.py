"""open_index: migrations (upgrade in place), newer-index and not-SQLite refusals, WAL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlite_utils import Database

from ficindex.errors import BadInput
from ficindex.index import open_index
from ficindex.index.export import work_record
from ficindex.index.schema import MIGRATION_NAMES, MIGRATIONS
from ficindex.index.store import save_record
from index_fixtures import work


def test_new_index_has_every_table_wal_and_fts(tmp_path):
    db = open_index(tmp_path / "new.db")
    names = set(db.table_names())
    for table in (
        "works",
        "chapters",
        "authors",
        "work_authors",
        "tags",
        "work_tags",
        "series",
        "work_series",
        "collections",
        "work_collections",
        "stats_history",
        "raw_pages",
        "works_fts",
        "chapters_fts",
    ):
        assert table in names
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert [m.name for m in MIGRATIONS.applied(db)] == MIGRATION_NAMES
    assert "remove_diacritics 2" in db["chapters_fts"].schema


def test_index_of_the_first_release_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.db"
    old = Database(path)
    MIGRATIONS.apply(old, stop_before="m002_filter_indexes")
    assert "works_kudos" not in {i.name for i in old["works"].indexes}
    save_record(old, work(1, kudos=7), fetched_at="2024-01-01T00:00:00Z")
    expected = work_record(old, 1).to_dict()
    old.close()

    db = open_index(path)
    assert [m.name for m in MIGRATIONS.applied(db)] == MIGRATION_NAMES
    assert "works_kudos" in {i.name for i in db["works"].indexes}
    assert "tags_name" in {i.name for i in db["tags"].indexes}
    assert work_record(db, 1).to_dict() == expected
    assert db.execute("SELECT count(*) FROM stats_history").fetchone()[0] == 1
    assert (
        db.execute(
            "SELECT count(*) FROM chapters_fts WHERE chapters_fts MATCH 'chapter'"
        ).fetchone()[0]
        == 2
    )


def test_index_made_by_a_newer_ficindex_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    open_index(path).close()
    conn = sqlite3.connect(path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('ficindex', 'm999_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(BadInput, match="newer ficindex"):
        open_index(path)


def test_not_sqlite_and_missing_files_are_refused(tmp_path):
    junk = tmp_path / "notes.db"
    junk.write_text("just some text, not a database\n")
    with pytest.raises(BadInput, match="not a SQLite database"):
        open_index(junk)
    assert junk.read_text() == "just some text, not a database\n"
    with pytest.raises(BadInput, match="no index at"):
        open_index(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(BadInput, match="not a ficindex index"):
        open_index(other, create=False)


def test_read_only_connection_refuses_writes_and_attach(tmp_path):
    path = tmp_path / "ro.db"
    open_index(path).close()
    db = open_index(path, create=False, read_only=True)
    with pytest.raises(sqlite3.OperationalError):
        db.execute("DELETE FROM works")
    with pytest.raises(sqlite3.DatabaseError):
        db.execute(f"ATTACH DATABASE '{tmp_path / 'x.db'}' AS x")
    assert not (tmp_path / "x.db").exists()


def test_an_index_killed_while_being_created_is_created_whole_next_time(tmp_path: Path) -> None:
    """A kill half-way through the first migration must not leave a half-built index that
    the next run would take for another application's database and refuse."""
    path = tmp_path / "new.db"
    script = textwrap.dedent(
        f"""
        import os
        from sqlite_utils.db import Table
        real = Table.enable_fts
        def dying(self, *args, **kwargs):
            if self.name == "chapters":
                os._exit(9)  # killed half-way through the first migration
            return real(self, *args, **kwargs)
        Table.enable_fts = dying
        from ficindex.index import open_index
        open_index({str(path)!r})
        """
    )
    assert subprocess.run([sys.executable, "-c", script], timeout=120).returncode == 9
    assert not path.exists()  # nothing half-built where the index goes
    db = open_index(path)  # the next run builds it whole
    assert {"works_fts", "chapters_fts", "raw_pages"} <= set(db.table_names())
    db.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db"]  # the leftover is gone
