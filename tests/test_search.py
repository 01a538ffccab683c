"""ficindex search: ranking, filters, sorting, snippets, output formats and bad queries."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ficindex.cli import cli
from index_fixtures import fixture_index


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return fixture_index(tmp_path_factory.mktemp("search") / "fics.db")


def search(db, *args: str) -> list[dict]:
    result = CliRunner().invoke(cli, ["search", str(db), *args, "--nl"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def ids(rows):
    return [r["id"] for r in rows]


def test_matches_in_tags_and_text_rank_above_tags_alone(db):
    rows = search(db, "slow burn")
    assert set(ids(rows)) == {1, 2, 4}
    assert ids(rows)[0] == 1  # the tag and the chapter text both match
    assert rows[0]["snippet"] == "A [slow] [burn] of longing by the fire."
    assert rows[0]["url"] == "https://archiveofourown.org/works/1"


def test_chapter_text_only_match_has_a_chapter_snippet(db):
    rows = search(db, "violin")
    assert ids(rows) == [4]
    assert "[violin]" in rows[0]["snippet"]


def test_diacritics_stemming_and_non_latin_scripts(db):
    assert ids(search(db, "cafe")) == [2]
    assert ids(search(db, "crepes")) == [2]
    assert ids(search(db, "searching")) == [4]  # porter: searched ~ searching
    assert ids(search(db, "снег")) == [3]
    assert ids(search(db, "сказка")) == [3]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--fandom", "good omens (tv)"], {1, 2}),
        (["--tag", "Case Fic"], {4}),
        (["--rating", "teen and up audiences"], {2}),
        (["--author", "angelwriter"], {1, 4}),
        (["--author", "Demon"], {2}),
        (["--complete"], {2, 3}),
        (["--incomplete"], {1, 4}),
        (["--words-min", "10000"], {1, 4}),
        (["--words-max", "10000"], {2, 3}),
        (["--kudos-min", "1000"], {4}),
        (["--language", "English", "--fandom", "Sherlock (TV)"], {4}),
    ],
)
def test_filters(db, args, expected):
    assert set(ids(search(db, "slow burn OR snow OR violin", *args))) == expected


def test_sorts_and_limit(db):
    query = "slow burn"
    assert ids(search(db, query, "--sort", "kudos")) == [4, 1, 2]
    assert ids(search(db, query, "--sort", "hits")) == [4, 1, 2]
    assert ids(search(db, query, "--sort", "words")) == [4, 1, 2]
    assert ids(search(db, query, "--sort", "updated")) == [4, 1, 2]
    assert ids(search(db, query, "--sort", "kudos", "--limit", "1")) == [4]


def test_output_formats(db):
    runner = CliRunner()
    csv_out = runner.invoke(cli, ["search", str(db), "violin", "--csv"]).stdout
    assert csv_out.splitlines()[0].startswith("id,title,authors,fandoms")
    assert "angel (angelwriter)" in csv_out
    as_json = json.loads(runner.invoke(cli, ["search", str(db), "slow", "--json"]).stdout)
    assert [r["id"] for r in as_json][:1] == [1] and as_json[0]["fandoms"] == ["Good Omens (TV)"]
    table = runner.invoke(cli, ["search", str(db), "violin", "--table"]).stdout
    assert "Case of the Missing Violin" in table.splitlines()[2]
    sort = runner.invoke(cli, ["search", str(db), "x", "--sort", "title; drop table works"])
    assert sort.exit_code == 2


@pytest.mark.parametrize("query", ['"unterminated', "AND", "title:", "(slow", "NEAR(", '"'])
def test_malformed_fts_query_exits_2_with_a_hint(db, query):
    result = CliRunner().invoke(cli, ["search", str(db), query])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ") and "double quotes" in result.output
    assert result.output.count("\n") == 1
    assert "fts5" not in result.output and "syntax error" not in result.output


def test_column_filters_of_either_table(db):
    assert set(ids(search(db, "fandoms:sherlock"))) == {3, 4}
    assert ids(search(db, "text:violin")) == [4]
    assert ids(search(db, "title:violin")) == [4]
    # Not a column: the colon is punctuation, as in "Re:Zero", so the word is searched as typed.
    assert search(db, "nosuchcolumn:x") == []
    result = CliRunner().invoke(cli, ["search", str(db), "{nosuchcolumn}:x"])
    assert result.exit_code == 2 and "double quotes" in result.output
    assert result.output.count("\n") == 1 and "fts5" not in result.output
