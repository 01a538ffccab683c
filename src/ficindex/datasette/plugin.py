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

import inspect
import json
import weakref
from collections.abc import Awaitable, Callable
from html import escape
from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl  # type: ignore[import-untyped]

from ficindex import AO3_URL
from ficindex.record import TAG_FIELDS

#: A ``datasette.app.Datasette`` (untyped in 0.65); the plugin uses its ``urls`` and
#: ``get_database``.
Datasette = Any

#: The JSON-array columns of ``works`` (and of the views that select them) that hold tag lists.
TAG_COLUMNS = frozenset({"authors", "gifts", *TAG_FIELDS, "series", "collections"})

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
    "kudos": "work",
    "comments": "work",
    "bookmarks": "work",
    "comment_cards": "work",
    "bookmark_cards": "work",
}

#: The tables that tell a ficindex index from any other database Datasette serves.
_SIGNATURE = frozenset({"works", "work_tags", "works_fts"})


class Html(str):
    """Markup the plugin built with every piece of text escaped.

    Datasette's templates escape a plain string; an object with ``__html__``
    (the protocol Jinja honours) is inserted as it is.
    """

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


#: An empty tag list shows as an empty cell, as Datasette shows an empty value.
_EMPTY = Html("&nbsp;")

_is_index: weakref.WeakKeyDictionary[Datasette, dict[str, bool]] = weakref.WeakKeyDictionary()
_facets: weakref.WeakKeyDictionary[Datasette, dict[tuple[str, str], frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


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


async def _configured_facets(datasette: Datasette, database: str, table: str) -> frozenset[str]:
    """The columns ``table`` is faceted on by its configuration (0.65 metadata or 1.0 config).

    A tag link adds ``_facet_array`` only for a column not among them: Datasette
    would otherwise show that facet twice.
    """
    known = _facets.setdefault(datasette, {})
    if (database, table) not in known:
        lookup = getattr(datasette, "table_config", None) or datasette.table_metadata
        options = lookup(database, table)
        if inspect.isawaitable(options):
            options = await options
        names: set[str] = set()
        for facet in (options or {}).get("facets") or []:
            names.update([facet] if isinstance(facet, str) else map(str, dict(facet).values()))
        known[database, table] = frozenset(names)
    return known[database, table]


def tag_links(
    datasette: Datasette, database: str, target: str, column: str, tags: list[str], facet: bool
) -> Html:
    """Each tag as a link to the rows of ``target`` carrying it, ``column`` faceted if ``facet``."""
    base = datasette.urls.table(database, target)
    params = {"_facet_array": column} if facet else {}
    links = ", ".join(
        '<a class="ficindex-tag" href="{}">{}</a>'.format(
            escape(f"{base}?" + urlencode({**params, f"{column}__arraycontains": tag})),
            escape(tag),
        )
        for tag in tags
    )
    return Html(f'<span class="ficindex-tags">{links}</span>')


def work_link(datasette: Datasette, database: str, value: object) -> Html | None:
    """A work id with a link to the work on AO3.

    A foreign key Datasette expanded to a label (``chapters.work`` shows the
    work's title) keeps its link to the work's row here, and gains the AO3 link.
    """
    work_id = value.get("value") if isinstance(value, dict) else value
    if not isinstance(work_id, int) or isinstance(work_id, bool):
        return None
    ao3 = f"{AO3_URL}/works/{work_id}"
    if not isinstance(value, dict):
        return Html(f'<a class="ficindex-ao3" href="{escape(ao3)}">{work_id}</a>')
    row = escape(datasette.urls.row(database, "works", str(work_id)))
    label = escape(str(value.get("label") or work_id))
    return Html(
        f'<a href="{row}">{label}</a> <a class="ficindex-ao3" href="{escape(ao3)}">(AO3)</a>'
    )


async def _render(
    value: object, column: str, table: str | None, database: str, datasette: Datasette
) -> Html | None:
    """The cell's HTML when it is a tag list or a work id of a ficindex index, else None."""
    if column in TAG_COLUMNS:
        tags = _tag_list(value)
        if tags == []:
            return _EMPTY
        if tags is not None:
            target = table if table in _SELF_FILTERING else "works"
            faceted = column in await _configured_facets(datasette, database, target)
            return tag_links(datasette, database, target, column, tags, facet=not faceted)
    if table is not None and WORK_ID_COLUMNS.get(table) == column:
        return work_link(datasette, database, value)
    return None


@hookimpl  # type: ignore[untyped-decorator]
def render_cell(
    value: object, column: str, table: str | None, database: str, datasette: Datasette
) -> Callable[[], Awaitable[Html | None]] | None:
    """Datasette's hook: tag lists and work ids of a ficindex index as links."""
    if column not in TAG_COLUMNS and (table is None or WORK_ID_COLUMNS.get(table) != column):
        return None

    async def inner() -> Html | None:
        if not await _is_ficindex(datasette, database):
            return None
        return await _render(value, column, table, database, datasette)

    return inner
