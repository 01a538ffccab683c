"""Which capped listings are split past AO3's cap, and how far: users, pseuds, collections,
bookmarks, and a single day split by word count, on the loopback fake AO3.

The facts about AO3 each test relies on are in its docstring, with their source in
otwarchive (otwcode/otwarchive, app/ and config/ at commit f4508f15).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ao3server import AO3Server, Site, Trigger, make_site
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, CrawlResult, run_crawl
from ficindex.crawl.targets import parse_target


def crawl(server: AO3Server, db: Path, path: str, **kw) -> CrawlResult:
    config = FetchConfig(base_url=server.url, rate=200.0, concurrency=4, backoff_initial=0.02)
    return run_crawl(db, [parse_target(server.url + path, config)], config, CrawlOptions(**kw))


def stored(db: Path) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM works WHERE status = 'ok' ORDER BY id")]


def one_owner_site(works: int, *, max_pages: int) -> Site:
    """A capped site whose works are all by user ``solo`` (pseud ``alias``), in collection
    ``big``."""
    site = make_site(works, max_pages=max_pages)
    for work in site.works.values():
        work.user, work.pseud, work.collections = "solo", "alias", ["big"]
    return site


def assert_split_and_complete(server: AO3Server, site: Site, db: Path, path: str) -> None:
    result = crawl(server, db, path, metadata_only=True)
    assert result.exit_code == 0 and result.warnings == [] and result.stats.unreachable == 0
    assert stored(db) == sorted(site.works)
    assert server.requests(path + "?work_search%5Bdate_from%5D=")
    assert not server.requests("page=6")  # every window fits: no page past the cap asked for


def test_a_capped_user_listing_is_split_by_date(tmp_path: Path) -> None:
    """``/users/U/works`` is ``WorksController#index`` too: ``load_owner`` makes the user the
    owner, ``index`` passes ``work_search`` (``work_search_params`` permits ``date_from`` and
    ``date_to``) to ``WorkSearchForm`` with ``works_parent: @owner``, and ``WorkQuery`` adds
    ``date_range_filter`` whatever the owner (works_controller.rb ``index``, ``load_owner``,
    ``work_search_params``; app/models/search/work_query.rb ``filters``, ``add_owner``;
    config/routes.rb ``resources :users do ... resources :works``)."""
    site = one_owner_site(300, max_pages=5)
    with AO3Server(site) as server:
        assert_split_and_complete(server, site, tmp_path / "i.db", "/users/solo/works")


def test_a_capped_pseud_listing_is_split_by_date(tmp_path: Path) -> None:
    """``/users/U/pseuds/P/works``: the same action, the pseud as owner (``load_owner``:
    ``@owner = @pseud || @user || @collection || @tag``; routes.rb ``resources :pseuds do
    resources :works``)."""
    site = one_owner_site(300, max_pages=5)
    with AO3Server(site) as server:
        assert_split_and_complete(server, site, tmp_path / "i.db", "/users/solo/pseuds/alias/works")


def test_a_capped_collection_listing_is_split_by_date(tmp_path: Path) -> None:
    """``/collections/C/works``: the same action, the collection as owner (``load_collection``,
    then ``load_owner``; routes.rb ``resources :collections do ... resources :works``;
    ``WorkQuery#add_owner`` filters on ``collection_ids``). robots.txt disallows none of these
    paths (public/robots.public.txt)."""
    site = one_owner_site(300, max_pages=5)
    with AO3Server(site) as server:
        assert_split_and_complete(server, site, tmp_path / "i.db", "/collections/big/works")


def day_of_many(site: Site, works: int, *, day: str = "2025-03-01") -> None:
    """``works`` works all updated on ``day``, of 1 to ``works`` chapters (so word counts vary)."""
    for n in range(works):
        work = site.add_work(5000 + n, freeforms=["Test Tag"], published=day)
        text = " ".join(["word"] * (10 * (n + 1)))
        work.chapters[0].text = text


def test_a_single_day_over_the_cap_is_split_by_word_count(tmp_path: Path) -> None:
    """A tag listing takes ``work_search[words_from]``/``[words_to]`` as it takes the dates:
    ``work_search_params`` permits them, ``WorkQuery#word_count_filter`` is an inclusive range
    (``gte``/``lte``) on ``word_count`` (works_controller.rb; work_query.rb)."""
    site = make_site(60, max_pages=5)
    day_of_many(site, 150)  # 150 works on one day, more than the 100 AO3 serves
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        result = crawl(server, db, "/tags/Test%20Tag/works", metadata_only=True)
        split = server.requests("date_to%5D=2025-03-01&work_search%5Bwords_")
    assert result.exit_code == 0 and result.warnings == [] and result.stats.unreachable == 0
    assert stored(db) == sorted(site.works) and len(split) >= 2
    with sqlite3.connect(db) as conn:
        word_windows = conn.execute(
            "SELECT count(*) FROM crawl_windows WHERE words_from != '' OR words_to != ''"
        ).fetchone()[0]
    assert word_windows >= 2


def test_works_deleted_mid_walk_shift_no_work_past_the_walk(tmp_path: Path) -> None:
    """Any listing, capped or not: 25 works deleted from the first pages while page 4 is asked
    for leave page 4 starting 25 works later, so 25 works slid back onto pages 2 and 3. The
    heading total fell by 25: the walk reads pages 2 and 3 again, then goes on."""
    site = one_owner_site(100, max_pages=5)

    def delete_the_newest(path: str) -> None:
        for work in site.visible()[:25]:
            work.deleted = True

    site.triggers.append(Trigger("/users/solo/works?page=4", delete_the_newest))
    db = tmp_path / "i.db"
    with AO3Server(site) as server:
        result = crawl(server, db, "/users/solo/works", metadata_only=True)
        pages = [e.path.partition("?")[2] for e in server.requests("/users/solo/works")]
    assert result.exit_code == 0
    assert pages == ["", "page=2", "page=3", "page=4", "page=2", "page=3"]
    assert set(stored(db)) >= {w.id for w in site.visible()}
