"""Import, reparse and search against their floors, on generated corpora (issue 14).

Run by hand: ``python bench/bench_index.py [--sizes 1000,5000] [--rounds 3]``.
Measured on a busy 2-core machine (load 7-10): one round of 1,000 works
(import, two reparses, both contenders) takes about 1.5 minutes, one of 5,000
about 7; the default run (1000,5000, 3 rounds, 4 large works, search, memory)
about 30 minutes, ``--sizes 1000 --large 0`` about 6. ``--sizes
1000,5000,20000`` adds the big one (an hour or more). Everything is measured
in one run, on the same pages, contenders interleaved round by round in the
order of ``rounds.orders`` (rotating; the rounds rounded up to a multiple of the
contenders, so each runs first as often: ``--rounds 3`` runs 4), and the
median of the rounds is printed.

Corpus: ``bench/corpus.py`` works (1-3 chapters of 5-20 KB, Zipf vocabulary),
written as saved page files; ``--large N`` adds N works of 50 chapters
(about 1.4 MB each).

* **import**: ficindex as ``ficindex import`` runs it: the index opened by
  ``writable_index``, then ``exchange.commands.import_outcomes`` over the
  files (batches of pages, a savepoint a page). The floor: read each file, a
  bare ``LexborHTMLParser`` parse and one ``.text()`` per chapter node, then
  ONE transaction of ``executemany`` for the same rows (works, chapters,
  tags, authors, their links, stats history, raw pages compressed at
  ficindex's own zlib level) into the same tables with the triggers dropped,
  then a ``rebuild`` of every full-text index (both FTS5 tables and the
  trigram side indexes of CJK rows). The floor takes the metadata from the
  generator (it parses no metadata): it is the cost of the storage work done
  the plain way, plus the cheapest parse that reads all the text. After the
  import rounds, and again after the reparse rounds, both indexes are compared
  (row counts of every table, rows of every full-text index, bytes of
  compressed raw pages, and every table but the chapters row for row: works
  with their JSON list columns, tags, authors, series, collections and the
  links to them) and a difference is printed as a WARNING. The parse alone of
  each side is timed in the same rounds, so the figures are also printed
  without it ("excl. parse").
* **reparse**: ``loader.reparse_pages`` over ficindex's index after every
  stored chapter was made to differ (as after a parser upgrade that reads text
  differently: every chapter is rewritten), and ``reparse=`` over an index
  the same parser wrote (nothing to write); the floor, for both, reads and
  decompresses every raw page, parses it bare, and rewrites every derived row
  in one transaction, then rebuilds FTS.
* figures: seconds, and throughput in MB of chapter text per second; the ratio
  is ficindex's throughput / the floor's (issue 14 asks >= 0.5 on small works,
  >= 0.8 on large ones).
* **SQL statements per page** while importing (``set_trace_callback``), by kind.
* **memory**: peak RSS of a whole ``ficindex import`` process over 1/5 of the
  pages and over all of them (flat means the importer streams).
* **search**: ``ficindex.index.search.search`` (top 20 with snippets) for a
  common word, the rare word (one work in 500), a phrase, the common word with
  filters (fandom, rating, kudos), and the common word sorted by kudos, next
  to the raw FTS5 query on the same index: ``chapters_fts MATCH`` joined to
  chapters and works, ``bm25`` order (or the sort), same filters, ``snippet``,
  LIMIT 20. Issue 14 asks for 1.3x at most.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from selectolax.lexbor import LexborHTMLParser

import corpus
from ficindex.exchange.commands import import_outcomes
from ficindex.index import open_index, writable_index
from ficindex.index.filters import Filters
from ficindex.index.search import search
from ficindex.index.store import RAW_PAGE_LEVEL
from ficindex.loader import IMPORT_CHECKPOINT_PAGES, reparse_pages
from ficindex.parser import parse_page
from ficindex.record import Record
from rounds import balanced, orders

#: Tag list field of a record -> ``tags.type``.
TAG_TYPES = {
    "warnings": "warning",
    "categories": "category",
    "fandoms": "fandom",
    "relationships": "relationship",
    "characters": "character",
    "freeforms": "freeform",
}
COUNTERS = ("words", "chapters_posted", "comments", "kudos", "bookmarks", "hits")
#: SQLite's default page cache (KiB), which ficindex's import keeps.
DEFAULT_CACHE_KIB = 2000
try:  # the page cache of ficindex's reparse, which the floor's reparse gets too
    from ficindex.loader import REPARSE_CACHE_KIB
except ImportError:  # a ficindex from before it set one: SQLite's default
    REPARSE_CACHE_KIB = DEFAULT_CACHE_KIB

#: zlib level of the floor's raw pages: the store's own (``--zlib-level`` changes it), so
#: both contenders compress the same bytes the same way.
ZLIB_LEVEL = [RAW_PAGE_LEVEL]
#: The full-text tables the floor rebuilds: both FTS5 tables and the trigram side indexes
#: of CJK rows, so its index holds what ficindex's triggers write.
FTS_TABLES = ("works_fts", "chapters_fts", "works_cjk", "chapters_cjk")


@dataclass
class Corpus:
    """Generated works, their saved pages, and the MB of chapter text they hold."""

    name: str
    records: list[Record]
    paths: list[Path]
    megabytes: float


def make_corpus(name: str, records: list[Record], folder: Path) -> Corpus:
    paths = corpus.save(folder, records)
    return Corpus(name, records, paths, corpus.chapter_bytes(records) / 1e6)


# ------------------------------------------------------------------ contenders


def ficindex_import(db_path: Path, paths: list[Path]) -> None:
    """What ``ficindex import DB FILES`` does, minus the progress bar."""
    with writable_index(db_path) as db:
        for outcome in import_outcomes(db, paths):
            if outcome.error:
                raise SystemExit(f"ficindex could not import {outcome.name}: {outcome.error}")


def ficindex_parse(paths: list[Path]) -> None:
    """ficindex's share of an import that is the parser's: read and parse every page."""
    for path in paths:
        parse_page(path.read_bytes())


def floor_parse(paths: list[Path]) -> None:
    """The floor's parse alone: read every page, bare lexbor and the chapter texts."""
    for path in paths:
        bare_texts(path.read_bytes())


