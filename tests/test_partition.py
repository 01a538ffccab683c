"""A tag listing past AO3's result cap, split into date windows, on the loopback fake AO3."""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ao3server import AO3Server, Trigger, make_site
from ao3site import Site
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, CrawlResult, run_crawl
from ficindex.crawl.refresh import run_plan, run_refresh
from ficindex.crawl.refresh_policy import RefreshOptions
from ficindex.crawl.targets import parse_target
from ficindex.parser.listing import capped_at

TAG = "/tags/Test%20Tag/works"


def crawl(server: AO3Server, db: Path, **kw) -> CrawlResult:
    config = FetchConfig(base_url=server.url, rate=200.0, concurrency=4, backoff_initial=0.02)
    return run_crawl(db, [parse_target(server.url + TAG, config)], config, CrawlOptions(**kw))


def stored(db: Path) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM works WHERE status = 'ok' ORDER BY id")]


def test_a_capped_tag_is_split_by_date_and_every_work_stored(tmp_path: Path) -> None:
    site = make_site(300, max_pages=5)  # 300 works, one a day; AO3 would serve 100
    with AO3Server(site) as server:
        result = crawl(server, tmp_path / "i.db", metadata_only=True)
        assert result.exit_code == 0 and result.warnings == []
        assert stored(tmp_path / "i.db") == sorted(site.works)
        windows = [e.path for e in server.requests("date_from") if "page=" not in e.path]
        # every window fits under 90 works, so no listing page past the cap was asked for
        assert not server.requests("page=6")
        # each window's page 1 is fetched at most twice: once probed, once walked
        assert max(windows.count(w) for w in windows) <= 2
        with sqlite3.connect(tmp_path / "i.db") as conn:
            probes = conn.execute("SELECT count(*) FROM crawl_windows").fetchone()[0]
        assert len(set(windows)) <= probes + 1  # the probed windows and the catch-up


def test_a_server_ignoring_the_date_filters_stops_with_one_line(tmp_path: Path) -> None:
    site = make_site(300, max_pages=5)
    site.ignore_date_filters = True
    with AO3Server(site) as server:
        db = tmp_path / "i.db"
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "ficindex",
                "crawl",
                str(db),
                "--base-url",
                server.url,
                "--rate",
                "100",
                "--metadata-only",
                server.url + TAG,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 3, run.stderr
        errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "ignored the date filters" in errors[0]
        # said at the start: what the whole listing costs at this run's rate
        assert f"{TAG}: ~300 works: about 1 minute at 100 requests/s; --metadata-only: " in (
            run.stderr
        )
        assert len(server.requests("work_search")) == 2  # one split, not an endless one


def test_the_cap_is_read_from_the_page_not_from_a_constant() -> None:
    nav = '<a href="/tags/T/works?page=2">2</a><a href="/tags/T/works?page=5">5</a>'
    assert capped_at(nav, 300, 1) == 100  # 300 works, the pagination reaches page 5
    assert capped_at(nav, 100, 1) is None
    assert capped_at(nav, 90, 5) is None
    notice = "Displaying 100000 results out of 423456. Please use the filters"
    assert capped_at(notice, 423456, 5000) == 100_000
    assert capped_at("", 7, 1) is None


def test_a_capped_user_listing_reports_what_it_cannot_reach(tmp_path: Path) -> None:
    """A user's bookmarks listing cannot be split. Bookmarks listings are
    ``BookmarksController#index``: ``bookmark_search_params`` has no
    ``date_from``/``date_to``, only ``date`` and ``bookmarkable_date``, relative ranges
    (``SearchRange``, e.g. "< 7 days") whose edges move with each request
    (bookmarks_controller.rb; app/models/search/bookmark_query.rb ``date_filter``). So a
    capped bookmarks listing is read to the cap, and the works past it are counted."""
    site = make_site(300, max_pages=5)
    site.bookmarks["reader"] = sorted(site.works, reverse=True)
    with AO3Server(site) as server:
        db = tmp_path / "i.db"
        config = FetchConfig(base_url=server.url, rate=200.0, backoff_initial=0.02)
        result = run_crawl(
            db,
            [parse_target(server.url + "/users/reader/bookmarks", config)],
            config,
            CrawlOptions(metadata_only=True),
        )
        assert not server.requests("work_search")
    assert len(stored(db)) == 100 and result.stats.unreachable == 200
    assert result.warnings == [
        "/users/reader/bookmarks: AO3 lists 300 works but stops serving pages after page 5; "
        "200 works were unreachable (split the listing, e.g. by sub-tag or date filter, "
        "to reach them)"
    ]


