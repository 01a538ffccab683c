"""``crawl --with`` and ``refresh`` fetching engagement pages from the loopback fake AO3.

The fake AO3 (tests/ao3server.py) serves kudos, bookmark and comment pages
built from AO3's templates (tests/ao3engagement.py; AO3-MARKUP 7: no live
page exists, so the markup facts are template facts). Every test asserts on
the server's request log, the index's rows, or the command's exit code and
output, never on a mock.
"""

from __future__ import annotations

import io
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from ao3engagement import bookmark, comment, give_kudos
from ao3server import AO3Server, Site
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, run_crawl
from ficindex.crawl.refresh import RefreshOptions, RefreshResult, run_refresh
from ficindex.crawl.targets import parse_target
from ficindex.progress import Progress

TAG = "/tags/Engaged/works"
ALL = ("kudos", "comments", "bookmarks")
BIG, SMALL, QUIET = 3001, 3002, 3003
FULL = "?view_full_work=true&show_comments=true&view_adult=true"
#: comments page N as the next links of AO3's template write it (query sorted, page added)
LATER = "?show_comments=true&view_adult=true&view_full_work=true&page={}"


def engaged_site() -> Site:
    """BIG: 2 chapters, 60 logins + 5 guests (2 kudos pages), 25 threads and a reply (2 comment
    pages), 22 bookmarks (2 pages). SMALL: Explicit, one kudos. QUIET: nothing."""
    site = Site()
    site.add_work(BIG, chapters=2, freeforms=["Engaged"], published="2024-03-01")
    site.add_work(SMALL, freeforms=["Engaged"], rating="Explicit", published="2024-02-01")
    site.add_work(QUIET, freeforms=["Engaged"], published="2024-01-01")
    give_kudos(site, BIG, *[f"reader{i:02}" for i in range(60)])
    site.works[BIG].kudos += 5  # guests
    last = 0
    for i in range(25):
        last = comment(site, BIG, f"commenter{i}", f"Thread {i}")
    comment(site, BIG, "replier", "A reply", reply_to=last)
    for i in range(22):
        bookmark(site, BIG, f"marker{i:02}", tags=("favourite",), notes=f"note {i}")
    give_kudos(site, SMALL, "solo")
    return site


@pytest.fixture
def site() -> Site:
    return engaged_site()


def config(server: AO3Server, **kw: object) -> FetchConfig:
    defaults: dict[str, object] = dict(rate=200.0, concurrency=2, backoff_initial=0.02)
    return FetchConfig(base_url=server.url, **{**defaults, **kw})  # type: ignore[arg-type]


def crawl(server: AO3Server, db: Path, kinds: tuple[str, ...] = ALL, **kw: object) -> int:
    cfg = config(server, **kw)
    target = parse_target(server.url + TAG, cfg)
    return run_crawl(db, [target], cfg, CrawlOptions(with_kinds=kinds)).exit_code


def refresh(server: AO3Server, db: Path, max_retries: int = 5, **kw: object) -> RefreshResult:
    cfg = config(server, max_retries=max_retries)
    return run_refresh(db, cfg, RefreshOptions(**kw))  # type: ignore[arg-type]


def rows(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def paths(server: AO3Server) -> list[str]:
    return [entry.path for entry in server.log]


def engagement_paths(server: AO3Server) -> list[str]:
    """Every request but robots.txt, listing pages and plain work fetches."""
    return [
        p
        for p in paths(server)
        if "/kudos" in p or "/bookmarks" in p or "show_comments" in p or p.startswith("/comments/")
    ]


def stored(db: Path) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        rows(db, f"SELECT count(*) FROM {table}")[0][0]
        for table in ("kudos", "comments", "bookmarks")
    )


