"""save_record's merge rule, statuses, stats_history and idempotence, on the index rows."""

from __future__ import annotations

import sqlite3

import pytest

from ficindex.errors import BadInput
from ficindex.index import open_index
from ficindex.index.export import work_record
from ficindex.index.store import mark_status, save_record, synthetic_chapter_id
from ficindex.record import Chapter, CollectionRef, Listing, Record, SeriesRef
from index_fixtures import dump, work

T1, T2, T3 = "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"


@pytest.fixture
def db(tmp_path):
    index = open_index(tmp_path / "t.db")
    yield index
    index.close()


def rows(db, sql, params=()):
    return [tuple(r) for r in db.execute(sql, params).fetchall()]


def test_new_then_same_record_is_unchanged_and_file_identical(tmp_path):
    path = tmp_path / "t.db"
    db = open_index(path)
    assert save_record(db, work(1), fetched_at=T1) == "new"
    db.close()
    before = dump(path)
    db = open_index(path)
    assert save_record(db, work(1), fetched_at=T1) == "unchanged"
    db.close()
    assert dump(path) == before


def test_record_round_trips_through_the_tables(db):
    record = work(5, gifts=["friend"], characters=["Crowley", "Aziraphale"], notes="n")
    save_record(db, record, fetched_at=T1)
    assert work_record(db, 5).to_dict() == record.to_dict()


def test_blurb_updates_counters_but_keeps_chapters_and_text(db):
    save_record(db, work(1, notes="Work notes"), fetched_at=T1)
    blurb = work(1, chapters=0, kudos=99, hits=500, summary=None, notes=None)
    blurb.chapters = []
    blurb.published = None
    blurb.freeforms = ["New Tag"]
    assert save_record(db, blurb, fetched_at=T2) == "updated"
    assert rows(db, "SELECT kudos, hits, summary, notes, published FROM works") == [
        (99, 500, "Summary of work 1.", "Work notes", "2020-01-01")
    ]
    assert rows(db, "SELECT number, text, vanished_at FROM chapters ORDER BY number") == [
        (1, "Chapter 1 of work 1.", None),
        (2, "Chapter 2 of work 1.", None),
    ]
    assert work_record(db, 1).freeforms == ["New Tag"]


def test_interstitial_with_empty_lists_erases_nothing(db):
    save_record(db, work(1, relationships=["A/B"]), fetched_at=T1)
    inter = Record(kind="adult_interstitial", work_id=1, title="Work 1", kudos=11)
    assert save_record(db, inter, fetched_at=T2) == "updated"
    rec = work_record(db, 1)
    assert rec.relationships == ["A/B"] and rec.fandoms == ["Good Omens (TV)"]
    assert rec.kudos == 11 and rec.authors[0].user == "user1" and len(rec.chapters) == 2


def test_full_page_marks_vanished_chapters_without_deleting(db):
    save_record(db, work(1, chapters=3), fetched_at=T1)
    shorter = work(1, chapters=2)
    assert save_record(db, shorter, fetched_at=T2) == "updated"
    assert rows(db, "SELECT id, number, vanished_at FROM chapters ORDER BY id") == [
        (11, 1, None),
        (12, 2, None),
        (13, 3, T2),
    ]
    assert db.execute("SELECT text FROM chapters WHERE id = 13").fetchone()[0]
    assert [c.number for c in work_record(db, 1).chapters] == [1, 2]
    # The chapter comes back: it is present again.
    save_record(db, work(1, chapters=3), fetched_at=T3)
    assert rows(db, "SELECT count(*) FROM chapters WHERE vanished_at IS NULL") == [(3,)]


def test_deleted_middle_chapter_renumbers_the_rest(db):
    save_record(db, work(1, chapters=3), fetched_at=T1)
    record = work(1, chapters=3)
    del record.chapters[1]
    record.chapters[1].number = 2
    record.chapters_posted = record.chapters_total = 2
    save_record(db, record, fetched_at=T2)
    assert rows(db, "SELECT id, number, vanished_at FROM chapters ORDER BY id") == [
        (11, 1, None),
        (12, 2, T2),
        (13, 2, None),
    ]


def test_chapter_view_updates_only_its_chapter(db):
    save_record(db, work(1, chapters=3), fetched_at=T1)
    view = work(1, chapters=3, kudos=20)
    view.chapters = [Chapter(number=2, chapter_id=12, title="Part 2", text="Edited text")]
    view.summary = None
    assert save_record(db, view, fetched_at=T2) == "updated"
    assert rows(db, "SELECT id, text, vanished_at FROM chapters ORDER BY id") == [
        (11, "Chapter 1 of work 1.", None),
        (12, "Edited text", None),
        (13, "Chapter 3 of work 1.", None),
    ]
    assert rows(db, "SELECT kudos, summary FROM works") == [(20, "Summary of work 1.")]


