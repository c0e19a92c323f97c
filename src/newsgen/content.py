"""Content files: find them, split the front matter, validate it, render the body.

`parse_source` is a pure function of (path, bytes, renderer): it returns a `ParsedSource`
or the list of problems, and never raises for anything an editor can write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from .config import YamlLoader
from .errors import ContentError, closest, did_you_mean, warning
from .markup import MarkdownRenderer
from .models import FrontMatter, ParsedSource

CONTENT_DIR = "content"
FENCE = "---"
REQUIRED = ("title", "section", "lede")
KNOWN_KEYS = (
    "title", "section", "lede", "tags", "date", "updated", "author", "image", "image_alt",
    "slug", "aliases", "template", "draft", "expires", "correction",
)  # fmt: skip
DATE_HINT = "use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+03:00"


def iter_sources(site_dir: Path) -> Iterator[Path]:
    """Every Markdown file under content/, in a stable order; hidden files are skipped."""
    root = site_dir / CONTENT_DIR
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*.md")):
        relative = path.relative_to(root).parts
        if not any(part.startswith(".") for part in relative) and path.is_file():
            yield path


class _Invalid(Exception):
    """A field's value is wrong; the message names the key."""


def _text(key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid(f"'{key}' must be text, got {_describe(value)}")
    text = str(value).strip()
    if not text:
        raise _Invalid(f"'{key}' is empty")
    return text


def _optional_text(key: str, value: Any) -> str | None:
    return None if value is None else _text(key, value)


def _text_list(key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str | int | float) and not isinstance(value, bool) else value
    if not isinstance(items, list):
        raise _Invalid(f"'{key}' must be a list of strings, got {_describe(value)}")
    result: list[str] = []
    for item in items:
        text = _text(key, item)
        if text not in result:
            result.append(text)
    return tuple(result)


def _datetime(key: str, value: Any, tz: ZoneInfo) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise _Invalid(f"'{key}': '{value}' is not a date; {DATE_HINT}") from None
    else:
        raise _Invalid(f"'{key}': {_describe(value)} is not a date; {DATE_HINT}")
    # A naive time is in the site's timezone (SPEC §2).
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _bool(key: str, value: Any) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _Invalid(f"'{key}' must be true or false, got {_describe(value)}")
    return value


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"'{value}'"


Field = Callable[[str, Any], Any]


def _fields(tz: ZoneInfo) -> dict[str, tuple[str, Field]]:
    """front-matter key -> (FrontMatter attribute, converter)."""

    def when(key: str, value: Any) -> dt.datetime | None:
        return _datetime(key, value, tz)

    return {
        "title": ("title", _text),
        "section": ("section", _text),
        "lede": ("lede", _text),
        "tags": ("tags", _text_list),
        "date": ("date", when),
        "updated": ("updated", when),
        "author": ("authors", _text_list),
        "image": ("image", _optional_text),
        "image_alt": ("image_alt", _optional_text),
        "slug": ("slug", _optional_text),
        "aliases": ("aliases", _text_list),
        "template": ("template", _optional_text),
        "draft": ("draft", _bool),
        "expires": ("expires", when),
        "correction": ("correction", _optional_text),
    }


def split_front_matter(source: str, data: bytes) -> tuple[str, str, int] | ContentError:
    """Decode and split a file into (front matter, body, first body line)."""
    if not data.strip():
        return ContentError(source, None, "the file is empty; an article needs front matter "
                            "(title, section, lede) between '---' lines")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return ContentError(source, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
                            "save the file as UTF-8")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines[0].rstrip() != FENCE:
        return ContentError(source, 1, "no front matter: the file must start with a '---' line, "
                            "then title, section and lede, then another '---' line")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in (FENCE, "..."):
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1:])
            return front, body, index + 2
    return ContentError(source, 1, "the front matter opened on this line is never closed "
                        "with a '---' line")


def _key_lines(front: str) -> dict[str, int]:
    """File line of each top-level key; the front matter starts on line 2."""
    try:
        node = yaml.compose(front, Loader=YamlLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 2 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def parse_front_matter(
    source: str, front: str, tz: ZoneInfo
) -> tuple[FrontMatter, dict[str, int], list[ContentError]] | list[ContentError]:
    """Validate front matter text into a `FrontMatter` (plus warnings), or return errors."""
    try:
        data = yaml.load(front, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or "cannot be read"
        return [ContentError(source, line, f"invalid YAML in the front matter: {problem}")]
    except (ValueError, OverflowError) as exc:  # e.g. a date like 2026-02-30
        return [ContentError(source, 2, f"invalid value in the front matter: {exc}")]
    if not isinstance(data, dict):
        return [ContentError(source, 2, "the front matter must be keys and values "
                             f"(title: ..., section: ..., lede: ...), got {_describe(data)}")]

    lines = _key_lines(front)
    errors: list[ContentError] = []
    warnings: list[ContentError] = []
    fields = _fields(tz)
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key)
        if key not in fields:
            extra[key] = value
            hint = did_you_mean(key, KNOWN_KEYS)
            warnings.append(warning(source, lines.get(key), f"unknown key '{key}'{hint}"))
            continue
        attribute, convert = fields[key]
        try:
            values[attribute] = convert(key, value)
        except _Invalid as exc:
            errors.append(ContentError(source, lines.get(key), str(exc)))
    for key in REQUIRED:
        if key not in data:
            typo = closest(key, extra)
            found = f" (is '{typo}' a typo for it?)" if typo else ""
            errors.append(ContentError(source, 2, f"missing required key '{key}'{found}"))
    if errors:
        return errors
    return FrontMatter(extra=extra, **values), lines, warnings


def parse_source(
    source: str, data: bytes, tz: ZoneInfo, renderer: MarkdownRenderer
) -> tuple[ParsedSource | None, list[ContentError]]:
    """Parse one content file: the article and its warnings, or None and the errors."""
    split = split_front_matter(source, data)
    if isinstance(split, ContentError):
        return None, [split]
    front, body, _body_line = split
    parsed = parse_front_matter(source, front, tz)
    if isinstance(parsed, list):
        return None, parsed
    meta, lines, warnings = parsed
    return ParsedSource(source, meta, renderer.render(body), lines), warnings
