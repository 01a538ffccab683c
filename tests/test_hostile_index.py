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
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ficindex.cli import cli, datasette_config
from ficindex.index import open_index
from ficindex.index.store import LINK_SQL
from ficindex.loader import page_time
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
    assert out.stat().st_mode & 0o777 == 0o640 and out.read_text().startswith("work_id,title")


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


REAL = Path(__file__).parents[1].parent / "shared" / "fixtures" / "ao3-real"
T0, T1, T2, T3 = 1_600_000_000, 1_650_000_000, 1_660_000_000, 1_670_000_000


def _mixed_corpus(root: Path, metadata_time: int) -> Path:
    """Full pages, chapter views, interstitials and a listing of the same works.

    File names sort the metadata pages (interstitials, blurbs) first, so an
    import meets them before the full pages; ``metadata_time`` dates them.
    """
    root.mkdir()
    pages: list[tuple[Path, int]] = [
        (
            _page_of(
                root, "page-interstitial-old.html", "a-inter-1.html", {"52000002": "51000001"}
            ),
            metadata_time,
        ),
        (
            _page_of(
                root, "page-interstitial-current.html", "a-inter-2.html", {"52000001": "51000002"}
            ),
            metadata_time,
        ),
        (
            shutil.copy2(FIXTURES / "listing-tag-pagy-first.html", root / "a-listing.html"),
            metadata_time,
        ),
        (
            _page_of(
                root,
                "work-chapter-view.html",
                "b-view-1.html",
                {"51000003": "51000001", "130000002": "129000022"},
            ),
            T2,
        ),
        (shutil.copy2(FIXTURES / "work-full-view.html", root / "c-full-1.html"), T1),
        (shutil.copy2(FIXTURES / "work-single-chapter.html", root / "c-full-2.html"), T1),
        (shutil.copy2(FIXTURES / "work-wip-unknown-total.html", root / "c-full-9.html"), T1),
    ]
    if REAL.is_dir():
        pages += [
            (shutil.copy2(REAL / "fujo-work-17793689.html", root / "d-view-a.html"), T2),
            (shutil.copy2(REAL / "fujo-work-17793689-chapter.html", root / "d-view-b.html"), T1),
            (shutil.copy2(REAL / "nianeyna-explicitWorkLoggedIn.html", root / "d-full.html"), T1),
            (shutil.copy2(REAL / "ambtus-wip.html", root / "d-inter.html"), metadata_time),
        ]
    for path, stamp in pages:
        os.utime(path, (stamp, stamp))
    return root


def _chapters(db: Path) -> list[tuple[object, ...]]:
    return _rows(
        db,
        "SELECT id, work, number, title, text, vanished_at IS NULL FROM chapters "
        "ORDER BY work, number, id",
    )


def _contents(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row the index holds, by table; links as each work's ordered list of names.

    Not a byte dump: replaying pages rewrites link rows (new rowids, same links),
    leaves tags and authors that an older page named and a newer one dropped in
    their shared tables, and reshapes the FTS shadow tables derived from the rest.
    """
    out = {
        table: _rows(db, f"SELECT * FROM {table} ORDER BY {order}")
        for table, order in (
            ("works", "id"),
            ("chapters", "id"),
            ("stats_history", "work, fetched_at"),
            ("raw_pages", "id"),
            ("series", "id"),
            ("collections", "name"),
        )
    }
    works = [w for (w,) in _rows(db, "SELECT id FROM works ORDER BY id")]
    for name, sql in LINK_SQL.items():
        out[name] = [(w, *link) for w in works for link in _rows(db, sql.replace("?", str(w)))]
    return out


def test_import_then_reparse_gives_the_same_index(tmp_path):
    db = tmp_path / "fics.db"
    corpus = _mixed_corpus(tmp_path / "pages", T3)
    result = run("import", db, corpus, "--silent")
    assert result.exit_code == 0, result.output
    imported, exported = _contents(db), run("export", db).stdout
    result = run("reparse", db, "--silent")
    assert result.exit_code == 0, result.output
    assert _contents(db) == imported
    assert run("export", db).stdout == exported
    # The full page's chapters are stored although its interstitial is newer; the
    # chapter view (newer than the full page) supplies chapter 2.
    rows = [r for r in _chapters(db) if r[1] == 51000001]
    assert [(r[0], r[2], r[5]) for r in rows] == [
        (129000011, 1, 1),
        (129000022, 2, 1),
        (129000033, 3, 1),
    ]
    view = (FIXTURES / "work-chapter-view.html").read_text(encoding="utf-8")
    assert str(rows[1][4]).startswith("The boats went downstream.")
    assert "The boats went downstream." in view
    assert _rows(db, "SELECT count(*) FROM chapters WHERE work = 51000002") == [(1,)]


def test_file_times_do_not_decide_which_text_an_import_keeps(tmp_path):
    newer, older = tmp_path / "newer.db", tmp_path / "older.db"
    assert run("import", newer, _mixed_corpus(tmp_path / "a", T3), "--silent").exit_code == 0
    assert run("import", older, _mixed_corpus(tmp_path / "b", T0), "--silent").exit_code == 0
    assert _chapters(newer) == _chapters(older)
    assert len(_chapters(newer)) >= 7


def test_a_file_dated_in_the_future_is_clamped_with_a_warning(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    page = shutil.copy2(FIXTURES / "work-full-view.html", pages / "w.html")
    os.utime(page, (4_102_444_800, 4_102_444_800))  # 2100-01-01
    db = tmp_path / "fics.db"
    result = run("import", db, page)
    assert result.exit_code == 0
    assert "Warning: " in result.stderr and "is in the future; stored as fetched now" in (
        result.stderr
    )
    (fetched,) = _rows(db, "SELECT last_fetched FROM works")[0]
    assert str(fetched) < "2100"
    # A later fetch of the work is not "stale": the work is not frozen until 2100.
    text = page.read_text(encoding="utf-8").replace(
        "The Lighthouse Keeper&#39;s", "The Keeper&#39;s"
    )
    later = pages / "w2.html"
    later.write_text(text, encoding="utf-8")
    stamp = time.time()  # fetched after the first import ran
    os.utime(later, (stamp, stamp))
    result = run("import", db, later)
    assert result.exit_code == 0 and "1 updated" in result.stderr, result.output
    assert "Warning" not in result.stderr
    assert _rows(db, "SELECT title FROM works") == [("The Keeper's Daughter",)]


@pytest.mark.parametrize("mtime", [1e13, -1e13, float("inf")])
def test_a_file_time_that_is_no_date_is_taken_as_now(mtime):
    stamp, warning = page_time(mtime, now=T1)
    assert stamp == "2022-04-15T05:20:00Z"
    assert warning is not None and "is not a date" in warning


def test_an_ordinary_file_time_is_kept():
    assert page_time(T0, now=T1) == ("2020-09-13T12:26:40Z", None)
