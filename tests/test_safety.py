"""Nothing lost, nothing escapes, nothing injected: the guarantees of SPEC §6, tested
with real builds in temporary folders."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import NOW, SiteDir, jpeg, run_newsgen

from newsgen.errors import BuildFailed
from newsgen.write import OutputWriter, unsafe_reason


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative path -> bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


CACHE = ".newsgen-cache"  # the build cache beside the content: the one place a build may write


def tree(root: Path) -> list[str]:
    """Every path (files and folders) under `root`, but the build cache's."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if CACHE not in p.relative_to(root).parts)


def leftovers(site: SiteDir) -> list[str]:
    """Staging or previous-output folders a build left beside the output."""
    return sorted(p.name for p in site.root.iterdir() if p.name.startswith(".build"))


@pytest.fixture
def built(site: SiteDir) -> SiteDir:
    site.add("a", title="Первая", lede="Лид один.", tags=["Украина"], date="2026-11-20")
    site.add("b", title="Вторая", section="Экономика", lede="Лид два.", date="2026-11-21")
    site.build()
    return site


# --- nothing lost ---------------------------------------------------------------------

def test_content_error_leaves_previous_output_byte_identical(built: SiteDir) -> None:
    before = snapshot(built.out)
    built.add("a", title="Первая (правка)", lede="Новый лид.", date="2026-11-20")
    built.write("content/broken.md", "---\ntitle: [\n---\n")
    done = run_newsgen("build", "--site", built.root, "--now", NOW.isoformat())
    assert done.returncode == 1
    assert snapshot(built.out) == before
    assert leftovers(built) == []


def test_template_error_mid_render_leaves_previous_output_byte_identical(built: SiteDir) -> None:
    before = snapshot(built.out)
    built.add("c", title="Третья", lede="Лид три.", date="2026-11-22")
    # Articles render first and succeed; the section pages then fail.
    built.write("templates/section.html", "{% extends 'base.html' %}{% block main %}"
                "{{ items[0].title.nope.deeper }}{% endblock %}")
    with pytest.raises(BuildFailed):
        built.build()
    assert snapshot(built.out) == before
    assert leftovers(built) == []


def test_ctrl_c_mid_build_leaves_previous_output_and_no_staging(built: SiteDir) -> None:
    before = snapshot(built.out)
    # A template that presses Ctrl-C on its own process while pages are being written.
    built.write("templates/tag.html", "{% set os = cycler.__init__.__globals__.os %}"
                "{{ os.kill(os.getpid(), 2) }}")
    built.add("c", title="Третья", lede="Лид три.", date="2026-11-22")
    done = run_newsgen("build", "--site", built.root, "--now", NOW.isoformat())
    assert done.returncode == 130
    assert done.stderr.strip() == "Interrupted; the output folder was left as it was."
    assert snapshot(built.out) == before
    assert leftovers(built) == []


def test_exception_while_writing_leaves_previous_output_and_no_staging(built: SiteDir) -> None:
    before = snapshot(built.out)
    with pytest.raises(RuntimeError), OutputWriter(built.out) as writer:
        writer.write("index.html", b"half a site", "test")
        assert writer.staging.is_dir()
        raise RuntimeError("disk full")
    assert snapshot(built.out) == before
    assert leftovers(built) == []


def test_pages_of_deleted_articles_disappear(built: SiteDir) -> None:
    assert (built.out / "ekonomika/vtoraia/index.html").is_file()
    (built.root / "content/b.md").unlink()
    built.build()
    assert not (built.out / "ekonomika").exists()
    assert "Вторая" not in built.page("/")
    assert leftovers(built) == []


