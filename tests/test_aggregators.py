"""Aggregator feeds: the Yandex News and Dzen RSS feeds of a newsroom's site, read with
lxml and feedparser as their robots read them, against the rules each aggregator
publishes (each test names its sources)."""

from __future__ import annotations

import datetime as dt
import email.utils
from pathlib import Path

import feedparser  # type: ignore[import-untyped]
import pytest
from conftest import NOW, SiteDir, jpeg, run_newsgen
from lxml import etree, html

from newsgen.aggregators import DZEN_TAGS, YANDEX_LIMIT_BYTES

YANDEX = "feeds/yandex-news.xml"
DZEN = "feeds/dzen.xml"
NS = {"yandex": "http://news.yandex.ru", "content": "http://purl.org/rss/1.0/modules/content/",
      "media": "http://search.yahoo.com/mrss/", "atom": "http://www.w3.org/2005/Atom"}
CONFIG = ("title: Вечерние известия\nbase_url: https://news.example.org/\nlanguage: ru\n"
          "timezone: Europe/Moscow\n")
FEEDS_ON = "feeds: {yandex_news: true, dzen: true}\n"


def hours_ago(hours: float) -> str:
    return (NOW - dt.timedelta(hours=hours)).isoformat()


def newsroom(site: SiteDir, feeds: str = FEEDS_ON) -> None:
    """Articles 2 hours, 2 days, 5 days and 10 days old, with a lead photo, bylines, a
    correction, embeds and raw HTML; a draft, an embargoed and an expired article."""
    site.write("newsgen.yaml", CONFIG + feeds)
    site.write("content/politika/paris.jpg", jpeg(1600, 1000))
    site.add("politika/sammit", title="Саммит в Париже завершился", section="Политика",
             lede="Лидеры договорились о перемирии.", date=hours_ago(2),
             author=["Анна Смирнова", "Олег Ким"], tags=["саммит"], image="paris.jpg",
             image_alt="Лидеры на ступенях", image_caption="Саммит", image_credit="Анна Петрова",
             body="Первый абзац **итогов**.\n\nhttps://t.me/rian_ru/123456\n\n"
                  "<iframe src=\"https://www.youtube.com/embed/dQw4w9WgXcQ\" title=\"Видео\">"
                  "</iframe>\n\n<script>alert(1)</script>\n\n"
                  "| Страна | Голос |\n| --- | --- |\n| А | за |\n\n<div class=\"x\">Врезка</div>\n")
    site.add("ekonomika/kurs", title="Курс рубля укрепился", section="Экономика",
             lede="Рубль подорожал.", date=hours_ago(48), author="Мария Лебедева",
             updated=hours_ago(1), correction="Исправлен курс юаня.",
             body="Курс доллара опустился ниже 90 рублей.")
    site.add("kultura/teatr", title="Театр открыл сезон", section="Культура",
             lede="Премьера «Садко».", date=hours_ago(5 * 24), body="Спектакль идёт три часа.")
    site.add("sport/match", title="Матч десятидневной давности", section="Спорт",
             lede="Давно.", date=hours_ago(10 * 24), body="Счёт 2:1.")
    site.add("politika/chernovik", title="Черновик", section="Политика", lede="Не готов.",
             date=hours_ago(3), draft="true", body="Текст.")
    site.add("politika/embargo", title="Под эмбарго", section="Политика", lede="Позже.",
             date=(NOW + dt.timedelta(hours=5)).isoformat(), body="Текст.")
    site.add("politika/istek", title="Истёкшая", section="Политика", lede="Снята.",
             date=hours_ago(20), expires=hours_ago(1), body="Текст.")


def parsed(site: SiteDir, name: str) -> etree._ElementTree:
    """The feed read by a strict XML parser (no recovery: any error fails)."""
    return etree.parse(str(site.out / name), etree.XMLParser(recover=False))


def titles(site: SiteDir, name: str) -> list[str]:
    return [item.findtext("title") or "" for item in parsed(site, name).iter("item")]


