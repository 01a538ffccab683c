"""Values are valid or null, pages decode as declared, and hostile sizes and depths stay cheap.

(Issue rules: invalid calendar dates and non-integer counters become null;
a UTF-8 page with a stray byte stays UTF-8; the HTTP charset is honoured; a
page nested deeper than any AO3 page is an ``error_page`` at once; an input
over the size limit gets one error line and exit 2.)
"""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ficindex.parser import MAX_PAGE_BYTES, parse_page
from ficindex.parser.guard import MAX_DEPTH

FIXTURES = Path(__file__).parent / "fixtures"


def _page(name: str) -> str:
    return (FIXTURES / name).read_text("utf-8")


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------


def test_declared_utf8_page_with_one_stray_byte_stays_utf8() -> None:
    page = _page("work-non-english.html").encode("utf-8")
    broken = page.replace("月亮升起来了。".encode(), "月亮升起来了".encode() + b"\xff")
    record = parse_page(broken)
    assert record.title == "长夜 / Долгая ночь"
    assert record.chapters[0].text == "月亮升起来了\ufffd\nЛуна взошла."


def test_declared_utf8_ascii_page_with_one_stray_byte_gets_one_replacement_character() -> None:
    page = _page("work-full-view.html").encode("utf-8")
    broken = page.replace(b"Mara counted the ships.", b"Mara counted the ships\x97")
    record = parse_page(broken)
    assert "Mara counted the ships\ufffd" in record.chapters[0].text


def _undeclared(text: str) -> str:
    page = _page("work-single-chapter.html").replace('<meta charset="utf-8" />', "")
    page = page.replace("Small Hours", text).replace("Nobody sleeps.", text)
    return "".join(ch for ch in page if ch.isascii() or ch in text)


@pytest.mark.parametrize(
    ("codec", "text"),
    [("shift_jis", "図書館の手紙"), ("gb18030", "长安的火熄灭之后"), ("koi8-r", "Долгая ночь")],
)
def test_the_http_charset_decodes_a_page_without_a_meta_charset(codec: str, text: str) -> None:
    raw = _undeclared(text).encode(codec)
    record = parse_page(raw, content_type=f"text/html; charset={codec.upper()}")
    assert (record.title, record.summary) == (text, text)
    assert parse_page(raw).title != text  # without the header it cannot be known


def test_charset_precedence_bom_then_header_then_meta_then_sniffing() -> None:
    text = "Долгая ночь"
    page = _undeclared(text).replace("<head>", '<head><meta charset="koi8-r" />', 1)
    as_koi8 = page.encode("koi8-r")
    assert parse_page(as_koi8).title == text  # meta
    as_cp1251 = page.encode("cp1251")
    assert parse_page(as_cp1251, content_type="text/html;charset=windows-1251").title == text
    assert (
        parse_page(codecs.BOM_UTF8 + page.encode("utf-8"), content_type="charset=koi8-r").title
        == text
    )
    unknown = "text/html; charset=no-such-charset"
    assert parse_page(as_koi8, content_type=unknown).title == text  # falls back on the meta


def test_a_latin1_label_means_windows_1252() -> None:
    page = _undeclared("“Quoted”").encode("cp1252")
    assert parse_page(page, content_type="text/html; charset=ISO-8859-1").title == "“Quoted”"


# ---------------------------------------------------------------------------------------------
# Depth and size
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "opener",
    # End tags that close nothing (</x>, </li> with no list item open, </p> that makes an
    # empty paragraph) keep the tag counts balanced while the elements nest ever deeper.
    [b"<div>", b"<ul><li>", b"<span><div></span>", b"<div></x>", b"<div></li>", b"<div></p>"],
)
def test_a_page_nested_far_deeper_than_ao3_is_an_error_page_at_once(opener: bytes) -> None:
    page = _page("work-full-view.html").encode("utf-8")
    at = page.index(b"<p>Mara counted")
    hostile = page[:at] + opener * 100_000 + b"deep" + page[at:]
    started = time.perf_counter()
    record = parse_page(hostile, "https://archiveofourown.org/works/51000001")
    elapsed = time.perf_counter() - started
    assert (record.kind, record.work_id) == ("error_page", 51000001)
    assert elapsed < 5  # lexbor alone takes 15 s to 100 s on these; the guard well under 1 s


def test_nesting_as_deep_as_allowed_is_still_parsed() -> None:
    page = _page("work-full-view.html")
    deep = "<div>" * (MAX_DEPTH - 50) + "x" + "</div>" * (MAX_DEPTH - 50)
    filler = "<p>padding</p>" * 6000  # enough tags for the exact scan to run
    record = parse_page(page.replace("<p>Mara counted", deep + filler + "<p>Mara counted"))
    assert record.kind == "work"
    assert record.chapters[0].text.endswith("Mara counted the ships.")


def test_many_unclosed_paragraphs_are_not_deep() -> None:
    page = _page("work-full-view.html")
    record = parse_page(page.replace("<p>Mara counted", "<p>line" * 30_000 + "<p>Mara counted"))
    assert record.kind == "work"


def test_cli_refuses_an_endless_input_in_one_line_with_exit_2() -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("needs /dev/zero")
    proc = subprocess.run(
        [sys.executable, "-m", "ficindex", "parse", "/dev/zero"],
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == b""
    lines = proc.stderr.decode("utf-8").splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: /dev/zero: larger than 200 MB")
    assert MAX_PAGE_BYTES == 200 * 2**20


def test_cli_refuses_a_file_over_the_limit_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.html"
    with big.open("wb") as handle:
        handle.truncate(MAX_PAGE_BYTES + 1)  # sparse: nothing to read, only its size
    small = tmp_path / "small.html"
    small.write_bytes((FIXTURES / "page-404.html").read_bytes())
    proc = subprocess.run(
        [sys.executable, "-m", "ficindex", "parse", str(big), str(small)],
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert [line for line in proc.stdout.splitlines() if b'"kind":"not_found"' in line]
    (line,) = proc.stderr.decode("utf-8").splitlines()
    assert line == (
        f"Error: {big}: larger than 200 MB, which no saved page is; pass a saved AO3 page"
    )
