"""Saved pages into the index (parse, then store): ``ficindex import`` and ``ficindex reparse``.

A page's raw bytes (for ``reparse``) and its merged record are stored
together, each page in a savepoint of its own, so one bad page fails alone
and no page is ever half-stored. ``import`` commits pages in batches
(:func:`import_files`) and reports each page's outcome only once its batch
is committed: an interrupted import keeps every page it reported, and
importing the same files again stores the rest. A reparse is one transaction.
Pages are streamed; memory does not grow with the size of a directory.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlite_utils import Database

from ficindex.clock import utc_iso
from ficindex.errors import ParseError
from ficindex.index.bulk import fts_batched, fts_deferred
from ficindex.index.store import save_raw_page, save_record
from ficindex.parser import parse_page
from ficindex.parser.common import work_id_from_href
from ficindex.record import Record

T = TypeVar("T")

#: File name endings taken when an import walks a directory (a file named outright is always read).
PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".txt")

#: WAL pages (4 KiB each) between checkpoints while importing. SQLite's default, 1,000,
#: checkpoints every few dozen small pages of an import (each page writes its text, raw
#: bytes and search-index segments); 10,000 (40 MB of WAL) measured about 8 % faster.
IMPORT_CHECKPOINT_PAGES = 10_000

#: Pages an import commits at once, and the bytes of saved pages after which a batch is
#: committed sooner (large works). A batch is one commit and one update of the search
#: indexes (see :func:`~ficindex.index.bulk.fts_batched`): a commit per page cost about a
#: sixth of an import of small works, and search-index writes per row about a third.
#: Past a few dozen pages the gain flattens; a kill loses at most the open batch.
IMPORT_BATCH_PAGES = 64
IMPORT_BATCH_BYTES = 16 * 2**20

#: SQLite's page cache (KiB) while a reparse runs. A reparse is one transaction over the
#: whole index; at the default, 2 MB, SQLite spills its pages to the log mid-transaction
#: and reads them back. Measured: the same CPU time, a shorter wall clock (about 15 % on
#: 1,000 small works, more on one run of large works). Import batches gained nothing from
#: it, so import keeps the default and its memory stays where it was.
REPARSE_CACHE_KIB = 32 * 1024

#: Kinds whose page holds nothing to store; importing one is reported as a failure.
UNSTORABLE = {
    "unknown": "not an AO3 page ficindex recognises",
    "error_page": "an AO3 or Cloudflare error page",
    "rate_limited": "AO3's rate-limit page",
}


@dataclass(slots=True)
class Outcome:
    """What happened to one page: ``result`` from save_record, or ``error`` when it failed.

    ``warning`` says what was done about something odd in a page that was stored
    anyway (a file time in the future, say).
    """

    name: str
    result: str | None = None
    error: str | None = None
    warning: str | None = None


def page_time(mtime: float, now: float | None = None) -> tuple[str, str | None]:
    """The fetch time of a saved page from its file time, and a warning when it had to change.

    A file time in the future (a file dated 2100, a clock set wrong) would make
    the page newer than every page fetched afterwards, so every later fetch of
    the work would be "stale"; one that cannot be a date at all would stop the
    import. Both are taken as ``now``, with a warning.
    """
    current = time.time() if now is None else now
    try:
        stamp = utc_iso(mtime)
    except (OverflowError, OSError, ValueError):
        return utc_iso(current), f"its file time ({mtime!r}) is not a date; stored as fetched now"
    if mtime > current:
        return utc_iso(current), f"its file time {stamp} is in the future; stored as fetched now"
    return stamp, None


def collect_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Every file named, and every page file under every directory named, in sorted order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.lower().endswith(PAGE_SUFFIXES) and not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


def import_files(
    db: Database,
    paths: Iterable[Path],
    *,
    batch_pages: int = IMPORT_BATCH_PAGES,
    batch_bytes: int = IMPORT_BATCH_BYTES,
) -> Iterator[Outcome]:
    """Import saved pages in batches: one transaction per batch, a savepoint per page.

    Each batch's outcomes are yielded after it commits, so every page reported
    is stored; a run that stops (an error, Ctrl-C, a kill) loses only the
    pages of its open batch, which were never reported, and a rerun stores
    them. Full-text search is brought up to date once per batch
    (:func:`~ficindex.index.bulk.fts_batched`), not row by row.
    """
    yield from store_in_batches(
        db,
        paths,
        lambda path: _import_one(db, path),
        _file_size,
        batch_pages=batch_pages,
        batch_bytes=batch_bytes,
    )


def store_in_batches(
    db: Database,
    items: Iterable[T],
    store: Callable[[T], Outcome],
    weigh: Callable[[T], int | None],
    *,
    batch_pages: int,
    batch_bytes: int,
) -> Iterator[Outcome]:
    """``store`` each item, committing batches of at most ``batch_pages`` pages (sooner after
    ``batch_bytes`` of them), and yield each batch's outcomes once it is committed.

    ``weigh`` gives an item's bytes, or None for an item that is no page (an archive
    record that is only counted): it rides in the batch without counting. A page whose
    error ends the batch's transaction stops the run (see :func:`_still_open`).
    """
    db.conn.execute(f"PRAGMA wal_autocheckpoint = {IMPORT_CHECKPOINT_PAGES}")
    for batch in _batches(items, batch_pages, batch_bytes, weigh):
        with db.atomic(), fts_batched(db.conn):
            outcomes = [
                _still_open(db, store(item), "its batch", "the pages of that batch")
                for item in batch
            ]
        yield from outcomes


def _still_open(db: Database, outcome: Outcome, run: str, lost: str) -> Outcome:
    """``outcome``, unless its page's error rolled back the whole transaction of ``run``.

    Such an error (a trigger's ``RAISE(ROLLBACK)``, SQLite out of memory) takes the
    earlier pages with it; going on would store the rest outside the transaction and
    report pages that are not stored, so the run stops with one line instead.
    """
    if not db.conn.in_transaction:
        raise sqlite3.OperationalError(
            f"storing {outcome.name} ended the transaction of {run} ({outcome.error}); "
            f"{lost} were not stored: run it again"
        )
    return outcome


def _batches(
    items: Iterable[T], pages: int, size: int, weigh: Callable[[T], int | None]
) -> Iterator[list[T]]:
    """``items`` in runs of at most ``pages`` pages, cut sooner after ``size`` bytes of them."""
    batch: list[T] = []
    count = total = 0
    for item in items:
        batch.append(item)
        weight = weigh(item)
        if weight is None:
            continue
        count += 1
        total += weight
        if count >= pages or total >= size:
            yield batch
            batch, count, total = [], 0, 0
    if batch:
        yield batch


def _file_size(path: Path) -> int:
    """A saved page's bytes (0 when it cannot be read: :func:`_import_one` reports that)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def import_file(db: Database, path: Path) -> Outcome:
    """Parse one saved page and store it with its raw bytes, in one transaction.

    The page's fetch time is taken to be the file's modification time (see
    :func:`page_time`), so importing the same files again changes nothing.
    """
    db.conn.execute(f"PRAGMA wal_autocheckpoint = {IMPORT_CHECKPOINT_PAGES}")
    return _import_one(db, path)


def _import_one(db: Database, path: Path) -> Outcome:
    """:func:`import_file` without the connection setting (in a batch: a savepoint)."""
    try:
        body = path.read_bytes()
        fetched_at, warning = page_time(path.stat().st_mtime)
    except OSError as exc:
        return Outcome(str(path), error=f"cannot read it: {exc.strerror}")
    stored = store_page(db, body, name=str(path), fetched_at=fetched_at, source=path.name)
    if isinstance(stored, Outcome):
        return stored
    record, result = stored
    if record.kind in UNSTORABLE:
        return Outcome(str(path), error=f"{UNSTORABLE[record.kind]} (kept for reparse)")
    if result == "skipped" and record.kind != "listing":  # an empty listing is not a failure
        return Outcome(str(path), error=f"a {record.kind} page without a work id")
    return Outcome(str(path), result=result, warning=warning)


def store_page(
    db: Database,
    body: bytes,
    *,
    name: str,
    fetched_at: str,
    url: str | None = None,
    source: str | None = None,
    http_status: int | None = None,
    content_type: str | None = None,
) -> tuple[Record, str] | Outcome:
    """Parse one page and store it with its raw bytes, in one transaction.

    Returns the record and what storing it did, or the page's failure (named
    ``name``): one page's failure is never the run's, as its transaction rolls
    back. A ``url`` supplies the work id of a page that names none; a
    ``content_type`` (an HTTP header) the charset of a page that declares none.
    """
    try:
        record = parse_page(body, url, content_type)
    except ParseError as exc:
        return Outcome(name, error=str(exc))
    try:
        with db.atomic():
            save_raw_page(
                db,
                url=url,
                fetched_at=fetched_at,
                http_status=http_status,
                body=body,
                work_id=record.work_id,
                source=source,
                content_type=content_type,
            )
            result = save_record(db, record, fetched_at=fetched_at, work_id=work_id_from_href(url))
    except Exception as exc:
        return Outcome(name, error=_store_failure(exc))
    return record, result


def reparse_pages(db: Database) -> Iterator[Outcome]:
    """Parse every kept raw page again, oldest first, and merge each record anew.

    Pages replay in fetch order with ``replay=True``, so each work ends as the
    newest pages left it, now read by the current parser. The run is one
    transaction (each page in its own savepoint: a page that fails leaves the
    others), with full-text search rebuilt once at the end rather than kept in
    step row by row (see :mod:`ficindex.index.bulk`): a reparse rewrites much of
    the index, and an interrupted one leaves the index as it was, to run again.
    The run commits when the generator is consumed to its end: one abandoned
    early (closed, or dropped) changes nothing.
    """
    ids = [r[0] for r in db.execute("SELECT id FROM raw_pages ORDER BY fetched_at, id")]
    with _run_cache(db), db.atomic(), fts_deferred(db.conn) as deferred:
        for page_id in ids:
            outcome = _still_open(db, _reparse_one(db, page_id), "the reparse", "its changes")
            deferred.changed |= outcome.result not in _NO_CONTENT_CHANGE
            yield outcome


@contextlib.contextmanager
def _run_cache(db: Database) -> Iterator[None]:
    """The connection's page cache at :data:`REPARSE_CACHE_KIB` for a reparse, then as it was."""
    before = db.conn.execute("PRAGMA cache_size").fetchone()[0]
    db.conn.execute(f"PRAGMA cache_size = -{REPARSE_CACHE_KIB}")
    try:
        yield
    finally:
        db.conn.execute(f"PRAGMA cache_size = {int(before)}")


#: ``save_record`` results after which no searchable column can have changed.
_NO_CONTENT_CHANGE = (None, "unchanged", "stale", "skipped", "status")


def _reparse_one(db: Database, page_id: int) -> Outcome:
    """Parse one kept raw page and merge its record, in a savepoint of its own."""
    url, source, fetched_at, body, content_type = db.execute(
        "SELECT url, source, fetched_at, body, content_type FROM raw_pages WHERE id = ?",
        [page_id],
    ).fetchone()
    name = url or source or f"raw page {page_id}"
    try:
        record = parse_page(zlib.decompress(body), url, content_type)
    except (ParseError, zlib.error) as exc:
        return Outcome(name, error=str(exc))
    try:
        with db.atomic():
            result = save_record(
                db, record, fetched_at=fetched_at, work_id=work_id_from_href(url), replay=True
            )
            if record.work_id is not None:
                db.execute(
                    "UPDATE raw_pages SET work_id = ? WHERE id = ? AND work_id IS NOT ?",
                    [record.work_id, page_id, record.work_id],
                )
    except Exception as exc:  # as in import_file: this page fails, the others go on
        return Outcome(name, error=_store_failure(exc))
    return Outcome(name, result=result)


def _store_failure(exc: Exception) -> str:
    """The reason a parsed page could not be stored, in one line.

    Re-raises what no page could get past (the index is read-only, the disk is
    full, another process holds the lock: SQLite's ``OperationalError``), so the
    run stops with one line about the index instead of failing every page.
    """
    if isinstance(exc, sqlite3.OperationalError):
        raise exc
    text = " ".join(str(exc).split())
    return f"could not be stored ({type(exc).__name__}: {text})"
