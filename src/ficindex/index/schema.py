"""The index's tables, versioned with ``sqlite_utils.Migrations`` (SPEC section 3).

Each migration is a named step applied once, in order, inside a transaction;
the names applied so far live in ``_sqlite_migrations``. An index made by an
older ficindex is upgraded in place the next time any command opens it. An
index made by a *newer* ficindex carries a migration name this code does not
know: we refuse to touch it rather than write rows in a shape the newer code
would not expect.

Full-text search uses one tokenizer, chosen on purpose:
``porter unicode61 remove_diacritics 2``. ``unicode61`` splits on Unicode
word boundaries for every script (Cyrillic, Greek, accented Latin...), and
``remove_diacritics 2`` folds accents so ``cafe`` finds ``café`` and
``Pokemon`` finds ``Pokémon``. The ``porter`` stemmer over it lets English
queries match inflections (``lover`` finds ``lovers``); it only rewrites
ASCII-letter tokens and does so the same way at index and query time, so
non-English words stay findable. ``unicode61`` keeps a run of Chinese or
Japanese between punctuation as one token, so the rows holding CJK text are
also indexed by the ``trigram`` tokenizer in side indexes (``works_cjk``,
``chapters_cjk``, migration m003), where any word is a substring.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database, Migrations

from ficindex.index.layout import (
    CHAPTERS_FTS_COLUMNS,
    CJK_RANGES,
    MIGRATION_SET,
    WORKS_FTS_COLUMNS,
)

#: The migration set of the index. The crawler keeps its own set ("ficindex-crawl").
MIGRATIONS = Migrations(MIGRATION_SET)

#: Every migration name registered below, in order (``layout.STEPS`` names the same).
MIGRATION_NAMES: list[str] = []

#: The tokenizer of both FTS5 tables (see the module docstring for why).
TOKENIZER = "porter unicode61 remove_diacritics 2"


def _migration(fn: Callable[[Database], None]) -> Callable[[Database], None]:
    """Register ``fn`` under its own name in :data:`MIGRATIONS` and :data:`MIGRATION_NAMES`."""
    MIGRATION_NAMES.append(fn.__name__)
    return MIGRATIONS(name=fn.__name__)(fn)


_WORKS = """
CREATE TABLE works (
    id INTEGER PRIMARY KEY,
    title TEXT,
    authors TEXT NOT NULL DEFAULT '[]',
    anonymous INTEGER NOT NULL DEFAULT 0,
    gifts TEXT NOT NULL DEFAULT '[]',
    rating TEXT,
    warnings TEXT NOT NULL DEFAULT '[]',
    categories TEXT NOT NULL DEFAULT '[]',
    fandoms TEXT NOT NULL DEFAULT '[]',
    relationships TEXT NOT NULL DEFAULT '[]',
    characters TEXT NOT NULL DEFAULT '[]',
    freeforms TEXT NOT NULL DEFAULT '[]',
    language TEXT,
    series TEXT NOT NULL DEFAULT '[]',
    collections TEXT NOT NULL DEFAULT '[]',
    published TEXT,
    updated TEXT,
    completed INTEGER NOT NULL DEFAULT 0,
    words INTEGER,
    comments INTEGER,
    kudos INTEGER,
    bookmarks INTEGER,
    hits INTEGER,
    chapters_posted INTEGER,
    chapters_total INTEGER,
    summary TEXT,
    notes TEXT,
    end_notes TEXT,
    restricted INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'ok',
    status_at TEXT,
    first_seen TEXT,
    last_fetched TEXT,
    last_full_fetch TEXT
)
"""

_OTHER_TABLES = """
CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    user TEXT NOT NULL,
    pseud TEXT NOT NULL,
    UNIQUE (user, pseud)
);
CREATE TABLE work_authors (
    work INTEGER NOT NULL REFERENCES works(id),
    author INTEGER NOT NULL REFERENCES authors(id),
    PRIMARY KEY (work, author)
);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    UNIQUE (name, type)
);
CREATE TABLE work_tags (
    work INTEGER NOT NULL REFERENCES works(id),
    tag INTEGER NOT NULL REFERENCES tags(id),
    PRIMARY KEY (work, tag)
);
CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    title TEXT
);
CREATE TABLE work_series (
    work INTEGER NOT NULL REFERENCES works(id),
    series INTEGER NOT NULL REFERENCES series(id),
    position INTEGER,
    PRIMARY KEY (work, series)
);
CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    title TEXT
);
CREATE TABLE work_collections (
    work INTEGER NOT NULL REFERENCES works(id),
    collection INTEGER NOT NULL REFERENCES collections(id),
    PRIMARY KEY (work, collection)
);
CREATE TABLE chapters (
    id INTEGER PRIMARY KEY,
    work INTEGER NOT NULL REFERENCES works(id),
    number INTEGER NOT NULL,
    title TEXT,
    summary TEXT,
    notes TEXT,
    end_notes TEXT,
    text TEXT NOT NULL DEFAULT '',
    vanished_at TEXT
);
CREATE UNIQUE INDEX chapters_present_number ON chapters (work, number)
    WHERE vanished_at IS NULL;
