"""Security: one host only, page content never steers the crawler elsewhere, SQL is always
parameterised, and no credentials are read, sent, stored or logged.

"Another host" is a second loopback server: every test that could leak a request
asserts that its request log stays empty, which fails loudly if a request ever
leaves for it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import ao3server
from ao3server import AO3Server, Response, Site, make_site
from ficindex.cli import cli
from ficindex.errors import BadInput
from ficindex.index import open_index
from ficindex.index.search import search

FIXTURES = Path(__file__).parent / "fixtures"
TAG = "/tags/Test%20Tag/works"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"ficindex {args} raised {result.exception!r}")
    return result.exit_code, result.stdout, result.stderr


def dump(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def other_host() -> Iterator[AO3Server]:
    with AO3Server(make_site(5)) as server:
        yield server


@pytest.fixture
def hostile_site(monkeypatch: pytest.MonkeyPatch, other_host: AO3Server) -> Site:
    """A fake AO3 whose pages point off-site everywhere a page can, and that sets cookies."""
    site = make_site(25)
    off = other_host.url
    for work in site.works.values():
        work.summary = f"Read more at {off}/works/1001 or //{off[7:]}/works/1002."
    original = ao3server.route

    def route(s: Site, path: str, query: dict[str, str]) -> Response:
        answer = original(s, path, query)
        body = answer.body
        if path == "/robots.txt":
            body += f"\nSitemap: {off}/sitemap.xml\nAllow: {off}/\n".encode()
        elif answer.content_type.startswith("text/html"):
            body = body.replace(
                b"</head>",
                f'<link rel="stylesheet" href="{off}/skin.css"><script src="{off}/x.js">'
                f'</script><meta http-equiv="refresh" content="0; url={off}/works/1">'
                f"</head>".encode(),
            ).replace(
                b'<div id="main"',
                f'<a href="{off}/works/1001">off-site work</a><img src="{off}/i.png">'
                f'<form action="{off}/users/login"></form><div id="main"'.encode(),
            )
            # The second listing page is linked on the other host only.
            body = body.replace(
                f'href="{TAG}?page=2"'.encode(), f'href="{off}{TAG}?page=2"'.encode()
            )
        headers = {
            **answer.headers,
            "Set-Cookie": "_otwarchive_session=guest-session-token; path=/; HttpOnly",
        }
        return Response(answer.status, body, answer.content_type, headers)

    monkeypatch.setattr(ao3server, "route", route)
    return site


def test_only_the_configured_host_is_contacted(
    hostile_site: Site, other_host: AO3Server, tmp_path: Path
) -> None:
    db = tmp_path / "i.db"
    with AO3Server(hostile_site) as ao3:
        code, _, err = run("crawl", str(db), ao3.url + TAG, "--base-url", ao3.url, "--rate", "200")
        paths = [e.path for e in ao3.log]
        headers = [e.headers for e in ao3.log]
    assert code == 1, err  # the off-site next link is reported as a failure of the listing
    assert "leaves" in err
    assert other_host.log == []  # robots.txt, pages, links, redirects: nothing went there
    assert paths[0] == "/robots.txt"
    assert sqlite3.connect(db).execute("SELECT count(*) FROM works").fetchone()[0] == 20
    # The session cookie the site handed out never comes back: ficindex stays a stranger.
    assert all("cookie" not in {k.lower() for k in h} for h in headers)
    assert all("authorization" not in {k.lower() for k in h} for h in headers)


def test_proxy_variables_are_not_obeyed(other_host: AO3Server, tmp_path: Path) -> None:
    """HTTP(S)_PROXY could send every request (and its URL) through another machine."""
    with AO3Server(make_site(3)) as ao3:
        env = {
            **os.environ,
            "HTTP_PROXY": other_host.url,
            "HTTPS_PROXY": other_host.url,
            "ALL_PROXY": other_host.url,
            "http_proxy": other_host.url,
            "NO_PROXY": "",
        }
        proc = subprocess.run(
            [sys.executable, "-m", "ficindex", "crawl", str(tmp_path / "i.db"), "1001"]
            + ["--base-url", ao3.url, "--rate", "100", "--silent"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        assert [e.path for e in ao3.log][0] == "/robots.txt"
    assert other_host.log == []


def test_robots_txt_redirected_to_another_host_is_not_followed(
    monkeypatch: pytest.MonkeyPatch, other_host: AO3Server, tmp_path: Path
) -> None:
    original = ao3server.route

    def route(s: Site, path: str, query: dict[str, str]) -> Response:
        if path == "/robots.txt":
            return Response(302, b"", headers={"Location": other_host.url + "/robots.txt"})
        return original(s, path, query)

    monkeypatch.setattr(ao3server, "route", route)
    with AO3Server(make_site(3)) as ao3:
        code, out, err = run("crawl", str(tmp_path / "i.db"), "1001", "--base-url", ao3.url)
        assert [e.path for e in ao3.log] == ["/robots.txt"]
    assert code in (2, 3) and err.startswith("Error:") and "Traceback" not in err
    assert other_host.log == []


def test_credentials_in_urls_are_refused(other_host: AO3Server, tmp_path: Path) -> None:
    db = tmp_path / "i.db"
    with AO3Server(make_site(3)) as ao3:
        secret = ao3.url.replace("http://", "http://alice:s3cret@")
        for args in (
            ["crawl", str(db), "1001", "--base-url", secret],
            ["crawl", str(db), secret + "/works/1001", "--base-url", ao3.url],
        ):
            code, out, err = run(*args)
            assert code == 2 and err.startswith("Error:"), err
        assert ao3.log == []
        code, _, err = run("crawl", str(db), "1001", "--base-url", ao3.url, "--rate", "100")
        assert code == 0, err
        assert all(
            "authorization" not in {k.lower() for k in e.headers}
            and "cookie" not in {k.lower() for k in e.headers}
            for e in ao3.log
        )
    conn = sqlite3.connect(db)
    stored = "\n".join(conn.iterdump())
    conn.close()
    for needle in ("s3cret", "alice", "Authorization", "Cookie", "Set-Cookie"):
        assert needle not in stored


# ---------------------------------------------------------------------------------------------
# SQL: user values are data, never SQL
# ---------------------------------------------------------------------------------------------

INJECTIONS = [
    "x' OR '1'='1",
    'x" OR "1"="1',
    "' OR 1=1 --",
    "%",
    "_",
    "[*]",  # * is a wildcard in --tag/--fandom (no tag is bracketed), literal elsewhere
    "1; DROP TABLE works; --",
    "') UNION SELECT id, title FROM works --",
    ":f0",
    "?",
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("sec") / "index.db"
    pages = [p for p in sorted(FIXTURES.glob("work-*.html")) if "truncated" not in p.name]
    code, _, err = run("import", str(db), *map(str, pages), "--silent")
    assert code == 0, err
    conn = sqlite3.connect(db)  # fold the WAL into the file, so that copying the file copies all
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db


@pytest.fixture
def index(template: Path, tmp_path: Path) -> Path:
    db = tmp_path / "index.db"
    shutil.copy(template, db)
    return db


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("option", ["--fandom", "--tag", "--author", "--rating", "--language"])
def test_search_filters_are_data(option: str, value: str, index: Path) -> None:
    before = dump(index)
    everything = run("search", str(index), "the", "--nl", "--limit", "100")[1]
    assert everything.count("\n") >= 3  # the query alone matches works
    code, out, err = run("search", str(index), "the", option, value, "--nl", "--limit", "100")
    assert code == 0, err
    assert out == ""  # no tag, author, rating or language has such a name
    assert dump(index) == before


@pytest.mark.parametrize("value", INJECTIONS)
def test_export_filters_are_data(value: str, index: Path) -> None:
    code, out, err = run("export", str(index), "--tag", value)
    assert code == 0, err
    assert out == ""


@pytest.mark.parametrize("value", INJECTIONS)
def test_query_parameters_are_data(value: str, index: Path) -> None:
    before = dump(index)
    code, out, err = run("query", str(index), "tag_cooccurrence", "-p", "tag", value, "--nl")
    assert code == 0, err
    assert out == ""
    code, out, err = run("query", str(index), "select :v as v", "-p", "v", value, "--nl")
    assert code == 0, err
    assert out.strip() == '{"v": ' + __import__("json").dumps(value) + "}"
    assert dump(index) == before


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM works",
        "DROP TABLE works",
        "UPDATE works SET title = 'owned'",
        "INSERT INTO tags (name, type) VALUES ('x', 'y')",
        "CREATE TABLE t (x)",
        "ATTACH DATABASE '{tmp}/attached.db' AS other",
        "VACUUM INTO '{tmp}/copy.db'",
        "PRAGMA writable_schema = 1",
        "PRAGMA journal_mode = delete",
        "PRAGMA query_only = 0",
        "SELECT load_extension('libc.so.6')",
        "WITH x AS (SELECT 1) DELETE FROM works",
        "SELECT 1; DELETE FROM works",
    ],
)
def test_query_and_export_sql_can_only_read(sql: str, index: Path, tmp_path: Path) -> None:
    sql = sql.format(tmp=tmp_path)
    before = dump(index)
    for args in (["query", str(index), sql], ["export", str(index), "--sql", sql]):
        code, out, err = run(*args)
        assert code in (0, 2), err
        assert "Traceback" not in err
    assert dump(index) == before
    assert not (tmp_path / "attached.db").exists() and not (tmp_path / "copy.db").exists()
    # Whatever a query did to the connection's settings, the next command finds a WAL index.
    assert run("query", str(index), "select 1")[0] == 0
    conn = sqlite3.connect(index)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_a_pragma_that_sets_something_is_refused_by_name(index: Path) -> None:
    code, out, err = run("query", str(index), "PRAGMA journal_mode = delete")
    assert code == 2 and "can only read the index" in err
    code, out, err = run("query", str(index), "PRAGMA table_info(works)", "--nl")
    assert code == 0 and '"name": "title"' in out  # reading PRAGMAs still work


def test_sort_names_come_from_a_fixed_list(index: Path) -> None:
    db = open_index(index, create=False, read_only=True)
    try:
        for sort in ("kudos; DROP TABLE works", "w.id", "kudos DESC", "random()"):
            with pytest.raises(BadInput):
                search(db, "the", sort=sort)
    finally:
        db.close()
    code, out, err = run("search", str(index), "the", "--sort", "(SELECT 1)")
    assert code == 2 and "Traceback" not in err
