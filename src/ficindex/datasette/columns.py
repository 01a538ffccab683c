"""What each column of the browsable tables and views means, folded into their descriptions.

Datasette 0.65 prints a table's column descriptions as a list above the
search box and the rows; for ``works`` (34 columns) that list filled the
whole first screen. So the descriptions go into the table's
``description_html`` instead, inside a closed ``<details>``: one click away,
never in the way. That also works unchanged on the 1.0 line, where
``description_html`` is descriptive metadata like ``description``.

The descriptions are looked up per column the table or view really has
(``PRAGMA table_info``), so a view never describes columns it does not
select and a column added by a later schema simply goes undescribed.
"""

from __future__ import annotations

from html import escape

from sqlite_utils import Database

from ficindex.datasette.engagement import ENGAGEMENT_COLUMNS

_WORK_COLUMNS = {
    "id": "AO3 work id (the number in /works/ID)",
    "title": "Title as displayed",
    "authors": "JSON array of creators, 'pseud (user)' or just 'user'",
    "anonymous": "1 when the work is posted anonymously",
    "gifts": "JSON array of gift recipients",
    "rating": "The rating tag, e.g. Mature",
    "warnings": "JSON array of archive warnings",
    "categories": "JSON array of categories (F/M, Gen, ...)",
    "fandoms": "JSON array of fandom tags",
    "relationships": "JSON array of relationship tags",
    "characters": "JSON array of character tags",
    "freeforms": "JSON array of additional (freeform) tags",
    "language": "Language as displayed",
    "series": "JSON array of series titles as this work's page showed them (series.title: the "
    "newest; work_series: ids and positions)",
    "collections": "JSON array of collection titles as this work's page showed them "
    "(collections.title: the newest)",
    "published": "First publication date (YYYY-MM-DD)",
    "updated": "Latest update or completion date (YYYY-MM-DD)",
    "completed": "1 when complete",
    "words": "Word count",
    "comments": "Comment threads count",
    "kudos": "Kudos count",
    "kudos_users": "Logins shown under the work as having left kudos, newest first (JSON array)",
    "kudos_guests": "Guest kudos AO3 counts beside those logins (null: the page showed no kudos)",
    "bookmarks": "Public bookmarks count",
    "hits": "Hits count",
    "chapters_posted": "Chapters posted",
    "chapters_total": "Planned chapters (null when unknown, N/?)",
    "summary": "Summary, one paragraph per line",
    "notes": "Author's notes at the start, one paragraph per line",
    "end_notes": "Author's notes at the end",
    "restricted": "1 when only logged-in AO3 users can read it",
    "status": "ok, deleted, restricted, unrevealed or hidden (as last seen)",
    "status_at": "When the status last changed (UTC)",
    "first_seen": "When ficindex first saw the work (UTC)",
    "last_fetched": "When a page of the work was last stored (UTC)",
    "last_full_fetch": "When the full work page was last stored (UTC)",
}

_CHAPTER_COLUMNS = {
    "id": "AO3 chapter id (negative: a stand-in until a page shows the real id)",
    "work": "The work (works.id)",
    "number": "Chapter number, from 1",
    "title": "Chapter title without the 'Chapter N:' prefix (null when untitled)",
    "summary": "Chapter summary",
    "notes": "Chapter notes at the start",
    "end_notes": "Chapter notes at the end",
    "text": "Chapter text, one paragraph per line",
    "vanished_at": "When a full fetch no longer showed this chapter (kept, not deleted)",
}

_STATS_COLUMNS = {
    "work": "The work (works.id)",
    "fetched_at": "When these counters were seen (UTC)",
    "words": "Word count then",
    "chapters_posted": "Chapters posted then",
    "comments": "Comments then",
    "kudos": "Kudos then",
    "bookmarks": "Bookmarks then",
    "hits": "Hits then",
}

_TAG_COLUMNS = {
    "id": "Row id of the tag in this index (not an AO3 id)",
    "name": "The tag as AO3 displays it",
    "type": "rating, warning, category, fandom, relationship, character or freeform",
}

#: Descriptions by table, then column. Views list what differs from the table they read.
COLUMN_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "works": _WORK_COLUMNS,
    "chapters": _CHAPTER_COLUMNS,
    "stats_history": _STATS_COLUMNS,
    "tags": _TAG_COLUMNS,
    "authors": {
        "id": "Row id of the creator in this index (not an AO3 id)",
        "user": "AO3 user name",
        "pseud": "The pseud the work is credited to (the user name when it has none)",
    },
    "series": {
        "id": "AO3 series id (the number in /series/ID)",
        "title": "Series title, as the most recently fetched page showing it gave it",
        "title_at": "When that page was fetched (UTC)",
    },
    "collections": {
        "id": "Row id of the collection in this index",
        "name": "AO3 collection name (the part after /collections/)",
        "title": "Collection title, as the most recently fetched page showing it gave it",
        "title_at": "When that page was fetched (UTC)",
    },
    "work_authors": {"work": "The work (works.id)", "author": "A creator (authors.id)"},
    "work_tags": {"work": "The work (works.id)", "tag": "A tag (tags.id)"},
    "work_series": {
        "work": "The work (works.id)",
        "series": "A series it belongs to (series.id)",
        "position": "Its place in that series, from 1",
    },
    "work_collections": {
        "work": "The work (works.id)",
        "collection": "A collection it is in (collections.id)",
    },
    "work_cards": {
        **_WORK_COLUMNS,
        "authors": "Creators, comma-separated ('Anonymous' for anonymous works)",
        "chapters": "Posted/planned chapters as AO3 shows them, e.g. 3/?",
        "ao3_url": "The work on AO3",
    },
    "chapter_index": {
        **_CHAPTER_COLUMNS,
        "work_title": "Title of the work",
        "characters": "Length of the chapter text in characters",
        "ao3_url": "The chapter on AO3",
    },
    "tag_usage": {
        **_TAG_COLUMNS,
        "works": "Indexed works that use the tag",
        "kudos": "Kudos of those works, summed",
    },
    **ENGAGEMENT_COLUMNS,
}


def describe_columns(db: Database, table: str) -> dict[str, str]:
    """The descriptions of the columns ``table`` (a table or view) really has, in its order."""
    known = COLUMN_DESCRIPTIONS.get(table, {})
    names = [row[1] for row in db.execute(f"PRAGMA table_info([{table}])")]
    return {name: known[name] for name in names if name in known}


def description_html(description: str, columns: dict[str, str], extra_html: str = "") -> str:
    """The description (``extra_html`` ending its paragraph), then the columns in a closed
    ``<details>``.

    Plain :func:`html.escape`, not markupsafe: ``datasette-config`` runs without Datasette.
    """
    tail = f" {extra_html}" if extra_html else ""
    parts = [f"<p>{escape(description)}{tail}</p>"]
    if columns:
        items = "".join(
            f"<dt>{escape(name)}</dt><dd>{escape(text)}</dd>" for name, text in columns.items()
        )
        parts.append(
            f'<details class="ficindex-columns"><summary>What the {len(columns)} columns '
            f'mean</summary><dl class="column-descriptions">{items}</dl></details>'
        )
    return "\n".join(parts)