def ficindex_reparse(db_path: Path) -> None:
    with writable_index(db_path) as db:
        for outcome in reparse_pages(db):
            if outcome.error:
                raise SystemExit(f"reparse failed on {outcome.name}: {outcome.error}")


def bare_texts(body: bytes) -> list[str]:
    """The floor's parse: lexbor, then one ``.text()`` per chapter text node."""
    tree = LexborHTMLParser(body)
    return [
        node.text(separator="\n", strip=True) for node in tree.css("div#chapters div.userstuff")
    ]


def prepare_floor(db_path: Path) -> sqlite3.Connection:
    """A fresh index (ficindex's own schema) with the FTS triggers dropped, untimed."""
    open_index(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("PRAGMA synchronous = NORMAL")
    triggers = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for (name,) in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    return conn


class FloorRows:
    """The rows of every table, built plainly, with per-run id caches.

    Tags, authors and collections get ids the way SQLite gives ficindex's rows
    theirs (the next integer, in the order the pages first name them); series
    keep AO3's id. Series and collection titles are stored as the first page
    naming them gives them (ficindex keeps the last page's; the corpus gives a
    series or collection one title everywhere).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.work_columns = [r[1] for r in conn.execute("PRAGMA table_info(works)")]
        self.tags = {(n, t): i for i, n, t in conn.execute("SELECT id, name, type FROM tags")}
        self.authors = {
            (u, p): i for i, u, p in conn.execute("SELECT id, user, pseud FROM authors")
        }
        self.series = {i for (i,) in conn.execute("SELECT id FROM series")}
        self.collections = {n: i for i, n in conn.execute("SELECT id, name FROM collections")}
        self.new_tags: list[tuple[int, str, str]] = []
        self.new_authors: list[tuple[int, str, str]] = []
        self.new_series: dict[int, list[Any]] = {}  # id -> [id, title, title_at]
        self.new_collections: dict[str, list[Any]] = {}  # name -> [id, name, title, title_at]
        self.works: list[tuple[Any, ...]] = []
        self.work_tags: list[tuple[int, int]] = []
        self.work_authors: list[tuple[int, int]] = []
        self.work_series: list[tuple[int, int, int | None]] = []
        self.work_collections: list[tuple[int, int]] = []
        self.chapters: list[tuple[Any, ...]] = []
        self.history: list[tuple[Any, ...]] = []

    def _tag(self, name: str, kind: str) -> int:
        key = (name, kind)
        tag = self.tags.get(key)
        if tag is None:
            tag = self.tags[key] = len(self.tags) + 1
            self.new_tags.append((tag, name, kind))
        return tag

    def _author(self, user: str, pseud: str) -> int:
        key = (user, pseud)
        author = self.authors.get(key)
        if author is None:
            author = self.authors[key] = len(self.authors) + 1
            self.new_authors.append((author, user, pseud))
        return author

    def _series(self, series_id: int, title: str, at: str) -> int:
        """The series' id; its title is the one the newest page gave (as ficindex keeps it)."""
        if series_id not in self.series:
            self.series.add(series_id)
            self.new_series[series_id] = [series_id, title, at]
        row = self.new_series.get(series_id)
        if row is not None and at >= row[2]:
            row[1:] = [title, at]
        return series_id

    def _collection(self, name: str, title: str, at: str) -> int:
        collection = self.collections.get(name)
        if collection is None:
            collection = self.collections[name] = len(self.collections) + 1
            self.new_collections[name] = [collection, name, title, at]
        row = self.new_collections.get(name)
        if row is not None and at >= row[3]:
            row[2:] = [title, at]
        return collection

    def add(self, r: Record, texts: list[str], at: str) -> None:
        wid = r.work_id
        assert wid is not None
        dumps = json.dumps
        values: dict[str, Any] = {
            "id": wid,
            "title": r.title,
            "authors": dumps([corpus.author_label(a.pseud, a.user) for a in r.authors]),
            "anonymous": int(r.anonymous),
            "gifts": dumps(r.gifts, ensure_ascii=False),
            "rating": r.rating,
            "language": r.language,
            "series": dumps([s.title for s in r.series], ensure_ascii=False),
            "collections": dumps([c.title for c in r.collections], ensure_ascii=False),
            "published": r.published,
            "updated": r.updated,
            "completed": int(r.completed),
            "chapters_total": r.chapters_total,
            "summary": r.summary,
            "notes": r.notes,
            "end_notes": r.end_notes,
            "restricted": int(r.restricted),
            "status": "ok",
            "first_seen": at,
            "last_fetched": at,
            "last_full_fetch": at,
        }
        for name in TAG_TYPES:
            values[name] = dumps(getattr(r, name), ensure_ascii=False)
        for name in COUNTERS:
            values[name] = getattr(r, name)
        self.works.append(tuple(values.get(c) for c in self.work_columns))
        tags = [(r.rating, "rating")] if r.rating else []
        tags += [(n, kind) for field, kind in TAG_TYPES.items() for n in getattr(r, field)]
        self.work_tags += [(wid, self._tag(n, kind)) for n, kind in tags]
        self.work_authors += [(wid, self._author(a.user, a.pseud)) for a in r.authors]
        self.work_series += [(wid, self._series(s.id, s.title, at), s.position) for s in r.series]
        self.work_collections += [
            (wid, self._collection(c.name, c.title, at)) for c in r.collections
        ]
        for ch, text in zip(r.chapters, texts, strict=True):
            cid = ch.chapter_id or -(wid * 100_000 + ch.number)
            self.chapters.append(
                (cid, wid, ch.number, ch.title, ch.summary, ch.notes, ch.end_notes, text)
            )
        self.history.append((wid, at, *(getattr(r, c) for c in COUNTERS)))

    def write(self, conn: sqlite3.Connection) -> None:
        """Every row by ``executemany`` (call inside the one transaction)."""
        marks = ", ".join("?" * len(self.work_columns))
        conn.executemany(f"INSERT OR REPLACE INTO works VALUES ({marks})", self.works)
        conn.executemany("INSERT INTO tags (id, name, type) VALUES (?, ?, ?)", self.new_tags)
        conn.executemany("INSERT INTO authors (id, user, pseud) VALUES (?, ?, ?)", self.new_authors)
        conn.executemany("INSERT INTO work_tags (work, tag) VALUES (?, ?)", self.work_tags)
        conn.executemany("INSERT INTO work_authors (work, author) VALUES (?, ?)", self.work_authors)
        conn.executemany(
            "INSERT INTO series (id, title, title_at) VALUES (?, ?, ?)", self.new_series.values()
        )
        conn.executemany(
            "INSERT INTO collections (id, name, title, title_at) VALUES (?, ?, ?, ?)",
            self.new_collections.values(),
        )
        conn.executemany(
            "INSERT INTO work_series (work, series, position) VALUES (?, ?, ?)", self.work_series
        )
        conn.executemany(
            "INSERT INTO work_collections (work, collection) VALUES (?, ?)", self.work_collections
        )
        conn.executemany(
            "INSERT INTO chapters (id, work, number, title, summary, notes, end_notes, text) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            self.chapters,
        )
        conn.executemany(
            "INSERT OR IGNORE INTO stats_history (work, fetched_at, words, chapters_posted, "
            "comments, kudos, bookmarks, hits) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            self.history,
        )


def rebuild_fts(conn: sqlite3.Connection) -> None:
    for table in FTS_TABLES:
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")


def utc(mtime: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mtime))


