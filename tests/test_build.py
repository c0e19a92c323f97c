"""The core pipeline through real builds and the real command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import NOW, SiteDir, run_newsgen


def json_ld_blocks(html: str) -> list[dict]:
    return [json.loads(block) for block in
            re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]


def test_article_page_has_breadcrumb_title_lede_and_structured_data(site: SiteDir) -> None:
    site.add("peace/summit", title="Итоги встречи в Париже", section="Мирные переговоры",
             lede="Лидеры договорились о штабе.", tags=["Украина", "Франция"],
             date="2026-01-07T10:00:00", author="Анна Петрова", body="## Итоги\n\nТекст.")
    site.build()
    html = site.page("/mirnye-peregovory/itogi-vstrechi-v-parizhe/")
    crumb = re.search(r'<nav class="breadcrumb" aria-label="breadcrumb">(.*?)</nav>', html, re.S)
    assert crumb is not None
    items = re.findall(r"<li>(.*?)</li>", crumb.group(1), re.S)
    assert items == [
        '<a href="/">Главная</a>',
        '<a href="/mirnye-peregovory/">Мирные переговоры</a>',
        '<span aria-current="page">Итоги встречи в Париже</span>',
    ]
    assert "<h1>Итоги встречи в Париже</h1>" in html
    assert '<p class="lede">Лидеры договорились о штабе.</p>' in html
    assert "7 января 2026" in html  # the site's language is ru
    assert '<meta name="description" content="Лидеры договорились о штабе.">' in html
    assert ('<link rel="canonical" href="https://news.example.org/mirnye-peregovory/'
            'itogi-vstrechi-v-parizhe/">') in html
    assert '<meta property="og:title" content="Итоги встречи в Париже">' in html
    assert 'href="/tags/ukraina/"' in html and "Анна Петрова" in html
    assert '<h2 id="itogi">Итоги</h2>' in html  # heading anchors are transliterated too
    crumbs_ld, article_ld = sorted(json_ld_blocks(html), key=lambda d: d["@type"])
    assert [i["name"] for i in crumbs_ld["itemListElement"]] == [
        "Главная", "Мирные переговоры", "Итоги встречи в Париже"]
    assert article_ld["@type"] == "NewsArticle"
    assert article_ld["headline"] == "Итоги встречи в Париже"
    assert article_ld["datePublished"] == "2026-01-07T10:00:00+03:00"


def test_section_pages_paginate_newest_first(site: SiteDir) -> None:
    site.write("newsgen.yaml", "title: T\nlanguage: ru\nper_page: 2\n")
    for day in range(1, 6):
        site.add(f"a{day}", title=f"Новость {day}", section="Экономика",
                 date=f"2026-11-0{day}T09:00:00+03:00")
    site.build()
    first = site.page("/ekonomika/")
    assert first.index("Новость 5") < first.index("Новость 4")
    assert "Новость 3" not in first
    assert 'rel="next" href="/ekonomika/page/2/"' in first
    third = site.page("/ekonomika/page/3/")
    assert "Новость 1" in third and 'rel="prev" href="/ekonomika/page/2/"' in third
    assert '<span aria-current="page">Страница 3</span>' in third


def test_home_tags_404_robots_and_static(site: SiteDir) -> None:
    site.add("a", title="Первая", section="Политика", tags=["выборы"], date="2026-11-01")
    site.add("b", title="Second", section="World", tags=["Elections"], date="2026-11-02")
    site.write("static/images/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    result = site.build()
    home = site.page("/")
    assert "Первая" in home and "Second" in home
    assert 'href="/politika/"' in home and 'href="/world/"' in home
    tags = site.page("/tags/")
    assert 'href="/tags/vybory/"' in tags and 'href="/tags/elections/"' in tags
    assert "Первая" in site.page("/tags/vybory/")
    assert "Страница не найдена" in site.page("/404.html")
    assert "Sitemap: https://news.example.org/sitemap.xml" in site.page("/robots.txt")
    assert (site.out / "images/logo.svg").exists()
    assert (site.out / "css/newsgen.css").exists()
    assert result.articles == 2


def test_site_templates_and_static_override_the_theme_file_by_file(site: SiteDir) -> None:
    site.add("a", title="Заголовок", section="Политика")
    site.write("templates/404.html", "<!DOCTYPE html><title>x</title><p>Своя страница 404</p>")
    site.write("static/css/newsgen.css", "body { color: red }")
    site.build()
    assert "Своя страница 404" in site.page("/404.html")
    assert "<h1>Заголовок</h1>" in site.page("/politika/zagolovok/")  # built-in article.html
    assert (site.out / "css/newsgen.css").read_text() == "body { color: red }"


def test_base_url_with_a_path_prefixes_internal_links(site: SiteDir) -> None:
    site.add("a", title="Заголовок", section="Политика")
    site.build(base_url="https://example.org/news/")
    html = site.page("/politika/zagolovok/")
    assert 'href="/news/politika/"' in html
    assert 'href="/news/css/newsgen.css"' in html
    assert '<link rel="canonical" href="https://example.org/news/politika/zagolovok/">' in html


def test_article_with_its_own_template(site: SiteDir) -> None:
    site.write("templates/longread.html",
               '{% extends "article.html" %}{% block main %}<p class="longread">'
               "{{ article.title }}</p>{% endblock %}")
    site.add("a", title="Большой текст", section="Общество", template="longread.html")
    site.build()
    assert '<p class="longread">Большой текст</p>' in site.page("/obshchestvo/bolshoi-tekst/")


def test_unknown_front_matter_keys_reach_templates_as_extra(site: SiteDir) -> None:
    site.write("templates/article.html", "{{ article.extra.rubric }}")
    site.add("a", title="Заголовок", section="Политика", rubric="Мнение")
    site.build()
    assert site.page("/politika/zagolovok/") == "Мнение"


def test_cli_build_summary_and_exit_codes(site: SiteDir) -> None:
    site.add("a", title="Заголовок", section="Политика", date="2026-11-01")
    done = run_newsgen("build", "--site", site.root, "--now", NOW.isoformat())
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"Built \d+ files \(1 articles\) into .*build in \d+\.\d\d s\n",
                        done.stdout)
    assert run_newsgen("build", "--site", site.root, "--jobs", "zero").returncode == 2
    assert run_newsgen("build", "--site", site.root / "missing").returncode == 2
    assert run_newsgen("frobnicate").returncode == 2
    assert run_newsgen("--version").stdout.startswith("newsgen ")


def test_init_makes_a_site_that_builds_at_once(tmp_path: Path) -> None:
    target = tmp_path / "daily"
    done = run_newsgen("init", target)
    assert done.returncode == 0, done.stderr
    built = run_newsgen("build", "--site", target)
    assert built.returncode == 0, built.stderr
    assert (target / "build/world/welcome-to-your-news-site/index.html").exists()
    again = run_newsgen("init", target)
    assert again.returncode == 1 and "already holds a site" in again.stderr


def test_new_writes_a_ready_draft_and_never_overwrites(site: SiteDir) -> None:
    done = run_newsgen("new", "Прогноз погоды на выходные", "--section", "Общество",
                       "--site", site.root)
    assert done.returncode == 0, done.stderr
    path = site.root / "content/obshchestvo/prognoz-pogody-na-vykhodnye.md"
    text = path.read_text(encoding="utf-8")
    assert 'title: "Прогноз погоды на выходные"' in text
    assert "slug: prognoz-pogody-na-vykhodnye" in text
    assert re.search(r"^date: \d{4}-\d\d-\d\dT\d\d:\d\d:00\+03:00$", text, re.M)
    # A new article is a draft: it builds, and shows up with --drafts.
    site.build(drafts=True, now=None)  # the article is dated by the wall clock
    assert "Прогноз погоды" in site.page("/obshchestvo/prognoz-pogody-na-vykhodnye/")
    again = run_newsgen("new", "Прогноз погоды на выходные", "--section", "Общество",
                        "--site", site.root)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert path.read_text(encoding="utf-8") == text


def test_building_the_wrong_folder_says_so(tmp_path: Path) -> None:
    done = run_newsgen("build", "--site", tmp_path)
    assert done.returncode == 0
    assert f"content: warning: there is no content/ folder in {tmp_path.resolve()}" in done.stderr
    strict = run_newsgen("build", "--site", tmp_path, "--strict")
    assert strict.returncode == 1
    (tmp_path / "content").mkdir()
    empty = run_newsgen("build", "--site", tmp_path)
    assert "content: warning: no articles: add Markdown files (.md) under content/" in empty.stderr


def test_a_site_without_base_url_is_told_where_its_links_point(site: SiteDir) -> None:
    site.write("newsgen.yaml", "title: Новости\nlanguage: ru\n")
    site.add("a", title="Заголовок", section="Политика", date="2026-11-01")
    done = run_newsgen("build", "--site", site.root)
    assert done.returncode == 0
    assert ("newsgen.yaml: warning: no base_url: canonical links, feeds and sitemaps point to "
            "http://localhost:8000/") in done.stderr
    given = run_newsgen("build", "--site", site.root, "--base-url", "https://example.org/")
    assert "base_url" not in given.stderr
