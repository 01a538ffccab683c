"""Exchange benchmark, run by hand: ``python bench/bench_exchange.py [--works N] [--rss-works M]``.

Measurements on a generated corpus of many small works with varied text (AO3
work pages made from ``tests/fixtures/work-full-view.html``, each with its own
ids, counters and 1-60 KB of shuffled paragraphs in its chapters):

1. Parquet export throughput, in MB of chapter text per second, for
   ``export_parquet`` (reading the index, building typed columns, writing four
   files) against the floor: a bare pyarrow write of the very same rows, already
   in memory as Python values, with the same schemas, compression and row
   groups. Rounds are interleaved; the medians and their ratio are printed.
   Goal: at least 0.5x the floor.
2. Merge throughput, in works per second: ``ficindex merge`` of an index of N
   works (one raw page each, replayed through the parser and the store) into an
   empty index, and into one that already holds them (the idempotent pass),
   next to building the corpus itself (parse and store of the same pages, as
   ``import`` does), which is the work a merge must repeat.
3. With ``--rss-works M`` (e.g. 20000): the peak RSS of a process exporting M
   works with text to Parquet (the issue asks for under 500 MB at 20,000).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ficindex.exchange import parquet
from ficindex.exchange.merge import merge_tables, replay_pages
from ficindex.index import open_index, readable_index
from ficindex.index.export import select_work_ids
from ficindex.index.store import save_raw_page, save_record
from ficindex.parser import parse_page

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = (ROOT / "tests" / "fixtures" / "work-full-view.html").read_text(encoding="utf-8")
CHAPTER_TEXTS = (
    "<p>The lamp turned <em>slowly</em>, as it had for a hundred years.</p>"
    "<p>Mara counted the ships.</p>",
    "<p>The storm came at dawn.</p>\n<p>Nobody saw the boat until it was close.</p>",
    "<p>They rowed back together.</p>",
)
WORDS = [
    *("lamp", "storm", "keeper", "boat", "tide", "harbour", "night", "watch", "ship", "shore"),
    *("salt", "wind", "light", "rope", "mara", "ines", "gull", "cliff", "fog", "bell", "dawn"),
    *("oar", "wave", "stone", "letter", "kettle", "window", "rain"),
]


def paragraph(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(20, 120))]
    return "<p>" + " ".join(words).capitalize() + ".</p>"


def work_page(work_id: int, rng: random.Random) -> str:
    """One AO3 work page: its own ids and counters, and 1-60 KB of text over three chapters."""
    page = TEMPLATE.replace("51000001", str(work_id))
    for n in (1, 2, 3):
        page = page.replace(f"1290000{n}{n}", str(work_id * 10 + n))
    budget = rng.choice([1_000, 4_000, 12_000, 30_000, 60_000])
    for old in CHAPTER_TEXTS:
        text: list[str] = []
        while sum(map(len, text)) < budget // 3:
            text.append(paragraph(rng))
        page = page.replace(old, "\n".join(text))
    kudos = rng.randint(0, 5000)
    return page.replace('<dd class="kudos">345</dd>', f'<dd class="kudos">{kudos}</dd>')


def build_index(path: Path, works: int, seed: int = 1) -> Path:
    """An index of ``works`` work pages, each stored with its raw page as ``import`` does."""
    rng = random.Random(seed)
    db = open_index(path)
    for i in range(works):
        work_id = 60_000_000 + i
        body = work_page(work_id, rng).encode()
        at = f"2024-01-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z"
        with db.atomic():
            save_raw_page(db, url=None, fetched_at=at, http_status=200, body=body, work_id=work_id)
            save_record(db, parse_page(body), fetched_at=at)
    db.close()
    return path


def text_megabytes(db_path: Path) -> float:
    with readable_index(db_path) as db:
        chars = db.execute("SELECT sum(length(text)) FROM chapters").fetchone()[0]
    return float(chars) / 1e6


def floor_write(pa: Any, pq: Any, rows: dict[str, Any], schemas: dict[str, Any], out: Path) -> None:
    """The bare pyarrow write: the same rows, already Python values, same files' settings."""
    for stem, schema in schemas.items():
        with pq.ParquetWriter(
            out / f"{stem}.parquet", schema, compression=parquet.COMPRESSION
        ) as w:
            for group in rows[stem]:
                w.write_table(pa.Table.from_pydict(group, schema=schema))


