"""Ctrl-C (and SIGTERM) anywhere before the first request: exit 130 and one line, at once.

The program is held at a known point of its start-up (an import that the test
stalls, or a robots.txt the fake AO3 serves slowly), signalled there, and
checked on its exit code, its stderr and the server's request log. Exit 1 would
mean "finished, some items failed", click's "Aborted!"; a traceback is a bug.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from ao3server import AO3Server, make_site
from ficindex.cli import EXIT_INTERRUPTED, INTERRUPTED, cli
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, run_crawl
from ficindex.crawl.targets import parse_target
from ficindex.lock import index_lock

TAG = "/tags/Test%20Tag/works"

#: Stalls one import for a minute, after touching a marker file, so the test knows where the
#: program stands when it sends the signal (installed through ``sitecustomize``).
HOLD_IMPORT = """
import os, sys, time

class _Hold:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ["HOLD_MODULE"]:
            sys.meta_path.remove(self)
            open(os.environ["HOLD_MARK"], "w").close()
            time.sleep(60)
        return None

sys.meta_path.insert(0, _Hold())
"""


def ficindex(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ficindex", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    """Wait (generously: the machine may be loaded) until the program reaches the held point."""
    deadline = time.monotonic() + 60
    while not condition():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the program never reached the held point"
        time.sleep(0.02)


def stop(proc: subprocess.Popen[str], sig: signal.Signals = signal.SIGINT) -> tuple[int, str]:
    """Signal the program; it must be gone well before the held point would have let go."""
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"the program ignored {sig.name} at start-up")
    return proc.returncode, err


def assert_interrupted(code: int, err: str) -> None:
    assert code == EXIT_INTERRUPTED, err
    assert err.splitlines() == [INTERRUPTED]


def works(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM works").fetchone()[0]


@pytest.mark.parametrize(
    ("module", "command"),
    [
        ("click", "crawl"),  # imported by the command group itself, before click runs
        ("httpx", "crawl"),  # imported when the crawl command loads
        ("ficindex.index.search", "search"),  # imported when the search command loads
    ],
)
def test_ctrl_c_while_importing(tmp_path: Path, module: str, command: str) -> None:
    hold = tmp_path / "hold"
    hold.mkdir()
    (hold / "sitecustomize.py").write_text(HOLD_IMPORT)
    mark = tmp_path / "held"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(hold), *sys.path]),
        "HOLD_MODULE": module,
        "HOLD_MARK": str(mark),
    }
    db = tmp_path / "i.db"
    args = ("crawl", str(db), "1001", "--base-url", "http://127.0.0.1:9")
    proc = ficindex(*(args if command == "crawl" else ("search", str(db), "x")), env=env)
    wait_for(mark.exists, proc)
    assert_interrupted(*stop(proc))
    assert not db.exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_while_robots_txt_loads_stops_a_crawl_at_once(
    tmp_path: Path, sig: signal.Signals
) -> None:
    site = make_site(3)
    site.add_fault("/robots.txt", "slow", delay=60, count=None)
    with AO3Server(site) as ao3:
        db = tmp_path / "i.db"
        proc = ficindex("crawl", str(db), ao3.url + TAG, "--base-url", ao3.url)
        wait_for(lambda: bool(ao3.requests("/robots.txt")), proc)
        assert_interrupted(*stop(proc, sig))
        assert [e.path for e in ao3.log] == ["/robots.txt"]
    assert works(db) == 0


@pytest.mark.parametrize("dry_run", [False, True])
def test_ctrl_c_while_robots_txt_loads_stops_a_refresh_at_once(
    tmp_path: Path, dry_run: bool
) -> None:
    site = make_site(3)
    with AO3Server(site) as ao3:
        db = tmp_path / "i.db"
        config = FetchConfig(base_url=ao3.url, rate=100.0)
        result = run_crawl(db, [parse_target(ao3.url + TAG, config)], config, CrawlOptions())
        assert result.exit_code == 0
        ao3.clear_log()
        site.add_fault("/robots.txt", "slow", delay=60, count=None)
        extra = ["--dry-run"] if dry_run else []
        proc = ficindex("refresh", str(db), "--base-url", ao3.url, *extra)
        wait_for(lambda: bool(ao3.requests("/robots.txt")), proc)
        assert_interrupted(*stop(proc))
        assert [e.path for e in ao3.log] == ["/robots.txt"]
    assert works(db) == 3


def test_ctrl_c_while_a_command_opens_its_index_is_exit_130_and_releases_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    db = tmp_path / "i.db"
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>a page</p></body></html>")
    monkeypatch.setattr(sqlite3, "connect", interrupted)
    result = CliRunner().invoke(cli, ["import", str(db), str(page)])
    assert result.exit_code == EXIT_INTERRUPTED
    assert result.output.splitlines() == [INTERRUPTED]
    with index_lock(db):  # the writer lock was let go on the way out
        pass