def test_synthetic_chapter_ids_give_way_to_real_ones(db):
    record = work(1)
    for ch in record.chapters:
        ch.chapter_id = None
    save_record(db, record, fetched_at=T1)
    assert rows(db, "SELECT id FROM chapters ORDER BY number") == [
        (synthetic_chapter_id(1, 1),),
        (synthetic_chapter_id(1, 2),),
    ]
    assert work_record(db, 1).chapters[0].chapter_id is None
    save_record(db, work(1), fetched_at=T2)
    assert rows(db, "SELECT id, vanished_at FROM chapters ORDER BY number") == [
        (11, None),
        (12, None),
    ]


def test_stats_history_row_only_when_counters_change(db):
    save_record(db, work(1), fetched_at=T1)
    save_record(db, work(1), fetched_at=T2)
    save_record(db, work(1, kudos=15), fetched_at=T3)
    assert rows(db, "SELECT fetched_at, kudos, hits FROM stats_history ORDER BY fetched_at") == [
        (T1, 10, 100),
        (T3, 15, 100),
    ]
    assert rows(db, "SELECT last_fetched, first_seen FROM works") == [(T3, T1)]


def test_older_page_only_adds_history(db):
    save_record(db, work(1, kudos=50), fetched_at=T3)
    assert save_record(db, work(1, kudos=5, title="Old title"), fetched_at=T1) == "stale"
    assert rows(db, "SELECT title, kudos FROM works") == [("Work 1", 50)]
    assert rows(db, "SELECT fetched_at, kudos FROM stats_history ORDER BY fetched_at") == [
        (T1, 5),
        (T3, 50),
    ]


def test_not_found_keeps_data_and_work_returns_to_ok(db):
    save_record(db, work(1), fetched_at=T1)
    assert save_record(db, Record(kind="not_found", work_id=1), fetched_at=T2) == "status"
    assert rows(db, "SELECT status, status_at, title FROM works") == [("deleted", T2, "Work 1")]
    assert rows(db, "SELECT count(*) FROM chapters WHERE vanished_at IS NULL") == [(2,)]
    assert save_record(db, work(1), fetched_at=T3) == "updated"
    assert rows(db, "SELECT status, status_at FROM works") == [("ok", T3)]


@pytest.mark.parametrize(
    ("kind", "status"), [("restricted", "restricted"), ("unrevealed", "unrevealed")]
)
def test_status_pages_of_unknown_works_leave_a_stub(db, kind, status):
    assert save_record(db, Record(kind=kind), fetched_at=T1, work_id=42) == "status"
    assert rows(db, "SELECT id, status, title FROM works") == [(42, status, None)]
    assert work_record(db, 42) is None


def test_mark_status_hidden_and_bad_status(db):
    save_record(db, work(1), fetched_at=T1)
    assert mark_status(db, 1, "hidden", at=T2) == "status"
    assert mark_status(db, 1, "hidden", at=T2) == "unchanged"
    assert rows(db, "SELECT status FROM works") == [("hidden",)]
    with pytest.raises(BadInput):
        mark_status(db, 1, "gone")


def test_listing_saves_each_blurb(db):
    blurbs = [work(i, chapters=0) for i in (1, 2)]
    for b in blurbs:
        b.chapters = []
    mystery = Record(kind="unrevealed", work_id=3)
    listing = Record(kind="listing", listing=Listing(total=3, page=1, works=[*blurbs, mystery]))
    assert save_record(db, listing, fetched_at=T1) == "new"
    assert rows(db, "SELECT id, status, last_full_fetch FROM works ORDER BY id") == [
        (1, "ok", None),
        (2, "ok", None),
        (3, "unrevealed", None),
    ]
    assert save_record(db, listing, fetched_at=T1) == "unchanged"


def test_pages_without_content_are_skipped(db):
    assert save_record(db, Record(kind="rate_limited"), fetched_at=T1) == "skipped"
    assert save_record(db, Record(kind="not_found"), fetched_at=T1) == "skipped"
    assert rows(db, "SELECT count(*) FROM works") == [(0,)]


def test_tags_and_links_are_normalised(db):
    save_record(db, work(1, freeforms=["Fluff", "Fluff", "Angst"]), fetched_at=T1)
    save_record(db, work(2, freeforms=["Fluff"]), fetched_at=T1)
    assert rows(db, "SELECT name, type FROM tags WHERE type = 'freeform' ORDER BY name") == [
        ("Angst", "freeform"),
        ("Fluff", "freeform"),
    ]
    assert rows(
        db,
        "SELECT count(*) FROM work_tags wt JOIN tags t ON t.id = wt.tag WHERE t.name = 'Fluff'",
    ) == [(2,)]
    assert rows(db, "SELECT fandoms, freeforms FROM works WHERE id = 1") == [
        ('["Good Omens (TV)"]', '["Fluff", "Fluff", "Angst"]')
    ]


