"""ficindex merge: two indexes merged equal one index that imported both sets of pages."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from ficindex.cli import FicindexGroup
from ficindex.cli.merge import merge_command
from ficindex.crawl import frontier
from ficindex.crawl.targets import Target
from ficindex.datasette import make_public_copy
from ficindex.index import open_index
from ficindex.loader import collect_files, import_file
from ficindex.lock import index_lock
from index_fixtures import dump

FIXTURES = Path(__file__).parent / "fixtures"
T0, T1, T2, T3 = 1_700_000_000, 1_700_100_000, 1_700_200_000, 1_700_300_000


def _page(
    directory: Path, name: str, mtime: int, *, source: str | None = None, **edits: str
) -> None:
    text = (FIXTURES / (source or Path(name).name)).read_text(encoding="utf-8")
    for old, new in edits.items():
        assert old in text
        text = text.replace(old, new)
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))


def _pages_a(directory: Path) -> Path:
    _page(directory, "work-full-view.html", T1)
    _page(directory, "work-anonymous.html", T1)
    _page(directory, "listing-series.html", T2)
    _page(directory, "plain-work-single.txt", T1)
    return directory


def _pages_b(directory: Path) -> Path:
    kudos = {'<dd class="kudos">345</dd>': '<dd class="kudos">400</dd>'}
    _page(directory, "work-full-view.html", T3, **kudos)  # newer: wins
    _page(directory, "same/work-full-view.html", T1)  # the very page A has: stored once
    _page(
        directory,
        "old-anonymous.html",
        T0,
        source="work-anonymous.html",  # older: history
        **{'<dd class="kudos">9</dd>': '<dd class="kudos">5</dd>'},
    )
    _page(directory, "mystery.html", T2, source="page-mystery.html", **{"52000004": "51000004"})
    _page(directory, "work-chapter-view.html", T2)
    _page(directory, "work-gift.html", T3)
    return directory


def _import(db: Path, *dirs: Path) -> Path:
    index = open_index(db)
    for directory in dirs:
        for path in collect_files([directory]):
            import_file(index, path)
    index.close()
    return db


class _Group(FicindexGroup):
    """The real group's error handling, with only this module's command registered."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return merge_command if cmd_name == "merge" else None


def _merge(db: Path, *others: Path) -> Result:
    return CliRunner().invoke(_Group(), ["merge", str(db), *map(str, others)])


TABLES = {
    "works": "SELECT * FROM works ORDER BY id",
    "chapters": "SELECT * FROM chapters ORDER BY id",
    "tags": "SELECT l.work, t.name, t.type FROM work_tags l JOIN tags t ON t.id = l.tag "
    "ORDER BY l.work, l.rowid",
    "authors": "SELECT l.work, a.user, a.pseud FROM work_authors l JOIN authors a "
    "ON a.id = l.author ORDER BY l.work, l.rowid",
    "series": "SELECT l.work, s.id, s.title, l.position FROM work_series l JOIN series s "
    "ON s.id = l.series ORDER BY l.work, s.id",
    "collections": "SELECT l.work, c.name, c.title FROM work_collections l JOIN collections c "
    "ON c.id = l.collection ORDER BY l.work, c.name",
    "raw_pages": "SELECT url, source, fetched_at, http_status, work_id, sha256, size, "
    "length(body) > 0 FROM raw_pages ORDER BY fetched_at, sha256",
    "stats_history": "SELECT * FROM stats_history ORDER BY work, fetched_at",
}


