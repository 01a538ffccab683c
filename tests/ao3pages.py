"""The fake AO3's pages: AO3's own markup rendered from a :class:`~ao3site.Site`.

The structure follows the real pages in ``../shared/fixtures`` (see
AO3-MARKUP.md sections 1-3) closely enough that the real parser reads them:
work pages (full and chapter views), blurbs in listings with pagy and
will_paginate pagination, series, search results, the adult interstitial, the
login form, 404 and "Mystery Work" pages, and Cloudflare's answers.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from urllib.parse import quote, unquote, urlencode

from ao3site import PER_PAGE, Site, SiteChapter, SiteWork

_RATING_CSS = {
    "General Audiences": "rating-general-audience",
    "Teen And Up Audiences": "rating-teen",
    "Mature": "rating-mature",
    "Explicit": "rating-explicit",
    "Not Rated": "rating-notrated",
}
_CATEGORY_CSS = {
    "F/F": "category-femslash",
    "F/M": "category-het",
    "Gen": "category-gen",
    "M/M": "category-slash",
    "Multi": "category-multi",
    "Other": "category-other",
}

CLOUDFLARE_CHALLENGE = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    '<meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper">'
    "<h1>archiveofourown.org</h1><h2>Verifying you are human. This may take a few seconds."
    "</h2><noscript>Enable JavaScript and cookies to continue</noscript></div>"
    '<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script>'
    "</body></html>"
)
CLOUDFLARE_525 = (
    "<!DOCTYPE html><html><head><title>archiveofourown.org | 525: SSL handshake failed"
    "</title></head><body><h1>SSL handshake failed</h1><span>Error code 525</span>"
    "<p>Cloudflare Ray ID: 0123456789abcdef</p></body></html>"
)


e = html.escape


def tag_href(name: str) -> str:
    """AO3's tag URL escaping: ``/ & . ? #`` become ``*s* *a* *d* *q* *h*``, then %-encoding."""
    for char, code in (("/", "*s*"), ("&", "*a*"), (".", "*d*"), ("?", "*q*"), ("#", "*h*")):
        name = name.replace(char, code)
    return "/tags/" + quote(name, safe="*") + "/works"


def tag_from_path(segment: str) -> str:
    name = unquote(segment)
    for char, code in (("/", "*s*"), ("&", "*a*"), (".", "*d*"), ("?", "*q*"), ("#", "*h*")):
        name = name.replace(code, char)
    return name


def _page(title: str, main_class: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8" />\n'
        f"<title>\n{e(title)}\n</title>\n</head>\n<body>\n"
        '<div id="outer" class="wrapper">\n<div id="header" class="region"><h1 class="heading">'
        '<a href="/">Archive of Our Own</a></h1></div>\n'
        '<div id="inner" class="wrapper">\n'
        f'<div id="main" class="{main_class}" role="main">\n<div class="flash"></div>\n'
        f"{body}\n</div>\n<!-- END main -->\n</div>\n"
        '<div id="footer" role="contentinfo" class="region"><h3 class="landmark heading">'
        "Footer</h3></div>\n</div>\n</body>\n</html>\n"
    )


def _paragraphs(text: str | None) -> str:
    return "".join(f"<p>{e(line)}</p>" for line in (text or "").split("\n") if line.strip())


def _byline(work: SiteWork) -> str:
    if work.anonymous:
        return "Anonymous"
    byline = work.pseud_name if work.pseud_name == work.user else f"{work.pseud_name} ({work.user})"
    href = f"/users/{quote(work.user)}/pseuds/{quote(work.pseud_name)}"
    return f'<a rel="author" href="{href}">{e(byline)}</a>'


def _tag_list(names: list[str]) -> str:
    return "".join(f'<li><a class="tag" href="{tag_href(n)}">{e(n)}</a></li>' for n in names)


def _meta_pair(css: str, label: str, inner: str) -> str:
    return f'<dt class="{css}">\n{label}\n</dt>\n<dd class="{css}">\n{inner}\n</dd>\n'


