"""A plain-text copy of a work page (what a reader gets by selecting the page and copying it).

The copy keeps AO3's labels on lines of their own with each value on the next
line ("Published:" / "2025-03-26"), then the title, the optional byline,
"Summary:", "Notes:", and per chapter a "Chapter N: Title" heading followed by
the "Chapter Text" landmark (single-chapter works: "Work Text:"). Links are
lost in a copy, so tags come back only as their visible names, there is no
work id, and a byline name without "(user)" is taken as both pseud and user.
Labels may be missing; a label with nothing after it (an empty tag list) is
simply empty. Lines are read one by one, no regex over the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ficindex.parser.common import (
    ZERO_WHEN_ABSENT,
    clean,
    iso_date,
    looks_like_count,
    looks_like_date,
    read_counts,
    read_status,
    split_names,
    to_int,
)
from ficindex.record import TAG_FIELDS, Author, Chapter, Record

#: Header labels -> the key their value is stored under.
_LABELS = {
    "Rating:": "rating",
    "Ratings:": "rating",
    "Archive Warning:": "warnings",
    "Archive Warnings:": "warnings",
    "Category:": "categories",
    "Categories:": "categories",
    "Fandom:": "fandoms",
    "Fandoms:": "fandoms",
    "Relationship:": "relationships",
    "Relationships:": "relationships",
    "Character:": "characters",
    "Characters:": "characters",
    "Additional Tags:": "freeforms",
    "Language:": "language",
    "Series:": "series",
    "Collections:": "collections",
    "Stats:": "stats",
    "Published:": "published",
    "Updated:": "updated",
    "Completed:": "completed",
    "Words:": "words",
    "Chapters:": "chapters",
    "Comments:": "comments",
    "Kudos:": "kudos",
    "Bookmarks:": "bookmarks",
    "Hits:": "hits",
}
#: Labels whose value may run over several lines (one tag per line) until the next label.
_LIST_KEYS = frozenset(
    ("rating", "warnings", "categories", "fandoms", "relationships", "characters", "freeforms")
)
#: A value must look like this to belong to its label; otherwise the label was empty.
#: (Written like a date or number is enough: an impossible one is read, and stored as null.)
_VALUE_CHECKS: dict[str, Callable[[str], bool]] = {
    "published": looks_like_date,
    "updated": looks_like_date,
    "completed": looks_like_date,
    "words": looks_like_count,
    "comments": looks_like_count,
    "kudos": looks_like_count,
    "bookmarks": looks_like_count,
    "hits": looks_like_count,
    "chapters": lambda v: "/" in v and looks_like_count(v.partition("/")[0]),
}
#: Lines that are screen-reader landmarks or page chrome, never content.
_CHROME = frozenset(("Actions", "Work Header", "Chapter Management"))
_SECTION_STARTS = frozenset(("Summary:", "Notes:", "Chapter Text", "Work Text:"))
#: Where the work ends on a copied page (the afterword's series and related-works modules).
_AFTERWORD = frozenset(("Series this work belongs to:", "Works inspired by this one:", "Footer"))
_CHAPTER_HEADING = re.compile(r"Chapter\s+(\d{1,18})(?:\s*:\s*(.*))?")
_SEE_END = re.compile(r"\(See the end of the (?:work|chapter) for .*\)")
_BYLINE_PART = re.compile(r"(.+?)\s+\(([^()]+)\)")


def parse_plaintext(text: str) -> Record:
    """Read a plain-text copy of a work page into a ``work`` record (no work id, no links)."""
    lines = [clean(line) for line in text.splitlines()]
    record = Record(kind="work")
    values, position = _read_header(lines)
    _apply_header(record, values)
    _Body(lines, position, record).read()
    return record


def _label_of(line: str) -> tuple[str | None, str]:
    """``"Words:"`` -> ("words", ""); ``"Words: 5,005"`` -> ("words", "5,005"); else (None, "")."""
    if line in _LABELS:
        return _LABELS[line], ""
    head, sep, rest = line.partition(": ")
    if sep and head + ":" in _LABELS:
        return _LABELS[head + ":"], rest.strip()
    return None, ""


def _read_header(lines: list[str]) -> tuple[dict[str, list[str]], int]:
    """Collect label values from the top of the copy; return them and where the title starts."""
    values: dict[str, list[str]] = {}
    count = len(lines)
    start = next((i for i, line in enumerate(lines) if _label_of(line)[0]), None)
    if start is None:
        return values, 0
    i = start
    while i < count:
        line = lines[i]
        if not line or line in _CHROME:
            i += 1
            continue
        key, inline = _label_of(line)
        if key is None:
            break
        i += 1
        if inline:
            values.setdefault(key, []).append(inline)
            continue
        if key != "stats":
            i = _read_values(lines, i, key, values)
    return values, i


def _read_values(lines: list[str], i: int, key: str, values: dict[str, list[str]]) -> int:
    """The value lines of label ``key`` from line ``i`` (one, or several for a tag list).

    Stops at the next label or section, and at a line that cannot be the
    label's value (the label was empty); returns the line after the values.
    """
    check = _VALUE_CHECKS.get(key)
    while i < len(lines):
        j = _next_filled(lines, i)
        if j >= len(lines) or _label_of(lines[j])[0] is not None or lines[j] in _SECTION_STARTS:
            break
        if check is not None and not check(lines[j]):
            break
        values.setdefault(key, []).append(lines[j])
        i = j + 1
        if key not in _LIST_KEYS:
            break
    return i


def _next_filled(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i]:
        i += 1
    return i


def _apply_header(record: Record, values: dict[str, list[str]]) -> None:
    def first(key: str) -> str | None:
        return values[key][0] if values.get(key) else None

    def names(key: str) -> list[str]:
        return [name for value in values.get(key, []) for name in split_names(value)]

    ratings = names("rating")
    record.rating = ratings[0] if ratings else None
    for key in TAG_FIELDS:
        setattr(record, key, names(key))
    record.language = first("language")
    record.published = iso_date(first("published"))
    has_stats = any(key in values for key in ("published", "words", "chapters", "hits"))
    counts = {key: first(key) for key in ("words", "chapters", "hits")}
    # A counter that is missing or not a number is 0 when the copy has stats at all,
    # else unknown: so only readable counters are passed on.
    counts.update((key, first(key)) for key in ZERO_WHEN_ABSENT if to_int(first(key)) is not None)
    read_counts(record, counts, absent=0 if has_stats else None)
    status = "Completed:" if "completed" in values else "Updated:" if "updated" in values else ""
    read_status(record, status, iso_date(first("completed")) or iso_date(first("updated")))


class _Body:
    """Title, byline, summary, notes and chapters: everything after the header labels."""

    def __init__(self, lines: list[str], position: int, record: Record) -> None:
        self.lines = lines
        self.i = position
        self.record = record

    def read(self) -> None:
        self._title_and_byline()
        chapter: Chapter | None = None
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if not line or line in _CHROME:
                self.i += 1
            elif line in _AFTERWORD:
                break
            elif (heading := self._chapter_heading()) is not None:
                chapter = heading
                self.record.chapters.append(chapter)
                self.i += 1
            elif line == "Summary:":
                self.i += 1
                summary = self._section()
                if chapter is None:
                    self.record.summary = summary
                else:
                    chapter.summary = summary
            elif line == "Notes:":
                self.i += 1
                notes = self._section()
                self._place_notes(chapter, notes)
            elif line in ("Chapter Text", "Work Text:"):
                self.i += 1
                if chapter is None:
                    chapter = Chapter(number=len(self.record.chapters) + 1)
                    self.record.chapters.append(chapter)
                chapter.text = self._section() or ""
            else:
                self.i += 1  # stray line between sections (e.g. a chapter byline)

    def _title_and_byline(self) -> None:
        self.i = _next_filled(self.lines, self.i)
        if self.i >= len(self.lines) or self._at_section_start():
            return
        self.record.title = self.lines[self.i]
        self.i = _next_filled(self.lines, self.i + 1)
        if self.i < len(self.lines) and not self._at_section_start():
            self._byline(self.lines[self.i])
            self.i += 1

    def _byline(self, line: str) -> None:
        if line == "Anonymous" or line.startswith("Anonymous ["):
            self.record.anonymous = True
            return
        for part in split_names(line):
            match = _BYLINE_PART.fullmatch(part)
            if match:
                self.record.authors.append(Author(pseud=match.group(1), user=match.group(2)))
            else:
                self.record.authors.append(Author(pseud=part, user=part))

    def _at_section_start(self) -> bool:
        line = self.lines[self.i]
        return line in _SECTION_STARTS or line in _AFTERWORD or self._chapter_heading() is not None

    def _chapter_heading(self) -> Chapter | None:
        """A "Chapter N" or "Chapter N: Title" line, when a chapter section follows it."""
        match = _CHAPTER_HEADING.fullmatch(self.lines[self.i])
        if match is None:
            return None
        following = _next_filled(self.lines, self.i + 1)
        if following < len(self.lines) and self.lines[following] not in _SECTION_STARTS:
            return None
        return Chapter(number=int(match.group(1)), title=(match.group(2) or "").strip() or None)

    def _section(self) -> str | None:
        """Lines up to the next section start, chapter heading or afterword, one per line."""
        kept: list[str] = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line in _SECTION_STARTS or line in _AFTERWORD or self._chapter_heading():
                break
            if line and not _SEE_END.fullmatch(line):
                kept.append(line)
            self.i += 1
        return "\n".join(kept) or None

    def _place_notes(self, chapter: Chapter | None, notes: str | None) -> None:
        """Notes before any chapter are the work's; after a chapter's text, its end notes."""
        if chapter is None:
            self.record.notes = notes
        elif chapter.text:
            if len(self.record.chapters) == 1 and chapter.title is None and not self._chaptered():
                self.record.end_notes = notes
            else:
                chapter.end_notes = notes
        else:
            chapter.notes = notes

    def _chaptered(self) -> bool:
        return self.record.chapters_total != 1 or self.record.chapters_posted != 1
