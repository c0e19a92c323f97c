"""Author pages and date archives: what a reader reaches from an article's byline and
its date, built as listings of the engine, and kept right by incremental builds."""

from __future__ import annotations

import re

import feedparser
from conftest import SiteDir, run_newsgen

PROFILES = """\
title: Тестовые новости
base_url: https://news.example.org/
language: ru
timezone: Europe/Moscow
per_page: 2
authors:
  Анна Петрова:
    bio: Пишет о парламенте с 2015 года.
    photo: img/petrova.jpg
"""


def newsroom(site: SiteDir) -> None:
    site.write("newsgen.yaml", PROFILES)
    site.add("vybory", title="Выборы назначены", section="Политика", lede="Лид о выборах.",
             author="Анна Петрова", date="2026-11-24T10:00:00+03:00")
    site.add("byudzhet", title="Бюджет принят", section="Экономика", lede="Лид о бюджете.",
             author=["Анна Петрова", "Иван Сидоров"], date="2026-11-24T23:30:00+03:00")
    site.add("match", title="Матч перенесён", section="Спорт", lede="Лид о матче.",
             author="Иван Сидоров", date="2026-11-23T20:00:00+03:00")
    site.add("zima", title="Зима близко", section="Погода", lede="Лид о погоде.",
             author="Анна Петрова", date="2026-10-31T22:30:00Z")  # 1 ноября по Москве
    site.add("bez-avtora", title="Без автора", section="Погода", lede="Лид.",
             date="2025-12-31T12:00:00+03:00")


def titles(html: str) -> list[str]:
    return re.findall(r'class="card-title"><a href="[^"]+">([^<]+)</a>', html)


def test_an_author_page_lists_their_articles_newest_first_with_profile_and_pages(
        site: SiteDir) -> None:
    newsroom(site)
    site.build()
    page = site.page("/authors/anna-petrova/")
    assert "<h1>Анна Петрова</h1>" in page
    assert "Пишет о парламенте с 2015 года." in page
    assert 'src="https://news.example.org/img/petrova.jpg" alt="Анна Петрова"' in page
    assert titles(page) == ["Бюджет принят", "Выборы назначены"]  # per_page: 2
    assert titles(site.page("/authors/anna-petrova/page/2/")) == ["Зима близко"]
    assert 'href="/authors/"' in page  # the breadcrumb to the index
    index = site.page("/authors/")
    assert re.findall(r'<a href="(/authors/[^"]+)">([^<]+)</a> <span class="count">(\d+)', index) \
        == [("/authors/anna-petrova/", "Анна Петрова", "3"),
            ("/authors/ivan-sidorov/", "Иван Сидоров", "2")]


def test_an_author_has_a_feed_of_their_articles(site: SiteDir) -> None:
    newsroom(site)
    site.build()
    feed = feedparser.parse((site.out / "authors/ivan-sidorov/feed.xml").read_bytes())
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["Бюджет принят", "Матч перенесён"]
    assert 'href="/authors/ivan-sidorov/feed.xml"' in site.page("/authors/ivan-sidorov/")


def test_the_byline_links_each_author_and_the_date_links_its_day(site: SiteDir) -> None:
    newsroom(site)
    site.build()
    page = site.page("/ekonomika/biudzhet-priniat/")
    assert ('<a href="/authors/anna-petrova/" rel="author">Анна Петрова</a>, '
            '<a href="/authors/ivan-sidorov/" rel="author">Иван Сидоров</a>') in page
    assert re.search(r'<a href="/2026/11/24/"><time datetime="2026-11-24T23:30:00\+03:00">'
                     r"24 ноября 2026</time></a>", page)
    # The day is the site's (Moscow) day, not the date as written in UTC.
    assert '<a href="/2026/11/01/">' in site.page("/pogoda/zima-blizko/")