def test_crawl_with_every_kind_fetches_each_page_once(ao3: AO3Server, tmp_path: Path) -> None:
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    log = paths(ao3)
    assert Counter(log).most_common(1)[0][1] == 1  # no page twice
    # The work fetch is comments page 1: no plain work fetch, no second request for page 1.
    work_fetches = [p for p in log if re.fullmatch(r"/works/\d+(\?.*)?", p) and "page=" not in p]
    assert sorted(work_fetches) == [f"/works/{w}{FULL}" for w in (BIG, SMALL, QUIET)]
    assert sorted(engagement_paths(ao3)) == sorted(
        [f"/works/{w}{FULL}" for w in (BIG, SMALL, QUIET)]
        + [f"/works/{BIG}{LATER.format(2)}"]
        + [f"/works/{BIG}/kudos", f"/works/{BIG}/kudos?page=2", f"/works/{SMALL}/kudos"]
        + [f"/works/{BIG}/bookmarks", f"/works/{BIG}/bookmarks?page=2"]
    )
    assert stored(db) == (61, 27 - 1, 22)
    assert rows(db, "SELECT count(*) FROM comments WHERE parent IS NOT NULL") == [(1,)]
    assert rows(db, "SELECT user FROM kudos WHERE work = ? AND position = 0", BIG) == [
        ("reader59",)
    ]
    assert rows(db, "SELECT tag, count(*) FROM bookmark_tags GROUP BY tag") == [("favourite", 22)]
    assert rows(db, "SELECT engagement FROM crawl_targets") == [("kudos,comments,bookmarks",)]
    assert rows(db, "SELECT DISTINCT state FROM crawl_engagement") == [("done",)]


def test_a_crawl_without_with_fetches_no_engagement_page(ao3: AO3Server, tmp_path: Path) -> None:
    db = tmp_path / "fics.db"
    assert crawl(ao3, db, kinds=()) == 0
    assert engagement_paths(ao3) == []
    assert stored(db) == (0, 0, 0)
    assert rows(db, "SELECT engagement FROM crawl_targets") == [("",)]


