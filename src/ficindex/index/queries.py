"""Canned queries: the ``queries/*.sql`` files shipped with ficindex, and running any query.

Each file starts with a header of ``-- title: ...`` and ``-- description: ...``
lines; parameters are SQLite named parameters (``:tag``). The files live in
the top-level ``queries/`` directory of the source tree (where researchers and
Datasette's metadata find them) and reach the package through the
``ficindex/queries`` link, which setuptools copies into wheels as package data.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from sqlite_utils import Database

from ficindex.errors import BadInput

_HEADER = re.compile(r"^--\s*(title|description):\s*(.*)$")
#: ``:name`` outside string literals (the canned files keep colons out of their strings).
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@dataclass(slots=True, frozen=True)
class CannedQuery:
    """One ``queries/NAME.sql`` file."""

    name: str
    title: str
    description: str
    #: The whole file, header included.
    sql: str
    #: The query without its header (the ``--`` and blank lines before it): what Datasette shows.
    body: str

    @property
    def params(self) -> list[str]:
        """The named parameters the query needs, in order of first use."""
        return list(dict.fromkeys(_PARAM.findall(self.body)))


def canned_queries() -> dict[str, CannedQuery]:
    """Every shipped canned query by name, sorted by name."""
    found: dict[str, CannedQuery] = {}
    folder = files("ficindex") / "queries"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        sql = entry.read_text(encoding="utf-8")
        lines = sql.splitlines()
        header = {}
        start = 0
        while start < len(lines) and (lines[start].startswith("--") or not lines[start].strip()):
            match = _HEADER.match(lines[start])
            if match:
                header[match.group(1)] = match.group(2).strip()
            start += 1
        name = entry.name[: -len(".sql")]
        found[name] = CannedQuery(
            name=name,
            title=header.get("title", name),
            description=header.get("description", ""),
            sql=sql,
            body="\n".join(lines[start:]).strip(),
        )
    return found


def resolve(name_or_sql: str) -> str:
    """The SQL of a canned query name, or ``name_or_sql`` itself when it is SQL."""
    queries = canned_queries()
    if name_or_sql in queries:
        return queries[name_or_sql].sql
    if re.fullmatch(r"[\w-]+", name_or_sql.strip()):
        raise BadInput(
            f"no canned query named {name_or_sql!r}; 'ficindex query DB --list' shows them, "
            "or give a SELECT statement"
        )
    return name_or_sql


def coerce(value: str) -> int | float | str:
    """A ``-p`` value as a number when it reads as one (``LIMIT :n`` needs an integer).

    Safe for comparisons with text columns: SQLite applies the column's TEXT
    affinity to an untyped parameter before comparing.
    """
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if re.fullmatch(r"-?\d+\.\d+", value):
        return float(value)
    return value


def run_query(
    db: Database, sql: str, params: dict[str, Any]
) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """Run ``sql`` with named ``params``; the column names and a stream of row dicts."""
    try:
        cursor = db.execute(sql, params)
    except sqlite3.ProgrammingError as exc:
        text = str(exc)
        if "binding" in text:
            raise BadInput(f"{text}; give each parameter with -p NAME VALUE") from exc
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
