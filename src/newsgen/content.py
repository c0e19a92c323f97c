"""Content files: find them, split the front matter, validate it, render the body.

`parse_source` is a pure function of (path, bytes, renderer): it returns a `ParsedSource`
or the list of problems, and never raises for anything an editor can write.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import yaml

from .cache import load_body, store_bodies
from .config import Schema, SiteConfig, YamlLoader, yaml_problem
from .embeds import embed_problems, may_embed
from .errors import ContentError, closest, did_you_mean, sort_key, warning
from .keys import body_key, digest, front_key, source_key
from .models import FrontMatter, ParsedEntry, ParsedSource
from .write import unsafe_reason

if TYPE_CHECKING:  # Markdown is imported where articles are parsed, not on every run
    from .markup import MarkdownRenderer

CONTENT_DIR = "content"
STATIC_DIR = "static"
TEMPLATES_DIR = "templates"
THEME_DIR = Path(__file__).parent / "theme"  # the templates and static files every site gets
# The theme's static files: every site's, and those only a site with search gets.
THEME_STATIC = THEME_DIR / "static"
SEARCH_STATIC = THEME_DIR / "static-search"
SOURCE_SUFFIX = ".md"
FENCE = "---"
REQUIRED = ("title", "section", "lede")
KNOWN_KEYS = (
    "title", "section", "lede", "tags", "date", "updated", "author", "image", "image_alt",
    "image_caption", "image_credit", "image_focus", "slug", "aliases", "template", "draft",
    "expires", "correction",
)  # fmt: skip
DATE_HINT = "use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS+03:00"
LEDE_LIMIT = 300  # characters; longer ledes are cut off in search results and feed readers
FIRST_KEY_LINE = 2  # the front matter starts on the line after the opening '---'


class _BadDate:
    """A YAML timestamp that is not a real moment (2026-02-30): kept as a value so the
    error can name its key and line instead of failing the whole front matter."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason

    def __str__(self) -> str:
        return self.text


def _timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError) as exc:
        return _BadDate(str(node.value), str(exc))


class FrontMatterLoader(YamlLoader):  # type: ignore[misc]
    """The safe YAML loader, but an impossible date is a value, not an exception."""


FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def is_source_name(name: str) -> bool:
    """Whether a file of this name under content/ is an article: Markdown, not hidden."""
    return name.endswith(SOURCE_SUFFIX) and not name.startswith(".")


def find_sources(site_dir: Path) -> list[tuple[str, str, os.stat_result]]:
    """(source label such as 'content/a/b.md', path, stat) of every Markdown file under
    content/, sorted; hidden files and folders are skipped. One listing per folder and one
    stat per file, no Path objects: at ten thousand articles this runs on every rebuild."""
    found: list[tuple[tuple[str, ...], str, os.stat_result]] = []
    folders: list[tuple[str, tuple[str, ...]]] = [(str(site_dir / CONTENT_DIR), ())]
    while folders:
        folder, parts = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:  # no content/ folder, or one gone since its parent was listed
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):  # as os.walk: links not followed
                    folders.append((entry.path, (*parts, name)))
                elif name.endswith(SOURCE_SUFFIX):
                    info = entry.stat()  # follows a link, as reading the file will
                    if stat.S_ISREG(info.st_mode):
                        found.append(((*parts, name), entry.path, info))
            except OSError:  # gone since the folder was listed, or a dangling link
                continue
    found.sort(key=lambda entry: entry[0])
    return [(f"{CONTENT_DIR}/{'/'.join(parts)}", path, info) for parts, path, info in found]


def theme_static(config: SiteConfig) -> list[Path]:
    """The theme's folders of static files that this site's output gets."""
    return [THEME_STATIC, SEARCH_STATIC] if config.search else [THEME_STATIC]


