"""The Python API (``import ficindex``): the README's example runs as written, every command's
function works on a real index (and the crawl ones against the loopback fake AO3), errors are
the CLI's one-line errors without its flags, and ``import ficindex`` stays cheap."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import ficindex
from ao3server import AO3Server
from ficindex.errors import BadInput

FIXTURES = Path(__file__).parent / "fixtures"
TAG = "/tags/Test%20Tag/works"

#: The README's "Python API" example, verbatim. It runs in a directory holding ``saved/``,
#: a copy of the fixture work pages (one of them a truncated page, which import refuses).
README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example() -> str:
    """The README's Python API example, so the documented code is the code that runs."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


EXAMPLE = readme_example()


#: The pages the example's counts are taken from (a fixed set: new fixtures must not move them).
SAVED_PAGES = (
    "work-anonymous.html",
    "work-chapter-view.html",
    "work-coauthors-orphan.html",
    "work-entities.html",
    "work-full-view.html",
    "work-gift.html",
    "work-multiple-series.html",
    "work-no-counters.html",
    "work-no-separators.html",
    "work-non-english.html",
    "work-restricted-lock.html",
    "work-single-chapter.html",
    "work-skin.html",
    "work-truncated.html",
    "work-wip-unknown-total.html",
)


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with ``saved/`` holding the fixture work pages."""
    (tmp_path / "saved").mkdir()
    for name in SAVED_PAGES:
        shutil.copy(FIXTURES / name, tmp_path / "saved" / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_readme_example_runs_and_says_what_it_shows(
    saved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names: dict[str, object] = {}
    exec(compile(EXAMPLE, "README example", "exec"), names)  # noqa: S102 (our own README text)

    assert capsys.readouterr().out == "work 51000001 The Lighthouse Keeper's Daughter 1234\n"
    assert names["failed"] == [
        ("saved/work-truncated.html", "an AO3 or Cloudflare error page (kept for reparse)")
    ]
    with sqlite3.connect(saved / "fics.db") as conn:
        stored = dict(conn.execute("SELECT id, title FROM works"))
        pages = conn.execute("SELECT count(*) FROM raw_pages").fetchone()[0]
    assert len(stored) == 14 and pages == 15  # the refused page is kept for reparse
    assert stored[51000001] == "The Lighthouse Keeper's Daughter"
    assert names["top"] == (
        "The Lighthouse Keeper's Daughter",
        "https://archiveofourown.org/works/51000001",
    )
    assert names["by_status"] == [{"status": "ok", "works": 14}]
    assert names["long_reads"] == [
        {"id": 51000010, "title": "Ledger", "words": 15933},
        {"id": 51000009, "title": "Long Road", "words": 10200},
    ]
    lines = (saved / "original-work.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert names["exported"] == len(records) == 7
    assert all("Original Work" in r["fandoms"] and r["kudos"] >= 20 for r in records)
    assert records[0]["chapters"] and records[0]["chapters"][0]["text"]  # whole records
    assert names["popular"] == ["Ledger", "The Lighthouse Keeper's Daughter"]  # in SQL order
    assert names["totals"] == {"works": 14, "words": 41537}
    metadata = json.loads((saved / "metadata.json").read_text(encoding="utf-8"))
    assert set(metadata["databases"]) == {"fics"}
    assert "works_by_status" in metadata["databases"]["fics"]["queries"]


def test_import_is_idempotent_and_reparse_rebuilds(saved: Path) -> None:
    first = ficindex.import_pages("fics.db", ["saved/work-gift.html", "saved/work-skin.html"])
    assert [(o.name, o.result) for o in first] == [
        ("saved/work-gift.html", "new"),
        ("saved/work-skin.html", "new"),
    ]
    again = ficindex.import_pages("fics.db", ["saved/work-gift.html"])
    assert [o.result for o in again] == ["unchanged"]
    assert [o.error for o in ficindex.reparse("fics.db")] == [None, None]


def test_an_open_index_and_a_path_give_the_same_answers(saved: Path) -> None:
    ficindex.import_pages("fics.db", ["saved/"])
    by_path = ficindex.search("fics.db", "tide OR cake", sort="kudos")
    with ficindex.readable_index("fics.db") as db:
        assert ficindex.search(db, "tide OR cake", sort="kudos") == by_path
        assert ficindex.query(db, "top_authors") == ficindex.query("fics.db", "top_authors")
    assert [h["title"] for h in by_path] == ["Birthday Cake", "Low Tide"]


def test_export_formats(saved: Path) -> None:
    ficindex.import_pages("fics.db", ["saved/"])
    with open("works.csv", "w", encoding="utf-8", newline="") as out:
        assert ficindex.export("fics.db", out, format="csv", sql="select id from works") == 14
    assert Path("works.csv").read_text(encoding="utf-8").startswith("work_id,title,")
    assert ficindex.export("fics.db", "texts", format="txt", sql="select 51000002") == 1
    assert [p.name for p in Path("texts").iterdir()] == ["51000002 Small Hours.txt"]
    copy = ficindex.public_copy("fics.db", "public.db")
    assert copy.works == 14
    with sqlite3.connect("public.db") as conn:
        assert conn.execute("SELECT count(*) FROM chapters WHERE text != ''").fetchone() == (0,)


def test_datasette_config_for_1_0_splits_config_from_metadata(saved: Path) -> None:
    ficindex.import_pages("fics.db", ["saved/work-gift.html"])
    config = ficindex.datasette_config("fics.db", name="ao3")
    meta_1_0, config_1_0 = config.for_1_0()
    assert config.metadata["title"] == meta_1_0["title"]
    assert "queries" in config_1_0["databases"]["ao3"]
    assert "queries" not in meta_1_0["databases"]["ao3"]


def test_crawl_refresh_and_plan_against_the_fake_ao3(ao3: AO3Server, tmp_path: Path) -> None:
    config = ficindex.FetchConfig(
        base_url=ao3.url, rate=50.0, concurrency=2, backoff_initial=0.02, backoff_max=0.1
    )
    db = tmp_path / "crawl.db"
    result = ficindex.run_crawl(
        db, [ao3.url + TAG, 1001], ficindex.CrawlOptions(max_works=3), config=config
    )
    assert result.exit_code == 0 and result.stats.outcomes["ok"] == 3
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM works WHERE title IS NOT NULL").fetchone() == (3,)
    fetched = {e.path.split("?")[0] for e in ao3.log if e.path.startswith("/works/")}
    assert len(fetched) == 3 and "/works/1001" in fetched

    before = len(ao3.log)
    plan = ficindex.refresh_plan(db, config=config)
    assert plan.fetch and all(
        p.startswith("/tags/") or p == "/robots.txt" for p in _paths(ao3, before)
    )

    refreshed = ficindex.refresh(db, ficindex.RefreshOptions(max_works=2), config=config)
    assert refreshed.exit_code == 0 and refreshed.counts["new"] == 2


def _paths(ao3: AO3Server, start: int) -> list[str]:
    return [e.path for e in ao3.log[start:]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ficindex.search("fics.db", "x", limit=0), "limit must be from 1"),
        (lambda: ficindex.search("fics.db", "x", limit=2**64), "limit must be from 1"),
        (
            lambda: ficindex.search("fics.db", "x", filters=ficindex.Filters(words_min=10**20)),
            "filters.words_min must be from 0",
        ),
        (lambda: ficindex.query("fics.db", "select :n", {"n": 2**63}), "parameter 'n'"),
        (lambda: ficindex.query("fics.db", "select :n", {"n": float("nan")}), "not a finite"),
        (lambda: ficindex.query("fics.db", "no_such_query"), "no canned query named"),
        (lambda: ficindex.query("fics.db", "tag_cooccurrence"), "give a value for each :name"),
        (
            lambda: ficindex.export(
                "fics.db", sys.stdout, sql="select id from works", filters=ficindex.Filters()
            ),
            "either sql or filters",
        ),
        (lambda: ficindex.export("fics.db", "out.jsonl"), "jsonl export writes to an open"),
        (lambda: ficindex.import_pages("fics.db", ["missing/"]), "missing does not exist"),
        (lambda: ficindex.run_crawl("fics.db", []), "nothing to crawl"),
        (
            lambda: ficindex.run_crawl("fics.db", [1], ficindex.CrawlOptions(max_works=0)),
            "max_works must be from 1",
        ),
        (lambda: ficindex.parse_file("missing.html"), "missing.html: No such file"),
    ],
    ids=[
        "limit-0",
        "limit-huge",
        "words-min-huge",
        "param-huge",
        "param-nan",
        "unknown-query",
        "missing-param",
        "sql-and-filters",
        "export-path",
        "import-missing",
        "crawl-nothing",
        "crawl-max-works-0",
        "parse-missing",
    ],
)
def test_errors_are_one_line_bad_input_without_cli_flags(
    saved: Path, call: object, message: str
) -> None:
    ficindex.import_pages("fics.db", ["saved/work-gift.html"])
    before = Path("fics.db").read_bytes()
    with pytest.raises(BadInput) as caught:
        call()  # type: ignore[operator]
    text = str(caught.value)
    assert message in text and "\n" not in text
    assert " -p" not in text and "--" not in text  # a library error names no CLI flag
    assert Path("fics.db").read_bytes() == before


def test_every_public_name_resolves() -> None:
    for name in ficindex.__all__:
        assert getattr(ficindex, name) is not None
    assert set(ficindex.__all__) <= set(dir(ficindex))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ficindex.nope  # noqa: B018


def _modules_after(code: str) -> list[str]:
    probe = (
        f"import sys; {code}; print(sorted(m for m in "
        "('ficindex.api', 'sqlite_utils', 'httpx', 'ficindex.crawl', 'selectolax') "
        "if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout.replace("'", '"'))


def test_import_ficindex_loads_nothing_heavy() -> None:
    assert _modules_after("import ficindex") == []


def test_parse_loads_neither_sqlite_utils_nor_the_crawler() -> None:
    page = FIXTURES / "work-gift.html"
    loaded = _modules_after(f"import ficindex; ficindex.parse_file({str(page)!r})")
    assert loaded == ["ficindex.api", "selectolax"]
