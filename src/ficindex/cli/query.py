"""``ficindex query DB NAME_OR_SQL``: a canned query from ``queries/`` or literal SQL."""

from __future__ import annotations

import click

from ficindex.cli.output import emit, output_options
from ficindex.errors import BadInput
from ficindex.index import readable_index
from ficindex.index.queries import (
    MissingParameter,
    UnknownQuery,
    canned_queries,
    resolve,
    run_query,
    text_params,
)


@click.command("query")
@click.argument("db", type=click.Path(dir_okay=False))
@click.argument("name_or_sql", required=False)
@click.option(
    "-p",
    "--param",
    "params",
    type=(str, str),
    multiple=True,
    metavar="NAME VALUE",
    help="A named parameter, e.g. -p tag 'Slow Burn'.",
)
@click.option("--list", "list_only", is_flag=True, help="List the canned queries and exit.")
@output_options
def query_command(
    db: str,
    name_or_sql: str | None,
    params: tuple[tuple[str, str], ...],
    list_only: bool,
    fmt: str | None,
) -> None:
    """Run a canned query by name, or any read-only SQL, against the index DB.

    \b
    Examples:
      ficindex query fics.db --list
      ficindex query fics.db tag_cooccurrence -p tag 'Slow Burn'
      ficindex query fics.db "select rating, count(*) from works group by rating" --csv
    """
    if list_only:
        for query in canned_queries().values():
            needs = "".join(f" -p {p} VALUE" for p in query.params)
            click.echo(f"{query.name}{needs}\n    {query.title}: {query.description}")
        return
    if not name_or_sql:
        raise click.UsageError("give a canned query name or SQL, or --list")
    try:
        sql = resolve(name_or_sql)
        values = text_params(params)  # checked before the index is opened
        with readable_index(db) as index:
            columns, rows = run_query(index, sql, values)
            emit(rows, columns, fmt)
    except UnknownQuery as exc:
        raise BadInput(
            f"no canned query named {exc.name!r}, and it is not a SELECT statement; "
            "'ficindex query DB --list' shows the canned queries"
        ) from exc
    except MissingParameter as exc:
        raise BadInput(f"{exc}, with -p NAME VALUE") from exc
