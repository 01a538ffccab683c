"""``ficindex search --in comments|bookmarks``: comment text and bookmark notes, searched.

The rows come from the template fixtures through the index's save functions
(engagement_index.py); results are read from the CLI's output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from engagement_index import WORK, T, engagement_index
from ficindex.cli import cli
from ficindex.engagement_record import Comment
from ficindex.index import writable_index
from ficindex.index.engagement import save_comments


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = engagement_index(tmp_path_factory.mktemp("engsearch") / "fics.db")
    chinese = Comment(
        id=70000099,
        thread_id=70000099,
        chapter_id=129000033,
        commenter_kind="guest",
        name="灯",
        posted="2020-01-02T03:04:05Z",
        text="我很喜欢这个灯塔的故事",
    )
    with writable_index(path) as index:
        save_comments(index, WORK, [chinese], fetched_at=T)
    return path


def search(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["search", str(db), *args])


def rows(db: Path, *args: str) -> list[dict[str, Any]]:
    result = search(db, *args, "--nl")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_comment_text_is_searched_one_row_per_comment(db: Path) -> None:
    (lamp,) = rows(db, "lamp", "--in", "comments")
    assert lamp["comment_id"] == 70000001 and lamp["chapter"] == 1
    assert lamp["commenter"] == "tidewatcher"
    assert lamp["snippet"] == "The [lamp] scene! I read it twice."
    assert lamp["url"] == "https://archiveofourown.org/comments/70000001"
    found = rows(db, '"grew well"', "--in", "comments")
    assert [(r["comment_id"], r["commenter"]) for r in found] == [(70000003, "Gull (tidewatcher)")]
    assert [r["comment_id"] for r in rows(db, "scene", "--in", "comments")] == [70000001, 70000002]
    # Without --in (or with --in works) the search is the works search it was.
    works = rows(db, "lighthouse")
    assert works == rows(db, "lighthouse", "--in", "works")
    assert [r["id"] for r in works] == [WORK] and "comment_id" not in works[0]


def test_sorts_filters_and_cjk(db: Path) -> None:
    newest = rows(db, "scene OR read OR story", "--in", "comments", "--sort", "updated")
    posted = [r["posted"] for r in newest]
    assert posted == sorted(posted, reverse=True) and len(posted) >= 3
    assert rows(db, "lamp", "--in", "comments", "--kudos-min", "1000000") == []
    (cjk,) = rows(db, "灯塔", "--in", "comments")
    assert cjk["comment_id"] == 70000099 and cjk["commenter"] == "灯"
    assert rows(db, "灯塔 lamp", "--in", "comments") == []


def test_bookmark_notes_are_searched(db: Path) -> None:
    (storm,) = rows(db, "storm", "--in", "bookmarks")
    assert storm["bookmarker"] == "Gull (tidewatcher)" and storm["tags"] == [
        "Favorites",
        "lighthouses",
    ]
    assert storm["rec"] is True and storm["work"] == WORK
    assert rows(db, "lamp", "--in", "bookmarks") == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"lamp', "Error: cannot read the search query '\"lamp': a double quote is not closed"),
        ("lamp AND", "Error: cannot read the search query 'lamp AND': AND, OR and NOT need"),
        ("title:lamp", "a column filter names a column --in comments lacks (only text)"),
        ("", "Error: search --in comments needs words to look for"),
    ],
)
def test_a_query_it_cannot_read_is_one_error_line_exit_2(
    db: Path, query: str, message: str
) -> None:
    result = search(db, query, "--in", "comments")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert result.stderr.startswith("Error: ")