def static_files(site_dir: Path, theme_static: Sequence[Path]) -> dict[str, tuple[Path, str]]:
    """Output path -> (file, source label) of every static file: the theme's folders, and
    the site's `static/` on top. Hidden files and folders are skipped."""
    files: dict[str, tuple[Path, str]] = {}
    roots = [*((root, "newsgen theme") for root in theme_static), (site_dir / STATIC_DIR, None)]
    for root, label in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not any(p.startswith(".") for p in rel.parts):
                shown = label or f"{STATIC_DIR}/{rel.as_posix()}"
                files[rel.as_posix()] = (path, shown)
    return files


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """A content file as a worker parsed it: its key (None when it could not be read), the
    entry, the digest of the bytes read, and the key of its body (`keys.body_key`)."""

    source: str
    key: str | None
    entry: ParsedEntry
    file_digest: str
    body_key: str = ""


@dataclass(frozen=True, slots=True)
class KnownBodies:
    """Where parsed bodies go: the body salt, the bodies the cache already holds (body key
    -> locator), the cache folder new ones are packed into, and the converter of the ones
    it does not hold."""

    salt: str
    known: Mapping[str, str]
    cache_dir: Path
    convert: Callable[[str], str]


def parse_files(items: list[tuple[str, str]], salt: str, tz: ZoneInfo, bodies: KnownBodies
                ) -> list[ParsedFile]:
    """Read and parse content files, (source, path) each; bodies the cache does not hold
    yet are converted and stored in one pack. Each key is made from the bytes read here."""
    done: list[ParsedFile] = []
    converted: list[tuple[int, str, str]] = []  # (index in done, body key, html)
    for source, path in items:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            problem = ContentError(source, None, f"cannot be read: {exc.strerror}")
            done.append(ParsedFile(source, None, ParsedEntry(None, (problem,)), ""))
            continue
        file_digest = digest(data)
        parsed, text, problems = read_source(source, data, tz)
        entry, key_of_body = ParsedEntry(None, tuple(problems)), ""
        if parsed is not None:
            key_of_body = body_key(bodies.salt, text)
            locator = bodies.known.get(key_of_body)
            body = None
            if locator is None:
                body = bodies.convert(text)
                converted.append((len(done), key_of_body, body))
            if _may_show_images(text) or may_embed(text):
                if body is None:
                    body = load_body(bodies.cache_dir, locator or "") or ""
                parsed, found = read_body(parsed, body, text)
                problems += found
            entry = ParsedEntry(parsed, tuple(problems), locator or "", front_key(parsed.meta))
        done.append(ParsedFile(source, source_key(salt, source, file_digest), entry,
                               file_digest, key_of_body))
    locators = store_bodies(bodies.cache_dir, [key for _, key, _ in converted],
                            [html for _, _, html in converted])
    for (index, _key, _html), locator in zip(converted, locators, strict=True):
        entry = done[index].entry
        done[index] = replace(done[index], entry=replace(entry, body=locator))
    return done


# An <img> tag of a converted body, and its attributes (Markdown writes them in double
# quotes, escaped).
IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'([a-zA-Z-]+)="([^"]*)"')
# What a Markdown text that shows an image holds: looked for in every body parsed, so
# without lowering a copy of each.
_IMAGE_IN_TEXT = re.compile(r"!\[|<img", re.IGNORECASE)
BODY_LINE = "(body)"  # key_lines' entry for the body's first line


def img_attributes(tag: str) -> dict[str, str]:
    return {name.lower(): html.unescape(value) for name, value in _ATTRIBUTE.findall(tag)}


def _may_show_images(text: str) -> bool:
    return _IMAGE_IN_TEXT.search(text) is not None


def read_body(parsed: ParsedSource, body: str, text: str
              ) -> tuple[ParsedSource, list[ContentError]]:
    """What parsing finds in an article's converted body: its images, and the warnings
    about the addresses it shows alone that cannot be embedded (`embeds.py`)."""
    first_line = parsed.key_lines.get(BODY_LINE, 1)
    found = [warning(parsed.source, line, message)
             for line, message in embed_problems(body, text, first_line)]
    return replace(parsed, body_images=body_images(body, text, first_line)), found


