"""``ficindex refresh`` against the loopback fake AO3, whose content changes between runs.

Each test crawls the fake site's tag (45 works, 3 listing pages, newest update
first), changes the site as authors and readers would, refreshes, and asserts
on the index and on the server's own request log.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from ao3server import AO3Server, Site
from ficindex import index as index_module
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, run_crawl
from ficindex.crawl.refresh import (
    RefreshOptions,
    RefreshResult,
    judge,
    newest_first,
    parse_age,
    run_plan,
    run_refresh,
)
from ficindex.crawl.targets import parse_target, work_path
from ficindex.errors import BadInput, CannotStart
from ficindex.lock import index_lock
from ficindex.record import Record

TAG = "/tags/Test%20Tag/works"
PAGE_2 = TAG + "?page=2"
WEEK = timedelta(days=7)
LONG_AGO = "2020-01-01T00:00:00Z"
YESTERDAY = "strftime('%Y-%m-%dT%H:%M:%SZ', {}, '-1 day')"


def config(server: AO3Server, **kw) -> FetchConfig:
    defaults = dict(rate=200.0, concurrency=4, backoff_initial=0.02, backoff_max=0.1)
    return FetchConfig(base_url=server.url, **{**defaults, **kw})


def refresh(server: AO3Server, db: Path, max_retries: int = 3, **kw) -> RefreshResult:
    return run_refresh(db, config(server, max_retries=max_retries), RefreshOptions(**kw))


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def paths(server: AO3Server) -> list[str]:
    return [e.path for e in server.log]


def work_fetches(server: AO3Server) -> list[str]:
    return [p for p in paths(server) if p.startswith("/works/")]


def history(db: Path) -> list[tuple]:
    return rows(db, "SELECT * FROM stats_history ORDER BY work, fetched_at")


def tables(db: Path) -> dict[str, list[tuple]]:
    """What a SQL user sees, timestamps included: a refresh that changes nothing writes nothing."""
    return {
        t: rows(db, f"SELECT * FROM {t} ORDER BY 1, 2")
        for t in ("works", "chapters", "stats_history", "work_tags")
    }


def age(db: Path, when: dict[int, str]) -> None:
    """Pretend these works were last fetched in full at these times."""
    with sqlite3.connect(db) as conn:
        for work_id, at in when.items():
            conn.execute(
                "UPDATE works SET last_full_fetch = ?, last_fetched = ? WHERE id = ?",
                [at, at, work_id],
            )


def crawl_tag(ao3: AO3Server, db: Path) -> Path:
    """Crawl the fake site's tag into ``db`` in full, dated yesterday; clear the request log."""
    cfg = config(ao3)
    result = run_crawl(db, [parse_target(ao3.url + TAG, cfg)], cfg, CrawlOptions())
    assert result.exit_code == 0 and result.stats.outcomes["ok"] == 45
    with sqlite3.connect(db) as conn:  # the crawl ran yesterday (history rows are per second)
        conn.execute(f"UPDATE stats_history SET fetched_at = {YESTERDAY.format('fetched_at')}")
        conn.execute(
            "UPDATE works SET "
            + ", ".join(
                f"{c} = {YESTERDAY.format(c)}"
                for c in ("first_seen", "last_fetched", "last_full_fetch")
            )
        )
    ao3.clear_log()
    return db


@pytest.fixture
def crawled(ao3: AO3Server, tmp_path: Path) -> Path:
    return crawl_tag(ao3, tmp_path / "fics.db")


def test_nothing_changed_costs_one_listing_page_and_writes_nothing(ao3: AO3Server, crawled):
    before = tables(crawled)
    result = refresh(ao3, crawled)
    assert paths(ao3) == ["/robots.txt", TAG]
    assert tables(crawled) == before  # no stats_history row, not even a timestamp moved
    assert result.requests == 2 and result.exit_code == 0
    assert result.summary().startswith(
        "refresh finished: 0 new, 0 updated, 20 unchanged, 0 deleted, 0 restricted, 0 failed; "
        "1 listing page, 2 requests, "
    )


