"""`newsgen check`: content and every internal link and anchor, without publishing."""

from __future__ import annotations

from pathlib import Path

from conftest import NOW, SiteDir, run_newsgen

from newsgen.links import find_broken_links, scan_page
from newsgen.urls import path_to_url

GOOD_BODY = """## Первая часть

Смотрите [другую новость](/politika/drugaia/) и [раздел](../).

![Логотип](/img/logo.svg)

[К началу](#pervaia-chast), [внешняя](https://example.com/nope/), [почта](mailto:a@b.c).
"""


def check(site: SiteDir, *extra: str) -> tuple[int, list[str], str]:
    done = run_newsgen("check", "--site", site.root, "--now", NOW.isoformat(), *extra)
    assert "Traceback" not in done.stderr
    return done.returncode, done.stderr.splitlines(), done.stdout


def good_site(site: SiteDir) -> None:
    site.write("static/img/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    site.add("main", title="Главная новость", lede="Лид.", date="2026-11-20", body=GOOD_BODY)
    site.add("other", title="Другая", lede="Лид.", date="2026-11-21",
             body="[Назад](/politika/glavnaia-novost/#pervaia-chast)")


def test_a_sound_site_passes_and_nothing_is_published(site: SiteDir) -> None:
    good_site(site)
    status, errors, out = check(site)
    assert (status, errors) == (0, [])
    assert out.startswith("Checked ") and out.rstrip().endswith("every internal link resolves.")
    assert not site.out.exists()


def test_check_leaves_an_existing_build_alone(site: SiteDir) -> None:
    good_site(site)
    site.build()
    before = {p: p.read_bytes() for p in site.out.rglob("*") if p.is_file()}
    site.add("new", title="Новая", lede="Лид.", date="2026-11-22", body="[x](/nowhere/)")
    status, _, _ = check(site)
    assert status == 1
    assert {p: p.read_bytes() for p in site.out.rglob("*") if p.is_file()} == before


def test_broken_links_are_named_by_their_markdown_line(site: SiteDir) -> None:
    good_site(site)
    site.add("broken", title="Сломанная", lede="Лид.", date="2026-11-23", body=(
        "Первый абзац.\n\n"
        "[Нет такой](/politika/net-takoi/) и [есть](/politika/drugaia/).\n\n"
        "![Нет картинки](/img/missing.bmp)\n\n"
        "[Нет якоря](/politika/drugaia/#nigde) и [свой якорь](#tozhe-net).\n\n"
        "[Ссылка-сноска][1]\n\n"
        "[1]: ../../ekonomika/\n"))
    status, errors, _ = check(site)
    assert status == 1
    assert errors == [
        "content/broken.md:10: broken link '/politika/net-takoi/': no page or file of the site "
        "has that URL",
        "content/broken.md:12: broken link '/img/missing.bmp': no page or file of the site has "
        "that URL",
        "content/broken.md:14: broken link '#tozhe-net': the page /politika/slomannaia/ has no "
        "element with id 'tozhe-net'",
        "content/broken.md:14: broken link '/politika/drugaia/#nigde': the page "
        "/politika/drugaia/ has no element with id 'nigde'",
        "content/broken.md:18: broken link '../../ekonomika/': no page or file of the site has "
        "that URL",
        "Check failed: 5 broken links.",
    ]


def test_a_broken_link_in_a_template_is_named_once_by_page(site: SiteDir) -> None:
    good_site(site)
    base = (Path(__file__).parent.parent / "src/newsgen/theme/templates/base.html").read_text()
    site.write("templates/base.html", base.replace(
        '<footer class="site-footer">', '<a href="/o-nas/">О нас</a>\n<footer class="site-footer">'))
    status, errors, _ = check(site)
    assert status == 1
    assert len(errors) == 2 and errors[1] == "Check failed: 1 broken link."
    # Named on the first page in URL order (the archive's), and counted on the others.
    assert errors[0].startswith("/2026/11/20/: broken link '/o-nas/' in a template: no page "
                                "or file of the site has that URL (and on ")


def test_content_errors_fail_the_check_too(site: SiteDir) -> None:
    good_site(site)
    site.write("content/bad.md", "---\ntitle: X\n---\n")
    status, errors, _ = check(site)
    assert status == 1
    assert errors == ["content/bad.md:1: missing required keys 'section' and 'lede'; every "
                      "article needs a title, a section and a lede", "Check failed: 1 error."]


def test_links_are_checked_under_a_base_url_path(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "index.html").write_text(
        '<a href="/news/a/">ok</a>\n<a href="/a/">no prefix</a>\n'
        '<a href="https://x.org/news/a/#top">abs</a>\n<a href="https://x.org/news/b/">gone</a>\n'
        '<img srcset="/news/a/x.png 1x, /news/a/y.png 2x">\n<a href="//cdn.example/x">cdn</a>\n')
    (out / "a/index.html").write_text('<h1 id="top">A</h1><a href="../">up</a>')
    (out / "a/x.png").write_bytes(b"png")
    broken = [(b.page, b.url, b.line, b.reason)
              for b in find_broken_links(out, "https://x.org/news/")]
    assert broken == [
        ("index.html", "/a/", 2, "it is outside the site's base URL path /news/"),
        ("index.html", "https://x.org/news/b/", 4, "no page or file of the site has that URL"),
        ("index.html", "/news/a/y.png", 5, "no page or file of the site has that URL"),
    ]


def test_scan_page_reads_links_and_ids() -> None:
    scan = scan_page('<p id="a"><a name="b" href="x.html">x</a><link rel="preconnect" '
                     'href="https://cdn"><img src="i.png"></p>')
    assert [link.url for link in scan.links] == ["x.html", "i.png"]
    assert scan.ids == {"a", "b"}
    assert path_to_url("a/b/index.html") == "/a/b/" and path_to_url("index.html") == "/"
    assert path_to_url("404.html") == "/404.html"


def test_check_leaves_the_site_folders_as_they_were(site: SiteDir) -> None:
    good_site(site)

    def snapshot() -> dict[str, tuple[bytes, int]]:
        return {p.relative_to(site.root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
                for p in sorted(site.root.rglob("*"))
                if p.is_file() and ".newsgen-cache" not in p.relative_to(site.root).parts}

    before = snapshot()
    assert check(site)[0] == 0
    assert snapshot() == before
    assert sorted(p.name for p in site.root.iterdir()) == sorted(
        ["content", "newsgen.yaml", "static", ".newsgen-cache"])
