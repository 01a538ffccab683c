"""Read commands start fast: what ``search`` and ``query`` import, and the click-free start.

``search`` and ``query`` must not pay for sqlite-utils (which imports pandas and
numpy when they are installed), click, package metadata or the crawler's HTTP
stack. Timing is for ``bench/bench_startup.py``; here we assert what a loaded
machine cannot blur: which modules a real process loaded. And the fast start
(:mod:`ficindex.cli.fast`) must answer every command line exactly as click
does: same stdout, stderr and exit code, in real processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from sqlite_utils import Database
from tabulate import tabulate

import ficindex
from ficindex.cli import FORCE_CLICK
from ficindex.cli.fast import parse
from ficindex.cli.table import _overhead
from ficindex.index import reading_connection
from ficindex.index.layout import STEPS
from ficindex.index.schema import MIGRATION_NAMES, MIGRATIONS
from ficindex.index.search import search
from index_fixtures import fixture_index

#: Modules a read command must not import (each costs milliseconds to hundreds of them).
HEAVY = (
    "sqlite_utils",
    "pandas",
    "numpy",
    "dateutil",
    "httpx",
    "selectolax",
    "importlib.metadata",
    "importlib.resources",
    "tabulate",
    "dataclasses",
    "typing",
    "pathlib",
    "logging",
    "difflib",
    "csv",
)

#: Runs the program as the console script does and prints the modules it loaded (the fast
#: start ends the process with os._exit once its output is written: here that raises instead).
MODULES_AFTER = """
import io, json, os, sys
sys.argv = ["ficindex", *sys.argv[1:]]
from ficindex.cli import main
out, sys.stdout = sys.stdout, io.StringIO()
os._exit = sys.exit
try:
    main()
except SystemExit as exc:
    code = exc.code
