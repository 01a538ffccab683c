"""A careless user and hostile pages against the index: nothing ficindex writes destroys it.

Outputs are refused when they would land on the index or a file beside it,
and are written whole or not at all; read commands never change a file that is
not a ficindex index and never leave a lock; the store keeps each work's
chapters its own; one bad page never stops an import; file times never decide
what text an import keeps.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ficindex.cli import cli, datasette_config
from ficindex.index import open_index
from index_fixtures import dump, fixture_index


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def index(tmp_path) -> Path:
    return fixture_index(tmp_path / "fics.db")


def _targets(db: Path) -> dict[str, Path]:
    """Ways of naming the index or one of its side files as an output path."""
    link = db.with_name("link-to-index.db")
    link.symlink_to(db.name)
    hard = db.with_name("hard-link.db")
    os.link(db, hard)
    (db.parent / "sub").mkdir()
    return {
        "itself": db,
        "dotted": db.parent / "sub" / ".." / db.name,
        "symlink": link,
        "hardlink": hard,
        "wal": db.with_name(db.name + "-wal"),
        "shm": db.with_name(db.name + "-shm"),
        "lock": db.with_name(db.name + ".lock"),
    }


COMMANDS = {
    "export jsonl": ["export", "{db}", "-o", "{out}"],
    "export csv": ["export", "{db}", "--format", "csv", "-o", "{out}"],
    "export metadata-only": ["export", "{db}", "--metadata-only", "-o", "{out}"],
    "datasette-config": ["datasette-config", "{db}", "-o", "{out}"],
    "datasette-config 1.0": [
        "datasette-config",
        "{db}",
        "--format",
        "1.0",
        "-o",
        "{other}",
        "--metadata-output",
        "{out}",
    ],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_output_path_can_land_on_the_index_or_its_files(index, command):
    before = dump(index)
    for how, target in _targets(index).items():
        args = [
            a.format(db=index, out=target, other=index.parent / "config.json")
            for a in COMMANDS[command]
        ]
        result = run(*args)
        assert result.exit_code == 2, (how, result.output)
        assert result.output.startswith("Error: ") and "destroy the index" in result.output, how
        assert dump(index) == before, how
    assert not (index.parent / "config.json").exists()


def test_a_failed_export_leaves_the_old_file_and_no_half_written_one(index, tmp_path):
    with sqlite3.connect(index) as conn:  # a damaged row makes the export fail midway
        conn.execute("UPDATE works SET gifts = 'not json' WHERE id = 3")
    conn.close()
    old = tmp_path / "old.jsonl"
    old.write_text("the previous export\n")
    new = tmp_path / "new.jsonl"
    before = sorted(p.name for p in tmp_path.iterdir())
    for out in (old, new):
        result = run("export", index, "-o", out)
        assert result.exit_code != 0
    assert old.read_text() == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no new.jsonl, no temp file


def test_outputs_keep_the_replaced_files_permissions(index, tmp_path):
    out = tmp_path / "x.csv"
    out.write_text("old")
    out.chmod(0o640)
    assert run("export", index, "--format", "csv", "-o", out).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o640 and out.read_text().startswith("id,title")


@pytest.fixture
def foreign(tmp_path) -> Path:
    """Another application's SQLite database, in rollback-journal mode."""
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    conn.commit()
    conn.close()
    return path


def _untouched(path: Path, content: bytes) -> None:
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name)) == [
        path.name
    ]


READ_COMMANDS = {
    "search": ["search", "{db}", "x"],
    "query": ["query", "{db}", "select 1"],
    "export": ["export", "{db}"],
    "datasette-config": ["datasette-config", "{db}"],
    "refresh dry run": ["refresh", "{db}", "--dry-run"],
    "reparse": ["reparse", "{db}"],
}


