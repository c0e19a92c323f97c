"""Pure assembly of the site, no I/O: slugs and URLs, sections, tags, order,
pagination, breadcrumbs and related articles."""

from __future__ import annotations

import datetime as dt
import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Protocol, runtime_checkable

from slugify import slugify as _slugify

from .config import SiteConfig
from .errors import ContentError
from .models import (
    Article,
    Catalog,
    Crumb,
    FrontMatter,
    Link,
    Listing,
    Pagination,
    ParsedSource,
    ScheduledChange,
    Site,
)
from .urls import article_url, page_url, section_url, tag_url

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


def is_published(
    meta_draft: bool,
    date: dt.datetime | None,
    expires: dt.datetime | None,
    now: dt.datetime,
    *,
    drafts: bool,
    future: bool,
) -> bool:
    """Whether an article belongs in a build made at `now` (SPEC §2)."""
    if meta_draft and not drafts:
        return False
    if date is not None and date > now and not future:
        return False
    return not (expires is not None and expires <= now)


def next_scheduled_change(
    sources: Iterable[ParsedSource],
    now: dt.datetime,
    *,
    drafts: bool,
    future: bool,
    tz: dt.tzinfo | None = None,
) -> ScheduledChange | None:
    """The first moment after `now` when `is_published` turns for some article: an
    embargo lifting (unless `future` already shows it) or an expiry. Drafts never
    change by themselves. Shown in `tz` (the site's time zone) when given."""
    changes: list[ScheduledChange] = []
    for parsed in sources:
        meta = parsed.meta
        if meta.draft and not drafts:
            continue
        embargoed = meta.date is not None and meta.date > now and not future
        # An article that expires before its embargo lifts is never published.
        if meta.expires is not None and embargoed and meta.date is not None \
                and meta.expires <= meta.date:
            continue
        if embargoed and meta.date is not None:
            changes.append(ScheduledChange(meta.date, ScheduledChange.EMBARGO, parsed.source))
        elif meta.expires is not None and meta.expires > now:
            changes.append(ScheduledChange(meta.expires, ScheduledChange.EXPIRY, parsed.source))
    if not changes:
        return None
    first = min(changes, key=lambda c: (c.at, c.kind, c.source))
    return replace(first, at=first.at.astimezone(tz)) if tz is not None else first


def _date_order(date: dt.datetime | None, source: str) -> tuple[bool, float, str]:
    """The site's order, newest first: undated articles last, then by source."""
    return (date is None, -date.timestamp() if date else 0.0, source)


def _newest_first(item: ParsedSource | Article) -> tuple[bool, float, str]:
    return _date_order(item.meta.date, item.source)


class _Links:
    """The display name and the one shared link of each section and tag, by slug. A
    section's name is the configured one, else the first seen in site order (newest
    first); a tag's, the first seen. (One link per name, shared by its articles: 100,000
    articles, each with its own copies, would weigh tens of megabytes.)"""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self.section_names: dict[str, str] = {}
        for name in config.sections:
            self.section_names.setdefault(slugify(name), name)
        self.tag_names: dict[str, str] = {}
        self.sections: dict[str, Link] = {}
        self.tags: dict[str, Link] = {}

    def section(self, slug: str, name: str) -> Link:
        link = self.sections.get(slug)
        if link is None:
            name = self.section_names.setdefault(slug, name)
            link = self.sections[slug] = Link(name, slug, section_url(slug))
        return link

    def tag(self, slug: str, name: str) -> Link:
        link = self.tags.get(slug)
        if link is None:
            name = self.tag_names.setdefault(slug, name)
            link = self.tags[slug] = Link(name, slug, tag_url(slug))
        return link


