"""BeautifulSoup baselines for the parser benchmarks: what ao3-api and AO3Scraper really do.

Each function redoes, in our own words, the calls a published AO3 scraper makes on one
page, with the same parser backend, the same searches and the same per-field work, so
the benchmarks compare ficindex with practice rather than with a strawman or a tuned
rewrite. What each one mirrors:

* :func:`ao3_api_work`: wendytg/ao3_api, ``AO3/works.py`` (``Work.request`` / ``reload`` /
  ``load_chapters`` and the properties behind ``Work.metadata``, ``start_notes``,
  ``end_notes``, ``text``) and ``AO3/chapters.py`` (``Chapter.text``, ``title``,
  ``summary``, ``start_notes``, ``end_notes``). Soup built with ``"lxml"`` from the
  response bytes; each metadata field is its own ``find`` over the soup; each chapter is
  found by id and cut out of the tree with ``extract()``; chapter text is the
  ``get_text()`` of every ``p``/``center`` plus the loose text after it.
* :func:`ao3scraper_work`: radiolarian/AO3Scraper, ``ao3_get_fanfics.py``
  (``write_fic_to_csv``, ``access_denied``, ``get_tags``, ``get_stats``, ``get_authors``,
  ``get_kudos``). Soup built with ``"html.parser"`` (not lxml: that is what its work-page
  script uses) from the decoded response text; the body is the ``.text`` of every ``p``
  under ``div#chapters`` from ``select("p")``. Its ``unidecode`` pass over the title and
  every paragraph is left out: a transliteration ficindex does not do, and leaving it
  out only makes the baseline faster.
* :func:`ao3_api_listing`: wendytg/ao3_api, ``AO3/users.py`` (the works list) and
  ``AO3/common.py`` ``get_work_from_banner`` (one call per blurb).

Run as a script, ``python bench/soup_baselines.py {ao3-api,ao3scraper} FILE...`` extracts
every file and writes one JSON line per file: the process ``bench_parse.py`` times next
to ``ficindex parse`` on the same files.
"""

from __future__ import annotations

import sys
from datetime import datetime

import orjson
from bs4 import BeautifulSoup, NavigableString, Tag


def _number(text: str | None) -> int:
    """ao3-api's counters: drop the thousands commas, then int()."""
    return int(text.replace(",", "")) if text else 0


def _paragraph_lines(node: Tag | None, strip: bool) -> str:
    """ao3-api's summary/notes text: each ``p``'s text, one per line."""
    if node is None:
        return ""
    return "".join((p.get_text().strip() if strip else p.get_text()) + "\n" for p in node("p"))


