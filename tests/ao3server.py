"""A fake Archive of Our Own on loopback, for crawler, refresh and fault tests.

It is a real HTTP/1.1 server (``http.server`` in a background thread, random free
port on 127.0.0.1) that renders pages from an in-memory :class:`Site` with
AO3's own markup (the structure of the real pages in ``../shared/fixtures``,
see AO3-MARKUP.md), so the real parser reads them. Because pages are generated
from the model on every request, a test can change the site between two runs
(raise kudos, post a chapter, delete or lock a work) and crawl again.

What it reproduces from AO3:

* ``/works/ID``: 404 for unknown or deleted works; a 302 to
  ``/users/login?restricted=true&return_to=...`` for registered-users-only
  works; a 302 to the first chapter for chaptered works without
  ``view_full_work=true``; the "Mystery Work" notice for unrevealed works; the
  adult interstitial for Mature/Explicit/unchosen-warning works without
  ``view_adult=true``; otherwise the work page (full view or chapter view).
* Listings (pagy pagination, 20 per page, newest update first): tag works,
  user and pseud works, collection works, user bookmarks; will_paginate on
  series pages and search results. Pages past ``Site.max_pages`` (AO3: 5,000)
  are clamped to the last page, as AO3's search-backed listings are.
* ``robots.txt`` (AO3-like: ``/works?`` and ``/works/search?`` disallowed).
* A Rack::Attack-like throttle (429 + ``Retry-After`` in seconds or as an HTTP date).
* Injected :class:`Fault` s by path and count, and a global latency.
* A thread-safe request log (:class:`LogEntry`) to assert on.

The code is in three modules along its seams: ``ao3site`` (the model and its
knobs), ``ao3pages`` (rendering) and this one (routing, faults, the server);
every name tests use is importable from here.

Use it with the ``ao3`` fixture from ``conftest.py`` or directly::

    site = make_site(works=45, tag="Fluff")
    with AO3Server(site) as server:
        ...  # crawl server.url + "/tags/Fluff/works"
        assert len(server.requests("/works/")) == 45
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import math
import re
import socket
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from ao3engagement import engagement_page, with_comments
from ao3pages import (
    CLOUDFLARE_525,
    CLOUDFLARE_CHALLENGE,
    e,
    render_404,
    render_interstitial,
    render_listing,
    render_login,
    render_mystery,
    render_search,
    render_series,
    render_work,
    tag_from_path,
    tag_href,
)
from ao3site import (
    ADULT_RATINGS,
    PER_PAGE,
    ROBOTS_TXT,
    Fault,
    Site,
    SiteChapter,
    SiteWork,
    Throttle,
    Trigger,
    make_site,
)

__all__ = [
    "ADULT_RATINGS",
    "PER_PAGE",
    "ROBOTS_TXT",
    "AO3Server",
    "Fault",
    "LogEntry",
    "Response",
    "Site",
    "SiteChapter",
    "SiteWork",
    "Throttle",
    "Trigger",
    "make_site",
    "render_work",
    "route",
    "tag_href",
]


@dataclass
class LogEntry:
    """One request as the server saw it. ``t`` is ``time.monotonic()`` at arrival.

    Logged on arrival; ``status`` is filled in once answered (0: no answer was sent).
    """

    t: float
    method: str
    path: str  # path and query, as sent
    status: int
    headers: dict[str, str]


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def _html(status: int, text: str, **headers: str) -> Response:
    return Response(status, text.encode("utf-8"), headers=dict(headers))


def _redirect(location: str) -> Response:
    body = f'<html><body>You are being <a href="{e(location)}">redirected</a>.</body></html>'
    return Response(302, body.encode(), headers={"Location": location})


def route(site: Site, path: str, query: dict[str, str]) -> Response:
    """Answer one GET like AO3 would (faults and throttling are applied by the handler)."""
    with site.lock:
        if path == "/robots.txt":
            if site.robots_txt is None:
                return _html(404, render_404())
            return Response(200, site.robots_txt.encode(), "text/plain; charset=utf-8")
        match = re.fullmatch(r"/works/(\d+)(?:/chapters/(\d+))?", path)
        if match:
            answer = _work_route(site, int(match.group(1)), match.group(2), path, query)
            answer.body = with_comments(site, int(match.group(1)), query, answer.body)
            return answer
        extra = engagement_page(site, path, query)  # kudos and bookmarks (ao3engagement)
        if extra is not None:
            return _html(*extra)
        if path == "/users/login":
            return _html(
                200, render_login(query.get("return_to", "/"), query.get("restricted") == "true")
            )
        if path == "/works/search":
            return _html(200, render_search(site, query))
        match = re.fullmatch(r"/series/(\d+)", path)
        if match:
            return _html(200, render_series(site, int(match.group(1)), query))
        match = re.fullmatch(r"/tags/([^/]+)/works", path)
        if match:
            tag = tag_from_path(match.group(1))
            if tag in site.synonyms:  # AO3 redirects to the canonical tag, dropping the query
                return _redirect(tag_href(site.synonyms[tag]))
            works = date_window(site, [w for w in site.visible() if tag in w.tags], query)
            suffix = f' in <a class="tag" href="/tags/{match.group(1)}">{e(tag)}</a>'
            return _html(
                200, render_listing(site, works, path=path, query=query, heading_suffix=suffix)
            )
        match = re.fullmatch(r"/users/([^/]+)(?:/pseuds/([^/]+))?/works", path)
        if match:
            user, pseud = unquote(match.group(1)), match.group(2) and unquote(match.group(2))
            works = [
                w
                for w in site.visible()
                if w.user == user and not w.anonymous and (pseud is None or w.pseud_name == pseud)
            ]
            works = date_window(site, works, query)
            return _html(
                200,
                render_listing(
                    site, works, path=path, query=query, heading_suffix=f" by {e(pseud or user)}"
                ),
            )
        match = re.fullmatch(r"/collections/([^/]+)/works", path)
        if match:
            name = unquote(match.group(1))
            works = date_window(site, [w for w in site.visible() if name in w.collections], query)
            suffix = f' in <a href="/collections/{match.group(1)}">{e(name)}</a>'
            return _html(
                200,
                render_listing(
                    site,
                    works,
                    path=path,
                    query=query,
                    heading_suffix=suffix,
                    main_class="works-index collection region",
                ),
            )
        match = re.fullmatch(r"/users/([^/]+)/bookmarks", path)
        if match:
            user = unquote(match.group(1))
            visible = {w.id: w for w in site.visible()}
            # a negative id is a bookmark of the series -id (listed, but not a work)
            bookmarked = site.bookmarks.get(user, [])
            works = [-i if i < 0 else visible[i] for i in bookmarked if i < 0 or i in visible]
            return _html(
                200,
                render_listing(
                    site,
                    works,
                    path=path,
                    query=query,
                    heading_suffix=f" by {e(user)}",
                    main_class="bookmarks-index region",
                    bookmarks=True,
                ),
            )
        return _html(404, render_404())


def date_window(site: Site, works: list[SiteWork], query: dict[str, str]) -> list[SiteWork]:
    """AO3's ``work_search`` filters on a works listing (see ``Site.search_filters``)."""
    return site.search_filters(works, query)


