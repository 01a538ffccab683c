"""Every canned query in queries/, run through ficindex query on the fixture index."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ficindex.cli import cli
from ficindex.index.queries import canned_queries
from index_fixtures import fixture_index


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return fixture_index(tmp_path_factory.mktemp("queries") / "fics.db")


def query(db, *args: str) -> list[dict]:
    result = CliRunner().invoke(cli, ["query", str(db), *args, "--nl"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def cols(rows, *names):
    return [tuple(r[n] for n in names) for r in rows]


EXPECTED = {
    "top_kudos_per_fandom": (
        [],
        ("fandom", "rank", "id", "kudos"),
        [
            ("Good Omens (TV)", 1, 1, 900),
            ("Good Omens (TV)", 2, 2, 360),
            ("Sherlock (TV)", 1, 4, 1300),
            ("Sherlock (TV)", 2, 3, 50),
        ],
    ),
    "kudos_per_hit": (
        [],
        ("id", "kudos_per_hit"),
        [(2, 0.36), (1, 0.1), (4, 0.0433), (3, 0.025)],
    ),
    "works_per_month": (
        [],
        ("month", "works", "words"),
        [("2018-01", 1, 120000), ("2019-06", 1, 50000), ("2020-03", 2, 3800)],
    ),
    "tag_cooccurrence": (
        ["-p", "tag", "slow burn"],
        ("tag", "type", "works"),
        [
            ("Gen", "category", 3),
            ("No Archive Warnings Apply", "warning", 3),
            ("Aziraphale/Crowley (Good Omens)", "relationship", 2),
            ("General Audiences", "rating", 2),
            ("Good Omens (TV)", "fandom", 2),
            ("Bookshops", "freeform", 1),
            ("Case Fic", "freeform", 1),
            ("Fluff", "freeform", 1),
            ("Sherlock (TV)", "fandom", 1),
            ("Sherlock Holmes/John Watson", "relationship", 1),
            ("Teen And Up Audiences", "rating", 1),
        ],
    ),
    "relationship_popularity": (
        [],
        ("year", "relationship", "works"),
        [
            ("2018", "Sherlock Holmes/John Watson", 1),
            ("2019", "Aziraphale/Crowley (Good Omens)", 1),
            ("2020", "Aziraphale/Crowley (Good Omens)", 1),
            ("2020", "Sherlock Holmes/John Watson", 1),
        ],
    ),
    "word_count_distribution": (
        [],
        ("band", "works"),
        [
            ("1: under 1,000", 1),
            ("2: 1,000-4,999", 1),
            ("5: 50,000-99,999", 1),
            ("6: 100,000 and over", 1),
        ],
    ),
    "longest_running_wips": (
        [],
        ("id", "days_running", "chapters_total"),
        [(4, 1461, 40), (1, 731, None)],
    ),
    "fastest_growing": (
        [],
        ("id", "kudos_before", "kudos_now", "kudos_gained", "days", "kudos_per_day"),
        [(4, 1200, 1300, 100, 2.0, 50.0), (2, 300, 360, 60, 9.0, 6.67)],
    ),
    "top_authors": (
        [],
        ("user", "pseud", "works", "kudos"),
        [
            ("angelwriter", "angel", 1, 1300),
            ("angelwriter", "Angel", 1, 900),
            ("crowleyfan", "Demon", 1, 360),
            ("snowwriter", "snow", 1, 50),
        ],
    ),
    "works_by_status": ([], ("status", "works"), [("ok", 4)]),
    # The fixture index has no engagement rows; test_engagement_datasette.py runs these on some.
    "most_commented_chapters": ([], ("work", "chapter", "comments"), []),
    "bookmark_tags_per_work": ([], ("work", "tag", "bookmarks"), []),
    "search": (["-p", "q", "slow burn"], ("id",), [(1,), (2,), (4,)]),
}


def test_every_canned_query_is_covered_and_documented():
    queries = canned_queries()
    assert len(queries) >= 8
    assert set(queries) == set(EXPECTED)
    for q in queries.values():
        assert q.title and q.title != q.name and q.description
    assert queries["tag_cooccurrence"].params == ["tag"]
    assert queries["search"].params == ["q"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_canned_query_rows(db, name):
    args, names, expected = EXPECTED[name]
    assert cols(query(db, name, *args), *names) == expected


def test_list_names_every_query():
    out = CliRunner().invoke(cli, ["query", "unused.db", "--list"]).stdout
    for name in EXPECTED:
        assert name in out
    assert "tag_cooccurrence -p tag VALUE" in out


def test_literal_sql_parameters_and_errors(db):
    rows = query(db, "select id from works where kudos >= :k order by id", "-p", "k", "900")
    assert rows == [{"id": 1}, {"id": 4}]
    runner = CliRunner()
    missing = runner.invoke(cli, ["query", str(db), "tag_cooccurrence"])
    assert missing.exit_code == 2 and "-p NAME VALUE" in missing.output
    unknown = runner.invoke(cli, ["query", str(db), "no_such_query"])
    assert unknown.exit_code == 2 and "--list" in unknown.output
    write = runner.invoke(cli, ["query", str(db), "drop table works"])
    assert write.exit_code == 2 and "only read" in write.output
    assert query(db, "works_by_status") == [{"status": "ok", "works": 4}]
