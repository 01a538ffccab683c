"""A terminal table that fits its width: cut long cells, or one block per row when too wide.

Search results carry a snippet and a title that would each fill a line; a table
wider than the terminal wraps into an unreadable staircase. When every column
can keep a readable width, the narrow columns keep their full width and the
wide ones share what is left, a longer cell ending in "…" (``--json`` or
``--csv`` give the whole text). When the columns are too many for that, each
row is printed as a block of ``column | value`` lines, long values wrapped (as
``psql``'s expanded display does), unless a table style was asked for by name.
"""

from __future__ import annotations

import textwrap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# tabulate is imported only to draw a table: its import reads package metadata (60 ms), and
# a search on a terminal usually prints blocks, which need no tabulate (see _overhead).

#: Styles drawn as a grid of fixed-width text columns; others (html, latex, ...) are not fitted.
GRID_STYLES = frozenset(
    {
        "simple",
        "plain",
        "github",
        "grid",
        "simple_grid",
        "rounded_grid",
        "heavy_grid",
        "mixed_grid",
        "double_grid",
        "fancy_grid",
        "outline",
        "simple_outline",
        "rounded_outline",
        "heavy_outline",
        "mixed_outline",
        "double_outline",
        "fancy_outline",
        "pipe",
        "orgtbl",
        "presto",
        "pretty",
        "psql",
        "rst",
    }
)
#: A column cut narrower than this is no longer readable: show the rows as blocks instead.
READABLE = 12
#: No column is cut narrower than this (a style asked for by name is always a table).
MIN_WIDTH = 4


def draw(
    rows: list[list[Any]],
    headers: list[str],
    columns: list[str],
    *,
    style: str,
    width: int,
    blocks: bool,
    text_columns: list[int],
) -> str:
    """``rows`` drawn in ``style`` within ``width`` columns; as blocks when ``blocks`` allows
    and a table would be unreadable."""

    def render(cells: list[list[Any]], heads: list[str]) -> str:
        from tabulate import tabulate

        return tabulate(cells, headers=heads, tablefmt=style, disable_numparse=text_columns)

    count = len(columns)
    if style not in GRID_STYLES or count == 0 or not rows:
        return render(rows, headers)
    natural = [
        max([len(h) for h in headers[i : i + 1]] + [len(str(r[i])) for r in rows])
        for i in range(count)
    ]
    budget = width - _overhead(count, style)
    drawn = ""
    for _ in range(4):  # the overhead is an estimate: shrink until the drawing fits
        limits = _limits(natural, budget)
        if blocks and any(n < min(m, READABLE) for n, m in zip(limits, natural, strict=True)):
            return as_blocks(rows, columns, width)
        drawn = render([_cut(r, limits) for r in rows], _cut(headers, limits) if headers else [])
        excess = _widest(drawn) - width
        if excess <= 0:
            break
        budget -= excess
    return drawn


def as_blocks(rows: list[list[Any]], columns: list[str], width: int) -> str:
    """Each row as a block of ``column | value`` lines, values wrapped to ``width``."""
    label = max(len(c) for c in columns)
    room = max(width - label - 3, READABLE)
    out = []
    for number, row in enumerate(rows, 1):
        out.append(f"-[ {number} ]".ljust(min(width, label + 3 + room), "-"))
        for name, value in zip(columns, row, strict=True):
            lines = textwrap.wrap(str(value), room) or [""]
            out.append(f"{name.ljust(label)} | {lines[0]}")
            out += [f"{'':{label}} | {line}" for line in lines[1:]]
    return "\n".join(out)


def _widest(drawn: str) -> int:
    return max((len(line) for line in drawn.splitlines()), default=0)


#: The default style's overhead per column: tabulate pads each header by 2 and puts 2 spaces
#: between columns (``tests/test_output.py`` checks it against tabulate).
SIMPLE_OVERHEAD = 4


def _overhead(count: int, style: str) -> int:
    """Characters a table of ``count`` columns spends on borders and padding in ``style``."""
    if style == "simple":  # known without importing tabulate
        return SIMPLE_OVERHEAD * count - 2
    from tabulate import tabulate

    return _widest(tabulate([["x"] * count], headers=["x"] * count, tablefmt=style)) - count


def _limits(natural: list[int], budget: int) -> list[int]:
    """Each column's width: its own if it fits its share, else an equal share of what is left."""
    if sum(natural) <= budget:
        return natural
    limits = list(natural)
    left = budget
    order = sorted(range(len(natural)), key=natural.__getitem__)
    for placed, i in enumerate(order):
        share = max(left // (len(order) - placed), MIN_WIDTH)
        limits[i] = min(natural[i], share)
        left -= limits[i]
    return limits


def _cut(cells: list[Any], limits: list[int]) -> list[Any]:
    """Text longer than its column, cut to it; numbers are never cut (they are short)."""
    return [
        c if not isinstance(c, str) or len(c) <= n else c[: n - 1] + "…"
        for c, n in zip(cells, limits, strict=True)
    ]
