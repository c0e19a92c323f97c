"""The build cache never shows a stale page: after every kind of change, a build that uses
the cache gives the same bytes as a build that does not."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import NOW, SiteDir, next_release
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from newsgen.build import BuildOptions, build_site
from newsgen.cache import CACHE_DIR, BuildCache
from newsgen.changes import ChangeSet
from newsgen.errors import BuildFailed


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


class Twins:
    """One site built twice after each change: into `cached` with the site's cache (kept
    warm in one `BuildCache`, or read from disk), and into `fresh` with an empty cache."""

    def __init__(self, site: SiteDir, tmp: Path, warm: bool, *, as_serve: bool = False) -> None:
        """`as_serve`: the warm cache saves only now and then, as the dev server's does
        when edits pause, so that builds run on what was never saved."""
        self.site, self.tmp = site, tmp
        self.cached, self.fresh = tmp / "cached", tmp / "fresh"
        self.warm_cache = BuildCache(site.root, defer_writes=as_serve) if warm else None
        self.as_serve = as_serve
        self.rounds = 0
        self.deferred = 0  # builds that left pages for the next (`BuildOptions.defer`)

    def build(self, now: dt.datetime = NOW, changed: list[Path] | None = None
              ) -> dict[str, bytes]:
        """`changed`: the paths an edit touched, handed over as the dev server's watcher
        does (then the warm cache trusts them and its output folder)."""
        self.rounds += 1
        cache = self.warm_cache if self.warm_cache is not None else BuildCache(self.site.root)
        hints = (None if changed is None or self.warm_cache is None
                 else ChangeSet.of(self.site.root, map(str, changed)))
        options = BuildOptions(site_dir=self.site.root, out_dir=self.cached, now=now,
                               defer=self.as_serve)
        result = build_site(options, cache=cache, changed=hints)
        self.kind = result.kind
        if result.deferred:  # made right after, as the dev server does after the reload
            self.deferred += 1
            build_site(replace(options, defer=False), cache=cache,
                       changed=ChangeSet.of(self.site.root, []))
        if self.as_serve and self.rounds % 3 == 0:
            cache.flush()
        empty = BuildCache(self.site.root, directory=self.tmp / f"empty-{self.rounds}")
        build_site(BuildOptions(site_dir=self.site.root, out_dir=self.fresh, now=now), cache=empty)
        cached, fresh = tree(self.cached), tree(self.fresh)
        assert sorted(cached) == sorted(fresh)
        for path, data in fresh.items():
            assert cached[path] == data, path
        return cached


def newsroom(site: SiteDir) -> None:
    for n in range(12):
        site.add(f"{n:02d}", title=f"Новость номер {n}", section=["Политика", "Спорт"][n % 2],
                 lede=f"Лид {n}.", body=f"## Подзаголовок\n\nТекст {n} со *смыслом*.",
                 tags=[["Выборы"], ["Выборы", "Москва"], ["Футбол"]][n % 3],
                 date=f"2026-11-{10 + n:02d}T10:00:00", slug=f"novost-{n}")
    site.write("static/img/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")


CHANGES: dict[str, Callable[[SiteDir], object]] = {
    "article body": lambda s: s.add("03", title="Новость номер 3", section="Политика",
                                    lede="Лид 3.", body="Совсем другой текст.",
                                    tags=["Москва"], date="2026-11-13T10:00:00", slug="novost-3"),
    # The newest article: on the home page, in the feeds, related to others.
    "newest article's body": lambda s: s.add(
        "11", title="Новость номер 11", section="Спорт", lede="Лид 11.",
        body="## Итог\n\nСчёт изменился.", tags=["Выборы", "Москва"],
        date="2026-11-21T10:00:00", slug="novost-11"),
    "draft's body": lambda s: s.add("draft", title="Черновик", section="Спорт", lede="Лид.",
                                    body="Ещё не готово.", draft="true"),
    "draft's body again": lambda s: s.add("draft", title="Черновик", section="Спорт",
                                          lede="Лид.", body="Почти готово.", draft="true"),
    "bodies of two articles": lambda s: (
        s.add("00", title="Новость номер 0", section="Политика", lede="Лид 0.",
              body="Первая правка.", tags=["Выборы"], date="2026-11-10T10:00:00",
              slug="novost-0"),
        s.add("07", title="Новость номер 7", section="Спорт", lede="Лид 7.",
              body="Вторая правка.", tags=["Выборы", "Москва"], date="2026-11-17T10:00:00",
              slug="novost-7")),
    "article title and date": lambda s: s.add(
        "04", title="Новый заголовок", section="Спорт", lede="Лид 4.", body="Текст.",
        tags=["Выборы", "Москва"], date="2026-11-24T09:00:00", slug="novost-4"),
    "new article": lambda s: s.add("new", title="Свежая", section="Культура", lede="Новое.",
                                   tags=["Театр"], date="2026-11-25T08:00:00"),
    "deleted article": lambda s: (s.root / "content/05.md").unlink(),
    "template": lambda s: s.write(
        "templates/article.html",
        '{% extends "base.html" %}{% block main %}<h1>{{ article.title }}</h1>'
        "<p class=x>{{ article.lede }}</p><p class=k>{{ article.extra.kicker }}</p>"
        "{{ article.body_html|safe }}{% endblock %}\n"),
    "a front-matter key only templates read": lambda s: s.add(
        "03", title="Новость номер 3", section="Политика", lede="Лид 3.",
        body="Совсем другой текст.", tags=["Москва"], date="2026-11-13T10:00:00",
        slug="novost-3", kicker="Эксклюзив"),
    "partial template": lambda s: s.write(
        "templates/_cards.html", (Path(__file__).parents[1] / "src/newsgen/theme/templates/"
                                  "_cards.html").read_text().replace("kicker", "overline")),
    "config value": lambda s: s.write(
        "newsgen.yaml", "title: Другие новости\nbase_url: https://news.example.org/\n"
        "language: ru\ntimezone: Asia/Tokyo\nper_page: 3\n"),
    "static file": lambda s: s.write("static/img/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'>"
                                     "<rect/></svg>"),
    "static file added": lambda s: s.write("static/css/extra.css", "body { color: #222 }\n"),
    "static file and article body together": lambda s: (
        s.write("static/css/extra.css", "body { color: #333 }\n"),
        s.add("03", title="Новость номер 3", section="Политика", lede="Лид 3.",
              body="Текст и стиль.", tags=["Москва"], date="2026-11-13T10:00:00",
              slug="novost-3", kicker="Эксклюзив")),
    "static file deleted": lambda s: (s.root / "static/img/logo.svg").unlink(),
}


@pytest.mark.parametrize("warm", [False, True], ids=["from disk", "warm process"])
def test_every_kind_of_change_gives_the_same_bytes_as_a_build_without_cache(
        site: SiteDir, tmp_path: Path, warm: bool) -> None:
    newsroom(site)
    twins = Twins(site, tmp_path, warm)
    twins.build()
    for name, change in CHANGES.items():
        change(site)
        built = twins.build()
        if name == "deleted article":
            assert "politika/novost-5/index.html" not in built and "sport/novost-5/index.html" not in built
        if name == "article body":
            assert "Совсем другой текст.".encode() in built["politika/novost-3/index.html"]
        if name == "newest article's body":
            assert "Счёт изменился.".encode() in built["feed.xml"]
        if name == "a front-matter key only templates read":
            assert "<p class=k>Эксклюзив</p>".encode() in built["politika/novost-3/index.html"]
        if name == "template":
            assert b"<p class=x>" in built["politika/novost-3/index.html"]
        if name == "static file":
            assert b"<rect/>" in built["img/logo.svg"]
        if name == "static file and article body together":
            assert built["css/extra.css"] == b"body { color: #333 }\n"
        if name == "static file deleted":
            assert "img/logo.svg" not in built
    assert (site.root / CACHE_DIR).is_dir()


def test_a_deferred_build_leaves_the_later_listing_pages_to_the_next(site: SiteDir) -> None:
    """`defer` (the dev server's): a new article shifts every listing page; the first
    page is made at once, the others are left as they were, named in the result, and the
    next build makes them although nothing changed; then there is nothing to do."""
    site.write("newsgen.yaml", "title: T\nlanguage: ru\nper_page: 1\n")
    for day, title in ((20, "Первая"), (21, "Вторая")):
        site.add(f"p{day}", title=title, section="Политика", date=f"2026-11-{day}T10:00:00")
    site.build()
    site.add("p22", title="Третья", section="Политика", date="2026-11-22T10:00:00")
    deferred = site.build(defer=True)
    assert "politika/page/2/index.html" in deferred.deferred
    assert "Третья" in site.page("/politika/") and "Вторая" not in site.page("/politika/")
    assert "Первая" in site.page("/politika/page/2/")  # as the build before left it
    caught_up = site.build()
    assert caught_up.kind == "patch" and caught_up.deferred == ()
    assert "Вторая" in site.page("/politika/page/2/")
    assert "Первая" in site.page("/politika/page/3/")
    assert site.build().kind == "nothing"


def test_a_deferred_body_edit_leaves_the_feeds_to_the_next_build(site: SiteDir) -> None:
    """A body edit under `defer` makes the article's page at once; the feeds that carry
    the body (and the search index, on a site with search) are made by the next build."""
    site.add("p20", title="Первая", section="Политика", date="2026-11-20T10:00:00",
             body="Старый текст.")
    site.build()
    site.add("p20", title="Первая", section="Политика", date="2026-11-20T10:00:00",
             body="Новый текст.")
    deferred = site.build(defer=True)
    assert deferred.kind == "patch" and "feed.xml" in deferred.deferred
    assert "Новый текст." in site.page("/politika/pervaia/")
    assert "Старый текст." in site.page("/feed.xml")  # as the build before left it
    caught_up = site.build()
    assert caught_up.kind == "patch" and caught_up.deferred == ()
    assert "Новый текст." in site.page("/feed.xml")
    assert site.build().kind == "nothing"


def test_unchanged_pages_are_not_rewritten(site: SiteDir) -> None:
    """A deploy that syncs by modification time uploads only what changed."""
    newsroom(site)
    site.build()
    untouched = site.out / "sport/novost-1/index.html"
    edited = site.out / "politika/novost-2/index.html"
    before = untouched.stat().st_mtime_ns, edited.stat().st_mtime_ns
    site.add("02", title="Новость номер 2", section="Политика", lede="Лид 2.",
             body="Исправленный текст.", tags=["Футбол"], date="2026-11-12T10:00:00",
             slug="novost-2")
    site.build()
    assert untouched.stat().st_mtime_ns == before[0]
    assert edited.stat().st_mtime_ns != before[1]
    assert "Исправленный текст." in site.page("/politika/novost-2/")


def test_a_template_edit_makes_again_only_the_pages_that_use_it(site: SiteDir) -> None:
    newsroom(site)
    site.build()
    pages = {name: site.out / path for name, path in [
        ("tag", "tags/vybory/index.html"), ("article", "politika/novost-0/index.html"),
        ("section", "politika/index.html"), ("home", "index.html")]}
    before = {name: path.stat().st_mtime_ns for name, path in pages.items()}
    theme_tag = Path(__file__).parents[1] / "src/newsgen/theme/templates/tag.html"
    site.write("templates/tag.html", theme_tag.read_text(encoding="utf-8").replace(
        "<h1>{{ heading }}</h1>", "<h1 class=edited>{{ heading }}</h1>"))
    site.build()
    assert b"<h1 class=edited>" in pages["tag"].read_bytes()
    assert pages["tag"].stat().st_mtime_ns != before["tag"]
    for name in ("article", "section", "home"):
        assert pages[name].stat().st_mtime_ns == before[name], name


def test_pages_made_again_with_the_same_bytes_are_left_untouched(site: SiteDir) -> None:
    """A template edit that changes no page's bytes (a comment), as a new release of
    newsgen or a config edit may: every page is made again, no file is replaced, and a
    deploy that syncs changed files has nothing to copy."""
    newsroom(site)
    site.build()

    def files() -> dict[str, tuple[int, int]]:
        return {p.relative_to(site.out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
                for p in site.out.rglob("*") if p.is_file()}

    before = files()
    base = Path(__file__).parents[1] / "src/newsgen/theme/templates/base.html"
    site.write("templates/base.html", base.read_text(encoding="utf-8") + "{# a note #}")
    site.build(jobs=2)
    assert files() == before
    site.write("templates/base.html", base.read_text(encoding="utf-8").replace(
        '<main id="content">', '<main id="content" class="edited">'))
    site.build(jobs=2)
    after = files()
    article = "politika/novost-0/index.html"
    assert after[article] != before[article]
    assert 'class="edited"' in site.page("/politika/novost-0/")
    assert after["img/logo.svg"] == before["img/logo.svg"]


def test_a_page_changed_by_hand_in_the_output_is_built_again(site: SiteDir) -> None:
    newsroom(site)
    site.build()
    page = site.out / "politika/novost-0/index.html"
    good = page.read_bytes()
    page.write_bytes(b"defaced")
    (site.out / "tags/index.html").unlink()
    site.build()
    assert page.read_bytes() == good
    assert (site.out / "tags/index.html").is_file()


def test_a_failed_incremental_build_leaves_the_output_as_it_was(site: SiteDir) -> None:
    newsroom(site)
    site.build()
    before = tree(site.out)
    site.add("00", title="Новость номер 0", section="Политика", lede="Лид 0.",
             body="Новый текст.", slug="novost-0")
    site.write("content/broken.md", "---\ntitle: [unclosed\n---\nText\n")
    with pytest.raises(BuildFailed):
        site.build()
    assert tree(site.out) == before
    (site.root / "content/broken.md").unlink()
    site.build()
    assert "Новый текст." in site.page("/politika/novost-0/")


def test_damaged_or_half_written_cache_entries_are_ignored(site: SiteDir, tmp_path: Path) -> None:
    newsroom(site)
    site.build()
    reference = tree(site.out)
    cache = site.root / CACHE_DIR
    # What a crash mid-write leaves: truncated entries, an index cut short, a stray temp file.
    for path in sorted(p for p in cache.rglob("*") if p.is_file()):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    (cache / "bodies" / ".x.123.tmp").write_bytes(b"partial")
    shutil.rmtree(site.out)
    site.build()
    assert tree(site.out) == reference


@pytest.mark.parametrize("damaged", ["articles/*", "output-*.site.pickle", "output-*.pickle",
                                     "output-*.units.pickle"])
def test_a_body_edit_after_a_damaged_site_snapshot_is_still_right(
        site: SiteDir, tmp_path: Path, damaged: str) -> None:
    """An edit to a body alone is rebuilt from the last full build's site snapshot; a
    snapshot cut short by a crash is detected, and the build is right all the same."""
    newsroom(site)
    twins = Twins(site, tmp_path, warm=False)
    twins.build()
    for round_ in range(2):
        site.add("06", title="Новость номер 6", section="Политика", lede="Лид 6.",
                 body=f"Правка номер {round_}.", tags=["Выборы"],
                 date="2026-11-16T10:00:00", slug="novost-6")
        targets = sorted((site.root / CACHE_DIR).glob(damaged))
        assert targets
        for path in targets:
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 2])
        built = twins.build()
        assert f"Правка номер {round_}.".encode() in built["politika/novost-6/index.html"]


@pytest.mark.parametrize("damage", ["older whole", "change lost", "change of another"])
def test_an_output_records_units_saved_by_another_build_are_not_trusted(
        site: SiteDir, tmp_path: Path, damage: str) -> None:
    """A record's units are saved apart from the rest (a build with nothing to do reads
    only the rest), whole after a full build and as what changed after a patch; pieces of
    different savings never make one record."""
    newsroom(site)
    twins = Twins(site, tmp_path, warm=False)
    twins.build()
    cache = site.root / CACHE_DIR
    whole = next(cache.glob("output-*.units.pickle"))
    older = whole.read_bytes()
    changes: list[bytes] = []
    for round_ in range(2):
        site.add("06", title="Новость номер 6", section="Политика", lede="Лид 6.",
                 body=f"Правка {round_}.", tags=["Выборы"], date="2026-11-16T10:00:00",
                 slug="novost-6")
        twins.build()
        changes.append(next(cache.glob(f"output-*.units-{round_ + 1}.pickle")).read_bytes())
    assert whole.read_bytes() == older  # a patch saves what it changed, beside the whole
    if damage == "older whole":  # a template edit changes every page: saved whole again
        site.write("templates/base.html", (Path(__file__).parents[1] / "src/newsgen/theme/"
                   "templates/base.html").read_text(encoding="utf-8").replace(
                       "<main", "<main data-x"))
        twins.build()
        assert whole.read_bytes() != older
        whole.write_bytes(older)
    elif damage == "change lost":
        for change in cache.glob("output-*.units-*.pickle"):
            change.unlink()
    else:  # the first change saved in place of the second
        next(cache.glob("output-*.units-2.pickle")).write_bytes(changes[0])
    site.add("03", title="Новость номер 3", section="Спорт", lede="Лид 3.", body="Правка.",
             tags=["Футбол"], date="2026-11-13T10:00:00", slug="novost-3")
    assert "Правка." in twins.build()["sport/novost-3/index.html"].decode()


def test_bodies_missing_from_the_cache_are_made_again(site: SiteDir) -> None:
    """Someone cleans the cache's body files but not its index: nothing is shown empty."""
    newsroom(site)
    site.build()
    reference = tree(site.out)
    for body in (site.root / CACHE_DIR / "bodies").iterdir():
        body.unlink()
    site.add("01", title="Новость номер 1", section="Спорт", lede="Лид 1.", body="Правка.",
             tags=["Выборы", "Москва"], date="2026-11-11T10:00:00", slug="novost-1")
    site.build()
    assert "Правка." in site.page("/sport/novost-1/")
    assert "Текст 7" in site.page("/sport/novost-7/")
    assert set(tree(site.out)) == set(reference)


