"""The spreadsheet-formula guard every CSV that ficindex writes applies to its cells.

Kept apart from :mod:`ficindex.index.export` (which imports sqlite-utils) so
that ``ficindex search --csv`` and ``ficindex query --csv`` apply the same rule
without paying for that import.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: What a spreadsheet reads as the start of a formula (or of a cell it shifts).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Defuse spreadsheet formulas: text starting with = + - @ (or tab/CR) gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
