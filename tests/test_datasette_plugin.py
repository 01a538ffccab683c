"""The Datasette pages as a reader meets them: folded column help, ranked search, linked cells.

Everything is checked on what Datasette itself serves (its in-process client)
with the shipped plugin registered in Datasette's own plugin manager, over an
index written through the real ``save_record`` and metadata written by the
real ``datasette-config`` command. Links are followed, not just looked at.
"""

from __future__ import annotations

import asyncio
import html as htmllib
import json
import os
import re
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from datasette.app import Datasette
from datasette.plugins import pm

from ficindex.cli import cli
from ficindex.datasette import plugin
from ficindex.datasette.columns import COLUMN_DESCRIPTIONS
from ficindex.index import open_index
from ficindex.index.queries import canned_queries
from ficindex.index.store import save_record
from ficindex.record import Author, Chapter, Record

SCRIPT = "<script>alert('tag')</script>"
AMPERSAND = 'Tea & "Biscuits"'
HOSTILE_TITLE = '<img src=x onerror="alert(1)"> & co'


def _work(work_id: int, **fields: Any) -> Record:
    data: dict[str, Any] = {
        "kind": "work",
        "work_id": work_id,
        "title": f"Work {work_id}",
        "authors": [Author(pseud=f"pseud{work_id}", user=f"user{work_id}")],
        "rating": "General Audiences",
        "warnings": ["No Archive Warnings Apply"],
        "fandoms": ["Good Omens (TV)"],
        "language": "English",
        "published": "2021-01-01",
        "updated": "2021-01-01",
        "completed": True,
        "words": 1000,
        "chapters_posted": 1,
        "chapters_total": 1,
        "chapters": [Chapter(number=1, chapter_id=work_id * 10 + 1, text="Plain words.")],
    }
    data.update(fields)
    return Record(**data)


