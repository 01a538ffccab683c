"""Datasette integration: browsing views, the metadata/config files, and a public copy.

Datasette reads an index as it is, but a bare index is awkward to browse: the
bookkeeping tables (crawl frontier, fetch log, raw pages) crowd the table list,
search needs the FTS tables named, and the canned queries of ``queries/``
would have to be retyped. This module writes what makes ``datasette fics.db -m
metadata.json`` useful at once:

* **views** (:data:`VIEWS`): ``work_cards`` (one readable row per work with a
  link to AO3), ``chapter_index`` (chapters without their text) and
  ``tag_usage`` (each tag with its number of works). They live in the index
  file because Datasette can only facet and full-text search tables and views,
  not canned queries; :func:`ensure_views` creates or updates them and writes
  nothing when they are current;
* **metadata** (:func:`build_metadata`) in the Datasette 0.65 shape, and its
  split into ``metadata`` + ``datasette.yaml`` configuration for the 1.0 line
  (:func:`split_for_1_0`);
* a **metadata-only copy** for publishing (:func:`make_public_copy`): chapter
  text, author notes and raw pages are the authors' writing and AO3's pages,
  not ours to republish, so the copy keeps what a listing blurb shows.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ficindex import AO3_URL
from ficindex.errors import BadInput
from ficindex.index import open_index, sqlite_errors
from ficindex.index.queries import canned_queries

#: Tables that hold the crawler's and importer's state, not data a reader browses.
BOOKKEEPING_TABLES = (
    "raw_pages",
    "fetch_log",
    "crawl_targets",
    "crawl_pages",
    "crawl_works",
    "_sqlite_migrations",
)

#: Prefixes of bookkeeping tables that later versions may add (hidden when present).
BOOKKEEPING_PREFIXES = ("crawl_", "refresh_")

#: Tables whose rows a metadata-only copy keeps (every other table is emptied).
PUBLIC_TABLES = (
    "works",
    "authors",
    "work_authors",
    "tags",
    "work_tags",
    "series",
    "work_series",
    "collections",
    "work_collections",
    "chapters",
    "stats_history",
    "_sqlite_migrations",
)

#: Columns a metadata-only copy blanks: the authors' own prose beyond the blurb.
PRIVATE_COLUMNS = {
    "works": {"notes": None, "end_notes": None},
    "chapters": {"text": "", "summary": None, "notes": None, "end_notes": None},
}

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

TITLE = "ficindex: an index of Archive of Our Own works"

DESCRIPTION = (
    "Works indexed from Archive of Our Own by ficindex. Titles, tags, summaries and "
    "counters are AO3's public metadata as fetched (see last_fetched). Chapter text "
    "and notes belong to their authors: read and quote them for research, do not "
    "republish them."
)

LICENSE = "Works belong to their authors; AO3 Terms of Service apply"
LICENSE_URL = f"{AO3_URL}/tos"
ABOUT = "ficindex"
ABOUT_URL = "https://github.com/ficindex/ficindex"

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
    "series": "JSON array of series titles (see work_series for ids and positions)",
    "collections": "JSON array of collection titles",
    "published": "First publication date (YYYY-MM-DD)",
    "updated": "Latest update or completion date (YYYY-MM-DD)",
    "completed": "1 when complete",
    "words": "Word count",
    "comments": "Comment threads count",
    "kudos": "Kudos count",
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

_CARD_COLUMNS = {
    "authors": "Creators, comma-separated ('Anonymous' for anonymous works)",
    "chapters": "Posted/planned chapters as AO3 shows them, e.g. 3/?",
    "ao3_url": "The work on AO3",
}


def _table_options() -> dict[str, dict[str, Any]]:
    """Per-table options (the same in both formats, before the 1.0 split)."""
    return {
        "works": {
            "description": "One row per AO3 work. Search covers title, creators, "
            "summary, notes and tags.",
            "fts_table": "works_fts",
            "fts_pk": "id",
            "searchmode": "raw",
            "sort_desc": "updated",
            "facets": [
                "rating",
                "language",
                "completed",
                "status",
                {"array": "fandoms"},
                {"array": "warnings"},
                {"array": "relationships"},
            ],
            "columns": _WORK_COLUMNS,
        },
        "work_cards": {
            "description": "One readable row per work, with a link to it on AO3. "
            "Search works as on the works table.",
            "fts_table": "works_fts",
            "fts_pk": "id",
            "searchmode": "raw",
            "sort_desc": "updated",
            "facets": ["rating", "completed", "status", {"array": "fandoms"}],
            "columns": {
                **{k: v for k, v in _WORK_COLUMNS.items() if k != "authors"},
                **_CARD_COLUMNS,
            },
        },
        "chapters": {
            "description": "Chapters with their text. Search covers title, summary, "
            "notes and text.",
            "fts_table": "chapters_fts",
            "fts_pk": "id",
            "searchmode": "raw",
            "sort": "work",
            "columns": _CHAPTER_COLUMNS,
        },
        "chapter_index": {
            "description": "Chapters without their text, with their work's title and "
            "a link to AO3. Search finds chapters by their text.",
            "fts_table": "chapters_fts",
            "fts_pk": "id",
            "searchmode": "raw",
            "sort": "work",
            "columns": {
                "work_title": "Title of the work",
                "characters": "Length of the chapter text in characters",
                "ao3_url": "The chapter on AO3",
            },
        },
        "tag_usage": {
            "description": "Every tag with the number of indexed works that use it.",
            "sort_desc": "works",
            "facets": ["type"],
        },
        "stats_history": {
            "description": "One row each time a work's counters changed, to chart its "
            "reception over time.",
            "sort_desc": "fetched_at",
            "columns": _STATS_COLUMNS,
        },
        "authors": {"label_column": "pseud"},
        "tags": {"label_column": "name", "facets": ["type"]},
        "series": {"label_column": "title"},
        "collections": {"label_column": "title"},
    }


def hidden_tables(db: Database) -> list[str]:
    """Bookkeeping tables and FTS shadow tables, which a reader never needs to see.

    The known bookkeeping names are hidden even when absent, because a crawl may
    create them after the metadata was written.
    """
    names = set(BOOKKEEPING_TABLES)
    fts = db.table_names(fts5=True)
    for table in db.table_names():
        if table.startswith(BOOKKEEPING_PREFIXES) or _is_fts_part(table, fts):
            names.add(table)
    return sorted(names)


def _is_fts_part(table: str, fts: list[str]) -> bool:
    """True for an FTS table or one of its shadow tables (``works_fts_data``, ...)."""
    return any(table == f or table.startswith(f + "_") for f in fts)


def build_metadata(db: Database, database_name: str) -> dict[str, Any]:
    """Datasette 0.65 metadata for the index ``db`` served under ``database_name``."""
    present = set(db.table_names()) | set(db.view_names())
    tables = {name: options for name, options in _table_options().items() if name in present}
    for name in hidden_tables(db):
        tables.setdefault(name, {})["hidden"] = True
    queries = {
        q.name: {"title": q.title, "description": q.description, "sql": q.body}
        for q in canned_queries().values()
    }
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "license": LICENSE,
        "license_url": LICENSE_URL,
        "source": "Archive of Our Own",
        "source_url": AO3_URL + "/",
        "about": ABOUT,
        "about_url": ABOUT_URL,
        "databases": {
            database_name: {
                "description": "Search tips: table search uses SQLite FTS5 syntax "
                '("exact phrase", slow*, tea AND NOT coffee, NEAR(a b)).',
                "tables": tables,
                "queries": queries,
            }
        },
    }


#: Table keys that belong to ``datasette.yaml`` in the 1.0 line; the rest is metadata.
CONFIG_TABLE_KEYS = frozenset(
    {
        "sort",
        "sort_desc",
        "size",
        "sortable_columns",
        "label_column",
        "hidden",
        "facets",
        "facet_size",
        "fts_table",
        "fts_pk",
        "searchmode",
        "column_types",
    }
)


def split_for_1_0(metadata: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split 0.65 metadata into (metadata, configuration) for Datasette 1.0.

    In the 1.0 line descriptive fields (title, license, source, column
    descriptions) stay in ``metadata.yaml``, while canned queries and table
    options (facets, sort, FTS, labels, hidden) live in ``datasette.yaml``.
    """
    meta = {k: v for k, v in metadata.items() if k != "databases"}
    config: dict[str, Any] = {"databases": {}}
    meta["databases"] = {}
    for db_name, db_meta in metadata.get("databases", {}).items():
        meta_db = {k: v for k, v in db_meta.items() if k not in ("tables", "queries")}
        config_db: dict[str, Any] = {}
        if db_meta.get("queries"):
            config_db["queries"] = db_meta["queries"]
        meta_tables: dict[str, Any] = {}
        config_tables: dict[str, Any] = {}
        for table, options in db_meta.get("tables", {}).items():
            described = {k: v for k, v in options.items() if k not in CONFIG_TABLE_KEYS}
            configured = {k: v for k, v in options.items() if k in CONFIG_TABLE_KEYS}
            if described:
                meta_tables[table] = described
            if configured:
                config_tables[table] = configured
        if meta_tables:
            meta_db["tables"] = meta_tables
        if config_tables:
            config_db["tables"] = config_tables
        meta["databases"][db_name] = meta_db
        config["databases"][db_name] = config_db
    return meta, config


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


