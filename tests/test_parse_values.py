"""Values are valid or null: impossible dates and non-integer counters become null.

The rest of the record is kept exactly as the page gives it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ficindex.parser import parse_page

FIXTURES = Path(__file__).parent / "fixtures"


def _page(name: str) -> str:
    return (FIXTURES / name).read_text("utf-8")


def _without(record: dict, *keys: str) -> dict:
    return {key: value for key, value in record.items() if key not in keys}


@pytest.mark.parametrize("bad", ["2024-02-30", "9999-99-99", "2023-13-01", "2023-00-10"])
def test_a_date_not_on_the_calendar_is_null_and_the_rest_is_kept(bad: str) -> None:
    page = _page("work-full-view.html")
    good = parse_page(page).to_dict()
    broken = parse_page(
        page.replace('<dd class="published">2024-02-01', f'<dd class="published">{bad}').replace(
            '<dd class="status">2024-03-15', f'<dd class="status">{bad}'
        )
    ).to_dict()
    assert (broken["published"], broken["updated"]) == (None, None)
    assert _without(broken, "published", "updated") == _without(good, "published", "updated")


def test_a_blurb_date_not_on_the_calendar_is_null() -> None:
    page = _page("listing-tag-pagy-first.html").replace("09 Jun 2025", "31 Jun 2025", 1)
    first = parse_page(page).listing.works[0]
    assert first.updated is None
    assert first.title and first.words == 4712


def test_leap_day_is_a_date() -> None:
    page = _page("work-full-view.html").replace("2024-02-01", "2024-02-29")
    assert parse_page(page).published == "2024-02-29"


@pytest.mark.parametrize("bad", ["1.5", "12,34", "1,2345", "3.14159", "1,234.5"])
def test_a_counter_that_is_not_an_integer_is_null_not_its_digits(bad: str) -> None:
    page = _page("work-full-view.html")
    good = parse_page(page).to_dict()
    broken = parse_page(
        page.replace('<dd class="words">1,234', f'<dd class="words">{bad}').replace(
            '<dd class="kudos">345', f'<dd class="kudos">{bad}'
        )
    ).to_dict()
    assert (broken["words"], broken["kudos"]) == (None, None)
    assert _without(broken, "words", "kudos") == _without(good, "words", "kudos")


@pytest.mark.parametrize(("shown", "value"), [("5,688", 5688), ("15933", 15933), ("1.234", 1234)])
def test_thousands_separators_still_read(shown: str, value: int) -> None:
    page = _page("work-full-view.html").replace(
        '<dd class="words">1,234', f'<dd class="words">{shown}'
    )
    assert parse_page(page).words == value


def test_plain_text_copy_with_impossible_values_keeps_its_title_and_nulls_them() -> None:
    text = _page("plain-work-single.txt")
    good = parse_page(text).to_dict()
    broken = parse_page(text.replace("2024-02-01", "2024-02-30").replace("1,234", "1.5")).to_dict()
    assert (broken["published"], broken["words"]) == (None, None)
    changed = ("published", "updated", "words")
    assert _without(broken, *changed) == _without(good, *changed)
