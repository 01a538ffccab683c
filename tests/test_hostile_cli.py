"""Hostile command-line input: every mistake gets one ``Error:`` line, exit 2 or 3, no traceback,
and the index is left exactly as it was.

Covered: malformed work ids and URLs, other hosts, listing kinds ficindex cannot
crawl, bad fetch options, FTS5 syntax errors, missing and unreadable files, files
that are not SQLite (or a damaged one), an index made by a newer ficindex, a
read-only index and a full disk. Unreadable and read-only files are real: when
the tests run as root, the command runs in a child process without
CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (dropped from its capability bounding
set), so file permissions apply to it as to any user. A full disk is a real
``RLIMIT_FSIZE`` on the child: its writes past the limit fail with EFBIG.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ao3server import AO3Server, make_site
from ficindex.cli import cli

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted(FIXTURES.glob("work-*.html")) + sorted(FIXTURES.glob("listing-*.html"))


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    """Run ficindex in-process; a Python exception escaping the CLI fails the test."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"ficindex {args} raised {result.exception!r}")
    return result.exit_code, result.stdout, result.stderr


def assert_one_error_line(code: int, out: str, err: str, codes: tuple[int, ...] = (2, 3)) -> str:
    """Exit 2 or 3, exactly one ``Error:`` line, no traceback; returns that line."""
    assert code in codes, (code, err)
    assert "Traceback" not in err and "Traceback" not in out
    errors = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, err
    # Only click's usage lines may come with it (for a mistyped option or argument).
    others = [line for line in err.splitlines() if line.strip() and not line.startswith("Error:")]
    assert all(line.startswith(("Usage:", "Try ")) for line in others), err
    assert "internal error" not in errors[0]
    return errors[0]


