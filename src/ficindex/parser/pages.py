"""Pages AO3 serves for a work URL instead of the work (AO3-MARKUP section 2).

* the adult-content interstitial: the work's blurb sits under the warning, so
  the record carries the blurb's metadata and counters (no text);
* the login page a guest gets for a registered-users-only work (``restricted``),
  the 404 page (``not_found``) and an unrevealed "Mystery Work" (``unrevealed``):
  records with only a kind and, where the page or its address names it, the work id.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ficindex.parser.blurb import parse_blurb
from ficindex.parser.common import work_id_from_href
from ficindex.record import Record


def parse_interstitial(main: LexborNode, url: str | None) -> Record:
    """The "Adult Content Warning" page (or the older "Proceed" one): the blurb's record.

    The work id comes from the "continue" link (``/works/ID?view_adult=true``),
    else the blurb, else ``url``.
    """
    proceed = main.css_first("a[href*='view_adult=true']")
    work_id = work_id_from_href(proceed.attributes.get("href")) if proceed is not None else None
    blurb = main.css_first("ol.work li.blurb, li.work.blurb")
    record = parse_blurb(blurb) if blurb is not None else Record()
    record.kind = "adult_interstitial"
    record.work_id = work_id or record.work_id or work_id_from_href(url)
    return record


def status_page(kind: str, tree: LexborHTMLParser, url: str | None) -> Record:
    """A ``restricted``, ``not_found`` or ``unrevealed`` record, with the work id when known.

    The work id comes from ``url``, else from the ``return_to`` AO3 puts in
    the login links and forms (it names the page the visitor asked for).
    """
    work_id = work_id_from_href(url)
    if work_id is None:
        work_id = _return_to_work_id(tree)
    return Record(kind=kind, work_id=work_id)


def _return_to_work_id(tree: LexborHTMLParser) -> int | None:
    for node in tree.css("form[action*='return_to='], a[href*='return_to=']"):
        target = node.attributes.get("action") or node.attributes.get("href") or ""
        try:
            query = urlsplit(target).query
        except ValueError:  # a malformed link (an unclosed "[" host) names no work
            continue
        for value in parse_qs(query).get("return_to", []):
            work_id = work_id_from_href(value)
            if work_id is not None:
                return work_id
    return None
