"""The site config, ``newsgen.yaml``: loaded, validated, frozen.

Every key is optional. Wrong types and unknown keys are errors naming the key and its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .errors import ContentError, did_you_mean

CONFIG_NAME = "newsgen.yaml"

try:  # the C loader is ten times faster; fall back where libyaml is missing
    YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    YamlLoader = yaml.SafeLoader

HOME_LABELS = {"ru": "Главная", "en": "Home", "uk": "Головна", "de": "Startseite", "fr": "Accueil"}


@dataclass(frozen=True)
class Schema:
    """Rules every article's front matter must follow, beyond the built-in ones.

    `sections` and `tags` are None when any value is allowed."""

    sections: tuple[str, ...] | None = None
    required: tuple[str, ...] = ()
    tags: tuple[str, ...] | None = None


SCHEMA_KEYS = ("sections", "required", "tags")
PROFILE_KEYS = ("bio", "photo")


@dataclass(frozen=True)
class AuthorProfile:
    """What an author's page shows of them besides their articles (`authors:` in the
    config): a short biography and a photo (a URL, or a path under `static/`)."""

    bio: str = ""
    photo: str = ""


@dataclass(frozen=True)
class AggregatorFeeds:
    """The RSS feeds written for news aggregators (`feeds:` in the config), each as the
    number of days of articles it carries, None when it is off (`aggregators.py`)."""

    yandex_news: int | None = None
    dzen: int | None = None


# Each aggregator feed, and the days of articles its aggregator reads (`aggregators.py`
# gives the sources).
AGGREGATOR_DAYS = {"yandex_news": 8, "dzen": 3}


@dataclass(frozen=True)
class SiteConfig:
    title: str = "newsgen"
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    timezone: str = "UTC"
    sections: tuple[str, ...] = ()
    section_descriptions: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    per_page: int = 20
    home_label: str = ""
    slug_max_length: int = 80
    feed_size: int = 50
    safe_markdown: bool = False
    search: bool = False  # a search page and its Pagefind index (`newsgen[search]`)
    # Images (`images.py`): the widths of each image's variants, the formats made beside
    # the original's, and each lossy format's quality.
    image_widths: tuple[int, ...] = (480, 800, 1200, 1600)
    image_formats: tuple[str, ...] = ("webp",)
    image_quality: tuple[tuple[str, int], ...] = (("avif", 60), ("jpeg", 82), ("webp", 80))
    schema: Schema = Schema()
    feeds: AggregatorFeeds = AggregatorFeeds()
    # Author name as articles write it -> profile.
    authors: dict[str, AuthorProfile] = field(default_factory=dict, compare=False, hash=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def home(self) -> str:
        return self.home_label or HOME_LABELS.get(self.language.split("-")[0], "Home")

    @property
    def path_prefix(self) -> str:
        """The path part of base_url without its trailing slash: '' or '/news'."""
        return urlsplit(self.base_url).path.rstrip("/")

    def absolute(self, url: str) -> str:
        """An absolute URL for a site path such as '/section/slug/'."""
        return self.base_url.rstrip("/") + url


def _check_str(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() else "must be a non-empty string"


def _check_positive_int(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return None if ok else "must be a whole number above 0"


def _check_bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _check_base_url(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a URL such as https://example.org/"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"'{value}' is not an absolute http(s) URL such as https://example.org/"
    return None


def _check_timezone(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be an IANA time zone name such as Europe/Moscow"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone '{value}'; use an IANA name such as Europe/Moscow"
    return None


IMAGE_FORMATS = ("webp", "avif")
IMAGE_QUALITY_KEYS = ("jpeg", "webp", "avif")


def _check_image_widths(value: Any) -> str | None:
    if (not isinstance(value, list) or not value
            or not all(isinstance(w, int) and not isinstance(w, bool) and 16 <= w <= 8192
                       for w in value)):
        return "must be a list of widths in pixels, e.g. [480, 800, 1200, 1600]"
    return None


def _check_image_formats(value: Any) -> str | None:
    if not isinstance(value, list) or not all(f in IMAGE_FORMATS for f in value):
        return f"must be a list of formats made beside the original's: {', '.join(IMAGE_FORMATS)}"
    if "avif" in value:
        from PIL import features

        if not features.check("avif"):
            return "names avif, which the installed Pillow cannot write; remove it"
    return None


def _check_image_quality(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must map formats to a quality from 1 to 100, e.g. {jpeg: 82, webp: 80}"
    for name, quality in value.items():
        if name not in IMAGE_QUALITY_KEYS:
            return f"names '{name}'; the formats are {', '.join(IMAGE_QUALITY_KEYS)}"
        if not isinstance(quality, int) or isinstance(quality, bool) or not 1 <= quality <= 100:
            return f"'{name}' must be a quality from 1 to 100"
    return None


def _check_sections(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return None
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        for name, spec in value.items():
            if spec is None:
                continue
            if not isinstance(spec, dict) or set(spec) - {"description"}:
                return f"section '{name}' may only have a 'description'"
            if not isinstance(spec.get("description", ""), str):
                return f"the description of section '{name}' must be a string"
        return None
    return "must be a list of section names, or a mapping of name to {description: ...}"


def _check_search(value: Any) -> str | None:
    if not isinstance(value, bool):
        return "must be true or false"
    if value:
        from .search import search_available  # only a site with search needs Pagefind

        missing = search_available()
        if missing:
            return f"is on, but {missing}"
    return None


def _check_feeds(value: Any) -> str | None:
    example = "e.g. {yandex_news: true, dzen: {days: 2}}"
    if not isinstance(value, dict):
        return f"must map aggregator feeds to true, false or {{days: N}}, {example}"
    for name, spec in value.items():
        if name not in AGGREGATOR_DAYS:
            return (f"names '{name}'{did_you_mean(str(name), AGGREGATOR_DAYS)}; the feeds are "
                    f"{', '.join(AGGREGATOR_DAYS)}")
        if isinstance(spec, bool):
            continue
        if not isinstance(spec, dict) or set(spec) != {"days"}:
            return f"'{name}' must be true, false or {{days: N}}, {example}"
        days = spec["days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 366:
            return f"'{name}' must have 'days' from 1 to 366"
    return None


def _check_authors(value: Any) -> str | None:
    if not isinstance(value, dict) or not all(isinstance(k, str) and k.strip() for k in value):
        return "must be a mapping of author name to {bio: ..., photo: ...}"
    for name, spec in value.items():
        if spec is None:
            continue
        if not isinstance(spec, dict):
            return f"author '{name}' must be a mapping with 'bio' and/or 'photo'"
        for key, text in spec.items():
            if key not in PROFILE_KEYS:
                return (f"author '{name}' has an unknown key '{key}'; an author may have "
                        f"{' and '.join(repr(k) for k in PROFILE_KEYS)}")
            if not isinstance(text, str):
                return f"the {key} of author '{name}' must be a string"
    return None


def _check_schema(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be a mapping with 'sections', 'required' and/or 'tags' lists"
    for key, items in value.items():
        if key not in SCHEMA_KEYS:
            return f"has an unknown key '{key}'{did_you_mean(str(key), SCHEMA_KEYS)}"
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip()
                                                  for i in items):
            return f"'{key}' must be a list of names"
    return None


KEY_CHECKS = {
    "title": _check_str,
    "base_url": _check_base_url,
    "language": _check_str,
    "timezone": _check_timezone,
    "sections": _check_sections,
    "per_page": _check_positive_int,
    "home_label": _check_str,
    "slug_max_length": _check_positive_int,
    "feed_size": _check_positive_int,
    "safe_markdown": _check_bool,
    "search": _check_search,
    "schema": _check_schema,
    "authors": _check_authors,
    "image_widths": _check_image_widths,
    "image_formats": _check_image_formats,
    "image_quality": _check_image_quality,
    "feeds": _check_feeds,
}


def _key_lines(text: str) -> dict[str, int]:
    """The 1-based line of each top-level key (and 'key.subkey' one level down)."""
    try:
        node = yaml.compose(text, Loader=YamlLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    lines: dict[str, int] = {}
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode):
            lines.setdefault(str(key.value), key.start_mark.line + 1)
            if isinstance(value, yaml.MappingNode):
                for subkey, _ in value.value:
                    if isinstance(subkey, yaml.ScalarNode):
                        lines.setdefault(f"{key.value}.{subkey.value}",
                                         subkey.start_mark.line + 1)
    return lines


# PyYAML's wording, for the mistakes editors actually make, in words they can act on.
_YAML_ADVICE = (
    ("mapping values are not allowed",
     "a value that contains ': ' must be put in quotes, e.g. title: \"Итоги: что решено\""),
    ("tab character", "a tab is not allowed here; indent with spaces"),
    ("found character '\\t'", "a tab is not allowed here; indent with spaces"),
    ("found undefined alias", "a value starting with '*' must be put in quotes"),
    ("cannot start any token", "a value starting with this character must be put in quotes"),
    ("found duplicate anchor", "a value starting with '&' must be put in quotes"),
)
_YAML_OPENED = {
    "while parsing a flow sequence": "the '[' list opened on line {line} is not closed with ']' "
                                     "(or an item in it needs quotes)",
    "while parsing a flow mapping": "the '{{' opened on line {line} is not closed with '}}' "
                                    "(or a value in it needs quotes)",
    "while scanning a quoted scalar": "the quote opened on line {line} is never closed",
}


def yaml_problem(source: str, exc: yaml.YAMLError, first_line: int,
                 what: str = "invalid YAML") -> ContentError:
    """A YAML error as a `ContentError` on the file's line; `first_line` is the file line
    of the YAML text's first line."""
    mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    problem = str(getattr(exc, "problem", None) or exc)
    context = str(getattr(exc, "context", None) or "")
    line = mark.line + first_line if mark is not None else first_line
    opened = _YAML_OPENED.get(context)
    if opened and context_mark is not None:
        # The editor's mistake is where the bracket or quote was opened, not where
        # the parser gave up.
        start = context_mark.line + first_line
        return ContentError(source, start, f"{what}: "
                            f"{opened.format(line=start)}")
    for needle, advice in _YAML_ADVICE:
        if needle in problem:
            return ContentError(source, line, f"{what}: {advice}")
    return ContentError(source, line, f"{what}: {problem}")


