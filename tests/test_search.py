"""Full-text search for real: a Pagefind index made in memory from a few Russian and English
articles, written with the theme's search page into a folder served over HTTP, and queried
in headless Chromium by typing into the page's labelled search box."""

from __future__ import annotations

import datetime as dt
import html
import json
import random
import shutil
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, WAIT_MS, nu_check, serving
from playwright.sync_api import Browser, Page, expect

from newsgen.config import SiteConfig
from newsgen.content import theme_static
from newsgen.models import Article, FrontMatter, Link, Listing
from newsgen.render import STRINGS, PageRenderer, Theme
from newsgen.search import (
    INSTALL_HINT,
    SearchError,
    SearchRecord,
    plain_text,
    search_available,
    search_index_files,
    search_record,
)

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SEARCH_PAGE = "/search/"
LABEL = STRINGS["ru"]["search_label"]

SEED_TITLE = ("Итоги встречи «Коалиции желающих» в Париже: движение к гарантиям безопасности "
              "для Украины и новые переговоры")
SEED_TEXT = (  # from the seed article
    "Саммит лидеров «Коалиции желающих» в Париже подтвердил институционализацию поддержки "
    "Украины, создание военного штаба и обсуждение гарантий безопасности. США сохраняют "
    "ключевую роль, но прорыв ожидается только после согласия России. «Коалиция желающих» "
    "ведет переговоры как с США, так и с Украиной, предоставляя платформу для обсуждения "
    "гарантий безопасности. Ожидается, что конкретные договоренности о гарантиях безопасности "
    "появятся лишь после того, как переговоры о мире приблизятся к завершению.")
GENEVA_TITLE = "Делегации снова встретятся в Женеве"
ENGLISH_TITLE = "Chipmakers expand semiconductor plants in Europe"
THEATRE_TITLE = "Большой театр открыл сезон премьерой"
LEFT_OUT_TITLE = "Курс рубля укрепился к юаню"
HTML_LIKE_TITLE = "Разработчики обсуждают тег <script> & атрибуты"

RECORDS = [
    SearchRecord("/mirnye-peregovory/itogi-vstrechi-v-parizhe/", SEED_TITLE, SEED_TEXT, "ru",
                 "Мирные переговоры", "25 ноября 2026"),
    SearchRecord("/mirnye-peregovory/zheneva/", GENEVA_TITLE,
                 "На переговорах в Женеве стороны обсудят обмен пленными.", "ru",
                 "Мирные переговоры", "24 ноября 2026"),
    SearchRecord("/tekhnologii/chipmakers/", ENGLISH_TITLE,
                 "Three companies announced new semiconductor factories in Dresden and "
                 "Grenoble, citing demand from carmakers.", "en", "Технологии", "23 ноября 2026"),
    SearchRecord("/kultura/teatr/", THEATRE_TITLE, "Первой премьерой сезона стала опера «Садко».",
                 "ru", "Культура", "22 ноября 2026"),
    SearchRecord("/tekhnologii/html/", HTML_LIKE_TITLE,
                 "Верстальщики спорят, где ставить <b>жирный</b> шрифт и нужен ли &nbsp; в "
                 "заголовках.", "ru", "Технологии"),
]
# An article of the site that is not in the index: search must not find it.
LEFT_OUT = SearchRecord("/ekonomika/kurs/", LEFT_OUT_TITLE, "Юань подешевел на Мосбирже.", "ru",
                        "Экономика")


def render_search_page(config: SiteConfig, site_dir: Path) -> bytes:
    """The search page as the build makes it: the real theme and page renderer."""
    sections = (Listing(Listing.SECTION, "Мирные переговоры", "mirnye-peregovory",
                        "/mirnye-peregovory/", ()),)
    page = PageRenderer(Theme(config, site_dir), sections).search_page("search.html")
    assert page.path == "search/index.html"
    return page.data


def write_site(out: Path, config: SiteConfig) -> None:
    """The search page, the theme's static files and the index, as a build would lay
    them out under its output folder, and a stand-in page for each article."""
    for folder in theme_static(replace(config, search=True)):
        shutil.copytree(folder, out, dirs_exist_ok=True)
    for record in [*RECORDS, LEFT_OUT]:
        folder = out / record.url.strip("/")
        folder.mkdir(parents=True)
        (folder / "index.html").write_text(
            f'<!DOCTYPE html><html lang="ru"><meta charset="utf-8"><title>{html.escape(record.title)}</title>'
            f"<h1>{html.escape(record.title)}</h1></html>", encoding="utf-8")
    (out / "search").mkdir(parents=True)
    (out / "search" / "index.html").write_bytes(render_search_page(config, out.parent))
    for path, data in search_index_files(RECORDS, "ru").items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(data)


