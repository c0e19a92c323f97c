"""Everything published beside the HTML pages: Atom feeds, sitemaps, the Google News
sitemap and robots.txt. Built as text with explicit escaping, so output is byte-stable."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from xml.sax.saxutils import escape, quoteattr

from .config import SiteConfig
from .models import Article, OutputFile, Site

NEWS_WINDOW = dt.timedelta(hours=48)
NEWS_LIMIT = 1000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Characters XML 1.0 does not allow, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("", value))


def _attr(value: str) -> str:
    return quoteattr(_NOT_XML.sub("", value))


def _stamp(moment: dt.datetime | None) -> str:
    return (moment or EPOCH).isoformat()


def atom_feed(config: SiteConfig, title: str, page_url: str, feed_url: str,
              articles: Sequence[Article]) -> bytes:
    """An Atom feed of the newest `config.feed_size` articles, newest first.

    Its `updated` is the newest entry's, never the build time, so an unchanged site
    gives an unchanged feed."""
    entries = list(articles[: config.feed_size])
    updated = max((a.modified for a in entries if a.modified), default=None)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={_attr(config.language)}>\n',
        f"  <title>{_text(title)}</title>\n",
        f"  <id>{_text(config.absolute(feed_url))}</id>\n",
        f'  <link rel="self" type="application/atom+xml" href={_attr(config.absolute(feed_url))}/>\n',
        f'  <link rel="alternate" type="text/html" href={_attr(config.absolute(page_url))}/>\n',
        f"  <updated>{_stamp(updated)}</updated>\n",
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


def sitemap(config: SiteConfig, urls: Iterable[tuple[str, dt.datetime | None]]) -> bytes:
    """sitemaps.org urlset of (site URL, last modification)."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n']
    for url, modified in urls:
        parts.append(f"  <url><loc>{_text(config.absolute(url))}</loc>")
        if modified:
            parts.append(f"<lastmod>{modified.isoformat()}</lastmod>")
        parts.append("</url>\n")
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


def news_sitemap(config: SiteConfig, articles: Sequence[Article], now: dt.datetime) -> bytes:
    """Google News sitemap: articles published in the 48 hours before `now`, at most 1,000."""
    recent = [a for a in articles if a.date and now - NEWS_WINDOW <= a.date <= now][:NEWS_LIMIT]
    language = config.language.split("-")[0].lower()
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
             'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n']
    for article in recent:
        parts.append(
            f"  <url><loc>{_text(config.absolute(article.url))}</loc><news:news>"
            f"<news:publication><news:name>{_text(config.title)}</news:name>"
            f"<news:language>{_text(language)}</news:language></news:publication>"
            f"<news:publication_date>{_stamp(article.date)}</news:publication_date>"
            f"<news:title>{_text(article.title)}</news:title></news:news></url>\n"
        )
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


def robots(config: SiteConfig) -> bytes:
    return (
        "User-agent: *\nAllow: /\n\n"
        f"Sitemap: {config.absolute('/sitemap.xml')}\n"
        f"Sitemap: {config.absolute('/news-sitemap.xml')}\n"
    ).encode()


def feed_files(config: SiteConfig, site: Site, now: dt.datetime) -> Iterator[OutputFile]:
    """Every non-HTML file of the site: feeds, sitemaps and robots.txt."""
    everything = list(site.articles)
    yield OutputFile("feed.xml", atom_feed(config, config.title, "/", "/feed.xml", everything),
                     "site feed")
    for section in site.sections:
        items = [site.articles[i] for i in section.articles]
        yield OutputFile(f"{section.slug}/feed.xml",
                         atom_feed(config, f"{section.name} — {config.title}", section.url,
                                   section.url + "feed.xml", items), f"section '{section.name}'")
    for tag in site.tags:
        items = [site.articles[i] for i in tag.articles]
        yield OutputFile(f"tags/{tag.slug}/feed.xml",
                         atom_feed(config, f"{tag.name} — {config.title}", tag.url,
                                   tag.url + "feed.xml", items), f"tag '{tag.name}'")
    newest = site.articles[0].modified if site.articles else None
    urls: list[tuple[str, dt.datetime | None]] = [("/", newest)]
    urls += [(a.url, a.modified) for a in site.articles]
    urls += [(s.url, site.articles[s.articles[0]].modified) for s in site.sections]
    urls += [(t.url, site.articles[t.articles[0]].modified) for t in site.tags]
    yield OutputFile("sitemap.xml", sitemap(config, urls), "sitemap")
    yield OutputFile("news-sitemap.xml", news_sitemap(config, everything, now), "news sitemap")
    yield OutputFile("robots.txt", robots(config), "robots.txt")
