"""WARC out (every kept raw page, readable by warcio) and in (AO3 pages of any archiver's WARC)."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import sys
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import click
import pytest

from ficindex.errors import BadInput, CannotStart
from ficindex.exchange.commands import export_to, import_outcomes
from ficindex.exchange.warc import export_warc, import_warc, is_warc
from ficindex.index import open_index, readable_index
from ficindex.index.filters import Filters
from ficindex.loader import import_file
from index_fixtures import dump

warcio = pytest.importorskip("warcio")
from warcio.archiveiterator import ArchiveIterator  # noqa: E402
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
AO3 = "archiveofourown.org"
WORK_PAGES = ("work-full-view.html", "work-gift.html", "work-anonymous.html")


def _index(path: Path, names: tuple[str, ...]) -> Path:
    db = open_index(path)
    for name in names:
        import_file(db, FIXTURES / name)
    db.close()
    return path


def _read(path: Path) -> list[Any]:
    out = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            body = record.content_stream().read()
            out.append((record, body))
    return out


@pytest.mark.parametrize("name", ["pages.warc.gz", "pages.warc"])
def test_export_writes_every_raw_page_as_a_response_record(tmp_path: Path, name: str) -> None:
    pages_named = (*WORK_PAGES, "listing-series.html", "plain-work-single.txt")
    db = _index(tmp_path / "fics.db", pages_named)
    with readable_index(db) as index:
        pages = index.execute(
            "SELECT fetched_at, work_id, sha256, body, source FROM raw_pages "
            "ORDER BY fetched_at, id"
        ).fetchall()
        written = export_warc(index, tmp_path / name)
    assert written.records == len(pages) == 5
    records = _read(tmp_path / name)
    assert records[0][0].rec_type == "warcinfo"
    assert b"software: ficindex/" in records[0][1]
    responses = records[1:]
    kinds = ["response"] * 3 + ["resource"] * 2  # the last two name no work and have no URL
    assert [r.rec_type for r, _ in responses] == kinds
    for (record, body), (fetched_at, work_id, sha256, raw, source) in zip(
        responses, pages, strict=True
    ):
        assert body == zlib.decompress(raw)
        assert hashlib.sha256(body).hexdigest() == sha256
        assert record.rec_headers.get_header("WARC-Date") == fetched_at
        uri = record.rec_headers.get_header("WARC-Target-URI")
        headers = record.http_headers or record.rec_headers
        if work_id:
            assert uri == f"https://archiveofourown.org/works/{work_id}"
            assert record.http_headers.get_statuscode() == "200"
        else:
            assert uri == f"urn:ficindex:{sha256}" and record.http_headers is None
        plain = source.endswith(".txt")
        kind = headers.get_header("Content-Type")
        assert kind.startswith("text/plain" if plain else "text/html")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["fics.db", name])


def test_a_warc_round_trip_rebuilds_the_same_works(tmp_path: Path) -> None:
    db = _index(tmp_path / "a.db", WORK_PAGES)
    with readable_index(db) as index:
        export_warc(index, tmp_path / "a.warc.gz")
    copy = open_index(tmp_path / "b.db")
    outcomes = list(import_warc(copy, tmp_path / "a.warc.gz"))
    copy.close()
    assert Counter(o.result for o in outcomes) == {"new": 3}
    for sql in (
        "SELECT * FROM works ORDER BY id",
        "SELECT * FROM chapters ORDER BY id",
        "SELECT * FROM stats_history ORDER BY work, fetched_at",
        "SELECT fetched_at, sha256, work_id FROM raw_pages ORDER BY fetched_at, sha256",
    ):
        assert _rows(tmp_path / "b.db", sql) == _rows(db, sql), sql


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _response(
    writer: Any, uri: str, body: bytes, *, status: str = "200 OK", kind: str = "text/html"
) -> None:
    headers = StatusAndHeaders(status, [("Content-Type", kind)], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        uri,
        "response",
        payload=io.BytesIO(body),
        http_headers=headers,
        warc_headers_dict={"WARC-Date": "2025-05-01T10:00:00.123Z"},
    )
    writer.write_record(record)


def _archiver_warc(path: Path) -> Path:
    """What a browser-based archiver leaves: pages, assets, other sites, requests."""
    work = (FIXTURES / "work-full-view.html").read_bytes()
    gone = (FIXTURES / "page-404.html").read_bytes()
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "archiver"}))
        request = StatusAndHeaders("GET /works/51000001 HTTP/1.1", [], is_http_request=True)
        writer.write_record(
            writer.create_warc_record(
                "https://archiveofourown.org/works/51000001", "request", http_headers=request
            )
        )
        _response(writer, "https://archiveofourown.org/works/51000001?view_full_work=true", work)
        _response(
            writer, "https://www.archiveofourown.org/works/424242", gone, status="404 Not Found"
        )
        _response(
            writer, "https://archiveofourown.org/stylesheets/site.css", b"body{}", kind="text/css"
        )
        _response(writer, "https://archiveofourown.org/", b"<html><body>Welcome</body></html>")
        _response(writer, "https://example.com/works/51000001", work)
        _response(writer, "https://fanlore.org/wiki/AO3", b"<html>fanlore</html>")
    return path


def test_import_takes_ao3_pages_and_counts_the_rest(tmp_path: Path) -> None:
    warc = _archiver_warc(tmp_path / "crawl.warc.gz")
    db = open_index(tmp_path / "fics.db")
    outcomes = list(import_warc(db, warc))
    assert [o.error for o in outcomes] == [None] * 6
    assert Counter(o.result for o in outcomes) == {
        "new": 1,
        "status": 1,
        "not a page": 1,
        "unrecognised": 1,
        "not AO3": 2,
    }
    row = db.execute("SELECT title, kudos, last_fetched FROM works WHERE id = 51000001").fetchone()
    assert row == ("The Lighthouse Keeper's Daughter", 345, "2025-05-01T10:00:00Z")
    assert db.execute("SELECT status FROM works WHERE id = 424242").fetchone() == ("deleted",)
    pages = db.execute(
        "SELECT url, http_status, work_id, source FROM raw_pages ORDER BY url"
    ).fetchall()
    assert pages == [
        ("https://archiveofourown.org/", 200, None, "crawl.warc.gz"),
        (
            "https://archiveofourown.org/works/51000001?view_full_work=true",
            200,
            51000001,
            "crawl.warc.gz",
        ),
        ("https://www.archiveofourown.org/works/424242", 404, 424242, "crawl.warc.gz"),
    ]
    db.close()
    before = dump(tmp_path / "fics.db")
    db = open_index(tmp_path / "fics.db")
    again = Counter(o.result for o in import_warc(db, warc))
    db.close()
    assert again["unchanged"] == 2
    assert dump(tmp_path / "fics.db") == before


def test_a_record_that_cannot_be_stored_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As for a saved file: one page's failure is that page's, the other records are stored."""
    from ficindex import loader

    real = loader.save_record

    def failing(db: Any, record: Any, **kwargs: Any) -> str:
        if record.work_id == 51000001:
            raise sqlite3.IntegrityError("CHECK constraint failed: chapters")
        return real(db, record, **kwargs)

    monkeypatch.setattr(loader, "save_record", failing)
    warc = _archiver_warc(tmp_path / "crawl.warc.gz")
    db = open_index(tmp_path / "fics.db")
    outcomes = {o.name: o for o in import_warc(db, warc)}
    page = outcomes["https://archiveofourown.org/works/51000001?view_full_work=true"]
    assert page.error == "could not be stored (IntegrityError: CHECK constraint failed: chapters)"
    assert outcomes["https://www.archiveofourown.org/works/424242"].result == "status"
    assert db.execute("SELECT count(*) FROM raw_pages WHERE work_id = 51000001").fetchone() == (0,)
    assert db.execute("SELECT status FROM works WHERE id = 424242").fetchone() == ("deleted",)
    db.close()


