"""Deterministic generated AO3 corpora for the benchmarks: many small works, or one large one.

Why generated and not one page repeated: SQLite's FTS5 index, the tag and
author tables and the page compressor all behave differently on a corpus whose
vocabulary has a long tail (most words rare, a few in every chapter) than on
the same 12 KB copied a thousand times. Each work here has its own text drawn
from a Zipf-like vocabulary (a few hundred common English words, then tens of
thousands of made-up words ever rarer), its own title, authors, fandoms, tags,
dates and counters, and 1-3 chapters of 5-20 KB of text, as most AO3 works
have. About a fifth are parts of a series (a few of two), 8-9 % are in one or
two collections and 5 % are gifts, so the link tables and columns these fill are
benchmarked too.

A work is made once as a :class:`ficindex.record.Record` and rendered from it
as the HTML of an AO3 work page (the full-work view: ``div.chapter`` per
chapter; a one-chapter work uses AO3's "Work Text:" layout without a chapter
wrapper), so a benchmark can time the parser on the page and also knows what
the parser must find. ``python bench/corpus.py --check`` parses a sample and
compares it with the record it was rendered from.

The same ``count`` and ``seed`` always give the same pages (the vocabulary
does not depend on the seed). Works of one corpus have ids ``60000001...``.

Usage (a few seconds per 1,000 works)::

    python bench/corpus.py --count 1000 --out pages/    # write saved pages
    python bench/corpus.py --check                      # parse a sample back
    python bench/corpus.py --large --out big/           # the 1.2 MB 50-chapter page
"""

from __future__ import annotations

import argparse
import html
import itertools
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

from ficindex.record import Author, Chapter, CollectionRef, Record, SeriesRef

#: ../shared/bench/make_work_page.py writes the 1.2 MB page of earlier benchmarks.
MAKE_PAGE = Path(__file__).resolve().parents[2] / "shared" / "bench" / "make_work_page.py"

#: Ids of generated works start after this.
FIRST_ID = 60_000_000
#: Chapter ids of work ``i`` (0-based) are ``CHAPTER_BASE + 10 * i + n``.
CHAPTER_BASE = 170_000_000

#: A made-up word planted in one work in every :data:`RARE_EVERY` (the search benchmarks'
#: rare word: its number of matching works is known, whatever the vocabulary does).
RARE_WORD = "quillfeather"
RARE_EVERY = 500
#: The search benchmarks' common word: in nearly every chapter.
COMMON_WORD = "the"
#: A phrase of dialogue tags, in a large share of chapters.
PHRASE = '"she said"'

# The most frequent English words of fiction, most frequent first (the head of the Zipf curve).
_HEAD_TEXT = """the and to of a he was in it that her his she you i had with for on at as but
they not him be said is what all so from have were one there this out up we when by them
my an would or could me back if like then into their no been just about did know do now
down over only eyes more than will even its time before your still your are way how looked
something around again who thought away door face hand through hands head room which going
felt want think off right other never where after too us can here because last night
little any long see eye made some get much our turned very good make well first made again
voice let nothing take moment ever maybe while own really those day tell made always look
smile breath against another though why bit might close behind toward each side almost
words yes already enough light world without small should once under home bed hair left
something someone mouth body heart quiet chest slowly shoulder fingers soft cold warm
open stood sat walked asked kind every people came went feel must softly years old new
laughed whispered sure wanted told knew seemed across found floor kitchen window morning
evening silence tea coffee rain sky sea road city train letter book table chair wall
"""
_HEAD = _HEAD_TEXT.split()
_SYLLABLE_TEXT = (
    "ka ri mo ne la to vi sa en or al is an dre bel cor dun fen gal hol jin kel lor mar "
    "nev pal quin ros sel tam ur val wen yor zel ith ash bry cael dor eth fal gwen har"
)
_SYLLABLES = _SYLLABLE_TEXT.split()
_FANDOMS = [
    "Harry Potter - J. K. Rowling",
    "Marvel Cinematic Universe",
    "僕のヒーローアカデミア | Boku no Hero Academia | My Hero Academia",
    "Good Omens (TV)",
    "Sherlock (TV)",
    "Supernatural",
    "Star Wars - All Media Types",
    "The Witcher (TV)",
    "Genshin Impact (Video Game)",
    "Original Work",
    "Stranger Things (TV 2016)",
    "Hades (Video Game 2018)",
    "Critical Role (Web Series)",
    "Our Flag Means Death (TV)",
    "Teen Wolf (TV)",
    "The Lord of the Rings - J. R. R. Tolkien",
    "Mo Dao Zu Shi - 墨香铜臭",
    "Batman - All Media Types",
    "Doctor Who",
    "Hetalia: Axis Powers",
    "Pride and Prejudice - Jane Austen",
    "Stargate Atlantis",
]
_FREEFORMS = """Angst|Fluff|Hurt/Comfort|Happy Ending|Slow Burn|Friends to Lovers|
Alternate Universe - Coffee Shops & Cafés|Established Relationship|Humor|Found Family|
Canon Compliant|
Post-Canon|Enemies to Lovers|Pining|Romance|Smut|First Kiss|Mutual Pining|Canon Divergence|
Whump|Domestic Fluff|Emotional Hurt/Comfort|Minor Character Death|Modern AU|Light Angst|
Soulmates|Fix-It|Time Travel|Hanahaki Disease|Fake/Pretend Relationship|Grief/Mourning|
Character Study|Drabble|Crack|Missing Scene|Tooth-Rotting Fluff|Getting Together|Nightmares
""".replace("\n", "").split("|")
_RATINGS = [
    "General Audiences",
    "Teen And Up Audiences",
    "Mature",
    "Explicit",
    "Not Rated",
]
_WARNINGS = [
    "No Archive Warnings Apply",
    "Creator Chose Not To Use Archive Warnings",
    "Graphic Depictions Of Violence",
    "Major Character Death",
]
_CATEGORIES = ["M/M", "F/F", "F/M", "Gen", "Multi", "Other"]
_LANGUAGES = ["English"] * 18 + ["Español", "Русский", "中文-普通话 國語", "Deutsch"]


