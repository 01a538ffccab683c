"""Engagement rows in a real index: the migration, idempotent upserts, full-text search.

The pages stored here are the template-built ``engagement-*`` fixtures (see
test_engagement_parse.py for which facts are template facts, not live ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from ficindex.engagement_record import Bookmark, Comment
from ficindex.index import writable_index
from ficindex.index.engagement import (
    save_bookmarks,
    save_bookmarks_page,
    save_comments,
    save_comments_page,
    save_kudos_page,
)
from ficindex.loader import import_file
from ficindex.parser.comments import parse_comments_page
from ficindex.parser.engagement import parse_bookmarks_page, parse_kudos_page

FIXTURES = Path(__file__).parent / "fixtures"
T1, T2 = "2026-11-01T10:00:00Z", "2026-11-08T10:00:00Z"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    """An index (its migrations include the engagement step) with work 51000001 stored."""
    with writable_index(tmp_path / "fics.db") as index:
        import_file(index, FIXTURES / "work-full-view.html")
        yield index


def page(name: str) -> bytes:
    return (FIXTURES / f"engagement-{name}.html").read_bytes()


def rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in db.execute(sql).fetchall()]


def test_migration_adds_tables_and_the_two_work_columns(db: Database) -> None:
    tables = set(db.table_names())
    assert {"kudos", "comments", "bookmarks", "bookmark_tags", "bookmark_collections"} <= tables
    assert {"comments_fts", "bookmarks_fts"} <= tables
    assert {"kudos_users", "kudos_guests"} <= set(db["works"].columns_dict)
    assert rows(db, "SELECT kudos_users, kudos_guests FROM works") == [("[]", None)]


def test_kudos_pages_store_positions_and_are_idempotent(db: Database) -> None:
    first = parse_kudos_page(page("kudos-page1"))
    last = parse_kudos_page(page("kudos-last-page"))
    for _ in range(2):
        save_kudos_page(db, first, fetched_at=T1)
        save_kudos_page(db, last, fetched_at=T2)
    assert rows(db, "SELECT count(*), min(position), max(position) FROM kudos") == [(62, 0, 1061)]
    assert rows(db, "SELECT position FROM kudos WHERE user = 'reader_1050'") == [(1050,)]
    assert rows(db, "SELECT first_seen, last_seen FROM kudos WHERE user = 'reader_000'") == [
        (T1, T1)
    ]


def test_comment_threads_and_text_search(db: Database) -> None:
    save_comments_page(db, parse_comments_page(page("comments-threads")), fetched_at=T1)
    save_comments_page(db, parse_comments_page(page("comments-commenters")), fetched_at=T1)
    assert rows(db, "SELECT id, parent, thread, chapter FROM comments WHERE thread = 70000001") == [
        (70000001, None, 70000001, 129000011),
        (70000002, 70000001, 70000001, 129000011),
        (70000003, 70000002, 70000001, 129000011),
    ]
    found = rows(
        db,
        "SELECT c.id FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid "
        "WHERE comments_fts MATCH 'lamp'",
    )
    assert found == [(70000001,)]
    kinds = rows(db, "SELECT commenter_kind, count(*) FROM comments GROUP BY 1 ORDER BY 1")
    assert kinds == [
        ("anonymous_creator", 1),
        ("deleted_account", 1),
        ("guest", 1),
        ("official", 1),
        ("user", 4),
    ]


def test_storing_a_comment_page_twice_changes_nothing_but_last_seen(db: Database) -> None:
    parsed = parse_comments_page(page("comments-threads"))
    save_comments_page(db, parsed, fetched_at=T1)
    before = rows(db, "SELECT * FROM comments ORDER BY id")
    save_comments_page(db, parsed, fetched_at=T2)
    after = rows(db, "SELECT * FROM comments ORDER BY id")
    assert [r[:-1] for r in after] == [r[:-1] for r in before]
    assert {r[-1] for r in after} == {T2}
    assert rows(db, "SELECT count(*) FROM comments_fts") == [(4,)]


def test_a_thread_page_keeps_the_parent_of_its_repeated_root(db: Database) -> None:
    save_comments_page(db, parse_comments_page(page("comments-depth-cut")), fetched_at=T1)
    save_comments_page(db, parse_comments_page(page("comments-thread-page")), fetched_at=T2)
    assert rows(db, "SELECT parent, thread FROM comments WHERE id = 70000046") == [
        (70000045, 70000041)
    ]
    assert rows(db, "SELECT count(*) FROM comments") == [(9,)]
    assert rows(db, "SELECT DISTINCT thread FROM comments") == [(70000041,)]


def test_a_comment_deleted_on_ao3_loses_its_stored_text(db: Database) -> None:
    visible = Comment(id=9, thread_id=9, commenter_kind="user", user="u", pseud="u", text="hi")
    save_comments(db, 51000001, [visible], fetched_at=T1)
    save_comments(db, 51000001, [Comment(id=9, thread_id=9, state="deleted")], fetched_at=T2)
    assert rows(db, "SELECT state, text, user FROM comments WHERE id = 9") == [
        ("deleted", None, None)
    ]
    assert rows(db, "SELECT count(*) FROM comments_fts WHERE comments_fts MATCH 'hi'") == [(0,)]


def test_bookmarks_with_tags_collections_and_searchable_notes(db: Database) -> None:
    parsed = parse_bookmarks_page(page("bookmarks-page1"))
    save_bookmarks_page(db, parsed, fetched_at=T1)
    save_bookmarks_page(db, parsed, fetched_at=T2)
    assert rows(db, "SELECT user, pseud, date, rec FROM bookmarks ORDER BY id") == [
        ("tidewatcher", "Gull", "2026-05-30", 1),
        ("night_owl", "night_owl", None, 0),
        ("quill_and_ink", "quill_and_ink", "2025-01-12", 0),
    ]
    assert rows(db, "SELECT tag FROM bookmark_tags ORDER BY bookmark, position") == [
        ("Favorites",),
        ("lighthouses",),
        ("to reread",),
    ]
    assert rows(db, "SELECT name, title FROM bookmark_collections") == [
        ("sea_recs", "Sea Stories Recs")
    ]
    found = rows(db, "SELECT rowid FROM bookmarks_fts WHERE bookmarks_fts MATCH 'storm'")
    assert found == rows(db, "SELECT id FROM bookmarks WHERE pseud = 'Gull'")


def test_a_bookmark_update_replaces_tags_and_keeps_a_known_date(db: Database) -> None:
    first = Bookmark(user="u", pseud="p", date="2026-10-01", date_text="01 Oct 2026", tags=["a"])
    save_bookmarks(db, 51000001, [first], fetched_at=T1)
    later = Bookmark(user="u", pseud="p", date=None, date_text="5 weeks", tags=["b", "c"])
    save_bookmarks(db, 51000001, [later], fetched_at=T2)
    assert rows(db, "SELECT date, date_text FROM bookmarks") == [("2026-10-01", "5 weeks")]
    assert rows(db, "SELECT tag FROM bookmark_tags ORDER BY position") == [("b",), ("c",)]
