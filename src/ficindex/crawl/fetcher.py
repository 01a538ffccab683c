"""One HTTP client per run: polite, retried, size-capped, and kept on the AO3 host.

Every request (redirect hops and retries included) first takes its turn from
the shared :class:`~ficindex.crawl.ratelimit.RateLimiter`. Redirects are
followed by hand so that a hop to another host is refused and recorded, never
followed, and so that AO3's login redirect (a restricted or hidden work) ends
the fetch at once: the redirect itself says what the page would, and fetching
the login form would cost a request for nothing.

Transient failures are retried with tenacity: timeouts, connection errors,
responses cut short, 429, 5xx (Cloudflare's 52x included) and Cloudflare's 403
challenge page. Between retries of one URL the wait grows exponentially with
jitter; a ``Retry-After`` (and any 429) instead pauses the whole run through
the limiter, so the retry itself waits no extra time. After ``max_retries`` the
caller gets a :class:`FetchResult` with ``error`` set, never an exception.

Nothing a server sends can do more than fail its own URL: the body is decoded
here (:mod:`ficindex.crawl.decoding`), so the size cap counts decoded bytes
as they are produced and a stack of encodings is refused; each request has a
total deadline besides the per-read timeout; a malformed redirect, a corrupt
body or any other exception while fetching one URL becomes that URL's
``error``.
"""

from __future__ import annotations

import asyncio
import random as _random
import time
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_when_event_set,
)
from tenacity.wait import wait_base

from ficindex.clock import utc_now
from ficindex.crawl.config import FetchConfig
from ficindex.crawl.decoding import ACCEPT_ENCODING, BodyDecoder, TooLarge, Undecodable
from ficindex.crawl.ratelimit import Backoff, Clock, RateLimiter, Sleep, parse_retry_after

_REDIRECTS = (301, 302, 303, 307, 308)
_CLOUDFLARE_MARKERS = (b"challenge-platform", b"Just a moment...", b"cf-chl", b"shields are up")
LOGIN_PATH = "/users/login"


@dataclass(slots=True)
class FetchResult:
    """What one fetch came to, after redirects and retries.

    ``status`` is the last HTTP status seen (``None`` if no response ever
    came); ``error`` says why the fetch failed (``None`` when a response was
    received and accepted, whatever its status, e.g. a 404).
    """

    url: str
    final_url: str
    status: int | None
    body: bytes
    fetched_at: str
    content_type: str = ""
    attempts: int = 1
    error: str | None = None

    @property
    def login_redirect(self) -> bool:
        """AO3 sent a guest to the login page: the work is restricted or hidden."""
        return self.status in _REDIRECTS and urlsplit(self.final_url).path == LOGIN_PATH


