"""The browsing views Datasette shows: ``work_cards``, ``chapter_index``, ``tag_usage``,
and for engagement data ``comment_cards`` and ``bookmark_cards``.

They live in the index file because Datasette can only facet and full-text
search tables and views, not canned queries.
"""

from __future__ import annotations

from sqlite_utils import Database

from ficindex import AO3_URL

_AUTHORS_TEXT = "(SELECT group_concat(a.value, ', ') FROM json_each(w.authors) AS a)"

#: The browsing views, by name. Plain SQL over the SPEC tables, so they keep
#: working when an index is upgraded; :func:`ensure_views` recreates a view whose
#: definition changed in a newer ficindex.
VIEWS: dict[str, str] = {
    "work_cards": f"""CREATE VIEW work_cards AS
SELECT
    w.id,
    w.title,
    CASE WHEN w.anonymous THEN 'Anonymous' ELSE {_AUTHORS_TEXT} END AS authors,
    w.fandoms,
    w.relationships,
    w.rating,
    w.language,
    w.words,
    w.chapters_posted || '/' || coalesce(w.chapters_total, '?') AS chapters,
    w.completed,
    w.kudos,
    w.hits,
    w.bookmarks,
    w.comments,
    w.published,
    w.updated,
    w.status,
    '{AO3_URL}/works/' || w.id AS ao3_url
FROM works AS w""",
    "chapter_index": f"""CREATE VIEW chapter_index AS
SELECT
    c.id,
    c.work,
    w.title AS work_title,
    c.number,
    c.title,
    length(c.text) AS characters,
    c.vanished_at,
    CASE WHEN c.id > 0 THEN '{AO3_URL}/works/' || c.work || '/chapters/' || c.id
         ELSE '{AO3_URL}/works/' || c.work END AS ao3_url
FROM chapters AS c
JOIN works AS w ON w.id = c.work""",
    "tag_usage": """CREATE VIEW tag_usage AS
SELECT
    t.id,
    t.name,
    t.type,
    count(wt.work) AS works,
    sum(w.kudos) AS kudos
FROM tags AS t
LEFT JOIN work_tags AS wt ON wt.tag = t.id
LEFT JOIN works AS w ON w.id = wt.work
GROUP BY t.id""",
    # Engagement (issue 17): one readable row per comment / bookmark, with the work's title,
    # the chapter's number and the reader as AO3 shows them. The tables exist in every index
    # (a schema step), so the views work on an index without engagement rows too: empty.
    "comment_cards": f"""CREATE VIEW comment_cards AS
SELECT
    c.id,
    c.work,
    w.title AS work_title,
    ch.number AS chapter,
    c.thread,
    c.parent,
    CASE WHEN c.user IS NULL THEN c.name
         WHEN c.pseud IS NULL OR c.pseud = c.user THEN c.user
         ELSE c.pseud || ' (' || c.user || ')' END AS commenter,
    c.commenter_kind,
    c.posted,
    c.edited,
    c.state,
    c.text,
    '{AO3_URL}/comments/' || c.id AS ao3_url
FROM comments AS c
JOIN works AS w ON w.id = c.work
LEFT JOIN chapters AS ch ON ch.id = c.chapter""",
    "bookmark_cards": f"""CREATE VIEW bookmark_cards AS
SELECT
    b.id,
    b.work,
    w.title AS work_title,
    CASE WHEN b.pseud = b.user THEN b.user
         ELSE b.pseud || ' (' || b.user || ')' END AS bookmarker,
    b.date,
    b.date_text,
    b.rec,
    (SELECT json_group_array(t.tag) FROM
        (SELECT tag FROM bookmark_tags WHERE bookmark = b.id ORDER BY position) AS t) AS tags,
    (SELECT json_group_array(c.title) FROM bookmark_collections AS c
        WHERE c.bookmark = b.id) AS bookmark_collections,
    b.notes,
    '{AO3_URL}/works/' || b.work || '/bookmarks' AS ao3_url
FROM bookmarks AS b
JOIN works AS w ON w.id = b.work""",
}


def ensure_views(db: Database) -> list[str]:
    """Create the browsing views, or replace those whose definition changed.

    Returns the names written. A view that is already current is left alone,
    so running this on an up-to-date index writes nothing.
    """
    current = {
        row[0]: row[1]
        for row in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'view'")
    }
    changed = [name for name, sql in VIEWS.items() if current.get(name) != sql]
    if changed:
        with db.atomic():
            for name in changed:
                db.execute(f"DROP VIEW IF EXISTS [{name}]")
                db.execute(VIEWS[name])
    return changed