def _work_route(site: Site, wid: int, chapter_id: str | None, path: str, query: dict) -> Response:
    work = site.works.get(wid)
    if work is None or work.deleted:
        return _html(404, render_404())
    return_to = path + ("?" + urlencode(query) if query else "")
    if work.restricted:
        return _redirect(
            "/users/login?" + urlencode({"restricted": "true", "return_to": return_to})
        )
    if work.hidden:
        return _redirect("/users/login?" + urlencode({"return_to": return_to}))
    chapter = None
    if chapter_id is not None:
        chapter = next((c for c in work.chapters if c.chapter_id == int(chapter_id)), None)
        if chapter is None:
            return _html(404, render_404())
    elif work.chaptered and query.get("view_full_work") != "true":
        keep = {"view_adult": query["view_adult"]} if "view_adult" in query else {}
        target = f"/works/{wid}/chapters/{work.chapters[0].chapter_id}"
        return _redirect(target + ("?" + urlencode(keep) if keep else ""))
    if work.unrevealed:
        return _html(200, render_mystery(path))
    if work.adult and query.get("view_adult") != "true":
        return _html(200, render_interstitial(site, work, path))
    return _html(200, render_work(site, work, chapter))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms ACK stalls
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet: the log is ours
        return

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        entry = LogEntry(time.monotonic(), "GET", self.path, 0, dict(self.headers.items()))
        owner = self.server.owner
        owner.record(entry)
        site = owner.site
        site.on_request(self.path)
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        try:
            response = self._throttled(site, entry.t)
            fault = None if response else site.take_fault(self.path)
            if response is None and fault is not None:
                response = self._fault(owner, fault)
                if response is None:  # the fault already wrote (or refused to write) the answer
                    entry.status = 200 if fault.kind in ("drop", "drip") else 0
                    return
            if response is None:
                if site.latency:
                    owner.stopping.wait(site.latency)
                response = route(site, parts.path, query)
            entry.status = response.status
            self._send(response)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _throttled(self, site: Site, now: float) -> Response | None:
        throttle = site.throttle
        if throttle is None:
            return None
        window = int(now // throttle.period)
        with site.lock:
            owner = self.server.owner
            if owner.throttle_window != window:
                owner.throttle_window, owner.throttle_count = window, 0
            owner.throttle_count += 1
            if owner.throttle_count <= throttle.limit:
                return None
        wait = max(1, math.ceil((window + 1) * throttle.period - now))
        if throttle.http_date:
            when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait + 1)
            retry_after = format_datetime(when.replace(microsecond=0), usegmt=True)
        else:
            retry_after = str(wait)
        return Response(429, b"Retry later\n", "text/plain", {"Retry-After": retry_after})

    def _fault(self, owner: AO3Server, fault: Fault) -> Response | None:
        kind = fault.kind
        if kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if fault.retry_after and fault.http_date:
                when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=float(fault.retry_after))
                headers["Retry-After"] = format_datetime(when.replace(microsecond=0), usegmt=True)
            text = f"<html><body><h2>Error {fault.status}</h2></body></html>"
            return _html(fault.status, text, **headers)
        if kind == "cloudflare":
            return _html(
                403, CLOUDFLARE_CHALLENGE, **{"cf-mitigated": "challenge", "Server": "cloudflare"}
            )
        if kind == "cf525":
            return _html(525, CLOUDFLARE_525, Server="cloudflare")
        if kind == "slow":
            owner.stopping.wait(fault.delay)
            return self._normal()
        if kind == "hang":
            owner.stopping.wait(fault.delay)
            self.close_connection = True
            return None
        if kind == "drop":
            full = self._normal()
            self.send_response(full.status)
            self.send_header("Content-Type", full.content_type)
            self.send_header("Content-Length", str(len(full.body)))
            self.end_headers()
            self.wfile.write(full.body[: len(full.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return None
        if kind == "truncate":
            full = self._normal()
            return Response(full.status, full.body[: len(full.body) // 2], full.content_type)
        if kind == "redirect_loop":
            return _redirect(self.path)
        if kind == "redirect_offhost":
            return _redirect("http://elsewhere.invalid" + self.path)
        if kind == "not_html":
            return Response(200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png")
        if kind in HOSTILE:
            return HOSTILE[kind](self, owner, fault)
        if kind == "oversize":
            chunk = b"<p>" + b"x" * 1000 + b"</p>\n"
            return Response(200, b"<html><body>" + chunk * (fault.size // len(chunk) + 1))
        raise ValueError(f"unknown fault kind {kind!r}")

    def _drip(self, owner: AO3Server, fault: Fault) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(fault.size))
        self.end_headers()
        for _ in range(fault.size):
            self.wfile.write(b" ")
            self.wfile.flush()
            if owner.stopping.wait(fault.delay):
                break
        self.close_connection = True

    def _normal(self) -> Response:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        return route(self.server.owner.site, parts.path, query)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)


def _encoded(handler: _Handler, coding: str) -> Response:
    page = handler._normal()
    data = gzip.compress(page.body) if coding == "gzip" else zlib.compress(page.body)
    return Response(page.status, data, page.content_type, {"Content-Encoding": coding})


@functools.cache
def gzipped_zeros(size: int) -> bytes:
    """A gzip member inflating to ``size`` zero bytes (whole MiB), built in well under a second:
    after a full flush deflate forgets its history, so every MiB of zeros compresses to the
    same bytes and the stream is one block repeated."""
    mib, zeros = max(1, size >> 20), bytes(1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (mib << 20) & 0xFFFFFFFF)
    return header + first + again * (mib - 1) + deflate.flush() + trailer


def _bomb(handler: _Handler, owner: AO3Server, fault: Fault) -> Response:
    return Response(200, gzipped_zeros(fault.size), headers={"Content-Encoding": "gzip"})


def _stacked_bomb(handler: _Handler, owner: AO3Server, fault: Fault) -> Response:
    body = gzip.compress(gzipped_zeros(fault.size), 9)
    return Response(200, body, headers={"Content-Encoding": "gzip, gzip"})


def _gzip_corrupt(handler: _Handler, owner: AO3Server, fault: Fault) -> Response:
    body = gzip.compress(handler._normal().body)[:10] + bytes(range(256)) * 8
    return Response(200, body, headers={"Content-Encoding": "gzip"})


def _recoded(handler: _Handler, owner: AO3Server, fault: Fault) -> Response:
    page = handler._normal()
    text = page.body.decode("utf-8").replace('<meta charset="utf-8" />', "")
    body = text.encode(fault.charset, "xmlcharrefreplace")
    return Response(page.status, body, f"text/html; charset={fault.charset}")


def _drip(handler: _Handler, owner: AO3Server, fault: Fault) -> None:
    handler._drip(owner, fault)


HOSTILE: dict[str, Callable[[_Handler, AO3Server, Fault], Response | None]] = {
    "gzip": lambda handler, owner, fault: _encoded(handler, "gzip"),
    "deflate": lambda handler, owner, fault: _encoded(handler, "deflate"),
    "gzip_corrupt": _gzip_corrupt,
    "bad_location": lambda handler, owner, fault: Response(
        302, b"", headers={"Location": fault.location}
    ),
    "bomb": _bomb,
    "stacked_bomb": _stacked_bomb,
    "drip": _drip,
    "recoded": _recoded,
}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: AO3Server

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up (timeouts, cancelled crawls) are normal here, not errors."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class AO3Server:
    """Runs a :class:`Site` on ``http://127.0.0.1:PORT`` in a background thread."""

    def __init__(self, site: Site | None = None) -> None:
        self.site = site or make_site()
        self.stopping = threading.Event()
        self.throttle_window = -1
        self.throttle_count = 0
        self._log: list[LogEntry] = []
        self._log_lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._switch_interval = sys.getswitchinterval()

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AO3Server:
        # Threads take turns on the GIL every 5 ms by default; a request arriving while another
        # thread renders a page would be timestamped late. A short interval keeps the log's
        # arrival times within about a millisecond of the truth while the server runs.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0005)
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, daemon=True, kwargs={"poll_interval": 0.05}
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        sys.setswitchinterval(self._switch_interval)

    def __enter__(self) -> AO3Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the request log ----------------------------------------------------------------------

    def record(self, entry: LogEntry) -> None:
        with self._log_lock:
            self._log.append(entry)

    @property
    def log(self) -> list[LogEntry]:
        """A snapshot of every request so far, in arrival order."""
        with self._log_lock:
            return sorted(self._log, key=lambda entry: entry.t)

    def requests(
        self, contains: str = "", *, where: Callable[[LogEntry], bool] | None = None
    ) -> list[LogEntry]:
        """Logged requests whose path+query contains ``contains`` (and satisfy ``where``)."""
        return [x for x in self.log if contains in x.path and (where is None or where(x))]

    def clear_log(self) -> None:
        with self._log_lock:
            self._log.clear()


def main() -> None:
    """Serve a demo site by hand: ``python tests/ao3server.py [WORKS] [LATENCY]``."""
    works = int(sys.argv[1]) if len(sys.argv) > 1 else 45
    site = make_site(works)
    if len(sys.argv) > 2:
        site.latency = float(sys.argv[2])
    with AO3Server(site) as server:
        print(f"fake AO3 on {server.url} ({works} works tagged 'Test Tag'); Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
