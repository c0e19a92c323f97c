"""RSS 2.0 feeds for the news aggregators of the Russian-language web: Yandex News, with
the article's text in `yandex:full-text`, and Dzen, with its HTML in `content:encoded`
cut down to the tags Dzen takes. Each is off until `feeds:` in the config turns it on.

What each aggregator asks of a site's feed, and where it says so:

- Yandex (https://yandex.ru/support/webmaster/en/search-appearance/fresh-content, and the
  Yandex News partner rules, https://yandex.ru/support/news/info-for-mass-media.html):
  every item a page of its own at a URL that identifies it; the `yandex` namespace
  (http://news.yandex.ru) with `yandex:full-text`, the whole text without the source's
  name, dates or anything every article repeats; items of the last 8 days; at most
  10 MB, so the oldest items are left out until the feed fits, and the feed says so.
- Dzen (https://dzen.ru/help/ru/website/rss-modify): the content, dc, media, atom and
  georss namespaces; the whole text in `content:encoded`; every image the text shows
  also as an `enclosure`; `media:rating`; an item keeps its original `guid` through
  every edit ("указать изначальный guid"); items of the last two to three days, at most
  500 at a time; HTML outside Dzen's recommendations removed.

Both: RSS 2.0 (https://www.rssboard.org/rss-specification) in UTF-8, `pubDate` in RFC
822 with its zone, newest first. An item's `guid` is made from its source file alone,
so a new headline, slug, section or date leaves it as it was. Only published, dated
articles appear, never a draft, even in a build that shows drafts."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .allowed_html import plain_paragraphs, restricted_html
from .config import SiteConfig
from .feeds import NEWS_WINDOW, feed_html, xml_attr, xml_chars, xml_text
from .images import absolute_url
from .imaging import ImageFile
from .keys import digest
from .models import Article
from .urls import DZEN_URL, YANDEX_NEWS_URL

YANDEX_NS = "http://news.yandex.ru"
MEDIA_NS = "http://search.yahoo.com/mrss/"
YANDEX_NAMESPACES = (("yandex", YANDEX_NS), ("media", MEDIA_NS))
# Dzen's namespaces, as its example feed declares them.
DZEN_NAMESPACES = (("content", "http://purl.org/rss/1.0/modules/content/"),
                   ("dc", "http://purl.org/dc/elements/1.1/"), ("media", MEDIA_NS),
                   ("atom", "http://www.w3.org/2005/Atom"),
                   ("georss", "http://www.georss.org/georss"))
YANDEX_LIMIT_BYTES = 10_000_000  # "10 MB", read as the smaller of the two megabytes
DZEN_LIMIT_ITEMS = 500
YANDEX_GENRE = "message"  # a news report, as against an interview or an overview
# The tags Dzen takes in `content:encoded`, each with the attributes it keeps, and the
# tags written as one of them.
DZEN_TAGS: Mapping[str, tuple[str, ...]] = {
    "p": (), "a": ("href",), "b": (), "i": (), "u": (), "s": (), "h1": (), "h2": (),
    "h3": (), "h4": (), "blockquote": (), "ul": (), "ol": (), "li": (),
    "img": ("src", "alt"), "figure": (), "figcaption": ()}
DZEN_RENAMED: Mapping[str, str] = {"strong": "b", "em": "i", "del": "s", "strike": "s",
                                   "ins": "u", "h5": "h4", "h6": "h4"}
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Aggregator:
    """One aggregator's feed: its config name, its name for people, where it is written,
    the days of articles it carries, and how much it may hold."""

    name: str
    label: str
    url: str
    days: int
    namespaces: tuple[tuple[str, str], ...]  # (prefix, URI)
    limit_bytes: int | None = None
    limit_items: int | None = None
    self_link: bool = False  # an `atom:link` to itself

    @property
    def window(self) -> dt.timedelta:
        return dt.timedelta(days=self.days)


def aggregators(config: SiteConfig) -> list[Aggregator]:
    """The aggregator feeds the config turns on."""
    found = []
    if config.feeds.yandex_news is not None:
        found.append(Aggregator("yandex_news", "Yandex News", YANDEX_NEWS_URL,
                                config.feeds.yandex_news, YANDEX_NAMESPACES,
                                limit_bytes=YANDEX_LIMIT_BYTES))
    if config.feeds.dzen is not None:
        found.append(Aggregator("dzen", "Dzen", DZEN_URL, config.feeds.dzen, DZEN_NAMESPACES,
                                limit_items=DZEN_LIMIT_ITEMS, self_link=True))
    return found


def schedule_windows(config: SiteConfig) -> tuple[dt.timedelta, ...]:
    """Every window an article enters or leaves by the clock alone: the news sitemap's
    and each aggregator feed's."""
    return (NEWS_WINDOW, *(feed.window for feed in aggregators(config)))


def window_articles(dates: Sequence[dt.datetime | None], now: dt.datetime,
                    feed: Aggregator) -> tuple[int, ...]:
    """The indexes of the articles (by their `dates`, newest first) published within the
    feed's days up to `now`, as many as it may hold."""
    start = now - feed.window
    found = tuple(i for i, date in enumerate(dates) if date is not None and start <= date <= now)
    return found[: feed.limit_items] if feed.limit_items is not None else found


def rfc822(moment: dt.datetime) -> str:
    """'Tue, 24 Nov 2026 18:30:00 +0300': English names whatever the machine's locale."""
    offset = moment.strftime("%z") or "+0000"
    return (f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} "
            f"{moment.year:04d} {moment:%H:%M:%S} {offset}")


def item_guid(article: Article) -> str:
    """The same for an article through every edit and rebuild: its source file's."""
    return digest("guid", article.source)[:32]


