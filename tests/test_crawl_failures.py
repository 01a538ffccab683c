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
from ficindex.crawl import crawler
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, CrawlResult, run_crawl
from ficindex.crawl.fetcher import Fetcher
from ficindex.crawl.targets import parse_target, work_path
from ficindex.record import Record

TAG = "/tags/Test%20Tag/works"
FETCH_RAISES, PARSE_RAISES, STORE_RAISES = 1003, 1010, 1017


def crawl(server: AO3Server, db: Path) -> CrawlResult:
    config = FetchConfig(base_url=server.url, rate=100.0, concurrency=4)
    return run_crawl(db, [parse_target(server.url + TAG, config)], config, CrawlOptions())


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def work_requests(server: AO3Server) -> list[str]:
    return [e.path for e in server.log if e.path.startswith("/works/")]


@pytest.fixture
def broken(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fetching work 1003 raises (as httpx does on a corrupt gzip body), parsing work 1010
    raises, storing work 1017 raises: each is what an unforeseen page could do."""
    get, parse, save = Fetcher.get, crawler.parse_page, crawler.save_record

    async def fetch(self: Fetcher, url: str, *args: Any, **kwargs: Any) -> Any:
        if work_path(FETCH_RAISES) in url:
            raise httpx.DecodingError("Error -3 while decompressing data: invalid block type")
        return await get(self, url, *args, **kwargs)

    def parse_page(body: bytes | str, url: str | None = None) -> Record:
        if url and work_path(PARSE_RAISES) in url:
            raise RecursionError("maximum recursion depth exceeded")
        return parse(body, url)

    def save_record(db: Any, record: Record, **kwargs: Any) -> str:
        if record.work_id == STORE_RAISES and record.kind == "work":
            db.execute("INSERT INTO works (id, title) VALUES (?, 'half-stored')", [STORE_RAISES])
            raise sqlite3.IntegrityError("CHECK constraint failed: chapters")
        return save(db, record, **kwargs)

    monkeypatch.setattr(Fetcher, "get", fetch)
    monkeypatch.setattr(crawler, "parse_page", parse_page)
    monkeypatch.setattr(crawler, "save_record", save_record)
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