def post_150_new_works(site: Site) -> None:
    """Works 7000-7149, one a day in 2025: newer than every work of ``make_site``."""
    for n in range(150):
        day = (dt.date(2025, 1, 1) + dt.timedelta(days=n)).isoformat()
        site.add_work(7000 + n, freeforms=["Test Tag"], published=day)


def test_a_single_day_over_the_cap_is_reported_with_its_count(tmp_path: Path) -> None:
    """A single day over the cap is split by word count (see test_partition_listings.py); one
    whose works all have the same length cannot be split: it is read to the cap, and named."""
    site = make_site(60, max_pages=5)
    for n in range(150):  # 150 works updated on one day, all of the same length
        site.add_work(5000 + n, freeforms=["Test Tag"], published="2025-03-01")
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        result = crawl(server, db, metadata_only=True)
    assert result.stats.unreachable == 50 and len(stored(db)) == 60 + 100
    assert any(
        "150 works were updated on 2025-03-01, 39 to 39 words, more than the 100 AO3 serves; "
        "50 of them are unreachable" in w
        for w in result.warnings
    ), result.warnings


def test_a_work_updated_mid_crawl_is_caught_up_from_the_newest_window(tmp_path: Path) -> None:
    site = make_site(300, max_pages=5)
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        assert crawl(server, db, metadata_only=True, max_pages=1).exit_code == 0
        runs = 1
        while 1001 not in stored(db):  # one listing page a run, until the oldest work is read
            assert crawl(server, db, metadata_only=True, max_pages=1).exit_code == 0
            runs += 1
        assert len(stored(db)) < 300 and runs <= 6
        site.post_chapter(1001, on=dt.datetime.now(dt.UTC).date().isoformat())  # jumps to today
        server.clear_log()
        again = crawl(server, db, metadata_only=True)
        assert again.exit_code == 0 and stored(db) == sorted(site.works)
        catch_up = [e.path for e in server.requests("date_from") if "date_to" not in e.path]
        assert catch_up, "the catch-up window was not read"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT chapters_posted FROM works WHERE id = 1001").fetchone() == (2,)


def test_sigkill_mid_partition_then_rerun_fetches_nothing_twice(tmp_path: Path) -> None:
    site = make_site(300, max_pages=5)
    db = tmp_path / "i.db"
    with AO3Server(site) as server:

        def run(rate: str) -> subprocess.Popen[str]:
            return subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ficindex",
                    "crawl",
                    str(db),
                    server.url + TAG,
                    "--base-url",
                    server.url,
                    "--rate",
                    rate,
                    "--metadata-only",
                    "--silent",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )

        proc = run("20")
        deadline = time.monotonic() + 60
        while len(server.requests("work_search")) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the crawl ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        killed_at = len(server.requests("work_search"))
        proc = run("200")
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
        paths = [e.path for e in server.log if e.path.startswith(TAG)]
    assert killed_at >= 8
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT id) FROM works").fetchone() == (
            300,
            300,
        )
        assert stored(db) == sorted(site.works)
        probes = conn.execute("SELECT count(*) FROM crawl_windows").fetchone()[0]

    # A window's page 1 is probed once, walked once and, if the window has an end date,
    # checked once after all are read; any later page is walked once. Only the request in
    # flight when the run was killed may have been asked for again.
    def allowed(path: str) -> int:
        return 1 if "page=" in path else 3 if "date_to" in path else 2

    excess = sum(max(0, paths.count(p) - allowed(p)) for p in set(paths))
    assert excess <= 1 and probes >= 8


def test_metadata_only_over_a_partitioned_tag_costs_its_pages_plus_the_probes(
    tmp_path: Path,
) -> None:
    site = make_site(1000, max_pages=10)  # 1,000 works, one a day; AO3 would serve 200
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        assert crawl(server, db, metadata_only=True).exit_code == 0
        listing = server.requests(TAG)
        assert len(server.log) == len(listing) + 1  # robots.txt; no work page fetched
    assert stored(db) == sorted(site.works)
    with sqlite3.connect(db) as conn:
        probes = conn.execute("SELECT count(*) FROM crawl_windows").fetchone()[0]
        windows, pages = conn.execute(
            "SELECT count(*), sum(pages_done) FROM crawl_targets WHERE key LIKE '%?%'"
        ).fetchone()
    # The whole listing's page 1, each probe, and each window's pages, of which every page 1
    # but the catch-up's was its probe, read once; then each window with an end date checked
    # once more (a bisection's windows are half its probes plus one, the newest has no end).
    assert len(listing) == 1 + probes + pages - (windows - 1) + probes // 2
    assert pages <= 1000 / 20 + windows  # at most one part-filled page per window
    assert len(listing) / 1000 < 0.09  # 0.05 for the pages, the rest probes of a tiny cap