CREATE TABLE stats_history (
    work INTEGER NOT NULL REFERENCES works(id),
    fetched_at TEXT NOT NULL,
    words INTEGER,
    chapters_posted INTEGER,
    comments INTEGER,
    kudos INTEGER,
    bookmarks INTEGER,
    hits INTEGER,
    PRIMARY KEY (work, fetched_at)
);
CREATE TABLE raw_pages (
    id INTEGER PRIMARY KEY,
    url TEXT,
    source TEXT,
    fetched_at TEXT NOT NULL,
    http_status INTEGER,
    work_id INTEGER,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (sha256, fetched_at)
);
"""


@_migration
def m001_initial(db: Database) -> None:
    """The first release: every table of SPEC section 3 and both FTS5 tables with triggers."""
    db.execute(_WORKS)
    db.executescript(_OTHER_TABLES)
    db.table("works").enable_fts(WORKS_FTS_COLUMNS, tokenize=TOKENIZER, create_triggers=True)
    db.table("chapters").enable_fts(CHAPTERS_FTS_COLUMNS, tokenize=TOKENIZER, create_triggers=True)


_FILTER_INDEXES = """
CREATE INDEX works_rating ON works (rating COLLATE NOCASE);
CREATE INDEX works_language ON works (language COLLATE NOCASE);
CREATE INDEX works_status ON works (status);
CREATE INDEX works_completed ON works (completed);
CREATE INDEX works_words ON works (words);
CREATE INDEX works_kudos ON works (kudos);
CREATE INDEX works_hits ON works (hits);
CREATE INDEX works_bookmarks ON works (bookmarks);
CREATE INDEX works_comments ON works (comments);
CREATE INDEX works_published ON works (published);
CREATE INDEX works_updated ON works (updated);
CREATE INDEX works_last_fetched ON works (last_fetched);
CREATE INDEX tags_name ON tags (name COLLATE NOCASE, type);
CREATE INDEX tags_type ON tags (type);
CREATE INDEX authors_user ON authors (user COLLATE NOCASE);
CREATE INDEX authors_pseud ON authors (pseud COLLATE NOCASE);
CREATE INDEX work_tags_tag ON work_tags (tag);
CREATE INDEX work_authors_author ON work_authors (author);
CREATE INDEX work_series_series ON work_series (series);
CREATE INDEX work_collections_collection ON work_collections (collection);
CREATE INDEX chapters_work ON chapters (work, number);
CREATE INDEX raw_pages_work ON raw_pages (work_id);
CREATE INDEX raw_pages_fetched ON raw_pages (fetched_at);
"""


@_migration
def m002_filter_indexes(db: Database) -> None:
    """Indexes on every column ``search``/``export`` filter on and Datasette facets use.

    A separate step so that an index made before it existed gains them in place.
    One statement at a time, inside the step's transaction (``executescript``
    would commit first), so a kill leaves the step wholly done or still pending.
    """
    for statement in filter(str.strip, _FILTER_INDEXES.split(";")):
        db.execute(statement)


#: A GLOB class of the CJK characters (:data:`~ficindex.index.layout.CJK_RANGES`).
CJK_GLOB = "*[" + "".join(f"{lo}-{hi}" for lo, hi in CJK_RANGES) + "]*"

#: The trigram side index of each FTS table, over the same columns.
CJK_SIDE = {"works": WORKS_FTS_COLUMNS, "chapters": CHAPTERS_FTS_COLUMNS}

#: Spaces appended to every indexed value: a trigram index holds only 3-character runs, so a
#: 1- or 2-character word at the end of a value (a title such as 手紙) would have none.
_PAD = "'  '"


def _padded(row: str, columns: tuple[str, ...], named: bool = False) -> str:
    """Each column of ``row`` with the padding (a NULL stays NULL: FTS5 indexes it as empty)."""
    alias = " AS [{}]" if named else ""
    return ", ".join(f"{row}.[{c}] || {_PAD}" + alias.format(c) for c in columns)


def _joined(row: str, columns: tuple[str, ...]) -> str:
    """The indexed columns of ``row`` as one text, for the CJK test."""
    return "(" + " || ".join(f"coalesce({row}.[{c}], '')" for c in columns) + ")"


def _has_cjk(value: str) -> str:
    """SQL true when the text ``value`` holds CJK characters, cheap for English.

    The exact test (GLOB with a class of ranges) costs about 0.15 ms per KB, so
    it runs only when the value's extra UTF-8 bytes are not all explained by
    what English prose carries: ASCII has none; curly quotes, dashes and
    ellipses (lead byte E2) have two each, Latin-1 accents (lead byte C3) one
    each, counted by removing those bytes.
    """
    size = f"length(CAST({value} AS BLOB))"
    e2 = f"length(CAST(replace({value}, X'E2', '') AS BLOB))"
    c3 = f"length(CAST(replace({value}, X'C3', '') AS BLOB))"
    return (
        f"({size} - length({value}) > 3 * {size} - 2 * {e2} - {c3} AND {value} GLOB '{CJK_GLOB}')"
    )


def _when_cjk(row: str, columns: tuple[str, ...]) -> str:
    """``FROM ... WHERE`` selecting one row when ``row`` holds CJK text, none otherwise.

    For trigger bodies. SQLite compiles the triggers into every statement that
    writes the table, so the expression must stay small: the joined text is
    computed once in a subquery (its LIMIT keeps SQLite from inlining it into
    each of the test's uses) and the test reads it by name.
    """
    return f"FROM (SELECT {_joined(row, columns)} AS v LIMIT 1) WHERE {_has_cjk('v')}"


def _cjk_side_sql(table: str, columns: tuple[str, ...]) -> list[str]:
    """A trigram FTS5 index of the rows of ``table`` that hold CJK text, kept by triggers.

    External content over a view, so nothing is stored twice; the view and the
    triggers use only SQLite's own functions, so any SQLite (Datasette, the
    sqlite3 shell) can read and write the index. ``{table}_cjk_vocab`` lists its
    trigrams: a 1- or 2-character word is looked up as the trigrams it starts.
    """
    side = f"{table}_cjk"
    names = ", ".join(f"[{c}]" for c in columns)
    pad_new, pad_old = _padded("new", columns), _padded("old", columns)
    # "USING" and "fts5vocab" on separate lines: tools that find FTS5 tables by the text
    # "USING FTS5" (sqlite-utils) would otherwise try to rebuild the read-only vocabulary.
    return [
        f"""CREATE VIEW [{side}_source] AS SELECT [id], {_padded("t", columns, True)}
    FROM (SELECT *, {_joined(table, columns)} AS v FROM [{table}]) AS t WHERE {_has_cjk("v")}""",
        f"""CREATE VIRTUAL TABLE [{side}] USING fts5({names}, tokenize='trigram',
    content='{side}_source', content_rowid='id')""",
        f"""CREATE VIRTUAL TABLE [{side}_vocab] USING
    fts5vocab([{side}], 'row')""",
        f"""CREATE TRIGGER [{side}_ai] AFTER INSERT ON [{table}] BEGIN
    INSERT INTO [{side}] (rowid, {names})
        SELECT new.[id], {pad_new} {_when_cjk("new", columns)};
