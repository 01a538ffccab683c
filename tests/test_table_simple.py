"""The ``simple`` table drawn without tabulate is tabulate's, byte for byte.

:func:`ficindex.cli.table.simple` draws the default table style so that a narrow
search result on a terminal need not import tabulate (whose import reads package
metadata). It must print exactly what tabulate prints, or leave the cells to
tabulate (return None). Checked over generated row sets: text with wide, combining,
control and escape characters, empty cells, None, ints and floats of every size,
"True"/"False" text, padded text; with and without headers; with tabulate
measuring widths by ``len`` and, when ``wcwidth`` is installed, by ``wcwidth``.
"""

from __future__ import annotations

from typing import Any

import pytest
import tabulate as tabulate_module
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ficindex.cli import table
from ficindex.cli.output import _table_cell
from ficindex.cli.table import _NARROW, draw, simple

#: Characters that test both paths: plain ones, and ones tabulate measures its own way.
ALPHABET = (
    "abc XYZ 019 .-_/:'\"|"
    "éüñßØ€£©®«»–—‘’“”•…Зимяαβ"  # one column wide: drawn without tabulate
    "中文手紙한국어カナ"  # wide
    "\u0301\u0483\u200b\u00ad\u00a0\u3000\t\r\n\x1b\x01🙂"  # combining, zero-width, soft hyphen,
    # no-break and ideographic spaces, tab, line breaks, escape, tabulate's separator mark
)

TEXT = st.one_of(
    st.text(alphabet=ALPHABET, max_size=12),
    st.sampled_from(["", " ", "  padded  ", "True", "False", "1e5", "007", "-3.50", "nan"]),
    st.just("\x1b[31mred\x1b[0m"),
)
NUMBER = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 0.5, 1.0, 1e-7, 123456789.0, 1e16, -2.25, 10**17]),
)
RAW = st.one_of(TEXT, NUMBER, st.none(), st.booleans(), st.lists(st.sampled_from(["a", "b"])))


def tabulate_simple(rows: list[list[Any]], headers: list[str], text_columns: list[int]) -> str:
    return tabulate_module.tabulate(
        rows, headers=headers, tablefmt="simple", disable_numparse=text_columns
    )


@st.composite
def tables(draw_: st.DrawFn, cell: st.SearchStrategy[Any] = RAW) -> tuple[Any, ...]:
    """Rows as ``ficindex.cli.output`` hands them to the table: cells made table cells, and
    the columns that are not all numbers read as text."""
    width = draw_(st.integers(1, 5))
    numeric = [draw_(st.booleans()) for _ in range(width)]
    rows = [
        [_table_cell(draw_(NUMBER if numeric[i] else cell)) for i in range(width)]
        for _ in range(draw_(st.integers(0, 6)))
    ]
    headers = draw_(st.one_of(st.just([]), st.lists(TEXT, min_size=width, max_size=width)))
    text_columns = [
        i for i in range(width) if not all(isinstance(r[i], (int, float)) for r in rows)
    ]
    return rows, headers, text_columns


@pytest.fixture(params=[False, True], ids=["len", "wcwidth"])
def wide_chars(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.param and tabulate_module.wcwidth is None:
        pytest.skip("wcwidth is not installed")
    monkeypatch.setattr(tabulate_module, "WIDE_CHARS_MODE", request.param)


@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(table=tables())
def test_simple_draws_what_tabulate_draws_or_leaves_it_to_tabulate(
    wide_chars: None, table: tuple[Any, ...]
) -> None:
    rows, headers, text_columns = table
    drawn = simple(rows, list(headers), text_columns)
    if drawn is not None:
        assert drawn == tabulate_simple(rows, headers, text_columns)


PLAIN = st.text(alphabet="abc XYZ 019.-'éß€–‘’“”…Зимняя сказка", max_size=15)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(table=tables(st.one_of(PLAIN, NUMBER, st.none(), st.booleans())))
def test_plain_text_and_numbers_are_drawn_without_tabulate(
    wide_chars: None, table: tuple[Any, ...]
) -> None:
    rows, headers, text_columns = table
    width = len(rows[0]) if rows else len(headers)
    if width == 0:
        return
    headers = ["id", "title", "kudos", "score", "x"][:width] if headers or not rows else []
    drawn = simple(rows, list(headers), text_columns)
    assert drawn is not None
    assert drawn == tabulate_simple(rows, headers, text_columns)


@pytest.mark.parametrize(
    ("rows", "headers"),
    [
        ([[1, "a"], [22, "bb"]], ["id", "title"]),
        ([[1.5, ""], [10**17, "x"]], ["score", "t"]),
        ([[0.0001, "  lead"], [-2, "trail  "]], []),
        ([], ["id", "title"]),
        ([], []),
        ([["only text"]], ["a-very-long-header"]),
    ],
)
def test_known_tables(wide_chars: None, rows: list[list[Any]], headers: list[str]) -> None:
    text_columns = [
        i
        for i in range(len(rows[0]) if rows else len(headers))
        if not all(isinstance(r[i], (int, float)) for r in rows)
    ]
    drawn = simple(rows, list(headers), text_columns)
    assert drawn is not None
    assert drawn == tabulate_simple(rows, headers, text_columns)


@pytest.mark.parametrize("width", [20, 40, 80, 200])
def test_a_table_fitted_to_the_terminal_is_drawn_as_tabulate_draws_it(
    wide_chars: None, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        [123, "“Quiet” — a story of the bookshop…", 4.5, "Good Omens (TV), Sherlock"],
        [7, "Short", 10.25, ""],
        [98765, "Ünïcödé títle", 0.001, "Fandom"],
    ]
    columns = ["id", "title", "score", "fandoms"]

    def drawn() -> str:
        return draw([list(r) for r in rows], list(columns), columns, style="simple",
                    width=width, blocks=False, text_columns=[1, 3])  # fmt: skip

    ours = drawn()
    monkeypatch.setattr(table, "simple", lambda *args: None)  # every table to tabulate
    assert ours == drawn()


def test_the_narrow_characters_are_one_column_wide_everywhere() -> None:
    assert all(c.isprintable() for c in _NARROW)
    wcwidth = tabulate_module.wcwidth
    if wcwidth is not None:
        assert {c for c in _NARROW if wcwidth.wcwidth(c) != 1} == set()
