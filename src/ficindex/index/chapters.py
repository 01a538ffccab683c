"""A work's chapters: apply a page's chapters, keep every text, vanish what a full page drops.

Chapter keys: ``chapters.id`` is AO3's chapter id, and a chapter id belongs to
the work that first stored it: a page of another work showing the same id
(a forged or mixed-up page) does not take that row; its chapter is stored as
if it showed no id. A chapter without an id (a plain-text copy) takes the id
of the chapter already stored at that number, or a negative stand-in key
that the real id replaces once a page shows it:

* ``-(work_id * 100000 + number)`` for every work id below 10^13 and number
  below 100000 (every id AO3 has given, by orders of magnitude): the same
  key whatever order pages arrive in;
* otherwise (work ids of 14 to 18 digits, which the parser accepts, would
  overflow SQLite's 64-bit integer) the next key of a separate range below
  ``-2**62``, taken in storing order. The two ranges never meet, so a
  stand-in key can neither overflow nor collide.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from ficindex.record import Chapter

_CHAPTER_COLUMNS = ("id", "work", "number", "title", "summary", "notes", "end_notes", "text")
#: Position of ``vanished_at`` in the rows :func:`save_chapters` reads (after the columns above).
_VANISHED = len(_CHAPTER_COLUMNS)
_SYNTHETIC_BASE = 100_000
#: Stand-in keys from the formula stay above this; allocated ones are at or below it.
_ALLOCATED_TOP = -(2**62)
_INT64_MIN = -(2**63)

#: Prepared once: a chapter row, every column of :data:`_CHAPTER_COLUMNS` then ``vanished_at``.
_INSERT = (
    f"INSERT INTO chapters ({', '.join(_CHAPTER_COLUMNS)}, vanished_at) "
    f"VALUES ({', '.join('?' * (len(_CHAPTER_COLUMNS) + 1))})"
)
#: The same row replacing the stored one of its id (an update, so the FTS triggers see one).
_UPSERT = (
    _INSERT
    + " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in (*_CHAPTER_COLUMNS[1:], "vanished_at"))
)

#: Stored chapter rows of one work by id: the columns above, then ``vanished_at``.
Stored = dict[int, tuple[Any, ...]]


def synthetic_chapter_id(work_id: int, number: int) -> int | None:
    """The stand-in key of a chapter whose AO3 id no page has shown yet (always negative).

    None when ``-(work_id * 100000 + number)`` would leave the formula's range
    (see the module docstring); :func:`stand_in_id` then allocates one.
    """
    if not 0 <= number < _SYNTHETIC_BASE:
        return None
    key = -(work_id * _SYNTHETIC_BASE + number)
    return key if key > _ALLOCATED_TOP else None


def stand_in_id(db: Database, work_id: int, number: int, planned: Iterable[int] = ()) -> int:
    """A free stand-in key for chapter ``number`` of ``work_id``: the formula's, or the next
    of the allocated range when the formula does not fit or its key is somehow taken.

    ``planned`` are keys already given to chapters of the same page, not yet stored.
    """
    planned = set(planned)
    key = synthetic_chapter_id(work_id, number)
    if (
        key is not None
        and key not in planned
        and not db.execute("SELECT 1 FROM chapters WHERE id = ?", [key]).fetchone()
    ):
        return key
    top = db.execute("SELECT max(id) FROM chapters WHERE id <= ?", [_ALLOCATED_TOP]).fetchone()[0]
    allocated = [k for k in (top, *planned) if k is not None and k <= _ALLOCATED_TOP]
    return max(allocated) + 1 if allocated else _INT64_MIN


def _stored(db: Database, work_id: int) -> tuple[Stored, dict[int, int]]:
    """The work's chapter rows by id, and the id of the present chapter at each number."""
    cursor = db.execute(
        f"SELECT {', '.join(_CHAPTER_COLUMNS)}, vanished_at FROM chapters WHERE work = ?",
        [work_id],
    )
    stored: Stored = {r[0]: r for r in cursor.fetchall()}
    return stored, {r[2]: r[0] for r in stored.values() if r[_VANISHED] is None}


def save_chapters(db: Database, work_id: int, chapters: list[Chapter], full: bool, at: str) -> bool:
    """Apply a page's chapters; vanish the ones a full page no longer lists. True if changed."""
    stored, active = _stored(db, work_id)
    plan, changed = _assign_ids(db, work_id, chapters, stored, active)
    leaving = [cid for cid in active.values() if cid not in {c for c, _ in plan}] if full else []
    # A row still holding a number the page gives to another chapter steps aside first
    # (it comes back below if the page lists it under its new number).
    leaving += [active[ch.number] for cid, ch in plan if active.get(ch.number, cid) != cid]
    for cid in dict.fromkeys(leaving):
        db.execute("UPDATE chapters SET vanished_at = ? WHERE id = ?", [at, cid])
        stored[cid] = (*stored[cid][:_VANISHED], at)
        changed = True
    return _write(db, work_id, plan, stored) or changed


