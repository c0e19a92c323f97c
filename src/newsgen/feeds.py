"""Everything published beside the HTML pages: Atom feeds, sitemaps, the Google News
sitemap and robots.txt. Built as text with explicit escaping, so output is byte-stable.

Every date written here comes from the content (publication or correction dates), never
from the clock: an unchanged site gives unchanged feeds and sitemaps."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .config import SiteConfig
from .models import Article, OutputFile, Site
from .site import TAGS_URL, paginate

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"

# sitemaps.org: at most 50,000 URLs per sitemap file; beyond that, an index of parts.
SITEMAP_LIMIT = 50_000
SITEMAP_URL = "/sitemap.xml"
NEWS_SITEMAP_URL = "/news-sitemap.xml"
FEED_NAME = "feed.xml"
# Google News: only articles published in the last two days, at most 1,000 per sitemap.
NEWS_WINDOW = dt.timedelta(hours=48)
NEWS_LIMIT = 1000
# Google News takes ISO 639 codes, except for these two Chinese scripts.
NEWS_LANGUAGE_EXCEPTIONS = ("zh-cn", "zh-tw")
# An entry must have an `updated`; an undated article gets this fixed one (never the clock).
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Characters XML 1.0 does not allow, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# Escaped here rather than with xml.sax.saxutils, whose import pulls in urllib, http and
# email: 70 ms on every run of the command line, most of a rebuild that changes nothing.
_ATTR_ESCAPES = str.maketrans({'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _text(value: str) -> str:
    return _NOT_XML.sub("", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return f'"{_text(value).translate(_ATTR_ESCAPES)}"'


def _stamp(moment: dt.datetime | None) -> str:
    """RFC 3339 / W3C datetime, to the second."""
    return (moment or EPOCH).isoformat(timespec="seconds")


def _newest(moments: Iterable[dt.datetime | None]) -> dt.datetime | None:
    return max((m for m in moments if m is not None), default=None)


def feed_url(page_url: str) -> str:
    """The Atom feed of a listing page: '/' -> '/feed.xml', '/tags/x/' -> '/tags/x/feed.xml'."""
    return page_url + FEED_NAME


def atom_feed(config: SiteConfig, title: str, page_url: str, self_url: str,
              articles: Sequence[Article]) -> bytes:
    """An Atom (RFC 4287) feed of the newest `config.feed_size` articles, newest first.

    Its `updated` is the newest entry's, never the build time, so an unchanged site gives
    an unchanged feed. The feed-level author (the site as publisher) keeps entries without
    a byline valid."""
    entries = list(articles[: config.feed_size])
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        f'<feed xmlns="{ATOM_NS}" xml:lang={_attr(config.language)}>\n',
        f"  <title>{_text(title)}</title>\n",
        f"  <id>{_text(config.absolute(self_url))}</id>\n",
        '  <link rel="self" type="application/atom+xml" '
        f"href={_attr(config.absolute(self_url))}/>\n",
        f'  <link rel="alternate" type="text/html" href={_attr(config.absolute(page_url))}/>\n',
        f"  <updated>{_stamp(_newest(a.modified for a in entries))}</updated>\n",
        f"  <author><name>{_text(config.title)}</name></author>\n",
        '  <generator uri="https://pypi.org/project/newsgen/">newsgen</generator>\n',
    ]
    for article in entries:
        link = config.absolute(article.url)
        parts.append("  <entry>\n")
        parts.append(f"    <title>{_text(article.title)}</title>\n")
        parts.append(f'    <link rel="alternate" type="text/html" href={_attr(link)}/>\n')
        parts.append(f"    <id>{_text(link)}</id>\n")
        if article.date:
            parts.append(f"    <published>{_stamp(article.date)}</published>\n")
        parts.append(f"    <updated>{_stamp(article.modified)}</updated>\n")
        for name in article.authors:
            parts.append(f"    <author><name>{_text(name)}</name></author>\n")
        for tag in article.tags:
            parts.append(f"    <category term={_attr(tag.slug)} label={_attr(tag.name)}/>\n")
        parts.append(f'    <summary type="text">{_text(article.lede)}</summary>\n')
        parts.append(f'    <content type="html">{_text(article.body_html)}</content>\n')
        parts.append("  </entry>\n")
    parts.append("</feed>\n")
    return "".join(parts).encode("utf-8")


@dataclass(frozen=True)
class SitemapEntry:
    url: str  # site path, e.g. '/politika/'
    lastmod: dt.datetime | None


def _listing_entries(first_url: str, indexes: Sequence[int], site: Site,
                     per_page: int) -> Iterator[SitemapEntry]:
    """Each page of a paginated listing. A page changes when an article on it or any newer
    one changes (a new article shifts every page), hence the newest date up to its end."""
    newest: dt.datetime | None = None  # over this page and every page before it
    for page in paginate(indexes, per_page, first_url):
        for i in page.items:
            moment = site.articles[i].modified
            if moment is not None and (newest is None or moment > newest):
                newest = moment
        yield SitemapEntry(page.url, newest)


def sitemap_entries(config: SiteConfig, site: Site) -> list[SitemapEntry]:
    """Every published HTML page worth indexing (not the 404 page, not redirect stubs)."""
    newest = _newest(a.modified for a in site.articles)
    entries = [SitemapEntry("/", newest)]
    entries += [SitemapEntry(a.url, a.modified) for a in site.articles]
    for section in site.sections:
        entries += _listing_entries(section.url, section.articles, site, config.per_page)
    entries.append(SitemapEntry(TAGS_URL, newest))
    for tag in site.tags:
        entries += _listing_entries(tag.url, tag.articles, site, config.per_page)
    return entries


def _lastmod(moment: dt.datetime | None) -> str:
    return f"<lastmod>{_stamp(moment)}</lastmod>" if moment else ""


def urlset(config: SiteConfig, entries: Iterable[SitemapEntry]) -> bytes:
    """A sitemaps.org urlset."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n', f'<urlset xmlns="{SITEMAP_NS}">\n']
    for entry in entries:
        parts.append(f"  <url><loc>{_text(config.absolute(entry.url))}</loc>"
                     f"{_lastmod(entry.lastmod)}</url>\n")
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