sys.stdout = out
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def env(**extra: str) -> dict[str, str]:
    """This environment without FICINDEX_* settings (they send a command line to click)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FICINDEX_")}
    return {**clean, "PYTHONPATH": os.pathsep.join(sys.path), **extra}


def loaded(*args: str, **extra: str) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", MODULES_AFTER, *args],
        capture_output=True,
        text=True,
        env=env(COLUMNS="100", **extra),
        check=True,
    )
    answer = json.loads(done.stdout)
    return answer["code"], set(answer["modules"])


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture_index(tmp_path_factory.mktemp("startup") / "fics.db")


@pytest.fixture(scope="module")
def baseline() -> set[str]:
    """What any Python process that reads SQLite and prints JSON loads here (a sitecustomize
    or .pth file of the environment may load some of HEAVY itself; they are not ours)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3, json, re, sys; print(json.dumps(list(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        env=env(),
        check=True,
    )
    return set(json.loads(done.stdout))


@pytest.mark.parametrize(
    "args",
    [
        ["search", "{db}", "slow burn"],
        ["search", "{db}", "burn", "--fandom", "Good Omens*", "--sort", "kudos", "--limit", "5"],
        ["search", "{db}", "--tag", "slow*", "--nl"],
        ["query", "{db}", "select count(*) from works"],
        ["query", "{db}", "tag_cooccurrence", "-p", "tag", "Slow Burn"],
        ["search", "{db}", "burn", "--csv"],  # csv itself, but not the export module
        ["search", "{db}", "burn", "--table"],  # too wide for 100 columns: blocks, no tabulate
        ["search", "{db}", "burn", "--table", "-c", "id", "-c", "title", "-c", "score"],  # a table
        ["query", "{db}", "select id, title, kudos, null as x from works", "--table"],
    ],
)
def test_read_commands_load_no_heavy_module(db: Path, baseline: set[str], args: list[str]) -> None:
    code, modules = loaded(*(a.format(db=db) for a in args))
    assert code == 0
    wanted = {"csv"} if "--csv" in args else set()
    assert sorted(m for m in HEAVY if m in modules and m not in baseline | wanted) == []
    assert "click" not in modules


def test_through_click_read_commands_still_load_no_sqlite_utils(db: Path) -> None:
    code, modules = loaded("search", str(db), "slow burn", **{FORCE_CLICK: "1"})
    assert code == 0
    assert "click" in modules  # the environment variable did send it to click
    assert {"sqlite_utils", "pandas", "importlib.metadata", "dateutil"} & modules == set()


@pytest.mark.parametrize("count", range(1, 41))
def test_the_simple_styles_overhead_known_without_tabulate_is_tabulates(count: int) -> None:
    drawn = tabulate([["x"] * count], headers=["x"] * count, tablefmt="simple")
    assert _overhead(count, "simple") == max(len(line) for line in drawn.splitlines()) - count


def test_the_schema_steps_known_without_sqlite_utils_are_the_registered_ones() -> None:
    assert list(STEPS) == MIGRATION_NAMES


def test_a_read_command_upgrades_an_older_index_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = Database(path)
    MIGRATIONS.apply(old, stop_before="m003_cjk_side_index")
    old.close()
    with reading_connection(path) as conn:
        assert search(conn, "anything") == []
    with Database(path) as db:
        assert [m.name for m in MIGRATIONS.applied(db)] == MIGRATION_NAMES


# ------------------------------------------------------------------------- the fast start


def program(args: list[str], stdin: str = "", **extra: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "ficindex", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env(COLUMNS="120", **extra),
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def files(db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("files")
    damaged = folder / "damaged.db"
    damaged.write_bytes(db.read_bytes()[:4096] + b"\xde\xad" * 2048)
    (folder / "text.db").write_text("id,title\n1,hello\n")
    return {
        "db": str(db),
        "missing": str(folder / "missing.db"),
        "damaged": str(damaged),
        "text": str(folder / "text.db"),
    }


#: Command lines the fast start reads (the first word picks the file from ``files``).
FAST = [
    ["search", "{db}", "slow burn"],
    ["search", "{db}", "burn", "--limit", "1"],
    ["search", "{db}", "--limit=2", "bookshop"],
    ["search", "{db}", "burn", "--sort", "kudos", "--csv"],
    ["search", "{db}", "burn", "--tsv", "--no-headers", "-c", "id", "-c", "title"],
    ["search", "{db}", "burn", "--nl", "--json"],
    ["search", "{db}", "burn", "--table"],
    ["search", "{db}", "burn", "--fmt", "github", "-c", "id", "-c", "score"],
    ["search", "{db}", "burn", "--table", "-c", "id", "-c", "title", "-c", "score"],
    ["search", "{db}", "--fandom", "Good Omens*", "--complete"],
    ["search", "{db}", "", "--tag", "slow burn", "--incomplete", "--kudos-min", "5"],
    ["search", "{db}", "*", "--author", "angelwriter", "--words-min", "1_000", "--sort", "words"],
    ["search", "{db}", "burn", "--rating", "general audiences", "--language", "english"],
    ["search", "{db}", "burn", "--fandom", "Good Omen"],
    ["search", "{db}", "--tag", "--json"],
    ["search", "{db}", "--", "-burn"],
    ["search", "{db}", '"unclosed'],
    ["search", "{db}", "AND"],
    ["search", "{db}", "{{nosuchcolumn}}:x"],
    ["search", "{db}", "burn", "-c", "nosuch"],
    ["search", "{missing}", "burn"],
    ["search", "{damaged}", "burn"],
    ["search", "{text}", "burn"],
    ["query", "{db}", "select id, title from works order by id", "--csv"],
    ["query", "{db}", "select :n + 1 as n", "-p", "n", "41"],
    ["query", "{db}", "tag_cooccurrence", "--param", "tag", "Slow Burn", "--nl"],
    ["query", "{db}", "--list"],
    ["query", "{db}", "--list", "--json"],
    ["query", "{db}", "-"],
    ["query", "{db}", "nosuchquery"],
    ["query", "{db}", "select 1", "-p", "y", "1"],
    ["query", "{db}", "select :n", "-p", "n", "99999999999999999999"],
    ["query", "{db}", "delete from works"],
    ["query", "{db}", "select * from nosuch"],
    ["query", "{missing}", "select 1"],
]

#: Command lines left to click (help, usage errors, bad values, group options).
CLICK = [
    ["search", "--help"],
    ["search", "{db}", "burn", "-h"],
    ["search"],
    ["search", "{db}", "a", "b"],
    ["search", "{db}", "burn", "--limit", "0"],
    ["search", "{db}", "burn", "--limit"],
    ["search", "{db}", "burn", "--sort", "nope"],
    ["search", "{db}", "burn", "--fmt", "nope"],
    ["search", "{db}", "burn", "--bogus"],
    ["search", "{db}", "burn", "-cid"],
    ["search", "{db}", "burn", "--complete=yes"],
    ["search", "{db}", "burn", "--csv", "--fmt", "github"],
    ["search", "{db}", "-burn"],
    ["query", "{db}"],
    ["query", "{db}", "select 1", "-p", "n"],
    ["-q", "search", "{db}", "burn"],
    ["--version"],
]


def _ids(cases: list[list[str]]) -> list[str]:
    return [" ".join(c).encode("unicode_escape").decode() for c in cases]


@pytest.mark.parametrize("args", FAST, ids=_ids(FAST))
def test_the_fast_start_answers_as_click_does(files: dict[str, str], args: list[str]) -> None:
    argv = [a.format(**files) for a in args]
    assert parse(argv) is not None  # read without click
    stdin = "select 2 as two" if argv[-1] == "-" else ""
    fast = program(argv, stdin)
    assert fast == program(argv, stdin, **{FORCE_CLICK: "1"})
    code, out, err = fast
    if code == 0:
        assert out
    else:
        assert code == 2 and err.startswith("Error: ") and err.count("\n") == 1 and not out


@pytest.mark.parametrize("args", CLICK, ids=_ids(CLICK))
def test_what_the_fast_start_cannot_read_goes_to_click(
    files: dict[str, str], args: list[str]
) -> None:
    assert parse([a.format(**files) for a in args]) is None


@pytest.mark.parametrize(
    "args", [["search", "{db}", "burn", "--limit", "0"], ["search", "--help"]], ids=str
)
def test_a_command_line_left_to_click_gets_clicks_answer(
    files: dict[str, str], args: list[str]
) -> None:
    argv = [a.format(**files) for a in args]
    assert program(argv) == program(argv, **{FORCE_CLICK: "1"})


def test_an_option_set_in_the_environment_goes_to_click(files: dict[str, str]) -> None:
    code, out, _ = program(["search", files["db"], "burn"], FICINDEX_SEARCH_LIMIT="1")
    assert code == 0 and len(json.loads(out)) == 1


def test_a_long_output_is_whole_when_the_program_ends_without_teardown(
    files: dict[str, str],
) -> None:
    # More than the pipe and stdout buffers hold: everything is flushed before os._exit.
    sql = "with recursive n(i) as (select 1 union all select i + 1 from n limit 30000) select i"
    code, out, err = program(["query", files["db"], f"{sql} from n", "--nl"])
    assert (code, err) == (0, "")
    assert [json.loads(line)["i"] for line in out.splitlines()] == list(range(1, 30001))


def test_exit_functions_still_run_after_a_read_command(files: dict[str, str]) -> None:
    # Something registered an exit function: the program leaves the ordinary way, which runs it.
    script = (
        "import atexit, sys\n"
        "atexit.register(print, 'exit function ran')\n"
        "sys.argv = ['ficindex', 'query', sys.argv[1], 'select 1 as one']\n"
        "from ficindex.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, files["db"]], capture_output=True, text=True, env=env()
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == '[{"one": 1}]\nexit function ran\n'


# ------------------------------------------------------------------------------ --version


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_the_version_is_answered_without_click_or_package_metadata(
    baseline: set[str], flag: str
) -> None:
    code, modules = loaded(flag)
    assert code == 0
    assert sorted(m for m in HEAVY if m in modules and m not in baseline) == []
    assert "click" not in modules


@pytest.mark.parametrize("args", [["--version"], ["-V"], ["-v", "--version"]], ids=str)
def test_the_version_reads_as_clicks_answer(args: list[str]) -> None:
    answer = program(args)
    assert answer == (0, f"ficindex, version {ficindex.__version__}\n", "")
    assert answer == program(args, **{FORCE_CLICK: "1"})


def test_the_version_is_written_once_and_pyproject_reads_it() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    read = pyproject["tool"]["setuptools"]["dynamic"]["version"]
    assert read == {"attr": "ficindex.__version__"}
    assert ficindex.__version__.count(".") == 2
