"""A loopback server for a work's engagement pages, serving fixture files by exact path.

Small on purpose (the fake AO3 in ao3server.py renders whole sites): each
route is a path with its query, as the client will ask for it, mapped to a
status and body; anything else is a 404. ``log`` lists every request path
(with query) in arrival order, for tests to assert on.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class Route:
    """What one path answers: a status, a body and, for redirects, a Location."""

    body: bytes = b""
    status: int = 200
    location: str | None = None


@dataclass
class EngagementSite:
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        site = self.server.site
        with site.lock:
            site.log.append(self.path)
        route = site.routes.get(self.path, Route(b"<html><body>404</body></html>", 404))
        self.send_response(route.status)
        if route.location is not None:
            self.send_header("Location", route.location)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        self.wfile.write(route.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the test reads ``site.log`` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: EngagementSite


class EngagementServer:
    """``with EngagementServer(site) as server:`` serves ``site`` on ``server.url``."""

    def __init__(self, site: EngagementSite) -> None:
        self.site = site
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.site = site
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, daemon=True, kwargs={"poll_interval": 0.05}
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> EngagementServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
