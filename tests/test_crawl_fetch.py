"""The network layer against the loopback fake AO3: rate, pauses, retries, redirects, caps, robots.

Every assertion reads the server's own request log or what the fetcher
returned, never a mock.
"""

from __future__ import annotations

import asyncio

import pytest

from ao3server import AO3Server, Site
from ficindex.crawl.config import ConfigError, FetchConfig
from ficindex.crawl.fetcher import Fetcher, FetchResult
from ficindex.crawl.robots import load_robots
from ficindex.crawl.targets import parse_target, work_path
from ficindex.errors import BadInput, CannotStart
from wirecheck import STAMP_NOISE, assert_within_rate


def config(server: AO3Server, **kw) -> FetchConfig:
    defaults = dict(
        base_url=server.url,
        rate=40.0,
        concurrency=4,
        max_retries=3,
        backoff_initial=0.02,
        backoff_max=0.1,
        read_timeout=2.0,
    )
    return FetchConfig(**{**defaults, **kw})


def fetch_all(cfg: FetchConfig, paths: list[str]) -> tuple[list[FetchResult], Fetcher]:
    async def go() -> tuple[list[FetchResult], Fetcher]:
        async with Fetcher(cfg) as fetcher:
            results = await asyncio.wait_for(
                asyncio.gather(*(fetcher.get(p) for p in paths)), timeout=30
            )
            return list(results), fetcher

    return asyncio.run(go())


def test_never_above_the_rate_over_any_window(ao3: AO3Server) -> None:
    """Six workers, 30 requests at 40/s: the server never sees more than the rate allows in any
    window (the exact spacing is proved on a virtual clock in test_ratelimit.py)."""
    cfg = config(ao3, rate=40.0, concurrency=6)
    results, _ = fetch_all(cfg, [work_path(1001 + i) for i in range(30)])
    assert all(r.status == 200 and r.error is None for r in results)
    assert len(ao3.log) == 30
    assert_within_rate([e.t for e in ao3.log], 40.0)


def test_user_agent_names_ficindex_version_and_project(ao3: AO3Server) -> None:
    fetch_all(config(ao3), [work_path(1001)])
    agent = ao3.log[0].headers["User-Agent"]
    assert agent.startswith("ficindex/") and "https://" in agent


def test_retry_after_pauses_every_worker_then_all_succeed(site: Site, ao3: AO3Server) -> None:
    site.add_fault("/works/", "status", status=429, retry_after="3")
    results, fetcher = fetch_all(
        config(ao3, rate=20.0, concurrency=4), [work_path(1001 + i) for i in range(40)]
    )
    assert all(r.status == 200 for r in results), [r.error for r in results]
    (first,) = [e for e in ao3.log if e.status == 429]
    assert fetcher.stats.throttled == 1 and len(ao3.log) == 41
    # Requests already on their way before the client read the 429 may arrive after it (on a
    # busy machine, up to a second later); after that, nobody until the 3 s pause is over.
    # Without the pause the 39 other requests would take 2 s at 20/s, about 20 of them here.
    quiet = (first.t + 1.0, first.t + 3.0 - 2 * STAMP_NOISE)
    during = [e for e in ao3.log if quiet[0] < e.t < quiet[1]]
    assert during == [], "a worker sent a request during another worker's Retry-After pause"
    # Halved by the 429, then 39 good answers brought it back (the steps: test_ratelimit.py).
    assert fetcher.limiter.rate == fetcher.limiter.max_rate


def test_503_retried_until_it_clears(site: Site, ao3: AO3Server) -> None:
    site.add_fault("/works/1001", "status", status=503, count=2)
    results, fetcher = fetch_all(config(ao3), [work_path(1001)])
    assert results[0].status == 200 and results[0].attempts == 3
    assert [e.status for e in ao3.log] == [503, 503, 200]
    assert fetcher.stats.retries == 2


def test_retries_stop_at_max_retries_with_a_reason(site: Site, ao3: AO3Server) -> None:
    site.add_fault("/works/1001", "status", status=503, count=None)
    results, _ = fetch_all(config(ao3, max_retries=2), [work_path(1001), work_path(1002)])
    failed, fine = results
    assert failed.error == "HTTP 503 after 3 attempts" and failed.attempts == 3
    assert fine.status == 200
    assert len(ao3.requests("/works/1001")) == 3


