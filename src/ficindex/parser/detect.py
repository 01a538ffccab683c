"""Which kind of page is this? (SPEC section 2 ``kind``)

The class of ``div#main`` names the Rails controller action that rendered the
page (``works-show``, ``chapters-show``, ``sessions-new``, ``system errors
error-404``, ...), so it is read first (AO3-MARKUP section 0). Titles and
structure decide only where it is missing: saved fragments, Cloudflare pages,
other sites. Listings are recognised by the listing parser's own
:func:`~ficindex.parser.listing.is_listing`.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ficindex.parser.common import classes_of, clean
from ficindex.parser.listing import WORK_ACTIONS, is_listing

#: Kinds whose page must have arrived whole: a cut-off copy of them is an error page.
COMPLETE_PAGE_KINDS = ("work", "listing", "adult_interstitial")

_ERROR_CODE = re.compile(r"\berror-(\d{3})\b")
_STATUS_IN_TEXT = re.compile(
    r"\b(?:Error|error code|HTTP)\s*:?\s*(\d{3})\b|\b(\d{3})\s*(?:Error|:)"
)
#: Cloudflare's challenge and error pages (they never have AO3's div#main).
_CLOUDFLARE_SELECTOR = (
    "#cf-wrapper, #cf-error-details, .cf-error-details, #challenge-form, #challenge-body-text, "
    "#challenge-running, .cf-browser-verification, script[src*='/cdn-cgi/challenge-platform/']"
)
_CLOUDFLARE_TITLES = ("just a moment", "attention required", "cloudflare")
#: The plain-text body Rack::Attack sends with an HTTP 429.
_RATE_LIMIT_TEXT = ("retry later",)
#: Labels a plain-text copy of a work page has on lines of their own.
_PLAINTEXT_WORK_LABELS = frozenset(
    ("Stats:", "Published:", "Words:", "Chapters:", "Work Text:", "Chapter Text", "Work Header")
)


def page_kind(tree: LexborHTMLParser, main: LexborNode | None) -> str:
    """One of ``ficindex.record.KINDS`` for a parsed HTML page whose ``div#main`` is ``main``."""
    return page_kind_and_meta(tree, main)[0]


def page_kind_and_meta(
    tree: LexborHTMLParser, main: LexborNode | None
) -> tuple[str, LexborNode | None]:
    """:func:`page_kind`, and ``main``'s first ``dl.work.meta`` when telling the kind found it.

    (A work page's kind is told by its meta list: handing it on spares the work
    parser a second lookup.) None when the kind was told without it.
    """
    if main is None:
        return _kind_without_main(tree, page_title(tree)), None
    classes = classes_of(main)
    code = _error_code(classes)
    if code is not None:
        return {"404": "not_found", "429": "rate_limited"}.get(code, "error_page"), None
    if "sessions-new" in classes or "sessions-create" in classes:
        return ("restricted" if _is_restricted_login(main) else "unknown"), None
    if any(action in classes for action in WORK_ACTIONS):
        return _work_action_kind(tree, main)
    if is_listing(tree, main=main):
        return "listing", None
    return _kind_by_structure(main)


def page_title(tree: LexborHTMLParser) -> str:
    node = tree.css_first("title")
    return clean(node.text_lexbor()) if node is not None else ""


def is_complete(tree: LexborHTMLParser, ends_like_a_page: bool) -> bool:
    """An AO3 page arrived whole if it ends with ``</html>`` or still has its footer.

    (Some tools save only the body, without ``</html>``; AO3's footer follows
    the content on every page, so a page cut off inside the content has neither.)
    """
    return ends_like_a_page or tree.css_first("div#footer") is not None


def is_rate_limit_text(text: str) -> bool:
    """Rack::Attack's 429 body is the bare line "Retry later"."""
    return len(text) < 200 and text.lower().rstrip(".!\n ") in _RATE_LIMIT_TEXT


