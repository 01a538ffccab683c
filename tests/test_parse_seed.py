"""The plain-text copy of a real work page (../shared/seed/work-page-capture.txt) parses right."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ficindex.parser import parse_file

SEED = Path(__file__).parents[1].parent / "shared" / "seed" / "work-page-capture.txt"

pytestmark = pytest.mark.skipif(
    not SEED.is_file(), reason="../shared/seed/work-page-capture.txt is not present"
)

REQUIRED = {
    "kind": "work",
    "title": "The Day You Left Me",
    "published": "2025-03-26",
    "updated": "2025-03-26",
    "completed": True,
    "words": 149097,
    "chapters_posted": 50,
    "chapters_total": 50,
    "comments": 27,
    "kudos": 88,
    "bookmarks": 41,
    "hits": 5005,
    "language": "English",
}


def _expected_summary_and_text() -> tuple[str, str]:
    """Straight from the file: the summary block, and the chapter's paragraphs one per line."""
    raw = SEED.read_text("utf-8")
    summary_block = raw.split("\nSummary:\n", 1)[1].split("\nChapter 1: Best Friends Forever\n")[0]
    chapter_block = raw.split("\nChapter Text\n", 1)[1]

    def lines(block: str) -> str:
        return "\n".join(line.strip() for line in block.splitlines() if line.strip())

    return lines(summary_block), lines(chapter_block)


def _check(record: dict) -> None:
    for key, value in REQUIRED.items():
        assert record[key] == value, key
    summary, text = _expected_summary_and_text()
    assert record["summary"] == summary
    assert record["summary"].startswith("Bakugo and Izuku were really good friends")
    assert "\nWarnings:\n-angst/happy ending\n" in record["summary"]
    assert record["summary"].endswith("(I can't be talking bro I'm not even 18💀)")
    [chapter] = record["chapters"]
    assert (chapter["number"], chapter["title"]) == (1, "Best Friends Forever")
    assert chapter["text"] == text
    assert chapter["text"].startswith("It starts with joyful laughter.")
    assert chapter["text"].endswith("Bakugo didn't go to Izuku's birthday party that day.")
    assert len(chapter["text"].split("\n")) == 38


def test_seed_capture_parses_to_the_required_values() -> None:
    _check(parse_file(SEED).to_dict())


def test_ficindex_parse_prints_the_seed_record() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ficindex", "parse", str(SEED)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode("utf-8").splitlines()
    assert len(lines) == 1
    _check(json.loads(lines[0]))
