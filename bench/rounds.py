"""The order the contenders of a benchmark run in, round by round (every bench uses it).

Of two runs one after the other, the second finds the files and the CPU caches warm:
about 0.1 ms of a 1 ms rare-word search, enough to move a ratio by a tenth. So the
order rotates every round, and the number of rounds is rounded up to a multiple of the
number of contenders: each contender runs first, second, ... equally often, and no
median leans on a warm or a cold place in the order. (With 7 rounds of two, one side
ran first four times and the other three, which once read as 1.3x where 1.2x was true.)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def balanced(rounds: int, contenders: int) -> int:
    """``rounds`` rounded up to a multiple of ``contenders`` (at least one round each)."""
    return max(1, -(-rounds // contenders)) * contenders


def orders(contenders: Sequence[T], rounds: int) -> Iterator[list[T]]:
    """The order of each round: ``contenders`` rotated by one more place every round, over
    :func:`balanced` rounds."""
    items = list(contenders)
    for r in range(balanced(rounds, len(items))):
        shift = r % len(items)
        yield items[shift:] + items[:shift]
