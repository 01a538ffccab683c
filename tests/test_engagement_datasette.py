"""Engagement in Datasette: the views, the canned queries, the descriptions, the public copy.

Datasette itself opens an index whose engagement rows come from the template fixtures
(engagement_index.py); every canned query is also run by sqlite3 directly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engagement_index import WORK, T, engagement_index, page, reader_names, reader_texts
from ficindex.cli import cli
from ficindex.datasette.columns import describe_columns
from ficindex.datasette.engagement import ENGAGEMENT_COLUMNS
from ficindex.index import writable_index
from ficindex.index.engagement import save_bookmarks
from ficindex.index.queries import canned_queries
from ficindex.parser.engagement import parse_bookmarks_page

datasette_app = pytest.importorskip("datasette.app")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = engagement_index(tmp_path_factory.mktemp("engds") / "fics.db")
    # One more bookmark, its tags differing from Gull's only in case.
    gull = parse_bookmarks_page(page("bookmarks-page1")).bookmarks[0]
    twin = dataclasses.replace(
        gull, user="lamplight", pseud="lamplight", tags=["favorites", "LIGHTHOUSES"]
    )
    with writable_index(path) as db:
        save_bookmarks(db, WORK, [twin], fetched_at=T)
    return path


def metadata_for(path: Path) -> dict[str, Any]:
    out = path.with_suffix(".json")
    result = CliRunner().invoke(cli, ["datasette-config", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return dict(json.loads(out.read_text(encoding="utf-8")))


def get(path: Path, *urls: str) -> list[Any]:
    ds = datasette_app.Datasette([str(path)], metadata=metadata_for(path))

    async def run() -> list[Any]:
        await ds.invoke_startup()
        out = []
        for url in urls:
            response = await asyncio.wait_for(ds.client.get(url), timeout=30)
            assert response.status_code == 200, (url, response.text)
            out.append(response.json() if ".json" in url else response.text)
        return out

    return asyncio.run(run())


def direct(path: Path, sql: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute(sql)]
    conn.close()
    return rows


def test_canned_queries_give_the_same_rows_in_datasette_and_sqlite(index: Path) -> None:
    queries = canned_queries()
    chapters, tags = get(
        index,
        "/fics/most_commented_chapters.json?_shape=objects",
        "/fics/bookmark_tags_per_work.json?_shape=objects",
    )
    assert chapters["rows"] == direct(index, queries["most_commented_chapters"].sql)
    assert tags["rows"] == direct(index, queries["bookmark_tags_per_work"].sql)
    # Chapter 1: a thread of three plus one more; chapter 2: four threads, one of them
    # a reply under a deleted comment (the placeholder does not count); chapter 3: one.
    got = [(r["work"], r["chapter"], r["comments"], r["threads"]) for r in chapters["rows"]]
    assert got == [(WORK, 1, 4, 2), (WORK, 2, 4, 4), (WORK, 3, 1, 1)]
    assert chapters["rows"][0]["ao3_url"].endswith(f"/works/{WORK}/chapters/129000011")
    got = [(r["work"], r["tag"].lower(), r["bookmarks"]) for r in tags["rows"]]
    assert got == [(WORK, "favorites", 2), (WORK, "lighthouses", 2), (WORK, "to reread", 1)]


def test_views_show_readable_rows_and_search_the_text(index: Path) -> None:
    comments, bookmarks, table = get(
        index,
        "/fics/comment_cards.json?_shape=objects&_search=lamp",
        "/fics/bookmark_cards.json?_shape=objects&_search=storm&_sort=id",
        '/fics/comments.json?_shape=objects&_search="grew well"',
    )
    (lamp,) = comments["rows"]
    assert (lamp["id"], lamp["chapter"], lamp["commenter"]) == (70000001, 1, "tidewatcher")
    assert lamp["ao3_url"] == "https://archiveofourown.org/comments/70000001"
    assert lamp["work_title"] == "The Lighthouse Keeper's Daughter"
    assert [(r["bookmarker"], json.loads(r["tags"])) for r in bookmarks["rows"]] == [
        ("Gull (tidewatcher)", ["Favorites", "lighthouses"]),
        ("lamplight", ["favorites", "LIGHTHOUSES"]),
    ]
    assert [r["id"] for r in table["rows"]] == [70000003]


def test_every_engagement_column_is_described_and_the_salt_is_hidden(index: Path) -> None:
    meta = metadata_for(index)
    tables = meta["databases"]["fics"]["tables"]
    with writable_index(index) as db:
        for name in ENGAGEMENT_COLUMNS:
            columns = [row[1] for row in db.execute(f"PRAGMA table_info([{name}])")]
            assert columns and list(describe_columns(db, name)) == columns, name
            assert "What the" in tables[name]["description_html"], name
    assert tables["engagement_salt"]["hidden"] is True
    assert tables["comment_cards"]["fts_table"] == "comments_fts"
    (page_json,) = get(index, "/fics.json")
    hidden = {t["name"] for t in page_json["tables"] if t["hidden"]}
    assert {"engagement_salt", "comments_fts", "bookmarks_fts_data"} <= hidden


def test_public_copy_keeps_no_reader_text_or_name_in_any_table(index: Path, tmp_path: Path) -> None:
    public = tmp_path / "public.db"
    result = CliRunner().invoke(cli, ["export", str(index), "--metadata-only", "-o", str(public)])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(public)
    for fts in ("comments_fts", "bookmarks_fts"):
        # The FTS shadow tables hold the index of every word: none is left.
        conn.execute(f"CREATE VIRTUAL TABLE temp.{fts}_v USING fts5vocab(main, {fts}, row)")
        assert conn.execute(f"SELECT count(*) FROM temp.{fts}_v").fetchone() == (0,), fts
    assert conn.execute("SELECT count(*) FROM comments").fetchone()[0] == 11
    assert conn.execute("SELECT count(*) FROM engagement_salt").fetchone() == (0,)
    conn.close()
    data = public.read_bytes()
    authors = {"saltwind"}  # the work's author (public metadata) also replies to a comment
    for name in reader_names(index) - authors:
        assert name.encode() not in data, name
    for line in reader_texts(index):
        assert line.encode() not in data, line
    (found,) = get(public, "/public/comment_cards.json?_shape=objects&_search=lamp")
    assert found["rows"] == []
