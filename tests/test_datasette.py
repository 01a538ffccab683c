"""Datasette integration, checked with Datasette itself (its in-process test client).

The index is built from hand-made records through the real ``save_record``,
the metadata comes from the real ``datasette-config`` command, and every
assertion is on what Datasette serves or on the rows in the files.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from click.testing import CliRunner
from datasette.app import Datasette

from ficindex.cli import cli
from ficindex.crawl import frontier
from ficindex.datasette import VIEWS, ensure_views, make_public_copy
from ficindex.errors import BadInput
from ficindex.index import open_index
from ficindex.index.queries import canned_queries
from ficindex.index.store import mark_status, save_raw_page, save_record
from ficindex.record import Author, Chapter, Record

TEA = "The kettle sang a crooked little song over the bookshop."


def _work(work_id: int, **fields: Any) -> Record:
    data: dict[str, Any] = {
        "kind": "work",
        "work_id": work_id,
        "title": f"Work {work_id}",
        "authors": [Author(pseud=f"pseud{work_id}", user=f"user{work_id}")],
        "rating": "General Audiences",
        "warnings": ["No Archive Warnings Apply"],
        "fandoms": ["Sherlock (TV)"],
        "language": "English",
        "published": "2021-01-01",
        "updated": "2021-01-01",
        "completed": True,
        "words": 1000,
        "kudos": 10,
        "hits": 100,
        "chapters_posted": 1,
        "chapters_total": 1,
        "chapters": [Chapter(number=1, chapter_id=work_id * 10 + 1, text="Plain words.")],
    }
    data.update(fields)
    return Record(**data)


RECORDS = [
    _work(
        1001,
        title="Tea at the Bookshop",
        authors=[Author(pseud="Crawly", user="serpent")],
        rating="Teen And Up Audiences",
        fandoms=["Good Omens (TV)"],
        relationships=["Aziraphale/Crowley (Good Omens)"],
        freeforms=["Fluff", "Tea"],
        summary="Tea and sympathy in Soho.",
        notes="Thanks to my beta.",
        published="2019-06-01",
        updated="2020-01-10",
        words=12000,
        kudos=500,
        hits=5000,
        chapters_posted=2,
        chapters_total=2,
        chapters=[
            Chapter(number=1, chapter_id=10011, title="Kettle", text=TEA),
            Chapter(number=2, chapter_id=10012, text="Nothing else happened."),
        ],
    ),
    _work(
        1002,
        title="Crossover Weekend",
        rating="Mature",
        fandoms=["Good Omens (TV)", "Sherlock (TV)"],
        freeforms=["Fluff", "Crossover"],
        language="Deutsch",
        completed=False,
        chapters_total=None,
        published="2021-03-01",
        updated="2023-05-01",
        words=800,
        kudos=50,
        hits=200,
    ),
    _work(
        1003,
        title="A Study in Length",
        authors=[],
        anonymous=True,
        words=150000,
        kudos=5,
        hits=50,
    ),
]

#: Expected rows of some canned queries over the index above (name -> params, rows).
EXPECTED: dict[str, tuple[dict[str, str], list[dict[str, Any]]]] = {
    "search": ({"q": "tea"}, [{"id": 1001, "title": "Tea at the Bookshop"}]),
    "works_by_status": ({}, [{"status": "ok", "works": 3}, {"status": "deleted", "works": 1}]),
    "fastest_growing": (
        {},
        [{"id": 1002, "title": "Crossover Weekend", "kudos_before": 50, "kudos_now": 80}],
    ),
    "tag_cooccurrence": (
        {"tag": "fluff"},
        [
            {"tag": "Good Omens (TV)", "type": "fandom", "works": 2},
            {"tag": "No Archive Warnings Apply", "type": "warning", "works": 2},
            {"tag": "Aziraphale/Crowley (Good Omens)", "type": "relationship", "works": 1},
            {"tag": "Crossover", "type": "freeform", "works": 1},
            {"tag": "Mature", "type": "rating", "works": 1},
            {"tag": "Sherlock (TV)", "type": "fandom", "works": 1},
            {"tag": "Tea", "type": "freeform", "works": 1},
            {"tag": "Teen And Up Audiences", "type": "rating", "works": 1},
        ],
    ),
    "kudos_per_hit": (
        {},
        [
            {"id": 1002, "kudos": 80, "hits": 300},
            {"id": 1001, "kudos": 500, "hits": 5000},
        ],
    ),
}

#: Parameters for canned queries that need them (any other needs none).
PARAMS = {name: params for name, (params, _) in EXPECTED.items() if params}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ds") / "fics.db"
    db = open_index(path)
    frontier.migrate(db)
    for record in RECORDS:
        save_record(db, record, fetched_at="2024-01-01T00:00:00Z")
    later = dataclasses.replace(RECORDS[1], kudos=80, hits=300)
    save_record(db, later, fetched_at="2024-01-03T00:00:00Z")
    mark_status(db, 1004, "deleted", at="2024-01-02T00:00:00Z")
    save_raw_page(
        db,
        url="https://archiveofourown.org/works/1001",
        fetched_at="2024-01-01T00:00:00Z",
        http_status=200,
        body=TEA.encode(),
        work_id=1001,
    )
    db.close()
    return path


@pytest.fixture(scope="module")
def metadata(index: Path) -> dict[str, Any]:
    out = index.with_name("metadata.json")
    result = CliRunner().invoke(cli, ["datasette-config", str(index), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def _get(ds: Datasette, *paths: str) -> list[Any]:
    """GET each path from Datasette's in-process client; fail on any non-200 answer."""

    async def run() -> list[Any]:
        await ds.invoke_startup()
        out = []
        for path in paths:
            response = await asyncio.wait_for(ds.client.get(path), timeout=30)
            assert response.status_code == 200, (path, response.status_code, response.text)
            out.append(response.json() if ".json" in path else response.text)
        return out

    return asyncio.run(run())


