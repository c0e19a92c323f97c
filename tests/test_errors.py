"""Every mistake an editor can make is reported as `path:line: message`, all of them in one
run, with exit status 1 and no traceback — through the real command line."""

from __future__ import annotations

import pytest
from conftest import NOW, SiteDir, jpeg, run_newsgen

GOOD = "---\ntitle: Хорошая новость\nsection: Политика\nlede: Всё в порядке.\ndate: 2026-11-20\n---\nТекст.\n"


def build_errors(site: SiteDir, *extra: str) -> tuple[int, list[str]]:
    """Exit status and the lines newsgen printed, without the closing summary line."""
    done = run_newsgen("build", "--site", site.root, "--now", NOW.isoformat(), *extra)
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("Build failed")]
    return done.returncode, lines


BAD_ARTICLES = {
    "unclosed-list": (
        "---\ntitle: Заголовок\nsection: Политика\nlede: [не закрыто\ndate: 2026-11-20\n---\n",
        "content/bad.md:4: invalid YAML in the front matter: the '[' list opened on line 4 is "
        "not closed with ']' (or an item in it needs quotes)"),
    "colon-in-value": (
        "---\ntitle: Заголовок\nsection: Политика\nlede: Итоги: что решено\n---\n",
        "content/bad.md:4: invalid YAML in the front matter: a value that contains ': ' must be "
        "put in quotes, e.g. title: \"Итоги: что решено\""),
    "unclosed-quote": (
        "---\ntitle: \"Заголовок\nsection: Политика\nlede: Лид\n---\n",
        "content/bad.md:2: invalid YAML in the front matter: the quote opened on line 2 is "
        "never closed"),
    "tab-indent": (
        "---\ntitle: Заголовок\nsection: Политика\n\tlede: Лид\n---\n",
        "content/bad.md:4: invalid YAML in the front matter: a tab is not allowed here; "
        "indent with spaces"),
    "no-closing-fence": (
        "---\ntitle: Заголовок\nsection: Политика\nlede: Лид\n\nТекст статьи.\n",
        "content/bad.md:1: the front matter opened on this line is never closed with a '---' "
        "line"),
    "no-front-matter": (
        "# Заголовок\n\nТекст статьи.\n",
        "content/bad.md:1: no front matter: the file must start with a '---' line, then title, "
        "section and lede, then another '---' line"),
    "front-matter-a-list": (
        "---\n- title\n- section\n---\n",
        "content/bad.md:2: the front matter must be keys and values (title: ..., section: ..., "
        "lede: ...), got a list"),
    "front-matter-a-string": (
        "---\nПросто текст\n---\n",
        "content/bad.md:2: the front matter must be keys and values (title: ..., section: ..., "
        "lede: ...), got the text 'Просто текст'"),
    "front-matter-empty": (
        "---\n---\nТекст.\n",
        "content/bad.md:1: the front matter is empty; write title, section and lede between "
        "the '---' lines"),
    "missing-title": (
        "---\nsection: Политика\nlede: Лид\n---\n",
        "content/bad.md:1: missing required key 'title'; every article needs a title, a "
        "section and a lede"),
    "missing-section": (
        "---\ntitle: Заголовок\nlede: Лид\n---\n",
        "content/bad.md:1: missing required key 'section'; every article needs a title, a "
        "section and a lede"),
    "missing-lede": (
        "---\ntitle: Заголовок\nsection: Политика\n---\n",
        "content/bad.md:1: missing required key 'lede'; every article needs a title, a section "
        "and a lede"),
    "empty-title": (
        "---\ntitle:\nsection: Политика\nlede: Лид\n---\n",
        "content/bad.md:2: 'title' is empty"),
    "typo-in-key": (
        "---\ntitle: Заголовок\nsection: Политика\nleed: Лид\n---\n",
        "content/bad.md:4: unknown key 'leed' — did you mean 'lede'?"),
    "key-twice": (
        "---\ntitle: Заголовок\nsection: Политика\nlede: Лид\ntitle: Другой\n---\n",
        "content/bad.md:5: 'title' is written twice (first on line 2); keep one"),
    "tags-a-mapping": (
        "---\ntitle: Заголовок\nsection: Политика\nlede: Лид\ntags:\n  Украина: да\n---\n",
        "content/bad.md:5: 'tags' must be a list of strings, got a mapping"),
    "date-not-a-date": (
        "---\ntitle: Заголовок\nsection: Политика\nlede: Лид\ndate: вчера\n---\n",
        "content/bad.md:5: 'date': 'вчера' is not a date; use YYYY-MM-DD or "
        "YYYY-MM-DDTHH:MM:SS+03:00"),
    "date-impossible": (
        "---\ntitle: Заголовок\nsection: Политика\nlede: Лид\ndate: 2026-02-30\n---\n",
        "content/bad.md:5: 'date': '2026-02-30' is not a real date (day is out of range for "
        "month)"),
    "draft-yes": (
        "---\ntitle: Заголовок\nsection: Политика\nlede: Лид\ndraft: \"yes\"\n---\n",
        "content/bad.md:5: 'draft' must be true or false, got the text 'yes'"),
    "unknown-template": (
        "---\ntitle: Заголовок\nsection: Политика\nlede: Лид\ndate: 2026-11-20\n"
        "template: artcle.html\n---\n",
        "content/bad.md:6: unknown template 'artcle.html' — did you mean 'article.html'?; the "
        "templates are: 404.html, archive_day.html, archive_month.html, archive_year.html, "
        "article.html, author.html, authors.html, base.html, home.html, redirect.html, "
        "search.html, section.html, tag.html, tags.html"),
}


