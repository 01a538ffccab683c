"""bench/corpus.py's pages read back as their records, series, collections and gifts included.

Every benchmark times ficindex against a floor on these pages, and the floor
takes each work's metadata from the generator instead of parsing it: a page
that parsed to anything but its record would have the two sides store
different rows. The link tables (series, collections) and the gift, series
and collection columns are only exercised by the benchmarks if the generated
works have them, as about a fifth of AO3 works have a series.
"""

from __future__ import annotations

import functools
import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest
from selectolax.lexbor import LexborHTMLParser

from ficindex.parser import parse_page
from ficindex.record import Record

BENCH = Path(__file__).resolve().parents[1] / "bench"
WORKS = 300


@functools.cache
def corpus() -> ModuleType:
    """bench/corpus.py, imported as the benchmarks import it (from the bench folder)."""
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module("corpus")
    finally:
        sys.path.remove(str(BENCH))


@functools.cache
def generated(seed: int) -> tuple[Record, ...]:
    return tuple(corpus().records(WORKS, seed))


@pytest.mark.parametrize("seed", [1, 3])
def test_every_page_parses_back_to_its_record(seed: int) -> None:
    records = generated(seed)
    for record in records:
        parsed = parse_page(corpus().render(record)).to_dict()
        expected = record.to_dict()
        assert parsed == expected, [k for k in expected if parsed[k] != expected[k]]
    # the sample holds every case the rendering has: parts after the first, two series,
    # one and two collections, one and two recipients, a recipient who is no user
    assert any((s.position or 0) > 1 for r in records for s in r.series)
    assert any(len(r.series) == 2 for r in records)
    assert {len(r.collections) for r in records} >= {0, 1, 2}
    assert {len(r.gifts) for r in records} >= {0, 1, 2}
    names = [g for other in (1, 3) for r in generated(other) for g in r.gifts]
    assert any(" " in name and "(" not in name for name in names)


def test_shares_are_roughly_ao3s() -> None:
    """About a fifth of works in a series, 8 % in collections, 5 % gifts (over 600 works)."""
    records = generated(1) + generated(3)
    share = {
        "series": sum(bool(r.series) for r in records) / len(records),
        "collections": sum(bool(r.collections) for r in records) / len(records),
        "gifts": sum(bool(r.gifts) for r in records) / len(records),
    }
    assert 0.13 <= share["series"] <= 0.28, share
    assert 0.04 <= share["collections"] <= 0.13, share
    assert 0.02 <= share["gifts"] <= 0.09, share


def test_series_links_point_at_the_neighbouring_parts() -> None:
    """A part's "Previous Work" is the work that is the part before it; "Next Work" the next.

    A series title is the same on every page that shows the series.
    """
    records = generated(1)
    part = {(s.id, s.position): r.work_id for r in records for s in r.series}
    titles: dict[int, set[str]] = {}
    for record in records:
        for ref in record.series:
            titles.setdefault(ref.id, set()).add(ref.title)
    assert all(len(t) == 1 for t in titles.values())
    checked = 0
    for record in records:
        tree = LexborHTMLParser(corpus().render(record))
        for ref, span in zip(record.series, tree.css("dd.series span.series"), strict=True):
            position = ref.position or 1
            previous, following = span.css_first("a.previous"), span.css_first("a.next")
            assert (previous is not None) == (position > 1)
            if previous is not None:
                assert previous.attributes["href"] == f"/works/{part[(ref.id, position - 1)]}"
            after = part.get((ref.id, position + 1))
            if after is not None:
                assert following is not None
                assert following.attributes["href"] == f"/works/{after}"
                checked += 1
    assert checked >= 10