def floor_connect(db_path: Path, cache_kib: int) -> sqlite3.Connection:
    """The floor's connection, set as ficindex sets its own: WAL with synchronous NORMAL,
    the same checkpoint interval, and the page cache ficindex's run uses."""
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA cache_size = -{cache_kib}")
    conn.execute(f"PRAGMA wal_autocheckpoint = {IMPORT_CHECKPOINT_PAGES}")
    return conn


def floor_import(db_path: Path, c: Corpus) -> None:
    """Bare parse of every file, then one transaction of executemany, then FTS rebuild.

    Opens and closes its connection, as a run of ``ficindex import`` does (closing
    the last connection checkpoints the write-ahead log into the file).
    """
    conn = floor_connect(db_path, DEFAULT_CACHE_KIB)
    try:
        _floor_import(conn, c)
    finally:
        conn.close()


def _floor_import(conn: sqlite3.Connection, c: Corpus) -> None:
    rows = FloorRows(conn)
    raw = []
    for record, path in zip(c.records, c.paths, strict=True):
        body = path.read_bytes()
        at = utc(path.stat().st_mtime)
        rows.add(record, bare_texts(body), at)
        digest = hashlib.sha256(body).hexdigest()
        compressed = zlib.compress(body, ZLIB_LEVEL[0])
        raw.append((None, path.name, at, None, record.work_id, digest, len(body), compressed))
    with conn:
        conn.executemany(
            "INSERT INTO raw_pages (url, source, fetched_at, http_status, work_id, sha256, "
            "size, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            raw,
        )
        rows.write(conn)
        rebuild_fts(conn)