def dump(db: Path) -> str:
    """The whole content of an index as SQL text (what 'unchanged' means for a database)."""
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the hand-written work and listing fixtures, built once per module."""
    db = tmp_path_factory.mktemp("template") / "index.db"
    code, _, err = run("import", str(db), *map(str, PAGES), "--silent")
    assert code in (0, 1), err  # listing pages store their blurbs; nothing may be refused
    conn = sqlite3.connect(db)  # fold the WAL into the file, so that copying the file copies all
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db


@pytest.fixture
def index(template: Path, tmp_path: Path) -> Path:
    db = tmp_path / "index.db"
    shutil.copy(template, db)
    return db


@pytest.fixture(scope="module")
def server() -> Iterator[AO3Server]:
    with AO3Server(make_site(3)) as ao3:
        yield ao3


# ---------------------------------------------------------------------------------------------
# crawl TARGETs and options
# ---------------------------------------------------------------------------------------------

BAD_TARGETS = [
    "",
    "   ",
    "abc",
    "12ab",
    "-5",
    "0",
    "²",
    "1\n2",
    "99999999999999999999999",
    "works/abc",
    "/works/abc",
    "/works",  # the whole archive
    "/works/search",  # a search without a query
    "/tags/Fluff",  # a tag's page, not its works
    "/users/someone",
    "/collections/fest",
    "/media/Anime%20*a*%20Manga/fandoms",  # not a listing ficindex crawls
    "/series",
    "/admin/posts",
    "/works/1%00",
    "https://example.org/works/1",
    "https://archiveofourown.org.evil.example/works/1",
    "//evil.example/works/1",
    "ftp://archiveofourown.org/works/1",
    "javascript:alert(1)",
    "http://[::1/works/1",
    "file:///etc/passwd",
    "https://user:password@archiveofourown.org/works/1",
]


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_bad_crawl_targets_are_refused_before_any_request(
    target: str, index: Path, server: AO3Server
) -> None:
    before, requests = dump(index), len(server.log)
    code, out, err = run("crawl", str(index), target, "--base-url", server.url)
    assert_one_error_line(code, out, err, codes=(2,))
    assert len(server.log) == requests
    assert dump(index) == before


def test_a_target_on_another_port_of_the_same_machine_is_another_host(
    index: Path, server: AO3Server
) -> None:
    with AO3Server(make_site(2)) as other:
        code, out, err = run(
            "crawl", str(index), other.url + "/works/1001", "--base-url", server.url
        )
        line = assert_one_error_line(code, out, err, codes=(2,))
        assert "only fetches the configured AO3 host" in line
        assert other.log == []


@pytest.mark.parametrize(
    "option",
    [
        ["--rate", "0"],
        ["--rate", "-1"],
        ["--rate", "nan"],
        ["--rate", "inf"],
        ["--rate", "fast"],
        ["--concurrency", "0"],
        ["--max-retries", "-1"],
        ["--max-works", "0"],
        ["--max-pages", "-3"],
        ["--base-url", "ftp://archiveofourown.org"],
        ["--base-url", "http://[::1"],
        ["--base-url", "http://127.0.0.1:99999"],
        ["--base-url", "not a url"],
        ["--user-agent", ""],
        ["--user-agent", "ficindex\r\nCookie: session=stolen"],
        ["--user-agent", "ficindex é"],
        ["--no-such-option"],
    ],
    ids=lambda o: " ".join(o).encode("unicode_escape").decode(),
)
def test_bad_crawl_options(option: list[str], index: Path, server: AO3Server) -> None:
    before, requests = dump(index), len(server.log)
    args = ["crawl", str(index), "1001", "--base-url", server.url, *option]
    code, out, err = run(*args)
    line = assert_one_error_line(code, out, err, codes=(2,))
    assert option[0] in line  # the option the user typed is named, not a library field
    assert len(server.log) == requests
    assert dump(index) == before


# ---------------------------------------------------------------------------------------------
# search, query, export
# ---------------------------------------------------------------------------------------------

BAD_FTS = [
    '"unterminated',
    "AND",
    "a OR",
    "NEAR(",
    "title:",
    "{nosuchcolumn}:word",
    "^",
    "(((",
    "\x00",
    "AND OR NOT",
]


@pytest.mark.parametrize("query", BAD_FTS)
def test_bad_search_syntax(query: str, index: Path) -> None:
    before = dump(index)
    code, out, err = run("search", str(index), query, "--json")
    assert_one_error_line(code, out, err, codes=(2,))
    assert out == ""
    assert dump(index) == before


@pytest.mark.parametrize(
    "args",
    [
        ["search", "{db}", "word", "--sort", "title; DROP TABLE works"],
        ["search", "{db}", "word", "--sort", "kudos DESC"],
        ["search", "{db}", "word", "--limit", "0"],
        ["search", "{db}", "word", "--limit", "-1"],
        ["search", "{db}", "word", "--words-min", "many"],
        ["export", "{db}", "--format", "xlsx"],
        ["export", "{db}", "--format", "txt"],  # needs -o DIRECTORY
        ["export", "{db}", "--sql", "select id from works", "--fandom", "x"],
        ["export", "{db}", "--sql", "select title from works"],
        ["export", "{db}", "--sql", "not sql at all"],
        ["export", "{db}", "--sql", "delete from works returning id"],
        ["query", "{db}", "no_such_canned_query"],
        ["query", "{db}", "tag_cooccurrence"],  # its :tag parameter is missing
        ["query", "{db}", "select * from no_such_table"],
        ["query", "{db}", "select :x", "-p", "y", "1"],
        ["query", "{db}"],
    ],
    ids=lambda a: " ".join(a[2:]),
)
def test_bad_read_command_input(args: list[str], index: Path) -> None:
    before = dump(index)
    code, out, err = run(*(a.format(db=index) for a in args))
    assert_one_error_line(code, out, err, codes=(2,))
    assert dump(index) == before


# ---------------------------------------------------------------------------------------------
# Files: missing, not SQLite, damaged, newer, unreadable, read-only, full disk
# ---------------------------------------------------------------------------------------------

READ_COMMANDS = [
    ["search", "{db}", "work"],
    ["query", "{db}", "select count(*) from works"],
    ["export", "{db}"],
    ["export", "{db}", "--format", "csv"],
]
WRITE_COMMANDS = [
    ["import", "{db}", str(FIXTURES / "work-gift.html")],
    ["reparse", "{db}"],
]
ALL_COMMANDS = READ_COMMANDS + WRITE_COMMANDS


def _ids(commands: list[list[str]]) -> list[str]:
    return [" ".join(c[:1] + c[2:3]).replace(str(FIXTURES), "") for c in commands]


@pytest.mark.parametrize("args", READ_COMMANDS + [["reparse", "{db}"]], ids=_ids)
def test_missing_index(args: list[str], tmp_path: Path) -> None:
    db = tmp_path / "missing.db"
    code, out, err = run(*(a.format(db=db) for a in args))
    line = assert_one_error_line(code, out, err, codes=(2,))
    assert "no index at" in line
    assert not db.exists()  # a read command never creates an index by mistake


def test_missing_and_unreadable_page_files(tmp_path: Path) -> None:
    code, out, err = run("parse", str(tmp_path / "missing.html"))
    assert_one_error_line(code, out, err, codes=(2,))
    code, out, err = run("parse", str(tmp_path))  # a directory
    assert_one_error_line(code, out, err, codes=(2,))
    code, out, err = run("import", str(tmp_path / "i.db"), str(tmp_path / "missing.html"))
    assert_one_error_line(code, out, err, codes=(2,))
    assert not (tmp_path / "i.db").exists()


NOT_AN_INDEX: dict[str, Callable[[Path], None]] = {
    "text": lambda p: p.write_text("id,title\n1,hello\n"),
    "html": lambda p: p.write_bytes((FIXTURES / "work-gift.html").read_bytes()),
    "random-bytes": lambda p: p.write_bytes(bytes(range(256)) * 64),
    "directory": lambda p: p.mkdir(),
}


@pytest.mark.parametrize("kind", NOT_AN_INDEX)
@pytest.mark.parametrize("args", ALL_COMMANDS, ids=_ids(ALL_COMMANDS))
def test_a_file_that_is_not_sqlite(kind: str, args: list[str], tmp_path: Path) -> None:
    db = tmp_path / "index.db"
    NOT_AN_INDEX[kind](db)
    before = None if db.is_dir() else digest(db)
    code, out, err = run(*(a.format(db=db) for a in args))
    assert_one_error_line(code, out, err, codes=(2,))
    assert (None if db.is_dir() else digest(db)) == before


@pytest.mark.parametrize("args", ALL_COMMANDS, ids=_ids(ALL_COMMANDS))
def test_a_damaged_index(args: list[str], index: Path) -> None:
    data = index.read_bytes()
    index.write_bytes(data[:4096] + b"\xde\xad" * 2048 + data[8192:])  # page 2 overwritten
    before = digest(index)
    code, out, err = run(*(a.format(db=index) for a in args))
    assert_one_error_line(code, out, err, codes=(2,))
    assert digest(index) == before


def test_an_empty_file_is_not_turned_into_an_index_by_a_read_command(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    db.touch()
    for args in READ_COMMANDS:
        code, out, err = run(*(a.format(db=db) for a in args))
        line = assert_one_error_line(code, out, err, codes=(2,))
        assert "empty file" in line
    assert db.stat().st_size == 0


def test_a_foreign_sqlite_database_is_not_turned_into_an_index(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE accounts (name TEXT, balance INTEGER)")
        conn.execute("INSERT INTO accounts VALUES ('alice', 10)")
    conn.close()
    before = dump(db)
    for args in READ_COMMANDS:
        code, out, err = run(*(a.format(db=db) for a in args))
        assert_one_error_line(code, out, err, codes=(2,))
    assert dump(db) == before


@pytest.mark.parametrize(
    "args", ALL_COMMANDS + [["crawl", "{db}", "1001"], ["refresh", "{db}"]], ids=_ids
)
def test_an_index_made_by_a_newer_ficindex(args: list[str], index: Path, server: AO3Server):
    with sqlite3.connect(index) as conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('ficindex', 'm999_from_the_future', '2099-01-01')"
        )
    conn.close()
    before, requests = dump(index), len(server.log)
    extra = ["--base-url", server.url] if args[0] in ("crawl", "refresh") else []
    code, out, err = run(*(a.format(db=index) for a in args), *extra)
    line = assert_one_error_line(code, out, err, codes=(2,))
    assert "newer ficindex" in line
    assert dump(index) == before
    assert len(server.log) == requests


# --- real permissions, even for root ---------------------------------------------------------

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _as_plain_user() -> None:
    """In the child, before exec: give up root's power to ignore file permissions."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
            if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def ficindex(*args: str, preexec: Callable[[], None] = _as_plain_user, timeout: float = 60):
    """Run the real ficindex in a child process (real stdio, real permissions)."""
    proc = subprocess.run(
        [sys.executable, "-m", "ficindex", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec,
        env={**os.environ, "FICINDEX_DEBUG": ""},
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def permissions_apply(tmp_path: Path) -> Iterator[None]:
    """Skip unless a read-only file really refuses a write from the child process."""
    probe = tmp_path / "probe"
    probe.write_text("x")
    probe.chmod(0o444)
    code = subprocess.run(
        [sys.executable, "-c", f"open({str(probe)!r}, 'a')"],
        capture_output=True,
        preexec_fn=_as_plain_user,
        timeout=30,
    ).returncode
    if code == 0:
        pytest.skip("file permissions cannot be made to apply here (root with capabilities)")
    yield
    for path in tmp_path.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    tmp_path.chmod(0o755)


def test_an_unreadable_index_and_page(index: Path, tmp_path: Path, permissions_apply) -> None:
    before = digest(index)
    index.chmod(0o000)
    for args in ALL_COMMANDS:
        code, out, err = ficindex(*(a.format(db=index) for a in args))
        assert_one_error_line(code, out, err, codes=(2,))
    page = tmp_path / "secret.html"
    page.write_bytes((FIXTURES / "work-gift.html").read_bytes())
    page.chmod(0o000)
    code, out, err = ficindex("parse", str(page))
    assert_one_error_line(code, out, err, codes=(2,))
    index.chmod(0o644)
    assert digest(index) == before


def test_a_read_only_index_file(index: Path, server: AO3Server, permissions_apply) -> None:
    """Read commands work; write commands refuse in one line and change nothing."""
    index.chmod(0o444)
    before, requests = digest(index), len(server.log)
    for args in READ_COMMANDS:
        code, out, err = ficindex(*(a.format(db=index) for a in args))
        assert code == 0, err
        assert out.strip()
    for args in [
        *WRITE_COMMANDS,
        ["crawl", "{db}", "1001", "--base-url", server.url],
        ["refresh", "{db}", "--base-url", server.url],
    ]:
        code, out, err = ficindex(*(a.format(db=index) for a in args))
        line = assert_one_error_line(code, out, err)
        assert "read-only" in line or "readonly" in line
    assert digest(index) == before
    assert len(server.log) == requests


def test_an_index_in_a_read_only_directory(index: Path, permissions_apply) -> None:
    """SQLite cannot open a WAL database whose directory forbids its -shm file: every command
    (reads included) refuses in one line and leaves the file alone."""
    index.chmod(0o444)
    index.parent.chmod(0o555)
    before = digest(index)
    for args in ALL_COMMANDS:
        code, out, err = ficindex(*(a.format(db=index) for a in args))
        if code == 0:  # reading is the better outcome, if SQLite ever manages it
            assert args in READ_COMMANDS
            continue
        assert_one_error_line(code, out, err)
    assert digest(index) == before


# --- a full disk -------------------------------------------------------------------------------


def _file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _big_work_page(tmp_path: Path) -> Path:
    """A work page of ~1 MB of chapter text (no dependency on ../shared)."""
    page = (FIXTURES / "work-full-view.html").read_text("utf-8")
    filler = "".join(
        f"<p>Paragraph {i} of a very long chapter, full of words.</p>" for i in range(20000)
    )
    marker = '<div class="userstuff module" role="article">'
    assert marker in page
    big = page.replace(marker, marker + filler, 1)
    path = tmp_path / "big-work.html"
    path.write_text(big, "utf-8")
    return path


def test_import_on_a_full_disk_changes_nothing(index: Path, tmp_path: Path) -> None:
    before = dump(index)
    limit = index.stat().st_size  # neither the index nor its WAL may grow past today's size
    page = _big_work_page(tmp_path)
    code, out, err = ficindex("import", str(index), str(page), preexec=_file_size_limit(limit))
    assert "disk may be full" in assert_one_error_line(code, out, err)
    assert dump(index) == before
    assert sqlite3.connect(index).execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # With space again, the same command works.
    code, _, err = ficindex("import", str(index), str(page), preexec=lambda: None)
    assert code == 0, err


def test_export_on_a_full_disk(index: Path, tmp_path: Path) -> None:
    before = dump(index)
    out_file = tmp_path / "out.jsonl"
    code, out, err = ficindex(
        "export", str(index), "-o", str(out_file), preexec=_file_size_limit(4096)
    )
    assert_one_error_line(code, out, err)
    assert dump(index) == before


def test_crawl_on_a_full_disk_stops_cleanly_and_resumes(tmp_path: Path) -> None:
    site = make_site(30)
    db = tmp_path / "crawl.db"
    with AO3Server(site) as ao3:
        common = ["--base-url", ao3.url, "--rate", "100", "--silent"]
        code, _, err = ficindex("crawl", str(db), "1001", *common, preexec=lambda: None)
        assert code == 0, err
        limit = db.stat().st_size + 8192
        target = ao3.url + "/tags/Test%20Tag/works"
        code, out, err = ficindex(
            "crawl", str(db), target, *common, preexec=_file_size_limit(limit)
        )
        assert_one_error_line(code, out, err)
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.close()
        code, _, err = ficindex("crawl", str(db), target, *common, preexec=lambda: None)
        assert code == 0, err
    conn = sqlite3.connect(db)
    works = conn.execute("SELECT count(*), count(DISTINCT id) FROM works").fetchone()
    chapters = conn.execute("SELECT count(*) FROM chapters").fetchone()[0]
    conn.close()
    assert works == (30, 30)
    assert chapters == sum(len(w.chapters) for w in site.works.values())
