"""``ficindex parse FILE...``: saved pages -> JSON Lines records on stdout, no database."""

from __future__ import annotations

import os
import sys
from typing import BinaryIO

import click
import orjson

from ficindex.errors import ParseError
from ficindex.parser import MAX_PAGE_BYTES, parse_page

_EPILOG = """\b
Examples:
  ficindex parse saved/work-12345.html
  ficindex parse page1.html page2.html > records.jsonl
  ficindex parse - < saved/work-12345.html
  ficindex parse work.html | jq '{title, words, kudos}'
"""


@click.command("parse", epilog=_EPILOG)
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
def parse_command(files: tuple[str, ...]) -> None:
    """Parse saved AO3 pages into JSON records, one line per FILE, in argument order.

    A FILE is an AO3 page saved as HTML (a work in any layout, an
    adult-content warning, a login, 404 or error page, a listing) or a
    plain-text copy of a work page. "-" reads standard input. Every record
    has all keys of the record format; "kind" says what the page was
    (work, adult_interstitial, restricted, not_found, unrevealed, listing,
    rate_limited, error_page, unknown). An empty file gives kind "unknown".

    A FILE that cannot be read, or holds binary data rather than a page,
    gets one "Error:" line on stderr naming it and no record; the other
    files are still parsed, and the exit status is then 2. So does a FILE
    over 200 MB (no saved page is that large): at most that much is read.
    """
    out = sys.stdout.buffer
    failed = 0
    for name in files:
        try:
            data = _read(name)
            record = parse_page(data)
        except (OSError, ParseError, _TooLarge) as exc:
            failed += 1
            click.echo(f"Error: {_describe(name, exc)}", err=True)
            continue
        # orjson writes UTF-8 as is (like ensure_ascii=False) about 8x faster than the
        # json module, which matters for a long work's megabyte of text.
        line = orjson.dumps(record.to_dict()) + b"\n"
        try:
            out.write(line)
            out.flush()
        except BrokenPipeError:  # the reader (e.g. `head`) has gone: stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
    if failed:
        sys.exit(2)


_PIECE = 1 << 20


class _TooLarge(Exception):
    """The input is over MAX_PAGE_BYTES (a device such as /dev/zero never ends at all)."""


def _read(name: str) -> bytes:
    """The file's bytes (stdin for "-"), reading at most one byte past the size limit."""
    if name == "-":
        return _read_at_most(sys.stdin.buffer)
    with open(name, "rb") as handle:
        if os.fstat(handle.fileno()).st_size > MAX_PAGE_BYTES:  # a regular file: no need to read
            raise _TooLarge
        return _read_at_most(handle)


def _read_at_most(stream: BinaryIO) -> bytes:
    """Read to the end, or raise _TooLarge as soon as the limit is passed.

    In 1 MB pieces: one ``read(limit + 1)`` would allocate 200 MB for every page.
    """
    pieces: list[bytes] = []
    total = 0
    while piece := stream.read(min(_PIECE, MAX_PAGE_BYTES + 1 - total)):
        pieces.append(piece)
        total += len(piece)
        if total > MAX_PAGE_BYTES:
            raise _TooLarge
    return b"".join(pieces)


def _describe(name: str, exc: Exception) -> str:
    label = "standard input" if name == "-" else name
    if isinstance(exc, _TooLarge):
        size = MAX_PAGE_BYTES // 2**20
        return f"{label}: larger than {size} MB, which no saved page is; pass a saved AO3 page"
    if isinstance(exc, OSError):
        return f"{label}: {exc.strerror or exc}"
    return f"{label}: {exc}"