def _work_stats(work: SiteWork) -> str:
    total = "?" if work.chapters_total is None else str(work.chapters_total)
    parts = [f'<dt class="published">Published:</dt><dd class="published">{work.published}</dd>']
    if work.chaptered:
        label = "Completed:" if work.complete else "Updated:"
        parts.append(f'<dt class="status">{label}</dt><dd class="status">{work.last_date}</dd>')
    parts.append(f'<dt class="words">Words:</dt><dd class="words">{work.words:,}</dd>')
    parts.append(
        f'<dt class="chapters">Chapters:</dt><dd class="chapters">{len(work.chapters)}/{total}</dd>'
    )
    if work.comments:
        parts.append(
            f'<dt class="comments">Comments:</dt><dd class="comments">{work.comments:,}</dd>'
        )
    if work.kudos:
        parts.append(f'<dt class="kudos">Kudos:</dt><dd class="kudos">{work.kudos:,}</dd>')
    if work.bookmarks:
        parts.append(
            '<dt class="bookmarks">Bookmarks:</dt><dd class="bookmarks">'
            f'<a href="/works/{work.id}/bookmarks">{work.bookmarks:,}</a></dd>'
        )
    parts.append(f'<dt class="hits">Hits:</dt><dd class="hits">{work.hits:,}</dd>')
    return '<dl class="stats">' + "".join(parts) + "</dl>"


def _series_spans(site: Site, work: SiteWork) -> str:
    spans = []
    for sid, position in work.series:
        title = e(site.series_titles.get(sid, f"Series {sid}"))
        spans.append(
            f'<span class="series"><span class="position">Part {position} of '
            f'<a href="/series/{sid}">{title}</a></span></span>'
        )
    return ", ".join(spans)


def render_work(site: Site, work: SiteWork, chapter: SiteChapter | None = None) -> str:
    """The work page: full view when ``chapter`` is None, else that chapter's view."""
    meta = []
    for css, label, names in (
        ("rating tags", "Rating:", [work.rating]),
        ("warning tags", '<a href="/tos_faq#tags">Archive Warning</a>:', work.warnings),
        ("category tags", "Category:", work.categories),
        ("fandom tags", "Fandom:", work.fandoms),
        ("relationship tags", "Relationship:", work.relationships),
        ("character tags", "Characters:", work.characters),
        ("freeform tags", "Additional Tags:", work.freeforms),
    ):
        if names:
            meta.append(_meta_pair(css, label, f'<ul class="commas">{_tag_list(names)}</ul>'))
    meta.append(
        f'<dt class="language">\nLanguage:\n</dt>\n<dd class="language" lang="en">\n'
        f"{e(work.language)}\n</dd>\n"
    )
    if work.series:
        meta.append(_meta_pair("series", "Series:", _series_spans(site, work)))
    if work.collections:
        links = ", ".join(f'<a href="/collections/{quote(c)}">{e(c)}</a>' for c in work.collections)
        meta.append(_meta_pair("collections", "Collections: ", links))
    meta.append(f'<dt class="stats">Stats:</dt>\n<dd class="stats">\n{_work_stats(work)}\n</dd>\n')

    first = chapter is None or chapter is work.chapters[0]
    preface = [f'<h2 class="title heading">\n{e(work.title)}\n</h2>']
    preface.append(f'<h3 class="byline heading">\n{_byline(work)}\n</h3>')
    if first and work.summary:
        preface.append(
            '<div class="summary module">\n<h3 class="heading">Summary:</h3>\n'
            f'<blockquote class="userstuff">{_paragraphs(work.summary)}</blockquote>\n</div>'
        )
    if first and work.notes:
        preface.append(
            '<div class="notes module">\n<h3 class="heading">Notes:</h3>\n'
            f'<blockquote class="userstuff">{_paragraphs(work.notes)}</blockquote>\n</div>'
        )

    if not work.chaptered:
        body = (
            '<div id="chapters" role="article">\n<h3 class="landmark heading" id="work">'
            f'Work Text:</h3>\n<div class="userstuff">{_paragraphs(work.chapters[0].text)}</div>\n'
            "</div>"
        )
    else:
        shown = work.chapters if chapter is None else [chapter]
        blocks = [_chapter_block(work, c) for c in shown]
        role = ' role="article"' if chapter is None else ""
        body = f'<div id="chapters"{role}>\n' + "\n".join(blocks) + "\n</div>"

    last = chapter is None or chapter is work.chapters[-1]
    afterword = ""
    if last and work.end_notes:
        afterword = (
            '<div class="afterword preface group"><div id="work_endnotes" class="end notes module">'
            '<h3 class="heading">Notes:</h3>'
            f'<blockquote class="userstuff">{_paragraphs(work.end_notes)}</blockquote></div></div>'
        )

    nav = ['<h3 class="landmark heading">Actions</h3>\n<ul class="work navigation actions">']
    if work.chaptered and chapter is not None:
        nav.append(
            f'<li class="chapter entire"><a href="/works/{work.id}?view_full_work=true">'
            "Entire Work</a></li>"
        )
    elif work.chaptered:
        nav.append(
            f'<li class="chapter bychapter"><a href="/works/{work.id}/navigate">'
            "Chapter by Chapter</a></li>"
        )
    nav.append("</ul>")

    title = f"{work.title} - {'Anonymous' if work.anonymous else work.pseud_name} - "
    title += ", ".join(work.fandoms) if len(work.fandoms) < 3 else "Multifandom"
    if chapter is not None and work.chaptered:
        title += f" - Chapter {work.chapters.index(chapter) + 1}"
    main_class = "works-show region" if chapter is None else "chapters-show region"
    body_html = (
        '<!-- BEGIN revealed -->\n<div class="work">\n'
        + "\n".join(nav)
        + '\n<h3 class="landmark heading">Work Header</h3>\n<div class="wrapper">\n'
        + '<dl class="work meta group">\n'
        + "".join(meta)
        + "</dl>\n</div>\n"
        + '<div id="workskin">\n<div class="preface group">\n'
        + "\n".join(preface)
        + "\n</div>\n<!--/descriptions-->\n"
        + body
        + "\n"
        + afterword
        + "\n</div>\n</div>\n<!-- END revealed -->"
    )
    return _page(f"{title} [Archive of Our Own]", main_class, body_html)


