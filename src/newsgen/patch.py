"""The patch: after edits to a few content or static files, the kept site model is brought
up to date and only the units whose declared inputs changed are rendered again."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .build import BuildResult, Decision, Frame, intact
from .cache import BuildCache, OutputRecord, Stamp, UnitRecord, stamp_of
from .content import check_schema
from .errors import ContentError
from .full import (
    copy_statics,
    deferred_files,
    next_change,
    output_stamps,
    process_images,
    published,
    render_units,
    unit_kinds,
    url_line_finder,
)
from .images import SiteImages, image_refs, static_sources
from .keys import ArticleKeys
from .models import Article, ParsedEntry, ParsedSource, Site
from .pages import KnownKeys, Plan, UnitKeyer, plan_units
from .redirects import write_redirects
from .render import PageRenderer, Theme, check_templates, site_theme
from .schedule import Schedule
from .site import reassemble, related_after, slugify
from .snapshot import SiteSnapshot, StoredArticle
from .sources import (
    SourceScan,
)
from .workers import render_unit
from .write import OutputWriter

# -- patch -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StaticChange:
    """The static files a patch copies (new or changed) and deletes."""

    copied: tuple[str, ...]
    deleted: tuple[str, ...]

    @classmethod
    def of(cls, frame: Frame, record: OutputRecord) -> StaticChange | None:
        """None for a new static file where another output is: the full build says so."""
        copied = tuple(rel for rel, key in frame.static_keys.items()
                       if record.statics.get(rel) != key)
        if any(rel not in record.statics and rel in record.stamps for rel in copied):
            return None
        return cls(copied, tuple(rel for rel in record.statics if rel not in frame.static_keys))


@dataclass(frozen=True)
class ContentChange:
    """The edited content files, as the kept site model sees them: `removed`, the sources
    it shows that must go (deleted, unpublished, or edited); `added`, the published
    articles of the edited files; `body_only` when every edit changed a body alone."""

    edited: tuple[str, ...]
    removed: frozenset[str]
    added: tuple[ParsedSource, ...]
    entries: dict[str, ParsedEntry]  # source -> new entry, of the edited files still there
    body_only: bool
    warnings: tuple[ContentError, ...]  # the edited files' own
    images: SiteImages  # of the published articles of the edited files

    def warnings_after(self, result: BuildResult) -> tuple[ContentError, ...]:
        """The warnings of the build `result` with the edited files' taken anew."""
        edited = set(self.edited)
        return (*(w for w in result.warnings if w.path not in edited), *self.warnings)

    @classmethod
    def of(cls, frame: Frame, cache: BuildCache, record: OutputRecord, scan: SourceScan,
           edited: Sequence[str], shown: dict[str, int]) -> ContentChange | None:
        """None when an edited file has a problem (old or new): the full build reports
        every problem of the site together."""
        entries: dict[str, ParsedEntry] = {}
        body_only = True
        for source in edited:
            old = cache.parsed(record.keys[source]) if source in record.keys else None
            new = cache.parsed(scan.keys[source]) if source in scan.keys else None
            if (source in scan.keys and new is None) or (new is not None
                                                          and new.article is None):
                return None
            if new is not None:
                entries[source] = new
            now_shown = new is not None and new.article is not None and bool(
                published(frame, [new.article]))
            body_only = (body_only and new is not None and new.article is not None
                         and _only_body_changed(old, new) and (source in shown) == now_shown
                         and _images_shown(old) == _images_shown(new))
        articles = [entry.article for entry in entries.values() if entry.article is not None]
        added = tuple(published(frame, articles))
        images = process_images(frame, cache, added)
        warnings = (*(w for entry in entries.values() for w in entry.problems),
                    *check_schema(articles, frame.config.schema), *images.problems)
        if any(not w.is_warning for w in warnings) or (warnings and frame.options.strict):
            return None  # the full build fails, naming every problem of the site
        return cls(tuple(edited), frozenset(s for s in edited if s in shown), added, entries,
                   body_only, warnings, images)

    def image_files(self, record: OutputRecord, site: Site) -> dict[str, str]:
        """Each image file the site shows after this change, and the digest of its bytes."""
        known = {**record.images, **self.images.files}
        return {image.label: known[image.label]
                for images in site.catalog.images for image in images}


