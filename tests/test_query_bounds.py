"""``ficindex query`` parameters SQLite cannot hold: one ``Error:`` line and exit 2, never an
"internal error" from the driver, and the index left as it was.

SQLite binds 64-bit signed integers and finite doubles. ``-p NAME VALUE`` turns text that
reads as a number into one, so a value past those bounds must be refused before it reaches
the driver (which raises OverflowError for a big int, and hands back ``Infinity`` -- not
JSON -- for a decimal too large to be finite).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from ficindex.cli import cli
from ficindex.errors import BadInput
from ficindex.index import readable_index
from ficindex.index.queries import SQLITE_INT_MAX, SQLITE_INT_MIN, run_query, text_params
from index_fixtures import fixture_index

RANGE = f"outside SQLite's integer range ({SQLITE_INT_MIN} to {SQLITE_INT_MAX})"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture_index(tmp_path_factory.mktemp("bounds") / "fics.db")


def run_query_cli(db: Path, value: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["query", str(db), "select :x as v", "-p", "x", value])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("99999999999999999999999", f"parameter 'x': 99999999999999999999999 is {RANGE}"),
        (str(SQLITE_INT_MAX + 1), f"parameter 'x': {SQLITE_INT_MAX + 1} is {RANGE}"),
        (str(SQLITE_INT_MIN - 1), f"parameter 'x': {SQLITE_INT_MIN - 1} is {RANGE}"),
        # Past Python's own 4,300-digit limit for int(): still our line, not a ValueError.
        ("9" * 5000, f"parameter 'x': {'9' * 20}... (5000 characters) is {RANGE}"),
        (
            "9" * 400 + ".5",
            f"parameter 'x': {'9' * 20}... (402 characters) is too large for SQLite, "
            "whose numbers reach about 1.8e308",
        ),
    ],
    ids=["huge-int", "max+1", "min-1", "5000-digits", "huge-decimal"],
)
def test_out_of_range_parameter_is_one_error_line(db: Path, value: str, message: str) -> None:
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    code, out, err = run_query_cli(db, value)
    assert code == 2, err
    assert out == ""
    assert err.splitlines() == [err.splitlines()[0]]  # exactly one line
    assert err.startswith(f"Error: {message}; give a number within that range")
    assert "internal error" not in err and "Traceback" not in err
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (str(SQLITE_INT_MAX), SQLITE_INT_MAX),
        (str(SQLITE_INT_MIN), SQLITE_INT_MIN),
        ("0" * 30 + "7", 7),  # leading zeros do not count against the bound
        ("1.5", 1.5),
        ("1e400", "1e400"),  # not a plain decimal: stays text, as before
        ("nan", "nan"),
    ],
)
def test_values_at_the_bounds_still_run(db: Path, value: str, expected: object) -> None:
    result = CliRunner().invoke(cli, ["query", str(db), "select :x as v", "-p", "x", value, "--nl"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == [{"v": expected}]


def test_bad_value_is_reported_before_the_index_is_opened(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    code, _, err = run_query_cli(missing, "1" * 30)
    assert code == 2
    assert err.startswith("Error: parameter 'x': ")
    assert not missing.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "value",
    [2**63, -(2**63) - 1, math.inf, -math.inf, math.nan],
    ids=["2**63", "-2**63-1", "inf", "-inf", "nan"],
)
def test_library_refuses_values_sqlite_cannot_hold(db: Path, value: float) -> None:
    """Python callers pass numbers directly; the same bound holds, with the same error class."""
    with readable_index(db) as index, pytest.raises(BadInput, match=r"^parameter 'n': "):
        run_query(index, "select :n", {"n": value})


def test_text_params_reads_numbers_and_keeps_text() -> None:
    assert text_params([("a", "12"), ("b", "-0.25"), ("c", "Slow Burn"), ("d", "1e3")]) == {
        "a": 12,
        "b": -0.25,
        "c": "Slow Burn",
        "d": "1e3",
    }