def test_reader_sees_committed_data_while_a_writer_holds_a_transaction(tmp_path):
    path = tmp_path / "wal.db"
    writer = open_index(path)
    save_record(writer, work(1), fetched_at=T1)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE works SET title = 'uncommitted' WHERE id = 1")
    reader = sqlite3.connect(path, timeout=0.5)
    try:
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert reader.execute("SELECT title FROM works").fetchall() == [("Work 1",)]
    finally:
        reader.close()
        writer.execute("ROLLBACK")
        writer.close()


def test_stand_in_keys_of_an_eighteen_digit_work_are_distinct_and_stable(db):
    huge = 999_999_999_999_999_999
    record = work(huge, chapters=3)  # as a page without chapter ids shows it
    for ch in record.chapters:
        ch.chapter_id = None
    assert save_record(db, record, fetched_at=T1) == "new"
    keys = rows(db, "SELECT id FROM chapters ORDER BY number")
    assert len(set(keys)) == 3 and all(k < -(2**62) for (k,) in keys)
    assert synthetic_chapter_id(huge, 1) is None
    assert save_record(db, record, fetched_at=T2) == "unchanged"
    assert rows(db, "SELECT id FROM chapters ORDER BY number") == keys
    real = work(huge, chapters=3)
    for ch in real.chapters:
        ch.chapter_id = 7000 + ch.number
    assert save_record(db, real, fetched_at=T3) == "updated"
    assert rows(db, "SELECT id FROM chapters ORDER BY number") == [
        (ch.chapter_id,) for ch in real.chapters
    ]


def test_full_page_older_than_an_interstitial_still_supplies_its_chapters(db):
    inter = Record(kind="adult_interstitial", work_id=1, title="Work 1 (newer)", kudos=30)
    assert save_record(db, inter, fetched_at=T3) == "new"
    assert save_record(db, work(1, chapters=3, summary="Old summary"), fetched_at=T1) == "updated"
    assert rows(db, "SELECT id, vanished_at FROM chapters ORDER BY number") == [
        (11, None),
        (12, None),
        (13, None),
    ]
    # The newer interstitial's values stand; the older page fills what it did not show.
    assert rows(db, "SELECT title, kudos, summary, last_fetched, last_full_fetch FROM works") == [
        ("Work 1 (newer)", 30, "Old summary", T3, T1)
    ]
    assert work_record(db, 1).fandoms == ["Good Omens (TV)"]
    assert save_record(db, work(1, chapters=3, summary="Old summary"), fetched_at=T1) == "stale"


def test_page_older_than_the_last_full_page_keeps_only_unknown_chapter_text(db):
    save_record(db, work(1, chapters=2), fetched_at=T3)
    older = work(1, chapters=3, title="Old title")
    assert save_record(db, older, fetched_at=T1) == "updated"
    assert rows(db, "SELECT id, vanished_at FROM chapters ORDER BY id") == [
        (11, None),
        (12, None),
        (13, T3),
    ]
    assert rows(db, "SELECT title FROM works") == [("Work 1",)]


def _in_series_and_collection(work_id: int, title: str) -> Record:
    record = work(work_id)
    record.series = [SeriesRef(id=7, title=f"{title} Series", position=work_id)]
    record.collections = [CollectionRef(name="fest", title=f"{title} Fest")]
    return record


@pytest.mark.parametrize("order", ["oldest first", "newest first"])
def test_a_shared_series_or_collection_title_is_the_newest_pages(tmp_path, order):
    """Two works of one series and collection, whose pages show the titles of their
    fetch times: the newest page's titles are kept, in whichever order the pages come."""
    pages = [(_in_series_and_collection(1, "Old"), T1), (_in_series_and_collection(2, "New"), T2)]
    path = tmp_path / f"{order}.db"
    db = open_index(path)
    for record, at in pages if order == "oldest first" else pages[::-1]:
        assert save_record(db, record, fetched_at=at) == "new"
    assert rows(db, "SELECT title, title_at FROM series") == [("New Series", T2)]
    assert rows(db, "SELECT name, title, title_at FROM collections") == [("fest", "New Fest", T2)]
    for work_id in (1, 2):  # both works' records read the shared titles
        assert [s.title for s in work_record(db, work_id).series] == ["New Series"]
    db.close()
    before = dump(path)
    db = open_index(path)  # the older page again changes nothing
    assert save_record(db, pages[0][0], fetched_at=T1) == "unchanged"
    db.close()
    assert dump(path) == before


def test_a_newer_page_of_the_same_work_retitles_its_series(db):
    save_record(db, _in_series_and_collection(1, "Old"), fetched_at=T1)
    assert save_record(db, _in_series_and_collection(1, "New"), fetched_at=T2) == "updated"
    assert rows(db, "SELECT title FROM series") == [("New Series",)]
    assert rows(db, "SELECT title FROM collections") == [("New Fest",)]
    assert rows(db, "SELECT series, position FROM work_series") == [(7, 1)]
