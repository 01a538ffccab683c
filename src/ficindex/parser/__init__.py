"""Turn any page AO3 serves (or a plain-text copy of a work page) into one :class:`Record`.

:func:`parse_page` is the only entry point the rest of ficindex needs. It is a
pure function: bytes or text in, a record out. It never raises for text input
(an unrecognised page becomes kind ``unknown``, a broken one ``error_page``);
it raises :class:`~ficindex.errors.ParseError` only for input that is not text
at all (binary data).

Why bytes are handed to lexbor undecoded: lexbor parses UTF-8 bytes about twice
as fast as a Python ``str`` (which it would re-encode), and decoding a 1 MB
page in Python costs as much as parsing it. So only a sample is checked; a page
whose sample is not UTF-8 is decoded in Python (its declared charset, else
Windows-1252) and parsed as text.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser

from ficindex.errors import ParseError
from ficindex.parser import detect, pages
from ficindex.parser.listing import parse_listing
from ficindex.parser.plaintext import parse_plaintext
from ficindex.parser.work import find_work_id, parse_work
from ficindex.record import TAG_FIELDS, Record

__all__ = ["parse_page", "parse_file", "decode_source"]

#: How much of the input is inspected to tell text from binary data and HTML from plain text.
_SAMPLE = 16384
#: Bytes that are never in text: C0 controls except tab, newline, form feed and carriage return.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
#: More than this share of control bytes in the sample means binary data, not a page.
_MAX_CONTROL_SHARE = 0.01
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HTML_START = re.compile(r"<(?:!doctype|html|head|body|div|meta|title|p|ul|ol|li|h\d)\b", re.I)


def parse_page(source: str | bytes, url: str | None = None) -> Record:
    """Parse one saved page (AO3 HTML or a plain-text copy of a work page) into a record.

    ``url``, when known, is the page's address: it resolves a listing's next
    link and supplies the work id of pages that do not link their work (an
    unrevealed work, a 404). Raises ParseError only for binary data.
    """
    text_or_bytes = decode_source(source)
    sample = text_or_bytes[:_SAMPLE]
    if isinstance(sample, bytes):
        sample = sample.decode("utf-8", "ignore")
    if not sample.strip():
        return Record(kind="unknown")
    if not _looks_like_html(sample):
        return _parse_text(_as_text(text_or_bytes))
    record = _parse_html(LexborHTMLParser(text_or_bytes), url, _ends_like_a_page(text_or_bytes))
    if isinstance(text_or_bytes, bytes) and _has_replacement_character(record):
        # Only the sample was checked: lexbor turned bytes that are not UTF-8 further
        # down into U+FFFD. Decode the whole page properly and parse it again.
        try:
            text_or_bytes.decode("utf-8")
        except UnicodeDecodeError:
            text = _decode_legacy(text_or_bytes)
            record = _parse_html(LexborHTMLParser(text), url, _ends_like_a_page(text))
    return record


def parse_file(path: str | Path, url: str | None = None) -> Record:
    """Read and parse a saved page; OSError (missing, unreadable) is left to the caller."""
    return parse_page(Path(path).read_bytes(), url)


def decode_source(source: str | bytes) -> str | bytes:
    """Check that ``source`` is text and return it as UTF-8 bytes (the fast path) or a str.

    Raises ParseError for binary data: NUL bytes or other control characters
    in more than 1% of the first 16 KB, which no saved page or text file has.
    """
    if isinstance(source, str):
        head = source[:_SAMPLE].encode("utf-8", "surrogatepass")
        _refuse_binary(head, len(head))
        return source[1:] if source.startswith("\ufeff") else source
    raw = bytes(source)
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[3:]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return decode_source(raw.decode("utf-16"))
        except UnicodeDecodeError:
            raise ParseError("binary data, not a saved page (broken UTF-16 text)") from None
    head = raw[:_SAMPLE]
    _refuse_binary(head, len(head))
    if head.isascii():
        return raw
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(raw) <= _SAMPLE)
        return raw
    except UnicodeDecodeError:
        pass
    text = _decode_legacy(raw)
    _refuse_binary(text[:_SAMPLE].encode("utf-8", "surrogatepass"), len(text[:_SAMPLE]))
    return text


def _as_text(source: str | bytes) -> str:
    if isinstance(source, str):
        return source
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_legacy(source)


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


def _refuse_binary(head: bytes, length: int) -> None:
    if not length:
        return
    controls = len(head.translate(None, _NOT_CONTROL))
    if controls > length * _MAX_CONTROL_SHARE:
        what = "NUL bytes" if b"\x00" in head else "control characters"
        raise ParseError(f"binary data, not a saved page or text file ({what})")


def _decode_legacy(raw: bytes) -> str:
    """A page that is not UTF-8: its declared charset if Python knows it, else Windows-1252.

    A page that declares UTF-8 but is not (re-encoded by some tool) gets Windows-1252
    too: it is what such files almost always are.
    """
    match = _CHARSET.search(raw[:4096])
    if match:
        try:
            name = codecs.lookup(match.group(1).decode("ascii")).name
        except LookupError:
            name = "utf-8"
        if name != "utf-8":
            return raw.decode(name, "replace")
    return raw.decode("cp1252", "replace")


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
    kind = detect.page_kind(tree, main)
    if kind in detect.COMPLETE_PAGE_KINDS and not detect.is_complete(tree, ends_like_a_page):
        # A page cut off in transfer: never a silently shortened record.
        work_id = find_work_id(main, url) if main is not None and kind == "work" else None
        return Record(kind="error_page", work_id=work_id)
    if kind == "work":
        return parse_work(main or tree.body or tree.root, url)
    if kind == "listing":
        return parse_listing(tree, url, main=main)
    if kind == "adult_interstitial":
        return pages.parse_interstitial(main, url)
    if kind in ("restricted", "not_found", "unrevealed"):
        return pages.status_page(kind, tree, url)
    return Record(kind=kind)