def _chapter_block(work: SiteWork, chapter: SiteChapter) -> str:
    n = work.chapters.index(chapter) + 1
    title = f": {e(chapter.title)}" if chapter.title else ""
    parts = [
        f'<div class="chapter" id="chapter-{n}">\n<div class="chapter preface group">\n'
        f'<h3 class="title">\n<a href="/works/{work.id}/chapters/{chapter.chapter_id}">'
        f"Chapter {n}</a>{title}\n</h3>"
    ]
    if chapter.summary:
        parts.append(
            '<div id="summary" class="summary module"><h3 class="heading">Summary:</h3>'
            f'<blockquote class="userstuff">{_paragraphs(chapter.summary)}</blockquote></div>'
        )
    if chapter.notes:
        parts.append(
            '<div id="notes" class="notes module"><h3 class="heading">Notes:</h3>'
            f'<blockquote class="userstuff">{_paragraphs(chapter.notes)}</blockquote></div>'
        )
    parts.append("</div>")
    parts.append(
        '<div class="userstuff module" role="article">\n'
        f'<h3 class="landmark heading" id="work">Chapter Text</h3>\n{_paragraphs(chapter.text)}\n'
        "</div>"
    )
    if chapter.end_notes:
        parts.append(
            f'<div class="chapter preface group"><div id="chapter_{n}_endnotes" '
            'class="end notes module"><h3 class="heading">Notes:</h3>'
            f'<blockquote class="userstuff">{_paragraphs(chapter.end_notes)}</blockquote>'
            "</div></div>"
        )
    parts.append("</div>")
    return "\n".join(parts)


def _required_tag(css: str, title: str) -> str:
    return (
        '<li> <a class="help symbol question modal" title="Symbols key" '
        f'href="/help/symbols-key.html"><span class="{css}" title="{e(title)}">'
        f'<span class="text">{e(title)}</span></span></a></li>'
    )