def test_refresh_of_a_partitioned_tag_reads_only_its_newest_pages(tmp_path: Path) -> None:
    site = make_site(300, max_pages=5)
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        assert crawl(server, db).exit_code == 0
        site.post_chapter(1001, on=dt.datetime.now(dt.UTC).date().isoformat())
        server.clear_log()
        config = FetchConfig(base_url=server.url, rate=200.0, backoff_initial=0.02)
        result = run_refresh(db, config, RefreshOptions())
        assert result.exit_code == 0
        listing = [e.path for e in server.requests(TAG)]
        works = [e.path for e in server.log if e.path.startswith("/works/")]
    # page 1 lists the updated work first; page 2, all known and unchanged, ends the walk
    assert listing == [TAG, TAG + "?page=2"]
    assert works == ["/works/1001?view_adult=true&view_full_work=true"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT chapters_posted FROM works WHERE id = 1001").fetchone() == (2,)


def test_a_synonym_tag_redirecting_without_the_filters_names_the_canonical_tag(
    tmp_path: Path,
) -> None:
    site = make_site(300, max_pages=5)
    site.synonyms["TT"] = "Test Tag"
    with AO3Server(site) as server:
        db = tmp_path / "i.db"
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "ficindex",
                "crawl",
                str(db),
                "--base-url",
                server.url,
                "--rate",
                "100",
                "--metadata-only",
                "--silent",
                server.url + "/tags/TT/works",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 3, run.stderr
        assert run.stderr.splitlines()[-1].startswith("Error: /tags/TT/works: the site answered")
        assert "crawl /tags/Test%20Tag/works instead" in run.stderr
        assert len(server.requests("work_search")) == 1  # the first probe tells


def test_a_work_leaving_a_window_mid_walk_shifts_no_work_past_the_walk(tmp_path: Path) -> None:
    """AO3-MARKUP 8.5 step 4: a work updated while its window is read leaves the window; every
    work after it moves up one place, so the first work of the next page slides back onto the
    page already read. The next page's heading total is one lower: the walk reads the page
    before it again, and misses nothing."""
    site = make_site(300, max_pages=5)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    moved: list[int] = []

    def update_the_newest_of_the_window(path: str) -> None:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(path).query).items()}
        in_window = site.search_filters([w for w in site.visible() if "Test Tag" in w.tags], query)
        moved.append(in_window[0].id)  # on page 1, already read
        site.post_chapter(in_window[0].id, on=today)

    site.triggers.append(Trigger("date_to%5D=2024-06-21&page=2", update_the_newest_of_the_window))
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        result = crawl(server, db, metadata_only=True)
        window = [e.path for e in server.requests("date_to%5D=2024-06-21")]
    assert moved, "the window the trigger names was not walked"
    assert result.exit_code == 0 and stored(db) == sorted(site.works)
    # page 1 (the probe), page 2 (one work fewer), page 1 again, then on to page 3
    first = window[0]
    assert window[:4] == [first, first + "&page=2", first + "&page=1", first + "&page=3"]
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT chapters_posted FROM works WHERE id = ?", moved).fetchone()
    assert row == (2,)  # the moved work itself is read in the newest window


def test_windows_that_do_not_add_up_to_the_listing_are_warned_about(tmp_path: Path) -> None:
    """AO3-MARKUP 8.5 step 3, the sum check: 40 works appear (old, imported) between the
    listing's page 1 and the first probe, so the windows list 340 works where the listing
    said 300. The crawl says so, and still reads every window."""
    site = make_site(300, max_pages=5)

    def import_old_works(path: str) -> None:
        for n in range(40):
            site.add_work(9000 + n, freeforms=["Test Tag"], published="2001-01-01")

    site.triggers.append(Trigger("work_search", import_old_works))
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        result = crawl(server, db, metadata_only=True)
    assert result.exit_code == 0 and stored(db) == sorted(site.works)
    assert result.warnings == [f"{TAG}: the date windows list 340 works but the listing 300"]


@pytest.mark.parametrize("everything", [False, True], ids=["refresh", "refresh --all"])
def test_a_refresh_with_more_new_works_than_the_cap_reads_on_in_the_windows(
    tmp_path: Path, everything: bool
) -> None:
    """A refresh walks the whole listing newest first; with 150 new works and a cap of 100 it
    reaches the cap, and reads the rest from the date windows below where it stopped, down
    to the first page it knows (``--all``: to the end)."""
    site = make_site(300, max_pages=5)
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        assert crawl(server, db, metadata_only=True).exit_code == 0
        post_150_new_works(site)
        server.clear_log()
        config = FetchConfig(base_url=server.url, rate=200.0, backoff_initial=0.02)
        options = RefreshOptions(metadata_only=True, everything=everything)
        result = run_refresh(db, config, options)
        listing = [e.path for e in server.requests(TAG)]
    assert result.exit_code == 0 and result.problems() == []
    assert stored(db) == sorted(site.works)
    assert listing[:5] == [TAG] + [f"{TAG}?page={n}" for n in range(2, 6)]
    assert result.counts["new"] == 150
    with sqlite3.connect(db) as conn:
        pending = conn.execute("SELECT refresh_from FROM crawl_partitions").fetchone()
    assert pending == (None,)
    if not everything:  # read on only to the first known page: one window, a page or two
        assert len(listing) <= 5 + 2 + 3
    else:  # every window read to its end: every work listed once more, about
        assert len(listing) >= 5 + 300 // 20


