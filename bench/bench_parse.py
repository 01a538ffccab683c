"""How fast is ficindex's parser? Run by hand: ``python bench/bench_parse.py [--pages N]``.

On full-work pages of 50 chapters (about 1.2 MB each, written by
../shared/bench/make_work_page.py into a temporary directory) it times, in one
run and on the same pages:

(a) the floor: a bare ``LexborHTMLParser`` parse plus one ``.text()`` call;
(b) ficindex's full extraction, ``parse_page`` (every field, every chapter);
(c) what the two best-known AO3 scrapers do with the same page, redone call for
    call in ``soup_baselines.py`` (which says what each mirrors):
    ao3-api (BeautifulSoup + lxml: ``Work`` metadata, every chapter's title,
    notes and text) and AO3Scraper (BeautifulSoup + html.parser: metadata,
    stats, the text of every ``p``);
(d) whole processes on all the pages, interpreter start and imports included:
    ``ficindex parse`` (JSON Lines out) vs a bare ``python -c`` lexbor parse
    plus text, and vs ``python bench/soup_baselines.py`` running each scraper's
    extraction (JSON Lines out);
(e) (a), (b) and (c) again on the real saved work pages in
    ../shared/fixtures/ao3-real that both scrapers can read (small one-chapter
    works, with denser markup than the generated page).

Goals (issue 2): ficindex within 2x of the floor and at least 30x faster than
the BeautifulSoup extraction, whole ``ficindex parse`` process included. The
ratios are printed at the end. Needs the ``bench`` extra (beautifulsoup4, lxml).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from ficindex.parser import parse_page
from soup_baselines import ao3_api_work, ao3scraper_work

HERE = Path(__file__).resolve().parent
MAKE_PAGE = HERE.parent.parent / "shared" / "bench" / "make_work_page.py"
REAL_PAGES = HERE.parent.parent / "shared" / "fixtures" / "ao3-real"
BARE_PROCESS = (
    "import sys\n"
    "from selectolax.lexbor import LexborHTMLParser\n"
    "for name in sys.argv[1:]:\n"
    "    with open(name, 'rb') as f:\n"
    "        body = LexborHTMLParser(f.read()).body\n"
    "        sys.stdout.write(body.text(separator='\\n', strip=True, skip_empty=True))\n"
)


def floor(data: bytes) -> str:
    """(a) What any lexbor user pays at least: parse, then all the text (the fastest options)."""
    return LexborHTMLParser(data).body.text(separator="\n", strip=True, skip_empty=True)


def ficindex_parse(data: bytes) -> object:
    """(b) ficindex: the full record."""
    return parse_page(data)


def per_page_ms(func: Callable[[bytes], object], pages: list[bytes], repeat: int) -> float:
    """Median over ``repeat`` runs of the mean time per page, in milliseconds."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for data in pages:
            func(data)
        runs.append((time.perf_counter() - start) / len(pages) * 1000)
    return statistics.median(runs)


