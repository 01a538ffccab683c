"""Typed Parquet files of an index, for pandas, R, DuckDB, HuggingFace ``datasets`` and Spark.

The SQLite index keeps list fields as JSON text and dates as strings, which a
data-frame library reads as plain strings. These files carry the real types:
tag lists as ``list<string>``, authors, series and collections as lists of
structs, dates as ``date32``, timestamps as UTC ``timestamp[us]``, flags as
booleans. Four files, joined on ``work_id`` (the record's name for the id):

* ``works.parquet``: one row per work, the record's scalars and lists plus
  ``status``, ``status_at``, ``first_seen``, ``last_fetched`` and ``url``;
* ``chapters.parquet``: one row per present chapter (vanished ones are left
  out, as in the JSON Lines export); ``chapter_id`` is null where no page has
  shown AO3's id yet;
* ``stats_history.parquet``: every recorded change of a work's counters;
* ``work_tags.parquet``: the long tag table (``work_id``, ``name``, ``type``;
  the rating is a tag of type ``rating``), for counting without exploding lists;
* with ``with_kinds`` (``export --with``), ``kudos.parquet``, ``comments.parquet``
  and/or ``bookmarks.parquet`` (:mod:`ficindex.exchange.parquet_engagement`).

Everything is streamed: works go in batches, chapters are written as a row
group whenever the buffered text passes :data:`CHAPTER_TEXT_PER_GROUP`, so
memory does not grow with the corpus. Each file is written beside its final
name and renamed into place when complete, so an interrupted export never
leaves a truncated file under a real name. ``metadata_only`` leaves out what
the public copy of ``export --metadata-only`` leaves out: the works' author
notes and the chapters' text, summaries and notes, and it gives readers' logins
(``kudos_users`` and the engagement files) as the public copy's pseudonyms.
"""

from __future__ import annotations

import importlib
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
from sqlite_utils import Database

from ficindex import __version__
from ficindex.errors import BadInput, CannotStart
from ficindex.exchange.parquet_engagement import engagement_schemas, write_engagement
from ficindex.index.batch import HAS_RECORD_SQL
from ficindex.index.engagement_privacy import Pseudonyms, index_pseudonyms
from ficindex.index.export import WORK_URL
from ficindex.index.store import LINK_SQL
from ficindex.record import COUNTER_FIELDS, TAG_FIELDS

#: Works per batch (one ``works`` row group each, and one ``IN (...)`` query per link table).
WORKS_PER_BATCH = 500
#: Characters of chapter text buffered before a ``chapters`` row group is written.
CHAPTER_TEXT_PER_GROUP = 8 * 1024 * 1024
#: Good on prose, and read by every Parquet reader named in the README.
COMPRESSION = "zstd"

INSTALL_HINT = "pip install 'ficindex[parquet]'"

_WORK_SCALARS = (
    "title",
    "anonymous",
    "rating",
    "language",
    "published",
    "updated",
    "completed",
    *COUNTER_FIELDS,
    "kudos_guests",
    "chapters_total",
    "summary",
    "notes",
    "end_notes",
    "restricted",
    "status",
    "status_at",
    "first_seen",
    "last_fetched",
)
#: Left out of a --metadata-only export: the authors' notes (readers' logins become pseudonyms).
_WORK_NOTES = ("notes", "end_notes")
_CHAPTER_TEXTS = ("summary", "notes", "end_notes", "text")
_DATES = ("published", "updated")
_TIMESTAMPS = ("status_at", "first_seen", "last_fetched", "fetched_at")


@dataclass(slots=True)
class ParquetExport:
    """What an export wrote: rows per file, and the files themselves."""

    works: int = 0
    chapters: int = 0
    stats_history: int = 0
    work_tags: int = 0
    files: list[Path] = field(default_factory=list)
    #: Rows per engagement file written (``with_kinds``), by kind.
    engagement: dict[str, int] = field(default_factory=dict)


def require_pyarrow() -> ModuleType:
    """pyarrow, or one line saying how to install it (it is an optional extra)."""
    try:
        for module in ("pyarrow.compute", "pyarrow.parquet"):
            importlib.import_module(module)
        return importlib.import_module("pyarrow")
    except ImportError as exc:
        raise CannotStart(f"Parquet export needs pyarrow: {INSTALL_HINT}") from exc


