"""What a user may ask ``crawl`` for: work ids, work and chapter URLs, and AO3 listings.

A TARGET becomes a :class:`Target` whose ``key`` names it in the crawl frontier,
so running the same command twice finds the same job. Only URLs on the
configured host (``www.`` ignored) are accepted; anything else is refused with
exit 2 before any request is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlencode, urlsplit

from ficindex.crawl.config import FetchConfig
from ficindex.errors import BadInput

#: Listing kinds, for messages and for the frontier's ``kind`` column.
LISTING_KINDS = (
    "tag works",
    "user works",
    "pseud works",
    "collection works",
    "series",
    "bookmarks",
    "search results",
    "works index",
)

_NAME = r"[^/]+"
_LISTINGS = (
    (re.compile(rf"/tags/{_NAME}/works"), "tag works"),
    (re.compile(rf"/tags/{_NAME}/bookmarks"), "bookmarks"),
    (re.compile(rf"/users/{_NAME}/works"), "user works"),
    (re.compile(rf"/users/{_NAME}/pseuds/{_NAME}/works"), "pseud works"),
    (re.compile(rf"/users/{_NAME}(?:/pseuds/{_NAME})?/bookmarks"), "bookmarks"),
    (re.compile(rf"/collections/{_NAME}/works"), "collection works"),
    (re.compile(rf"/collections/{_NAME}/bookmarks"), "bookmarks"),
    (re.compile(r"/series/\d+"), "series"),
    (re.compile(r"/works/search"), "search results"),
    (re.compile(r"/bookmarks(?:/search)?"), "bookmarks"),
    (re.compile(r"/works"), "works index"),
)
_WORK = re.compile(rf"(?:/collections/{_NAME})?/works/(\d+)(?:/.*)?")
_NOT_LISTINGS = (
    (re.compile(rf"/tags/({_NAME})"), "a tag's page is not a listing; use {}/works"),
    (
        re.compile(rf"/users/({_NAME})(?:/pseuds/{_NAME})?"),
        "a user's page is not a listing; use {}/works",
    ),
    (re.compile(rf"/collections/({_NAME})"), "a collection's page is not a listing; use {}/works"),
)


@dataclass(frozen=True, slots=True)
class Target:
    """One thing to crawl. ``path`` is where to start (path and query on the configured host)."""

    kind: str  # "work" or one of LISTING_KINDS
    key: str
    path: str
    work_id: int | None = None

    @property
    def is_listing(self) -> bool:
        return self.kind != "work"


def work_path(work_id: int) -> str:
    """The one request that gets a whole work: every chapter, no adult interstitial."""
    return f"/works/{work_id}?view_adult=true&view_full_work=true"


def work_target(work_id: int) -> Target:
    return Target("work", f"work:{work_id}", work_path(work_id), work_id)


def parse_target(text: str, config: FetchConfig) -> Target:
    """A work id, work/chapter URL or listing URL -> Target; anything else -> BadInput (exit 2)."""
    raw = text.strip()
    if not raw:
        raise BadInput("empty TARGET: give a work id, a work URL or a listing URL")
    if raw.isdecimal():  # not isdigit: int() refuses "²"
        return work_target(_work_id(raw, text))
    parts = _split(_with_scheme(raw, text), text, config)
    path = quote(unquote(parts.path.rstrip("/") or "/"), safe="/*:@!$&'()+,;=-._~")
    match = _WORK.fullmatch(path)
    if match:
        return work_target(_work_id(match.group(1), text))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return _listing_target(path, query, text)


def _with_scheme(raw: str, text: str) -> str:
    """A URL given without its scheme (``archiveofourown.org/works/1``) gets ``https://``."""
    if "://" in raw or raw.startswith("/"):
        return raw
    if not re.match(r"[\w.-]+\.[a-z]{2,}(?::\d+)?/", raw, re.IGNORECASE):
        raise BadInput(
            f"TARGET {text!r} is neither a work id nor an AO3 URL "
            "(examples: 12345, https://archiveofourown.org/tags/Fluff/works)"
        )
    return "https://" + raw


def _split(raw: str, text: str, config: FetchConfig) -> SplitResult:
    """The parts of a TARGET URL, which must be on the configured host (a path is)."""
    try:
        parts = urlsplit(raw)
    except ValueError as exc:  # e.g. an unclosed "[" IPv6 host
        raise BadInput(f"TARGET {text!r} is not a valid URL ({exc})") from None
    if raw.startswith("/") and not raw.startswith("//"):  # "//host/..." names another host
        return parts
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInput(f"TARGET {text!r} is not an http(s) URL")
    host = parts.netloc.lower()
    if _bare(host) != _bare(config.host):
        raise BadInput(
            f"TARGET {text!r} is on {host}, not on {config.host}: ficindex only fetches the "
            "configured AO3 host"
        )
    return parts


def _listing_target(path: str, query: list[tuple[str, str]], text: str) -> Target:
    """The listing at ``path``; its key leaves out the page number, so a walk resumes."""
    for pattern, kind in _LISTINGS:
        if pattern.fullmatch(path):
            if kind in ("works index", "search results") and not query:
                raise BadInput(
                    f"TARGET {text!r} lists the whole archive; give a tag, user, collection or "
                    "series listing, or a search with its query"
                )
            start = path + ("?" + urlencode(query) if query else "")
            identity = sorted((k, v) for k, v in query if k != "page")
            key = path + ("?" + urlencode(identity) if identity else "")
            return Target(kind, key, start)
    for pattern, advice in _NOT_LISTINGS:
        if pattern.fullmatch(path):
            raise BadInput(f"TARGET {text!r}: " + advice.format(path))
    raise BadInput(
        f"TARGET {text!r} is not a page ficindex can crawl: give a work, or a listing "
        f"({', '.join(LISTING_KINDS[:-1])})"
    )


def _work_id(digits: str, text: str) -> int:
    work_id = int(digits)
    if not 0 < work_id < 10**12:
        raise BadInput(f"TARGET {text!r}: {digits} is not an AO3 work id")
    return work_id


def _bare(host: str) -> str:
    return host[4:] if host.startswith("www.") else host
