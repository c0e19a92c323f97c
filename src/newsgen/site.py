"""Pure assembly of the site, no I/O: slugs and URLs, sections, tags, order,
pagination, breadcrumbs and related articles."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import lru_cache

from slugify import slugify as _slugify

from .config import SiteConfig
from .errors import ContentError
from .models import Article, Crumb, Link, Listing, Pagination, ParsedSource, ScheduledChange, Site
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


def _newest_first(parsed: ParsedSource) -> tuple[bool, float, str]:
    date = parsed.meta.date
    return (date is None, -date.timestamp() if date else 0.0, parsed.source)


def assemble(
    sources: Iterable[ParsedSource], config: SiteConfig
) -> tuple[Site, list[ContentError]]:
    """Build the site model from parsed sources: every problem is returned, not raised."""
    problems: list[ContentError] = []
    ordered = sorted(sources, key=_newest_first)

    section_names: dict[str, str] = {}  # slug -> display name (first seen wins)
    for name in config.sections:
        section_names.setdefault(slugify(name), name)
    tag_names: dict[str, str] = {}
    # One link per section and per tag, shared by its articles (100,000 articles, each
    # with its own copies, would weigh tens of megabytes).
    section_links: dict[str, Link] = {}
    tag_links: dict[str, Link] = {}

    articles: list[Article] = []
    for parsed in ordered:
        meta, lines = parsed.meta, parsed.key_lines
        section_slug = make_slug(meta.section, config.slug_max_length)
        if not section_slug:
            problems.append(ContentError(parsed.source, lines.get("section"),
                                         f"section '{meta.section}' gives an empty URL slug"))
            continue
        section = section_links.get(section_slug)
        if section is None:
            section_name = section_names.setdefault(section_slug, meta.section)
            section = section_links[section_slug] = Link(section_name, section_slug,
                                                         section_url(section_slug))
        slug = meta.slug.strip("/") if meta.slug else make_slug(meta.title, config.slug_max_length)
        if not slug:
            key = "slug" if meta.slug else "title"
            problems.append(ContentError(parsed.source, lines.get(key),
                                         f"'{key}' gives an empty URL slug; set 'slug:'"))
            continue
        tags: list[Link] = []
        for tag in meta.tags:
            tag_slug = slugify(tag)
            if not tag_slug:
                problems.append(ContentError(parsed.source, lines.get("tags"),
                                             f"tag '{tag}' gives an empty URL slug"))
                continue
            link = tag_links.get(tag_slug)
            if link is None:
                tag_name = tag_names.setdefault(tag_slug, tag)
                link = tag_links[tag_slug] = Link(tag_name, tag_slug, tag_url(tag_slug))
            if link not in tags:
                tags.append(link)
        articles.append(Article(
            source=parsed.source,
            meta=meta,
            body_html=parsed.body_html,
            slug=slug,
            url=article_url(section_slug, slug),
            section=section,
            tags=tuple(tags),
            key_lines=lines,
        ))

    by_section: dict[str, list[int]] = {}
    by_tag: dict[str, list[int]] = {}
    for index, article in enumerate(articles):
        by_section.setdefault(article.section.slug, []).append(index)
        for link in article.tags:
            by_tag.setdefault(link.slug, []).append(index)

    configured = {slugify(name): position for position, name in enumerate(config.sections)}
    section_order = sorted(
        by_section,
        key=lambda s: (configured.get(s, len(configured)), section_names[s].casefold(), s),
    )
    sections = tuple(
        Listing(
            kind=Listing.SECTION,
            name=section_names[slug],
            slug=slug,
            url=section_url(slug),
            description=config.section_descriptions.get(section_names[slug], ""),
            articles=tuple(by_section[slug]),
        )
        for slug in section_order
    )
    tags_sorted = tuple(
        Listing(Listing.TAG, tag_names[slug], slug, tag_url(slug), tuple(by_tag[slug]))
        for slug in sorted(by_tag, key=lambda s: (tag_names[s].casefold(), s))
    )
    return Site(tuple(articles), sections, tags_sorted), problems


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
        items=tuple(items[(number - 1) * per_page : number * per_page]),
    )


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
    for link in site.articles[index].tags:
        shared.update(tag_index[link.slug].articles)
    shared.pop(index, None)
    ranked = sorted(shared.items(), key=lambda item: (-item[1], item[0]))
    return tuple(i for i, _ in ranked[:limit])


def related_all(site: Site, limit: int = RELATED_LIMIT) -> tuple[tuple[int, ...], ...]:
    """`related` for every article at once, with one bit set per article and tag: the same
    result, without counting every member of a popular tag for each of its articles."""
    masks: dict[str, int] = {}
    for tag in site.tags:
        mask = 0
        for i in tag.articles:
            mask |= 1 << i
        masks[tag.slug] = mask
    result = []
    for index, article in enumerate(site.articles):
        # at_least[c]: the articles sharing at least c of this article's tags
        at_least = [-1]
        for link in article.tags:
            mask = masks[link.slug]
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
        result.append(tuple(chosen))
    return tuple(result)