def database_name(path: str | os.PathLike[str]) -> str:
    """The name Datasette serves a database file under: its file name without suffix."""
    return Path(path).stem


def prepare(path: str | os.PathLike[str], name: str | None = None) -> dict[str, Any]:
    """Open the index at ``path``, bring its views up to date, and return its 0.65 metadata."""
    db = open_index(path, create=False)
    try:
        with sqlite_errors(str(path)):
            ensure_views(db)
            return build_metadata(db, name or database_name(path))
    finally:
        db.close()


@dataclass(slots=True, frozen=True)
class PublicCopy:
    """What :func:`make_public_copy` wrote."""

    works: int
    chapters: int
    size: int


def make_public_copy(
    src_db_path: str | os.PathLike[str], dest_path: str | os.PathLike[str]
) -> PublicCopy:
    """Write a metadata-only copy of an index, safe to publish with ``datasette publish``.

    Kept: works (without author notes), creators, tags, series, collections,
    chapter numbers and titles, stats_history, and the views. Blanked or
    emptied: chapter text, summaries and notes, raw pages, the crawl frontier
    and fetch log, and any table not known to hold public metadata. The FTS
    tables are rebuilt from what remains (so no dropped word is still
    searchable), the file is vacuumed (so no dropped page survives in free
    pages) and left in rollback-journal mode: one self-contained file.

    The copy is made from a consistent snapshot (``VACUUM INTO``), so a crawl
    may keep writing the source meanwhile. ``dest_path`` is replaced atomically.
    """
    src, dest = Path(src_db_path), Path(dest_path)
    if dest.exists() and src.exists() and os.path.samefile(src, dest):
        raise BadInput("the public copy must be a new file, not the index itself")
    if dest.is_dir():
        raise BadInput(f"{dest} is a directory; give the file name of the copy, e.g. public.db")
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.unlink(missing_ok=True)
    source = open_index(src, create=False)
    try:
        with sqlite_errors(str(src)):
            source.execute("VACUUM INTO ?", [str(tmp)])
        result = _scrub(tmp)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return result


