"""The publishable form of engagement rows: no reader's text, names as stable keyed pseudonyms."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from ficindex.index import writable_index
from ficindex.index.engagement import (
    save_bookmarks_page,
    save_comments_page,
    save_kudos_page,
)
from ficindex.index.engagement_privacy import index_salt, pseudonym, pseudonymize_engagement
from ficindex.loader import import_file
from ficindex.parser.comments import parse_comments_page
from ficindex.parser.engagement import parse_bookmarks_page, parse_kudos_page

FIXTURES = Path(__file__).parent / "fixtures"
T = "2026-11-01T10:00:00Z"
READERS = ("tidewatcher", "night_owl", "Rowan", "reader_000", "Gull", "quill_and_ink")


def page(name: str) -> bytes:
    return (FIXTURES / f"engagement-{name}.html").read_bytes()


def fill(db: Database) -> None:
    import_file(db, FIXTURES / "work-full-view.html")
    save_kudos_page(db, parse_kudos_page(page("kudos-page1")), fetched_at=T)
    save_comments_page(db, parse_comments_page(page("comments-threads")), fetched_at=T)
    save_comments_page(db, parse_comments_page(page("comments-commenters")), fetched_at=T)
    save_bookmarks_page(db, parse_bookmarks_page(page("bookmarks-page1")), fetched_at=T)
    db.execute('UPDATE works SET kudos_users = \'["reader_000", "tidewatcher"]\'')
    db.conn.commit()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with writable_index(tmp_path / "fics.db") as index:
        fill(index)
        yield index


def dump(db: Database) -> str:
    return "\n".join(db.conn.iterdump())


def test_no_reader_name_or_text_is_left(db: Database) -> None:
    assert all(name in dump(db) for name in READERS)
    pseudonymize_engagement(db)
    text = dump(db)
    for name in READERS:
        assert name not in text, name
    assert "lamp scene" not in text and "storm night" not in text
    assert db.execute("SELECT count(*) FROM comments WHERE text IS NOT NULL").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM bookmarks WHERE notes IS NOT NULL").fetchone() == (0,)
    assert db.execute(
        "SELECT count(*) FROM comments_fts WHERE comments_fts MATCH 'lamp'"
    ).fetchone() == (0,)
    kept = db.execute("SELECT name FROM comments WHERE commenter_kind = 'anonymous_creator'")
    assert kept.fetchall() == [("Anonymous Creator",)]
    tags = db.execute("SELECT tag FROM bookmark_tags ORDER BY bookmark, position").fetchall()
    assert tags == [("Favorites",), ("lighthouses",), ("to reread",)]


def test_one_reader_has_one_pseudonym_everywhere(db: Database) -> None:
    salt = index_salt(db)
    pseudonymize_engagement(db)
    reader = pseudonym(salt, "user", "tidewatcher")
    assert len(reader) == 21 and reader.startswith("u")
    assert db.execute("SELECT count(*) FROM comments WHERE user = ?", [reader]).fetchone() == (2,)
    assert db.execute("SELECT count(*) FROM bookmarks WHERE user = ?", [reader]).fetchone() == (1,)
    works = db.execute("SELECT kudos_users FROM works").fetchone()[0]
    assert works == f'["{pseudonym(salt, "user", "reader_000")}", "{reader}"]'
    pseuds = db.execute(
        "SELECT DISTINCT pseud FROM comments WHERE user = ? ORDER BY pseud", [reader]
    ).fetchall()
    assert len(pseuds) == 2  # tidewatcher's two pseuds stay two, and unlinkable to the names


def test_pseudonyms_are_stable_per_salt_and_differ_across_salts(tmp_path: Path) -> None:
    copies = []
    for name, salt in (("a.db", b"s1"), ("b.db", b"s1"), ("c.db", b"s2")):
        with writable_index(tmp_path / name) as index:
            fill(index)
            pseudonymize_engagement(index, salt)
            copies.append(index.execute("SELECT user FROM kudos ORDER BY position").fetchall())
    assert copies[0] == copies[1] != copies[2]


def test_each_index_draws_its_own_salt(tmp_path: Path) -> None:
    salts = []
    for name in ("a.db", "b.db"):
        with writable_index(tmp_path / name) as index:
            salts.append(index_salt(index))
    assert salts[0] != salts[1] and all(len(s) == 32 for s in salts)