def _images_shown(entry: ParsedEntry | None) -> tuple[object, ...]:
    """What decides an entry's processed images (besides the files themselves)."""
    if entry is None or entry.article is None:
        return ()
    refs = tuple((ref, lead) for ref, _line, lead in image_refs(entry.article))
    return (refs, entry.article.meta.image_focus) if refs else ()


def _only_body_changed(old: ParsedEntry | None, new: ParsedEntry | None) -> bool:
    """Whether two parsed entries of one file differ in the rendered body alone."""
    if old is None or new is None or old.article is None or new.article is None:
        return False
    before, after = old.article, new.article
    return (old.front == new.front and before.meta == after.meta
            and before.meta.extra == after.meta.extra and before.key_lines == after.key_lines)


def patch_build(frame: Frame, cache: BuildCache, record: OutputRecord, scan: SourceScan,
                decision: Decision, *, trust_output: bool) -> BuildResult | None:
    """Rebuild after edits to a few content and static files: bring the kept site model up
    to date, render the units whose declared inputs changed, copy the static files that
    changed, delete those that are gone, keep everything else. None when the kept model
    cannot be brought up to date (then the full build runs, and gives the same bytes)."""
    statics = StaticChange.of(frame, record)
    snapshot = cache.snapshot(frame.out_dir, record.snapshot)
    if statics is None or snapshot is None or not isinstance(record.schedule, Schedule):
        return None
    change = ContentChange.of(frame, cache, record, scan, decision.edited, snapshot.index)
    if change is None:
        return None
    if not trust_output and not intact(frame.out_dir, record.stamps, record.stamps):
        return None
    theme = site_theme(cache, frame.config, frame.options.site_dir, frame.templates_key)
    if change.body_only and not decision.due and not record.result.deferred:
        return _patch_bodies(frame, cache, record, scan, snapshot, change, statics, theme)
    return _patch_site(frame, cache, record, scan, snapshot, change, statics, theme)


def _patch_statics(frame: Frame, record: OutputRecord, statics: StaticChange,
                   writer: OutputWriter, made: dict[str, UnitRecord]) -> None:
    for rel in statics.copied:
        original, label = frame.statics[rel]
        writer.copy(rel, original, label)
        made["static:" + rel] = UnitRecord(frame.static_keys[rel], ((rel, label),))
    for rel in statics.deleted:
        writer.remove(rel)
        made.pop("static:" + rel, None)


def _patch_bodies(frame: Frame, cache: BuildCache, record: OutputRecord, scan: SourceScan,
                  snapshot: SiteSnapshot, change: ContentChange, statics: StaticChange,
                  theme: Theme) -> BuildResult | None:
    """Edits to articles' bodies alone: the site model stands; re-render the units that
    show those articles whole (their cards are unchanged)."""
    site = snapshot.site
    locators = dict(record.locators)
    article_keys = list(record.article_keys)
    touched: set[int] = set()
    for source, entry in change.entries.items():
        index = snapshot.index.get(source)
        if index is not None:  # else not published: no page shows it
            locators[source] = entry.body
            article_keys[index] = article_keys[index].with_body(entry.body)
            touched.add(index)
    renderer = PageRenderer(theme, site.sections)
    keyer = UnitKeyer(renderer, frame.page_salt, article_keys)
    made = dict(record.units)
    with OutputWriter(frame.out_dir, previous=dict(record.stamps), patch=True) as writer:
        _patch_statics(frame, record, statics, writer, made)
        previous_locators, snapshot.bodies.locators = snapshot.bodies.locators, locators
        try:
            remade = _remake_showing_whole(frame, snapshot, touched, keyer, site, writer, made)
            if remade is None:  # a template error: the full build reports it with the rest
                return None
            added, gone = remade
            for path in gone:  # a file a unit no longer makes (the search index's)
                writer.remove(path)
        except BaseException:
            snapshot.bodies.locators = previous_locators
            raise
        if writer.problems:
            snapshot.bodies.locators = previous_locators
            return None
        cache.commit_starting(frame.out_dir)
        writer.commit()
        removed = [*statics.deleted, *gone]
        stamps = _patched_stamps(frame.out_dir, writer, record.stamps, removed)
        added.update((rel, frame.statics[rel][1]) for rel in statics.copied)
        result = replace(_patched_result(frame, record, change, added, removed),
                         deferred=deferred_files(made))
        cache.commit_done(frame.out_dir, replace(
            record, units=made, stamps=stamps, keys=dict(scan.keys),
            statics=dict(frame.static_keys), locators=locators, article_keys=article_keys,
            result=result))
    return result


