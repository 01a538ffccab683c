"""``ficindex search DB QUERY``: ranked full-text search with filters (SPEC section 1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ficindex.cli.output import emit, output_options
from ficindex.index import readable_index
from ficindex.index.filters import Filters
from ficindex.index.search import RESULT_COLUMNS, SORTS, search


def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The work filters ``search`` and ``export`` share."""
    options = [
        click.option("--fandom", multiple=True, help="Only works in this fandom (repeatable)."),
        click.option(
            "--tag", multiple=True, help="Only works with this tag, any type (repeatable)."
        ),
        click.option("--rating", help="Only works with this rating, e.g. 'Teen And Up Audiences'."),
        click.option("--language", help="Only works in this language, e.g. English."),
        click.option("--author", multiple=True, help="Only works by this user or pseud."),
        click.option(
            "--complete/--incomplete",
            "completed",
            default=None,
            help="Only finished / unfinished works.",
        ),
        click.option("--words-min", type=click.IntRange(min=0), help="At least this many words."),
        click.option("--words-max", type=click.IntRange(min=0), help="At most this many words."),
        click.option("--kudos-min", type=click.IntRange(min=0), help="At least this many kudos."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def filters_from(options: dict[str, Any]) -> Filters:
    """The Filters of the parsed filter options (removed from ``options``)."""
    return Filters(
        fandoms=list(options.pop("fandom")),
        tags=list(options.pop("tag")),
        rating=options.pop("rating"),
        language=options.pop("language"),
        authors=list(options.pop("author")),
        completed=options.pop("completed"),
        words_min=options.pop("words_min"),
        words_max=options.pop("words_max"),
        kudos_min=options.pop("kudos_min"),
    )


@click.command("search")
@click.argument("db", type=click.Path(dir_okay=False))
@click.argument("query")
@filter_options
@click.option(
    "--sort",
    type=click.Choice(list(SORTS)),
    default="relevance",
    show_default=True,
    help="Order of the results.",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@output_options
def search_command(
    db: str, query: str, sort: str, limit: int, fmt: str | None, **options: Any
) -> None:
    """Full-text search (FTS5 syntax) over titles, summaries, notes, tags and chapter text.

    One row per work, best first, with a snippet of the matching text.

    \b
    Examples:
      ficindex search fics.db 'slow burn' --fandom 'Good Omens (TV)' --complete
      ficindex search fics.db '"found family" NOT angst' --sort kudos --limit 50 --csv
    """
    filters = filters_from(options)
    with readable_index(db) as index:
        rows = search(index, query, filters, sort=sort, limit=limit)
    emit(rows, RESULT_COLUMNS, fmt)
