"""Comments gone from AO3 are marked ``removed`` once a pass has read every comment page.

AO3 drops a comment deleted without replies from its pages (AO3-MARKUP 7;
the fake AO3's pages follow the templates, no live page was saved). A pass
over every page sees every comment still there; the stored ones it did not
see become ``removed``: no text, no commenter, not counted as visible, so the
"stored comments fall short of the count" check is not fooled by them.

Timestamps have one-second resolution and these runs follow each other within
a second, so each test first sets the stored ``last_seen`` back a day: the
rows the next pass sees get a newer one, the others keep it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ao3engagement import bookmark, comment, reactions
from ao3server import AO3Server, Site
from test_engagement_export import export, record_schema
from test_engagement_wire import BIG, FULL, crawl, engaged_site, engagement_paths, refresh


@pytest.fixture
def site() -> Site:
    return engaged_site()


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def age(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE comments SET last_seen = '2026-01-01T00:00:00Z'")


def delete_thread(site: Site, index: int) -> int:
    """Delete a thread that has no replies, as AO3 does: it vanishes; the count falls."""
    with site.lock:
        gone = reactions(site).threads[BIG].pop(index)
        assert not gone.replies
        site.works[BIG].comments -= 1
    return gone.id


def test_a_comment_no_longer_on_any_page_is_removed_after_a_full_pass(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    age(db)
    gone = delete_thread(site, 3)
    ao3.clear_log()
    assert refresh(ao3, db).exit_code == 0
    assert f"/works/{BIG}{FULL}" in engagement_paths(ao3)  # the count fell: every page
    assert rows(db, "SELECT state, text, user, posted FROM comments WHERE id = ?", gone) == [
        ("removed", None, None, None)
    ]
    assert rows(db, "SELECT state, count(*) FROM comments GROUP BY state") == [
        ("removed", 1),
        ("visible", 25),
    ]
    # Out of search, as a deleted comment's placeholder is.
    assert rows(
        db, "SELECT count(*) FROM comments_fts WHERE comments_fts MATCH '\"Thread 3\"'"
    ) == [(0,)]


def test_a_removed_comment_no_longer_hides_a_reply_in_an_old_thread(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    """The case a stale visible row fooled: after the removal, a reply to an old thread
    leaves the stored visible comments short of the count, so every page is read."""
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    age(db)
    delete_thread(site, 3)
    assert refresh(ao3, db).exit_code == 0
    first = rows(db, "SELECT min(id) FROM comments WHERE work = ?", BIG)[0][0]
    comment(site, BIG, "oldtimer", "Late reply", reply_to=first)
    ao3.clear_log()
    assert refresh(ao3, db).exit_code == 0
    assert rows(db, "SELECT parent FROM comments WHERE text = 'Late reply'") == [(first,)]
    assert rows(db, "SELECT count(*) FROM comments WHERE state = 'visible'") == [(26,)]


def test_a_pass_that_did_not_read_every_page_removes_nothing(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    age(db)
    gone = delete_thread(site, 3)
    later = f"/works/{BIG}?show_comments=true&view_adult=true&view_full_work=true&page=2"
    site.add_fault(later, "status", status=500, count=1)
    assert refresh(ao3, db, max_retries=0).exit_code == 1  # page 2 failed
    assert rows(db, "SELECT state FROM comments WHERE id = ?", gone) == [("visible",)]
    assert refresh(ao3, db).exit_code == 0  # the rerun completes the pass from page 2
    assert rows(db, "SELECT state FROM comments WHERE id = ?", gone) == [("removed",)]


def test_a_removed_comment_is_exported_with_its_state_and_the_line_validates(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    age(db)
    gone = delete_thread(site, 3)
    assert refresh(ao3, db).exit_code == 0
    lines = export(db, tmp_path / "out.jsonl", "--with", "comments")
    (line,) = [x for x in lines if x["kind"] == "comment" and x["comment_id"] == gone]
    assert line["state"] == "removed" and line["text"] is None
    assert list(jsonschema.Draft202012Validator(record_schema()).iter_errors(line)) == []


GONE_BOOKMARKS = (
    "SELECT b.user FROM bookmarks b JOIN crawl_engagement e ON e.work_id = b.work "
    "AND e.kind = 'bookmarks' WHERE b.last_seen < e.started_at"
)


def test_bookmarks_no_longer_listed_at_the_last_full_pass_are_found_by_its_start(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    """Bookmarks have no state: the ones gone at the last pass over every page are those
    seen before it started, and stay so through later passes that read only new pages."""
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE bookmarks SET last_seen = '2026-01-01T00:00:00Z'")
    with site.lock:
        reactions(site).bookmarks[BIG].pop()  # the oldest, marker00, deleted: the count falls
        site.works[BIG].bookmarks -= 1
    assert refresh(ao3, db).exit_code == 0
    assert rows(db, GONE_BOOKMARKS) == [("marker00",)]
    bookmark(site, BIG, "latecomer")
    ao3.clear_log()
    assert refresh(ao3, db).exit_code == 0
    assert engagement_paths(ao3) == [f"/works/{BIG}/bookmarks"]  # a new pass: page 1 only
    assert rows(db, GONE_BOOKMARKS) == [("marker00",)]