def render_blurb(site: Site, work: SiteWork, *, bookmark_id: int | None = None) -> str:
    """A work blurb (``li.work.blurb``), or a bookmark blurb when ``bookmark_id`` is given."""
    updated_at = int(dt.datetime.fromisoformat(work.last_date).replace(tzinfo=dt.UTC).timestamp())
    date = dt.date.fromisoformat(work.last_date).strftime("%d %b %Y")
    if "Choose Not To Use Archive Warnings" in work.warnings:
        warning_css = "warning-choosenotto warnings"
    elif work.warnings == ["No Archive Warnings Apply"]:
        warning_css = "warning-no warnings"
    else:
        warning_css = "warning-yes warnings"
    if len(work.categories) > 1:
        category_css = "category-multi category"
    elif work.categories:
        category_css = _CATEGORY_CSS.get(work.categories[0], "category-other") + " category"
    else:
        category_css = "category-none category"
    fandoms = ", ".join(f'<a class="tag" href="{tag_href(f)}">{e(f)}</a>' for f in work.fandoms)
    tags = [
        f'<li class="warnings"><strong><a class="tag" href="{tag_href(w)}">{e(w)}</a></strong></li>'
        for w in work.warnings
    ]
    for css, names in (
        ("relationships", work.relationships),
        ("characters", work.characters),
        ("freeforms", work.freeforms),
    ):
        tags += [
            f'<li class="{css}"><a class="tag" href="{tag_href(n)}">{e(n)}</a></li>' for n in names
        ]
    total = "?" if work.chapters_total is None else str(work.chapters_total)
    posted = len(work.chapters)
    posted_html = (
        f'<a href="/works/{work.id}/chapters/{work.chapters[-1].chapter_id}">{posted}</a>'
        if posted > 1
        else str(posted)
    )
    stats = [
        '<dt class="language">Language:</dt>',
        f'<dd class="language" lang="en">{e(work.language)}</dd>',
        f'<dt class="words">Words:</dt><dd class="words">{work.words:,}</dd>',
        f'<dt class="chapters">Chapters:</dt><dd class="chapters">{posted_html}/{total}</dd>',
    ]
    for name, value in (
        ("comments", work.comments),
        ("kudos", work.kudos),
        ("bookmarks", work.bookmarks),
    ):
        if value:
            stats.append(
                f'<dt class="{name}">{name.title()}:</dt><dd class="{name}">'
                f'<a href="/works/{work.id}/{name}">{value:,}</a></dd>'
            )
    stats.append(f'<dt class="hits">Hits:</dt><dd class="hits">{work.hits:,}</dd>')
    series = ""
    if work.series:
        items = "".join(
            f'<li>Part <strong>{pos}</strong> of <a href="/series/{sid}">'
            f"{e(site.series_titles.get(sid, f'Series {sid}'))}</a></li>"
            for sid, pos in work.series
        )
        series = f'<h6 class="landmark heading">Series</h6>\n<ul class="series">{items}</ul>'
    summary = ""
    if work.summary:
        summary = (
            '<h6 class="landmark heading">Summary</h6>\n<blockquote class="userstuff summary">'
            f"{_paragraphs(work.summary)}</blockquote>"
        )
    if bookmark_id is None:
        opening = (
            f'<li id="work_{work.id}" class="work blurb group work-{work.id} user-1" '
            'role="article">'
        )
    else:
        opening = (
            f'<li id="bookmark_{bookmark_id}" class="bookmark blurb group work-{work.id} user-1" '
            'role="article">'
        )
    header_class = "anonymous header module" if work.anonymous else "header module"
    return f"""{opening}
<div class="{header_class}">
<!-- updated_at={updated_at} -->
<h4 class="heading">
<a href="/works/{work.id}">{e(work.title)}</a>
by
<!-- do not cache -->
{_byline(work)}
</h4>
<h5 class="fandoms heading">
<span class="landmark">Fandoms:</span>
{fandoms}
&nbsp;
</h5>
<ul class="required-tags">
{_required_tag(_RATING_CSS.get(work.rating, "rating-notrated") + " rating", work.rating)}
{_required_tag(warning_css, ", ".join(work.warnings))}
{_required_tag(category_css, ", ".join(work.categories) or "No category")}
{
        _required_tag(
            "complete-yes iswip" if work.complete else "complete-no iswip",
            "Complete Work" if work.complete else "Work in Progress",
        )
    }
</ul>
<p class="datetime">{date}</p>
</div>
<h6 class="landmark heading">Tags</h6>
<ul class="tags commas">
{"".join(tags)}
</ul>
{summary}
{series}
<dl class="stats">
{"".join(stats)}
</dl>
</li>"""