@pytest.mark.parametrize(
    ("kind", "expected_first"),
    [("cloudflare", 403), ("cf525", 525), ("drop", 200)],
)
def test_transient_faults_are_retried(
    site: Site, ao3: AO3Server, kind: str, expected_first: int
) -> None:
    site.add_fault("/works/1001", kind)
    results, _ = fetch_all(config(ao3), [work_path(1001)])
    assert results[0].status == 200 and results[0].error is None and results[0].attempts == 2
    assert b'<div id="chapters"' in results[0].body
    assert [e.status for e in ao3.requests("/works/1001")] == [expected_first, 200]


def test_a_hanging_response_times_out_and_is_retried(site: Site, ao3: AO3Server) -> None:
    site.add_fault("/works/1001", "hang", delay=30)
    results, _ = fetch_all(config(ao3, read_timeout=0.3), [work_path(1001)])
    assert results[0].status == 200 and results[0].attempts == 2
    assert [e.status for e in ao3.log] == [0, 200]  # the hang never answered


def test_redirect_to_another_host_is_refused(site: Site, ao3: AO3Server) -> None:
    site.add_fault("/works/1001", "redirect_offhost", count=None)
    results, fetcher = fetch_all(config(ao3), [work_path(1001)])
    assert results[0].error.startswith("redirect to another host refused: http://elsewhere")
    assert len(ao3.log) == 1 and fetcher.stats.refused_redirects == 1


def test_redirect_loop_ends(site: Site, ao3: AO3Server) -> None:
    site.add_fault("/works/1001", "redirect_loop", count=None)
    results, _ = fetch_all(config(ao3, max_redirects=3), [work_path(1001)])
    assert results[0].error.startswith("too many redirects")
    assert len(ao3.log) == 4


def test_oversize_response_is_cut_off(site: Site, ao3: AO3Server) -> None:
    site.add_fault("/works/1001", "oversize", size=400_000)
    results, _ = fetch_all(config(ao3, max_bytes=100_000), [work_path(1001)])
    assert results[0].error.startswith("response too large") and results[0].body == b""
    assert len(ao3.log) == 1  # not retried: it would be as large again


def test_restricted_work_stops_at_the_login_redirect(site: Site, ao3: AO3Server) -> None:
    site.add_work(5, restricted=True)
    results, _ = fetch_all(config(ao3), [work_path(5)])
    assert results[0].login_redirect and "restricted=true" in results[0].final_url
    assert [e.path for e in ao3.log] == [work_path(5)]  # the login form itself is not fetched


def test_robots_disallows_search_and_allows_work_pages(ao3: AO3Server) -> None:
    async def go():
        async with Fetcher(config(ao3)) as fetcher:
            return await load_robots(fetcher)

    robots = asyncio.run(go())
    assert robots.allowed(ao3.url + work_path(1001))
    assert robots.allowed(ao3.url + "/tags/Test%20Tag/works?page=2")
    assert not robots.allowed(ao3.url + "/works/search?work_search%5Bquery%5D=x")
    assert not robots.allowed(ao3.url + "/works?tag_id=Test")
    assert [e.path for e in ao3.log] == ["/robots.txt"]


def test_unreadable_robots_stops_the_run(site: Site, ao3: AO3Server) -> None:
    site.add_fault("/robots.txt", "status", status=500, count=None)

    async def go():
        async with Fetcher(config(ao3, max_retries=1)) as fetcher:
            return await load_robots(fetcher)

    with pytest.raises(CannotStart, match="robots.txt"):
        asyncio.run(go())


def test_missing_robots_allows_everything(site: Site, ao3: AO3Server) -> None:
    site.robots_txt = None

    async def go():
        async with Fetcher(config(ao3)) as fetcher:
            return await load_robots(fetcher)

    assert asyncio.run(go()).allowed(ao3.url + "/works/search?x=1")


