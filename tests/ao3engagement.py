"""Reader response on the fake AO3: kudos givers, comment threads and bookmarks of its works.

The pages follow AO3's templates as AO3-MARKUP.md section 7 gives them (no
saved live page exists; the same markup as tests/fixtures/engagement-*.html):

* ``/works/ID/kudos?page=N``: 50 logins a page, newest first, will_paginate
  (``a[rel=next]``), the guests heading when there are guests;
* ``/works/ID/bookmarks?page=N``: 20 a page, newest first, the work's own
  blurb first, pagy navigation (``li.next a``);
* ``/works/ID?...&show_comments=true&page=N``: the work page with 20 threads
  a page, oldest first, will_paginate links that keep the query and add
  ``page=N#comments``.

The model lives beside a :class:`~ao3site.Site` (``reactions(site)``), and
every helper that adds a reader's response moves the work's stat the way AO3
does, so listing blurbs and work pages show the new counts.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from urllib.parse import urlencode

from ao3pages import _page, e, render_blurb
from ao3site import Site, SiteWork

KUDOS_PER_PAGE = 50
THREADS_PER_PAGE = 20
BOOKMARKS_PER_PAGE = 20


@dataclass
class FakeComment:
    id: int
    user: str
    text: str
    replies: list[FakeComment] = field(default_factory=list)


@dataclass
class FakeBookmark:
    user: str
    date: str = "30 May 2026"
    tags: list[str] = field(default_factory=list)
    notes: str | None = None


@dataclass
class Reactions:
    """Per work: kudos logins and bookmarks newest first, comment threads oldest first."""

    kudos: dict[int, list[str]] = field(default_factory=dict)
    threads: dict[int, list[FakeComment]] = field(default_factory=dict)
    bookmarks: dict[int, list[FakeBookmark]] = field(default_factory=dict)
    next_comment: int = 80_000_000


_MODELS: weakref.WeakKeyDictionary[Site, Reactions] = weakref.WeakKeyDictionary()


def reactions(site: Site) -> Reactions:
    """The site's reader response (created empty on first use)."""
    with site.lock:
        return _MODELS.setdefault(site, Reactions())


def give_kudos(site: Site, work_id: int, *users: str) -> None:
    """Kudos from ``users`` (the last given is the newest); the work's stat rises."""
    with site.lock:
        names = reactions(site).kudos.setdefault(work_id, [])
        for user in users:
            names.insert(0, user)
        site.works[work_id].kudos += len(users)


def comment(site: Site, work_id: int, user: str, text: str, *, reply_to: int | None = None) -> int:
    """A new comment (a reply to ``reply_to``, else a new thread); returns its id."""
    with site.lock:
        model = reactions(site)
        model.next_comment += 1
        new = FakeComment(model.next_comment, user, text)
        threads = model.threads.setdefault(work_id, [])
        if reply_to is None:
            threads.append(new)
        else:
            _find(threads, reply_to).replies.append(new)
        site.works[work_id].comments += 1
        return new.id


def bookmark(
    site: Site, work_id: int, user: str, *, tags: tuple[str, ...] = (), notes: str | None = None
) -> None:
    """A new public bookmark by ``user`` (the newest); the work's stat rises."""
    with site.lock:
        mark = FakeBookmark(user, tags=list(tags), notes=notes)
        reactions(site).bookmarks.setdefault(work_id, []).insert(0, mark)
        site.works[work_id].bookmarks += 1


def _find(threads: list[FakeComment], comment_id: int) -> FakeComment:
    todo = list(threads)
    while todo:
        found = todo.pop()
        if found.id == comment_id:
            return found
        todo += found.replies
    raise KeyError(comment_id)


# --- pages ----------------------------------------------------------------------------------


def engagement_page(site: Site, path: str, query: dict[str, str]) -> tuple[int, str] | None:
    """(status, HTML) for a kudos or bookmarks page of a visible work; None for other paths."""
    parts = path.strip("/").split("/")
    if len(parts) != 3 or parts[0] != "works" or not parts[1].isdigit():
        return None
    work = site.works.get(int(parts[1]))
    if parts[2] not in ("kudos", "bookmarks") or work is None:
        return None
    if work.deleted:
        return None
    page = int(query["page"]) if query.get("page", "").isdigit() else 1
    if parts[2] == "kudos":
        return 200, _kudos_page(site, work, page)
    return 200, _bookmarks_page(site, work, page)


def with_comments(site: Site, work_id: int, query: dict[str, str], body: bytes) -> bytes:
    """The work page with its comment section, when the request asks to show comments."""
    if query.get("show_comments") != "true" or b'<div id="main"' not in body:
        return body
    threads = reactions(site).threads.get(work_id, [])
    page = int(query["page"]) if query.get("page", "").isdigit() else 1
    last = max(1, math.ceil(len(threads) / THREADS_PER_PAGE))
    shown = threads[(page - 1) * THREADS_PER_PAGE : page * THREADS_PER_PAGE]
    keep = {k: v for k, v in sorted(query.items()) if k != "page"}
    nav = _will_paginate(f"/works/{work_id}?{urlencode(keep)}&", page, last, "#comments")
    section = (
        '<div id="comments_placeholder">'
        + nav
        + "".join(f'<ol class="thread">{_comment(c)}</ol>' for c in shown)
        + nav
        + "</div>"
    )
    text = body.decode("utf-8")
    head, sep, tail = text.rpartition("</div>\n<!-- END main -->")
    return (head + section + sep + tail).encode("utf-8")


