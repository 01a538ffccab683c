"""A work's chapters: apply a page's chapters, keep every text, vanish what a full page drops.

Chapter keys: ``chapters.id`` is AO3's chapter id. When a page does not show it
(a plain-text copy), the row takes the id of the chapter already stored at that
number, or a synthetic negative id ``-(work_id * 100000 + number)`` that the
real id replaces once a page shows it.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from ficindex.record import Chapter

_CHAPTER_COLUMNS = ("id", "work", "number", "title", "summary", "notes", "end_notes", "text")
#: Position of ``vanished_at`` in the rows :func:`save_chapters` reads (after the columns above).
_VANISHED = len(_CHAPTER_COLUMNS)
_SYNTHETIC_BASE = 100_000

#: Stored chapter rows of one work by id: the columns above, then ``vanished_at``.
Stored = dict[int, tuple[Any, ...]]


def synthetic_chapter_id(work_id: int, number: int) -> int:
    """The stand-in key of a chapter whose AO3 id no page has shown yet (always negative)."""
    return -(work_id * _SYNTHETIC_BASE + number)


def save_chapters(db: Database, work_id: int, chapters: list[Chapter], full: bool, at: str) -> bool:
    """Apply a page's chapters; vanish the ones a full page no longer lists. True if changed."""
    cursor = db.execute(
        f"SELECT {', '.join(_CHAPTER_COLUMNS)}, vanished_at FROM chapters WHERE work = ?",
        [work_id],
    )
    stored: Stored = {r[0]: r for r in cursor.fetchall()}
    active = {r[2]: r[0] for r in stored.values() if r[_VANISHED] is None}
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
    for ch in chapters:
        occupant = active.get(ch.number)
        if ch.chapter_id is None:
            cid = occupant if occupant is not None else synthetic_chapter_id(work_id, ch.number)
        else:
            cid = ch.chapter_id
            if occupant is not None and occupant < 0 and cid not in stored:
                # The real id of a chapter first stored under a stand-in key.
                db.execute("UPDATE chapters SET id = ? WHERE id = ?", [cid, occupant])
                stored[cid] = (cid, *stored.pop(occupant)[1:])
                active[ch.number] = cid
                changed = True
        plan.append((cid, ch))
    return plan, changed


def _write(db: Database, work_id: int, plan: list[tuple[int, Chapter]], stored: Stored) -> bool:
    """Upsert the planned chapters that differ from their stored rows; True if any did."""
    rows = []
    for cid, ch in plan:
        values = (cid, work_id, ch.number, ch.title, ch.summary, ch.notes, ch.end_notes, ch.text)
        old = stored.get(cid)
        if old is not None and old[:_VANISHED] == values and old[_VANISHED] is None:
            continue
        rows.append({**dict(zip(_CHAPTER_COLUMNS, values, strict=True)), "vanished_at": None})
    if rows:
        db.table("chapters").upsert_all(rows, pk="id")
    return bool(rows)