def test_the_cache_folder_can_be_deleted_at_any_time(site: SiteDir) -> None:
    newsroom(site)
    site.build()
    reference = tree(site.out)
    shutil.rmtree(site.root / CACHE_DIR)
    site.build()
    assert tree(site.out) == reference
    os.utime(site.root / "content/03.md")  # touched, not changed
    site.build()
    assert tree(site.out) == reference


def test_an_incremental_build_never_writes_through_a_link_in_the_output(site: SiteDir,
                                                                       tmp_path: Path) -> None:
    newsroom(site)
    site.build()
    outside = tmp_path / "outside"
    outside.mkdir()
    section = site.out / "politika"
    shutil.rmtree(section)
    section.symlink_to(outside, target_is_directory=True)
    site.add("00", title="Новость номер 0", section="Политика", lede="Лид 0.", body="Новое.",
             slug="novost-0")
    with pytest.raises(BuildFailed) as failed:
        site.build()
    assert any("outside the output folder" in str(p) for p in failed.value.problems)
    assert list(outside.iterdir()) == []


def test_time_alone_changes_what_depends_on_it(site: SiteDir, tmp_path: Path) -> None:
    """Nothing edited, but the clock moved: the news sitemap's 48 hours, Dzen's three
    days and an embargo."""
    import datetime as dt

    newsroom(site)
    site.add("later", title="Под эмбарго", section="Политика", lede="Позже.",
             date="2026-11-26T09:00:00")
    site.add("recent", title="Свежее", section="Спорт", lede="Вчера.", date="2026-11-24T20:00:00")
    site.write("newsgen.yaml", site.root.joinpath("newsgen.yaml").read_text("utf-8")
               + "feeds: {dzen: true}\n")
    site.build()
    assert "/sport/svezhee/" in site.page("/news-sitemap.xml")
    assert "/sport/svezhee/" in site.page("/feeds/dzen.xml")
    assert not (site.out / "politika/pod-embargo/index.html").exists()
    later = NOW + dt.timedelta(days=3)
    result = site.build(now=later)
    fresh = tmp_path / "fresh"
    build_site(BuildOptions(site_dir=site.root, out_dir=fresh, now=later),
               cache=BuildCache(site.root, directory=tmp_path / "empty"))
    assert tree(site.out) == tree(fresh)
    assert "/sport/svezhee/" not in site.page("/news-sitemap.xml")
    assert "/sport/svezhee/" not in site.page("/feeds/dzen.xml")
    assert "/politika/pod-embargo/" in site.page("/feeds/dzen.xml")
    assert (site.out / "politika/pod-embargo/index.html").is_file()
    again = site.build(now=later)
    assert again.files == result.files and again.warnings == result.warnings