def test_kudos_and_hits_rise_are_stored_from_the_listing_without_fetching(
    site: Site, ao3: AO3Server, crawled: Path
):
    site.works[1045].kudos += 7
    site.works[1045].hits += 90
    site.works[1030].hits += 5
    before = history(crawled)
    result = refresh(ao3, crawled)
    assert paths(ao3) == ["/robots.txt", TAG]  # the blurbs told everything
    added = sorted(set(history(crawled)) - set(before))
    assert [(r[0], r[5], r[7]) for r in added] == [  # work, kudos, hits
        (1030, site.works[1030].kudos, site.works[1030].hits),
        (1045, site.works[1045].kudos, site.works[1045].hits),
    ]
    assert rows(crawled, "SELECT kudos, hits FROM works WHERE id = 1045") == [
        (site.works[1045].kudos, site.works[1045].hits)
    ]
    assert (result.counts["updated"], result.counts["unchanged"]) == (2, 18)
    ao3.clear_log()
    refresh(ao3, crawled)  # and once stored, the same counters add nothing
    assert len(history(crawled)) == len(before) + 2


def test_a_new_chapter_fetches_the_work_in_full(site: Site, ao3: AO3Server, crawled: Path):
    site.post_chapter(1042, on="2025-03-01")
    result = refresh(ao3, crawled)
    # page 1 held a change, so page 2 was read too; page 2 was all known: the walk stopped
    assert paths(ao3) == ["/robots.txt", TAG, PAGE_2, work_path(1042)]
    assert rows(crawled, "SELECT chapters_posted, updated FROM works WHERE id = 1042") == [
        (4, "2025-03-01")
    ]
    chapters = rows(crawled, "SELECT number FROM chapters WHERE work = 1042 ORDER BY number")
    assert chapters == [(1,), (2,), (3,), (4,)]
    assert rows(crawled, "SELECT chapters_posted FROM stats_history WHERE work = 1042") == [
        (3,),
        (4,),
    ]
    assert (result.counts["updated"], result.requests) == (1, 4)


def test_a_new_work_at_the_top_of_the_tag_is_fetched(site: Site, ao3: AO3Server, crawled: Path):
    site.add_work(2001, "Brand new", freeforms=["Test Tag"], published="2025-05-01")
    result = refresh(ao3, crawled)
    assert work_fetches(ao3) == [work_path(2001)]
    assert rows(crawled, "SELECT title, status FROM works WHERE id = 2001") == [("Brand new", "ok")]
    assert result.counts["new"] == 1 and result.exit_code == 0


def test_deleted_and_restricted_works_keep_their_data_and_come_back(
    site: Site, ao3: AO3Server, crawled: Path
):
    site.works[1044].deleted = True
    site.works[1043].restricted = True
    age(crawled, {1044: LONG_AGO, 1043: LONG_AGO})
    kept_sql = "SELECT id, title, words FROM works WHERE id IN (1043, 1044) ORDER BY id"
    chapters_sql = "SELECT id, text FROM chapters WHERE work IN (1043, 1044) ORDER BY id"
    kept, chapters = rows(crawled, kept_sql), rows(crawled, chapters_sql)
    before = history(crawled)

    result = refresh(ao3, crawled, older_than=WEEK)
    # gone from the listing, so only the age pass asks for them: once each
    assert sorted(work_fetches(ao3)) == [work_path(1043), work_path(1044)]
    assert rows(crawled, "SELECT id, status FROM works WHERE id IN (1043, 1044) ORDER BY id") == [
        (1043, "restricted"),
        (1044, "deleted"),
    ]
    assert rows(crawled, kept_sql) == kept
    assert rows(crawled, chapters_sql) == chapters
    assert history(crawled) == before
    assert (result.counts["deleted"], result.counts["restricted"]) == (1, 1)

    ao3.clear_log()
    refresh(ao3, crawled, older_than=WEEK)  # just looked at: not due again
    assert work_fetches(ao3) == []

    site.works[1044].deleted = False  # back in the listing: fetched, and ok again
    site.works[1043].restricted = False
    ao3.clear_log()
    result = refresh(ao3, crawled)
    assert sorted(work_fetches(ao3)) == [work_path(1043), work_path(1044)]
    assert rows(crawled, "SELECT status FROM works WHERE id IN (1043, 1044)") == [("ok",), ("ok",)]
    assert result.counts["updated"] == 2


