"""``ficindex query DB NAME_OR_SQL``: a canned query from ``queries/`` or literal SQL.

``-`` reads the SQL from standard input (a long query kept in a file, or a heredoc).
The options are described in :mod:`ficindex.cli.options` and the work done in
:mod:`ficindex.cli.reading`, which the fast start shares.
"""

from __future__ import annotations

import click

from ficindex.cli.options import QUERY, click_options
from ficindex.cli.output import Output, output_options
from ficindex.cli.reading import run_query_command


@click.command("query")
@click.argument("db", type=click.Path(dir_okay=False))
@click.argument("name_or_sql", required=False)
@click_options(QUERY)
@output_options
def query_command(
    db: str,
    name_or_sql: str | None,
    params: tuple[tuple[str, str], ...],
    list_only: bool,
    fmt: Output,
) -> None:
    """Run a canned query by name, or any read-only SQL, against the index DB.

    \b
    Examples:
      ficindex query fics.db --list
      ficindex query fics.db tag_cooccurrence -p tag 'Slow Burn'
      ficindex query fics.db "select rating, count(*) from works group by rating" --csv
      ficindex query fics.db - --tsv < my-query.sql
    """
    if not list_only and not name_or_sql:
        raise click.UsageError("give a canned query name or SQL, or --list")
    run_query_command(db, name_or_sql, params, list_only=list_only, fmt=fmt)