def test_pruning_old_bodies_survives_folders_of_an_older_cache_layout(site: SiteDir) -> None:
    """Every fiftieth build drops bodies no article uses any more; a folder left there by
    an older layout of the cache is removed too, not a reason to fail the build."""
    newsroom(site)
    site.build()
    bodies = site.root / CACHE_DIR / "bodies"
    (bodies / "ab").mkdir()
    (bodies / "ab" / "old-body").write_text("stale")
    (bodies / ("0" * 40)).write_bytes(b"an orphaned pack")
    (bodies / ".count").write_text("49")  # the next build is the one that prunes
    site.add("01", title="Новость номер 1", section="Спорт", lede="Лид 1.", body="Правка.",
             tags=["Выборы", "Москва"], date="2026-11-11T10:00:00", slug="novost-1")
    site.build()
    assert "Правка." in site.page("/sport/novost-1/")
    assert not (bodies / "ab").exists() and not (bodies / ("0" * 40)).exists()


# -- any sequence of edits ------------------------------------------------------------------

TITLES = ["Выборы", "Бюджет", "Матч", "Погода", "Выборы"]  # a headline that recurs
EDIT = st.one_of(
    st.tuples(st.just("body"), st.integers(0, 7), st.sampled_from(
        ["Новый текст.", "## Итог\n\nСчёт *изменился*.", "Текст со [ссылкой](/politika/).",
         "| a | b |\n| - | - |\n| 1 | 2 |", "https://t.me/rian_ru/5\n\nhttps://youtu.be/short"])),
    st.tuples(st.just("title"), st.integers(0, 7), st.sampled_from(TITLES)),
    st.tuples(st.just("tags"), st.integers(0, 7), st.sampled_from(
        [[], ["Выборы"], ["Выборы", "Москва"], ["Футбол", "Москва"]])),
    st.tuples(st.just("date"), st.integers(0, 7), st.integers(1, 24)),
    st.tuples(st.just("lede"), st.integers(0, 7), st.sampled_from(["Новый лид.", "Лид <b>&</b>."])),
    st.tuples(st.just("section"), st.integers(0, 7), st.sampled_from(["Политика", "Спорт", "Культура"])),
    st.tuples(st.just("slug"), st.integers(0, 7), st.sampled_from(["", "svoi-adres"])),
    st.tuples(st.just("byline"), st.integers(0, 7), st.sampled_from(
        [{}, {"author": "Иван Петров"}, {"correction": "Исправлена дата.",
                                         "updated": "2026-11-24T12:00:00"},
         {"image": "/img/x.jpg", "image_alt": "Фото"},
         {"image": "photo.png", "image_alt": "Фото", "image_focus": "[0.2, 0.5]"}])),
    st.tuples(st.just("expires"), st.integers(0, 7), st.sampled_from(["", "2026-11-01", "2026-11-24T18:00:00"])),
    st.tuples(st.just("move"), st.integers(0, 7), st.sampled_from(["archive", "."])),
    st.tuples(st.just("new"), st.integers(8, 9), st.integers(1, 24)),
    st.tuples(st.just("draft"), st.integers(0, 7), st.booleans()),
    st.tuples(st.just("delete"), st.integers(0, 7), st.none()),
    st.tuples(st.just("static"), st.none(), st.sampled_from(["a", "b", None])),
    st.tuples(st.just("picture"), st.none(), st.sampled_from([(1600, 900), (640, 480)])),
    st.tuples(st.just("body"), st.integers(0, 7), st.just("Фото:\n\n![Схема](/img/x.jpg)")),
    st.tuples(st.just("template"), st.none(), st.sampled_from(["", "<p class=t>{{ article.title }}</p>"])),
)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(EDIT, min_size=1, max_size=6),
       mode=st.sampled_from(["from disk", "warm", "watched"]), search=st.booleans())