@dataclass(slots=True)
class FetchStats:
    """Counters the progress display and the summary read."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    refused_redirects: int = 0


class _Retryable(Exception):
    """A transient failure worth another attempt; ``paused`` when the limiter already waits."""

    def __init__(self, reason: str, status: int | None = None, *, paused: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.paused = paused


class _Final(Exception):
    """A failure that another attempt would not change (oversize, off-host redirect, loop)."""

    def __init__(self, reason: str, status: int | None, final_url: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.final_url = final_url


class _WaitBackoffUnlessPaused(wait_base):
    """Exponential backoff with jitter, or nothing when a shared pause already does the waiting."""

    def __init__(self, backoff: Backoff) -> None:
        self.backoff = backoff

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, _Retryable) and exc.paused:
            return 0.0
        return self.backoff.delay(retry_state.attempt_number)


class Fetcher:
    """Use as ``async with Fetcher(config) as fetcher: result = await fetcher.get(url)``.

    ``client`` is an ``httpx.AsyncClient`` to send through (the caller keeps
    it open and closes it); by default the fetcher builds its own, which
    refuses cookies and ignores proxy variables. Headers, timeouts and
    redirects are set on every request, so any client behaves the same.
    ``clock``/``sleep`` drive the rate limiter and the waits between retries,
    ``wall_clock`` dates a ``Retry-After`` HTTP date and ``random`` draws the
    backoff jitter: tests inject them to check every wait exactly.
    """

    def __init__(
        self,
        config: FetchConfig,
        *,
        abort: asyncio.Event | None = None,
        client: httpx.AsyncClient | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        wall_clock: Clock = time.time,
        random: Clock = _random.random,
    ) -> None:
        self.config = config
        self.limiter = RateLimiter(
            config.rate,
            backoff_initial=config.backoff_initial,
            backoff_max=config.backoff_max,
            clock=clock,
            sleep=sleep,
        )
        self.backoff = Backoff(config.backoff_initial, config.backoff_max, random)
        self.abort = abort or asyncio.Event()
        self.stats = FetchStats()
        self.sleep = sleep
        self.wall_clock = wall_clock
        self._given_client = client
        self._client: httpx.AsyncClient | None = None
        self._headers = {
            "User-Agent": config.user_agent,
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            "Accept-Language": "en",
            "Accept-Encoding": ACCEPT_ENCODING,  # what BodyDecoder decodes, within the cap
        }
        self._timeout = httpx.Timeout(
            connect=config.connect_timeout,
            read=config.read_timeout,
            write=config.read_timeout,
            pool=None,  # waiting for a free connection is the limiter's business
        )

    async def __aenter__(self) -> Fetcher:
        if self._given_client is not None:
            self._client = self._given_client
            return self
        concurrency = self.config.concurrency
        self._client = httpx.AsyncClient(
            limits=httpx.Limits(
                max_connections=concurrency,
                max_keepalive_connections=concurrency,
                keepalive_expiry=30,
            ),
            follow_redirects=False,
            trust_env=False,  # never route through a proxy the user did not name: one host only
            # A guest needs no session: cookies AO3 sets are refused, so none is ever sent back.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None and self._given_client is None:
            await self._client.aclose()
        self._client = None

    def url(self, path_or_url: str) -> str:
        """An absolute URL on the configured host."""
        return urljoin(self.config.base_url + "/", path_or_url)

    def on_host(self, url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == self.config.host

    async def get(self, url: str) -> FetchResult:
        """GET ``url`` (on the configured host) with retries; what goes wrong is ``error``."""
        url = self.url(url)
        # tenacity reads only ``is_set()``, which an asyncio.Event has as well
        on_abort = stop_when_event_set(self.abort)  # type: ignore[arg-type]
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.config.max_retries + 1) | on_abort,
            wait=_WaitBackoffUnlessPaused(self.backoff),
            sleep=self.sleep,
            retry=retry_if_exception_type(_Retryable),
            before_sleep=self._count_retry,
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    result = await self._once(url)
        except _Retryable as exc:
            note = f" after {attempts} attempts" if attempts > 1 else ""
            return FetchResult(
                url, url, exc.status, b"", utc_now(), attempts=attempts, error=exc.reason + note
            )
        except _Final as exc:
            return FetchResult(
                url, exc.final_url, exc.status, b"", utc_now(), attempts=attempts, error=exc.reason
            )
        except Exception as exc:  # noqa: BLE001 (whatever one answer causes fails that URL only)
            reason = f"could not fetch ({type(exc).__name__}: {exc})"
            return FetchResult(url, url, None, b"", utc_now(), attempts=attempts, error=reason)
        result.attempts = attempts
        return result

    def _count_retry(self, retry_state: RetryCallState) -> None:
        self.stats.retries += 1

    async def _once(self, url: str) -> FetchResult:
        """One attempt: the request and its redirect hops, each taking a turn from the limiter."""
        assert self._client is not None, "use Fetcher as an async context manager"
        current = url
        for _hop in range(self.config.max_redirects + 1):
            if not self.on_host(current):
                self.stats.refused_redirects += 1
                raise _Final(f"redirect to another host refused: {current}", _REDIRECTS[1], current)
            await self.limiter.acquire()
            self.stats.requests += 1
            status, headers, body = await self._request(current)
            if status in _REDIRECTS and "location" in headers:
                current = self._follow(current, headers["location"], status)
                if urlsplit(current).path == LOGIN_PATH and self.on_host(current):
                    return FetchResult(url, current, status, b"", utc_now())
                continue
            self._judge(status, headers, body)
            self.limiter.succeeded()
            content_type = headers.get("content-type", "")
            return FetchResult(url, current, status, body, utc_now(), content_type)
        raise _Final(
            f"too many redirects (more than {self.config.max_redirects}), last to {current}",
            _REDIRECTS[1],
            current,
        )

    def _follow(self, current: str, location: str, status: int) -> str:
        """Where a redirect leads; a ``Location`` that is no URL at all ends the fetch."""
        try:
            target = urljoin(current, location)
            httpx.URL(target)
        except (ValueError, httpx.InvalidURL) as exc:
            reason = f"redirect to a malformed URL refused: {location!r}"
            raise _Final(reason, status, current) from exc
        return target

    async def _request(self, url: str) -> tuple[int, httpx.Headers, bytes]:
        """One HTTP exchange, its body decoded (and capped) as it arrives, within the deadline."""
        assert self._client is not None
        deadline = self.config.request_deadline
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(None) as clock:

                async def trace(event: str, info: dict[str, Any]) -> None:
                    """httpcore's hook: the headers are about to leave; the limiter's last say.

                    The turn taken before connecting paces the run; this second gate
                    holds a request whose connection took a while until it is
                    ``1 / rate`` after the previous one really left (and until any
                    pause a 429 began meanwhile is over), so the spacing holds on the
                    wire. The deadline starts after it: a long shared pause is no timeout.
                    """
                    if event.endswith("send_request_headers.started"):
                        await self.limiter.on_wire()
                        clock.reschedule(loop.time() + deadline)

                async with self._client.stream(
                    "GET",
                    url,
                    headers=self._headers,
                    timeout=self._timeout,
                    follow_redirects=False,
                    extensions={"trace": trace},
                ) as response:
                    return response.status_code, response.headers, await self._read(response)
        except TimeoutError as exc:
            raise _Retryable(f"timed out (no complete answer within {deadline:g} s)") from exc
        except httpx.TimeoutException as exc:
            raise _Retryable(f"timed out ({type(exc).__name__})") from exc
        except httpx.RemoteProtocolError as exc:
            if "location" in str(exc).lower():  # httpx reads a redirect's Location eagerly
                raise _Final(f"redirect to a malformed URL refused ({exc})", None, url) from exc
            raise _Retryable(f"connection failed ({type(exc).__name__}: {exc})") from exc
        except httpx.TransportError as exc:  # connect errors, resets, bodies cut short
            raise _Retryable(f"connection failed ({type(exc).__name__}: {exc})") from exc
        except httpx.InvalidURL as exc:  # the same, for a Location such as "http:foo"
            raise _Final(f"redirect to a malformed URL refused ({exc})", None, url) from exc

    async def _read(self, response: httpx.Response) -> bytes:
        """The body, decoded by :class:`BodyDecoder` so that ``max_bytes`` caps decoded bytes."""
        cap = self.config.max_bytes
        status, url = response.status_code, str(response.url)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            raise _Final(f"response too large ({int(length):,} bytes, limit {cap:,})", status, url)
        raw = 0
        try:
            decoder = BodyDecoder(response.headers.get("content-encoding", ""), cap)
            chunks = []
            async for chunk in response.aiter_raw():
                raw += len(chunk)
                if raw > cap:
                    raise TooLarge
                chunks.append(decoder.feed(chunk))
            decoder.finish()
        except TooLarge as exc:
            raise _Final(f"response too large (over {cap:,} bytes)", status, url) from exc
        except Undecodable as exc:
            raise _Final(f"could not decode the response: {exc.reason}", status, url) from exc
        return b"".join(chunks)

    def _judge(self, status: int, headers: httpx.Headers, body: bytes) -> None:
        """Raise for responses to retry; return for responses to hand to the caller."""
        retry_after = parse_retry_after(headers.get("retry-after"), now=self.wall_clock())
        if status == 429:
            self.stats.throttled += 1
            pause = self.limiter.throttled(retry_after, cap=self.config.max_retry_after)
            raise _Retryable(f"HTTP 429 Too Many Requests (paused {pause:.0f} s)", 429, paused=True)
        if status >= 500:
            if retry_after is not None:
                self.limiter.pause(min(retry_after, self.config.max_retry_after))
            raise _Retryable(f"HTTP {status}", status, paused=retry_after is not None)
        if status == 403 and (
            headers.get("cf-mitigated", "").lower() == "challenge"
            or any(marker in body for marker in _CLOUDFLARE_MARKERS)
        ):
            raise _Retryable("HTTP 403 Cloudflare challenge page", 403)