def _contents(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        conn.close()


@pytest.fixture
def indexes(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Index A (A's pages), index B (B's pages), and C: A's then B's pages imported together."""
    pages_a, pages_b = _pages_a(tmp_path / "pages-a"), _pages_b(tmp_path / "pages-b")
    return (
        _import(tmp_path / "a.db", pages_a),
        _import(tmp_path / "b.db", pages_b),
        _import(tmp_path / "c.db", pages_a, pages_b),
    )


def test_merge_equals_importing_both_and_twice_changes_nothing(
    indexes: tuple[Path, Path, Path],
) -> None:
    a, b, c = indexes
    result = _merge(a, b)
    assert result.exit_code == 0, result.output
    merged, expected = _contents(a), _contents(c)
    for table in TABLES:
        assert merged[table] == expected[table], table
    assert len(merged["raw_pages"]) == 9  # 4 + 6 pages, one of them the same page twice
    works = {row[0]: row for row in merged["works"]}
    kudos = [
        k for w, _, *counters in merged["stats_history"] if w == 51000001 for k in counters[3:4]
    ]
    assert kudos == [345, 400]
    assert [row[5] for row in merged["stats_history"] if row[0] == 51000004] == [5, 9]
    status = sqlite3.connect(a).execute("SELECT status FROM works WHERE id = 51000004").fetchone()
    assert status == ("unrevealed",) and 51000007 in works
    before = dump(a)
    again = _merge(a, b)
    assert again.exit_code == 0, again.output
    assert "6 raw pages already present, 0 merged" in again.output
    assert dump(a) == before


def test_merging_into_a_new_index_copies_the_other(indexes: tuple[Path, Path, Path]) -> None:
    a, _, _ = indexes
    fresh = a.parent / "fresh.db"
    assert _merge(fresh, a).exit_code == 0
    assert _contents(fresh) == _contents(a)


def test_works_without_raw_pages_come_from_their_rows(indexes: tuple[Path, Path, Path]) -> None:
    a, _, _ = indexes
    public = a.parent / "public.db"
    make_public_copy(a, public)
    fresh = a.parent / "fresh.db"
    result = _merge(fresh, public)
    assert result.exit_code == 0, result.output
    assert "works from rows" in result.output
    mine, theirs = _contents(fresh), _contents(public)
    assert mine["raw_pages"] == [] and mine["tags"] == theirs["tags"]
    assert [r[:2] for r in mine["works"]] == [r[:2] for r in theirs["works"]]
    assert mine["stats_history"] == theirs["stats_history"]


def _crawl_index(path: Path, pages_done: int, done: bool, work_state: str) -> Path:
    db = open_index(path)
    frontier.migrate(db)
    tag = Target(kind="tag", key="/tags/X/works", path="/tags/X/works")
    frontier.add_target(db, tag, at="2024-01-01T00:00:00Z")
    for page in range(1, pages_done + 1):
        frontier.page_done(
            db,
            tag.key,
            url=f"/tags/X/works?page={page}",
            page=page,
            next_url=None if done and page == pages_done else f"/tags/X/works?page={page + 1}",
            total=40,
            work_ids=[page],
            unreachable=0,
            at=f"2024-01-0{page + 1}T00:00:00Z",
        )
    frontier.enqueue(db, [7], target=tag.key, at="2024-01-01T00:00:00Z")
    if work_state == "done":
        frontier.finish_work(db, 7, "ok", reason=None, attempts=1, at="2024-01-05T00:00:00Z")
    own = Target(kind="user", key=f"/users/{path.stem}/works", path=f"/users/{path.stem}/works")
    frontier.add_target(db, own, at="2024-01-01T00:00:00Z")
    frontier.log_fetch(
        db,
        url=f"/{path.stem}",
        status=200,
        attempts=1,
        size=10,
        error=None,
        at="2024-01-01T00:00:00Z",
    )
    db.close()
    return path


def test_crawl_targets_and_progress_are_merged(tmp_path: Path) -> None:
    a = _crawl_index(tmp_path / "a.db", pages_done=1, done=False, work_state="done")
    b = _crawl_index(tmp_path / "b.db", pages_done=2, done=True, work_state="queued")
    assert _merge(a, b).exit_code == 0
    db = open_index(a)
    targets = {t["key"]: t for t in frontier.listing_targets(db)}
    assert sorted(targets) == ["/tags/X/works", "/users/a/works", "/users/b/works"]
    assert targets["/tags/X/works"]["pages_done"] == 2
    assert targets["/tags/X/works"]["next_url"] is None
    assert targets["/tags/X/works"]["done_at"] == "2024-01-03T00:00:00Z"
    assert frontier.work_state(db, 7) == "done"  # a finished fetch beats B's queued one
    pages = [r[0] for r in db.execute("SELECT url FROM crawl_pages ORDER BY url")]
    assert pages == ["/tags/X/works?page=1", "/tags/X/works?page=2"]
    assert [r[0] for r in db.execute("SELECT url FROM fetch_log ORDER BY url")] == ["/a", "/b"]
    db.close()
    before = dump(a)
    assert _merge(a, b).exit_code == 0
    assert dump(a) == before


def test_not_an_index_is_refused_before_writing(tmp_path: Path) -> None:
    db = _import(tmp_path / "db.db", _pages_a(tmp_path / "pages"))
    before = dump(db)
    text = tmp_path / "notes.db"
    text.write_text("hello")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    for bad, message in (
        (text, "is not a SQLite database"),
        (other, "is a SQLite database of another application, not a ficindex index"),
        (tmp_path / "missing.db", "no index at"),
        (db, "is the index being merged into"),
    ):
        result = _merge(db, bad)
        assert result.exit_code == 2, (bad, result.output)
        assert message in result.output and "Traceback" not in result.output
    assert dump(db) == before


@pytest.mark.parametrize("migration_set", ["ficindex", "ficindex-crawl", "ficindex-future"])
def test_an_index_from_a_newer_ficindex_is_refused(tmp_path: Path, migration_set: str) -> None:
    db = _import(tmp_path / "db.db", _pages_a(tmp_path / "pages"))
    newer = tmp_path / "newer.db"
    shutil.copy(db, newer)
    conn = sqlite3.connect(newer)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
        [migration_set, "m999_future", "2030-01-01"],
    )
    conn.commit()
    conn.close()
    before = dump(db)
    result = _merge(db, newer)
    assert result.exit_code == 2
    assert "made by a newer ficindex" in result.output and "m999_future" in result.output
    assert dump(db) == before


def test_merge_refuses_while_another_run_writes(indexes: tuple[Path, Path, Path]) -> None:
    a, b, _ = indexes
    with index_lock(a):
        result = _merge(a, b)
    assert result.exit_code == 3
