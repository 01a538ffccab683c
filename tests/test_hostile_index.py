"""A careless user and hostile pages against the index: nothing ficindex writes destroys it.

Outputs are refused when they would land on the index or a file beside it,
and are written whole or not at all; read commands never change a file that is
not a ficindex index and never leave a lock; the store keeps each work's
chapters its own; one bad page never stops an import; file times never decide
what text an import keeps.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from ficindex.cli import cli
from index_fixtures import dump, fixture_index


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def index(tmp_path) -> Path:
    return fixture_index(tmp_path / "fics.db")


def _targets(db: Path) -> dict[str, Path]:
    """Ways of naming the index or one of its side files as an output path."""
    link = db.with_name("link-to-index.db")
    link.symlink_to(db.name)
    hard = db.with_name("hard-link.db")
    os.link(db, hard)
    (db.parent / "sub").mkdir()
    return {
        "itself": db,
        "dotted": db.parent / "sub" / ".." / db.name,
        "symlink": link,
        "hardlink": hard,
        "wal": db.with_name(db.name + "-wal"),
        "shm": db.with_name(db.name + "-shm"),
        "lock": db.with_name(db.name + ".lock"),
    }


COMMANDS = {
    "export jsonl": ["export", "{db}", "-o", "{out}"],
    "export csv": ["export", "{db}", "--format", "csv", "-o", "{out}"],
    "export metadata-only": ["export", "{db}", "--metadata-only", "-o", "{out}"],
    "datasette-config": ["datasette-config", "{db}", "-o", "{out}"],
    "datasette-config 1.0": [
        "datasette-config",
        "{db}",
        "--format",
        "1.0",
        "-o",
        "{other}",
        "--metadata-output",
        "{out}",
    ],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_output_path_can_land_on_the_index_or_its_files(index, command):
    before = dump(index)
    for how, target in _targets(index).items():
        args = [
            a.format(db=index, out=target, other=index.parent / "config.json")
            for a in COMMANDS[command]
        ]
        result = run(*args)
        assert result.exit_code == 2, (how, result.output)
        assert result.output.startswith("Error: ") and "destroy the index" in result.output, how
        assert dump(index) == before, how
    assert not (index.parent / "config.json").exists()


def test_a_failed_export_leaves_the_old_file_and_no_half_written_one(index, tmp_path):
    with sqlite3.connect(index) as conn:  # a damaged row makes the export fail midway
        conn.execute("UPDATE works SET gifts = 'not json' WHERE id = 3")
    conn.close()
    old = tmp_path / "old.jsonl"
    old.write_text("the previous export\n")
    new = tmp_path / "new.jsonl"
    before = sorted(p.name for p in tmp_path.iterdir())
    for out in (old, new):
        result = run("export", index, "-o", out)
        assert result.exit_code != 0
    assert old.read_text() == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no new.jsonl, no temp file


def test_outputs_keep_the_replaced_files_permissions(index, tmp_path):
    out = tmp_path / "x.csv"
    out.write_text("old")
    out.chmod(0o640)
    assert run("export", index, "--format", "csv", "-o", out).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o640 and out.read_text().startswith("id,title")
