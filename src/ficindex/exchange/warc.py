"""Raw pages to and from WARC, the web archives' file format (ISO 28500), with warcio.

Out: every kept raw page becomes a WARC ``response`` record (its URL, fetch
date, HTTP status and body) after a ``warcinfo`` record naming ficindex, so
pywb or ReplayWeb.page can replay what was crawled. A page imported from a
file has no URL: it is written under its work's AO3 URL when the page named
its work (with status 200 when none was recorded), else as a ``resource``
record (the body without HTTP headers) under ``urn:ficindex:<sha256>``.

In: the ``response`` (and ``resource``) records of any archiver's WARC (Browsertrix, ``wget
--warc-file``, a WARC this module wrote) whose target URI is on AO3's host and
whose body is HTML are stored as ``import`` stores files: raw page and merged
record in a savepoint of their own, pages committed in batches and reported once
committed, the capture's date as the fetch time, so importing
the same WARC again changes nothing. Records of other hosts, and AO3 responses
that are not pages (stylesheets, images), are counted and skipped; a page
ficindex does not recognise (AO3's front page, a profile) is kept for
``reparse`` and counted, not reported as a failure: an archiver captures far
more than works.
"""

from __future__ import annotations

import importlib
import io
import os
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any
from urllib.parse import urlsplit

from sqlite_utils import Database

from ficindex import AO3_URL, __version__
from ficindex.clock import utc_iso
from ficindex.errors import BadInput, CannotStart
from ficindex.index.export import WORK_URL
from ficindex.loader import (
    IMPORT_BATCH_BYTES,
    IMPORT_BATCH_PAGES,
    UNSTORABLE,
    Outcome,
    store_in_batches,
    store_page,
)

INSTALL_HINT = "pip install 'ficindex[warc]'"
#: File name endings that ``import`` reads as WARC files.
WARC_SUFFIXES = (".warc", ".warc.gz")
#: Hosts whose pages a WARC import takes (AO3's, with and without ``www.``).
AO3_HOSTS = frozenset(
    {urlsplit(AO3_URL).hostname or "", "www." + (urlsplit(AO3_URL).hostname or "")}
)
_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 403: "Forbidden", 404: "Not Found"}
_REASONS |= {429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass(slots=True)
class WarcExport:
    """What an export wrote."""

    records: int = 0
    bytes: int = 0


def require_warcio() -> ModuleType:
    """warcio, or one line saying how to install it (it is an optional extra)."""
    try:
        for module in ("archiveiterator", "exceptions", "statusandheaders", "warcwriter"):
            importlib.import_module(f"warcio.{module}")
        return importlib.import_module("warcio")
    except ImportError as exc:
        raise CannotStart(f"WARC files need warcio: {INSTALL_HINT}") from exc


def is_warc(path: str | os.PathLike[str]) -> bool:
    """True for a file ``import`` should read as a WARC (by its name)."""
    return str(path).lower().endswith(WARC_SUFFIXES)


def page_uri(url: str | None, work_id: int | None, sha256: str) -> str:
    """The target URI a kept page is written under (see the module docstring)."""
    if url:
        return url if "://" in url else AO3_URL + url
    return WORK_URL.format(work_id) if work_id is not None else f"urn:ficindex:{sha256}"


def export_warc(
    db: Database, out_path: str | os.PathLike[str], *, work_ids: Collection[int] | None = None
) -> WarcExport:
    """Write the kept raw pages (all, or those of ``work_ids``) oldest first, gzipped per record
    when the name ends in ``.gz``; the file appears under its name only when complete."""
    warcio = require_warcio()
    target = Path(out_path)
    if target.is_dir():
        raise BadInput(f"{target} is a directory; WARC export writes one file, e.g. pages.warc.gz")
    partial = target.with_name(f".{target.name}.partial")
    result = WarcExport()
    try:
        with partial.open("wb") as out:
            writer = warcio.warcwriter.WARCWriter(out, gzip=target.name.endswith(".gz"))
            info = {"software": f"ficindex/{__version__}", "format": "WARC File Format 1.0"}
            writer.write_record(writer.create_warcinfo_record(target.name, info))
            for page_id in _page_ids(db, work_ids):
                _write_page(warcio, writer, db, page_id)
                result.records += 1
        result.bytes = partial.stat().st_size
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return result


def _page_ids(db: Database, work_ids: Collection[int] | None) -> list[int]:
    rows = db.execute("SELECT id, work_id FROM raw_pages ORDER BY fetched_at, id").fetchall()
    wanted = None if work_ids is None else set(work_ids)
    return [page_id for page_id, work in rows if wanted is None or work in wanted]


def _write_page(warcio: ModuleType, writer: Any, db: Database, page_id: int) -> None:
    url, source, fetched_at, status, work_id, sha256, body, kept_type = db.execute(
        "SELECT url, source, fetched_at, http_status, work_id, sha256, body, content_type "
        "FROM raw_pages WHERE id = ?",
        [page_id],
    ).fetchone()
    payload = zlib.decompress(body)
    plain = (source or "").lower().endswith(".txt")
    # The header the page came with, else what an imported file is: the bytes are kept as they
    # were, so a page fetched in another charset must not be labelled UTF-8.
    content_type = kept_type or (
        "text/plain; charset=utf-8" if plain else "text/html; charset=utf-8"
    )
    uri = page_uri(url, work_id, sha256)
    headers = {"WARC-Date": fetched_at}
    if uri.startswith("urn:"):
        # No address to replay it under: a resource record, the body without HTTP headers.
        record = writer.create_warc_record(
            uri,
            "resource",
            payload=io.BytesIO(payload),
            warc_content_type=content_type,
            warc_headers_dict=headers,
        )
    else:
        code = status or 200
        http_headers = warcio.statusandheaders.StatusAndHeaders(
            f"{code} {_REASONS.get(code, 'Status')}",
            [("Content-Type", content_type), ("Content-Length", str(len(payload)))],
            protocol="HTTP/1.1",
        )
        record = writer.create_warc_record(
            uri,
            "response",
            payload=io.BytesIO(payload),
            http_headers=http_headers,
            warc_headers_dict=headers,
        )
    writer.write_record(record)


def import_warc(
    db: Database,
    path: str | os.PathLike[str],
    *,
    batch_pages: int = IMPORT_BATCH_PAGES,
    batch_bytes: int = IMPORT_BATCH_BYTES,
) -> Iterator[Outcome]:
    """Store every AO3 page of a WARC; one :class:`Outcome` per response record.

    Results beyond the store's: ``not AO3`` (another host), ``not a page`` (an
    AO3 resource that is not HTML), ``unrecognised`` (an AO3 page ficindex
    cannot read, kept for reparse). Pages are committed ``batch_pages`` at a
    time (sooner after ``batch_bytes`` of them), as ``import`` commits files.
    """
    warcio = require_warcio()
    with open(path, "rb") as stream:
        if not _looks_like_warc(stream):
            raise BadInput(f"{path} is not a WARC file (no WARC/1.x record at its start)")
        try:
            yield from _import_stream(warcio, db, stream, Path(path).name, batch_pages, batch_bytes)
        except warcio.exceptions.ArchiveLoadFailed as exc:
            raise BadInput(f"{path} is not a readable WARC file ({exc})") from exc


def _looks_like_warc(stream: IO[bytes]) -> bool:
    """Whether the file starts with a WARC record, plain or gzipped (warcio reads junk as empty)."""
    head = stream.read(4096)
    stream.seek(0)
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 16)
        except zlib.error:
            return False
    return head.startswith(b"WARC/")