def test_yandex_news_feed_follows_its_rules(site: SiteDir) -> None:
    """Sources: https://yandex.ru/support/webmaster/en/search-appearance/fresh-content
    (a page of its own per item, its URL the item's identity); the Yandex News partner
    rules, https://yandex.ru/support/news/info-for-mass-media.html (the `yandex`
    namespace http://news.yandex.ru, `yandex:full-text`: the whole text without the
    source's name or dates); RSS 2.0, https://www.rssboard.org/rss-specification
    (channel title, link, description; enclosure url, length, type; RFC 822 dates)."""
    newsroom(site)
    assert site.build().warnings == ()
    tree = parsed(site, YANDEX)
    root = tree.getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    assert root.nsmap["yandex"] == NS["yandex"]
    assert tree.docinfo.encoding.lower() == "utf-8"
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "Вечерние известия"
    assert channel.findtext("link") == "https://news.example.org/"
    assert channel.findtext("description") == "Последние новости — Вечерние известия"
    assert channel.findtext("language") == "ru"
    items = channel.findall("item")
    item = items[0]
    assert item.findtext("title") == "Саммит в Париже завершился"
    assert item.findtext("link") == "https://news.example.org/politika/sammit-v-parizhe-zavershilsia/"
    guid = item.find("guid")
    assert guid is not None and guid.get("isPermaLink") == "false" and guid.text
    published = email.utils.parsedate_to_datetime(item.findtext("pubDate") or "")
    assert published == NOW - dt.timedelta(hours=2) and published.utcoffset() is not None
    assert (item.findtext("pubDate") or "").endswith("+0300")
    assert item.findtext("author") == "Анна Смирнова, Олег Ким"
    assert item.findtext("category") == "Политика"
    assert item.findtext("description") == "Лидеры договорились о перемирии."
    assert item.findtext("yandex:genre", namespaces=NS) == "message"
    [enclosure] = item.findall("enclosure")
    assert enclosure.get("type") == "image/jpeg"
    url = enclosure.get("url") or ""
    assert url.startswith("https://news.example.org/images/paris-")
    published_file = site.out / url.removeprefix("https://news.example.org/")
    assert int(enclosure.get("length") or 0) == published_file.stat().st_size
    text = item.findtext("yandex:full-text", namespaces=NS) or ""
    assert text.startswith("Первый абзац итогов.")
    assert "Пост в Telegram: t.me/rian_ru/123456" in text  # as the page shows it
    assert "<" not in text and "alert(1)" not in text and "Вечерние известия" not in text
    assert "Страна Голос" in text and "Врезка" in text
    assert not feedparser.parse((site.out / YANDEX).read_bytes()).bozo


def test_dzen_feed_follows_its_rules(site: SiteDir) -> None:
    """Sources: https://dzen.ru/help/ru/website/rss-modify (the content, dc, media, atom
    and georss namespaces of its example feed; the whole text in `content:encoded`;
    every image of the text also an `enclosure`; `media:rating`; HTML outside its
    recommendations removed); the tags it takes, as maintained feed generators for Dzen
    apply them (https://wordpress.org/plugins/zhekich-feed-generator-for-dzen: p, a, b,
    i, u, s, h1-h4, blockquote, ul/ol/li, img, figure, figcaption)."""
    newsroom(site)
    site.build()
    root = parsed(site, DZEN).getroot()
    for prefix in ("content", "dc", "media", "atom", "georss"):
        assert prefix in root.nsmap
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("language") == "ru"
    self_link = channel.find("atom:link", NS)
    assert self_link is not None and self_link.get("href") == f"https://news.example.org/{DZEN}"
    item = channel.findall("item")[0]
    rating = item.find("media:rating", NS)
    assert rating is not None and rating.text == "nonadult"
    assert item.findtext("category") == "Политика"
    content = item.findtext("content:encoded", namespaces=NS) or ""
    fragment = html.fragment_fromstring(content, create_parent="div")
    assert {element.tag for element in fragment.iter()} - {"div"} <= set(DZEN_TAGS)
    assert "<iframe" not in content and "<script" not in content and "alert(1)" not in content
    links = [a.get("href") for a in fragment.iter("a")]
    assert "https://t.me/rian_ru/123456" in links  # the embed, as a link
    assert "https://www.youtube.com/embed/dQw4w9WgXcQ" in links  # an editor's iframe, too
    images = [img.get("src") for img in fragment.iter("img")]
    enclosures = [e.get("url") for e in item.findall("enclosure")]
    assert images and images == enclosures  # every image shown is an enclosure
    assert fragment.find(".//figcaption") is not None
    assert "Фото: Анна Петрова" in (fragment.findtext(".//figcaption") or "")
    assert not feedparser.parse((site.out / DZEN).read_bytes()).bozo


