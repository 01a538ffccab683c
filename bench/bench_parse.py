"""How fast is ficindex's parser? Run by hand: ``python bench/bench_parse.py [--pages N]``.

On full-work pages of 50 chapters (about 1.2 MB each, written by
../shared/bench/make_work_page.py into a temporary directory) it times, in one
run and on the same pages:

(a) the floor: a bare ``LexborHTMLParser`` parse plus one ``.text()`` call;
(b) ficindex's full extraction, ``parse_page`` (every field, every chapter);
(c) the BeautifulSoup + lxml extraction ao3-api and AO3Scraper do (meta tags,
    stats, each chapter's paragraphs via ``get_text``);
(d) whole processes: ``ficindex parse`` on all the pages vs a bare
    ``python -c`` lexbor parse of the same files (interpreter start and
    imports included).

Goals: (b) within 2x of (a); (c) at least 30x slower than (b). The ratios are
printed at the end. Needs the ``bench`` extra (beautifulsoup4, lxml).
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

MAKE_PAGE = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "make_work_page.py"
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


def soup_parse(data: bytes) -> dict:
    """(c) The BeautifulSoup + lxml way of ao3-api / AO3Scraper, on the same fields."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    meta = soup.find("dl", class_="work meta group")
    out: dict = {}
    kinds = ("rating", "warning", "category", "fandom", "relationship", "character", "freeform")
    for kind in kinds:
        dd = meta.find("dd", class_=kind)
        out[kind] = [a.get_text(strip=True) for a in dd.find_all("a")] if dd else []
    out["language"] = meta.find("dd", class_="language").get_text(strip=True)
    stats = meta.find("dl", class_="stats")
    for dd in stats.find_all("dd"):
        out[dd["class"][0]] = dd.get_text(strip=True)
    preface = soup.find("div", class_="preface group")
    out["title"] = preface.find("h2", class_="title").get_text(strip=True)
    out["authors"] = [a.get_text() for a in preface.find_all("a", rel="author")]
    summary = preface.find("div", class_="summary")
    out["summary"] = summary.blockquote.get_text("\n", strip=True) if summary else None
    chapters = []
    for chapter in soup.select("div#chapters > div.chapter"):
        heading = chapter.find("h3", class_="title")
        body = chapter.find("div", class_="userstuff")
        text = "\n".join(p.get_text() for p in body.find_all("p"))
        chapters.append((heading.get_text(strip=True), text))
    out["chapters"] = chapters
    return out


def per_page_ms(func: Callable[[bytes], object], pages: list[bytes], repeat: int) -> float:
    """Median over ``repeat`` runs of the mean time per page, in milliseconds."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for data in pages:
            func(data)
        runs.append((time.perf_counter() - start) / len(pages) * 1000)
    return statistics.median(runs)


def process_seconds(argv: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, timeout=600)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10, help="how many 50-chapter pages (10)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (5)")
    args = parser.parse_args()
    if not MAKE_PAGE.is_file():
        sys.exit(f"needs {MAKE_PAGE} (the shared bench page writer)")

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(args.pages):
            path = Path(tmp) / f"work-{i}.html"
            with path.open("wb") as out:
                subprocess.run([sys.executable, str(MAKE_PAGE), "50"], stdout=out, check=True)
            paths.append(path)
        pages = [p.read_bytes() for p in paths]
        size = sum(map(len, pages)) / len(pages) / 1e6
        record = parse_page(pages[0])
        assert record.kind == "work" and len(record.chapters) == 50, "unexpected bench page"
        print(f"{len(pages)} pages of 50 chapters, {size:.2f} MB each\n")

        a = per_page_ms(floor, pages, args.repeat)
        b = per_page_ms(ficindex_parse, pages, args.repeat)
        c = per_page_ms(soup_parse, pages, max(1, args.repeat // 2))
        names = [str(p) for p in paths]
        d_ficindex = process_seconds([sys.executable, "-m", "ficindex", "parse", *names], 3)
        d_bare = process_seconds([sys.executable, "-c", BARE_PROCESS, *names], 3)

    print(f"(a) bare lexbor parse + .text()    {a:8.2f} ms/page")
    print(f"(b) ficindex parse_page            {b:8.2f} ms/page")
    print(f"(c) BeautifulSoup + lxml           {c:8.2f} ms/page")
    print(f"(d) ficindex parse process         {d_ficindex * 1000:8.1f} ms for {len(pages)} files")
    print(f"    bare python -c lexbor process  {d_bare * 1000:8.1f} ms for {len(pages)} files\n")
    print(f"(b)/(a) = {b / a:5.2f}x  (goal: <= 2x)")
    print(f"(c)/(b) = {c / b:5.1f}x  (goal: >= 30x)")
    print(f"process ficindex/bare = {d_ficindex / d_bare:5.2f}x")


if __name__ == "__main__":
    main()
