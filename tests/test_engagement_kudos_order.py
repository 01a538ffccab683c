"""Kudos positions after incremental passes equal those of a full re-read.

A ``new`` kudos pass reads AO3's newest-first list from page 1 and stops after
the first page holding a login it already has; the logins on the pages it did
not read must still move down by the kudos given since, so the stored order is
the one a crawl of the same site from scratch stores. Fake AO3 pages follow
AO3's templates (AO3-MARKUP 7; no live kudos index was saved).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ao3engagement import give_kudos, reactions
from ao3server import AO3Server, Site
from test_engagement_wire import BIG, crawl, engaged_site, engagement_paths, refresh


@pytest.fixture
def site() -> Site:
    return engaged_site()


def order(db: Path, work_id: int = BIG) -> list[tuple[str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT user, position FROM kudos WHERE work = ? ORDER BY position", [work_id]
        ).fetchall()


def from_scratch(server: AO3Server, tmp_path: Path) -> list[tuple[str, int]]:
    fresh = tmp_path / "fresh.db"
    assert crawl(server, fresh, kinds=("kudos",)) == 0
    return order(fresh)


@pytest.mark.parametrize(
    ("new", "pages"),
    [
        (1, [f"/works/{BIG}/kudos"]),
        (55, [f"/works/{BIG}/kudos", f"/works/{BIG}/kudos?page=2"]),  # page 1 all new
    ],
)
def test_logins_a_new_pass_did_not_reread_move_down_as_a_full_reread_puts_them(
    new: int, pages: list[str], site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    db = tmp_path / "fics.db"
    assert crawl(ao3, db, kinds=("kudos",)) == 0
    give_kudos(site, BIG, *[f"late{i:02}" for i in range(new)])
    ao3.clear_log()
    assert refresh(ao3, db).exit_code == 0
    assert engagement_paths(ao3) == pages  # incremental: the last page was not read again
    stored = order(db)
    assert [p for _, p in stored] == list(range(60 + new))  # a strict order, no tie, no gap
    assert stored == from_scratch(ao3, tmp_path)


def test_a_login_ao3_no_longer_lists_comes_after_every_listed_one(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    """A count that fell reads every page: the listed logins get a full re-read's
    positions, the gone one (kept, with its old last_seen) the next one after them."""
    db = tmp_path / "fics.db"
    assert crawl(ao3, db, kinds=("kudos",)) == 0
    with site.lock:
        reactions(site).kudos[BIG].remove("reader30")  # the account was deleted
        site.works[BIG].kudos -= 1
    give_kudos(site, BIG, "late")
    give_kudos(site, BIG, "later")
    with site.lock:
        site.works[BIG].kudos -= 2  # as if two guests' kudos went too: the count fell
    assert refresh(ao3, db).exit_code == 0
    stored = order(db)
    assert stored[:-1] == from_scratch(ao3, tmp_path)
    assert stored[-1] == ("reader30", 61)