def test_each_feed_carries_its_window_newest_first_and_never_an_unpublished_article(
        site: SiteDir) -> None:
    """Yandex reads the last 8 days, Dzen "the last two to three days"
    (https://dzen.ru/help/ru/website/rss-modify); both windows are settings. Drafts,
    embargoed and expired articles never appear, not even in a build that shows drafts
    and embargoed articles for a preview."""
    newsroom(site)
    site.build()
    assert titles(site, YANDEX) == ["Саммит в Париже завершился", "Курс рубля укрепился",
                                    "Театр открыл сезон"]
    assert titles(site, DZEN) == ["Саммит в Париже завершился", "Курс рубля укрепился"]
    site.build(drafts=True, future=True)
    assert "Черновик" not in titles(site, YANDEX) + titles(site, DZEN)
    assert "Под эмбарго" not in titles(site, YANDEX) + titles(site, DZEN)
    assert "Истёкшая" not in titles(site, YANDEX) + titles(site, DZEN)
    site.write("newsgen.yaml", CONFIG + "feeds: {yandex_news: {days: 11}, dzen: {days: 1}}\n")
    site.build()
    assert titles(site, YANDEX)[-1] == "Матч десятидневной давности"
    assert titles(site, DZEN) == ["Саммит в Париже завершился"]


def test_the_yandex_feed_stays_under_10_mb_by_leaving_out_the_oldest_and_says_so(
        site: SiteDir) -> None:
    """https://me.wordpress.org/plugins/yandex-news-feed/ (the feed no larger than 10 MB;
    the limit itself is not on a Yandex page stored here)."""
    site.write("newsgen.yaml", CONFIG + FEEDS_ON)
    paragraph = "Длинный абзац про бюджет, выборы и погоду, который идёт снова и снова. " * 8
    body = "\n\n".join([paragraph] * 800)  # about 0.9 MB of text in each article
    for n in range(14):
        site.add(f"dlinnaya-{n:02d}", title=f"Длинная статья {n}", section="Политика",
                 date=hours_ago(n + 1), body=body)
    done = run_newsgen("build", "--site", site.root, "--now", NOW.isoformat())
    assert done.returncode == 0, done.stderr
    data = (site.out / YANDEX).read_bytes()
    assert len(data) <= YANDEX_LIMIT_BYTES
    kept = titles(site, YANDEX)
    assert kept == [f"Длинная статья {n}" for n in range(len(kept))]  # the newest kept
    dropped = 14 - len(kept)
    assert dropped >= 2
    assert (f"feeds/yandex-news.xml: warning: {dropped} older articles of the last 8 days "
            "are left out: Yandex News reads at most 10,000,000 bytes") in done.stderr
    assert f"<!-- {dropped} older articles of the last 8 days left out".encode() in data
    assert titles(site, DZEN) == [f"Длинная статья {n}" for n in range(14)]


HOSTILE = "Ctl \x01\x0b ]]> & <b>bold</b> \"q\" 'a'"


def test_any_front_matter_or_body_text_gives_valid_xml(site: SiteDir) -> None:
    """XML 1.0 (https://www.w3.org/TR/xml/#charsets): control characters are not allowed
    even escaped; `]]>` may not stand in text nor end a CDATA section early."""
    site.write("newsgen.yaml", CONFIG + FEEDS_ON)
    site.write("content/politika/x.md", "---\n"
               'title: "Ctl \\x01\\x0b ]]> & <b>bold</b> \\"q\\" \'a\'"\n'
               "section: Политика\n"
               'lede: "Лид ]]> & <i>"\n'
               'author: "A & <B> ]]>"\n'
               f"date: {hours_ago(1)}\n"
               "---\n\nТекст ]]> с <b>тегом</b> & \x01 символом.\n\n`код ]]>`\n")
    site.build()
    for name in (YANDEX, DZEN):
        tree = parsed(site, name)
        item = tree.getroot().find("channel/item")
        assert item is not None
        assert item.findtext("title") == HOSTILE.replace("\x01", "").replace("\x0b", "")
        assert item.findtext("description") == "Лид ]]> & <i>"
        assert item.findtext("author") == "A & <B> ]]>"
        feed = feedparser.parse((site.out / name).read_bytes())
        assert not feed.bozo, feed.bozo_exception
    content = parsed(site, DZEN).getroot().findtext("channel/item/content:encoded",
                                                     namespaces=NS) or ""
    assert "Текст ]]&gt; с <b>тегом</b> &amp; символом." in content
    text = parsed(site, YANDEX).getroot().findtext("channel/item/yandex:full-text",
                                                    namespaces=NS) or ""
    assert text.startswith("Текст ]]> с тегом & символом.")