def sitemap_index(config: SiteConfig, parts: Iterable[tuple[str, dt.datetime | None]]) -> bytes:
    """A sitemaps.org sitemap index of (part URL, newest lastmod in it)."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>\n',
             f'<sitemapindex xmlns="{SITEMAP_NS}">\n']
    for url, lastmod in parts:
        lines.append(f"  <sitemap><loc>{_text(config.absolute(url))}</loc>"
                     f"{_lastmod(lastmod)}</sitemap>\n")
    lines.append("</sitemapindex>\n")
    return "".join(lines).encode("utf-8")


def sitemap_files(config: SiteConfig, entries: Sequence[SitemapEntry],
                  limit: int = SITEMAP_LIMIT) -> Iterator[OutputFile]:
    """`/sitemap.xml`; above `limit` URLs it becomes an index of `/sitemap-N.xml` parts."""
    if len(entries) <= limit:
        yield OutputFile(SITEMAP_URL.lstrip("/"), urlset(config, entries), "sitemap")
        return
    chunks = [entries[start : start + limit] for start in range(0, len(entries), limit)]
    index = []
    for number, chunk in enumerate(chunks, start=1):
        url = f"/sitemap-{number}.xml"
        index.append((url, _newest(e.lastmod for e in chunk)))
        yield OutputFile(url.lstrip("/"), urlset(config, chunk), "sitemap")
    yield OutputFile(SITEMAP_URL.lstrip("/"), sitemap_index(config, index), "sitemap index")


def news_language(language: str) -> str:
    """Google News' language code: ISO 639 ('ru', 'en'), or 'zh-cn' / 'zh-tw'."""
    code = language.strip().lower().replace("_", "-")
    return code if code in NEWS_LANGUAGE_EXCEPTIONS else code.split("-")[0]


