"""Each hand-written fixture (one AO3 quirk per file) parses to the record beside it.

The fixtures in tests/fixtures/ follow AO3's markup (otwarchive's templates and
saved pages) with invented prose; ``NAME.expected.json`` is the full record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ficindex.errors import ParseError
from ficindex.parser import parse_file, parse_page

FIXTURES = Path(__file__).parent / "fixtures"
OWN_PREFIXES = ("work-", "page-", "plain-")
CASES = sorted(
    path
    for path in FIXTURES.iterdir()
    if path.name.startswith(OWN_PREFIXES)
    and not path.name.endswith(".expected.json")
    and (FIXTURES / f"{path.name.split('.')[0]}.expected.json").exists()
)


def _expected(path: Path) -> dict:
    return json.loads((FIXTURES / f"{path.name.split('.')[0]}.expected.json").read_text("utf-8"))


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_fixture_parses_to_expected_record(path: Path) -> None:
    assert parse_page(path.read_bytes()).to_dict() == _expected(path)


def test_every_own_fixture_has_an_expectation() -> None:
    own = [p for p in FIXTURES.iterdir() if p.name.startswith(OWN_PREFIXES)]
    inputs = [p for p in own if not p.name.endswith(".expected.json")]
    assert len(CASES) == len(inputs) - 1  # page-junk.bin has no record: it is refused
    assert len(CASES) >= 30


def test_str_and_bytes_give_the_same_record() -> None:
    path = FIXTURES / "work-non-english.html"
    assert parse_page(path.read_text("utf-8")) == parse_page(path.read_bytes())


def test_binary_junk_is_refused_in_one_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse_file(FIXTURES / "page-junk.bin")
    assert "binary data" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "junk",
    [
        b"\x00" * 500,
        b"<html>" + b"\x00\x01\x02\x03" * 100,
        "text\x00with\x00nuls\x00" * 50,
        bytes(range(256)) * 4,
    ],
    ids=["nul-bytes", "html-then-binary", "str-with-nuls", "all-bytes"],
)
def test_nul_heavy_or_control_heavy_input_is_refused(junk: bytes | str) -> None:
    with pytest.raises(ParseError):
        parse_page(junk)


def test_byte_order_marks_are_decoded() -> None:
    page = (FIXTURES / "page-404.html").read_text("utf-8")
    assert parse_page(b"\xef\xbb\xbf" + page.encode("utf-8")).kind == "not_found"
    assert parse_page(page.encode("utf-16")).kind == "not_found"


def test_non_utf8_html_follows_its_declared_charset() -> None:
    page = (FIXTURES / "work-non-english.html").read_text("utf-8")
    page = page.replace('<meta charset="utf-8" />', '<meta charset="gb18030" />')
    record = parse_page(page.replace("Долгая ночь", "").encode("gb18030"))
    assert record.title == "长夜 /"
    assert record.language == "中文-普通话 國語"


def test_url_supplies_the_work_id_a_page_does_not_show() -> None:
    record = parse_file(FIXTURES / "page-404.html", url="https://archiveofourown.org/works/777")
    assert (record.kind, record.work_id) == ("not_found", 777)


def test_a_truncated_page_is_never_a_shortened_work() -> None:
    whole = (FIXTURES / "work-full-view.html").read_bytes()
    cut = whole[: whole.index(b"Nobody saw the boat")]
    assert parse_page(cut).kind == "error_page"
    assert parse_page(whole).kind == "work"


def test_undeclared_bytes_that_are_not_utf8_after_an_ascii_start_are_decoded_properly() -> None:
    page = (FIXTURES / "work-full-view.html").read_text("utf-8")
    page = page.replace('<meta charset="utf-8" />', "")
    page = page.replace("Mara counted the ships.", "Mara counted the ships at the café.")
    record = parse_page(page.encode("cp1252", "replace"))  # "é" is far past the sample
    assert record.chapters[0].text.endswith("at the café.")


def test_text_keeps_typed_spaces_but_reflows_source_line_breaks_and_drops_spacers() -> None:
    page = (FIXTURES / "work-no-counters.html").read_text("utf-8")
    body = "<p>One.  Two.</p><p>&nbsp;</p><p>three\n   four\tfive&nbsp;six</p><p> <em>x</em> </p>"
    record = parse_page(page.replace("<p>Nothing yet.</p>", body))
    assert record.chapters[0].text == "One.  Two.\nthree four five six\nx"
