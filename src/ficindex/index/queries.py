"""Canned queries: the ``queries/*.sql`` files shipped with ficindex, and running any query.

Each file starts with a header of ``-- title: ...`` and ``-- description: ...``
lines; parameters are SQLite named parameters (``:tag``). The files live in
the top-level ``queries/`` directory of the source tree (where researchers and
Datasette's metadata find them) and reach the package through the
``ficindex/queries`` link, which setuptools copies into wheels as package data.
They are read as plain files beside the package (:mod:`importlib.resources`
costs a read command 20 ms to import; ficindex is never run from a zip).
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
from contextlib import contextmanager

from ficindex.errors import BadInput

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from typing import Any

    from ficindex.index import Readable

#: The ``queries`` folder of the package (a link to the source tree's ``queries/``).
FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "queries")
#: The header lines of a canned query that say something: ``-- title:``, ``-- description:``.
_HEADER_KEYS = ("title", "description")
#: ``:name`` outside string literals (the canned files keep colons out of their strings);
#: compiled on first use (through re's cache): ``search`` and ``query`` start without it.
_PARAM = r"(?<![:\w]):([A-Za-z_]\w*)"


class UnknownQuery(BadInput):
    """A bare name that is no canned query (and cannot be SQL)."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        super().__init__(
            f"no canned query named {name!r}, and it is not a SELECT statement "
            f"(the canned queries are {', '.join(known)})"
        )


class MissingParameter(BadInput):
    """The query uses a ``:name`` it was given no value for."""


class CannedQuery:
    """One ``queries/NAME.sql`` file.

    ``sql`` is the whole file, header included; ``body`` the query without its
    header (the ``--`` and blank lines before it): what Datasette shows.
    (A plain class: :mod:`dataclasses` costs a read command 15 ms to import.)
    """

    __slots__ = ("body", "description", "name", "sql", "title")

    def __init__(self, name: str, title: str, description: str, sql: str, body: str) -> None:
        self.name = name
        self.title = title
        self.description = description
        self.sql = sql
        self.body = body

    @property
    def params(self) -> list[str]:
        """The named parameters the query needs, in order of first use."""
        return list(dict.fromkeys(re.findall(_PARAM, self.body)))


def canned_queries() -> dict[str, CannedQuery]:
    """Every shipped canned query by name, sorted by name."""
    names = sorted(entry[:-4] for entry in os.listdir(FOLDER) if entry.endswith(".sql"))
    return {name: _read(name) for name in names}


def canned_query(name: str) -> CannedQuery | None:
    """The canned query called ``name``, None when there is none."""
    if not _is_name(name) or not os.path.isfile(os.path.join(FOLDER, f"{name}.sql")):
        return None
    return _read(name)


def _is_name(text: str) -> bool:
    """Whether ``text`` can be a canned query's name: its file name without ``.sql``, letters,
    digits, ``_`` and ``-`` (what the pattern ``[\\w-]+`` takes, without compiling it)."""
    return text != "" and all(c.isalnum() or c in "_-" for c in text)


def _read(name: str) -> CannedQuery:
    with open(os.path.join(FOLDER, f"{name}.sql"), encoding="utf-8") as file:
        sql = file.read()
    lines = sql.splitlines()
    header = {}
    start = 0
    while start < len(lines) and (lines[start].startswith("--") or not lines[start].strip()):
        key, colon, value = lines[start][2:].lstrip().partition(":")
        if lines[start].startswith("--") and colon and key in _HEADER_KEYS:
            header[key] = value.strip()
        start += 1
    return CannedQuery(
        name=name,
        title=header.get("title", name),
        description=header.get("description", ""),
        sql=sql,
        body="\n".join(lines[start:]).strip(),
    )


def resolve(name_or_sql: str) -> str:
    """The SQL of a canned query name, or ``name_or_sql`` itself when it is SQL."""
    query = canned_query(name_or_sql)
    if query is not None:
        return query.sql
    if _is_name(name_or_sql.strip()):
        raise UnknownQuery(name_or_sql, canned_queries())
    return name_or_sql


