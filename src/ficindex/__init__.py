"""ficindex: crawl Archive of Our Own politely, parse pages into records, index them in SQLite.

Every command has a Python function here (see :mod:`ficindex.api`)::

    import ficindex

    record = ficindex.parse_file("saved/work-12345.html")
    ficindex.import_pages("fics.db", ["saved/"])
    for hit in ficindex.search("fics.db", "slow burn", limit=5):
        print(hit["title"], hit["url"])

The names are loaded on first use (module ``__getattr__``), so ``import
ficindex`` stays cheap and ``ficindex.parse`` never loads the crawler's HTTP
client or sqlite-utils.
"""

from __future__ import annotations

import sys

#: ``typing`` costs every command 5-10 ms to import, so type checkers alone see these names.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ficindex.api import (
        DatasetteConfig,
        QueryResult,
        datasette_config,
        export,
        export_records,
        import_pages,
        parse,
        parse_file,
        public_copy,
        query,
        refresh,
        refresh_plan,
        reparse,
        run_crawl,
        search,
    )
    from ficindex.crawl.config import FetchConfig
    from ficindex.crawl.crawler import CrawlOptions
    from ficindex.crawl.refresh import RefreshOptions
    from ficindex.errors import BadInput, CannotStart, FicindexError, ParseError
    from ficindex.index import readable_index, writable_index
    from ficindex.index.filters import Filters
    from ficindex.record import Record

#: The version, written only here: pyproject.toml reads it (``[tool.setuptools.dynamic]``,
#: statically, without importing), and ``ficindex --version`` prints it without reading package
#: metadata (``importlib.metadata`` costs a start-up tens of milliseconds).
__version__ = "0.1.0"

PROJECT_URL = "https://github.com/ficindex/ficindex"
#: Archive of Our Own, whose works the index holds (links in exports and Datasette views).
AO3_URL = "https://archiveofourown.org"

#: Public name -> the module that defines it, imported when the name is first used.
_LAZY = {
    "DatasetteConfig": "ficindex.api",
    "QueryResult": "ficindex.api",
    "datasette_config": "ficindex.api",
    "export": "ficindex.api",
    "export_records": "ficindex.api",
    "import_pages": "ficindex.api",
    "parse": "ficindex.api",
    "parse_file": "ficindex.api",
    "public_copy": "ficindex.api",
    "query": "ficindex.api",
    "refresh": "ficindex.api",
    "refresh_plan": "ficindex.api",
    "reparse": "ficindex.api",
    "run_crawl": "ficindex.api",
    "search": "ficindex.api",
    "FetchConfig": "ficindex.crawl.config",
    "CrawlOptions": "ficindex.crawl.crawler",
    "RefreshOptions": "ficindex.crawl.refresh",
    "BadInput": "ficindex.errors",
    "CannotStart": "ficindex.errors",
    "FicindexError": "ficindex.errors",
    "ParseError": "ficindex.errors",
    "readable_index": "ficindex.index",
    "writable_index": "ficindex.index",
    "Filters": "ficindex.index.filters",
    "Record": "ficindex.record",
}

__all__ = [
    "AO3_URL",
    "BadInput",
    "CannotStart",
    "CrawlOptions",
    "DatasetteConfig",
    "FetchConfig",
    "FicindexError",
    "Filters",
    "PROJECT_URL",
    "ParseError",
    "QueryResult",
    "Record",
    "RefreshOptions",
    "__version__",
    "datasette_config",
    "export",
    "export_records",
    "import_pages",
    "parse",
    "parse_file",
    "public_copy",
    "query",
    "readable_index",
    "refresh",
    "refresh_plan",
    "reparse",
    "run_crawl",
    "search",
    "writable_index",
]


def __getattr__(name: str) -> Any:
    """Load a public name on first use, and keep it (later lookups never come here)."""
    if name in _LAZY:
        __import__(_LAZY[name])  # importlib.import_module would import importlib (0.5 ms)
        value = getattr(sys.modules[_LAZY[name]], name)
    else:
        raise AttributeError(f"module 'ficindex' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
