"""The configured Python-Markdown converter: Markdown Extra, heading ids and sane lists.

Markdown is most of a cold build, and each of Extra's extensions costs every article a few
per cent whether or not its syntax is there: a table processor looks at every block, a
footnote pattern at every run of text. Most news copy uses none of it. So each process
keeps one converter per set of extensions an article's text can use, chosen from the
text's characters (`extensions_needed`): an extension is left out only when the syntax
that sets it off cannot occur, so every article comes out as the full configuration
makes it (`tests/test_markup.py` holds that). Converters are reused, reset between
articles, since creating one registers every extension again (~20 % per article).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache

import markdown
from markdown.extensions import (
    Extension,
    abbr,
    attr_list,
    def_list,
    fenced_code,
    footnotes,
    md_in_html,
    sane_lists,
    tables,
    toc,
)
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import InlineProcessor, Treeprocessor
from slugify import slugify

# URL schemes that run code when followed; browsers ignore case, spaces and control
# characters before the colon.
_SCRIPT_URL = re.compile(r"^[\x00-\x20]*(javascript|vbscript|data)[\x00-\x20]*:", re.I)

_BARE_BOX = re.compile(r"<(table|pre)>")  # as Markdown writes them, and most raw HTML

ALWAYS = ("toc", "sane_lists")  # every article has subheadings and lists to care for
# Each extension by its class: an extension named by a string is looked up among the
# installed packages' entry points, which loads importlib.metadata (~30 ms for each process
# that converts, a tenth of a one-article rebuild's Markdown).
EXTENSIONS: dict[str, type[Extension]] = {
    "fenced_code": fenced_code.FencedCodeExtension,
    "footnotes": footnotes.FootnoteExtension,
    "attr_list": attr_list.AttrListExtension,
    "def_list": def_list.DefListExtension,
    "tables": tables.TableExtension,
    "abbr": abbr.AbbrExtension,
    "md_in_html": md_in_html.MarkdownInHtmlExtension,
    "toc": toc.TocExtension,
    "sane_lists": sane_lists.SaneListExtension,
}
# Markdown Extra's extensions, each with what must be in a text for it to change anything,
# in Extra's order (the order they are loaded in).
OPTIONAL: dict[str, re.Pattern[str]] = {
    "fenced_code": re.compile("```|~~~"),
    "footnotes": re.compile(r"\[\^"),
    "attr_list": re.compile(r"\{"),  # `{: .class }`, `{#id}`
    # Containers (block quotes, list items) strip their markers before a block is parsed,
    # so a definition's ':' may follow '>', list markers and indentation on its line. (A
    # line starts after '\n': searched that way, with '\n' put before the text, it is four
    # times faster than with `^` and re.MULTILINE.)
    "def_list": re.compile(r"\n[ \t>*+\-0-9.)]*:[ \t]"),
    "tables": re.compile(r"\|"),  # also makes `\|` an escape
    "abbr": re.compile(r"\*\["),  # definitions `*[HTML]: ...`; without one nothing is abbreviated
    "md_in_html": re.compile("<"),  # it takes over all raw HTML, not only `markdown="1"`
}


def extensions_needed(text: str) -> frozenset[str]:
    """The optional extensions whose syntax may occur in `text`."""
    text = "\n" + text
    return frozenset(name for name, trigger in OPTIONAL.items() if trigger.search(text))


@lru_cache(maxsize=4096)  # subheadings recur across a newsroom's articles
def _heading_id(value: str, separator: str) -> str:
    # Python-Markdown's own slugify drops Cyrillic; transliterate like our URLs do.
    return slugify(value, separator=separator) or "section"


class _DropScriptUrls(Treeprocessor):
    """In safe mode, links and images may not carry javascript:, vbscript: or data: URLs."""

    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                if _SCRIPT_URL.match(element.get(attribute, "")):
                    element.set(attribute, "#" if attribute == "href" else "about:blank")


class _ScrollableByKeyboard(Postprocessor):
    """Tables and code blocks scroll sideways in their own box when wider than the page
    (see the theme's CSS); `tabindex` lets a keyboard reach and scroll them. Run on the
    finished HTML, so that fenced code and raw HTML tables get it too (text that shows
    such a tag is escaped by then, and never matches)."""

    def run(self, text: str) -> str:
        return _BARE_BOX.sub(r'<\1 tabindex="0">', text)


def make_converter(extensions: frozenset[str], *, safe: bool) -> markdown.Markdown:
    configs: dict[str, dict[str, object]] = {"toc": {"slugify": _heading_id}}
    md = markdown.Markdown(
        extensions=[EXTENSIONS[name](**configs.get(name, {}))
                    for name in (*(name for name in OPTIONAL if name in extensions), *ALWAYS)],
        output_format="html",
    )
    if safe:
        # Without these two steps raw HTML is not passed through but escaped as text.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_DropScriptUrls(md), "drop_script_urls", 0)
    md.postprocessors.register(_ScrollableByKeyboard(md), "scrollable_by_keyboard", 0)
    inline = md.treeprocessors["inline"]
    if isinstance(inline, InlineProcessor):
        # The inline step looks its patterns up by position a few hundred times per
        # article; the registry sorts on each look-up, a list does not (~4 % per article).
        # The patterns are all registered by now and never change afterwards.
        inline.inlinePatterns = list(md.inlinePatterns)  # type: ignore[assignment]
    return md


class MarkdownRenderer:
    def __init__(self, *, safe: bool = False) -> None:
        self._safe = safe
        self._converters: dict[frozenset[str], markdown.Markdown] = {}

    def render(self, text: str) -> str:
        extensions = extensions_needed(text)
        md = self._converters.get(extensions)
        if md is None:
            md = self._converters[extensions] = make_converter(extensions, safe=self._safe)
        return md.reset().convert(text)
