"""``ficindex query DB NAME_OR_SQL``: a canned query from ``queries/`` or literal SQL.

``-`` reads the SQL from standard input (a long query kept in a file, or a heredoc).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping

import click

from ficindex.cli.output import Output, emit, output_options
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
    if list_only:
        _list(fmt)
        return
    if not name_or_sql:
        raise click.UsageError("give a canned query name or SQL, or --list")
    try:
        sql = _read_stdin() if name_or_sql == "-" else resolve(name_or_sql)
        values = text_params(params)  # checked before the index is opened
        _check_names(sql, values)
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


#: A named parameter (``:name``, ``@name`` or ``$name``), as SQLite reads them.
_NAMED = re.compile(r"(?<![:@$\w])[:@$]([A-Za-z_]\w*)")
#: What can hold a ``:word`` that is no parameter: string literals, quoted names, comments.
_NOT_CODE = re.compile(
    r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*.*?\*/", re.S
)


def _check_names(sql: str, values: Mapping[str, object]) -> None:
    """A ``-p NAME`` the query never uses is a typo: name it rather than silently ignore it."""
    used = list(dict.fromkeys(_NAMED.findall(_NOT_CODE.sub(" ", sql))))
    for name in values:
        if name not in used:
            takes = ", ".join(used) if used else "no parameters"
            raise BadInput(f"the query has no parameter named {name!r} (it takes {takes})")


def _read_stdin() -> str:
    sql = sys.stdin.read()
    if not sql.strip():
        raise BadInput("no SQL on standard input ('-' reads the query from it)")
    return sql


def _list(fmt: Output) -> None:
    """The canned queries: a readable list, or rows when an output format is asked for."""
    queries = canned_queries().values()
    if fmt.format is None:
        for query in queries:
            needs = "".join(f" -p {p} VALUE" for p in query.params)
            click.echo(f"{query.name}{needs}\n    {query.title}: {query.description}")
        return
    rows = (
        {"name": q.name, "title": q.title, "description": q.description, "params": q.params}
        for q in queries
    )
    emit(rows, ["name", "title", "description", "params"], fmt)
