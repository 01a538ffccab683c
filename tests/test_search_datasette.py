"""The ``search`` canned query and the table search box in Datasette itself, on CJK text.

Datasette runs the index with plain SQLite (no ficindex code), so this proves
the side indexes and the canned query need nothing but SQLite.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from ficindex.cli import cli
from ficindex.index import open_index
from ficindex.index.store import save_record
from index_fixtures import work


@pytest.fixture(scope="module")
def ds(tmp_path_factory: pytest.TempPathFactory) -> Datasette:
    path = tmp_path_factory.mktemp("dscjk") / "fics.db"
    db = open_index(path)
    save_record(db, work(1, title="长安", chapter_texts=["长安的火熄灭之后，靖安司里只剩下灯。"]))
    save_record(db, work(2, title="手紙", chapter_texts=["雨の日に、彼は図書館へ行った。"]))
    save_record(db, work(3, title="Tea", chapter_texts=["Tea-shop at nine."]))
    db.close()
    out = path.with_name("metadata.json")
    result = CliRunner().invoke(cli, ["datasette-config", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return Datasette([str(path)], metadata=json.loads(out.read_text(encoding="utf-8")))


def get(ds: Datasette, path: str) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        await ds.invoke_startup()
        response = await ds.client.get(path)
        assert response.status_code == 200, response.text
        return dict(response.json())

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("q", "work_id", "snippet"),
    [
        ("靖安司", 1, "[靖安司]"),
        ("长安", 1, "[长安]"),
        ("図書館", 2, "[図書館]"),
        ("火", 1, "[火]"),
    ],
)
def test_the_canned_search_query_finds_cjk_words_in_datasette(ds, q, work_id, snippet):
    page = get(ds, f"/fics/search.json?_shape=objects&q={quote(q)}")
    assert page["ok"], page.get("error")
    assert [r["id"] for r in page["rows"]] == [work_id]
    assert snippet in page["rows"][0]["snippet"]


def test_the_canned_search_query_reads_punctuation_as_words(ds):
    page = get(ds, f"/fics/search.json?_shape=objects&q={quote('tea-shop')}")
    assert [r["id"] for r in page["rows"]] == [3]


def test_the_table_search_box_finds_only_whole_cjk_runs(ds):
    """The documented difference: the search box is FTS5 on the word index, where a run
    of CJK text between punctuation is one token; the canned query finds words inside."""

    def found(table: str, q: str) -> list[int]:
        page = get(ds, f"/fics/{table}.json?_shape=objects&_search={quote(q)}")
        return [r["id"] for r in page["rows"]]

    assert found("works", "长安") == [1]  # the whole title
    assert found("chapters", "靖安司") == []  # inside a sentence
    assert found("chapters", "长安*") == [11]  # the start of a run, as a prefix