@pytest.fixture(scope="module")
def ds(index: Path, metadata: dict[str, Any]) -> Datasette:
    return Datasette([str(index)], metadata=metadata)


def test_every_canned_query_runs_and_returns_the_expected_rows(
    ds: Datasette, index: Path, metadata: dict[str, Any]
) -> None:
    queries = canned_queries()
    configured = metadata["databases"]["fics"]["queries"]
    assert set(configured) == set(queries)
    for name, query in queries.items():
        assert configured[name]["title"] == query.title
        assert configured[name]["description"] == query.description
        params = PARAMS.get(name, {})
        qs = "".join(f"&{k}={v}" for k, v in params.items())
        (page,) = _get(ds, f"/fics/{name}.json?_shape=objects{qs}")
        assert page["ok"], (name, page.get("error"))
        conn = sqlite3.connect(index)
        conn.row_factory = sqlite3.Row
        direct = [dict(r) for r in conn.execute(query.sql, params)]
        conn.close()
        assert page["rows"] == direct, name
        if name in EXPECTED:
            expected = EXPECTED[name][1]
            got = [{k: row[k] for k in expected[0]} for row in page["rows"]]
            assert got == expected, name
    assert set(EXPECTED) <= set(queries)


def test_canned_query_parameters_become_form_fields(ds: Datasette) -> None:
    (html,) = _get(ds, "/fics/tag_cooccurrence")
    assert 'name="tag"' in html


def test_table_search_on_works_and_chapters_uses_raw_fts5_syntax(ds: Datasette) -> None:
    phrase, prefix, chapters, negated = _get(
        ds,
        '/fics/works.json?_shape=objects&_search="tea and sympathy"',
        "/fics/works.json?_shape=objects&_search=crossov*",
        '/fics/chapters.json?_shape=objects&_search="crooked little song"',
        "/fics/works.json?_shape=objects&_search=fluff NOT tea",
    )
    assert [r["id"] for r in phrase["rows"]] == [1001]
    assert [r["id"] for r in prefix["rows"]] == [1002]
    assert [(r["id"], r["work"]) for r in chapters["rows"]] == [(10011, 1001)]
    assert [r["id"] for r in negated["rows"]] == [1002]


