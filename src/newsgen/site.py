"""Pure assembly of the site, no I/O: slugs and URLs, sections, tags, order,
pagination, breadcrumbs and related articles."""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Protocol, runtime_checkable

from slugify import slugify as _slugify

from .config import AuthorProfile, SiteConfig
from .dates import archive_links, local_day, locale_of
from .errors import ContentError
from .models import (
    Article,
    Catalog,
    Crumb,
    Link,
    Listing,
    Pagination,
    ParsedSource,
    Site,
)
from .urls import article_url, author_url, page_url, section_url, tag_url

RELATED_LIMIT = 5


@lru_cache(maxsize=65536)
def slugify(text: str) -> str:
    """python-slugify, remembered: a newsroom repeats its sections and tags on every
    article, and transliteration costs about 0.1 ms a call."""
    return _slugify(text)


def cut_slug(slug: str, max_length: int) -> str:
    """Shorten a slug to at most `max_length` characters at a word boundary.

    The result is always a prefix of the full slug (python-slugify's own
    `word_boundary` drops words from the middle instead)."""
    if len(slug) <= max_length:
        return slug
    cut = slug[:max_length]
    if slug[max_length] != "-" and "-" in cut:
        cut = cut[: cut.rindex("-")]
    return cut.strip("-")


def make_slug(text: str, max_length: int) -> str:
    """Transliterated, lowercase URL slug: 'Мирные переговоры' -> 'mirnye-peregovory'."""
    return cut_slug(slugify(text), max_length)


def _date_order(date: dt.datetime | None, source: str) -> tuple[bool, float, str]:
    """The site's order, newest first: undated articles last, then by source."""
    return (date is None, -date.timestamp() if date else 0.0, source)


def _newest_first(item: ParsedSource | Article) -> tuple[bool, float, str]:
    return _date_order(item.meta.date, item.source)


class _Links:
    """The display name and the one shared link of each listing an article belongs to,
    by kind and slug. A section's name is the configured one, an author's the one their
    profile is under, else the first seen in site order (newest first), as a tag's.
    (One link per name, shared by its articles: 100,000 articles, each with its own
    copies, would weigh tens of megabytes.)"""

    URLS: dict[str, Callable[[str], str]] = {Listing.SECTION: section_url,
                                             Listing.TAG: tag_url, Listing.AUTHOR: author_url}

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.locale = locale_of(config.language)
        self.tz = config.tz
        self.names: dict[tuple[str, str], str] = {}
        for name in config.sections:
            self.names.setdefault((Listing.SECTION, slugify(name)), name)
        for name in config.authors:
            self.names.setdefault((Listing.AUTHOR, slugify(name)), name)
        self.links: dict[tuple[str, str], Link] = {}
        self._days: dict[dt.date, tuple[Link, ...]] = {}

    def get(self, kind: str, slug: str, name: str) -> Link:
        link = self.links.get((kind, slug))
        if link is None:
            name = self.names.setdefault((kind, slug), name)
            link = self.links[(kind, slug)] = Link(name, slug, self.URLS[kind](slug))
        return link

    def keep(self, listing: Listing) -> None:
        """A listing of the site being reassembled: its name and link stay."""
        key = (listing.kind, listing.slug)
        self.names[key] = listing.name
        self.links[key] = Link(listing.name, listing.slug, listing.url)

    def archive(self, date: dt.datetime | None) -> tuple[Link, ...]:
        """The year, month and day an article dated `date` was published, in the site's
        time zone; none when it has no date."""
        if date is None:
            return ()
        day = local_day(date, self.tz)
        links = self._days.get(day)
        if links is None:
            links = self._days[day] = archive_links(day, self.locale)
        return links


def memberships(article: Article) -> Iterator[tuple[str, Link]]:
    """Every listing an article is on, as (kind, link): its section, its tags, its
    authors and its archive days. Assembly and reassembly both go by this alone."""
    yield Listing.SECTION, article.section
    for tag in article.tags:
        yield Listing.TAG, tag
    for author in article.bylines:
        yield Listing.AUTHOR, author
    yield from zip(Listing.ARCHIVE, article.archive, strict=False)  # none when undated


def _named_links(parsed: ParsedSource, kind: str, names: Sequence[str], links: _Links
                 ) -> tuple[tuple[Link, ...], list[ContentError]]:
    """The links of an article's tags or authors, each once; names without a slug are
    problems."""
    found: list[Link] = []
    problems = []
    key = "tags" if kind == Listing.TAG else "author"
    for name in names:
        slug = slugify(name)
        if not slug:
            problems.append(ContentError(parsed.source, parsed.key_lines.get(key),
                                         f"{kind} '{name}' gives an empty URL slug"))
            continue
        link = links.get(kind, slug, name)
        if link not in found:
            found.append(link)
    return tuple(found), problems


