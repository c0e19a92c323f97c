"""URLs that never break: aliases, and redirects for articles whose URL changed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SiteDir, nu_check, run_newsgen

from newsgen.errors import BuildFailed
from newsgen.redirects import MANIFEST_NAME

BASE = "https://news.example.org"


def follow(site: SiteDir, url: str, hops: int = 5) -> tuple[str, int]:
    """Open `url` in the output as a browser would, following meta-refresh redirects:
    the final URL and how many redirects it took."""
    for hop in range(hops):
        html = site.page(url)
        refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', html)
        if refresh is None:
            return url, hop
        target = refresh.group(1)
        assert target.startswith(BASE)
        # A redirect page points readers and crawlers alike to the new page.
        assert f'<link rel="canonical" href="{target}">' in html
        assert f'<a href="{target}">' in html
        url = target.removeprefix(BASE)
    raise AssertionError(f"more than {hops} redirects from {url}")


def manifest(site: SiteDir) -> dict[str, dict[str, str]]:
    return json.loads((site.out / MANIFEST_NAME).read_text(encoding="utf-8"))


def test_a_changed_title_redirects_from_the_old_url(site: SiteDir) -> None:
    site.add("mayor", title="Мэр представил плна", section="Политика")  # a typo
    site.add("other", title="Другая новость", section="Политика")
    first = site.build()
    assert first.redirects_added == 0
    old_url = "/politika/mer-predstavil-plna/"
    assert "<h1>Мэр представил плна</h1>" in site.page(old_url)

    site.add("mayor", title="Мэр представил план", section="Политика")  # the fix
    done = run_newsgen("build", "--site", site.root, "--now", "2026-11-25T12:00+03:00")
    assert done.returncode == 0, done.stderr
    assert "1 redirect added for a changed URL" in done.stdout
    new_url = "/politika/mer-predstavil-plan/"
    assert follow(site, old_url) == (new_url, 1)
    assert "<h1>Мэр представил план</h1>" in site.page(new_url)
    assert manifest(site)["moved"] == {old_url: "content/mayor.md"}
    # The redirect page is no article: not in the sitemap, not a duplicate in feeds.
    sitemap = (site.out / "sitemap.xml").read_text(encoding="utf-8")
    assert old_url not in sitemap and new_url in sitemap

    # Later builds carry the redirect forward without announcing it again.
    again = site.build()
    assert again.redirects_added == 0
    assert follow(site, old_url) == (new_url, 1)

    # A second rename: both old URLs lead straight to the newest one, no chain.
    site.add("mayor", title="Мэр Москвы представил план", section="Политика")
    third = site.build()
    assert third.redirects_added == 1
    newest = "/politika/mer-moskvy-predstavil-plan/"
    assert follow(site, old_url) == (newest, 1)
    assert follow(site, new_url) == (newest, 1)
    assert nu_check(site.out) == []


def test_a_real_page_wins_over_an_automatic_redirect(site: SiteDir) -> None:
    site.add("a", title="Первый заголовок", section="Политика")
    site.build()
    site.add("a", title="Новый заголовок", section="Политика")
    site.add("b", title="Первый заголовок", section="Политика", lede="Другая статья.")
    result = site.build()
    # The old URL now belongs to another article: it stays that article's page.
    assert result.redirects_added == 0
    assert follow(site, "/politika/pervyi-zagolovok/") == ("/politika/pervyi-zagolovok/", 0)
    assert "Другая статья." in site.page("/politika/pervyi-zagolovok/")

    # When that article goes, the redirect to the renamed one takes over.
    (site.root / "content/b.md").unlink()
    site.build()
    assert follow(site, "/politika/pervyi-zagolovok/") == ("/politika/novyi-zagolovok/", 1)


def test_renaming_back_leaves_no_redirect_loop(site: SiteDir) -> None:
    site.add("a", title="Заголовок", section="Политика")
    site.build()
    site.add("a", title="Другой заголовок", section="Политика")
    site.build()
    site.add("a", title="Заголовок", section="Политика")
    site.build()
    assert follow(site, "/politika/zagolovok/") == ("/politika/zagolovok/", 0)
    assert follow(site, "/politika/drugoi-zagolovok/") == ("/politika/zagolovok/", 1)
    assert manifest(site)["moved"] == {"/politika/drugoi-zagolovok/": "content/a.md"}


def test_an_article_back_from_draft_under_a_new_title_still_redirects(site: SiteDir) -> None:
    site.add("a", title="Черновой заголовок", section="Политика")
    site.build()
    site.add("a", title="Черновой заголовок", section="Политика", draft="true")
    site.build()
    # Unpublished: no page and no redirect to a page that is not there.
    assert not (site.out / "politika/chernovoi-zagolovok/index.html").exists()
    site.add("a", title="Окончательный заголовок", section="Политика")
    assert site.build().redirects_added == 1
    assert follow(site, "/politika/chernovoi-zagolovok/") == (
        "/politika/okonchatelnyi-zagolovok/", 1)


def test_aliases_redirect_and_never_replace_a_real_page(site: SiteDir) -> None:
    site.add("a", title="Статья", section="Политика",
             aliases=["/old/path/", "archive/2019/story.html"])
    site.add("b", title="Соседняя", section="Политика")
    site.build()
    assert follow(site, "/old/path/") == ("/politika/statia/", 1)
    assert follow(site, "/archive/2019/story.html") == ("/politika/statia/", 1)

    before = {p: p.read_bytes() for p in site.out.rglob("*") if p.is_file()}
    site.add("a", title="Статья", section="Политика", aliases=["/politika/sosedniaia/"])
    with pytest.raises(BuildFailed) as failed:
        site.build()
    messages = [str(p) for p in failed.value.errors]
    assert any("content/a.md" in m and "content/b.md" in m and "/politika/sosedniaia/" in m
               for m in messages), messages
    # The failed build left the previous output as it was.
    assert {p: p.read_bytes() for p in site.out.rglob("*") if p.is_file()} == before


def test_no_redirect_lands_outside_the_output(site: SiteDir, tmp_path: Path) -> None:
    site.add("a", title="Статья", section="Политика", aliases=["../../escape/"])
    with pytest.raises(BuildFailed):
        site.build()
    assert not (tmp_path / "escape").exists()

    # A tampered manifest cannot send an automatic redirect outside either.
    site.add("a", title="Статья", section="Политика")
    site.build()
    (site.out / MANIFEST_NAME).write_text(json.dumps({
        "format": 1,
        "pages": {"content/a.md": "/../../escape/"},
        "moved": {"/../../escape2/": "content/a.md", "/ok/": "content/a.md"},
    }), encoding="utf-8")
    result = site.build()
    assert not (tmp_path / "escape").exists() and not (tmp_path / "escape2").exists()
    assert follow(site, "/ok/") == ("/politika/statia/", 1)
    assert result.redirects_added == 0


def test_an_unreadable_manifest_starts_afresh(site: SiteDir) -> None:
    site.add("a", title="Статья", section="Политика")
    site.build()
    (site.out / MANIFEST_NAME).write_text("{not json", encoding="utf-8")
    site.build()
    assert manifest(site)["pages"] == {"content/a.md": "/politika/statia/"}
