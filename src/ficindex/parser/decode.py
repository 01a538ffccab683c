"""Bytes -> text for the parser: which encoding a page is in, and refusing binary data.

Which encoding, first match wins (the order browsers use):

1. a byte order mark (UTF-8, UTF-16 LE or BE);
2. the ``charset`` of the HTTP ``Content-Type`` header, when the caller has it;
3. a ``<meta charset>`` (or ``http-equiv`` content type) in the first 4 KB;
4. sniffing: UTF-8 when the bytes are UTF-8, or when the valid multi-byte
   characters outnumber the invalid bytes (a UTF-8 page with a stray byte),
   else Windows-1252.

A declared or sniffed UTF-8 page with a stray invalid byte stays UTF-8: the
byte becomes U+FFFD and the rest of the page is read as written. A label
Python does not know is skipped, as browsers skip it. ``latin1``, ``ascii``
and ``iso-8859-1`` mean Windows-1252, as they do in browsers (pages so
labelled use its curly quotes). A ``<meta>`` naming UTF-16 means UTF-8
(only a BOM or the header can make a page UTF-16).

Why UTF-8 pages stay bytes: lexbor parses UTF-8 bytes about twice as fast
as a Python ``str``, so only the first 16 KB are checked here; lexbor turns
invalid bytes further down into U+FFFD, which is what rule 4 wants when the
page declared UTF-8. For an undeclared page the caller calls :func:`sniff`
when U+FFFD shows up in the record.
"""

from __future__ import annotations

import codecs
import re

from ficindex.errors import ParseError

#: How much of the input is inspected to tell text from binary data.
SAMPLE = 16384
#: Bytes that are never in text: C0 controls except tab, newline, form feed and carriage return.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
#: More than this share of control bytes in the sample means binary data, not a page.
_MAX_CONTROL_SHARE = 0.01
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
#: Labels browsers read as Windows-1252 (WHATWG Encoding Standard).
_WINDOWS_1252 = frozenset(("latin-1", "iso8859-1", "ascii", "cp1252"))


def decode_source(source: str | bytes, content_type: str | None = None) -> tuple[str | bytes, bool]:
    """Check that ``source`` is text: UTF-8 bytes or a str, and whether its encoding was declared.

    The flag is True when a BOM, the header or a ``<meta>`` named the
    encoding (then the result is final); False when it was sniffed from the
    first 16 KB (then bytes further down may still not be UTF-8: see
    :func:`sniff`). Raises ParseError for binary data: NUL bytes or other
    control characters in more than 1% of the first 16 KB.
    """
    if isinstance(source, str):
        head = source[:SAMPLE].encode("utf-8", "surrogatepass")
        _refuse_binary(head, len(head))
        return (source[1:] if source.startswith("\ufeff") else source), True
    raw = bytes(source)
    if raw.startswith(codecs.BOM_UTF8):
        return _checked(raw[3:]), True
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decoded(raw, "utf-16", strict=True), True
    encoding = _header_encoding(content_type) or _meta_encoding(raw)
    if encoding == "utf-8":
        return _checked(raw), True
    if encoding is not None:
        return _decoded(raw, encoding), True
    head = raw[:SAMPLE]
    _refuse_binary(head, len(head))
    if head.isascii():
        return raw, False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(raw) <= SAMPLE)
        return raw, False
    except UnicodeDecodeError:
        return _decoded(raw, sniff(raw)), False


def sniff(raw: bytes) -> str:
    """``"utf-8"`` or ``"cp1252"`` for bytes that declare nothing (rule 4 of the module text)."""
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8", "replace")
    invalid = text.count("\ufffd")
    multibyte_savings = len(raw) - len(text)  # each valid 2-4 byte character saves 1-3
    return "utf-8" if multibyte_savings >= invalid else "cp1252"


def refuse_binary_text(text: str) -> None:
    """ParseError when decoded text is mostly control characters (binary data)."""
    head = text[:SAMPLE]
    _refuse_binary(head.encode("utf-8", "surrogatepass"), len(head))


def _checked(raw: bytes) -> bytes:
    head = raw[:SAMPLE]
    _refuse_binary(head, len(head))
    return raw


def _decoded(raw: bytes, encoding: str, *, strict: bool = False) -> str:
    try:
        text = raw.decode(encoding, "strict" if strict else "replace")
    except UnicodeDecodeError:
        raise ParseError(f"binary data, not a saved page (broken {encoding} text)") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    refuse_binary_text(text)
    return text


def _header_encoding(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type) if content_type else None
    return _known(match.group(1), utf16_allowed=True) if match else None


def _meta_encoding(raw: bytes) -> str | None:
    match = _META_CHARSET.search(raw[:4096])
    return _known(match.group(1).decode("ascii"), utf16_allowed=False) if match else None


def _known(label: str, *, utf16_allowed: bool) -> str | None:
    """Python's codec name for a charset label; None for a label it does not know."""
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    if name in _WINDOWS_1252:
        return "cp1252"
    if name.startswith("utf-16") or name.startswith("utf-32"):
        return name if utf16_allowed else "utf-8"
    return name


def _refuse_binary(head: bytes, length: int) -> None:
    if not length:
        return
    controls = len(head.translate(None, _NOT_CONTROL))
    if controls > length * _MAX_CONTROL_SHARE:
        what = "NUL bytes" if b"\x00" in head else "control characters"
        raise ParseError(f"binary data, not a saved page or text file ({what})")
