"""A crawl job's engagement passes through the real Fetcher, against a loopback server.

The server (tests/engagement_site.py) serves the template-built
``engagement-*`` fixtures by exact path; every test asserts on its request log,
on the rows stored or on the failures the job would report, never on a mock.
The pagination links followed are those in the fixtures, i.e. AO3's templates (see
test_engagement_parse.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

import pytest
import sqlite_utils
from protego import Protego

from engagement_site import EngagementServer, EngagementSite, Route
from ficindex.crawl import frontier
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.engagement import comments_path, cost, parse_kinds, work_fetch_path
from ficindex.crawl.engagement_job import EngagementRunner
from ficindex.crawl.fetcher import Fetcher
from ficindex.crawl.robots import Robots
from ficindex.errors import BadInput
from ficindex.index import writable_index
from ficindex.loader import import_file
from ficindex.parser import parse_page
from ficindex.record import Record

FIXTURES = Path(__file__).parent / "fixtures"
REAL = Path(__file__).parents[2] / "shared" / "fixtures" / "ao3-real"
W = 51000001
COMMENTS_2 = f"/works/{W}?show_comments=true&view_adult=true&view_full_work=true&page=2"


def fixture(name: str) -> bytes:
    return (FIXTURES / f"engagement-{name}.html").read_bytes()


def full_site() -> EngagementSite:
    """Two comment pages (the second with a cut thread), two kudos and two bookmark pages."""
    return EngagementSite(
        routes={
            comments_path(W): Route(fixture("comments-page1")),
            COMMENTS_2: Route(fixture("comments-depth-cut")),
            "/comments/70000046": Route(fixture("comments-thread-page")),
            f"/works/{W}/kudos": Route(fixture("kudos-page1")),
            f"/works/{W}/kudos?page=2": Route(fixture("kudos-last-page")),
            f"/works/{W}/bookmarks": Route(fixture("bookmarks-page1")),
            f"/works/{W}/bookmarks?page=2": Route(fixture("bookmarks-one-page")),
        }
    )


def run(
    site: EngagementSite,
    kinds: Iterable[str],
    db_path: Path,
    *,
    stats: dict[str, int | None] | None = None,
    first: bool = False,
    robots: str | None = None,
    setup: str | None = None,
) -> tuple[sqlite_utils.Database, list[tuple[str, str]]]:
    """Queue the kinds' passes for W as a crawl job does and run them; (the index, failures).

    ``first``: fetch the work as the job does (comments page 1) and hand it over stored;
    ``setup``: SQL run on the index first.
    """
    kinds = tuple(kinds)
    stats = stats or {"kudos": 1388, "comments": 10, "bookmarks": 5}
    failures: list[tuple[str, str]] = []

    async def go(server: EngagementServer, db: sqlite_utils.Database) -> None:
        config = FetchConfig(base_url=server.url, rate=100.0, max_retries=0, read_timeout=5.0)
        async with Fetcher(config) as fetcher:
            rules = Robots(Protego.parse(robots) if robots else None, config.user_agent)
            runner = EngagementRunner(db, fetcher, rules, kinds, failures, asyncio.Event())
            record = Record(kind="work", work_id=W, **stats)
            with db.atomic():
                if first:
                    page = await fetcher.get(work_fetch_path(W, kinds))
                    runner.on_work(W, kinds, record, page)
                else:
                    runner.queue_due(W, kinds, stats)
            await runner.run(W)

    with writable_index(db_path) as db, EngagementServer(site) as server:
        import_file(db, FIXTURES / "work-full-view.html")
        frontier.migrate(db)
        if setup:
            with db.atomic():
                db.execute(setup)
        asyncio.run(asyncio.wait_for(go(server, db), timeout=60))
    return sqlite_utils.Database(db_path), failures


def count(db: sqlite_utils.Database, table: str) -> int:
    return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def state(db: sqlite_utils.Database, kind: str) -> tuple[str, str | None]:
    row = db.execute(
        "SELECT state, reason FROM crawl_engagement WHERE work_id = ? AND kind = ?", [W, kind]
    ).fetchone()
    return row[0], row[1]


def test_every_page_of_every_kind_is_fetched_once_in_order(tmp_path: Path) -> None:
    site = full_site()
    db, failures = run(site, ("kudos", "comments", "bookmarks"), tmp_path / "fics.db")
    assert site.log == [
        f"/works/{W}/kudos",
        f"/works/{W}/kudos?page=2",
        comments_path(W),
        COMMENTS_2,
        "/comments/70000046",
        f"/works/{W}/bookmarks",
        f"/works/{W}/bookmarks?page=2",
    ]
    assert failures == []
    assert (count(db, "kudos"), count(db, "comments"), count(db, "bookmarks")) == (62, 10, 5)
    assert db.execute("SELECT count(DISTINCT thread) FROM comments").fetchone()[0] == 2
    # Positions follow the page numbers: the last page is AO3's page 22.
    assert db.execute("SELECT min(position), max(position) FROM kudos").fetchone() == (0, 1061)
    assert [state(db, kind) for kind in ("kudos", "comments", "bookmarks")] == [("done", None)] * 3


def test_the_work_fetch_is_comment_page_one(tmp_path: Path) -> None:
    """With comments asked for, the work is fetched as page 1: no second request for it."""
    site = full_site()
    db, _ = run(site, ("comments",), tmp_path / "fics.db", first=True)
    assert site.log == [comments_path(W), COMMENTS_2, "/comments/70000046"]
    rows = db.execute("SELECT id, parent, thread FROM comments").fetchall()
    assert len(rows) == 10  # the thread page's repeated root stored once
    threads = {row[0]: (row[1], row[2]) for row in rows}
    assert threads[70000046] == (70000045, 70000041)
    assert threads[70000049] == (70000046, 70000041)


def test_nothing_is_fetched_when_the_work_page_already_says_it_all(tmp_path: Path) -> None:
    site = full_site()
    paragraph = (  # 5 logins and 1 guest: the kudos stat of 6, all named on the work page
        "UPDATE works SET kudos = 6, bookmarks = 0, kudos_guests = 1, "
        """kudos_users = '["a", "b", "c", "d", "e"]'"""
    )
    db, failures = run(
        site,
        ("kudos", "bookmarks"),
        tmp_path / "fics.db",
        stats={"kudos": 6, "comments": 0, "bookmarks": 0},
        setup=paragraph,
    )
    assert site.log == [] and failures == []
    assert [r[0] for r in db.execute("SELECT user FROM kudos ORDER BY position")] == list("abcde")
    assert state(db, "kudos") == state(db, "bookmarks") == ("done", None)


def test_a_redirect_to_the_front_page_ends_that_kind_only(tmp_path: Path) -> None:
    """Restricted or hidden works send guests from /kudos and /bookmarks to / (template fact)."""
    site = full_site()
    site.routes[f"/works/{W}/kudos"] = Route(status=302, location="/")
    site.routes["/"] = Route(b"<html><body><div id='main' class='home'></div></body></html>")
    db, failures = run(site, ("kudos", "bookmarks"), tmp_path / "fics.db")
    assert site.log[:2] == [f"/works/{W}/kudos", "/"]
    assert count(db, "kudos") == 0
    assert failures == [
        (f"work {W}", f"kudos: /works/{W}/kudos: redirected to /: not visible to guests")
    ]
    assert state(db, "kudos")[0] == "failed"
    assert count(db, "bookmarks") == 5


def test_robots_rules_are_asked_before_every_request(tmp_path: Path) -> None:
    site = full_site()
    rules = f"User-agent: *\nDisallow: /works/{W}/bookmarks\n"
    db, failures = run(site, ("kudos", "bookmarks"), tmp_path / "fics.db", robots=rules)
    assert f"/works/{W}/bookmarks" not in site.log
    assert count(db, "bookmarks") == 0
    assert failures == [(f"work {W}", f"bookmarks: /works/{W}/bookmarks: robots.txt disallows it")]


def test_a_next_link_back_to_a_page_already_fetched_stops_the_walk(tmp_path: Path) -> None:
    site = full_site()
    looping = fixture("kudos-page1").replace(b"kudos?page=2", b"kudos?page=1")
    site.routes[f"/works/{W}/kudos"] = Route(looping)
    db, _ = run(site, ("kudos",), tmp_path / "fics.db")
    assert site.log == [f"/works/{W}/kudos"]
    assert count(db, "kudos") == 50 and state(db, "kudos") == ("done", None)


def test_cost_matches_the_issue_example() -> None:
    """57 comments, 3,025 kudos (1,246 guests) and 712 bookmarks: 2 + 36 + 36 = 74."""
    assert cost(3025, 57, 712, kudos_guests=1246) == 74
    assert cost(3025, 57, 712, kudos_guests=1246, kinds=("comments",)) == 2
    assert cost(40, 20, 0, kudos_guests=0) == 0  # every login on the work page, one thread page
    assert cost(None, None, None) == 0


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/fixtures/ao3-real is not present")
def test_cost_of_the_real_2018_page_from_its_own_record() -> None:
    r = parse_page((REAL / "ambtus-wheel-kudos-legacy-2018.html").read_bytes())
    assert (r.comments, r.kudos, r.bookmarks, r.kudos_guests) == (57, 3025, 712, 1246)
    assert cost(r.kudos, r.comments, r.bookmarks, kudos_guests=r.kudos_guests) == 74


def test_with_option_values() -> None:
    assert parse_kinds("bookmarks, Kudos") == ("kudos", "bookmarks")
    assert work_fetch_path(W, ("kudos",)) == f"/works/{W}?view_adult=true&view_full_work=true"
    for bad in ("", "kudos,likes", ","):
        with pytest.raises(BadInput, match="comma-separated subset"):
            parse_kinds(bad)