def floor_reparse(db_path: Path, c: Corpus) -> None:
    """Every raw page decompressed and parsed bare; every derived row rewritten; FTS rebuilt."""
    conn = floor_connect(db_path, REPARSE_CACHE_KIB)
    try:
        _floor_reparse(conn, c)
    finally:
        conn.close()


def _floor_reparse(conn: sqlite3.Connection, c: Corpus) -> None:
    by_id = {r.work_id: r for r in c.records}
    rows = FloorRows(conn)
    for work_id, at, body in conn.execute(
        "SELECT work_id, fetched_at, body FROM raw_pages ORDER BY fetched_at, id"
    ):
        rows.add(by_id[work_id], bare_texts(zlib.decompress(body)), at)
    with conn:
        conn.execute("DELETE FROM work_tags")
        conn.execute("DELETE FROM work_authors")
        conn.execute("DELETE FROM work_series")
        conn.execute("DELETE FROM work_collections")
        conn.execute("DELETE FROM chapters")
        rows.write(conn)
        rebuild_fts(conn)


# ------------------------------------------------------------------ timing


def interleaved(
    rounds: int, contenders: dict[str, tuple[Callable[[], None], Callable[[], None]]]
) -> dict[str, float]:
    """Median seconds of each contender's ``run`` (after its untimed ``setup``), interleaved.

    Also the median CPU seconds of this process, under ``"<name> cpu"``: every contender
    runs in this process, and on a machine shared with other work CPU time moves far
    less with the load than the wall clock does.
    """
    times: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    for order in orders(list(contenders), rounds):
        for name in order:
            setup, run = contenders[name]
            setup()
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    medians = {name: statistics.median(t) for name, t in times.items()}
    return medians | {f"{name} cpu": statistics.median(t) for name, t in cpu.items()}


def show(label: str, c: Corpus, timed: dict[str, float], goal: float) -> None:
    """One line: each side's median time and throughput, the ratio, and the CPU-time ratio."""
    mb = c.megabytes
    ours, floor = timed["ficindex"], timed["floor"]
    cpu = timed["floor cpu"] / timed["ficindex cpu"]
    print(f"  {label:8} ficindex {ours:8.2f} s {mb / ours:6.2f} MB/s   floor {floor:7.2f} s "
          f"{mb / floor:6.2f} MB/s   ratio {floor / ours:5.2f} (goal >= {goal}; "
          f"CPU time {cpu:4.2f})")  # fmt: skip


