"""The command group: every command loads, lazily, under the name the SPEC gives it."""

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from ficindex import __version__
from ficindex.cli import COMMANDS, cli

SPEC_COMMANDS = {
    "parse",
    "import",
    "crawl",
    "refresh",
    "reparse",
    "search",
    "export",
    "query",
    "datasette-config",
    "merge",
    "schema",
}


def test_group_lists_exactly_the_spec_commands():
    assert set(cli.list_commands(click.Context(cli))) == SPEC_COMMANDS == set(COMMANDS)


@pytest.mark.parametrize("name", sorted(SPEC_COMMANDS))
def test_each_command_loads_under_its_name(name):
    command = cli.get_command(click.Context(cli), name)
    assert isinstance(command, click.Command)
    assert command.name == name


def test_version_and_unknown_command():
    runner = CliRunner()
    assert runner.invoke(cli, ["--version"]).output.strip() == f"ficindex, version {__version__}"
    result = runner.invoke(cli, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_parse_does_not_import_the_crawler_or_sqlite_utils():
    code = (
        "import sys; from ficindex.cli import cli; import click; "
        "cli.get_command(click.Context(cli), 'parse'); "
        "print(sorted(m for m in ('sqlite_utils', 'httpx', 'ficindex.crawl') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
