"""A WARC import commits its pages in batches, as ``import`` commits files.

The index it leaves is the one page-by-page storing leaves (content tables,
every full-text index term by term, FTS5's integrity check); every page
reported is stored by the time it is reported; an error that ends a batch's
transaction stops the run with one line and keeps the batches before it.
"""

from __future__ import annotations

import io
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ficindex.exchange.warc import import_warc
from ficindex.index import writable_index
from ficindex.loader import Outcome
from test_batched_import import index_state, rollback_at_work_1010, varied_pages

pytest.importorskip("warcio", reason="the warc extra (warcio) is not installed")
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402


def warc_of(tmp_path: Path) -> Path:
    """The varied pages as an archiver's captures, dated as the files are, with a
    stylesheet and another site's page between them (skipped, and still reported)."""
    path = tmp_path / "crawl.warc.gz"
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for i, page in enumerate(varied_pages(tmp_path)):
            when = os.stat(page).st_mtime
            date = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            _capture(writer, f"https://archiveofourown.org/works/{9000 + i}", page, date)
            if i % 7 == 0:
                _capture(writer, "https://example.com/", page, date)
                _capture(writer, "https://archiveofourown.org/site.css", page, date, "text/css")
    return path


def _capture(writer: WARCWriter, uri: str, page: Path, date: str, kind: str = "text/html") -> None:
    headers = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        uri,
        "response",
        payload=io.BytesIO(page.read_bytes()),
        http_headers=headers,
        warc_headers_dict={"WARC-Date": date},
    )
    writer.write_record(record)


def imported(db_path: Path, warc: Path, pages: int) -> list[Outcome]:
    with writable_index(db_path) as db:
        return list(import_warc(db, warc, batch_pages=pages))


@pytest.mark.parametrize("size", [4, 1000])
def test_a_batched_warc_import_equals_the_page_by_page_one(tmp_path: Path, size: int) -> None:
    warc = warc_of(tmp_path)
    expected = imported(tmp_path / "one.db", warc, 1)
    got = imported(tmp_path / "batched.db", warc, size)
    assert got == expected
    assert {o.result for o in got} >= {"new", "updated", "stale", "not AO3", "not a page"}
    assert index_state(tmp_path / "batched.db") == index_state(tmp_path / "one.db")


def test_every_page_reported_is_stored_and_an_error_ending_a_batch_stops_the_run(
    tmp_path: Path,
) -> None:
    warc = warc_of(tmp_path)
    db_path = tmp_path / "fics.db"
    rollback_at_work_1010(db_path)
    reported: list[Outcome] = []
    stored = 0
    with writable_index(db_path) as db:
        with pytest.raises(sqlite3.OperationalError, match="ended the transaction of its batch"):
            for outcome in import_warc(db, warc, batch_pages=4):
                reported.append(outcome)
                with sqlite3.connect(db_path) as reader:  # stored by the time it is reported
                    stored = reader.execute("SELECT count(*) FROM raw_pages").fetchone()[0]
                captures = sum(o.result not in ("not AO3", "not a page") for o in reported)
                assert stored >= captures - sum(o.error is not None for o in reported)
        assert not db.conn.in_transaction
    captures = sum(o.result not in ("not AO3", "not a page") for o in reported)
    assert captures >= 4 and captures % 4 == 0  # whole batches, none of the one that failed
    with sqlite3.connect(db_path) as conn:  # nothing of the failed batch was stored
        assert conn.execute("SELECT count(*) FROM raw_pages").fetchone() == (stored,)
        assert conn.execute("SELECT count(*) FROM works WHERE id = 1010").fetchone() == (0,)