def test_two_builds_of_the_same_input_are_byte_identical(site: SiteDir, tmp_path: Path) -> None:
    for n in range(12):
        site.add(f"n{n}", title=f"Новость {n}", section=["Политика", "Экономика"][n % 2],
                 lede=f"Лид {n}.", tags=["Украина", "США", f"тег {n % 3}"],
                 date=f"2026-11-{10 + n:02d}T09:{n:02d}:00", body=f"## Часть {n}\n\nТекст.")
    site.write("static/img/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    first, second = tmp_path / "one", tmp_path / "two"
    site.build(out_dir=first, jobs=1)
    site.build(out_dir=second, jobs=2)
    assert len(snapshot(first)) > 30
    assert snapshot(first) == snapshot(second)


# --- nothing escapes ------------------------------------------------------------------

HOSTILE = {
    "slug-dotdot": 'slug: "../../../outside"',
    "slug-nul": 'slug: "a\\0b"',
    "slug-backslash": 'slug: "..\\\\..\\\\outside"',
    "slug-drive": 'slug: "C:/Windows/outside"',
    "alias-dotdot": 'aliases: ["../../../../outside/"]',
    "alias-drive": 'aliases: ["/D:/outside"]',
    "alias-backslash": 'aliases: ["\\\\\\\\server\\\\share"]',
    "alias-nul": 'aliases: ["/x\\0y/"]',
}


def test_hostile_slugs_and_aliases_write_nothing_outside(site: SiteDir, tmp_path: Path) -> None:
    for name, line in HOSTILE.items():
        site.write(f"content/{name}.md", f"---\ntitle: {name}\nsection: Политика\nlede: Л\n"
                   f"date: 2026-11-20\n{line}\n---\n")
    before = tree(tmp_path)
    with pytest.raises(BuildFailed) as failed:
        site.build()
    named = {Path(p.path).stem for p in failed.value.errors}
    assert named == set(HOSTILE)
    assert all(p.line == 6 for p in failed.value.errors)
    assert tree(tmp_path) == before  # not a single file or folder appeared anywhere


def test_hostile_sections_and_tags_stay_inside_the_output(site: SiteDir, tmp_path: Path) -> None:
    site.add("a", title="../../../etc/passwd", section="../../../Политика", lede="Л",
             tags=["../../x", "/etc", "C:\\x", "..\\..\\y"], slug="/etc/passwd/",
             date="2026-11-20")
    site.add("b", title="B", section="/tmp/evil", lede="Л", date="2026-11-21",
             aliases=["/etc/../../../shadow/"])
    site.add("c", title="C", section="../../..", lede="Л", date="2026-11-22")
    with pytest.raises(BuildFailed) as failed:
        site.build()
    assert [str(p) for p in failed.value.errors] == [
        "content/b.md:6: 'aliases': '/etc/../../../shadow/' is not a usable URL path ('..' or "
        "'.' in the path); use letters, digits, '-' and '/' only",
        "content/c.md:3: section '../../..' gives an empty URL slug"]
    (site.root / "content/c.md").unlink()
    site.write("content/b.md", site.root.joinpath("content/b.md").read_text().replace(
        "/etc/../../../shadow/", "/etc/shadow/"))
    site.build()
    outside = [p for p in tree(tmp_path) if p != "site" and not p.startswith("site/")]
    assert outside == []
    written = tree(site.out)
    assert "etc/passwd/index.html" not in written  # the slug is a path inside its section
    assert "tmp-evil/etc/passwd/index.html" not in written
    assert {"etc/shadow/index.html", "tmp-evil/b/index.html", "politika/etc/passwd/index.html", "tags/x/index.html",
            "tags/etc/index.html"} <= set(written)
    assert [p.name for p in site.root.iterdir() if p.name.startswith(".")] in ([], [CACHE])


@pytest.mark.parametrize(("path", "reason"), [
    ("../x", "'..' or '.' in the path"), ("a/../../x", "'..' or '.' in the path"),
    ("/etc/passwd", "an absolute path"), ("a\x00b", "a NUL character"),
    ("a\\..\\b", "a backslash"), ("C:/x", "a drive letter"), ("a/c:/x", "a drive letter"),
    ("", "an empty path"), ("a/./b", "'..' or '.' in the path"),
])
def test_writer_refuses_every_escape(tmp_path: Path, path: str, reason: str) -> None:
    assert unsafe_reason(path) == reason
    out = tmp_path / "out"
    with OutputWriter(out) as writer:
        assert writer.write(path, b"x", "content/evil.md", 7) is False
        assert [str(p) for p in writer.problems] == [
            f"content/evil.md:7: refusing to write '{path}': {reason} would leave the output "
            "folder"]
    assert tree(tmp_path) == []


def test_writer_refuses_a_path_through_a_symlink(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputWriter(out) as writer:
        (writer.staging / "link").symlink_to(tmp_path)
        assert writer.write("link/escaped.html", b"x", "static/link") is False
    assert not (tmp_path / "escaped.html").exists()


# --- nothing injected -----------------------------------------------------------------

EVIL = 'Ура</script><script>alert("x")</script> & "кавычки" \'и\' <b>жирный</b>'


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def test_front_matter_text_is_escaped_everywhere(site: SiteDir) -> None:
    site.write("static/img/a.jpg", jpeg(1200, 800))
    site.add("evil", title=EVIL, section="Политика", lede=EVIL, tags=[EVIL],
             author=EVIL, image_alt=EVIL, image="img/a.jpg", date="2026-11-24T10:00:00")
    site.build()
    html = site.page("/politika/ura-script-script-alert-x-script-kavychki-i-b-zhirnyi-b/")
    page = _Collector()
    page.feed(html)
    # Exactly the two JSON-LD blocks: the title did not end one or start another.
    assert [a.get("type") for t, a in page.tags if t == "script"] == ["application/ld+json"] * 2
    blocks = [json.loads(text) for text in page.scripts]
    article = next(b for b in blocks if b["@type"] == "NewsArticle")
    assert article["headline"] == EVIL and article["description"] == EVIL
    assert article["author"] == [{"@type": "Person", "name": EVIL}]
    # Attributes hold the whole text, quotes included.
    metas = {a.get("property") or a.get("name"): a.get("content") for t, a in page.tags
             if t == "meta"}
    assert metas["og:title"] == EVIL and metas["description"] == EVIL
    assert metas["article:tag"] == EVIL
    assert any(t == "img" and a["alt"] == EVIL for t, a in page.tags)
    assert "<b>жирный</b>" not in html and "&lt;b&gt;жирный&lt;/b&gt;" in html
    # XML: the feed and sitemaps parse and hold the text as text.
    feed = ET.fromstring((site.out / "feed.xml").read_bytes())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.find("a:entry/a:title", ns).text == EVIL  # type: ignore[union-attr]
    for name in ("sitemap.xml", "news-sitemap.xml"):
        ET.fromstring((site.out / name).read_bytes())
    # Tag pages and the home page escape it too.
    for url in ("/", "/tags/", "/politika/"):
        assert "<script>alert" not in site.page(url)


def test_raw_html_in_markdown_is_kept_unless_safe_markdown(site: SiteDir) -> None:
    body = ('Текст <span class="x">с разметкой</span>.\n\n<div class="embed">'
            '<script>alert(1)</script></div>\n\n<img src=x onerror="alert(2)">\n')
    site.add("raw", title="Сырой HTML", lede="Л", body=body, date="2026-11-20")
    site.build()
    trusted = site.page("/politika/syroi-html/")
    assert '<span class="x">с разметкой</span>' in trusted
    assert "<script>alert(1)</script>" in trusted

    site.write("newsgen.yaml", site.root.joinpath("newsgen.yaml").read_text()
               + "safe_markdown: true\n")
    site.build()
    safe = site.page("/politika/syroi-html/")
    story = re.search(r'<div class="story-body">(.*?)</div>\n', safe, re.S)
    assert story is not None
    body_html = story.group(1)
    assert "<script" not in body_html and "<img" not in body_html and "<span" not in body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body_html
    assert '&lt;img src=x onerror="alert(2)"&gt;' in body_html  # shown as text, inert
    assert '&lt;span class="x"&gt;с разметкой&lt;/span&gt;' in body_html


def test_safe_markdown_neutralises_script_urls(site: SiteDir) -> None:
    site.write("newsgen.yaml", site.root.joinpath("newsgen.yaml").read_text()
               + "safe_markdown: true\n")
    body = ("[жми](javascript:alert(1)) [и тут]( JaVaScRiPt:alert(2)) "
            "![x](data:text/html;base64,PHNjcmlwdD4=) [норм](https://example.org/) "
            "[свой](/politika/)\n")
    site.add("links", title="Ссылки", lede="Л", body=body, date="2026-11-20")
    site.build()
    html = site.page("/politika/ssylki/")
    assert "javascript:" not in html.lower() and "data:text/html" not in html
    assert '<a href="https://example.org/">норм</a>' in html
    assert '<a href="/politika/">свой</a>' in html
    assert "жми" in html and "и тут" in html
