"""Shared pytest fixtures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ao3server import AO3Server, Site, make_site  # noqa: E402


@pytest.fixture
def site() -> Site:
    """A fresh fake AO3: 45 works tagged "Test Tag" (some chaptered, some Explicit)."""
    return make_site(45)


@pytest.fixture
def ao3(site: Site) -> Iterator[AO3Server]:
    """The ``site`` served over real HTTP on 127.0.0.1 (random port), stopped after the test."""
    with AO3Server(site) as server:
        yield server
