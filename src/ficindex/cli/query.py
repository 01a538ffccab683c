"""``ficindex query DB NAME_OR_SQL``: a canned query from ``queries/`` or literal SQL."""

from __future__ import annotations

import click

from ficindex.cli.output import emit, output_options
from ficindex.index import readable_index
from ficindex.index.queries import canned_queries, coerce, resolve, run_query


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
    sql = resolve(name_or_sql)
    with readable_index(db) as index:
        columns, rows = run_query(index, sql, {name: coerce(value) for name, value in params})
        emit(rows, columns, fmt)