def pagy_nav(path: str, query: dict[str, str], page: int, last: int, *, more: bool = False) -> str:
    """AO3's 2025 pagy pagination block (works and bookmarks indexes).

    ``more``: link a next page even from the last one (see ``Site.clamp_keeps_next``).
    """
    if last <= 1 and not more:
        return ""

    def href(n: int) -> str:
        return e(path + "?" + urlencode({**query, "page": str(n)}))

    items = []
    if page > 1:
        items.append(f'<li class="previous"><a href="{href(page - 1)}">← Previous</a></li>')
    else:
        items.append('<li class="previous"><span class="disabled">← Previous</span></li>')
    shown = sorted({1, 2, last - 1, last, *range(page - 3, page + 4)} & set(range(1, last + 1)))
    prev = 0
    for n in shown:
        if n > prev + 1:
            items.append('<li><span class="gap">…</span></li>')
        if n == page:
            items.append(
                f'<li><a role="link" aria-disabled="true" aria-current="page" class="current">'
                f"{n}</a></li>"
            )
        else:
            items.append(f'<li><a href="{href(n)}">{n}</a></li>')
        prev = n
    if page < last or more:
        items.append(f'<li class="next"><a href="{href(page + 1)}">Next →</a></li>')
    else:
        items.append('<li class="next"><span class="disabled">Next →</span></li>')
    return (
        '<h4 class="landmark heading">Navigation</h4><ol class="pagination actions pagy" '
        'role="navigation" aria-label="Pagination">' + "".join(items) + "</ol>"
    )


def will_paginate_nav(path: str, query: dict[str, str], page: int, last: int) -> str:
    """The older will_paginate block (series pages, search results)."""
    if last <= 1:
        return ""

    def href(n: int) -> str:
        return e(path + "?" + urlencode({**query, "page": str(n)}))

    items = []
    if page > 1:
        items.append(
            f'<li class="previous" title="previous"><a rel="prev" href="{href(page - 1)}">'
            "← Previous</a></li>"
        )
    else:
        items.append('<li class="previous" title="previous"><span>← Previous</span></li>')
    for n in range(max(1, page - 4), min(last, page + 4) + 1):
        if n == page:
            items.append(f'<li><span class="current">{n}</span></li>')
        else:
            rel = ' rel="next"' if n == page + 1 else ' rel="prev"' if n == page - 1 else ""
            items.append(f'<li><a{rel} href="{href(n)}">{n}</a></li>')
    if page < last:
        items.append(
            f'<li class="next" title="next"><a rel="next" href="{href(page + 1)}">Next →</a></li>'
        )
    else:
        items.append('<li class="next" title="next"><span>Next →</span></li>')
    return (
        '<h4 class="landmark heading">Pages Navigation</h4><ol class="pagination actions" '
        'role="navigation" title="pagination">' + "".join(items) + "</ol>"
    )


