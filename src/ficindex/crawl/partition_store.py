"""Where a listing split into date windows stands: its partition row and each window's probed total.

The tables are made by the crawl frontier's migrations (``m002_partitions``,
``m003_window_words`` in :mod:`ficindex.crawl.frontier`); these functions are
kept apart from the frontier's work queue because only the window walk
(:mod:`ficindex.crawl.windows`) and its planners read and write them.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils


def start_partition(db: sqlite_utils.Database, key: str, *, total: int, cap: int, on: str) -> None:
    """Note that ``key`` is being split into date windows (once; a rerun keeps the first date)."""
    db.execute(
        "INSERT INTO crawl_partitions (target, total, cap, started_on) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(target) DO NOTHING",
        [key, total, cap, on],
    )


def partition_of(db: sqlite_utils.Database, key: str) -> dict[str, Any] | None:
    """The partition row of a target split into windows, or None."""
    rows = list(db.query("SELECT * FROM crawl_partitions WHERE target = ?", [key]))
    return rows[0] if rows else None


def window_total(
    db: sqlite_utils.Database,
    key: str,
    date_from: str,
    date_to: str,
    words: tuple[str, str] = ("", ""),
) -> int | None:
    """The total probed earlier for a window ('' for an open end), or None."""
    row = db.execute(
        "SELECT total FROM crawl_windows WHERE target = ? AND date_from = ? AND date_to = ? "
        "AND words_from = ? AND words_to = ?",
        [key, date_from, date_to, *words],
    ).fetchone()
    return None if row is None else int(row[0])


def save_window(
    db: sqlite_utils.Database,
    key: str,
    date_from: str,
    date_to: str,
    *,
    total: int,
    at: str,
    words: tuple[str, str] = ("", ""),
) -> None:
    """Keep a window's probed total, so a rerun never probes it again."""
    db.execute(
        "INSERT OR REPLACE INTO crawl_windows "
        "(target, date_from, date_to, words_from, words_to, total, probed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [key, date_from, date_to, *words, total, at],
    )


def set_verified(db: sqlite_utils.Database, key: str, at: str) -> None:
    """Every window of a split listing read and checked once more (see ``windows._verify``)."""
    db.execute("UPDATE crawl_partitions SET verified_at = ? WHERE target = ?", [at, key])


def set_refresh_from(db: sqlite_utils.Database, key: str, day: str | None) -> None:
    """Where a partitioned listing's refresh goes on reading its windows (None: done)."""
    db.execute("UPDATE crawl_partitions SET refresh_from = ? WHERE target = ?", [day, key])