def test_views_load_and_search_through_the_fts_tables(ds: Datasette) -> None:
    cards, found, chapters = _get(
        ds,
        "/fics/work_cards.json?_shape=objects&_sort=id",
        "/fics/work_cards.json?_shape=objects&_search=sympathy",
        '/fics/chapter_index.json?_shape=objects&_search="crooked little song"',
    )
    by_id = {row["id"]: row for row in cards["rows"]}
    assert sorted(by_id) == [1001, 1002, 1003, 1004]
    assert by_id[1001]["authors"] == "Crawly (serpent)"
    assert by_id[1001]["chapters"] == "2/2"
    assert by_id[1001]["ao3_url"] == "https://archiveofourown.org/works/1001"
    assert by_id[1002]["chapters"] == "1/?"
    assert by_id[1003]["authors"] == "Anonymous"
    assert by_id[1004]["status"] == "deleted"
    assert json.loads(by_id[1002]["fandoms"]) == ["Good Omens (TV)", "Sherlock (TV)"]
    assert [r["id"] for r in found["rows"]] == [1001]
    (row,) = chapters["rows"]
    assert row["work_title"] == "Tea at the Bookshop"
    assert row["title"] == "Kettle"
    assert row["ao3_url"] == "https://archiveofourown.org/works/1001/chapters/10011"
    assert "text" not in row


def test_tag_usage_view_counts_works_per_tag(ds: Datasette) -> None:
    (page,) = _get(ds, "/fics/tag_usage.json?_shape=objects&name=Fluff")
    assert [(r["type"], r["works"], r["kudos"]) for r in page["rows"]] == [("freeform", 2, 580)]


def test_configured_facets_are_offered_with_array_facets(ds: Datasette) -> None:
    (page,) = _get(ds, "/fics/works.json?_shape=objects")
    facets = page["facet_results"]
    assert {"rating", "language", "fandoms", "relationships"} <= set(facets)
    assert facets["fandoms"]["type"] == "array"
    counts = {r["value"]: r["count"] for r in facets["fandoms"]["results"]}
    assert counts == {"Good Omens (TV)": 2, "Sherlock (TV)": 2}
    ratings = {r["value"]: r["count"] for r in facets["rating"]["results"]}
    assert ratings["Mature"] == 1
    suggested = {(s["name"], s.get("type", "column")) for s in page["suggested_facets"]}
    assert {("freeforms", "array"), ("warnings", "array"), ("completed", "column")} <= suggested
    (cards,) = _get(ds, "/fics/work_cards.json?_shape=objects")
    assert cards["facet_results"]["fandoms"]["type"] == "array"


def test_works_sorted_by_update_newest_first(ds: Datasette) -> None:
    (page,) = _get(ds, "/fics/works.json?_shape=objects&status=ok")
    assert [r["id"] for r in page["rows"]] == [1002, 1003, 1001]


def test_bookkeeping_and_fts_tables_are_hidden(ds: Datasette) -> None:
    (page,) = _get(ds, "/fics.json")
    hidden = {t["name"] for t in page["tables"] if t["hidden"]}
    visible = {t["name"] for t in page["tables"] if not t["hidden"]}
    assert {
        "raw_pages",
        "fetch_log",
        "crawl_targets",
        "crawl_pages",
        "crawl_works",
        "_sqlite_migrations",
        "works_fts",
        "works_fts_data",
        "chapters_fts_idx",
    } <= hidden
    assert {"works", "chapters", "authors", "tags", "stats_history"} <= visible
    assert {"work_cards", "chapter_index", "tag_usage"} <= {v["name"] for v in page["views"]}
    (html,) = _get(ds, "/fics")
    assert 'href="/fics/works"' in html
    assert 'href="/fics/raw_pages"' not in html
    assert 'href="/fics/fetch_log"' not in html


def test_label_columns_show_names_for_foreign_keys(ds: Datasette) -> None:
    (page,) = _get(ds, "/fics/work_authors.json?_shape=objects&_labels=on&work=1001")
    (row,) = page["rows"]
    assert row["author"]["label"] == "Crawly"


