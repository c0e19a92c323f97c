"""Feeds, sitemaps and structured data as feed readers, crawlers and Google read them."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from conftest import DEMO_SITE, NOW, SiteDir, jpeg
from lxml import etree

from newsgen.build import BuildOptions, build_site
from newsgen.feeds import news_language
from newsgen.pages import KINDS, Plan, SitemapFiles

SCHEMAS = Path(__file__).parent / "schemas"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
BASE = "https://news.example.org"


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def valid_xml(path: Path, schema_name: str) -> etree._ElementTree:
    tree = etree.parse(str(path))
    checker = schema(schema_name)
    assert checker.validate(tree), checker.error_log
    return tree


def locs(tree: etree._ElementTree) -> list[str]:
    return [loc.text for loc in tree.iter(f"{SM}loc")]


def parse_feed(path: Path) -> feedparser.FeedParserDict:
    feed = feedparser.parse(path.read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def when(hours: float) -> str:
    """A front-matter date `hours` after the pinned reference time."""
    return (NOW + dt.timedelta(hours=hours)).isoformat()


class _Head(HTMLParser):
    """The head's <link>/<meta> tags, the JSON-LD blocks and the breadcrumb's items."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.meta: dict[str, str] = {}
        self.json_ld: list[str] = []
        self.crumbs: list[tuple[str, str | None]] = []
        self._script = False
        self._in_crumbs = False
        self._crumb_href: str | None = None
        self._crumb_text = ""
        self._in_item = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link":
            self.links.append(a)
        elif tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._script = True
            self.json_ld.append("")
        elif tag == "nav" and a.get("aria-label") == "breadcrumb":
            self._in_crumbs = True
        elif tag == "li" and self._in_crumbs:
            self._in_item, self._crumb_href, self._crumb_text = True, None, ""
        elif tag == "a" and self._in_item:
            self._crumb_href = a.get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = False
        elif tag == "li" and self._in_item:
            self.crumbs.append((self._crumb_text.strip(), self._crumb_href))
            self._in_item = False
        elif tag == "nav":
            self._in_crumbs = False

    def handle_data(self, data: str) -> None:
        if self._script:
            self.json_ld[-1] += data
        elif self._in_item:
            self._crumb_text += data


def head(html: str) -> _Head:
    parser = _Head()
    parser.feed(html)
    return parser


@pytest.fixture
def newsroom(site: SiteDir) -> SiteDir:
    """Five articles in two sections, with tags, bylines, a correction and an image."""
    site.write("newsgen.yaml", "title: Тестовые новости\nbase_url: https://news.example.org/\n"
               "language: ru\ntimezone: Europe/Moscow\nper_page: 2\nfeed_size: 3\n"
               "sections: [Политика, Экономика]\n")
    site.add("oldest", title="Старые выборы", section="Политика", tags=["выборы"],
             date=when(-24 * 10), author="Иван Петров")
    site.add("budget", title="Бюджет принят", section="Экономика", tags=["бюджет", "выборы"],
             date=when(-24 * 5), updated=when(-2), correction="Исправлена сумма расходов.",
             author=["Анна Смирнова", "Олег Ким"], image="img/budget.jpg",
             image_alt="Здание Думы", body="Текст о **бюджете** и <расходах>.")
    site.add("mayor", title="Мэр представил план", section="Политика", tags=["город"],
             date=when(-24 * 3))
    site.add("debate", title="Дебаты кандидатов", section="Политика", tags=["выборы"],
             date=when(-30), author="Иван Петров")
    site.add("summit", title='Саммит: "итоги" </script> & <b>выводы</b>', section="Политика",
             tags=["выборы", "Europe"], date=when(-3), lede='Лид с "кавычками" и </script>.')
    site.write("static/img/budget.jpg", jpeg(1600, 1000))
    site.build()
    return site


def test_site_feed_has_the_newest_entries_newest_first(newsroom: SiteDir) -> None:
    feed = parse_feed(newsroom.out / "feed.xml")
    titles = [e.title for e in feed.entries]
    # feed_size: 3 — the three newest; the budget article is 5 days old but corrected later,
    # and order follows publication, not correction.
    assert titles == ['Саммит: "итоги" </script> & <b>выводы</b>', "Дебаты кандидатов",
                      "Мэр представил план"]
    assert feed.feed.title == "Тестовые новости"
    assert feed.feed.author == "Тестовые новости"  # publisher, so undated bylines stay valid
    assert feed.feed.id == f"{BASE}/feed.xml"
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [f"{BASE}/feed.xml"]
    # Its `updated` is the newest entry's, not the build time.
    assert feed.feed.updated == (NOW + dt.timedelta(hours=-3)).isoformat()

    summit = feed.entries[0]
    assert summit.id == summit.link
    assert summit.link.startswith(f"{BASE}/politika/")
    assert summit.published == when(-3)
    assert summit.summary == 'Лид с "кавычками" и </script>.'
    assert [t.label for t in summit.tags] == ["выборы", "Europe"]
    assert "author" not in summit  # no byline: the feed's author covers it
    debate = feed.entries[1]
    assert debate.author == "Иван Петров"


