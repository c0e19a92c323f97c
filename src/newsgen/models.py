"""The site's values: frozen dataclasses with no I/O.

`FrontMatter` is what the editor wrote, validated; `Article` adds what is derived from it
(slug, URL, section and tag references). Sections and tags refer to articles by index into
the site's article tuple — a keyed index, not an object web. The classes a site has one of
per article have slots: 100,000 articles would otherwise carry 100,000 attribute dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone
from functools import cached_property, lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .imaging import ProcessedImage

_Class = TypeVar("_Class", bound=type)


def quick_pickle(cls: _Class) -> _Class:
    """Pickle instances as the class and its fields' values. A slotted dataclass's own
    pickling looks its fields up again for every object, which made loading a kept site
    model of 10,000 articles cost seconds."""
    values = attrgetter(*(f.name for f in fields(cls)))

    def __reduce__(self: Any) -> tuple[Any, ...]:
        state = values(self)
        return (cls, state if isinstance(state, tuple) else (state,))

    cls.__reduce__ = __reduce__  # type: ignore[assignment]
    return cls



@quick_pickle
@dataclass(frozen=True, slots=True)
class FrontMatter:
    title: str
    section: str
    lede: str
    tags: tuple[str, ...] = ()
    date: datetime | None = None
    updated: datetime | None = None
    authors: tuple[str, ...] = ()
    image: str | None = None
    image_alt: str | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    image_focus: tuple[float, float] | None = None  # fractions of the width and height
    slug: str | None = None
    aliases: tuple[str, ...] = ()
    template: str | None = None
    draft: bool = False
    expires: datetime | None = None
    correction: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@quick_pickle
@dataclass(frozen=True, slots=True)
class ParsedSource:
    """One content file, parsed: the front matter, the body rendered to HTML, and
    the line each front-matter key stands on (for errors found later)."""

    source: str
    meta: FrontMatter
    body_html: str
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    # (src as written, line) of each image of the body, in order
    body_images: tuple[tuple[str, int | None], ...] = ()


@quick_pickle
@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """What the cache keeps of one content file: the parsed article (None when the file
    has errors) with its body stored apart, the problems found, where the body is stored
    (`body`, a locator in the cache's body packs) and the key of its front matter."""

    article: ParsedSource | None
    problems: tuple[Any, ...]  # ContentError values
    body: str = ""
    front: str = ""


@quick_pickle
@dataclass(frozen=True, slots=True)
class Link:
    """A named link: a section or a tag as an article refers to it."""

    name: str
    slug: str
    url: str


@dataclass(frozen=True, slots=True)
class Crumb:
    label: str
    url: str


class FrontMatterFields:
    """What templates read of an article or its card straight from its front matter
    (the front matter stays the single source)."""

    __slots__ = ()
    meta: FrontMatter

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def lede(self) -> str:
        return self.meta.lede

    @property
    def date(self) -> datetime | None:
        return self.meta.date

    @property
    def updated(self) -> datetime | None:
        return self.meta.updated

    @property
    def modified(self) -> datetime | None:
        """The last change: `updated`, never earlier than `date` (crawlers reject a
        modification before publication)."""
        return _modified(self.meta)

    @property
    def authors(self) -> tuple[str, ...]:
        return self.meta.authors

    @property
    def extra(self) -> dict[str, Any]:
        return self.meta.extra


@dataclass(frozen=True, slots=True)
class Article(FrontMatterFields):
    source: str
    meta: FrontMatter
    body_html: str
    slug: str
    url: str
    section: Link
    tags: tuple[Link, ...]
    bylines: tuple[Link, ...] = ()  # its authors' pages, in the front matter's order
    archive: tuple[Link, ...] = ()  # the year, month and day it was published, if dated
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    # (reference as written, the image) of its lead image and its body's local images
    images: tuple[tuple[str, ProcessedImage], ...] = ()

    @property
    def lead_image(self) -> ProcessedImage | None:
        """The lead image, processed; None for none, or for an image at another site."""
        ref = self.meta.image
        return next((image for written, image in self.images if written == ref), None)



@dataclass(frozen=True)
class Listing:
    """A list of articles with a page of its own (Zola's taxonomy term, Pelican's
    URLWrapper): a section, a tag, an author, or a year, a month or a day of the archive.
    `kind` is one of `KINDS`. An author's profile gives `description` and `image`."""

    kind: str
    name: str
    slug: str
    url: str
    articles: tuple[int, ...]  # indexes into Site.articles, newest first
    description: str = ""
    image: str = ""

    SECTION = "section"
    TAG = "tag"
    AUTHOR = "author"
    YEAR = "year"
    MONTH = "month"
    DAY = "day"
    KINDS = (SECTION, TAG, AUTHOR, YEAR, MONTH, DAY)
    ARCHIVE = (YEAR, MONTH, DAY)

    @property
    def label(self) -> str:
        """How errors and the output record name it: "section 'Политика'"."""
        return f"{self.kind} '{self.name}'"

    @property
    def paginated(self) -> bool:
        """Whether its articles are shown a page at a time; a year's and a month's page
        show their months or days instead, on one page."""
        return self.kind not in (self.YEAR, self.MONTH)

    @property
    def parent(self) -> str | None:
        """The slug of the archive period it is part of: a day's month, a month's year."""
        return self.slug.rpartition("-")[0] or None if self.kind in self.ARCHIVE else None


@dataclass(frozen=True, slots=True)
class Card(FrontMatterFields):
    """An article as a listing, the home page or a sitemap shows it: every field but the
    body, so that an edit to the body alone leaves every card of it as it was."""

    source: str
    meta: FrontMatter
    slug: str
    url: str
    section: Link
    tags: tuple[Link, ...]

    @classmethod
    def of(cls, article: Article) -> Card:
        return cls(article.source, article.meta, article.slug, article.url, article.section,
                   article.tags)


@dataclass(frozen=True, slots=True)
class Headline:
    """An article as an archive month lists it: its title, address and section."""

    title: str
    url: str
    section: Link

    @classmethod
    def of(cls, article: Article) -> Headline:
        return cls(article.title, article.url, article.section)


def _modified(meta: FrontMatter) -> datetime | None:
    """The last change: `updated`, never earlier than `date` (crawlers reject a
    modification before publication)."""
    date, updated = meta.date, meta.updated
    if date is None or updated is None:
        return date or updated
    return max(date, updated)


@dataclass(frozen=True)
class Pagination:
    number: int
    count: int
    url: str
    prev_url: str | None
    next_url: str | None
    items: tuple[int, ...]  # indexes into Site.articles


@dataclass(frozen=True)
class Catalog:
    """What the steps that read every article need of each (its order, the plan of its
    pages, its related articles, its redirects), as columns in site order. Kept beside
    the articles, so that a rebuild after an edit reads only the articles it renders."""

    sources: tuple[str, ...]
    urls: tuple[str, ...]
    dates: tuple[datetime | None, ...]
    modified: tuple[datetime | None, ...]  # `Article.modified`
    templates: tuple[str | None, ...]  # front matter's `template:`
    aliases: tuple[tuple[str, ...], ...]
    tags: tuple[tuple[str, ...], ...]  # slugs
    images: tuple[tuple[ProcessedImage, ...], ...]  # `Article.images`' images

    @staticmethod
    def _facts(article: Article) -> tuple[Any, ...]:
        date, modified = article.meta.date, article.modified
        shared = _zone_shared(date)
        return (article.source, article.url, shared,
                shared if modified is date else _zone_shared(modified),
                article.meta.template, article.meta.aliases,
                tuple(link.slug for link in article.tags),
                tuple(image for _, image in article.images))

    @classmethod
    def of(cls, articles: Iterable[Article]) -> Catalog:
        columns = tuple(zip(*map(cls._facts, articles), strict=True))
        return cls(*columns) if columns else cls(*((),) * len(fields(cls)))

    def arranged(self, order: Sequence[int], new: Catalog) -> Catalog:
        """The catalog of the articles in `order`: an index `i` >= 0 is this catalog's
        article `i`, `~j` is the article `j` of `new`."""
        def column(mine: tuple[Any, ...], theirs: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(mine[i] if i >= 0 else theirs[~i] for i in order)

        return Catalog(*(column(getattr(self, f.name), getattr(new, f.name))
                         for f in fields(self)))

    def __len__(self) -> int:
        return len(self.sources)

    @cached_property
    def index(self) -> dict[str, int]:
        """Source file -> its article's index: made once per catalog, never saved."""
        return {source: i for i, source in enumerate(self.sources)}

    def __getstate__(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@lru_cache(maxsize=256)
def _shared_zone(offset: timedelta) -> timezone:
    return timezone(offset)


def _zone_shared(moment: datetime | None) -> datetime | None:
    """The same moment, its fixed-offset zone one object shared by every moment of that
    offset: 10,000 dates, each with its own zone object, pickle several times slower."""
    zone = None if moment is None else moment.tzinfo
    if moment is None or type(zone) is not timezone:
        return moment
    offset = moment.utcoffset()
    if offset is None or zone is _shared_zone(offset):
        return moment
    return moment.replace(tzinfo=_shared_zone(offset))


@dataclass(frozen=True)
class Site:
    articles: Sequence[Article]  # newest first
    sections: tuple[Listing, ...]  # configured order, then by name
    tags: tuple[Listing, ...]  # by name
    authors: tuple[Listing, ...]  # by name
    archives: tuple[Listing, ...]  # years, months and days, newest first
    catalog: Catalog  # of `articles`

    @property
    def listings(self) -> tuple[Listing, ...]:
        return (*self.sections, *self.tags, *self.authors, *self.archives)


@dataclass(frozen=True)
class ScheduledChange:
    """The next moment the published site changes by itself: an embargo lifts or an
    article expires. CI can schedule its next build for then."""

    at: datetime
    kind: str  # EMBARGO or EXPIRY
    source: str

    EMBARGO = "embargo"
    EXPIRY = "expiry"

    @property
    def description(self) -> str:
        """'next embargo lifts 2026-11-26 06:00 +03:00', in the moment's own offset."""
        offset = self.at.strftime("%z")
        offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
        moment = f"{self.at:%Y-%m-%d %H:%M} {offset}".rstrip()
        what = "next embargo lifts" if self.kind == self.EMBARGO else "next expiry"
        return f"{what} {moment} ({self.source})"


@dataclass(frozen=True)
class OutputFile:
    """One file of the output: where it goes (relative, POSIX), its bytes, what made it."""

    path: str
    data: bytes
    source: str