def test_site_metadata_names_source_and_rights(metadata: dict[str, Any]) -> None:
    assert metadata["source"] == "Archive of Our Own"
    assert metadata["source_url"] == "https://archiveofourown.org/"
    assert "belong to their authors" in metadata["description"]
    works = metadata["databases"]["fics"]["tables"]["works"]
    assert works["searchmode"] == "raw"
    assert "<dt>kudos</dt><dd>Kudos count</dd>" in works["description_html"]


def test_format_1_0_splits_config_and_metadata(index: Path, tmp_path: Path) -> None:
    config_path = tmp_path / "datasette.yaml"
    result = CliRunner().invoke(
        cli, ["datasette-config", str(index), "--format", "1.0", "-o", str(config_path)]
    )
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    meta = yaml.safe_load((tmp_path / "metadata.yaml").read_text(encoding="utf-8"))
    assert set(config) == {"databases"}
    db_config = config["databases"]["fics"]
    assert set(db_config["queries"]) == set(canned_queries())
    assert db_config["tables"]["works"]["fts_table"] == "works_fts"
    assert db_config["tables"]["works"]["sort_desc"] == "updated"
    assert db_config["tables"]["raw_pages"] == {"hidden": True}
    assert db_config["tables"]["authors"] == {"label_column": "pseud"}
    assert "columns" not in db_config["tables"]["works"]
    assert meta["title"] and meta["source"] == "Archive of Our Own"
    assert "queries" not in meta["databases"]["fics"]
    works_meta = meta["databases"]["fics"]["tables"]["works"]
    assert set(works_meta) == {"description", "description_html"}
    assert "<details" in works_meta["description_html"]
    sql = db_config["queries"]["works_by_status"]["sql"]
    assert sql.startswith("select status")


def test_format_1_0_needs_an_output_file(index: Path) -> None:
    result = CliRunner().invoke(cli, ["datasette-config", str(index), "--format", "1.0"])
    assert result.exit_code == 2
    assert "-o" in result.output


def test_missing_index_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["datasette-config", str(tmp_path / "nope.db")])
    assert result.exit_code == 2
    assert result.output.startswith("Error: no index at")
    assert not (tmp_path / "nope.db").exists()


def test_views_are_written_once_and_replaced_when_their_definition_changes(
    tmp_path: Path,
) -> None:
    db = open_index(tmp_path / "v.db")
    assert ensure_views(db) == list(VIEWS)
    assert ensure_views(db) == []
    db.execute("DROP VIEW work_cards")
    db.execute("CREATE VIEW work_cards AS SELECT id FROM works")
    assert ensure_views(db) == ["work_cards"]
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'work_cards'").fetchone()[0]
    assert sql == VIEWS["work_cards"]
    db.close()


def test_public_copy_drops_text_and_raw_pages_and_rebuilds_search(
    index: Path, tmp_path: Path
) -> None:
    public = tmp_path / "public.db"
    result = CliRunner().invoke(cli, ["export", str(index), "--metadata-only", "-o", str(public)])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(public)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("SELECT count(*) FROM works").fetchone()[0] == 4
    assert conn.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM crawl_targets").fetchone()[0] == 0
    texts = conn.execute("SELECT text, summary, notes FROM chapters").fetchall()
    assert len(texts) == 4 and set(texts) == {("", None, None)}
    assert conn.execute("SELECT notes FROM works WHERE id = 1001").fetchone()[0] is None
    assert conn.execute("SELECT title FROM chapters WHERE id = 10011").fetchone()[0] == "Kettle"
    assert conn.execute("SELECT count(*) FROM stats_history").fetchone()[0] >= 4
    hits = "SELECT rowid FROM chapters_fts WHERE chapters_fts MATCH 'crooked'"
    assert conn.execute(hits).fetchall() == []
    found = conn.execute("SELECT rowid FROM works_fts WHERE works_fts MATCH 'sympathy'")
    assert found.fetchall() == [(1001,)]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert not public.read_bytes().count(b"crooked little song")
    # The source keeps its text.
    source = sqlite3.connect(index)
    assert source.execute("SELECT text FROM chapters WHERE id = 10011").fetchone()[0] == TEA
    source.close()
    # And Datasette serves the copy with metadata generated for it.
    meta_path = tmp_path / "public.json"
    result = CliRunner().invoke(cli, ["datasette-config", str(public), "-o", str(meta_path)])
    assert result.exit_code == 0, result.output
    ds = Datasette([str(public)], metadata=json.loads(meta_path.read_text()))
    (page,) = _get(ds, "/public/work_cards.json?_shape=objects&_search=sympathy")
    assert [r["id"] for r in page["rows"]] == [1001]


