"""What ``search`` and ``query`` do once their command line is read.

Shared by their click commands (:mod:`ficindex.cli.search`,
:mod:`ficindex.cli.query`) and the fast start (:mod:`ficindex.cli.fast`), so
both print the same rows and the same errors. Imports neither click nor
sqlite-utils: the index is read through a plain :mod:`sqlite3` connection.
"""

from __future__ import annotations

import re
import sys

from ficindex.cli.output import Output, emit
from ficindex.errors import BadInput
from ficindex.index import reading_connection
from ficindex.index.filters import Filters, unmatched_filters
from ficindex.index.queries import (
    MissingParameter,
    UnknownQuery,
    canned_queries,
    resolve,
    run_query,
    text_params,
)
from ficindex.index.search import RESULT_COLUMNS, search

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


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


def run_search(
    db: str, query: str, filters: Filters, *, sort: str | None, limit: int, fmt: Output
) -> None:
    """``ficindex search``: warn of filters that match no tag, then print the ranked works."""
    with reading_connection(db, user_sql=False) as index:  # search runs only its own SQL
        for line in unmatched_filters(index, filters):
            sys.stderr.write(f"Warning: {line}\n")
        rows = search(index, query, filters, sort=sort, limit=limit)
    emit(rows, RESULT_COLUMNS, fmt)


def run_query_command(
    db: str,
    name_or_sql: str | None,
    params: tuple[tuple[str, str], ...],
    *,
    list_only: bool,
    fmt: Output,
) -> None:
    """``ficindex query``: list the canned queries, or run one (or SQL) and print its rows."""
    if list_only:
        _list(fmt)
        return
    try:
        sql = _read_stdin() if name_or_sql == "-" else resolve(name_or_sql or "")
        values = text_params(params)  # checked before the index is opened
        _check_names(sql, values)
        with reading_connection(db) as index:
            columns, rows = run_query(index, sql, values)
            emit(rows, columns, fmt)
    except UnknownQuery as exc:
        raise BadInput(
            f"no canned query named {exc.name!r}, and it is not a SELECT statement; "
            "'ficindex query DB --list' shows the canned queries"
        ) from exc
    except MissingParameter as exc:
        raise BadInput(f"{exc}, with -p NAME VALUE") from exc


# Both patterns are compiled on first use (through re's cache): only a query given ``-p``
# reads them, and compiling them would cost every read command's start-up 0.3 ms.
#: A named parameter (``:name``, ``@name`` or ``$name``), as SQLite reads them.
_NAMED = r"(?<![:@$\w])[:@$]([A-Za-z_]\w*)"
#: What can hold a ``:word`` that is no parameter: string literals, quoted names, comments.
_NOT_CODE = r"(?s)'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*.*?\*/"


def _check_names(sql: str, values: Mapping[str, object]) -> None:
    """A ``-p NAME`` the query never uses is a typo: name it rather than silently ignore it."""
    if not values:
        return
    used = list(dict.fromkeys(re.findall(_NAMED, re.sub(_NOT_CODE, " ", sql))))
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
            sys.stdout.write(f"{query.name}{needs}\n    {query.title}: {query.description}\n")
        return
    rows = (
        {"name": q.name, "title": q.title, "description": q.description, "params": q.params}
        for q in queries
    )
    emit(rows, ["name", "title", "description", "params"], fmt)
