"""An article's HTML is what Markdown Extra with heading ids and sane lists makes of it,
although each text is converted with only the extensions its syntax can set off."""

from __future__ import annotations

from pathlib import Path

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsgen.markup import (
    MarkdownRenderer,
    _DropScriptUrls,
    _heading_id,
    _ScrollableByKeyboard,
    extensions_needed,
)

REPOSITORY = Path(__file__).resolve().parent.parent


def full_configuration(*, safe: bool) -> markdown.Markdown:
    """The configuration every article is promised, loaded whole and used as it comes."""
    md = markdown.Markdown(extensions=["extra", "toc", "sane_lists"],
                           extension_configs={"toc": {"slugify": _heading_id}},
                           output_format="html")
    if safe:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_DropScriptUrls(md), "drop_script_urls", 0)
    md.postprocessors.register(_ScrollableByKeyboard(md), "scrollable_by_keyboard", 0)
    return md


# Lines of Markdown, each extension's syntax among them, and the look-alikes that must not
# set it off; joined at random, they make blocks nested in quotes and lists too.
FRAGMENTS = [
    "Итоги встречи в Париже", "Markets *wrap* and **rates**", "слово_с_подчёркиванием_",
    "", "", "", "## Реакция рынка", "# Title", "Setext", "======", "------", "[TOC]",
    "- пункт", "* item", "+ item", "1. первый", "2) second", "    code line", "\tindented",
    "> цитата", "> > nested", "> : quoted definition", "- : listed definition",
    "Term", ": Definition", ":   Definition three", "   : indented definition",
    "time: 10:30", "Note:", ":no space", "::",
    "| a | b |", "|---|---|", "| 1 | 2 |", "a | b", "--- | ---", r"pipe \| escaped",
    "```", "```python", "~~~", "~~~ {.lang #id}", "print('x')", "``inline``", "`code`",
    "Text[^1] with a note", "[^1]: The note.", "[^note]: Longer note", "[^ not a note",
    "*[HTML]: Hyper Text", "HTML and CSS", "*[", "*not [abbr]*",
    "Paragraph {: .lead }", "## Heading {#custom-id}", "{ .class }", "{}", "{not attrs",
    '<div markdown="1">', "</div>", "<span>inline</span>", "<p>raw</p>", "<!-- note -->",
    "<https://example.org/>", "<editor@example.org>", "a < b", "x <y",
    "&amp; &copy; &#8212;", "AT&T", "& alone", r"\*escaped\*", r"\{ \} \# \+",
    "[link](https://example.org/ \"title\")", "![image](/img/a.png)", "[ref][1]",
    "[1]: https://example.org/", "https://example.org/plain", "trailing  ",
    "[click](javascript:alert(1))", "![x]( data:text/html,x)",
]

texts = st.lists(st.sampled_from(FRAGMENTS), max_size=14).map("\n".join)


@pytest.mark.parametrize("safe", [False, True], ids=["trusted", "safe"])
@settings(max_examples=600, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_any_text_comes_out_as_the_full_configuration_makes_it(safe: bool, text: str) -> None:
    assert MarkdownRenderer(safe=safe).render(text) == full_configuration(safe=safe).convert(text)


def test_one_renderer_gives_each_text_what_the_full_configuration_gives() -> None:
    # One converter per extension set is reused, reset between texts: no state carries
    # over from a text with footnotes or abbreviations to the next.
    renderer, full = MarkdownRenderer(), full_configuration(safe=False)
    texts = [path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
             for path in sorted((REPOSITORY / "content").rglob("*.md"))]
    texts += ["Text[^1].\n\n[^1]: Note.", "*[HTML]: Hyper\n\nHTML here.", "No notes, HTML.",
              "| a |\n|---|\n| 1 |", "Plain text."]
    for text in texts + texts[::-1]:
        assert renderer.render(text) == full.reset().convert(text)


def test_plain_news_copy_needs_no_optional_extension() -> None:
    copy = ("Саммит лидеров в Париже подтвердил: поддержка продолжится.\n\n"
            "## Реакция рынка\n\n- пункт: первый\n1. second — «цитата»\n\n"
            "> Команда готова.\n\n[Отчёт](https://example.org/report), *курсив*, **жирный**.")
    assert extensions_needed(copy) == frozenset()
    assert extensions_needed(copy + "\n\n| a | b |") == {"tables"}
    assert extensions_needed("Term\n: definition") == {"def_list"}


def test_a_definition_is_seen_inside_quotes_and_lists() -> None:
    for line in (": d", "> : d", "- : d", "    : d", "1. : d", "> > :   d"):
        assert "def_list" in extensions_needed(f"Term\n{line}"), line
    assert "def_list" in extensions_needed(": a text that opens with a definition")
    for line in ("Note: d", "time 10:30", ":d"):
        assert "def_list" not in extensions_needed(f"Term\n{line}"), line


def test_tables_and_code_blocks_can_be_reached_by_keyboard_to_scroll() -> None:
    html = MarkdownRenderer().render("| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nкод\n```\n\n"
                                     "<table><tr><td>свой</td></tr></table>\n\nтег `<pre>`")
    assert html.count('<table tabindex="0">') == 2
    assert '<pre tabindex="0"><code>код' in html
    assert "<code>&lt;pre&gt;</code>" in html  # text showing a tag is left alone
