"""Index benchmark, run by hand: ``python bench/bench_index.py [--works N]``.

Three measurements on generated data (one run, same data for both sides):

1. Import throughput, in MB of chapter text per second: ``save_record`` of N
   works of 50 chapters, one transaction per work as ``ficindex import`` does
   (FTS kept in sync by the triggers), against the floor: plain ``sqlite3``
   ``executemany`` of the same rows into the same tables with the FTS triggers
   dropped, then one FTS5 ``rebuild``. Goal: at least 0.5x the floor.
2. Search latency: median of ``search()`` (top 20, with snippets) over an index
   of 10,000 works, for a set of one-word, two-word and phrase queries.
3. Memory: importing 100 and then 1,000 small work pages from a directory, as
   the peak traced Python allocation and as the peak RSS of a whole
   ``ficindex import`` process; flat means the importer streams.

Chapter text is the seed capture's chapter (``../shared/seed``) shuffled per
chapter, or generated words when the shared folder is absent.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from ficindex.index import open_index
from ficindex.index.search import search
from ficindex.index.store import CONTENT_COLUMNS, record_columns, save_record
from ficindex.loader import import_file
from ficindex.record import Author, Chapter, Record

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seed" / "work-page-capture.txt"
PAGE = ROOT / "tests" / "fixtures" / "work-full-view.html"
QUERIES = [
    "friend",
    "izuku",
    "school",
    "mother",
    "quirk",
    "hero",
    '"best friends"',
    "angst OR fluff",
]


def paragraphs() -> list[str]:
    """Realistic English paragraphs to build chapters from."""
    if SEED.exists():
        text = SEED.read_text(encoding="utf-8").split("Chapter Text", 1)[-1]
        found = [p.strip() for p in text.split("\n") if len(p.strip()) > 40]
        if found:
            return found
    rng = random.Random(1)
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
        for _ in range(5000)
    ]
    return [" ".join(rng.choice(words) for _ in range(60)) + "." for _ in range(200)]


def make_work(
    work_id: int, chapters: int, paras: list[str], rng: random.Random, size: int
) -> Record:
    """A full work whose chapters are about ``size`` characters of shuffled paragraphs."""
    chs = []
    for n in range(1, chapters + 1):
        picked: list[str] = []
        length = 0
        while length < size:
            p = rng.choice(paras)
            picked.append(p)
            length += len(p) + 1
        chs.append(
            Chapter(
                number=n, chapter_id=work_id * 1000 + n, title=f"Part {n}", text="\n".join(picked)
            )
        )
    return Record(
        kind="work",
        work_id=work_id,
        title=f"Generated work {work_id}",
        authors=[Author(pseud=f"writer{work_id % 97}", user=f"writer{work_id % 97}")],
        rating=rng.choice(["General Audiences", "Teen And Up Audiences", "Mature", "Explicit"]),
        warnings=["No Archive Warnings Apply"],
        categories=["M/M"],
        fandoms=[rng.choice(["My Hero Academia", "Good Omens", "Sherlock (TV)"])],
        relationships=["Bakugou Katsuki/Midoriya Izuku"],
        characters=["Midoriya Izuku", "Bakugou Katsuki"],
        freeforms=rng.sample(["Angst", "Fluff", "Happy Ending", "Slow Burn", "Hurt/Comfort"], 2),
        language="English",
        published="2020-01-01",
        updated="2021-01-01",
        completed=True,
        words=sum(len(c.text.split()) for c in chs),
        kudos=rng.randint(0, 5000),
        hits=rng.randint(100, 100000),
        comments=rng.randint(0, 100),
        bookmarks=rng.randint(0, 500),
        chapters_posted=chapters,
        chapters_total=chapters,
        summary="A generated summary about friends and heroes.",
        chapters=chs,
    )


def bench_import(works: int) -> None:
    rng = random.Random(7)
    paras = paragraphs()
    records = [make_work(i, 50, paras, rng, 24000) for i in range(1, works + 1)]
    megabytes = sum(len(c.text.encode()) for r in records for c in r.chapters) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        db = open_index(Path(tmp) / "ficindex.db")
        start = time.perf_counter()
        for i, record in enumerate(records):
            save_record(db, record, fetched_at=f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z")
        ours = time.perf_counter() - start
        db.close()

        floor_db = open_index(Path(tmp) / "floor.db")
        for trigger in (
            "works_ai",
            "works_ad",
            "works_au",
            "chapters_ai",
            "chapters_ad",
            "chapters_au",
        ):
            floor_db.execute(f"DROP TRIGGER {trigger}")
        conn = floor_db.conn
        columns = ["id", *CONTENT_COLUMNS]
        work_rows = [[r.work_id, *(record_columns(r)[c] for c in CONTENT_COLUMNS)] for r in records]
        chapter_rows = [
            (c.chapter_id, r.work_id, c.number, c.title, c.summary, c.notes, c.end_notes, c.text)
            for r in records
            for c in r.chapters
        ]
        start = time.perf_counter()
        with conn:
            marks = ", ".join("?" * len(columns))
            conn.executemany(
                f"INSERT INTO works ({', '.join(columns)}) VALUES ({marks})", work_rows
            )
            conn.executemany(
                "INSERT INTO chapters (id, work, number, title, summary, notes, end_notes, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                chapter_rows,
            )
            conn.execute("INSERT INTO works_fts (works_fts) VALUES ('rebuild')")
            conn.execute("INSERT INTO chapters_fts (chapters_fts) VALUES ('rebuild')")
        floor = time.perf_counter() - start
        floor_db.close()
    print(f"import: {works} works x 50 chapters, {megabytes:.1f} MB of chapter text")
    print(f"  save_record (one transaction per work): {ours:.2f} s = {megabytes / ours:.1f} MB/s")
    print(f"  floor (executemany + FTS rebuild):      {floor:.2f} s = {megabytes / floor:.1f} MB/s")
    print(f"  ratio: {floor / ours:.2f}x of the floor (goal >= 0.5x)")


def bench_search(works: int) -> None:
    rng = random.Random(11)
    paras = paragraphs()
    with tempfile.TemporaryDirectory() as tmp:
        db = open_index(Path(tmp) / "search.db")
        start = time.perf_counter()
        with db.atomic():
            for i in range(1, works + 1):
                save_record(
                    db, make_work(i, 3, paras, rng, 3000), fetched_at="2024-01-01T00:00:00Z"
                )
        build = time.perf_counter() - start
        timings = {}
        for query in QUERIES:
            runs = []
            for _ in range(5):
                t = time.perf_counter()
                rows = search(db, query, limit=20)
                runs.append(time.perf_counter() - t)
            timings[query] = (statistics.median(runs), len(rows))
        db.close()
    print(f"search: {works} works x 3 chapters (built in {build:.1f} s), top 20 with snippets")
    for query, (median, count) in timings.items():
        print(f"  {query!r:24} median {median * 1000:7.1f} ms ({count} rows)")
    overall = statistics.median(m for m, _ in timings.values())
    print(f"  median over all queries: {overall * 1000:.1f} ms")


def bench_memory() -> None:
    template = PAGE.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        folders = {100: Path(tmp) / "pages-100", 1000: Path(tmp) / "pages-1000"}
        for count, folder in folders.items():
            folder.mkdir()
            for i in range(count):
                page = template.replace("51000001", str(60000000 + i))
                page = page.replace("1290000", f"9{i:04d}")
                (folder / f"work-{i:04d}.html").write_text(page, encoding="utf-8")
        peaks = []
        for count, folder in folders.items():
            db = open_index(Path(tmp) / f"traced-{count}.db")
            tracemalloc.start()
            for path in sorted(folder.iterdir()):
                import_file(db, path)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            db.close()
        # The whole ``ficindex import`` process, SQLite's own memory included.
        rss = {
            count: peak_rss([sys.executable, "-m", "ficindex", "import", "--silent",
                             str(Path(tmp) / f"rss-{count}.db"), str(folder)])
            for count, folder in folders.items()
        }  # fmt: skip
    print("memory: importing a directory of small work pages")
    print(f"  peak traced Python allocation: 100 pages {peaks[0] / 1e6:.2f} MB, "
          f"1,000 pages {peaks[1] / 1e6:.2f} MB")  # fmt: skip
    print(f"  peak RSS of 'ficindex import': 100 pages {rss[100] / 1e6:.1f} MB, "
          f"1,000 pages {rss[1000] / 1e6:.1f} MB")  # fmt: skip


def peak_rss(argv: list[str]) -> int:
    """Peak resident set size, in bytes, of one process (Linux reports KiB).

    Measured through a small wrapper process: Linux counts the memory of the process
    that forked a child in that child's peak, so a child started straight from this
    benchmark (hundreds of MB by now) would report our size, not its own.
    """
    wrapper = (
        "import os, subprocess, sys\n"
        "child = subprocess.Popen(sys.argv[1:])\n"
        "_, status, usage = os.wait4(child.pid, 0)\n"
        "print(usage.ru_maxrss if os.waitstatus_to_exitcode(status) == 0 else -1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *argv], stdout=subprocess.PIPE, text=True, check=True
    )
    kib = int(done.stdout.split()[-1])
    if kib < 0:
        raise SystemExit(f"{' '.join(argv[2:4])} failed")
    return kib * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=40, help="works for the import benchmark")
    parser.add_argument("--search-works", type=int, default=10000)
    args = parser.parse_args()
    bench_import(args.works)
    bench_search(args.search_works)
    bench_memory()


if __name__ == "__main__":
    main()
