"""Works out of the index: back into SPEC records (JSON Lines), CSV rows, or text files.

:func:`work_record` rebuilds the exact record of SPEC section 2 from the
tables, so ``parse -> import -> export --format jsonl`` gives back what
``parse`` printed. Works known only by id (a 404 or a login page for a work
never seen) have no record to give and are left out; a work whose page had an
empty title is still a work and is exported (its title null, as parsed).
"""

from __future__ import annotations

import csv
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, cast

import orjson
from sqlite_utils import Database

from ficindex import AO3_URL
from ficindex.errors import BadInput
from ficindex.index.batch import HAS_RECORD_SQL, has_record, record_dicts
from ficindex.index.cells import neutralise_cell
from ficindex.index.engagement_export import engagement_lines, public_record
from ficindex.index.engagement_privacy import Pseudonyms
from ficindex.index.filters import Filters
from ficindex.index.outputs import atomic_output, check_output
from ficindex.index.store import LINK_SQL, author_label, work_row
from ficindex.record import TAG_FIELDS, Record

#: Columns of a CSV export, in order. The id is ``work_id`` as in JSON Lines and Parquet;
#: list fields are JSON arrays, so a title holding a comma stays one item.
CSV_COLUMNS = (
    "work_id",
    "title",
    "authors",
    "anonymous",
    "gifts",
    "rating",
    *TAG_FIELDS,
    "language",
    "series",
    "collections",
    "published",
    "updated",
    "completed",
    "words",
    "chapters_posted",
    "chapters_total",
    "comments",
    "kudos",
    "bookmarks",
    "hits",
    "summary",
    "notes",
    "end_notes",
    "restricted",
    "status",
    "url",
)

WORK_URL = AO3_URL + "/works/{}"
#: File names stay well under every filesystem's 255-byte limit.
_MAX_NAME_BYTES = 120
_UNSAFE_NAME_CHARS = set('/\\:*?"<>|')
_DOTS = re.compile(r"\.{2,}")


def select_work_ids(
    db: Database, filters: Filters | None = None, sql: str | None = None
) -> list[int]:
    """The ids of the works to export, by filters or by a user's ``SELECT id FROM works ...``.

    The user's SQL runs on the connection as opened (read-only for export), and
    only its first column is used.
    """
    if sql is not None:
        try:
            rows = db.execute(sql).fetchall()
        except Exception as exc:
            raise BadInput(
                f"the SQL failed: {exc}; it must be a query like 'select id from works'"
            ) from exc
        ids = []
        for row in rows:
            if not row or not isinstance(row[0], int):
                raise BadInput("the SQL must return work ids (integers) in its first column")
            ids.append(row[0])
        return list(dict.fromkeys(ids))
    where, params = (filters or Filters()).where()
    return [
        r[0]
        for r in db.execute(
            f"SELECT id FROM works WHERE {HAS_RECORD_SQL} AND {where} ORDER BY id", params
        )
    ]


def work_record(db: Database, work_id: int) -> Record | None:
    """The SPEC record of one stored work (chapters in order, vanished ones left out)."""
    return next(records(db, [work_id]), None)


def records(db: Database, ids: Iterable[int]) -> Iterator[Record]:
    """Stream records one at a time (an export never holds the corpus in memory)."""
    for data in record_dicts(db.conn, ids):
        yield Record.from_dict(data)


def write_jsonl(
    db: Database,
    ids: Iterable[int],
    out: IO[str],
    *,
    with_kinds: tuple[str, ...] = (),
    public: Pseudonyms | None = None,
) -> int:
    """One SPEC record per line; returns how many works were written.

    Each line is what ``ficindex parse`` prints for the work, followed by
    :data:`~ficindex.index.batch.EXPORT_FIELDS` (status, when it was set, first
    seen, last fetched, AO3 URL). orjson writes UTF-8 as is (like
    ``ensure_ascii=False``), in the compact form ``parse`` uses, several times
    faster than the standard ``json``.

    ``with_kinds`` (``export --with``) adds the work's engagement lines right
    after its line; ``public`` (``export --metadata-only``) writes everything in
    the public form (:mod:`ficindex.index.engagement_export`).
    """
    count = 0
    dumps = orjson.dumps
    raw = _utf8_bytes_under(out)
    lines: list[bytes] = []
    for data in record_dicts(db.conn, ids, export_fields=True):
        if public is not None:
            data = public_record(data, public)
        lines.append(dumps(data, option=orjson.OPT_APPEND_NEWLINE))
        count += 1
        if with_kinds:
            for line in engagement_lines(db.conn, data["work_id"], with_kinds, public):
                lines.append(dumps(line, option=orjson.OPT_APPEND_NEWLINE))
        if len(lines) >= _LINES_PER_WRITE:
            _write_lines(out, raw, lines)
    _write_lines(out, raw, lines)
    return count


#: Lines gathered per write: one call for many small records.
_LINES_PER_WRITE = 64


def _utf8_bytes_under(out: IO[str]) -> IO[bytes] | None:
    """The byte stream under a UTF-8 text stream that writes ``\n`` as is, else None.

    orjson's output is already the UTF-8 the text layer would produce; writing
    it below that layer saves decoding and encoding every line again (a third
    of an export's time). Elsewhere (another encoding, ``\r\n`` line ends) the
    text layer is used.
    """
    raw = getattr(out, "buffer", None)
    encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    if raw is None or encoding != "utf8" or os.linesep != "\n":
        return None
    out.flush()
    return cast("IO[bytes]", raw)