def schemas(
    pa: ModuleType, *, metadata_only: bool = False, with_kinds: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The Arrow schema of each file, by file stem (the documented column types)."""
    string, int64, boolean = pa.string(), pa.int64(), pa.bool_()
    timestamp = pa.timestamp("us", tz="UTC")
    works: list[tuple[str, Any]] = [
        ("work_id", int64),
        ("title", string),
        ("authors", pa.list_(pa.struct([("pseud", string), ("user", string)]))),
        ("anonymous", boolean),
        ("gifts", pa.list_(string)),
        ("rating", string),
        *[(name, pa.list_(string)) for name in TAG_FIELDS],
        ("language", string),
        ("series", pa.list_(pa.struct([("id", int64), ("title", string), ("position", int64)]))),
        ("collections", pa.list_(pa.struct([("name", string), ("title", string)]))),
        ("published", pa.date32()),
        ("updated", pa.date32()),
        ("completed", boolean),
        *[(name, int64) for name in COUNTER_FIELDS],
        ("kudos_users", pa.list_(string)),
        ("kudos_guests", int64),
        ("chapters_total", int64),
        ("summary", string),
        ("notes", string),
        ("end_notes", string),
        ("restricted", boolean),
        ("status", string),
        ("status_at", timestamp),
        ("first_seen", timestamp),
        ("last_fetched", timestamp),
        ("url", string),
    ]
    chapters = [("work_id", int64), ("number", int64), ("chapter_id", int64), ("title", string)]
    if metadata_only:
        works = [(name, kind) for name, kind in works if name not in _WORK_NOTES]
    else:
        chapters += [(name, string) for name in _CHAPTER_TEXTS]
    meta = {b"ficindex.version": __version__.encode()}
    return {
        "works": pa.schema(works, metadata=meta),
        "chapters": pa.schema(chapters, metadata=meta),
        "stats_history": pa.schema(
            [("work_id", int64), ("fetched_at", timestamp)]
            + [(name, int64) for name in COUNTER_FIELDS],
            metadata=meta,
        ),
        "work_tags": pa.schema(
            [("work_id", int64), ("name", string), ("type", string)], metadata=meta
        ),
        **engagement_schemas(pa, with_kinds, metadata_only=metadata_only, metadata=meta),
    }


def export_parquet(
    db: Database,
    work_ids: Iterable[int],
    out_dir: str | os.PathLike[str],
    *,
    metadata_only: bool = False,
    with_kinds: tuple[str, ...] = (),
) -> ParquetExport:
    """Write the four Parquet files of the selected works into ``out_dir`` (created if needed),
    and one per engagement kind of ``with_kinds``.

    ``work_ids`` is a selection from ``select_work_ids``; works known only by
    id (no title: a 404 for a work never seen) have no record and are left out.
    """
    pa = require_pyarrow()
    target = Path(out_dir)
    if target.exists() and not target.is_dir():
        raise BadInput(f"{target} exists and is not a directory; Parquet export writes a directory")
    target.mkdir(parents=True, exist_ok=True)
    public = index_pseudonyms(db) if metadata_only else None
    file_schemas = schemas(pa, metadata_only=metadata_only, with_kinds=with_kinds)
    with _Writers(pa, target, file_schemas) as writers:
        result = ParquetExport(engagement=dict.fromkeys(with_kinds, 0))
        for batch in _batches(work_ids, WORKS_PER_BATCH):
            kept = _write_works(db, writers, batch, public)
            result.works += len(kept)
            result.chapters += _write_chapters(db, writers, kept, metadata_only)
            result.stats_history += _write_rows(db, writers, "stats_history", kept)
            result.work_tags += _write_rows(db, writers, "work_tags", kept)
            for kind in with_kinds:
                result.engagement[kind] += write_engagement(db, writers, kind, kept, public)
        writers.finish()
        result.files = writers.paths
    return result


class _Writers:
    """One ``ParquetWriter`` per file, each writing to a temporary name until :meth:`finish`."""

    def __init__(self, pa: ModuleType, directory: Path, file_schemas: dict[str, Any]) -> None:
        self.pa = pa
        self.schemas = file_schemas
        self.paths = [directory / f"{stem}.parquet" for stem in file_schemas]
        self._temp = {stem: directory / f".{stem}.parquet.partial" for stem in file_schemas}
        self._writers: dict[str, Any] = {}
        self._finished = False

    def __enter__(self) -> _Writers:
        for stem, schema in self.schemas.items():
            self._writers[stem] = self.pa.parquet.ParquetWriter(
                self._temp[stem], schema, compression=COMPRESSION
            )
        return self

    def write(self, stem: str, columns: dict[str, list[Any]]) -> int:
        """Write one row group from column lists (strings for dates and timestamps)."""
        schema = self.schemas[stem]
        arrays = [_array(self.pa, columns[f.name], f.type) for f in schema]
        table = self.pa.Table.from_arrays(arrays, schema=schema)
        if table.num_rows:
            self._writers[stem].write_table(table)
        return int(table.num_rows)

    def finish(self) -> None:
        """Close every file and move it to its real name."""
        for writer in self._writers.values():
            writer.close()
        for stem, path in zip(self.schemas, self.paths, strict=True):
            os.replace(self._temp[stem], path)
        self._finished = True

    def __exit__(self, *exc: object) -> None:
        if self._finished:
            return
        for writer in self._writers.values():
            writer.close()
        for temp in self._temp.values():
            temp.unlink(missing_ok=True)


def _array(pa: ModuleType, values: list[Any], kind: Any) -> Any:
    """An Arrow array of ``kind``; dates and timestamps arrive as the index's ISO strings."""
    if kind == pa.date32():
        parsed = pa.compute.strptime(
            pa.array(values, pa.string()), format="%Y-%m-%d", unit="s", error_is_null=True
        )
        return parsed.cast(kind)
    if pa.types.is_timestamp(kind):
        parsed = pa.compute.strptime(
            pa.array(values, pa.string()), format="%Y-%m-%dT%H:%M:%SZ", unit="s", error_is_null=True
        )
        return parsed.cast(kind)
    return pa.array(values, kind)


def _batches(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for work_id in ids:
        batch.append(work_id)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _in(ids: Sequence[int]) -> str:
    return f"({', '.join('?' * len(ids))})"


def _linked(db: Database, name: str, ids: list[int]) -> dict[int, list[tuple[Any, ...]]]:
    """The rows of one link query of :data:`LINK_SQL` for many works, grouped by work."""
    sql = LINK_SQL[name].replace("WHERE l.work = ?", f"WHERE l.work IN {_in(ids)}")
    sql = sql.replace("SELECT ", "SELECT l.work, ", 1)
    grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for work, *rest in db.execute(sql, ids):
        grouped[work].append(tuple(rest))
    return grouped


def _write_works(
    db: Database, writers: _Writers, batch: list[int], public: Pseudonyms | None
) -> list[int]:
    """One row group of works, in the order given; returns the ids written.

    ``public`` given (a public export): ``kudos_users`` as pseudonyms.
    """
    lists = ("gifts", *TAG_FIELDS, "kudos_users")
    cursor = db.execute(
        f"SELECT id, {', '.join((*_WORK_SCALARS, *lists))} FROM works "
        f"WHERE id IN {_in(batch)} AND {HAS_RECORD_SQL}",
        batch,
    )
    names = [d[0] for d in cursor.description]
    rows = {row[0]: dict(zip(names, row, strict=True)) for row in cursor}
    kept = [work_id for work_id in batch if work_id in rows]
    if not kept:
        return kept
    authors = _linked(db, "authors", kept)
    series = _linked(db, "series", kept)
    collections = _linked(db, "collections", kept)
    columns: dict[str, list[Any]] = defaultdict(list)
    for work_id in kept:
        row = rows[work_id]
        columns["work_id"].append(work_id)
        for name in _WORK_SCALARS:
            columns[name].append(row[name])
        for name in lists:
            columns[name].append(orjson.loads(row[name]))
        columns["authors"].append([{"pseud": p, "user": u} for u, p in authors[work_id]])
        columns["series"].append(
            [{"id": i, "title": t, "position": p} for i, t, p in series[work_id]]
        )
        columns["collections"].append([{"name": n, "title": t} for n, t in collections[work_id]])
        columns["url"].append(WORK_URL.format(work_id))
        if public is not None:
            columns["kudos_users"][-1] = public.logins(columns["kudos_users"][-1])
    for flag in ("anonymous", "completed", "restricted"):
        columns[flag] = [bool(v) for v in columns[flag]]
    writers.write("works", columns)
    return kept


def _write_chapters(
    db: Database, writers: _Writers, work_ids: list[int], metadata_only: bool
) -> int:
    """Present chapters of each work in number order, a row group per ~8 M characters of text."""
    texts = () if metadata_only else _CHAPTER_TEXTS
    # A stand-in key (negative: AO3's id not shown yet) is exported as a null chapter_id.
    sql = (
        f"SELECT work, number, CASE WHEN id > 0 THEN id END, {', '.join(('title', *texts))} "
        "FROM chapters WHERE work = ? AND vanished_at IS NULL ORDER BY number"
    )
    names = ("work_id", "number", "chapter_id", "title", *texts)
    columns: dict[str, list[Any]] = {name: [] for name in names}
    buffered = written = 0
    for work_id in work_ids:
        rows = db.execute(sql, [work_id]).fetchall()
        for name, values in zip(names, zip(*rows, strict=True), strict=False):
            columns[name].extend(values)
        buffered += sum(len(v) for row in rows for v in row[4:] if v is not None)
        if buffered >= CHAPTER_TEXT_PER_GROUP:
            written += writers.write("chapters", columns)
            columns = {name: [] for name in names}
            buffered = 0
    return written + writers.write("chapters", columns)


_ROWS_SQL = {
    "stats_history": f"SELECT work, fetched_at, {', '.join(COUNTER_FIELDS)} FROM stats_history "
    "WHERE work IN {ids} ORDER BY work, fetched_at",
    "work_tags": "SELECT l.work, t.name, t.type FROM work_tags l JOIN tags t ON t.id = l.tag "
    "WHERE l.work IN {ids} ORDER BY l.work, l.rowid",
}


def _write_rows(db: Database, writers: _Writers, stem: str, work_ids: list[int]) -> int:
    """One row group of ``stats_history`` or ``work_tags`` for a batch of works."""
    names = writers.schemas[stem].names
    rows = db.execute(_ROWS_SQL[stem].format(ids=_in(work_ids)), work_ids).fetchall()
    values = list(zip(*rows, strict=True)) or [() for _ in names]
    return writers.write(stem, dict(zip(names, map(list, values), strict=True)))