def test_older_than_refetches_the_oldest_first_within_max_works(ao3: AO3Server, crawled: Path):
    age(
        crawled,
        {
            1003: "2021-01-01T00:00:00Z",
            1001: "2022-01-01T00:00:00Z",
            1005: "2023-01-01T00:00:00Z",
        },
    )
    refresh(ao3, crawled, older_than=WEEK, max_works=2)
    # the listing first (unchanged: one page), then the two oldest, in a second pass
    assert paths(ao3)[:2] == ["/robots.txt", TAG]  # robots.txt once for both passes
    assert paths(ao3).count("/robots.txt") == 1 and len(paths(ao3)) == 4
    assert sorted(work_fetches(ao3)) == [work_path(1001), work_path(1003)]
    assert rows(crawled, "SELECT last_full_fetch FROM works WHERE id = 1005") == [
        ("2023-01-01T00:00:00Z",)
    ]


def test_all_walks_every_page_and_refetches_every_work(site: Site, ao3: AO3Server, crawled):
    site.works[1001].kudos += 1  # on the last page: only a full walk sees it
    refresh(ao3, crawled, everything=True)
    assert [p for p in paths(ao3) if p.startswith("/tags/")] == [TAG, PAGE_2, TAG + "?page=3"]
    assert sorted(work_fetches(ao3)) == sorted(work_path(w) for w in site.works)
    assert rows(crawled, "SELECT kudos FROM works WHERE id = 1001") == [(site.works[1001].kudos,)]


def test_metadata_only_stores_blurbs_and_fetches_no_work(site: Site, ao3: AO3Server, crawled):
    site.add_work(2001, "Brand new", freeforms=["Test Tag"], published="2025-05-01", kudos=3)
    site.works[1045].kudos += 1
    result = refresh(ao3, crawled, metadata_only=True)
    assert work_fetches(ao3) == [] and paths(ao3)[1:] == [TAG, PAGE_2]
    assert rows(crawled, "SELECT kudos, last_full_fetch FROM works WHERE id = 2001") == [(3, None)]
    assert (result.counts["new"], result.counts["updated"]) == (1, 1)


def test_dry_run_writes_nothing_and_predicts_the_cost(site: Site, ao3: AO3Server, crawled: Path):
    site.post_chapter(1042, on="2025-03-01")
    site.add_work(2001, freeforms=["Test Tag"], published="2025-05-01")
    site.works[1045].kudos += 1
    age(crawled, {1001: LONG_AGO})
    before = tables(crawled)
    frontier_before = rows(crawled, "SELECT * FROM crawl_targets")
    cfg = config(ao3)
    plan = run_plan(crawled, cfg, RefreshOptions(older_than=WEEK))
    assert plan.fetch == {
        2001: "new",
        1042: "changed",
        1001: f"last fetched in full {LONG_AGO}",
    }
    assert plan.blurbs == 1 and plan.pages == 2
    assert work_fetches(ao3) == [] and plan.requests == 3
    assert tables(crawled) == before
    assert rows(crawled, "SELECT * FROM crawl_targets") == frontier_before

    ao3.clear_log()
    result = refresh(ao3, crawled, older_than=WEEK)
    assert result.requests == plan.cost == 1 + 2 + 3  # robots.txt once, 2 pages, 3 works
    assert result.requests == len(ao3.log)


