"""``ficindex parse FILE...``: JSON Lines in argument order, per-file errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ficindex.cli import cli
from ficindex.record import Record

FIXTURES = Path(__file__).parent / "fixtures"
ALL_KEYS = list(Record().to_dict())


def run(*args: str, stdin: bytes | None = None):
    return CliRunner().invoke(cli, ["parse", *args], input=stdin, catch_exceptions=False)


def records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_one_record_per_file_in_argument_order_with_every_key() -> None:
    names = ["page-404.html", "work-gift.html", "plain-work-wip.txt", "page-429-plain.txt"]
    result = run(*(str(FIXTURES / name) for name in names))
    assert result.exit_code == 0
    got = records(result.stdout)
    assert [r["kind"] for r in got] == ["not_found", "work", "work", "rate_limited"]
    assert got[1]["gifts"] == ["frosting", "my sister"]
    assert all(list(r) == ALL_KEYS for r in got)


def test_dash_reads_stdin_and_output_is_utf8_not_escaped() -> None:
    page = (FIXTURES / "work-non-english.html").read_bytes()
    result = run("-", stdin=page)
    assert result.exit_code == 0
    assert "长夜 / Долгая ночь" in result.stdout
    assert records(result.stdout)[0]["language"] == "中文-普通话 國語"


def test_bad_files_get_one_error_line_each_and_the_rest_still_parse(tmp_path: Path) -> None:
    missing = tmp_path / "nope.html"
    junk = FIXTURES / "page-junk.bin"
    good = FIXTURES / "page-mystery.html"
    result = run(str(missing), str(good), str(junk), str(tmp_path))
    assert result.exit_code == 2
    assert [r["kind"] for r in records(result.stdout)] == ["unrevealed"]
    errors = result.stderr.splitlines()
    assert len(errors) == 3
    assert errors[0].startswith("Error: ") and str(missing) in errors[0]
    assert str(junk) in errors[1] and "binary data" in errors[1]
    assert str(tmp_path) in errors[2]
    assert "Traceback" not in result.stderr


def test_empty_file_is_an_unknown_record() -> None:
    result = run(str(FIXTURES / "page-empty.html"))
    assert result.exit_code == 0
    assert records(result.stdout)[0]["kind"] == "unknown"


def test_no_file_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["parse"])
    assert result.exit_code == 2
    assert "FILE" in result.output


def test_help_shows_examples() -> None:
    result = CliRunner().invoke(cli, ["parse", "--help"])
    assert result.exit_code == 0
    assert "ficindex parse page1.html page2.html" in result.output
