"""The shortcuts that let ``search`` and ``query`` start without compiling their patterns
read text exactly as the patterns do, and the search statement keeps only what it reads.

Plain queries (ASCII words of letters and digits) are split and passed on without the
query patterns; canned query names and headers are read with string methods. Each is
compared here with the pattern it stands for, over generated text. The statement the CLI
prepares drops the steps a query does not need; each form of it must still prepare,
and drop only steps nothing reads.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ficindex.index import reading_connection
from ficindex.index.fts import _BAREWORD, _PIECE, _pieces, _word, read_query
from ficindex.index.queries import FOLDER, _is_name, canned_queries
from ficindex.index.search import SORTS, search_sql
from ficindex.index.search_steps import reads, steps
from index_fixtures import fixture_index

#: Letters, digits, FTS5 punctuation, spaces of several kinds, and a few non-ASCII letters.
ALPHABET = st.sampled_from(list('abcXYZ019 _-*:^"(),.\t\n\x1c\x1aéß中'))


@settings(max_examples=1500, deadline=None)
@given(st.text(ALPHABET, max_size=30))
def test_a_query_is_cut_into_the_pieces_the_pattern_finds(text: str) -> None:
    assert _pieces(text) == re.findall(_PIECE, text)


@settings(max_examples=800, deadline=None)
@given(st.text(st.sampled_from("abcXYZ0129"), min_size=1, max_size=12))
def test_a_word_of_letters_and_digits_is_a_bareword(word: str) -> None:
    # The shortcut in _piece passes such a word on as it is: what _word makes of it.
    assert re.fullmatch(_BAREWORD, word)
    assert _word(word, []) == word


@pytest.mark.parametrize(
    "text",
    ["tea shop", "tea AND shop", "tea OR NEAR", "a1 b2", " tea\tshop\x1crain ", "tea NOT rain"],
)
def test_plain_queries_read_as_the_patterns_read_them(text: str) -> None:
    assert read_query(text).fts == " ".join(re.findall(_PIECE, text.strip()))


@settings(max_examples=1500, deadline=None)
@given(st.text(st.sampled_from(list("ab_-9 .:/é中\n\t'\"")), max_size=12))
def test_a_canned_query_name_is_what_the_name_pattern_takes(text: str) -> None:
    assert _is_name(text) == bool(re.fullmatch(r"[\w-]+", text))


def test_canned_query_headers_read_as_the_header_pattern_reads_them() -> None:
    header = re.compile(r"^--\s*(title|description):\s*(.*)$")
    for name, query in canned_queries().items():
        expected: dict[str, str] = {}
        for line in Path(FOLDER, f"{name}.sql").read_text(encoding="utf-8").splitlines():
            if not line.startswith("--") and line.strip():
                break
            match = header.match(line)
            if match:
                expected[match.group(1)] = match.group(2).strip()
        assert (query.title, query.description) == (
            expected.get("title", name),
            expected.get("description", ""),
        )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture_index(tmp_path_factory.mktemp("text") / "fics.db")


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("cjk", [True, False])
@pytest.mark.parametrize("listing", [True, False])
@pytest.mark.parametrize("cut", [True, False])
def test_every_form_of_the_statement_prepares_and_reads_every_step_it_keeps(
    db: Path, sort: str, cjk: bool, listing: bool, cut: bool
) -> None:
    sql = search_sql("w.kudos >= :f0", sort, cut=cut, early=("1", "1"), cjk=cjk, listing=listing)
    code = [line.split("-- ", 1)[0] for line in sql.splitlines()]
    for start, end, name in steps(code):
        assert reads(" ".join(code[:start] + code[end:]), name), name
    with reading_connection(db) as conn:
        named = {
            "works_q": "tea",
            "chapters_q": "tea",
            "works_cjk_q": None,
            "chapters_cjk_q": None,
            "cjk_word": None,
            "limit": 5,
            "f0": 0,
        }
        conn.execute(sql, named).fetchall()


def test_a_word_search_leaves_out_the_listing_and_the_side_indexes() -> None:
    words = search_sql("1", "relevance", cjk=False, listing=False)
    names = {name for _, _, name in steps([line.split("-- ")[0] for line in words.splitlines()])}
    assert {"listed", "parts", "query", "cjk_work_hits", "cjk_chapter_scores"} & names == set()
    assert {"work_hits", "chapter_scores", "matched", "shown", "texts", "found"} <= names
    full = search_sql("1", "relevance")
    assert "from listed" in full and "from cjk_work_hits" in full and "from parts" in full


def test_a_step_is_read_only_by_its_whole_name() -> None:
    assert reads("select * from shown", "shown")
    assert not reads("select shown_id from x", "shown")
    assert not reads("select :few from x", "few")
