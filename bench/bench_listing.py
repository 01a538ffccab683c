"""Benchmark: parsing a 20-blurb AO3 listing page.

Compares, on the same real tag listing page (``../shared/fixtures/ao3-real``):

* floor: a bare lexbor parse plus the page's text (the least any parser must do);
* ficindex: ``parse_listing`` (every blurb field, totals, next link), and the
  whole ``parse_page`` dispatch (detection included);
* BeautifulSoup + lxml: what ao3-api does with a works list (its ``User`` works
  list and ``get_work_from_banner`` on every blurb), redone call for call in
  ``soup_baselines.py`` (which cites the files it mirrors). AO3Scraper reads
  listings only for work ids, so it has no blurb extraction to compare.

Run: ``python bench/bench_listing.py [PAGE.html] [--repeat N]``. Prints the
best time per page of each and the ratios. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from ficindex.parser import parse_page
from ficindex.parser.listing import parse_listing
from soup_baselines import ao3_api_listing

DEFAULT_PAGE = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "fixtures"
    / "ao3-real"
    / "fujo-tag-sherlock-holmes-works.html"
)
URL = "https://archiveofourown.org/tags/Sherlock%20Holmes/works"


def floor(source: bytes) -> int:
    """Bare lexbor: parse and take the body text."""
    tree = LexborHTMLParser(source)
    return len(tree.body.text(separator="\n") if tree.body is not None else "")


def ficindex_listing(source: bytes) -> int:
    return len(parse_listing(LexborHTMLParser(source), URL).listing.works)


def ficindex_parse_page(source: bytes) -> int:
    return len(parse_page(source, URL).listing.works)


def best_of(fn: Callable[[bytes], int], source: bytes, repeat: int) -> tuple[float, float]:
    """(best, median) seconds per call over ``repeat`` calls after one warm-up."""
    fn(source)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(source)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", nargs="?", type=Path, default=DEFAULT_PAGE)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    if not args.page.is_file():
        raise SystemExit(f"Error: {args.page} not found; pass a saved AO3 listing page")
    source = args.page.read_bytes()
    print(f"{args.page.name}: {len(source) / 1024:.0f} KB, {ficindex_listing(source)} blurbs")
    rows = [
        ("lexbor parse + text (floor)", floor),
        ("ficindex parse_listing", ficindex_listing),
        ("ficindex parse_page", ficindex_parse_page),
        ("ao3-api: BeautifulSoup+lxml", ao3_api_listing),
    ]
    results = {}
    for label, fn in rows:
        repeat = max(args.repeat // 5, 5) if fn is ao3_api_listing else args.repeat
        results[label] = best_of(fn, source, repeat)
        best, median = results[label]
        print(f"  {label:30s} best {best * 1000:7.2f} ms   median {median * 1000:7.2f} ms")
    base = results["lexbor parse + text (floor)"][0]
    ours = results["ficindex parse_listing"][0]
    page = results["ficindex parse_page"][0]
    soup = results["ao3-api: BeautifulSoup+lxml"][0]
    print(f"parse_listing / floor:        {ours / base:5.2f}x")
    print(f"parse_page / floor:           {page / base:5.2f}x")
    print(f"ao3-api / parse_listing:       {soup / ours:5.1f}x slower")
    print(f"ao3-api / parse_page:          {soup / page:5.1f}x slower")


if __name__ == "__main__":
    main()