@pytest.mark.parametrize("name", sorted(BAD_ARTICLES))
def test_each_bad_article_is_named_with_its_line(site: SiteDir, name: str) -> None:
    text, expected = BAD_ARTICLES[name]
    site.write("content/good.md", GOOD)
    site.write("content/bad.md", text)
    status, lines = build_errors(site)
    assert (status, lines) == (1, [expected])
    assert not site.out.exists()


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "content/bad.md: the file is empty; an article needs front matter (title, section, "
          "lede) between '---' lines"),
    (b"  \n\n", "content/bad.md: the file is empty; an article needs front matter (title, "
                "section, lede) between '---' lines"),
    (b"---\ntitle: \xcf\xf0\xe8\xe2\xe5\xf2\nsection: x\nlede: y\n---\n",
     "content/bad.md:2: not valid UTF-8 (byte 0xcf); save the file as UTF-8"),
], ids=["empty", "blank", "cp1251"])
def test_empty_and_non_utf8_files(site: SiteDir, data: bytes, expected: str) -> None:
    site.write("content/good.md", GOOD)
    site.write("content/bad.md", data)
    assert build_errors(site) == (1, [expected])


def test_bom_and_crlf_simply_work(site: SiteDir) -> None:
    site.write("content/windows.md", "\ufeff---\r\ntitle: Из Блокнота\r\nsection: Политика\r\n"
               "lede: Сохранено в Windows.\r\ndate: 2026-11-20\r\n---\r\n\r\n## Раздел\r\n\r\n"
               "Текст.\r\n".encode())
    status, lines = build_errors(site)
    assert (status, lines) == (0, [])
    html = site.page("/politika/iz-bloknota/")
    assert "<h1>Из Блокнота</h1>" in html and '<h2 id="razdel">Раздел</h2>' in html


def test_every_broken_file_is_named_in_one_run(site: SiteDir) -> None:
    site.write("content/good.md", GOOD)
    site.write("content/a/empty.md", "")
    site.write("content/b/typo.md", "---\ntitel: Заголовок\nsection: Политика\nlede: Лид\n---\n")
    site.write("content/c/yaml.md", "---\ntitle: Итоги: что решено\nsection: x\nlede: y\n---\n")
    site.write("content/d/draft.md", "---\ntitle: X\nsection: Y\nlede: Z\ndraft: maybe\n---\n")
    site.write("newsgen.yaml", "title: Новости\nbase_url: https://news.example.org/\n"
               "languag: ru\n")
    status, lines = build_errors(site)
    assert status == 1
    assert lines == [
        "content/a/empty.md: the file is empty; an article needs front matter (title, section, "
        "lede) between '---' lines",
        "content/b/typo.md:2: unknown key 'titel' — did you mean 'title'?",
        "content/c/yaml.md:2: invalid YAML in the front matter: a value that contains ': ' must "
        "be put in quotes, e.g. title: \"Итоги: что решено\"",
        "content/d/draft.md:5: 'draft' must be true or false, got the text 'maybe'",
        "newsgen.yaml:3: unknown key 'languag' — did you mean 'language'?",
    ]
    summary = run_newsgen("build", "--site", site.root).stderr.splitlines()[-1]
    assert summary.startswith("Build failed: 5 errors; ") and summary.endswith(
        "build was left as it was.")