def news_articles(articles: Sequence[Article], now: dt.datetime) -> list[Article]:
    """Articles published in the 48 hours up to `now`, newest first, at most 1,000."""
    recent = [a for a in articles if a.date and now - NEWS_WINDOW <= a.date <= now]
    return recent[:NEWS_LIMIT]


def news_sitemap(config: SiteConfig, articles: Sequence[Article], now: dt.datetime) -> bytes:
    """Google News sitemap of `news_articles(articles, now)`."""
    name, language = _text(config.title), _text(news_language(config.language))
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n',
             f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">\n']
    for article in news_articles(articles, now):
        parts.append(
            f"  <url><loc>{_text(config.absolute(article.url))}</loc><news:news>"
            f"<news:publication><news:name>{name}</news:name>"
            f"<news:language>{language}</news:language></news:publication>"
            f"<news:publication_date>{_stamp(article.date)}</news:publication_date>"
            f"<news:title>{_text(article.title)}</news:title></news:news></url>\n"
        )
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


def robots(config: SiteConfig) -> bytes:
    return (
        "User-agent: *\nAllow: /\n\n"
        f"Sitemap: {config.absolute(SITEMAP_URL)}\n"
        f"Sitemap: {config.absolute(NEWS_SITEMAP_URL)}\n"
    ).encode()


@dataclass(frozen=True)
class FeedSpec:
    """One Atom feed: the page it belongs to, its path, title and source label, and the
    articles it shows (indexes into the site's articles, newest first)."""

    page: str
    path: str
    title: str
    source: str
    items: tuple[int, ...]


def feed_specs(config: SiteConfig, site: Site) -> list[FeedSpec]:
    """Every feed of the site: the site's, each section's and each tag's."""
    size = config.feed_size
    specs = [FeedSpec("/", FEED_NAME, config.title, "site feed",
                      tuple(range(min(size, len(site.articles)))))]
    for section in site.sections:
        specs.append(FeedSpec(section.url, feed_url(section.url).lstrip("/"),
                              f"{section.name} — {config.title}", f"section '{section.name}'",
                              section.articles[:size]))
    for tag in site.tags:
        specs.append(FeedSpec(tag.url, feed_url(tag.url).lstrip("/"),
                              f"{tag.name} — {config.title}", f"tag '{tag.name}'",
                              tag.articles[:size]))
    return specs


def feed_file(config: SiteConfig, site: Site, spec: FeedSpec) -> OutputFile:
    items = [site.articles[i] for i in spec.items]
    return OutputFile(spec.path, atom_feed(config, spec.title, spec.page, feed_url(spec.page),
                                           items), spec.source)


def site_files(config: SiteConfig, site: Site, now: dt.datetime, *,
               sitemap_limit: int = SITEMAP_LIMIT) -> Iterator[OutputFile]:
    """The sitemaps (and their index past `sitemap_limit` URLs), the news sitemap and
    robots.txt."""
    yield from sitemap_files(config, sitemap_entries(config, site), sitemap_limit)
    yield OutputFile(NEWS_SITEMAP_URL.lstrip("/"), news_sitemap(config, site.articles, now),
                     "news sitemap")
    yield OutputFile("robots.txt", robots(config), "robots.txt")


def feed_files(config: SiteConfig, site: Site, now: dt.datetime, *,
               sitemap_limit: int = SITEMAP_LIMIT) -> Iterator[OutputFile]:
    """Every non-HTML file of the site: feeds, sitemaps and robots.txt.

    `site` holds only what is published at `now` (drafts, embargoed and expired articles
    were left out before assembly), so feeds and sitemaps follow the schedule as pages do."""
    for spec in feed_specs(config, site):
        yield feed_file(config, site, spec)
    yield from site_files(config, site, now, sitemap_limit=sitemap_limit)
