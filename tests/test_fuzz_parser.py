"""Property-based fuzzing of the parser: broken pages never crash it, never lose a record key.

Every fixture in ``tests/fixtures`` and every real saved page in
``../shared/fixtures/ao3-real`` (when present) is mutated at random: cut at
any byte, elements deleted and duplicated, attribute values swapped, re-encoded
(Latin-1, UTF-16, invalid UTF-8), given giant attributes, 10,000 levels of
nesting, NUL bytes, entity soup and random bytes. Whatever comes out,
``parse_page`` either returns a :class:`Record` whose JSON has every key of the
contract (SPEC section 2) with the right types, or raises ``ParseError``,
nothing else; and ``ficindex parse`` exits 0 or 2 without a traceback.

The normal suite runs a few thousand cases. ``FICINDEX_FUZZ_EXAMPLES=N`` runs N
cases of the main property (and the others in proportion) for a long run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ficindex.cli import cli
from ficindex.errors import ParseError
from ficindex.parser import parse_page
from ficindex.record import KINDS, Record

FIXTURES = Path(__file__).parent / "fixtures"
REAL = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "ao3-real"

#: How many cases the main property runs; the others are scaled from it.
EXAMPLES = int(os.environ.get("FICINDEX_FUZZ_EXAMPLES", "1500"))

SEEDS: list[tuple[str, bytes]] = sorted(
    (p.name, p.read_bytes())
    for p in FIXTURES.iterdir()
    if p.is_file() and not p.name.endswith(".json")
)
REAL_SEEDS: list[tuple[str, bytes]] = (
    sorted((p.name, p.read_bytes()) for p in REAL.glob("*.html")) if REAL.is_dir() else []
)

#: The record keys of SPEC section 2 and what each may hold (written out, not read from code).
SCALARS = {
    "kind": (str,),
    "work_id": (int, type(None)),
    "title": (str, type(None)),
    "anonymous": (bool,),
    "rating": (str, type(None)),
    "language": (str, type(None)),
    "published": (str, type(None)),
    "updated": (str, type(None)),
    "completed": (bool,),
    "words": (int, type(None)),
    "comments": (int, type(None)),
    "kudos": (int, type(None)),
    "kudos_guests": (int, type(None)),
    "bookmarks": (int, type(None)),
    "hits": (int, type(None)),
    "chapters_posted": (int, type(None)),
    "chapters_total": (int, type(None)),
    "summary": (str, type(None)),
    "notes": (str, type(None)),
    "end_notes": (str, type(None)),
    "restricted": (bool,),
    "listing": (dict, type(None)),
}
STRING_LISTS = (
    "gifts",
    "kudos_users",
    "warnings",
    "categories",
    "fandoms",
    "relationships",
    "characters",
    "freeforms",
)
OBJECT_LISTS = {
    "authors": {"pseud", "user"},
    "series": {"id", "title", "position"},
    "collections": {"name", "title"},
    "chapters": {"number", "chapter_id", "title", "summary", "notes", "end_notes", "text"},
}
SPEC_KEYS = set(SCALARS) | set(STRING_LISTS) | set(OBJECT_LISTS)
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

#: Page URLs handed to the parser as context, malformed ones included.
URLS = [
    None,
    "https://archiveofourown.org/works/123",
    "https://archiveofourown.org/tags/Fluff/works?page=3",
    "https://archiveofourown.org/works/99999999999999999999999999",
    "javascript:alert(1)",
    "",
    "https://archiveofourown.org/users/%ff%fe/works?page=-1",
]

DEEP = 10_000


def check_record(record: object) -> dict:
    """Assert the record's JSON form keeps the contract; return it."""
    assert isinstance(record, Record)
    data = record.to_dict()
    _check_dict(data, nested=False)
    # The CLI writes strict UTF-8: no lone surrogates may reach a record.
    json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
    return data


