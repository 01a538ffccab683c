"""Class attributes are read token by token everywhere, never compared whole.

Older AO3 markup adds classes (``<li class="freeforms last">``) and nothing
fixes the order of tokens; the record must not change when they do.
"""

from __future__ import annotations

from pathlib import Path

from ficindex.parser import parse_page

FIXTURES = Path(__file__).parent / "fixtures"


def _page(name: str) -> str:
    return (FIXTURES / name).read_text("utf-8")


def test_work_meta_and_stats_read_by_token() -> None:
    page = _page("work-full-view.html")
    shuffled = (
        page.replace('<dd class="freeform tags">', '<dd class="tags freeform last">')
        .replace('<dd class="rating tags">', '<dd class="tags rating">')
        .replace('<dd class="kudos">', '<dd class="kudos last">')
        .replace('<dt class="status">', '<dt class="first status">')
        .replace('<dd class="published">', '<dd class="odd published">')
    )
    assert shuffled != page
    assert parse_page(shuffled) == parse_page(page)


def test_blurb_tags_and_stats_read_by_token() -> None:
    page = _page("listing-tag-pagy-first.html")
    shuffled = (
        page.replace("<li class='freeforms'>", "<li class='freeforms last'>")
        .replace('<li class="freeforms">', '<li class="freeforms last">')
        .replace('<dd class="hits">', '<dd class="hits last">')
        .replace('<dd class="words">', '<dd class="odd words">')
    )
    assert shuffled != page
    assert parse_page(shuffled) == parse_page(page)


def test_listing_action_read_by_token() -> None:
    page = _page("listing-tag-pagy-first.html")
    moved = page.replace('id="main" class="works-index', 'id="main" class="region works-index', 1)
    assert moved != page
    assert parse_page(moved) == parse_page(page)


def test_work_id_from_a_later_link_when_the_first_names_none() -> None:
    page = _page("work-no-comments.html")
    assert parse_page(page).work_id == 51000021
    # With the share and download links gone too, the kudos form still names it.
    without = page.replace("/works/51000021/share", "#share").replace("/downloads/51000021/", "#")
    assert parse_page(without).work_id == 51000021