@pytest.mark.parametrize("command", sorted(READ_COMMANDS))
def test_commands_refuse_another_applications_database_without_touching_it(foreign, command):
    content = foreign.read_bytes()
    result = run(*(a.format(db=foreign) for a in READ_COMMANDS[command]))
    assert result.exit_code == 2, result.output
    assert "not a ficindex index" in result.output
    _untouched(foreign, content)


def test_import_and_crawl_refuse_another_applications_database(foreign):
    content = foreign.read_bytes()
    page = Path(__file__).parent / "fixtures" / "work-full-view.html"
    result = run("import", foreign, page)
    assert result.exit_code == 2, result.output
    assert "not a ficindex index" in result.output
    local = "http://127.0.0.1:9"
    result = run("crawl", foreign, f"{local}/works/1", "--base-url", local, "--silent")
    assert result.exit_code == 2, result.output
    assert "not a ficindex index" in result.output
    _untouched(foreign, content)


@pytest.mark.parametrize("command", sorted(READ_COMMANDS))
def test_commands_on_a_missing_index_leave_no_file(tmp_path, command):
    db = tmp_path / "missing.db"
    result = run(*(a.format(db=db) for a in READ_COMMANDS[command]))
    assert result.exit_code == 2 and "no index at" in result.output
    assert list(tmp_path.iterdir()) == []


_WRITER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE works SET kudos = kudos + 1")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def _hold_write_lock(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process in the middle of a write transaction on ``db`` for ``seconds``."""
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline() == "locked\n"
    return writer


def test_datasette_config_waits_for_a_running_writer(index, tmp_path):
    open_index(index).close()  # in WAL mode, as every run leaves it
    writer = _hold_write_lock(index, 1.5)
    try:
        result = run("datasette-config", index, "-o", tmp_path / "m.json")
    finally:
        writer.wait(timeout=30)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m.json").read_text())["databases"]
    with sqlite3.connect(index) as conn:
        views = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='view'")}
        kudos = conn.execute("SELECT kudos FROM works WHERE id = 1").fetchone()[0]
    conn.close()
    assert {"work_cards", "chapter_index", "tag_usage"} <= views
    assert kudos == 901  # the writer's transaction committed too


def test_datasette_config_gives_up_on_a_writer_that_never_ends(index, tmp_path, monkeypatch):
    monkeypatch.setattr(datasette_config, "WAIT_SECONDS", 0.5)
    open_index(index).close()
    writer = _hold_write_lock(index, 60)
    try:
        result = run("datasette-config", index, "-o", tmp_path / "m.json")
    finally:
        writer.terminate()
        writer.wait(timeout=30)
    assert result.exit_code == 3
    assert "stayed locked by another process" in result.output
    assert not (tmp_path / "m.json").exists()


FIXTURES = Path(__file__).parent / "fixtures"


