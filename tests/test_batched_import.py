"""``import`` commits pages in batches and brings full-text search up to date once per batch.

The index it leaves must be the one page-by-page storing leaves (content
tables, every full-text index term by term, the same triggers, FTS5's own
integrity check); one bad page still fails alone; every page reported is
stored, and a run that stops mid-batch loses only that batch's unreported
pages, which a rerun stores.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ao3pages import render_work
from ao3site import Site, SiteChapter, make_site
from ficindex.index import writable_index
from ficindex.index.bulk import fts_batched
from ficindex.loader import Outcome, import_file, import_files, reparse_pages
from index_fixtures import RECORD_TABLES, dump, table_rows

FIXTURES = Path(__file__).parent / "fixtures"
CONTENT = (*RECORD_TABLES, "raw_pages")
FULL_TEXT = ("works_fts", "chapters_fts", "works_cjk", "chapters_cjk")
#: ``FICINDEX_KILL_SEED`` picks the kill moments (default: a new seed each run, printed).
SEED = int(os.environ.get("FICINDEX_KILL_SEED", str(random.randrange(1_000_000))))


def index_state(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Content tables, every term occurrence of every full-text index, and the triggers."""
    conn = sqlite3.connect(path)
    try:
        state = table_rows(conn, CONTENT)
        for index in FULL_TEXT:
            conn.execute(f"INSERT INTO {index} ({index}) VALUES ('integrity-check')")
            conn.execute(
                f"CREATE VIRTUAL TABLE temp.terms_{index} USING fts5vocab(main, {index}, instance)"
            )
            state[index] = conn.execute(f"SELECT * FROM temp.terms_{index} ORDER BY 1, 2, 3, 4")
            state[index] = list(state[index])
            state[f"{index} sizes"] = conn.execute(f"SELECT * FROM {index}_docsize").fetchall()
        state["triggers"] = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        ).fetchall()
        return state
    finally:
        conn.close()


def saved(folder: Path, pages: list[tuple[str, str]]) -> list[Path]:
    """Write pages as files, each a minute newer than the one before (the fetch times);
    one named ``older...`` is dated before all the others."""
    folder.mkdir()
    paths = []
    for i, (name, text) in enumerate(pages):
        path = folder / f"{i:03d}-{name}"
        path.write_text(text, encoding="utf-8")
        when = 1_600_000_000 if name.startswith("older") else 1_700_000_000 + 60 * i
        os.utime(path, (when, when))
        paths.append(path)
    return paths


def site_of(works: int, multi_chapter_every: int) -> Site:
    """The fake AO3's works; each shows a bookmarks link, so a saved page names its work."""
    site = make_site(works, multi_chapter_every=multi_chapter_every)
    for work in site.works.values():
        work.bookmarks = max(work.bookmarks, 1)
    return site


def varied_pages(tmp_path: Path) -> list[Path]:
    """Pages that write every way a row can change, several times within one batch.

    New works; newer full pages of them with other text and tags, then with a
    chapter gone (vanished); chapter views; a work whose text is Chinese (the
    trigram side index); the same page twice; an older page after a newer one;
    and every saved fixture (plain-text copies with stand-in chapter keys, error
    pages that fail).
    """
    site = site_of(12, multi_chapter_every=2)
    cjk = site.works[1005]
    cjk.title = "茶館的故事"
    cjk.chapters[0].text = "她在茶館裡等了很久。雨一直下。"
    works = list(site.works.values())
    pages = [(f"{w.id}.html", render_work(site, w)) for w in works]
    for work in works[::2]:  # the site's works change after each rendering
        work.freeforms = [*work.freeforms, "Zebracorn Feelings"]
        for chapter in work.chapters:
            chapter.text = chapter.text.replace("Chapter", "Zebracorn chapter") + " quokka"
    pages += [(f"{w.id}-edited.html", render_work(site, w)) for w in works]
    for work in works:
        if len(work.chapters) > 1:
            work.chapters = work.chapters[:-1]
        work.chapters.append(SiteChapter(chapter_id=work.id * 100 + 77, text="A new last part."))
        work.chapters_total = len(work.chapters)
    pages += [(f"{w.id}-shorter.html", render_work(site, w)) for w in works]
    multi = [w for w in works if len(w.chapters) > 1]
    pages += [(f"{w.id}-chapter.html", render_work(site, w, w.chapters[0])) for w in multi[:3]]
    pages += [("again.html", pages[0][1]), ("older.html", pages[2][1])]
    fixtures = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".html", ".txt"))
    pages += [(p.name, p.read_text(encoding="utf-8", errors="replace")) for p in fixtures]
    return saved(tmp_path / "pages", pages)


