"""Datasette integration: browsing views, the metadata/config files, and a public copy.

Datasette reads an index as it is, but a bare index is awkward to browse: the
bookkeeping tables (crawl frontier, fetch log, raw pages) crowd the table list,
search needs the FTS tables named, and the canned queries of ``queries/``
would have to be retyped. This package writes what makes ``datasette fics.db -m
metadata.json`` useful at once, one module each:

* **views** (:mod:`.views`, :data:`VIEWS`): ``work_cards`` (one readable row per work with a
  link to AO3), ``chapter_index`` (chapters without their text), ``tag_usage``
  (each tag with its number of works), and for engagement data ``comment_cards``
  and ``bookmark_cards`` (:mod:`.engagement` describes them). They live in the
  index file because Datasette can only facet and full-text search tables and
  views, not canned queries; :func:`ensure_views` creates or updates them and
  writes nothing when they are current;
* **metadata** (:mod:`.metadata`, :func:`build_metadata`) in the Datasette 0.65 shape, and its
  split into ``metadata`` + ``datasette.yaml`` configuration for the 1.0 line
  (:func:`split_for_1_0`);
* **column descriptions** (:mod:`.columns`) for the columns each table and view
  really has, folded into its description so the rows come first;
* a **plugin** (:mod:`.plugin`, loaded by Datasette through the ``datasette``
  entry point, never imported here because it needs Datasette) that shows tag
  lists as links to the matching rows and work ids as links to AO3;
* a **metadata-only copy** for publishing (:mod:`.public`,
  :func:`make_public_copy`): chapter text, author notes and raw pages are the
  authors' writing and AO3's pages, not ours to republish, so the copy keeps
  what a listing blurb shows.

Which tables are bookkeeping and which are public is decided once, in
:mod:`.tables`. :func:`prepare` ties views and metadata together for
``ficindex datasette-config``.
"""

from __future__ import annotations

import os
from typing import Any

from ficindex.datasette.metadata import (
    ABOUT,
    ABOUT_URL,
    CONFIG_TABLE_KEYS,
    DESCRIPTION,
    LICENSE,
    LICENSE_URL,
    TITLE,
    build_metadata,
    database_name,
    split_for_1_0,
)
from ficindex.datasette.public import PublicCopy, make_public_copy
from ficindex.datasette.tables import (
    BOOKKEEPING_PREFIXES,
    BOOKKEEPING_TABLES,
    PRIVATE_COLUMNS,
    PUBLIC_TABLES,
    hidden_tables,
)
from ficindex.datasette.views import VIEWS, ensure_views
from ficindex.index import open_index, sqlite_errors

__all__ = [
    "ABOUT",
    "ABOUT_URL",
    "BOOKKEEPING_PREFIXES",
    "BOOKKEEPING_TABLES",
    "CONFIG_TABLE_KEYS",
    "DESCRIPTION",
    "LICENSE",
    "LICENSE_URL",
    "PRIVATE_COLUMNS",
    "PUBLIC_TABLES",
    "TITLE",
    "VIEWS",
    "PublicCopy",
    "build_metadata",
    "database_name",
    "ensure_views",
    "hidden_tables",
    "make_public_copy",
    "prepare",
    "split_for_1_0",
]


def prepare(path: str | os.PathLike[str], name: str | None = None) -> dict[str, Any]:
    """Open the index at ``path``, bring its views up to date, and return its 0.65 metadata."""
    db = open_index(path, create=False)
    try:
        with sqlite_errors(str(path)):
            ensure_views(db)
            return build_metadata(db, name or database_name(path))
    finally:
        db.close()