def bench_import_reparse(c: Corpus, tmp: Path, rounds: int, goal: float) -> tuple[Path, Path]:
    """Import and reparse, both contenders; returns the last index each built.

    The parse alone of each contender is timed in the same rounds, so the store's
    share can be read without the parser's (printed as "excl. parse").
    """
    ours_db, floor_db = tmp / f"{c.name}-ficindex.db", tmp / f"{c.name}-floor.db"
    rounds = balanced(rounds, 4)  # every timing below has 2 or 4 contenders

    def fresh_ours() -> None:
        # An empty index made untimed, as the floor's is: both time the import alone.
        remove_db(ours_db)
        open_index(ours_db).close()

    def fresh_floor() -> None:
        remove_db(floor_db)
        prepare_floor(floor_db).close()

    def nothing() -> None:
        pass

    imported = interleaved(
        rounds,
        {
            "ficindex": (fresh_ours, lambda: ficindex_import(ours_db, c.paths)),
            "floor": (fresh_floor, lambda: floor_import(floor_db, c)),
            "ficindex parse": (nothing, lambda: ficindex_parse(c.paths)),
            "floor parse": (nothing, lambda: floor_parse(c.paths)),
        },
    )
    same_rows(ours_db, floor_db, "import")
    unchanged = interleaved(
        rounds,
        {
            "ficindex": (nothing, lambda: ficindex_reparse(ours_db)),
            "floor": (nothing, lambda: floor_reparse(floor_db, c)),
        },
    )
    reparsed = interleaved(
        rounds,
        {
            "ficindex": (lambda: age_chapters(ours_db), lambda: ficindex_reparse(ours_db)),
            "floor": (nothing, lambda: floor_reparse(floor_db, c)),
        },
    )
    same_rows(ours_db, floor_db, "reparse")
    pages = len(c.records)
    load = os.getloadavg()[0]
    print(f"{c.name}: {pages} works, {c.megabytes:.1f} MB of chapter text, "
          f"median of {rounds} interleaved rounds, load average {load:.2f}")  # fmt: skip
    show("import", c, imported, goal)
    show("reparse", c, reparsed, goal)
    show("reparse=", c, unchanged, goal)
    ours_parse, floor_parse_s = imported["ficindex parse"], imported["floor parse"]
    print(f"  parse alone: ficindex {ours_parse:.3f} s, floor {floor_parse_s:.3f} s "
          f"(ratio {floor_parse_s / ours_parse:.2f})")  # fmt: skip
    for label, timed in (("import", imported), ("reparse", reparsed)):
        ours, floor = timed["ficindex"] - ours_parse, timed["floor"] - floor_parse_s
        cpu = (timed["floor cpu"] - imported["floor parse cpu"]) / (
            timed["ficindex cpu"] - imported["ficindex parse cpu"]
        )
        print(f"  {label} excl. parse: ficindex {ours:.2f} s, floor {floor:.2f} s, "
              f"ratio {floor / ours:.2f} (CPU time {cpu:.2f})")  # fmt: skip
    print(f"  per work: import {imported['ficindex'] / pages * 1000:.1f} ms "
          f"(floor {imported['floor'] / pages * 1000:.1f} ms), reparse "
          f"{reparsed['ficindex'] / pages * 1000:.1f} ms "
          f"(floor {reparsed['floor'] / pages * 1000:.1f} ms)")  # fmt: skip
    return ours_db, floor_db


#: What both imports must hold alike for the floor to be the same work: row counts of
#: every table written, rows of each full-text index, and the raw pages' compressed bytes
#: (equal only when both compressed at the same level).
SAME_ROWS = {
    **{
        t: f"SELECT count(*) FROM {t}"
        for t in (
            "works",
            "chapters",
            "tags",
            "authors",
            "work_tags",
            "work_authors",
            "series",
            "work_series",
            "collections",
            "work_collections",
            "stats_history",
            "raw_pages",
        )
    },
    **{f"{t} rows": f"SELECT count(*) FROM {t}_docsize" for t in FTS_TABLES},
    "raw page bytes": "SELECT sum(length(body)) FROM raw_pages",
}


#: Tables both indexes must hold row for row, each with the order its rows are compared
#: in: every table written but the chapters, whose text each side reads its own way. A
#: work's links keep the order its page lists them in (export rebuilds lists from it).
SAME_CONTENT = {
    "works": "id",
    "tags": "id",
    "authors": "id",
    "series": "id",
    "collections": "id",
    "work_tags": "work, rowid",
    "work_authors": "work, rowid",
    "work_series": "work, rowid",
    "work_collections": "work, rowid",
    "stats_history": "work, fetched_at",
}


def table_digest(conn: sqlite3.Connection, table: str, order: str) -> str:
    digest = hashlib.sha256()
    for row in conn.execute(f"SELECT * FROM {table} ORDER BY {order}"):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def same_rows(ours: Path, floor: Path, when: str) -> None:
    """Say whether the floor's index holds what ficindex's does (SAME_ROWS, SAME_CONTENT)."""
    got = []
    for path in (ours, floor):
        conn = sqlite3.connect(path)
        got.append(
            {k: conn.execute(q).fetchone()[0] for k, q in SAME_ROWS.items()}
            | {f"{t} row for row": table_digest(conn, t, o) for t, o in SAME_CONTENT.items()}
        )
        conn.close()
    differ = [k if "row for row" in k else f"{k}: {got[0][k]} vs {got[1][k]}"
              for k in got[0] if got[0][k] != got[1][k]]  # fmt: skip
    if differ:
        print(f"  WARNING: after {when}, the floor's index differs from ficindex's: "
              + "; ".join(differ))  # fmt: skip
    else:
        print(f"  after {when}, same rows in both indexes ({got[0]['works']} works, "
              f"{got[0]['work_series']} series and {got[0]['work_collections']} collection "
              f"links, {got[0]['chapters']} chapters, {got[0]['raw page bytes'] / 1e6:.1f} MB "
              "of raw pages; every table but chapters row for row)")  # fmt: skip