def test_a_work_with_a_blank_title_is_still_exported_and_counted(tmp_path):
    page = (FIXTURES / "work-full-view.html").read_text(encoding="utf-8")
    blank = page.replace("The Lighthouse Keeper&#39;s Daughter", " \t ")
    assert blank != page
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "blank-title.html").write_text(blank, encoding="utf-8")
    (pages / "gone.html").write_bytes((FIXTURES / "page-404.html").read_bytes())
    db = tmp_path / "fics.db"
    assert run("import", db, pages, "--silent").exit_code == 1  # the 404 names no work
    result = run("export", db)
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 1 and records[0]["title"] is None and records[0]["chapters"]
    assert result.stderr == "Exported 1 works (1 selected)\n"
    csv_out = run("export", db, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    assert len(rows) == 1 and rows[0]["title"] == "" and csv_out.stderr.startswith("Exported 1 ")
    txt = run("export", db, "--format", "txt", "-o", tmp_path / "txt")
    assert txt.exit_code == 0 and len(list((tmp_path / "txt").iterdir())) == 1


def test_export_says_when_sql_selects_works_it_cannot_write(index):
    with sqlite3.connect(index) as conn:
        conn.execute("INSERT INTO works (id, status) VALUES (99, 'deleted')")  # known only by id
    conn.close()
    result = run("export", index, "--sql", "select id from works union select 12345")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 4
    assert result.stderr.startswith("Exported 4 works of 6 selected: 2 selected ids have no record")


def _page_of(tmp: Path, fixture: str, name: str, replace: dict[str, str]) -> Path:
    """A copy of a fixture page with some text replaced (another work id, say)."""
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def test_a_page_carrying_another_works_chapter_ids_does_not_take_them(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    shutil.copy2(FIXTURES / "work-full-view.html", pages / "a-real.html")
    # The same page claiming to be work 51000009: its chapter ids belong to 51000001.
    _page_of(pages, "work-full-view.html", "b-impostor.html", {"51000001": "51000009"})
    db = tmp_path / "fics.db"
    result = run("import", db, pages)
    assert result.exit_code == 0, result.output
    assert _rows(db, "SELECT id, work FROM chapters WHERE id > 0 ORDER BY id") == [
        (129000011, 51000001),
        (129000022, 51000001),
        (129000033, 51000001),
    ]
    # The impostor keeps its text, under stand-in keys.
    assert _rows(db, "SELECT count(*) FROM chapters WHERE work = 51000009 AND id < 0") == [(3,)]
    records = {r["work_id"]: r for r in map(json.loads, run("export", db).stdout.splitlines())}
    assert [c["chapter_id"] for c in records[51000001]["chapters"]] == [
        129000011,
        129000022,
        129000033,
    ]
    assert len(records[51000009]["chapters"]) == 3
    assert run("import", db, pages).output.count("unchanged") == 1  # idempotent


@pytest.mark.parametrize(
    "work_id", ["99999999999999", "123456789012345678", "999999999999999999", "46116860184273"]
)
def test_stand_in_chapter_keys_never_overflow(tmp_path, work_id):
    pages = tmp_path / "pages"
    pages.mkdir()
    _page_of(pages, "work-single-chapter.html", "a-huge.html", {"51000002": work_id})
    _page_of(pages, "work-single-chapter.html", "b-huger.html", {"51000002": work_id[:-1] + "7"})
    shutil.copy2(FIXTURES / "work-single-chapter.html", pages / "c-normal.html")
    db = tmp_path / "fics.db"
    result = run("import", db, pages, "--silent")
    assert result.exit_code == 0, result.output
    keys = _rows(db, "SELECT id, work FROM chapters ORDER BY work")
    assert len(keys) == 3 and len({k for k, _ in keys}) == 3
    assert all(k < 0 for k, _ in keys)
    assert (-(51000002 * 100000 + 1), 51000002) in keys  # ordinary ids keep the formula
    before = dump(db)
    assert run("import", db, pages, "--silent").exit_code == 0
    assert dump(db) == before
    chapters = [json.loads(line)["chapters"] for line in run("export", db).stdout.splitlines()]
    assert [c[0]["chapter_id"] for c in chapters] == [None, None, None]


def test_one_page_that_cannot_be_stored_fails_alone(tmp_path):
    db = tmp_path / "fics.db"
    open_index(db).close()
    with sqlite3.connect(db) as conn:  # the index refuses one work (a damaged or hostile index)
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON works WHEN NEW.id = 51000002 "
            "BEGIN SELECT RAISE(ABORT, 'work refused'); END"
        )
    conn.close()
    pages = tmp_path / "pages"
    pages.mkdir()
    for name in ("work-full-view.html", "work-single-chapter.html", "work-gift.html"):
        shutil.copy2(FIXTURES / name, pages / name)
    result = run("import", db, pages)
    assert result.exit_code == 1
    assert "work-single-chapter.html: could not be stored (IntegrityError: work refused)" in (
        result.output
    )
    assert "Imported 2 of 3 pages (2 new)" in result.output
    assert _rows(db, "SELECT count(*) FROM works") == [(2,)]
    # Nothing of the refused page is half-stored: its raw page went with its transaction.
    assert _rows(db, "SELECT count(*) FROM raw_pages") == [(2,)]
