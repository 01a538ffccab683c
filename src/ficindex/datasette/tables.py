"""Which tables of an index a reader browses, and which a public copy may keep.

The crawler's and importer's bookkeeping (frontier, fetch log, raw pages) and
the FTS shadow tables are hidden from Datasette's table list; a metadata-only
copy keeps only the tables of public metadata and blanks the authors' prose.
Both decisions read the same lists, kept here.
"""

from __future__ import annotations

from sqlite_utils import Database

#: Tables that hold the crawler's and importer's state, not data a reader browses.
BOOKKEEPING_TABLES = (
    "raw_pages",
    "fetch_log",
    "crawl_targets",
    "crawl_pages",
    "crawl_works",
    "_sqlite_migrations",
    # The secret key of the readers' pseudonyms: never browsed, emptied in the public copy.
    "engagement_salt",
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
    "kudos",
    "comments",
    "bookmarks",
    "bookmark_tags",
    "bookmark_collections",
    "_sqlite_migrations",
)

#: Columns a metadata-only copy blanks: the authors' own prose beyond the blurb.
PRIVATE_COLUMNS: dict[str, dict[str, str | None]] = {
    "works": {"notes": None, "end_notes": None},
    "chapters": {"text": "", "summary": None, "notes": None, "end_notes": None},
}


def hidden_tables(db: Database) -> list[str]:
    """Bookkeeping tables, FTS tables and what serves them, which a reader never needs to see.

    The known bookkeeping names are hidden even when absent, because a crawl may
    create them after the metadata was written. Views that only feed an FTS
    table (``works_cjk_source``) are hidden with it.
    """
    names = set(BOOKKEEPING_TABLES)
    fts = db.table_names(fts5=True)
    for table in [*db.table_names(), *db.view_names()]:
        if table.startswith(BOOKKEEPING_PREFIXES) or is_fts_part(table, fts):
            names.add(table)
    return sorted(names)


def is_fts_part(table: str, fts: list[str]) -> bool:
    """True for an FTS table or one of its shadow tables (``works_fts_data``, ...)."""
    return any(table == f or table.startswith(f + "_") for f in fts)
