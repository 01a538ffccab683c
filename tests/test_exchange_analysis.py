"""The README's Analysis snippets run as printed, and give what the index holds.

Each snippet below is the text of a code block of the README's "Analysis"
section; when the section is present the test checks that it still prints them
verbatim, so the documentation cannot drift from what is run here.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from ficindex.exchange.parquet import export_parquet
from ficindex.index import readable_index
from ficindex.index.export import select_work_ids
from index_fixtures import fixture_index

README = Path(__file__).parents[1] / "README.md"

PYARROW = """\
import pyarrow.compute as pc
import pyarrow.parquet as pq

works = pq.read_table("corpus/works.parquet")
popular = works.filter(pc.field("kudos") >= 500).select(["work_id", "title", "kudos"])
print(popular.to_pylist())
"""

PANDAS = """\
import pandas as pd

works = pd.read_parquet("corpus/works.parquet")
kudos_by_fandom = works.explode("fandoms").groupby("fandoms")["kudos"].median()
"""

DUCKDB_PARQUET = '''\
import duckdb

top_fandoms = duckdb.sql("""
    SELECT fandom, count(*) AS works, median(kudos) AS median_kudos
    FROM (SELECT unnest(fandoms) AS fandom, kudos FROM 'corpus/works.parquet')
    GROUP BY fandom ORDER BY works DESC, fandom
""").fetchall()
longest = duckdb.sql("""
    SELECT work_id, any_value(w.title) AS title, sum(length(c.text)) AS characters
    FROM 'corpus/works.parquet' w JOIN 'corpus/chapters.parquet' c USING (work_id)
    GROUP BY work_id ORDER BY characters DESC, work_id
""").fetchall()
'''

DUCKDB_SQLITE = """\
import duckdb

con = duckdb.connect()
con.sql("INSTALL sqlite; LOAD sqlite; ATTACH 'fics.db' AS fics (TYPE sqlite, READ_ONLY)")
best = con.sql("SELECT id, title, kudos FROM fics.works ORDER BY kudos DESC LIMIT 3").fetchall()
"""


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``fics.db`` and its Parquet export in ``corpus/``, in the current directory."""
    monkeypatch.chdir(tmp_path)
    db = fixture_index(tmp_path / "fics.db")
    with readable_index(db) as index:
        export_parquet(index, select_work_ids(index), tmp_path / "corpus")
    return db


def _run(snippet: str) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    exec(compile(snippet, "<README snippet>", "exec"), scope)
    return scope


def _sql(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_pyarrow_snippet(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyarrow")
    scope = _run(PYARROW)
    rows = scope["popular"].to_pylist()
    assert [tuple(r.values()) for r in rows] == _sql(
        corpus, "SELECT id, title, kudos FROM works WHERE kudos >= 500 ORDER BY id"
    )
    assert "Slow Burn in Soho" in capsys.readouterr().out


def test_pandas_snippet(corpus: Path) -> None:
    pytest.importorskip("pandas")
    scope = _run(PANDAS)
    assert dict(scope["kudos_by_fandom"]) == {"Good Omens (TV)": 630.0, "Sherlock (TV)": 675.0}


def test_duckdb_parquet_snippet(corpus: Path) -> None:
    pytest.importorskip("duckdb")
    scope = _run(DUCKDB_PARQUET)
    assert scope["top_fandoms"] == [("Good Omens (TV)", 2, 630.0), ("Sherlock (TV)", 2, 675.0)]
    assert scope["longest"] == _sql(
        corpus,
        "SELECT w.id, w.title, sum(length(c.text)) AS n FROM works w JOIN chapters c "
        "ON c.work = w.id GROUP BY w.id ORDER BY n DESC, w.id",
    )


def test_duckdb_sqlite_snippet(corpus: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    installed = duckdb.sql(
        "SELECT installed FROM duckdb_extensions() WHERE extension_name = 'sqlite_scanner'"
    ).fetchall()
    if installed != [(True,)]:
        pytest.skip("DuckDB's sqlite extension is not installed (installing it needs the network)")
    scope = _run(DUCKDB_SQLITE)
    assert scope["best"] == _sql(
        corpus, "SELECT id, title, kudos FROM works ORDER BY kudos DESC LIMIT 3"
    )


def _readme_analysis() -> str | None:
    text = README.read_text(encoding="utf-8") if README.exists() else ""
    match = re.search(r"^## Analysis\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    return match.group(1) if match else None


@pytest.mark.parametrize(
    "snippet",
    [PYARROW, PANDAS, DUCKDB_PARQUET, DUCKDB_SQLITE],
    ids=["pyarrow", "pandas", "duckdb", "sqlite"],
)
def test_readme_prints_the_snippets_tested_here(snippet: str) -> None:
    section = _readme_analysis()
    if section is None:
        pytest.skip("the README has no Analysis section yet")
    assert f"```python\n{snippet}```" in section
