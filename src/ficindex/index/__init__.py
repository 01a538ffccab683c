"""The SQLite index (SPEC section 3): open it, and the errors every command shares.

:func:`open_index` is the only way ficindex opens an index file. It refuses a
file that is not SQLite, a SQLite file of another application, an index made
by a newer ficindex, or (for read commands) a missing file, each with one line;
it turns on WAL so Datasette and ``search`` can read while a crawl writes,
turns on foreign keys, and applies any pending migration so an older index is
upgraded in place. Every refusal comes before the first write: a file that is
not a ficindex index is never switched to WAL, migrated or given a lock file.

Opening an index that is up to date needs nothing but :mod:`sqlite3`: the
checks read ``_sqlite_migrations`` with plain SQL against the step names in
:mod:`ficindex.index.layout`. sqlite-utils (50-900 ms to import: it loads
pandas and numpy when they are installed) is imported only to build or upgrade
an index, and to wrap the connection for the commands that use it, so
``search`` and ``query`` (:func:`reading_connection`) start in milliseconds.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager

from ficindex.errors import BadInput, CannotStart
from ficindex.index.layout import MIGRATION_SET, STEPS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlite_utils import Database

    #: What the read functions (search, filters, queries) take: either connection answers
    #: ``execute(sql, params)`` alike.
    Readable = sqlite3.Connection | Database

__all__ = ["open_index", "readable_index", "reading_connection", "sqlite_errors", "writable_index"]

_SQLITE_MAGIC = b"SQLite format 3\x00"

#: How long a writer waits for another writer's transaction before giving up (seconds).
BUSY_TIMEOUT = 10.0


def open_index(
    path: str | os.PathLike[str],
    *,
    create: bool = True,
    read_only: bool = False,
    timeout: float = BUSY_TIMEOUT,
) -> Database:
    """Open (and create, or upgrade) the index at ``path``.

    ``create=False`` is for read commands: a missing file is an error (exit 2)
    rather than a new empty index. ``read_only=True`` also forbids every write
    and ``ATTACH`` on the connection, so user-supplied SQL (``query``,
    ``export --sql``) can only read.
    """
    from sqlite_utils import Database

    db = Database(connect_index(path, create=create, timeout=timeout))  # it sets a PRAGMA
    if read_only:
        _forbid_writes(db.conn)
    return db


def connect_index(
    path: str | os.PathLike[str],
    *,
    create: bool = True,
    read_only: bool = False,
    user_sql: bool = True,
    timeout: float = BUSY_TIMEOUT,
) -> sqlite3.Connection:
    """:func:`open_index` as a plain :mod:`sqlite3` connection (no sqlite-utils unless it
    must build or upgrade the index). ``user_sql``: see :func:`reading_connection`."""
    name = os.fspath(path)
    in_memory = name == ":memory:"
    if not in_memory:
        _check_file(name, create)
        if create and (not os.path.exists(name) or os.path.getsize(name) == 0):
            _create(name)
    conn = sqlite3.connect(name, timeout=timeout)
    try:
        with sqlite_errors(name):
            pending = _check_version(conn, name)  # reads only: refuse before anything is written
            conn.execute("PRAGMA foreign_keys = ON")
            if not in_memory and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = wal")
            # WAL + NORMAL: a commit is durable against a crash of the process, and only
            # a power cut can lose the last transactions; commits stay cheap per file.
            conn.execute("PRAGMA synchronous = NORMAL")
            if pending:
                _migrate(conn)
    except BaseException:
        conn.close()
        raise
    if read_only:
        _forbid_writes(conn, user_sql=user_sql)
    return conn


def _forbid_writes(conn: sqlite3.Connection, *, user_sql: bool = True) -> None:
    conn.execute("PRAGMA query_only = 1")
    if user_sql:
        conn.set_authorizer(_read_only_authorizer)


def _migrate(conn: sqlite3.Connection) -> None:
    """Apply the pending schema steps (the only place an open needs sqlite-utils)."""
    from sqlite_utils import Database

    from ficindex.index.schema import MIGRATIONS

    MIGRATIONS.apply(Database(conn))


@contextmanager
def writable_index(path: str | os.PathLike[str], *, create: bool = True) -> Iterator[Database]:
    """The index for a run that writes it: writer lock first (exit 3 if held), then open.

    Every writing command (import, reparse, crawl, refresh) goes through here.
    Locking before opening means no run opens, let alone migrates, an index
    another run is writing. ``create=False`` refuses a missing index before a
    lock file would be created beside it. The connection is closed on the way out.
    """
    from ficindex.lock import index_lock

    if os.path.exists(path) or not create:
        # Refuse a missing index (create=False), a file that is not SQLite and another
        # application's database before a lock file is created beside it.
        _check_existing(os.fspath(path), create)
    with index_lock(path):
        db = open_index(path, create=create)
        try:
            with sqlite_errors(str(path)):
                yield db
        finally:
            db.close()


@contextmanager
def readable_index(path: str | os.PathLike[str]) -> Iterator[Database]:
    """An existing index, opened so that nothing done through it can change the file.

    For search, query, export and the refresh dry run: no writer lock (WAL
    lets them read while a run writes), SQLite errors reported in one line, the
    connection closed on the way out.
    """
    db = open_index(path, create=False, read_only=True)
    try:
        with sqlite_errors(str(path)):
            yield db
    finally:
        db.close()


@contextmanager
def reading_connection(
    path: str | os.PathLike[str], *, user_sql: bool = True
) -> Iterator[sqlite3.Connection]:
    """:func:`readable_index` as a plain :mod:`sqlite3` connection, for ``search`` and ``query``.

    Same checks, same read-only guard, same one-line errors; it only leaves out
    the sqlite-utils wrapper, whose import would be most of a search's time.

    ``user_sql=False`` is for a caller that runs only statements it wrote, every value
    bound (``search``): ``PRAGMA query_only`` forbids writes, and the authorizer that
    also refuses ``ATTACH`` and setting PRAGMAs (needed for SQL a user wrote) is left
    out, since SQLite calls it for every table and column a statement names while
    preparing it (0.3 ms of search's statement, a start-up's first).
    """
    conn = connect_index(path, create=False, read_only=True, user_sql=user_sql)
    try:
        with sqlite_errors(str(path)):
            yield conn
    finally:
        conn.close()


def _create(file: str) -> None:
    """Build a new index beside ``file``, then rename it into place.

    The first schema step cannot run in one transaction (sqlite-utils' FTS setup
    commits as it goes), so a kill half-way through it would leave tables
    without the record of the step, a file every later run must refuse as
    another application's database. Built aside and renamed, a new index is
    either whole or absent; a leftover of a killed attempt is removed first.
    """
    folder, name = os.path.split(file)
    building = os.path.join(folder, f".{name}.creating")
    for leftover in (building, *(f"{building}{end}" for end in ("-wal", "-shm", "-journal"))):
        if os.path.exists(leftover):
            os.unlink(leftover)
    conn = sqlite3.connect(building)
    try:
        conn.execute("PRAGMA journal_mode = wal")
        _migrate(conn)
    finally:
        conn.close()
    os.replace(building, file)


def _check_file(file: str, create: bool) -> None:
    if os.path.isdir(file):
        raise BadInput(f"{file} is a directory; give the path of an index file, e.g. fics.db")
    if not os.path.exists(file):
        if not create:
            raise BadInput(
                f"no index at {file}; create one with 'ficindex import' or 'ficindex crawl'"
            )
        return
    with open(file, "rb") as fh:
        head = fh.read(len(_SQLITE_MAGIC))
    if not head and not create:  # SQLite would quietly make an empty file into a new index
        raise BadInput(f"{file} is an empty file, not an index; give the path of a ficindex index")
    if head and head != _SQLITE_MAGIC:
        raise BadInput(f"{file} is not a SQLite database; give the path of a ficindex index")


def _check_existing(file: str, create: bool) -> None:
    """Every refusal :func:`open_index` would make, through a connection that cannot write."""
    _check_file(file, create)
    if os.path.getsize(file) == 0:
        return
    from pathlib import Path

    conn = sqlite3.connect(
        f"{Path(file).resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT
    )
    try:
        with sqlite_errors(file):
            _check_version(conn, file)
    finally:
        conn.close()


def _check_version(conn: sqlite3.Connection, path: str) -> bool:
    """Refuse an index of a newer ficindex, and a SQLite file of another application.

    An empty database is a new index; one with tables but no ficindex
    migration recorded belongs to someone else, and no command may add its
    tables to it or switch it to WAL. True when a known step is still to apply.
    """
    tables = {
        name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    applied = []
    if "_sqlite_migrations" in tables:
        # NOT INDEXED: read the table itself, so that a damaged first page of the file is
        # found here, before the command starts, as when sqlite-utils read it.
        applied = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM _sqlite_migrations NOT INDEXED WHERE migration_set = ? "
                "ORDER BY rowid",
                [MIGRATION_SET],
            )
        ]
    unknown = [name for name in applied if name not in STEPS]
    if unknown:
        raise BadInput(
            f"{path} was made by a newer ficindex (schema step {unknown[-1]!r} is unknown "
            "here); upgrade ficindex to use it"
        )
    if not applied and tables:
        raise BadInput(
            f"{path} is a SQLite database of another application, not a ficindex index; "
            "give the path of a ficindex index or of a new file"
        )
    return len(set(applied)) < len(STEPS)


#: PRAGMAs that only read, even when given an argument (``PRAGMA table_info(works)``).
_READING_PRAGMAS = frozenset(
    [
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "integrity_check",
        "quick_check",
    ]
)


def _read_only_authorizer(action: int, arg1: str | None, arg2: str | None, *_: object) -> int:
    """Refuse ATTACH and PRAGMAs that set something: ``query_only`` alone lets
    ``PRAGMA journal_mode=delete`` through, and user SQL must never change the file."""
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and arg2 is not None and arg1 not in _READING_PRAGMAS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """True for a lock held by a writer past the busy timeout: not a bad query or a bad file."""
    text = str(exc)
    return "locked" in text or "busy" in text


@contextmanager
def sqlite_errors(path: str) -> Iterator[None]:
    """Turn SQLite's lock and corruption errors into ficindex's one-line errors.

    A lock held past the busy timeout means another run is writing: exit 3, try
    later. A damaged file is bad input: exit 2, never a traceback.
    """
    try:
        yield
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise CannotStart(
                f"{path} is being written by another process ({exc}); "
                "wait for it to finish and try again"
            ) from exc
        raise
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            raise BadInput(f"{path} is not a usable SQLite database ({text})") from exc
        raise