def _derive(parsed: ParsedSource, config: SiteConfig, links: _Links
            ) -> tuple[Article | None, list[ContentError]]:
    """An article's slug, URL, section and tags; or None and why not."""
    meta, lines = parsed.meta, parsed.key_lines
    section_slug = make_slug(meta.section, config.slug_max_length)
    if not section_slug:
        return None, [ContentError(parsed.source, lines.get("section"),
                                   f"section '{meta.section}' gives an empty URL slug")]
    links.section_names.setdefault(section_slug, meta.section)
    slug = meta.slug.strip("/") if meta.slug else make_slug(meta.title, config.slug_max_length)
    if not slug:
        key = "slug" if meta.slug else "title"
        return None, [ContentError(parsed.source, lines.get(key),
                                   f"'{key}' gives an empty URL slug; set 'slug:'")]
    problems = []
    tags: list[Link] = []
    for tag in meta.tags:
        tag_slug = slugify(tag)
        if not tag_slug:
            problems.append(ContentError(parsed.source, lines.get("tags"),
                                         f"tag '{tag}' gives an empty URL slug"))
            continue
        link = links.tag(tag_slug, tag)
        if link not in tags:
            tags.append(link)
    article = Article(source=parsed.source, meta=meta, body_html=parsed.body_html, slug=slug,
                      url=article_url(section_slug, slug),
                      section=links.section(section_slug, meta.section), tags=tuple(tags),
                      key_lines=lines)
    return article, problems


def _listing(kind: str, link: Link, articles: Sequence[int], config: SiteConfig) -> Listing:
    description = config.section_descriptions.get(link.name, "") if kind == Listing.SECTION else ""
    return Listing(kind, link.name, link.slug, link.url, tuple(articles), description)


def _ordered(listings: Iterable[Listing], config: SiteConfig) -> tuple[Listing, ...]:
    """Sections in the configured order, then by name; tags by name."""
    configured = {slugify(name): position for position, name in enumerate(config.sections)}
    return tuple(sorted(listings, key=lambda listing: (
        configured.get(listing.slug, len(configured)) if listing.kind == Listing.SECTION else 0,
        listing.name.casefold(), listing.slug)))


def _collect(articles: Sequence[Article], config: SiteConfig) -> Site:
    """The site of these articles (newest first): its sections and tags."""
    by_section: dict[str, list[int]] = {}
    by_tag: dict[str, list[int]] = {}
    section_links: dict[str, Link] = {}
    tag_links: dict[str, Link] = {}
    for index, article in enumerate(articles):
        link = article.section
        by_section.setdefault(link.slug, []).append(index)
        section_links.setdefault(link.slug, link)
        for tag in article.tags:
            by_tag.setdefault(tag.slug, []).append(index)
            tag_links.setdefault(tag.slug, tag)
    sections = _ordered((_listing(Listing.SECTION, section_links[slug], members, config)
                         for slug, members in by_section.items()), config)
    tags = _ordered((_listing(Listing.TAG, tag_links[slug], members, config)
                     for slug, members in by_tag.items()), config)
    return Site(tuple(articles), sections, tags, Catalog.of(articles))


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
    for listing in site.sections:
        links.sections[listing.slug] = Link(listing.name, listing.slug, listing.url)
        links.section_names[listing.slug] = listing.name
    for listing in site.tags:
        links.tags[listing.slug] = Link(listing.name, listing.slug, listing.url)
        links.tag_names[listing.slug] = listing.name
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
    assembled = Site(arranged(site.articles, order, new),
                     *_listings_after(site, order, new, config),
                     catalog.arranged(order, Catalog.of(new)))
    touched = {link.slug for a in (*new, *(site.articles[i] for i in gone))
               for link in (a.section, *a.tags)}
    return assembled if _names_hold(assembled, config, touched) else None


def _listings_after(site: Site, order: Sequence[int], new: Sequence[Article],
                    config: SiteConfig) -> tuple[tuple[Listing, ...], tuple[Listing, ...]]:
    """The sections and tags of the site's articles put in `order` (see `arranged`)."""
    position = [-1] * len(site.catalog)
    for at, i in enumerate(order):
        if i >= 0:
            position[i] = at
    members = {(listing.kind, listing.slug): [position[i] for i in listing.articles
                                              if position[i] >= 0]
               for listing in (*site.sections, *site.tags)}
    links: dict[tuple[str, str], Link] = {}
    grown: set[tuple[str, str]] = set()
    for at, i in enumerate(order):
        if i < 0:
            article = new[~i]
            for kind, link in ((Listing.SECTION, article.section),
                               *((Listing.TAG, tag) for tag in article.tags)):
                members.setdefault((kind, link.slug), []).append(at)
                links.setdefault((kind, link.slug), link)
                grown.add((kind, link.slug))
    for key in grown:
        members[key].sort()
    before = {(listing.kind, listing.slug): listing for listing in (*site.sections, *site.tags)}
    listings = [_listing_after(before.get(key), key[0], links.get(key), tuple(indexes), config)
                for key, indexes in members.items() if indexes]
    return (_ordered((x for x in listings if x.kind == Listing.SECTION), config),
            _ordered((x for x in listings if x.kind == Listing.TAG), config))


