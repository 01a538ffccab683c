"""Turn any page AO3 serves (or a plain-text copy of a work page) into one :class:`Record`.

:func:`parse_page` is the only entry point the rest of ficindex needs. It is a
pure function: bytes or text in, a record out. It never raises for text input
(an unrecognised page becomes kind ``unknown``, a broken one ``error_page``);
it raises :class:`~ficindex.errors.ParseError` only for input that is not text
at all (binary data) or larger than any saved page.

Before lexbor sees a page, :mod:`~ficindex.parser.decode` settles its encoding
(BOM, then the HTTP header's charset, then ``<meta>``, then sniffing) and
:mod:`~ficindex.parser.guard` checks its size and nesting depth: a page over
:data:`~ficindex.parser.guard.MAX_PAGE_BYTES` is refused with ParseError, one
nested deeper than any AO3 page becomes ``error_page`` without being parsed.
"""

from __future__ import annotations

import re
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from ficindex.errors import ParseError
from ficindex.parser import detect, pages
from ficindex.parser.common import work_id_from_href
from ficindex.parser.decode import SAMPLE, decode_source, sniff
from ficindex.parser.guard import MAX_PAGE_BYTES, too_deep
from ficindex.parser.listing import parse_listing
from ficindex.parser.plaintext import parse_plaintext
from ficindex.parser.work import find_work_id, parse_work
from ficindex.record import TAG_FIELDS, Record

__all__ = ["parse_page", "parse_file", "decode_source", "MAX_PAGE_BYTES"]

_HTML_START = re.compile(r"<(?:!doctype|html|head|body|div|meta|title|p|ul|ol|li|h\d)\b", re.I)


def parse_page(
    source: str | bytes, url: str | None = None, content_type: str | None = None
) -> Record:
    """Parse one saved page (AO3 HTML or a plain-text copy of a work page) into a record.

    ``url``, when known, is the page's address: it resolves a listing's next
    link and supplies the work id of pages that do not link their work (an
    unrevealed work, a 404). ``content_type``, when known, is the HTTP
    ``Content-Type`` header the page came with: its charset comes after a
    byte order mark and before ``<meta charset>`` (see
    :mod:`ficindex.parser.decode`); it is ignored for ``str`` input. Raises
    ParseError only for binary data and for input over ``MAX_PAGE_BYTES``.
    """
    if len(source) > MAX_PAGE_BYTES:
        raise ParseError(f"over {MAX_PAGE_BYTES // 2**20} MB, larger than any saved page")
    text_or_bytes, declared = decode_source(source, content_type)
    if not _starts_with_a_tag(text_or_bytes):
        sample = text_or_bytes[:SAMPLE]
        if isinstance(sample, bytes):
            sample = sample.decode("utf-8", "ignore")
        if not sample.strip():
            return Record(kind="unknown")
        if not _looks_like_html(sample):
            return _parse_text(_as_text(text_or_bytes))
    if too_deep(text_or_bytes):
        return Record(kind="error_page", work_id=work_id_from_href(url))
    record = _parse_html(LexborHTMLParser(text_or_bytes), url, _ends_like_a_page(text_or_bytes))
    # Only the sample of an undeclared page was sniffed: lexbor turned bytes that are not
    # UTF-8 further down into U+FFFD. A page that is Windows-1252 after all is parsed again.
    if (
        isinstance(text_or_bytes, bytes)
        and not declared
        and _has_replacement_character(record)
        and sniff(text_or_bytes) != "utf-8"
    ):
        text = text_or_bytes.decode("cp1252", "replace")
        record = _parse_html(LexborHTMLParser(text), url, _ends_like_a_page(text))
    return record


def parse_file(path: str | Path, url: str | None = None, content_type: str | None = None) -> Record:
    """Read and parse a saved page; OSError (missing, unreadable) is left to the caller."""
    return parse_page(Path(path).read_bytes(), url, content_type)


def _as_text(source: str | bytes) -> str:
    if isinstance(source, str):
        return source
    return source.decode(sniff(source), "replace")


def _has_replacement_character(record: Record) -> bool:
    """Whether any text of the record holds U+FFFD (one C search per string, no copies)."""
    records = [record, *(record.listing.works if record.listing else ())]
    for item in records:
        for value in (item.title, item.summary, item.notes, item.end_notes, item.language):
            if value and "\ufffd" in value:
                return True
        for chapter in item.chapters:
            for value in (chapter.title, chapter.text, chapter.summary, chapter.notes):
                if value and "\ufffd" in value:
                    return True
        for name in TAG_FIELDS:
            if any("\ufffd" in tag for tag in getattr(item, name)):
                return True
    return False


def _starts_with_a_tag(source: str | bytes) -> bool:
    """Whether ``source`` starts with ``<`` after spaces: then it is HTML, as the sample test finds.

    (It spares decoding the 16 KB sample of every page.) Only ASCII spaces are
    skipped in bytes; they decode to themselves and are spaces to ``str.strip``.
    """
    head = source[:64]
    if isinstance(head, bytes):
        return head.lstrip(b" \t\n\r\x0b\x0c").startswith(b"<")
    return head.lstrip().startswith("<")


def _looks_like_html(sample: str) -> bool:
    stripped = sample.lstrip()
    return stripped.startswith("<") or _HTML_START.search(sample[:4096]) is not None


def _ends_like_a_page(source: str | bytes) -> bool:
    """Whether the input ends with ``</html>`` (a page cut off in transfer does not)."""
    tail = source[-512:].lower()
    return (b"</html>" in tail) if isinstance(tail, bytes) else ("</html>" in tail)


def _parse_text(text: str) -> Record:
    """Plain text: Rack::Attack's 429 body, a copied work page, or something else."""
    stripped = text.strip()
    if detect.is_rate_limit_text(stripped):
        return Record(kind="rate_limited")
    if detect.is_plaintext_work(text):
        return parse_plaintext(text)
    return Record(kind="unknown")


def _parse_html(tree: LexborHTMLParser, url: str | None, ends_like_a_page: bool) -> Record:
    main = tree.css_first("div#main")  # looked up once: each lookup walks the page
    kind, meta = detect.page_kind_and_meta(tree, main)
    if kind in detect.COMPLETE_PAGE_KINDS and not detect.is_complete(tree, ends_like_a_page):
        # A page cut off in transfer: never a silently shortened record.
        work_id = find_work_id(main, url) if main is not None and kind == "work" else None
        return Record(kind="error_page", work_id=work_id)
    root = main or tree.body or tree.root
    if kind == "work" and root is not None:
        return parse_work(root, url, meta if root is main else None)
    if kind == "listing":
        return parse_listing(tree, url, main=main)
    if kind == "adult_interstitial" and main is not None:  # (page_kind needs div#main for it)
        return pages.parse_interstitial(main, url)
    if kind in ("restricted", "not_found", "unrevealed"):
        return pages.status_page(kind, tree, url)
    return Record(kind=kind)
