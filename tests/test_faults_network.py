"""Network faults on the loopback fake AO3: the crawl finishes, stores every reachable work once,
and records every other work with its reason.

Injected: storms of 429 with and without Retry-After (seconds and HTTP dates), a
503 outage of the whole site (1 s here; a minute in real life), hanging
connections, connections reset mid-body, pages cut short, oversize responses,
redirect loops, a redirect to another host (a second loopback server that must
see no request), Cloudflare challenges and 52x pages, and a response that is not
HTML. Timeouts and backoffs are shortened through ``FetchConfig``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import ao3server
from ao3server import AO3Server, Response, Site, make_site
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, CrawlResult, run_crawl
from ficindex.crawl.targets import parse_target

TAG = "/tags/Test%20Tag/works"


def config(server: AO3Server, **kw) -> FetchConfig:
    settings = {
        "base_url": server.url,
        "rate": 200.0,
        "concurrency": 3,
        "max_retries": 4,
        "connect_timeout": 2.0,
        "read_timeout": 0.5,
        "backoff_initial": 0.05,
        "backoff_max": 0.4,
        "max_retry_after": 2.0,
        "max_bytes": 300_000,
        **kw,
    }
    return FetchConfig(**settings)


def crawl(server: AO3Server, db: Path, *targets: str, **kw) -> CrawlResult:
    cfg = config(server, **kw)
    return run_crawl(db, [parse_target(t, cfg) for t in targets], cfg, CrawlOptions())


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def work_path(work_id: int) -> str:
    return f"/works/{work_id}?"


class Routes:
    """Extra answers by exact path, for faults the fake AO3 has no knob for."""

    def __init__(self, original: Callable[..., Response]) -> None:
        self.original = original
        self.table: dict[str, Callable[[Site, str, dict], Response]] = {}

    def __call__(self, site: Site, path: str, query: dict[str, str]) -> Response:
        handler = self.table.get(path)
        return handler(site, path, query) if handler else self.original(site, path, query)


@pytest.fixture
def routes(monkeypatch: pytest.MonkeyPatch) -> Routes:
    table = Routes(ao3server.route)
    monkeypatch.setattr(ao3server, "route", table)
    return table


@pytest.fixture
def other_host() -> Iterator[AO3Server]:
    """A second loopback server standing for any other host: it must never be asked anything."""
    with AO3Server(make_site(5)) as server:
        yield server


def assert_stored_once(db: Path, site: Site, work_ids: set[int]) -> None:
    """Each of ``work_ids`` is in the index once, whole: every chapter, the right counters."""
    listed = ",".join(map(str, work_ids))
    assert query(db, f"SELECT count(*), count(DISTINCT id) FROM works WHERE id IN ({listed})") == [
        (len(work_ids), len(work_ids))
    ]
    for wid in work_ids:
        work = site.works[wid]
        texts = query(
            db,
            "SELECT text FROM chapters WHERE work = ? AND vanished_at IS NULL ORDER BY number",
            (wid,),
        )
        assert [t[0] for t in texts] == [c.text for c in work.chapters], wid
        row = query(db, "SELECT title, kudos, hits, words FROM works WHERE id = ?", (wid,))
        assert row == [(work.title, work.kudos, work.hits, work.words)], wid
    assert query(db, "SELECT count(*) FROM chapters") == query(
        db, "SELECT count(DISTINCT id) FROM chapters"
    )
    assert query(db, "PRAGMA integrity_check") == [("ok",)]


def failures(db: Path) -> dict[int, str]:
    return dict(query(db, "SELECT work_id, reason FROM crawl_works WHERE state = 'failed'"))


# ---------------------------------------------------------------------------------------------


def test_every_fault_at_once(routes: Routes, other_host: AO3Server, tmp_path: Path) -> None:
    """One crawl through all the faults: transient ones heal, permanent ones are recorded."""
    site = make_site(30)
    ids = sorted(site.works)
    transient = {
        ids[0]: ("status", {"status": 429, "count": 3}),
        ids[1]: ("status", {"status": 429, "retry_after": "1", "count": 1}),
        ids[2]: ("status", {"status": 503, "count": 2}),
        ids[3]: ("status", {"status": 502, "retry_after": "0", "count": 2}),
        ids[4]: ("hang", {"delay": 3.0, "count": 1}),
        ids[5]: ("drop", {"count": 2}),  # reset after half the body
        ids[6]: ("cloudflare", {"count": 2}),
        ids[7]: ("cf525", {"count": 1}),
        ids[8]: ("slow", {"delay": 0.2, "count": 1}),
    }
    permanent = {
        ids[10]: ("oversize", {"size": 600_000, "count": None}, "too large"),
        ids[11]: ("redirect_loop", {"count": None}, "too many redirects"),
        ids[12]: ("not_html", {"count": None}, "not an HTML page"),
        ids[13]: ("status", {"status": 500, "count": None}, "HTTP 500"),
        ids[14]: ("hang", {"delay": 3.0, "count": None}, "timed out"),
        ids[15]: ("drop", {"count": None}, "connection failed"),
    }
    for wid, (kind, kw) in transient.items():
        site.add_fault(work_path(wid), kind, **kw)
    for wid, (kind, kw, _) in permanent.items():
        site.add_fault(work_path(wid), kind, **kw)
    offsite, cut = ids[16], ids[17]
    routes.table[f"/works/{offsite}"] = lambda s, p, q: Response(
        302, b"", headers={"Location": other_host.url + p}
    )

    def cut_short(s: Site, p: str, q: dict) -> Response:
        full = routes.original(s, p, q)
        return Response(200, full.body[: len(full.body) * 2 // 3])

    routes.table[f"/works/{cut}"] = cut_short
    # The listing itself fails twice before it answers.
    site.add_fault(TAG, "status", status=503, count=2)

    db = tmp_path / "faults.db"
    with AO3Server(site) as ao3:
        started = time.monotonic()
        result = crawl(ao3, db, ao3.url + TAG)
        elapsed = time.monotonic() - started
    assert result.exit_code == 1  # the run finished, some works failed
    assert elapsed < 30
    unreachable = set(permanent) | {offsite, cut}
    assert_stored_once(db, site, set(ids) - unreachable)
    recorded = failures(db)
    assert set(recorded) == unreachable
    for wid, (_, _, reason) in permanent.items():
        assert reason in recorded[wid], (wid, recorded[wid])
    assert "another host" in recorded[offsite] and other_host.url in recorded[offsite]
    assert "kind 'error_page'" in recorded[cut] or "cut" in recorded[cut]
    assert other_host.log == []
    injected = sum(f.applied for f in site.faults)
    assert injected >= 3 + 1 + 2 + 2 + 1 + 2 + 2 + 1 + 1 + 2 + 6 * 2
    # Every fetch is in the log, failures with their error.
    for wid in unreachable:
        logged = query(db, "SELECT count(*) FROM fetch_log WHERE url LIKE ?", (f"%/works/{wid}%",))
        assert logged[0][0] >= 1, wid


def test_a_storm_of_429_with_retry_after_in_seconds_and_dates(tmp_path: Path) -> None:
    """Eight 429s in a row, Retry-After in seconds, then as HTTP dates (2 s ahead when sent:
    whole-second dates make that 1-2 s). Counted, not timed, so a slow machine sees them too."""
    for http_date in (False, True):
        site = make_site(5)
        storm = site.add_fault("/works/", "status", status=429, count=8, http_date=http_date)
        storm.retry_after = "2" if http_date else "1"
        db = tmp_path / f"throttled-{http_date}.db"
        with AO3Server(site) as ao3:
            result = crawl(ao3, db, ao3.url + TAG, max_retries=8, max_retry_after=3.0)
            throttled = [e for e in ao3.log if e.status == 429]
        assert result.exit_code == 0, result.summary()
        assert len(throttled) == 8 == result.stats.throttled
        assert_stored_once(db, site, set(site.works))


def test_a_storm_of_429_without_retry_after(tmp_path: Path) -> None:
    site = make_site(8)
    site.add_fault("/works/", "status", status=429, count=6)
    db = tmp_path / "storm.db"
    with AO3Server(site) as ao3:
        result = crawl(ao3, db, ao3.url + TAG, max_retries=12)
    assert result.exit_code == 0, result.summary()
    assert result.stats.throttled >= 6
    assert_stored_once(db, site, set(site.works))


def test_a_site_wide_503_outage_is_waited_out(tmp_path: Path) -> None:
    """Everything (robots.txt included) answers 503 for a second, then the site is back."""
    site = make_site(10)
    outage = site.add_fault("", "status", status=503, count=None)

    def recover() -> None:
        # The outage lasts a second from the first request it refuses, however long the crawl
        # takes to start on a busy machine.
        while outage.applied == 0:
            time.sleep(0.01)
        time.sleep(1.0)
        with site.lock:
            site.faults.remove(outage)

    db = tmp_path / "outage.db"
    with AO3Server(site) as ao3:
        threading.Thread(target=recover, daemon=True).start()
        result = crawl(ao3, db, ao3.url + TAG, max_retries=10, backoff_max=0.5)
    assert outage.applied > 1
    assert result.exit_code == 0, result.summary()
    assert_stored_once(db, site, set(site.works))


def test_hanging_connections_time_out(tmp_path: Path) -> None:
    site = make_site(4)
    site.add_fault("/works/", "hang", delay=60.0, count=3)
    db = tmp_path / "hang.db"
    with AO3Server(site) as ao3:
        started = time.monotonic()
        result = crawl(ao3, db, ao3.url + TAG, read_timeout=0.3)
        elapsed = time.monotonic() - started
    # Nobody waited for the hanging answers: a minute each, where the timeouts (0.3 s, then a
    # retry) end the whole crawl in a second or two; the bound leaves room for a loaded machine.
    assert elapsed < 30
    assert result.exit_code == 0, result.summary()
    assert_stored_once(db, site, set(site.works))


def test_a_next_link_to_another_host_is_not_followed(
    routes: Routes, other_host: AO3Server, tmp_path: Path
) -> None:
    site = make_site(25)  # two listing pages

    def listing(s: Site, p: str, q: dict) -> Response:
        page = routes.original(s, p, q)
        body = page.body.replace(
            f'href="{TAG}?page=2"'.encode(), f'href="{other_host.url}{TAG}?page=2"'.encode()
        )
        assert body != page.body
        return Response(200, body)

    routes.table[TAG] = listing
    db = tmp_path / "offsite-next.db"
    with AO3Server(site) as ao3:
        result = crawl(ao3, db, ao3.url + TAG)
    assert other_host.log == []
    assert any("leaves" in why for _, why in result.stats.failures)
    assert query(db, "SELECT count(*) FROM works")[0][0] == 20  # page 1 only