def test_any_sequence_of_edits_gives_the_same_bytes_as_a_build_without_cache(
        edits: list[tuple[str, object, object]], mode: str, search: bool) -> None:
    """Bodies (embeds among them), headlines, ledes, tags, dates, sections, slugs, bylines,
    corrections, images, drafts, expiries, new, deleted and moved files, static files and templates, in
    any order, on every kind of output (author pages, archives and the search index
    among them): after each, the cached build (from the cache on disk, in a warm process, or
    in a warm process told what changed, as `serve` is) equals a build without cache, byte
    for byte; and every content edit is a patch, not a full build."""
    warm = mode != "from disk"
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        site = SiteDir(tmp / "site")
        # With search, the index is an output like the others (authors' pages and the
        # archive come with the bylines and dates the edits change); without, faster.
        site.write("newsgen.yaml", "title: Тестовые новости\nbase_url: https://news.example.org/\n"
                   f"language: ru\ntimezone: Europe/Moscow\nper_page: 3\nsearch: {search}\n"
                   "feeds: {yandex_news: true, dzen: true}\n"
                   .replace("True", "true").replace("False", "false"))
        def fresh(n: int, day: int) -> dict[str, object]:
            return {"title": TITLES[n % 4] + f" {n}", "body": f"Текст {n}.",
                    "tags": [["Выборы"], ["Москва"]][n % 2], "day": day, "draft": False,
                    "lede": f"Лид {n}.", "section": ["Политика", "Спорт"][n % 2], "slug": "",
                    "byline": {}, "expires": "", "folder": "."}

        state = {n: fresh(n, 10 + n) for n in range(8)}

        def path(n: int) -> Path:
            return site.root / "content" / str(state[n]["folder"]) / f"{n:02d}.md"

        def write(n: int) -> None:
            a = state[n]
            front: dict[str, object] = dict(a["byline"])  # type: ignore[call-overload]
            if a["slug"]:
                front["slug"] = f"{a['slug']}-{n}"
            if a["expires"]:
                front["expires"] = a["expires"]
            site.add(str(path(n).relative_to(site.root / "content").with_suffix("")),
                     title=a["title"], section=a["section"], lede=a["lede"], body=a["body"],
                     tags=a["tags"], date=f"2026-11-{a['day']:02d}T10:00:00",
                     draft=str(a["draft"]).lower(), **front)

        def picture(size: tuple[int, int]) -> None:
            buffer = io.BytesIO()
            Image.new("RGB", size, (size[0] % 256, 90, 30)).save(buffer, "JPEG")
            site.write("static/img/x.jpg", buffer.getvalue())

        picture((1200, 800))
        for n in state:
            write(n)
        Image.new("RGB", (300, 200), (0, 0, 255)).save(site.root / "content" / "photo.png")
        (site.root / "content" / "archive").mkdir(exist_ok=True)
        Image.new("RGB", (300, 200), (0, 255, 0)).save(site.root / "content/archive/photo.png")
        twins = Twins(site, tmp, warm, as_serve=mode == "watched")
        twins.build()
        for kind, n, value in edits:
            touched = [site.root / "static/img/x.svg", site.root / "templates/article.html",
                       site.root / "static/img/x.jpg"]
            touched += [path(k) for k in state]
            if kind == "static":
                target = site.root / "static/img/x.svg"
                if value is None:
                    target.unlink(missing_ok=True)
                else:
                    site.write("static/img/x.svg", f"<svg xmlns='http://www.w3.org/2000/svg'>{value}</svg>")
            elif kind == "picture":
                assert isinstance(value, tuple)
                picture(value)
            elif kind == "template":
                target = site.root / "templates/article.html"
                if not value:
                    target.unlink(missing_ok=True)
                else:
                    site.write("templates/article.html", '{% extends "base.html" %}{% block main %}'
                               f"{value}{{{{ article.body_html|safe }}}}{{% endblock %}}\n")
            elif kind == "delete":
                assert isinstance(n, int)
                if n in state:
                    path(n).unlink(missing_ok=True)
                    del state[n]
            elif kind == "new":
                assert isinstance(n, int) and isinstance(value, int)
                state[n] = fresh(n, value)
                write(n)
            elif kind == "move":
                assert isinstance(n, int)
                if n in state:
                    before = path(n)
                    state[n]["folder"] = value
                    path(n).parent.mkdir(parents=True, exist_ok=True)
                    before.rename(path(n))
                    touched.append(before)
            else:
                assert isinstance(n, int)
                if n not in state:
                    continue
                field = {"date": "day"}.get(kind, kind)
                # A headline recurs, but each article keeps a URL of its own (a clash is
                # an error, tested elsewhere).
                state[n][field] = f"{value} {n}" if kind == "title" else value
                write(n)
            touched += [path(k) for k in state]  # a new file, or a moved one's new place
            twins.build(changed=touched if mode == "watched" else None)
            if kind not in ("static", "template", "picture"):
                assert twins.kind in ("patch", "nothing"), (kind, n, value)


