"""A hostile server against the fetcher: corrupt and stacked encodings, bombs, malformed
redirects, a body dripped a byte at a time, an absurd Crawl-delay.

Each answer comes from the loopback fake AO3 (``Fault`` kinds in ao3server).
The rules: whatever one URL's answer does, ``Fetcher.get`` returns a
``FetchResult`` with the reason instead of raising, so one work fails and the
crawl goes on; memory stays bounded (the size cap counts decoded bytes as they
are produced); a request has a total deadline; a Crawl-delay is capped like a
Retry-After.
"""

from __future__ import annotations

import asyncio
import io
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from ao3server import AO3Server, Site, gzipped_zeros, make_site
from ficindex.api import reparse
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, open_robots, run_crawl
from ficindex.crawl.fetcher import Fetcher, FetchResult
from ficindex.crawl.robots import load_robots
from ficindex.crawl.targets import parse_target, work_path
from ficindex.errors import BadInput
from ficindex.progress import Progress

TAG = "/tags/Test%20Tag/works"
GIB = 1 << 30


def config(server: AO3Server, **kw: object) -> FetchConfig:
    settings: dict[str, object] = {
        "base_url": server.url,
        "rate": 100.0,
        "max_retries": 2,
        "backoff_initial": 0.02,
        "backoff_max": 0.1,
        "read_timeout": 30.0,  # the server builds a bomb in under a second, unless very busy
        **kw,
    }
    return FetchConfig(**settings)  # type: ignore[arg-type]


def fetch(cfg: FetchConfig, path: str = work_path(1001)) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(cfg) as fetcher:
            return await asyncio.wait_for(fetcher.get(path), timeout=60)

    return asyncio.run(go())


def test_compressed_pages_are_decoded(site: Site, ao3: AO3Server) -> None:
    plain = fetch(config(ao3))
    for coding in ("gzip", "deflate"):
        site.add_fault("/works/1001", coding)
        result = fetch(config(ao3))
        assert result.error is None and result.body == plain.body, coding
    assert {e.headers.get("Accept-Encoding") for e in ao3.log} == {"gzip, deflate"}


def test_a_corrupt_gzip_body_fails_that_url_only(site: Site, ao3: AO3Server) -> None:
    site.add_fault("/works/1001", "gzip_corrupt", count=None)
    result = fetch(config(ao3))
    assert result.status == 200 and result.body == b""
    assert result.error is not None and result.error.startswith(
        "could not decode the response: corrupt gzip body"
    )
    assert len(ao3.log) == 1  # not retried: the server would send the same again


@pytest.mark.parametrize("location", ["http://[::1", "http://127.0.0.1:99999999/x", "http:foo"])
def test_a_malformed_redirect_fails_one_url(site: Site, ao3: AO3Server, location: str) -> None:
    site.add_fault("/works/1001", "bad_location", location=location, count=None)
    result = fetch(config(ao3))
    assert result.error is not None and result.body == b""
    assert "malformed URL" in result.error or "another host" in result.error
    assert len(ao3.log) == 1  # not retried: the server would send the same again


def test_a_gzip_bomb_is_cut_at_the_cap_of_decoded_bytes(site: Site, ao3: AO3Server) -> None:
    gzipped_zeros(GIB)  # built (and cached) before the clock starts
    site.add_fault("/works/1001", "bomb", size=GIB, count=None)  # 1 MB on the wire
    started = time.monotonic()
    result = fetch(config(ao3, max_bytes=2_000_000))
    assert result.error == "response too large (over 2,000,000 bytes)"
    assert time.monotonic() - started < 20  # a second on a quiet machine: it stops at the cap


def test_stacked_encodings_are_refused(site: Site, ao3: AO3Server) -> None:
    gzipped_zeros(GIB)
    site.add_fault("/works/1001", "stacked_bomb", size=GIB, count=None)  # a few KB on the wire
    result = fetch(config(ao3))
    assert result.error == "could not decode the response: stacked content encodings refused " + (
        "(gzip, gzip)"
    )
    assert len(ao3.log) == 1