def ao3_api_work(data: bytes) -> dict:
    """ao3-api's ``Work(id)`` on a full-work page, then ``.metadata``, notes and texts."""
    soup = BeautifulSoup(data, "lxml")
    heading = soup.find("h2", class_="heading")
    if heading is not None and "Error 404" in heading.text:
        raise ValueError("not a work page")

    # load_chapters(): every chapter by id, cut out of the tree, its heading read.
    chapters_div = soup.find(attrs={"id": "chapters"})
    counts = soup.find("dd", class_="chapters").string.split("/")
    nchapters = _number(counts[0])
    chapters: list[tuple[int, int | None, Tag]] = []
    if chapters_div is not None and nchapters > 1:
        for n in range(1, nchapters + 1):
            node = chapters_div.find("div", attrs={"id": f"chapter-{n}"})
            if node is None:
                continue
            node.extract()
            preface = node.find("div", class_=("chapter", "preface", "group"))
            title = preface.find("h3", class_="title") if preface is not None else None
            if title is None:
                continue
            chapters.append((n, int(title.a["href"].split("/")[-1]), node))
    elif chapters_div is not None:
        chapters.append((1, None, chapters_div))

    # The metadata properties: one search over the (now chapter-less) soup each.
    def dd(css: str) -> Tag | None:
        return soup.find("dd", class_=css)

    def counter(css: str) -> int:
        node = dd(css)
        return _number(node.string) if node is not None else 0

    def tag_list(css: str) -> list[str]:
        node = dd(css)
        return [li.a.string for li in node.find_all("li")] if node is not None else []

    published = datetime(*map(int, dd("published").string.split("-")))
    status = dd("status")
    updated = datetime(*map(int, status.string.split("-"))) if status is not None else published
    download = soup.find("li", class_="download")
    if download is not None and download.ul is not None:
        edited = datetime.fromtimestamp(int(download.ul.a["href"].split("=")[-1]))
    else:
        edited = published
    expected = dd("chapters").string.split("/")[-1].replace(",", "")
    expected_chapters = int(expected) if expected.isdigit() else None
    total = dd("chapters").string.split("/")
    language = dd("language")
    rating = dd("rating tags")
    preface = soup.find("div", class_="preface group")
    summary = preface.find("blockquote", class_="userstuff") if preface is not None else None
    bylines = soup.find_all("h3", class_="byline heading")
    series_dd = dd("series")
    collections_dd = dd("collections")
    record = {
        "date_edited": str(edited),
        "date_published": str(published),
        "date_updated": str(updated),
        "bookmarks": counter("bookmarks"),
        "categories": tag_list("category tags"),
        "nchapters": nchapters,
        "characters": tag_list("character tags"),
        "complete": total[0] == total[1],
        "comments": counter("comments"),
        "expected_chapters": expected_chapters,
        "fandoms": tag_list("fandom tags"),
        "hits": counter("hits"),
        "kudos": counter("kudos"),
        "language": language.string.strip() if language is not None else "Unknown",
        "rating": rating.a.string if rating is not None else None,
        "restricted": soup.find("img", attrs={"title": "Restricted"}) is not None,
        "status": "Completed" if nchapters == expected_chapters else "Work in Progress",
        "summary": summary.get_text() if summary is not None else "",
        "tags": tag_list("freeform tags"),
        "title": preface.h2.text.strip() if preface is not None else "",
        "warnings": tag_list("warning tags"),
        "words": counter("words"),
        "collections": [a.get_text() for a in collections_dd.find_all("a")]
        if collections_dd is not None
        else [],
        "authors": bylines[0].text.replace("\n", "").split(", ") if bylines else [],
        "series": [span.a.get_text() for span in series_dd.find_all("span", class_="position")]
        if series_dd is not None
        else [],
        "start_notes": _paragraph_lines(soup.find("div", class_="notes module"), strip=True),
        "end_notes": _paragraph_lines(soup.find("div", attrs={"id": "work_endnotes"}), False),
    }

    # Per chapter: title, summary, notes, end notes and text, each its own search.
    record["chapters"] = [_ao3_api_chapter(n, chapter_id, node) for n, chapter_id, node in chapters]
    record["chapter_titles"] = [chapter["title"] for chapter in record["chapters"]]
    record["text"] = "".join(chapter["text"] + "\n" for chapter in record["chapters"])
    return record


def _ao3_api_chapter(number: int, chapter_id: int | None, node: Tag) -> dict:
    """ao3-api's ``Chapter`` properties on one extracted chapter."""
    title = None
    preface = node.find("div", class_=("chapter", "preface", "group"))
    heading = preface.find("h3", class_="title") if preface is not None else None
    if heading is not None:
        title = tuple(heading.strings)[-1].strip()[2:]
    article = node.find("div", attrs={"role": "article"}) if chapter_id is not None else node
    parts = []
    for p in article.find_all(("p", "center")):
        parts.append(p.get_text().replace("\n", "") + "\n")
        if isinstance(p.next_sibling, NavigableString):
            parts.append(str(p.next_sibling))
    return {
        "id": chapter_id,
        "number": number,
        "title": title,
        "summary": _paragraph_lines(node.find("div", attrs={"id": "summary"}), strip=False),
        "start_notes": _paragraph_lines(node.find("div", attrs={"id": "notes"}), strip=True),
        "end_notes": _paragraph_lines(
            node.find("div", attrs={"id": f"chapter_{number}_endnotes"}), strip=False
        ),
        "text": "".join(parts),
    }


def _linked_names(node: Tag | None) -> list[str]:
    """AO3Scraper's author and kudos lists: the first string of each direct ``a`` child."""
    if node is None:
        return []
    names = []
    for child in node.contents:
        if child.name == "a":
            first = child.contents[0]
            if "more users" not in first and "(collapse)" not in first:
                names.append(first)
    return names


def ao3scraper_work(data: bytes) -> dict:
    """AO3Scraper's ``write_fic_to_csv`` on a full-work page (one CSV row's fields)."""
    soup = BeautifulSoup(data.decode("utf-8"), "html.parser")
    if soup.find(class_="flash error") or not soup.find(class_="work meta group"):
        return {"access_denied": True}
    meta = soup.find("dl", class_="work meta group")
    authors = _linked_names(soup.find("h3", class_="byline heading"))
    tags = {}
    for kind in ("rating", "category", "fandom", "relationship", "character", "freeform"):
        dd = meta.find("dd", class_=f"{kind} tags")
        tags[kind] = [tag.text for tag in dd.find_all(class_="tag")] if dd is not None else []
    names = ("language", "published", "status", "words", "chapters")
    names += ("comments", "kudos", "bookmarks", "hits")
    found = [meta.find("dd", class_=name) for name in names]
    if not found[2]:
        found[2] = found[1]  # a one-shot has no status row
    stats = [node.text if node is not None else "null" for node in found]
    stats[0] = stats[0].strip()
    status = meta.find("dt", class_="status")
    stats.insert(2, status.text.strip(":") if status is not None else "Completed")
    title = soup.find("h2", class_="title heading").string.strip()
    kudos = _linked_names(soup.find("p", class_="kudos"))
    kudos += _linked_names(soup.find("span", class_="kudos_expanded hidden"))
    content = soup.find("div", id="chapters")
    body = "\n\n".join(p.text for p in content.select("p"))
    return {
        "title": title,
        "authors": authors,
        **{kind: ", ".join(names) for kind, names in tags.items()},
        "stats": stats,
        "all_kudos": kudos,
        "body": body,
    }


