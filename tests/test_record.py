"""The record contract: every SPEC key present, and JSON round trips."""

import json
from pathlib import Path

from ficindex.parser import parse_page
from ficindex.record import Author, Chapter, Listing, Record, SeriesRef

SPEC_KEYS = [
    "kind",
    "work_id",
    "title",
    "authors",
    "anonymous",
    "gifts",
    "rating",
    "warnings",
    "categories",
    "fandoms",
    "relationships",
    "characters",
    "freeforms",
    "language",
    "series",
    "collections",
    "published",
    "updated",
    "completed",
    "words",
    "comments",
    "kudos",
    "kudos_users",
    "kudos_guests",
    "bookmarks",
    "hits",
    "chapters_posted",
    "chapters_total",
    "summary",
    "notes",
    "end_notes",
    "restricted",
    "chapters",
    "listing",
]


def test_empty_record_has_every_key_with_null_or_empty_list():
    data = Record().to_dict()
    assert sorted(data) == sorted(SPEC_KEYS)
    assert data["kind"] == "unknown"
    assert data["authors"] == [] and data["chapters"] == [] and data["listing"] is None


def test_round_trip_through_dict():
    rec = Record(
        kind="listing",
        authors=[Author(pseud="P", user="u")],
        series=[SeriesRef(id=3, title="S", position=2)],
        chapters=[Chapter(number=1, chapter_id=9, title=None, text="x")],
        listing=Listing(
            total=40,
            page=1,
            next_url="/tags/X/works?page=2",
            works=[Record(kind="work", work_id=5)],
        ),
    )
    data = rec.to_dict()
    assert Record.from_dict(data) == rec
    assert data["listing"]["works"][0]["work_id"] == 5
    assert sorted(data["listing"]["works"][0]) == sorted(SPEC_KEYS)


def test_to_dict_is_byte_for_byte_each_fixtures_expected_json():
    """Key order included: every fixture's record dumps to exactly its expected file."""
    fixtures = Path(__file__).parent / "fixtures"
    checked = 0
    for expected in sorted(fixtures.glob("*.expected.json")):
        stem = expected.name.removesuffix(".expected.json")
        page = next(p for p in fixtures.glob(f"{stem}.*") if p != expected)
        record = parse_page(page.read_bytes())
        dumped = json.dumps(record.to_dict(), ensure_ascii=False, indent=2) + "\n"
        assert dumped == expected.read_text("utf-8"), page.name
        checked += 1
    assert checked >= 50


def test_to_dict_lists_are_copies():
    rec = Record(kind="work", fandoms=["F"], chapters=[Chapter(number=1, text="t")])
    data = rec.to_dict()
    data["fandoms"].append("G")
    data["chapters"][0]["text"] = "changed"
    assert rec.fandoms == ["F"] and rec.chapters[0].text == "t"