def test_section_and_tag_feeds_carry_their_articles(newsroom: SiteDir) -> None:
    economy = parse_feed(newsroom.out / "ekonomika/feed.xml")
    assert [e.title for e in economy.entries] == ["Бюджет принят"]
    budget = economy.entries[0]
    assert [a.name for a in budget.authors] == ["Анна Смирнова", "Олег Ким"]
    # A correction moves `updated`, not `published`.
    assert budget.published == when(-24 * 5)
    assert budget.updated == when(-2)
    assert economy.feed.updated == when(-2)
    assert "<strong>бюджете</strong>" in budget.content[0].value
    assert budget.content[0].type == "text/html"

    elections = parse_feed(newsroom.out / "tags/vybory/feed.xml")
    assert [e.title for e in elections.entries] == [
        'Саммит: "итоги" </script> & <b>выводы</b>', "Дебаты кандидатов", "Бюджет принят"]
    assert elections.feed.title == "выборы — Тестовые новости"
    politics = parse_feed(newsroom.out / "politika/feed.xml")
    assert len(politics.entries) == 3  # four articles, feed_size 3
    assert politics.entries[-1].title == "Мэр представил план"


def test_pages_link_their_feeds_in_the_head(newsroom: SiteDir) -> None:
    def feeds(url: str) -> list[str]:
        return [link["href"] for link in head(newsroom.page(url)).links
                if link.get("rel") == "alternate" and link.get("type") == "application/atom+xml"]

    article_url = next(p for p in (newsroom.out / "ekonomika").iterdir() if p.is_dir())
    assert feeds("/") == ["/feed.xml"]
    assert feeds(f"/ekonomika/{article_url.name}/") == ["/feed.xml", "/ekonomika/feed.xml"]
    assert feeds("/ekonomika/") == ["/feed.xml", "/ekonomika/feed.xml"]
    assert feeds("/tags/vybory/") == ["/feed.xml", "/tags/vybory/feed.xml"]
    for url in ("/feed.xml", "/ekonomika/feed.xml", "/tags/vybory/feed.xml"):
        assert (newsroom.out / url.lstrip("/")).is_file()


def _html_pages(out: Path) -> set[str]:
    """Site URLs of every HTML page in the output but the 404 page."""
    urls = set()
    for path in out.rglob("index.html"):
        rel = path.parent.relative_to(out).as_posix()
        urls.add(f"{BASE}/" if rel == "." else f"{BASE}/{rel}/")
    return urls


def test_sitemap_lists_every_published_page_and_validates(newsroom: SiteDir) -> None:
    tree = valid_xml(newsroom.out / "sitemap.xml", "sitemap.xsd")
    listed = locs(tree)
    assert len(listed) == len(set(listed))
    assert set(listed) == _html_pages(newsroom.out)
    assert f"{BASE}/politika/page/2/" in listed
    assert f"{BASE}/tags/" in listed
    lastmod = {url.findtext(f"{SM}loc"): url.findtext(f"{SM}lastmod")
               for url in tree.iter(f"{SM}url")}
    budget = next(u for u in listed if "/ekonomika/" in u and u.count("/") == 5)
    assert lastmod[budget] == when(-2)  # the correction date
    assert lastmod[f"{BASE}/"] == when(-2)  # the newest change anywhere
    assert lastmod[f"{BASE}/ekonomika/"] == when(-2)

    robots = (newsroom.out / "robots.txt").read_text()
    assert f"Sitemap: {BASE}/sitemap.xml" in robots.splitlines()
    assert f"Sitemap: {BASE}/news-sitemap.xml" in robots.splitlines()


def test_news_sitemap_follows_googles_rules(newsroom: SiteDir) -> None:
    tree = valid_xml(newsroom.out / "news-sitemap.xml", "news-sitemap.xsd")
    news = list(tree.iter(f"{NEWS}news"))
    # Only the two articles of the last 48 hours (3 h and 30 h old).
    assert [n.findtext(f"{NEWS}title") for n in news] == [
        'Саммит: "итоги" </script> & <b>выводы</b>', "Дебаты кандидатов"]
    first = news[0]
    assert first.findtext(f"{NEWS}publication/{NEWS}name") == "Тестовые новости"
    assert first.findtext(f"{NEWS}publication/{NEWS}language") == "ru"
    assert first.findtext(f"{NEWS}publication_date") == when(-3)


def test_news_language_codes() -> None:
    assert news_language("ru") == "ru"
    assert news_language("en-GB") == "en"
    assert news_language("zh-TW") == "zh-tw"
    assert news_language("zh_CN") == "zh-cn"


class FourPerSitemap(SitemapFiles):
    """The sitemap with its parts' limit of 50,000 URLs brought down to four."""

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[SitemapFiles]:
        for unit in super().plan(plan):
            yield replace(unit, limit=4)


