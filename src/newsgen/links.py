"""Internal links of a built site: every `href` and `src` of every HTML page must lead to a
file of the site, and every `#fragment` to an element with that id.

Pure functions over a built output folder; `newsgen check` builds into a temporary folder,
then reports each broken link where an editor can fix it: the line of the article's
Markdown file when the link is written there, else the page whose template made it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .errors import ContentError
from .urls import path_to_url

# Attributes that point at another resource a reader's browser will fetch or follow.
LINK_ATTRIBUTES = {
    "a": ("href",), "area": ("href",), "link": ("href",), "img": ("src", "srcset"),
    "script": ("src",), "source": ("src", "srcset"), "iframe": ("src",), "video": ("src", "poster"),
    "audio": ("src",), "track": ("src",), "embed": ("src",), "form": ("action",),
}  # fmt: skip
# rel values whose href is not a page of this site to fetch.
IGNORED_RELS = {"preconnect", "dns-prefetch", "webmention", "pingback"}


@dataclass(frozen=True)
class LinkRef:
    """One link as written in a page: the URL and the HTML line it is on."""

    url: str
    line: int


@dataclass(frozen=True)
class PageScan:
    links: tuple[LinkRef, ...]
    ids: frozenset[str]


@dataclass(frozen=True)
class BrokenLink:
    page: str  # the output path of the page holding the link, e.g. 'world/a/index.html'
    url: str  # the link as written
    line: int  # its line in the built HTML
    reason: str


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[LinkRef] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.ids.add(values["name"])
        if tag == "link" and IGNORED_RELS & set(values.get("rel", "").lower().split()):
            return
        line = self.getpos()[0]
        for attribute in LINK_ATTRIBUTES.get(tag, ()):
            value = values.get(attribute, "").strip()
            if not value:
                continue
            urls = _srcset_urls(value) if attribute == "srcset" else [value]
            self.links.extend(LinkRef(url, line) for url in urls)

    handle_startendtag = handle_starttag


def _srcset_urls(value: str) -> list[str]:
    return [part.split()[0] for part in value.split(",") if part.strip()]


def scan_page(html: str) -> PageScan:
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return PageScan(tuple(scanner.links), frozenset(scanner.ids))


def _target_file(out_dir: Path, site_path: str) -> str | None:
    """The output file (relative) that a site path is served from, or None."""
    relative = site_path.lstrip("/")
    candidates = [relative + "index.html"] if relative.endswith("/") or not relative else [
        relative, relative + "/index.html"]
    for candidate in candidates:
        if (out_dir / candidate).is_file():
            return candidate
    return None


def find_broken_links(out_dir: Path, base_url: str) -> list[BrokenLink]:
    """Every internal link or fragment in the HTML under `out_dir` that leads nowhere.

    `base_url` is the site's public URL: absolute links to it count as internal, and its
    path (e.g. '/news/') is where the site's own paths start."""
    prefix = urlsplit(base_url).path.rstrip("/")
    pages = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*.html"))
    scans: dict[str, PageScan] = {}

    def scan(path: str) -> PageScan:
        if path not in scans:
            scans[path] = scan_page((out_dir / path).read_text(encoding="utf-8",
                                                               errors="replace"))
        return scans[path]

    broken: list[BrokenLink] = []
    for page in pages:
        here = base_url.rstrip("/") + path_to_url(page)
        for link in scan(page).links:
            reason = _check(link.url, here, prefix, out_dir, scan)
            if reason is not None:
                broken.append(BrokenLink(page, link.url, link.line, reason))
    return broken


def _check(url: str, here: str, prefix: str, out_dir: Path,
           scan: Callable[[str], PageScan]) -> str | None:
    """Why `url`, written on the page at absolute URL `here`, is broken; None if it works
    or is not ours to check (another site, mailto:, ...)."""
    target = urlsplit(urljoin(here, url))
    site = urlsplit(here)
    if target.scheme not in ("http", "https") or target.netloc != site.netloc:
        return None
    path = unquote(target.path)
    if not (path == prefix or path.startswith(prefix + "/")):
        return f"it is outside the site's base URL path {prefix}/"
    found = _target_file(out_dir, path[len(prefix):] or "/")
    if found is None:
        return "no page or file of the site has that URL"
    fragment = unquote(target.fragment)
    if fragment and found.endswith(".html") and fragment not in scan(found).ids:
        return f"the page {path_to_url(found)} has no element with id '{fragment}'"
    return None


def _source_line(text: str, candidates: Iterable[str]) -> int | None:
    """The first line of `text` containing any candidate spelling of a link."""
    lines = text.split("\n")
    for candidate in candidates:
        if not candidate:
            continue
        for number, line in enumerate(lines, start=1):
            if candidate in line:
                return number
    return None


def _spellings(url: str, base_url: str) -> Iterator[str]:
    """How a link in the HTML may have been written in Markdown or front matter."""
    yield url
    if url.startswith(base_url):
        yield "/" + url[len(base_url):]
        yield url[len(base_url):]


def attribute(broken: Iterable[BrokenLink], sources: Mapping[str, str], site_dir: Path,
              base_url: str) -> list[ContentError]:
    """Broken links as problems an editor can find: `content/a.md:12: ...` when the link
    is written in that article's file, else the page URL (the link comes from a template).
    A template link broken on many pages is reported once, with the count."""
    problems: list[ContentError] = []
    by_template: dict[tuple[str, str], list[str]] = {}
    texts: dict[str, str | None] = {}
    for link in broken:
        source = sources.get(link.page, "")
        line = None
        if source.endswith(".md"):
            if source not in texts:
                try:
                    texts[source] = (site_dir / source).read_text(encoding="utf-8-sig")
                except (OSError, UnicodeDecodeError):
                    texts[source] = None
            text = texts[source]
            if text is not None:
                line = _source_line(text.replace("\r\n", "\n"), _spellings(link.url, base_url))
        if line is not None:
            problems.append(ContentError(source, line, f"broken link '{link.url}': {link.reason}"))
        else:
            by_template.setdefault((link.url, link.reason), []).append(path_to_url(link.page))
    for (url, reason), pages in by_template.items():
        others = f" (and on {len(pages) - 1} other page{'s' if len(pages) > 2 else ''})" \
            if len(pages) > 1 else ""
        problems.append(ContentError(pages[0], None, f"broken link '{url}' in a template: "
                                     f"{reason}{others}"))
    return problems
