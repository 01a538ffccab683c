"""Can this machine reach the site at all? Asked once, before a run's first request.

Without it, an offline machine spends the fetcher's whole retry budget (over a
minute of backoff) on robots.txt and then blames the site. A failure to
resolve the name, a refused connection or a TLS handshake that fails is a
problem on this side, and retrying does not fix it in seconds: the run stops at
once (exit 3) with one line naming the cause and what to check. Only the start
of a run is checked; a blip later in a crawl is the fetcher's to retry.

The check resolves the host and opens one connection (with the TLS handshake
for https) and closes it again without sending a request, so it costs the site
no page. It verifies certificates as the fetcher's client does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
from typing import Any
from urllib.parse import urlsplit

import httpx

from ficindex.errors import CannotStart

#: Seconds each of the two steps (resolving, connecting with TLS) may take: both
#: together stay well inside the 20 s a user waits before giving up on a command.
STEP_TIMEOUT = 8.0

log = logging.getLogger(__name__)

_Address = tuple[Any, ...]


async def check_reachable(base_url: str, *, timeout: float = STEP_TIMEOUT) -> None:
    """Raise :class:`CannotStart` naming the cause if ``base_url``'s host cannot be reached."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    where = host if parts.port is None else f"{host}:{port}"
    addresses = await _resolve(host, port, where, timeout)
    await _connect(addresses, host, where, tls, timeout)
    log.debug("%s is reachable", where)


async def _resolve(host: str, port: int, where: str, timeout: float) -> list[_Address]:
    try:
        infos = await asyncio.wait_for(_getaddrinfo(host, port), timeout)
    except socket.gaierror as exc:
        raise CannotStart(
            f"cannot reach {where}: the name {host} does not resolve ({exc.strerror}); "
            "check the internet connection and DNS settings, or the --base-url"
        ) from exc
    except TimeoutError as exc:
        raise CannotStart(
            f"cannot reach {where}: resolving the name {host} took over {timeout:g} s; "
            "check the internet connection and DNS settings"
        ) from exc
    return [info[4] for info in infos]


def _getaddrinfo(host: str, port: int) -> asyncio.Future[list[Any]]:
    """``getaddrinfo`` in a daemon thread: a resolver that hangs cannot hold up the exit,
    as it would in the event loop's executor (which ``asyncio.run`` waits for)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[list[Any]] = loop.create_future()

    def settle(value: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def resolve() -> None:
        value, error = None, None
        try:
            value = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except Exception as exc:  # handed to the waiting coroutine
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=resolve, name="ficindex-resolve", daemon=True).start()
    return future


async def _connect(
    addresses: list[_Address], host: str, where: str, tls: bool, timeout: float
) -> None:
    """Connect to the first address that answers (each in turn, as a browser would)."""
    # The fetcher's client verifies with httpx's default context (trust_env off): so does this.
    context = httpx.create_ssl_context(trust_env=False) if tls else None
    error: OSError | None = None
    for address in addresses:
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    address[0],
                    address[1],
                    ssl=context,
                    server_hostname=host if tls else None,
                ),
                timeout,
            )
        except TimeoutError as exc:
            raise CannotStart(
                f"cannot reach {where}: no answer within {timeout:g} s; "
                "check the internet connection, a firewall or a proxy in the way"
            ) from exc
        except ssl.SSLError as exc:
            raise CannotStart(
                f"cannot reach {where}: the TLS (https) handshake failed ({exc.reason or exc}); "
                "check the system clock, a proxy or Wi-Fi login page intercepting https, "
                "or the --base-url"
            ) from exc
        except OSError as exc:
            error = exc
            continue
        writer.close()
        with contextlib.suppress(OSError):  # the peer closing first is no concern of ours
            await writer.wait_closed()
        return
    raise _connect_error(error, where)


def _connect_error(error: OSError | None, where: str) -> CannotStart:
    if isinstance(error, ConnectionRefusedError):
        return CannotStart(
            f"cannot reach {where}: connection refused; check the base URL's host and port, "
            "or a firewall or proxy in the way"
        )
    reason = (error.strerror if error is not None else None) or str(error)
    return CannotStart(
        f"cannot reach {where}: {reason}; check the internet connection (is this machine "
        "online?), a firewall or a proxy in the way"
    )
