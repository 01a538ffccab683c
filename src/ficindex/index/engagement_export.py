"""Engagement rows out of the index: the extra lines of ``export --with`` (issue 17).

A JSON Lines export stays a stream of work records unless asked for more:
``export --with kudos,comments,bookmarks`` (any subset) writes, right after
each work's line, one line per kudos giver, comment and bookmark of that work,
each with its own ``kind`` (``kudos``, ``comment``, ``bookmark``) and the
work's ``work_id``. A reader that keeps only ``kind == "work"`` lines sees the
export it always saw; the schema shipped with ficindex describes the new kinds.

The same dicts feed the Parquet files (:mod:`ficindex.exchange.parquet_engagement`).

The public form (``export --metadata-only``) is the one the public SQLite copy
holds (:mod:`ficindex.index.engagement_privacy`): comment text and bookmark
notes are null, and every login, pseud and guest name is its salted pseudonym,
made by the same :class:`Pseudonyms` object; the work record loses its
authors' notes and chapter text as the copy's tables do, and its
``kudos_users`` become pseudonyms too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from ficindex import AO3_URL
from ficindex.index.engagement_privacy import Pseudonyms

#: ``--with`` kinds, in the order their lines follow a work's line.
KINDS = ("kudos", "comments", "bookmarks")
#: The ``kind`` of each line (one line per row: one kudos, one comment, one bookmark).
LINE_KINDS = {"kudos": "kudos", "comments": "comment", "bookmarks": "bookmark"}

_KUDOS = (
    "SELECT user, position, first_seen, last_seen FROM kudos WHERE work = ? ORDER BY position, user"
)
#: Threads in the order they were started, each thread's comments in posting order
#: (AO3's ids grow with time, so a reply always follows what it answers).
_COMMENTS = (
    "SELECT c.id, c.chapter, ch.number, c.parent, c.thread, c.commenter_kind, c.user, c.pseud, "
    "c.name, c.posted, c.edited, c.text, c.state, c.frozen, c.first_seen, c.last_seen "
    "FROM comments c LEFT JOIN chapters ch ON ch.id = c.chapter "
    "WHERE c.work = ? ORDER BY c.thread, c.id"
)
_BOOKMARKS = (
    "SELECT id, user, pseud, date, date_text, rec, notes, first_seen, last_seen "
    "FROM bookmarks WHERE work = ? ORDER BY id"
)
_BOOKMARK_TAGS = (
    "SELECT t.bookmark, t.tag FROM bookmark_tags t JOIN bookmarks b ON b.id = t.bookmark "
    "WHERE b.work = ? ORDER BY t.bookmark, t.position"
)
_BOOKMARK_COLLECTIONS = (
    "SELECT c.bookmark, c.name, c.title FROM bookmark_collections c "
    "JOIN bookmarks b ON b.id = c.bookmark WHERE b.work = ? ORDER BY c.bookmark, c.rowid"
)


def engagement_lines(
    conn: sqlite3.Connection, work_id: int, kinds: tuple[str, ...], names: Pseudonyms | None
) -> Iterator[dict[str, Any]]:
    """Every engagement line of one work, kind by kind in :data:`KINDS` order.

    ``names`` given: the public form (pseudonyms, no comment text, no notes).
    """
    for kind in KINDS:
        if kind in kinds:
            yield from ROWS[kind](conn, work_id, names)


def kudos_lines(
    conn: sqlite3.Connection, work_id: int, names: Pseudonyms | None
) -> Iterator[dict[str, Any]]:
    """One line per login that left kudos, newest first (``position`` 0 is the newest)."""
    for user, position, first_seen, last_seen in conn.execute(_KUDOS, [work_id]):
        yield {
            "kind": "kudos",
            "work_id": work_id,
            "user": names.login(user) if names else user,
            "position": position,
            "first_seen": first_seen,
            "last_seen": last_seen,
        }


def comment_lines(
    conn: sqlite3.Connection, work_id: int, names: Pseudonyms | None
) -> Iterator[dict[str, Any]]:
    """One line per comment or placeholder, threads kept together."""
    for row in conn.execute(_COMMENTS, [work_id]):
        comment_id, chapter_id, number, parent, thread, commenter_kind, user, pseud = row[:8]
        name, posted, edited, text, state, frozen, first_seen, last_seen = row[8:]
        if names is not None:
            user, pseud = names.login(user), names.pseud(user, pseud)
            name, text = names.guest(commenter_kind, name), None
        yield {
            "kind": "comment",
            "work_id": work_id,
            "comment_id": comment_id,
            "chapter_id": chapter_id,
            "chapter": number,
            "parent_id": parent,
            "thread_id": thread,
            "commenter_kind": commenter_kind,
            "user": user,
            "pseud": pseud,
            "name": name,
            "posted": posted,
            "edited": edited,
            "text": text,
            "state": state,
            "frozen": bool(frozen),
            "first_seen": first_seen,
            "last_seen": last_seen,
            "url": f"{AO3_URL}/comments/{comment_id}",
        }


def bookmark_lines(
    conn: sqlite3.Connection, work_id: int, names: Pseudonyms | None
) -> Iterator[dict[str, Any]]:
    """One line per public bookmark (one per pseud), with its tags and collections."""
    tags: dict[int, list[str]] = {}
    for bookmark, tag in conn.execute(_BOOKMARK_TAGS, [work_id]):
        tags.setdefault(bookmark, []).append(tag)
    collections: dict[int, list[dict[str, str]]] = {}
    for bookmark, name, title in conn.execute(_BOOKMARK_COLLECTIONS, [work_id]):
        collections.setdefault(bookmark, []).append({"name": name, "title": title})
    for row in conn.execute(_BOOKMARKS, [work_id]):
        bookmark_id, user, pseud, date, date_text, rec, notes, first_seen, last_seen = row
        if names is not None:
            user, pseud, notes = names.login(user), names.pseud(user, pseud), None
        yield {
            "kind": "bookmark",
            "work_id": work_id,
            "user": user,
            "pseud": pseud,
            "date": date,
            "date_text": date_text,
            "rec": bool(rec),
            "tags": tags.get(bookmark_id, []),
            "collections": collections.get(bookmark_id, []),
            "notes": notes,
            "first_seen": first_seen,
            "last_seen": last_seen,
        }


ROWS = {"kudos": kudos_lines, "comments": comment_lines, "bookmarks": bookmark_lines}


def public_record(data: dict[str, Any], names: Pseudonyms) -> dict[str, Any]:
    """A work's record dict in the public form: what the public SQLite copy keeps of it.

    Keys stay (absent values are null or empty, as everywhere in the record), so
    a public line still validates against the record schema: authors' notes
    null, chapter text empty and chapter summaries and notes null, and
    ``kudos_users`` as pseudonyms.
    """
    data["notes"] = data["end_notes"] = None
    data["kudos_users"] = names.logins(data["kudos_users"])
    for chapter in data["chapters"]:
        chapter.update(text="", summary=None, notes=None, end_notes=None)
    return data