def _scrub(path: Path) -> PublicCopy:
    """Blank the private columns and tables of the copy at ``path``, rebuild FTS, vacuum."""
    conn = sqlite3.connect(str(path))
    db = Database(conn)
    try:
        with db.atomic():
            for table, blanks in PRIVATE_COLUMNS.items():
                _update_without_triggers(db, table, blanks)
            fts = db.table_names(fts5=True)
            for table in db.table_names():
                if table not in PUBLIC_TABLES and not _is_fts_part(table, fts):
                    db.execute(f"DELETE FROM [{table}]")
            for name in fts:
                # 'rebuild' re-reads the content table, so only kept words stay searchable.
                db.execute(f"INSERT INTO [{name}]([{name}]) VALUES ('rebuild')")
                db.execute(f"INSERT INTO [{name}]([{name}]) VALUES ('optimize')")
            ensure_views(db)
        db.execute("PRAGMA journal_mode = delete")
        db.execute("VACUUM")
        works = db.execute("SELECT count(*) FROM works").fetchone()[0]
        chapters = db.execute("SELECT count(*) FROM chapters").fetchone()[0]
    finally:
        conn.close()
    return PublicCopy(works=works, chapters=chapters, size=path.stat().st_size)


def _update_without_triggers(db: Database, table: str, values: dict[str, Any]) -> None:
    """Set ``values`` on every row of ``table`` with its FTS triggers briefly dropped.

    The triggers would re-tokenize every old chapter text just to delete it
    from the FTS index; the FTS tables are rebuilt afterwards anyway.
    """
    triggers = [
        (name, sql)
        for name, sql in db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
            [table],
        )
    ]
    for name, _ in triggers:
        db.execute(f"DROP TRIGGER [{name}]")
    assignments = ", ".join(f"[{column}] = ?" for column in values)
    db.execute(f"UPDATE [{table}] SET {assignments}", list(values.values()))
    for _, sql in triggers:
        db.execute(sql)
