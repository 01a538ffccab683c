"""Benchmark: parsing a 20-blurb AO3 listing page.

Compares, on the same real tag listing page (``../shared/fixtures/ao3-real``):

* floor: a bare lexbor parse plus the page's text (the least any parser must do);
* ficindex: ``parse_listing`` (every blurb field, totals, next link), and the
  whole ``parse_page`` dispatch (detection included);
* BeautifulSoup + lxml: what ao3-api does with a works list (its ``User`` works
  list and ``get_work_from_banner`` on every blurb), redone call for call in
  ``soup_baselines.py`` (which cites the files it mirrors). AO3Scraper reads
  listings only for work ids, so it has no blurb extraction to compare.

Run: ``python bench/bench_listing.py [PAGE.html] [--rounds N]`` (a few
seconds). The contenders are interleaved round by round (``rounds.orders``);
prints the median time per page of each and the ratios. Without ../shared
(the default page) give a page; without the ``bench`` extra the
BeautifulSoup row is skipped. A benchmark, not a test.
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
from rounds import orders

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
    listing = parse_listing(LexborHTMLParser(source), URL).listing
    return len(listing.works) if listing else 0


def ficindex_parse_page(source: bytes) -> int:
    listing = parse_page(source, URL).listing
    return len(listing.works) if listing else 0


def interleaved(
    rows: list[tuple[str, Callable[[bytes], int]]], source: bytes, rounds: int
) -> dict[str, float]:
    """Median seconds per call of each contender; one call each per round, order rotating."""
    for _, fn in rows:
        fn(source)  # warm-up
    times: dict[str, list[float]] = {label: [] for label, _ in rows}
    for order in orders(rows, rounds):
        for label, fn in order:
            start = time.perf_counter()
            fn(source)
            times[label].append(time.perf_counter() - start)
    return {label: statistics.median(t) for label, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", nargs="?", type=Path, default=DEFAULT_PAGE)
    parser.add_argument("--rounds", type=int, default=50, help="rounds (50)")
    args = parser.parse_args()
    if not args.page.is_file():
        print(f"skipped: {args.page} not found; pass a saved AO3 listing page")
        return
    source = args.page.read_bytes()
    print(f"{args.page.name}: {len(source) / 1024:.0f} KB, {ficindex_listing(source)} blurbs")
    rows: list[tuple[str, Callable[[bytes], int]]] = [
        ("lexbor parse + text (floor)", floor),
        ("ficindex parse_listing", ficindex_listing),
        ("ficindex parse_page", ficindex_parse_page),
    ]
    try:
        from soup_baselines import ao3_api_listing

        rows.append(("ao3-api: BeautifulSoup+lxml", lambda s: len(ao3_api_listing(s))))
    except ImportError as exc:
        print(f"(BeautifulSoup baseline skipped: {exc})")
    results = interleaved(rows, source, args.rounds)
    base = results["lexbor parse + text (floor)"]
    for label, median in results.items():
        print(f"  {label:30s} median {median * 1000:7.2f} ms   {median / base:6.2f}x the floor")
    ours = results["ficindex parse_listing"]
    soup = results.get("ao3-api: BeautifulSoup+lxml")
    if soup is not None:
        print(f"ao3-api / parse_listing:       {soup / ours:5.1f}x slower")


if __name__ == "__main__":
    main()