def _write_lines(out: IO[str], raw: IO[bytes] | None, lines: list[bytes]) -> None:
    data = b"".join(lines)
    lines.clear()
    if raw is not None:
        raw.write(data)
    else:
        out.write(data.decode())


def csv_row(db: Database, work_id: int) -> dict[str, Any] | None:
    """One work as a flat CSV row (list fields as JSON arrays), without reading its chapters.

    Every column but three comes from the ``works`` row. Authors, series and
    collections come from the link tables, as in :func:`work_record`: series
    and collection titles live in tables other works share (a later page may
    retitle them), and ``works.authors`` keeps an author a plain-text page
    names twice, which the link table holds once.
    """
    row = work_row(db, work_id)
    if row is None or not has_record(row):
        return None
    lists: dict[str, list[str]] = {
        "authors": [author_label(p, u) for u, p in db.execute(LINK_SQL["authors"], [work_id])],
        "series": [title for _, title, _ in db.execute(LINK_SQL["series"], [work_id])],
        "collections": [title for _, title in db.execute(LINK_SQL["collections"], [work_id])],
    }
    for name in ("gifts", *TAG_FIELDS):
        lists[name] = json.loads(row[name])
    out: dict[str, Any] = {}
    for column in CSV_COLUMNS:
        if column == "url":
            value: Any = WORK_URL.format(work_id)
        elif column == "work_id":
            value = work_id
        elif column in lists:
            value = json.dumps(lists[column], ensure_ascii=False)
        else:
            value = row[column]
        out[column] = neutralise_cell(value)
    return out


def write_csv(db: Database, ids: Iterable[int], out: IO[str]) -> int:
    """A header and one row per work; returns how many rows were written."""
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    count = 0
    for work_id in ids:
        row = csv_row(db, work_id)
        if row is not None:
            writer.writerow(row)
            count += 1
    return count


def safe_filename(work_id: int, title: str | None) -> str:
    """``"<id> <title>.txt"``, safe on every common filesystem whatever the title holds.

    The id prefix makes names unique (no two works collide, even on
    case-insensitive filesystems) and means a name can never be ``.``, ``..``
    or a reserved device name. Control characters, path separators and
    characters Windows forbids become ``_``, runs of dots become ``…`` (so no
    name holds ``..``); the title is NFC-normalised,
    whitespace collapsed, trailing dots and spaces dropped, and the whole name
    cut to 120 bytes of UTF-8 without splitting a character.
    """
    text = unicodedata.normalize("NFC", title or "")
    chars = []
    for ch in text:
        if ch in _UNSAFE_NAME_CHARS or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            chars.append("_")
        elif ch.isspace():
            chars.append(" ")
        else:
            chars.append(ch)
    cleaned = _DOTS.sub("…", " ".join("".join(chars).split()))
    budget = _MAX_NAME_BYTES - len(f"{work_id} .txt".encode())
    encoded = cleaned.encode("utf-8")[:budget]
    cleaned = encoded.decode("utf-8", "ignore").rstrip(" .")
    return f"{work_id} {cleaned}.txt" if cleaned else f"{work_id}.txt"


def work_text(record: Record) -> str:
    """A work as a plain-text file: a header of its metadata, then every chapter."""
    lines = [record.title or "", ""]
    if record.authors:
        lines.append("by " + ", ".join(a.pseud for a in record.authors))
    elif record.anonymous:
        lines.append("by Anonymous")
    lines.append(WORK_URL.format(record.work_id))
    for label, value in (
        ("Rating", record.rating),
        ("Warnings", ", ".join(record.warnings)),
        ("Fandoms", ", ".join(record.fandoms)),
        ("Relationships", ", ".join(record.relationships)),
        ("Characters", ", ".join(record.characters)),
        ("Tags", ", ".join(record.freeforms)),
        ("Language", record.language),
        ("Published", record.published),
        ("Updated", record.updated),
        ("Words", record.words),
        ("Chapters", _chapter_count(record)),
    ):
        if value not in (None, ""):
            lines.append(f"{label}: {value}")
    for label, value in (("Summary", record.summary), ("Notes", record.notes)):
        if value:
            lines += ["", f"{label}:", value]
    for chapter in record.chapters:
        heading = f"Chapter {chapter.number}" + (f": {chapter.title}" if chapter.title else "")
        lines += ["", "", heading, ""]
        for label, value in (("Summary", chapter.summary), ("Notes", chapter.notes)):
            if value:
                lines += [f"{label}:", value, ""]
        lines.append(chapter.text)
        if chapter.end_notes:
            lines += ["", "Chapter end notes:", chapter.end_notes]
    if record.end_notes:
        lines += ["", "End notes:", record.end_notes]
    return "\n".join(lines) + "\n"


def _chapter_count(record: Record) -> str | None:
    if record.chapters_posted is None:
        return None
    total = "?" if record.chapters_total is None else record.chapters_total
    return f"{record.chapters_posted}/{total}"


def write_txt(
    db: Database,
    ids: Iterable[int],
    directory: str | os.PathLike[str],
    *,
    index_path: str | os.PathLike[str] | None = None,
) -> int:
    """One ``.txt`` per work into ``directory`` (created if needed); returns the count.

    Each file appears complete or not at all; with ``index_path``, a file that
    would land on the index or one of its side files is refused first.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise BadInput(f"{target} exists and is not a directory; txt export writes a directory")
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for record in records(db, ids):
        path = target / safe_filename(record.work_id or 0, record.title)
        if index_path is not None:
            check_output(path, index_path)
        with atomic_output(path, newline=None) as out:
            out.write(work_text(record))
        count += 1
    return count