def _comment(c: FakeComment) -> str:
    href = f"/users/{e(c.user)}/pseuds/{e(c.user)}"
    item = (
        f'<li class="odd comment group user-1" id="comment_{c.id}" role="article">'
        f'<h4 class="heading byline"><a href="{href}">{e(c.user)}</a> '
        '<span class="posted datetime"><abbr class="day" title="Wednesday">Wed</abbr> '
        '<span class="date">10</span> <abbr class="month" title="April">Apr</abbr> '
        '<span class="year">2019</span> <span class="time">07:09PM</span> '
        '<abbr class="timezone" title="UTC">UTC</abbr></span></h4>'
        f'<blockquote class="userstuff"><p>{e(c.text)}</p></blockquote></li>'
    )
    if c.replies:
        item += '<li><ol class="thread">' + "".join(_comment(r) for r in c.replies) + "</ol></li>"
    return item


def _will_paginate(prefix: str, page: int, last: int, anchor: str = "") -> str:
    if last <= 1:
        return ""
    following = (
        f'<a rel="next" href="{e(prefix)}page={page + 1}{anchor}">Next &#8594;</a>'
        if page < last
        else '<span class="disabled">Next &#8594;</span>'
    )
    return (
        '<h4 class="landmark heading">Pages Navigation</h4>'
        '<ol class="pagination actions" role="navigation" title="pagination">'
        f'<li><span class="current">{page}</span></li>'
        f'<li class="next" title="next">{following}</li></ol>'
    )


def _kudos_page(site: Site, work: SiteWork, page: int) -> str:
    users = reactions(site).kudos.get(work.id, [])
    guests = max(work.kudos - len(users), 0)
    last = max(1, math.ceil(len(users) / KUDOS_PER_PAGE))
    shown = users[(page - 1) * KUDOS_PER_PAGE : page * KUDOS_PER_PAGE]
    link = f'<a href="/works/{work.id}">{e(work.title)}</a>'
    if last > 1:
        first = (page - 1) * KUDOS_PER_PAGE + 1
        heading = (
            f"{first} - {first + len(shown) - 1} of {len(users):,} Users Who Left Kudos on {link}"
        )
    else:
        heading = f"{len(users)} Users Who Left Kudos on {link}"
    body = f'<h2 class="heading">\n  {heading}\n</h2>\n'
    if guests:
        said = f"{guests} guests have" if guests != 1 else "1 guest has"
        body += f'<h3 class="heading">{said} also left kudos</h3>\n'
    nav = _will_paginate(f"/works/{work.id}/kudos?", page, last)
    if shown:
        names = ", ".join(f'<a href="/users/{e(u)}">{e(u)}</a>' for u in shown)
        paragraph = f'<p class="kudos">{names}\n left kudos on this work!</p>'
        body += f'{nav}<div id="kudos">\n{paragraph}\n</div>{nav}'
    return _page(f"Kudos on {work.title}", "kudos-index region", body)


def _bookmarks_page(site: Site, work: SiteWork, page: int) -> str:
    marks = reactions(site).bookmarks.get(work.id, [])
    last = max(1, math.ceil(len(marks) / BOOKMARKS_PER_PAGE))
    shown = marks[(page - 1) * BOOKMARKS_PER_PAGE : page * BOOKMARKS_PER_PAGE]
    nav = ""
    if last > 1:
        href = f"/works/{work.id}/bookmarks?page={page + 1}"
        following = (
            f'<li class="next"><a href="{href}">Next &#8594;</a></li>'
            if page < last
            else '<li class="next"><span class="disabled">Next &#8594;</span></li>'
        )
        nav = (
            '<h4 class="landmark heading">Pages Navigation</h4>'
            '<ol class="pagination actions" role="navigation" title="pagination">'
            f'<li><span class="current">{page}</span></li>{following}</ol>'
        )
    items = "".join(_bookmark(b) for b in shown)
    body = (
        f'<h2 class="heading">{len(marks)} Bookmarks</h2>{nav}'
        f'<ol class="bookmark index group">{render_blurb(site, work)}{items}</ol>{nav}'
    )
    return _page(f"Bookmarks of {work.title}", "bookmarks-index region", body)


def _bookmark(b: FakeBookmark) -> str:
    href = f"/users/{e(b.user)}/pseuds/{e(b.user)}"
    tags = "".join(
        f'<li><a class="tag" href="/tags/{e(t)}/bookmarks">{e(t)}</a></li>' for t in b.tags
    )
    return (
        '<li class="user short blurb group user-1" role="article"><div class="header module">'
        f'<h5 class="byline heading">Bookmarked by <a href="{href}">{e(b.user)}</a></h5>'
        f'<p class="datetime">{e(b.date)}</p></div>'
        + (
            f'<h6 class="meta heading">Bookmark Tags:</h6><ul class="meta tags commas">{tags}</ul>'
            if tags
            else ""
        )
        + (
            '<h6 class="landmark heading">Bookmark Notes:</h6>'
            f'<blockquote class="userstuff summary"><p>{e(b.notes)}</p></blockquote>'
            if b.notes
            else ""
        )
        + "</li>"
    )
