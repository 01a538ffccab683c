"""Whole-process start-up of read commands against a bare Python + sqlite3 process (issue 14).

Run by hand: ``python bench/bench_startup.py [--rounds 15] [--works 300]``
(about a minute: a small generated index is imported first, then every
process runs ``--rounds`` times (rounded up to a multiple of the contenders),
the contenders interleaved in each round in the rotating order of
``rounds.orders``).

``ficindex`` is run as an installed console script runs: a script written
the way pip writes one for the entry point in ``pyproject.toml`` (so the
figures do not depend on how old the environment's own script is). The
package's ``.pyc`` files are compiled first (``PYTHONDONTWRITEBYTECODE`` may
be set); one contender runs a copy of the package without them.

Contenders, each a fresh process with its output discarded:

* ``python -c 'import sqlite3'``: the floor of any Python command;
* a bare FTS process: ``python -c`` that imports sqlite3, opens the index and
  runs one FTS5 query (bm25 and snippet, LIMIT 20) for the rare word;
* ``ficindex search DB RAREWORD`` and ``ficindex query DB "select 1"`` (the
  fast start, ``ficindex.cli.fast``), the same search through click
  (``FICINDEX_CLICK=1``), the search with no ``.pyc`` for ficindex, the search
  printed as a table narrow enough to draw (``--table -c id -c title -c score``), and
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
import compileall
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import corpus
import ficindex
from ficindex.index import writable_index
from ficindex.loader import import_file
from rounds import balanced, orders

BARE_FTS = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1])\n"
    "rows = c.execute(\"SELECT rowid, bm25(chapters_fts), snippet(chapters_fts, 4, '[', ']', "
    "'…', 16) FROM chapters_fts WHERE chapters_fts MATCH ? ORDER BY 2 LIMIT 20\", "
    "[sys.argv[2]]).fetchall()\n"
    "print(rows)\n"
)


def console_script(folder: Path) -> list[str]:
    """A ``ficindex`` script as pip writes it for the entry point named by the
    ``pyproject.toml`` of the source tree ficindex is imported from."""
    project = Path(ficindex.__file__).resolve().parents[2] / "pyproject.toml"
    target = tomllib.loads(project.read_text())["project"]["scripts"]["ficindex"]
    module, function = target.split(":")
    script = folder / "ficindex"
    script.write_text(
        f"#!{sys.executable}\nimport re\nimport sys\nfrom {module} import {function}\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
        f"    sys.exit({function}())\n"
    )
    script.chmod(0o755)
    return [str(script)]


def without_pyc(folder: Path) -> dict[str, str]:
    """The environment of a process importing a copy of ficindex that has no ``.pyc``."""
    package = Path(ficindex.__file__).parent
    shutil.copytree(package, folder / "ficindex", ignore=shutil.ignore_patterns("__pycache__"))
    return {"PYTHONPATH": str(folder), "PYTHONDONTWRITEBYTECODE": "1"}


def build_index(tmp: Path, works: int) -> Path:
    db = tmp / "startup.db"
    paths = corpus.write_pages(tmp / "pages", works)
    with writable_index(db) as index:
        for path in paths:
            import_file(index, path)
    shutil.rmtree(tmp / "pages")
    return db


def run_ms(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        argv,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env},
    )
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
    compileall.compile_dir(Path(ficindex.__file__).parent, quiet=1)
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    optional = [m for m in ("pandas", "numpy") if importlib.util.find_spec(m) is not None]
    print(f"installed here, imported by sqlite-utils at start-up: {', '.join(optional) or 'none'}"
          " (of pandas, numpy)")  # fmt: skip
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        db = str(build_index(tmp, args.works))
        script = console_script(tmp)
        py = sys.executable
        rare = corpus.RARE_WORD
        contenders: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c 'import sqlite3'": ([py, "-c", "import sqlite3"], {}),
            "bare python + sqlite3 FTS query": ([py, "-c", BARE_FTS, db, rare], {}),
            f"ficindex search DB {rare}": ([*script, "search", db, rare], {}),
            "ficindex query DB 'select 1'": ([*script, "query", db, "select 1"], {}),
            "  the search through click": ([*script, "search", db, rare], {"FICINDEX_CLICK": "1"}),
            "  the search, no .pyc of ficindex": (
                [*script, "search", db, rare],
                without_pyc(tmp / "nopyc"),
            ),
            "  the search as a narrow table": (
                [*script, "search", db, rare, "--table", "-c", "id", "-c", "title", "-c", "score"],
                {},
            ),
            "ficindex --version": ([*script, "--version"], {}),
        }
        names = list(contenders)
        times: dict[str, list[float]] = {n: [] for n in names}
        for order in orders(names, args.rounds):
            for n in order:
                times[n].append(run_ms(*contenders[n]))
        medians = {n: statistics.median(t) for n, t in times.items()}
        floor, fts = medians[names[0]], medians[names[1]]
        rounds = balanced(args.rounds, len(names))
        print(f"whole processes, median of {rounds} interleaved rounds, ms:")
        for n in names:
            print(f"  {n:40} {medians[n]:8.1f}   {medians[n] / floor:5.2f}x import sqlite3   "
                  f"{medians[n] / fts:5.2f}x bare FTS process")  # fmt: skip
        print("goal (issue 14): search and query within 2x of 'import sqlite3'")
        importtime(["search", db, corpus.RARE_WORD], args.top, max(3, args.rounds // 3))
    print(f"(load average now {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