@pytest.mark.parametrize(
    ("text", "kind", "path"),
    [
        ("123", "work", "/works/123?view_adult=true&view_full_work=true"),
        ("https://archiveofourown.org/works/9/chapters/77", "work", work_path(9)),
        ("archiveofourown.org/works/9", "work", work_path(9)),
        ("https://archiveofourown.org/collections/c/works/9", "work", work_path(9)),
        ("https://www.archiveofourown.org/tags/A B/works", "tag works", "/tags/A%20B/works"),
        ("https://archiveofourown.org/users/u/works", "user works", "/users/u/works"),
        ("https://archiveofourown.org/users/u/pseuds/p/works", "pseud works", None),
        ("https://archiveofourown.org/collections/c/works", "collection works", None),
        ("https://archiveofourown.org/series/5", "series", "/series/5"),
        ("https://archiveofourown.org/users/u/bookmarks", "bookmarks", None),
        (
            "https://archiveofourown.org/works/search?work_search%5Bquery%5D=x",
            "search results",
            None,
        ),
    ],
)
def test_targets(text: str, kind: str, path: str | None) -> None:
    target = parse_target(text, FetchConfig())
    assert target.kind == kind
    if path is not None:
        assert target.path == path


def test_listing_target_key_ignores_the_start_page() -> None:
    cfg = FetchConfig()
    a = parse_target("https://archiveofourown.org/tags/X/works?page=3", cfg)
    b = parse_target("https://archiveofourown.org/tags/X/works", cfg)
    assert a.key == b.key and a.path.endswith("page=3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("https://example.com/works/1", "not on archiveofourown.org"),
        ("ftp://archiveofourown.org/works/1", "not an http(s) URL"),
        ("abc", "neither a work id nor an AO3 URL"),
        ("0", "not an AO3 work id"),
        ("https://archiveofourown.org/tags/X", "use /tags/X/works"),
        ("https://archiveofourown.org/works", "whole archive"),
        ("https://archiveofourown.org/admin_posts", "not a page ficindex can crawl"),
    ],
)
def test_bad_targets(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_target(text, FetchConfig())


@pytest.mark.parametrize(
    ("settings", "field", "message"),
    [
        ({"rate": 0}, "rate", "rate must be a positive number of requests per second, not 0"),
        ({"rate": float("nan")}, "rate", "rate must be a positive number"),
        ({"concurrency": 0}, "concurrency", "concurrency must be at least 1, not 0"),
        ({"max_retries": -1}, "max_retries", "max_retries must be 0 or more, not -1"),
        ({"max_retries": 10**9}, "max_retries", "max_retries must be at most 100"),
        ({"concurrency": 10_000}, "concurrency", "concurrency must be at most 64, not 10,000"),
        ({"max_redirects": -1}, "max_redirects", "max_redirects must be 0 or more, not -1"),
        ({"max_bytes": 0}, "max_bytes", "max_bytes must be at least 1, not 0"),
        ({"read_timeout": float("nan")}, "read_timeout", "read_timeout must be a positive"),
        ({"connect_timeout": -1.0}, "connect_timeout", "connect_timeout must be a positive"),
        ({"backoff_max": float("inf")}, "backoff_max", "backoff_max must be a positive"),
        ({"max_retry_after": 0.0}, "max_retry_after", "max_retry_after must be a positive"),
        ({"backoff_initial": 9.0, "backoff_max": 3}, "backoff_initial", "backoff_initial must not"),
        ({"user_agent": " "}, "user_agent", "user_agent must not be empty"),
        ({"user_agent": "a\nb"}, "user_agent", "user_agent must be printable ASCII text"),
        ({"base_url": "archiveofourown.org"}, "base_url", "base_url 'archiveofourown.org' is"),
        ({"base_url": "http://u:p@h"}, "base_url", "base_url must not contain a user name"),
    ],
)
def test_bad_config_is_bad_input_naming_the_field_not_a_flag(
    settings: dict[str, object], field: str, message: str
) -> None:
    """The library names its own fields; the CLI (fetch_options) maps them to its options."""
    with pytest.raises(ConfigError) as raised:
        FetchConfig(**settings)  # type: ignore[arg-type]
    assert isinstance(raised.value, BadInput)
    assert str(raised.value).startswith(message) and "--" not in str(raised.value)
    assert raised.value.field == field
