"""Rows to stdout the way sqlite-utils prints them: ``--table``, ``--csv``, ``--nl``, ``--json``.

``search`` and ``query`` share these options. Without one, a terminal gets a
table and a pipe gets a JSON array (what ``sqlite-utils query`` prints).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click
from tabulate import tabulate

from ficindex.index.export import neutralise_cell

FORMATS = ("table", "csv", "nl", "json")


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--table/--csv/--nl/--json`` (one ``fmt`` parameter) to a command."""
    for name, help_text in reversed(
        (
            ("table", "Print a table (the default on a terminal)."),
            ("csv", "Print CSV with a header row."),
            ("nl", "Print one JSON object per line."),
            ("json", "Print a JSON array (the default when piped)."),
        )
    ):
        fn = click.option(f"--{name}", "fmt", flag_value=name, help=help_text)(fn)
    return fn


def emit(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    fmt: str | None,
    out: Any = None,
) -> None:
    """Write ``rows`` (dicts keyed by ``columns``) in format ``fmt`` (None: pick by terminal)."""
    out = out or sys.stdout
    try:
        _emit(rows, columns, fmt, out)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


def _emit(
    rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str | None, out: Any
) -> None:
    if fmt is None:
        fmt = "table" if sys.stdout.isatty() else "json"
    if fmt == "json":
        out.write("[")
        for i, row in enumerate(rows):  # streamed: a large result never sits in memory
            out.write((",\n " if i else "") + json.dumps(row, ensure_ascii=False, default=str))
        out.write("]\n")
    elif fmt == "nl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            # Text an author wrote must not run as a spreadsheet formula (= + - @).
            writer.writerow([neutralise_cell(_flat(row.get(c))) for c in columns])
    else:
        table = [[_flat(row.get(c)) for c in columns] for row in rows]
        out.write(tabulate(table, headers=list(columns), tablefmt="simple") + "\n")


def _flat(value: Any) -> Any:
    """Lists read as ``a, b`` in a table or CSV cell."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value
