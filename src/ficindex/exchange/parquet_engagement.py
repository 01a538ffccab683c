"""The engagement files of a Parquet export: ``export --format parquet --with KINDS``.

Beside ``works.parquet`` and the others, one file per kind asked for, joined
on ``work_id`` like the rest, with the columns of the JSON Lines export's
lines of that kind (:mod:`ficindex.index.engagement_export`, so the two
exports cannot drift apart) without ``kind``:

* ``kudos.parquet``: one row per login that left kudos (``position`` 0 = newest);
* ``comments.parquet``: one row per comment or placeholder, with its thread
  (``thread_id``, ``parent_id``), chapter (AO3 id and number), commenter and
  UTC times;
* ``bookmarks.parquet``: one row per public bookmark, its tags a
  ``list<string>``, its collections a list of ``{name, title}``.

``metadata_only`` writes the public form: names as pseudonyms, and no
``text`` (comments) or ``notes`` (bookmarks) column at all, as the works file
has no notes column then.
"""

from __future__ import annotations

from collections import defaultdict
from types import ModuleType
from typing import Any, Protocol

from sqlite_utils import Database

from ficindex.index.engagement_export import KINDS, ROWS
from ficindex.index.engagement_privacy import Pseudonyms

#: Rows buffered per kind before a row group is written (comment text can be long).
ROWS_PER_GROUP = 50_000
#: The columns a public export leaves out, per kind.
PRIVATE = {"comments": "text", "bookmarks": "notes"}


class RowWriter(Protocol):
    """What the Parquet writers offer this module: one row group from column lists."""

    def write(self, stem: str, columns: dict[str, list[Any]]) -> int: ...


def engagement_schemas(
    pa: ModuleType, kinds: tuple[str, ...], *, metadata_only: bool, metadata: dict[bytes, bytes]
) -> dict[str, Any]:
    """The Arrow schema of each engagement file asked for, by file stem."""
    string, int64, boolean = pa.string(), pa.int64(), pa.bool_()
    timestamp = pa.timestamp("us", tz="UTC")
    seen = [("first_seen", timestamp), ("last_seen", timestamp)]
    fields: dict[str, list[tuple[str, Any]]] = {
        "kudos": [("work_id", int64), ("user", string), ("position", int64), *seen],
        "comments": [
            ("work_id", int64),
            ("comment_id", int64),
            ("chapter_id", int64),
            ("chapter", int64),
            ("parent_id", int64),
            ("thread_id", int64),
            ("commenter_kind", string),
            ("user", string),
            ("pseud", string),
            ("name", string),
            ("posted", timestamp),
            ("edited", timestamp),
            ("text", string),
            ("state", string),
            ("frozen", boolean),
            *seen,
            ("url", string),
        ],
        "bookmarks": [
            ("work_id", int64),
            ("user", string),
            ("pseud", string),
            ("date", pa.date32()),
            ("date_text", string),
            ("rec", boolean),
            ("tags", pa.list_(string)),
            ("collections", pa.list_(pa.struct([("name", string), ("title", string)]))),
            ("notes", string),
            *seen,
        ],
    }
    out = {}
    for kind in KINDS:
        if kind in kinds:
            dropped = PRIVATE.get(kind) if metadata_only else None
            out[kind] = pa.schema(
                [(n, t) for n, t in fields[kind] if n != dropped], metadata=metadata
            )
    return out


def write_engagement(
    db: Database,
    writers: RowWriter,
    kind: str,
    work_ids: list[int],
    names: Pseudonyms | None,
) -> int:
    """The ``kind`` rows of a batch of works, in work order; returns how many were written."""
    columns: dict[str, list[Any]] = defaultdict(list)
    buffered = written = 0
    for work_id in work_ids:
        for line in ROWS[kind](db.conn, work_id, names):
            for name, value in line.items():
                columns[name].append(value)
            buffered += 1
            if buffered == ROWS_PER_GROUP:
                written += writers.write(kind, columns)
                columns, buffered = defaultdict(list), 0
    if buffered:
        written += writers.write(kind, columns)
    return written
