"""Listing pages and blurbs saved from the live archive (``../shared/fixtures/ao3-real``).

The values asserted here were read off the pages themselves. The pages belong
to a shared data directory beside the repository; without it these tests skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from ficindex.parser.blurb import parse_blurb
from ficindex.parser.listing import (
    capped_at,
    is_listing,
    parse_listing,
    reachable_pages,
    unreachable_works,
)
from ficindex.record import Author, Record, SeriesRef

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "ao3-real"

pytestmark = pytest.mark.skipif(
    not REAL.is_dir(),
    reason="real AO3 pages not found: ../shared/fixtures/ao3-real is absent beside the repository",
)


def _tree(name: str) -> LexborHTMLParser:
    return LexborHTMLParser((REAL / name).read_bytes())


def _listing(name: str, url: str | None = None) -> Record:
    tree = _tree(name)
    assert is_listing(tree)
    return parse_listing(tree, url)


def _by_id(record: Record) -> dict[int, Record]:
    return {w.work_id: w for w in record.listing.works}


def test_bookmarks_page() -> None:
    record = _listing("nianeyna-bookmarks.html")
    assert record.kind == "listing"
    assert record.title == "20 Bookmarks by ao3downloader_ci"
    listing = record.listing
    assert (listing.total, listing.page, listing.next_url) == (20, 1, None)
    # 20 bookmarks; one is of a series (Watches 'Verse), which is not a work.
    assert len(listing.works) == 19
    assert all(w.kind == "work" for w in listing.works)
    assert 15213 not in _by_id(record)

    gift = listing.works[0]
    assert gift.work_id == 66326125
    assert gift.title == "Being An Account of An Abduction, and Its Aftermath"
    assert gift.authors == [Author(pseud="lilithqueen", user="lilithqueen")]
    assert gift.gifts == ["nianeyna"]
    assert (gift.rating, gift.warnings, gift.categories) == (
        "General Audiences",
        ["No Archive Warnings Apply"],
        ["M/M"],
    )
    assert gift.fandoms == ["Final Fantasy XIV"]
    assert gift.relationships == ["Honoroit Banlardois/Emmanellain de Fortemps"]
    assert gift.freeforms[0] == "Kidnapping" and len(gift.freeforms) == 5
    # The work's date, not the bookmarker's "19 May 2026".
    assert (gift.updated, gift.published) == ("2025-06-09", None)
    assert (gift.words, gift.chapters_posted, gift.chapters_total) == (4712, 1, 1)
    assert (gift.comments, gift.kudos, gift.bookmarks, gift.hits) == (8, 24, 6, 94)
    assert gift.summary == (
        "This isn't the first time Honoroit's been mistaken for the lord instead of the servant.\n"
        "It is the first time it's gotten him kidnapped."
    )
    assert gift.completed and not gift.restricted and gift.chapters == []

    works = _by_id(record)
    epic = works[34816549]
    assert epic.rating == "Explicit"
    assert (epic.words, epic.chapters_posted, epic.chapters_total) == (1158737, 152, 152)
    assert (epic.comments, epic.kudos) == (11925, 36317)
    assert epic.series == [
        SeriesRef(id=2627935, title="MXTX - Retellings", position=1),
        SeriesRef(id=3108957, title="No Paths Are Bound + Extras", position=1),
    ]
    assert epic.updated == "2022-09-08"

    wip = works[218676]
    assert (wip.chapters_posted, wip.chapters_total, wip.completed) == (3, None, False)
    assert works[218635].categories == []  # "No category"
    assert works[42461502].comments == 0  # no comments row at zero
    assert works[42461841].words == 0


def test_bookmarks_page_reads_all_three_cached_symbol_markups() -> None:
    record = _listing("nianeyna-bookmarks.html")
    assert all(w.rating and w.warnings for w in record.listing.works)
    assert sum(w.completed for w in record.listing.works) == 18


def test_marked_for_later_list() -> None:
    record = _listing("nianeyna-markedForLaterList.html")
    assert record.title == "Marked for Later"
    listing = record.listing
    assert (listing.total, listing.page, listing.next_url) == (2, 1, None)
    assert [w.work_id for w in listing.works] == [66326125, 334557]
    wrist = listing.works[1]
    assert wrist.title == "The World on His Wrist"
    assert wrist.categories == ["F/M", "M/M"]
    assert wrist.warnings == ["Creator Chose Not To Use Archive Warnings"]
    assert wrist.series == [SeriesRef(id=15213, title="Watches 'Verse", position=1)]
    assert (wrist.chapters_posted, wrist.chapters_total) == (8, 8)
    assert (wrist.comments, wrist.kudos, wrist.bookmarks, wrist.hits) == (314, 3696, 888, 82157)
    # "Last visited: 10 Jul 2026" belongs to the reader, not the work.
    assert listing.works[0].updated == "2025-06-09"


def test_sherlock_holmes_tag_page() -> None:
    record = _listing("fujo-tag-sherlock-holmes-works.html")
    assert record.title == "1 - 20 of 111,471 Works in Sherlock Holmes"
    listing = record.listing
    assert (listing.total, listing.page) == (111471, 1)
    assert listing.next_url == "/tags/Sherlock%20Holmes/works.html?view_adult=true&page=2"
    # The saved page holds 21 blurbs under its "1 - 20" heading.
    assert len(listing.works) == 21
    # The cap read from the page: its pagination links page 5,000, 100,000 works.
    html = (REAL / "fujo-tag-sherlock-holmes-works.html").read_text("utf-8")
    assert capped_at(html, listing.total, listing.page) == 100_000
    assert unreachable_works(listing.total, reachable_pages(html, listing.page)) == 11471

    first = listing.works[0]
    assert (first.work_id, first.title) == (77862241, "His First Kiss")
    assert first.authors == [Author(pseud="Peyton_James38", user="Peyton_James38")]
    assert (first.rating, first.categories) == ("Teen And Up Audiences", ["M/M"])
    assert first.relationships == ["Sherlock Holmes/John Watson"]
    assert first.characters == ["Sherlock Holmes", "John Watson"]
    assert (first.comments, first.kudos, first.bookmarks, first.hits) == (0, 0, 0, 0)
    assert (first.updated, first.completed) == ("2026-01-18", True)

    anonymous = _by_id(record)[72712596]
    assert anonymous.anonymous and anonymous.authors == []
    assert anonymous.fandoms == [
        "大逆転裁判 | Dai Gyakuten Saiban | The Great Ace Attorney Chronicles (Video Games)"
    ]
    assert anonymous.relationships[1] == "Asougi Kazuma & Mikotoba Susato"
    assert (anonymous.chapters_posted, anonymous.chapters_total) == (10, None)
    assert (anonymous.words, anonymous.comments, anonymous.kudos) == (10197, 4, 11)
    assert (anonymous.bookmarks, anonymous.hits) == (1, 347)
    assert (anonymous.updated, anonymous.completed) == ("2026-01-17", False)


def test_next_link_made_absolute_with_the_page_url() -> None:
    url = "https://archiveofourown.org/tags/Sherlock%20Holmes/works"
    assert _listing("fujo-tag-sherlock-holmes-works.html", url).listing.next_url == (
        "https://archiveofourown.org/tags/Sherlock%20Holmes/works.html?view_adult=true&page=2"
    )


def test_worldbuilding_tag_page() -> None:
    record = _listing("fujo-tag-worldbuilding-works.html")
    listing = record.listing
    assert (listing.total, listing.page, len(listing.works)) == (32790, 1, 20)
    assert listing.next_url == "/tags/Worldbuilding/works.html?view_adult=true&page=2"
    works = _by_id(record)

    portuguese = works[77859641]
    assert portuguese.language == "Português brasileiro"
    assert portuguese.warnings == [
        "Graphic Depictions Of Violence",
        "Major Character Death",
        "Rape/Non-Con",
        "Underage Sex",
    ]
    assert portuguese.categories == ["F/F", "F/M", "Gen", "M/M", "Multi"]
    assert (portuguese.words, portuguese.hits, portuguese.kudos) == (329, 4, 0)

    # An anonymous blurb whose li lacks the "anonymous" class: the byline text says so.
    anonymous = works[77853551]
    assert anonymous.anonymous and anonymous.authors == []
    assert (anonymous.chapters_posted, anonymous.chapters_total, anonymous.completed) == (
        9,
        None,
        False,
    )
    assert anonymous.categories == []

    assert works[76746016].language == "Español"
    wip_count = sum(1 for w in listing.works if w.chapters_total is None)
    assert wip_count == 11


def test_series_page() -> None:
    record = _listing("fujo-series-2270465.html")
    assert record.title == "OG Titan"
    listing = record.listing
    assert (listing.total, listing.page, listing.next_url) == (6, 1, None)
    assert [w.work_id for w in listing.works] == [
        30604247,
        30794750,
        30914645,
        31221131,
        35757790,
        44149795,
    ]
    assert [w.series[0].position for w in listing.works] == [1, 2, 3, 4, 5, 6]
    assert all(w.series[0].id == 2270465 for w in listing.works)
    first = listing.works[0]
    assert first.series[1] == SeriesRef(
        id=2662930, title="Personal Alternatives and the Current Reality", position=1
    )
    assert (first.words, first.kudos, first.hits) == (2733, 1541, 13186)
    assert first.updated == "2021-04-11"
    code_b = listing.works[1]
    assert (code_b.chapters_posted, code_b.chapters_total, code_b.completed) == (12, None, False)


@pytest.mark.parametrize(
    "name",
    ["nianeyna-explicitWorkLoggedOut.html", "ambtus-wip.html", "nianeyna-unlockedWork.html"],
)
def test_work_pages_and_interstitials_are_not_listings(name: str) -> None:
    assert not is_listing(_tree(name))


def test_interstitial_blurb_2024() -> None:
    blurb = parse_blurb(_tree("nianeyna-explicitWorkLoggedOut.html").css_first("li.work.blurb"))
    assert (blurb.kind, blurb.work_id) == ("work", 35369560)
    assert blurb.title == "Pray Tell Me, Sir, Whose Dog Are You?"
    assert blurb.authors == [Author(pseud="JackOfNone", user="JackOfNone")]
    assert (blurb.rating, blurb.warnings, blurb.categories) == ("Explicit", ["Underage"], ["M/M"])
    assert len(blurb.freeforms) == 11 and blurb.freeforms[-1] == "Edging"
    assert (blurb.updated, blurb.completed) == ("2021-11-27", True)
    assert (blurb.words, blurb.comments, blurb.kudos, blurb.bookmarks, blurb.hits) == (
        10042,
        4,
        64,
        14,
        631,
    )
    assert blurb.summary == "Emmanellain falls to vice; Honoroit catches him."


def test_interstitial_blurb_2022() -> None:
    blurb = parse_blurb(_tree("ambtus-wip.html").css_first("li.work.blurb"))
    assert (blurb.work_id, blurb.title) == (38044144, "Once an Ootsutsuki, always an Ootsutsuki")
    assert blurb.warnings == ["Graphic Depictions Of Violence", "Major Character Death"]
    assert (blurb.rating, blurb.categories) == ("Mature", ["Gen"])
    assert blurb.series == [SeriesRef(id=1858429, title="Naruto - time-travel/fix-it", position=9)]
    assert (blurb.chapters_posted, blurb.chapters_total, blurb.completed) == (2, 40, False)
    assert (blurb.words, blurb.hits, blurb.updated) == (4247, 1492, "2022-04-12")
    assert blurb.language == "English"
    assert blurb.summary.count("\n") == 1
