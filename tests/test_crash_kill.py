"""SIGKILL a crawl at random moments, again and again, resume it, and lose nothing.

The final index is compared with an uninterrupted crawl of the same fake AO3:
same works, chapters, tags, authors and counters, one raw page and one
``stats_history`` row per work (a replayed step would add a second), no
duplicate rows, ``PRAGMA integrity_check`` ok, every work ``done``.

``FICINDEX_KILL_ROUNDS=N`` kills N times (default 5); ``FICINDEX_KILL_SEED``
picks the moments (default: a new seed each run, printed on failure).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from ao3server import AO3Server, make_site

TAG = "/tags/Test%20Tag/works"
ROUNDS = int(os.environ.get("FICINDEX_KILL_ROUNDS", "5"))
SEED = int(os.environ.get("FICINDEX_KILL_SEED", str(random.randrange(1_000_000))))

#: Columns that record when something happened, which differ between two runs by nature.
WHEN = {"first_seen", "last_fetched", "last_full_fetch", "status_at", "fetched_at", "queued_at"}
#: Everything a SQL user reads, by content (tag and author row ids depend on insertion order).
QUERIES = {
    "works": "SELECT * FROM works ORDER BY id",
    "chapters": "SELECT * FROM chapters ORDER BY id",
    "work_tags": "SELECT wt.work, t.name, t.type FROM work_tags wt JOIN tags t ON t.id = wt.tag "
    "ORDER BY 1, 2, 3",
    "work_authors": "SELECT wa.work, a.user, a.pseud FROM work_authors wa "
    "JOIN authors a ON a.id = wa.author ORDER BY 1, 2, 3",
    "work_series": "SELECT * FROM work_series ORDER BY 1, 2",
    "work_collections": "SELECT wc.work, c.name, c.title FROM work_collections wc "
    "JOIN collections c ON c.id = wc.collection ORDER BY 1, 2",
    "stats_history": "SELECT * FROM stats_history ORDER BY work, fetched_at",
    "crawl_works": "SELECT work_id, state, outcome, reason FROM crawl_works ORDER BY work_id",
    "raw_pages_per_work": "SELECT work_id, count(*) AS pages FROM raw_pages "
    "GROUP BY work_id ORDER BY work_id",
    "tags": "SELECT name, type FROM tags ORDER BY 1, 2",
    "authors": "SELECT user, pseud FROM authors ORDER BY 1, 2",
}


def start(db: Path, url: str, rate: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ficindex",
            "crawl",
            str(db),
            url + TAG,
            "1",  # a work id that does not exist: recorded as deleted
            "--base-url",
            url,
            "--rate",
            rate,
            "--concurrency",
            "3",
            "--silent",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def content(db: Path) -> dict[str, list[dict]]:
    """What a user of the index sees, without the times things happened."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return {
            name: [
                {k: row[k] for k in row.keys() if k not in WHEN}  # noqa: SIM118
                for row in conn.execute(sql)
            ]
            for name, sql in QUERIES.items()
        }
    finally:
        conn.close()


def check(db: Path, expected: dict[str, list[dict]]) -> None:
    got = content(db)
    for table in expected:
        assert got[table] == expected[table], f"seed {SEED}: {table} differs"
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT count(*) FROM works WHERE status = 'ok'").fetchone()[0] == 40
        # One stats row per work: a resumed step never records its counters twice.
        replayed = "SELECT work FROM stats_history GROUP BY work HAVING count(*) > 1"
        assert conn.execute(replayed).fetchall() == []
        assert conn.execute(
            "SELECT count(*) FROM crawl_works WHERE state != 'done'"
        ).fetchone() == (0,)
    finally:
        conn.close()


def test_sigkill_at_random_moments_then_resume_loses_nothing(tmp_path: Path) -> None:
    site = make_site(40)
    rng = random.Random(SEED)
    with AO3Server(site) as ao3:
        reference = tmp_path / "reference.db"
        proc = start(reference, ao3.url, "200")
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
        expected = content(reference)

        kills, finished, db = 0, 0, tmp_path / "killed-0.db"
        for _ in range(ROUNDS):
            proc = start(db, ao3.url, "40")  # about 1.5 s for the whole job
            # Any moment: starting up, creating the index, robots.txt, listing pages, works.
            time.sleep(rng.uniform(0.0, 1.2))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
                proc.wait(timeout=30)
            else:  # the job got done between kills: check it, then start a new one
                assert proc.returncode == 0, f"seed {SEED}: " + (proc.stderr.read() or "")
                check(db, expected)
                finished += 1
                db = tmp_path / f"killed-{finished}.db"
        proc = start(db, ao3.url, "200")
        assert proc.wait(timeout=120) == 0, f"seed {SEED}: " + (proc.stderr.read() or "")
    check(db, expected)
    print(f"{kills} kills survived, {finished} jobs completed between kills (seed {SEED})")
    assert kills >= max(1, ROUNDS // 3), f"seed {SEED}: only {kills} of {ROUNDS} runs were killed"
