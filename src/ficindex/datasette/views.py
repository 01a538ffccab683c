"""The browsing views Datasette shows: ``work_cards``, ``chapter_index`` and ``tag_usage``.

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
