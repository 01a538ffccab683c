"""Full-text search over comment text and bookmark notes: ``ficindex search --in comments``.

The engagement tables carry their own FTS5 indexes (``comments_fts`` over
``comments.text``, ``bookmarks_fts`` over ``bookmarks.notes``, same tokenizer
as the works), so a reader's words are found the way a work's are: the query
is read by :func:`ficindex.index.fts.read_query` (FTS5 syntax, pasted tags,
punctuation), the work filters of ``search`` select the works, and each result
is one comment or bookmark, best match first (bm25), with a snippet.

Words in Chinese, Japanese or Korean have no trigram side index here (the
engagement text is small beside the chapters); they are matched as substrings
of the text, which is exact, only slower.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ficindex import AO3_URL
from ficindex.errors import BadInput
from ficindex.index import is_busy
from ficindex.index.filters import Filters
from ficindex.index.fts import hint, read_query

if TYPE_CHECKING:
    from sqlite_utils import Database

#: ``search --in`` choices; ``works`` is the ordinary search.
SEARCH_IN = ("works", "comments", "bookmarks")


@dataclass(frozen=True, slots=True)
class _Source:
    """One searchable engagement table: its FTS table, row SQL and newest-first column."""

    table: str
    fts: str
    text: str
    columns: tuple[str, ...]
    select: str
    newest: str


_COMMENTS = _Source(
    table="comments",
    fts="comments_fts",
    text="text",
    columns=(
        "comment_id",
        "work",
        "title",
        "chapter",
        "commenter",
        "posted",
        "score",
        "snippet",
        "url",
    ),
    select=(
        "e.id, e.work, w.title, ch.number, "
        "CASE WHEN e.user IS NULL THEN e.name WHEN e.pseud IS NULL OR e.pseud = e.user "
        "THEN e.user ELSE e.pseud || ' (' || e.user || ')' END, e.posted"
    ),
    newest="e.posted",
)
_BOOKMARKS = _Source(
    table="bookmarks",
    fts="bookmarks_fts",
    text="notes",
    columns=("work", "title", "bookmarker", "date", "rec", "tags", "score", "snippet", "url"),
    select=(
        "e.work, w.title, "
        "CASE WHEN e.pseud = e.user THEN e.user ELSE e.pseud || ' (' || e.user || ')' END, "
        "e.date, e.rec, (SELECT json_group_array(t.tag) FROM (SELECT tag FROM bookmark_tags "
        "WHERE bookmark = e.id ORDER BY position) AS t)"
    ),
    newest="e.date",
)
_SOURCES = {"comments": _COMMENTS, "bookmarks": _BOOKMARKS}

#: ``--sort`` values (the names ``search`` takes): relevance, or the work's counters, or the
#: comment's or bookmark's own date for ``updated`` (newest first).
_ORDER = {
    "relevance": "score, e.id",
    "kudos": "w.kudos DESC, score, e.id",
    "hits": "w.hits DESC, score, e.id",
    "words": "w.words DESC, score, e.id",
    "updated": "{newest} DESC, score, e.id",
}


def result_columns(where: str) -> tuple[str, ...]:
    """The columns of a ``search --in WHERE`` result, in output order."""
    return _SOURCES[where].columns


def search_engagement(
    db: Database | sqlite3.Connection,
    where: str,
    text: str,
    filters: Filters | None = None,
    *,
    sort: str | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Comments or bookmarks whose text matches ``text``, on works passing ``filters``.

    Raises BadInput (exit 2) for an empty query, an unknown sort, or a query
    FTS5 cannot read (with the hint ``search`` gives).
    """
    source = _SOURCES.get(where)
    if source is None:
        raise BadInput(f"search --in takes one of {', '.join(SEARCH_IN)}, not {where!r}")
    sort = sort or "relevance"
    if sort not in _ORDER:
        raise BadInput(f"unknown sort {sort!r}; use one of {', '.join(_ORDER)}")
    query = read_query(text)
    if query.empty:
        raise BadInput(f"search --in {where} needs words to look for, e.g. 'lamp scene'")
    sql, params = _sql(source, query.fts, query.cjk, filters or Filters(), sort)
    try:
        rows = db.execute(sql, {**params, "limit": limit}).fetchall()
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise
        if "no such column" in str(exc):
            reason = f"a column filter names a column --in {where} lacks (only {source.text})"
        else:
            reason = "SQLite's full-text search could not read it"
        raise hint(text, reason) from exc
    return [_result(source, row) for row in rows]


def _sql(
    source: _Source, fts: str | None, cjk: list[str], filters: Filters, sort: str
) -> tuple[str, dict[str, Any]]:
    """The query of one search; every user value is a parameter."""
    where, params = filters.where("w")
    clauses = [where, f"e.{source.text} IS NOT NULL"]
    for n, word in enumerate(cjk):
        clauses.append(f"instr(e.{source.text}, :cjk{n}) > 0")
        params[f"cjk{n}"] = word
    if fts is not None:
        params["q"] = fts
        found = f"JOIN {source.fts} ON {source.fts}.rowid = e.id AND {source.fts} MATCH :q"
        score = f"bm25({source.fts})"
        snippet = f"snippet({source.fts}, 0, '[', ']', '…', 16)"
    else:
        found, score, snippet = "", "0.0", f"substr(e.{source.text}, 1, 120)"
    chapter = "LEFT JOIN chapters ch ON ch.id = e.chapter" if source is _COMMENTS else ""
    order = _ORDER[sort].format(newest=source.newest)
    sql = (
        f"SELECT {source.select}, {score} AS score, {snippet} AS snippet "
        f"FROM {source.table} e {found} JOIN works w ON w.id = e.work {chapter} "
        f"WHERE {' AND '.join(clauses)} ORDER BY {order} LIMIT :limit"
    )
    return sql, params


def _result(source: _Source, row: tuple[Any, ...]) -> dict[str, Any]:
    record = dict(zip(source.columns[:-1], row, strict=True))
    if record["score"] is not None:
        record["score"] = round(record["score"], 4)
    record["snippet"] = " ".join((record["snippet"] or "").split())
    if source is _COMMENTS:
        record["url"] = f"{AO3_URL}/comments/{record['comment_id']}"
    else:
        record["rec"] = bool(record["rec"])
        record["tags"] = json.loads(record["tags"])
        record["url"] = f"{AO3_URL}/works/{record['work']}/bookmarks"
    return record
