"""The exchange commands through the real ``ficindex`` group, once it registers them.

The group's registration (``merge``, ``schema``, ``export --format parquet|warc``,
WARC files given to ``import``) is wired in files outside this feature; until it
is, these tests skip and the feature's own tests drive the commands directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from ficindex.cli import COMMANDS, cli
from ficindex.cli.export import export_command
from index_fixtures import fixture_index

pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("warcio")

_FORMATS = next(p for p in export_command.params if p.name == "fmt").type
pytestmark = pytest.mark.skipif(
    "merge" not in COMMANDS
    or not isinstance(_FORMATS, click.Choice)
    or "parquet" not in _FORMATS.choices,
    reason="the ficindex group does not register the exchange commands yet",
)


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return fixture_index(tmp_path / "fics.db")


def test_schema_command(db: Path) -> None:
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "ficindex record"


def test_export_parquet_with_filters(db: Path, tmp_path: Path) -> None:
    result = run(
        "export", db, "--format", "parquet", "--fandom", "Sherlock (TV)", "-o", tmp_path / "p"
    )
    assert result.exit_code == 0, result.output
    assert "Exported 2 works, 4 chapters" in result.stderr
    assert pq.read_table(tmp_path / "p" / "works.parquet")["work_id"].to_pylist() == [3, 4]
    missing = run("export", db, "--format", "parquet")
    assert missing.exit_code == 2 and "give it with -o DIRECTORY" in missing.output
    both = run("export", db, "--format", "parquet", "--sql", "select 1", "--complete", "-o", "x")
    assert both.exit_code == 2 and "not both" in both.output


def test_export_metadata_only_parquet(db: Path, tmp_path: Path) -> None:
    result = run("export", db, "--format", "parquet", "--metadata-only", "-o", tmp_path / "p")
    assert result.exit_code == 0, result.output
    assert "text" not in pq.read_schema(tmp_path / "p" / "chapters.parquet").names


def test_warc_out_then_in_then_merge(db: Path, tmp_path: Path) -> None:
    fixtures = Path(__file__).parent / "fixtures"
    pages = tmp_path / "pages.db"
    assert run("import", pages, fixtures / "work-gift.html").exit_code == 0
    warc = tmp_path / "pages.warc.gz"
    result = run("export", pages, "--format", "warc", "-o", warc)
    assert result.exit_code == 0 and "Exported 1 raw page " in result.stderr
    imported = run("import", db, warc, fixtures / "work-anonymous.html")
    assert imported.exit_code == 0, imported.output
    assert "Imported 2 of 2 pages (2 new)" in imported.stderr
    merged = run("merge", tmp_path / "all.db", db, pages)
    assert merged.exit_code == 0, merged.output
    assert "Merged 2 indexes" in merged.stderr
    count = run("query", tmp_path / "all.db", "select count(*) as n from works", "--nl")
    assert count.stdout == '{"n": 6}\n'