def _remake_showing_whole(frame: Frame, snapshot: SiteSnapshot, touched: set[int],
                          keyer: UnitKeyer, site: Site, writer: OutputWriter,
                          made: dict[str, UnitRecord]
                          ) -> tuple[dict[str, str], set[str]] | None:
    """Render again the units that show the `touched` articles whole, recording each in
    `made`; with `defer`, leave those not wanted first for the build right after (the
    feeds, and the search index, which takes seconds). The files written (path ->
    source) and those no longer made; None on a template error."""
    added: dict[str, str] = {}
    gone: set[str] = set()
    edited = frozenset(touched)
    for position in sorted({p for i in touched for p in snapshot.showing_whole(i)}):
        unit = snapshot.units[position]
        before = made.get(unit.ident, UnitRecord("", ()))
        if frame.options.defer and not unit.wanted_first(edited) and before.files:
            made[unit.ident] = UnitRecord(UnitRecord.DEFERRED, before.files)
            continue
        key = keyer.key(unit)
        if before.key == key:
            continue  # it shows the article as a card only: the body is not in it
        outputs, found = render_unit(keyer.renderer, unit, site)
        if found:
            return None
        for output in outputs:
            writer.write(output.path, output.data, output.source)
        files = {o.path: o.source for o in outputs}
        gone.update(path for path, _ in before.files if path not in files)
        added.update(files)
        made[unit.ident] = UnitRecord(key, tuple(files.items()))
    return added, gone - added.keys()


def _patched_result(frame: Frame, record: OutputRecord, change: ContentChange,
                    added: dict[str, str], removed: Sequence[str]) -> BuildResult:
    """The previous build's result after a patch wrote `added` (path -> source) and
    removed `removed`."""
    result: BuildResult = replace(record.result, out_dir=frame.options.output,
                                  redirects_added=0, warnings=change.warnings_after(record.result))
    if removed or any(rel not in record.result.sources for rel in added):
        sources = {**record.result.sources, **added}
        for rel in removed:
            sources.pop(rel, None)
        result = replace(result, sources=sources, files=len(sources))
    return result


def _patched_stamps(out_dir: Path, writer: OutputWriter, previous: dict[str, Stamp],
                    deleted: Iterable[str]) -> dict[str, Stamp]:
    stamps = dict(previous)
    for path in writer.sources:
        if path not in writer.kept:
            with contextlib.suppress(OSError):  # gone already: it is checked next time
                stamps[path] = stamp_of(os.stat(os.path.join(out_dir, path)))
    for rel in deleted:
        stamps.pop(rel, None)
    return stamps


@dataclass(frozen=True)
class PatchedModel:
    """The kept site model with a content change applied: the site, where each article's
    body is stored, the articles' keys and their related articles."""
    site: Site
    locators: dict[str, str]
    article_keys: list[ArticleKeys]
    related: tuple[tuple[int, ...], ...]


def _patched_model(frame: Frame, record: OutputRecord, snapshot: SiteSnapshot,
                   change: ContentChange) -> PatchedModel | None:
    def keep(article: Article) -> StoredArticle:
        images = change.images.by_article.get(article.source, ())
        return StoredArticle.of(replace(article, images=images), snapshot.bodies)

    site = reassemble(snapshot.site, set(change.removed), change.added, frame.config, keep=keep)
    if site is None or not site.articles:
        return None
    edited = set(change.edited)
    locators = {source: locator for source, locator in record.locators.items()
                if source not in change.removed}
    locators.update((p.source, change.entries[p.source].body) for p in change.added)
    article_keys = [
        record.article_keys[snapshot.index[source]] if source not in edited else
        ArticleKeys.of(site.articles[i], change.entries[source].front,
                       change.entries[source].body)
        for i, source in enumerate(site.catalog.sources)]
    reranked = _reranked(snapshot, site, edited)
    if not reranked:
        return PatchedModel(site, locators, article_keys, snapshot.related)
    tags = {slug for source in change.removed if source in reranked
            for slug in snapshot.site.catalog.tags[snapshot.index[source]]}
    tags.update(slug for parsed in change.added if parsed.source in reranked
                for slug in map(slugify, parsed.meta.tags))
    related = related_after(site, snapshot.related, snapshot.index, reranked, tags)
    return PatchedModel(site, locators, article_keys, related)


