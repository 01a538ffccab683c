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
    from collections.abc import Sequence
    from typing import Any

# tabulate is imported only to draw a table in another style than ``simple`` (or a cell
# :func:`simple` leaves to it): its import reads package metadata (60 ms).

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
        drawn = simple(cells, heads, text_columns) if style == "simple" else None
        if drawn is not None:
            return drawn
        from tabulate import tabulate

        return tabulate(cells, headers=heads, tablefmt=style, disable_numparse=text_columns)

    count = len(columns)
    if style not in GRID_STYLES or count == 0 or not rows:
        return render(rows, headers)
    natural = [
        max([_width(h) for h in headers[i : i + 1]] + [_width(str(r[i])) for r in rows])
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
    label = max(_width(c) for c in columns)
    room = max(width - label - 3, READABLE)
    out = []
    for number, row in enumerate(rows, 1):
        out.append(f"-[ {number} ]".ljust(min(width, label + 3 + room), "-"))
        for name, value in zip(columns, row, strict=True):
            lines = _wrap(str(value), room) or [""]
            out.append(f"{name}{' ' * (label - _width(name))} | {lines[0]}")
            out += [f"{'':{label}} | {line}" for line in lines[1:]]
    return "\n".join(out)


def _widest(drawn: str) -> int:
    return max((_width(line) for line in drawn.splitlines()), default=0)


def _width(text: str) -> int:
    """Terminal columns ``text`` takes: a wide East Asian character two, a combining mark none.

    (What tabulate aligns by, since wcwidth is installed with ficindex. Counting
    characters instead made a Chinese title's table twice the terminal's width.)
    """
    if _narrow(text):
        return len(text)
    from wcwidth import wcswidth

    width = wcswidth(text)
    return width if width >= 0 else len(text)  # control characters: no width is right


def _prefix(text: str, columns: int) -> int:
    """How many characters of ``text`` (not all ASCII) fit in ``columns``."""
    from wcwidth import wcwidth

    used = 0
    for at, char in enumerate(text):
        used += max(wcwidth(char), 0)
        if used > columns:
            return at
    return len(text)


def _fit(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` columns, the cut marked by "…"."""
    if _width(text) <= limit:
        return text
    if _narrow(text):
        return text[: limit - 1] + "…"
    return text[: _prefix(text, limit - 1)] + "…"


def _wrap(text: str, room: int) -> list[str]:
    """``text`` in lines of at most ``room`` columns, broken between words where it can be
    (as ``textwrap.wrap``, which counts characters, does for narrow text)."""
    if _narrow(text):
        return textwrap.wrap(text, room)
    lines: list[str] = []
    line, used = "", 0
    for word in text.split():
        size = _width(word)
        if line and used + 1 + size <= room:
            line, used = f"{line} {word}", used + 1 + size
            continue
        if line:
            lines.append(line)
        line, used = "", 0
        while size > room:  # a word (or a run of Chinese) longer than a line
            cut = max(_prefix(word, room), 1)
            lines.append(word[:cut])
            word = word[cut:]
            size = _width(word)
        line, used = word, size
    if line:
        lines.append(line)
    return lines


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
    return [_fit(c, n) if isinstance(c, str) else c for c, n in zip(cells, limits, strict=True)]


#: Characters one column wide however tabulate measures them (``len``, or ``wcwidth`` when that
#: is installed): Latin-1 signs and letters (not the soft hyphen), Latin Extended-A, Greek and
#: Cyrillic letters (not the combining marks), dashes, quotes, bullets, the ellipsis, the euro.
#: Printable ASCII is plain too; anything else goes to tabulate.
_NARROW = frozenset(
    chr(c)
    for span in ((0xA1, 0xAD), (0xAE, 0x180), (0x370, 0x483), (0x48A, 0x500), (0x2010, 0x2028))
    for c in range(*span)
    if chr(c).isprintable()  # not the unassigned code points between Greek letters
) | {"\u20ac"}


def _narrow(text: str) -> bool:
    """Whether every character of ``text`` is one column wide (wcwidth is not imported)."""
    return text.isascii() or _plain(text)


def _plain(text: str) -> bool:
    """Whether ``text`` is drawn by :func:`simple` as tabulate draws it: one line, no
    escape codes, every character one column wide."""
    return text.isprintable() and (text.isascii() or all(c < "\x7f" or c in _NARROW for c in text))


def simple(rows: list[list[Any]], headers: list[str], text_columns: list[int]) -> str | None:
    """``rows`` as tabulate draws them in its ``simple`` style (with ``disable_numparse`` set to
    ``text_columns``), without importing tabulate; None when a cell is not one drawn here.

    Drawn here: text of :func:`_plain` characters, and numbers (``int`` or ``float``). As
    tabulate does: a column of numbers is right-aligned, its decimal points lined up, floats
    written with ``format(x, "g")`` (an int among floats too); text is stripped and
    left-aligned; a column is at least as wide as its header plus 2; lines end without
    spaces. ``tests/test_table_simple.py`` compares the two over many row sets.
    """
    columns = _columns(rows, headers, text_columns)
    if columns is None:
        return None if rows or headers else ""
    widths = [max([len(h) + 2 for h in headers[i : i + 1]] + [len(c) for c in column])
              for i, column in enumerate(columns)]  # fmt: skip
    right = [bool(rows) and i not in text_columns for i in range(len(columns))]
    rule = "  ".join("-" * width for width in widths)
    lines = [_line(headers, widths, right), rule] if headers else [rule]
    lines += [_line(cells, widths, right) for cells in zip(*columns, strict=True)]
    if not headers:
        lines.append(rule)
    return "\n".join(line.rstrip() for line in lines)


def _columns(
    rows: list[list[Any]], headers: list[str], text_columns: list[int]
) -> list[list[str]] | None:
    """Each column's cells as tabulate writes them, before padding; None: not drawn here."""
    count = len(headers) if headers else len(rows[0]) if rows else 0
    if not count or any(len(row) != count for row in rows) or not all(map(_plain, headers)):
        return None
    columns = []
    for i in range(count):
        cells = [row[i] for row in rows]
        column = _text_column(cells) if i in text_columns or not rows else _number_column(cells)
        if column is None:
            return None
        columns.append(column)
    return columns


def _line(cells: Sequence[str], widths: list[int], right: list[bool]) -> str:
    return "  ".join(
        cell.rjust(width) if flush else cell.ljust(width)
        for cell, width, flush in zip(cells, widths, right, strict=True)
    )


def _text_column(cells: list[Any]) -> list[str] | None:
    """A column tabulate reads as text: each cell stripped (None is empty)."""
    out = []
    for cell in cells:
        if cell is None:
            out.append("")
        elif type(cell) in (int, float):
            out.append(f"{cell}")
        elif isinstance(cell, str) and _plain(cell):
            out.append(cell.strip())
        else:
            return None
    return out


def _number_column(cells: list[Any]) -> list[str] | None:
    """A column of numbers: ints as written, or all as ``g`` floats when one is a float; then
    padded on the right so that the decimal points line up."""
    if not all(type(cell) in (int, float) for cell in cells):
        return None
    if all(type(cell) is int for cell in cells):
        return [str(cell) for cell in cells]
    texts = [format(float(cell), "g") for cell in cells]
    decimals = [_after_point(text) for text in texts]
    most = max(decimals)
    return [text + " " * (most - d) for text, d in zip(texts, decimals, strict=True)]


def _after_point(number: str) -> int:
    """Characters after the decimal point (or the exponent's ``e``) of a ``g`` float; -1 for
    a whole number written without either."""
    if number.lstrip("-").isdigit():
        return -1
    point = number.rfind(".")
    if point < 0:
        point = number.lower().rfind("e")
    return len(number) - point - 1 if point >= 0 else -1
