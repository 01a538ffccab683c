"""The Python API: one function per ``ficindex`` command, for scripts and notebooks.

Each function runs its command's library code but takes and returns Python
values (a :class:`~ficindex.record.Record`, result rows, a result with counts)
instead of arguments and printed lines; ``ficindex`` re-exports them all.
Errors are the CLI's: :class:`~ficindex.errors.BadInput` (exit 2) and
:class:`~ficindex.errors.CannotStart` (exit 3, the index is in use), with the
same one-line messages. Functions on an index take its path, or an index a
script opened once with :func:`~ficindex.index.readable_index` (or
:func:`~ficindex.index.writable_index` for those that write). The modules
behind them load on first call, so ``ficindex.parse`` never pays for the
crawler's HTTP client or sqlite-utils.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from ficindex._api_args import (
    check_caps,
    check_filters,
    check_kinds,
    reading,
    whole_number,
    writing,
)
from ficindex.errors import BadInput

if TYPE_CHECKING:
    from sqlite_utils import Database

    from ficindex.crawl.config import FetchConfig
    from ficindex.crawl.crawler import CrawlOptions, CrawlResult
    from ficindex.crawl.refresh import RefreshOptions, RefreshPlan, RefreshResult
    from ficindex.datasette import PublicCopy
    from ficindex.index.filters import Filters
    from ficindex.loader import Outcome
    from ficindex.progress import Progress
    from ficindex.record import Record

__all__ = [
    "DatasetteConfig",
    "QueryResult",
    "datasette_config",
    "export",
    "export_records",
    "import_pages",
    "parse",
    "parse_file",
    "public_copy",
    "query",
    "refresh",
    "refresh_plan",
    "reparse",
    "run_crawl",
    "search",
]

# --- parse ------------------------------------------------------------------------------------


def parse(page: str | bytes, *, url: str | None = None) -> Record:
    """One page's content (AO3 HTML or a plain-text copy of a work) as a record.

    Mirrors ``ficindex parse -`` (a page on standard input). ``page`` is the
    page itself, never a file name: use :func:`parse_file` for a saved file.
    Bytes are best (the parser reads the declared charset itself). ``url``,
    when known, resolves a listing's next link and the work id of pages that
    do not link their work. Never raises for text; raises
    :class:`~ficindex.errors.ParseError` for binary data.
    """
    from ficindex.parser import parse_page

    return parse_page(page, url)


def parse_file(path: str | os.PathLike[str], *, url: str | None = None) -> Record:
    """A saved page as a record: ``ficindex parse FILE``.

    A file that cannot be read raises :class:`~ficindex.errors.BadInput`
    naming it, as the command reports it.
    """
    from ficindex.parser import parse_file as parse_saved

    try:
        return parse_saved(Path(path), url)
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror or exc}") from exc


# --- import, reparse ---------------------------------------------------------------------------


def import_pages(
    index: str | os.PathLike[str] | Database, paths: Iterable[str | os.PathLike[str]]
) -> list[Outcome]:
    """Store saved pages (files, or directories searched for pages): ``ficindex import``.

    Returns one :class:`~ficindex.loader.Outcome` per page, in order: its
    ``result`` (``"new"``, ``"updated"``, ...) or its ``error`` (a page that
    could not be stored, which does not stop the others). An index given by
    path is created if missing, locked for writing and closed afterwards.
    """
    from ficindex.loader import PAGE_SUFFIXES, collect_files, import_files

    named = [Path(p) for p in paths]
    for path in named:
        if not path.exists():
            raise BadInput(f"{path} does not exist; give saved pages or directories of them")
    files = list(collect_files(named))
    if not files:
        raise BadInput(
            f"no page files ({', '.join(PAGE_SUFFIXES)}) under {', '.join(map(str, named))}"
        )
    with writing(index, create=True) as db:
        return list(import_files(db, files))


def reparse(index: str | os.PathLike[str] | Database) -> list[Outcome]:
    """Parse every raw page kept in the index again and merge it anew: ``ficindex reparse``.

    For after a parser upgrade; no network. One :class:`~ficindex.loader.Outcome`
    per raw page, oldest first. The index must exist.
    """
    from ficindex.loader import reparse_pages

    with writing(index, create=False) as db:
        return list(reparse_pages(db))


# --- crawl, refresh ----------------------------------------------------------------------------


def run_crawl(
    index: str | os.PathLike[str],
    targets: Iterable[str | int],
    options: CrawlOptions | None = None,
    *,
    config: FetchConfig | None = None,
    progress: Progress | None = None,
) -> CrawlResult:
    """Fetch works and listings from AO3 into the index: ``ficindex crawl``.

    Named ``run_crawl`` because ``ficindex.crawl`` is the crawler's package.
    ``targets`` are what the command takes: work ids, work or chapter URLs,
    listing URLs. ``options`` says what to fetch (metadata only, at most so
    many works or listing pages, the engagement pages ``with_kinds``, e.g.
    ``("kudos", "comments")``), ``config`` how to contact the site (rate,
    concurrency, User-Agent, retries, host; the defaults are AO3's polite
    ones). A run resumes an earlier interrupted one on the same index. Call it
    from the main thread: it turns Ctrl-C into "finish the works in hand", as
    the command does. One failed work does not raise: the result names each
    failure and carries the command's ``exit_code``.
    """
    from ficindex.crawl.config import FetchConfig
    from ficindex.crawl.crawler import CrawlOptions
    from ficindex.crawl.crawler import run_crawl as crawl_index
    from ficindex.crawl.targets import parse_target

    config = config or FetchConfig()
    options = options or CrawlOptions()
    check_caps(options.max_works, options.max_pages)
    check_kinds(options.with_kinds)
    parsed = [parse_target(str(target), config) for target in targets]
    if not parsed:
        raise BadInput("nothing to crawl: give at least one work id, work URL or listing URL")
    return crawl_index(index, parsed, config, options, progress=progress)


def refresh(
    index: str | os.PathLike[str],
    options: RefreshOptions | None = None,
    *,
    config: FetchConfig | None = None,
    progress: Progress | None = None,
) -> RefreshResult:
    """Bring an existing index up to date with AO3: ``ficindex refresh``.

    Re-walks the listings crawled into the index, newest first, and fetches
    the works that are new or changed. ``options`` adds works last fetched in
    full longer ago than ``older_than``, walks every listing to its end
    (``everything``, the command's ``--all``), adds engagement kinds
    (``with_kinds``, remembered for later refreshes) or caps the run;
    ``config`` is as for :func:`run_crawl`, and so is the main-thread rule. The result has the
    counts (``new``, ``updated``, ...), the failures and ``exit_code``.
    """
    from ficindex.crawl.config import FetchConfig
    from ficindex.crawl.refresh import run_refresh

    return run_refresh(index, config or FetchConfig(), _checked(options), progress=progress)


def refresh_plan(
    index: str | os.PathLike[str],
    options: RefreshOptions | None = None,
    *,
    config: FetchConfig | None = None,
) -> RefreshPlan:
    """What :func:`refresh` would fetch now, and what that costs in requests.

    Mirrors ``ficindex refresh --dry-run``: reads the listing pages (never a
    work) and writes nothing, not even a lock.
    """
    from ficindex.crawl.config import FetchConfig
    from ficindex.crawl.refresh import run_plan

    return run_plan(index, config or FetchConfig(), _checked(options))


def _checked(options: RefreshOptions | None) -> RefreshOptions:
    from ficindex.crawl.refresh import RefreshOptions

    options = options or RefreshOptions()
    if options.older_than is not None and options.older_than < timedelta(0):
        raise BadInput(f"older_than must not be negative, not {options.older_than}")
    check_caps(options.max_works, options.max_pages)
    check_kinds(options.with_kinds)
    return options


# --- search, export, query ---------------------------------------------------------------------


def search(
    index: str | os.PathLike[str] | Database,
    text: str,
    *,
    filters: Filters | None = None,
    sort: str = "relevance",
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Ranked full-text search (FTS5 syntax), one row per work: ``ficindex search``.

    Each row has the command's columns (``id``, ``title``, ``authors``, ...,
    ``snippet``, ``url``), best match first. ``filters`` narrows the works as
    the command's ``--fandom``, ``--tag``, ``--complete``... do; ``sort`` is
    one of relevance, kudos, hits, updated, words.
    """
    from ficindex.index.search import search as search_index

    check_filters(filters)
    whole_number("limit", limit, minimum=1)
    with reading(index) as db:
        return search_index(db, text, filters, sort=sort, limit=limit)


def export(
    index: str | os.PathLike[str] | Database,
    out: IO[str] | str | os.PathLike[str],
    *,
    format: Literal["jsonl", "csv", "txt"] = "jsonl",  # noqa: A002 (the command's option)
    filters: Filters | None = None,
    sql: str | None = None,
) -> int:
    """Write works from the index: ``ficindex export``. Returns how many were written.

    ``jsonl`` (one record per line, the format of :func:`parse`) and ``csv``
    write to ``out``, an open text stream (open a CSV file with ``newline=""``);
    ``txt`` writes one file per work into ``out``, a directory. The works are
    those passing ``filters``, or the ids the ``sql`` query returns in its
    first column (a read-only ``SELECT``), not both.
    """
    from ficindex.index.export import select_work_ids, write_csv, write_jsonl, write_txt

    if filters is not None and sql is not None:
        raise BadInput("give either sql or filters, not both")
    check_filters(filters)
    stream = not isinstance(out, (str, os.PathLike))
    if format not in ("jsonl", "csv", "txt"):
        raise BadInput(f"unknown export format {format!r}; use jsonl, csv or txt")
    if stream == (format == "txt"):
        wanted = "a directory path" if format == "txt" else "an open text stream"
        raise BadInput(f"{format} export writes to {wanted}")
    with reading(index) as db:
        ids = select_work_ids(db, filters, sql)
        if isinstance(out, (str, os.PathLike)):
            return write_txt(db, ids, out)
        return write_jsonl(db, ids, out) if format == "jsonl" else write_csv(db, ids, out)


def export_records(
    db: Database, *, filters: Filters | None = None, sql: str | None = None
) -> Iterator[Record]:
    """The records ``export`` would write as JSON Lines, one at a time, from an open index.

    For a script that wants :class:`~ficindex.record.Record` objects rather than
    a file. It streams (a corpus never sits in memory), so it needs an index
    the caller keeps open: ``with ficindex.readable_index(path) as db: ...``.
    """
    from ficindex.index.export import records, select_work_ids

    if filters is not None and sql is not None:
        raise BadInput("give either sql or filters, not both")
    check_filters(filters)
    return records(db, select_work_ids(db, filters, sql))


def public_copy(index: str | os.PathLike[str], dest: str | os.PathLike[str]) -> PublicCopy:
    """A metadata-only copy of the index, safe to publish: ``ficindex export --metadata-only``.

    Chapter text, notes and raw pages are left out (they are the authors'
    writing); ``dest`` is replaced atomically. Returns what the copy holds.
    """
    from ficindex.datasette import make_public_copy

    return make_public_copy(index, dest)


@dataclass(slots=True, frozen=True)
class QueryResult:
    """The answer to :func:`query`: column names in order, and every row as a dict."""

    columns: list[str]
    rows: list[dict[str, Any]]


def query(
    index: str | os.PathLike[str] | Database,
    name_or_sql: str,
    params: Mapping[str, Any] | None = None,
) -> QueryResult:
    """A canned query by name, or any read-only SQL: ``ficindex query``.

    ``params`` fills the query's ``:name`` parameters with the values as given
    (unlike the command, which reads ``-p`` text that looks like a number as a
    number); an integer beyond 64 bits or a NaN or infinite float raises
    :class:`~ficindex.errors.BadInput`. ``ficindex.index.queries.canned_queries()``
    lists the canned queries, as ``--list`` does. The SQL can only read an index
    given by path or opened with ``readable_index``; a ``writable_index``
    connection runs it as it is.
    """
    from ficindex.index.queries import resolve, run_query

    sql = resolve(name_or_sql)
    with reading(index) as db:
        columns, rows = run_query(db, sql, params or {})
        return QueryResult(columns, list(rows))


# --- datasette-config --------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class DatasetteConfig:
    """Datasette's view of an index: the 0.65 ``metadata.json``, and its 1.0 split."""

    #: What ``datasette DB -m metadata.json`` reads (Datasette 0.65).
    metadata: dict[str, Any]

    def for_1_0(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(metadata, configuration) for Datasette 1.0: ``-m metadata.yaml -c datasette.yaml``."""
        from ficindex.datasette import split_for_1_0

        return split_for_1_0(self.metadata)


def datasette_config(index: str | os.PathLike[str], *, name: str | None = None) -> DatasetteConfig:
    """What ``ficindex datasette-config`` writes, as data (serialise it as JSON or YAML).

    Like the command, it creates or updates the browsing views (work_cards,
    chapter_index, tag_usage) in the index, writing nothing when they are
    current. ``name`` is the database name Datasette serves the file under
    (default: the file name without suffix, as ``datasette DB`` does).
    """
    from ficindex.datasette import prepare

    return DatasetteConfig(prepare(index, name))
