"""How fast is ficindex's parser? Run by hand: ``python bench/bench_parse.py [--small 300]``.

About a minute on a quiet 2-core machine (more with the BeautifulSoup
baselines). Two corpora, timed in one run, contenders interleaved round by
round (``rounds.orders``: rotating, each contender first as often as the
others), medians of the rounds. In-process figures are CPU time of
this process (``time.process_time``): on a shared machine, wall time also counts
the moments another process held the core, which swamps differences of 10%.

* **small pages**: ``--small`` one-chapter works of ``bench/corpus.py`` (5-20 KB
  of text, about 25 KB of page each), each different;
* **the large page**: ``--pages`` copies of the 1.2 MB 50-chapter page
  (../shared/bench/make_work_page.py; a generated page of the same shape when
  ../shared is absent).

Contenders, in process, ms per page:

(a) the floor: a bare ``LexborHTMLParser`` parse plus one ``.text()`` call;
(a2) for context only, a minimal lexbor scraper of the same page: the parse, one
    CSS query per field a record holds (title, creators, the seven tag lists,
    the stats, summary, notes) and one ``.text()`` per chapter, with none of
    ficindex's rules (no landmark or inline handling, no reflow, no fallbacks).
    Every CSS query of selectolax costs a few microseconds before it walks
    anything, so on a small page this is well above (a); the goals are set
    against (a), the stricter floor;
(b) ficindex's full extraction, ``parse_page`` (every field, every chapter);
(c) what the two best-known AO3 scrapers do with the same page, redone call for
    call in ``soup_baselines.py`` (ao3-api: BeautifulSoup + lxml; AO3Scraper:
    BeautifulSoup + html.parser); skipped when the ``bench`` extra
    (beautifulsoup4, lxml) is not installed or ``--no-soup`` is given.

Then whole processes on the large pages (interpreter start and imports
included): ``ficindex parse`` (JSON Lines out) vs a bare ``python -c`` lexbor
parse plus text (and the soup baselines' processes); and (a)-(c) on the real
saved work pages of ../shared/fixtures/ao3-real, when present.

Goals (issue 14 item 4): small pages within 2x of the floor, the 1.2 MB page
within 1.5x, in process. (Issue 2: BeautifulSoup at least 30x slower.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

import corpus
from ficindex.parser import parse_page
from rounds import balanced, orders

HERE = Path(__file__).resolve().parent
REAL_PAGES = HERE.parent.parent / "shared" / "fixtures" / "ao3-real"
BARE_PROCESS = (
    "import sys\n"
    "from selectolax.lexbor import LexborHTMLParser\n"
    "for name in sys.argv[1:]:\n"
    "    with open(name, 'rb') as f:\n"
    "        body = LexborHTMLParser(f.read()).body\n"
    "        sys.stdout.write(body.text(separator='\\n', strip=True, skip_empty=True))\n"
)

Parser = Callable[[bytes], object]


def floor(data: bytes) -> str:
    """(a) What any lexbor user pays at least: parse, then all the text (the fastest options)."""
    body = LexborHTMLParser(data).body
    return body.text(separator="\n", strip=True, skip_empty=True) if body is not None else ""


#: The meta list's tag fields, as a minimal scraper would query them.
_TAG_DDS = ("rating", "warning", "category", "fandom", "relationship", "character", "freeform")


def scraper_floor(data: bytes) -> object:
    """(a2) A minimal lexbor scraper: one query per field, one text per chapter (context only)."""
    main = LexborHTMLParser(data).css_first("div#main")
    if main is None:
        return None
    title = main.css_first("h2.title")
    return {
        "title": title.text(strip=True) if title is not None else None,
        "authors": [a.text(strip=True) for a in main.css("h3.byline a[rel=author]")],
        "tags": {n: [a.text(strip=True) for a in main.css(f"dd.{n} a.tag")] for n in _TAG_DDS},
        "stats": [dd.text(strip=True) for dd in main.css("dl.stats dd")],
        "summary": [q.text(strip=True) for q in main.css("div.preface div.summary blockquote")],
        "notes": [q.text(strip=True) for q in main.css("div.preface div.notes blockquote")],
        "chapters": [
            text.text(separator="\n", strip=True, skip_empty=True)
            for text in main.css("div#chapters div.userstuff")
        ],
    }


def ficindex_parse(data: bytes) -> object:
    """(b) ficindex: the full record."""
    return parse_page(data)


def soup_parsers() -> dict[str, Parser]:
    """(c) The BeautifulSoup baselines, or none when the bench extra is missing."""
    try:
        from soup_baselines import ao3_api_work, ao3scraper_work
    except ImportError as exc:
        print(f"(BeautifulSoup baselines skipped: {exc}; pip install -e '.[bench]')")
        return {}
    return {"(c1) ao3-api: BeautifulSoup + lxml": ao3_api_work,
            "(c2) AO3Scraper: BeautifulSoup + html.parser": ao3scraper_work}  # fmt: skip


def interleaved_ms(funcs: dict[str, Parser], pages: list[bytes], rounds: int) -> dict[str, float]:
    """Median over ``rounds`` of each parser's mean CPU ms per page; parsers rotate each round."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for order in orders(list(funcs), rounds):
        for name in order:
            func = funcs[name]
            start = time.process_time()
            for data in pages:
                func(data)
            times[name].append((time.process_time() - start) / len(pages) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


def interleaved_process_ms(argvs: dict[str, list[str]], rounds: int) -> dict[str, float]:
    """Median wall time of whole processes (output discarded), interleaved, in ms."""
    times: dict[str, list[float]] = {name: [] for name in argvs}
    for order in orders(list(argvs), rounds):
        for name in order:
            start = time.perf_counter()
            subprocess.run(argvs[name], check=True, stdout=subprocess.DEVNULL, timeout=600)
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(t) for name, t in times.items()}


