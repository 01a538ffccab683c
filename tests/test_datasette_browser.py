"""The works page in a real browser: the first screen shows the search box and rows.

Datasette serves an index imported from the saved pages in ``tests/fixtures``
on 127.0.0.1, with the shipped plugin loaded from a plugins directory, and
headless Chromium renders ``/fics/works`` at 1280x1000. A second plugin in
that directory (test-only) records where the browser laid out the search box
and the rows; the test reads that from the DOM Chromium dumps. Skipped when
no Chromium is installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from ficindex.cli import cli

pytest.importorskip("datasette")

FIXTURES = Path(__file__).parent / "fixtures"
WIDTH, HEIGHT = 1280, 1000

#: Loads the shipped plugin, as its entry point does once installed.
SHIPPED = "from ficindex.datasette.plugin import render_cell  # noqa: F401\n"

#: Test-only: after the page is laid out, write the positions the test checks into <body>.
MEASURE = """
from datasette import hookimpl

SCRIPT = '''
const box = document.getElementById("_search");
const rows = [...document.querySelectorAll("table.rows-and-columns tbody tr")];
document.body.dataset.layout = JSON.stringify({
  viewport: window.innerHeight,
  search: box ? box.getBoundingClientRect().bottom : null,
  rows: rows.map((r) => r.getBoundingClientRect().top),
  tagLinks: document.querySelectorAll("a.ficindex-tag").length,
  details: document.querySelectorAll("details.ficindex-columns:not([open])").length,
});
'''


@hookimpl
def extra_body_script():
    return SCRIPT
"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Datasette serving the fixture index on 127.0.0.1; yields its base URL."""
    if _chromium() is None:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium)")
    work = tmp_path_factory.mktemp("browser")
    db, meta = work / "fics.db", work / "metadata.json"
    pages = sorted(FIXTURES.glob("work-*.html")) + sorted(FIXTURES.glob("listing-*.html"))
    runner = CliRunner()
    imported = runner.invoke(cli, ["import", str(db), "--silent", *map(str, pages)])
    assert imported.exit_code in (0, 1), imported.output
    written = runner.invoke(cli, ["datasette-config", str(db), "-o", str(meta)])
    assert written.exit_code == 0, written.output
    plugins = work / "plugins"
    plugins.mkdir()
    (plugins / "ficindex_shipped.py").write_text(SHIPPED, encoding="utf-8")
    (plugins / "measure_layout.py").write_text(MEASURE, encoding="utf-8")
    port = _free_port()
    command = [sys.executable, "-m", "datasette", str(db), "-m", str(meta)]
    command += ["--plugins-dir", str(plugins), "-h", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            _, err = server.communicate()
            pytest.fail(f"datasette exited with {server.returncode}: {err.decode()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/-/versions.json", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail("datasette did not answer within 60 s")


def _chromium_args(profile: str) -> list[str]:
    browser = _chromium()
    assert browser is not None
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{HEIGHT}",
    ]


def _layout(url: str) -> dict[str, object]:
    """Where Chromium laid out the page at ``url`` (what the measuring plugin recorded)."""
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [*_chromium_args(profile), "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "HOME": profile},
        )
    assert result.returncode == 0, result.stderr[-2000:]
    start = result.stdout.index('data-layout="') + len('data-layout="')
    end = result.stdout.index('"', start)
    layout: dict[str, object] = json.loads(unescape(result.stdout[start:end]))
    return layout


def test_first_screen_of_works_shows_the_search_box_and_rows(served: str) -> None:
    layout = _layout(served + "/fics/works")
    # --dump-dom lays the page out in a window of that size whose viewport is shorter
    # than the --screenshot image (1280x1000); the screenshot is the first screen.
    search = layout["search"]
    assert isinstance(search, int | float) and 0 < search < HEIGHT, layout
    rows = layout["rows"]
    assert isinstance(rows, list) and len(rows) > 20
    # The first row starts with room for a few lines of it (34 columns make rows tall).
    assert rows[0] < HEIGHT - 100, (rows[:3], layout)
    assert layout["details"] == 1  # the column descriptions, folded
    assert isinstance(layout["tagLinks"], int) and layout["tagLinks"] > 50


def test_screenshot_of_works_is_written(served: str, tmp_path: Path) -> None:
    png = tmp_path / "works.png"
    result = subprocess.run(
        [*_chromium_args(str(tmp_path / "profile")), f"--screenshot={png}", served + "/fics/works"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (WIDTH, HEIGHT)
