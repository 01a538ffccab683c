"""``ficindex search DB QUERY``: ranked full-text search with filters (SPEC section 1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ficindex.cli.output import emit, output_options
from ficindex.cli.search_in import search_in_option  # --in comments|bookmarks (engagement)
from ficindex.errors import BadInput
from ficindex.index import readable_index
from ficindex.index.filters import Filters, unmatched_filters
from ficindex.index.search import MAX_LIMIT, RESULT_COLUMNS, SORTS, search

#: Largest count a filter accepts: far above any AO3 work, far below SQLite's integer limit.
MAX_COUNT = 10**12


class Bounded(click.ParamType):  # type: ignore[type-arg]
    """A whole number in ``[low, high]``; anything else is one ``Error:`` line, exit 2.

    Click's own IntRange answers with three lines of usage, and accepts numbers
    too big for SQLite (an "internal error" later).
    """

    name = "integer"

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """``value`` as an int within the bounds, or BadInput naming the option."""
        number: int | None
        if isinstance(value, int):
            number = value
        else:
            text = str(value).strip().replace("_", "")
            digits = text.lstrip("-").isdigit() and len(text) <= 20
            number = int(text) if digits else None
        if number is None or not self.low <= number <= self.high:
            option = param.opts[0] if param is not None and param.opts else "the value"
            raise BadInput(
                f"{option} must be a whole number from {self.low:,} to {self.high:,}, not {value!r}"
            )
        return number


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
        click.option("--words-min", type=Bounded(0, MAX_COUNT), help="At least this many words."),
        click.option("--words-max", type=Bounded(0, MAX_COUNT), help="At most this many words."),
        click.option("--kudos-min", type=Bounded(0, MAX_COUNT), help="At least this many kudos."),
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
@click.argument("query", required=False, default="")
@filter_options
@click.option(
    "--sort",
    type=click.Choice(list(SORTS)),
    help="Order of the results [default: relevance; updated when there is no query].",
)
@click.option("--limit", type=Bounded(1, MAX_LIMIT), default=20, show_default=True)
@output_options
@search_in_option
def search_command(
    db: str, query: str, sort: str | None, limit: int, fmt: str | None, **options: Any
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
    filters = filters_from(options)
    with readable_index(db) as index:
        for line in unmatched_filters(index, filters):
            click.echo(f"Warning: {line}", err=True)
        rows = search(index, query, filters, sort=sort, limit=limit)
    emit(rows, RESULT_COLUMNS, fmt)