def test_a_dripping_server_meets_the_deadline(site: Site, ao3: AO3Server) -> None:
    """One byte a second, each within the read timeout: only the deadline ends it."""
    site.add_fault("/works/1001", "drip", delay=1.0, size=10_000, count=None)
    started = time.monotonic()
    result = fetch(config(ao3, read_timeout=5.0, request_deadline=1.5, max_retries=1))
    elapsed = time.monotonic() - started
    assert result.error == "timed out (no complete answer within 1.5 s) after 2 attempts"
    assert elapsed < 30  # 2 x 1.5 s; far from the 10,000 s the body would take


@pytest.mark.parametrize("deadline", [0, -1, float("nan"), float("inf")])
def test_the_deadline_must_be_positive(deadline: float) -> None:
    with pytest.raises(BadInput, match="request_deadline must be a positive number"):
        FetchConfig(request_deadline=deadline)


def test_crawl_delay_is_capped_like_retry_after(site: Site, ao3: AO3Server) -> None:
    assert site.robots_txt is not None
    site.robots_txt += "Crawl-delay: 99999999\n"

    async def go() -> tuple[float, str | None, float | None]:
        async with Fetcher(config(ao3, max_retry_after=4.0)) as fetcher:
            robots = await load_robots(fetcher)
            return fetcher.limiter.max_rate, robots.warning, robots.crawl_delay()

    rate, warning, delay = asyncio.run(go())
    assert (rate, delay) == (0.25, 4.0)
    assert warning is not None and "99999999" in warning and "4 s" in warning


def test_the_crawl_says_it_capped_the_crawl_delay(site: Site, ao3: AO3Server) -> None:
    assert site.robots_txt is not None
    site.robots_txt += "Crawl-delay: 99999999\n"
    screen = io.StringIO()

    async def go() -> None:
        async with Fetcher(config(ao3, max_retry_after=4.0)) as fetcher:
            await open_robots(fetcher, Progress(screen))

    asyncio.run(go())
    assert screen.getvalue().splitlines() == [
        "Warning: robots.txt asks for a crawl delay of 99999999 s; waiting 4 s between "
        "requests instead (the most a Retry-After may pause a run)"
    ]


def test_a_modest_crawl_delay_is_obeyed_without_a_warning(site: Site, ao3: AO3Server) -> None:
    assert site.robots_txt is not None
    site.robots_txt += "Crawl-delay: 2\n"

    async def go() -> tuple[float, str | None]:
        async with Fetcher(config(ao3)) as fetcher:
            robots = await load_robots(fetcher)
            return fetcher.limiter.max_rate, robots.warning

    assert asyncio.run(go()) == (0.5, None)


def failed(db: Path) -> dict[int, str]:
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT work_id, reason FROM crawl_works WHERE state = 'failed'"))
    finally:
        conn.close()


def test_hostile_answers_fail_their_works_and_the_crawl_goes_on(tmp_path: Path) -> None:
    gzipped_zeros(GIB)
    site = make_site(8)
    ids = sorted(site.works)
    site.add_fault(work_path(ids[1]), "gzip_corrupt", count=None)
    site.add_fault(work_path(ids[2]), "bad_location", count=None)
    site.add_fault(work_path(ids[3]), "stacked_bomb", size=GIB, count=None)
    db = tmp_path / "i.db"
    with AO3Server(site) as ao3:
        cfg = config(ao3)
        for _ in range(2):  # and a rerun does not stop at the same work either
            result = run_crawl(db, [parse_target(ao3.url + TAG, cfg)], cfg, CrawlOptions())
            assert result.exit_code == 1
            reasons = failed(db)
            assert set(reasons) == {ids[1], ids[2], ids[3]}
            assert "corrupt gzip" in reasons[ids[1]]
            assert "malformed URL" in reasons[ids[2]]
            assert "stacked content encodings" in reasons[ids[3]]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM works WHERE status = 'ok'").fetchone() == (5,)
    conn.close()