def body_images(body: str, text: str, first_line: int) -> tuple[tuple[str, int | None], ...]:
    """(src, line) of each image in a converted body, the line being where the Markdown
    text names it first (None when it cannot be found, as for a reference link)."""
    found = []
    for tag in IMG_TAG.findall(body):
        src = img_attributes(tag).get("src", "")
        if not src:
            continue
        at = text.find(src)
        found.append((src, first_line + text.count("\n", 0, at) if at >= 0 else None))
    return tuple(dict.fromkeys(found))


class _Invalid(Exception):
    """A field's value is wrong; the message names the key."""


def _text(key: str, value: Any) -> str:
    if value is None:
        raise _Invalid(f"'{key}' is empty")
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
    single = isinstance(value, str | int | float) and not isinstance(value, bool)
    items = [value] if single else value
    if not isinstance(items, list):
        raise _Invalid(f"'{key}' must be a list of strings, got {_describe(value)}")
    result: list[str] = []
    for item in items:
        if isinstance(item, dict | list):
            raise _Invalid(f"'{key}' must be a list of strings, but one item is "
                           f"{_describe(item)}")
        text = sys.intern(_text(key, item))  # tags and authors recur in thousands of articles
        if text not in result:
            result.append(text)
    return tuple(result)


def _name(key: str, value: Any) -> str:
    return sys.intern(_text(key, value))  # a section's name recurs in its every article


def _datetime(key: str, value: Any, tz: ZoneInfo) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, _BadDate):
        raise _Invalid(f"'{key}': '{value.text}' is not a real date ({value.reason})")
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


def _focus(key: str, value: Any) -> tuple[float, float] | None:
    """[x, y]: the point a lead image's crops keep, as fractions of its width and height."""
    if value is None:
        return None
    numbers = value if isinstance(value, list) else None
    if (numbers is None or len(numbers) != 2
            or not all(isinstance(n, int | float) and not isinstance(n, bool) and 0 <= n <= 1
                       for n in numbers)):
        raise _Invalid(f"'{key}' must be two fractions, across and down, e.g. [0.5, 0.3] "
                       f"(the middle, a third of the way down), got {_describe(value)}")
    return (float(numbers[0]), float(numbers[1]))


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, str):
        return f"the text '{value}'"
    return f"'{value}'"


Field = Callable[[str, Any], Any]


def _fields(tz: ZoneInfo) -> dict[str, tuple[str, Field]]:
    """front-matter key -> (FrontMatter attribute, converter)."""

    def when(key: str, value: Any) -> dt.datetime | None:
        return _datetime(key, value, tz)

    return {
        "title": ("title", _text),
        "section": ("section", _name),
        "lede": ("lede", _text),
        "tags": ("tags", _text_list),
        "date": ("date", when),
        "updated": ("updated", when),
        "author": ("authors", _text_list),
        "image": ("image", _optional_text),
        "image_alt": ("image_alt", _optional_text),
        "image_caption": ("image_caption", _optional_text),
        "image_credit": ("image_credit", _optional_text),
        "image_focus": ("image_focus", _focus),
        "slug": ("slug", _optional_text),
        "aliases": ("aliases", _text_list),
        "template": ("template", _optional_text),
        "draft": ("draft", _bool),
        "expires": ("expires", when),
        "correction": ("correction", _optional_text),
    }


EMPTY_FILE = ("the file is empty; an article needs front matter (title, section, lede) "
              "between '---' lines")