def age_chapters(db_path: Path) -> None:
    """Make every stored chapter differ from what its page parses to (untimed setup).

    A parser upgrade that changes how text is read makes ``reparse`` rewrite every
    chapter; this puts the index in that state. Without it, reparse of an index
    the same parser wrote finds nothing to change (the ``reparse=`` line).
    """
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE chapters SET text = text || ' (old parser)'")
    conn.close()


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# ------------------------------------------------------------------ statements


def statement_kind(sql: str) -> str:
    """A statement's family: its verb and table, PRAGMA name, or savepoint traffic."""
    words = sql.strip().split()
    if not words:
        return "?"
    verb = words[0].upper()
    if verb == "--":
        return "trigger body"
    lowered = " ".join(words).lower()
    if "from sqlite_master" in lowered:
        return "select ... from sqlite_master"
    if verb == "PRAGMA":
        return "PRAGMA " + words[1].split("(")[0].split("=")[0].lower()
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"):
        return "savepoint/transaction"
    for marker in (" into ", " from ", "update "):
        if marker in f" {lowered}":
            after = f" {lowered}".split(marker, 1)[1].split()
            if after:
                table = after[0].strip('[]"')
                return f"{verb} {table}"
    return verb


def count_statements(c: Corpus, tmp: Path, pages: int) -> None:
    """SQL statements per page over the first ``pages`` files, ficindex and floor."""
    subset = Corpus(c.name, c.records[:pages], c.paths[:pages], 0.0)
    kinds: collections.Counter[str] = collections.Counter()
    path = tmp / "trace.db"
    remove_db(path)
    with writable_index(path) as db:
        db.conn.set_trace_callback(lambda sql: kinds.update([statement_kind(sql)]))
        for _ in import_outcomes(db, subset.paths):
            pass
        db.conn.set_trace_callback(None)
    remove_db(path)
    floor_kinds: collections.Counter[str] = collections.Counter()
    conn = prepare_floor(path)
    conn.set_trace_callback(lambda sql: floor_kinds.update([statement_kind(sql)]))
    _floor_import(conn, subset)
    conn.close()
    remove_db(path)
    total = sum(kinds.values())
    print(f"SQL statements per page ({pages} pages of {c.name}; executemany rows count one each)")
    print(f"  ficindex {total / pages:7.1f}   floor {sum(floor_kinds.values()) / pages:7.1f}")
    for kind, n in kinds.most_common(12):
        print(f"    {n / pages:7.1f}  {kind}")


# ------------------------------------------------------------------ memory


def peak_rss(argv: list[str]) -> int:
    """Peak RSS in bytes of one process, measured through a small wrapper process.

    Linux counts a forking parent's memory in the child's peak, so a child started
    straight from this (large) benchmark would report our size, not its own.
    """
    wrapper = (
        "import os, subprocess, sys\n"
        "child = subprocess.Popen(sys.argv[1:])\n"
        "_, status, usage = os.wait4(child.pid, 0)\n"
        "print(usage.ru_maxrss if os.waitstatus_to_exitcode(status) == 0 else -1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *argv], stdout=subprocess.PIPE, text=True, check=True
    )
    kib = int(done.stdout.split()[-1])
    if kib < 0:
        raise SystemExit(f"{' '.join(argv[:4])} ... failed")
    return kib * 1024


