"""Benchmark: parsing a 20-blurb AO3 listing page.

Compares, on the same real tag listing page (``../shared/fixtures/ao3-real``):

* floor: a bare lexbor parse plus the page's text (the least any parser must do);
* ficindex: ``parse_listing`` (every blurb field, totals, next link), and the
  whole ``parse_page`` dispatch (detection included);
* BeautifulSoup + lxml: a blurb extraction of the same fields written the way
  the ao3-api / AO3Scraper style scrapers do it (``find``/``find_all`` per field).

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


def soup_listing(source: bytes) -> int:
    """The same fields with BeautifulSoup + lxml, one find/find_all per field."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(source, "lxml")
    works = []
    for li in soup.find_all("li", class_="blurb"):
        heading = li.find("h4", class_="heading")
        links = heading.find_all("a") if heading else []
        required = li.find("ul", class_="required-tags")

        def symbol(css: str, required=required) -> str | None:
            span = required.find("span", class_=css) if required else None
            return span.get("title") if span else None

        tags = li.find("ul", class_="tags")

        def tag_list(css: str, tags=tags) -> list[str]:
            return (
                [
                    a.get_text(strip=True)
                    for item in tags.find_all("li", class_=css)
                    for a in item.find_all("a")
                ]
                if tags
                else []
            )

        stats = li.find("dl", class_="stats")

        def stat(css: str, stats=stats) -> str | None:
            dd = stats.find("dd", class_=css) if stats else None
            return dd.get_text(strip=True) if dd else None

        summary = li.find("blockquote", class_="summary")
        date = li.find("p", class_="datetime")
        works.append(
            {
                "title": links[0].get_text(strip=True) if links else None,
                "authors": [a.get_text(strip=True) for a in links if a.get("rel") == ["author"]],
                "fandoms": [
                    a.get_text(strip=True) for a in li.find("h5", class_="fandoms").find_all("a")
                ],
                "rating": symbol("rating"),
                "warnings": tag_list("warnings"),
                "category": symbol("category"),
                "complete": symbol("iswip"),
                "relationships": tag_list("relationships"),
                "characters": tag_list("characters"),
                "freeforms": tag_list("freeforms"),
                "summary": summary.get_text("\n", strip=True) if summary else None,
                "series": [a.get_text(strip=True) for a in li.select("ul.series a")],
                "date": date.get_text(strip=True) if date else None,
                **{
                    name: stat(name)
                    for name in (
                        "language",
                        "words",
                        "chapters",
                        "comments",
                        "kudos",
                        "bookmarks",
                        "hits",
                    )
                },
            }
        )
    return len(works)


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
        ("BeautifulSoup+lxml blurbs", soup_listing),
    ]
    results = {}
    for label, fn in rows:
        repeat = max(args.repeat // 5, 5) if fn is soup_listing else args.repeat
        results[label] = best_of(fn, source, repeat)
        best, median = results[label]
        print(f"  {label:30s} best {best * 1000:7.2f} ms   median {median * 1000:7.2f} ms")
    base = results["lexbor parse + text (floor)"][0]
    ours = results["ficindex parse_listing"][0]
    page = results["ficindex parse_page"][0]
    soup = results["BeautifulSoup+lxml blurbs"][0]
    print(f"parse_listing / floor:        {ours / base:5.2f}x")
    print(f"parse_page / floor:           {page / base:5.2f}x")
    print(f"BeautifulSoup / parse_listing: {soup / ours:5.1f}x slower")


if __name__ == "__main__":
    main()
