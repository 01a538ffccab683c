"""The fetching options ``crawl`` and ``refresh`` share (SPEC section 1), defined once.

Both commands talk to AO3 the same way, so they take the same options with the
same defaults and help, and build the same :class:`FetchConfig` from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import click

from ficindex.crawl.config import DEFAULT_BASE_URL, DEFAULT_RATE, ConfigError, FetchConfig
from ficindex.crawl.engagement import KINDS, parse_kinds
from ficindex.errors import BadInput

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = (
    click.option(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        show_default=True,
        help="Most requests per second, for the whole run (AO3 throttles well below 1).",
    ),
    click.option(
        "--concurrency",
        type=int,
        default=FetchConfig.concurrency,
        show_default=True,
        help="Requests in flight at once (hides latency; never raises the rate).",
    ),
    click.option(
        "--user-agent", help="User-Agent header [default: ficindex/VERSION (+PROJECT URL)]"
    ),
    click.option(
        "--max-retries",
        type=int,
        default=FetchConfig.max_retries,
        show_default=True,
        help="Retries of a failing request before its work is recorded as failed.",
    ),
    click.option(
        "--base-url",
        default=DEFAULT_BASE_URL,
        show_default=True,
        help="The AO3 host to fetch from (a mirror, or a local test server).",
    ),
)


def fetch_options(command: F) -> F:
    """Add ``--rate --concurrency --user-agent --max-retries --base-url`` to a command."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def fetch_config(
    *, rate: float, concurrency: int, user_agent: str | None, max_retries: int, base_url: str
) -> FetchConfig:
    """The :class:`FetchConfig` those options describe (the default User-Agent when unset).

    The library names a bad value by its field (``rate must be ...``); here the
    user typed an option, so the message names the option (``--rate must be ...``).
    """
    try:
        config = FetchConfig(
            base_url=base_url, rate=rate, concurrency=concurrency, max_retries=max_retries
        )
        return config if user_agent is None else replace(config, user_agent=user_agent)
    except ConfigError as exc:
        raise BadInput(f"--{exc.field.replace('_', '-')} {exc.problem}") from exc


#: ``--with KINDS`` of ``crawl`` and ``refresh``: the engagement pages to fetch too.
with_option = click.option(
    "--with",
    "with_kinds",
    metavar="KINDS",
    help=f"Also fetch each work's engagement pages, any of {','.join(KINDS)} (comma-separated); "
    "remembered with the targets, so refresh keeps fetching them. Costs 1 more request per "
    "20 comment threads, 50 kudos and 20 bookmarks: a work with 57 comments, 3,025 kudos "
    "(1,246 from guests) and 712 bookmarks costs 74 (refresh --dry-run states it).",
)


def kinds_option(text: str | None) -> tuple[str, ...]:
    """``--with``'s value as kinds in fetch order; the library's message gains the option's name."""
    if text is None:
        return ()
    try:
        return parse_kinds(text)
    except BadInput as exc:
        raise BadInput(f"--with: {exc}") from exc