def bench_memory(c: Corpus, tmp: Path) -> None:
    """Peak RSS of ``ficindex import`` over a fifth of the pages and over all of them."""
    results = []
    for paths in (c.paths[: max(1, len(c.paths) // 5)], c.paths):
        db = tmp / "rss.db"
        remove_db(db)
        argv = [sys.executable, "-m", "ficindex", "import", "--silent", str(db)]
        results.append((len(paths), peak_rss([*argv, *map(str, paths)])))
        remove_db(db)
    bare = peak_rss([sys.executable, "-c", "import ficindex.cli, sqlite3"])
    (n1, r1), (n2, r2) = results
    print(f"memory: peak RSS of 'ficindex import' ({c.name}): {n1} pages {r1 / 1e6:.1f} MB, "
          f"{n2} pages {r2 / 1e6:.1f} MB (growth {(r2 - r1) / 1e6:+.1f} MB; "
          f"python + ficindex imports alone {bare / 1e6:.1f} MB)")  # fmt: skip


# ------------------------------------------------------------------ search


def search_cases(c: Corpus) -> dict[str, tuple[str, Filters, str]]:
    """Query type -> (FTS5 query, filters, sort)."""
    fandoms = collections.Counter(f for r in c.records for f in r.fandoms)
    second = fandoms.most_common(2)[-1][0]
    filters = Filters(fandoms=[second], rating="Teen And Up Audiences", kudos_min=20)
    return {
        "common word": (corpus.COMMON_WORD, Filters(), "relevance"),
        "rare word": (corpus.RARE_WORD, Filters(), "relevance"),
        "phrase": (corpus.PHRASE, Filters(), "relevance"),
        "filters": (corpus.COMMON_WORD, filters, "relevance"),
        "sort kudos": (corpus.COMMON_WORD, Filters(), "kudos"),
    }


def raw_fts(conn: sqlite3.Connection, query: str, filters: Filters, sort: str) -> list[Any]:
    """The floor: FTS5 bm25 over chapters joined to works, sorted and cut to 20, then snippets.

    The snippets are taken in an outer query for the 20 rows only: in one flat
    query SQLite would compute a snippet for every matching chapter before sorting.
    """
    where, params = filters.where("w")
    order = "w.kudos DESC, score" if sort == "kudos" else "score"
    sql = (
        "SELECT t.*, snippet(chapters_fts, 4, '[', ']', '…', 16) FROM ("
        "  SELECT c.id AS chapter, w.id, w.title, w.authors, w.fandoms, w.rating, w.words,"
        "    w.kudos, w.hits, w.updated, w.completed, bm25(chapters_fts) AS score"
        "  FROM chapters_fts JOIN chapters c ON c.id = chapters_fts.rowid"
        "  JOIN works w ON w.id = c.work"
        f"  WHERE chapters_fts MATCH :q AND {where} ORDER BY {order} LIMIT 20"
        ") t JOIN chapters_fts ON chapters_fts.rowid = t.chapter "
        f"WHERE chapters_fts MATCH :q ORDER BY {order.replace('w.', 't.')}"
    )
    return conn.execute(sql, {"q": query, **params}).fetchall()


def bench_search(c: Corpus, db_path: Path, rounds: int) -> None:
    cases = search_cases(c)
    times: dict[str, dict[str, list[float]]] = {k: {"ours": [], "raw": []} for k in cases}
    counts: dict[str, int] = {}
    db = open_index(db_path, create=False, read_only=True)
    raw = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        for order in orders(("ours", "raw"), rounds):
            for name, (query, filters, sort) in cases.items():
                runs: dict[str, Callable[[], list[Any]]] = {
                    "ours": partial(search, db, query, filters, sort=sort),
                    "raw": partial(raw_fts, raw, query, filters, sort),
                }
                for side, run in ((side, runs[side]) for side in order):
                    start = time.perf_counter()
                    found = run()
                    times[name][side].append(time.perf_counter() - start)
                    if side == "ours":
                        counts[name] = len(found)
    finally:
        db.close()
        raw.close()
    matching = chapter_matches(db_path, {k: v[0] for k, v in cases.items()})
    print(f"search ({c.name}, {len(c.records)} works), top 20 with snippets, "
          f"median of {balanced(rounds, 2)} interleaved rounds, ms:")  # fmt: skip
    for name, (query, _, _) in cases.items():
        ours = statistics.median(times[name]["ours"]) * 1000
        floor = statistics.median(times[name]["raw"]) * 1000
        print(f"  {name:12} {query!r:16} ficindex {ours:8.2f}   raw FTS5 {floor:8.2f}   "
              f"ratio {ours / floor:5.2f} (goal <= 1.3)   "
              f"{matching[name]} chapters match, {counts[name]} rows")  # fmt: skip


def chapter_matches(db_path: Path, queries: dict[str, str]) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return {
            name: conn.execute(
                "SELECT count(*) FROM chapters_fts WHERE chapters_fts MATCH ?", [q]
            ).fetchone()[0]
            for name, q in queries.items()
        }
    finally:
        conn.close()


# ------------------------------------------------------------------ profile


#: Functions whose cumulative time the profile summary shows per work (by name).
PROFILE_PARTS = (
    "import_files",
    "parse_page",
    "save_raw_page",
    "compress",
    "save_record",
    "save_work",
    "work_row",
    "save_related",
    "_lookup",
    "save_chapters",
    "record_stats",
    "insert_work",
    "update_work",
    "_finish",
    "__exit__",
)


def profile_import(c: Corpus, tmp: Path, pages: int, top: int) -> None:
    """cProfile of ficindex importing ``pages`` pages: where the time per work goes."""
    import cProfile
    import pstats

    db = tmp / "profile.db"
    remove_db(db)
    profiler = cProfile.Profile()
    profiler.enable()
    ficindex_import(db, c.paths[:pages])
    profiler.disable()
    remove_db(db)
    stats = pstats.Stats(profiler)
    total: float = getattr(stats, "total_tt", 0.0)
    print(f"cProfile of importing {pages} pages of {c.name} "
          f"({total / pages * 1000:.1f} ms per work under the profiler)")  # fmt: skip
    table: dict[tuple[str, int, str], tuple[Any, ...]] = getattr(stats, "stats", {})
    parts: dict[str, float] = collections.defaultdict(float)
    for (_, _, func), (_, _, _, cumulative, _) in table.items():
        name = func.rstrip(">'")
        for part in PROFILE_PARTS:
            if name == part or name.endswith((f".{part}", f" {part}")):
                parts[part] += cumulative
    print("  cumulative ms per work of named functions (nested: they overlap):")
    for part in PROFILE_PARTS:
        if part in parts:
            print(f"    {parts[part] / pages * 1000:7.2f}  {part}")
    for sort in ("tottime", "cumulative"):
        print(f"  top {top} by {sort}:")
        stats.sort_stats(sort).print_stats(top)
    fts_share(c, tmp, pages)


def fts_share(c: Corpus, tmp: Path, pages: int) -> None:
    """ficindex import with and without the per-row FTS triggers (then one rebuild)."""
    db = tmp / "fts.db"

    def without_triggers() -> None:
        remove_db(db)
        prepare_floor(db).close()  # ficindex's schema, FTS triggers dropped

    def run_without() -> None:
        ficindex_import(db, c.paths[:pages])
        conn = sqlite3.connect(db)
        with conn:
            rebuild_fts(conn)
        conn.close()

    medians = interleaved(
        3,
        {
            "with triggers": (lambda: remove_db(db), lambda: ficindex_import(db, c.paths[:pages])),
            "without": (without_triggers, run_without),
        },
    )
    remove_db(db)
    share = 1 - medians["without"] / medians["with triggers"]
    print(f"  FTS triggers: import of {pages} pages {medians['with triggers']:.2f} s with them, "
          f"{medians['without']:.2f} s without (one rebuild at the end): "
          f"{share:.0%} of import")  # fmt: skip


# ------------------------------------------------------------------ main


def corpora(sizes: list[int], large: int, seed: int, tmp: Path) -> Iterator[tuple[Corpus, float]]:
    """Each corpus with its throughput goal, written to ``tmp`` only when its turn comes."""
    for size in sizes:
        start = time.perf_counter()
        c = make_corpus(f"{size} works", list(corpus.records(size, seed)), tmp / f"pages-{size}")
        print(f"(generated {size} works in {time.perf_counter() - start:.1f} s)")
        yield c, 0.5
        shutil.rmtree(tmp / f"pages-{size}")
    if large:
        records = list(corpus.large_records(large))
        yield make_corpus(f"{large} large works", records, tmp / "pages-large"), 0.8


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--sizes", default="1000,5000", help="corpus sizes (1000,5000)")
    parser.add_argument("--rounds", type=int, default=3, help="import/reparse rounds (3)")
    parser.add_argument("--search-rounds", type=int, default=7, help="search rounds, or 0 (7)")
    parser.add_argument("--large", type=int, default=4, help="large works, 0 for none (4)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    parser.add_argument("--no-memory", action="store_true", help="skip the RSS processes")
    parser.add_argument("--trace-pages", type=int, default=100, help="pages for SQL counts")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile an import of N pages"
    )
    parser.add_argument("--only-profile", action="store_true", help="just the profile")
    parser.add_argument(
        "--zlib-level",
        type=int,
        default=RAW_PAGE_LEVEL,
        help=f"zlib level of the floor's raw pages (ficindex's own: {RAW_PAGE_LEVEL})",
    )
    args = parser.parse_args()
    ZLIB_LEVEL[0] = args.zlib_level
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        first = True
        for c, goal in corpora(sizes, args.large, args.seed, tmp):
            if args.profile and first:
                profile_import(c, tmp, args.profile, 25)
                if args.only_profile:
                    return
            if first:
                count_statements(c, tmp, min(args.trace_pages, len(c.paths)))
            ours_db, _ = bench_import_reparse(c, tmp, args.rounds, goal)
            if "large" not in c.name and args.search_rounds:
                bench_search(c, ours_db, args.search_rounds)
            if first and not args.no_memory:
                bench_memory(c, tmp)
            first = False
            for db in tmp.glob("*.db"):
                remove_db(db)
            print(f"(load average now {os.getloadavg()[0]:.2f})", flush=True)


if __name__ == "__main__":
    main()
