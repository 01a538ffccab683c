"""Search's faster plans return what ranking every match and filtering after would return.

``search`` filters the word matches before bm25 ranks them, tests tag and author
filters on a match's id before reading its row, and, sorted by a works column,
ranks only the works at or past the ``--limit``-th one. The reference here is the
canned query with the filters applied only to the ranked works and every match
ranked (the plan before those changes). An index with many ties, NULL counters,
works matching in their tags only, a vanished chapter and CJK text exercises the
edges: ties at the cut, fewer matches than the limit, NULLs sorting last.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from ficindex.index import open_index, reading_connection
from ficindex.index.filters import Filters
from ficindex.index.fts import read_query
from ficindex.index.search import SORTS, WORK_ID, _query_params, search, search_sql
from ficindex.index.store import save_record
from index_fixtures import work

WORDS = ["tea", "shop", "angel", "rain", "book", "light"]
FANDOMS = ["Good Omens (TV)", "Sherlock (TV)", "长安十二时辰 (TV)"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "fics.db"
    rng = random.Random(5)
    index = open_index(path)
    for n in range(1, 61):
        texts = [
            " ".join(rng.choices(WORDS, k=rng.randint(3, 30))) for _ in range(rng.randint(1, 3))
        ]
        if n % 7 == 0:
            texts[0] += " 长安的火"
        save_record(
            index,
            work(
                n,
                title=f"Work {n}" + (" tea" if n % 5 == 0 else ""),
                chapter_texts=texts,
                fandoms=[FANDOMS[n % 3]],
                freeforms=["Rain"] if n % 4 == 0 else ["Fluff"],
                rating=["General Audiences", "Teen And Up Audiences"][n % 2],
                kudos=None if n % 9 == 0 else rng.choice([5, 10, 10, 20, 50]),
                hits=rng.choice([100, 200, 200]),
                words=rng.choice([1000, 5000]),
                updated=rng.choice(["2020-01-01", "2021-06-01", "2021-06-01"]),
            ),
        )
    index.execute("UPDATE chapters SET vanished_at = '2024-01-01' WHERE id = 31")
    index.conn.commit()
    index.close()
    return path


def reference(conn: Any, text: str, filters: Filters, sort: str, limit: int) -> list[tuple]:
    """The canned query with every match ranked and the filters applied to ranked works only."""
    query = read_query(text)
    where, params = filters.where("w")
    named = {**_query_params(conn, text, query), "limit": limit, **params}
    return conn.execute(search_sql(where, sort, early=("1", "1")), named).fetchall()


CASES = [
    Filters(),
    Filters(fandoms=["Good Omens*"]),
    Filters(tags=["rain"], rating="Teen And Up Audiences"),
    Filters(kudos_min=10, words_max=4000),
    Filters(authors=["user3", "pseud10"]),
    Filters(fandoms=["Sherlock (TV)"], completed=True, kudos_min=1),
]


@pytest.mark.parametrize(
    "text", ["tea", "rain book", '"tea shop"', "angel OR light", "长安", "tea 长安"]
)
@pytest.mark.parametrize("sort", list(SORTS))
def test_every_plan_returns_what_ranking_every_match_returns(
    db: Path, text: str, sort: str
) -> None:
    with reading_connection(db) as conn:
        for filters in CASES:
            for limit in (1, 3, 7, 100):
                rows = search(conn, text, filters, sort=sort, limit=limit)
                expected = reference(conn, text, filters, sort, limit)
                assert [(r["id"], r["score"], r["snippet"]) for r in rows] == [
                    (
                        e[0],
                        None if e[10] is None else round(e[10], 4),
                        " ".join((e[11] or "").split()) or None,
                    )
                    for e in expected
                ], (text, filters, sort, limit)


def test_the_early_filters_are_the_filters_split(db: Path) -> None:
    filters = Filters(fandoms=["Good Omens*"], authors=["user3"], rating="General Audiences")
    where, params = filters.where("w")
    by_id, by_row, split_params = filters.split("w", ids="+" + WORK_ID)
    assert split_params == params
    assert f"{by_id} AND {by_row}".replace("+" + WORK_ID, "w.id") == where


def test_a_query_without_cjk_words_leaves_the_side_indexes_out() -> None:
    words_only = search_sql("1", "relevance", cjk=False)
    assert "from cjk_work_hits" not in words_only and "from cjk_chapter_scores" not in words_only
    assert "null as cjk_text" in words_only
    assert "from cjk_work_hits" in search_sql("1", "relevance")
