"""Unit tests for the pure assembly step: slugs, URLs, pagination, breadcrumbs, order."""

from __future__ import annotations

import datetime as dt

from newsgen.config import SiteConfig
from newsgen.models import Crumb, FrontMatter, ParsedSource
from newsgen.schedule import is_published
from newsgen.site import (
    article_crumbs,
    assemble,
    cut_slug,
    make_slug,
    paginate,
    related,
)
from newsgen.urls import url_to_path

UTC = dt.UTC


def parsed(source: str, title: str, section: str, day: int | None = 1,
           tags: tuple[str, ...] = (), slug: str | None = None) -> ParsedSource:
    date = dt.datetime(2026, 11, day, 12, tzinfo=UTC) if day else None
    meta = FrontMatter(title=title, section=section, lede="Лид", tags=tags, date=date, slug=slug)
    return ParsedSource(source, meta, "<p>body</p>")


def test_cyrillic_section_is_transliterated() -> None:
    assert make_slug("Мирные переговоры", 80) == "mirnye-peregovory"


def test_long_slug_is_cut_to_a_word_boundary_prefix() -> None:
    title = ("Итоги встречи «Коалиции желающих» в Париже: движение к гарантиям безопасности "
             "для Украины и новые переговоры")
    full = make_slug(title, 10_000)
    cut = make_slug(title, 80)
    assert len(cut) <= 80
    assert full.startswith(cut)
    assert full[len(cut)] == "-"  # the cut falls between words, not inside one
    assert cut == "itogi-vstrechi-koalitsii-zhelaiushchikh-v-parizhe-dvizhenie-k-garantiiam"


def test_cut_slug_keeps_short_slugs_and_exact_boundaries() -> None:
    assert cut_slug("abc-def", 80) == "abc-def"
    assert cut_slug("abc-def-ghi", 7) == "abc-def"  # the boundary falls exactly at the cut
    assert cut_slug("abc-def-ghi", 9) == "abc-def"
    assert cut_slug("abcdefghij", 4) == "abcd"  # one long word: cut inside it


def test_url_to_path() -> None:
    assert url_to_path("/") == "index.html"
    assert url_to_path("/a/b/") == "a/b/index.html"
    assert url_to_path("/feed.xml") == "feed.xml"


def test_pagination_urls_and_neighbours() -> None:
    pages = paginate(tuple(range(45)), 20, "/ekonomika/")
    assert [p.url for p in pages] == ["/ekonomika/", "/ekonomika/page/2/", "/ekonomika/page/3/"]
    assert pages[0].prev_url is None and pages[0].next_url == "/ekonomika/page/2/"
    assert pages[1].prev_url == "/ekonomika/" and pages[1].next_url == "/ekonomika/page/3/"
    assert pages[2].items == tuple(range(40, 45)) and pages[2].next_url is None
    assert {p.count for p in pages} == {3}


def test_pagination_of_an_empty_list_is_one_empty_page() -> None:
    (page,) = paginate((), 20, "/tags/x/")
    assert page.items == () and page.count == 1


def test_articles_sorted_newest_first_and_sections_in_config_order() -> None:
    config = SiteConfig(sections=("Экономика", "Мирные переговоры"))
    site, problems = assemble([
        parsed("content/a.md", "Старая", "Мирные переговоры", day=1),
        parsed("content/b.md", "Новая", "Мирные переговоры", day=3),
        parsed("content/c.md", "Без даты", "World", day=None),
        parsed("content/d.md", "Рынки", "Экономика", day=2),
    ], config)
    assert problems == []
    assert [a.title for a in site.articles] == ["Новая", "Рынки", "Старая", "Без даты"]
    assert [s.name for s in site.sections] == ["Экономика", "Мирные переговоры", "World"]
    peace = site.sections[1]
    assert peace.url == "/mirnye-peregovory/"
    assert [site.articles[i].title for i in peace.articles] == ["Новая", "Старая"]
    assert site.articles[0].url == "/mirnye-peregovory/novaia/"


def test_slug_override_and_tag_pages() -> None:
    site, _ = assemble([
        parsed("content/a.md", "Прогноз погоды", "Общество", tags=("Москва", "погода"),
               slug="prognoz-1"),
        parsed("content/b.md", "Прогноз погоды", "Общество", day=2, tags=("москва",),
               slug="prognoz-2"),
    ], SiteConfig())
    assert [a.url for a in site.articles] == ["/obshchestvo/prognoz-2/", "/obshchestvo/prognoz-1/"]
    by_slug = {t.slug: t for t in site.tags}
    # "Москва" and "москва" are one tag page, named as first seen (newest article first).
    assert by_slug["moskva"].url == "/tags/moskva/"
    assert len(by_slug["moskva"].articles) == 2
    assert by_slug["pogoda"].name == "погода"


def test_breadcrumb_trail_of_an_article() -> None:
    site, _ = assemble([parsed("content/a.md", "Итоги встречи", "Мирные переговоры")],
                       SiteConfig(language="ru"))
    assert article_crumbs(SiteConfig(language="ru"), site.articles[0]) == (
        Crumb("Главная", "/"),
        Crumb("Мирные переговоры", "/mirnye-peregovory/"),
        Crumb("Итоги встречи", "/mirnye-peregovory/itogi-vstrechi/"),
    )


def test_related_prefers_more_shared_tags_then_newer() -> None:
    site, _ = assemble([
        parsed("content/a.md", "A", "S", day=5, tags=("x", "y")),
        parsed("content/b.md", "B", "S", day=4, tags=("x",)),
        parsed("content/c.md", "C", "S", day=3, tags=("x", "y")),
        parsed("content/d.md", "D", "S", day=2, tags=("z",)),
    ], SiteConfig())
    tag_index = {t.slug: t for t in site.tags}
    titles = [site.articles[i].title for i in related(site, 0, tag_index)]
    assert titles == ["C", "B"]


def test_schedule_rules() -> None:
    now = dt.datetime(2026, 11, 25, tzinfo=UTC)
    past, future = now - dt.timedelta(days=1), now + dt.timedelta(hours=1)
    assert is_published(False, past, None, now, drafts=False, future=False)
    assert not is_published(True, past, None, now, drafts=False, future=False)
    assert is_published(True, past, None, now, drafts=True, future=False)
    assert not is_published(False, future, None, now, drafts=False, future=False)
    assert is_published(False, future, None, now, drafts=False, future=True)
    assert not is_published(False, past, now, now, drafts=False, future=False)
