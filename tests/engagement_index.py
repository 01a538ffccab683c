"""An index holding engagement rows, stored through the index's own save functions.

The rows come from the parsed template fixtures (``tests/fixtures/engagement-*.html``,
built from AO3's templates, not from live pages; see test_engagement_parse.py), never
from a crawl, so these tests need no server.
"""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database

from ficindex.index import writable_index
from ficindex.index.engagement import save_bookmarks_page, save_comments_page, save_kudos_page
from ficindex.loader import import_file
from ficindex.parser.comments import parse_comments_page
from ficindex.parser.engagement import parse_bookmarks_page, parse_kudos_page

FIXTURES = Path(__file__).parent / "fixtures"
T = "2026-11-01T10:00:00Z"
#: The work the engagement fixtures belong to (work-full-view.html), and a second work without any.
WORK = 51000001
OTHER_PAGE = "work-gift.html"


def page(name: str) -> bytes:
    return (FIXTURES / f"engagement-{name}.html").read_bytes()


def fill(db: Database) -> None:
    """The work, its kudos, three pages of comments and a page of bookmarks."""
    import_file(db, FIXTURES / "work-full-view.html")
    import_file(db, FIXTURES / OTHER_PAGE)
    save_kudos_page(db, parse_kudos_page(page("kudos-page1")), fetched_at=T)
    for name in ("comments-threads", "comments-commenters", "comments-placeholders"):
        save_comments_page(db, parse_comments_page(page(name)), fetched_at=T)
    save_bookmarks_page(db, parse_bookmarks_page(page("bookmarks-page1")), fetched_at=T)
    db.execute(
        f'UPDATE works SET kudos_users = \'["reader_000", "tidewatcher"]\' WHERE id = {WORK}'
    )
    db.conn.commit()


def engagement_index(path: Path) -> Path:
    with writable_index(path) as index:
        fill(index)
    return path


def reader_names(path: Path) -> set[str]:
    """Every login, pseud and guest name the index holds for readers."""
    with writable_index(path) as db:
        sql = (
            "SELECT user FROM kudos UNION SELECT user FROM comments "
            "UNION SELECT pseud FROM comments "
            "UNION SELECT name FROM comments WHERE commenter_kind = 'guest' "
            "UNION SELECT user FROM bookmarks UNION SELECT pseud FROM bookmarks"
        )
        return {name for (name,) in db.execute(sql) if name}


def reader_texts(path: Path) -> list[str]:
    """Every line of comment text and bookmark notes."""
    with writable_index(path) as db:
        sql = "SELECT text FROM comments UNION ALL SELECT notes FROM bookmarks"
        return [line for (text,) in db.execute(sql) if text for line in text.splitlines() if line]