def _derive(parsed: ParsedSource, config: SiteConfig, links: _Links
            ) -> tuple[Article | None, list[ContentError]]:
    """An article's slug, URL, section, tags, authors and archive days; or None and why
    not."""
    meta, lines = parsed.meta, parsed.key_lines
    section_slug = make_slug(meta.section, config.slug_max_length)
    if not section_slug:
        return None, [ContentError(parsed.source, lines.get("section"),
                                   f"section '{meta.section}' gives an empty URL slug")]
    links.names.setdefault((Listing.SECTION, section_slug), meta.section)
    slug = meta.slug.strip("/") if meta.slug else make_slug(meta.title, config.slug_max_length)
    if not slug:
        key = "slug" if meta.slug else "title"
        return None, [ContentError(parsed.source, lines.get(key),
                                   f"'{key}' gives an empty URL slug; set 'slug:'")]
    tags, problems = _named_links(parsed, Listing.TAG, meta.tags, links)
    bylines, author_problems = _named_links(parsed, Listing.AUTHOR, meta.authors, links)
    article = Article(source=parsed.source, meta=meta, body_html=parsed.body_html, slug=slug,
                      url=article_url(section_slug, slug),
                      section=links.get(Listing.SECTION, section_slug, meta.section),
                      tags=tags, bylines=bylines, archive=links.archive(meta.date),
                      key_lines=lines)
    return article, problems + author_problems


def _listing(kind: str, link: Link, articles: Sequence[int], config: SiteConfig) -> Listing:
    if kind == Listing.SECTION:
        description = config.section_descriptions.get(link.name, "")
        return Listing(kind, link.name, link.slug, link.url, tuple(articles), description)
    if kind == Listing.AUTHOR:
        profile = config.authors.get(link.name, AuthorProfile())
        return Listing(kind, link.name, link.slug, link.url, tuple(articles), profile.bio,
                       profile.photo)
    return Listing(kind, link.name, link.slug, link.url, tuple(articles))


def _ordered(listings: Iterable[Listing], config: SiteConfig) -> tuple[Listing, ...]:
    """Sections in the configured order, then by name; tags and authors by name."""
    configured = {slugify(name): position for position, name in enumerate(config.sections)}
    return tuple(sorted(listings, key=lambda listing: (
        configured.get(listing.slug, len(configured)) if listing.kind == Listing.SECTION else 0,
        listing.name.casefold(), listing.slug)))


def _newest_periods_first(listings: Iterable[Listing]) -> tuple[Listing, ...]:
    """The archive's years, then months, then days, each newest first (slugs are ISO
    dates: '2026', '2026-11', '2026-11-24')."""
    return tuple(sorted(listings, key=lambda listing: (
        Listing.ARCHIVE.index(listing.kind),
        tuple(-int(part) for part in listing.slug.split("-")))))


def _site(articles: Sequence[Article], listings: Iterable[Listing], catalog: Catalog,
          config: SiteConfig) -> Site:
    """The site of these articles and listings, each kind of listing in its order."""
    by_kind: dict[str, list[Listing]] = {kind: [] for kind in Listing.KINDS}
    for listing in listings:
        by_kind[listing.kind].append(listing)
    return Site(articles, _ordered(by_kind[Listing.SECTION], config),
                _ordered(by_kind[Listing.TAG], config), _ordered(by_kind[Listing.AUTHOR], config),
                _newest_periods_first(x for kind in Listing.ARCHIVE for x in by_kind[kind]),
                catalog)


def _collect(articles: Sequence[Article], config: SiteConfig) -> Site:
    """The site of these articles (newest first): its sections, tags, authors and
    archive."""
    members: dict[tuple[str, str], list[int]] = {}
    links: dict[tuple[str, str], Link] = {}
    for index, article in enumerate(articles):
        for kind, link in memberships(article):
            members.setdefault((kind, link.slug), []).append(index)
            links.setdefault((kind, link.slug), link)
    listings = (_listing(key[0], links[key], indexes, config) for key, indexes in members.items())
    return _site(tuple(articles), listings, Catalog.of(articles), config)


def assemble(
    sources: Iterable[ParsedSource], config: SiteConfig
) -> tuple[Site, list[ContentError]]:
    """Build the site model from parsed sources: every problem is returned, not raised."""
    problems: list[ContentError] = []
    links = _Links(config)
    articles: list[Article] = []
    for parsed in sorted(sources, key=_newest_first):
        article, found = _derive(parsed, config, links)
        problems += found
        if article is not None:
            articles.append(article)
    return _collect(articles, config), problems


