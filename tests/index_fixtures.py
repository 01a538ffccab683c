"""Hand-built records and a small fixture index for the index tests (no parser involved)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ficindex.index import open_index
from ficindex.index.store import save_record
from ficindex.record import Author, Chapter, CollectionRef, Record, SeriesRef


def work(
    work_id: int,
    *,
    title: str | None = None,
    chapters: int = 2,
    chapter_texts: list[str] | None = None,
    **fields: object,
) -> Record:
    """A full work record with ``chapters`` chapters (ids work_id*10 + n) and sane defaults."""
    texts = chapter_texts or [f"Chapter {n} of work {work_id}." for n in range(1, chapters + 1)]
    data: dict = {
        "kind": "work",
        "work_id": work_id,
        "title": title or f"Work {work_id}",
        "authors": [Author(pseud=f"pseud{work_id}", user=f"user{work_id}")],
        "rating": "General Audiences",
        "warnings": ["No Archive Warnings Apply"],
        "categories": ["Gen"],
        "fandoms": ["Good Omens (TV)"],
        "language": "English",
        "published": "2020-01-01",
        "updated": "2020-02-01",
        "completed": True,
        "words": 1000,
        "comments": 1,
        "kudos": 10,
        "bookmarks": 2,
        "hits": 100,
        "chapters_posted": len(texts),
        "chapters_total": len(texts),
        "summary": f"Summary of work {work_id}.",
        "chapters": [
            Chapter(number=n, chapter_id=work_id * 10 + n, title=f"Part {n}", text=text)
            for n, text in enumerate(texts, 1)
        ],
    }
    data.update(fields)
    return Record(**data)


def fixture_index(path: Path) -> Path:
    """An index of a few varied works, for the search, export and canned-query tests."""
    db = open_index(path)
    records = [
        work(
            1,
            title="Slow Burn in Soho",
            fandoms=["Good Omens (TV)"],
            relationships=["Aziraphale/Crowley (Good Omens)"],
            freeforms=["Slow Burn", "Bookshops"],
            authors=[Author("Angel", "angelwriter")],
            words=50000,
            kudos=900,
            hits=9000,
            published="2019-06-01",
            updated="2021-06-01",
            completed=False,
            chapters_total=None,
            chapter_texts=["The bookshop was quiet.", "A slow burn of longing by the fire."],
            series=[SeriesRef(id=77, title="Soho Days", position=1)],
            collections=[CollectionRef(name="go_fest", title="Good Omens Fest")],
        ),
        work(
            2,
            title="Café Morning",
            fandoms=["Good Omens (TV)"],
            relationships=["Aziraphale/Crowley (Good Omens)"],
            freeforms=["Fluff", "Slow Burn"],
            authors=[Author("Demon", "crowleyfan")],
            words=3000,
            kudos=300,
            hits=1000,
            published="2020-03-15",
            updated="2020-03-15",
            chapter_texts=["They met at the café every morning.", "Coffee and crêpes."],
            rating="Teen And Up Audiences",
        ),
        work(
            3,
            title="Зимняя сказка",
            fandoms=["Sherlock (TV)"],
            relationships=["Sherlock Holmes/John Watson"],
            freeforms=["Winter"],
            authors=[Author("snow", "snowwriter")],
            language="Русский",
            words=800,
            kudos=50,
            hits=2000,
            published="2020-03-20",
            updated="2020-03-20",
            rating="Explicit",
            chapter_texts=["Снег падал всю ночь.", "Утром всё было белым."],
        ),
        work(
            4,
            title="Case of the Missing Violin",
            fandoms=["Sherlock (TV)"],
            relationships=["Sherlock Holmes/John Watson"],
            freeforms=["Case Fic", "Slow Burn"],
            authors=[Author("angel", "angelwriter")],
            words=120000,
            kudos=1200,
            hits=30000,
            published="2018-01-10",
            updated="2022-01-10",
            completed=False,
            chapters_total=40,
            chapter_texts=["The violin was gone.", "Watson searched the flat for the violin."],
        ),
    ]
    for i, record in enumerate(records):
        save_record(db, record, fetched_at=f"2024-01-0{i + 1}T00:00:00Z")
    # A second fetch of work 2 and 4 with more kudos: stats_history grows.
    records[1].kudos = 360
    save_record(db, records[1], fetched_at="2024-01-11T00:00:00Z")
    records[3].kudos = 1300
    save_record(db, records[3], fetched_at="2024-01-06T00:00:00Z")
    db.close()
    return path


#: The tables a stored record writes (every index test that compares two indexes reads these).
RECORD_TABLES = (
    "works",
    "chapters",
    "tags",
    "authors",
    "work_tags",
    "work_authors",
    "series",
    "work_series",
    "collections",
    "work_collections",
    "stats_history",
)


def table_rows(conn: sqlite3.Connection, tables: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every row of each of ``tables``, in rowid order."""
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


def dump(path: Path) -> list[str]:
    """Every statement of a full SQL dump of the file (FTS shadow tables included)."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()
