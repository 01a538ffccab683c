"""``ficindex export --format jsonl`` against a raw floor (issue 14 item 5).

Run by hand: ``python bench/bench_export.py [--works 1000] [--rounds 5]``
(about two minutes on a quiet 2-core machine: importing the generated
corpus takes most of it).

A generated corpus (``bench/corpus.py``) is imported once; then, interleaved
round by round, on the same index:

* in process: ficindex's ``select_work_ids`` + ``write_jsonl`` (what the
  command runs) vs the floor: plain ``sqlite3`` reads of the same rows (one
  query per table, chapters streamed in work order), one dict per record in
  the contract's key order, ``orjson.dumps`` per record, written to a file;
* whole processes: ``ficindex export DB --format jsonl -o FILE`` vs this
  script's ``--floor DB FILE`` mode (the floor as its own process).

Before timing, the floor's output is checked to hold the same records as
ficindex's, so the two do the same work. Goal: ficindex within 1.2x.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from rounds import balanced, orders

TAG_LISTS = ("warnings", "categories", "fandoms", "relationships", "characters", "freeforms")
COUNTERS = ("words", "comments", "kudos", "bookmarks", "hits", "chapters_posted")
CHAPTERS = (
    "SELECT work, number, id, title, summary, notes, end_notes, text FROM chapters "
    "WHERE vanished_at IS NULL ORDER BY work, number"
)


def grouped(conn: sqlite3.Connection, sql: str) -> dict[int, list[tuple[Any, ...]]]:
    """Rows of a link query keyed by their first column (the work id)."""
    out: dict[int, list[tuple[Any, ...]]] = {}
    for row in conn.execute(sql):
        out.setdefault(row[0], []).append(row[1:])
    return out


def floor_export(db_path: str, out_path: str) -> int:
    """The raw floor: plain reads of the same rows, orjson per record, one write each."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    authors = grouped(
        conn,
        "SELECT l.work, a.pseud, a.user FROM work_authors l JOIN authors a ON a.id = l.author "
        "ORDER BY l.work, l.rowid",
    )
    series = grouped(
        conn,
        "SELECT l.work, s.id, s.title, l.position FROM work_series l JOIN series s "
        "ON s.id = l.series ORDER BY l.work, l.rowid",
    )
    collections = grouped(
        conn,
        "SELECT l.work, c.name, c.title FROM work_collections l JOIN collections c "
        "ON c.id = l.collection ORDER BY l.work, l.rowid",
    )
    works = conn.execute("SELECT * FROM works WHERE title IS NOT NULL ORDER BY id")
    names = [d[0] for d in works.description]
    chapters = itertools.groupby(conn.execute(CHAPTERS), key=lambda row: row[0])
    pending = next(chapters, None)
    count = 0
    loads = json.loads
    with open(out_path, "wb") as out:
        for values in works:
            w = dict(zip(names, values, strict=True))
            wid = w["id"]
            mine: list[tuple[Any, ...]] = []
            while pending is not None and pending[0] <= wid:
                if pending[0] == wid:
                    mine = list(pending[1])
                pending = next(chapters, None)
            record = {
                "kind": "work",
                "work_id": wid,
                "title": w["title"],
                "authors": [{"pseud": p, "user": u} for p, u in authors.get(wid, ())],
                "anonymous": bool(w["anonymous"]),
                "gifts": loads(w["gifts"]),
                "rating": w["rating"],
                **{name: loads(w[name]) for name in TAG_LISTS},
                "language": w["language"],
                "series": [{"id": i, "title": t, "position": p} for i, t, p in series.get(wid, ())],
                "collections": [{"name": n, "title": t} for n, t in collections.get(wid, ())],
                "published": w["published"],
                "updated": w["updated"],
                "completed": bool(w["completed"]),
                **{name: w[name] for name in COUNTERS},
                "kudos_users": loads(w["kudos_users"] or "[]"),
                "kudos_guests": w["kudos_guests"],
                "chapters_total": w["chapters_total"],
                "summary": w["summary"],
                "notes": w["notes"],
                "end_notes": w["end_notes"],
                "restricted": bool(w["restricted"]),
                "chapters": [
                    {
                        "number": number,
                        "chapter_id": cid if cid > 0 else None,
                        "title": title,
                        "summary": summary,
                        "notes": notes,
                        "end_notes": end_notes,
                        "text": text,
                    }
                    for _, number, cid, title, summary, notes, end_notes, text in mine
                ],
                "listing": None,
                **{name: w[name] for name in ("status", "status_at", "first_seen", "last_fetched")},
                "url": f"https://archiveofourown.org/works/{wid}",
            }
            out.write(orjson.dumps(record) + b"\n")
            count += 1
    conn.close()
    return count