def _assign_ids(
    db: Database, work_id: int, chapters: list[Chapter], stored: Stored, active: dict[int, int]
) -> tuple[list[tuple[int, Chapter]], bool]:
    """The key each chapter of the page is stored under; True if a stand-in key was replaced."""
    changed = False
    plan: list[tuple[int, Chapter]] = []
    taken = _held_by_other_works(db, work_id, [ch.chapter_id for ch in chapters])
    for ch in chapters:
        occupant = active.get(ch.number)
        cid = ch.chapter_id
        if cid is None or cid in taken:
            if occupant is None:
                occupant = stand_in_id(db, work_id, ch.number, (c for c, _ in plan))
            cid = occupant
        elif occupant is not None and occupant < 0 and cid not in stored:
            # The real id of a chapter first stored under a stand-in key.
            db.execute("UPDATE chapters SET id = ? WHERE id = ?", [cid, occupant])
            stored[cid] = (cid, *stored.pop(occupant)[1:])
            active[ch.number] = cid
            changed = True
        plan.append((cid, ch))
    return plan, changed


def add_older_chapters(
    db: Database,
    work_id: int,
    chapters: list[Chapter],
    *,
    absent_at: str | None,
    displaced_at: str,
) -> bool:
    """Keep the text of a page older than what the index holds, without undoing newer pages.

    A chapter already stored keeps its newer row (a stand-in key takes the real
    id the older page shows). A chapter never stored is added: present
    (``absent_at`` None) when its number is free, else as vanished at
    ``displaced_at`` (a newer page put another chapter at that number), or as
    vanished at ``absent_at`` (a newer full page does not list it). A chapter
    without an id is only added at a free number: elsewhere it cannot be told
    from the chapter stored there. True if anything changed.
    """
    stored, active = _stored(db, work_id)
    taken = _held_by_other_works(db, work_id, [ch.chapter_id for ch in chapters])
    changed = False
    rows: list[tuple[Any, ...]] = []
    for ch in chapters:
        cid = None if ch.chapter_id in taken else ch.chapter_id
        occupant = active.get(ch.number)
        action = _older_action(cid, occupant, stored, absent_at)
        if action == "keep":
            continue
        if action == "rename" and cid is not None and occupant is not None:
            db.execute("UPDATE chapters SET id = ? WHERE id = ?", [cid, occupant])
            stored[cid] = stored.pop(occupant)
            changed = True
            continue
        if cid is None:
            cid = stand_in_id(db, work_id, ch.number, (r[0] for r in rows))
        vanished = displaced_at if occupant is not None else absent_at
        if vanished is None:
            active[ch.number] = cid
        stored[cid] = ()
        rows.append(_chapter_row(cid, work_id, ch, vanished))
    if rows:
        db.conn.executemany(_INSERT, rows)
    return changed or bool(rows)


def _older_action(
    cid: int | None, occupant: int | None, stored: Stored, absent_at: str | None
) -> str:
    """What :func:`add_older_chapters` does with one chapter: "keep" the stored data,
    "rename" the stand-in key at its number to its real id, or "add" it."""
    if cid is None:
        return "keep" if occupant is not None or absent_at is not None else "add"
    if cid in stored:
        return "keep"
    return "rename" if occupant is not None and occupant < 0 else "add"


def _chapter_row(cid: int, work_id: int, ch: Chapter, vanished_at: str | None) -> tuple[Any, ...]:
    """A chapter's values in the order of :data:`_INSERT`."""
    return (
        cid,
        work_id,
        ch.number,
        ch.title,
        ch.summary,
        ch.notes,
        ch.end_notes,
        ch.text,
        vanished_at,
    )


def _held_by_other_works(db: Database, work_id: int, ids: list[int | None]) -> set[int]:
    """The ids among ``ids`` that chapters of another work already hold."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return set()
    marks = ", ".join("?" * len(wanted))
    cursor = db.execute(
        f"SELECT id FROM chapters WHERE id IN ({marks}) AND work != ?", [*wanted, work_id]
    )
    return {row[0] for row in cursor}


def _write(db: Database, work_id: int, plan: list[tuple[int, Chapter]], stored: Stored) -> bool:
    """Upsert the planned chapters that differ from their stored rows; True if any did."""
    rows = []
    for cid, ch in plan:
        values = (cid, work_id, ch.number, ch.title, ch.summary, ch.notes, ch.end_notes, ch.text)
        old = stored.get(cid)
        if old is not None and old[:_VANISHED] == values and old[_VANISHED] is None:
            continue
        rows.append((*values, None))
    if rows:
        db.conn.executemany(_UPSERT, rows)
    return bool(rows)