def split_front_matter(source: str, data: bytes) -> tuple[str, str, int] | ContentError:
    """Decode and split a file into (front matter, body, first body line)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return ContentError(source, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
                            "save the file as UTF-8")
    if not text.strip():
        return ContentError(source, None, EMPTY_FILE)
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


def _key_lines(source: str, node: yaml.Node | None) -> tuple[dict[str, int], list[ContentError]]:
    """File line of each top-level key (and of each item of a list value, as 'key[i]'),
    plus an error for every key written twice (YAML would silently keep the last one)."""
    if not isinstance(node, yaml.MappingNode):
        return {}, []
    lines: dict[str, int] = {}
    errors: list[ContentError] = []
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        name = str(key.value)
        line = key.start_mark.line + FIRST_KEY_LINE
        if name in lines:
            errors.append(ContentError(source, line, f"'{name}' is written twice (first on "
                                       f"line {lines[name]}); keep one"))
            continue
        lines[name] = line
        if isinstance(value, yaml.SequenceNode):
            for item in value.value:
                if isinstance(item, yaml.ScalarNode):
                    lines.setdefault(f"{name}[{item.value}]", item.start_mark.line + FIRST_KEY_LINE)
    return lines, errors


def _show(value: str) -> str:
    """A value as an editor would recognise it, with invisible characters made visible."""
    return value.encode("unicode_escape").decode("ascii") if not value.isprintable() else value


def _path_problems(source: str, meta: FrontMatter, lines: dict[str, int]) -> list[ContentError]:
    """A slug or alias that would put a page outside the output folder."""
    problems = []
    candidates = [("slug", "slug", meta.slug)] if meta.slug else []
    candidates += [("aliases", f"aliases[{a}]", a) for a in meta.aliases]
    for key, line_key, value in candidates:
        reason = unsafe_reason(value.strip("/") or ".")
        if reason is not None:
            problems.append(ContentError(
                source, lines.get(line_key, lines.get(key)),
                f"'{key}': '{_show(value)}' is not a usable URL path ({reason}); "
                "use letters, digits, '-' and '/' only"))
    return problems


def _names(keys: list[str]) -> str:
    """'a', 'a' and 'b', 'a', 'b' and 'c'."""
    quoted = [f"'{k}'" for k in keys]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _missing_required(source: str, data: dict[Any, Any], lines: dict[str, int],
                      extra: dict[str, Any]) -> tuple[list[ContentError], set[str]]:
    """Errors for missing required keys; a near-miss key ('titel') is named as the typo
    it is, on its own line. Returns the errors and the typo keys they explain."""
    errors = []
    typos: set[str] = set()
    missing = []
    for key in REQUIRED:
        if key in data:
            continue
        typo = closest(key, [k for k in extra if k not in typos])
        if typo:
            typos.add(typo)
            errors.append(ContentError(source, lines.get(typo, 1),
                                       f"unknown key '{typo}' — did you mean '{key}'?"))
        else:
            missing.append(key)
    if missing:
        names = _names(missing)
        plural = "s" if len(missing) > 1 else ""
        errors.append(ContentError(source, 1, f"missing required key{plural} {names}; every "
                                   "article needs a title, a section and a lede"))
    return errors, typos


def parse_front_matter(
    source: str, front: str, tz: ZoneInfo
) -> tuple[FrontMatter, dict[str, int], list[ContentError]] | list[ContentError]:
    """Validate front matter text into a `FrontMatter` (plus warnings), or return errors."""
    # Composed once: the node tree gives both the values and each key's line.
    loader = FrontMatterLoader(front)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        return [yaml_problem(source, exc, FIRST_KEY_LINE, "invalid YAML in the front matter")]
    except (ValueError, OverflowError, RecursionError) as exc:  # pragma: no cover - defensive
        return [ContentError(source, FIRST_KEY_LINE, f"invalid value in the front matter: {exc}")]
    finally:
        loader.dispose()
    if data is None:
        return [ContentError(source, 1, "the front matter is empty; write title, section and "
                             "lede between the '---' lines")]
    if not isinstance(data, dict):
        return [ContentError(source, FIRST_KEY_LINE, "the front matter must be keys and values "
                             f"(title: ..., section: ..., lede: ...), got {_describe(data)}")]

    lines, errors = _key_lines(source, node)
    warnings: list[ContentError] = []
    fields = _fields(tz)
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key)
        if key not in fields:
            extra[key] = str(value) if isinstance(value, _BadDate) else value
            continue
        attribute, convert = fields[key]
        try:
            values[attribute] = convert(key, value)
        except _Invalid as exc:
            errors.append(ContentError(source, lines.get(key), str(exc)))
    missing, typos = _missing_required(source, data, lines, extra)
    errors += missing
    for key in extra:
        if key not in typos:
            hint = did_you_mean(key, KNOWN_KEYS)
            warnings.append(warning(source, lines.get(key), f"unknown key '{key}'{hint}"))
    if errors:
        return errors
    meta = FrontMatter(extra=extra, **values)
    errors = _path_problems(source, meta, lines)
    if errors:
        return errors
    return meta, lines, sorted(warnings + _advice(source, meta, data, lines), key=sort_key)


def _advice(source: str, meta: FrontMatter, data: dict[Any, Any], lines: dict[str, int]
            ) -> list[ContentError]:
    """Warnings: what is allowed but probably a mistake (errors under --strict)."""
    found = []
    if "tags" in data and not meta.tags:
        found.append(warning(source, lines.get("tags"), "'tags' is empty; add tags or remove "
                             "the line"))
    if len(meta.lede) > LEDE_LIMIT:
        found.append(warning(source, lines.get("lede"), f"the lede is {len(meta.lede)} "
                             f"characters long; keep it under {LEDE_LIMIT}"))
    if meta.date is None:
        found.append(warning(source, 1, "no 'date': readers and feeds will not know when "
                             "this was published; add e.g. date: 2026-11-25"))
    if meta.image and meta.image_alt is None:
        found.append(warning(source, lines.get("image"), "no 'image_alt' for the image: "
                             "readers who cannot see it will not know what it shows; add "
                             "e.g. image_alt: Зал заседаний Госдумы"))
    return found


def read_source(source: str, data: bytes, tz: ZoneInfo
                ) -> tuple[ParsedSource | None, str, list[ContentError]]:
    """Parse one content file's front matter: the article (its body not converted yet),
    the body's Markdown text and the warnings, or None, "" and the errors."""
    split = split_front_matter(source, data)
    if isinstance(split, ContentError):
        return None, "", [split]
    front, body, body_line = split
    parsed = parse_front_matter(source, front, tz)
    if isinstance(parsed, list):
        return None, "", parsed
    meta, lines, warnings = parsed
    lines[BODY_LINE] = body_line
    return ParsedSource(source, meta, "", lines), body, warnings


