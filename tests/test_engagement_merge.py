"""``merge`` and ``reparse`` keep engagement data, on indexes crawled ``--with`` from the fake AO3.

The crawl keeps only the work page (comments page 1) among its raw pages,
not the kudos, bookmark or later comment pages, so neither command can
rebuild the engagement rows from raw pages: ``merge`` copies them (and the
passes' cursors), ``reparse`` leaves them as they are.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ao3engagement import bookmark, give_kudos
from ao3server import AO3Server, Site
from test_engagement_wire import ALL, BIG, crawl, engaged_site, engagement_paths, refresh


@pytest.fixture
def site() -> Site:
    return engaged_site()


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every engagement row, keyed so that two indexes compare (bookmark ids are local)."""
    queries = {
        "kudos": "SELECT work, user, position, first_seen, last_seen FROM kudos",
        "comments": "SELECT * FROM comments",
        "bookmarks": "SELECT work, user, pseud, date, date_text, rec, notes, first_seen, "
        "last_seen, (SELECT group_concat(tag, '|') FROM (SELECT tag FROM bookmark_tags t "
        "WHERE t.bookmark = b.id ORDER BY position)) FROM bookmarks b",
        "crawl_engagement": "SELECT work_id, kind, state, mode, counter, next_path, pending "
        "FROM crawl_engagement",
        "kudos_paragraph": "SELECT id, kudos_users, kudos_guests FROM works",
    }
    with sqlite3.connect(db) as conn:
        return {name: sorted(conn.execute(sql).fetchall()) for name, sql in queries.items()}


def cli(*args: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "ficindex", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_reparse_keeps_every_engagement_row(ao3: AO3Server, tmp_path: Path) -> None:
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    before = snapshot(db)
    assert len(before["kudos"]) == 61 and len(before["comments"]) == 26
    cli("reparse", db, "--silent")
    assert snapshot(db) == before


def test_merging_into_a_new_index_carries_every_row_and_where_each_pass_stands(
    ao3: AO3Server, tmp_path: Path
) -> None:
    theirs = tmp_path / "alice.db"
    assert crawl(ao3, theirs) == 0
    merged = tmp_path / "lab.db"
    summary = cli("merge", merged, theirs).stderr
    assert int(re.search(r"(\d+) engagement rows?,", summary)[1]) > 0  # type: ignore[index]
    assert snapshot(merged) == snapshot(theirs)
    found = "SELECT rowid FROM comments_fts WHERE comments_fts MATCH 'thread' ORDER BY rowid"
    with sqlite3.connect(merged) as a, sqlite3.connect(theirs) as b:
        assert len(a.execute(found).fetchall()) == 25  # searchable in the merged index
        assert a.execute(found).fetchall() == b.execute(found).fetchall()
    cli("merge", merged, theirs, "--silent")  # a second merge changes nothing
    assert snapshot(merged) == snapshot(theirs)
    # The cursors came along: a refresh of the merged index fetches no engagement page.
    ao3.clear_log()
    assert refresh(ao3, merged).exit_code == 0
    assert engagement_paths(ao3) == []


def test_merging_a_newer_crawl_keeps_both_and_takes_the_newer_order(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    """Mine was crawled first (its rows set back a day: timestamps have one-second
    resolution); theirs later, after a new kudos and a new bookmark. The merge holds
    every login and bookmark, the kudos in the newer crawl's order, a strict one."""
    mine = tmp_path / "lab.db"
    assert crawl(ao3, mine) == 0
    with sqlite3.connect(mine) as conn:
        for table in ("kudos", "comments", "bookmarks"):
            conn.execute(f"UPDATE {table} SET last_seen = '2026-01-01T00:00:00Z'")
        conn.execute("INSERT INTO kudos VALUES (?, 'only_mine', 61, ?, ?)", [BIG, "2026", "2026"])
    give_kudos(site, BIG, "newcomer")
    bookmark(site, BIG, "latecomer", tags=("new",))
    theirs = tmp_path / "alice.db"
    assert crawl(ao3, theirs, kinds=ALL) == 0
    cli("merge", mine, theirs, "--silent")
    with sqlite3.connect(mine) as conn:
        order = conn.execute(
            "SELECT user FROM kudos WHERE work = ? ORDER BY position", [BIG]
        ).fetchall()
        positions = conn.execute(
            "SELECT position FROM kudos WHERE work = ? ORDER BY position", [BIG]
        ).fetchall()
        marks = conn.execute("SELECT count(*) FROM bookmarks WHERE work = ?", [BIG]).fetchone()
        tags = conn.execute(
            "SELECT tag FROM bookmark_tags JOIN bookmarks b ON b.id = bookmark "
            "WHERE b.user = 'latecomer'"
        ).fetchall()
    assert order[0] == ("newcomer",) and order[-1] == ("only_mine",)
    assert [p for (p,) in positions] == list(range(62))  # 60 + newcomer + only_mine
    assert marks == (23,) and tags == [("new",)]
    seen = "SELECT id, state, text, last_seen FROM comments ORDER BY id"
    with sqlite3.connect(mine) as a, sqlite3.connect(theirs) as b:
        assert a.execute(seen).fetchall() == b.execute(seen).fetchall()  # theirs seen later
