"""``ficindex refresh`` as cron runs it: real processes, exit codes, output, the lock, kill -9."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ao3server import AO3Server, Site
from ficindex.crawl.targets import work_path
from ficindex.lock import index_lock
from test_refresh import crawl_tag, refresh, rows, work_fetches

TIMESTAMPS = {"first_seen", "last_fetched", "last_full_fetch", "status_at", "fetched_at"}


@pytest.fixture
def crawled(ao3: AO3Server, tmp_path: Path) -> Path:
    return crawl_tag(ao3, tmp_path / "fics.db")


def cli(db: Path, *args: str, url: str, rate: str = "200") -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ficindex", "refresh", str(db), *args]
        + ["--base-url", url, "--rate", rate, "--concurrency", "3", "--max-retries", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def content(db: Path) -> dict[str, list[dict]]:
    """The user-visible tables, minus when things happened."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return {
            table: [
                {k: r[k] for k in r.keys() if k not in TIMESTAMPS}  # noqa: SIM118
                for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")
            ]
            for table in ("works", "chapters", "stats_history", "work_tags")
        }


def copy(src: Path, dst: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


def wait_for(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_summary_is_one_line_on_a_non_terminal(ao3: AO3Server, crawled: Path) -> None:
    code, out, err = finish(cli(crawled, url=ao3.url))
    assert code == 0 and out == ""
    assert err.count("\n") == 1
    assert err.startswith(
        "refresh finished: 0 new, 0 updated, 20 unchanged, 0 deleted, 0 restricted, 0 failed; "
        "1 listing page, 2 requests, "
    )


def test_silent_prints_only_failures_and_the_log_file_keeps_everything(
    site: Site, ao3: AO3Server, crawled: Path, tmp_path: Path
):
    log = tmp_path / "refresh.log"
    code, out, err = finish(cli(crawled, "--silent", "--log-file", str(log), url=ao3.url))
    assert (code, out, err) == (0, "", "")
    site.add_work(2001, freeforms=["Test Tag"], published="2025-05-01")
    site.add_fault("/works/2001", "status", status=500, count=None)
    code, out, err = finish(cli(crawled, "--silent", "--log-file", str(log), url=ao3.url))
    assert code == 1 and out == ""
    assert err.splitlines() == ["failed: work 2001: HTTP 500 after 2 attempts"]
    lines = log.read_text().splitlines()
    assert {line.split(" ", 1)[1].split(":")[0] for line in lines} == {"refresh"}
    summaries = [line for line in lines if "refresh finished:" in line]
    assert len(summaries) == 2
    assert "0 failed" in summaries[0] and "1 failed" in summaries[1]
    assert any(line.endswith("work 2001 failed: HTTP 500 after 2 attempts") for line in lines)
    assert lines[-1].endswith("failed: work 2001: HTTP 500 after 2 attempts")


def test_bad_input_is_one_line_and_exit_2(ao3: AO3Server, crawled: Path, tmp_path: Path):
    code, _, err = finish(cli(crawled, "--older-than", "7 days", url=ao3.url))
    assert code == 2 and err.count("\n") == 1 and err.startswith("Error: --older-than")
    code, _, err = finish(cli(tmp_path / "missing.db", url=ao3.url))
    assert code == 2 and err.startswith("Error: no index at")
    assert not (tmp_path / "missing.db.lock").exists()
    assert ao3.log == []


def test_refresh_exits_3_at_once_while_another_run_holds_the_index(ao3: AO3Server, crawled):
    with index_lock(crawled):
        started = time.monotonic()
        code, _, err = finish(cli(crawled, url=ao3.url))
        assert code == 3 and "being written by another ficindex crawl or refresh" in err
        assert time.monotonic() - started < 10
    assert ao3.log == []


def test_two_refreshes_started_together_one_exits_3(site: Site, ao3: AO3Server, crawled):
    for n, work_id in enumerate(range(1036, 1046)):
        site.post_chapter(work_id, on=f"2025-06-{n + 1:02d}")
    site.latency = 0.3  # the winner runs for a couple of seconds
    first, second = cli(crawled, url=ao3.url), cli(crawled, url=ao3.url)
    wait_for(lambda: len(work_fetches(ao3)) >= 1)
    with sqlite3.connect(crawled, timeout=0.5) as reader:  # WAL: readers never wait for it
        assert reader.execute("SELECT count(*) FROM works").fetchone() == (45,)
    results = [finish(first), finish(second)]
    assert sorted(code for code, _, _ in results) == [0, 3]
    loser = next(err for code, _, err in results if code == 3)
    assert loser.startswith("Error: ") and "another ficindex crawl or refresh" in loser
    assert sorted(work_fetches(ao3)) == sorted(work_path(w) for w in range(1036, 1046))


def test_a_killed_refresh_resumes_to_the_state_of_an_uninterrupted_one(
    site: Site, ao3: AO3Server, crawled: Path, tmp_path: Path
):
    reference = copy(crawled, tmp_path / "reference.db")
    for n, work_id in enumerate(sorted(site.works)):
        site.post_chapter(work_id, on=f"2025-{6 + n // 28:02d}-{n % 28 + 1:02d}")
    assert refresh(ao3, reference).exit_code == 0
    ao3.clear_log()

    proc = cli(crawled, url=ao3.url, rate="20")
    wait_for(lambda: len(work_fetches(ao3)) >= 10)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    done = rows(crawled, "SELECT count(*) FROM crawl_works WHERE state = 'done'")[0][0]
    queued = rows(crawled, "SELECT count(*) FROM crawl_works WHERE state = 'queued'")[0][0]
    assert queued > 0 and done + queued == 45  # the kill left changed works queued

    code, _, err = finish(cli(crawled, url=ao3.url))
    assert code == 0, err
    assert content(crawled) == content(reference)
    assert rows(crawled, "SELECT count(*) FROM crawl_works WHERE state != 'done'") == [(0,)]
    assert rows(crawled, "PRAGMA integrity_check") == [("ok",)]
    fetched = work_fetches(ao3)
    assert set(fetched) == {work_path(w) for w in site.works}
    assert len(fetched) - len(set(fetched)) <= 3  # only the works in hand at the kill, twice


def test_dry_run_prints_the_plan_on_stdout(site: Site, ao3: AO3Server, crawled: Path) -> None:
    site.add_work(2001, freeforms=["Test Tag"], published="2025-05-01")
    code, out, err = finish(cli(crawled, "--dry-run", url=ao3.url))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "fetch work 2001: new"
    assert lines[1].startswith("dry run: would fetch 1 work (1 new) and store 0 blurbs")
    assert "cost about 4 requests" in lines[1]  # robots.txt, 2 pages, 1 work
    assert work_fetches(ao3) == []
    assert rows(crawled, "SELECT count(*) FROM works WHERE id = 2001") == [(0,)]