def render_listing(
    site: Site,
    works: list[SiteWork] | list[SiteWork | int],
    *,
    path: str,
    query: dict[str, str],
    heading_suffix: str,
    main_class: str = "works-index region",
    bookmarks: bool = False,
) -> str:
    """A works or bookmarks index page, clamped to the last reachable page like AO3's.

    In a bookmarks page an ``int`` is a bookmarked series (see :func:`render_series_bookmark`).
    """
    total = len(works)
    last = max(1, min(site.max_pages, math.ceil(total / PER_PAGE)))
    try:
        page = max(1, int(query.get("page", "1")))
    except ValueError:
        page = 1
    clamped = page > last and total > last * PER_PAGE
    page = min(page, last)
    chunk = works[(page - 1) * PER_PAGE : page * PER_PAGE]
    noun = "Bookmarks" if bookmarks else "Works"
    notice = (
        f'<div class="flash notice">Displaying {last * PER_PAGE} results out of {total}. '
        "Please use the filters or edit your search to customize this list further.</div>\n"
        if clamped
        else ""
    )
    if last > 1:
        first_n = (page - 1) * PER_PAGE + 1
        heading = f"{first_n} - {first_n + len(chunk) - 1} of {total:,} {noun}{heading_suffix}"
    else:
        heading = f"{total:,} {noun if total != 1 else noun[:-1]}{heading_suffix}"
    query = {k: v for k, v in query.items() if k != "page"}
    more = site.clamp_keeps_next and page == last and total > last * PER_PAGE
    nav = pagy_nav(path, query, page, last, more=more)
    if bookmarks:
        blurbs = "\n".join(
            render_series_bookmark(site, w)
            if isinstance(w, int)
            else render_blurb(site, w, bookmark_id=90000 + w.id)
            for w in chunk
        )
        listing = f'<ol class="bookmark index group">\n{blurbs}\n</ol>'
    else:
        blurbs = "\n".join(render_blurb(site, w) for w in chunk)
        listing = f'<ol class="work index group">\n{blurbs}\n</ol>'
    body = notice + (
        f'<h2 class="heading">\n {heading}\n</h2>\n{nav}\n'
        f'<h3 class="landmark heading">Listing {noun}</h3>\n{listing}\n{nav}'
    )
    return _page(f"{noun} | Archive of Our Own", main_class, body)


def render_series_bookmark(site: Site, sid: int) -> str:
    """A bookmark of a series: counted in the heading, not a work blurb."""
    title = e(site.series_titles.get(sid, f"Series {sid}"))
    return (
        f'<li id="bookmark_{80000 + sid}" class="bookmark blurb group series-{sid} user-1" '
        f'role="article">\n<div class="header module">\n<h4 class="heading">'
        f'<a href="/series/{sid}">{title}</a></h4>\n</div>\n</li>'
    )


def render_series(site: Site, sid: int, query: dict[str, str]) -> str:
    members = sorted(
        ((pos, w) for w in site.visible() for s, pos in w.series if s == sid),
        key=lambda item: item[0],
    )
    works = [w for _, w in members]
    last = max(1, math.ceil(len(works) / PER_PAGE))
    try:
        page = min(last, max(1, int(query.get("page", "1"))))
    except ValueError:
        page = 1
    chunk = works[(page - 1) * PER_PAGE : page * PER_PAGE]
    title = site.series_titles.get(sid, f"Series {sid}")
    nav = will_paginate_nav(f"/series/{sid}", {}, page, last)
    blurbs = "\n".join(render_blurb(site, w) for w in chunk)
    words = sum(w.words for w in works)
    body = (
        f'<h2 class="heading">\n{e(title)}\n</h2>\n<div class="wrapper">\n'
        '<dl class="series meta group">\n<dt>Creator:</dt>\n<dd><a rel="author" '
        'href="/users/author/pseuds/author">author</a></dd>\n'
        "<dt>Series Begun:</dt>\n<dd>2024-01-01</dd>\n<dt>Series Updated:</dt>\n"
        f"<dd>{max((w.last_date for w in works), default='2024-01-01')}</dd>\n"
        '<dt class="stats">Stats:</dt>\n<dd class="stats"><dl class="stats">'
        f'<dt class="words">Words:</dt><dd class="words">{words:,}</dd>'
        f'<dt class="works">Works:</dt><dd class="works">{len(works)}</dd>'
        "<dt>Complete:</dt><dd>No</dd></dl></dd>\n</dl>\n</div>\n"
        f'<h3 class="landmark heading">Listing Series</h3>\n{nav}\n'
        f'<ul class="series work index group">\n{blurbs}\n</ul>\n{nav}'
    )
    return _page(f"{title} | Archive of Our Own", "series-show region", body)


