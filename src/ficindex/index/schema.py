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
non-English words stay findable. Scripts written without spaces (Chinese,
Japanese) are tokenized into runs between punctuation: search them with a
prefix query (``中文*``) or a phrase that starts a run.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database, Migrations

#: The migration set of the index. The crawler keeps its own set ("ficindex-crawl").
MIGRATIONS = Migrations("ficindex")

#: Every migration name this version knows, in order (to recognise a newer index).
MIGRATION_NAMES: list[str] = []

#: The tokenizer of both FTS5 tables (see the module docstring for why).
TOKENIZER = "porter unicode61 remove_diacritics 2"

#: ``works`` columns indexed in ``works_fts``. The list columns hold JSON arrays;
#: the tokenizer drops the brackets and quotes, so each tag name is searchable as words.
WORKS_FTS_COLUMNS = (
    "title",
    "authors",
    "summary",
    "notes",
    "end_notes",
    "fandoms",
    "relationships",
    "characters",
    "freeforms",
)

#: ``chapters`` columns indexed in ``chapters_fts``; ``text`` is last (the snippet column).
CHAPTERS_FTS_COLUMNS = ("title", "summary", "notes", "end_notes", "text")


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
    db["works"].enable_fts(WORKS_FTS_COLUMNS, tokenize=TOKENIZER, create_triggers=True)
    db["chapters"].enable_fts(CHAPTERS_FTS_COLUMNS, tokenize=TOKENIZER, create_triggers=True)


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
    """
    db.executescript(_FILTER_INDEXES)