RECORDS = [
    _work(
        2001,
        title="Sympathy in Soho",
        authors=[Author(pseud="Crawly", user="serpent")],
        fandoms=["Good Omens (TV)", SCRIPT],
        freeforms=[AMPERSAND, "Fluff"],
        summary="Tea and sympathy.",
    ),
    _work(2002, title=HOSTILE_TITLE, fandoms=["Sherlock (TV)", SCRIPT], freeforms=["Fluff"]),
    _work(2003, title="A Third Work", freeforms=[AMPERSAND]),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dsplugin") / "fics.db"
    db = open_index(path)
    for record in RECORDS:
        save_record(db, record, fetched_at="2024-01-01T00:00:00Z")
    db.close()
    return path


@pytest.fixture(scope="module")
def metadata(index: Path) -> dict[str, Any]:
    out = index.with_name("metadata.json")
    result = CliRunner().invoke(cli, ["datasette-config", str(index), "-o", str(out)])
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def registered() -> Iterator[None]:
    """The shipped plugin, registered as its entry point registers it (unless it already is)."""
    if pm.is_registered(plugin):
        yield
        return
    pm.register(plugin, name="ficindex")
    try:
        yield
    finally:
        pm.unregister(plugin)


def _get(ds: Datasette, *paths: str) -> list[Any]:
    """GET each path from Datasette's in-process client; fail on any non-200 answer."""

    async def run() -> list[Any]:
        await ds.invoke_startup()
        out = []
        for path in paths:
            response = await asyncio.wait_for(ds.client.get(path), timeout=30)
            assert response.status_code == 200, (path, response.status_code, response.text)
            out.append(response.json() if ".json" in path else response.text)
        return out

    return asyncio.run(run())


@pytest.fixture
def ds(index: Path, metadata: dict[str, Any], registered: None) -> Datasette:
    return Datasette([str(index)], metadata=metadata)


def _hrefs(page: str, css_class: str) -> list[tuple[str, str]]:
    """(href, text) of every link with ``css_class``, unescaped as a browser reads them."""
    found = re.findall(rf'<a class="{css_class}" href="([^"]*)"[^>]*>(.*?)</a>', page)
    return [(htmllib.unescape(h), htmllib.unescape(t)) for h, t in found]


def test_works_page_folds_column_descriptions_below_nothing(ds: Datasette) -> None:
    (page,) = _get(ds, "/fics/works")
    details = page.index('<details class="ficindex-columns">')
    assert "<summary>What the 36 columns mean</summary>" in page
    # The only list of column descriptions is inside the closed <details>, and the
    # search box follows it (Datasette's own list would come before the search box).
    assert page.count('<dl class="column-descriptions">') == 1
    assert details < page.index('<dl class="column-descriptions">') < page.index('id="_search"')
    assert "<details open" not in page
    assert "<tbody>" in page and page.index('id="_search"') < page.index("<tbody>")


def test_every_table_and_view_describes_exactly_its_own_columns(
    ds: Datasette, index: Path, metadata: dict[str, Any]
) -> None:
    tables = metadata["databases"]["fics"]["tables"]
    conn = sqlite3.connect(index)
    described = 0
    for name in COLUMN_DESCRIPTIONS:
        real = [row[1] for row in conn.execute(f"PRAGMA table_info([{name}])")]
        options = tables[name]
        assert "columns" not in options, name  # Datasette would print them above the rows
        (page,) = _get(ds, f"/fics/{name}")
        terms = re.findall(r"<dt>(.*?)</dt>", page)
        assert terms == real, name  # every real column, in order, and no other
        described += 1
    conn.close()
    assert described == len(COLUMN_DESCRIPTIONS) >= 14
    (cards,) = _get(ds, "/fics/work_cards")
    assert "<summary>What the 18 columns mean</summary>" in cards
    assert "<dt>chapters</dt><dd>Posted/planned chapters" in cards
    assert "<dt>summary</dt>" not in cards


def test_works_page_links_to_the_ranked_search_query(ds: Datasette) -> None:
    queries = canned_queries()
    if "search" not in queries:
        pytest.skip("no canned query named 'search' ships in queries/ yet")
    query = queries["search"]
    assert "bm25" in query.body and "snippet" in query.body
    works, cards = _get(ds, "/fics/works", "/fics/work_cards")
    for page in (works, cards):
        assert _hrefs(page, "ficindex-ranked-search") == [("search", "Ranked search")]
    (param,) = query.params[:1]
    (found,) = _get(ds, f"/fics/search.json?_shape=objects&{param}=sympathy")
    assert found["ok"], found.get("error")
    assert found["rows"] and 2001 in found["rows"][0].values()


def test_tag_cells_link_to_the_works_with_that_tag_and_stay_text(ds: Datasette) -> None:
    (page,) = _get(ds, "/fics/works?_sort=id")
    assert SCRIPT not in page  # never a live element
    assert htmllib.escape(SCRIPT) in page or "&lt;script&gt;alert(&#39;tag&#39;)" in page
    links = _hrefs(page, "ficindex-tag")
    script_links = [href for href, text in links if text == SCRIPT]
    assert len(script_links) == 2  # one per work carrying the tag
    href = script_links[0]
    # fandoms is a configured facet of works: the link only filters (a second
    # _facet_array would make Datasette show the facet twice).
    assert (
        href == "/fics/works?fandoms__arraycontains=%3Cscript%3Ealert%28%27tag%27%29%3C%2Fscript%3E"
    )
    filtered, shown = _get(
        ds, href.replace("/fics/works?", "/fics/works.json?_shape=objects&"), href
    )
    assert sorted(r["id"] for r in filtered["rows"]) == [2001, 2002]
    assert filtered["facet_results"]["fandoms"]["type"] == "array"
    assert shown.count('id="facet-fandoms"') == 1
    # freeforms is not: its link facets it too, to show the tags found with this one.
    (amp,) = [href for href, text in links if text == AMPERSAND][:1]
    assert (
        amp == "/fics/works?_facet_array=freeforms&freeforms__arraycontains=Tea+%26+%22Biscuits%22"
    )
    (by_freeform,) = _get(ds, amp.replace("/fics/works?", "/fics/works.json?_shape=objects&"))
    assert sorted(r["id"] for r in by_freeform["rows"]) == [2001, 2003]
    assert {r["value"] for r in by_freeform["facet_results"]["freeforms"]["results"]} == {
        AMPERSAND,
        "Fluff",
    }


def test_tag_links_in_views_filter_the_view_and_in_queries_filter_works(ds: Datasette) -> None:
    cards, sql = _get(
        ds,
        "/fics/work_cards?_sort=id",
        "/fics?sql=select+id,+fandoms+from+works+order+by+id",
    )
    (href, _), *_ = _hrefs(cards, "ficindex-tag")
    assert href == "/fics/work_cards?fandoms__arraycontains=Good+Omens+%28TV%29"
    hrefs = {h for h, _ in _hrefs(sql, "ficindex-tag")}
    assert "/fics/works?fandoms__arraycontains=Sherlock+%28TV%29" in hrefs


def test_work_ids_link_to_ao3(ds: Datasette) -> None:
    cards, chapters, history = _get(
        ds, "/fics/work_cards?_sort=id", "/fics/chapters?_sort=id", "/fics/stats_history"
    )
    ao3 = "https://archiveofourown.org/works/"
    assert _hrefs(cards, "ficindex-ao3")[:3] == [(f"{ao3}{i}", str(i)) for i in (2001, 2002, 2003)]
    # A foreign key keeps Datasette's link to the work's row (with its title) and gains AO3's.
    assert '<a href="/fics/works/2001">Sympathy in Soho</a>' in chapters
    assert (f"{ao3}2001", "(AO3)") in _hrefs(chapters, "ficindex-ao3")
    # A title in a label stays text.
    assert "<img" not in chapters
    assert (
        '<a href="/fics/works/2002">&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co</a>'
        in (chapters)
    )
    assert {h for h, _ in _hrefs(history, "ficindex-ao3")} == {
        f"{ao3}{i}" for i in (2001, 2002, 2003)
    }


def test_other_databases_are_left_to_datasette(tmp_path: Path, registered: None) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE works (id INTEGER PRIMARY KEY, fandoms TEXT)")
    conn.execute("INSERT INTO works VALUES (7, ?)", [json.dumps(["Not AO3"])])
    conn.execute("CREATE VIEW work_cards AS SELECT id, fandoms FROM works")
    conn.commit()
    conn.close()
    (page,) = _get(Datasette([str(other)]), "/other/work_cards")
    assert "ficindex-" not in page
    assert "[&#34;Not AO3&#34;]" in page or "[&quot;Not AO3&quot;]" in page


def test_plugin_is_listed_with_its_hook(ds: Datasette) -> None:
    (plugins,) = _get(ds, "/-/plugins.json")
    # Named by its distribution once installed through the entry point, else by its module.
    ours = [p for p in plugins if p["name"] in ("ficindex", "ficindex.datasette.plugin")]
    assert [p["hooks"] for p in ours] == [["render_cell"]]


ROOT = Path(__file__).resolve().parents[1]


def test_the_declared_entry_point_loads_the_plugin(tmp_path: Path) -> None:
    """What ``pip install ficindex[datasette]`` gives Datasette: the entry point finds the plugin.

    A stand-in distribution carrying pyproject.toml's ``datasette`` entry points
    is put on the path of a fresh ``datasette plugins``.
    """
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    entry_points = project.get("entry-points", {}).get("datasette", {})
    if not entry_points:
        pytest.skip("pyproject.toml declares no [project.entry-points.datasette] yet")
    assert set(entry_points.values()) == {"ficindex.datasette.plugin"}
    dist = tmp_path / "ficindex_entry_probe-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ficindex-entry-probe\nVersion: 0\n", encoding="utf-8"
    )
    lines = [f"{name} = {target}" for name, target in entry_points.items()]
    (dist / "entry_points.txt").write_text("[datasette]\n" + "\n".join(lines) + "\n")
    path = os.pathsep.join([str(ROOT / "src"), str(tmp_path), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-m", "datasette", "plugins"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert ["render_cell"] in [p["hooks"] for p in listed if "ficindex" in p["name"]], listed
