"""The repository's demo site, built as a newcomer builds it."""

from __future__ import annotations

import re

import pytest
from conftest import DEMO_SITE, SiteDir, nu_check

SEED_TITLE = ("Итоги встречи «Коалиции желающих» в Париже: движение к гарантиям безопасности "
              "для Украины и новые переговоры")
SEED_URL = "/mirnye-peregovory/itogi-vstrechi-koalitsii-zhelaiushchikh-v-parizhe-dvizhenie-k-garantiiam/"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> SiteDir:
    built = SiteDir(DEMO_SITE, out_dir=tmp_path_factory.mktemp("demo") / "build")
    built.build()
    return built


def test_seed_article_is_published_with_its_breadcrumb(demo: SiteDir) -> None:
    html = demo.page(SEED_URL)
    crumb = re.search(r'aria-label="breadcrumb">(.*?)</nav>', html, re.S)
    assert crumb is not None
    labels = [re.sub(r"<[^>]+>", "", item).strip()
              for item in re.findall(r"<li>(.*?)</li>", crumb.group(1), re.S)]
    assert labels == ["Главная", "Мирные переговоры", SEED_TITLE]
    assert f"<h1>{SEED_TITLE}</h1>" in html
    assert "Саммит лидеров «Коалиции желающих» в Париже подтвердил" in html
    assert "Переговоры продолжаются, но быстрых изменений пока не ожидается." in html


def test_demo_has_several_sections_pagination_and_tags(demo: SiteDir) -> None:
    sections = re.findall(r'<section class="section-block"', demo.page("/"))
    assert len(sections) >= 3
    assert (demo.out / "mirnye-peregovory/page/2/index.html").exists()
    assert len(list((demo.out / "tags").glob("*/index.html"))) >= 10


def test_every_demo_page_passes_the_nu_html_checker(demo: SiteDir) -> None:
    assert nu_check(demo.out) == []


def test_every_internal_link_of_the_demo_resolves(demo: SiteDir) -> None:
    from newsgen.links import find_broken_links, scan_page

    # The walk must have something to walk: the front page links every section and article.
    assert len(scan_page(demo.page("/")).links) >= 25
    assert find_broken_links(demo.out, "https://news.example.org/") == []