def test_a_refresh_cut_short_in_the_windows_goes_on_from_there(tmp_path: Path) -> None:
    site = make_site(300, max_pages=5)
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        assert crawl(server, db, metadata_only=True).exit_code == 0
        post_150_new_works(site)
        config = FetchConfig(base_url=server.url, rate=200.0, backoff_initial=0.02)
        first = run_refresh(db, config, RefreshOptions(metadata_only=True, max_pages=6))
        assert first.pages == 6 and len(stored(db)) < 450
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT refresh_from FROM crawl_partitions").fetchone() != (None,)
        server.clear_log()
        again = run_refresh(db, config, RefreshOptions(metadata_only=True))
        listing = [e.path for e in server.requests(TAG)]
    assert again.exit_code == 0 and stored(db) == sorted(site.works)
    assert listing[0] == TAG and f"{TAG}?page=5" not in listing  # known at once: no cap


def test_a_work_arriving_in_a_window_already_read_is_found_by_the_last_check(
    tmp_path: Path,
) -> None:
    """A work posted with an old date (or taken back by a deleted chapter) lands in a window
    already read: once every window is read, each window with an end date is probed again,
    and one that lists more works than its probe did is read again."""
    site = make_site(300, max_pages=5)

    def backdate(path: str) -> None:
        site.add_work(8000, freeforms=["Test Tag"], published="2024-02-01")

    first_window = "date_from%5D=2024-01-16&work_search%5Bdate_to%5D=2024-03-08"
    site.triggers.append(Trigger("date_from%5D=2024-08-13&page=2", backdate))  # the newest
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        result = crawl(server, db, metadata_only=True)
        again = [e.path for e in server.requests(first_window) if "page=" not in e.path]
        server.clear_log()
        assert crawl(server, db, metadata_only=True).exit_code == 0
        rerun = [e.path for e in server.log]
    assert result.exit_code == 0 and stored(db) == sorted(site.works)
    assert 8000 in stored(db)
    assert len(again) == 2  # probed (and walked from the probe), then checked and read again
    assert rerun == ["/robots.txt"]  # all read and checked: a rerun asks for nothing more


def test_the_dry_run_reads_on_in_the_windows_as_the_refresh_does(tmp_path: Path) -> None:
    site = make_site(300, max_pages=5)
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        assert crawl(server, db, metadata_only=True).exit_code == 0
        post_150_new_works(site)
        config = FetchConfig(base_url=server.url, rate=200.0, backoff_initial=0.02)
        options = RefreshOptions(metadata_only=True)
        server.clear_log()
        plan = run_plan(db, config, options)
        planned = [e.path for e in server.requests(TAG)]
        server.clear_log()
        result = run_refresh(db, config, options)
        read = [e.path for e in server.requests(TAG)]
    assert plan.warnings == [] and planned == read and plan.pages == result.pages == len(read)
    # The works of the day the walk reached the cap at are read twice; the dry run, storing
    # nothing, counts a blurb read twice twice.
    assert result.counts["new"] == 150 and 150 <= plan.blurbs <= 150 + 20


def test_a_window_failing_in_a_refresh_is_read_on_from_by_the_next(tmp_path: Path) -> None:
    site = make_site(300, max_pages=5)
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        assert crawl(server, db, metadata_only=True).exit_code == 0
        post_150_new_works(site)
        site.add_fault("work_search", "status", status=404)  # the first window page read on
        config = FetchConfig(base_url=server.url, rate=200.0, backoff_initial=0.02)
        first = run_refresh(db, config, RefreshOptions(metadata_only=True))
        with sqlite3.connect(db) as conn:
            kept = conn.execute("SELECT refresh_from FROM crawl_partitions").fetchone()[0]
        read = len(stored(db))
        again = run_refresh(db, config, RefreshOptions(metadata_only=True))
    assert first.exit_code == 1 and kept == "2025-02-20" and read == 300 + 100
    assert again.exit_code == 0 and stored(db) == sorted(site.works)
