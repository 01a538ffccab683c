"""Full-text search over works and chapter text, one ranked row per work.

Ranking: FTS5's bm25 over ``works_fts`` (title, authors, summary, notes, tags)
and over ``chapters_fts`` (each work's best-matching chapter); a work's score
is the sum of the two, so a work matching in both its tags and its text ranks
above one matching in only one. bm25 is negative, lower is better.

Snippets are computed only for the rows returned (after sorting and the
limit), from the best chapter of each; computing them for every match would
make common words slow on a large index.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from sqlite_utils import Database

from ficindex.errors import BadInput
from ficindex.index.export import WORK_URL
from ficindex.index.filters import Filters

#: ``--sort`` choices and their fixed ORDER BY text (never built from user input).
SORTS = {
    "relevance": "m.score ASC, w.id",
    "kudos": "w.kudos DESC, m.score ASC, w.id",
    "hits": "w.hits DESC, m.score ASC, w.id",
    "updated": "w.updated DESC, m.score ASC, w.id",
    "words": "w.words DESC, m.score ASC, w.id",
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

_SNIPPET_TOKENS = 16
_WORK_HITS = (
    "SELECT rowid AS work, bm25(works_fts) AS score FROM works_fts WHERE works_fts MATCH :q"
)
_CHAPTER_SCORES = (
    "SELECT rowid AS chapter, bm25(chapters_fts) AS score FROM chapters_fts "
    "WHERE chapters_fts MATCH :q"
)


def search(
    db: Database,
    query: str,
    filters: Filters | None = None,
    *,
    sort: str = "relevance",
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Works matching the FTS5 ``query`` that pass ``filters``, sorted, at most ``limit``.

    Raises BadInput (exit 2) for a query FTS5 cannot parse, with a hint.
    """
    if sort not in SORTS:
        raise BadInput(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    if not query.strip():
        raise BadInput("the search query is empty; give words to look for, e.g. 'slow burn'")
    where, params = (filters or Filters()).where("w")
    in_works, in_chapters = _searchable(db, query)
    # A column filter names columns of one FTS table only (``fandoms:`` of works_fts,
    # ``text:`` of chapters_fts); the other table then contributes no matches.
    work_hits = _WORK_HITS if in_works else "SELECT NULL AS work, NULL AS score WHERE 0"
    chapter_scores = (
        _CHAPTER_SCORES if in_chapters else "SELECT NULL AS chapter, NULL AS score WHERE 0"
    )
    sql = f"""
        WITH work_hits AS MATERIALIZED ({work_hits}),
        chapter_scores AS MATERIALIZED ({chapter_scores}),
        chapter_hits AS (
            SELECT c.work AS work, s.chapter AS chapter, min(s.score) AS score
            FROM chapter_scores s JOIN chapters c ON c.id = s.chapter
            WHERE c.vanished_at IS NULL
            GROUP BY c.work
        ),
        matched AS (
            SELECT work, sum(score) AS score, max(chapter) AS chapter FROM (
                SELECT work, score, NULL AS chapter FROM work_hits
                UNION ALL
                SELECT work, score, chapter FROM chapter_hits
            ) GROUP BY work
        )
        SELECT w.id, w.title, w.authors, w.fandoms, w.rating, w.words, w.kudos, w.hits,
               w.updated, w.completed, m.score, m.chapter
        FROM matched m JOIN works w ON w.id = m.work
        WHERE {where}
        ORDER BY {SORTS[sort]}
        LIMIT :limit
    """
    named = {"q": query, "limit": limit, **params}
    try:
        rows = db.execute(sql, named).fetchall()
    except sqlite3.OperationalError as exc:
        raise _fts_error(query, exc) from exc
    results = []
    for row in rows:
        (wid, title, authors, fandoms, rating, words, kudos, hits, updated, completed) = row[:10]
        score, chapter = row[10], row[11]
        results.append(
            {
                "id": wid,
                "title": title,
                "authors": json.loads(authors),
                "fandoms": json.loads(fandoms),
                "rating": rating,
                "words": words,
                "kudos": kudos,
                "hits": hits,
                "updated": updated,
                "completed": bool(completed),
                "score": round(score, 4),
                "snippet": _snippet(db, query, wid, chapter, in_works),
                "url": WORK_URL.format(wid),
            }
        )
    return results


def _searchable(db: Database, query: str) -> tuple[bool, bool]:
    """Which FTS tables can run ``query``; BadInput when neither can."""
    usable = []
    first_error: sqlite3.OperationalError | None = None
    for table in ("works_fts", "chapters_fts"):
        try:
            db.execute(f"SELECT 1 FROM {table} WHERE {table} MATCH ? LIMIT 1", [query]).fetchall()
            usable.append(True)
        except sqlite3.OperationalError as exc:
            if "no such column" not in str(exc):
                raise _fts_error(query, exc) from exc
            first_error = first_error or exc
            usable.append(False)
    if not any(usable) and first_error is not None:
        raise _fts_error(query, first_error) from first_error
    return usable[0], usable[1]


def _snippet(
    db: Database, query: str, work_id: int, chapter: int | None, in_works: bool
) -> str | None:
    if chapter is not None:
        row = db.execute(
            "SELECT snippet(chapters_fts, 4, '[', ']', '…', ?) FROM chapters_fts "
            "WHERE chapters_fts MATCH ? AND rowid = ?",
            [_SNIPPET_TOKENS, query, chapter],
        ).fetchone()
        if row and row[0] and "[" in row[0]:
            return _one_line(row[0])
    if not in_works:
        return None
    # No chapter text matched (or only its title did): show where the work itself matched.
    row = db.execute(
        "SELECT snippet(works_fts, -1, '[', ']', '…', ?) FROM works_fts "
        "WHERE works_fts MATCH ? AND rowid = ?",
        [_SNIPPET_TOKENS, query, work_id],
    ).fetchone()
    return _one_line(row[0]) if row and row[0] else None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fts_error(query: str, exc: sqlite3.OperationalError) -> BadInput:
    text = str(exc)
    if "fts5" in text or "syntax" in text or "no such column" in text or "unterminated" in text:
        return BadInput(
            f"cannot read the search query {query!r} ({text}); FTS5 syntax: put phrases "
            'and words with punctuation in double quotes, e.g. "\\"slow burn\\"" '
            "or 'Crowley AND \"Good Omens\"'"
        )
    return BadInput(f"search failed: {text}")
