"""The engagement parsers against one fixture per quirk of AO3-MARKUP section 7.

Which facts come from templates rather than live pages: no public saved page
with rendered comment threads, a ``/works/ID/kudos`` index or a work's
``/works/ID/bookmarks`` exists, so every ``engagement-*.html`` fixture is built
from otwarchive's templates (comments/_comment_thread, _single_comment,
comments_helper.rb; kudos/index.html.erb; bookmarks/_bookmark_blurb_short).
Their markup, class names, headings, the 20/50 page sizes, the depth cut and
the placeholders are template facts, unconfirmed live. Only the kudos paragraph
of work pages is confirmed by real pages (see test_parse_real.py). Each fixture's
full parse is in ``NAME.parsed.json`` beside it; the tests below spell out the
facts each quirk is about.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from ficindex.engagement_record import CommentsPage
from ficindex.errors import ParseError
from ficindex.parser import parse_page
from ficindex.parser.comments import parse_comments_page
from ficindex.parser.engagement import (
    BookmarksPage,
    KudosPage,
    parse_bookmarks_page,
    parse_kudos_page,
)

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(FIXTURES.glob("engagement-*.html"))


def _parse(path: Path) -> CommentsPage | KudosPage | BookmarksPage:
    if "-comments-" in path.name:
        return parse_comments_page(path.read_bytes())
    if "-kudos-" in path.name:
        return parse_kudos_page(path.read_bytes())
    return parse_bookmarks_page(path.read_bytes())


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_fixture_parses_to_its_rows(path: Path) -> None:
    expected: dict[str, Any] = json.loads(
        path.with_name(path.name.replace(".html", ".parsed.json")).read_text("utf-8")
    )
    assert asdict(_parse(path)) == expected


def test_every_quirk_has_a_fixture() -> None:
    assert len(CASES) == 16


def comments(name: str) -> CommentsPage:
    return parse_comments_page((FIXTURES / f"engagement-comments-{name}.html").read_bytes())


def test_replies_get_their_parent_and_thread_from_the_structure() -> None:
    page = comments("threads")
    shape = [(c.id, c.parent_id, c.thread_id, c.chapter_id) for c in page.comments]
    assert shape == [
        (70000001, None, 70000001, 129000011),
        (70000002, 70000001, 70000001, 129000011),
        (70000003, 70000002, 70000001, 129000011),
        (70000004, None, 70000004, 129000033),
    ]
    assert page.comments[0].text == "The lamp scene!\nI read it twice."
    assert page.comments[2].user == "tidewatcher" and page.comments[2].pseud == "Gull"


def test_times_are_utc_iso_from_twelve_hour_clock() -> None:
    page = comments("threads")
    assert [c.posted for c in page.comments] == [
        "2019-04-10T19:09:00Z",
        "2019-04-11T00:30:00Z",  # 12:30AM
        "2019-04-11T12:05:00Z",  # 12:05PM
        "2019-06-02T23:59:00Z",
    ]


def test_commenter_kinds() -> None:
    page = comments("commenters")
    kinds = [(c.commenter_kind, c.user, c.name) for c in page.comments]
    assert kinds == [
        ("guest", None, "Rowan"),
        ("official", "OTW_Communications", None),
        ("anonymous_creator", None, "Anonymous Creator"),
        ("deleted_account", None, "Account Deleted"),
    ]


def test_edited_time_and_frozen_thread() -> None:
    (comment,) = comments("edited-frozen").comments
    assert comment.edited == "2019-04-12T13:15:00Z" and comment.frozen


def test_deleted_and_hidden_comments_are_placeholders_and_replies_survive() -> None:
    page = comments("placeholders")
    states = [(c.id, c.state, c.text, c.parent_id) for c in page.comments]
    assert states == [
        (70000031, "deleted", None, None),
        (70000032, "visible", "Replying to a comment that is gone now.", 70000031),
        (70000033, "hidden", None, None),
    ]


def test_depth_cut_names_the_thread_page_to_fetch() -> None:
    page = comments("depth-cut")
    assert [c.parent_id for c in page.comments][1:] == [c.id for c in page.comments][:-1]
    assert [(cut.comment_id, cut.more) for cut in page.cuts] == [(70000046, 3)]


def test_thread_page_repeats_its_root_and_gives_the_rest() -> None:
    page = comments("thread-page")
    assert page.work_id == 51000001
    assert [(c.id, c.parent_id) for c in page.comments] == [
        (70000046, None),
        (70000047, 70000046),
        (70000048, 70000047),
        (70000049, 70000046),
    ]


def test_comment_pagination_follows_rel_next_and_stops_on_the_last_page() -> None:
    first, second = comments("page1"), comments("page2")
    assert (first.page, second.page) == (1, 2)
    assert first.next_url == (
        "/works/51000001?show_comments=true&view_adult=true&view_full_work=true&page=2#comments"
    )
    assert second.next_url is None


def test_single_chapter_work_has_no_chapter_and_closed_comments_still_list() -> None:
    page = comments("oneshot-closed")
    assert page.closed and page.work_id == 51000002
    assert [(c.id, c.chapter_id) for c in page.comments] == [(70000071, None)]


def test_the_first_comments_page_is_also_the_work_page() -> None:
    """Page 1 of comments replaces the work fetch: the work record must be the same."""
    with_comments = parse_page((FIXTURES / "engagement-comments-threads.html").read_bytes())
    plain = parse_page((FIXTURES / "work-full-view.html").read_bytes())
    assert with_comments == plain


def test_kudos_index_pages() -> None:
    first = parse_kudos_page((FIXTURES / "engagement-kudos-page1.html").read_bytes())
    assert (first.work_id, first.total_users, first.guests, first.page) == (51000001, 1062, 326, 1)
    assert len(first.users) == 50 and first.next_url == "/works/51000001/kudos?page=2"
    last = parse_kudos_page((FIXTURES / "engagement-kudos-last-page.html").read_bytes())
    assert (last.page, last.next_url, len(last.users)) == (22, None, 12)
    one = parse_kudos_page((FIXTURES / "engagement-kudos-one-page.html").read_bytes())
    assert (one.users, one.guests, one.total_users) == (["quill_and_ink", "Marigold77"], 1, 2)
    none = parse_kudos_page((FIXTURES / "engagement-kudos-none.html").read_bytes())
    assert (none.users, none.guests, none.total_users) == ([], 0, 0)


def test_bookmarks_page_reads_every_optional_part() -> None:
    page = parse_bookmarks_page((FIXTURES / "engagement-bookmarks-page1.html").read_bytes())
    assert (page.work_id, page.total, page.next_url) == (
        51000001,
        41,
        "/works/51000001/bookmarks?page=2",
    )
    first, relative, plain = page.bookmarks
    assert (first.user, first.pseud, first.date, first.rec) == (
        "tidewatcher",
        "Gull",
        "2026-05-30",
        True,
    )
    assert first.tags == ["Favorites", "lighthouses"]
    assert [(c.name, c.title) for c in first.collections] == [("sea_recs", "Sea Stories Recs")]
    assert first.notes == "Read this on a storm night.\nWorth it."
    # Under 30 days old AO3 may print words instead of a date.
    assert (relative.date, relative.date_text, relative.rec) == (None, "3 days", False)
    assert (plain.tags, plain.collections, plain.notes) == (["to reread"], [], None)


def test_one_user_two_pseuds_are_two_bookmarks() -> None:
    page = parse_bookmarks_page((FIXTURES / "engagement-bookmarks-one-page.html").read_bytes())
    assert [(b.user, b.pseud) for b in page.bookmarks] == [
        ("Marigold77", "Marigold"),
        ("Marigold77", "Marigold77"),
    ]
    assert page.bookmarks[0].notes == "Line one\nline two"
    assert (page.total, page.next_url) == (2, None)


def test_hostile_nesting_is_refused_before_lexbor_builds_it() -> None:
    deep = b"<html><body><div id='main'>" + b"<ol class='thread'><li>" * 30_000
    with pytest.raises(ParseError, match="nested deeper"):
        parse_comments_page(deep)


def test_singular_headings() -> None:
    """A count of one may be worded in the singular ("1 User", "1 Bookmark"): accepted.

    Not confirmed by a template or a live page; the parser just does not depend on the plural.
    """
    kudos = parse_kudos_page(
        '<div id="main"><h2 class="heading">1 User Who Left Kudos on <a href="/works/7">T</a>'
        '</h2><div id="kudos"><p class="kudos"><a href="/users/solo">solo</a> left kudos on'
        " this work!</p></div></div>"
    )
    assert (kudos.work_id, kudos.total_users, kudos.users, kudos.guests) == (7, 1, ["solo"], 0)
    marks = parse_bookmarks_page('<div id="main"><h2 class="heading">1 Bookmark</h2></div>')
    assert (marks.total, marks.bookmarks) == (1, [])