def rollback_at_work_1010(db_path: Path) -> None:
    """An error that rolls back the whole transaction when work 1010 is stored."""
    with writable_index(db_path) as db:
        db.execute(
            "CREATE TRIGGER gone BEFORE INSERT ON works WHEN new.id = 1010 "
            "BEGIN SELECT RAISE(ROLLBACK, 'gone'); END"
        )
        db.conn.commit()


def one_by_one(path: Path, pages: list[Path]) -> list[Outcome]:
    with writable_index(path) as db:
        return [import_file(db, page) for page in pages]


def batched(path: Path, pages: list[Path], size: int) -> list[Outcome]:
    with writable_index(path) as db:
        return list(import_files(db, pages, batch_pages=size))


@pytest.mark.parametrize("size", [1, 4, 1000])
def test_a_batched_import_equals_the_page_by_page_one(tmp_path: Path, size: int) -> None:
    pages = varied_pages(tmp_path)
    expected = one_by_one(tmp_path / "one.db", pages)
    got = batched(tmp_path / "batched.db", pages, size)
    assert got == expected
    assert {o.result for o in got} >= {"new", "updated", "stale", "unchanged", None}
    assert index_state(tmp_path / "batched.db") == index_state(tmp_path / "one.db")
    conn = sqlite3.connect(tmp_path / "batched.db")
    try:
        assert conn.execute(
            "SELECT count(*) FROM chapters WHERE vanished_at IS NOT NULL"
        ).fetchone()[0]
        assert conn.execute("SELECT count(*) FROM works_cjk('茶館的')").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM chapters_cjk('茶館裡')").fetchone()[0] > 0
        assert conn.execute("SELECT count(*) FROM chapters_fts('quokka')").fetchone()[0] > 0
    finally:
        conn.close()


def test_a_second_batched_import_over_a_full_index_changes_it_as_page_by_page(
    tmp_path: Path,
) -> None:
    pages = varied_pages(tmp_path)
    half = len(pages) // 2
    one_by_one(tmp_path / "one.db", pages[:half])
    shutil.copy(tmp_path / "one.db", tmp_path / "batched.db")
    one_by_one(tmp_path / "one.db", pages[half:])
    batched(tmp_path / "batched.db", pages[half:], 5)
    assert index_state(tmp_path / "batched.db") == index_state(tmp_path / "one.db")


