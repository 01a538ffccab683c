"""Decoding a response's ``Content-Encoding`` ourselves, a bounded step at a time.

httpx decodes a body whole chunks at a time and without a bound on what one
chunk inflates to, and it decodes any stack of encodings a server names: a
7 KB body sent as ``gzip, gzip`` inflates to gigabytes before a size cap on
the decoded bytes could look at it. Here the raw bytes are read as they come
and inflated with ``zlib``'s ``max_length``, so the cap applies to the
decoded bytes as they are produced and no step ever holds more than
:data:`STEP` bytes beyond it. Like a browser, one coding is accepted
(``gzip`` or ``deflate``, the two we ask for in ``Accept-Encoding``);
a stack of them is refused with its reason.
"""

from __future__ import annotations

import zlib

#: What we ask for, and all we decode.
ACCEPT_ENCODING = "gzip, deflate"
#: The most one inflating step produces before the running total is checked.
STEP = 1 << 20


class Undecodable(Exception):
    """The body cannot be decoded: an encoding we did not ask for, a stack of them, or corrupt
    data. ``reason`` is one line for the fetch log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TooLarge(Exception):
    """The decoded body passed the size limit."""


class BodyDecoder:
    """Feed raw chunks in; get decoded bytes out, never more than ``limit`` in all."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1:
            raise Undecodable(f"stacked content encodings refused ({content_encoding})")
        self.coding = codings[0] if codings else None
        if self.coding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":  # zlib-wrapped as the standard says; raw as IIS sends it
            self._inflater = zlib.decompressobj()
        elif self.coding is not None:
            raise Undecodable(f"content encoding {self.coding!r} not supported")
        self.limit = limit
        self.size = 0
        self._started = False

    def feed(self, data: bytes) -> bytes:
        """Decode one raw chunk; raises :class:`TooLarge` once the output passes ``limit``."""
        if self.coding is None:
            self._count(len(data))
            return data
        out = []
        while data and not self._inflater.eof:
            room = min(STEP, self.limit - self.size + 1)  # one byte over the limit proves it
            chunk = self._inflate(data, room)
            self._count(len(chunk))
            out.append(chunk)
            data = self._inflater.unconsumed_tail
        return b"".join(out)

    def finish(self) -> None:
        """The body has ended: a compressed stream must have ended with it."""
        if self.coding is not None and not self._inflater.eof:
            raise Undecodable(f"{self.coding} body cut short")

    def _inflate(self, data: bytes, room: int) -> bytes:
        try:
            chunk = self._inflater.decompress(data, room)
        except zlib.error as exc:
            if self.coding != "deflate" or self._started:
                raise Undecodable(f"corrupt {self.coding} body ({exc})") from exc
            self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, no header
            self._started = True
            return self._inflate(data, room)
        self._started = True
        return chunk

    def _count(self, n: int) -> None:
        self.size += n
        if self.size > self.limit:
            raise TooLarge
