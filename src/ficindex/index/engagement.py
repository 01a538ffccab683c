"""Engagement rows: kudos givers, comments and bookmarks of works (issue 17).

Tables (created by :func:`m_engagement`, a migration step of the index):

* ``kudos`` (work, user): one row per login that left kudos; ``position`` is its
  place in AO3's newest-first list (0 = newest), a strict order: logins a
  pass did not re-read move down by the kudos given since, logins AO3 no
  longer lists come after every listed one (see :func:`save_kudos`).
* ``comments`` (id = AO3's comment id): thread structure (``parent``,
  ``thread``), chapter id, commenter kind and name, UTC times, text, ``state``
  (visible, deleted, hidden: AO3 shows a placeholder; removed: AO3 shows it
  no more, see :func:`mark_removed`). ``comments_fts`` indexes the text.
* ``bookmarks`` (work, user, pseud: one public bookmark per pseud), with
  ``bookmark_tags`` and ``bookmark_collections``; ``bookmarks_fts`` indexes the notes.
* ``engagement_salt``: one secret row, never published (see :func:`m_engagement`).
* ``works.kudos_users`` (JSON list) and ``works.kudos_guests``: the work page's
  kudos paragraph, written by the work store.

Every save is an upsert on the natural key, so storing the same page twice
changes nothing but ``last_seen``. A comment AO3 now shows as deleted or hidden
loses its stored text and commenter: the index keeps what AO3 publishes, not
what it once published. A comment's parent never changes on AO3, so a page
that does not show it (the root of a ``/comments/CID`` thread page) keeps the
stored one, and a reply's thread is its stored parent's thread.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable

from sqlite_utils import Database

from ficindex.clock import utc_iso
from ficindex.engagement_record import Bookmark, BookmarksPage, Comment, CommentsPage, KudosPage
from ficindex.index.schema import TOKENIZER

__all__ = [
    "KUDOS_PER_PAGE",
    "m_engagement",
    "save_bookmarks",
    "save_bookmarks_page",
    "save_comments",
    "mark_removed",
    "save_comments_page",
    "save_kudos",
    "save_kudos_page",
]

#: Logins per ``/works/ID/kudos`` page (AO3's MAX_KUDOS_TO_SHOW).
KUDOS_PER_PAGE = 50

_TABLES = """
ALTER TABLE works ADD COLUMN kudos_users TEXT NOT NULL DEFAULT '[]';
ALTER TABLE works ADD COLUMN kudos_guests INTEGER;
CREATE TABLE kudos (
    work INTEGER NOT NULL REFERENCES works(id),
    user TEXT NOT NULL,
    position INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (work, user)
);
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    work INTEGER NOT NULL REFERENCES works(id),
    chapter INTEGER,
    parent INTEGER,
    thread INTEGER NOT NULL,
    commenter_kind TEXT,
    user TEXT,
    pseud TEXT,
    name TEXT,
    posted TEXT,
    edited TEXT,
    text TEXT,
    state TEXT NOT NULL,
    frozen INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE bookmarks (
    id INTEGER PRIMARY KEY,
    work INTEGER NOT NULL REFERENCES works(id),
    user TEXT NOT NULL,
    pseud TEXT NOT NULL,
    date TEXT,
    date_text TEXT,
    rec INTEGER NOT NULL DEFAULT 0,
    notes TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    UNIQUE (work, user, pseud)
);
CREATE TABLE bookmark_tags (
    bookmark INTEGER NOT NULL REFERENCES bookmarks(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (bookmark, position)
);
CREATE TABLE bookmark_collections (
    bookmark INTEGER NOT NULL REFERENCES bookmarks(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (bookmark, name)
);
CREATE TABLE engagement_salt (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    salt BLOB NOT NULL
);
CREATE INDEX kudos_user ON kudos (user COLLATE NOCASE);
CREATE INDEX comments_work ON comments (work, chapter);
CREATE INDEX comments_thread ON comments (thread);
CREATE INDEX comments_user ON comments (user COLLATE NOCASE);
CREATE INDEX bookmarks_user ON bookmarks (user COLLATE NOCASE);
CREATE INDEX bookmark_tags_tag ON bookmark_tags (tag COLLATE NOCASE);
"""


def m_engagement(db: Database) -> None:
    """The migration step: engagement tables, their indexes and two FTS5 tables.

    It also draws the index's secret salt for the pseudonyms of the public copy
    (see :mod:`ficindex.index.engagement_privacy`): drawn once, so every public
    copy of one index gives a reader the same pseudonym.
    """
    db.executescript(_TABLES)
    db.execute("INSERT INTO engagement_salt (id, salt) VALUES (1, ?)", [secrets.token_bytes(32)])
    db.table("comments").enable_fts(["text"], tokenize=TOKENIZER, create_triggers=True)
    db.table("bookmarks").enable_fts(["notes"], tokenize=TOKENIZER, create_triggers=True)


_MAKE_ROOM = (
    "UPDATE kudos SET position = ? + moved.rank FROM ("
    "SELECT user, row_number() OVER (ORDER BY position, user) - 1 AS rank FROM kudos "
    "WHERE work = ? AND position >= ? AND user NOT IN (SELECT value FROM json_each(?))"
    ") AS moved WHERE kudos.work = ? AND kudos.user = moved.user "
    "AND kudos.position != ? + moved.rank"
)
_CROWDED = (
    "SELECT 1 FROM kudos WHERE work = ? AND position >= ? AND position < ? "
    "AND user NOT IN (SELECT value FROM json_each(?)) LIMIT 1"
)


def save_kudos(
    db: Database, work_id: int, users: Iterable[str], *, start: int = 0, fetched_at: str
) -> int:
    """Upsert logins in AO3's newest-first order from position ``start``; returns how many.

    Positions stay a strict order. AO3's list is newest first, so kudos given
    since the last fetch push every older login down: when a stored login not on
    this page sits where the page's logins go, every stored login from ``start``
    on that is not on the page moves to just after them, in its stored order.
    Pages stored in order therefore leave the logins a pass did not re-read (a
    pass that stopped at the first known login) exactly where a full re-read
    would put them, and the logins AO3 no longer lists after every listed one.
    """
    at = utc_iso(fetched_at)
    names = list(dict.fromkeys(users))
    listed = json.dumps(names)
    end = start + len(names)
    rows = [(work_id, user, start + offset, at, at) for offset, user in enumerate(names)]
    with db.atomic():
        if names and db.execute(_CROWDED, [work_id, start, end, listed]).fetchone():
            db.execute(_MAKE_ROOM, [end, work_id, start, listed, work_id, end])
        db.conn.executemany(
            "INSERT INTO kudos (work, user, position, first_seen, last_seen) VALUES (?,?,?,?,?) "
            "ON CONFLICT (work, user) DO UPDATE SET position = excluded.position, "
            "last_seen = max(kudos.last_seen, excluded.last_seen)",
            rows,
        )
    return len(rows)


def save_kudos_page(db: Database, page: KudosPage, *, fetched_at: str) -> int:
    """One ``/works/ID/kudos?page=N`` page (positions from its page number)."""
    if page.work_id is None:
        return 0
    start = (page.page - 1) * KUDOS_PER_PAGE
    return save_kudos(db, page.work_id, page.users, start=start, fetched_at=fetched_at)


_COMMENT_COLUMNS = (
    "id, work, chapter, parent, thread, commenter_kind, user, pseud, name, posted, edited, "
    "text, state, frozen, first_seen, last_seen"
)
_COMMENT_UPSERT = (
    f"INSERT INTO comments ({_COMMENT_COLUMNS}) VALUES ({', '.join('?' * 16)}) "
    "ON CONFLICT (id) DO UPDATE SET "
    "chapter = coalesce(excluded.chapter, comments.chapter), "
    "parent = coalesce(excluded.parent, comments.parent), "
    "thread = CASE WHEN excluded.parent IS NULL AND comments.parent IS NOT NULL "
    "THEN comments.thread ELSE excluded.thread END, "
    "commenter_kind = excluded.commenter_kind, user = excluded.user, pseud = excluded.pseud, "
    "name = excluded.name, posted = excluded.posted, edited = excluded.edited, "
    "text = excluded.text, state = excluded.state, frozen = excluded.frozen, "
    "last_seen = max(comments.last_seen, excluded.last_seen)"
)

_RETHREAD = (
    "UPDATE comments SET thread = (SELECT p.thread FROM comments p WHERE p.id = comments.parent) "
    "WHERE id = ? AND EXISTS (SELECT 1 FROM comments p WHERE p.id = comments.parent)"
)


def save_comments(
    db: Database, work_id: int, comments: Iterable[Comment], *, fetched_at: str
) -> int:
    """Upsert comments by id (see the module text for what an update keeps)."""
    at = utc_iso(fetched_at)
    rows = [
        (
            c.id,
            work_id,
            c.chapter_id,
            c.parent_id,
            c.thread_id or c.id,
            c.commenter_kind,
            c.user,
            c.pseud,
            c.name,
            c.posted,
            c.edited,
            c.text,
            c.state,
            int(c.frozen),
            at,
            at,
        )
        for c in comments
    ]
    with db.atomic():
        db.conn.executemany(_COMMENT_UPSERT, rows)
        # A thread page roots its replies at the cut comment; the stored parent knows the
        # real thread. Rows come parents first, so one pass in page order fixes a chain.
        db.conn.executemany(_RETHREAD, [(row[0],) for row in rows if row[3] is not None])
    return len(rows)


def mark_removed(db: Database, work_id: int, *, seen_since: str | None) -> int:
    """Stored comments of the work not seen since ``seen_since`` (None: any) become ``removed``.

    Called once a pass has read every page of the work's comments: AO3 drops a
    comment deleted without replies from its pages, so a stored one the pass
    did not see is gone. As for a deleted comment's placeholder, its text and
    commenter go (the index keeps what AO3 publishes); its place in the thread
    stays, and a later page that shows it again makes it visible again.
    """
    where = "work = ? AND state != 'removed'" + (" AND last_seen < ?" if seen_since else "")
    params: list[object] = [work_id] + ([utc_iso(seen_since)] if seen_since else [])
    return db.execute(
        "UPDATE comments SET state = 'removed', commenter_kind = NULL, user = NULL, "
        f"pseud = NULL, name = NULL, posted = NULL, edited = NULL, text = NULL WHERE {where}",
        params,
    ).rowcount


def save_comments_page(db: Database, page: CommentsPage, *, fetched_at: str) -> int:
    """Every comment of one page of threads or one thread page."""
    if page.work_id is None:
        return 0
    return save_comments(db, page.work_id, page.comments, fetched_at=fetched_at)


_BOOKMARK_UPSERT = (
    "INSERT INTO bookmarks (work, user, pseud, date, date_text, rec, notes, first_seen, "
    "last_seen) VALUES (?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (work, user, pseud) DO UPDATE SET "
    "date = coalesce(excluded.date, bookmarks.date), date_text = excluded.date_text, "
    "rec = excluded.rec, notes = excluded.notes, "
    "last_seen = max(bookmarks.last_seen, excluded.last_seen) "
    "RETURNING id"
)


def save_bookmarks(
    db: Database, work_id: int, bookmarks: Iterable[Bookmark], *, fetched_at: str
) -> int:
    """Upsert bookmarks by (work, user, pseud); their tags and collections are replaced.

    A date AO3 printed in words ("3 days") leaves a known date alone: the
    absolute one appears once the bookmark is 30 days old.
    """
    at = utc_iso(fetched_at)
    count = 0
    with db.atomic():
        for mark in bookmarks:
            values = (work_id, mark.user, mark.pseud, mark.date, mark.date_text)
            (bookmark_id,) = db.execute(
                _BOOKMARK_UPSERT, [*values, int(mark.rec), mark.notes, at, at]
            ).fetchone()
            db.execute("DELETE FROM bookmark_tags WHERE bookmark = ?", [bookmark_id])
            db.execute("DELETE FROM bookmark_collections WHERE bookmark = ?", [bookmark_id])
            db.conn.executemany(
                "INSERT OR IGNORE INTO bookmark_tags (bookmark, position, tag) VALUES (?,?,?)",
                [(bookmark_id, position, tag) for position, tag in enumerate(mark.tags)],
            )
            db.conn.executemany(
                "INSERT OR IGNORE INTO bookmark_collections (bookmark, name, title) VALUES (?,?,?)",
                [(bookmark_id, c.name, c.title) for c in mark.collections],
            )
            count += 1
    return count


def save_bookmarks_page(db: Database, page: BookmarksPage, *, fetched_at: str) -> int:
    """Every bookmark of one ``/works/ID/bookmarks?page=N`` page."""
    if page.work_id is None:
        return 0
    return save_bookmarks(db, page.work_id, page.bookmarks, fetched_at=fetched_at)