def _check_dict(data: dict, *, nested: bool) -> None:
    assert set(data) == SPEC_KEYS, set(data) ^ SPEC_KEYS
    assert data["kind"] in KINDS
    for key, types in SCALARS.items():
        assert isinstance(data[key], types), (key, data[key])
    for key in ("published", "updated"):
        assert data[key] is None or DATE.fullmatch(data[key]), (key, data[key])
    for key in STRING_LISTS:
        assert isinstance(data[key], list) and all(isinstance(v, str) for v in data[key]), key
    for key, fields in OBJECT_LISTS.items():
        assert isinstance(data[key], list), key
        for item in data[key]:
            assert isinstance(item, dict) and set(item) == fields, (key, item)
    for chapter in data["chapters"]:
        assert isinstance(chapter["number"], int) and isinstance(chapter["text"], str)
    listing = data["listing"]
    if listing is not None:
        assert not nested, "a listing inside a listing's works"
        assert set(listing) == {"total", "page", "next_url", "works"}
        assert isinstance(listing["works"], list)
        for work in listing["works"]:
            _check_dict(work, nested=True)


def parse_or_refuse(source: str | bytes, url: str | None = None) -> dict | None:
    """The property: a record that keeps the contract, or ParseError, and nothing else."""
    try:
        record = parse_page(source, url)
    except ParseError as exc:
        assert str(exc) and "\n" not in str(exc)
        return None
    return check_record(record)


# ---------------------------------------------------------------------------------------------
# Mutations
# ---------------------------------------------------------------------------------------------

_ATTR = re.compile(rb'[\w-]+="[^"<>]*"')


def _positions(data: bytes, byte: bytes = b"<") -> list[int]:
    return [m.start() for m in re.finditer(re.escape(byte), data)] or [0]


def _pick(items: list[int], n: int) -> int:
    return items[n % len(items)]


