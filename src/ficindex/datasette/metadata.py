"""Datasette metadata for an index, built as data: the 0.65 shape and its 1.0 split.

:func:`build_metadata` describes the index in the Datasette 0.65 shape (title,
source and rights, table options, column descriptions, canned queries);
:func:`split_for_1_0` divides that into the 1.0 line's ``metadata`` and
``datasette.yaml`` configuration.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ficindex import AO3_URL
from ficindex.datasette.tables import hidden_tables
from ficindex.index.queries import canned_queries

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
        meta["databases"][db_name], config["databases"][db_name] = _split_database(db_meta)
    return meta, config


def _split_database(db_meta: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """One database's 0.65 entry as its 1.0 (metadata, configuration) entries."""
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
    return meta_db, config_db


def database_name(path: str | os.PathLike[str]) -> str:
    """The name Datasette serves a database file under: its file name without suffix."""
    return Path(path).stem