#: The range of a SQLite INTEGER (64-bit signed): a Python int outside it cannot be bound.
SQLITE_INT_MIN = -(2**63)
SQLITE_INT_MAX = 2**63 - 1
#: More digits than any SQLite integer has; checked before ``int()``, which refuses 4,300+ digits.
_MAX_INT_DIGITS = len(str(SQLITE_INT_MAX))


def coerce(value: str) -> int | float | str:
    """A parameter given as text, as a number when it reads as one (``LIMIT :n`` needs an integer).

    Safe for comparisons with text columns: SQLite applies the column's TEXT
    affinity to an untyped parameter before comparing. A number SQLite cannot
    hold (beyond 64 bits, or a decimal too large to be finite) is bad input
    rather than an overflow deep inside the driver.
    """
    if re.fullmatch(r"-?\d+", value):
        if len(value.lstrip("-").lstrip("0")) > _MAX_INT_DIGITS:
            raise BadInput(_out_of_range(value))
        number = int(value)
        check_value(number)
        return number
    if re.fullmatch(r"-?\d+\.\d+", value):
        decimal = float(value)
        if not math.isfinite(decimal):
            raise BadInput(
                f"{_shown(value)} is too large for SQLite, whose numbers reach about 1.8e308; "
                "give a number within that range"
            )
        return decimal
    return value


def check_value(value: object) -> None:
    """Raise :class:`BadInput` unless SQLite can bind ``value`` faithfully.

    SQLite stores 64-bit integers and finite doubles: a larger int raises
    OverflowError in the driver, and an infinite or NaN float would come back as
    ``Infinity`` (not JSON) or NULL.
    """
    if isinstance(value, int) and not SQLITE_INT_MIN <= value <= SQLITE_INT_MAX:
        raise BadInput(_out_of_range(str(value)))
    if isinstance(value, float) and not math.isfinite(value):
        raise BadInput(f"{value!r} is not a finite number, which SQLite cannot store")


def _out_of_range(text: str) -> str:
    return (
        f"{_shown(text)} is outside SQLite's integer range "
        f"({SQLITE_INT_MIN} to {SQLITE_INT_MAX}); give a number within that range"
    )


def _shown(text: str) -> str:
    """A long number cut short, so the error stays one readable line."""
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def text_params(pairs: Iterable[tuple[str, str]]) -> dict[str, int | float | str]:
    """Parameters given as text (``NAME VALUE`` pairs), each read by :func:`coerce`.

    A bad value's error names its parameter, so the user knows which one to fix.
    """
    params = {}
    for name, value in pairs:
        with _naming(name):
            params[name] = coerce(value)
    return params


@contextmanager
def _naming(name: str) -> Iterator[None]:
    """Put the parameter's name in front of a bad value's error."""
    try:
        yield
    except BadInput as exc:
        raise BadInput(f"parameter {name!r}: {exc}") from exc


def run_query(
    db: Readable, sql: str, params: Mapping[str, Any]
) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """Run ``sql`` with named ``params``; the column names and a stream of row dicts.

    ``params`` are the values themselves (numbers stay numbers); no text is
    turned into a number here, so a caller's string stays a string.
    """
    for name, value in params.items():
        with _naming(name):
            check_value(value)
    try:
        cursor = db.execute(sql, dict(params))
    except sqlite3.ProgrammingError as exc:
        text = str(exc).rstrip(".")
        if "did not supply" in text:
            raise MissingParameter(f"{text}; give a value for each :name in the query") from exc
        raise BadInput(f"query failed: {text}") from exc
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "readonly" in text or "not authorized" in text:
            raise BadInput(f"queries can only read the index ({text})") from exc
        raise BadInput(f"query failed: {text}") from exc
    columns = [d[0] for d in cursor.description or []]

    def rows() -> Iterator[dict[str, Any]]:
        for row in cursor:
            yield dict(zip(columns, row, strict=True))

    return columns, rows()