def test_a_file_that_is_not_a_warc_is_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.warc.gz"
    junk.write_bytes(b"\x1f\x8b" + b"not really gzip" * 10)
    text = tmp_path / "notes.warc"
    text.write_text("hello")
    db = open_index(tmp_path / "fics.db")
    for bad in (junk, text):
        with pytest.raises(BadInput, match="is not a WARC file"):
            list(import_warc(db, bad))
    db.close()


def test_is_warc_by_name() -> None:
    assert is_warc("a.warc") and is_warc("dir/B.WARC.GZ")
    assert not is_warc("a.html") and not is_warc("warc.txt")


def test_missing_warcio_is_one_line_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "warcio" or m.startswith("warcio.")]:
        monkeypatch.setitem(sys.modules, name, None)
    db = open_index(tmp_path / "fics.db")
    with pytest.raises(CannotStart) as caught:
        export_warc(db, tmp_path / "x.warc.gz")
    db.close()
    assert str(caught.value) == "WARC files need warcio: pip install 'ficindex[warc]'"
    assert not (tmp_path / "x.warc.gz").exists()


def test_export_command_step_selects_pages_of_the_chosen_works(tmp_path: Path) -> None:
    db = _index(tmp_path / "fics.db", WORK_PAGES)
    out = tmp_path / "one.warc.gz"
    message = export_to(
        "warc", db, str(out), filters=Filters(), sql="select 51000007", metadata_only=False
    )
    assert message.startswith("Exported 1 raw page ")
    uris = [r.rec_headers.get_header("WARC-Target-URI") for r, _ in _read(out)[1:]]
    assert uris == ["https://archiveofourown.org/works/51000007"]
    with pytest.raises(click.UsageError, match="give -o FILE.warc.gz"):
        export_to("warc", db, None, filters=Filters(), sql=None, metadata_only=False)


def test_import_outcomes_reads_pages_and_warc_files_alike(tmp_path: Path) -> None:
    warc = _archiver_warc(tmp_path / "crawl.warc.gz")
    db = open_index(tmp_path / "fics.db")
    outcomes = list(import_outcomes(db, [FIXTURES / "work-gift.html", warc]))
    db.close()
    assert [o.result for o in outcomes[:2]] == ["new", "new"]
    assert len(outcomes) == 7
    ids = _rows(tmp_path / "fics.db", "SELECT id FROM works ORDER BY id")
    assert ids == [(424242,), (51000001,), (51000007,)]