@pytest.mark.parametrize(("config", "expected"), [
    ("titel: Новости\n", "newsgen.yaml:1: unknown key 'titel' — did you mean 'title'?"),
    ("title: Новости\nper_page: много\n",
     "newsgen.yaml:2: 'per_page' must be a whole number above 0, not 'много'"),
    ("title: Новости\nsafe_markdown: yes please\n",
     "newsgen.yaml:2: 'safe_markdown' must be true or false, not 'yes please'"),
    ("title: [Новости\nlanguage: ru\n", "newsgen.yaml:1: invalid YAML: the '[' list opened on "
     "line 1 is not closed with ']' (or an item in it needs quotes)"),
    ("title: Новости\nschema:\n  sections: [Политика]\n  requred: [author]\n",
     "newsgen.yaml:4: 'schema' has an unknown key 'requred' — did you mean 'required'?"),
], ids=["typo", "per-page", "bool", "yaml", "schema-typo"])
def test_config_errors_name_the_key_and_line(site: SiteDir, config: str, expected: str) -> None:
    site.write("newsgen.yaml", config)
    site.write("content/good.md", GOOD)
    assert build_errors(site) == (1, [expected])


def test_template_syntax_and_runtime_errors_name_template_and_line(site: SiteDir) -> None:
    site.write("content/good.md", GOOD)
    site.write("templates/article.html", '{% extends "base.html" %}\n{% block main %}\n'
               "<h1>{{ article.title }</h1>\n{% endblock %}\n")
    site.write("templates/section.html", '{% extends "base.html" %}\n{% block main %}\n'
               "<p>{{ heading }}</p>\n{{ items[0].title.no_such_thing.deeper }}\n"
               "{% endblock %}\n")
    site.write("templates/tag.html", '{% extends "base.html" %}\n{% block main %}\n'
               "{{ 1 // 0 }}\n{% endblock %}\n")
    site.write("content/tagged.md", GOOD.replace("date:", "tags: [Выборы]\ndate:").replace(
        "Хорошая", "Другая"))
    status, lines = build_errors(site)
    assert status == 1
    assert lines == [
        "templates/article.html:3: template error: unexpected '}'",
        "templates/section.html:4: template error: 'str object' has no attribute "
        "'no_such_thing'",
        "templates/tag.html:3: template error: integer division or modulo by zero",
    ]


def test_debug_after_the_command_shows_the_traceback(site: SiteDir) -> None:
    site.write("content/good.md", GOOD)
    blocker = site.write("not-a-folder", "a file where the output's parent should be")
    quiet = run_newsgen("build", "--site", site.root, "--out", blocker / "build")
    assert quiet.returncode == 1 and "Traceback" not in quiet.stderr
    assert "internal error" in quiet.stderr and "--debug" in quiet.stderr
    for args in (("--debug", "build"), ("build", "--debug")):
        loud = run_newsgen(*args, "--site", site.root, "--out", blocker / "build")
        assert loud.returncode == 1 and "Traceback (most recent call last)" in loud.stderr


def test_unsafe_slug_and_alias_are_errors_on_their_lines(site: SiteDir) -> None:
    site.write("content/good.md", GOOD)
    site.write("content/escape.md", "---\ntitle: X\nsection: Политика\nlede: Y\n"
               "slug: ../../../etc\ndate: 2026-11-20\n---\n")
    site.write("content/alias.md", "---\ntitle: Z\nsection: Политика\nlede: Y\n"
               "date: 2026-11-20\naliases:\n  - /old/ok/\n  - 'C:\\Windows\\x'\n---\n")
    status, lines = build_errors(site)
    assert status == 1
    assert lines == [
        "content/alias.md:8: 'aliases': 'C:\\Windows\\x' is not a usable URL path (a "
        "backslash); use letters, digits, '-' and '/' only",
        "content/escape.md:5: 'slug': '../../../etc' is not a usable URL path ('..' or '.' in "
        "the path); use letters, digits, '-' and '/' only",
    ]


