"""Merging another index's engagement rows (kudos, comments, bookmarks) and their passes.

Raw pages cannot carry them: the crawl keeps only the work page (comments
page 1) among its raw pages, not the kudos, bookmark or later comment pages.
So :func:`~ficindex.exchange.merge.merge_tables` merges the rows themselves,
after the works (their rows must exist first). Nothing either index knows is
lost; where both know a row, the one seen last on AO3 (``last_seen``) wins,
and ``first_seen`` is the earlier of the two:

* ``kudos``: per work, the index whose kudos were seen last gives the order;
  the other's logins it lacks follow in their own order; positions are then
  numbered again from 0, a strict order as :func:`~ficindex.index.engagement.save_kudos`
  keeps it.
* ``comments`` by AO3's id; a ``removed`` or placeholder row seen later wins
  over an older visible one, as a later page would.
* ``bookmarks`` by (work, user, pseud), with their tags and collections (the
  ids are each index's own, so they are matched on that key).
* ``crawl_engagement``, the passes' cursors, are kept, not reset: the merged
  rows are what a done pass claims, so the next ``--with`` run fetches only
  what moved. Where both have a pass, a done one beats a failed one, which
  beats a queued one, then the later finish wins (as for the work queue).

The destination's ``engagement_salt`` stays: its public copy pseudonymizes
every reader, merged ones included, under its own secret.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

__all__ = ["merge_engagement"]

_COMMENT_CONTENT = (
    "chapter",
    "parent",
    "thread",
    "commenter_kind",
    "user",
    "pseud",
    "name",
    "posted",
    "edited",
    "text",
    "state",
    "frozen",
)
_BOOKMARK_CONTENT = ("date", "date_text", "rec", "notes")
_PASS_RANK = {"queued": 0, "failed": 1, "done": 2}


def merge_engagement(db: Database, other: Database) -> dict[str, int]:
    """Merge ``other``'s engagement rows into ``db`` (inside the caller's transaction).

    Returns the rows added or changed per table. An index from before the
    engagement tables has none to merge.
    """
    theirs = set(other.table_names())
    if "comments" not in theirs:
        return {}
    works = {row[0] for row in db.execute("SELECT id FROM works")}
    merged = {
        "kudos": _kudos(db, other, works),
        "comments": _comments(db, other, works),
        "bookmarks": _bookmarks(db, other, works),
    }
    if "crawl_engagement" in theirs and "crawl_engagement" in db.table_names():
        merged["crawl_engagement"] = _passes(db, other)
    return merged


def _kudos(db: Database, other: Database, works: set[int]) -> int:
    changed = 0
    ids = [r[0] for r in other.execute("SELECT DISTINCT work FROM kudos ORDER BY work")]
    for work_id in ids:
        if work_id not in works:
            continue
        mine = _kudos_rows(db, work_id)
        theirs = _kudos_rows(other, work_id)
        newer, older = (theirs, mine) if _latest(theirs) > _latest(mine) else (mine, theirs)
        order = list(newer) + [user for user in older if user not in newer]
        rows = []
        for position, user in enumerate(order):
            seen = [side[user] for side in (mine, theirs) if user in side]
            first, last = min(s[1] for s in seen), max(s[2] for s in seen)
            if user in mine and mine[user] == (position, first, last):
                continue
            rows.append((work_id, user, position, first, last))
        db.conn.executemany(
            "INSERT INTO kudos (work, user, position, first_seen, last_seen) VALUES (?,?,?,?,?) "
            "ON CONFLICT (work, user) DO UPDATE SET position = excluded.position, "
            "first_seen = excluded.first_seen, last_seen = excluded.last_seen",
            rows,
        )
        changed += len(rows)
    return changed


def _kudos_rows(db: Database, work_id: int) -> dict[str, tuple[int, str, str]]:
    """user -> (position, first_seen, last_seen), in position order."""
    rows = db.execute(
        "SELECT user, position, first_seen, last_seen FROM kudos WHERE work = ? "
        "ORDER BY position, user",
        [work_id],
    )
    return {user: (position, first, last) for user, position, first, last in rows}


def _latest(rows: dict[str, tuple[int, str, str]]) -> str:
    return max((last for _, _, last in rows.values()), default="")


def _comments(db: Database, other: Database, works: set[int]) -> int:
    columns = ("id", "work", *_COMMENT_CONTENT, "first_seen", "last_seen")
    newer = ", ".join(
        f"{c} = CASE WHEN excluded.last_seen > comments.last_seen THEN excluded.{c} "
        f"ELSE comments.{c} END"
        for c in _COMMENT_CONTENT
    )
    upsert = (
        f"INSERT INTO comments ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT (id) DO UPDATE SET {newer}, "
        "first_seen = min(comments.first_seen, excluded.first_seen), "
        "last_seen = max(comments.last_seen, excluded.last_seen) "
        "WHERE excluded.last_seen != comments.last_seen "
        "OR excluded.first_seen < comments.first_seen"
    )
    changed = 0
    for row in other.execute(f"SELECT {', '.join(columns)} FROM comments ORDER BY id"):
        if row[1] in works:
            changed += db.execute(upsert, list(row)).rowcount
    return changed


def _bookmarks(db: Database, other: Database, works: set[int]) -> int:
    changed = 0
    find = "SELECT * FROM bookmarks WHERE work = ? AND user = ? AND pseud = ?"
    for theirs in other.query("SELECT * FROM bookmarks ORDER BY id"):
        if theirs["work"] not in works:
            continue
        key = {"work": theirs["work"], "user": theirs["user"], "pseud": theirs["pseud"]}
        found = list(db.query(find, list(key.values())))
        mine: dict[str, Any] = found[0] if found else theirs
        if found and not _bookmark_differs(mine, theirs):
            continue
        take = not found or theirs["last_seen"] > mine["last_seen"]
        values = {
            "first_seen": min(theirs["first_seen"], mine["first_seen"]),
            "last_seen": max(theirs["last_seen"], mine["last_seen"]),
            **{c: theirs[c] for c in _BOOKMARK_CONTENT if take},
        }
        if found:
            bookmark_id = mine["id"]
            db.table("bookmarks").update(bookmark_id, values)
        else:
            bookmark_id = db.table("bookmarks").insert({**key, **values}).last_pk
        if take:
            _bookmark_lists(db, other, theirs["id"], bookmark_id)
        changed += 1
    return changed


def _bookmark_differs(mine: dict[str, Any], theirs: dict[str, Any]) -> bool:
    return bool(
        theirs["last_seen"] > mine["last_seen"] or theirs["first_seen"] < mine["first_seen"]
    )


def _bookmark_lists(db: Database, other: Database, theirs: int, mine: Any) -> None:
    """The bookmark's tags and collections, as ``other`` holds them."""
    db.execute("DELETE FROM bookmark_tags WHERE bookmark = ?", [mine])
    db.execute("DELETE FROM bookmark_collections WHERE bookmark = ?", [mine])
    db.conn.executemany(
        "INSERT INTO bookmark_tags (bookmark, position, tag) VALUES (?,?,?)",
        [
            (mine, position, tag)
            for position, tag in other.execute(
                "SELECT position, tag FROM bookmark_tags WHERE bookmark = ?", [theirs]
            )
        ],
    )
    db.conn.executemany(
        "INSERT INTO bookmark_collections (bookmark, name, title) VALUES (?,?,?)",
        [
            (mine, name, title)
            for name, title in other.execute(
                "SELECT name, title FROM bookmark_collections WHERE bookmark = ?", [theirs]
            )
        ],
    )


def _passes(db: Database, other: Database) -> int:
    """The passes' cursors: a done pass beats a failed one, which beats a queued one."""
    columns = set(db["crawl_engagement"].columns_dict)
    changed = 0
    for theirs in other.query("SELECT * FROM crawl_engagement ORDER BY work_id, kind"):
        found = list(
            db.query(
                "SELECT * FROM crawl_engagement WHERE work_id = ? AND kind = ?",
                [theirs["work_id"], theirs["kind"]],
            )
        )
        if found and _pass_rank(found[0]) >= _pass_rank(theirs):
            continue
        row = {k: v for k, v in theirs.items() if k in columns}
        db.table("crawl_engagement").insert(row, pk=("work_id", "kind"), replace=True)
        changed += 1
    return changed


def _pass_rank(row: dict[str, Any]) -> tuple[int, str]:
    return (_PASS_RANK.get(row["state"], 0), row["done_at"] or "")