def guids(site: SiteDir, name: str) -> dict[str, str]:
    return {item.findtext("link") or "": item.findtext("guid") or ""
            for item in parsed(site, name).iter("item")}


def test_an_items_guid_stays_through_every_edit_and_rebuild(site: SiteDir) -> None:
    """Dzen: to edit a published item, "укажите изначальный guid, чтобы не создавать
    дубликаты" (https://dzen.ru/help/ru/website/rss-modify). A new headline moves the
    article to a new URL; its guid stays, and its pubDate too, with `updated:` and a
    correction (RSS 2.0's pubDate is when the item was published)."""
    newsroom(site)
    site.build()
    before = parsed(site, DZEN).getroot().find("channel/item")
    assert before is not None
    guid, published = before.findtext("guid"), before.findtext("pubDate")
    assert len(set(guids(site, DZEN).values())) == len(guids(site, DZEN))  # one per article
    site.build()
    assert parsed(site, DZEN).getroot().findtext("channel/item/guid") == guid
    site.add("politika/sammit", title="Саммит в Париже: итоги", section="Экономика",
             lede="Новый лид.", date=hours_ago(2), updated=hours_ago(1),
             correction="Уточнены итоги.", body="Исправленный текст.")
    site.build()
    for name in (DZEN, YANDEX):
        after = parsed(site, name).getroot().find("channel/item")
        assert after is not None
        assert after.findtext("link") == "https://news.example.org/ekonomika/sammit-v-parizhe-itogi/"
        assert after.findtext("guid") == guid and after.findtext("pubDate") == published
    text = parsed(site, YANDEX).getroot().findtext("channel/item/yandex:full-text",
                                                    namespaces=NS) or ""
    assert text.startswith("Поправка: Уточнены итоги.\n\nИсправленный текст.")


def test_the_feeds_are_linked_from_robots_txt_and_nothing_else(site: SiteDir) -> None:
    newsroom(site)
    site.build()
    robots = (site.out / "robots.txt").read_text("utf-8")
    assert f"https://news.example.org/{YANDEX}" in robots
    assert f"https://news.example.org/{DZEN}" in robots
    for path in site.out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml") and "feeds" not in path.parts:
            assert "feeds/" not in path.read_text("utf-8"), path


def test_the_feeds_are_off_until_the_config_turns_them_on(site: SiteDir) -> None:
    newsroom(site, feeds="")
    site.build()
    assert not (site.out / "feeds").exists()
    assert "feeds/" not in (site.out / "robots.txt").read_text("utf-8")
    site.write("newsgen.yaml", CONFIG + "feeds: {yandex_news: true, dzen: false}\n")
    site.build()
    assert (site.out / YANDEX).is_file() and not (site.out / DZEN).exists()


@pytest.mark.parametrize(("feeds", "message"), [
    ("feeds: {yandex: true}", "newsgen.yaml:5: 'feeds' names 'yandex'; the feeds are "
                              "yandex_news, dzen"),
    ("feeds: {dzen: {days: 0}}", "'feeds' 'dzen' must have 'days' from 1 to 366"),
    ("feeds: {dzen: {weeks: 1}}", "'feeds' 'dzen' must be true, false or {days: N}"),
    ("feeds: true", "'feeds' must map aggregator feeds to true, false or {days: N}"),
])
def test_a_wrong_feeds_setting_is_a_config_error(site: SiteDir, feeds: str, message: str,
                                                 tmp_path: Path) -> None:
    site.write("newsgen.yaml", CONFIG + feeds + "\n")
    site.add("a", title="Т", date=hours_ago(1))
    done = run_newsgen("build", "--site", site.root)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