def bench_parquet(db_path: Path, rounds: int) -> None:
    pa = parquet.require_pyarrow()
    pq = pa.parquet
    megabytes = text_megabytes(db_path)
    with tempfile.TemporaryDirectory() as tmp:
        ours_dir, floor_dir = Path(tmp) / "ours", Path(tmp) / "floor"
        floor_dir.mkdir()
        with readable_index(db_path) as db:
            ids = select_work_ids(db)
            parquet.export_parquet(db, ids, ours_dir)
        schemas = parquet.schemas(pa)
        rows = {
            stem: [
                pq.ParquetFile(ours_dir / f"{stem}.parquet").read_row_group(i).to_pydict()
                for i in range(pq.ParquetFile(ours_dir / f"{stem}.parquet").num_row_groups)
            ]
            for stem in schemas
        }
        ours_times, floor_times = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            with readable_index(db_path) as db:
                parquet.export_parquet(db, select_work_ids(db), ours_dir)
            ours_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            floor_write(pa, pq, rows, schemas, floor_dir)
            floor_times.append(time.perf_counter() - start)
    ours, floor = statistics.median(ours_times), statistics.median(floor_times)
    print(f"parquet export: {megabytes:.1f} MB of chapter text, {len(ids)} works, {rounds} rounds")
    print(f"  export_parquet     {megabytes / ours:8.1f} MB/s  (median {ours:.2f} s)")
    print(f"  bare pyarrow write {megabytes / floor:8.1f} MB/s  (median {floor:.2f} s)")
    print(f"  ratio export/floor {floor / ours:8.2f}x  (goal >= 0.5x)")


def bench_merge(db_path: Path, works: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        target = open_index(Path(tmp) / "merged.db")
        for label in ("into an empty index", "again (all pages present)"):
            start = time.perf_counter()
            with readable_index(db_path) as other:
                for _ in replay_pages(target, other):
                    pass
                merge_tables(target, other)
            took = time.perf_counter() - start
            print(f"merge {label}: {works / took:8.0f} works/s  ({took:.2f} s for {works})")
        target.close()


_RSS_PROBE = """
import resource, sys
from ficindex.exchange.parquet import export_parquet
from ficindex.index import readable_index
from ficindex.index.export import select_work_ids
with readable_index(sys.argv[1]) as db:
    export_parquet(db, select_work_ids(db), sys.argv[2])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def fast_index(path: Path, works: int, seed: int = 2) -> Path:
    """``works`` works with three chapters of 1-60 KB each, inserted as rows (FTS upkeep
    dropped: only the export's memory is measured here, and parsing 20,000 pages takes long)."""
    rng = random.Random(seed)
    db = open_index(path)
    for trigger in ("chapters_ai", "works_ai"):
        db.execute(f"DROP TRIGGER {trigger}")
    with db.atomic():
        for first in range(0, works, 1000):
            ids = range(60_000_000 + first, 60_000_000 + min(first + 1000, works))
            db.table("works").insert_all(
                {"id": w, "title": f"Work {w}", "fandoms": '["Original Work"]'} for w in ids
            )
            db.table("chapters").insert_all(
                {"id": w * 10 + n, "work": w, "number": n, "text": chapter_text(rng)}
                for w in ids
                for n in (1, 2, 3)
            )
    db.close()
    return path


def chapter_text(rng: random.Random) -> str:
    budget = rng.choice([300, 1_300, 4_000, 10_000, 20_000])
    text: list[str] = []
    while sum(map(len, text)) < budget:
        text.append(paragraph(rng)[3:-4])
    return "\n".join(text)


def bench_rss(works: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        db_path = fast_index(Path(tmp) / "big.db", works)
        print(f"built {works} works in {time.perf_counter() - start:.0f} s")
        megabytes = text_megabytes(db_path)
        probe = subprocess.run(
            [sys.executable, "-c", _RSS_PROBE, str(db_path), str(Path(tmp) / "out")],
            capture_output=True,
            text=True,
            check=True,
        )
        peak = int(probe.stdout.split()[-1])
    print(f"parquet export of {works} works ({megabytes:.0f} MB of text): peak RSS {peak} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, default=2000, help="works in the corpus")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved Parquet rounds")
    parser.add_argument("--rss-works", type=int, default=0, help="also measure RSS at M works")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        db_path = build_index(Path(tmp) / "corpus.db", args.works)
        took = time.perf_counter() - start
        print(f"import of the same pages (parse + store): {args.works / took:8.0f} works/s")
        bench_parquet(db_path, args.rounds)
        bench_merge(db_path, args.works)
    if args.rss_works:
        bench_rss(args.rss_works)
    print(
        f"(this process peaked at {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB)"
    )


if __name__ == "__main__":
    main()