def parse_config(text: str, path: str = CONFIG_NAME) -> tuple[SiteConfig, list[ContentError]]:
    """Validate config text; returns the config (defaults where invalid) and every problem."""
    try:
        data = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError as exc:
        return SiteConfig(), [yaml_problem(path, exc, 1)]
    if data is None:
        return SiteConfig(), []
    if not isinstance(data, dict):
        return SiteConfig(), [ContentError(path, 1, "the config must be a mapping of keys")]

    lines = _key_lines(text)
    problems: list[ContentError] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        key_name = str(key)
        check = KEY_CHECKS.get(key_name)
        if check is None:
            hint = did_you_mean(key_name, KEY_CHECKS)
            problems.append(ContentError(path, lines.get(key_name),
                                         f"unknown key '{key_name}'{hint}"))
            continue
        reason = check(value)
        if reason:
            line = lines.get(key_name)
            if isinstance(value, dict):  # point at the sub-key the reason names, if any
                line = next((lines[f"{key_name}.{sub}"] for sub in value
                             if f"'{sub}'" in reason and f"{key_name}.{sub}" in lines), line)
            if not isinstance(value, dict | list) and reason.startswith("must "):
                reason += f", not '{value}'"
            problems.append(ContentError(path, line, f"'{key_name}' {reason}"))
            continue
        values[key_name] = value

    sections = values.pop("sections", None)
    if isinstance(sections, dict):
        values["sections"] = tuple(sections)
        values["section_descriptions"] = {
            name: (spec or {}).get("description", "") for name, spec in sections.items()
        }
    elif isinstance(sections, list):
        values["sections"] = tuple(sections)
    authors = values.pop("authors", None)
    if authors is not None:
        values["authors"] = {name.strip(): AuthorProfile(**(spec or {}))
                             for name, spec in authors.items()}
    schema = values.pop("schema", None)
    if schema is not None:
        values["schema"] = Schema(
            sections=tuple(schema["sections"]) if "sections" in schema else None,
            required=tuple(schema.get("required", ())),
            tags=tuple(schema["tags"]) if "tags" in schema else None,
        )
    if "image_widths" in values:
        values["image_widths"] = tuple(sorted(set(values["image_widths"])))
    if "image_formats" in values:
        values["image_formats"] = tuple(dict.fromkeys(values["image_formats"]))
    if "image_quality" in values:
        quality = {**dict(SiteConfig.image_quality), **values["image_quality"]}
        values["image_quality"] = tuple(sorted(quality.items()))
    feeds = values.pop("feeds", None)
    if feeds is not None:
        values["feeds"] = AggregatorFeeds(**{
            name: spec["days"] if isinstance(spec, dict) else AGGREGATOR_DAYS[name]
            for name, spec in feeds.items() if spec is not False})
    if "base_url" in values and not values["base_url"].endswith("/"):
        values["base_url"] += "/"
    return SiteConfig(**values), problems


def load_config(site_dir: Path) -> tuple[SiteConfig, list[ContentError]]:
    path = site_dir / CONFIG_NAME
    if not path.exists():
        return SiteConfig(), []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return SiteConfig(), [ContentError(CONFIG_NAME, None, "not valid UTF-8; save it as UTF-8")]
    return parse_config(text, CONFIG_NAME)