def test_fts_batched_replays_renamed_deleted_and_reinserted_rows(tmp_path: Path) -> None:
    """What the merge does to chapter keys, done in SQL: the indexes end as triggers leave them."""
    steps = [
        "INSERT INTO chapters (id, work, number, text) VALUES (-51, 5, 3, 'stand in alpha')",
        "UPDATE chapters SET id = 501 WHERE id = -51",  # a real id replaces the stand-in
        "UPDATE chapters SET text = 'first change' WHERE id = 11",
        "UPDATE chapters SET text = 'second change' WHERE id = 11",
        "UPDATE chapters SET id = 111 WHERE id = 12",  # a stored row renamed
        "UPDATE chapters SET text = 'renamed then edited' WHERE id = 111",
        "DELETE FROM chapters WHERE id = 21",
        "INSERT INTO chapters (id, work, number, text) VALUES (21, 2, 1, 'back again 雨')",
        "DELETE FROM chapters WHERE id = 22",
        "UPDATE works SET title = '茶館' WHERE id = 1",
        "UPDATE works SET kudos = 5 WHERE id = 2",
    ]
    base = tmp_path / "base.db"
    with writable_index(base) as db:
        for wid in (1, 2, 5):
            db.execute("INSERT INTO works (id, title) VALUES (?, ?)", [wid, f"work {wid} 雨"])
            for n in (1, 2):
                db.execute(
                    "INSERT INTO chapters (id, work, number, text) VALUES (?, ?, ?, ?)",
                    [wid * 10 + n, wid, n, f"text {wid} {n}"],
                )
        db.conn.commit()
    plain, deferred = tmp_path / "plain.db", tmp_path / "deferred.db"
    shutil.copy(base, plain)
    shutil.copy(base, deferred)
    with writable_index(plain) as db, db.atomic():
        for sql in steps:
            db.execute(sql)
    with writable_index(deferred) as db, db.atomic(), fts_batched(db.conn):
        for sql in steps:
            db.execute(sql)
        with pytest.raises(sqlite3.IntegrityError), db.atomic():  # a page rolled back
            db.execute("UPDATE chapters SET text = 'rolled back' WHERE id = 501")
            db.execute("INSERT INTO chapters (id, work, number) VALUES (501, 5, 9)")
    assert index_state(deferred) == index_state(plain)
    conn = sqlite3.connect(deferred)
    try:
        assert conn.execute("SELECT name FROM sqlite_temp_master").fetchall() == []
    finally:
        conn.close()


def refusing(path: Path, work_id: int) -> Path:
    """An index whose store refuses one work, as it would a record it cannot hold."""
    with writable_index(path) as db:
        db.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON works WHEN new.id = {work_id} "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
        db.conn.commit()
    return path


def test_one_bad_page_in_a_batch_fails_alone(tmp_path: Path) -> None:
    pages = varied_pages(tmp_path)[:12]
    expected = one_by_one(refusing(tmp_path / "one.db", 1003), pages)
    got = batched(refusing(tmp_path / "batched.db", 1003), pages, 64)
    assert got == expected
    assert [o.name for o in got if "refused" in (o.error or "")] == [str(pages[2])]
    assert [o.result for o in got].count("new") >= 8
    assert index_state(tmp_path / "batched.db") == index_state(tmp_path / "one.db")


def test_every_reported_page_is_stored_and_a_stop_mid_batch_loses_only_that_batch(
    tmp_path: Path,
) -> None:
    pages = varied_pages(tmp_path)[:30]
    reference = tmp_path / "reference.db"
    batched(reference, pages, 8)
    db_path = tmp_path / "fics.db"
    with writable_index(db_path) as db:  # the 10th page's store fails as a full disk would
        db.execute(
            "CREATE TRIGGER stop BEFORE INSERT ON works WHEN new.id = 1010 "
            "BEGIN SELECT json('{'); END"
        )
        db.conn.commit()
    reported: list[Outcome] = []
    with writable_index(db_path) as db:
        run = import_files(db, pages, batch_pages=8)
        with pytest.raises(sqlite3.OperationalError, match="malformed JSON"):
            for outcome in run:
                reported.append(outcome)
                with sqlite3.connect(db_path) as reader:  # stored by the time it is reported
                    stored = reader.execute("SELECT count(*) FROM raw_pages").fetchone()[0]
                assert stored >= len(reported)
    assert len(reported) == 8  # the first batch; the second stopped at its second page
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM raw_pages").fetchone() == (8,)
        conn.execute("DROP TRIGGER stop")
    batched(db_path, pages, 8)  # the rerun stores the rest
    assert index_state(db_path) == index_state(reference)