def test_refresh_keeps_the_kinds_and_fetches_only_what_moved(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0

    ao3.clear_log()
    assert refresh(ao3, db).exit_code == 0  # no --with: the target remembers its kinds
    assert paths(ao3) == ["/robots.txt", TAG]  # no counter moved: no work, no engagement page

    ao3.clear_log()
    give_kudos(site, BIG, "newcomer")
    assert refresh(ao3, db).exit_code == 0
    assert engagement_paths(ao3) == [f"/works/{BIG}/kudos"]  # newest first; page 1 knows the rest
    assert rows(db, "SELECT user FROM kudos WHERE work = ? AND position = 0", BIG) == [
        ("newcomer",)
    ]

    ao3.clear_log()
    bookmark(site, BIG, "latecomer")
    comment(site, BIG, "latecomer", "A new thread")
    assert refresh(ao3, db).exit_code == 0
    # Threads are oldest first: the new one is on the last page, where the known ones ended.
    assert engagement_paths(ao3) == [f"/works/{BIG}{FULL}&page=2", f"/works/{BIG}/bookmarks"]
    assert stored(db) == (62, 27, 23)
    assert rows(db, "SELECT count(*) FROM crawl_engagement WHERE state != 'done'") == [(0,)]


def test_a_reply_to_an_old_thread_makes_the_comments_pass_read_every_page(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    """The stat counts replies, which land in any thread: short of it, read them all."""
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    first_thread = rows(db, "SELECT min(id) FROM comments WHERE work = ?", BIG)[0][0]
    ao3.clear_log()
    comment(site, BIG, "oldtimer", "Late reply", reply_to=first_thread)
    assert refresh(ao3, db).exit_code == 0
    assert engagement_paths(ao3) == [
        f"/works/{BIG}{FULL}&page=2",
        f"/works/{BIG}{FULL}",
        f"/works/{BIG}{LATER.format(2)}",
    ]
    assert rows(db, "SELECT parent FROM comments WHERE text = 'Late reply'") == [(first_thread,)]


def test_a_reply_on_page_1_of_a_work_fetched_again_costs_no_second_pass(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    """The re-fetch of an updated work is comments page 1: its replies count for free."""
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    first_thread = rows(db, "SELECT min(id) FROM comments WHERE work = ?", BIG)[0][0]
    ao3.clear_log()
    site.post_chapter(BIG, on="2025-01-01")
    comment(site, BIG, "oldtimer", "Late reply", reply_to=first_thread)
    assert refresh(ao3, db).exit_code == 0
    assert engagement_paths(ao3) == [f"/works/{BIG}{FULL}", f"/works/{BIG}{FULL}&page=2"]
    assert rows(db, "SELECT parent FROM comments WHERE text = 'Late reply'") == [(first_thread,)]


def test_refresh_with_adds_kinds_that_later_refreshes_keep(ao3: AO3Server, tmp_path: Path) -> None:
    db = tmp_path / "fics.db"
    assert crawl(ao3, db, kinds=()) == 0
    ao3.clear_log()
    assert refresh(ao3, db, with_kinds=("bookmarks",)).exit_code == 0
    assert engagement_paths(ao3) == [f"/works/{BIG}/bookmarks", f"/works/{BIG}/bookmarks?page=2"]
    assert rows(db, "SELECT engagement FROM crawl_targets") == [("bookmarks",)]
    ao3.clear_log()
    assert refresh(ao3, db).exit_code == 0
    assert engagement_paths(ao3) == []


def test_one_works_failed_page_is_that_works_failure_and_the_rerun_resumes_there(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    db = tmp_path / "fics.db"
    site.add_fault(f"/works/{BIG}/kudos?page=2", "status", status=500, count=1)
    cfg = config(ao3, max_retries=0)
    result = run_crawl(db, [parse_target(ao3.url + TAG, cfg)], cfg, CrawlOptions(with_kinds=ALL))
    assert result.exit_code == 1
    ((what, why),) = result.stats.failures
    assert what == f"work {BIG}" and why.startswith(f"kudos: /works/{BIG}/kudos?page=2: HTTP 500")
    # The work itself, its comments and bookmarks, and the other works are stored.
    assert rows(db, "SELECT count(*) FROM crawl_works WHERE state = 'done'") == [(3,)]
    assert stored(db) == (51, 26, 22)
    assert rows(
        db, "SELECT state FROM crawl_engagement WHERE work_id = ? AND kind = 'kudos'", BIG
    ) == [("failed",)]
    ao3.clear_log()
    assert crawl(ao3, db) == 0  # rerunning retries from the page that failed
    assert engagement_paths(ao3) == [f"/works/{BIG}/kudos?page=2"]
    assert stored(db) == (61, 26, 22)


def test_robots_rules_apply_to_engagement_pages(site: Site, ao3: AO3Server, tmp_path: Path) -> None:
    site.robots_txt = (site.robots_txt or "") + "Disallow: /works/3001/bookmarks\n"
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 1
    assert not [p for p in paths(ao3) if "/bookmarks" in p]
    assert rows(
        db, "SELECT reason FROM crawl_engagement WHERE kind = 'bookmarks' AND work_id = ?", BIG
    ) == [(f"/works/{BIG}/bookmarks: robots.txt disallows it",)]


def test_the_opening_estimate_states_the_extra_cost(ao3: AO3Server, tmp_path: Path) -> None:
    stream = io.StringIO()
    cfg = config(ao3, rate=100.0)
    run_crawl(
        tmp_path / "fics.db",
        [parse_target(ao3.url + TAG, cfg)],
        cfg,
        CrawlOptions(with_kinds=ALL),
        progress=Progress(stream, label="crawl"),
    )
    # Page 1's works cost 2 + 1 + 2 (BIG: kudos, comments past page 1, bookmarks) and 0, 0.
    assert (
        "--with kudos,comments,bookmarks: about 5 more requests (about 1 minute more), "
        "judged from the 3 works of page 1"
    ) in stream.getvalue()


# --- the command line ---------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ficindex", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("command", ["crawl", "refresh"])
def test_a_bad_kind_is_one_error_line_and_exit_2(
    command: str, ao3: AO3Server, tmp_path: Path
) -> None:
    db = tmp_path / "fics.db"
    if command == "refresh":
        assert crawl(ao3, db, kinds=()) == 0
    ao3.clear_log()
    targets = [ao3.url + TAG] if command == "crawl" else []
    done = cli(command, str(db), *targets, "--with", "kudos,likes", "--base-url", ao3.url)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "Error: --with: engagement kinds are a comma-separated subset of "
        "kudos,comments,bookmarks, not 'kudos,likes'; e.g. kudos,comments"
    ]
    assert paths(ao3) == []


def test_help_says_what_with_costs() -> None:
    for command in ("crawl", "refresh"):
        text = " ".join(cli(command, "--help").stdout.split())
        assert "--with KINDS" in text
        assert "kudos,comments,bookmarks" in text and "costs 74" in text


def test_crawl_with_on_the_command_line(ao3: AO3Server, tmp_path: Path) -> None:
    db = tmp_path / "fics.db"
    url = ao3.url
    done = cli(
        "crawl", str(db), url + TAG, "--with", "comments", "--base-url", url, "--rate", "100"
    )
    assert done.returncode == 0, done.stderr
    assert "--with comments: about 1 more request" in done.stderr
    assert stored(db) == (0, 26, 0)
    assert not [p for p in paths(ao3) if "/kudos" in p or "/bookmarks" in p]


def test_refresh_dry_run_states_the_engagement_cost(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    """Costed from the stats the listing shows and the index holds: 65 kudos (no guest count
    on these pages) are 2 kudos pages, 22 bookmarks 2 bookmark pages; SMALL, listed and
    unchanged, gets its one kudos page (the fake work page names no giver)."""
    db = tmp_path / "fics.db"
    assert crawl(ao3, db, kinds=()) == 0
    site.post_chapter(BIG, on="2025-01-01")  # changed: the refresh fetches it again
    ao3.clear_log()
    done = cli("refresh", str(db), "--dry-run", "--with", "kudos,bookmarks", "--base-url", ao3.url)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        f"fetch work {BIG}: changed; engagement: kudos (every page), bookmarks (every page), "
        "4 more requests"
    )
    assert lines[-1] == (
        "engagement pages (--with): about 5 more requests for 2 works, from the counts on "
        "the listing pages and in the index (not foreseeable: a reply to an old thread makes "
        "a comments pass read every page again)"
    )
    assert engagement_paths(ao3) == []  # the dry run reads listing pages only
    assert rows(db, "SELECT engagement FROM crawl_targets") == [("",)]  # and writes nothing


def test_the_api_refuses_an_unknown_kind_before_any_request(ao3: AO3Server, tmp_path: Path) -> None:
    import ficindex
    from ficindex.errors import BadInput

    options = ficindex.CrawlOptions(with_kinds=("likes",))
    with pytest.raises(BadInput, match="comma-separated subset of kudos,comments,bookmarks"):
        ficindex.run_crawl(tmp_path / "fics.db", [ao3.url + TAG], options, config=config(ao3))
    assert paths(ao3) == []
    assert not (tmp_path / "fics.db").exists()


def test_a_date_window_of_a_split_listing_has_its_listings_kinds(tmp_path: Path) -> None:
    """Works found through a window are queued under the window's key; refresh's re-fetch
    pass reads their kinds from it, so a window must answer with its listing's kinds."""
    from ficindex.crawl import frontier
    from ficindex.crawl.engagement_queue import target_kinds
    from ficindex.crawl.targets import Target
    from ficindex.index import writable_index

    with writable_index(tmp_path / "fics.db") as db:
        frontier.migrate(db)
        with db.atomic():
            listing = Target("tag works", TAG, TAG)
            frontier.add_target(db, listing, at="2026-01-01T00:00:00Z", engagement="kudos")
            other = "/tags/Engaged%20Too/works"
            frontier.add_target(db, Target("tag works", other, other), at="2026-01-01T00:00:00Z")
        window = TAG + "?work_search%5Bdate_from%5D=2024-01-01"
        assert target_kinds(db, window) == ("kudos",)
        assert target_kinds(db, TAG) == ("kudos",)
        assert target_kinds(db, other) == ()
        assert target_kinds(db, "/tags/Engaged/works2") == ()  # a prefix is not a window


def test_a_work_deleted_since_has_its_unfinished_passes_dropped(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    from datetime import timedelta

    db = tmp_path / "fics.db"
    site.add_fault(f"/works/{BIG}/kudos?page=2", "status", status=500, count=1)
    cfg = config(ao3, max_retries=0)
    run_crawl(db, [parse_target(ao3.url + TAG, cfg)], cfg, CrawlOptions(with_kinds=ALL))
    site.works[BIG].deleted = True
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE works SET last_full_fetch = '2020-01-01T00:00:00Z'")
    refresh(ao3, db, older_than=timedelta(days=7))  # the re-fetch finds the work gone: 404
    assert rows(db, "SELECT status FROM works WHERE id = ?", BIG) == [("deleted",)]
    ao3.clear_log()
    assert refresh(ao3, db).exit_code == 0
    assert engagement_paths(ao3) == []
    assert rows(db, "SELECT count(*) FROM crawl_engagement WHERE state != 'done'") == [(0,)]
    assert stored(db)[0] == 51  # what was stored is kept


def test_with_on_a_work_already_crawled_fetches_its_pages_not_the_work(
    ao3: AO3Server, tmp_path: Path
) -> None:
    db = tmp_path / "fics.db"
    cfg = config(ao3)
    target = [parse_target(str(BIG), cfg)]
    assert run_crawl(db, target, cfg, CrawlOptions()).exit_code == 0
    ao3.clear_log()
    assert run_crawl(db, target, cfg, CrawlOptions(with_kinds=("kudos",))).exit_code == 0
    assert paths(ao3) == ["/robots.txt", f"/works/{BIG}/kudos", f"/works/{BIG}/kudos?page=2"]
    assert stored(db) == (60, 0, 0)


def test_the_estimate_of_a_resumed_walk_states_the_rule_of_the_kinds_asked() -> None:
    """A walk resumed past page 1 has no works to judge from: the rule, for the kinds given."""
    from ficindex.crawl.engagement_plan import listing_estimate

    assert listing_estimate(("comments",), 500, [], 0.2) == (
        "; --with comments: 1 more request per 20 comment threads of each work"
    )
    assert listing_estimate((), 500, [], 0.2) == ""


def test_a_count_that_fell_reads_every_page_again(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    """A bookmark deleted on AO3: every page is read, and the gone one is left behind."""
    from ao3engagement import reactions

    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE bookmarks SET last_seen = '2020-01-01T00:00:00Z'")
    with site.lock:
        reactions(site).bookmarks[BIG].pop()  # the oldest bookmark, on the last page
        site.works[BIG].bookmarks -= 1
    ao3.clear_log()
    assert refresh(ao3, db).exit_code == 0
    assert engagement_paths(ao3) == [f"/works/{BIG}/bookmarks", f"/works/{BIG}/bookmarks?page=2"]
    behind = "SELECT user FROM bookmarks WHERE last_seen = '2020-01-01T00:00:00Z'"
    assert rows(db, behind) == [("marker00",)]


def test_a_new_comments_pass_starting_past_the_last_page_reads_every_page(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    """Threads deleted since: the page where the known threads ended is now past the end,
    answered empty or, as here, with a 404; not a failure, but a reason to read every page."""
    from ao3engagement import reactions

    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    with site.lock:
        threads = reactions(site).threads[BIG]
        del threads[1:7]  # six threads without replies, gone from AO3
        site.works[BIG].comments -= 6
    first = threads[0].id
    for i in range(6):
        comment(site, BIG, f"fan{i}", f"Reply {i}", reply_to=first)
    comment(site, BIG, "newcomer", "A new thread")  # 20 threads now: one page; 27 comments
    site.add_fault(f"/works/{BIG}{FULL}&page=2", "status", status=404, count=None)
    ao3.clear_log()
    assert refresh(ao3, db, max_retries=0).exit_code == 0
    assert engagement_paths(ao3) == [f"/works/{BIG}{FULL}&page=2", f"/works/{BIG}{FULL}"]
    assert rows(db, "SELECT count(*) FROM comments WHERE text LIKE 'Reply %'") == [(6,)]
    assert rows(db, "SELECT count(*) FROM comments WHERE text = 'A new thread'") == [(1,)]