def test_archive_pages_for_each_year_month_and_day_in_the_sites_language(
        site: SiteDir) -> None:
    newsroom(site)
    site.build()
    day = site.page("/2026/11/24/")
    assert "<h1>24 ноября 2026</h1>" in day
    assert titles(day) == ["Бюджет принят", "Выборы назначены"]
    crumbs = re.findall(r'<a href="([^"]+)">([^<]+)</a>', day.split('<nav class="breadcrumb"')[1]
                        .split("</nav>")[0])
    assert crumbs[:3] == [("/", "Главная"), ("/2026/", "2026"), ("/2026/11/", "Ноябрь 2026")]
    month = site.page("/2026/11/")
    assert "<h1>Ноябрь 2026</h1>" in month
    days = re.findall(r'<h2 id="day-[^"]+"><a href="([^"]+)">([^<]+)</a>', month)
    assert days == [("/2026/11/24/", "24 ноября 2026"), ("/2026/11/23/", "23 ноября 2026"),
                    ("/2026/11/01/", "1 ноября 2026")]
    assert month.index("Бюджет принят") < month.index("Выборы назначены") \
        < month.index("Матч перенесён") < month.index("Зима близко")
    year = site.page("/2026/")
    assert re.findall(r'<a href="(/2026/\d\d/)">([^<]+)</a> <span class="count">(\d+)', year) \
        == [("/2026/11/", "Ноябрь 2026", "4")]
    assert "Декабрь 2025" in site.page("/2025/")
    assert not (site.out / "2026/10").exists()  # nothing was published then, Moscow time


def test_archives_and_author_pages_are_in_the_sitemap(site: SiteDir) -> None:
    newsroom(site)
    site.build()
    sitemap = site.page("/sitemap.xml")
    for url in ("/authors/", "/authors/anna-petrova/", "/authors/anna-petrova/page/2/",
                "/2026/", "/2026/11/", "/2026/11/24/", "/2025/12/31/"):
        assert f"<loc>https://news.example.org{url}</loc>" in sitemap, url
    assert "/2026/page/2/" not in sitemap and "/2026/11/page/2/" not in sitemap


def test_an_edit_moves_an_article_between_days_and_authors_incrementally(
        site: SiteDir) -> None:
    newsroom(site)
    site.build()
    site.add("vybory", title="Выборы перенесены", section="Политика", lede="Лид о выборах.",
             author="Иван Сидоров", date="2026-11-23T09:00:00+03:00")
    result = site.build()
    assert result.kind == "patch"
    assert titles(site.page("/2026/11/24/")) == ["Бюджет принят"]
    assert titles(site.page("/2026/11/23/")) == ["Матч перенесён", "Выборы перенесены"]
    assert "Выборы перенесены" in site.page("/2026/11/")
    assert "Выборы" not in site.page("/authors/anna-petrova/")
    assert titles(site.page("/authors/ivan-sidorov/page/2/")) == ["Выборы перенесены"]
    (site.root / "content/zima.md").unlink()
    assert site.build().kind == "patch"
    assert not (site.out / "2026/11/01").exists()
    assert "1 ноября" not in site.page("/2026/11/")


def test_a_site_without_bylines_has_no_authors_index(site: SiteDir) -> None:
    site.add("a", title="Новость", date="2026-11-24T10:00:00+03:00")
    site.build()
    assert not (site.out / "authors").exists()
    assert "/authors/" not in site.page("/sitemap.xml")


def test_an_author_name_without_letters_is_an_error_on_its_line(site: SiteDir) -> None:
    site.add("a", title="Новость", author="—", date="2026-11-24T10:00:00+03:00")
    done = run_newsgen("build", "--site", site.root)
    assert done.returncode == 1
    assert "content/a.md:5: author '—' gives an empty URL slug" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_wrong_author_profile_is_a_config_error_naming_the_key(site: SiteDir) -> None:
    site.write("newsgen.yaml", PROFILES.replace("    photo:", "    foto:"))
    site.add("a", title="Новость", author="Анна Петрова", date="2026-11-24T10:00:00+03:00")
    done = run_newsgen("build", "--site", site.root)
    assert done.returncode == 1
    assert ("newsgen.yaml:7: 'authors' author 'Анна Петрова' has an unknown key 'foto'; "
            "an author may have 'bio' and 'photo'") in done.stderr


def test_a_months_page_is_made_again_for_a_new_headline_not_for_a_new_tag(
        site: SiteDir) -> None:
    """A month's page lists headlines: a tag added leaves it as it was, a new title
    makes it again."""
    newsroom(site)
    site.build()
    month = site.out / "2026/11/index.html"
    before = month.stat().st_mtime_ns
    site.add("match", title="Матч перенесён", section="Спорт", lede="Лид о матче.",
             author="Иван Сидоров", date="2026-11-23T20:00:00+03:00", tags=["футбол"])
    assert site.build().kind == "patch"
    assert month.stat().st_mtime_ns == before
    assert "/tags/futbol/" in site.page("/sport/match-perenesen/")
    site.add("match", title="Матч отменён", section="Спорт", lede="Лид о матче.",
             author="Иван Сидоров", date="2026-11-23T20:00:00+03:00", tags=["футбол"])
    site.build()
    assert "Матч отменён" in month.read_text(encoding="utf-8")