END""",
        f"""CREATE TRIGGER [{side}_ad] AFTER DELETE ON [{table}] BEGIN
    INSERT INTO [{side}] ([{side}], rowid, {names})
        SELECT 'delete', old.[id], {pad_old} {_when_cjk("old", columns)};
END""",
        f"""CREATE TRIGGER [{side}_au] AFTER UPDATE OF [id], {names} ON [{table}] BEGIN
    INSERT INTO [{side}] ([{side}], rowid, {names})
        SELECT 'delete', old.[id], {pad_old} {_when_cjk("old", columns)};
    INSERT INTO [{side}] (rowid, {names})
        SELECT new.[id], {pad_new} {_when_cjk("new", columns)};
END""",
        f"INSERT INTO [{side}] ([{side}]) VALUES ('rebuild')",
    ]


@_migration
def m003_cjk_side_index(db: Database) -> None:
    """Trigram side indexes ``works_cjk`` and ``chapters_cjk`` so CJK words are found anywhere.

    ``unicode61`` keeps a run of Chinese or Japanese between punctuation as one
    token, so a word inside a sentence cannot be matched. The side indexes hold
    only rows with CJK text, so an English index grows by a few empty pages.
    Built from the existing rows, so an older index gains them in place.
    """
    for table, columns in CJK_SIDE.items():
        for statement in _cjk_side_sql(table, columns):
            db.execute(statement)


@_migration
def m004_engagement(db: Database) -> None:
    """Kudos givers, comment threads and bookmarks of works, and the works' kudos paragraph."""
    from ficindex.index.engagement import m_engagement  # it takes TOKENIZER from this module

    m_engagement(db)


@_migration
def m005_raw_content_type(db: Database) -> None:
    """The ``Content-Type`` a kept page came with: its charset decides how ``reparse`` reads
    a page that has no byte order mark or ``<meta charset>`` (NULL: unknown, as for files)."""
    db.execute("ALTER TABLE raw_pages ADD COLUMN content_type TEXT")


@_migration
def m006_link_title_times(db: Database) -> None:
    """When the stored title of each series and collection was shown: a title is replaced
    only by one a page fetched as late or later showed, so the title does not depend on
    the order pages are stored in (NULL: not known yet, replaced by the next page)."""
    db.execute("ALTER TABLE series ADD COLUMN title_at TEXT")
    db.execute("ALTER TABLE collections ADD COLUMN title_at TEXT")
