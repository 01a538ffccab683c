"""One work's failure is never the crawl's: a crawl that died on one work died there on every rerun.

An exception while fetching, parsing or storing one work is made to happen for
one chosen work each; the crawl must record that work as failed, with its
reason, store every other work, exit 1, and a rerun must go past it. Checked on
the index, the frontier and the fake AO3's request log.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ao3server import AO3Server
from ficindex.crawl import job, judge, walk
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, CrawlResult, run_crawl
from ficindex.crawl.fetcher import Fetcher
from ficindex.crawl.targets import parse_target, work_path
from ficindex.errors import CannotStart
from ficindex.record import Listing, Record

TAG = "/tags/Test%20Tag/works"
FETCH_RAISES, PARSE_RAISES, STORE_RAISES = 1003, 1010, 1017


def crawl(server: AO3Server, db: Path, *more: str, metadata_only: bool = False) -> CrawlResult:
    config = FetchConfig(base_url=server.url, rate=100.0, concurrency=4)
    targets = [parse_target(t, config) for t in (server.url + TAG, *more)]
    return run_crawl(db, targets, config, CrawlOptions(metadata_only=metadata_only))


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def work_requests(server: AO3Server) -> list[str]:
    return [e.path for e in server.log if e.path.startswith("/works/")]


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fetching work 1003 raises (as httpx does on a corrupt gzip body), parsing work 1010
    raises, storing work 1017 raises: each is what an unforeseen page could do."""
    get, parse, save = Fetcher.get, judge.parse_page, job.save_record

    async def fetch(self: Fetcher, url: str, *args: Any, **kwargs: Any) -> Any:
        if work_path(FETCH_RAISES) in url:
            raise httpx.DecodingError("Error -3 while decompressing data: invalid block type")
        return await get(self, url, *args, **kwargs)

    def parse_page(
        body: bytes | str, url: str | None = None, content_type: str | None = None
    ) -> Record:
        if url and work_path(PARSE_RAISES) in url:
            raise RecursionError("maximum recursion depth exceeded")
        return parse(body, url, content_type)

    def save_record(db: Any, record: Record, **kwargs: Any) -> str:
        if record.work_id == STORE_RAISES and record.kind == "work":
            db.execute("INSERT INTO works (id, title) VALUES (?, 'half-stored')", [STORE_RAISES])
            raise sqlite3.IntegrityError("CHECK constraint failed: chapters")
        return save(db, record, **kwargs)

    monkeypatch.setattr(Fetcher, "get", fetch)
    monkeypatch.setattr(judge, "parse_page", parse_page)
    monkeypatch.setattr(job, "save_record", save_record)
    yield


def test_a_work_that_raises_is_recorded_failed_and_the_crawl_goes_on(
    ao3: AO3Server, tmp_path: Path, broken: None
) -> None:
    db = tmp_path / "i.db"
    result = crawl(ao3, db)
    assert result.exit_code == 1
    assert result.stats.outcomes["ok"] == 42 and result.stats.outcomes["failed"] == 3
    failed = dict(rows(db, "SELECT work_id, reason FROM crawl_works WHERE state = 'failed'"))
    assert failed == {
        FETCH_RAISES: "fetch failed: DecodingError: Error -3 while decompressing data: "
        "invalid block type",
        PARSE_RAISES: "unreadable page: RecursionError: maximum recursion depth exceeded",
        STORE_RAISES: "could not store it: IntegrityError: CHECK constraint failed: chapters",
    }
    assert {(f"work {w}", why) for w, why in failed.items()} <= set(result.stats.failures)
    stored = {w for (w,) in rows(db, "SELECT id FROM works WHERE title IS NOT NULL")}
    assert stored == set(range(1001, 1046)) - set(failed)  # nothing of a failed work half-stored
    assert rows(db, "SELECT count(*) FROM raw_pages WHERE work_id IN (1003, 1010, 1017)") == [(0,)]
    requested = work_requests(ao3)
    assert sorted(requested) == sorted(work_path(w) for w in range(1001, 1046) if w != 1003)

    # The rerun retries the three works (they fail again: the site still breaks them) and
    # fetches nothing else again; it does not stop at the first of them.
    ao3.clear_log()
    again = crawl(ao3, db)
    assert again.exit_code == 1 and again.stats.outcomes["failed"] == 3
    assert sorted(work_requests(ao3)) == sorted(work_path(w) for w in (PARSE_RAISES, STORE_RAISES))


