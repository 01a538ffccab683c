"""SIGKILL ``crawl --with`` in the middle of works' engagement pages, rerun it, lose nothing.

Each page's rows are stored in the transaction that moves the work's cursor,
so a rerun continues at the page that was in flight when the process died: no
page is fetched twice but that one (one fetcher here, so one page per kill),
and the index ends exactly as an uninterrupted crawl leaves it.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ao3engagement import bookmark, comment, give_kudos
from ao3server import AO3Server, Site
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, run_crawl
from ficindex.crawl.targets import parse_target

TAG = "/tags/Engaged/works"
KINDS = "kudos,comments,bookmarks"
#: What a reader of the index sees of the engagement rows (no times).
QUERIES = {
    "kudos": "SELECT work, user, position FROM kudos ORDER BY 1, 2",
    "comments": "SELECT id, work, parent, thread, user, text, state FROM comments ORDER BY id",
    "bookmarks": "SELECT work, user, pseud, notes FROM bookmarks ORDER BY 1, 2, 3",
    "bookmark_tags": "SELECT b.work, b.user, t.tag FROM bookmark_tags t "
    "JOIN bookmarks b ON b.id = t.bookmark ORDER BY 1, 2, 3",
    "crawl_engagement": "SELECT work_id, kind, state, next_path, pending FROM crawl_engagement "
    "ORDER BY 1, 2",
}


def busy_site() -> Site:
    """Three works, each with 10 kudos pages, 3 comment pages and 3 bookmark pages."""
    site = Site()
    for n, work_id in enumerate((4001, 4002, 4003)):
        site.add_work(work_id, freeforms=["Engaged"], published=f"2024-0{n + 1}-01")
        give_kudos(site, work_id, *[f"r{work_id}_{i:03}" for i in range(500)])
        for i in range(50):
            comment(site, work_id, f"c{i}", f"Comment {i} on {work_id}")
        for i in range(50):
            bookmark(site, work_id, f"b{i:02}", tags=(f"tag{i % 3}",))
    return site


def start(db: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ficindex", "crawl", str(db), url + TAG, "--with", KINDS]
        + ["--base-url", url, "--rate", "25", "--concurrency", "1", "--silent"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def engagement_requests(server: AO3Server) -> list[str]:
    return [
        e.path
        for e in server.log
        if "/kudos" in e.path or "/bookmarks" in e.path or "show_comments" in e.path
    ]


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def content(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(db) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in QUERIES.items()}


def test_kill_9_mid_engagement_then_rerun_loses_nothing_and_refetches_one_page_per_kill(
    tmp_path: Path,
) -> None:
    site = busy_site()
    with AO3Server(site) as server:
        reference = tmp_path / "reference.db"
        cfg = FetchConfig(base_url=server.url, rate=200.0)
        target = parse_target(server.url + TAG, cfg)
        options = CrawlOptions(with_kinds=("kudos", "comments", "bookmarks"))
        assert run_crawl(reference, [target], cfg, options).exit_code == 0
        expected = content(reference)
        pages = len(engagement_requests(server))
        assert pages == 3 * (1 + 10 + 2 + 3)  # work page = comments page 1
        server.clear_log()

        db = tmp_path / "fics.db"
        kills = 0
        for after in (7, 25):  # mid-kudos of the first work; mid-way through the second
            proc = start(db, server.url)
            wait_for(lambda n=after: len(engagement_requests(server)) >= n)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            kills += 1
        proc = start(db, server.url)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err

    assert content(db) == expected
    fetched = Counter(engagement_requests(server))
    assert len(fetched) == pages  # every page, none missed
    twice = [path for path, n in fetched.items() if n > 1]
    assert max(fetched.values()) <= 2 and len(twice) <= kills, twice
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*) FROM kudos").fetchone()[0] == 1500
        assert conn.execute("SELECT DISTINCT state FROM crawl_engagement").fetchall() == [("done",)]


def test_ctrl_c_ends_a_long_pass_after_the_page_in_hand_and_the_rerun_goes_on(
    tmp_path: Path,
) -> None:
    """Ctrl-C finishes the page in hand, not the work's hundreds of pages; nothing is lost."""
    site = busy_site()
    db = tmp_path / "fics.db"
    with AO3Server(site) as server:
        proc = start(db, server.url)
        wait_for(lambda: len(engagement_requests(server)) >= 5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        stopped_at = len(engagement_requests(server))
        assert stopped_at <= 7  # the page in hand, perhaps one more already on its way
        with sqlite3.connect(db) as conn:
            assert conn.execute(
                "SELECT count(*) FROM crawl_engagement WHERE state = 'queued'"
            ).fetchone() >= (1,)
        proc = start(db, server.url)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    fetched = Counter(engagement_requests(server))
    assert len(fetched) == 3 * 16 and max(fetched.values()) == 1  # every page, each once
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM kudos").fetchone()[0] == 1500
