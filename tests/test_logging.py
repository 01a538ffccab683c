"""ficindex's messages go through logging: a program can capture them, the CLI routes them."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ao3server import AO3Server, Site
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.crawler import CrawlOptions, run_crawl
from ficindex.crawl.targets import parse_target

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


class Capture(logging.Handler):
    """What a program importing ficindex would attach: keeps every record."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def cli(*args: object) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "ficindex", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FICINDEX_DEBUG": ""},
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_a_program_captures_the_library_messages_with_its_own_handler(
    site: Site, ao3: AO3Server, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    site.add_fault("/works/1002", "status", status=500, count=None)
    config = FetchConfig(base_url=ao3.url, rate=200, max_retries=0)
    targets = [parse_target(str(work), config) for work in (1001, 1002)]
    capture = Capture()
    logger = logging.getLogger("ficindex")
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    try:
        result = run_crawl(tmp_path / "fics.db", targets, config, CrawlOptions())
    finally:
        logger.removeHandler(capture)
        logger.setLevel(logging.NOTSET)
    assert result.exit_code == 1
    seen = {(r.name, r.levelname, r.getMessage()) for r in capture.records}
    assert ("ficindex.crawl.job", "DEBUG", "work 1001: ok") in seen
    assert ("ficindex.crawl.job", "INFO", "work 1002 failed: HTTP 500") in seen
    assert capfd.readouterr().err == ""  # a library prints nothing its program did not ask for


def test_verbose_shows_each_failure_as_it_happens_and_quiet_only_errors(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    site.add_fault("/works/1002", "status", status=500, count=None)
    args = ["1001", "1002", "--base-url", ao3.url, "--rate", "200", "--max-retries", "0"]
    code, _, err = cli("crawl", tmp_path / "a.db", *args)
    assert code == 1
    assert "work 1002 failed: HTTP 500" not in err  # the default: only the summary names it
    assert "failed: work 1002: HTTP 500" in err
    code, _, err = cli("-v", "crawl", tmp_path / "b.db", *args)
    assert code == 1
    assert "work 1002 failed: HTTP 500\n" in err and "work 1001: ok" not in err
    code, _, err = cli("-vv", "crawl", tmp_path / "c.db", *args)
    assert "work 1001: ok\n" in err
    code, out, err = cli("-q", "crawl", tmp_path / "d.db", *args)
    assert (code, out, err) == (1, "", "")
    code, _, err = cli(
        "-q", "crawl", tmp_path / "e.db", "1001", "--base-url", "http://name.invalid"
    )
    assert code == 3 and err.startswith("Error: cannot reach name.invalid")


def test_crawl_log_file_keeps_timestamped_failures_and_the_summary(
    site: Site, ao3: AO3Server, tmp_path: Path
) -> None:
    site.add_fault("/works/1002", "status", status=500, count=None)
    log = tmp_path / "crawl.log"
    args = ["1001", "1002", "--base-url", ao3.url, "--rate", "200", "--max-retries", "0"]
    code, out, err = cli("crawl", tmp_path / "fics.db", *args, "--silent", "--log-file", log)
    assert (code, out, err) == (1, "", "")
    lines = log.read_text().splitlines()
    assert all(re.match(STAMP + " crawl: ", line) for line in lines), lines
    messages = [line.split(" crawl: ", 1)[1] for line in lines]
    assert "work 1002 failed: HTTP 500" in messages
    assert any(m.startswith("crawl finished: 2 works (1 ok, 1 failed)") for m in messages)
    assert messages[-1] == "failed: work 1002: HTTP 500"
    code, _, _ = cli(
        "crawl", tmp_path / "x.db", "1", "--base-url", "http://name.invalid", "--log-file", log
    )
    assert code == 3
    assert (
        log.read_text()
        .splitlines()[-1]
        .split(" crawl: ", 1)[1]
        .startswith("Error: cannot reach name.invalid")
    )
