"""search and query print rows as sqlite-utils does: formats, headers, columns, JSON values."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ficindex.cli import cli
from index_fixtures import fixture_index


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture_index(tmp_path_factory.mktemp("output") / "fics.db")


def run(*args: object, stdin: str | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=stdin, env=env)


def ok(*args: object, **kwargs) -> str:
    result = run(*args, **kwargs)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_piped_default_is_a_json_array_with_tag_columns_as_lists(db: Path) -> None:
    rows = json.loads(ok("query", db, "select id, fandoms, freeforms from works where id = 1"))
    assert rows == [
        {"id": 1, "fandoms": ["Good Omens (TV)"], "freeforms": ["Slow Burn", "Bookshops"]}
    ]
    nl = ok("query", db, "select id, fandoms from works where id < 3 order by id", "--nl")
    assert [json.loads(line) for line in nl.splitlines()] == [
        {"id": 1, "fandoms": ["Good Omens (TV)"]},
        {"id": 2, "fandoms": ["Good Omens (TV)"]},
    ]


def test_text_that_only_looks_like_json_stays_text(db: Path) -> None:
    rows = json.loads(ok("query", db, "select '[Podfic] title' as t, '[1, 2]' as l, '\"x\"' as s"))
    assert rows == [{"t": "[Podfic] title", "l": [1, 2], "s": '"x"'}]


def test_json_output_is_valid_json_for_infinite_numbers(db: Path) -> None:
    out = ok("query", db, "select 1e999 as big, -1e999 as small, 1.5 as fine")
    assert json.loads(out, parse_constant=pytest.fail) == [
        {"big": None, "small": None, "fine": 1.5}
    ]
    nl = ok("query", db, "select 1e999 as big", "--nl")
    assert nl == '{"big": null}\n'


def test_csv_and_tsv_headers_and_chosen_columns(db: Path) -> None:
    sql = "select id, title, fandoms, words from works where id in (1, 3) order by id"
    assert ok("query", db, sql, "--csv", "-c", "words", "-c", "id") == "words,id\n50000,1\n800,3\n"
    tsv = ok("query", db, sql, "--tsv")
    assert tsv.splitlines() == [
        "id\ttitle\tfandoms\twords",
        "1\tSlow Burn in Soho\tGood Omens (TV)\t50000",
        "3\tЗимняя сказка\tSherlock (TV)\t800",
    ]
    assert ok("query", db, sql, "--tsv", "--no-headers", "-c", "id") == "1\n3\n"
    rows = list(
        csv.reader(io.StringIO(ok("search", db, "slow", "--csv", "-c", "id", "-c", "fandoms")))
    )
    assert rows[0] == ["id", "fandoms"] and ["1", "Good Omens (TV)"] in rows


def test_columns_choose_json_keys_and_an_unknown_one_is_named(db: Path) -> None:
    rows = json.loads(ok("search", db, "violin", "--json", "-c", "title", "-c", "id"))
    assert rows == [{"title": "Case of the Missing Violin", "id": 4}]
    result = run("search", db, "violin", "-c", "nope")
    assert result.exit_code == 2
    assert result.output.startswith(
        "Error: no column named 'nope' in the results; -c takes one of: id, "
    )
    assert result.output.count("\n") == 1


def test_booleans_read_the_same_in_every_format(db: Path) -> None:
    args = ("search", db, "violin", "-c", "completed")
    assert json.loads(ok(*args, "--json")) == [{"completed": False}]
    assert ok(*args, "--csv") == "completed\nfalse\n"
    assert ok(*args, "--tsv", "--no-headers") == "false\n"
    assert "false" in ok(*args, "--table") and "False" not in ok(*args, "--table")


def test_table_styles_and_no_headers(db: Path) -> None:
    github = ok("query", db, "select id, words from works order by id", "--fmt", "github")
    assert github.splitlines()[:3] == [
        "|   id |   words |",
        "|------|---------|",
        "|    1 |   50000 |",
    ]
    plain = ok("query", db, "select id from works order by id", "--table", "--no-headers")
    assert [cell for cell in plain.split() if cell.strip("-")] == ["1", "2", "3", "4"]
    bad = run("query", db, "select 1", "--csv", "--fmt", "github")
    assert bad.exit_code == 2 and "--fmt" in bad.output


@pytest.mark.parametrize("style", ["simple", "github", "grid"])
def test_a_wide_table_fits_100_columns(db: Path, style: str) -> None:
    sql = "select id, title, summary, fandoms, freeforms, relationships from works"
    out = ok("query", db, sql, "--fmt", style, env={"COLUMNS": "100"})
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "…" in out or style == "simple"


def test_too_many_columns_for_a_table_print_one_block_per_row(db: Path) -> None:
    out = ok("search", db, "slow", "--table", env={"COLUMNS": "100"})
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert lines[0].startswith("-[ 1 ]---")
    assert "title     | Slow Burn in Soho" in lines
    assert "snippet   | A [slow] burn of longing by the fire." in lines


def test_sql_from_standard_input(db: Path) -> None:
    out = ok("query", db, "-", "--nl", stdin="select count(*) as n\nfrom works\n")
    assert out == '{"n": 4}\n'
    empty = run("query", db, "-", stdin="  \n")
    assert empty.exit_code == 2
    assert empty.output == "Error: no SQL on standard input ('-' reads the query from it)\n"


def test_list_as_json(db: Path) -> None:
    listed = json.loads(ok("query", db, "--list", "--json"))
    by_name = {q["name"]: q for q in listed}
    assert by_name["tag_cooccurrence"]["params"] == ["tag"]
    assert set(listed[0]) == {"name", "title", "description", "params"}
    assert "tag_cooccurrence -p tag VALUE" in ok("query", db, "--list")


def test_an_unknown_parameter_name_is_named(db: Path) -> None:
    typo = run("query", db, "tag_cooccurrence", "-p", "tga", "Slow Burn")
    assert typo.exit_code == 2
    assert typo.output == "Error: the query has no parameter named 'tga' (it takes tag)\n"
    none = run("query", db, "select ':x' as v -- :y", "-p", "x", "1")
    assert none.output == "Error: the query has no parameter named 'x' (it takes no parameters)\n"
    assert ok("query", db, "select :v as v", "-p", "v", "2", "--nl") == '{"v": 2}\n'
