"""The shipped JSON Schema of the record accepts every record the parser makes, and only those."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ficindex.cli.schema import schema_command
from ficindex.exchange.record_schema import record_schema
from ficindex.index import open_index
from ficindex.index.export import select_work_ids, write_jsonl
from ficindex.loader import import_file
from ficindex.parser import parse_file
from index_fixtures import fixture_index

jsonschema = pytest.importorskip("jsonschema")

FIXTURES = Path(__file__).parent / "fixtures"
REAL = Path(__file__).parents[2] / "shared" / "fixtures" / "ao3-real"
EXPECTED = sorted(FIXTURES.glob("*.expected.json"))


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = record_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_command_prints_the_shipped_schema() -> None:
    result = CliRunner().invoke(schema_command, [])
    assert result.exit_code == 0
    assert json.loads(result.output) == record_schema()
    assert json.loads(result.output)["$schema"].endswith("/draft/2020-12/schema")


def test_there_are_fixtures_to_check() -> None:
    assert len(EXPECTED) > 40


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.name)
def test_every_fixture_record_is_valid(validator: Any, path: Path) -> None:
    record = json.loads(path.read_text(encoding="utf-8"))
    errors = [e.message for e in validator.iter_errors(record)]
    assert errors == []


@pytest.mark.skipif(not REAL.is_dir(), reason="shared/fixtures/ao3-real (real AO3 pages) absent")
def test_every_real_page_parses_to_a_valid_record(validator: Any) -> None:
    pages = sorted(p for p in REAL.iterdir() if p.suffix == ".html")
    assert pages
    for page in pages:
        errors = [e.message for e in validator.iter_errors(parse_file(page).to_dict())]
        assert errors == [], page.name


def _work() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "work-full-view.expected.json").read_text())
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("fandoms"), "'fandoms' is a required property"),
        (lambda r: r.update(words="1,200"), "'1,200' is not of type 'integer', 'null'"),
        (lambda r: r.update(kind="story"), "'story' is not one of"),
        (lambda r: r.update(published="20 May 2020"), "does not match"),
        (lambda r: r.update(authors=[{"pseud": "x"}]), "'user' is a required property"),
        (lambda r: r.update(tags=["x"]), "Additional properties are not allowed"),
        (lambda r: r["chapters"][0].pop("text"), "'text' is a required property"),
        (lambda r: r.update(completed=1), "1 is not of type 'boolean'"),
    ],
)
def test_schema_rejects_a_broken_record(validator: Any, change: Any, message: str) -> None:
    record = _work()
    assert list(validator.iter_errors(record)) == []
    broken = copy.deepcopy(record)
    change(broken)
    messages = [e.message for e in validator.iter_errors(broken)]
    assert any(message in m for m in messages), messages


def test_export_keys_are_allowed_and_typed(validator: Any) -> None:
    record = _work()
    record.update(
        status="ok",
        status_at=None,
        first_seen="2024-01-01T00:00:00Z",
        last_fetched="2024-01-02T00:00:00+00:00",
        url="https://archiveofourown.org/works/1",
    )
    assert list(validator.iter_errors(record)) == []
    record["status"] = "gone"
    assert [e.message for e in validator.iter_errors(record)] == [
        "'gone' is not one of ['ok', 'deleted', 'restricted', 'unrevealed', 'hidden']"
    ]


def test_every_exported_jsonl_line_is_valid(validator: Any, tmp_path: Path) -> None:
    db = fixture_index(tmp_path / "fics.db")
    index = open_index(db)
    for page in sorted(FIXTURES.iterdir()):
        if page.suffix in (".html", ".txt"):
            import_file(index, page)
    out = io.StringIO()
    count = write_jsonl(index, select_work_ids(index), out)
    index.close()
    lines = out.getvalue().splitlines()
    assert count == len(lines) > 20
    for line in lines:
        record = json.loads(line)
        assert [e.message for e in validator.iter_errors(record)] == [], record["work_id"]
