"""What one crawl or refresh run is allowed to do on the network.

The defaults are chosen for AO3's real limits, not for speed. AO3's
Rack::Attack throttle answers 429 after roughly 70-100 quick requests and
blocks for minutes, and users report that about 20 requests per minute stays
clear (AO3-MARKUP.md section 2.5; limits were tightened in January 2025). The
default rate of 0.2 requests per second (12 per minute, one request every five
seconds) keeps a multi-day crawl well under that line, leaves room for the
reader traffic that shares a campus or office IP, and still fetches about
17,000 works a day at one request per work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from ficindex import AO3_URL, PROJECT_URL, __version__
from ficindex.errors import BadInput

DEFAULT_BASE_URL = AO3_URL
DEFAULT_RATE = 0.2
DEFAULT_USER_AGENT = f"ficindex/{__version__} (+{PROJECT_URL})"


@dataclass(frozen=True)
class FetchConfig:
    """Network settings shared by every request of a run.

    ``rate`` is a ceiling on request *starts* per second for the whole run,
    across all workers; ``concurrency`` only hides latency (with a 1 s response
    time, 2 workers are enough to keep 0.2-1 req/s). ``max_retries`` counts
    retries after the first attempt. ``max_retry_after`` caps how long one
    ``Retry-After`` can pause the run (AO3 asks for a few minutes at most);
    ``backoff_initial``/``backoff_max`` bound the exponential wait between
    retries of a failing URL. ``read_timeout`` bounds each wait for data;
    ``request_deadline`` bounds a whole request from the moment it is sent,
    so a server that drips one byte at a time cannot hold it for ever.
    """

    base_url: str = DEFAULT_BASE_URL
    rate: float = DEFAULT_RATE
    concurrency: int = 2
    user_agent: str = DEFAULT_USER_AGENT
    max_retries: int = 5
    connect_timeout: float = 15.0
    read_timeout: float = 60.0
    request_deadline: float = 120.0
    max_bytes: int = 50_000_000
    obey_robots: bool = True
    backoff_initial: float = 2.0
    backoff_max: float = 300.0
    max_retry_after: float = 900.0
    max_redirects: int = 5

    def __post_init__(self) -> None:
        if not 0 < self.rate < math.inf:  # also refuses nan and inf: a rate must limit
            raise ConfigError(
                "rate", f"must be a positive number of requests per second, not {self.rate}"
            )
        for name, (low, high) in _WHOLE_NUMBERS.items():
            _check_whole(name, getattr(self, name), low, high)
        for name in _DURATIONS:
            seconds = getattr(self, name)
            if not 0 < seconds < math.inf:
                raise ConfigError(name, f"must be a positive number of seconds, not {seconds}")
        if self.backoff_initial > self.backoff_max:
            raise ConfigError(
                "backoff_initial",
                f"must not exceed backoff_max ({self.backoff_max}), not {self.backoff_initial}",
            )
        if not self.user_agent.strip():
            raise ConfigError("user_agent", "must not be empty")
        if not (self.user_agent.isascii() and self.user_agent.isprintable()):
            raise ConfigError(
                "user_agent", f"must be printable ASCII text, not {self.user_agent!r}"
            )
        object.__setattr__(self, "base_url", _origin(self.base_url))

    @property
    def host(self) -> str:
        """``host[:port]`` of the one site this run may contact."""
        return urlsplit(self.base_url).netloc.lower()


#: Whole-number settings and their bounds: enough for any real crawl, and no value that
#: would hand the network layer an absurd pool, retry loop or buffer.
_WHOLE_NUMBERS = {
    "concurrency": (1, 64),
    "max_retries": (0, 100),
    "max_redirects": (0, 20),
    "max_bytes": (1, 2**31),
}

#: Settings in seconds: each must be positive and finite (NaN and infinity refused).
_DURATIONS = (
    "connect_timeout",
    "read_timeout",
    "request_deadline",
    "backoff_initial",
    "backoff_max",
    "max_retry_after",
)


def _check_whole(name: str, value: int, low: int, high: int) -> None:
    if value < low:
        floor = "0 or more" if low == 0 else f"at least {low}"
        raise ConfigError(name, f"must be {floor}, not {value}")
    if value > high:
        raise ConfigError(name, f"must be at most {high:,}, not {value:,}")


class ConfigError(BadInput):
    """A :class:`FetchConfig` value out of range.

    The message names the field as the library knows it (``rate must be
    ...``); ``field`` and ``problem`` let a front end name its own option
    instead (the CLI says ``--rate must be ...``).
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


def _origin(base_url: str) -> str:
    """``scheme://host[:port]`` of an http(s) URL without credentials, or :class:`ConfigError`."""
    try:
        parts = urlsplit(base_url)
        hostname = parts.hostname
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:  # an unclosed "[" IPv6 host, a port such as 99999
        parts, hostname = urlsplit(""), None
    if parts.scheme not in ("http", "https") or not hostname:
        raise ConfigError(
            "base_url", f"{base_url!r} is not an http(s) URL such as {DEFAULT_BASE_URL}"
        )
    if "@" in parts.netloc:  # a user name or password would be sent, logged and stored
        raise ConfigError(
            "base_url", "must not contain a user name or password: ficindex never logs in"
        )
    return f"{parts.scheme}://{parts.netloc}"
