"""Comment threads (AO3-MARKUP section 7.2), from otwarchive's templates only.

No saved live page with rendered comments exists, so this follows
comments/_comment_thread, _single_comment and comments_helper.rb. The same
``ol.thread`` markup appears in three places, all read here:

* a work page fetched with ``show_comments=true`` (inside ``div#comments_placeholder``,
  with will_paginate navigation for the next 20 threads);
* ``/works/ID/comments`` (comments#index, same block, no work text);
* ``/comments/CID`` (one thread; the root is CID itself, already known from the
  page that cut the thread, so callers de-duplicate by id and keep the first parent).

The parent of a reply comes from the structure (the comment just before the
unclassed ``li`` holding the reply's ``ol.thread``), never from the "Parent"
link: deleted and hidden comments have no action links.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from selectolax.lexbor import LexborNode

from ficindex.engagement_record import Comment, CommentsPage, ThreadCut
from ficindex.parser.common import (
    author_from_href,
    chapter_id_from_href,
    classes_of,
    clean,
    to_int,
    work_id_from_href,
)
from ficindex.parser.engagement import main_of, next_page_url, own_text, page_number, paragraphs
from ficindex.parser.work import find_work_id

_COMMENT_ID = re.compile(r"comment_(\d{1,18})")
_THREAD_LINK = re.compile(r"/comments/(\d{1,18})(?!\d)")
_MORE = re.compile(r"([\d,.]+)\s+more\s+comments?")
#: "Wed 10 Apr 2019 07:09PM UTC" (application_helper.rb ``time_in_zone``); minutes only.
_WHEN = re.compile(
    r"(\d{1,2})\s+([A-Z][a-z]{2})[a-z]*\s+(\d{4})\s+(\d{1,2}):(\d{2})\s*([AP]M)\s*([A-Z]{2,5})?"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
#: Plain bylines without a link (comments_helper.rb ``get_commenter_pseud_or_name``).
_PLAIN_KINDS = {"Anonymous Creator": "anonymous_creator", "Account Deleted": "deleted_account"}


def parse_comments_page(html: str | bytes, url: str | None = None) -> CommentsPage:
    """Every comment on a work page with ``show_comments``, comments#index or ``/comments/CID``."""
    main = main_of(html)
    page = CommentsPage(work_id=work_id_from_href(url))
    if main is None:
        return page
    # comments#index and /comments/CID name the work in their heading; work pages own links.
    heading_link = main.css_first("h2.heading a[href*='/works/'], h3.heading a[href*='/works/']")
    if heading_link is not None:
        page.work_id = work_id_from_href(heading_link.attributes.get("href")) or page.work_id
    else:
        page.work_id = find_work_id(main, url)
    scope = main.css_first("div#comments_placeholder") or main
    page.page = page_number(scope, url)
    page.closed = any(
        "doesn't allow comments" in clean(notice.text_lexbor()) for notice in main.css("p.notice")
    )
    for thread in _top_threads(scope):
        _walk(thread, page)
    page.next_url = next_page_url(scope)
    return page


def _top_threads(scope: LexborNode) -> list[LexborNode]:
    """The ``ol.thread`` lists not nested in another one, in page order."""
    found = []
    for thread in scope.css("ol.thread"):
        node = thread.parent
        while node is not None and node is not scope and not _is_thread(node):
            node = node.parent
        if node is None or node is scope:
            found.append(thread)
    return found


def _is_thread(node: LexborNode) -> bool:
    return node.tag == "ol" and "thread" in classes_of(node)


def _walk(top: LexborNode, page: CommentsPage) -> None:
    """One top ``ol.thread``, depth first: comments, the replies under the comment
    before them, cut markers. A stack rather than recursion: a hostile page may nest
    lists as deep as the depth guard allows."""
    # Each frame: the list's remaining items, its parent comment, the thread's root.
    stack: list[tuple[Iterator[LexborNode], Comment | None]] = [(top.iter(), None)]
    last: list[Comment | None] = [None]
    while stack:
        items, parent = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            last.pop()
            continue
        if item.tag != "li":
            continue
        found = _COMMENT_ID.fullmatch(item.attributes.get("id") or "")
        if found is not None:
            comment = _comment(item, int(found.group(1)))
            comment.parent_id = parent.id if parent is not None else None
            comment.thread_id = parent.thread_id if parent is not None else comment.id
            page.comments.append(comment)
            last[-1] = comment
            continue
        nested = next((child for child in item.iter() if _is_thread(child)), None)
        if nested is None:
            _cut(item, page)
        elif last[-1] is not None:
            stack.append((nested.iter(), last[-1]))
            last.append(None)


def _cut(item: LexborNode, page: CommentsPage) -> None:
    """``<li class="comment"><p>(<a href="/comments/CID">N more comments ...</a>)</p></li>``."""
    link = item.css_first("a[href*='/comments/']")
    if link is None:
        return
    target = _THREAD_LINK.search(link.attributes.get("href") or "")
    more = _MORE.search(clean(link.text_lexbor()))
    if target is not None:
        page.cuts.append(
            ThreadCut(int(target.group(1)), to_int(more.group(1)) if more is not None else None)
        )


def _comment(item: LexborNode, comment_id: int) -> Comment:
    comment = Comment(id=comment_id)
    heading = item.css_first("h4.byline")
    if heading is None:
        # Placeholders keep the li's id but show only a message.
        hidden = "unavailable" in classes_of(item) or item.css_first("p.message") is not None
        comment.state = "hidden" if hidden else "deleted"
        return comment
    _commenter(comment, heading)
    chapter = heading.css_first("span.parent a")
    if chapter is not None:
        comment.chapter_id = chapter_id_from_href(chapter.attributes.get("href"))
    comment.posted = utc_time(heading.css_first("span.posted"))
    comment.edited = utc_time(item.css_first("p.edited"))
    comment.frozen = item.css_first("span.frozen") is not None
    body = item.css_first("blockquote.userstuff")
    comment.text = paragraphs(body) if body is not None else None
    return comment


def _commenter(comment: Comment, heading: LexborNode) -> None:
    """Who wrote it, from the byline heading (its chapter and date spans aside)."""
    role = heading.css_first("span.role")
    role_text = clean(role.text_lexbor()) if role is not None else ""
    link = next((child for child in heading.iter() if child.tag == "a"), None)
    if link is not None:
        author = author_from_href(link.attributes.get("href"))
        if author is not None:
            comment.user, comment.pseud = author.user, author.pseud
        comment.commenter_kind = "official" if "Official" in role_text else "user"
        return
    if "Guest" in role_text:
        name = next((child for child in heading.iter() if child.tag == "span"), None)
        comment.commenter_kind = "guest"
        comment.name = clean(name.text_lexbor()) if name is not None else None
        return
    own = own_text(heading)
    comment.name = own or None
    comment.commenter_kind = _PLAIN_KINDS.get(own, "guest" if own else None)


def utc_time(node: LexborNode | None) -> str | None:
    """ "Wed 10 Apr 2019 07:09PM UTC" -> "2019-04-10T19:09:00Z"; None unless shown in UTC."""
    if node is None:
        return None
    match = _WHEN.search(clean(node.text_lexbor()))
    if match is None or match.group(7) not in (None, "UTC"):
        return None
    day, month, year, hour, minute, half = match.group(1, 2, 3, 4, 5, 6)
    number = _MONTHS.get(month)
    clock = int(hour) % 12 + (12 if half == "PM" else 0)
    if number is None or not 1 <= int(day) <= 31 or int(minute) > 59:
        return None
    return f"{year}-{number:02d}-{int(day):02d}T{clock:02d}:{minute}:00Z"