def _reranked(snapshot: SiteSnapshot, site: Site, edited: set[str]) -> set[str]:
    """The edited articles whose change can reorder related articles: every one, unless
    the articles kept their order; then those whose tags changed (related lists depend on
    the tags and the order alone)."""
    before, after = snapshot.site.catalog, site.catalog
    if before.sources != after.sources:
        return edited
    return {source for source in edited if source in snapshot.index
            and before.tags[snapshot.index[source]] != after.tags[snapshot.index[source]]}


def _patch_site(frame: Frame, cache: BuildCache, record: OutputRecord, scan: SourceScan,
                snapshot: SiteSnapshot, change: ContentChange, statics: StaticChange,
                theme: Theme) -> BuildResult | None:
    """Edits that change what the site shows of an article (front matter, a new, deleted,
    unpublished or newly published file): reassemble the site from the kept model and the
    edited articles, plan every unit and render those whose keys changed."""
    if check_templates(theme, change.added):
        return None
    model = _patched_model(frame, record, snapshot, change)
    if model is None:
        return None
    site, bodies = model.site, snapshot.bodies
    plan = Plan(site, frame.config, model.related, frame.now, cache.dir)
    units = plan_units(plan, unit_kinds(frame))
    renderer = PageRenderer(theme, site.sections)
    known = snapshot.known_keys or KnownKeys.of_build(
        snapshot.key_frames, snapshot.units,
        {ident: made.key for ident, made in record.units.items() if not made.deferred},
        record.article_keys)
    keyer = UnitKeyer(renderer, frame.page_salt, model.article_keys, known,
                      remember=cache.defer_writes)
    keys = [keyer.key(unit) for unit in units]
    problems: list[ContentError] = []
    previous_locators, bodies.locators = bodies.locators, model.locators
    try:
        with OutputWriter(frame.out_dir, previous=dict(record.stamps),
                          line_of=url_line_finder(site)) as writer:
            image_files = change.image_files(record, site)
            made = copy_statics(frame, record, writer, skip=static_sources(image_files),
                                trusted=True)
            index = site.catalog.index
            made.update(render_units(
                frame, record, writer, renderer, units, keys, site, None, problems,
                trusted=True, edited=frozenset(index[s] for s in change.edited if s in index)))
            redirects_added, manifest = write_redirects(writer, site, renderer.redirect,
                                                        snapshot.manifest)
            if problems or writer.problems:
                bodies.locators = previous_locators
                return None
            cache.commit_starting(frame.out_dir)
            writer.commit()
            stamps = output_stamps(frame.out_dir, writer, record.stamps)
    except BaseException:
        bodies.locators = previous_locators
        raise
    patched = SiteSnapshot(
        ident=os.urandom(12).hex(), site=site, bodies=bodies, related=plan.related,
        units=units, known_keys=keyer.kept,
        key_frames=keyer.made.frames, manifest=manifest)
    patched.carry_locators(snapshot, set(site.catalog.sources) - set(change.edited))
    return _commit_patch(frame, cache, record, scan, change, model, patched, replace(
        record, units=made, stamps=stamps, images=image_files), writer, redirects_added)


def _commit_patch(frame: Frame, cache: BuildCache, record: OutputRecord, scan: SourceScan,
                  change: ContentChange, model: PatchedModel, patched: SiteSnapshot,
                  written: OutputRecord, writer: OutputWriter, redirects_added: int
                  ) -> BuildResult:
    """Record what a patch wrote: the result, the schedule of what comes due next and the
    kept model, so that the next build starts from them."""
    schedule = record.schedule.updated(
        [entry.article for entry in change.entries.values() if entry.article is not None],
        [s for s in change.edited if s not in change.entries], frame.now)
    result: BuildResult = replace(record.result, out_dir=frame.options.output, files=writer.count,
                                  warnings=change.warnings_after(record.result),
                                  articles=len(model.site.articles),
                                  redirects_added=redirects_added,
                                  next_change=next_change(schedule, frame),
                                  sources=dict(writer.sources),
                                  deferred=deferred_files(written.units))
    cache.commit_done(frame.out_dir, replace(
        written, keys=dict(scan.keys), statics=dict(frame.static_keys), built_at=frame.now,
        schedule=schedule,
        stable_until=schedule.stable_until(frame.now, drafts=frame.options.drafts,
                                           future=frame.options.future),
        result=result, locators=model.locators, article_keys=model.article_keys,
        snapshot=patched.ident), snapshot=patched)
    return result