def render_search(site: Site, query: dict[str, str]) -> str:
    needle = query.get("work_search[query]", "").lower()
    works = [w for w in site.visible() if needle in w.title.lower()]
    last = max(1, min(site.max_pages, math.ceil(len(works) / PER_PAGE)))
    try:
        page = min(last, max(1, int(query.get("page", "1"))))
    except ValueError:
        page = 1
    chunk = works[(page - 1) * PER_PAGE : page * PER_PAGE]
    rest = {k: v for k, v in query.items() if k != "page"}
    nav = will_paginate_nav("/works/search", rest, page, last)
    blurbs = "\n".join(render_blurb(site, w) for w in chunk)
    found = f"{len(works):,} Found" if works else "No results found."
    body = (
        '<h2 class="heading">Search Results</h2>\n'
        f'<h4 class="heading">You searched for: {e(needle)}</h4>\n'
        f'<h3 class="heading">{found}</h3>\n{nav}\n'
        f'<h3 class="landmark heading">Listing Works</h3>\n'
        f'<ol class="work index group">\n{blurbs}\n</ol>\n{nav}'
    )
    return _page("Search Works | Archive of Our Own", "works-search region", body)


def render_interstitial(site: Site, work: SiteWork, path: str) -> str:
    body = (
        '<h2 class="landmark heading">Adult Content Warning</h2>\n<p class="caution">\n'
        "This work could have adult content. If you continue, you have agreed that you are "
        'willing to see such content.\n</p>\n<ul class="actions" role="navigation">\n'
        f'<li>\n<a href="{e(path)}?view_adult=true">Yes, Continue</a>\n</li>\n'
        '<li>\n<a href="javascript:history.back()">No, Go Back</a>\n</li>\n</ul>\n'
        '<p class="message footnote">\nIf you accept cookies from our site and you choose '
        '"Yes, Continue", you will not be asked again during this session.\n</p>\n'
        '<div class="clear"></div>\n<ol class="work index group">\n'
        f"{render_blurb(site, work)}\n</ol>"
    )
    main_class = "chapters-show region" if "/chapters/" in path else "works-show region"
    return _page(f"{work.title} | Archive of Our Own", main_class, body)


def render_login(return_to: str, restricted: bool) -> str:
    heading = "Sorry!" if restricted else "Log in"
    message = (
        "<p>\nThis work is only available to registered users of the Archive.\n"
        "If you already have an Archive of Our Own account, log in now.\n"
        'If you don\'t have an account, you can <a href="/invite_requests">request an '
        "invitation to join</a>.\n</p>\n"
        if restricted
        else ""
    )
    action = e("/users/login?" + urlencode({"return_to": return_to}))
    body = (
        f'<div id="signin">\n<h3 class="heading">{heading}</h3>\n{message}'
        f'<div id="loginform">\n<form class="new_user" id="new_user" action="{action}" '
        'method="post"><dl><dt><label for="user_login">Username or email:</label></dt>'
        '<dd><input type="text" name="user[login]" id="user_login" /></dd>'
        '<dt><label for="user_password">Password:</label></dt>'
        '<dd><input type="password" name="user[password]" id="user_password" /></dd></dl>'
        "</form>\n</div>\n</div>"
    )
    return _page("New Session | Archive of Our Own", "sessions-new system session region", body)


def render_404() -> str:
    body = (
        '<h2 class="heading">Error 404</h2>\n'
        '<h3 class="heading">The page you were looking for doesn\'t exist.</h3>\n'
        "<p>You may have mistyped the address or the page may have been deleted.</p>"
    )
    return _page("404 Error | Archive of Our Own", "system errors error-404 region", body)


def render_mystery(path: str) -> str:
    body = (
        '<p class="notice">\nThis work is part of an ongoing challenge and will be revealed soon!\n'
        'You can find details here: \n<a href="/collections/mystery_fest">Mystery Fest</a>\n</p>\n'
        "<!-- BEGIN revealed -->\n<!-- END revealed -->"
    )
    main_class = "chapters-show region" if "/chapters/" in path else "works-show region"
    return _page("Mystery Work | Archive of Our Own", main_class, body)
