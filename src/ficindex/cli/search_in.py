"""``ficindex search --in comments|bookmarks``: the search command's engagement side.

Added to ``search`` as one decorator, :func:`search_in_option`, so the
command's own code (and the works search behind it) stays as it is: the
decorator adds ``--in`` and, for ``comments`` or ``bookmarks``, answers the
command itself with :func:`ficindex.index.engagement_search.search_engagement`,
printed through the same output options.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from ficindex.cli.output import emit
from ficindex.index import reading_connection
from ficindex.index.engagement_search import SEARCH_IN, result_columns, search_engagement
from ficindex.index.filters import unmatched_filters


def search_in_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--in works|comments|bookmarks`` to the search command ``fn``.

    ``works`` (the default) calls ``fn`` unchanged; the other two search the
    comment text or the bookmark notes of the works the filters select.
    """

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> Any:
        where = kwargs.pop("search_in")
        if where == "works":
            return fn(*args, **kwargs)
        return _search_engagement(where, **kwargs)

    option = click.option(
        "--in",
        "search_in",
        type=click.Choice(SEARCH_IN),
        default="works",
        show_default=True,
        help="What to search: the works, the comment text or the bookmark notes (of works "
        "crawled with --with comments / bookmarks). One row per comment or bookmark.",
    )
    return option(command)


def _search_engagement(
    where: str, db: str, query: str, sort: str | None, limit: int, fmt: Any, **options: Any
) -> None:
    from ficindex.cli.search import filters_from  # that module applies this decorator

    filters = filters_from(options)
    with reading_connection(db) as index:
        for line in unmatched_filters(index, filters):
            click.echo(f"Warning: {line}", err=True)
        rows = search_engagement(index, where, query, filters, sort=sort, limit=limit)
    emit(rows, result_columns(where), fmt)
