"""Search on a built site: `search: true` in the config, the site built by the engine,
queried in headless Chromium on its own search page, and kept current by incremental
builds and by the dev server (no stale hit for a deleted or unpublished article)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import NOW, WAIT_MS, SiteDir, run_newsgen, serving
from playwright.sync_api import Browser, Page, expect
from test_browser import quiet
from test_serve import settle

from newsgen.render import STRINGS
from newsgen.serve import DevServer, ServeOptions

CONFIG = ("title: Вечерние известия\nbase_url: https://news.example.org/\nlanguage: ru\n"
          "timezone: Europe/Moscow\nsearch: true\n")
SEED = "Итоги встречи «Коалиции желающих» в Париже"
LABEL = STRINGS["ru"]["search_label"]


def newsroom(site: SiteDir) -> None:
    site.write("newsgen.yaml", CONFIG)
    site.add("mir/parizh", title=SEED, section="Мирные переговоры",
             lede="Саммит подтвердил поддержку Украины.", date="2026-11-24T18:30:00+03:00",
             body="Лидеры обсудили гарантии безопасности и дальнейшие переговоры.")
    site.add("mir/zheneva", title="Встреча в Женеве отложена", section="Мирные переговоры",
             lede="Стороны не договорились о дате.", date="2026-11-23T10:00:00+03:00",
             body="Переговоры в Женеве перенесены на декабрь.")
    site.add("tekh/chips", title="Chipmakers build in Dresden", section="Технологии",
             lede="Three factories announced.", date="2026-11-22T10:00:00+03:00",
             body="New semiconductor plants will open in 2028.")
    site.add("mir/chernovik", title="Черновик о переговорах", section="Мирные переговоры",
             lede="Не для читателей.", draft="true", date="2026-11-24T10:00:00+03:00",
             body="Секретные переговоры.")


@pytest.fixture
def served(site: SiteDir) -> Iterator[str]:
    """The site's output folder over real HTTP; yields the server's address."""
    with serving(site.out) as address:
        yield address


def found(browser: Browser, address: str, query: str) -> list[str]:
    """The titles the site's search page lists for `query`, typed into its labelled box
    (in a new tab each time: the dev server reloads an open one after each build)."""
    context = browser.new_context()
    try:
        return _found(context.new_page(), address, query)
    finally:
        context.close()


def _found(page: Page, address: str, query: str) -> list[str]:
    page.goto(f"{address}/search/")
    box = page.get_by_label(LABEL)
    box.fill(query)
    box.press("Enter")
    status = page.get_by_role("status")
    expect(status).not_to_have_text("", timeout=WAIT_MS)
    expect(status).not_to_have_text(STRINGS["ru"]["search_searching"], timeout=WAIT_MS)
    return sorted(page.locator("#search-results .card-title").all_inner_texts())


def test_the_built_site_finds_cyrillic_and_latin_words_and_never_a_draft(
        site: SiteDir, served: str, browser: Browser) -> None:
    newsroom(site)
    site.build()
    assert found(browser, served, "переговоры") == sorted([SEED, "Встреча в Женеве отложена"])
    assert found(browser, served, "semiconductor") == ["Chipmakers build in Dresden"]
    assert found(browser, served, "секретные") == []  # the draft is not in the index
    assert 'href="/search/"' in site.page("/")  # every page links to the search page


def test_incremental_builds_keep_the_index_current(site: SiteDir, served: str,
                                                   browser: Browser) -> None:
    newsroom(site)
    site.build()
    site.add("mir/parizh", title="Саммит в Париже завершён", section="Мирные переговоры",
             lede="Саммит подтвердил поддержку Украины.", date="2026-11-24T18:30:00+03:00",
             body="Лидеры обсудили гарантии безопасности и дальнейшие переговоры.")
    (site.root / "content/mir/zheneva.md").unlink()
    site.add("tekh/chips", title="Chipmakers build in Dresden", section="Технологии",
             lede="Three factories announced.", date="2026-11-22T10:00:00+03:00",
             body="New semiconductor plants will open in 2028.", draft="true")
    assert site.build().kind == "patch"
    assert found(browser, served, "переговоры") == ["Саммит в Париже завершён"]
    assert found(browser, served, "semiconductor") == []
    stale = [p.name for p in (site.out / "pagefind" / "fragment").iterdir()]
    assert len(stale) == 1  # the fragments of the deleted articles are gone too


def test_the_dev_server_updates_the_index_after_an_edit(site: SiteDir, browser: Browser) -> None:
    newsroom(site)
    with DevServer(ServeOptions(site_dir=site.root, port=0, watch=True, now=NOW),
                   say=quiet, warn=quiet) as dev:
        address = dev.url.rstrip("/")
        assert found(browser, address, "semiconductor") == ["Chipmakers build in Dresden"]
        epoch = dev.state.outcome.epoch
        site.add("tekh/chips", title="Chipmakers build in Saxony", section="Технологии",
                 lede="Three factories announced.", date="2026-11-22T10:00:00+03:00",
                 body="New semiconductor plants will open in 2028.")
        settle(dev, epoch)
        assert found(browser, address, "semiconductor") == ["Chipmakers build in Saxony"]
        epoch = dev.state.outcome.epoch
        (site.root / "content/tekh/chips.md").unlink()
        settle(dev, epoch)
        assert found(browser, address, "semiconductor") == []


def test_search_without_pagefind_installed_says_what_to_install(site: SiteDir,
                                                                tmp_path: Path) -> None:
    """A Python without the `search` extra: here a `pagefind` that cannot be imported,
    put first on the path of a real `newsgen build`."""
    missing = tmp_path / "no-pagefind"
    (missing / "pagefind").mkdir(parents=True)
    (missing / "pagefind" / "__init__.py").write_text(
        "raise ImportError('No module named pagefind')\n")
    newsroom(site)
    done = run_newsgen("build", "--site", site.root, env={"PYTHONPATH": str(missing),
                                                          "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1, done.stderr
    assert ("newsgen.yaml:5: 'search' is on, but search needs the pagefind package: "
            "pip install 'newsgen[search]'") in done.stderr
    assert "Traceback" not in done.stderr
