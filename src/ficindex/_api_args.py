"""What the Python API's functions share: an index given as a path or as an open
connection, and checks of the arguments a script passes (the CLI's click types do the
same for typed options)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ficindex.errors import BadInput

if TYPE_CHECKING:
    from sqlite_utils import Database

    from ficindex.index.filters import Filters


@contextmanager
def reading(index: str | os.PathLike[str] | Database) -> Iterator[Database]:
    """The index given: opened read-only (and closed) when it is a path, else as it is."""
    if isinstance(index, (str, os.PathLike)):
        from ficindex.index import readable_index

        with readable_index(index) as db:
            yield db
    else:
        yield index


@contextmanager
def writing(index: str | os.PathLike[str] | Database, *, create: bool) -> Iterator[Database]:
    """The index given: locked and opened for writing when it is a path, else as it is."""
    if isinstance(index, (str, os.PathLike)):
        from ficindex.index import writable_index

        with writable_index(index, create=create) as db:
            yield db
    else:
        yield index


def check_caps(max_works: int | None, max_pages: int | None) -> None:
    """A run's caps are None (no cap) or whole numbers from 1."""
    for name, value in (("max_works", max_works), ("max_pages", max_pages)):
        if value is not None:
            whole_number(name, value, minimum=1)


def check_kinds(kinds: object) -> None:
    """``with_kinds`` is a tuple of engagement kinds (kudos, comments, bookmarks)."""
    from ficindex.crawl.engagement import parse_kinds

    if not isinstance(kinds, tuple) or not all(isinstance(kind, str) for kind in kinds):
        raise BadInput(f"with_kinds must be a tuple of strings, not {kinds!r}")
    if kinds:
        parse_kinds(",".join(kinds))


def check_filters(filters: Filters | None) -> None:
    """The numeric filters are whole numbers SQLite can compare (0 or more)."""
    if filters is None:
        return
    for name in ("words_min", "words_max", "kudos_min"):
        value = getattr(filters, name)
        if value is not None:
            whole_number(f"filters.{name}", value, minimum=0)


def whole_number(name: str, value: object, *, minimum: int) -> None:
    from ficindex.index.queries import SQLITE_INT_MAX

    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{name} must be a whole number, not {value!r}")
    if not minimum <= value <= SQLITE_INT_MAX:
        raise BadInput(f"{name} must be from {minimum} to {SQLITE_INT_MAX}, not {value}")
