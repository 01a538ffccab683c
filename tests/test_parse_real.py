"""The parser against real pages saved from archiveofourown.org (../shared/fixtures/ao3-real).

Every value asserted here was read off the saved page by hand. The listing
pages belong to the listing parser's tests; here only their kind is checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ficindex.parser import parse_file
from ficindex.record import Author, CollectionRef, Record, SeriesRef

SHARED = Path(__file__).parents[1].parent / "shared"
REAL = SHARED / "fixtures" / "ao3-real"

pytestmark = pytest.mark.skipif(
    not REAL.is_dir(), reason="../shared/fixtures/ao3-real (real saved AO3 pages) is not present"
)


def parse(name: str) -> Record:
    return parse_file(REAL / name)


def test_single_chapter_work_with_skin_series_and_end_notes() -> None:
    r = parse("nianeyna-unlockedWork.html")
    assert (r.kind, r.work_id) == ("work", 41822007)
    assert r.title == "so I open the window to hear sounds of people"
    assert r.authors == [Author("oriflamme", "oriflamme")]
    assert r.rating == "Teen And Up Audiences"
    assert r.fandoms == ["The Locked Tomb Series | Gideon the Ninth Series - Tamsyn Muir"]
    assert r.series == [SeriesRef(3196530, "it's about the bones 👌", 3)]
    assert (r.published, r.updated, r.completed) == ("2022-09-20", "2022-09-20", True)
    assert (r.words, r.chapters_posted, r.chapters_total) == (5688, 1, 1)
    assert (r.comments, r.kudos, r.bookmarks, r.hits) == (88, 671, 192, 4370)
    assert r.notes is None  # the notes module holds only "(See the end of the work ...)"
    assert r.end_notes.startswith("I'm not sourcing all the memes")
    assert len(r.chapters) == 1 and r.chapters[0].title is None
    text = r.chapters[0].text
    assert text.startswith("1. If you find yourself in a hole, stop digging.\n2. When you")
    assert "#workskin" not in text and "Work Text" not in text


def test_single_chapter_work_without_skin() -> None:
    r = parse("nianeyna-unlockedWorkNoSkin.html")
    assert (r.work_id, r.title) == (23009290, "My Aim Is Steady And True")
    assert r.authors == [Author("nianeyna", "nianeyna")]
    assert r.notes == "Beta'd by the inimitable Cascaper."
    assert r.chapters[0].text.startswith("Their contact was late.\nSo was Emmanellain")


def test_full_work_view_with_ten_chapters_and_collections() -> None:
    r = parse("nianeyna-explicitWorkLoggedIn.html")
    assert (r.kind, r.work_id, r.title) == ("work", 20907563, "Monster Fucker October")
    assert r.rating == "Explicit"
    assert r.categories == ["F/M", "M/M", "Other", "F/F"]
    assert "Mild S&M" in r.freeforms and "Hand & Finger Kink" in r.freeforms
    assert r.collections == [
        CollectionRef("Explicit_Fandom", "Explicit Stories"),
        CollectionRef("Meow_faves", "Meow Meow Faves"),
    ]
    assert (r.published, r.updated, r.completed) == ("2019-10-05", "2020-05-27", False)
    assert (r.chapters_posted, r.chapters_total, r.words) == (10, None, 13800)
    assert (r.comments, r.kudos, r.bookmarks, r.hits) == (198, 7161, 551, 562700)
    assert [c.number for c in r.chapters] == list(range(1, 11))
    assert r.chapters[0].chapter_id == 49701338
    assert r.chapters[0].title == "Female Reader/Male Werewolf"
    assert r.chapters[9].title == "Gender Neutral Reader/Spider Monster Thing"
    assert r.chapters[0].summary.startswith("Warnings: Bondage, dubcon and oral sex.")
    assert all("Chapter Text" not in c.text.split("\n")[0] for c in r.chapters)
    assert r.chapters[0].text.startswith("You tugged against the rope tied around your wrists")


def test_chapter_view_with_two_series_and_a_collection() -> None:
    r = parse("nianeyna-multipleSeries.html")
    assert (r.kind, r.work_id) == ("work", 41214669)
    assert r.title == "Permablocking Specific Tags - Site Skin"
    assert r.series == [
        SeriesRef(3078150, "AO3 Skins", 1),
        SeriesRef(3078153, ":has() selector", 1),
    ]
    assert r.collections == [CollectionRef("Ao3skin", "Ao3 Skins")]
    assert (r.updated, r.completed, r.chapters_posted, r.chapters_total) == (
        "2023-08-10",
        True,
        3,
        3,
    )
    assert r.summary.startswith("It finally exists.  You can block any tag")  # as typed
    assert len(r.chapters) == 1
    chapter = r.chapters[0]
    assert (chapter.number, chapter.chapter_id, chapter.title) == (1, 103324848, None)
    assert chapter.text.startswith("Hey, so there is a new thing in the web developer world")


def test_later_chapter_view_has_no_work_summary() -> None:
    r = parse("fujo-work-17793689-chapter.html")
    assert (r.work_id, r.chapters_posted, r.chapters_total) == (17793689, 14, None)
    assert r.summary is None
    assert r.series == [SeriesRef(1285256, "Thedas Unveiled", 1)]
    [chapter] = r.chapters
    assert (chapter.number, chapter.chapter_id) == (2, 42035519)
    assert chapter.title == "The College of Enchanters: New Haven"
    assert chapter.summary.startswith("In which Fenina accidentally runs into someone")
    assert chapter.notes.startswith("Another quickly written chapter")
    assert "#workskin" not in chapter.text


def test_first_chapter_view_of_a_work_in_progress() -> None:
    r = parse("fujo-work-17793689.html")
    assert (r.work_id, r.completed, r.updated) == (17793689, False, "2019-12-28")
    assert (r.comments, r.kudos, r.bookmarks, r.hits, r.words) == (138, 96, 21, 1559, 70561)
    assert r.summary.startswith("A Modern Thedas AU, in which Fen'Harel")
    [chapter] = r.chapters
    assert (chapter.number, chapter.chapter_id, chapter.title) == (1, 41980418, "The Guild")
    assert chapter.end_notes.startswith("Fen'Harel shal em - Fen'Harel save me")


def test_restricted_work_seen_logged_in_shows_the_lock() -> None:
    r = parse("nianeyna-lockedWorkLoggedIn.html")
    assert (r.kind, r.work_id, r.restricted) == ("work", 185710, True)
    assert r.title == "Big Brother Is Watching You"  # the lock image's alt text is not in it
    # The translation link names another work and its translator: neither leaks in.
    assert r.authors == [Author("Flawedamythyst", "Flawedamythyst")]
    assert r.fandoms == ["Sherlock (TV)", "Sherlock Holmes & Related Fandoms"]
    assert r.gifts == []


def test_gift_recipient() -> None:
    r = parse("nianeyna-markedForLater.html")
    assert (r.work_id, r.gifts) == (66326125, ["nianeyna"])
    assert r.authors == [Author("lilithqueen", "lilithqueen")]
    assert (r.words, r.comments, r.kudos, r.bookmarks, r.hits) == (4712, 8, 24, 6, 94)


def test_single_chapter_work_from_2012() -> None:
    r = parse("fujo-work-323217.html")
    assert (r.work_id, r.title) == (323217, "Field Test no.7: Phone Calls & Boundaries")
    assert (r.rating, r.warnings) == ("Not Rated", ["Creator Chose Not To Use Archive Warnings"])
    assert r.series == [SeriesRef(14544, "The Mentalist Field Tests", 1)]
    assert (r.published, r.updated, r.completed) == ("2012-01-19", "2012-01-19", True)
    assert r.chapters[0].text.startswith("He answered on the third ring")


def test_co_authors_with_an_orphaned_pseud() -> None:
    r = parse("fujo-work-41289660-coauthors-orphan.html")
    assert r.authors == [
        Author("Fairyzilla", "orphan_account"),
        Author("orphan_account", "orphan_account"),
    ]
    assert r.anonymous is False
    assert (r.comments, r.kudos, r.bookmarks) == (0, 40, 7)  # no comments: the row is absent
    assert r.series == [SeriesRef(2912361, "Hogwarts x Fairy Tail Adventures", 2)]
    assert r.chapters[0].title == "Letters and Secrets!"


def test_anonymous_named_pseud_of_orphan_account_is_not_an_anonymous_work() -> None:
    r = parse("fujo-work-23824891-anonymous-orphan.html")
    assert r.authors == [
        Author("Anonymous", "orphan_account"),
        Author("Butterfly_Dream", "Butterfly_Dream"),
        Author("orphan_account", "orphan_account"),
    ]
    assert r.anonymous is False
    assert (r.chapters_posted, r.chapters_total, r.completed) == (3, 3, True)
    assert (r.chapters[0].chapter_id, r.chapters[0].title) == (57247021, "Sister Dearest")


def test_body_fragment_without_thousands_separators() -> None:
    r = parse("ambtus-multi.html")
    assert (r.kind, r.work_id, r.title) == ("work", 29253276, "edge of providence")
    assert r.authors == [
        Author("adiduck", "book_people"),
        Author("whimsicalimages", "whimsicalimages"),
    ]
    assert (r.words, r.kudos, r.hits, r.comments, r.bookmarks) == (15933, 1288, 10389, 173, 445)
    assert (r.chapters_posted, r.chapters_total, r.completed) == (2, None, False)
    [chapter] = r.chapters
    assert (chapter.number, chapter.chapter_id, chapter.notes) == (1, 71833074, None)
    assert chapter.end_notes.startswith("Mando’a:\njetii’kad - lightsaber")


def test_adult_interstitial_current() -> None:
    r = parse("nianeyna-explicitWorkLoggedOut.html")
    assert (r.kind, r.work_id) == ("adult_interstitial", 35369560)
    assert r.title == "Pray Tell Me, Sir, Whose Dog Are You?"
    assert (r.rating, r.warnings, r.categories) == ("Explicit", ["Underage"], ["M/M"])
    assert (r.updated, r.completed, r.words, r.kudos, r.hits) == (
        "2021-11-27",
        True,
        10042,
        64,
        631,
    )
    assert r.chapters == []


def test_adult_interstitial_older_proceed_wording() -> None:
    r = parse("ambtus-wip.html")
    assert (r.kind, r.work_id) == ("adult_interstitial", 38044144)
    assert r.title == "Once an Ootsutsuki, always an Ootsutsuki"
    assert (r.chapters_posted, r.chapters_total, r.completed) == (2, 40, False)
    assert r.series == [SeriesRef(1858429, "Naruto - time-travel/fix-it", 9)]


def test_login_page_for_a_restricted_work() -> None:
    r = parse("nianeyna-lockedWorkLoggedOut.html")
    assert (r.kind, r.work_id, r.title) == ("restricted", 185710, None)


def test_deleted_work() -> None:
    assert parse("nianeyna-deletedWork.html").kind == "not_found"


def test_unrevealed_mystery_work() -> None:
    r = parse("nianeyna-hiddenWork.html")
    assert (r.kind, r.work_id) == ("unrevealed", 47308798)


@pytest.mark.parametrize(
    "name",
    [
        "nianeyna-bookmarks.html",
        "nianeyna-markedForLaterList.html",
        "fujo-tag-sherlock-holmes-works.html",
        "fujo-tag-worldbuilding-works.html",
        "fujo-series-2270465.html",
    ],
)
def test_listing_pages_are_listings(name: str) -> None:
    r = parse(name)
    assert r.kind == "listing"
    assert r.listing is not None and r.listing.works


def test_kudos_givers_five_users_and_one_guest() -> None:
    """A short list joined by ", and" plus "as well as 1 guest": 5 + 1 = the stat of 6."""
    r = parse("ambtus-yer-kudos-five-users-one-guest.html")
    assert r.kudos_users == ["Kaimodi", "edenfalling", "Salicinalis", "Somariel", "isnt_it_pretty"]
    assert (r.kudos_guests, r.kudos) == (1, 6)


def test_kudos_from_guests_only() -> None:
    r = parse("ambtus-drive-guest-kudos-only.html")
    assert (r.kudos_users, r.kudos_guests, r.kudos) == ([], 4, 4)


def test_kudos_on_a_chapter_view_with_one_guest() -> None:
    r = parse("ambtus-hogwarts-one-guest-kudos.html")
    assert (r.kudos_users, r.kudos_guests, r.kudos) == ([], 1, 1)


def test_kudos_in_the_2018_markup_give_every_login_including_the_hidden_ones() -> None:
    """Pre-2021: all 1,779 users on the page (50 shown, the rest in a hidden span),
    a pseud byline "Fae (Marina_Rosette)" whose href names the login."""
    r = parse("ambtus-wheel-kudos-legacy-2018.html")
    assert len(r.kudos_users) == 1779
    assert r.kudos_users[:3] == ["goddoggo", "belindanz", "Marina_Rosette"]
    assert r.kudos_users[-1] == "Clockwork_Night"
    assert (r.kudos_guests, r.kudos) == (1246, 3025)
    assert len(r.kudos_users) + r.kudos_guests == r.kudos


def test_kudos_with_the_more_users_link_stop_at_fifty() -> None:
    r = parse("ambtus-multi.html")
    assert len(r.kudos_users) == 50 and r.kudos_users[0] == "stevecarlsberg"
    assert r.kudos_users[-1] == "MTKiseki"
    assert r.kudos_guests == 326


def test_pages_without_a_kudos_paragraph_give_null_guests() -> None:
    for name in ("nianeyna-lockedWorkLoggedOut.html", "nianeyna-deletedWork.html"):
        r = parse(name)
        assert (r.kudos_users, r.kudos_guests) == ([], None), name