def _body_packs(site: SiteDir) -> set[str]:
    return {p.name for p in (site.root / CACHE_DIR / "bodies").iterdir()
            if not p.name.startswith(".")}


def test_a_release_that_leaves_the_markdown_code_alone_converts_no_body_again(
        site: SiteDir, tmp_path: Path) -> None:
    for number in range(3):
        site.add(f"a{number}", title=f"Статья {number}", body=f"## Подзаголовок\n\nТекст {number}.")
    release = tmp_path / "release"
    package, build = next_release(site, release)
    first, packs = build(), _body_packs(site)
    assert packs
    # The next release changes the pages' code, then how front matter is read: every
    # file is parsed again, no body is converted again (Python-Markdown, made unimportable
    # here, is not even loaded), and the site is the same.
    unimportable = release / "markdown"
    unimportable.mkdir()
    (unimportable / "__init__.py").write_text("raise ImportError('converted again')\n")
    for module in ("site.py", "content.py"):
        with (package / module).open("a", encoding="utf-8") as code:
            code.write("\n# changed in the next release\n")
        assert build() == first
        assert _body_packs(site) == packs
    shutil.rmtree(unimportable)
    # A release whose Markdown code changed converts every body again.
    with (package / "markup.py").open("a", encoding="utf-8") as code:
        code.write("\n# changed in the next release\n")
    assert build() == first
    assert len(_body_packs(site) - packs) == 1  # the three bodies, converted together
    packs = _body_packs(site)
    # So does another Python-Markdown: its installed metadata says which it is (the same
    # code, here, with the next version's metadata found first on the path).
    installed = Path(str(importlib.metadata.distribution("markdown").locate_file(""))) / (
        next(name for name in importlib.metadata.distribution("markdown").files or ()
             if name.name == "METADATA").parent)
    metadata = release / "markdown-99.0.dist-info"
    shutil.copytree(installed, metadata)
    text = (metadata / "METADATA").read_text(encoding="utf-8")
    (metadata / "METADATA").write_text(re.sub(r"(?m)^Version: .*$", "Version: 99.0", text),
                                       encoding="utf-8")
    assert build() == first
    assert len(_body_packs(site) - packs) == 1


def test_the_library_versions_in_the_cache_keys_are_those_installed() -> None:
    from newsgen.keys import OUTPUT_LIBRARIES, _library_version

    for name in OUTPUT_LIBRARIES:
        assert _library_version(name) == f"{name}={importlib.metadata.version(name)}"
