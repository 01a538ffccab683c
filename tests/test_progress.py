"""One progress display for import, reparse, merge, crawl and refresh: a bar on a terminal,
a plain line every LOG_EVERY seconds elsewhere, and those lines logged."""

from __future__ import annotations

import io
import logging
import re
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ficindex import progress as progress_module
from ficindex.cli import cli
from ficindex.cli.outcomes import tally
from ficindex.loader import Outcome
from ficindex.progress import CrawlStats, Progress

FIXTURES = Path(__file__).parent / "fixtures"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def outcomes(n: int):
    for i in range(n):
        yield Outcome(name=f"page{i}.html", result="new")


def test_import_style_count_and_crawl_style_stats_draw_the_same_bar() -> None:
    screen = Terminal()
    shown = Progress(screen, label="Importing")
    shown.count(5, 20, "page", force=True)
    bar = re.compile(r"\r\x1b\[K\[(#*)(-*)\] (.*)")
    match = bar.fullmatch(screen.getvalue())
    assert match is not None
    assert match.group(1, 2) == ("#" * 5, "-" * 15)
    assert re.fullmatch(r"Importing: 5/20 pages, [\d.]+/s, ETA \d+s", match.group(3))
    crawl = Terminal()
    stats = CrawlStats(queued=3)
    stats.outcomes["ok"] = 1
    Progress(crawl).update(stats, force=True)
    match = bar.fullmatch(crawl.getvalue())
    assert match is not None and match.group(1, 2) == ("#" * 5, "-" * 15)
    assert match.group(3).startswith("0 pages, 1 work (+3 queued), ")


def test_not_a_terminal_gets_a_plain_line_each_interval_and_the_log_gets_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(progress_module, "LOG_EVERY", 0.0)
    pipe = io.StringIO()
    shown = Progress(pipe, label="Merging a.db")
    with caplog.at_level(logging.INFO, logger="ficindex.progress"):
        shown.count(1, 2, "page")
        shown.count(2, 2, "page")
    lines = pipe.getvalue().splitlines()
    assert len(lines) == 2 and lines[0].startswith("ficindex: Merging a.db: 1/2 pages, ")
    logged = [r.getMessage() for r in caplog.records]
    assert logged == [line.removeprefix("ficindex: ") for line in lines]
    assert all(getattr(r, "displayed", False) for r in caplog.records)


def test_refresh_style_draws_no_lines_off_a_terminal_but_still_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(progress_module, "LOG_EVERY", 0.0)
    pipe = io.StringIO()
    with caplog.at_level(logging.INFO, logger="ficindex.progress"):
        Progress(pipe, lines=False).update(CrawlStats())
    assert pipe.getvalue() == ""
    assert [r.getMessage() for r in caplog.records][0].startswith("0 pages, 0 works, ")
    assert not getattr(caplog.records[0], "displayed", False)


def test_tally_draws_the_shared_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    result = tally(outcomes(3), total=3, label="Reparsing", silent=False)
    assert result.counts["new"] == 3
    drawn = screen.getvalue()
    assert "\r\x1b[K[######--------------] Reparsing: 1/3 pages, " in drawn
    assert drawn.endswith("\r\x1b[K")  # wiped before the summary
    silent = Terminal()
    monkeypatch.setattr(sys, "stderr", silent)
    tally(outcomes(3), total=3, label="Reparsing", silent=True)
    assert silent.getvalue() == ""


def test_quiet_import_prints_nothing(tmp_path: Path) -> None:
    page = tmp_path / "work.html"
    shutil.copy2(FIXTURES / "work-full-view.html", page)
    loud = CliRunner().invoke(cli, ["import", str(tmp_path / "a.db"), str(page)])
    assert loud.exit_code == 0 and "Imported 1 of 1" in loud.stderr
    quiet = CliRunner().invoke(cli, ["-q", "import", str(tmp_path / "b.db"), str(page)])
    assert quiet.exit_code == 0 and quiet.output == ""
    env = {"FICINDEX_QUIET": "1"}
    by_env = CliRunner().invoke(cli, ["import", str(tmp_path / "c.db"), str(page)], env=env)
    assert by_env.exit_code == 0 and by_env.output == ""
    assert "FICINDEX_QUIET" in CliRunner().invoke(cli, ["--help"]).output


def test_a_silent_notice_stays_off_the_stream_but_is_logged_as_handled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    screen = Terminal()
    with caplog.at_level(logging.WARNING, logger="ficindex.progress"):
        Progress(screen, silent=True).message("robots.txt asks for a crawl delay of 5 s")
    assert screen.getvalue() == ""
    assert [r.getMessage() for r in caplog.records] == ["robots.txt asks for a crawl delay of 5 s"]
    assert getattr(caplog.records[0], "displayed", False)  # --silent decided: stderr skips it
