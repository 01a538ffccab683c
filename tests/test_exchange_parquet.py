"""Parquet export: every file read back with pyarrow and with DuckDB matches the index."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import click
import pytest

from ficindex.errors import CannotStart
from ficindex.exchange import parquet
from ficindex.exchange.commands import export_to
from ficindex.index import open_index, readable_index
from ficindex.index.export import select_work_ids, work_record
from ficindex.index.filters import Filters
from ficindex.loader import import_file
from index_fixtures import fixture_index

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

FIXTURES = Path(__file__).parent / "fixtures"
SRC = Path(__file__).parents[1] / "src"
FILES = ("works", "chapters", "stats_history", "work_tags")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-built works (series, collections, stats history) plus every fixture page."""
    path = fixture_index(tmp_path_factory.mktemp("parquet") / "fics.db")
    index = open_index(path)
    for page in sorted(FIXTURES.iterdir()):
        if page.suffix in (".html", ".txt"):
            import_file(index, page)
    index.close()
    return path


@pytest.fixture(scope="module")
def out(db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("parquet-out") / "corpus"
    with readable_index(db) as index:
        parquet.export_parquet(index, select_work_ids(index), directory)
    return directory


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _rows(path: Path) -> list[dict[str, Any]]:
    return [{k: _iso(v) for k, v in row.items()} for row in pq.read_table(path).to_pylist()]


def _sql(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with readable_index(db) as index:
        return [tuple(r) for r in index.execute(sql).fetchall()]


def test_exports_four_files_and_no_leftovers(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{f}.parquet" for f in FILES)


def test_works_schema_is_typed(out: Path) -> None:
    schema = pq.read_schema(out / "works.parquet")
    assert schema.field("work_id").type == pa.int64()
    assert schema.field("authors").type == pa.list_(
        pa.struct([("pseud", pa.string()), ("user", pa.string())])
    )
    assert schema.field("series").type == pa.list_(
        pa.struct([("id", pa.int64()), ("title", pa.string()), ("position", pa.int64())])
    )
    assert schema.field("collections").type == pa.list_(
        pa.struct([("name", pa.string()), ("title", pa.string())])
    )
    for name in ("gifts", "warnings", "categories", "fandoms", "relationships", "freeforms"):
        assert schema.field(name).type == pa.list_(pa.string()), name
    assert schema.field("published").type == pa.date32()
    assert schema.field("updated").type == pa.date32()
    for name in ("status_at", "first_seen", "last_fetched"):
        assert schema.field(name).type == pa.timestamp("us", tz="UTC"), name
    for name in ("anonymous", "completed", "restricted"):
        assert schema.field(name).type == pa.bool_(), name
    assert schema.field("kudos").type == pa.int64()
    assert schema.field("status").type == pa.string()


def test_works_rows_equal_the_index_records(db: Path, out: Path) -> None:
    rows = _rows(out / "works.parquet")
    with readable_index(db) as index:
        ids = select_work_ids(index)
        assert [r["work_id"] for r in rows] == ids
        assert len(ids) > 20
        for row in rows:
            record = work_record(index, row["work_id"])
            assert record is not None
            expected = record.to_dict()
            stored = index.execute(
                "SELECT status, status_at, first_seen, last_fetched FROM works WHERE id = ?",
                [row["work_id"]],
            ).fetchone()
            assert (row["status"], row["status_at"], row["first_seen"], row["last_fetched"]) == (
                tuple(stored)
            )
            assert row["url"] == f"https://archiveofourown.org/works/{row['work_id']}"
            for key, value in expected.items():
                if key not in ("kind", "work_id", "chapters", "listing"):
                    assert row[key] == value, (row["work_id"], key)


def test_series_collections_and_deleted_status_survive(out: Path) -> None:
    rows = {r["work_id"]: r for r in _rows(out / "works.parquet")}
    assert rows[1]["series"] == [{"id": 77, "title": "Soho Days", "position": 1}]
    assert rows[1]["collections"] == [{"name": "go_fest", "title": "Good Omens Fest"}]
    assert rows[1]["authors"] == [{"pseud": "Angel", "user": "angelwriter"}]
    assert rows[1]["published"] == "2019-06-01"
    assert rows[1]["chapters_total"] is None


def test_chapters_equal_the_present_chapters(db: Path, out: Path) -> None:
    rows = [tuple(r.values()) for r in _rows(out / "chapters.parquet")]
    expected = _sql(
        db,
        "SELECT work, number, CASE WHEN id > 0 THEN id END, title, summary, notes, end_notes, "
        "text FROM chapters WHERE vanished_at IS NULL AND work IN "
        "(SELECT id FROM works WHERE title IS NOT NULL) ORDER BY work, number",
    )
    assert rows == expected
    assert any(r[2] is None for r in rows)  # plain-text copies show no chapter ids


def test_stats_history_and_work_tags_equal_the_tables(db: Path, out: Path) -> None:
    stats = [tuple(r.values()) for r in _rows(out / "stats_history.parquet")]
    assert stats == _sql(
        db,
        "SELECT work, fetched_at, words, chapters_posted, comments, kudos, bookmarks, hits "
        "FROM stats_history WHERE work IN (SELECT id FROM works WHERE title IS NOT NULL) "
        "ORDER BY work, fetched_at",
    )
    assert [s[5] for s in stats if s[0] == 2] == [300, 360]
    tags = [tuple(r.values()) for r in _rows(out / "work_tags.parquet")]
    assert tags == _sql(
        db,
        "SELECT l.work, t.name, t.type FROM work_tags l JOIN tags t ON t.id = l.tag "
        "WHERE l.work IN (SELECT id FROM works WHERE title IS NOT NULL) ORDER BY l.work, l.rowid",
    )
    assert (1, "Slow Burn", "freeform") in tags and (3, "Explicit", "rating") in tags


def test_duckdb_reads_the_types_and_values(db: Path, out: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    works = str(out / "works.parquet")
    types = dict(
        con.execute(f"SELECT column_name, column_type FROM (DESCRIBE '{works}')").fetchall()
    )
    assert types["published"] == "DATE"
    assert types["first_seen"] == "TIMESTAMP WITH TIME ZONE"
    assert types["fandoms"] == "VARCHAR[]"
    assert types["authors"] == 'STRUCT(pseud VARCHAR, "user" VARCHAR)[]'
    assert types["completed"] == "BOOLEAN"
    slow_burn = con.execute(
        f"SELECT work_id FROM '{works}' WHERE list_contains(freeforms, 'Slow Burn') ORDER BY 1"
    ).fetchall()
    assert slow_burn == _sql(
        db, "SELECT id FROM works WHERE freeforms LIKE '%\"Slow Burn\"%' ORDER BY id"
    )
    words = con.execute(f"SELECT sum(length(text)) FROM '{out / 'chapters.parquet'}'").fetchone()
    assert (
        words
        == _sql(
            db,
            "SELECT sum(length(text)) FROM chapters WHERE vanished_at IS NULL AND work IN "
            "(SELECT id FROM works WHERE title IS NOT NULL)",
        )[0]
    )
    users = con.execute(
        f"SELECT DISTINCT unnest(authors).user AS u FROM '{works}' ORDER BY u"
    ).fetchall()
    assert users == _sql(
        db,
        "SELECT DISTINCT a.user FROM authors a JOIN work_authors l ON l.author = a.id "
        "JOIN works w ON w.id = l.work WHERE w.title IS NOT NULL ORDER BY a.user",
    )


def test_metadata_only_drops_text_and_notes(db: Path, tmp_path: Path) -> None:
    message = export_to(
        "parquet", db, str(tmp_path), filters=Filters(), sql=None, metadata_only=True
    )
    assert message.startswith("Exported ")
    assert pq.read_schema(tmp_path / "chapters.parquet").names == [
        "work_id",
        "number",
        "chapter_id",
        "title",
    ]
    names = pq.read_schema(tmp_path / "works.parquet").names
    assert "notes" not in names and "end_notes" not in names and "summary" in names


def test_selection_by_filters_and_sql(db: Path, tmp_path: Path) -> None:
    export_to(
        "parquet",
        db,
        str(tmp_path / "a"),
        filters=Filters(fandoms=["Sherlock (TV)"]),
        sql=None,
        metadata_only=False,
    )
    with readable_index(db) as index:
        sherlock = select_work_ids(index, Filters(fandoms=["Sherlock (TV)"]))
    assert 3 in sherlock and 1 not in sherlock
    assert pq.read_table(tmp_path / "a" / "works.parquet")["work_id"].to_pylist() == sherlock
    chapters = pq.read_table(tmp_path / "a" / "chapters.parquet")["work_id"].to_pylist()
    assert set(chapters) == set(sherlock) & {w for (w,) in _sql(db, "SELECT work FROM chapters")}
    export_to(
        "parquet",
        db,
        str(tmp_path / "b"),
        filters=Filters(),
        sql="select id from works where id in (4, 1, 2) order by id desc",
        metadata_only=False,
    )
    assert pq.read_table(tmp_path / "b" / "works.parquet")["work_id"].to_pylist() == [4, 2, 1]


def test_without_output_directory_is_a_usage_error(db: Path) -> None:
    with pytest.raises(click.UsageError, match="give it with -o DIRECTORY"):
        export_to("parquet", db, None, filters=Filters(), sql=None, metadata_only=False)


def test_small_row_groups_stream_and_keep_every_row(
    db: Path, out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parquet, "CHAPTER_TEXT_PER_GROUP", 50)
    monkeypatch.setattr(parquet, "WORKS_PER_BATCH", 3)
    with readable_index(db) as index:
        parquet.export_parquet(index, select_work_ids(index), tmp_path)
    for name in FILES:
        small = pq.ParquetFile(tmp_path / f"{name}.parquet")
        assert small.metadata.num_row_groups > 3, name
        assert small.read().equals(pq.read_table(out / f"{name}.parquet")), name


def test_an_output_path_that_is_a_file_is_refused(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("x")
    with readable_index(db) as index, pytest.raises(Exception, match="is not a directory"):
        parquet.export_parquet(index, [1], target)
    assert target.read_text() == "x"


def test_missing_pyarrow_is_one_line_naming_the_extra(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("pyarrow", "pyarrow.parquet", "pyarrow.compute"):
        monkeypatch.setitem(sys.modules, name, None)
    with readable_index(db) as index, pytest.raises(CannotStart) as caught:
        parquet.export_parquet(index, [1], tmp_path / "x")
    assert str(caught.value) == "Parquet export needs pyarrow: pip install 'ficindex[parquet]'"
    assert not (tmp_path / "x").exists()


_MEMORY_PROBE = textwrap.dedent(
    """
    import resource, sys
    from ficindex.exchange.parquet import export_parquet, require_pyarrow
    from ficindex.index import readable_index
    from ficindex.index.export import select_work_ids
    require_pyarrow()
    with readable_index(sys.argv[1]) as index:
        ids = select_work_ids(index)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        export_parquet(index, ids, sys.argv[2])
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(before * 1024, after * 1024)
    """
)


def _text(seed: int, size: int) -> str:
    words = [f"w{(seed * 7919 + i * 104729) % 50021:x}" for i in range(size // 6)]
    return " ".join(words)


def test_memory_stays_bounded_while_the_text_grows(tmp_path: Path) -> None:
    """120 MB of chapter text exported while the peak resident size grows by under 80 MB.

    An export holding the corpus would need the text twice (Python strings and
    Arrow buffers); streaming needs one row group's worth plus the writer's pages.
    """
    path = tmp_path / "big.db"
    index = open_index(path)
    index.execute("DROP TRIGGER chapters_ai")  # FTS upkeep is not what this test measures
    works = 60
    index["works"].insert_all(
        {"id": w, "title": f"Work {w}", "published": "2020-01-01"} for w in range(1, works + 1)
    )
    text_bytes = 0
    for w in range(1, works + 1):
        text = _text(w, 2_000_000)
        text_bytes += len(text)
        index["chapters"].insert({"id": w, "work": w, "number": 1, "text": text})
    index.close()
    probe = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(path), str(tmp_path / "out")],
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    before, after = map(int, probe.stdout.split())
    assert text_bytes > 110_000_000
    assert after - before < text_bytes * 2 / 3, (before, after)
    assert pq.ParquetFile(tmp_path / "out" / "chapters.parquet").metadata.num_row_groups > 3