def ao3_api_listing(data: bytes) -> list[dict]:
    """ao3-api's user works list: ``get_work_from_banner`` on every blurb."""
    soup = BeautifulSoup(data, "lxml")
    works = []
    for li in soup.find("ol", class_="work index group").find_all("li", attrs={"role": "article"}):
        if li.h4 is not None:
            works.append(_ao3_api_banner(li))
    return works


def _ao3_api_banner(li: Tag) -> dict:
    """``get_work_from_banner``: one blurb's fields, a search per field group."""
    work: dict = {"authors": [], "title": None, "id": None}
    for a in li.h4.find_all("a"):
        if "rel" in a.attrs:
            if "author" in a["rel"]:
                work["authors"].append(a.string)
        elif a.attrs["href"].startswith("/works"):
            work["title"] = a.string
            work["id"] = int(a["href"].split("/")[-1])
    fandoms = li.find("h5", class_="fandoms")
    work["fandoms"] = [a.string for a in fandoms.find_all("a")] if fandoms is not None else []
    groups: dict[str, list[str]] = {"warnings": [], "relationships": []}
    groups |= {"characters": [], "freeforms": []}
    tags = li.find(attrs={"class": "tags"})
    for item in tags.find_all("li") if tags is not None else ():
        for group, names in groups.items():
            if group in item["class"]:
                names.append(item.text)
                break
    work |= groups
    required = li.find(attrs={"class": "required-tags"})
    rating = required.find(attrs={"class": "rating"}) if required is not None else None
    category = required.find(attrs={"class": "category"}) if required is not None else None
    work["rating"] = rating.text if rating is not None else None
    work["categories"] = category.text.split(", ") if category is not None else None
    summary = li.find(attrs={"class": "userstuff summary"})
    work["summary"] = summary.text if summary is not None else None
    series = li.find(attrs={"class": "series"})
    work["series"] = (
        [(int(a["href"].split("/")[-1]), a.text) for a in series.find_all("a")]
        if series is not None
        else []
    )
    stats = li.find(attrs={"class": "stats"})
    if stats is not None:
        language = stats.find("dd", class_="language")
        work["language"] = language.text if language is not None else None
        for name in ("words", "bookmarks", "hits", "kudos", "comments"):
            node = stats.find("dd", class_=name)
            value = node.text.replace(",", "") if node is not None else ""
            work[name] = int(value) if value.isdigit() else None
        chapters = stats.find("dd", class_="chapters")
        posted = chapters.text.split("/")[0].replace(",", "") if chapters is not None else ""
        expected = stats.find("dd", class_="chapters")
        total = expected.text.split("/")[-1].replace(",", "") if expected is not None else ""
        work["nchapters"] = int(posted) if posted.isdigit() else None
        work["expected_chapters"] = int(total) if total.isdigit() else None
        work["restricted"] = li.find("img", attrs={"title": "Restricted"}) is not None
        work["complete"] = work["nchapters"] == work["expected_chapters"]
    date = li.find("p", class_="datetime")
    work["date_updated"] = (
        str(datetime.strptime(date.get_text(), "%d %b %Y")) if date is not None else None
    )
    return work


BASELINES = {"ao3-api": ao3_api_work, "ao3scraper": ao3scraper_work}


def main() -> None:
    """One JSON line per file, like ``ficindex parse``: the whole-process baseline."""
    if len(sys.argv) < 3 or sys.argv[1] not in BASELINES:
        sys.exit(f"usage: soup_baselines.py {{{','.join(BASELINES)}}} FILE...")
    extract = BASELINES[sys.argv[1]]
    out = sys.stdout.buffer
    for name in sys.argv[2:]:
        with open(name, "rb") as f:
            out.write(orjson.dumps(extract(f.read())) + b"\n")


if __name__ == "__main__":
    main()
