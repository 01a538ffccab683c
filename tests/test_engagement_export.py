"""Engagement in the exports: ``export --with`` lines and Parquet files, and their public form.

The engagement rows come from the template fixtures (see engagement_index.py), stored
through the index's save functions.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from engagement_index import WORK, engagement_index, reader_names, reader_texts
from ficindex.cli import cli
from ficindex.exchange.record_schema import record_schema
from ficindex.index import readable_index
from ficindex.index.engagement_privacy import index_salt, pseudonym

ALL = "kudos,comments,bookmarks"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return engagement_index(tmp_path_factory.mktemp("engout") / "fics.db")


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def export(db: Path, out: Path, *args: str) -> list[dict[str, Any]]:
    result = run("export", db, *args, "-o", out)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def count(db: Path, sql: str) -> int:
    with readable_index(db) as index:
        return int(index.execute(sql).fetchone()[0])


def test_work_lines_are_unchanged_and_engagement_follows_its_work(db: Path, tmp_path: Path) -> None:
    assert run("export", db, "-o", tmp_path / "plain.jsonl").exit_code == 0
    lines = export(db, tmp_path / "with.jsonl", "--with", ALL)
    # A consumer that keeps the work lines reads, byte for byte, the export of before.
    raw = (tmp_path / "with.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    work_lines = [line for line in raw if json.loads(line)["kind"] == "work"]
    assert "".join(work_lines) == (tmp_path / "plain.jsonl").read_text(encoding="utf-8")
    kinds = [(line["kind"], line["work_id"]) for line in lines]
    start = kinds.index(("work", WORK))
    n_kudos = count(db, "SELECT count(*) FROM kudos")
    n_comments = count(db, "SELECT count(*) FROM comments")
    n_bookmarks = count(db, "SELECT count(*) FROM bookmarks")
    assert n_kudos == 50 and n_comments > 5 and n_bookmarks == 3
    expected = (
        [("work", WORK)]
        + [("kudos", WORK)] * n_kudos
        + [("comment", WORK)] * n_comments
        + [("bookmark", WORK)] * n_bookmarks
    )
    assert kinds[start : start + len(expected)] == expected
    assert sorted(k for k in kinds if k[0] == "work") == [("work", 51000001), ("work", 51000007)]
    assert len(kinds) == 2 + n_kudos + n_comments + n_bookmarks


def test_lines_carry_the_stored_rows(db: Path, tmp_path: Path) -> None:
    lines = export(db, tmp_path / "with.jsonl", "--with", "bookmarks,comments")
    assert not [line for line in lines if line["kind"] == "kudos"]
    comments = {line["comment_id"]: line for line in lines if line["kind"] == "comment"}
    reply = comments[70000003]
    assert reply["parent_id"] == 70000002 and reply["thread_id"] == 70000001
    assert (reply["user"], reply["pseud"], reply["text"]) == (
        "tidewatcher",
        "Gull",
        "Then it grew well.",
    )
    assert (reply["chapter_id"], reply["chapter"]) == (129000011, 1)
    assert reply["url"] == "https://archiveofourown.org/comments/70000003"
    # Threads stay together, each in posting order.
    order = [line["thread_id"] for line in comments.values()]
    assert order == sorted(order)
    marks = [line for line in lines if line["kind"] == "bookmark"]
    gull = next(m for m in marks if m["pseud"] == "Gull")
    assert gull["tags"] == ["Favorites", "lighthouses"] and gull["rec"] is True
    assert gull["collections"] == [{"name": "sea_recs", "title": "Sea Stories Recs"}]
    assert gull["notes"] == "Read this on a storm night.\nWorth it."


def test_every_line_validates_against_the_shipped_schema(db: Path, tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(record_schema())
    for args in (("--with", ALL), ("--metadata-only", "--format", "jsonl", "--with", ALL)):
        lines = export(db, tmp_path / "all.jsonl", *args)
        assert {line["kind"] for line in lines} == {"work", "kudos", "comment", "bookmark"}
        for line in lines:
            assert [e.message for e in validator.iter_errors(line)] == [], line
    broken = {**next(line for line in lines if line["kind"] == "comment"), "state": "gone"}
    assert [e.message for e in validator.iter_errors(broken)] == [
        "'gone' is not one of ['visible', 'deleted', 'hidden', 'removed']"
    ]


def test_metadata_only_jsonl_has_no_reader_name_or_text(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "public.jsonl"
    lines = export(db, out, "--metadata-only", "--format", "jsonl", "--with", ALL)
    text = out.read_text(encoding="utf-8")
    authors = {a["user"] for line in lines if line["kind"] == "work" for a in line["authors"]}
    names = reader_names(db) - authors
    assert len(names) > 50
    for name in names:
        assert name not in text, name
    for line in reader_texts(db):
        assert line not in text, line
    work = next(line for line in lines if line["work_id"] == WORK)
    assert work["notes"] is None and {c["text"] for c in work["chapters"]} == {""}
    with readable_index(db) as index:
        salt = index_salt(index)
    assert work["kudos_users"] == [
        pseudonym(salt, "user", n) for n in ("reader_000", "tidewatcher")
    ]
    # The author's own reply is a reader's line: pseudonymized like every other commenter.
    assert any(line.get("user") == pseudonym(salt, "user", "saltwind") for line in lines)


def test_pseudonyms_are_stable_across_exports_and_match_the_public_copy(
    db: Path, tmp_path: Path
) -> None:
    args = ("--metadata-only", "--format", "jsonl", "--with", ALL)
    first = export(db, tmp_path / "a.jsonl", *args)
    assert (tmp_path / "a.jsonl").read_bytes() == export_bytes(db, tmp_path / "b.jsonl", *args)
    result = run("export", db, "--metadata-only", "-o", tmp_path / "public.db")
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(tmp_path / "public.db")
    copy_comments = dict(conn.execute("SELECT id, user FROM comments"))
    copy_kudos = {u for (u,) in conn.execute("SELECT user FROM kudos")}
    conn.close()
    assert {c["comment_id"]: c["user"] for c in first if c["kind"] == "comment"} == copy_comments
    assert {k["user"] for k in first if k["kind"] == "kudos"} == copy_kudos


def export_bytes(db: Path, out: Path, *args: str) -> bytes:
    export(db, out, *args)
    return out.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--with", "likes"), "--with: engagement kinds are a comma-separated subset of kudos,"),
        (("--format", "csv", "--with", "kudos"), "--with adds engagement to --format jsonl or "),
        (("--metadata-only", "--with", "kudos"), "the SQLite public copy holds every engagement"),
    ],
)
def test_bad_with_is_one_error_line_exit_2(
    db: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "x.out"
    result = run("export", db, *args, "-o", out)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {message}") and result.stderr.count("\n") == 1
    assert not out.exists()


pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def parquet(db: Path, out: Path, *args: str) -> dict[str, list[dict[str, Any]]]:
    result = run("export", db, "--format", "parquet", *args, "-o", out)
    assert result.exit_code == 0, result.output
    return {p.stem: pq.read_table(p).to_pylist() for p in sorted(out.glob("*.parquet"))}


def test_parquet_files_beside_works_hold_the_jsonl_rows(db: Path, tmp_path: Path) -> None:
    files = parquet(db, tmp_path / "p", "--with", ALL)
    assert sorted(files) == [
        "bookmarks",
        "chapters",
        "comments",
        "kudos",
        "stats_history",
        "work_tags",
        "works",
    ]
    lines = export(db, tmp_path / "with.jsonl", "--with", ALL)
    for stem, kind in (("kudos", "kudos"), ("comments", "comment"), ("bookmarks", "bookmark")):
        rows = [line for line in lines if line["kind"] == kind]
        assert len(files[stem]) == len(rows) > 0
        for row, line in zip(files[stem], rows, strict=True):
            assert row["work_id"] == line["work_id"] and row.get("user") == line["user"]
    schema = pq.read_schema(tmp_path / "p" / "comments.parquet")
    assert schema.field("posted").type == pa.timestamp("us", tz="UTC")
    assert schema.field("text").type == pa.string()
    assert pq.read_schema(tmp_path / "p" / "bookmarks.parquet").field("tags").type == pa.list_(
        pa.string()
    )
    reply = next(r for r in files["comments"] if r["comment_id"] == 70000003)
    assert reply["text"] == "Then it grew well." and reply["chapter"] == 1
    message = run("export", db, "--format", "parquet", "--with", "kudos", "-o", tmp_path / "q")
    assert "50 kudos" in message.stderr


def test_metadata_only_parquet_has_no_reader_name_or_text(db: Path, tmp_path: Path) -> None:
    files = parquet(db, tmp_path / "p", "--metadata-only", "--with", ALL)
    assert "text" not in pq.read_schema(tmp_path / "p" / "comments.parquet").names
    assert "notes" not in pq.read_schema(tmp_path / "p" / "bookmarks.parquet").names
    dumped = json.dumps(files, default=str, ensure_ascii=False)
    authors = {a["user"] for w in files["works"] for a in w["authors"]}
    for name in reader_names(db) - authors:
        assert name not in dumped, name
    for line in reader_texts(db):
        assert line not in dumped, line
    again = parquet(db, tmp_path / "q", "--metadata-only", "--with", ALL)
    assert again["kudos"] == files["kudos"] and again["comments"] == files["comments"]
    lines = export(db, tmp_path / "p.jsonl", "--metadata-only", "--format", "jsonl", "--with", ALL)
    work = next(w for w in files["works"] if w["work_id"] == WORK)
    assert work["kudos_users"] == next(x for x in lines if x["work_id"] == WORK)["kudos_users"]
    assert [k["user"] for k in files["kudos"]] == [x["user"] for x in lines if x["kind"] == "kudos"]