def is_plaintext_work(text: str) -> bool:
    """A plain-text copy of a work page: at least two of AO3's labels on lines of their own."""
    found = 0
    for line in text[:20000].splitlines():
        if line.strip() in _PLAINTEXT_WORK_LABELS:
            found += 1
            if found >= 2:
                return True
    return False


def _error_code(classes: list[str]) -> str | None:
    if "errors" not in classes:
        return None
    for token in classes:
        match = _ERROR_CODE.fullmatch(token) if token.startswith("error-") else None
        if match:
            return match.group(1)
    return "000"  # an error page without a code is still an error page


def _is_restricted_login(main: LexborNode) -> bool:
    """The login page a guest gets for a registered-users-only work (AO3-MARKUP 2.2)."""
    text = clean(main.text_lexbor())
    if "only available to registered users" in text:
        return True
    for form in main.css("form[action*='return_to']"):
        if "%2Fworks%2F" in (form.attributes.get("action") or ""):
            return True
    return False


def _work_action_kind(tree: LexborHTMLParser, main: LexborNode) -> tuple[str, LexborNode | None]:
    # The work markers come first: they are near the top of a work page, where a
    # miss for the interstitial's caution would walk the whole (long) page.
    marker = main.css_first("dl.work.meta, div#chapters")
    if marker is not None:
        # The first match in page order: a dl is the first dl.work.meta (div#chapters
        # is a div); after div#chapters a dl.work.meta may still follow.
        return "work", (marker if marker.tag == "dl" else None)
    if main.css_first("p.caution") is not None and (
        main.css_first("a[href*='view_adult=true']") is not None
    ):
        return "adult_interstitial", None
    if page_title(tree).startswith("Mystery Work") or _has_unrevealed_notice(main):
        return "unrevealed", None
    return "unknown", None


def _has_unrevealed_notice(main: LexborNode) -> bool:
    return any("will be revealed" in clean(p.text_lexbor()) for p in main.css("p.notice"))


def _kind_by_structure(main: LexborNode) -> tuple[str, LexborNode | None]:
    """An AO3 page whose action is not one we know: read what it contains."""
    meta = main.css_first("dl.work.meta")
    if meta is not None:
        return "work", meta
    heading = main.css_first("h2.heading")
    heading_text = clean(heading.text_lexbor()) if heading is not None else ""
    if heading_text == "Error 429":
        return "rate_limited", None
    if heading_text.startswith("Error "):
        return "error_page", None
    return "unknown", None


def _kind_without_main(tree: LexborHTMLParser, title: str) -> str:
    """No div#main: a Cloudflare or server error page, a work fragment, or another site."""
    lowered = title.lower()
    if tree.css_first(_CLOUDFLARE_SELECTOR) is not None or any(
        marker in lowered for marker in _CLOUDFLARE_TITLES
    ):
        return "error_page"
    if tree.css_first("dl.work.meta") is not None:
        return "work"
    heading_text = _first_heading_text(tree)
    codes = {m.group(1) or m.group(2) for m in _STATUS_IN_TEXT.finditer(f"{title} {heading_text}")}
    return _kind_by_status(codes, lowered, heading_text)


def _first_heading_text(tree: LexborHTMLParser) -> str:
    root = tree.body or tree.root
    heading = root.css_first("h1, h2") if root is not None else None
    return clean(heading.text_lexbor()) if heading is not None else ""


def _kind_by_status(codes: set[str], lowered: str, heading_text: str) -> str:
    """A page without div#main, by the HTTP status its (lowercased) title or first heading names."""
    if "429" in codes or "too many requests" in lowered or heading_text.lower() == "retry later":
        return "rate_limited"
    if any(code.startswith("5") for code in codes):
        return "error_page"
    if codes & {"403", "404", "408"}:
        # Not AO3's own error page (it has div#main): a proxy's error, worth a retry.
        return "error_page"
    return "unknown"
