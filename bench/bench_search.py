"""Search benchmark, run by hand (issue 14 item 3).

``python bench/bench_search.py [--sizes 1000,5000,20000] [--rounds 7] [--keep DIR]``

Search at scale: for each size, an index of that many generated works
(``bench/corpus.py``: 1-3 chapters of 5-20 KB, a long-tailed vocabulary,
varied tags; stored with ``save_record``, kept in ``--keep DIR`` for the next
run). Five query types, each timed as ``search()`` (top 20 with snippets)
next to its floor from the same run: one raw FTS5 query over ``chapters_fts``
joined to ``chapters`` and ``works`` with bm25, the same filters written in
the join and the same sort, LIMIT 20, then ``snippet`` for those 20
(``bench_index.raw_fts``). CPU time of this process (``time.process_time``)
in medians of interleaved rounds: the work is single-threaded and in-process,
and on a shared machine wall time measures the neighbours. The order of each
round is that of ``rounds.orders``: rotating, over an even number of rounds (``--rounds
7`` runs 8), so that each side runs first in half of them: of two searches run
one after the other, the second finds the file's pages in the CPU caches (a rare
word at 1,000 works: about 0.1 ms of 1 ms faster). Then each figure
extrapolated to 100,000 works by a least-squares line through the sizes.

``--cjk [--works N]``: the CJK side index instead: index size and import time
with and without it, English and Chinese search next to raw FTS5 (also the
trigram index), and a CJK word against an English word with as many matches:

1. Index size and import time (``save_record`` per work, as ``import`` does),
   each corpus into an index with the CJK side index (this version) and into
   one without it (the previous schema: the side tables dropped before the
   import). Medians of interleaved rounds, printed as ratios to the latter.
2. Search latency of ``search()`` (top 20 with snippets) for a common word, a
   rare word, a phrase, filters only and a word sorted by kudos, next to the
   floor: one raw FTS5 query with bm25 and snippet over the same index (for
   filters only, the plain SELECT on ``works``). Medians of interleaved rounds.
3. A CJK word against an English word with about as many matching works.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlite_utils import Database

import corpus
from bench_index import raw_fts
from ficindex.index import open_index, writable_index
from ficindex.index.filters import Filters
from ficindex.index.search import search
from ficindex.index.store import save_record
from ficindex.record import Author, Chapter, Record
from rounds import balanced, orders

ENGLISH_COMMON = re.findall(
    r"\w+",
    "the and of to a in he she was that it his her with for as had on at they "
    "but not be said you him from by all were this there one so what would could "
    "out up into them then about back like when know over only now time just",
)
SYLLABLES = re.findall(r"\w+", "ka ri mo ne sa tol ven ar is el dor ith um pa lo qu ze bri sh an")
#: Common Han characters, from which Chinese "words" of 1-3 characters are drawn.
HAN = (
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过"
    "家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本"
    "见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己"
    "话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平"
    "真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报"
    "立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务"
    "制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科"
    "怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运"
    "武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸"
    "钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似"
    "斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴切支"
)
PUNCT = "，。、；！？"
TAGS = [f"Tag {i}" for i in range(400)]
FANDOMS = [f"Fandom {i} (TV)" for i in range(40)]


def english_vocabulary(rng: random.Random, size: int) -> list[str]:
    """Common English words, then a long tail of invented ones."""
    tail: set[str] = set()
    while len(tail) < size - len(ENGLISH_COMMON):
        tail.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return ENGLISH_COMMON + sorted(tail)


def chinese_vocabulary(rng: random.Random, size: int) -> list[str]:
    """Chinese words of 1-3 characters (mostly 2), common characters first."""
    words: list[str] = []
    seen = set()
    head = HAN[:60]
    while len(words) < size:
        length = rng.choices((1, 2, 3), weights=(2, 6, 2))[0]
        pool = head if len(words) < 200 else HAN
        word = "".join(rng.choice(pool) for _ in range(length))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Corpus:
    """A Zipf-distributed text generator over one vocabulary."""

    def __init__(self, language: str, seed: int = 7) -> None:
        self.language = language
        self.rng = random.Random(seed)
        self.words = (
            chinese_vocabulary(self.rng, 30_000)
            if language == "zh"
            else english_vocabulary(self.rng, 30_000)
        )
        weights = [1 / (rank + 1) for rank in range(len(self.words))]
        self.cumulative = list(_accumulate(weights))

    def text(self, words: int) -> str:
        """A run of ``words`` words with sentence punctuation."""
        drawn = self.rng.choices(self.words, cum_weights=self.cumulative, k=words)
        out: list[str] = []
        for i, word in enumerate(drawn):
            if self.language != "zh" and self.rng.random() < 0.02:
                word = f"“{word}’s”"  # AO3 prose is full of curly quotes (non-ASCII)
            out.append(word)
            if self.rng.random() < 0.1:
                out.append(self.rng.choice(PUNCT) if self.language == "zh" else ".")
            elif self.language != "zh" and i % 40 == 39:
                out.append("\n\n")
        joiner = "" if self.language == "zh" else " "
        return joiner.join(out)

    def record(self, work_id: int) -> Record:
        """One work with 1-3 chapters, tags and a summary."""
        rng = self.rng
        chapters = [
            Chapter(
                number=n,
                chapter_id=work_id * 10 + n,
                title=self.text(3),
                text=self.text(1500 if self.language == "en" else 2000),
            )
            for n in range(1, rng.randint(1, 3) + 1)
        ]
        return Record(
            kind="work",
            work_id=work_id,
            title=self.text(4),
            authors=[Author(pseud=f"p{work_id % 300}", user=f"u{work_id % 300}")],
            rating=rng.choice(["General Audiences", "Teen And Up Audiences", "Mature"]),
            fandoms=[rng.choice(FANDOMS)],
            freeforms=rng.sample(TAGS, 4),
            language="English" if self.language == "en" else "中文-普通话 國語",
            published="2020-01-01",
            updated=f"202{rng.randint(0, 5)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            completed=rng.random() < 0.5,
            words=rng.randint(500, 100_000),
            kudos=int(rng.paretovariate(1.2) * 10),
            hits=rng.randint(100, 100_000),
            chapters_posted=len(chapters),
            summary=self.text(40),
            chapters=chapters,
        )


def _accumulate(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


def drop_side_index(db: Database) -> None:
    """Turn a fresh index into the previous schema (no CJK side index)."""
    for table in ("works", "chapters"):
        for trigger in ("ai", "ad", "au"):
            db.execute(f"DROP TRIGGER {table}_cjk_{trigger}")
        db.execute(f"DROP TABLE {table}_cjk_vocab")
        db.execute(f"DROP TABLE {table}_cjk")
        db.execute(f"DROP VIEW {table}_cjk_source")
    db.conn.commit()


def build(path: Path, records: list[Record], side: bool) -> float:
    """Import ``records`` into a new index at ``path``; the seconds it took."""
    db = open_index(path)
    if not side:
        drop_side_index(db)
    start = time.process_time()
    for record in records:
        with db.atomic():
            save_record(db, record)
    elapsed = time.process_time() - start
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return elapsed


def bench_import(name: str, records: list[Record], rounds: int, folder: Path) -> Path:
    """Print size and import-time ratios; return the path of an index with the side index."""
    times: dict[bool, list[float]] = {True: [], False: []}
    sizes: dict[bool, int] = {}
    for i, order in enumerate(orders((False, True), rounds)):
        for side in order:
            path = folder / f"{name}-{side}-{i}.db"
            times[side].append(build(path, records, side))
            sizes[side] = path.stat().st_size
    mb = sum(len(c.text.encode()) for r in records for c in r.chapters) / 1e6
    new, old = statistics.median(times[True]), statistics.median(times[False])
    print(
        f"{name}: {len(records)} works, {mb:.1f} MB chapter text | import "
        f"{new:.2f}s vs {old:.2f}s without the side index = {new / old:.3f}x | size "
        f"{sizes[True] / 1e6:.1f} MB vs {sizes[False] / 1e6:.1f} MB = "
        f"{sizes[True] / sizes[False]:.3f}x"
    )
    return folder / f"{name}-True-0.db"


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        fn()
        samples.append(time.process_time() - start)
    return statistics.median(samples) * 1000


def floor_query(table: str, snippet_column: int) -> str:
    return (
        f"SELECT rowid, bm25({table}), snippet({table}, {snippet_column}, '[', ']', '…', 16) "
        f"FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT 20"
    )


def matching_works(db: Database, word: str) -> int:
    return len(search(db, word, limit=1_000_000))


def bench_search(path: Path, cases: list[tuple[str, str, str, str]], rounds: int) -> None:
    """``cases``: (label, query, floor table, floor query); interleaved medians."""
    db = open_index(path)
    for label, query, table, raw in cases:
        ours, floor = _pair(db, label, query, table, raw)
        a: list[float] = []
        b: list[float] = []
        for pair in orders((ours, floor), rounds):
            for fn in pair:
                (a if fn is ours else b).append(median_ms(fn, 1))
        mine, base = statistics.median(a), statistics.median(b)
        hits = matching_works(db, query) if label != "filters only" else "-"
        print(
            f"  {label:16} {query!r:14} {hits!s:>6} works  {mine:7.1f} ms  "
            f"floor {base:7.1f} ms  = {mine / base:5.1f}x"
        )
    db.close()


def _pair(
    db: Database, label: str, query: str, table: str, raw: str
) -> tuple[Callable[[], object], Callable[[], object]]:
    """Our search and its floor for one case."""
    if label == "filters only":
        filters = Filters(fandoms=[FANDOMS[3]], completed=True)
        floor_sql = (
            "SELECT w.id FROM works w WHERE w.id IN (SELECT wt.work FROM work_tags wt "
            "JOIN tags t ON t.id = wt.tag WHERE t.name = ? AND t.type = 'fandom') "
            "AND w.completed = 1 ORDER BY w.updated DESC LIMIT 20"
        )
        return (
            lambda: search(db, "", filters),
            lambda: db.execute(floor_sql, [FANDOMS[3]]).fetchall(),
        )
    sort = "kudos" if label == "sorted by kudos" else None
    return (
        lambda: search(db, query, sort=sort),
        lambda: db.execute(floor_query(table, 4), [raw]).fetchall(),
    )


def pick(db_path: Path, words: list[str], target: int) -> str:
    """The word of ``words`` whose number of matching works is closest to ``target``."""
    db = open_index(db_path)
    best = min(words, key=lambda w: abs(matching_works(db, w) - target))
    db.close()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,5000,20000", help="works per index")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (7)")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the indexes in this folder")
    parser.add_argument("--cjk", action="store_true", help="the CJK side-index benchmark")
    parser.add_argument("--works", type=int, default=2000, help="works per corpus with --cjk")
    args = parser.parse_args()
    if args.cjk:
        cjk_main(args)
        return
    sizes = [int(n) for n in args.sizes.split(",")]
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        figures = {size: scale_run(scale_index(folder, size), args.rounds) for size in sizes}
    extrapolate(figures, 100_000)
    print(f"(load average now {os.getloadavg()[0]:.2f})")


def cjk_main(args: argparse.Namespace) -> None:
    """The CJK side-index benchmark (``--cjk``)."""
    english, chinese = Corpus("en"), Corpus("zh")
    en_records = [english.record(i) for i in range(1, args.works + 1)]
    zh_records = [chinese.record(i) for i in range(1, args.works + 1)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        en = bench_import("English", en_records, max(3, args.rounds // 2), folder)
        zh = bench_import("Chinese", zh_records, max(3, args.rounds // 2), folder)
        en_common, en_rare = english.words[40], english.words[3000]
        zh_common, zh_rare = chinese.words[60], chinese.words[3000]
        phrase_en = f'"{english.words[0]} {english.words[40]}"'
        print("English search (ours vs raw FTS5 with bm25 and snippet):")
        bench_search(
            en,
            [
                ("common word", en_common, "chapters_fts", en_common),
                ("rare word", en_rare, "chapters_fts", en_rare),
                ("phrase", phrase_en, "chapters_fts", phrase_en),
                ("filters only", "", "", ""),
                ("sorted by kudos", en_common, "chapters_fts", en_common),
            ],
            args.rounds,
        )
        print("Chinese search (ours vs raw FTS5 on the trigram index):")
        phrase_zh = chinese.words[3] + chinese.words[7] + chinese.words[1]
        bench_search(
            zh,
            [
                ("common word", zh_common, "chapters_cjk", _trigram(zh, zh_common)),
                ("rare word", zh_rare, "chapters_cjk", _trigram(zh, zh_rare)),
                ("phrase", phrase_zh, "chapters_cjk", _trigram(zh, phrase_zh)),
                ("filters only", "", "", ""),
                ("sorted by kudos", zh_common, "chapters_cjk", _trigram(zh, zh_common)),
            ],
            args.rounds,
        )
        db = open_index(zh)
        target = matching_works(db, zh_common)
        db.close()
        twin = pick(en, english.words[20:400:7], target)
        print(f"A CJK word against an English word with about as many matches ({target} works):")
        bench_search(en, [("English twin", twin, "chapters_fts", twin)], args.rounds)
        bench_search(
            zh,
            [("CJK word", zh_common, "chapters_cjk", _trigram(zh, zh_common))],
            args.rounds,
        )


# ------------------------------------------------------------------ search at scale

#: Query types: label -> (query, sort); "filters" adds :func:`scale_filters`.
SCALE_CASES = {
    "common word": (corpus.COMMON_WORD, "relevance"),
    "rare word": (corpus.RARE_WORD, "relevance"),
    "phrase": (corpus.PHRASE, "relevance"),
    "filters": (corpus.COMMON_WORD, "relevance"),
    "sort kudos": (corpus.COMMON_WORD, "kudos"),
}


def scale_index(folder: Path, size: int) -> Path:
    """An index of ``size`` generated works in ``folder`` (made once, then reused)."""
    path = folder / f"search-{size}.db"
    if path.exists():
        return path
    building = folder / f"search-{size}.building.db"
    start = time.perf_counter()
    with writable_index(building) as db:
        batch: list[Record] = []
        for record in corpus.records(size):
            batch.append(record)
            if len(batch) == 500:
                _store(db, batch)
                batch = []
        _store(db, batch)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    building.rename(path)
    print(f"built {path.name}: {size} works in {time.perf_counter() - start:.0f} s")
    return path


def _store(db: Database, records: list[Record]) -> None:
    with db.atomic():
        for record in records:
            save_record(db, record)


def scale_filters(db: Database) -> Filters:
    """The second most common fandom, one rating and a kudos floor: a selective filter."""
    fandoms = collections.Counter(
        name
        for (name,) in db.execute(
            "SELECT t.name FROM work_tags wt JOIN tags t ON t.id = wt.tag WHERE t.type = 'fandom'"
        )
    )
    second = fandoms.most_common(2)[-1][0]
    return Filters(fandoms=[second], rating="Teen And Up Audiences", kudos_min=20)


def scale_run(path: Path, rounds: int) -> dict[str, tuple[float, float]]:
    """Label -> (ours, floor) median CPU ms on the index at ``path``; printed as it goes."""
    rounds = balanced(rounds, 2)
    db = open_index(path, create=False, read_only=True)
    raw = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    works = db.execute("SELECT count(*) FROM works").fetchone()[0]
    filters = scale_filters(db)
    times: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in SCALE_CASES}
    for order in orders((0, 1), rounds):  # 0: ficindex, 1: the floor
        for label, (query, sort) in SCALE_CASES.items():
            wanted = filters if label == "filters" else Filters()
            sides = (
                partial(search, db, query, wanted, sort=sort),
                partial(raw_fts, raw, query, wanted, sort),
            )
            for into in order:
                start = time.process_time()
                sides[into]()
                times[label][into].append(time.process_time() - start)
    print(f"{works:,} works ({path.stat().st_size / 1e6:,.0f} MB): search() top 20 with "
          f"snippets vs raw FTS5, CPU ms, median of {rounds} interleaved rounds")  # fmt: skip
    figures = {}
    for label, (query, _) in SCALE_CASES.items():
        mine, base = (statistics.median(t) * 1000 for t in times[label])
        figures[label] = (mine, base)
        chapters = raw.execute(
            "SELECT count(*) FROM chapters_fts WHERE chapters_fts MATCH ?", [query]
        ).fetchone()[0]
        print(f"  {label:12} {query!r:16} {chapters:7,} chapters  ficindex {mine:8.1f}  "
              f"floor {base:8.1f}  = {mine / base:4.2f}x (goal <= 1.3)")  # fmt: skip
    db.close()
    raw.close()
    return figures


def extrapolate(figures: dict[int, dict[str, tuple[float, float]]], target: int) -> None:
    """Each query type at ``target`` works, by a least-squares line through the sizes run."""
    sizes = sorted(figures)
    if len(sizes) < 2:
        return
    print(f"extrapolated to {target:,} works (least squares over {', '.join(map(str, sizes))}):")
    for label in SCALE_CASES:
        ours, floor = (_line(sizes, [figures[n][label][i] for n in sizes], target) for i in (0, 1))
        print(
            f"  {label:12} ficindex {ours:8.0f} ms  floor {floor:8.0f} ms  = {ours / floor:4.2f}x"
        )


def _line(xs: list[int], ys: list[float], at: int) -> float:
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mean_x) ** 2 for x in xs
    )
    return mean_y + slope * (at - mean_x)


def _trigram(path: Path, word: str) -> str:
    """The trigram-index query ``search`` runs for ``word`` (the floor's query)."""
    from ficindex.index.search import _cjk_expression

    db = open_index(path)
    expression = _cjk_expression(db, "chapters_cjk", [word]) or '""'
    db.close()
    return expression


if __name__ == "__main__":
    main()
