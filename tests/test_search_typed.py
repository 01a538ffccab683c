"""Search as researchers type it: CJK words anywhere, AO3 tags with punctuation, empty
queries with filters, wildcard filters, bounded options, and the shared canned query."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ficindex.cli import cli
from ficindex.errors import BadInput
from ficindex.index import open_index
from ficindex.index.search import search as search_fn
from ficindex.index.store import save_record
from index_fixtures import fixture_index, work


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = fixture_index(tmp_path_factory.mktemp("typed") / "fics.db")
    index = open_index(path)
    records = [
        work(
            10,
            title="长安",
            fandoms=["长安十二时辰 | The Longest Day in Chang'an (TV)"],
            language="中文-普通话 國語",
            freeforms=["Hurt/Comfort"],
            updated="2023-05-01",
            chapter_texts=["长安的火熄灭之后，靖安司里只剩下灯。"],
        ),
        work(
            11,
            title="手紙",
            fandoms=["文豪ストレイドッグス | Bungou Stray Dogs"],
            language="日本語",
            summary="図書館で見つけた古い手紙。",
            freeforms=["Alternate Universe - Coffee Shops & Cafés"],
            updated="2024-01-01",
            chapter_texts=["雨の日に、彼は図書館へ行った。"],
        ),
        work(
            12,
            title="겨울",
            fandoms=["방탄소년단 | Bangtan Boys | BTS"],
            language="한국어",
            freeforms=["F/M"],
            updated="2022-01-01",
            chapter_texts=["서울에서 온 편지를 읽었다."],
        ),
        work(13, title="Tea-shop days", chapter_texts=["The tea-shop opened at nine."]),
    ]
    for record in records:
        save_record(index, record)
    index.close()
    return path


def run(db, *args: str):
    return CliRunner().invoke(cli, ["search", str(db), *args, "--nl"])


def search(db, *args: str) -> list[dict]:
    result = run(db, *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def ids(rows):
    return [r["id"] for r in rows]


@pytest.mark.parametrize(
    ("word", "work_id", "snippet"),
    [
        ("长安", 10, "[长安]的火熄灭之后"),  # title and start of the text
        ("靖安司", 10, "之后，[靖安司]里"),  # inside a sentence
        ("火", 10, "[火]"),  # one character
        ("図書館", 11, "[図書館]"),  # summary and chapter text
        ("手紙", 11, "[手紙]"),  # a two-character title, and inside the summary
        ("서울", 12, "[서울]에서"),  # Korean inside a word
        ("편지", 12, "[편지]를"),
        ("时辰", 10, "[时辰]"),  # inside a fandom tag
    ],
)
def test_cjk_words_are_found_anywhere_and_highlighted(db, word, work_id, snippet):
    rows = search(db, word)
    assert ids(rows) == [work_id]
    assert snippet in rows[0]["snippet"]


def test_cjk_words_combine_with_other_words_and_filters(db):
    assert ids(search(db, "长安 靖安司")) == [10]
    assert ids(search(db, "长安 図書館")) == []
    assert ids(search(db, "长安 Hurt/Comfort")) == [10]
    assert ids(search(db, '"靖安司里"')) == [10]
    assert ids(search(db, "长安", "--language", "日本語")) == []
    assert ids(search(db, "不在")) == []
    result = run(db, "长安 OR 手紙")
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "Chinese, Japanese and Korean" in result.output


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Hurt/Comfort", [10]),
        ("F/M", [12]),
        ("tea-shop", [13]),
        ("Alternate Universe - Coffee Shops & Cafés", [11]),
        ("Re:Zero", []),
        ("tea NOT shop", []),
        ("NEAR(tea opened, 2)", [13]),
        ("tea*", [13]),
        ("title:tea", [13]),
    ],
)
def test_queries_as_typed(db, query, expected):
    assert ids(search(db, query)) == expected


def test_sql_in_a_query_is_searched_as_words(db):
    assert search(db, "'; DROP TABLE works; --") == []
    assert len(search(db)) == 8  # every work still there


@pytest.mark.parametrize("query", ["", "*", "   "])
def test_an_empty_query_lists_the_filtered_works_newest_first(db, query):
    rows = search(db, query, "--tag", "*/*")
    assert set(ids(rows)) == {10, 12, 1, 2, 3, 4}  # Hurt/Comfort, F/M and the relationships
    updated = [r["updated"] for r in rows]
    assert updated == sorted(updated, reverse=True) and ids(rows)[0] == 10
    assert all(r["score"] is None for r in rows)
    assert ids(search(db, query, "--tag", "*/*", "--sort", "kudos"))[:2] == [4, 1]
    assert len(search(db)) == 8


def test_wildcard_filters_ignore_case(db):
    assert ids(search(db, "", "--fandom", "good omens*", "--sort", "kudos")) == [1, 2, 13]
    assert ids(search(db, "", "--fandom", "*stray dogs")) == [11]
    assert ids(search(db, "", "--tag", "hurt/comfort")) == [10]
    assert ids(search(db, "", "--tag", "50%_off*")) == []  # % and _ are not wildcards


def test_a_filter_matching_no_tag_names_the_closest(db):
    result = CliRunner().invoke(cli, ["search", str(db), "", "--fandom", "Good Omen", "--nl"])
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "Warning: no fandom in the index matches 'Good Omen'; closest: 'Good Omens (TV)'"
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["x", "--limit", "1e20"],
        ["x", "--limit", "100000000000000000000"],
        ["x", "--limit", "0"],
        ["x", "--words-min", "1e20"],
        ["x", "--words-max", "99999999999999999999999"],
        ["x", "--kudos-min", "-1"],
        ["x", "--kudos-min", "ten"],
    ],
)
def test_numeric_options_are_bounded(db, args):
    result = CliRunner().invoke(cli, ["search", str(db), *args])
    assert result.exit_code == 2
    assert result.output.startswith("Error: --") and result.output.count("\n") == 1
    export = CliRunner().invoke(cli, ["export", str(db), *args[1:], "-o", "-"])
    if args[1] != "--limit":
        assert export.exit_code == 2 and export.output.count("\n") == 1


def test_the_canned_query_ranks_as_the_cli(db):
    for q in ["slow burn", "长安", "手紙", "Hurt/Comfort"]:
        result = CliRunner().invoke(cli, ["query", str(db), "search", "-p", "q", q, "--nl"])
        assert result.exit_code == 0, result.output
        canned = [json.loads(line) for line in result.stdout.splitlines()]
        cli_rows = search(db, q)
        assert [(r["id"], round(r["score"], 4)) for r in canned] == [
            (r["id"], r["score"]) for r in cli_rows
        ]
    # Read by plain SQLite too (Datasette runs it without ficindex's code).
    conn = sqlite3.connect(db)
    sql = (db.parent / "x").exists() or None
    from ficindex.index.queries import canned_queries

    rows = conn.execute(canned_queries()["search"].sql, {"q": "靖安司"}).fetchall()
    conn.close()
    assert sql is None and [r[0] for r in rows] == [10]


@pytest.mark.parametrize(
    "text",
    [
        "“Hello,” she said — 你好… and left.",  # curly quotes and dashes around one word
        "Café crème, naïve — 你好 😀",  # accents and an emoji too
        "你好",  # nothing else
        "ᄒᆞᆫ글 你好",  # archaic jamo next to Han
    ],
)
def test_cjk_inside_mostly_english_text_is_indexed(tmp_path, text):
    index = open_index(tmp_path / "fics.db")
    save_record(index, work(40, chapter_texts=[text]))
    index.close()
    assert ids(search(tmp_path / "fics.db", "你好")) == [40]


def test_the_side_index_follows_every_change_of_a_row(tmp_path):
    index = open_index(tmp_path / "fics.db")
    save_record(index, work(30, title="Tea", chapter_texts=["图书馆里很安静。"]))
    index.execute("UPDATE chapters SET id = 99 WHERE id = 301")  # a stand-in id made real
    index.execute("UPDATE works SET summary = '新的图书' WHERE id = 30")
    index.execute("UPDATE works SET kudos = 5 WHERE id = 30")  # not indexed: no rewrite
    index.conn.commit()
    for side in ("works_cjk", "chapters_cjk"):
        index.execute(f"INSERT INTO {side}({side}) VALUES ('integrity-check')")
    (row,) = search(tmp_path / "fics.db", "安静")
    assert row["snippet"].startswith("图书馆里很[安静]。")
    assert ids(search(tmp_path / "fics.db", "新的")) == [30]
    index.execute("PRAGMA foreign_keys = OFF")  # only the two indexed rows go
    index.execute("DELETE FROM chapters WHERE id = 99")
    index.execute("DELETE FROM works WHERE id = 30")
    index.conn.commit()
    for side in ("works_cjk", "chapters_cjk"):
        index.execute(f"INSERT INTO {side}({side}) VALUES ('integrity-check')")
        assert index.execute(f"SELECT count(*) FROM {side}_vocab").fetchone()[0] == 0
    index.close()


def test_an_old_index_gains_the_cjk_side_index(tmp_path):
    path = tmp_path / "old.db"
    index = open_index(path)
    save_record(index, work(20, title="图书馆", chapter_texts=["他去了图书馆。"]))
    for side in ("works", "chapters"):
        for name in ("ai", "ad", "au"):
            index.execute(f"DROP TRIGGER {side}_cjk_{name}")
        index.execute(f"DROP TABLE {side}_cjk_vocab")
        index.execute(f"DROP TABLE {side}_cjk")
        index.execute(f"DROP VIEW {side}_cjk_source")
    index.execute("DELETE FROM _sqlite_migrations WHERE name = 'm003_cjk_side_index'")
    index.conn.commit()
    index.close()
    assert ids(search(path, "书馆")) == [20]


_PIECES = st.sampled_from(
    [
        '"',
        "(",
        ")",
        "*",
        "^",
        ":",
        "-",
        "/",
        "&",
        ",",
        "{",
        "}",
        " ",
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "NEAR(",
        "title:",
        "text:",
        "tea",
        "shop",
        "长安",
        "火",
        "서울",
        "é",
        "5",
        "'",
    ]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_PIECES, max_size=8).map("".join))
def test_any_query_is_read_or_refused_in_one_line(db, query):
    index = open_index(db, create=False, read_only=True)
    try:
        search_fn(index, query)
    except BadInput as exc:
        assert "\n" not in str(exc) and "fts5" not in str(exc)
    finally:
        index.close()
