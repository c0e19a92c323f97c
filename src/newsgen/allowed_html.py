"""An article's HTML cut down for readers that take only some of it: the tags an
aggregator accepts (`restricted_html`), or the text alone, paragraph by paragraph
(`plain_paragraphs`).

Both read the HTML with the standard library's parser, as a browser would (unclosed and
stray tags, entities, raw HTML an editor pasted), and write it again from what was read:
no markup of the input reaches the output unless it is on the list, and every value is
escaped anew."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from html.parser import HTMLParser

# Read with everything inside them dropped.
_UNREAD = frozenset({"script", "style", "noscript", "template", "svg", "math", "object",
                     "head", "title", "button", "select", "textarea"})
# Blocks: in plain text they part paragraphs; cut down, a paragraph stands for each one
# that is not allowed itself.
_BLOCKS = frozenset({"p", "div", "section", "article", "aside", "header", "footer", "pre",
                     "table", "tr", "caption", "dl", "dt", "dd", "li", "ul", "ol",
                     "blockquote", "figure", "figcaption", "h1", "h2", "h3", "h4", "h5",
                     "h6", "hr", "address", "details", "summary", "iframe", "video",
                     "audio", "picture"})
_VOID = frozenset({"br", "img", "hr", "source", "wbr", "input", "col", "area", "embed",
                   "track", "meta", "link", "base", "param"})
_SAFE_SCHEMES = ("http://", "https://")
_SPACES = re.compile(r"\s+")
_SPACES_TWICE = re.compile(" {2,}")


class _Reader(HTMLParser):
    """The parts of a document, fed to the subclass's `tag`, `end` and `text`, with
    what is inside an unread element left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._unread = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _UNREAD:
            self._unread += tag not in _VOID
        elif not self._unread:
            self.tag(tag, {name: value or "" for name, value in attrs})

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._unread and tag not in _UNREAD:
            self.tag(tag, {name: value or "" for name, value in attrs})
            if tag not in _VOID:
                self.end(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _UNREAD:
            self._unread = max(0, self._unread - 1)
        elif not self._unread:
            self.end(tag)

    def handle_data(self, data: str) -> None:
        if not self._unread:
            self.text(data)

    def tag(self, tag: str, attrs: dict[str, str]) -> None:
        raise NotImplementedError

    def end(self, tag: str) -> None:
        raise NotImplementedError

    def text(self, data: str) -> None:
        raise NotImplementedError


class _PlainText(_Reader):
    def __init__(self) -> None:
        super().__init__()
        self.paragraphs: list[str] = []
        self._words: list[str] = []

    def _part(self) -> None:
        text = " ".join("".join(self._words).split())
        if text:
            self.paragraphs.append(text)
        self._words = []

    def tag(self, tag: str, attrs: dict[str, str]) -> None:
        if tag in _BLOCKS:
            self._part()
        elif tag in ("br", "td", "th", "img"):
            self._words.append(" ")

    def end(self, tag: str) -> None:
        if tag in _BLOCKS:
            self._part()
        elif tag in ("td", "th"):
            self._words.append(" ")

    def text(self, data: str) -> None:
        self._words.append(data)


def plain_paragraphs(markup: str) -> list[str]:
    """The text a reader reads in `markup`, a paragraph per block, each on one line."""
    reader = _PlainText()
    reader.feed(markup)
    reader.close()
    reader._part()
    return reader.paragraphs


Absolute = Callable[[str], str]  # a site path ('/a/b/') -> its absolute URL


class _Restricted(_Reader):
    """Writes the allowed tags with their allowed attributes, the rest as its text; a block
    not allowed becomes a paragraph, an iframe a link to what it shows."""

    def __init__(self, allowed: Mapping[str, tuple[str, ...]], renamed: Mapping[str, str],
                 absolute: Absolute) -> None:
        super().__init__()
        self._allowed, self._renamed, self._absolute = allowed, renamed, absolute
        self.out: list[str] = []
        self._open: list[str] = []  # the allowed elements open, outermost first
        # Text outside any block is written in a paragraph of ours: the number of elements
        # open when it was opened, or None while there is none.
        self._loose: int | None = None

    def _url(self, value: str) -> str | None:
        value = value.strip()
        if value.startswith("/") and not value.startswith("//"):
            return self._absolute(value)
        return value if value.lower().startswith(_SAFE_SCHEMES) else None

    def _in_block(self) -> bool:
        return self._loose is not None or any(tag in _BLOCKS for tag in self._open)

    def _open_loose(self) -> None:
        self.out.append("<p>")
        self._loose = len(self._open)

    def _close_loose(self) -> None:
        if self._loose is not None:
            while len(self._open) > self._loose:
                self.out.append(f"</{self._open.pop()}>")
            self.out.append("</p>")
            self._loose = None

    def _write_open(self, tag: str, attrs: dict[str, str]) -> None:
        written = []
        for name in self._allowed[tag]:
            value = attrs.get(name)
            if value is None:
                continue
            if name in ("href", "src"):
                value = self._url(value)
                if value is None:
                    continue
            written.append(f' {name}="{html.escape(value)}"')
        self.out.append(f"<{tag}{''.join(written)}>")

    def tag(self, tag: str, attrs: dict[str, str]) -> None:
        tag = self._renamed.get(tag, tag)
        if tag == "iframe":
            src = self._url(attrs.get("src", ""))
            if src:
                self._close_loose()
                shown = html.escape(attrs.get("title") or src, quote=False)
                self.out.append(f'<p><a href="{html.escape(src)}">{shown}</a></p>')
            return
        if tag == "br":
            if self._open and self._open[-1] == "p":  # a line break parts paragraphs
                self.out.append("</p><p>")
            return
        if tag in ("td", "th") and self._in_block():
            self.out.append(" ")  # cells' texts stay apart
        address = {"a": "href", "img": "src"}.get(tag)
        if address is not None and self._url(attrs.get(address, "")) is None:
            return  # a link to nowhere is its text; an image from nowhere nothing
        if tag in self._allowed:
            if tag in _BLOCKS:
                self._close_loose()
                if tag in ("p", "li") and tag in self._open:  # never one in another
                    self.end(tag)
            elif not self._in_block():
                self._open_loose()
            self._write_open(tag, attrs)
            if tag not in _VOID:
                self._open.append(tag)
        elif tag in _BLOCKS:
            self._close_loose()

    def end(self, tag: str) -> None:
        tag = self._renamed.get(tag, tag)
        if tag in self._open:
            if self._loose is not None and self._open.index(tag) < self._loose:
                self._close_loose()  # it was open before our paragraph was
            while tag in self._open:
                last = self._open.pop()
                self.out.append(f"</{last}>")
                if last == tag:
                    break
        elif tag in _BLOCKS:
            self._close_loose()

    def text(self, data: str) -> None:
        if not data.strip() and not self._in_block():
            return
        if not self._in_block():
            self._open_loose()
        # Dzen shows no preformatted text: runs of white space are one space.
        self.out.append(html.escape(_SPACES.sub(" ", data), quote=False))

    def finish(self) -> str:
        self._close_loose()
        while self._open:
            self.out.append(f"</{self._open.pop()}>")
        return _SPACES_TWICE.sub(" ", "".join(self.out)).replace("<p></p>", "")


def restricted_html(markup: str, allowed: Mapping[str, tuple[str, ...]],
                    renamed: Mapping[str, str], absolute: Absolute) -> str:
    """`markup` with only the `allowed` tags (tag -> the attributes it keeps), each tag of
    `renamed` written as another first (`strong` as `b`); addresses absolute (site paths
    made so by `absolute`) and http(s) only."""
    reader = _Restricted(allowed, renamed, absolute)
    reader.feed(markup)
    reader.close()
    return reader.finish()