def test_refresh_takes_the_lock_before_opening_the_index(
    ao3: AO3Server, crawled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[object] = []
    real_open = index_module.open_index

    def spy(*args: object, **kw: object):
        opened.append(args[0])
        return real_open(*args, **kw)

    monkeypatch.setattr(index_module, "open_index", spy)
    with index_lock(crawled), pytest.raises(CannotStart):  # another run writes the index
        run_refresh(crawled, config(ao3), RefreshOptions())
    assert opened == [] and ao3.log == []  # neither opened (nor migrated) nor fetched
    refresh(ao3, crawled)
    assert opened == [crawled]


def test_a_failing_work_is_named_exits_1_and_is_fetched_next_time(
    site: Site, ao3: AO3Server, crawled: Path
):
    site.add_work(2001, freeforms=["Test Tag"], published="2025-05-01")
    fault = site.add_fault("/works/2001", "status", status=500, count=None)
    result = refresh(ao3, crawled, max_retries=1)
    assert result.exit_code == 1 and result.counts["failed"] == 1
    assert any(line.startswith("failed: work 2001: HTTP 500") for line in result.problems())
    site.faults.remove(fault)
    ao3.clear_log()
    result = refresh(ao3, crawled)
    assert work_fetches(ao3) == [work_path(2001)] and result.exit_code == 0
    assert rows(crawled, "SELECT status FROM works WHERE id = 2001") == [("ok",)]


def _row(**kw: object) -> dict:
    row = dict(status="ok", updated="2025-01-10", last_full_fetch="2025-02-01T10:00:00Z")
    row.update(words=100, chapters_posted=2, comments=1, kudos=5, bookmarks=0, hits=50)
    return {**row, **kw}


def _blurb(**kw: object) -> Record:
    values = dict(kind="work", work_id=1, updated="2025-01-10", words=100, chapters_posted=2)
    values.update(comments=1, kudos=5, bookmarks=0, hits=50)
    return Record(**{**values, **kw})


@pytest.mark.parametrize(
    ("blurb", "row", "verdict"),
    [
        (_blurb(), None, "new"),
        (_blurb(), _row(), "same"),
        (_blurb(kudos=6), _row(), "counters"),
        (_blurb(hits=None), _row(), "same"),  # a value the blurb does not show is no change
        (_blurb(chapters_posted=3), _row(), "changed"),
        (_blurb(updated="2025-03-01"), _row(), "changed"),
        (_blurb(updated="2025-02-01"), _row(), "changed"),  # the day of the fetch: maybe after
        # a revision date before the last full fetch (a one-shot edited): that fetch saw it
        (_blurb(updated="2025-01-20"), _row(), "same"),
        (_blurb(updated="2025-01-20"), _row(last_full_fetch=None), "changed"),
        (_blurb(), _row(status="deleted"), "changed"),  # listed again: it came back
    ],
)
def test_judge(blurb: Record, row: dict | None, verdict: str) -> None:
    assert judge(blurb, row) == verdict


def test_parse_age() -> None:
    assert parse_age("7d") == WEEK == parse_age("1w")
    assert parse_age("90m") == timedelta(minutes=90) and parse_age("1.5h") == timedelta(hours=1.5)
    for bad in ("7", "d", "7 days", "-1d", ""):
        with pytest.raises(BadInput, match="is not an age: give a number and a unit"):
            parse_age(bad)


@pytest.mark.parametrize(
    ("url", "stops"),
    [
        ("https://archiveofourown.org/tags/Fluff/works", True),
        ("https://archiveofourown.org/users/someone/works", True),
        ("https://archiveofourown.org/collections/fest/works", True),
        ("https://archiveofourown.org/users/someone/bookmarks", True),
        ("https://archiveofourown.org/series/123", False),
        ("https://archiveofourown.org/works?work_search[sort_column]=kudos_count&tag_id=X", False),
        ("https://archiveofourown.org/tags/X/works?work_search[sort_direction]=asc", False),
        ("https://archiveofourown.org/works/search?work_search[query]=x", False),
    ],
)
def test_only_listings_sorted_newest_first_stop_early(url: str, stops: bool) -> None:
    assert newest_first(parse_target(url, FetchConfig())) is stops
