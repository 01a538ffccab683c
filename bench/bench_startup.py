"""Whole-process start-up of read commands against a bare Python + sqlite3 process (issue 14).

Run by hand: ``python bench/bench_startup.py [--rounds 15] [--works 300]``
(about a minute: a small generated index is imported first, then every
process runs ``--rounds`` times, the contenders interleaved in each round, in
a rotating order).

Contenders, each a fresh process with its output discarded:

* ``python -c 'import sqlite3'``: the floor of any Python command;
* a bare FTS process: ``python -c`` that imports sqlite3, opens the index and
  runs one FTS5 query (bm25 and snippet, LIMIT 20) for the rare word;
* ``ficindex search DB RAREWORD``, ``ficindex query DB "select 1"`` and
  ``ficindex --version``.

Medians in ms, and each ficindex command as a ratio of the floor (issue 14:
search and query within 2x of ``import sqlite3``) and of the bare FTS
process. Then ``python -X importtime`` of ``ficindex search``: the imports
that cost most, by package and by module.

The environment matters: sqlite-utils imports pandas and numpy at start-up
whenever they are installed, so the first line printed says whether they are.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import corpus
from ficindex.index import writable_index
from ficindex.loader import import_file

BARE_FTS = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1])\n"
    "rows = c.execute(\"SELECT rowid, bm25(chapters_fts), snippet(chapters_fts, 4, '[', ']', "
    "'…', 16) FROM chapters_fts WHERE chapters_fts MATCH ? ORDER BY 2 LIMIT 20\", "
    "[sys.argv[2]]).fetchall()\n"
    "print(rows)\n"
)


def ficindex_argv() -> list[str]:
    """The ``ficindex`` console script beside this interpreter, else ``python -m ficindex``."""
    script = Path(sys.executable).with_name("ficindex")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which("ficindex")
    return [found] if found else [sys.executable, "-m", "ficindex"]


def build_index(tmp: Path, works: int) -> Path:
    db = tmp / "startup.db"
    paths = corpus.write_pages(tmp / "pages", works)
    with writable_index(db) as index:
        for path in paths:
            import_file(index, path)
    shutil.rmtree(tmp / "pages")
    return db


def run_ms(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def import_times(argv: list[str]) -> dict[str, int]:
    """Own import time in microseconds of each module of one ``python -m ficindex ARGV``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ficindex", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    own: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "imported package" not in line:
            self_us, _, name = line.split(":", 1)[1].split("|")
            own[name.strip()] = int(self_us)
    return own


def importtime(argv: list[str], top: int, repeat: int) -> None:
    """The costliest imports of ``python -m ficindex ARGV``: median of ``repeat`` processes."""
    runs = [import_times(argv) for _ in range(repeat)]
    modules = {name: statistics.median(r.get(name, 0) for r in runs) for name in runs[0]}
    packages: dict[str, float] = {}
    for name, own in modules.items():
        packages[name.split(".")[0]] = packages.get(name.split(".")[0], 0) + own
    total = sum(modules.values())
    print(f"\nimports of 'python -m ficindex {argv[0]}': {len(modules)} modules, "
          f"{total / 1000:.0f} ms in all, -X importtime, median of {repeat} runs")  # fmt: skip
    print(f"  top {top} packages by the own time of all their modules, ms:")
    for name, own in sorted(packages.items(), key=lambda item: -item[1])[:top]:
        print(f"    {own / 1000:7.1f}  {name}")
    print(f"  top {top} modules by own time, ms:")
    for name, own in sorted(modules.items(), key=lambda item: -item[1])[:top]:
        print(f"    {own / 1000:7.1f}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--rounds", type=int, default=15, help="processes per contender (15)")
    parser.add_argument("--works", type=int, default=300, help="works in the index (300)")
    parser.add_argument("--top", type=int, default=12, help="imports listed (12)")
    args = parser.parse_args()
    ficindex = ficindex_argv()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs); "
          f"ficindex run as {' '.join(Path(a).name for a in ficindex)}")  # fmt: skip
    optional = [m for m in ("pandas", "numpy") if importlib.util.find_spec(m) is not None]
    print(f"installed here, imported by sqlite-utils at start-up: {', '.join(optional) or 'none'}"
          " (of pandas, numpy)")  # fmt: skip
    with tempfile.TemporaryDirectory() as name:
        db = str(build_index(Path(name), args.works))
        py = sys.executable
        contenders = {
            "python -c 'import sqlite3'": [py, "-c", "import sqlite3"],
            "bare python + sqlite3 FTS query": [py, "-c", BARE_FTS, db, corpus.RARE_WORD],
            f"ficindex search DB {corpus.RARE_WORD}": [*ficindex, "search", db, corpus.RARE_WORD],
            "ficindex query DB 'select 1'": [*ficindex, "query", db, "select 1"],
            "ficindex --version": [*ficindex, "--version"],
        }
        names = list(contenders)
        times: dict[str, list[float]] = {n: [] for n in names}
        for r in range(args.rounds):
            shift = r % len(names)
            for n in names[shift:] + names[:shift]:
                times[n].append(run_ms(contenders[n]))
        medians = {n: statistics.median(t) for n, t in times.items()}
        floor, fts = medians[names[0]], medians[names[1]]
        print(f"whole processes, median of {args.rounds} interleaved rounds, ms:")
        for n in names:
            print(f"  {n:40} {medians[n]:8.1f}   {medians[n] / floor:5.2f}x import sqlite3   "
                  f"{medians[n] / fts:5.2f}x bare FTS process")  # fmt: skip
        print("goal (issue 14): search and query within 2x of 'import sqlite3'")
        importtime(["search", db, corpus.RARE_WORD], args.top, max(3, args.rounds // 3))
    print(f"(load average now {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