@pytest.fixture(scope="module", params=["", "/news"], ids=["at the root", "under /news/"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[str, Path]]:
    """The site served over real HTTP, at the server's root or under a path of the base
    URL (then every address the page uses must carry it); yields the search page's URL."""
    prefix: str = request.param
    root = tmp_path_factory.mktemp("search")
    with serving(root / "www") as address:
        base_url = f"{address}{prefix}/"
        out = root / "www" / prefix.lstrip("/")
        write_site(out, SiteConfig(title="Вечерние известия", language="ru", base_url=base_url))
        yield base_url.rstrip("/") + SEARCH_PAGE, out


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    # Warnings too: Pagefind warns when pagefind.js and the index are of different versions.
    opened.on("console", lambda message: problems.append(message.text)
              if message.type in ("error", "warning")
              and not message.text.startswith("Failed to load resource") else None)
    opened.on("response", lambda response: problems.append(f"{response.status} {response.url}")
              if response.status >= 400 and not response.url.endswith("/favicon.ico")
              else None)
    yield opened
    context.close()
    assert problems == []


def result_titles(page: Page) -> list[str]:
    return page.locator("#search-results .card-title").all_inner_texts()


def search_for(page: Page, query: str) -> None:
    box = page.get_by_label(LABEL)
    box.fill(query)
    box.press("Enter")


def test_a_cyrillic_query_finds_the_russian_articles_in_any_form_of_the_word(
        served: tuple[str, Path], page: Page) -> None:
    page.goto(served[0])
    search_for(page, "переговоры")
    expect(page.get_by_role("status")).to_have_text("Найдено 2 материала", timeout=WAIT_MS)
    # The seed article says «переговоры»; the Geneva one only «на переговорах».
    assert sorted(result_titles(page)) == sorted([SEED_TITLE, GENEVA_TITLE])
    seed = page.locator("#search-results .card").filter(has_text=SEED_TITLE)
    expect(seed.locator("mark").first).to_have_text("переговоры")
    expect(seed.locator(".meta > *")).to_have_text(["Мирные переговоры", "25 ноября 2026"])
    seed.get_by_role("link", name=SEED_TITLE).click()
    expect(page).to_have_url(served[0].removesuffix(SEARCH_PAGE)
                             + "/mirnye-peregovory/itogi-vstrechi-v-parizhe/")
    expect(page.locator("h1")).to_have_text(SEED_TITLE)


def test_a_latin_word_typed_into_the_box_finds_the_english_article(
        served: tuple[str, Path], page: Page) -> None:
    page.goto(served[0])
    page.get_by_label(LABEL).press_sequentially("semiconductor")  # no Enter: as one types
    # A reload or a shared link repeats the search.
    expect(page).to_have_url(served[0] + "?q=semiconductor", timeout=WAIT_MS)
    expect(page.get_by_role("status")).to_have_text("Найден 1 материал", timeout=WAIT_MS)
    assert result_titles(page) == [ENGLISH_TITLE]


def test_a_word_of_the_title_alone_finds_the_article(
        served: tuple[str, Path], page: Page) -> None:
    page.goto(served[0])
    search_for(page, "chipmakers")
    expect(page.get_by_role("status")).to_have_text("Найден 1 материал", timeout=WAIT_MS)
    assert result_titles(page) == [ENGLISH_TITLE]


def test_an_article_left_out_of_the_index_is_not_found(
        served: tuple[str, Path], page: Page) -> None:
    page.goto(served[0])
    search_for(page, "юань")
    expect(page.get_by_role("status")).to_have_text("По запросу «юань» ничего не найдено",
                                                    timeout=WAIT_MS)
    assert result_titles(page) == []
    assert LEFT_OUT_TITLE not in page.content()


def test_the_query_in_the_address_is_searched_on_arrival(
        served: tuple[str, Path], page: Page) -> None:
    """What the form without JavaScript sends, a plain GET, lands on a working search."""
    page.goto(served[0] + "?q=%D0%BE%D0%BF%D0%B5%D1%80%D0%B0")  # «опера»
    expect(page.get_by_role("status")).to_have_text("Найден 1 материал", timeout=WAIT_MS)
    assert result_titles(page) == [THEATRE_TITLE]
    expect(page.get_by_label(LABEL)).to_have_value("опера")


def test_titles_and_excerpts_are_shown_as_text_never_as_html(
        served: tuple[str, Path], page: Page) -> None:
    page.goto(served[0])
    search_for(page, "верстальщики")
    expect(page.get_by_role("status")).to_have_text("Найден 1 материал", timeout=WAIT_MS)
    assert result_titles(page) == [HTML_LIKE_TITLE]
    card = page.locator("#search-results .card")
    expect(card.locator(".lede")).to_have_text(
        "Верстальщики спорят, где ставить <b>жирный</b> шрифт и нужен ли &nbsp; в заголовках.")
    assert card.locator("script, b").count() == 0


def test_the_search_page_passes_axe_with_results_shown(
        served: tuple[str, Path], page: Page) -> None:
    page.goto(served[0])
    label = page.locator("label[for=search-query]")
    expect(label).to_be_visible()
    expect(label).to_have_text(LABEL)
    search_for(page, "переговоры")
    expect(page.get_by_role("status")).to_have_text("Найдено 2 материала", timeout=WAIT_MS)
    page.add_script_tag(path=str(AXE))
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    result = page.evaluate("options => axe.run(document, options)", options)
    assert [(v["id"], [n["html"] for n in v["nodes"]]) for v in result["violations"]] == []


def test_the_search_page_is_valid_html(served: tuple[str, Path]) -> None:
    assert nu_check(served[1] / "search") == []


def test_an_article_becomes_a_record_of_its_plain_text_and_its_date_as_shown() -> None:
    config = SiteConfig(title="Вечерние известия", language="ru", timezone="Europe/Moscow")
    meta = FrontMatter(title="Дума приняла бюджет", section="Политика",
                       lede="Депутаты одобрили 146 поправок.",
                       date=dt.datetime(2026, 11, 24, 22, 30, tzinfo=dt.UTC))  # 25th in Moscow
    body = ("<h2>Что изменилось</h2>\n<p>Больше всего <em>добавлено</em> на школы&nbsp;и "
            "дороги &amp; мосты; тег &lt;b&gt; остался текстом.</p>\n<ul>\n<li>48 млрд</li>"
            "<li>31 млрд</li>\n</ul>\n<table><tr><td>Центр</td><td>+4,3</td></tr></table>"
            "<script>alert(1)</script><!-- заметка -->Конец")
    article = Article(source="content/byudzhet.md", meta=meta, body_html=body,
                      slug="duma-priniala-biudzhet", url="/politika/duma-priniala-biudzhet/",
                      section=Link("Политика", "politika", "/politika/"), tags=())
    assert search_record(article, config) == SearchRecord(
        url="/politika/duma-priniala-biudzhet/", title="Дума приняла бюджет",
        text="Депутаты одобрили 146 поправок. Что изменилось Больше всего добавлено на школы и "
             "дороги & мосты; тег <b> остался текстом. 48 млрд 31 млрд Центр +4,3 Конец",
        language="ru", section="Политика", date="25 ноября 2026")
    undated = Article(source="content/x.md", meta=FrontMatter(title="T", section="S", lede=""),
                      body_html="", slug="x", url="/s/x/", section=Link("S", "s", "/s/"), tags=())
    assert search_record(undated, config) == SearchRecord("/s/x/", "T", "", "ru", "S", "")
    assert plain_text("a<br>b<em>c</em>d") == "a bcd"


def test_the_same_records_give_the_same_files_in_any_order() -> None:
    shuffled = RECORDS[:]
    random.Random(1).shuffle(shuffled)
    first = search_index_files(RECORDS, "ru")
    assert search_index_files(shuffled, "ru") == first
    assert search_index_files(RECORDS, "ru") == first
    assert search_index_files([*RECORDS, LEFT_OUT], "ru") != first
    assert all(path.startswith("pagefind/") for path in first)
    assert {"pagefind/pagefind.js", "pagefind/pagefind-entry.json"} <= set(first)


def test_an_index_larger_than_a_pipe_message_limit_comes_back_whole() -> None:
    """The pagefind package's own get_files() never returns past 2 MiB; ours must."""
    rng = random.Random(7)
    vocabulary = [*SEED_TEXT.split(), "talks", "summit", "Geneva", "semiconductor", "opera"]
    records = [SearchRecord(f"/arkhiv/{n:04d}/", f"Материал {n}",
                            " ".join(rng.choice(vocabulary) + str(rng.randrange(900))
                                     for _ in range(250)), "ru") for n in range(1500)]
    files = search_index_files(records, "ru")
    assert sum(len(data) for data in files.values()) > 3 * 2**20
    entry = json.loads(files["pagefind/pagefind-entry.json"])
    assert entry["languages"]["ru"]["page_count"] == 1500


def test_a_pagefind_that_stops_is_an_error_saying_what_it_said(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    program = tmp_path / "pagefind"
    program.write_text("#!/bin/sh\necho 'out of memory' >&2\nexit 3\n", encoding="utf-8")
    program.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(program))
    with pytest.raises(SearchError, match=r"Pagefind stopped \(exit status 3\) before it "
                                          r"answered: out of memory"):
        search_index_files(RECORDS, "ru")


def test_an_article_with_no_text_is_still_in_the_index_by_its_title() -> None:
    files = search_index_files([SearchRecord("/s/x/", "Заголовок", "", "ru")], "ru")
    entry = json.loads(files["pagefind/pagefind-entry.json"])
    assert entry["languages"]["ru"]["page_count"] == 1


def test_two_records_for_one_url_are_an_error() -> None:
    with pytest.raises(SearchError, match="two search records for one URL: /kultura/teatr/"):
        search_index_files([*RECORDS, RECORDS[3]], "ru")


def test_without_the_pagefind_package_search_says_what_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert search_available() is None
    monkeypatch.setitem(sys.modules, "pagefind", None)  # `import pagefind` now fails
    monkeypatch.setitem(sys.modules, "pagefind.service", None)
    message = search_available()
    assert message is not None and INSTALL_HINT in message
    assert INSTALL_HINT == "pip install 'newsgen[search]'"
    with pytest.raises(SearchError, match="pagefind package"):
        search_index_files(RECORDS, "ru")
