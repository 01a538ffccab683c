"""A Datasette plugin for ficindex indexes: tag cells as facet links, work ids as AO3 links.

Installed with ``pip install 'ficindex[datasette]'`` and registered through the
``datasette`` entry point, so ``datasette fics.db`` loads it without options.
Datasette shows a tag list as the JSON text it is stored as
(``["Fluff", "Tea"]``); here each tag becomes a link that filters the table
to the works carrying it (``?fandoms__arraycontains=...``) with that column
faceted, and a work id links to the work on AO3.

The plugin is loaded for every database Datasette serves, so it acts only on
a ficindex index (one with ``works``, ``work_tags`` and ``works_fts``) and
otherwise leaves every cell to Datasette. Everything shown is escaped: tags
and titles are text written by AO3's users, and ``<script>`` in a tag must
stay text.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from pluggy import HookimplMarker

from ficindex import AO3_URL

#: Datasette's own marker (``datasette.hookimpl`` is this object); made here from pluggy,
#: which is typed, where Datasette 0.65 ships no type information.
hookimpl = HookimplMarker("datasette")

#: A ``datasette.app.Datasette`` (untyped in 0.65); the plugin uses its ``urls`` and
#: ``get_database``.
Datasette = Any

#: The JSON-array columns of ``works`` (and of the views that select them) that hold tag lists.
TAG_COLUMNS = frozenset(
    {
        "authors",
        "gifts",
        "warnings",
        "categories",
        "fandoms",
        "relationships",
        "characters",
        "freeforms",
        "series",
        "collections",
    }
)

#: Tables whose tag cells link to a filter on themselves; elsewhere (e.g. a canned query) the
#: links go to ``works``.
_SELF_FILTERING = ("works", "work_cards")

#: The column holding an AO3 work id, by table or view.
WORK_ID_COLUMNS = {
    "works": "id",
    "work_cards": "id",
    "chapters": "work",
    "chapter_index": "work",
    "stats_history": "work",
    "work_authors": "work",
    "work_tags": "work",
    "work_series": "work",
    "work_collections": "work",
}

#: The tables that tell a ficindex index from any other database Datasette serves.
_SIGNATURE = frozenset({"works", "work_tags", "works_fts"})

#: An empty tag list shows as an empty cell, as Datasette shows an empty value.
_EMPTY = Markup("&nbsp;")

_is_index: weakref.WeakKeyDictionary[Datasette, dict[str, bool]] = weakref.WeakKeyDictionary()


async def _is_ficindex(datasette: Datasette, database: str) -> bool:
    """True when ``database`` is a ficindex index (remembered per Datasette instance)."""
    known = _is_index.setdefault(datasette, {})
    if database not in known:
        tables = await datasette.get_database(database).table_names()
        known[database] = set(tables) >= _SIGNATURE
    return known[database]


def _tag_list(value: object) -> list[str] | None:
    """The tags of a JSON-array cell, or None when the cell is not a list of strings."""
    if not isinstance(value, str) or not value.startswith("["):
        return None
    try:
        tags = json.loads(value)
    except ValueError:
        return None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return None
    return tags


def tag_links(
    datasette: Datasette, database: str, table: str | None, column: str, tags: list[str]
) -> Markup:
    """Each tag as a link to the works carrying it, with ``column`` faceted."""
    target = table if table in _SELF_FILTERING else "works"
    base = datasette.urls.table(database, target)
    links = [
        Markup('<a class="ficindex-tag" href="{}?{}">{}</a>').format(
            base, urlencode({"_facet_array": column, f"{column}__arraycontains": tag}), tag
        )
        for tag in tags
    ]
    return Markup('<span class="ficindex-tags">{}</span>').format(Markup(", ").join(links))


def work_link(datasette: Datasette, database: str, value: object) -> Markup | None:
    """A work id with a link to the work on AO3.

    A foreign key Datasette expanded to a label (``chapters.work`` shows the
    work's title) keeps its link to the work's row here, and gains the AO3 link.
    """
    expanded = isinstance(value, dict)
    work_id = value.get("value") if isinstance(value, dict) else value
    if not isinstance(work_id, int) or isinstance(work_id, bool):
        return None
    if not expanded:
        return Markup('<a class="ficindex-ao3" href="{}/works/{}">{}</a>').format(
            AO3_URL, work_id, work_id
        )
    assert isinstance(value, dict)
    row = datasette.urls.row(database, "works", str(work_id))
    return Markup(
        '<a href="{}">{}</a> <a class="ficindex-ao3" href="{}/works/{}">(AO3)</a>'
    ).format(row, value.get("label") or work_id, AO3_URL, work_id)


def _render(
    value: object, column: str, table: str | None, database: str, datasette: Datasette
) -> Markup | None:
    """The cell's HTML when it is a tag list or a work id of a ficindex index, else None."""
    if column in TAG_COLUMNS:
        tags = _tag_list(value)
        if tags is not None:
            return tag_links(datasette, database, table, column, tags) if tags else _EMPTY
    if table is not None and WORK_ID_COLUMNS.get(table) == column:
        return work_link(datasette, database, value)
    return None


@hookimpl
def render_cell(
    value: object, column: str, table: str | None, database: str, datasette: Datasette
) -> Callable[[], Awaitable[Markup | None]] | None:
    """Datasette's hook: tag lists and work ids of a ficindex index as links."""
    if column not in TAG_COLUMNS and (table is None or WORK_ID_COLUMNS.get(table) != column):
        return None

    async def inner() -> Markup | None:
        if not await _is_ficindex(datasette, database):
            return None
        return _render(value, column, table, database, datasette)

    return inner