@pytest.mark.parametrize(
    ("charset", "title"),
    [
        ("shift_jis", "図書館の手紙"),
        ("gb18030", "长安的火熄灭之后"),
        ("koi8-r", "Письмо из Москвы"),
    ],
)
def test_a_work_is_decoded_in_the_charset_its_http_header_names(
    tmp_path: Path, charset: str, title: str
) -> None:
    """No meta charset and no BOM: only the Content-Type header says how to read the bytes."""
    site = make_site(1)
    work_id = next(iter(site.works))
    site.works[work_id].title = title
    site.add_fault(work_path(work_id), "recoded", charset=charset, count=None)
    db = tmp_path / "i.db"
    with AO3Server(site) as ao3:
        cfg = config(ao3)
        result = run_crawl(db, [parse_target(str(work_id), cfg)], cfg, CrawlOptions())
        assert result.exit_code == 0
        assert len([e for e in ao3.log if e.path.startswith(work_path(work_id))]) == 1
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT title FROM works WHERE id = ?", [work_id]).fetchone() == (title,)
    conn.close()
    # The header is kept with the raw page, so a reparse reads the bytes as the crawl did;
    # and a WARC record's Content-Type is read the same way on import.
    reparse(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT title FROM works").fetchall() == [(title,)]
        kept, body = conn.execute("SELECT content_type, body FROM raw_pages").fetchone()
    assert kept == f"text/html; charset={charset}"
    warc = tmp_path / "pages.warc.gz"
    write_warc(warc, f"https://archiveofourown.org/works/{work_id}", zlib.decompress(body), kept)
    again = tmp_path / "again.db"
    subprocess.run(
        [sys.executable, "-m", "ficindex", "import", again, warc, "--silent"], check=True
    )
    with sqlite3.connect(again) as conn:
        assert conn.execute("SELECT title FROM works").fetchall() == [(title,)]


def write_warc(path: Path, url: str, body: bytes, content_type: str) -> None:
    """One HTTP response record, as an archiver writes it."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        record = writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http
        )
        writer.write_record(record)


#: The most a crawl may hold resident, whatever the server sends (issue: 300 MB).
MAX_RSS_MB = 300


def test_peak_memory_of_a_hostile_crawl(tmp_path: Path) -> None:
    """A real ``ficindex crawl`` against bombs, a stacked bomb and a huge body stays small.

    The crawl runs in a child of a child, so RUSAGE_CHILDREN measures that crawl alone.
    """
    gzipped_zeros(GIB)
    site = make_site(8)
    ids = sorted(site.works)
    site.add_fault(work_path(ids[0]), "bomb", size=GIB, count=None)  # 1 MB -> 1 GiB
    site.add_fault(work_path(ids[1]), "stacked_bomb", size=GIB, count=None)  # 3 KB -> 1 GiB
    site.add_fault(work_path(ids[2]), "oversize", size=120_000_000, count=None)
    site.add_fault(work_path(ids[3]), "gzip_corrupt", count=None)
    db = tmp_path / "i.db"
    with AO3Server(site) as ao3:
        crawl = [sys.executable, "-m", "ficindex", "crawl", str(db), ao3.url + TAG]
        crawl += ["--base-url", ao3.url, "--rate", "50", "--max-retries", "1", "--silent"]
        measure = (
            "import resource, subprocess, sys\n"
            f"code = subprocess.run({crawl!r}).returncode\n"
            "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", measure], capture_output=True, text=True, timeout=300
        )
    code, rss_kib = map(int, proc.stdout.split())
    print(f"peak RSS of the hostile crawl: {rss_kib / 1024:.1f} MB")
    assert code == 1, proc.stderr  # finished, with the four hostile works failed
    assert rss_kib / 1024 < MAX_RSS_MB
    assert set(failed(db)) == set(ids[:4])
