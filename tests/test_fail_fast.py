"""Offline, or pointed at nothing: crawl and refresh stop at once (exit 3) naming the cause.

Everything here is loopback: a port nobody listens on (refused), a ``.invalid``
name (resolution fails on this machine: RFC 6761 reserves it), and the fake AO3
spoken to with https (its plain-HTTP answer fails the TLS handshake).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ficindex.index import open_index
from ficindex.lock import index_lock

#: Generous for a loaded 2-core machine; the old behaviour took over 70 s.
BOUND = 20.0


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ficindex(*args: object) -> tuple[int, str, str, float]:
    """Run the real program; (exit code, stdout, stderr, seconds it took)."""
    began = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "ficindex", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FICINDEX_DEBUG": ""},
    )
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - began


def no_lock_left(directory: Path) -> None:
    assert sorted(p.name for p in directory.iterdir() if p.name.endswith(".lock")) == []


def test_crawl_to_a_refused_port_exits_3_at_once_naming_the_cause(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    code, out, err, took = ficindex("crawl", tmp_path / "fics.db", "123", "--base-url", base)
    assert code == 3
    assert out == ""
    assert not (tmp_path / "fics.db").exists()  # a first run offline leaves no empty index
    host = base.removeprefix("http://")
    assert err == (
        f"Error: cannot reach {host}: connection refused; check the base URL's host and port, "
        "or a firewall or proxy in the way\n"
    )
    assert took < BOUND
    no_lock_left(tmp_path)


def test_crawl_of_a_name_that_does_not_resolve_exits_3_naming_dns(tmp_path: Path) -> None:
    code, _, err, took = ficindex(
        "crawl", tmp_path / "fics.db", "123", "--base-url", "http://name.invalid"
    )
    assert code == 3
    assert err.startswith(
        "Error: cannot reach name.invalid: the name name.invalid does not resolve"
    )
    assert err.endswith("check the internet connection and DNS settings, or the --base-url\n")
    assert err.count("\n") == 1
    assert took < BOUND
    no_lock_left(tmp_path)


def test_https_to_a_plain_http_server_exits_3_naming_tls(tmp_path: Path, ao3) -> None:
    base = ao3.url.replace("http://", "https://")
    code, _, err, took = ficindex("crawl", tmp_path / "fics.db", "123", "--base-url", base)
    assert code == 3
    host = base.removeprefix("https://")
    assert err.startswith(f"Error: cannot reach {host}: the TLS (https) handshake failed (")
    assert "check the system clock" in err and err.count("\n") == 1
    assert took < BOUND
    assert ao3.log == []  # the check sends no request: the site sees nothing
    no_lock_left(tmp_path)


@pytest.mark.parametrize("dry_run", [False, True])
def test_refresh_offline_exits_3_and_leaves_no_lock(tmp_path: Path, dry_run: bool) -> None:
    db = tmp_path / "fics.db"
    open_index(db).close()
    port = closed_port()
    args = ["refresh", db, "--base-url", f"http://127.0.0.1:{port}"]
    code, _, err, took = ficindex(*args, *(["--dry-run"] if dry_run else []))
    assert code == 3
    assert err.startswith(f"Error: cannot reach 127.0.0.1:{port}: connection refused;")
    assert err.count("\n") == 1
    assert took < BOUND
    no_lock_left(tmp_path)


def test_finished_runs_and_read_only_commands_leave_no_lock(tmp_path: Path, ao3) -> None:
    db = tmp_path / "fics.db"
    code, _, err, _ = ficindex("crawl", db, "1", "--base-url", ao3.url, "--rate", "50")
    assert code == 0, err
    no_lock_left(tmp_path)
    for args in (("search", db, "the"), ("query", db, "select 1"), ("export", db)):
        code, _, err, _ = ficindex(*args)
        assert code == 0, err
        no_lock_left(tmp_path)
    code, _, err, _ = ficindex("refresh", tmp_path / "missing.db", "--base-url", ao3.url)
    assert code == 2 and "missing.db" in err
    no_lock_left(tmp_path)
    with index_lock(db):  # a run that finds the index busy leaves the holder's lock alone
        code, _, err, _ = ficindex("crawl", db, "1", "--base-url", ao3.url)
        assert code == 3 and "is being written by another" in err
        assert (tmp_path / "fics.db.lock").exists()
    no_lock_left(tmp_path)


def test_a_connection_lost_once_the_crawl_is_under_way_is_retried(
    tmp_path: Path, ao3, site
) -> None:
    site.add_fault("/works/1001", "drop", count=2)  # reset mid-body, twice, then served
    code, _, err, _ = ficindex(
        "crawl", tmp_path / "fics.db", "1001", "--base-url", ao3.url, "--rate", "50"
    )
    assert code == 0, err
    assert "1 work (1 ok)" in err and "2 retries" in err
    assert len([e for e in ao3.log if e.path.startswith("/works/1001")]) == 3
