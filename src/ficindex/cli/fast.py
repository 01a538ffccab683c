"""The common forms of ``search`` and ``query``, read and run without click.

Importing click costs about 30 ms, several times a search on a rare word, and
twice the whole start of a Python process with :mod:`sqlite3`. So
:func:`ficindex.cli.main` offers the command line here first. This reads it
from the same option tables click is built from (:mod:`ficindex.cli.options`)
and runs the same code (:mod:`ficindex.cli.reading`), printing errors through
the same :func:`ficindex.cli.failure`.

It reads only command lines that are wholly valid: ``search``/``query``, the
database, the query, and options given as ``--name value``, ``--name=value``
or ``-c value``. Anything else goes to click, which reads the command line
again and answers as it always has: ``--help``, an unknown option, a bad or
missing value, group options (``-v``, ``-q``), an option set through a
``FICINDEX_*`` variable, ``FICINDEX_CLICK=1`` (which also lets the tests
compare both readings of the same command lines).
"""

from __future__ import annotations

import atexit
import os
import sys

from ficindex.cli import (
    EXIT_INTERRUPTED,
    FORCE_CLICK,
    INTERRUPTED,
    failure,
    internal_error,
    running_as_program,
)
from ficindex.cli import raise_on_stop_signals as _raise_on_stop_signals
from ficindex.cli.options import FILTERS, OUTPUT, QUERY, SEARCH, Option
from ficindex.cli.output import Output
from ficindex.cli.reading import filters_from, run_query_command, run_search
from ficindex.errors import BadInput

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, NoReturn


def _search(values: dict[str, Any]) -> None:
    fmt = values.pop("fmt")
    run_search(
        values.pop("db"),
        values.pop("query"),
        filters_from(values),
        sort=values["sort"],
        limit=values["limit"],
        fmt=fmt,
    )


def _query(values: dict[str, Any]) -> None:
    run_query_command(
        values["db"],
        values["name_or_sql"],
        values["params"],
        list_only=values["list_only"],
        fmt=values["fmt"],
    )


#: Command -> (its arguments with their defaults, its options, what runs it).
_COMMANDS: dict[str, tuple[dict[str, Any], Sequence[Option], Callable[[dict[str, Any]], None]]] = {
    "search": ({"db": None, "query": ""}, (*FILTERS, *SEARCH, *OUTPUT), _search),
    "query": ({"db": None, "name_or_sql": None}, (*QUERY, *OUTPUT), _query),
}


def parse(
    argv: list[str],
) -> tuple[Callable[[dict[str, Any]], None], dict[str, Any]] | None:
    """What runs ``argv`` (without the program name) and its values; None: leave it to click."""
    if not argv or argv[0] not in _COMMANDS or _click_wanted(argv[0]):
        return None
    arguments, options, body = _COMMANDS[argv[0]]
    values = read(argv[1:], arguments, options)
    if values is None:
        return None
    if argv[0] == "query" and not values["list_only"] and not values["name_or_sql"]:
        return None  # click's usage error
    return body, values


def run(argv: list[str]) -> int | None:
    """Run ``argv`` (without the program name) and return its exit code; None: not read here."""
    parsed = parse(argv)
    if parsed is None:
        return None
    body, values = parsed
    _raise_on_stop_signals()
    try:
        body(values)
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED + "\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # as the click group reports it
        line, code = failure(exc) or (internal_error(exc), 1)
        sys.stderr.write(f"Error: {line}\n")
        return code
    return 0


def leave(code: int) -> NoReturn:
    """End the program with ``code`` once its output is flushed, without the interpreter's
    teardown.

    A read command has closed its index by now and holds nothing else; clearing every
    module and collecting the garbage would add 2-3 ms to a 30 ms search. The ordinary
    exit runs instead when this is not the ``ficindex`` program (code calling
    :func:`ficindex.cli.main`), when anything registered an exit function, or when the
    output cannot be flushed (a closed pipe: the ordinary exit reports it as it always has).
    """
    registered = getattr(atexit, "_ncallbacks", None)  # CPython's; elsewhere: exit as usual
    if running_as_program() and registered is not None and not registered():
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            sys.exit(code)
        os._exit(code)
    sys.exit(code)


def _click_wanted(command: str) -> bool:
    """Whether the environment asks for click, or sets an option click would read from it."""
    prefixes = (f"FICINDEX_{command.upper()}_", "FICINDEX_VERBOSE", "FICINDEX_QUIET")
    return FORCE_CLICK in os.environ or any(name.startswith(prefixes) for name in os.environ)


def read(
    args: Sequence[str], arguments: dict[str, Any], options: Sequence[Option]
) -> dict[str, Any] | None:
    """The values of a command line (arguments, then each option's ``dest``) as click gives
    them; None when it is not a wholly valid command line of the forms read here."""
    by_name = {name: option for option in options for name in option.names}
    values = dict(arguments)
    for option in options:
        values.setdefault(option.dest, option.default())
    positional: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            positional += rest
            break
        if arg == "-" or not arg.startswith("-"):
            positional.append(arg)
            continue
        name, equals, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        found = by_name.get(name)
        if found is None or not _take(found, name, [inline] if equals else [], rest, values):
            return None
    if not 1 <= len(positional) <= len(arguments):
        return None
    values.update(zip(arguments, positional, strict=False))
    return _with_output(values)


def _with_output(values: dict[str, Any]) -> dict[str, Any] | None:
    """``values`` with the output options made one :class:`Output` in ``fmt``, as
    :func:`ficindex.cli.output.output_of` makes it (None: its usage error, left to click)."""
    if values["table_format"] is not None and values["fmt"] not in (None, "table"):
        return None
    values["fmt"] = Output(
        format="table" if values["table_format"] is not None else values["fmt"],
        table_format=values.pop("table_format") or "simple",
        headers=not values.pop("no_headers"),
        columns=tuple(values.pop("column")),
    )
    return values


def _take(
    option: Option, name: str, given: list[str], rest: list[str], values: dict[str, Any]
) -> bool:
    """Put one use of ``option`` (as ``name``) into ``values``; False when it is not valid."""
    if option.kind in ("flag", "switch"):
        if given:
            return False
        values[option.dest] = (
            option.flag_value if option.kind == "flag" else name == option.names[0]
        )
        return True
    count = 2 if option.kind == "pair" else 1
    while len(given) < count and rest:
        given.append(rest.pop(0))
    if len(given) != count:
        return False
    try:
        value: Any = tuple(given) if option.kind == "pair" else option.read(given[0])
    except BadInput:
        return False
    if option.kind in ("multiple", "pair"):
        values[option.dest] = (*values[option.dest], value)
    else:
        values[option.dest] = value
    return True
