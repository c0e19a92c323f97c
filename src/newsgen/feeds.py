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
from .embeds import feed_embeds
from .images import absolute_url, feed_body
from .models import Article, Card, Listing, OutputFile
from .site import paginate
from .urls import (
    AUTHORS_URL,
    NEWS_SITEMAP_URL,
    SITEMAP_URL,
    TAGS_URL,
    sitemap_part_url,
    url_to_path,
)

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"

# sitemaps.org: at most 50,000 URLs per sitemap file; beyond that, an index of parts.
SITEMAP_LIMIT = 50_000
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


def xml_chars(value: str) -> str:
    """`value` without the characters XML 1.0 does not allow, even escaped."""
    return _NOT_XML.sub("", value)


def xml_text(value: str) -> str:
    return xml_chars(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(value: str) -> str:
    return f'"{xml_text(value).translate(_ATTR_ESCAPES)}"'


def _stamp(moment: dt.datetime | None) -> str:
    """RFC 3339 / W3C datetime, to the second."""
    return (moment or EPOCH).isoformat(timespec="seconds")


def _newest(moments: Iterable[dt.datetime | None]) -> dt.datetime | None:
    return max((m for m in moments if m is not None), default=None)


def feed_html(article: Article, config: SiteConfig) -> str:
    """An article's body as every feed carries it: its images plain and absolute, each
    embedded post or video a link to the original."""
    return feed_embeds(feed_body(article.body_html, config))


def atom_feed(config: SiteConfig, title: str, page_url: str, self_url: str,
              articles: Sequence[Article]) -> bytes:
    """An Atom (RFC 4287) feed of the newest `config.feed_size` articles, newest first.

    Its `updated` is the newest entry's, never the build time, so an unchanged site gives
    an unchanged feed. The feed-level author (the site as publisher) keeps entries without
    a byline valid."""
    entries = list(articles[: config.feed_size])
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        f'<feed xmlns="{ATOM_NS}" xml:lang={xml_attr(config.language)}>\n',
        f"  <title>{xml_text(title)}</title>\n",
        f"  <id>{xml_text(config.absolute(self_url))}</id>\n",
        '  <link rel="self" type="application/atom+xml" '
        f"href={xml_attr(config.absolute(self_url))}/>\n",
        f'  <link rel="alternate" type="text/html" href={xml_attr(config.absolute(page_url))}/>\n',
        f"  <updated>{_stamp(_newest(a.modified for a in entries))}</updated>\n",
        f"  <author><name>{xml_text(config.title)}</name></author>\n",
        '  <generator uri="https://pypi.org/project/newsgen/">newsgen</generator>\n',
    ]
    for article in entries:
        link = config.absolute(article.url)
        parts.append("  <entry>\n")
        parts.append(f"    <title>{xml_text(article.title)}</title>\n")
        parts.append(f'    <link rel="alternate" type="text/html" href={xml_attr(link)}/>\n')
        parts.append(f"    <id>{xml_text(link)}</id>\n")
        if article.date:
            parts.append(f"    <published>{_stamp(article.date)}</published>\n")
        parts.append(f"    <updated>{_stamp(article.modified)}</updated>\n")
        for name in article.authors:
            parts.append(f"    <author><name>{xml_text(name)}</name></author>\n")
        for tag in article.tags:
            parts.append(f"    <category term={xml_attr(tag.slug)} label={xml_attr(tag.name)}/>\n")
        lead = article.lead_image
        if lead is not None:  # the lead image, as its social card shows it
            social, href = lead.social, xml_attr(absolute_url(config, lead.social))
            parts.append(f'    <link rel="enclosure" type={xml_attr(social.mime)} '
                         f'length="{social.length}" href={href}/>\n')
        parts.append(f'    <summary type="text">{xml_text(article.lede)}</summary>\n')
        parts.append('    <content type="html">'
                     f'{xml_text(feed_html(article, config))}</content>\n')
        parts.append("  </entry>\n")
    parts.append("</feed>\n")
    return "".join(parts).encode("utf-8")


@dataclass(frozen=True)
class SitemapEntry:
    url: str  # site path, e.g. '/politika/'
    lastmod: dt.datetime | None


def _listing_entries(listing: Listing, modified: Sequence[dt.datetime | None], per_page: int
                     ) -> Iterator[SitemapEntry]:
    """Each page of a paginated listing. A page changes when an article on it or any newer
    one changes (a new article shifts every page), hence the newest date up to its end."""
    newest: dt.datetime | None = None  # over this page and every page before it
    pages = paginate(listing.articles, per_page if listing.paginated else
                     max(1, len(listing.articles)), listing.url)
    for page in pages:
        moments = [m for m in map(modified.__getitem__, page.items) if m is not None]
        if moments:
            page_newest = max(moments)
            newest = page_newest if newest is None or page_newest > newest else newest
        yield SitemapEntry(page.url, newest)


