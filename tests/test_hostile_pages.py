"""Hostile page content: what authors type (titles, tags, summaries) never escapes its place.

Titles and tags with path separators, ``..``, control characters, RTL marks,
emoji and reserved names become safe file names in a txt export (all inside the
chosen directory, one per work); summaries holding ``<script>`` stay inert
text in JSON, CSV, txt and Datasette's HTML; CSV cells that a spreadsheet would
run as a formula (``= + - @``) are neutralised.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from ao3server import make_site, render_work
from ficindex.cli import cli

SCRIPT = "<script>alert('owned')</script>"
TITLES = [
    "../../../etc/passwd",
    "..",
    ".",
    'a/b\\c:d*e?f"g<h>i|j',
    "tab\there\nnewline\rreturn\x0bvt\x1bescape\x7fdel",
    "\u202eevil\u202c gpj.exe",  # right-to-left override
    "\u200fRTL mark \u200e and zero\u200bwidth\ufeff",
    "🔥🏳️‍🌈 emoji 𝕏",
    "CON",
    "nul.txt",
    "   spaces and dots...   ",
    "ä" * 200,  # over any file-name byte limit once encoded
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    SCRIPT,
]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"ficindex {args} raised {result.exception!r}")
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Work pages in AO3's markup whose titles, tags and summaries are all hostile."""
    folder = tmp_path_factory.mktemp("hostile")
    site = make_site(len(TITLES), multi_chapter_every=0)
    for work, title in zip(sorted(site.works.values(), key=lambda w: w.id), TITLES, strict=True):
        work.title = title
        work.freeforms = ["../tag/with/slashes", "=cmd|' /C calc'!A0", "-@+=", "\u202etag"]
        work.characters = [SCRIPT]
        work.summary = f"{SCRIPT}\n=1+1"
        work.chapters[0].text = f"{SCRIPT}\n@evil\n<img src=x onerror=alert(1)>"
        html = render_work(site, work)
        # And a real, unescaped script element in the summary, as a hostile page could hold.
        html = html.replace(
            '<blockquote class="userstuff">', '<blockquote class="userstuff">' + SCRIPT, 1
        )
        # A saved page names its work in the kudos form (the fake AO3 leaves that to the URL).
        kudos = f'<input value="{work.id}" type="hidden" id="kudo_commentable_id" />'
        html = html.replace('<div class="flash"></div>', '<div class="flash"></div>' + kudos, 1)
        (folder / f"{work.id}.html").write_text(html, "utf-8")
    db = folder / "hostile.db"
    code, _, err = run("import", str(db), str(folder), "--silent")
    assert code == 0, err
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db


def stored_titles(db: Path) -> dict[int, str]:
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT id, title FROM works"))
    finally:
        conn.close()


def test_the_hostile_titles_are_stored_as_they_are(hostile_index: Path) -> None:
    titles = stored_titles(hostile_index)
    assert len(titles) == len(TITLES)
    assert "../../../etc/passwd" in titles.values()
    assert SCRIPT in titles.values()


def test_txt_export_file_names_are_safe(hostile_index: Path, tmp_path: Path) -> None:
    out = tmp_path / "export" / "txt"
    code, _, err = run("export", str(hostile_index), "--format", "txt", "-o", str(out))
    assert code == 0, err
    everything = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    files = sorted(out.iterdir())
    assert everything == sorted(
        [Path("export"), Path("export/txt")] + [f.relative_to(tmp_path) for f in files]
    )  # nothing written anywhere else
    assert len(files) == len(stored_titles(hostile_index))  # one file per work, no collisions
    for path in files:
        name = path.name
        assert path.is_file() and path.parent == out
        assert name not in (".", "..") and not name.startswith(".")
        assert len(name.encode("utf-8")) <= 255
        assert not set(name) & set('/\\:*?"<>|')
        assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp") for ch in name), name
        assert name == name.strip() and name.endswith(".txt")
        assert name.split(" ")[0].removesuffix(".txt").isdigit()  # starts with the work id
        text = path.read_text("utf-8")
        assert SCRIPT in text  # the text is there, verbatim: a txt file runs nothing


def test_jsonl_export_keeps_scripts_as_text(hostile_index: Path) -> None:
    code, out, err = run("export", str(hostile_index))
    assert code == 0, err
    for line in out.splitlines():
        record = json.loads(line)  # valid JSON whatever the content
        assert SCRIPT in (record["summary"] or "")
        assert record["characters"] == [SCRIPT]


def test_csv_export_neutralises_formulas(hostile_index: Path) -> None:
    code, out, err = run("export", str(hostile_index), "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(stored_titles(hostile_index))
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (column, value)
    titles = {row["title"] for row in rows}
    assert '\'=HYPERLINK("http://evil.example","click")' in titles
    assert "'@SUM(A1:A9)" in titles and "'-2+3" in titles and "'+1+1" in titles


def test_datasette_shows_scripts_as_text(hostile_index: Path, tmp_path: Path) -> None:
    pytest.importorskip("datasette")
    from datasette.app import Datasette

    metadata = tmp_path / "metadata.json"
    code, _, err = run("datasette-config", str(hostile_index), "-o", str(metadata))
    assert code == 0, err
    conn = sqlite3.connect(hostile_index)
    work_id = conn.execute("SELECT id FROM works WHERE title = ?", [SCRIPT]).fetchone()[0]
    chapter = conn.execute("SELECT id FROM chapters WHERE work = ?", [work_id]).fetchone()[0]
    conn.close()
    name = hostile_index.stem

    async def pages() -> list[str]:
        ds = Datasette(
            [str(hostile_index)], metadata=json.loads(metadata.read_text()), immutables=[]
        )
        out = []
        for path in (
            f"/{name}/works/{work_id}",
            f"/{name}/works?title={SCRIPT}",
            f"/{name}/chapters/{chapter}",
            f"/{name}/works",
        ):
            response = await ds.client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            out.append(response.text)
        return out

    for html in asyncio.run(pages()):
        assert SCRIPT not in html  # never a live element
        assert "alert(&#39;owned&#39;)" in html or "alert(&#x27;owned&#x27;)" in html
        assert "onerror=alert(1)>" not in html


@pytest.mark.parametrize(
    "args", [["search", "{db}", "owned", "--limit", "50"], ["query", "{db}", "select * from works"]]
)
def test_search_and_query_csv_neutralise_formulas(args: list[str], hostile_index: Path) -> None:
    code, out, err = run(*(a.format(db=hostile_index) for a in args), "--csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) > len(TITLES) // 2
    for row in rows[1:]:
        for value in row:
            if value.lstrip("-").replace(".", "", 1).isdigit():
                continue  # a number (bm25 scores are negative) is data to a spreadsheet
            assert not value.startswith(("=", "+", "-", "@")), value
    assert any(value == "'@SUM(A1:A9)" for row in rows for value in row)