def _listing_after(before: Listing | None, kind: str, link: Link | None,
                   indexes: tuple[int, ...], config: SiteConfig) -> Listing:
    """The listing with these articles: the same object when they did not change (the
    units showing it then compare equal at once)."""
    if before is None:
        assert link is not None  # a new listing is an added article's
        return _listing(kind, link, indexes, config)
    return before if before.articles == indexes else replace(before, articles=indexes)


def _names_hold(site: Site, config: SiteConfig, slugs: set[str]) -> bool:
    """Whether the sections and tags of these slugs carry the names `assemble` would give
    them: the configured name, else the spelling of their newest article."""
    configured = {slugify(name): name for name in reversed(config.sections)}
    for section in site.sections:
        if section.slug in slugs:
            newest = site.articles[section.articles[0]]
            if configured.get(section.slug, newest.meta.section) != section.name:
                return False
    for tag in site.tags:
        if tag.slug in slugs:
            newest = site.articles[tag.articles[0]]
            written = dict(zip((t.slug for t in newest.tags), _written_tags(newest),
                               strict=True))
            if written[tag.slug] != tag.name:
                return False
    return True


def _written_tags(article: Article) -> list[str]:
    """The front matter's spelling of each of the article's tags, in its order."""
    seen: dict[str, str] = {}
    for tag in article.meta.tags:
        seen.setdefault(slugify(tag), tag)
    return [seen[link.slug] for link in article.tags]


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


@dataclass(frozen=True)
class Schedule:
    """What can still change the published site by itself after a build's moment: the
    draft flag, date and expiry of every article that an embargo, an expiry or the news
    window (`window`, the time an article stays in the news sitemap) can still change."""

    window: dt.timedelta
    entries: dict[str, ParsedSource]  # source -> its schedule (front matter fields only)

    @classmethod
    def of(cls, parsed: Iterable[ParsedSource], now: dt.datetime, window: dt.timedelta
           ) -> Schedule:
        return cls(window, {}).updated(parsed, (), now)

    def updated(self, parsed: Iterable[ParsedSource], gone: Iterable[str], now: dt.datetime
                ) -> Schedule:
        """This schedule at `now`, with the articles of `parsed` (edited) taken anew and
        those of `gone` (deleted) left out."""
        entries = {source: entry for source, entry in self.entries.items()
                   if self._pending(entry, now)}
        for source in gone:
            entries.pop(source, None)
        for entry in parsed:
            entries.pop(entry.source, None)
            meta = entry.meta
            slim = ParsedSource(entry.source, FrontMatter("", "", "", date=meta.date,
                                                          draft=meta.draft,
                                                          expires=meta.expires), "")
            if self._pending(slim, now):
                entries[entry.source] = slim
        return Schedule(self.window, entries)

    def _moments(self, entry: ParsedSource) -> list[dt.datetime]:
        meta = entry.meta
        moments = [m for m in (meta.date, meta.expires) if m is not None]
        if meta.date is not None:
            moments.append(meta.date + self.window + dt.timedelta(microseconds=1))
        return moments

    def _pending(self, entry: ParsedSource, now: dt.datetime) -> bool:
        return any(moment > now for moment in self._moments(entry))

    def due(self, since: dt.datetime, now: dt.datetime) -> set[str]:
        """The articles whose publication or place in the news window may have changed
        between the two moments."""
        return {source for source, entry in self.entries.items()
                if any(since < moment <= now for moment in self._moments(entry))}

    def stable_until(self, now: dt.datetime, *, drafts: bool, future: bool
                     ) -> dt.datetime | None:
        """The first moment after `now` at which the same content makes another site: an
        embargo lifts, an article expires, or one enters or leaves the news window."""
        moments = []
        change = next_scheduled_change(self.entries.values(), now, drafts=drafts,
                                       future=future)
        if change is not None:
            moments.append(change.at)
        for entry in self.entries.values():
            meta = entry.meta
            if meta.date is None or not is_published(meta.draft, meta.date, meta.expires, now,
                                                     drafts=drafts, future=future):
                continue
            if meta.date > now:  # shown with --future; enters the news window then
                moments.append(meta.date)
            elif meta.date + self.window >= now:
                moments.append(meta.date + self.window + dt.timedelta(microseconds=1))
        return min(moments, default=None)