def truncate(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    return data[: a % (len(data) + 1)]


def delete_elements(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    tags = _positions(data)
    start, end = sorted((_pick(tags, a), _pick(tags, b)))
    return data[:start] + data[end:]


def duplicate_elements(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    tags = _positions(data)
    start, end = sorted((_pick(tags, a), _pick(tags, b)))
    piece = data[start:end][:200_000]
    at = _pick(tags, a + b)
    return data[:at] + piece + data[at:]


def swap_attributes(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    found = list(_ATTR.finditer(data))
    if len(found) < 2:
        return data
    first, second = sorted((found[a % len(found)], found[b % len(found)]), key=lambda m: m.start())
    if first.start() == second.start():
        return data
    return (
        data[: first.start()]
        + second.group()
        + data[first.end() : second.start()]
        + first.group()
        + data[second.end() :]
    )


def reencode(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    text = data.decode("utf-8", "replace")
    codec = ("latin-1", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "utf-32", "koi8-r")[a % 7]
    return text.encode(codec, "replace")


def invalid_utf8(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    junk = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x80\xbf")
    at = a % (len(data) + 1)
    return data[:at] + junk[b % len(junk)] * (1 + b % 50) + data[at:]


def giant_attribute(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    size = 100_000 + (b % 8) * 100_000
    found = list(_ATTR.finditer(data))
    if found and b % 2:
        m = found[a % len(found)]
        name = m.group().split(b"=", 1)[0]
        return data[: m.start()] + name + b'="' + b"x" * size + b'"' + data[m.end() :]
    at = _pick(_positions(data), a)
    return data[:at] + b'<div class="' + b"y " * (size // 2) + b'" title="' + data[at:]


def deep_nesting(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    opener = (b"<div>", b"<b>", b"<blockquote><p>", b"<ul><li>", b"<span>")[b % 5]
    at = _pick(_positions(data), a)
    closing = opener.replace(b"<", b"</") * DEEP if b % 3 == 0 else b""
    return data[:at] + opener * DEEP + b"deep" + closing + data[at:]


def nul_bytes(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    out = bytearray(data)
    for i in range(1 + b % 40):
        out.insert((a * (i + 7)) % (len(out) + 1), 0)
    return bytes(out)


def random_bytes(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    at = a % (len(data) + 1)
    return data[:at] + extra + data[at + b % 64 :]


def entity_soup(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    soup = (
        b"&#0;&#xD800;&#xDFFF;&#x110000;&#99999999999;&#xFFFE;&#x1F600;&amp&lt;&#;&#x;"
        b"&nbsp&#128;&#x202E;&#x200F;\xe2\x80\xae<![CDATA[x]]><!-- <div> --><?php ?>"
    )
    at = _pick(_positions(data), a)
    return data[:at] + soup * (1 + b % 5) + data[at:]


#: Link targets a hostile or broken page may hold.
HOSTILE_HREFS = (
    b"http://[::1/works/5?page=2",  # an unclosed IPv6 literal: urllib raises ValueError on it
    b"http://]x[/works/5",
    b"javascript:alert(1)",
    b"//elsewhere.example/works/1?page=2",
    b"/works/" + b"9" * 30,
    b"/works/" + b"9" * 5000,  # past Python's int() digit limit
    b"/works/\xc2\xb2",
    b"/users/%ff%fe/pseuds/%ed%a0%80",
    b"/tags/x/works?page=" + b"9" * 5000,
    b"/users/login?return_to=http://[::1/works/7",
    b"",
)


def hostile_hrefs(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    """Point some links (next pages, bylines, work links, login forms) somewhere nasty."""
    links = list(re.finditer(rb'(?:href|action)="([^"]*)"', data))
    if not links:
        return data
    out, last = [], 0
    for i, m in enumerate(links):
        if (a + i * b) % 5 == 0 or i == a % len(links):
            out += [data[last : m.start(1)], HOSTILE_HREFS[(b + i) % len(HOSTILE_HREFS)]]
            last = m.end(1)
    return b"".join(out) + data[last:]


def odd_numbers(data: bytes, a: int, b: int, extra: bytes) -> bytes:
    """Counters and ids made of odd digits: superscripts, other scripts, thousands of digits."""
    runs = list(re.finditer(rb"\d+", data))
    if not runs:
        return data
    m = runs[a % len(runs)]
    odd = ("²", "1²3", "①", "١٢٣", "9" * 5000, "-1", "1.5", "1,2,3", "٫", "")[b % 10]
    return data[: m.start()] + odd.encode("utf-8") + data[m.end() :]


MUTATIONS = (
    truncate,
    hostile_hrefs,
    odd_numbers,
    delete_elements,
    duplicate_elements,
    swap_attributes,
    reencode,
    invalid_utf8,
    giant_attribute,
    deep_nesting,
    nul_bytes,
    random_bytes,
    entity_soup,
)
#: The mutations that keep a page small enough for many cases per second.
CHEAP = tuple(m for m in MUTATIONS if m not in (giant_attribute, deep_nesting))

_step = st.tuples(
    st.sampled_from(MUTATIONS),
    st.integers(min_value=0, max_value=2**31),
    st.integers(min_value=0, max_value=2**31),
    st.binary(max_size=64),
)
_cheap_step = st.tuples(
    st.sampled_from(CHEAP),
    st.integers(min_value=0, max_value=2**31),
    st.integers(min_value=0, max_value=2**31),
    st.binary(max_size=64),
)


def mutate(data: bytes, steps: list[tuple]) -> bytes:
    for fn, a, b, extra in steps:
        data = fn(data, a, b, extra)
    return data


ALL_SEEDS = SEEDS + REAL_SEEDS
_FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _scaled(share: float, floor: int) -> int:
    return max(floor, int(EXAMPLES * share))


# ---------------------------------------------------------------------------------------------
# The properties
# ---------------------------------------------------------------------------------------------


def test_every_seed_parses_cleanly() -> None:
    assert len(SEEDS) >= 50
    for name, data in ALL_SEEDS:
        if name.endswith(".bin"):
            with pytest.raises(ParseError):
                parse_page(data)
        else:
            assert parse_or_refuse(data) is not None, name


@settings(_FUZZ, max_examples=EXAMPLES)
@given(
    seed=st.sampled_from(ALL_SEEDS),
    steps=st.lists(_cheap_step, min_size=1, max_size=4),
    url=st.sampled_from(URLS),
)
def test_mutated_pages_give_a_record_or_parse_error(
    seed: tuple[str, bytes], steps: list[tuple], url: str | None
) -> None:
    parse_or_refuse(mutate(seed[1], steps), url)


@settings(_FUZZ, max_examples=_scaled(0.04, 40))
@given(
    seed=st.sampled_from(ALL_SEEDS),
    heavy=st.sampled_from((giant_attribute, deep_nesting)),
    a=st.integers(min_value=0, max_value=2**31),
    b=st.integers(min_value=0, max_value=2**31),
    steps=st.lists(_cheap_step, max_size=2),
)
def test_giant_attributes_and_deep_nesting(
    seed: tuple[str, bytes], heavy, a: int, b: int, steps: list[tuple]
) -> None:
    parse_or_refuse(mutate(heavy(seed[1], a, b, b""), steps))


@settings(_FUZZ, max_examples=_scaled(0.2, 200))
@given(data=st.binary(max_size=4096), url=st.sampled_from(URLS))
def test_random_bytes(data: bytes, url: str | None) -> None:
    parse_or_refuse(data, url)


@settings(_FUZZ, max_examples=_scaled(0.1, 100))
@given(text=st.text(max_size=2000), html=st.booleans())
def test_random_text_as_str(text: str, html: bool) -> None:
    """A ``str`` source (any code points, lone surrogates included) is parsed or refused too."""
    parse_or_refuse(("<html><body><div id='main'>" + text) if html else text)


@settings(_FUZZ, max_examples=_scaled(0.1, 100))
@given(seed=st.sampled_from(ALL_SEEDS), steps=st.lists(_cheap_step, min_size=1, max_size=3))
def test_mutated_pages_as_str(seed: tuple[str, bytes], steps: list[tuple]) -> None:
    """The ``str`` path of ``parse_page`` (a caller that decoded the page itself)."""
    parse_or_refuse(mutate(seed[1], steps).decode("utf-8", "replace"))


def test_ten_thousand_levels_of_nesting_in_every_seed() -> None:
    for name, data in ALL_SEEDS:
        if name.endswith(".bin"):
            continue
        nested = deep_nesting(data, len(data) // 2, 0, b"")
        assert parse_or_refuse(nested) is not None, name


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


def _assert_clean_cli(exit_code: int, stdout: str, stderr: str, files: int) -> None:
    assert exit_code in (0, 2), (exit_code, stderr[-2000:])
    assert "Traceback" not in stderr and "Traceback" not in stdout
    lines = stdout.splitlines()
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) + len(errors) == files, (stdout[-500:], stderr[-500:])
    assert (exit_code == 2) == bool(errors)
    for line in lines:
        _check_dict(json.loads(line), nested=False)


@settings(_FUZZ, max_examples=_scaled(0.1, 150))
@given(seed=st.sampled_from(ALL_SEEDS), steps=st.lists(_step, min_size=1, max_size=3))
def test_cli_parse_never_prints_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, seed: tuple[str, bytes], steps: list[tuple]
) -> None:
    page = tmp_path_factory.mktemp("fuzz") / "page.html"
    page.write_bytes(mutate(seed[1], steps))
    result = CliRunner().invoke(cli, ["parse", str(page)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    _assert_clean_cli(result.exit_code, result.stdout, result.stderr, 1)


def test_cli_parse_subprocess_on_hostile_files(tmp_path: Path) -> None:
    """Real processes (the installed entry point, real stdio) over the nastiest inputs."""
    work = (FIXTURES / "work-full-view.html").read_bytes()
    listing = (FIXTURES / "listing-tag-pagy-first.html").read_bytes()
    cases = {
        "truncated.html": work[: len(work) // 3],
        "deep.html": deep_nesting(work, len(work) // 2, 3, b""),
        "giant.html": giant_attribute(listing, 5, 7, b""),
        "nul.html": nul_bytes(work, 11, 39, b""),
        "utf16.html": reencode(work, 1, 0, b""),
        "latin1.html": reencode(listing, 0, 0, b""),
        "invalid-utf8.html": invalid_utf8(work, 500, 49, b""),
        "random.bin": bytes(range(256)) * 64,
        "empty.html": b"",
        "entities.html": entity_soup(work, 40, 4, b""),
    }
    names = []
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        names.append(str(tmp_path / name))
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}  # a hostile locale for stdout too
    for batch in (names, names[:3], [names[-3], "-"]):
        proc = subprocess.run(
            [sys.executable, "-m", "ficindex", "parse", *batch],
            input=cases["nul.html"],
            capture_output=True,
            timeout=60,
            env=env,
        )
        _assert_clean_cli(
            proc.returncode,
            proc.stdout.decode("utf-8"),
            proc.stderr.decode("utf-8", "replace"),
            len(batch),
        )
