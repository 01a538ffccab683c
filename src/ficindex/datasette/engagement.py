"""What Datasette says about the engagement tables and views (issue 17).

Kept apart from :mod:`.metadata` and :mod:`.columns`, which merge these in:
the table options (search through ``comments_fts`` and ``bookmarks_fts``,
facets, sort orders) and the column descriptions of ``kudos``, ``comments``,
``bookmarks``, ``bookmark_tags``, ``bookmark_collections`` and the
``comment_cards`` and ``bookmark_cards`` views. In a public copy the reader
columns hold pseudonyms and the text columns are empty; the descriptions say so.
"""

from __future__ import annotations

from typing import Any

_PSEUDONYM = " (a salted pseudonym in a public copy)"

_FIRST_LAST = {
    "first_seen": "When ficindex first stored this row (UTC)",
    "last_seen": "When a fetched page last showed it (UTC)",
}

_COMMENTS = {
    "id": "AO3 comment id (the number in /comments/ID)",
    "work": "The work (works.id)",
    "chapter": "AO3 id of the chapter commented on (chapters.id); null on single-chapter works",
    "parent": "The comment this one replies to; null at the top of a thread",
    "thread": "The top comment of its thread (its own id at the top)",
    "commenter_kind": "user, official, guest, anonymous_creator or deleted_account; "
    "null for a deleted or hidden comment's placeholder",
    "user": "Login of a user or official commenter" + _PSEUDONYM,
    "pseud": "Pseud of a user or official commenter" + _PSEUDONYM,
    "name": "A guest's name" + _PSEUDONYM + ", or the fixed byline of the other kinds",
    "posted": "When it was posted (UTC)",
    "edited": "When it was last edited (UTC); null when never",
    "text": "The comment, one paragraph per line; null for placeholders, removed comments "
    "and in a public copy",
    "state": "visible, deleted (AO3 shows a placeholder), hidden (under review) or removed "
    "(no longer on AO3's pages at a full re-read)",
    "frozen": "1 when the thread is frozen (no replies possible)",
    **_FIRST_LAST,
}

_BOOKMARKS = {
    "id": "Row id of the bookmark in this index (not an AO3 id)",
    "work": "The work (works.id)",
    "user": "Login of the bookmarker" + _PSEUDONYM,
    "pseud": "The pseud that bookmarked" + _PSEUDONYM,
    "date": "Bookmark date (YYYY-MM-DD); null while AO3 prints a relative one",
    "date_text": "The date as AO3 printed it, e.g. '3 days'",
    "rec": "1 when marked as a recommendation",
    "notes": "The bookmarker's notes; null when none and in a public copy",
    **_FIRST_LAST,
}

#: Column descriptions by table or view, merged into :data:`.columns.COLUMN_DESCRIPTIONS`.
ENGAGEMENT_COLUMNS: dict[str, dict[str, str]] = {
    "kudos": {
        "work": "The work (works.id)",
        "user": "Login that left kudos" + _PSEUDONYM,
        "position": "Place in AO3's newest-first list at the last fetch (0 = newest)",
        **_FIRST_LAST,
    },
    "comments": _COMMENTS,
    "bookmarks": _BOOKMARKS,
    "bookmark_tags": {
        "bookmark": "The bookmark (bookmarks.id)",
        "position": "Place of the tag among the bookmarker's tags, from 0",
        "tag": "A tag the bookmarker gave the work (not one of the work's own tags)",
    },
    "bookmark_collections": {
        "bookmark": "The bookmark (bookmarks.id)",
        "name": "AO3 collection name (the part after /collections/)",
        "title": "Collection title",
    },
    "comment_cards": {
        **_COMMENTS,
        "work_title": "Title of the work",
        "chapter": "Number of the chapter commented on (null when the index has no such chapter)",
        "commenter": "The commenter as AO3 shows them: 'pseud (user)', a login or a byline"
        + _PSEUDONYM,
        "ao3_url": "The comment on AO3",
    },
    "bookmark_cards": {
        **_BOOKMARKS,
        "work_title": "Title of the work",
        "bookmarker": "'pseud (user)' or just the login" + _PSEUDONYM,
        "tags": "JSON array of the bookmarker's tags, in their order",
        "bookmark_collections": "JSON array of the titles of collections holding the bookmark",
        "ao3_url": "The work's bookmarks on AO3",
    },
}


def engagement_table_options() -> dict[str, dict[str, Any]]:
    """Datasette table options for the engagement tables and views (0.65 shape)."""
    comment_search = {"fts_table": "comments_fts", "fts_pk": "id", "searchmode": "raw"}
    bookmark_search = {"fts_table": "bookmarks_fts", "fts_pk": "id", "searchmode": "raw"}
    return {
        "kudos": {
            "description": "Every login that left kudos on a work (only for works crawled "
            "with --with kudos; the work page's newest names are in works.kudos_users).",
            "sort": "work",
        },
        "comments": {
            "description": "Comments of works crawled with --with comments, with their "
            "threads. Search covers the comment text.",
            **comment_search,
            "sort_desc": "posted",
            "facets": ["commenter_kind", "state"],
        },
        "comment_cards": {
            "description": "One readable row per comment: work title, chapter number, "
            "commenter and a link to AO3. Search covers the comment text.",
            **comment_search,
            "sort_desc": "posted",
            "facets": ["chapter", "commenter_kind"],
        },
        "bookmarks": {
            "description": "Public bookmarks of works crawled with --with bookmarks. Search "
            "covers the bookmarkers' notes.",
            **bookmark_search,
            "sort_desc": "date",
            "facets": ["rec"],
        },
        "bookmark_cards": {
            "description": "One readable row per bookmark with the bookmarker's tags and "
            "collections. Search covers the notes.",
            **bookmark_search,
            "sort_desc": "date",
            "facets": [{"array": "tags"}, "rec"],
            "facet_size": 10,
        },
        "bookmark_tags": {
            "description": "The tags bookmarkers gave a work, one row per tag.",
            "facets": ["tag"],
        },
        "bookmark_collections": {
            "description": "Collections holding a bookmark.",
            "label_column": "title",
        },
    }
