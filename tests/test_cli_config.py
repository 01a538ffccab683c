"""Configuration from the environment: every option reads FICINDEX_<COMMAND>_<OPTION>."""

from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner

from ficindex import __version__
from ficindex.cli import cli
from index_fixtures import fixture_index

TAG = "/tags/Test%20Tag/works"


def run(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def test_dash_v_is_the_version():
    assert run("-V").output.strip() == f"ficindex, version {__version__}"


def test_search_limit_from_the_environment_and_the_command_line_wins(tmp_path):
    db = fixture_index(tmp_path / "fics.db")
    env = {"FICINDEX_SEARCH_LIMIT": "1"}
    one = run("search", db, "slow", "--json", env=env)
    assert one.exit_code == 0, one.output
    assert len(json.loads(one.output)) == 1
    three = run("search", db, "slow", "--json", "--limit", "3", env=env)
    assert len(json.loads(three.output)) == 3


def test_query_format_from_the_environment(tmp_path):
    db = fixture_index(tmp_path / "fics.db")
    result = run("query", db, "select 1 as a", env={"FICINDEX_QUERY_FMT": "csv"})
    assert result.output == "a\n1\n"


def test_crawl_options_from_the_environment(tmp_path, ao3):
    db = tmp_path / "fics.db"
    env = {
        "FICINDEX_CRAWL_BASE_URL": ao3.url,
        "FICINDEX_CRAWL_RATE": "50",
        "FICINDEX_CRAWL_MAX_WORKS": "2",
        "FICINDEX_CRAWL_USER_AGENT": "env-agent/1.0",
        "FICINDEX_CRAWL_SILENT": "1",
    }
    result = run("crawl", db, ao3.url + TAG, env=env)
    assert result.exit_code == 0, result.output
    assert result.output == ""  # --silent came from the environment too
    with sqlite3.connect(db) as conn:
        fetched = conn.execute("SELECT count(*) FROM crawl_works WHERE state = 'done'").fetchone()
    assert fetched == (2,)
    agents = {entry.headers.get("User-Agent") for entry in ao3.log}
    assert agents == {"env-agent/1.0"}


def test_help_names_the_variables():
    for command, variable in (
        ("crawl", "FICINDEX_CRAWL_RATE"),
        ("refresh", "FICINDEX_REFRESH_LOG_FILE"),
        ("search", "FICINDEX_SEARCH_LIMIT"),
    ):
        assert variable in run(command, "--help").output, command
    assert "FICINDEX_" in run("--help").output


def test_help_variables_for_every_option():
    for name in ("crawl", "refresh", "import", "query", "search", "export", "reparse"):
        help_text = run(name, "--help").output
        prefix = "FICINDEX_" + name.upper().replace("-", "_") + "_"
        assert prefix in help_text, name


def test_counts_in_messages_agree_with_their_number():
    from ficindex.wording import plural

    assert plural(1, "work") == "1 work"
    assert plural(0, "work") == "0 works"
    assert plural(2, "listing page") == "2 listing pages"
    assert plural(1, "retry") == "1 retry" and plural(3, "retry") == "3 retries"
    assert plural(2, "index") == "2 indexes" and plural(2, "status", "statuses") == "2 statuses"