def ficindex_export(db_path: str, out_path: str) -> int:
    """What ``ficindex export DB --format jsonl -o FILE`` runs, in process."""
    from ficindex.index import readable_index
    from ficindex.index.export import select_work_ids, write_jsonl

    with readable_index(db_path) as db, open(out_path, "w", encoding="utf-8", newline="") as out:
        return write_jsonl(db, select_work_ids(db), out)


def same_records(a: Path, b: Path) -> None:
    with a.open("rb") as fa, b.open("rb") as fb:
        for n, (la, lb) in enumerate(itertools.zip_longest(fa, fb), 1):
            if la is None or lb is None or orjson.loads(la) != orjson.loads(lb):
                raise SystemExit(f"the floor's record {n} differs from ficindex's: fix the floor")


def interleave(rounds: int, runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Median seconds of each run, in the order of :func:`rounds.orders`."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for order in orders(list(runs), rounds):
        for name in order:
            start = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--works", type=int, default=1000, help="works in the index (1000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (5)")
    parser.add_argument("--floor", nargs=2, metavar=("DB", "FILE"), help="run only the floor")
    args = parser.parse_args()
    if args.floor:
        floor_export(*args.floor)
        return
    # Imported here so that the floor's own process (above) loads neither.
    import corpus
    from ficindex.index import writable_index
    from ficindex.loader import import_file

    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        db = tmp / "export.db"
        recs = list(corpus.records(args.works))
        paths = corpus.save(tmp / "pages", recs)
        with writable_index(db) as index:
            for path in paths:
                import_file(index, path)
        shutil.rmtree(tmp / "pages")
        ours_out, floor_out = tmp / "ficindex.jsonl", tmp / "floor.jsonl"
        count = ficindex_export(str(db), str(ours_out))
        floor_export(str(db), str(floor_out))
        same_records(ours_out, floor_out)
        size = ours_out.stat().st_size / 1e6
        inproc = interleave(
            args.rounds,
            {
                "ficindex": lambda: ficindex_export(str(db), str(ours_out)),
                "floor": lambda: floor_export(str(db), str(floor_out)),
            },
        )
        cli = [sys.executable, "-m", "ficindex", "export", str(db), "--format", "jsonl"]
        floor_cmd = [sys.executable, __file__, "--floor", str(db), str(floor_out)]

        def run(argv: list[str]) -> None:
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        procs = interleave(
            args.rounds,
            {
                "ficindex": lambda: run([*cli, "-o", str(ours_out)]),
                "floor": lambda: run(floor_cmd),
            },
        )
    print(f"export --format jsonl: {count} works, {size:.1f} MB of JSON Lines, "
          f"median of {balanced(args.rounds, 2)} interleaved rounds")  # fmt: skip
    for label, t in (("in process", inproc), ("whole process", procs)):
        print(f"  {label:14} ficindex {t['ficindex']:6.2f} s {size / t['ficindex']:6.1f} MB/s   "
              f"floor {t['floor']:6.2f} s {size / t['floor']:6.1f} MB/s   "
              f"ratio {t['ficindex'] / t['floor']:5.2f}x the floor's time "
              f"(goal <= 1.2)")  # fmt: skip
    print(f"(load average now {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
