"""``refresh --dry-run`` with engagement kinds states the requests the refresh then makes.

The dry run reads the same listing pages as the refresh and judges each
work's engagement passes on the counters those pages show (not only on the
counters the index holds), so a counter that moved on the fake AO3 is costed
before the real run pays for it. Each test compares the dry run's words with
the loopback server's request log of the real refresh that follows.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ao3engagement import bookmark, comment, give_kudos
from ao3server import AO3Server, Site
from test_engagement_wire import (
    BIG,
    SMALL,
    TAG,
    crawl,
    engaged_site,
    engagement_paths,
    paths,
    refresh,
)


@pytest.fixture
def site() -> Site:
    return engaged_site()


def dry_run(server: AO3Server, db: Path, *args: str) -> tuple[list[str], int]:
    """The dry run's stdout lines, and the requests it says the refresh costs in all."""
    done = subprocess.run(
        [sys.executable, "-m", "ficindex", "refresh", str(db), "--dry-run", *args]
        + ["--base-url", server.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    base = re.search(r"the refresh would cost about (\d+) requests?", text)
    extra = re.search(r"engagement pages \(--with\): about (\d+) more requests?", text)
    assert base is not None and extra is not None, text
    return text.splitlines(), int(base.group(1)) + int(extra.group(1))


def test_a_new_kudos_is_costed_from_the_listing_as_the_refresh_then_fetches_it(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    give_kudos(site, BIG, "newcomer")
    ao3.clear_log()
    lines, total = dry_run(ao3, db)
    assert paths(ao3) == ["/robots.txt", TAG]  # the dry run reads the listing only
    assert (
        lines[0]
        == f"engagement of work {BIG}: listed; engagement: kudos (new pages), 1 more request"
    )
    ao3.clear_log()
    assert refresh(ao3, db).exit_code == 0
    assert engagement_paths(ao3) == [f"/works/{BIG}/kudos"]
    assert len(paths(ao3)) == total == 3


def test_a_new_thread_and_bookmark_are_costed_as_the_refresh_fetches_them(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    bookmark(site, BIG, "latecomer")
    comment(site, BIG, "latecomer", "A new thread")
    ao3.clear_log()
    lines, total = dry_run(ao3, db)
    assert lines[0] == (
        f"engagement of work {BIG}: listed; engagement: comments (new pages), "
        "bookmarks (new pages), 2 more requests"
    )
    ao3.clear_log()
    assert refresh(ao3, db).exit_code == 0
    assert len(engagement_paths(ao3)) == 2
    assert len(paths(ao3)) == total == 4


def test_a_work_new_to_the_index_is_costed_from_its_blurb(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    db = tmp_path / "fics.db"
    assert crawl(ao3, db) == 0
    site.add_work(4001, freeforms=["Engaged"], published="2025-06-01")
    give_kudos(site, 4001, *[f"fan{i:02}" for i in range(70)])
    for i in range(21):
        bookmark(site, 4001, f"keeper{i:02}")
    ao3.clear_log()
    lines, total = dry_run(ao3, db)
    assert lines[0].startswith("fetch work 4001: new; engagement: kudos (every page), ")
    ao3.clear_log()
    assert refresh(ao3, db).exit_code == 0
    assert sorted(p for p in engagement_paths(ao3) if "show_comments" not in p) == [
        "/works/4001/bookmarks",
        "/works/4001/bookmarks?page=2",
        "/works/4001/kudos",
        "/works/4001/kudos?page=2",
    ]
    assert len(paths(ao3)) == total


def test_kinds_given_to_a_refresh_are_costed_for_every_listed_work(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    """A crawl without kinds, then ``--with kudos,bookmarks``: the unchanged listed works
    get every page too, costed from their stored counters. SMALL's one kudos costs a
    request: the fake work page has no kudos paragraph to name its giver."""
    db = tmp_path / "fics.db"
    assert crawl(ao3, db, kinds=()) == 0
    ao3.clear_log()
    lines, total = dry_run(ao3, db, "--with", "kudos,bookmarks")
    assert lines[0] == (
        f"engagement of work {BIG}: listed; engagement: kudos (every page), "
        "bookmarks (every page), 4 more requests"
    )
    assert (
        lines[1] == f"engagement of work {SMALL}: listed; engagement: kudos (every page), "
        "bookmarks (every page), 1 more request"
    )
    ao3.clear_log()
    assert refresh(ao3, db, with_kinds=("kudos", "bookmarks")).exit_code == 0
    assert len(engagement_paths(ao3)) == 5
    assert len(paths(ao3)) == total
