"""ficindex import / reparse and the errors every index command shares, through the CLI."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from ficindex.cli import cli
from ficindex.index import open_index
from ficindex.index.batch import EXPORT_FIELDS
from ficindex.index.export import WORK_URL
from ficindex.lock import index_lock
from ficindex.parser import parse_page
from index_fixtures import dump

FIXTURES = Path(__file__).parent / "fixtures"


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def pages(tmp_path) -> Path:
    """A directory tree of saved pages: work pages, listings, status pages, in a subfolder too."""
    root = tmp_path / "pages"
    (root / "more").mkdir(parents=True)
    for name in (
        "work-full-view.html",
        "work-gift.html",
        "work-non-english.html",
        "page-mystery.html",
    ):
        shutil.copy2(FIXTURES / name, root / name)
    for name in (
        "listing-tag-pagy-first.html",
        "work-wip-unknown-total.html",
        "work-chapter-view.html",
    ):
        shutil.copy2(FIXTURES / name, root / "more" / name)
    (root / "notes.md").write_text("not a page")
    return root


def test_import_directory_then_again_leaves_the_file_identical(tmp_path, pages):
    db = tmp_path / "fics.db"
    first = run("import", db, pages)
    assert first.exit_code == 0, first.output
    with sqlite3.connect(db) as conn:
        works = conn.execute("SELECT count(*) FROM works WHERE title IS NOT NULL").fetchone()[0]
        raw = conn.execute("SELECT count(*), count(DISTINCT source) FROM raw_pages").fetchone()
    assert works > 5
    assert raw == (7, 7)  # notes.md is not a page file and is not read
    before = dump(db)
    second = run("import", db, pages)
    assert second.exit_code == 0, second.output
    assert "7 unchanged" in second.output
    assert dump(db) == before


def test_a_page_that_fails_is_named_and_the_rest_stored(tmp_path, pages):
    db = tmp_path / "fics.db"
    junk = tmp_path / "junk.html"
    shutil.copy2(FIXTURES / "page-junk.bin", junk)
    no_id = FIXTURES / "plain-work-wip.txt"
    result = run("import", db, junk, pages / "work-gift.html", no_id, FIXTURES / "page-503.html")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    summary = result.output.split("could not be stored:")[1]
    assert "junk.html" in summary and "plain-work-wip.txt" in summary and "page-503" in summary
    assert "plain-work-wip.txt: a work page without a work id" in summary  # each with its reason
    assert result.output.count("page-503") == 1  # named once, in the summary
    with sqlite3.connect(db) as conn:
        gift_id = parse_page((pages / "work-gift.html").read_bytes()).work_id
        assert conn.execute("SELECT title FROM works WHERE id = ?", [gift_id]).fetchone()[0]


def test_an_empty_listing_is_imported_not_failed(tmp_path):
    result = run("import", tmp_path / "fics.db", FIXTURES / "listing-empty.html")
    assert result.exit_code == 0, result.output
    assert "could not be stored" not in result.output


def test_round_trip_parse_import_export_gives_the_same_records(tmp_path):
    checked = 0
    for page in sorted([*FIXTURES.glob("work-*.html"), *FIXTURES.glob("plain-work-*.txt")]):
        record = parse_page(page.read_bytes())
        if record.kind != "work" or record.work_id is None:
            continue
        db = tmp_path / f"{page.stem}.db"
        assert run("import", db, page).exit_code == 0
        exported = run("export", db, "--format", "jsonl")
        assert exported.exit_code == 0, exported.output
        lines = [json.loads(line) for line in exported.stdout.splitlines()]
        assert [{k: v for k, v in line.items() if k not in EXPORT_FIELDS} for line in lines] == [
            record.to_dict()
        ], page.name
        assert [line["url"] for line in lines] == [WORK_URL.format(record.work_id)]
        assert lines[0]["status"] == "ok" and lines[0]["first_seen"] == lines[0]["last_fetched"]
        checked += 1
    assert checked >= 10


def test_exported_jsonl_lines_are_the_lines_parse_prints(tmp_path):
    """Byte for byte: same keys in the same order, UTF-8 as is, one record per line, then
    the export's own fields (status, fetch times, URL) after the record's last key."""
    pages = [
        p
        for p in sorted(FIXTURES.glob("work-*.html"))
        if parse_page(p.read_bytes()).kind == "work" and parse_page(p.read_bytes()).work_id
    ]
    db = tmp_path / "fics.db"
    assert run("import", db, *pages).exit_code == 0
    parsed = run("parse", *pages)
    assert parsed.exit_code == 0
    wanted = sorted(parsed.stdout.splitlines(), key=lambda line: json.loads(line)["work_id"])
    exported = run("export", db, "--format", "jsonl")
    assert exported.exit_code == 0, exported.output
    assert len(wanted) >= 10
    lines = exported.stdout.splitlines()
    assert len(lines) == len(wanted)
    for line, parsed_line in zip(lines, wanted, strict=True):
        assert line.startswith(parsed_line[:-1] + ',"status":"ok","status_at":')


def test_reparse_rebuilds_records_from_raw_pages(tmp_path, pages):
    db = tmp_path / "fics.db"
    run("import", db, pages)
    before = run("export", db).stdout
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE works SET title = 'damaged', kudos = -1 WHERE title IS NOT NULL")
        conn.execute("UPDATE chapters SET text = 'damaged'")
    assert "damaged" in run("export", db).stdout
    result = run("reparse", db)
    assert result.exit_code == 0, result.output
    assert run("export", db).stdout == before
    snapshot = dump(db)
    assert run("reparse", db).exit_code == 0
    assert dump(db) == snapshot


def test_read_commands_on_a_missing_index_exit_2(tmp_path):
    for args in (("search", "x"), ("export",), ("query", "works_by_status")):
        result = run(args[0], tmp_path / "missing.db", *args[1:])
        assert result.exit_code == 2
        assert result.output.startswith("Error: no index at")
    assert not (tmp_path / "missing.db").exists()


def test_a_file_that_is_not_sqlite_exits_2_in_one_line(tmp_path):
    path = tmp_path / "fics.db"
    path.write_bytes(b"\x00garbage" * 100)
    for args in (("search", "x"), ("import", FIXTURES / "work-gift.html")):
        result = run(args[0], path, *args[1:])
        assert result.exit_code == 2
        assert result.output.count("\n") == 1 and "not a SQLite database" in result.output


def test_corrupt_sqlite_file_exits_2(tmp_path):
    path = tmp_path / "fics.db"
    open_index(path).close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    path.write_bytes(bytes(data))
    result = run("query", path, "works_by_status")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_import_into_an_index_being_written_exits_3(tmp_path):
    db = tmp_path / "fics.db"
    with index_lock(db):
        result = run("import", db, FIXTURES / "work-gift.html")
    assert result.exit_code == 3
    assert "another" in result.output


def test_search_reads_while_an_import_holds_the_lock(tmp_path, pages):
    db = tmp_path / "fics.db"
    run("import", db, pages)
    with index_lock(db):
        result = run("search", db, "the", "--nl")
    assert result.exit_code == 0 and result.stdout.strip()
