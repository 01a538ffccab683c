"""Tables are fitted to the terminal by display width: a Chinese or Japanese character takes
two columns, a combining mark none. Counting characters made a table of Chinese titles
twice as wide as the terminal, and its cells misaligned without wcwidth."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from wcwidth import wcswidth

from ficindex.cli import cli
from ficindex.cli.table import _fit, _wrap
from index_fixtures import fixture_index

TITLE = "茶館的故事：一個很長很長的中文標題，講述了一家老茶館裡發生的許多事情"
NOTE = "她在茶館裡等了很久。雨一直下。 Café au lait, naïve résumé, and more words"
SQL = f"select 1001 as id, '{TITLE}' as title, '{NOTE}' as note"
MANY = SQL + ", 'x' as a, 'y' as b, 'z' as c, 'w' as d, 'v' as e, 'u' as f"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture_index(tmp_path_factory.mktemp("wide") / "fics.db")


def lines(db: Path, sql: str, *args: str, columns: int = 60) -> list[str]:
    result = CliRunner().invoke(cli, ["query", str(db), sql, *args], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


@pytest.mark.parametrize("style", ["simple", "psql", "github", "grid"])
def test_a_table_of_wide_characters_fits_the_terminal_and_stays_aligned(
    db: Path, style: str
) -> None:
    drawn = lines(db, SQL, "--fmt", style)
    assert max(wcswidth(line) for line in drawn) <= 60
    assert any("茶館的故事" in line and "…" in line for line in drawn)
    if style != "simple":  # a grid: every line as wide as the others
        assert len({wcswidth(line) for line in drawn}) == 1


def test_rows_shown_as_blocks_wrap_wide_text_within_the_terminal(db: Path) -> None:
    drawn = lines(db, MANY, "--table", columns=50)
    assert drawn[0].startswith("-[ 1 ]")
    assert max(wcswidth(line) for line in drawn) <= 50
    values: dict[str, list[str]] = {}
    for line in drawn[1:]:
        label, value = line.split(" | ", 1)
        if label.strip():
            name = label.strip()
        values.setdefault(name, []).append(value)
    assert len(values["title"]) > 1 and "".join(values["title"]) == TITLE  # wrapped, all kept
    assert "".join(values["note"]).replace(" ", "") == NOTE.replace(" ", "")


@pytest.mark.parametrize("limit", [2, 5, 11, 40])
def test_a_cut_cell_is_at_most_its_column_wide(limit: int) -> None:
    for text in (TITLE, NOTE, "e\u0301" * 30):
        cut = _fit(text, limit)
        assert wcswidth(cut) <= limit
        assert cut == text or (cut.endswith("…") and text.startswith(cut[:-1]))
    assert _fit("plain ascii text", 8) == "plain a…"  # as before: characters are columns


def test_wrapping_ascii_is_textwraps_and_wide_text_keeps_every_word() -> None:
    text = "a very long line of plain words " * 5
    assert _wrap(text, 17) == textwrap.wrap(text, 17)
    wrapped = _wrap(NOTE, 12)
    assert all(wcswidth(line) <= 12 for line in wrapped)
    assert "".join(wrapped).replace(" ", "") == NOTE.replace(" ", "")  # every character, in order
