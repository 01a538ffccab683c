"""Full-text search over works and chapter text, one ranked row per work.

The SQL is the shipped ``search`` canned query (``queries/search.sql``), so
``ficindex search``, ``ficindex query DB search -p q ...`` and Datasette rank
alike. The CLI replaces three parts of it: the ``query`` CTE (the canned query
reads ``:q`` as plain words; the CLI reads FTS5 syntax and punctuation in
Python, :mod:`ficindex.index.fts`), the filters, and the sort and limit.

Ranking: FTS5's bm25 over ``works_fts`` (title, authors, summary, notes, tags)
and over ``chapters_fts`` (each work's best-matching chapter), plus the same
over the trigram side indexes for Chinese, Japanese and Korean words; a work's
score is the sum, so a work matching in both its tags and its text ranks above
one matching in only one. bm25 is negative, lower is better. Snippets are
computed only for the rows returned (after sorting and the limit).
"""

from __future__ import annotations

import functools
import json
import sqlite3

from ficindex.errors import BadInput
from ficindex.index import is_busy
from ficindex.index.filters import Filters
from ficindex.index.fts import Query, hint, read_query
from ficindex.index.queries import canned_query
from ficindex.index.search_steps import (
    with_query_step,
    without_cjk,
    without_mark,
    without_unread_steps,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ficindex.index import Readable

#: ``--sort`` choices and their fixed ORDER BY text (never built from user input).
SORTS = {
    "relevance": "score, id",
    "kudos": "kudos DESC, score, id",
    "hits": "hits DESC, score, id",
    "updated": "updated DESC, score, id",
    "words": "words DESC, score, id",
}

#: Columns of a search result, in output order.
RESULT_COLUMNS = (
    "id",
    "title",
    "authors",
    "fandoms",
    "rating",
    "words",
    "kudos",
    "hits",
    "updated",
    "completed",
    "score",
    "snippet",
    "url",
)

#: Largest ``--limit``: more rows than any index holds, small enough for SQLite's integers.
MAX_LIMIT = 1_000_000

_CLI_QUERY = (
    "with\nquery as materialized (select :works_q as works_q, :chapters_q as chapters_q, "
    ":works_cjk_q as works_cjk_q, :chapters_cjk_q as chapters_cjk_q, :cjk_word as cjk_word, "
    "{cut} as cut),"
)
#: Parameters the canned query reads from its ``query`` step, bound where read (each reading
#: of the step is one more subquery to prepare).
_BOUND = {
    **{
        f"(select coalesce({name}, '\"\"') from query)": f"coalesce(:{name}, '\"\"')"
        for name in ("works_q", "chapters_q", "works_cjk_q", "chapters_cjk_q")
    },
    "(select cjk_word from query)": ":cjk_word",
}
#: The sort orders that put a ``works`` column first: the column.
_SORT_COLUMNS = {"kudos": "kudos", "hits": "hits", "updated": "updated", "words": "words"}
#: The value of the sort column at the ``:limit``-th of the matching works that pass the
#: filters, found without bm25: only works at or past it can be shown, so only they are ranked.
_CUT = """(select w.{column} from works w
    where w.id in (
        select rowid from works_fts where works_fts match coalesce(:works_q, '""')
        union all
        select c.work from chapters_fts join chapters c on c.id = chapters_fts.rowid
        where chapters_fts match coalesce(:chapters_q, '""') and c.vanished_at is null)
    and {where}
    order by w.{column} desc limit 1 offset :limit - 1)"""
#: Trigram queries hold only runs of 3 characters; shorter words are looked up in the vocabulary.
_TRIGRAM = 3


@functools.cache
def _canned_search() -> str:
    """The body of ``queries/search.sql`` (read once per process)."""
    query = canned_query("search")
    if query is None:
        raise RuntimeError("queries/search.sql is missing")
    return query.body


#: The marked lines that filter matches before they are ranked, and the work id each one has.
_EARLY_FILTERS = {"-- work filters": "works_fts.rowid", "-- chapter filters": "c.work"}


#: Stands for the id of the work an early filter tests (each marked line names its own).
WORK_ID = "$work"


@functools.lru_cache(maxsize=64)
def search_sql(
    where: str,
    sort: str,
    *,
    cut: bool = False,
    early: tuple[str, str] | None = None,
    cjk: bool = True,
    listing: bool = True,
) -> str:
    """The canned ``search`` query with the CLI's query parameters, filters and sort.

    The filters apply twice: to the word matches before bm25 ranks them (as a
    plain FTS5 query joined to ``works`` would: ranking a match costs more than
    testing a work), and to the ranked works (which also holds CJK matches, and
    every work when there is no query). ``early`` is ``where`` split in two
    (``Filters.split(ids="+" + WORK_ID)``): the tag, fandom and author filters,
    tested on the id of a match, then the filters on the ``works`` row, which is
    read only for the matches that pass the first (the ``+`` keeps SQLite from
    handing the id test to FTS5, which would run a query per id). With ``cut``
    (a sort by a works column, words only), the early filters also drop the
    works that sort after the ``:limit``-th match, so bm25 ranks only the works
    that can be shown (and their ties); the order and the scores stay those of
    ranking every match.

    Only what the query needs is prepared (a plain word search's statement: 0.6 ms instead
    of 1.1, part of every start-up): without ``cjk`` (no Chinese, Japanese or Korean word)
    the lines marked ``-- cjk`` go, without ``listing`` (there is a query) the line marked
    ``-- listing``; parameters are bound where read; the steps nothing reads are dropped.
    """
    column = _SORT_COLUMNS.get(sort) if cut else None
    by_id, by_row = early or ("1", where)
    if column is not None:
        past = "(select cut from query)"
        by_row = f"{by_row} and (w.{column} >= {past} or {past} is null)"
    cte = _CLI_QUERY.format(cut=_CUT.format(column=column, where=where) if column else "null")
    body, found = with_query_step(_canned_search(), cte), 1
    for read, bound in _BOUND.items():
        body = body.replace(read, bound)
    lines = body.splitlines() if cjk else without_cjk(body.splitlines())
    if not listing:
        lines = without_mark(lines, "-- listing", 1)
    for i, line in enumerate(lines):
        written = _marked(line, sort, where, by_id, by_row)
        if written is not None:
            lines[i] = written
            found += 1
    if found != 10:
        raise RuntimeError("queries/search.sql lost one of its marked lines")
    return "\n".join(without_unread_steps(lines))


def _marked(line: str, sort: str, where: str, by_id: str, by_row: str) -> str | None:
    """``line`` as the CLI writes it when it ends with one of the marks; None otherwise."""
    mark = line[line.find("-- ") :] if "-- " in line else ""
    if mark in _EARLY_FILTERS:
        work = _EARLY_FILTERS[mark]
        tests = [by_id.replace(WORK_ID, work)] if by_id != "1" else []
        if by_row != "1":
            tests.append(f"exists (select 1 from works w where w.id = {work} and {by_row})")
        indent = line[: len(line) - len(line.lstrip())]
        return f"{indent}and " + " and ".join(tests) if tests else line
    if mark in ("-- filters", "-- listing filters"):
        return f"    where {where}"
    if mark == "-- listing limit":
        return line[: line.index("then 100")] + "then :limit else 0 end from parts)"
    if mark == "-- limit":
        return "    limit :limit"
    if mark in ("-- sort", "-- listing sort"):
        order = SORTS[sort] if mark == "-- sort" else _unscored(sort)
        return line[: line.index("order by")] + f"order by {order}"
    return None


def _unscored(sort: str) -> str:
    """The ORDER BY of ``sort`` without the score (a listing has none: all are NULL)."""
    return ", ".join(term for term in SORTS[sort].split(", ") if term != "score")


def search(
    db: Readable,
    text: str,
    filters: Filters | None = None,
    *,
    sort: str | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Works matching ``text`` that pass ``filters``, sorted, at most ``limit``.

    An empty query (or ``*``) lists the works that pass the filters, newest
    update first unless ``sort`` says otherwise. Raises BadInput (exit 2) with
    a hint for a query that cannot be read.
    """
    query = read_query(text)
    sort = sort or ("updated" if query.empty else "relevance")
    if sort not in SORTS:
        raise BadInput(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    if query.empty and sort == "relevance":
        sort = "updated"
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput(f"the limit must be between 1 and {MAX_LIMIT:,}")
    where, by_id, by_row, params = _filter_sql(filters or Filters())
    named = {**_query_params(db, text, query), "limit": limit, **params}
    try:
        cut = query.fts is not None and not query.cjk
        sql = search_sql(
            where,
            sort,
            cut=cut,
            early=(by_id, by_row),
            cjk=bool(query.cjk),
            listing=query.empty,
        )
        rows = db.execute(sql, named).fetchall()
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise
        _searchable(db, text, query.fts)  # says what is wrong with the query, if it can
        raise hint(text, "SQLite's full-text search could not read it") from exc
    results = []
    for row in rows:
        record = dict(zip(RESULT_COLUMNS, row, strict=True))
        record["authors"] = json.loads(record["authors"])
        record["fandoms"] = json.loads(record["fandoms"])
        record["completed"] = bool(record["completed"])
        if record["score"] is not None:
            record["score"] = round(record["score"], 4)
        if record["snippet"] is not None:
            record["snippet"] = " ".join(record["snippet"].split())
        results.append(record)
    return results


def _filter_sql(filters: Filters) -> tuple[str, str, str, dict[str, Any]]:
    """``filters.where("w")``, the two parts of it (``filters.split``, on ``+WORK_ID``) and
    their parameters, from one split."""
    by_id, by_row, params = filters.split("w", ids="+" + WORK_ID)
    tests = [test.replace("+" + WORK_ID, "w.id") for test in (by_id, by_row) if test != "1"]
    return " AND ".join(tests) or "1", by_id, by_row, params


def _query_params(db: Readable, text: str, query: Query) -> dict[str, str | None]:
    """The ``query`` CTE's parameters for ``query``."""
    # A column filter names columns one index may lack: ask each index whether it can run the
    # query. Other queries run on both; one SQLite refuses is explained after it fails.
    fts = query.fts
    works_q, chapters_q = _searchable(db, text, fts) if fts and ":" in fts else (fts, fts)
    return {
        "works_q": works_q,
        "chapters_q": chapters_q,
        "works_cjk_q": _cjk_expression(db, "works_cjk", query.cjk),
        "chapters_cjk_q": _cjk_expression(db, "chapters_cjk", query.cjk),
        "cjk_word": query.cjk[0] if query.cjk else None,
    }


def _cjk_expression(db: Readable, table: str, words: list[str]) -> str | None:
    """An FTS5 query of the trigram index ``table`` requiring every word, None for none.

    A word of 3 or more characters is a phrase of its trigrams; a shorter one is
    any of the trigrams it starts (every value is indexed with two spaces after
    it, so each occurrence starts one).
    """
    if not words:
        return None
    parts = []
    for word in words:
        if len(word) >= _TRIGRAM:
            parts.append(_quoted(word))
            continue
        folded = word.lower()
        terms = [
            _quoted(term)
            for (term,) in db.execute(
                f"SELECT term FROM {table}_vocab WHERE term >= ? AND term < ?",
                [folded, folded + "\U0010ffff"],
            )
        ]
        parts.append("(" + " OR ".join(terms) + ")" if terms else '""')
        if not terms:
            return '""'
    return " AND ".join(parts)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _searchable(db: Readable, text: str, fts: str | None) -> tuple[str | None, str | None]:
    """``fts`` for each word index that can run it (a column filter names one table's columns).

    BadInput when neither can.
    """
    if fts is None:
        return None, None
    usable: list[str | None] = []
    for table in ("works_fts", "chapters_fts"):
        try:
            db.execute(f"SELECT 1 FROM {table} WHERE {table} MATCH ? LIMIT 1", [fts]).fetchall()
            usable.append(fts)
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise
            if "no such column" not in str(exc):
                raise hint(text, _reason(str(exc))) from exc
            usable.append(None)
    if usable == [None, None]:
        raise hint(text, "a column filter names a column no index has")
    return usable[0], usable[1]


def _reason(message: str) -> str:
    """SQLite's complaint about an FTS5 query, in plain words."""
    if "unterminated" in message:
        return "a double quote is not closed"
    if "NEAR" in message:
        return "NEAR takes words in parentheses, e.g. 'NEAR(tea shop, 5)'"
    return "AND, OR, NOT and NEAR need words on both sides, and * goes at the end of a word"