def check_large(data: bytes, soups: dict[str, Parser]) -> None:
    """Every side must really read the whole page, or the comparison means nothing."""
    record = parse_page(data)
    assert record.kind == "work" and len(record.chapters) == 50, "unexpected bench page"
    ours = sum(len(chapter.text) for chapter in record.chapters)
    for name, func in soups.items():
        result = func(data)
        assert isinstance(result, dict)
        text = result.get("text") or result.get("body") or ""
        assert len(text) >= ours, f"{name} did not read the whole page"


def small_pages(count: int, seed: int) -> list[bytes]:
    """``count`` different one-chapter work pages from the generated corpus."""
    found: list[bytes] = []
    for record in corpus.records(count * 3, seed):
        if len(record.chapters) == 1:
            found.append(corpus.render(record).encode())
            if len(found) == count:
                break
    return found


def real_work_pages(soups: dict[str, Parser]) -> list[bytes]:
    """The saved real work pages every side reads (a scraper that crashes on one is skipped)."""
    pages = []
    for path in sorted(REAL_PAGES.glob("*.html")):
        data = path.read_bytes()
        if parse_page(data).kind != "work":
            continue
        try:
            for func in soups.values():
                func(data)
        except (AttributeError, TypeError, ValueError):
            continue
        pages.append(data)
    return pages


def table(title: str, ms: dict[str, float]) -> None:
    ours = ms["(b) ficindex parse_page"]
    print(title)
    for label, value in ms.items():
        print(f"  {label:46s} {value:9.2f}   {value / ours:6.2f}x ficindex")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--small", type=int, default=300, help="small one-chapter pages (300)")
    parser.add_argument("--pages", type=int, default=10, help="copies of the large page (10)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per measurement (7)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    parser.add_argument("--no-soup", action="store_true", help="skip the BeautifulSoup baselines")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    soups = {} if args.no_soup else soup_parsers()
    contenders: dict[str, Parser] = {
        "(a) floor: bare lexbor parse + .text()": floor,
        "(a2) minimal lexbor scraper (context)": scraper_floor,
        "(b) ficindex parse_page": ficindex_parse,
    }
    slow = max(1, args.rounds // 3)

    small = small_pages(args.small, args.seed)
    small_ms = interleaved_ms(contenders, small, args.rounds)
    if soups:
        small_ms.update(interleaved_ms(soups, small, slow))
    size = sum(map(len, small)) / len(small) / 1e3
    rounds = balanced(args.rounds, len(contenders))
    table(f"{len(small)} small generated one-chapter pages ({size:.0f} KB each), "
          f"in process, ms per page (median of {rounds} rounds):", small_ms)  # fmt: skip

    page = corpus.large_page()
    check_large(page, soups)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"work-{i}.html" for i in range(args.pages)]
        for path in paths:
            path.write_bytes(page)
        pages = [p.read_bytes() for p in paths]
        large_ms = interleaved_ms(contenders, pages, args.rounds)
        if soups:
            large_ms.update(interleaved_ms(soups, pages, slow))
        table(f"{len(pages)} copies of the large page ({len(page) / 1e6:.2f} MB, 50 chapters), "
              "in process, ms per page:", large_ms)  # fmt: skip

        names = [str(p) for p in paths]
        argvs = {
            "(d) python -c: bare lexbor parse + text": [sys.executable, "-c", BARE_PROCESS, *names],
            "ficindex parse": [sys.executable, "-m", "ficindex", "parse", *names],
        }
        baselines = [sys.executable, str(HERE / "soup_baselines.py")]
        if soups:
            argvs["soup_baselines.py ao3-api"] = [*baselines, "ao3-api", *names]
            argvs["soup_baselines.py ao3scraper"] = [*baselines, "ao3scraper", *names]
        procs = interleaved_process_ms(argvs, 3)
    ours = procs["ficindex parse"]
    print(f"whole processes on the {len(pages)} large pages, ms "
          f"(median of {balanced(3, len(argvs))}):")  # fmt: skip
    for label, value in procs.items():
        print(f"  {label:46s} {value:9.2f}   {value / ours:6.2f}x ficindex")

    real = real_work_pages(soups)
    if real:
        real_ms = interleaved_ms(contenders, real, args.rounds * 4)
        if soups:
            real_ms.update(interleaved_ms(soups, real, args.rounds))
        size = sum(map(len, real)) / len(real) / 1e3
        table(f"{len(real)} real saved work pages ({size:.0f} KB each), in process, ms per page:",
              real_ms)  # fmt: skip

    a, b = "(a) floor: bare lexbor parse + .text()", "(b) ficindex parse_page"
    a2 = "(a2) minimal lexbor scraper (context)"
    print("\nratios, ficindex / floor (issue 14: small <= 2x, large <= 1.5x):")
    print(f"  small pages {small_ms[b] / small_ms[a]:5.2f}x   large page "
          f"{large_ms[b] / large_ms[a]:5.2f}x   whole process (large) "
          f"{ours / procs['(d) python -c: bare lexbor parse + text']:5.2f}x")  # fmt: skip
    print(f"  (context: ficindex / minimal scraper (a2): small {small_ms[b] / small_ms[a2]:5.2f}x"
          f"   large {large_ms[b] / large_ms[a2]:5.2f}x)")  # fmt: skip
    print(f"(load average now {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
