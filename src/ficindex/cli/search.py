"""``ficindex search DB QUERY``: ranked full-text search with filters (SPEC section 1).

The options are described in :mod:`ficindex.cli.options` and the work done in
:mod:`ficindex.cli.reading`, which the fast start shares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ficindex.cli.options import FILTERS, SEARCH, click_options, decorate
from ficindex.cli.output import Output, output_options
from ficindex.cli.reading import filters_from, run_search
from ficindex.cli.search_in import search_in_option  # --in comments|bookmarks (engagement)

__all__ = ["filter_options", "filters_from", "search_command"]


def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The work filters ``search`` and ``export`` share."""
    return decorate(fn, FILTERS)


@click.command("search")
@click.argument("db", type=click.Path(dir_okay=False))
@click.argument("query", required=False, default="")
@filter_options
@click_options(SEARCH)
@output_options
@search_in_option
def search_command(
    db: str, query: str, sort: str | None, limit: int, fmt: Output, **options: Any
) -> None:
    """Full-text search over titles, summaries, notes, tags and chapter text.

    One row per work, best first, with a snippet of the matching text. Type
    words as they appear (Hurt/Comfort, tea-shop, 长安, 図書館); FTS5 syntax
    works too. With no query (or '*'), lists the works the filters select.
    Tag and fandom filters take * wildcards.

    \b
    Examples:
      ficindex search fics.db 'slow burn' --fandom 'Good Omens*' --complete
      ficindex search fics.db '"found family" NOT angst' --sort kudos --limit 50 --csv
      ficindex search fics.db --tag 'Hurt/Comfort' --sort kudos
    """
    run_search(db, query, filters_from(options), sort=sort, limit=limit, fmt=fmt)