def test_a_big_site_gets_a_sitemap_index_with_parts(newsroom: SiteDir, tmp_path: Path) -> None:
    newsroom.build()
    kinds = tuple(FourPerSitemap if kind is SitemapFiles else kind for kind in KINDS)
    out = tmp_path / "split"
    build_site(BuildOptions(site_dir=newsroom.root, out_dir=out, now=NOW), kinds=kinds)
    (out / "single.xml").write_bytes((newsroom.out / "sitemap.xml").read_bytes())
    every_url = locs(valid_xml(out / "single.xml", "sitemap.xsd"))

    index = valid_xml(out / "sitemap.xml", "siteindex.xsd")
    parts = locs(index)
    expected_parts = -(-len(every_url) // 4)
    assert parts == [f"{BASE}/sitemap-{n}.xml" for n in range(1, expected_parts + 1)]
    from_parts = []
    for url in parts:
        part = locs(valid_xml(out / url.rsplit("/", 1)[1], "sitemap.xsd"))
        assert 0 < len(part) <= 4
        from_parts += part
    assert from_parts == every_url
    assert all(m.text for m in index.iter(f"{SM}lastmod"))


def test_article_json_ld_is_complete_and_survives_hostile_titles(newsroom: SiteDir) -> None:
    summit_dir = next(p for p in (newsroom.out / "politika").iterdir()
                      if p.name.startswith("sammit"))
    page = head((summit_dir / "index.html").read_text(encoding="utf-8"))
    blocks = [json.loads(block) for block in page.json_ld]
    article = next(b for b in blocks if b["@type"] == "NewsArticle")
    assert article["headline"] == 'Саммит: "итоги" </script> & <b>выводы</b>'
    for key in ("datePublished", "dateModified", "author", "publisher", "mainEntityOfPage"):
        assert key in article, key
    assert article["publisher"]["name"] == "Тестовые новости"
    url = f"{BASE}/politika/{summit_dir.name}/"
    assert article["mainEntityOfPage"]["@id"] == url
    assert "image" not in article  # none given
    # The raw page never closes the script early.
    raw = (summit_dir / "index.html").read_text(encoding="utf-8")
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', raw, re.S)
    assert script is not None and "</script>" not in script.group(1)

    crumbs = next(b for b in blocks if b["@type"] == "BreadcrumbList")
    visible = page.crumbs
    assert [item["name"] for item in crumbs["itemListElement"]] == [c[0] for c in visible]
    assert [item["item"] for item in crumbs["itemListElement"][:-1]] == [
        BASE + href for _, href in visible[:-1] if href]
    assert crumbs["itemListElement"][-1]["item"] == url
    assert visible[-1] == ('Саммит: "итоги" </script> & <b>выводы</b>', None)

    assert page.meta["og:title"] == 'Саммит: "итоги" </script> & <b>выводы</b>'
    assert page.meta["og:type"] == "article"
    assert page.meta["og:url"] == url
    assert page.meta["twitter:card"] == "summary"


def test_a_corrected_article_shows_and_carries_its_correction(newsroom: SiteDir) -> None:
    budget_dir = next(p for p in (newsroom.out / "ekonomika").iterdir() if p.is_dir())
    html = (budget_dir / "index.html").read_text(encoding="utf-8")
    page = head(html)
    article = next(json.loads(b) for b in page.json_ld if '"NewsArticle"' in b)
    assert article["datePublished"] == when(-24 * 5)
    assert article["dateModified"] == when(-2)
    # The lead image's 16:9, 4:3 and 1:1 crops (tests/test_images.py checks their pixels).
    assert [re.sub(r"-[0-9a-f]{10}-", "-KEY-", url) for url in article["image"]] == [
        f"{BASE}/images/budget-KEY-{ratio}.jpg" for ratio in ("16x9", "4x3", "1x1")]
    assert [a["name"] for a in article["author"]] == ["Анна Смирнова", "Олег Ким"]
    assert page.meta["article:modified_time"] == when(-2)
    assert re.fullmatch(rf"{BASE}/images/budget-[0-9a-f]{{10}}-1200\.jpg", page.meta["og:image"])
    assert page.meta["twitter:card"] == "summary_large_image"
    text = re.sub(r"<[^>]+>", "", html)
    assert "Поправка (25 ноября 2026): Исправлена сумма расходов." in text
    assert "Обновлено: 25 ноября 2026, 10:00" in text


def test_the_demo_sites_feeds_and_sitemaps_are_valid(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    build_site(BuildOptions(site_dir=DEMO_SITE, out_dir=out, now=NOW))
    feeds = sorted(out.rglob("feed.xml"))
    assert len(feeds) > 10
    for path in feeds:
        assert parse_feed(path).entries, path
    valid_xml(out / "sitemap.xml", "sitemap.xsd")
    valid_xml(out / "news-sitemap.xml", "news-sitemap.xsd")


def test_an_update_dated_before_publication_never_predates_it(site: SiteDir) -> None:
    site.add("a", title="Статья", section="Политика", date=when(-2), updated=when(-5))
    site.build()
    html = site.page("/politika/statia/")
    article = next(json.loads(b) for b in head(html).json_ld if '"NewsArticle"' in b)
    assert article["dateModified"] == article["datePublished"] == when(-2)
    entry = parse_feed(site.out / "feed.xml").entries[0]
    assert entry.updated == entry.published == when(-2)