@runtime_checkable
class Arrangeable(Protocol):
    """Articles that can be put in a new order without being read (a saved snapshot's,
    read from the cache on demand)."""

    def arranged(self, order: Sequence[int], new: Sequence[Article]) -> Sequence[Article]: ...


def arranged(articles: Sequence[Article], order: Sequence[int], new: Sequence[Article]
             ) -> Sequence[Article]:
    """The articles in `order`: an index `i` >= 0 is `articles[i]`, `~j` is `new[j]`."""
    if isinstance(articles, Arrangeable):
        return articles.arranged(order, new)
    return tuple(articles[i] if i >= 0 else new[~i] for i in order)


def reassemble(site: Site, removed: set[str], added: Sequence[ParsedSource],
               config: SiteConfig, keep: Callable[[Article], Article] = lambda a: a
               ) -> Site | None:
    """`assemble` of the site's articles less the `removed` sources, plus `added` (each
    kept as `keep` makes it), from the site's catalog and listings: the articles that did
    not change are neither derived again nor read. None when an added article has a
    problem or the change renames a section or tag (its first-seen spelling): then
    `assemble` it all."""
    catalog = site.catalog
    links = _Links(config)
    for listing in site.listings:
        if listing.kind not in Listing.ARCHIVE:
            links.keep(listing)
    new: list[Article] = []
    for parsed in sorted(added, key=_newest_first):
        derived, problems = _derive(parsed, config, links)
        if derived is None or problems:
            return None
        new.append(keep(derived))
    gone = [i for i, source in enumerate(catalog.sources) if source in removed]
    order = list(heapq.merge(
        (i for i, source in enumerate(catalog.sources) if source not in removed),
        (~j for j in range(len(new))),
        key=lambda i: (_date_order(catalog.dates[i], catalog.sources[i]) if i >= 0
                       else _newest_first(new[~i]))))
    assembled = _site(arranged(site.articles, order, new),
                      _listings_after(site, order, new, config),
                      catalog.arranged(order, Catalog.of(new)), config)
    touched = {(kind, link.slug) for a in (*new, *(site.articles[i] for i in gone))
               for kind, link in memberships(a)}
    return assembled if _names_hold(assembled, config, touched) else None


def _listings_after(site: Site, order: Sequence[int], new: Sequence[Article],
                    config: SiteConfig) -> list[Listing]:
    """The listings of the site's articles put in `order` (see `arranged`)."""
    position = [-1] * len(site.catalog)
    for at, i in enumerate(order):
        if i >= 0:
            position[i] = at
    members = {(listing.kind, listing.slug): [position[i] for i in listing.articles
                                              if position[i] >= 0]
               for listing in site.listings}
    links: dict[tuple[str, str], Link] = {}
    grown: set[tuple[str, str]] = set()
    for at, i in enumerate(order):
        if i < 0:
            for kind, link in memberships(new[~i]):
                members.setdefault((kind, link.slug), []).append(at)
                links.setdefault((kind, link.slug), link)
                grown.add((kind, link.slug))
    for key in grown:
        members[key].sort()
    before = {(listing.kind, listing.slug): listing for listing in site.listings}
    return [_listing_after(before.get(key), key[0], links.get(key), tuple(indexes), config)
            for key, indexes in members.items() if indexes]


def _listing_after(before: Listing | None, kind: str, link: Link | None,
                   indexes: tuple[int, ...], config: SiteConfig) -> Listing:
    """The listing with these articles: the same object when they did not change (the
    units showing it then compare equal at once)."""
    if before is None:
        assert link is not None  # a new listing is an added article's
        return _listing(kind, link, indexes, config)
    return before if before.articles == indexes else replace(before, articles=indexes)


def _names_hold(site: Site, config: SiteConfig, touched: set[tuple[str, str]]) -> bool:
    """Whether the sections, tags and authors of these (kind, slug) pairs carry the names
    `assemble` would give them: the configured name, else the spelling of their newest
    article (an archive period's name is its date's)."""
    configured = {(Listing.SECTION, slugify(name)): name for name in reversed(config.sections)}
    configured.update(((Listing.AUTHOR, slugify(name)), name)
                      for name in reversed(list(config.authors)))
    for listing in (*site.sections, *site.tags, *site.authors):
        key = (listing.kind, listing.slug)
        if key in touched:
            newest = site.articles[listing.articles[0]]
            if configured.get(key, _written_name(newest, *key)) != listing.name:
                return False
    return True


def _written_name(article: Article, kind: str, slug: str) -> str:
    """The front matter's spelling of the article's section, tag or author of `slug`."""
    if kind == Listing.SECTION:
        return article.meta.section
    names = article.meta.tags if kind == Listing.TAG else article.meta.authors
    return next(name for name in names if slugify(name) == slug)


