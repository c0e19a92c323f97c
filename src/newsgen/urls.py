"""Every URL rule of a site, and how a URL maps to its output file and back.

Site URLs are paths from the site's root ('/politika/', '/feed.xml'); output paths are
relative POSIX paths in the output folder ('politika/index.html')."""

from __future__ import annotations

TAGS_URL = "/tags/"
AUTHORS_URL = "/authors/"
SEARCH_URL = "/search/"
FEED_NAME = "feed.xml"
NOT_FOUND_URL = "/404.html"
SITEMAP_URL = "/sitemap.xml"
NEWS_SITEMAP_URL = "/news-sitemap.xml"
ROBOTS_URL = "/robots.txt"
IMAGES_URL = "/images/"  # every processed image's files
YANDEX_NEWS_URL = "/feeds/yandex-news.xml"  # the aggregators' RSS feeds (`aggregators.py`)
DZEN_URL = "/feeds/dzen.xml"


def section_url(slug: str) -> str:
    return f"/{slug}/"


def tag_url(slug: str) -> str:
    return f"{TAGS_URL}{slug}/"


def author_url(slug: str) -> str:
    return f"{AUTHORS_URL}{slug}/"


def archive_url(year: int, month: int | None = None, day: int | None = None) -> str:
    """'/2026/', '/2026/11/', '/2026/11/24/': what was published in that year, month, day."""
    parts = [f"{year:04d}", *(f"{part:02d}" for part in (month, day) if part is not None)]
    return "/" + "/".join(parts) + "/"


def article_url(section_slug: str, slug: str) -> str:
    return f"/{section_slug}/{slug}/"


def page_url(first_url: str, number: int) -> str:
    """Page `number` of a paginated listing whose first page is at `first_url`."""
    return first_url if number == 1 else f"{first_url}page/{number}/"


def feed_url(page_url: str) -> str:
    """The Atom feed of a listing page: '/' -> '/feed.xml', '/tags/x/' -> '/tags/x/feed.xml'."""
    return page_url + FEED_NAME


def sitemap_part_url(number: int) -> str:
    return f"/sitemap-{number}.xml"


def alias_url(alias: str) -> str:
    """'old/path' and '/old/path/' -> '/old/path/'; a file name such as 'x.html' stays one."""
    path = "/" + alias.strip("/")
    return path if path.endswith((".html", ".htm")) else path + "/"


def url_to_path(url: str) -> str:
    """Output file for a site URL: '/a/b/' -> 'a/b/index.html', '/feed.xml' -> 'feed.xml'."""
    path = url.lstrip("/")
    return path + "index.html" if not path or path.endswith("/") else path


def path_to_url(path: str) -> str:
    """The site URL of an output file: 'a/b/index.html' -> '/a/b/'."""
    url = "/" + path
    return url.removesuffix("index.html") if url.endswith("/index.html") or url == "/index.html" \
        else url
