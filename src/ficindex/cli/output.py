"""Rows to stdout the way ``sqlite-utils query`` prints them, for ``search`` and ``query``.

``--json`` (a JSON array, the default when piped), ``--nl`` (one object per
line), ``--csv``, ``--tsv`` and ``--table`` (the default on a terminal) with
``--fmt`` (any tabulate format); ``--no-headers``; ``-c/--column`` to choose
columns and their order.

The options arrive in the command as one :class:`Output` in its ``fmt``
parameter, so a command that passes ``fmt`` on to :func:`emit` gets every
option here without naming them.

Values read the same in every format: a list stored as JSON text (the tag
columns) is a JSON list in JSON output and ``a, b`` in a cell (AO3 tags cannot
contain commas); booleans are ``true``/``false``; a number JSON cannot hold
(``1e999``) is ``null``, so the output always parses.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import sys

from ficindex.cli.options import OUTPUT, decorate
from ficindex.errors import BadInput

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from typing import Any, TextIO

# click, tabulate, csv and base64 are imported where they are needed: ``search`` and
# ``query`` print JSON through here without click when they can (ficindex.cli.fast).


class Output:
    """How to print rows: the format (None: by terminal), the table style, headers, columns.

    (A plain class: :mod:`dataclasses` costs a read command 15 ms to import.)
    """

    __slots__ = ("columns", "format", "headers", "table_format")

    def __init__(
        self,
        format: str | None = None,
        table_format: str = "simple",
        headers: bool = True,
        columns: tuple[str, ...] = (),
    ) -> None:
        self.format = format
        self.table_format = table_format
        self.headers = headers
        self.columns = columns

    def resolved(self) -> str:
        """The format to print in: the one asked for, else a table on a terminal, else JSON."""
        if self.format is not None:
            return self.format
        return "table" if sys.stdout.isatty() else "json"


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add the output options to a command; it receives them as one :class:`Output` in ``fmt``."""

    @functools.wraps(fn)
    def command(*args: Any, **kwargs: Any) -> Any:
        kwargs["fmt"] = output_of(
            kwargs.pop("fmt"),
            kwargs.pop("table_format"),
            no_headers=kwargs.pop("no_headers"),
            columns=kwargs.pop("column"),
        )
        return fn(*args, **kwargs)

    return decorate(command, OUTPUT)


def output_of(
    fmt: str | None, table_format: str | None, *, no_headers: bool, columns: Sequence[str]
) -> Output:
    """The :class:`Output` the options describe; ``--fmt`` with another format is bad input."""
    if table_format is not None and fmt not in (None, "table"):
        import click

        raise click.UsageError(f"--fmt styles tables; it cannot go with --{fmt}")
    return Output(
        format="table" if table_format is not None else fmt,
        table_format=table_format or "simple",
        headers=not no_headers,
        columns=tuple(columns),
    )


def emit(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    fmt: Output | str | None,
    out: TextIO | None = None,
) -> None:
    """Write ``rows`` (dicts keyed by ``columns``) as ``fmt`` says (a format name is enough)."""
    output = fmt if isinstance(fmt, Output) else Output(format=fmt)
    chosen = _choose(columns, output.columns)
    stream = out or sys.stdout
    try:
        _write(rows, chosen, output, stream)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


def _choose(columns: Sequence[str], wanted: Sequence[str]) -> list[str]:
    """The columns to print: ``wanted`` (checked against ``columns``), else all of them."""
    for name in wanted:
        if name not in columns:
            raise BadInput(
                f"no column named {name!r} in the results; -c takes one of: {', '.join(columns)}"
            )
    return list(dict.fromkeys(wanted)) if wanted else list(columns)


def _write(rows: Iterable[dict[str, Any]], columns: list[str], output: Output, out: TextIO) -> None:
    fmt = output.resolved()
    if fmt == "json":
        out.write("[")
        for i, row in enumerate(rows):  # streamed: a large result never sits in memory
            out.write((",\n " if i else "") + _json_line(row, columns))
        out.write("]\n")
    elif fmt == "nl":
        for row in rows:
            out.write(_json_line(row, columns) + "\n")
    elif fmt in ("csv", "tsv"):
        import csv

        from ficindex.index.cells import neutralise_cell

        writer = csv.writer(out, lineterminator="\n", delimiter="," if fmt == "csv" else "\t")
        if output.headers:
            writer.writerow(columns)
        for row in rows:
            # Text an author wrote must not run as a spreadsheet formula (= + - @).
            writer.writerow([neutralise_cell(cell(row.get(c))) for c in columns])
    else:
        _write_table(
            [[_table_cell(row.get(c)) for c in columns] for row in rows], columns, output, out
        )


def _write_table(table: list[list[Any]], columns: list[str], output: Output, out: TextIO) -> None:
    from ficindex.cli.table import draw

    # Only columns of numbers are read as numbers (right-aligned): a title "1e5" stays text.
    text_columns = [
        i for i in range(len(columns)) if not all(isinstance(r[i], (int, float)) for r in table)
    ]
    drawn = draw(
        table,
        list(columns) if output.headers else [],
        columns,
        style=output.table_format,
        width=_width(),
        blocks=output.table_format == "simple",
        text_columns=text_columns,
    )
    out.write(drawn + "\n")


def _table_cell(value: Any) -> Any:
    """A number as itself (tabulate aligns it), anything else as one line of text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return cell(value).replace("\n", " ")


def _width() -> int:
    """Columns a table may use: ``COLUMNS``, else the terminal's width, else 100 (a pipe)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        with contextlib.suppress(OSError, ValueError):
            return os.get_terminal_size(sys.stdout.fileno()).columns
    return 100


def _json_line(row: dict[str, Any], columns: list[str]) -> str:
    return json.dumps({c: json_value(row.get(c)) for c in columns}, ensure_ascii=False)


def json_value(value: Any) -> Any:
    """``value`` as JSON holds it: JSON text decoded, non-finite numbers null, bytes base64."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        decoded = _decoded(value)
        return value if decoded is None else decoded
    if isinstance(value, bytes):
        import base64

        return {"$base64": True, "encoded": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    return value


def cell(value: Any) -> str:
    """``value`` as one CSV or table cell: lists as ``a, b``, booleans as ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    if isinstance(value, str):
        decoded = _decoded(value)
        return value if decoded is None else cell(decoded)
    if isinstance(value, list):
        return ", ".join(_items(value))
    if isinstance(value, dict):
        return json.dumps(json_value(value), ensure_ascii=False)
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    return str(value)


def _items(values: list[Any]) -> Iterator[str]:
    for value in values:
        yield (
            json.dumps(json_value(value), ensure_ascii=False)
            if isinstance(value, (dict, list))
            else cell(value)
        )


def _decoded(text: str) -> list[Any] | dict[str, Any] | None:
    """The list or object a JSON column's text holds (None: the text is not one)."""
    stripped = text.lstrip()
    if not stripped.startswith(("[", "{")):
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, (list, dict)) else None