def process_ms(argv: list[str], repeat: int) -> float:
    """Median wall time of a whole process (output discarded), in milliseconds."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, timeout=600)
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def check_same_work(data: bytes) -> None:
    """Every side must really read the whole page, or the comparison means nothing."""
    record = parse_page(data)
    assert record.kind == "work" and len(record.chapters) == 50, "unexpected bench page"
    ours = sum(len(chapter.text) for chapter in record.chapters)
    api = ao3_api_work(data)
    assert len(api["chapters"]) == 50 and len(api["text"]) >= ours, "ao3-api baseline"
    assert len(ao3scraper_work(data)["body"]) >= ours, "AO3Scraper baseline"


def real_work_pages() -> list[bytes]:
    """The saved real work pages every side reads (a scraper that crashes on one is skipped)."""
    pages = []
    for path in sorted(REAL_PAGES.glob("*.html")):
        data = path.read_bytes()
        if parse_page(data).kind != "work":
            continue
        try:
            ao3_api_work(data)
            ao3scraper_work(data)
        except (AttributeError, TypeError, ValueError):
            continue
        pages.append(data)
    return pages


def row(label: str, ms: float, ours: float) -> None:
    """One line: time and how it compares with ficindex's time on the same pages."""
    print(f"  {label:46s} {ms:9.2f}   {ms / ours:6.2f}x ficindex")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10, help="how many 50-chapter pages (10)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (5)")
    args = parser.parse_args()
    if not MAKE_PAGE.is_file():
        sys.exit(f"needs {MAKE_PAGE} (the shared bench page writer)")

    page = subprocess.run(
        [sys.executable, str(MAKE_PAGE), "50"], stdout=subprocess.PIPE, check=True
    ).stdout
    check_same_work(page)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"work-{i}.html" for i in range(args.pages)]
        for path in paths:
            path.write_bytes(page)
        pages = [p.read_bytes() for p in paths]
        print(f"{len(pages)} pages of 50 chapters, {len(page) / 1e6:.2f} MB each\n")

        slow = max(1, args.repeat // 2)
        a = per_page_ms(floor, pages, args.repeat)
        b = per_page_ms(ficindex_parse, pages, args.repeat)
        c_api = per_page_ms(ao3_api_work, pages, slow)
        c_scraper = per_page_ms(ao3scraper_work, pages, slow)

        names = [str(p) for p in paths]
        baselines = [sys.executable, str(HERE / "soup_baselines.py")]
        d_ficindex = process_ms([sys.executable, "-m", "ficindex", "parse", *names], 3)
        d_bare = process_ms([sys.executable, "-c", BARE_PROCESS, *names], 3)
        d_api = process_ms([*baselines, "ao3-api", *names], slow)
        d_scraper = process_ms([*baselines, "ao3scraper", *names], slow)

    real = real_work_pages()
    if real:
        e_a = per_page_ms(floor, real, args.repeat * 4)
        e_b = per_page_ms(ficindex_parse, real, args.repeat * 4)
        e_api = per_page_ms(ao3_api_work, real, args.repeat)
        e_scraper = per_page_ms(ao3scraper_work, real, args.repeat)

    print(f"generated page, in process, ms per page (median of {args.repeat} runs):")
    row("(a)  floor: bare lexbor parse + .text()", a, b)
    row("(b)  ficindex parse_page", b, b)
    row("(c1) ao3-api: BeautifulSoup + lxml", c_api, b)
    row("(c2) AO3Scraper: BeautifulSoup + html.parser", c_scraper, b)
    if real:
        size = sum(map(len, real)) / len(real) / 1e3
        print(f"{len(real)} real work pages ({size:.0f} KB each), in process, ms per page:")
        row("(a)  floor", e_a, e_b)
        row("(b)  ficindex parse_page", e_b, e_b)
        row("(c1) ao3-api", e_api, e_b)
        row("(c2) AO3Scraper", e_scraper, e_b)
    print(f"whole processes on the {len(pages)} generated pages, ms (median):")
    row("(d)  python -c: bare lexbor parse + text", d_bare, d_ficindex)
    row("     ficindex parse", d_ficindex, d_ficindex)
    row("     soup_baselines.py ao3-api", d_api, d_ficindex)
    row("     soup_baselines.py ao3scraper", d_scraper, d_ficindex)
    print("\ngoals: ficindex <= 2x the floor; BeautifulSoup >= 30x ficindex")
    print(f"  in process:    ficindex/floor {b / a:5.2f}x   ao3-api/ficindex {c_api / b:5.1f}x   "
          f"AO3Scraper/ficindex {c_scraper / b:5.1f}x")  # fmt: skip
    print(f"  whole process: ficindex/bare  {d_ficindex / d_bare:5.2f}x   "
          f"ao3-api/ficindex {d_api / d_ficindex:5.1f}x   "
          f"AO3Scraper/ficindex {d_scraper / d_ficindex:5.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
