"""Live reload in a real browser: headless Chromium on a page of a running dev server,
while the article behind it is edited on disk. Nobody touches the browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import NOW, WAIT_MS, SiteDir
from playwright.sync_api import Browser, Page, expect

from newsgen.serve import DevServer, ServeOptions


def quiet(text: str) -> None:
    pass


@pytest.fixture
def served(site: SiteDir) -> Iterator[DevServer]:
    site.add("politika/vybory", title="Выборы назначены", section="Политика",
             lede="Лид о выборах.", body="Первая версия текста.",
             date="2026-11-20T10:00:00+03:00")
    site.add("politika/byudzhet", title="Бюджет принят", section="Политика",
             lede="Лид о бюджете.", date="2026-11-21T10:00:00+03:00")
    with DevServer(ServeOptions(site_dir=site.root, port=0, watch=True, now=NOW),
                   say=quiet, warn=quiet) as dev:
        yield dev


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    opened = context.new_page()
    yield opened
    context.close()


def write_article(site: SiteDir, title: str, body: str) -> None:
    site.add("politika/vybory", title=title, section="Политика", lede="Лид о выборах.",
             body=body, date="2026-11-20T10:00:00+03:00")


def test_the_open_tab_follows_edits_and_shows_errors_until_fixed(
        served: DevServer, site: SiteDir, page: Page) -> None:
    page.goto(served.url + "politika/vybory-naznacheny/")
    expect(page.locator("main")).to_contain_text("Первая версия текста.")

    write_article(site, "Выборы назначены", "Вторая версия текста.")
    expect(page.locator("main")).to_contain_text("Вторая версия текста.", timeout=WAIT_MS)

    site.write("content/politika/vybory.md",
               "---\ntitle: Выборы назначены\nsection: Политика\nlede: [broken\n---\n\nТекст.\n")
    overlay = page.locator("#newsgen-errors")
    expect(overlay).to_be_visible(timeout=WAIT_MS)
    expect(overlay).to_contain_text("content/politika/vybory.md:")
    expect(page.locator("main")).to_contain_text("Вторая версия текста.")  # the last good page

    write_article(site, "Выборы назначены", "Третья версия текста.")
    expect(page.locator("main")).to_contain_text("Третья версия текста.", timeout=WAIT_MS)
    expect(overlay).to_have_count(0)


def test_a_renamed_article_takes_the_tab_to_its_new_url(
        served: DevServer, site: SiteDir, page: Page) -> None:
    page.goto(served.url + "politika/vybory-naznacheny/")
    write_article(site, "Выборы перенесены", "Текст.")
    expect(page).to_have_url(served.url + "politika/vybory-pereneseny/", timeout=WAIT_MS)
    expect(page.locator("h1")).to_contain_text("Выборы перенесены")

    (site.root / "content/politika/vybory.md").unlink()
    expect(page).to_have_url(served.url + "politika/", timeout=WAIT_MS)
