"""Listing pages and blurbs: hand-written fixtures in AO3's markup, one per quirk.

Each ``tests/fixtures/listing-*.html`` / ``blurb-*.html`` page has the full
expected record beside it (``NAME.expected.json``), written from what the page
shows. The page is parsed without a URL, so next links stay as written; the
URL-dependent rules are tested separately below.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from ficindex.parser import parse_page
from ficindex.parser.blurb import parse_blurb
from ficindex.parser.listing import is_listing, parse_listing, unreachable_works
from ficindex.record import Record

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted(
    [*FIXTURES.glob("listing-*.html"), *FIXTURES.glob("blurb-*.html")], key=lambda p: p.name
)


def _expected(page: Path) -> dict:
    return json.loads(page.with_name(page.stem + ".expected.json").read_text(encoding="utf-8"))


def _listing(name: str, url: str | None = None) -> Record:
    html = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    return parse_listing(LexborHTMLParser(html), url)


def test_every_quirk_has_a_fixture() -> None:
    assert len(PAGES) >= 20


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_fixture_parses_to_expected_record(page: Path) -> None:
    tree = LexborHTMLParser(page.read_text(encoding="utf-8"))
    assert is_listing(tree)
    assert parse_listing(tree, None).to_dict() == _expected(page)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_parse_page_gives_the_same_record(page: Path) -> None:
    assert parse_page(page.read_bytes()).to_dict() == _expected(page)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_expected_record_round_trips(page: Path) -> None:
    expected = _expected(page)
    assert Record.from_dict(expected).to_dict() == expected


def test_next_url_is_made_absolute_against_the_page_url() -> None:
    url = "https://archiveofourown.org/tags/Found%20Family/works"
    assert _listing("listing-tag-pagy-first", url).listing.next_url == (
        "https://archiveofourown.org/tags/Found%20Family/works?page=2"
    )
    search = "https://archiveofourown.org/works/search?work_search%5Bquery%5D=dragons"
    assert _listing("listing-search-results", search).listing.next_url == (
        "https://archiveofourown.org/works/search?page=2&work_search%5Bquery%5D=dragons"
    )


def test_next_url_on_a_mirror_stays_on_the_mirror() -> None:
    listing = _listing("listing-will-paginate", "http://127.0.0.1:8080/tags/X/works?page=2").listing
    assert listing.next_url == "http://127.0.0.1:8080/tags/Kataang%20Week%202020/works?page=3"


def test_last_page_has_no_next_url_even_with_a_url() -> None:
    url = "https://archiveofourown.org/tags/Found%20Family/works?page=618"
    listing = _listing("listing-tag-pagy-last", url).listing
    assert (listing.page, listing.next_url) == (618, None)


def test_pagination_wins_over_the_url_page_number() -> None:
    url = "https://archiveofourown.org/users/someuser/works?page=7"
    assert _listing("listing-user-works", url).listing.page == 2


def test_page_number_comes_from_the_url_when_the_page_has_no_pagination() -> None:
    url = "https://archiveofourown.org/series/2270001?page=3"
    assert _listing("listing-series", url).listing.page == 3
    no_page = "https://archiveofourown.org/series/2270001"
    assert _listing("listing-series", no_page).listing.page == 1


def test_bookmarks_of_series_and_external_works_are_not_works() -> None:
    tree = LexborHTMLParser((FIXTURES / "listing-bookmarks-mixed.html").read_text(encoding="utf-8"))
    blurbs = tree.css("li.bookmark.blurb")
    kinds = [parse_blurb(li).kind for li in blurbs]
    assert kinds == ["work", "work", "unknown", "unknown", "work"]


def test_bookmark_blurb_takes_the_work_date_not_the_bookmark_date() -> None:
    works = _listing("listing-bookmarks-mixed").listing.works
    assert [w.updated for w in works] == ["2025-06-09", "2019-04-27", "2007-06-25"]


def test_collection_title_links_give_the_work_id() -> None:
    works = _listing("listing-collection-works").listing.works
    assert [w.work_id for w in works] == [60000008, 60000009]
    # The filters sidebar lists tag names with counts; none of them leak into a blurb.
    assert all("Hurt/Comfort (12)" not in w.freeforms for w in works)


def test_interstitial_and_work_pages_are_not_listings() -> None:
    interstitial = """<html><body><div id="main" class="works-show region" role="main">
      <p class="caution">This work could have adult content.</p>
      <ol class="work index group"><li id="work_1" class="work blurb group work-1"></li></ol>
    </div></body></html>"""
    assert not is_listing(LexborHTMLParser(interstitial))


def test_search_form_without_results_is_not_a_listing() -> None:
    form = """<html><body><div id="main" class="works-search region" role="main">
      <h2 class="heading">Search Works</h2><form id="work-search"></form></div></body></html>"""
    assert not is_listing(LexborHTMLParser(form))


def test_fragment_without_main_is_a_listing_when_it_holds_blurbs() -> None:
    html = (FIXTURES / "listing-series.html").read_text(encoding="utf-8")
    fragment = html[html.index('<ul class="series work index group">') :]
    tree = LexborHTMLParser(fragment)
    assert is_listing(tree)
    assert [w.work_id for w in parse_listing(tree, None).listing.works] == [60000021, 60000022]


@pytest.mark.parametrize(
    ("total", "last_page", "unreachable"),
    [
        (0, 1, 0),
        (20, 1, 0),
        (21, 1, 1),
        (100_000, 5000, 0),
        (100_001, 5000, 1),
        (111_471, 5000, 11_471),
        (300, 5, 200),  # a listing capped at 5 pages, as the fake AO3's tests do
    ],
)
def test_unreachable_works_past_the_last_page_served(
    total: int, last_page: int, unreachable: int
) -> None:
    assert unreachable_works(total, last_page) == unreachable