def _zipf_cum(n: int, s: float = 1.0, q: float = 2.7) -> list[float]:
    """Cumulative Zipf-Mandelbrot weights of ranks 1..n (for ``random.choices``)."""
    return list(itertools.accumulate(1.0 / (rank + q) ** s for rank in range(1, n + 1)))


def author_label(pseud: str, user: str) -> str:
    """A byline name as AO3 shows it: ``pseud (user)``, or just ``user`` when they agree."""
    return user if pseud == user else f"{pseud} ({user})"


def _made_up_word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))


class Vocabulary:
    """The words text is drawn from: the English head, then ``tail`` made-up words."""

    def __init__(self, tail: int = 40_000) -> None:
        rng = random.Random(20_240_101)  # fixed: every corpus shares one vocabulary
        words = list(dict.fromkeys(_HEAD))
        seen = set(words) | {RARE_WORD}
        while len(words) < len(_HEAD) + tail:
            word = _made_up_word(rng)
            if word not in seen:
                seen.add(word)
                words.append(word)
        self.words = words
        self.cum = _zipf_cum(len(words), s=1.15)
        self.names = [w.capitalize() for w in words[len(_HEAD) : len(_HEAD) + 3000]]


def _sentences(rng: random.Random, vocab: Vocabulary, count: int, cast: list[str]) -> list[str]:
    """``count`` words as sentences: capitalised, punctuated, some of them dialogue."""
    words = rng.choices(vocab.words, cum_weights=vocab.cum, k=count)
    out = []
    start = 0
    while start < count:
        length = rng.randint(4, 22)
        chunk = words[start : start + length]
        start += length
        if cast and rng.random() < 0.3:
            chunk.insert(rng.randrange(len(chunk) + 1), rng.choice(cast))
        sentence = " ".join(chunk)
        sentence = sentence[0].upper() + sentence[1:]
        roll = rng.random()
        if roll < 0.18:
            named = [rng.choice(cast) + " said"] if cast else []
            speaker = rng.choice(["she said", "he said", "they said", *named])
            sentence = f"“{sentence},” {speaker}."
        elif roll < 0.25:
            sentence += "?"
        else:
            sentence += "."
        out.append(sentence)
    return out


