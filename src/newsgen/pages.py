"""The units of a site's output: one frozen dataclass per kind of output.

A unit is a value that says everything about one output: who it is (`ident`), the template
it is made with, what it shows — which articles, whole (`Shows.whole`: the article's page,
a feed entry with its body) or as cards (`Shows.cards`: every field but the body) — and
whatever else it shows (`identity`: a listing's name and length, a redirect's target).
The engine keys a unit by exactly that declaration (`keys.unit_key`) and hands `render`
exactly the articles it declared (`Shown`), so the key and the page cannot disagree: a
unit that reaches for an article it did not declare fails, and a kind of unit that does
not declare its inputs cannot be made (each of `Unit`'s methods is abstract).

Adding a kind of output is one class here, added to `KINDS`, and one template."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from .aggregators import Aggregator, FeedWords, aggregator_feed, aggregators, window_articles
from .cache import CacheDamaged
from .config import CONFIG_NAME, SiteConfig
from .errors import ContentError, warning
from .feeds import (
    SITEMAP_LIMIT,
    SitemapEntry,
    atom_feed,
    news_articles,
    news_sitemap,
    robots,
    sitemap_entries,
    sitemap_files,
)
from .imaging import ProcessedImage, cache_folder
from .keys import ArticleKeys, digest, unit_key
from .models import Article, Card, Headline, Link, Listing, OutputFile, Pagination, Site
from .render import ARTICLE_TEMPLATE, REDIRECT_TEMPLATE, PageRenderer
from .search import SearchError, search_index_files, search_record
from .site import page_count, page_items, pagination
from .urls import IMAGES_URL, ROBOTS_URL, alias_url, feed_url, url_to_path

HOME_SECTION_SIZE = 5  # cards in each section's block on the home page


@dataclass(frozen=True)
class Plan:
    """What units are planned from: the assembled site and what the build knows of it."""

    site: Site
    config: SiteConfig
    related: tuple[tuple[int, ...], ...]  # per article, the related articles it lists
    now: dt.datetime
    cache_dir: Path = Path()  # where processed images' files are (`images.py`)


@dataclass(frozen=True)
class Shows:
    """The articles a unit shows, as indexes into the site's articles: `whole` (with the
    body), `cards` (every field but the body), `links` (the address and the last change
    alone: a sitemap's entry) and `headlines` (the title, address and section)."""

    whole: tuple[int, ...] = ()
    cards: tuple[int, ...] = ()
    links: tuple[int, ...] = ()
    headlines: tuple[int, ...] = ()


class UndeclaredArticle(LookupError):
    """A unit asked for an article it did not declare: its key would not cover it."""


class Shown:
    """The articles a unit declared, and no others; and the warnings its files gave
    (`warn`), which the build reports with its own."""

    def __init__(self, site: Site, shows: Shows) -> None:
        self.warnings: list[ContentError] = []
        self._articles = site.articles
        self._catalog = site.catalog
        self._whole = frozenset(shows.whole)
        self._cards = self._whole | frozenset(shows.cards)
        self._links = self._cards | frozenset(shows.links)
        self._headlines = self._cards | frozenset(shows.headlines)

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(warning(path, None, message))

    def whole(self, index: int) -> Article:
        if index not in self._whole:
            raise UndeclaredArticle(f"article {index} is not declared whole")
        return self._articles[index]

    def card(self, index: int) -> Card:
        if index not in self._cards:
            raise UndeclaredArticle(f"article {index} is not declared")
        return Card.of(self._articles[index])

    def cards(self, indexes: Sequence[int]) -> list[Card]:
        return [self.card(i) for i in indexes]

    def headlines(self, indexes: Sequence[int]) -> list[Headline]:
        if not self._headlines.issuperset(indexes):
            raise UndeclaredArticle(f"articles {sorted(set(indexes) - self._headlines)} "
                                    "are not declared")
        return [Headline.of(self._articles[i]) for i in indexes]

    def links(self, indexes: Sequence[int]) -> list[SitemapEntry]:
        if not self._links.issuperset(indexes):
            raise UndeclaredArticle(f"articles {sorted(set(indexes) - self._links)} "
                                    "are not declared")
        urls, modified = self._catalog.urls, self._catalog.modified
        return [SitemapEntry(urls[i], modified[i]) for i in indexes]


class Unit(ABC):
    """One unit of output. Subclasses are frozen dataclasses that hold what they show."""

    # Whether the page carries the sections' menu (its key then covers the menu).
    with_menu: ClassVar[bool] = True

    def wanted_first(self, edited: frozenset[int]) -> bool:
        """Whether a dev server makes it before the browser reloads, after a change to
        the articles `edited` (indexes); the others it may make just after
        (`BuildOptions.defer`): pages a reader reaches by paging on, or through a link."""
        return True

    @property
    @abstractmethod
    def ident(self) -> str:
        """Stable between builds: how the output record finds this unit again."""

    @abstractmethod
    def template(self) -> str | None:
        """The template the unit is made with; None for a file made without one."""

    @abstractmethod
    def shows(self) -> Shows:
        """The articles it shows, and as what."""

    @abstractmethod
    def identity(self) -> tuple[str, ...]:
        """Everything else it shows that is not in the frame (code, config, templates)."""

    @abstractmethod
    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        """The unit's files, made from `shown` and the unit's own fields only."""

    @classmethod
    @abstractmethod
    def plan(cls, plan: Plan) -> Iterator[Unit]:
        """Every unit of this kind in the site."""


@dataclass(frozen=True)
class ArticlePage(Unit):
    index: int
    source: str
    article_template: str
    related: tuple[int, ...]

    @property
    def ident(self) -> str:
        return "article:" + self.source

    def template(self) -> str:
        return self.article_template

    def shows(self) -> Shows:
        return Shows(whole=(self.index,), cards=self.related)

    def identity(self) -> tuple[str, ...]:
        return ()

    def wanted_first(self, edited: frozenset[int]) -> bool:
        return self.index in edited  # else only its related articles changed

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        return [renderer.article(self.article_template, shown.whole(self.index),
                                 shown.cards(self.related))]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[ArticlePage]:
        catalog = plan.site.catalog
        for index, source in enumerate(catalog.sources):
            yield cls(index, source, catalog.templates[index] or ARTICLE_TEMPLATE,
                      plan.related[index])


@dataclass(frozen=True)
class ListingPage(Unit):
    """Page `number` of a section's, a tag's, an author's or an archive day's listing."""

    listing: Listing
    number: int
    per_page: int

    TEMPLATES: ClassVar[dict[str, str]] = {Listing.SECTION: "section.html",
                                           Listing.TAG: "tag.html",
                                           Listing.AUTHOR: "author.html",
                                           Listing.DAY: "archive_day.html"}

    @property
    def ident(self) -> str:
        return f"{self.listing.kind}:{self.listing.slug}:{self.number}"

    def wanted_first(self, edited: frozenset[int]) -> bool:
        return self.number == 1

    def template(self) -> str:
        return self.TEMPLATES[self.listing.kind]

    def shows(self) -> Shows:
        return Shows(cards=page_items(self.listing.articles, self.per_page, self.number))

    def identity(self) -> tuple[str, ...]:
        listing = self.listing
        return (listing.kind, listing.name, listing.slug, listing.url, listing.description,
                listing.image, str(len(listing.articles)), str(self.number))

    def _page(self) -> Pagination:
        return pagination(self.listing.articles, self.per_page, self.listing.url, self.number)

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        page = self._page()
        return [renderer.listing(self.template(), self.listing, page, shown.cards(page.items))]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[ListingPage]:
        per_page = plan.config.per_page
        for listing in plan.site.listings:
            if listing.paginated:
                for number in range(1, page_count(len(listing.articles), per_page) + 1):
                    yield cls(listing, number, per_page)


@dataclass(frozen=True)
class ListingIndexPage(Unit):
    """Every tag (`/tags/`) or every author (`/authors/`), each with its count."""

    kind: str  # Listing.TAG or Listing.AUTHOR
    listings: tuple[Listing, ...]

    IDENTS: ClassVar[dict[str, str]] = {Listing.TAG: "tags", Listing.AUTHOR: "authors"}

    @property
    def ident(self) -> str:
        return self.IDENTS[self.kind]

    def template(self) -> str:
        return f"{self.IDENTS[self.kind]}.html"

    def shows(self) -> Shows:
        return Shows()

    def identity(self) -> tuple[str, ...]:  # the index shows each one's name and count
        return tuple(f"{listing.name}\0{listing.url}\0{len(listing.articles)}"
                     for listing in self.listings)

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        return [renderer.listing_index(self.template(), self.kind, self.listings)]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[ListingIndexPage]:
        yield cls(Listing.TAG, plan.site.tags)  # there even before the first tag
        if plan.site.authors:
            yield cls(Listing.AUTHOR, plan.site.authors)


@dataclass(frozen=True)
class PeriodPage(Unit):
    """The archive page of a year (its months, each with its count) or of a month (its
    days, each with its articles' headlines)."""

    period: Listing  # Listing.YEAR or Listing.MONTH
    parts: tuple[Listing, ...]  # its months or days, newest first

    TEMPLATES: ClassVar[dict[str, str]] = {Listing.YEAR: "archive_year.html",
                                           Listing.MONTH: "archive_month.html"}

    @property
    def ident(self) -> str:
        return f"{self.period.kind}:{self.period.slug}"

    def template(self) -> str:
        return self.TEMPLATES[self.period.kind]

    def wanted_first(self, edited: frozenset[int]) -> bool:
        return False  # reached through a link from a day's page or an article's date

    def _headlines(self) -> bool:
        return self.period.kind == Listing.MONTH

    def shows(self) -> Shows:
        return Shows(headlines=tuple(sorted(self.period.articles)) if self._headlines() else ())

    def identity(self) -> tuple[str, ...]:
        period = self.period
        return (period.kind, period.name, period.slug, period.url,
                *(f"{part.name}\0{part.url}\0{','.join(map(str, part.articles))}"
                  if self._headlines() else f"{part.name}\0{part.url}\0{len(part.articles)}"
                  for part in self.parts))

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        groups = [(part, shown.headlines(part.articles) if self._headlines() else [])
                  for part in self.parts]
        return [renderer.period(self.template(), self.period, groups)]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[PeriodPage]:
        parts: dict[str, list[Listing]] = {}
        for listing in plan.site.archives:
            if listing.parent is not None:
                parts.setdefault(listing.parent, []).append(listing)
        for listing in plan.site.archives:
            if not listing.paginated:
                yield cls(listing, tuple(parts.get(listing.slug, ())))


@dataclass(frozen=True)
class HomePage(Unit):
    latest: tuple[int, ...]
    blocks: tuple[tuple[Link, tuple[int, ...]], ...]  # a section, and its newest articles

    @property
    def ident(self) -> str:
        return "home"

    def template(self) -> str:
        return "home.html"

    def shows(self) -> Shows:
        return Shows(cards=tuple(sorted({*self.latest,
                                         *(i for _, shown in self.blocks for i in shown)})))

    def identity(self) -> tuple[str, ...]:
        return tuple(f"{section.name}\0{section.url}\0{len(shown)}"
                     for section, shown in self.blocks)

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        blocks = [(section, shown.cards(items)) for section, items in self.blocks]
        return [renderer.home(self.template(), shown.cards(self.latest), blocks)]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[HomePage]:
        site = plan.site
        latest = tuple(range(min(plan.config.per_page, len(site.articles))))
        blocks = tuple((Link(s.name, s.slug, s.url), s.articles[:HOME_SECTION_SIZE])
                       for s in site.sections)
        yield cls(latest, blocks)


@dataclass(frozen=True)
class NotFoundPage(Unit):
    @property
    def ident(self) -> str:
        return "404"

    def template(self) -> str:
        return "404.html"

    def shows(self) -> Shows:
        return Shows()

    def identity(self) -> tuple[str, ...]:
        return ()

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        return [renderer.not_found(self.template())]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[NotFoundPage]:
        yield cls()


@dataclass(frozen=True)
class AliasRedirect(Unit):
    """A stub at an `aliases:` URL that sends readers and crawlers to the article."""

    from_url: str
    to_url: str
    source: str

    with_menu = False

    @property
    def ident(self) -> str:
        return "redirect:" + self.from_url

    def template(self) -> str:
        return REDIRECT_TEMPLATE

    def shows(self) -> Shows:
        return Shows()

    def identity(self) -> tuple[str, ...]:
        return (self.from_url, self.to_url, self.source)

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        return [renderer.redirect(self.from_url, self.to_url, self.source)]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[AliasRedirect]:
        catalog = plan.site.catalog
        for source, url, aliases in zip(catalog.sources, catalog.urls, catalog.aliases,
                                        strict=True):
            for alias in aliases:
                yield cls(alias_url(alias), url, source)


@dataclass(frozen=True)
class AtomFeed(Unit):
    """The Atom feed of the site, a section or a tag: its newest articles, whole."""

    page_url: str  # the page the feed belongs to
    title: str
    source: str
    items: tuple[int, ...]

    with_menu = False

    @property
    def ident(self) -> str:
        return "feed:" + self.page_url

    def wanted_first(self, edited: frozenset[int]) -> bool:
        return False  # read by feed readers, not by the editor

    def template(self) -> None:
        return None

    def shows(self) -> Shows:
        return Shows(whole=self.items)

    def identity(self) -> tuple[str, ...]:
        return (self.page_url, self.title)

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        url = feed_url(self.page_url)
        data = atom_feed(renderer.config, self.title, self.page_url, url,
                         [shown.whole(i) for i in self.items])
        return [OutputFile(url_to_path(url), data, self.source)]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[AtomFeed]:
        config, site, size = plan.config, plan.site, plan.config.feed_size
        yield cls("/", config.title, "site feed", tuple(range(min(size, len(site.articles)))))
        for listing in (*site.sections, *site.tags, *site.authors):
            yield cls(listing.url, f"{listing.name} — {config.title}", listing.label,
                      listing.articles[:size])


@dataclass(frozen=True)
class AggregatorFeedFile(Unit):
    """The RSS feed of an aggregator (`aggregators.py`): the articles of its window up to
    the build's moment, whole."""

    feed: Aggregator
    items: tuple[int, ...]

    with_menu = False

    @property
    def ident(self) -> str:
        return "feed:" + self.feed.url

    def wanted_first(self, edited: frozenset[int]) -> bool:
        return False  # read by aggregators, not by the editor

    def template(self) -> None:
        return None

    def shows(self) -> Shows:
        return Shows(whole=self.items)

    def identity(self) -> tuple[str, ...]:
        return ()  # the feed is the config's, in the frame

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        t = renderer.theme.strings
        data, dropped = aggregator_feed(
            self.feed, renderer.config, [shown.whole(i) for i in self.items],
            FeedWords(latest=t["latest"], correction=t["correction"], photo=t["photo"]))
        path = url_to_path(self.feed.url)
        if dropped:
            shown.warn(path, f"{dropped} older articles of the last {self.feed.days} days are "
                             f"left out: {self.feed.label} reads at most "
                             f"{self.feed.limit_bytes:,} bytes")
        return [OutputFile(path, data, f"{self.feed.label} feed")]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[AggregatorFeedFile]:
        for feed in aggregators(plan.config):
            yield cls(feed, window_articles(plan.site.catalog.dates, plan.now, feed))


@dataclass(frozen=True)
class SitemapFiles(Unit):
    """`/sitemap.xml` (an index of parts past `limit` URLs): every page worth indexing."""

    count: int  # articles
    listings: tuple[Listing, ...]
    per_page: int
    limit: int

    with_menu = False
    @property
    def ident(self) -> str:
        return "sitemap"

    def wanted_first(self, edited: frozenset[int]) -> bool:
        return False  # read by crawlers, not by the editor

    def template(self) -> None:
        return None

    def shows(self) -> Shows:
        return Shows(links=tuple(range(self.count)))

    def identity(self) -> tuple[str, ...]:
        # Each listing page's last modification comes from the articles up to its end.
        return (str(self.per_page), str(self.limit),
                *(f"{listing.kind}\0{listing.url}\0{','.join(map(str, listing.articles))}"
                  for listing in self.listings))

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        entries = sitemap_entries(shown.links(range(self.count)), self.listings, self.per_page)
        return list(sitemap_files(renderer.config, entries, self.limit))

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[SitemapFiles]:
        yield cls(len(plan.site.articles), plan.site.listings, plan.config.per_page,
                  SITEMAP_LIMIT)


@dataclass(frozen=True)
class NewsSitemap(Unit):
    """`/news-sitemap.xml`: the articles of the news window up to the build's moment."""

    items: tuple[int, ...]

    with_menu = False
    @property
    def ident(self) -> str:
        return "news-sitemap"

    def wanted_first(self, edited: frozenset[int]) -> bool:
        return False  # read by crawlers, not by the editor

    def template(self) -> None:
        return None

    def shows(self) -> Shows:
        return Shows(cards=self.items)

    def identity(self) -> tuple[str, ...]:
        return ()

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        return [news_sitemap(renderer.config, shown.cards(self.items))]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[NewsSitemap]:
        yield cls(news_articles(plan.site.catalog.dates, plan.now))


@dataclass(frozen=True)
class RobotsFile(Unit):
    with_menu = False
    @property
    def ident(self) -> str:
        return "robots"

    def template(self) -> None:
        return None

    def shows(self) -> Shows:
        return Shows()

    def identity(self) -> tuple[str, ...]:
        return ()

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        feeds = [(feed.label, feed.url) for feed in aggregators(renderer.config)]
        return [OutputFile(url_to_path(ROBOTS_URL), robots(renderer.config, feeds),
                           "robots.txt")]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[RobotsFile]:
        yield cls()


@dataclass(frozen=True)
class ImageFiles(Unit):
    """The files of one processed image (`images.py`): its variants and crops, copied
    from the cache, where they were made."""

    image: ProcessedImage
    cache_dir: Path = field(compare=False)

    with_menu = False

    @property
    def ident(self) -> str:
        return "image:" + self.image.key

    def template(self) -> None:
        return None

    def shows(self) -> Shows:
        return Shows()

    def identity(self) -> tuple[str, ...]:
        return (self.image.key, *(f.url for f in (*self.image.files, *self.image.crops)))

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        folder = cache_folder(self.cache_dir, self.image.key)
        made = []
        for file in (*self.image.files, *self.image.crops):
            try:
                data = (folder / file.name).read_bytes()
            except OSError:
                raise CacheDamaged(f"the processed file {file.name} is missing") from None
            made.append(OutputFile(url_to_path(IMAGES_URL + file.name), data,
                                   self.image.label))
        return made

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[ImageFiles]:
        seen: set[str] = set()
        for images in plan.site.catalog.images:
            for image in images:
                if image.key not in seen:
                    seen.add(image.key)
                    yield cls(image, plan.cache_dir)


class UnitFailed(Exception):
    """A unit could not make its files for a reason the build reports as a problem (the
    search index without Pagefind working), not as a bug."""

    def __init__(self, problem: ContentError) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class SearchPage(Unit):
    """`/search/`: the search form, and the results pagefind.js finds in the index."""

    @property
    def ident(self) -> str:
        return "search"

    def template(self) -> str:
        return "search.html"

    def shows(self) -> Shows:
        return Shows()

    def identity(self) -> tuple[str, ...]:
        return ()

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        return [renderer.search_page(self.template())]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[SearchPage]:
        if plan.config.search:
            yield cls()


@dataclass(frozen=True)
class SearchIndex(Unit):
    """The Pagefind index under `/pagefind/` of every published article, whole (its
    title, lede and text): an edit, an unpublished or a deleted article changes it."""

    count: int  # articles

    with_menu = False

    @property
    def ident(self) -> str:
        return "search-index"

    def wanted_first(self, edited: frozenset[int]) -> bool:
        return False  # the editor previews the page, not a search for it

    def template(self) -> None:
        return None

    def shows(self) -> Shows:
        return Shows(whole=tuple(range(self.count)))

    def identity(self) -> tuple[str, ...]:
        return ()

    def render(self, renderer: PageRenderer, shown: Shown) -> list[OutputFile]:
        config = renderer.config
        records = [search_record(shown.whole(i), config) for i in range(self.count)]
        try:
            files = search_index_files(records, config.language)
        except SearchError as exc:
            raise UnitFailed(ContentError(CONFIG_NAME, None, f"search index: {exc}")) from None
        return [OutputFile(path, data, "search index") for path, data in files.items()]

    @classmethod
    def plan(cls, plan: Plan) -> Iterator[SearchIndex]:
        if plan.config.search:
            yield cls(len(plan.site.articles))


@dataclass(frozen=True)
class KnownKeys:
    """The unit keys of one build, kept in memory for the next: a unit planned again with
    the same value keeps its key while none of the articles it shows changed keys."""

    frames: tuple[str, str]
    article_keys: Sequence[ArticleKeys]
    # ident -> (the unit, its key, the articles it shows, or None: ask the unit)
    keys: dict[str, tuple[Unit, str, tuple[int, ...] | None]]

    @classmethod
    def of_build(cls, frames: tuple[str, str], units: Sequence[Unit], keys: Mapping[str, str],
                 article_keys: Sequence[ArticleKeys]) -> KnownKeys:
        """The keys a saved build gave its `units` (`keys`, by ident), without each unit's
        articles, for a new process: saving and loading those cost more than asking."""
        return cls(frames, article_keys, {unit.ident: (unit, keys[unit.ident], None)
                                          for unit in units if unit.ident in keys})


class UnitKeyer:
    """Keys units by what they declare (`keys.unit_key`): the frame (code, config and, on
    pages that carry it, the sections' menu), the unit's templates, its identity and the
    keys of the articles it shows, as cards, whole or links. `known`: the previous build's
    keys (same code, config and templates), reused where they still hold."""

    def __init__(self, renderer: PageRenderer, page_salt: str,
                 article_keys: Sequence[ArticleKeys], known: KnownKeys | None = None, *,
                 remember: bool = True) -> None:
        """`remember`: keep every key made in `made`, for a next build in this process
        (100,000 articles' units' keys weigh tens of megabytes: only a dev server keeps
        them)."""
        self.renderer = renderer
        self._remember = remember
        self.article_keys = article_keys
        self._frames = {True: digest(page_salt, repr(renderer.view)), False: page_salt}
        self.made = KnownKeys((self._frames[True], self._frames[False]), article_keys, {})
        self._known: dict[str, tuple[Unit, str, tuple[int, ...] | None]] = {}
        self._changed: frozenset[int] = frozenset()
        if known is not None and known.frames == self.made.frames:
            self._known = known.keys
            before, after = known.article_keys, article_keys
            self._changed = frozenset(
                i for i in range(max(len(before), len(after)))
                if i >= len(before) or i >= len(after)
                or (before[i] is not after[i] and before[i] != after[i]))

    @property
    def kept(self) -> KnownKeys | None:
        """The keys made, for the next build in this process, when remembered."""
        return self.made if self._remember else None

    def key(self, unit: Unit) -> str:
        ident = unit.ident
        known = self._known.get(ident)
        if known is not None and known[0] != unit:
            known = None
        elif known is not None and self._changed:
            shown = known[2] if known[2] is not None else _shown(unit.shows())
            known = (unit, known[1], shown) if self._changed.isdisjoint(shown) else None
        if known is None:
            key, shown = self._key(unit)
            known = (unit, key, shown)
        if self._remember:
            self.made.keys[ident] = known
        return known[1]

    def _key(self, unit: Unit) -> tuple[str, tuple[int, ...]]:
        template = unit.template()
        templates = (self.renderer.templates_digest(template, unit.with_menu)
                     if template is not None else "")
        shows, article_keys = unit.shows(), self.article_keys
        key = unit_key(type(unit).__name__, unit.identity(), self._frames[unit.with_menu],
                       templates, [article_keys[i].card for i in shows.cards],
                       [article_keys[i].whole for i in shows.whole],
                       [article_keys[i].link for i in shows.links],
                       [article_keys[i].headline for i in shows.headlines])
        return key, _shown(shows)


def _shown(shows: Shows) -> tuple[int, ...]:
    return (*shows.whole, *shows.cards, *shows.links, *shows.headlines)


# Every kind of output, in the order their files are claimed (and clashes reported).
KINDS: tuple[type[Unit], ...] = (ArticlePage, ListingPage, ListingIndexPage, PeriodPage,
                                 HomePage, NotFoundPage, AliasRedirect, AtomFeed,
                                 AggregatorFeedFile, SitemapFiles,
                                 NewsSitemap, RobotsFile, SearchPage, SearchIndex, ImageFiles)


def plan_units(plan: Plan, kinds: Sequence[type[Unit]] = KINDS) -> list[Unit]:
    """Every unit of the site's output."""
    return [unit for kind in kinds for unit in kind.plan(plan)]


__all__ = ["KINDS", "KnownKeys", "Plan", "Shown", "Shows", "Unit", "UnitFailed", "UnitKeyer",
           "plan_units"]