@dataclass(slots=True)
class _Capture:
    """One AO3 page of a WARC, read off its record (the stream moves on after it)."""

    uri: str
    fetched_at: str
    status: int | None
    body: bytes
    content_type: str


def _import_stream(
    warcio: ModuleType,
    db: Database,
    stream: IO[bytes],
    name: str,
    batch_pages: int,
    batch_bytes: int,
) -> Iterator[Outcome]:
    """Store the captures in batches, as ``import`` stores files (see
    :func:`~ficindex.loader.store_in_batches`); skipped records ride along, uncounted."""
    yield from store_in_batches(
        db,
        _entries(warcio, stream),
        lambda entry: entry if isinstance(entry, Outcome) else _store(db, entry, name),
        lambda entry: None if isinstance(entry, Outcome) else len(entry.body),
        batch_pages=batch_pages,
        batch_bytes=batch_bytes,
    )


def _entries(warcio: ModuleType, stream: IO[bytes]) -> Iterator[Outcome | _Capture]:
    """Each response or resource record: an AO3 page to store, or the reason it is skipped."""
    for record in warcio.archiveiterator.ArchiveIterator(stream):
        if record.rec_type not in ("response", "resource"):
            continue
        uri = record.rec_headers.get_header("WARC-Target-URI") or ""
        if urlsplit(uri).hostname not in AO3_HOSTS:
            yield Outcome(uri, result="not AO3")
            continue
        http = record.http_headers if record.rec_type == "response" else None
        headers = http or record.rec_headers
        content_type = headers.get_header("Content-Type") or ""
        if "html" not in content_type.lower():
            yield Outcome(uri, result="not a page")
            continue
        status = int(http.get_statuscode() or 0) or None if http else None
        fetched_at = utc_iso(record.rec_headers.get_header("WARC-Date"))
        body = record.content_stream().read()
        yield _Capture(uri, fetched_at, status, body, content_type)


def _store(db: Database, capture: _Capture, source: str) -> Outcome:
    """One page, as ``import`` stores a file: raw bytes and record in a savepoint; the
    record's Content-Type gives the charset of a page that declares none, as in a crawl."""
    uri = capture.uri
    stored = store_page(
        db,
        capture.body,
        name=uri,
        fetched_at=capture.fetched_at,
        url=uri,
        source=source,
        http_status=capture.status,
        content_type=capture.content_type,
    )
    if isinstance(stored, Outcome):
        return stored
    record, result = stored
    if record.kind in UNSTORABLE:
        return Outcome(uri, result="unrecognised" if record.kind == "unknown" else record.kind)
    return Outcome(uri, result=result)