def page_count(items: int, per_page: int) -> int:
    """How many pages a listing of `items` articles has (an empty listing has one)."""
    return max(1, -(-items // per_page))


def paginate(items: Sequence[int], per_page: int, first_url: str) -> list[Pagination]:
    """Split a newest-first list into pages: the first at `first_url`, then `page/N/`."""
    count = page_count(len(items), per_page)
    return [pagination(items, per_page, first_url, number) for number in range(1, count + 1)]


def pagination(items: Sequence[int], per_page: int, first_url: str, number: int) -> Pagination:
    """Page `number` of `paginate(items, per_page, first_url)`, without making the others."""
    count = page_count(len(items), per_page)
    return Pagination(
        number=number,
        count=count,
        url=page_url(first_url, number),
        prev_url=page_url(first_url, number - 1) if number > 1 else None,
        next_url=page_url(first_url, number + 1) if number < count else None,
        items=page_items(items, per_page, number),
    )


def page_items(items: Sequence[int], per_page: int, number: int) -> tuple[int, ...]:
    """The items on page `number` of a listing."""
    return tuple(items[(number - 1) * per_page : number * per_page])


def breadcrumbs(home_label: str, *trail: tuple[str, str]) -> tuple[Crumb, ...]:
    """Home, then each (label, url) of the trail; the last crumb is the current page."""
    return (Crumb(home_label, "/"),) + tuple(Crumb(label, url) for label, url in trail)


def article_crumbs(config: SiteConfig, article: Article) -> tuple[Crumb, ...]:
    return breadcrumbs(config.home, (article.section.name, article.section.url),
                       (article.title, article.url))


def related(site: Site, index: int, tag_index: dict[str, Listing], limit: int = RELATED_LIMIT
            ) -> tuple[int, ...]:
    """Up to `limit` other articles sharing the most tags; newer first among equals."""
    shared: Counter[int] = Counter()
    for slug in site.catalog.tags[index]:
        shared.update(tag_index[slug].articles)
    shared.pop(index, None)
    ranked = sorted(shared.items(), key=lambda item: (-item[1], item[0]))
    return tuple(i for i, _ in ranked[:limit])


def related_all(site: Site, limit: int = RELATED_LIMIT,
                known: dict[int, tuple[int, ...]] | None = None) -> tuple[tuple[int, ...], ...]:
    """`related` for every article at once, with one bit set per article and tag: the same
    result, without counting every member of a popular tag for each of its articles.
    `known`: the lists of articles already known (`related_after`)."""
    known = known or {}
    tags_of = site.catalog.tags
    wanted = [i for i in range(len(tags_of)) if i not in known]
    used = {slug for i in wanted for slug in tags_of[i]}
    masks: dict[str, int] = {}
    for tag in site.tags:
        if tag.slug in used:
            mask = 0
            for i in tag.articles:
                mask |= 1 << i
            masks[tag.slug] = mask
    result = dict(known)
    for index in wanted:
        result[index] = _related_by_masks(index, tags_of[index], masks, limit)
    return tuple(result[i] for i in range(len(tags_of)))


def _related_by_masks(index: int, tags: Sequence[str], masks: dict[str, int], limit: int
                      ) -> tuple[int, ...]:
    # at_least[c]: the articles sharing at least c of this article's tags
    at_least = [-1]
    for slug in tags:
        mask = masks[slug]
        at_least.append(0)
        for count in range(len(at_least) - 1, 0, -1):
            at_least[count] |= at_least[count - 1] & mask
    chosen: list[int] = []
    taken = 1 << index
    for count in range(len(at_least) - 1, 0, -1):
        candidates = at_least[count] & ~taken
        while candidates and len(chosen) < limit:
            lowest = candidates & -candidates
            chosen.append(lowest.bit_length() - 1)
            candidates ^= lowest
            taken |= lowest
        if len(chosen) >= limit:
            break
    return tuple(chosen)


def related_after(site: Site, related_before: Sequence[tuple[int, ...]],
                  index_before: dict[str, int], edited: set[str], tags: set[str]
                  ) -> tuple[tuple[int, ...], ...]:
    """`related_all(site)` after the `edited` articles changed, whose tags before or after
    are `tags` (slugs): only the articles sharing one of those tags can rank differently;
    the others keep their lists (with new indexes), since the order among the articles
    that did not change stays as it was."""
    index_of = site.catalog.index
    affected = {index_of[s] for s in edited if s in index_of}
    for tag in site.tags:
        if tag.slug in tags:
            affected.update(tag.articles)
    sources = [""] * len(related_before)
    for source, old_index in index_before.items():
        sources[old_index] = source
    known = {new_index: tuple(index_of[sources[i]] for i in related_before[index_before[source]])
             for source, new_index in index_of.items() if new_index not in affected}
    return related_all(site, known=known)