def test_once_the_site_behaves_a_rerun_stores_the_failed_works(
    ao3: AO3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: None
) -> None:
    db = tmp_path / "i.db"
    assert crawl(ao3, db).exit_code == 1
    monkeypatch.undo()
    ao3.clear_log()
    again = crawl(ao3, db)
    assert again.exit_code == 0 and again.stats.outcomes["ok"] == 3
    assert sorted(work_requests(ao3)) == sorted(
        work_path(w) for w in (FETCH_RAISES, PARSE_RAISES, STORE_RAISES)
    )
    assert rows(db, "SELECT count(*) FROM works WHERE title IS NOT NULL") == [(45,)]
    assert rows(db, "SELECT count(*) FROM crawl_works WHERE state = 'done'") == [(45,)]


@pytest.mark.parametrize("where", ["fetch", "next link"])
def test_a_listing_page_that_raises_fails_that_listing_only(
    ao3: AO3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    get, follow = Fetcher.get, walk.next_page

    async def fetch(self: Fetcher, url: str, *args: Any, **kwargs: Any) -> Any:
        if "page=2" in url:
            raise httpx.InvalidURL("Invalid URL component 'path'")
        return await get(self, url, *args, **kwargs)

    def next_page(fetcher: Fetcher, listing: Listing, *args: Any, **kwargs: Any) -> Any:
        if listing.page == 2:
            raise ValueError("Invalid IPv6 URL")
        return follow(fetcher, listing, *args, **kwargs)

    if where == "fetch":
        monkeypatch.setattr(Fetcher, "get", fetch)
        expected = "page=2: fetch failed: InvalidURL: Invalid URL component 'path'"
    else:
        monkeypatch.setattr(walk, "next_page", next_page)
        expected = "page=2: unusable page (ValueError: Invalid IPv6 URL)"
    db = tmp_path / "i.db"
    result = crawl(ao3, db, work_path(1))  # a work target besides the listing: it is fetched
    assert result.exit_code == 1
    [(what, why)] = result.stats.failures
    assert what == TAG and why.endswith(expected)
    assert result.stats.outcomes == {**result.stats.outcomes, "ok": 20, "deleted": 1}
    assert len(set(work_requests(ao3))) == 21

    monkeypatch.undo()  # the next run walks on from page 2
    ao3.clear_log()
    again = crawl(ao3, db)
    assert again.exit_code == 0 and again.stats.outcomes["ok"] == 25
    assert [e.path for e in ao3.log if "/tags/" in e.path] == [TAG + "?page=2", TAG + "?page=3"]


def test_a_blurb_that_cannot_be_stored_fails_that_work_only(
    ao3: AO3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save = job.save_record

    def save_record(db: Any, record: Record, **kwargs: Any) -> str:
        if record.work_id == STORE_RAISES:
            raise ValueError("invalid literal for int() with base 10: '1.5'")
        return save(db, record, **kwargs)

    monkeypatch.setattr(job, "save_record", save_record)
    db = tmp_path / "i.db"
    result = crawl(ao3, db, metadata_only=True)
    assert result.exit_code == 1
    assert result.stats.failures == [
        (
            f"work {STORE_RAISES}",
            "could not store its blurb: ValueError: invalid literal for int() with base 10: '1.5'",
        )
    ]
    assert result.stats.blurbs == 44 and result.stats.pages == 3
    stored = {w for (w,) in rows(db, "SELECT id FROM works")}
    assert stored == set(range(1001, 1046)) - {STORE_RAISES}
    assert work_requests(ao3) == []


def test_a_robots_txt_that_raises_is_could_not_start_not_an_internal_error(
    ao3: AO3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    get = Fetcher.get

    async def fetch(self: Fetcher, url: str, *args: Any, **kwargs: Any) -> Any:
        if url.endswith("/robots.txt"):
            raise httpx.DecodingError("Error -3 while decompressing data: incorrect header check")
        return await get(self, url, *args, **kwargs)

    monkeypatch.setattr(Fetcher, "get", fetch)
    with pytest.raises(CannotStart, match=r"robots\.txt \(DecodingError: Error -3 while"):
        crawl(ao3, tmp_path / "i.db")
    assert ao3.log == []