def test_two_articles_with_one_url_name_both_files(site: SiteDir) -> None:
    site.write("content/a.md", GOOD)
    site.write("content/b.md", GOOD.replace("date: 2026-11-20", "date: 2026-11-21"))
    site.write("content/c.md", "---\ntitle: Другая\nsection: Политика\nlede: Лид\n"
               "date: 2026-11-19\naliases: [/politika/khoroshaia-novost/]\n---\n")
    status, lines = build_errors(site)
    assert status == 1
    assert lines == [
        "content/a.md:2: the URL /politika/khoroshaia-novost/ is also produced by "
        "content/b.md:2",
        "content/c.md:6: the URL /politika/khoroshaia-novost/ is also produced by "
        "content/b.md:2",
    ]


SCHEMA = """title: Новости
base_url: https://news.example.org/
schema:
  sections: [Мирные переговоры, Экономика]
  required: [author]
  tags: [Украина, США]
"""


def test_schema_in_config_is_enforced_with_lines(site: SiteDir) -> None:
    site.write("newsgen.yaml", SCHEMA)
    site.write("content/ok.md", "---\ntitle: A\nsection: Экономика\nlede: L\nauthor: Анна\n"
               "tags: [США]\ndate: 2026-11-20\n---\n")
    site.write("content/bad.md", "---\ntitle: B\nsection: Економика\nlede: L\n"
               "tags:\n  - Украина\n  - Франция\n  - Украйна\ndate: 2026-11-20\n---\n")
    status, lines = build_errors(site)
    assert status == 1
    assert lines == [
        "content/bad.md:1: missing key 'author', required by the schema in newsgen.yaml",
        "content/bad.md:3: section 'Економика' is not one of the sections in newsgen.yaml "
        "(Мирные переговоры, Экономика) — did you mean 'Экономика'?",
        "content/bad.md:7: tag 'Франция' is not in the tag list of newsgen.yaml",
        "content/bad.md:8: tag 'Украйна' is not in the tag list of newsgen.yaml — did you mean "
        "'Украина'?",
    ]


def test_strict_turns_warnings_into_errors(site: SiteDir) -> None:
    site.write("content/good.md", GOOD)
    site.write("content/loose.md", "---\ntitle: A\nsection: Политика\nlede: " + "Длинно. " * 40
               + "\ntags: []\nmood: happy\n---\n")
    status, lines = build_errors(site)
    warnings = [
        "content/loose.md:1: warning: no 'date': readers and feeds will not know when this "
        "was published; add e.g. date: 2026-11-25",
        "content/loose.md:4: warning: the lede is 319 characters long; keep it under 300",
        "content/loose.md:5: warning: 'tags' is empty; add tags or remove the line",
        "content/loose.md:6: warning: unknown key 'mood'",
    ]
    assert (status, lines) == (0, warnings)
    status, lines = build_errors(site, "--strict")
    assert (status, lines) == (1, [w.replace("warning: ", "") for w in warnings])


def test_an_image_without_alt_text_is_a_warning_and_an_error_under_strict(site: SiteDir) -> None:
    site.write("content/good.md", GOOD)
    site.write("static/img/duma.jpg", jpeg(1200, 800))
    site.write("content/photo.md", "---\ntitle: Заседание Думы\nsection: Политика\nlede: Лид.\n"
               "date: 2026-11-20\nimage: img/duma.jpg\n---\nТекст.\n")
    site.write("content/described.md", "---\ntitle: Другое заседание\nsection: Политика\n"
               "lede: Лид.\ndate: 2026-11-21\nimage: img/duma.jpg\nimage_alt: Зал заседаний\n"
               "---\nТекст.\n")
    warning = ("content/photo.md:6: warning: no 'image_alt' for the image: readers who cannot "
               "see it will not know what it shows; add e.g. image_alt: Зал заседаний Госдумы")
    assert build_errors(site) == (0, [warning])
    assert (site.out / "politika/zasedanie-dumy/index.html").is_file()  # still published
    assert build_errors(site, "--strict") == (1, [warning.replace("warning: ", "")])
