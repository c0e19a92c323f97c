"""HTML pages: the Jinja environment (built-in theme + site overrides) and one function
per kind of page. A page is a function of the site model, the config and the templates."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from jinja2 import meta
from markupsafe import Markup

from .cache import BuildCache
from .config import SiteConfig
from .content import TEMPLATES_DIR, THEME_DIR
from .dates import archive_links, day_name, local_day, locale_of, moment_name, period_start
from .errors import ContentError, did_you_mean
from .images import absolute_url, picture
from .keys import digest
from .models import (
    Article,
    Card,
    Crumb,
    Headline,
    Link,
    Listing,
    OutputFile,
    Pagination,
    ParsedSource,
)
from .site import article_crumbs, breadcrumbs
from .urls import AUTHORS_URL, NOT_FOUND_URL, SEARCH_URL, TAGS_URL, feed_url, url_to_path

ARTICLE_TEMPLATE = "article.html"
REDIRECT_TEMPLATE = "redirect.html"
# The sections' menu, which every page but a redirect stub carries.
NAV_TEMPLATE = "_nav.html"

_Value = TypeVar("_Value")

# Interface strings of the built-in theme, by language; templates read them as `t`.
STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "sections": "Sections", "tags": "Tags", "all_tags": "All tags", "latest": "Latest news",
        "related": "Related", "updated": "Updated", "correction": "Correction",
        "by": "By", "page": "Page", "of": "of", "newer": "Newer", "older": "Older",
        "not_found": "Page not found", "not_found_text": "There is no page at this address.",
        "to_home": "Go to the front page", "more": "More", "pages": "Pages",
        "articles": "articles", "feed": "Feed", "moved": "This page has moved",
        "to_content": "Skip to content", "authors": "Authors", "all_authors": "All authors",
        "archive": "Archive", "photo": "Photo",
        # The search page's (search.html, whose script reads them from the form): plural
        # forms by Intl.PluralRules category, `{n}` the count, `{q}` the query.
        "search": "Search", "search_label": "Search the site", "search_button": "Search",
        "search_found_one": "{n} article found", "search_found_other": "{n} articles found",
        "search_none": "Nothing found for “{q}”", "search_searching": "Searching…",
        "search_failed": "Search is not available right now.",
        "search_needs_js": "Search needs JavaScript, which is turned off in this browser.",
    },
    "ru": {
        "sections": "Разделы", "tags": "Теги", "all_tags": "Все теги",
        "latest": "Последние новости",
        "related": "Читайте также", "updated": "Обновлено", "correction": "Поправка",
        "by": "Автор", "page": "Страница", "of": "из", "newer": "Новее", "older": "Старше",
        "not_found": "Страница не найдена", "not_found_text": "По этому адресу ничего нет.",
        "to_home": "На главную", "more": "Все материалы раздела", "pages": "Страницы",
        "articles": "материалов", "feed": "Лента", "moved": "Страница переехала",
        "to_content": "К содержанию", "authors": "Авторы", "all_authors": "Все авторы",
        "archive": "Архив", "photo": "Фото",
        "search": "Поиск", "search_label": "Поиск по сайту", "search_button": "Найти",
        "search_found_one": "Найден {n} материал", "search_found_few": "Найдено {n} материала",
        "search_found_many": "Найдено {n} материалов",
        "search_found_other": "Найдено {n} материала",
        "search_none": "По запросу «{q}» ничего не найдено", "search_searching": "Ищем…",
        "search_failed": "Поиск сейчас недоступен.",
        "search_needs_js": "Для поиска нужен JavaScript, а в этом браузере он выключен.",
    },
}  # fmt: skip


class Strings(dict[str, str]):
    """Interface strings whose keys are attributes too. Templates write `t.related`, which
    Jinja tries as an attribute first: on a plain dict that fails (an exception, caught)
    before the key is looked up, on every use of every string of every page."""

    def __init__(self, strings: dict[str, str]) -> None:
        super().__init__(strings)
        self.__dict__.update(strings)


def to_json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a <script> block: '<', '>' and '&' escaped so no text can close it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


@dataclass(frozen=True)
class SiteView:
    """What templates see of the site as a whole."""

    title: str
    language: str
    base_url: str
    home_label: str
    sections: tuple[Link, ...]
    search: bool  # whether the site has a search page (`search: true`)


def _remembered(func: Callable[[_Value], str]) -> Callable[[_Value], str]:
    """A one-argument filter that computes each result once; an argument that cannot be a
    dict key (a template may pass anything) is computed every time, errors included."""
    results: dict[_Value, str] = {}

    def remembered(value: _Value) -> str:
        try:
            return results[value]
        except KeyError:
            result = results[value] = func(value)
            return result
        except TypeError:  # unhashable
            return func(value)

    return remembered


class Theme:
    """The Jinja environment for one site: its own templates first, then the built-in ones."""

    def __init__(self, config: SiteConfig, site_dir: Path) -> None:
        self.config = config
        self.site_templates = site_dir / TEMPLATES_DIR
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([
                jinja2.FileSystemLoader(self.site_templates),
                jinja2.FileSystemLoader(THEME_DIR / TEMPLATES_DIR),
            ]),
            autoescape=True,
            # A Theme lives for one build (serve makes a new one per rebuild), so the
            # templates need not be checked on disk again for every page.
            auto_reload=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        locale = self.locale = locale_of(config.language)
        tz = config.tz
        prefix = config.path_prefix

        # Babel takes microseconds per date, and a listing shows each article's date
        # again and again: the date filters remember their results for the theme's
        # lifetime (one build), and the long date is formatted once per day.
        @cache
        def day_long(day: dt.date) -> str:
            return day_name(day, locale)

        @_remembered
        def date_long(value: dt.datetime | None) -> str:
            if value is None:
                return ""
            return day_long(local_day(value, tz))

        @_remembered
        def date_time(value: dt.datetime | None) -> str:
            return "" if value is None else moment_name(value, tz, locale)

        @_remembered
        def iso(value: dt.datetime | None) -> str:
            return value.astimezone(tz).isoformat() if value else ""

        def href(url: str) -> str:
            return prefix + url if url.startswith("/") else url

        self.env.filters.update(
            date_long=date_long, date_time=date_time, iso=iso, href=href,
            absolute=config.absolute, json_ld=to_json_ld,
        )  # fmt: skip
        self.strings = Strings(STRINGS.get(locale.language, STRINGS["en"]))
        self.env.globals["t"] = self.strings
        self._fingerprints: dict[str, str] = {}

    def template_names(self) -> list[str]:
        return sorted(n for n in self.env.list_templates() if not n.startswith(("_", ".")))

    def has_template(self, name: str) -> bool:
        try:
            self.env.get_template(name)
        except jinja2.TemplateNotFound:
            return False
        except jinja2.TemplateError:
            return True  # it exists; its own error is reported when it renders
        return True

    def render(self, name: str, context: dict[str, Any]) -> str:
        return self.env.get_template(name).render(context)

    def fingerprint(self, name: str) -> str:
        """A digest of template `name` and of every template it extends, includes or
        imports, so that a page is made again only when one of those changed. When one of
        them names another by an expression, or cannot be read, every template counts."""
        known = self._fingerprints.get(name)
        if known is not None:
            return known
        used: set[str] = set()
        todo = [name]
        sources: list[str] = []
        while todo:
            current = todo.pop()
            if current in used:
                continue
            used.add(current)
            try:
                source = self._source(current)
                references = list(meta.find_referenced_templates(self.env.parse(source)))
            except jinja2.TemplateError:
                references = [None]
            if None in references:
                sources = ["*every template*", *self._every_source()]
                break
            sources += [current, source]
            todo += [ref for ref in references if ref is not None]
        value = self._fingerprints[name] = digest(*sources)
        return value

    def _source(self, name: str) -> str:
        loader = self.env.loader
        assert loader is not None  # set in __init__
        return loader.get_source(self.env, name)[0]

    def _every_source(self) -> list[str]:
        names = self.env.list_templates()
        parts = []
        for template in sorted(names):
            try:
                parts += [template, self._source(template)]
            except jinja2.TemplateError:
                parts += [template, ""]
        return parts

    def describe_error(self, exc: Exception) -> ContentError:
        """A template problem as `templates/x.html:line: message`."""
        if isinstance(exc, jinja2.TemplateSyntaxError):
            return ContentError(self._display(exc.filename or exc.name or "?"), exc.lineno,
                                f"template error: {exc.message}")
        frames = [f for f in traceback.extract_tb(exc.__traceback__)
                  if f.filename.endswith((".html", ".xml", ".j2", ".jinja"))]
        if frames:
            frame = frames[-1]
            return ContentError(self._display(frame.filename), frame.lineno,
                                f"template error: {exc}")
        return ContentError(TEMPLATES_DIR, None, f"template error: {exc}")

    def _display(self, filename: str) -> str:
        path = Path(filename)
        for root, label in ((self.site_templates, TEMPLATES_DIR), (THEME_DIR / TEMPLATES_DIR,
                                                                    "newsgen theme")):
            try:
                return f"{label}/{path.resolve().relative_to(root.resolve()).as_posix()}"
            except ValueError:
                continue
        return filename


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept in the build cache (Jinja checks each against its source);
    a cache folder deleted meanwhile costs a compile, never a failed page."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def site_theme(cache: BuildCache, config: SiteConfig, site_dir: Path, templates_key: str
               ) -> Theme:
    """The site's Jinja environment: one per process while the config and the templates
    stay the same (the dev server's rebuilds compile no template twice), and compiled
    templates kept in the cache folder for the next process."""

    def make() -> Theme:
        theme = Theme(config, site_dir)
        folder = cache.dir / "templates"
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            theme.env.bytecode_cache = _CompiledTemplates(str(folder))
        return theme

    return cache.reuse("theme", digest(repr(config), str(site_dir.absolute()), templates_key),
                       make)


def check_templates(theme: Theme, articles: Sequence[Article | ParsedSource]
                    ) -> list[ContentError]:
    """Articles asking for a template that does not exist."""
    problems = []
    for article in articles:
        name = article.meta.template
        if name and not theme.has_template(name):
            available = ", ".join(theme.template_names())
            problems.append(ContentError(
                article.source, article.key_lines.get("template"),
                f"unknown template '{name}'{did_you_mean(name, theme.template_names())}; "
                f"the templates are: {available}"))
    return problems


def _crumb_json_ld(config: SiteConfig, crumbs: tuple[Crumb, ...]) -> Markup:
    return to_json_ld({
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": c.label, "item": config.absolute(c.url)}
            for n, c in enumerate(crumbs, start=1)
        ],
    })


def _image_url(config: SiteConfig, image: str | None) -> str | None:
    if not image:
        return None
    if "://" in image:
        return image
    return config.absolute("/" + image.lstrip("/"))


@dataclass(frozen=True)
class SocialImage:
    """What `og:image` says of a page's image: its absolute URL, and, for a processed
    image, its pixel size, type and alt text."""

    url: str
    width: int = 0
    height: int = 0
    mime: str = ""
    alt: str = ""


def social_image(config: SiteConfig, article: Article) -> SocialImage | None:
    lead = article.lead_image
    if lead is None:
        url = _image_url(config, article.meta.image)
        return SocialImage(url, alt=article.meta.image_alt or "") if url else None
    social = lead.social
    return SocialImage(absolute_url(config, social), social.width, social.height, social.mime,
                       article.meta.image_alt or "")


def _json_ld_images(config: SiteConfig, article: Article) -> list[str]:
    """NewsArticle's `image`: the lead image's 16:9, 4:3 and 1:1 crops, as Google asks."""
    lead = article.lead_image
    if lead is not None and lead.crops:
        return [absolute_url(config, crop) for crop in lead.crops]
    if lead is not None:
        return [absolute_url(config, lead.social)]
    url = _image_url(config, article.meta.image)
    return [url] if url else []


def article_json_ld(config: SiteConfig, article: Article) -> Markup:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.lede,
        "mainEntityOfPage": {"@type": "WebPage", "@id": config.absolute(article.url)},
        "url": config.absolute(article.url),
        "articleSection": article.section.name,
        "inLanguage": config.language,
        "publisher": {"@type": "Organization", "name": config.title,
                      "url": config.absolute("/")},
    }
    if article.date:
        data["datePublished"] = article.date.isoformat()
    if article.modified:
        data["dateModified"] = article.modified.isoformat()
    if article.authors:
        data["author"] = [{"@type": "Person", "name": name} for name in article.authors]
    else:
        data["author"] = {"@type": "Organization", "name": config.title}
    images = _json_ld_images(config, article)
    if images:
        data["image"] = images
    if article.tags:
        data["keywords"] = [t.name for t in article.tags]
    return to_json_ld(data)


class PageRenderer:
    """Renders the HTML pages of one assembled site, each from exactly the values its unit
    hands over (`pages.py`): the renderer itself never looks articles up."""

    def __init__(self, theme: Theme, sections: tuple[Listing, ...]) -> None:
        self.theme = theme
        self.config = theme.config
        # Sections as links only: a page's navigation must not depend on which articles a
        # section lists, or every new article would re-render every cached page.
        self.view = SiteView(self.config.title, self.config.language, self.config.base_url,
                             self.config.home,
                             tuple(Link(s.name, s.slug, s.url) for s in sections),
                             self.config.search)
        self._navs: dict[str, Markup] = {}  # the menu, by the URL of the current section
        self._with_nav: dict[str, str] = {}  # template -> digest of it and of the menu

    def _nav(self, url: str) -> Markup:
        """The sections' menu (`_nav.html`) of the page at `url`. It is the same on every
        page of a section, so it is made once per section rather than on every page."""
        current = next((s for s in self.view.sections if url.startswith(s.url)), None)
        key = current.url if current else ""
        nav = self._navs.get(key)
        if nav is None:
            nav = self._navs[key] = Markup(self.theme.render(NAV_TEMPLATE, {
                "site": self.view, "current_section": current}))
        return nav

    def templates_digest(self, template: str, with_menu: bool) -> str:
        """A digest of the templates a page is made with: its own (and what it extends,
        includes or imports), and the sections' menu when the page carries it."""
        if not with_menu:
            return self.theme.fingerprint(template)
        known = self._with_nav.get(template)
        if known is None:  # asked for every page: once per template
            known = self._with_nav[template] = digest(self.theme.fingerprint(template),
                                                      self.theme.fingerprint(NAV_TEMPLATE))
        return known

    def page(self, template: str, source: str, url: str, context: dict[str, Any]) -> OutputFile:
        """A page with the site's frame: menu, canonical URL, breadcrumb JSON-LD."""
        context.setdefault("crumbs", ())
        context["site"] = self.view
        context["canonical"] = self.config.absolute(url)
        context["url"] = url
        context["nav"] = self._nav(url)
        context["crumbs_json_ld"] = (_crumb_json_ld(self.config, context["crumbs"])
                                     if context["crumbs"] else None)
        html = self.theme.render(template, context)
        return OutputFile(url_to_path(url), html.encode("utf-8"), source)

    def article(self, template: str, article: Article, related: list[Card]) -> OutputFile:
        return self.page(template, article.source, article.url, {
            "article": article,
            "title": article.title,
            "description": article.lede,
            "crumbs": article_crumbs(self.config, article),
            "related": related,
            "article_json_ld": article_json_ld(self.config, article),
            "og_type": "article",
            "image": social_image(self.config, article),
            "lead_picture": self._lead_picture(article),
            "robots": "max-image-preview:large",
            "feeds": [(article.section.name, feed_url(article.section.url))],
        })

    @staticmethod
    def _lead_picture(article: Article) -> Markup | None:
        lead = article.lead_image
        return picture(lead, article.meta.image_alt or "", lead=True) if lead else None

    def listing(self, template: str, listing: Listing, page: Pagination, items: list[Card]
                ) -> OutputFile:
        """Page `page.number` of a section's, a tag's, an author's or a day's listing."""
        page_label = self.theme.strings["page"]
        trail = (*self._parents(listing), (listing.name, listing.url))
        if page.number > 1:
            trail = (*trail, (f"{page_label} {page.number}", page.url))
        title = listing.name
        feeds = [(listing.name, feed_url(listing.url))] if listing.kind != Listing.DAY else []
        return self.page(template, listing.label, page.url, {
            "title": title if page.number == 1 else f"{title} — {page_label} {page.number}",
            "heading": title,
            "description": listing.description or title,
            "crumbs": breadcrumbs(self.config.home, *trail),
            "pagination": page,
            "items": items,
            "listing": listing,
            listing.kind: listing,
            "image": (SocialImage(url) if (url := _image_url(self.config, listing.image))
                      else None),
            "feeds": feeds,
        })

    def _parents(self, listing: Listing) -> tuple[tuple[str, str], ...]:
        """The breadcrumb between the home page and a listing: the tags or authors index,
        or a day's year and month."""
        t = self.theme.strings
        if listing.kind == Listing.TAG:
            return ((t["tags"], TAGS_URL),)
        if listing.kind == Listing.AUTHOR:
            return ((t["authors"], AUTHORS_URL),)
        if listing.kind in Listing.ARCHIVE:
            year, month, _ = archive_links(period_start(listing.slug), self.theme.locale)
            return tuple((link.name, link.url) for link in (year, month)[
                :Listing.ARCHIVE.index(listing.kind)])
        return ()

    def listing_index(self, template: str, kind: str, listings: tuple[Listing, ...]
                      ) -> OutputFile:
        """The tags index or the authors index."""
        t = self.theme.strings
        title, url = ((t["all_tags"], TAGS_URL) if kind == Listing.TAG
                      else (t["all_authors"], AUTHORS_URL))
        return self.page(template, f"{kind}s index", url, {
            "title": title,
            "description": title,
            "crumbs": breadcrumbs(self.config.home, (title, url)),
            "listings": listings,
            f"{kind}s": listings,
        })

    def period(self, template: str, period: Listing,
               parts: list[tuple[Listing, list[Headline]]]) -> OutputFile:
        """An archive year's page (its months) or month's (its days and their headlines)."""
        trail = (*self._parents(period), (period.name, period.url))
        return self.page(template, period.label, period.url, {
            "title": period.name,
            "heading": period.name,
            "description": f"{self.theme.strings['archive']}: {period.name}",
            "crumbs": breadcrumbs(self.config.home, *trail),
            "period": period,
            "parts": parts,
        })

    def home(self, template: str, latest: list[Card],
             blocks: list[tuple[Link, list[Card]]]) -> OutputFile:
        return self.page(template, "home page", "/", {
            "title": self.config.title,
            "crumbs": breadcrumbs(self.config.home),
            "description": self.config.title,
            "latest": latest,
            "blocks": blocks,
        })

    def search_page(self, template: str) -> OutputFile:
        t = self.theme.strings
        return self.page(template, "search page", SEARCH_URL, {
            "title": t["search"], "description": t["search_label"],
            "crumbs": breadcrumbs(self.config.home, (t["search"], SEARCH_URL)),
        })

    def not_found(self, template: str) -> OutputFile:
        t = self.theme.strings
        return self.page(template, "404 page", NOT_FOUND_URL, {
            "title": t["not_found"], "description": t["not_found"],
            "crumbs": breadcrumbs(self.config.home, (t["not_found"], NOT_FOUND_URL)),
        })

    def redirect(self, from_url: str, to_url: str, source: str) -> OutputFile:
        """A stub at an old URL that sends readers and crawlers to the article's URL."""
        html = self.theme.render(REDIRECT_TEMPLATE, {
            "site": self.view, "target": self.config.absolute(to_url),
            "title": self.theme.strings["moved"],
        })
        return OutputFile(url_to_path(from_url), html.encode("utf-8"), source)