def test_public_copy_is_a_snapshot_taken_while_a_writer_holds_the_index(
    index: Path, tmp_path: Path
) -> None:
    writer = _writer_holding_a_transaction(index)
    try:
        copy = make_public_copy(index, tmp_path / "public.db")
    finally:
        writer.rollback()
        writer.close()
    assert copy.works == 4
    conn = sqlite3.connect(tmp_path / "public.db")
    assert conn.execute("SELECT kudos FROM works WHERE id = 1001").fetchone()[0] == 500
    conn.close()


def test_public_copy_refuses_to_overwrite_the_index(index: Path) -> None:
    with pytest.raises(BadInput, match="new file"):
        make_public_copy(index, index)


def _writer_holding_a_transaction(path: Path) -> sqlite3.Connection:
    """A connection in the middle of an uncommitted write, as during a crawl."""
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE works SET kudos = kudos + 1000 WHERE id = 1001")
    return writer


def test_python_sqlite3_and_datasette_read_while_a_writer_holds_the_index(
    index: Path, ds: Datasette
) -> None:
    writer = _writer_holding_a_transaction(index)
    try:
        reader = sqlite3.connect(index, timeout=0)
        kudos = reader.execute("SELECT kudos FROM works WHERE id = 1001").fetchone()[0]
        reader.close()
        assert kudos == 500
        (page,) = _get(ds, "/fics/works/1001.json?_shape=objects")
        assert page["rows"][0]["kudos"] == 500
    finally:
        writer.rollback()
        writer.close()


def test_sqlite3_shell_reads_while_a_writer_holds_the_index(index: Path) -> None:
    shell = shutil.which("sqlite3")
    if shell is None:
        pytest.skip("the sqlite3 command-line shell is not installed")
    writer = _writer_holding_a_transaction(index)
    try:
        out = subprocess.run(
            [shell, "-readonly", str(index), "SELECT kudos FROM works WHERE id = 1001"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        writer.rollback()
        writer.close()
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "500"


FIXTURES = Path(__file__).parent / "fixtures"


def test_from_imported_pages_to_browsing_in_two_commands(tmp_path: Path) -> None:
    """The README path: import saved pages, write the metadata, browse."""
    pages = sorted(FIXTURES.glob("work-*.html")) + sorted(FIXTURES.glob("listing-*.html"))
    expected = json.loads((FIXTURES / "work-single-chapter.expected.json").read_text())
    phrase = expected["chapters"][0]["text"].splitlines()[0]
    db = tmp_path / "fics.db"
    runner = CliRunner()
    imported = runner.invoke(cli, ["import", str(db), "--silent", *map(str, pages)])
    assert imported.exit_code in (0, 1), imported.output
    meta = tmp_path / "metadata.json"
    result = runner.invoke(cli, ["datasette-config", str(db), "-o", str(meta)])
    assert result.exit_code == 0, result.output
    ds = Datasette([str(db)], metadata=json.loads(meta.read_text()))
    conn = sqlite3.connect(db)
    works = conn.execute("SELECT count(*) FROM works").fetchone()[0]
    fandoms = conn.execute(
        "SELECT count(*) FROM works WHERE fandoms LIKE ?", [f'%"{expected["fandoms"][0]}"%']
    ).fetchone()[0]
    conn.close()
    cards, found, table = _get(
        ds,
        "/fics/work_cards.json?_shape=objects&_size=max",
        f"/fics/chapter_index.json?_shape=objects&_search={quote(json.dumps(phrase))}",
        "/fics/works.json?_shape=objects",
    )
    assert len(cards["rows"]) == works > 20
    assert expected["work_id"] in {r["work"] for r in found["rows"]}
    counts = {r["value"]: r["count"] for r in table["facet_results"]["fandoms"]["results"]}
    assert counts[expected["fandoms"][0]] == fandoms
