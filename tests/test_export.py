"""ficindex export: JSON Lines records, CSV (formula-safe), txt files with safe names."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from click.testing import CliRunner

from ficindex.cli import cli
from ficindex.index import open_index
from ficindex.index.export import safe_filename
from ficindex.index.store import save_record
from index_fixtures import fixture_index, work


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return fixture_index(tmp_path_factory.mktemp("export") / "fics.db")


def test_jsonl_holds_full_records_with_chapters(db):
    result = run("export", db, "--fandom", "Sherlock (TV)")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["work_id"] for r in records] == [3, 4]
    assert records[1]["chapters"][0]["text"] == "The violin was gone."
    assert records[1]["kudos"] == 1300
    assert records[0]["language"] == "Русский"


def test_sql_selection_and_output_file(db, tmp_path):
    out = tmp_path / "x.jsonl"
    result = run(
        "export", db, "--sql", "select id from works where kudos > 500 order by id", "-o", out
    )
    assert result.exit_code == 0
    assert [json.loads(line)["work_id"] for line in out.read_text().splitlines()] == [1, 4]


@pytest.mark.parametrize(
    "sql", ["delete from works", "select title from works", "select nonsense from nowhere"]
)
def test_bad_or_writing_sql_exits_2(db, sql):
    result = run("export", db, "--sql", sql)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert run("query", db, "select count(*) as n from works", "--nl").stdout == '{"n": 4}\n'


def test_sql_and_filters_together_is_a_usage_error(db):
    assert run("export", db, "--sql", "select id from works", "--complete").exit_code == 2


def test_csv_lists_are_json_arrays_and_formulas_are_defused(tmp_path):
    path = tmp_path / "f.db"
    index = open_index(path)
    save_record(
        index,
        work(
            1,
            title='=HYPERLINK("http://evil")',
            freeforms=["Fluff", "+Angst", "Coffee, Tea & Cake"],
            summary="@SUM(A1)",
        ),
        fetched_at="2024-01-01T00:00:00Z",
    )
    save_record(index, work(2, title="-1 Negative"), fetched_at="2024-01-01T00:00:00Z")
    index.close()
    result = run("export", path, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["title"] == '\'=HYPERLINK("http://evil")'
    # A tag holding a comma stays one item: lists are JSON arrays, not joined text.
    assert json.loads(rows[0]["freeforms"]) == ["Fluff", "+Angst", "Coffee, Tea & Cake"]
    assert rows[0]["summary"] == "'@SUM(A1)"
    assert json.loads(rows[0]["authors"]) == ["pseud1 (user1)"]
    assert rows[0]["work_id"] == "1" and "id" not in rows[0]
    assert rows[0]["words"] == "1000" and rows[0]["status"] == "ok"
    assert rows[1]["title"] == "'-1 Negative"


HOSTILE_TITLES = [
    "../../etc/passwd",
    "..",
    ".",
    'a/b\\c:d*e?f"g<h>i|j',
    "bell\x07null\x00tab\tnewline\nend",
    "CON",
    "Same Title",
    "same title",
    "Same Title",
    "💜" * 200,
    "é" * 300,
    "   ...   ",
    "right\u202eto\u200bleft",
]


def test_txt_names_are_safe_unique_and_inside_the_directory(tmp_path):
    path = tmp_path / "f.db"
    index = open_index(path)
    for i, title in enumerate(HOSTILE_TITLES, 1):
        save_record(index, work(i, title=title), fetched_at="2024-01-01T00:00:00Z")
    index.close()
    out = tmp_path / "txt"
    result = run("export", path, "--format", "txt", "-o", out)
    assert result.exit_code == 0, result.output
    names = sorted(os.listdir(out))
    assert len(names) == len(HOSTILE_TITLES)
    # Nothing is written beside the directory (SQLite's -wal/-shm go once the index is closed).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.db", "txt"]
    for name in names:
        assert name.endswith(".txt") and "/" not in name and "\\" not in name
        assert ".." not in name and not name.startswith(".")
        assert all(ord(c) >= 32 for c in name) and "\u202e" not in name
        assert len(name.encode()) <= 120
    assert "1 …_…_etc_passwd.txt" in names
    text = (out / "4 a_b_c_d_e_f_g_h_i_j.txt").read_text()
    assert "Chapter 1 of work 4." in text and "https://archiveofourown.org/works/4" in text


def test_safe_filename_never_splits_a_character():
    name = safe_filename(123, "日本語" * 100)
    assert name.startswith("123 日本語") and name.endswith(".txt")
    name.encode("utf-8").decode("utf-8")
    assert safe_filename(5, None) == "5.txt"