@dataclass(frozen=True)
class FeedWords:
    """What the feeds say in the site's language (the theme's strings)."""

    latest: str  # 'Последние новости', the channel's description
    correction: str
    photo: str


def _enclosures(article: Article, config: SiteConfig) -> list[tuple[ImageFile, str]]:
    """(file, absolute URL) of each image the feed shows: the lead image as its social
    card does, each body image as its `src`, pictures only (no SVG)."""
    found: dict[str, ImageFile] = {}
    for written, image in article.images:
        file = image.social if written == article.meta.image else image.src
        if file.mime != "image/svg+xml":
            found.setdefault(absolute_url(config, file), file)
    return [(file, url) for url, file in found.items()]


def _common(article: Article, config: SiteConfig) -> list[str]:
    """The elements both feeds give an item, in RSS 2.0's order of mention."""
    link = config.absolute(article.url)
    parts = [f"    <title>{xml_text(article.title)}</title>\n",
             f"    <link>{xml_text(link)}</link>\n",
             f'    <guid isPermaLink="false">{item_guid(article)}</guid>\n']
    if article.date is not None:
        parts.append(f"    <pubDate>{rfc822(article.date)}</pubDate>\n")
    if article.authors:
        parts.append(f"    <author>{xml_text(', '.join(article.authors))}</author>\n")
    parts.append(f"    <category>{xml_text(article.section.name)}</category>\n")
    for file, url in _enclosures(article, config):
        parts.append(f"    <enclosure url={xml_attr(url)} type={xml_attr(file.mime)} "
                     f'length="{file.length}"/>\n')
    parts.append(f"    <description>{xml_text(article.lede)}</description>\n")
    return parts


def _correction(article: Article, words: FeedWords) -> str:
    correction = article.meta.correction
    return f"{words.correction}: {correction}" if correction else ""


def yandex_news_item(article: Article, config: SiteConfig, words: FeedWords) -> str:
    paragraphs = plain_paragraphs(xml_chars(feed_html(article, config)))
    correction = _correction(article, words)
    text = "\n\n".join([correction, *paragraphs] if correction else paragraphs)
    return "".join(["  <item>\n", *_common(article, config),
                    f"    <yandex:genre>{YANDEX_GENRE}</yandex:genre>\n",
                    f"    <yandex:full-text>{xml_text(text)}</yandex:full-text>\n",
                    "  </item>\n"])


def _cdata(value: str) -> str:
    """Text as CDATA: a ']]>' in it split across two sections, characters XML does not
    allow removed."""
    return "<![CDATA[" + xml_chars(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _lead_figure(article: Article, config: SiteConfig, words: FeedWords) -> str:
    lead = article.lead_image
    if lead is None or lead.copied:
        return ""
    meta = article.meta
    caption = " · ".join(part for part in (
        meta.image_caption or "", f"{words.photo}: {meta.image_credit}" if meta.image_credit
        else "") if part)
    shown = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (f'<figure><img src="{html.escape(absolute_url(config, lead.social))}" '
            f'alt="{html.escape(meta.image_alt or "")}">{shown}</figure>')


def dzen_item(article: Article, config: SiteConfig, words: FeedWords) -> str:
    correction = _correction(article, words)
    content = restricted_html(
        _lead_figure(article, config, words)
        + (f"<p>{html.escape(correction)}</p>" if correction else "")
        + xml_chars(feed_html(article, config)), DZEN_TAGS, DZEN_RENAMED, config.absolute)
    return "".join(["  <item>\n", *_common(article, config),
                    '    <media:rating scheme="urn:simple">nonadult</media:rating>\n',
                    f"    <content:encoded>{_cdata(content)}</content:encoded>\n",
                    "  </item>\n"])


ITEM_WRITERS: Mapping[str, Callable[[Article, SiteConfig, FeedWords], str]] = {
    "yandex_news": yandex_news_item, "dzen": dzen_item}


def _channel(feed: Aggregator, config: SiteConfig, words: FeedWords) -> str:
    names = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in feed.namespaces)
    self_link = (f'  <atom:link rel="self" type="application/rss+xml" '
                 f"href={xml_attr(config.absolute(feed.url))}/>\n" if feed.self_link else "")
    return "".join([
        '<?xml version="1.0" encoding="utf-8"?>\n', f'<rss version="2.0" {names}>\n',
        "<channel>\n",
        f"  <title>{xml_text(config.title)}</title>\n",
        f"  <link>{xml_text(config.absolute('/'))}</link>\n",
        f"  <description>{xml_text(f'{words.latest} — {config.title}')}</description>\n",
        f"  <language>{xml_text(config.language)}</language>\n", self_link])


def aggregator_feed(feed: Aggregator, config: SiteConfig, articles: Sequence[Article],
                    words: FeedWords) -> tuple[bytes, int]:
    """The feed of `articles` (`window_articles`'), and how many of the oldest it left
    out to stay within its size."""
    make = ITEM_WRITERS[feed.name]
    items = [make(article, config, words).encode("utf-8") for article in articles
             if not article.meta.draft]
    head = _channel(feed, config, words).encode("utf-8")
    tail = b"</channel>\n</rss>\n"
    size, dropped = len(head) + len(tail) + sum(map(len, items)), 0
    if feed.limit_bytes is not None:
        while items and size > feed.limit_bytes - 200:  # room for the comment below
            size -= len(items.pop())
            dropped += 1
    note = (f"  <!-- {dropped} older articles of the last {feed.days} days left out: "
            f"{feed.label} reads at most {feed.limit_bytes:,} bytes -->\n".encode()
            if dropped else b"")
    return head + note + b"".join(items) + tail, dropped
