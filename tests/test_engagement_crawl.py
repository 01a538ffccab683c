"""Fetching a work's engagement pages through the real Fetcher, against a loopback server.

The server (tests/engagement_site.py) serves the template-built
``engagement-*`` fixtures by exact path; every test asserts on its request log
or on the rows stored, never on a mock. The pagination links followed are
those in the fixtures, i.e. AO3's templates (see test_engagement_parse.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

import pytest

from engagement_site import EngagementServer, EngagementSite, Route
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.engagement import (
    Engagement,
    comments_path,
    cost,
    fetch_engagement,
    parse_kinds,
    save_engagement,
    work_fetch_path,
)
from ficindex.crawl.fetcher import Fetcher, FetchResult
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
    *,
    record: Record | None = None,
    first: bool = False,
    allowed: object = None,
) -> Engagement:
    async def go(server: EngagementServer) -> Engagement:
        config = FetchConfig(base_url=server.url, rate=100.0, max_retries=0, read_timeout=5.0)
        async with Fetcher(config) as fetcher:
            first_page: FetchResult | None = None
            if first:
                first_page = await fetcher.get(work_fetch_path(W, kinds))
            rule = allowed if callable(allowed) else (lambda url: True)
            return await fetch_engagement(
                fetcher, W, kinds, record=record, first_page=first_page, allowed=rule
            )

    with EngagementServer(site) as server:
        return asyncio.run(asyncio.wait_for(go(server), timeout=60))


def test_every_page_of_every_kind_is_fetched_once_in_order() -> None:
    site = full_site()
    found = run(site, ("kudos", "comments", "bookmarks"))
    assert site.log == [
        f"/works/{W}/kudos",
        f"/works/{W}/kudos?page=2",
        comments_path(W),
        COMMENTS_2,
        "/comments/70000046",
        f"/works/{W}/bookmarks",
        f"/works/{W}/bookmarks?page=2",
    ]
    assert found.requests == 7 and found.errors == []
    assert found.kudos is not None and len(found.kudos) == 62 and found.kudos_guests == 326
    assert found.comments is not None and len(found.comments) == 1 + 6 + 3
    assert found.bookmarks is not None and len(found.bookmarks) == 5


def test_the_work_fetch_is_comment_page_one() -> None:
    """With comments asked for, the work is fetched as page 1: no second request for it."""
    site = full_site()
    found = run(site, ("comments",), first=True)
    assert site.log == [comments_path(W), COMMENTS_2, "/comments/70000046"]
    assert found.requests == 2
    ids = [c.id for c in found.comments or []]
    assert len(ids) == len(set(ids)) == 10  # the thread page's repeated root counted once
    threads = {c.id: (c.parent_id, c.thread_id) for c in found.comments or []}
    assert threads[70000046] == (70000045, 70000041)
    assert threads[70000049] == (70000046, 70000041)


def test_nothing_is_fetched_when_the_work_page_already_says_it_all() -> None:
    site = full_site()
    record = Record(kind="work", work_id=W, kudos=6, bookmarks=0)
    record.kudos_users, record.kudos_guests = ["a", "b", "c", "d", "e"], 1
    found = run(site, ("kudos", "bookmarks"), record=record)
    assert site.log == []
    assert (found.kudos, found.kudos_guests, found.bookmarks) == (["a", "b", "c", "d", "e"], 1, [])
    assert found.fetched_at.endswith("Z")  # storable even though nothing was fetched


def test_a_redirect_to_the_front_page_ends_that_kind_only() -> None:
    """Restricted or hidden works send guests from /kudos and /bookmarks to / (template fact)."""
    site = full_site()
    site.routes[f"/works/{W}/kudos"] = Route(status=302, location="/")
    site.routes["/"] = Route(b"<html><body><div id='main' class='home'></div></body></html>")
    found = run(site, ("kudos", "bookmarks"))
    assert site.log[:2] == [f"/works/{W}/kudos", "/"]
    assert found.kudos is None
    (error,) = found.errors
    assert error.endswith(f"/works/{W}/kudos: redirected to /: not visible to guests")
    assert found.bookmarks is not None and len(found.bookmarks) == 5


def test_robots_rules_are_asked_before_every_request() -> None:
    site = full_site()
    found = run(site, ("kudos", "bookmarks"), allowed=lambda url: "/bookmarks" not in url)
    assert f"/works/{W}/bookmarks" not in site.log
    assert found.bookmarks is None
    assert found.errors[-1].endswith(f"/works/{W}/bookmarks: robots.txt disallows it")


def test_a_next_link_back_to_a_page_already_fetched_stops_the_walk() -> None:
    site = full_site()
    looping = fixture("kudos-page1").replace(b"kudos?page=2", b"kudos")
    site.routes[f"/works/{W}/kudos"] = Route(looping)
    found = run(site, ("kudos",))
    assert site.log == [f"/works/{W}/kudos"]
    assert found.kudos is not None and len(found.kudos) == 50


def test_fetched_rows_are_stored(tmp_path: Path) -> None:
    found = run(full_site(), ("kudos", "comments", "bookmarks"))
    with writable_index(tmp_path / "fics.db") as db:
        import_file(db, FIXTURES / "work-full-view.html")
        assert save_engagement(db, found) == 62 + 10 + 5
        counts = [
            db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("kudos", "comments", "bookmarks")
        ]
        assert counts == [62, 10, 5]
        assert db.execute("SELECT count(DISTINCT thread) FROM comments").fetchone()[0] == 2


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
