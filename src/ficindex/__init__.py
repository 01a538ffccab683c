"""ficindex: crawl Archive of Our Own politely, parse pages into records, index them in SQLite.

The CLI is a thin layer over these modules; researchers can import them directly::

    from ficindex.parser import parse_page
    record = parse_page(html_text)
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ficindex")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

PROJECT_URL = "https://github.com/ficindex/ficindex"
#: Archive of Our Own, whose works the index holds (links in exports and Datasette views).
AO3_URL = "https://archiveofourown.org"

__all__ = ["AO3_URL", "PROJECT_URL", "__version__"]