def sitemap_entries(articles: Sequence[SitemapEntry], listings: Sequence[Listing],
                    per_page: int) -> list[SitemapEntry]:
    """Every published HTML page worth indexing (not the 404 page, not redirect stubs):
    the home page, each article (`articles`, the site's, in its order), each page of each
    listing (`listings`, in their order), the tags index before the tags and the authors
    index before the authors."""
    modified = [entry.lastmod for entry in articles]
    newest = _newest(modified)
    entries = [SitemapEntry("/", newest), *articles]
    for listing in listings:
        if listing.kind == Listing.SECTION:
            entries += _listing_entries(listing, modified, per_page)
    entries.append(SitemapEntry(TAGS_URL, newest))
    authors_index = False
    for listing in listings:
        if listing.kind == Listing.AUTHOR and not authors_index:
            entries.append(SitemapEntry(AUTHORS_URL, newest))
            authors_index = True
        if listing.kind != Listing.SECTION:
            entries += _listing_entries(listing, modified, per_page)
    return entries


def _lastmod(moment: dt.datetime | None) -> str:
    return f"<lastmod>{_stamp(moment)}</lastmod>" if moment else ""


def urlset(config: SiteConfig, entries: Iterable[SitemapEntry]) -> bytes:
    """A sitemaps.org urlset."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n', f'<urlset xmlns="{SITEMAP_NS}">\n']
    for entry in entries:
        parts.append(f"  <url><loc>{xml_text(config.absolute(entry.url))}</loc>"
                     f"{_lastmod(entry.lastmod)}</url>\n")
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


def sitemap_index(config: SiteConfig, parts: Iterable[tuple[str, dt.datetime | None]]) -> bytes:
    """A sitemaps.org sitemap index of (part URL, newest lastmod in it)."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>\n',
             f'<sitemapindex xmlns="{SITEMAP_NS}">\n']
    for url, lastmod in parts:
        lines.append(f"  <sitemap><loc>{xml_text(config.absolute(url))}</loc>"
                     f"{_lastmod(lastmod)}</sitemap>\n")
    lines.append("</sitemapindex>\n")
    return "".join(lines).encode("utf-8")


def sitemap_files(config: SiteConfig, entries: Sequence[SitemapEntry],
                  limit: int = SITEMAP_LIMIT) -> Iterator[OutputFile]:
    """`/sitemap.xml`; above `limit` URLs it becomes an index of `/sitemap-N.xml` parts."""
    if len(entries) <= limit:
        yield OutputFile(url_to_path(SITEMAP_URL), urlset(config, entries), "sitemap")
        return
    chunks = [entries[start : start + limit] for start in range(0, len(entries), limit)]
    index = []
    for number, chunk in enumerate(chunks, start=1):
        url = sitemap_part_url(number)
        index.append((url, _newest(e.lastmod for e in chunk)))
        yield OutputFile(url_to_path(url), urlset(config, chunk), "sitemap")
    yield OutputFile(url_to_path(SITEMAP_URL), sitemap_index(config, index), "sitemap index")


def news_language(language: str) -> str:
    """Google News' language code: ISO 639 ('ru', 'en'), or 'zh-cn' / 'zh-tw'."""
    code = language.strip().lower().replace("_", "-")
    return code if code in NEWS_LANGUAGE_EXCEPTIONS else code.split("-")[0]


def news_articles(dates: Sequence[dt.datetime | None], now: dt.datetime) -> tuple[int, ...]:
    """The indexes of the articles (by their `dates`, newest first) published in the 48
    hours up to `now`, at most 1,000."""
    recent = [i for i, date in enumerate(dates) if date and now - NEWS_WINDOW <= date <= now]
    return tuple(recent[:NEWS_LIMIT])


def news_sitemap(config: SiteConfig, cards: Sequence[Card]) -> OutputFile:
    """The Google News sitemap of these articles (`news_articles`)."""
    name, language = xml_text(config.title), xml_text(news_language(config.language))
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n',
             f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">\n']
    for article in cards:
        parts.append(
            f"  <url><loc>{xml_text(config.absolute(article.url))}</loc><news:news>"
            f"<news:publication><news:name>{name}</news:name>"
            f"<news:language>{language}</news:language></news:publication>"
            f"<news:publication_date>{_stamp(article.date)}</news:publication_date>"
            f"<news:title>{xml_text(article.title)}</news:title></news:news></url>\n"
        )
    parts.append("</urlset>\n")
    return OutputFile(url_to_path(NEWS_SITEMAP_URL), "".join(parts).encode("utf-8"),
                      "news sitemap")


def robots(config: SiteConfig, aggregator_feeds: Sequence[tuple[str, str]] = ()) -> bytes:
    """robots.txt: everything may be crawled; where the sitemaps are; and, as comments
    (robots.txt has no field for them, and an aggregator is told a feed's address in its
    own tools), where the aggregator feeds are, (name, site URL) each."""
    feeds = "".join(f"# {name} feed: {config.absolute(url)}\n" for name, url in aggregator_feeds)
    return (
        "User-agent: *\nAllow: /\n\n"
        f"Sitemap: {config.absolute(SITEMAP_URL)}\n"
        f"Sitemap: {config.absolute(NEWS_SITEMAP_URL)}\n"
        + (f"\n{feeds}" if feeds else "")
    ).encode()