def parse_source(
    source: str, data: bytes, tz: ZoneInfo, renderer: MarkdownRenderer
) -> tuple[ParsedSource | None, list[ContentError]]:
    """Parse one content file: the article and its warnings, or None and the errors."""
    parsed, text, problems = read_source(source, data, tz)
    if parsed is None:
        return None, problems
    body = renderer.render(text)
    parsed, found = read_body(parsed, body, text)
    return replace(parsed, body_html=body), problems + found


def _present(meta: FrontMatter, key: str) -> bool:
    """Whether the front matter gives `key` a non-empty value."""
    if key in KNOWN_KEYS:
        value = getattr(meta, "authors" if key == "author" else key)
    else:
        value = meta.extra.get(key)
    return value not in (None, "", (), [], {})


def check_schema(parsed: list[ParsedSource], schema: Schema) -> list[ContentError]:
    """Articles that break the site's front-matter schema (`schema:` in newsgen.yaml)."""
    problems = []
    for article in parsed:
        meta, lines, source = article.meta, article.key_lines, article.source
        if schema.sections is not None and meta.section not in schema.sections:
            allowed = ", ".join(schema.sections)
            problems.append(ContentError(
                source, lines.get("section"), f"section '{meta.section}' is not one of the "
                f"sections in newsgen.yaml ({allowed})"
                f"{did_you_mean(meta.section, schema.sections)}"))
        missing = [key for key in schema.required if not _present(meta, key)]
        if missing:
            names = _names(missing)
            plural = "s" if len(missing) > 1 else ""
            problems.append(ContentError(source, lines.get(missing[0], 1),
                                         f"missing key{plural} {names}, required by the schema "
                                         "in newsgen.yaml"))
        if schema.tags is not None:
            for tag in meta.tags:
                if tag not in schema.tags:
                    problems.append(ContentError(
                        source, lines.get(f"tags[{tag}]", lines.get("tags")),
                        f"tag '{tag}' is not in the tag list of newsgen.yaml"
                        f"{did_you_mean(tag, schema.tags)}"))
    return problems