def _paragraphs(rng: random.Random, vocab: Vocabulary, size: int, cast: list[str]) -> list[str]:
    """Paragraphs of about ``size`` characters of text in all."""
    sentences = _sentences(rng, vocab, max(20, size // 6), cast)
    paragraphs = []
    i = 0
    while i < len(sentences):
        n = rng.randint(1, 7)
        paragraphs.append(" ".join(sentences[i : i + n]))
        i += n
    return paragraphs


class _Cast:
    """Per-fandom character names and the corpus's author pool (all from the seed)."""

    def __init__(self, rng: random.Random, vocab: Vocabulary, count: int) -> None:
        self.characters = {
            fandom: [
                f"{rng.choice(vocab.names)} {rng.choice(vocab.names)}"
                for _ in range(rng.randint(6, 30))
            ]
            for fandom in _FANDOMS
        }
        self.users = [
            f"{_made_up_word(rng)}{rng.randint(1, 999) if rng.random() < 0.5 else ''}"
            for _ in range(max(10, count // 3))
        ]
        self.user_cum = _zipf_cum(len(self.users), s=0.9)
        self.fandom_cum = _zipf_cum(len(_FANDOMS), s=1.2, q=0.5)
        self.freeform_cum = _zipf_cum(len(_FREEFORMS), s=1.0, q=1.0)


def _date(rng: random.Random, low: int = 2010, high: int = 2025) -> str:
    return f"{rng.randint(low, high)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _authors(rng: random.Random, cast: _Cast) -> list[Author]:
    users = rng.choices(cast.users, cum_weights=cast.user_cum, k=2 if rng.random() < 0.08 else 1)
    authors = []
    for user in dict.fromkeys(users):
        pseud = user if rng.random() < 0.85 else user.capitalize() + "Writes"
        authors.append(Author(pseud=pseud, user=user))
    return authors


def _chapters(
    rng: random.Random, vocab: Vocabulary, index: int, people: list[str], rare: bool
) -> list[Chapter]:
    """1-3 chapters (60%, 25%, 15%) of 5-20 KB of text each; ``rare`` plants RARE_WORD."""
    count = rng.choices((1, 2, 3), weights=(60, 25, 15))[0]
    chapters = []
    for n in range(1, count + 1):
        paragraphs = _paragraphs(rng, vocab, rng.randint(5_000, 20_000), people)
        if rare and n == 1:
            where = rng.randrange(len(paragraphs))
            paragraphs[where] += f" The {RARE_WORD} was still there."
        single = count == 1
        chapters.append(
            Chapter(
                number=n,
                chapter_id=None if single else CHAPTER_BASE + 10 * index + n,
                title=None if single or rng.random() < 0.4 else _title(rng, vocab),
                summary=None if single or rng.random() < 0.8 else _sentences(rng, vocab, 15, [])[0],
                notes=None if single or rng.random() < 0.7 else _sentences(rng, vocab, 12, [])[0],
                text="\n".join(paragraphs),
            )
        )
    return chapters


def _title(rng: random.Random, vocab: Vocabulary) -> str:
    words = rng.choices(vocab.words[:2000], k=rng.randint(1, 6))
    return " ".join(w.capitalize() if i == 0 or len(w) > 3 else w for i, w in enumerate(words))


def _work(rng: random.Random, vocab: Vocabulary, cast: _Cast, index: int) -> Record:
    fandoms = list(dict.fromkeys(rng.choices(_FANDOMS, cum_weights=cast.fandom_cum, k=2)))
    fandoms = fandoms[:1] if rng.random() < 0.85 else fandoms
    people = [p for f in fandoms for p in rng.sample(cast.characters[f], 3)]
    chapters = _chapters(rng, vocab, index, people, rare=index % RARE_EVERY == RARE_EVERY // 2)
    freeforms = rng.choices(_FREEFORMS, cum_weights=cast.freeform_cum, k=rng.randint(0, 9))
    freeforms += [f"Alternate Universe - {rng.choice(vocab.names)}"] if rng.random() < 0.2 else []
    kudos = int(rng.lognormvariate(3.5, 1.6))
    published = _date(rng)
    posted = len(chapters)
    total = posted if rng.random() < 0.7 else rng.choice((None, posted + rng.randint(1, 20)))
    complete = total == posted
    updated = published if posted == 1 else max(published, _date(rng, int(published[:4])))
    summary = " ".join(_sentences(rng, vocab, rng.randint(10, 60), people))
    return Record(
        kind="work",
        work_id=FIRST_ID + index + 1,
        title=_title(rng, vocab),
        authors=_authors(rng, cast),
        rating=rng.choice(_RATINGS),
        warnings=list(dict.fromkeys(rng.choices(_WARNINGS, weights=(8, 4, 2, 1), k=2))),
        categories=list(dict.fromkeys(rng.choices(_CATEGORIES, k=rng.randint(1, 2)))),
        fandoms=fandoms,
        relationships=[f"{a}/{b}" for a, b in [rng.sample(people, 2)] if rng.random() < 0.75],
        characters=list(dict.fromkeys(people[: rng.randint(1, len(people))])),
        freeforms=list(dict.fromkeys(freeforms)),
        language=rng.choice(_LANGUAGES),
        published=published,
        updated=updated,
        completed=complete,
        words=sum(len(c.text.split()) for c in chapters),
        comments=kudos // rng.randint(5, 20),
        kudos=kudos,
        bookmarks=kudos // rng.randint(4, 12),
        hits=kudos * rng.randint(5, 40) + rng.randint(1, 300),
        chapters_posted=posted,
        chapters_total=total,
        summary=summary,
        notes=None if rng.random() < 0.6 else _sentences(rng, vocab, 20, [])[0],
        chapters=chapters,
    )


# ------------------------------------------------ series, collections, gifts
#
# Drawn apart from everything above, so that adding them left every other field
# of every work as it was: each work's from its own ``random.Random`` (seeded by
# the corpus seed and the work id), and where a series goes on from one seeded by
# the series id and the part. The shares are AO3's rough ones: about a fifth of
# works in a series (a few in two), 8-9 % in one or two collections, 5 % gifts.

#: The series a work starts has id ``SERIES_BASE + index`` (the work's 0-based index).
SERIES_BASE = 2_400_000
#: Chance that a work starts a series: one in no series yet, one already in a series.
SERIES_START = (0.11, 0.05)
#: Chance that a series goes on after a part, and how many works on (in corpus order)
#: the next part lies at most; a part past the corpus's last work is not in it.
SERIES_GOES_ON = 0.55
SERIES_GAP = 150
#: Share of works that are gifts, of gift works posted to an exchange's collection
#: (exchange works are most gifts), and of the other works that are in collections.
GIFT_SHARE = 0.05
GIFT_IN_EXCHANGE = 0.4
COLLECTION_SHARE = 0.065
#: Gift recipients who are not users: AO3 links them to ``/gifts?recipient=NAME``.
_NON_USERS = ["my sister", "Everyone at Dragon Con", "the Discord crew", "Mia K."]
_EXCHANGES = [
    "Yuletide",
    "Trick or Treat",
    "Chocolate Box",
    "Fandom Stocking",
    "Femslash Exchange",
    "Rarepair Swap",
    "Holiday Gift Exchange",
]
_EVENTS = ["Week", "Big Bang", "Reverse Bang", "Bingo", "Flash Fic", "Kink Meme", "Prompt Fest"]
_EVENT_FANDOMS = [
    "Harry Potter",
    "MCU",
    "BNHA",
    "Good Omens",
    "Sherlock",
    "SPN",
    "Star Wars",
    "Witcher",
    "Genshin",
    "Stranger Things",
    "Hades",
    "OFMD",
    "Teen Wolf",
    "MDZS",
    "Doctor Who",
]
#: Collections whose titles need escaping or are not ASCII, as some real ones.
_ODD_COLLECTIONS = [
    ("Omens_and_Ineffables", "Omens & Ineffables"),
    ("tiny_fics", "Tiny Fics <3"),
    ("fete_des_fics", "Fête des fics 2022"),
    ("mdzs_week_cn", "魔道祖师 Week 2021"),
    ("Explicit_Fandom", "Explicit Stories"),
]


class _Collections:
    """Collections works are posted to: exchanges and fandom events (one set for all corpora)."""

    def __init__(self) -> None:
        rng = random.Random(20_240_202)
        exchanges = [
            CollectionRef(name=f"{name.replace(' ', '')}{year}", title=f"{name} {year}")
            for name in _EXCHANGES
            for year in sorted(rng.sample(range(2010, 2026), 5))
        ]
        events = [
            CollectionRef(
                name=re.sub(r"[^A-Za-z0-9]+", "_", f"{fandom} {event} {year}"),
                title=f"{fandom} {event} {year}",
            )
            for fandom in _EVENT_FANDOMS
            for event in rng.sample(_EVENTS, 3)
            for year in rng.sample(range(2012, 2026), 2)
        ]
        events += [CollectionRef(name=n, title=t) for n, t in _ODD_COLLECTIONS]
        rng.shuffle(exchanges)
        rng.shuffle(events)
        self.exchanges = exchanges
        self.events = events
        self.exchange_cum = _zipf_cum(len(exchanges), s=0.8)
        self.event_cum = _zipf_cum(len(events), s=0.9)


def _next_part(series_id: int, position: int) -> int | None:
    """How many works on (in corpus order) part ``position + 1`` is; None after the last part.

    A function of the series and the part alone, so that :func:`render` finds a
    part's previous and next works from its record.
    """
    rng = random.Random(f"series {series_id} part {position}")
    if rng.random() >= SERIES_GOES_ON:
        return None
    return rng.randint(1, SERIES_GAP)


def _series_title(rng: random.Random, vocab: Vocabulary) -> str:
    """A work-like title, now and then with "Series", "'verse", an ampersand or an emoji."""
    title = _title(rng, vocab)
    roll = rng.random()
    if roll < 0.2:
        return f"{title} Series"
    if roll < 0.3:
        return f"the {title} 'verse"
    if roll < 0.35:
        return f"{title} & {_title(rng, vocab)}"
    if roll < 0.38:
        return f"{title} ✨"
    return title


def _recipients(rng: random.Random, cast: _Cast, authors: list[Author]) -> list[str]:
    """One or two recipients as AO3 shows them: a user, ``Pseud (user)``, or a plain name."""
    own = {a.user for a in authors}
    names = []
    for _ in range(1 if rng.random() < 0.85 else 2):
        if rng.random() < 0.08:
            names.append(rng.choice(_NON_USERS))
            continue
        user = rng.choices(cast.users, cum_weights=cast.user_cum)[0]
        if user not in own:
            names.append(user if rng.random() < 0.85 else f"{user.capitalize()}Reads ({user})")
    return list(dict.fromkeys(names))


def _add_links(
    record: Record,
    index: int,
    rng: random.Random,
    vocab: Vocabulary,
    cast: _Cast,
    pool: _Collections,
    parts: dict[int, list[SeriesRef]],
) -> None:
    """Give ``record`` its series, gifts and collections (``parts``: later works' series parts)."""
    series = parts.pop(index, [])
    if rng.random() < SERIES_START[bool(series)]:
        title = _series_title(rng, vocab)
        series.append(SeriesRef(id=SERIES_BASE + index, title=title, position=1))
    for ref in series:
        gap = _next_part(ref.id, ref.position or 1)
        if gap is not None:
            later = SeriesRef(id=ref.id, title=ref.title, position=(ref.position or 1) + 1)
            parts.setdefault(index + gap, []).append(later)
    record.series = series
    if rng.random() < GIFT_SHARE:
        record.gifts = _recipients(rng, cast, record.authors)
    if record.gifts and rng.random() < GIFT_IN_EXCHANGE:
        chosen = rng.choices(pool.exchanges, cum_weights=pool.exchange_cum)
    elif rng.random() < COLLECTION_SHARE:
        chosen = rng.choices(pool.events, cum_weights=pool.event_cum, k=rng.choice((1, 1, 1, 2)))
    else:
        return
    by_name = {c.name: c for c in chosen}
    record.collections = [CollectionRef(name=c.name, title=c.title) for c in by_name.values()]


def records(count: int, seed: int = 1) -> Iterator[Record]:
    """``count`` generated works, as the records their pages parse to (deterministic)."""
    vocab = Vocabulary()
    rng = random.Random(seed)
    cast = _Cast(rng, vocab, count)
    pool = _Collections()
    parts: dict[int, list[SeriesRef]] = {}
    for index in range(count):
        record = _work(rng, vocab, cast, index)
        links = random.Random(f"links {seed} {record.work_id}")
        _add_links(record, index, links, vocab, cast, pool, parts)
        yield record


# ---------------------------------------------------------------- rendering


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _tags(css: str, label: str, names: list[str]) -> str:
    if not names:
        return ""
    items = "".join(
        f'<li><a class="tag" href="/tags/{_e(n.replace("/", "*s*"))}/works">{_e(n)}</a></li>'
        for n in names
    )
    return (
        f'<dt class="{css} tags">\n  {label}:\n</dt>\n<dd class="{css} tags">\n'
        f'  <ul class="commas">\n    {items}\n  </ul>\n</dd>\n'
    )


def _stats(r: Record) -> str:
    status = ""
    if (r.chapters_posted or 0) > 1 or not r.completed:
        label = "Completed" if r.completed else "Updated"
        status = f'<dt class="status">{label}:</dt><dd class="status">{r.updated}</dd>'
    total = "?" if r.chapters_total is None else r.chapters_total
    parts = [
        f'<dt class="published">Published:</dt><dd class="published">{r.published}</dd>',
        status,
        f'<dt class="words">Words:</dt><dd class="words">{r.words:,}</dd>',
        f'<dt class="chapters">Chapters:</dt><dd class="chapters">{r.chapters_posted}/{total}</dd>',
    ]
    if r.comments:
        parts.append(f'<dt class="comments">Comments:</dt><dd class="comments">{r.comments:,}</dd>')
    if r.kudos:
        parts.append(f'<dt class="kudos">Kudos:</dt><dd class="kudos">{r.kudos:,}</dd>')
    if r.bookmarks:
        parts.append(
            f'<dt class="bookmarks">Bookmarks:</dt><dd class="bookmarks">'
            f'<a href="/works/{r.work_id}/bookmarks">{r.bookmarks:,}</a></dd>'
        )
    parts.append(f'<dt class="hits">Hits:</dt><dd class="hits">{r.hits:,}</dd>')
    return '<dl class="stats">' + "".join(parts) + "</dl>"


def _prose(text: str | None, rng: random.Random) -> str:
    """Paragraphs as AO3 author HTML, a few words in ``<em>`` (the parser unwraps them)."""
    out = []
    for line in (text or "").split("\n"):
        escaped = _e(line)
        if rng.random() < 0.15:
            words = escaped.split(" ")
            i = rng.randrange(len(words))
            if words[i].isalpha():
                words[i] = f"<em>{words[i]}</em>"
            escaped = " ".join(words)
        out.append(f"<p>{escaped}</p>")
    return "\n".join(out)


def _chapter_html(r: Record, ch: Chapter, rng: random.Random) -> str:
    link = f'<a href="/works/{r.work_id}/chapters/{ch.chapter_id}">Chapter {ch.number}</a>'
    heading = link + (f": {_e(ch.title)}" if ch.title else "")
    modules = ""
    if ch.summary:
        modules += (
            '<div id="summary" class="summary module"><h3 class="heading">Summary:</h3>'
            f'<blockquote class="userstuff"><p>{_e(ch.summary)}</p></blockquote></div>\n'
        )
    if ch.notes:
        modules += (
            '<div id="notes" class="notes module"><h3 class="heading">Notes:</h3>'
            f'<blockquote class="userstuff"><p>{_e(ch.notes)}</p></blockquote></div>\n'
        )
    return f"""<div class="chapter" id="chapter-{ch.number}">
  <!-- chapter management -->
  <div class="chapter preface group" role="complementary">
    <h3 class="title">
      {heading}
    </h3>
{modules}  </div>
  <div class="userstuff module" role="article">
    <h3 class="landmark heading" id="work">Chapter Text</h3>
{_prose(ch.text, rng)}
  </div>
</div>
<!-- end of cache -->"""


def _series_dd(r: Record) -> str:
    """``dd.series`` as AO3 writes it (SeriesHelper): one ``span.series`` a series, ", "-joined.

    Each is "Part N of <a href=/series/ID>Title</a>", after a link to the previous
    part when N > 1 and before one to the next part when the series goes on
    (see :func:`_next_part`).
    """
    if not r.series:
        return ""
    wid = r.work_id or 0
    spans = []
    for ref in r.series:
        position = ref.position or 1
        inner = ""
        if position > 1:
            # (a record made elsewhere, whose part before "did not go on", links the work before)
            back = _next_part(ref.id, position - 1) or 1
            inner += (
                f'<a class="previous" href="/works/{wid - back}">&#8592; Previous Work</a>'
                '<span class="divider"> </span>'
            )
        inner += (
            f'<span class="position">Part {position} of '
            f'<a href="/series/{ref.id}">{_e(ref.title)}</a></span>'
        )
        ahead = _next_part(ref.id, position)
        if ahead is not None:
            inner += (
                '<span class="divider"> </span>'
                f'<a class="next" href="/works/{wid + ahead}">Next Work &#8594;</a>'
            )
        spans.append(f'<span class="series">{inner}</span>')
    return (
        '      <dt class="series">\n        Series:\n      </dt>\n'
        f'      <dd class="series">\n        {", ".join(spans)}\n      </dd>\n\n'
    )


def _collections_dd(r: Record) -> str:
    """``dd.collections``: a link to ``/collections/NAME`` a collection, ", "-joined."""
    if not r.collections:
        return ""
    links = ", ".join(
        f'<a href="/collections/{quote(c.name)}">{_e(c.title)}</a>' for c in r.collections
    )
    return (
        '      <dt class="collections">\n        Collections:\n      </dt>\n'
        f'      <dd class="collections">\n        {links}\n      </dd>\n\n'
    )


def _gift_link(name: str) -> str:
    """A recipient's link: a user's gifts page, or ``/gifts?recipient=`` for a plain name.

    The name is what AO3 shows: a pseud's byline (``user``, or ``Pseud (user)``)
    or a name that is no user's (with spaces, which user names never have).
    """
    byline = re.fullmatch(r".+ \((\w+)\)", name)
    if byline:
        href = f"/users/{byline.group(1)}/gifts"
    elif " " in name:
        href = f"/gifts?recipient={quote_plus(name)}"
    else:
        href = f"/users/{quote(name)}/gifts"
    return f'<a href="{_e(href)}">{_e(name)}</a>'


def _work_notes(r: Record) -> str:
    """The preface's notes module: the gift line in ``ul.associations``, then the notes."""
    if not r.notes and not r.gifts:
        return ""
    gifts = ""
    if r.gifts:
        gifts = (
            '\n    <ul class="associations">\n'
            f"      <li>For {', '.join(_gift_link(n) for n in r.gifts)}.</li>\n    </ul>\n"
        )
    notes = f'<blockquote class="userstuff"><p>{_e(r.notes)}</p></blockquote>' if r.notes else ""
    return f'<div class="notes module"><h3 class="heading">Notes:</h3>{gifts}{notes}</div>'


def render(r: Record) -> str:
    """The AO3 work page (full-work view) that ``parse_page`` reads back as ``r``."""
    rng = random.Random(r.work_id)
    wid = r.work_id
    meta = (
        _tags("rating", "Rating", [r.rating] if r.rating else [])
        + _tags("warning", '<a href="/tos_faq#tags">Archive Warning</a>', r.warnings)
        + _tags("category", "Category", r.categories)
        + _tags("fandom", "Fandom", r.fandoms)
        + _tags("relationship", "Relationship", r.relationships)
        + _tags("character", "Characters", r.characters)
        + _tags("freeform", "Additional Tags", r.freeforms)
    )
    byline = ", ".join(
        f'<a rel="author" href="/users/{_e(a.user)}/pseuds/{_e(a.pseud)}">'
        f"{_e(author_label(a.pseud, a.user))}</a>"
        for a in r.authors
    )
    notes = _work_notes(r)
    if len(r.chapters) == 1:
        body = (
            '<h3 class="landmark heading" id="work">Work Text:</h3>\n'
            f'<div class="userstuff">{_prose(r.chapters[0].text, rng)}</div>'
        )
    else:
        body = "\n".join(_chapter_html(r, ch, rng) for ch in r.chapters)
    title = _e(r.title or "")
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>{title} - {_e(r.authors[0].pseud)} - {_e(r.fandoms[0])} [Archive of Our Own]</title>
    <link rel="stylesheet" type="text/css" media="screen"
      href="/stylesheets/skins/skin_1_default/1_site_screen_.css" />
  </head>
  <body class="logged-out">
    <div id="outer" class="wrapper">
      <ul id="skiplinks"><li><a href="#main">Main Content</a></li></ul>
<header id="header" class="region">
  <h1 class="heading"><a href="/"><span>Archive of Our Own</span></a></h1>
  <div id="login" class="dropdown"><p class="user actions">
    <a id="login-dropdown" href="/users/login">Log In</a></p></div>
  <nav aria-label="Site"><ul class="primary navigation actions">
    <li class="dropdown"><a href="/menu/fandoms">Fandoms</a></li>
    <li class="dropdown"><a href="/menu/browse">Browse</a></li>
    <li class="search"><form class="search" id="search" role="search" action="/works/search"
      method="get"><fieldset><p><input class="text" id="site_search"
      name="work_search[query]" type="text" /></p></fieldset></form></li>
  </ul></nav>
</header>
      <div id="inner" class="wrapper">
        <div id="main" class="works-show region" role="main">
          <div class="flash"></div>
  <div class="work">
<h3 class="landmark heading">Actions</h3>
<ul class="work navigation actions">
  <li class="comments" id="show_comments_link_top"><a data-remote="true"
    href="/comments/show_comments?work_id={wid}">Comments </a></li>
  <li class="share hidden"><a class=" modal" title="Share Work"
    href="/works/{wid}/share">Share</a></li>
  <li class="download"><button class="hidden">Download</button>
    <ul class="expandable secondary">
      <li><a href="/downloads/{wid}/work.epub?updated_at=1717171717">EPUB</a></li>
      <li><a href="/downloads/{wid}/work.pdf?updated_at=1717171717">PDF</a></li>
    </ul>
  </li>
</ul>
    <h3 class="landmark heading">Work Header</h3>
<div class="wrapper">
  <dl class="work meta group">
{meta}    <dt class="language">Language:</dt>
    <dd class="language" lang="en">{_e(r.language or "")}</dd>
{_series_dd(r)}{_collections_dd(r)}    <dt class="stats">Stats:</dt>
    <dd class="stats">{_stats(r)}</dd>
  </dl>
</div>
    <div id="work-skin" class="wrapper">
      <div id="workskin">
        <div class="preface group">
  <h2 class="title heading">
    {title}
  </h2>
  <h3 class="byline heading">
    {byline}
  </h3>
  <div class="summary module"><h3 class="heading">Summary:</h3>
    <blockquote class="userstuff">{_prose(r.summary, rng)}</blockquote>
  </div>
  {notes}
</div>
        <div id="chapters" role="article">
{body}
        </div>
      </div>
    </div>
  </div>
<div id="feedback" class="feedback">
  <ul class="actions">
    <li><form id="new_kudo" action="/kudos" method="post">
      <input value="{wid}" type="hidden" name="kudo[commentable_id]" id="kudo_commentable_id" />
      <input type="submit" name="commit" value="Kudos ♥" id="kudo_submit" /></form></li>
  </ul>
</div>
          <div class="clear"><!--presentational--></div>
        </div>
      </div>
<div id="footer" role="contentinfo" class="region">
  <h3 class="landmark heading">Footer</h3>
  <ul class="navigation actions"><li class="module group"><h4 class="heading">About the Archive</h4>
    <ul class="menu"><li><a href="/site_map">Site Map</a></li>
      <li><a href="/tos">Terms of Service</a></li></ul>
  </li></ul>
</div>
    </div>
  </body>
</html>
"""


def pages(count: int, seed: int = 1) -> Iterator[tuple[Record, bytes]]:
    """Each generated work with its page, as UTF-8 bytes."""
    for record in records(count, seed):
        yield record, render(record).encode()


def save(directory: Path, recs: Iterable[Record]) -> list[Path]:
    """Save the pages of ``recs`` as ``work-NNNNNN.html`` files, one second apart in mtime.

    Distinct modification times give every page its own fetch time on import,
    as a folder of saved pages has.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    base = 1_700_000_000
    for i, record in enumerate(recs):
        path = directory / f"work-{i:06d}.html"
        path.write_bytes(render(record).encode())
        os.utime(path, (base + i, base + i))
        paths.append(path)
    return paths


def write_pages(directory: Path, count: int, seed: int = 1) -> list[Path]:
    """Save ``count`` generated work pages into ``directory`` (see :func:`save`)."""
    return save(directory, records(count, seed))


def chapter_bytes(recs: list[Record]) -> int:
    """Bytes of chapter text (UTF-8) in ``recs``: the unit of the throughput figures."""
    return sum(len(c.text.encode()) for r in recs for c in r.chapters)


def large_page(chapters: int = 50) -> bytes:
    """The 1.2 MB 50-chapter page: ../shared's writer when present, else generated here.

    The generated stand-in has the same shape (50 chapters of about 24 KB) with
    text from the vocabulary above, so benchmarks still run without ../shared.
    """
    if MAKE_PAGE.is_file():
        return subprocess.run(
            [sys.executable, str(MAKE_PAGE), str(chapters)], stdout=subprocess.PIPE, check=True
        ).stdout
    return render(large_record(chapters)).encode()


def large_record(chapters: int = 50, index: int = 0) -> Record:
    """A generated work of ``chapters`` chapters of about 24 KB each (ids 63000000 + index)."""
    vocab = Vocabulary()
    rng = random.Random(index + 1)
    record = _work(rng, vocab, _Cast(rng, vocab, 10), 0)
    record.work_id = 63_000_000 + index
    people = record.characters or ["Mara"]
    record.chapters = [
        Chapter(
            number=n,
            chapter_id=161_000_000 + index * 1000 + n,
            title=f"Part {n}",
            text="\n".join(_paragraphs(rng, vocab, 24_000, people)),
        )
        for n in range(1, chapters + 1)
    ]
    record.chapters_posted = record.chapters_total = chapters
    record.words = sum(len(c.text.split()) for c in record.chapters)
    record.completed = True
    record.updated = max(record.updated or "", record.published or "")
    return record


def large_records(count: int, chapters: int = 50) -> Iterator[Record]:
    """``count`` different large works (the "large" corpus: 50 chapters, about 1.2 MB each)."""
    for index in range(count):
        yield large_record(chapters, index)


def check(count: int, seed: int) -> int:
    """Parse ``count`` generated pages back; report every field that differs from its record."""
    from ficindex.parser import parse_page

    bad = 0
    for record, page in pages(count, seed):
        parsed = parse_page(page).to_dict()
        expected = record.to_dict()
        diff = sorted(k for k in expected if parsed[k] != expected[k])
        if diff:
            bad += 1
            print(f"work {record.work_id}: {', '.join(diff)} differ", file=sys.stderr)
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Write (or check) a generated AO3 corpus; about 3 s per 1,000 works.",
        epilog="--check parses COUNT pages back and compares them with their records.",
    )
    parser.add_argument("--count", type=int, default=1000, help="works (1000)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    parser.add_argument("--out", type=Path, help="directory to write the pages to")
    parser.add_argument("--large", action="store_true", help="write the one 1.2 MB page instead")
    parser.add_argument("--check", action="store_true", help="parse pages back and compare")
    args = parser.parse_args()
    if args.check:
        start = time.perf_counter()
        bad = check(args.count, args.seed)
        took = time.perf_counter() - start
        print(f"{args.count - bad} of {args.count} pages parse back to their record ({took:.1f} s)")
        sys.exit(1 if bad else 0)
    if args.out is None:
        parser.error("give --out DIRECTORY (or --check)")
    if args.large:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "work-large.html").write_bytes(large_page())
        return
    recs = list(records(args.count, args.seed))
    write_pages(args.out, args.count, args.seed)
    size = chapter_bytes(recs) / 1e6
    print(f"wrote {args.count} pages to {args.out} ({size:.1f} MB of chapter text)")


if __name__ == "__main__":
    main()