def test_an_error_that_ends_the_batch_stops_the_run_and_keeps_the_index_whole(
    tmp_path: Path,
) -> None:
    pages = varied_pages(tmp_path)[:12]
    db_path = tmp_path / "fics.db"
    rollback_at_work_1010(db_path)
    reported: list[Outcome] = []
    with writable_index(db_path) as db:
        with pytest.raises(sqlite3.OperationalError, match="ended the transaction of its batch"):
            reported.extend(import_files(db, pages, batch_pages=4))
        assert not db.conn.in_transaction
    assert len(reported) == 8  # the first two batches, reported and stored
    state = index_state(db_path)  # FTS5 integrity checks pass
    assert {"works_ai", "chapters_ai", "works_cjk_ai"} <= {n for n, _ in state["triggers"]}
    with sqlite3.connect(db_path) as conn:  # and none of the third
        assert conn.execute("SELECT count(*) FROM raw_pages").fetchone() == (8,)


def test_a_reparse_whose_page_error_ends_its_transaction_stops_and_changes_nothing(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "fics.db"
    batched(db_path, varied_pages(tmp_path)[:12], 64)
    with sqlite3.connect(db_path) as conn:  # as an older parser would have read them
        conn.execute("UPDATE chapters SET text = text || ' older'")
        conn.execute(
            "CREATE TRIGGER gone BEFORE UPDATE ON chapters WHEN new.work = 1010 "
            "BEGIN SELECT RAISE(ROLLBACK, 'gone'); END"
        )
    before = dump(db_path)
    with (
        writable_index(db_path) as db,
        pytest.raises(sqlite3.OperationalError, match="ended the transaction of the reparse"),
    ):
        for _ in reparse_pages(db):
            pass
    assert dump(db_path) == before


def test_a_run_closed_between_batches_keeps_what_it_reported(tmp_path: Path) -> None:
    pages = varied_pages(tmp_path)[:20]
    db_path = tmp_path / "fics.db"
    with writable_index(db_path) as db:
        run = import_files(db, pages, batch_pages=6)
        for _ in range(7):  # the first batch and one page of the second
            next(run)
        run.close()
        assert not db.conn.in_transaction
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM raw_pages").fetchone() == (12,)
    batched(db_path, pages, 6)
    batched(tmp_path / "reference.db", pages, 6)
    assert index_state(db_path) == index_state(tmp_path / "reference.db")


def test_import_killed_at_random_moments_then_rerun_loses_nothing(tmp_path: Path) -> None:
    """``kill -9`` mid-import leaves a whole index (triggers, search indexes); a rerun ends
    with the index an uninterrupted import makes."""
    site = site_of(300, multi_chapter_every=3)
    pages = saved(
        tmp_path / "many", [(f"{w.id}.html", render_work(site, w)) for w in site.works.values()]
    )
    reference = tmp_path / "reference.db"
    argv = [sys.executable, "-m", "ficindex", "import", "--silent"]
    start = time.monotonic()  # an uninterrupted run: the reference, and how long a run takes
    subprocess.run([*argv, str(reference), str(pages[0].parent)], check=True, timeout=120)
    took = time.monotonic() - start
    expected = index_state(reference)
    db_path = tmp_path / "killed.db"
    argv += [str(db_path), str(pages[0].parent)]
    rng = random.Random(SEED)
    kills = 0
    for _ in range(4):
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.2, 0.9) * took)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        if not db_path.exists():  # killed before it made the index (made aside, then renamed)
            continue
        state = index_state(db_path)  # FTS5 integrity checks pass, every trigger is there
        assert state["triggers"] == expected["triggers"], f"seed {SEED}"
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    done = subprocess.run(argv, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert index_state(db_path) == expected, f"seed {SEED}"
    print(f"{kills} kills (seed {SEED})")
    assert kills >= 1, f"seed {SEED}: no run was killed"
