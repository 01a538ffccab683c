"""Datasette metadata for an index, built as data: the 0.65 shape and its 1.0 split.

:func:`build_metadata` describes the index in the Datasette 0.65 shape (title,
source and rights, table options, descriptions with their columns folded
(:mod:`.columns`), canned queries);
:func:`split_for_1_0` divides that into the 1.0 line's ``metadata`` and
``datasette.yaml`` configuration.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ficindex import AO3_URL
from ficindex.datasette.columns import describe_columns, description_html
from ficindex.datasette.engagement import engagement_table_options
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
            # One line of four short facets, so the first screen (1,000 px) still shows
            # rows; Datasette suggests the others (warnings, completed, status, ...).
            "facets": [{"array": "fandoms"}, {"array": "relationships"}, "rating", "language"],
            "facet_size": 5,
        },
        "work_cards": {
            "description": "One readable row per work, with a link to it on AO3. "
            "Search works as on the works table.",
            "fts_table": "works_fts",
            "fts_pk": "id",
            "searchmode": "raw",
            "sort_desc": "updated",
            "facets": [{"array": "fandoms"}, "rating", "completed", "status"],
            "facet_size": 5,
        },
        "chapters": {
            "description": "Chapters with their text. Search covers title, summary, "
            "notes and text.",
            "fts_table": "chapters_fts",
            "fts_pk": "id",
            "searchmode": "raw",
            "sort": "work",
        },
        "chapter_index": {
            "description": "Chapters without their text, with their work's title and "
            "a link to AO3. Search finds chapters by their text.",
            "fts_table": "chapters_fts",
            "fts_pk": "id",
            "searchmode": "raw",
            "sort": "work",
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
        },
        "authors": {
            "description": "Every creator credited on an indexed work, as pseud and user.",
            "label_column": "pseud",
        },
        "tags": {
            "description": "Every tag on an indexed work, with its type.",
            "label_column": "name",
            "facets": ["type"],
        },
        "series": {"description": "Series the indexed works belong to.", "label_column": "title"},
        "collections": {
            "description": "Collections the indexed works are in.",
            "label_column": "title",
        },
        "work_authors": {"description": "Which creators are credited on which work."},
        "work_tags": {"description": "Which tags each work carries."},
        "work_series": {"description": "Which series each work belongs to, and where."},
        "work_collections": {"description": "Which collections each work is in."},
        **engagement_table_options(),
    }


#: Tables and views whose page links to the ranked ``search`` canned query.
SEARCH_LINKED = ("works", "work_cards")


#: The link to the ``search`` canned query, relative because a table's page is /DB/TABLE
#: (and so keeps working under Datasette's ``base_url``).
SEARCH_LINK_HTML = (
    '<a class="ficindex-ranked-search" href="search">Ranked search</a>: the same search, '
    "best match first (bm25), with a snippet of the matching text."
)


def _describe(db: Database, tables: dict[str, dict[str, Any]], search: bool) -> None:
    """Give each table and view with a description its columns, folded in ``description_html``."""
    for name, options in tables.items():
        if "description" not in options:
            continue
        extra = SEARCH_LINK_HTML if search and name in SEARCH_LINKED else ""
        columns = describe_columns(db, name)
        options["description_html"] = description_html(options["description"], columns, extra)


def build_metadata(db: Database, database_name: str) -> dict[str, Any]:
    """Datasette 0.65 metadata for the index ``db`` served under ``database_name``."""
    present = set(db.table_names()) | set(db.view_names())
    tables = {name: options for name, options in _table_options().items() if name in present}
    for name in hidden_tables(db):
        tables.setdefault(name, {})["hidden"] = True
    canned = canned_queries()
    _describe(db, tables, search="search" in canned)
    queries = {
        q.name: {"title": q.title, "description": q.description, "sql": q.body}
        for q in canned.values()
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
