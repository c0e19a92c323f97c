"""The full build: every article assembled into the site, every unit planned, those whose
keys changed rendered by the worker pool, the output committed. The steps a patch shares
with it (keeping or rendering units, copying static files, the files' stamps) are here."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from .aggregators import schedule_windows
from .build import BuildResult, Frame, intact
from .cache import BuildCache, OutputRecord, Stamp, UnitRecord, stamp_of
from .config import CONFIG_NAME, SiteConfig
from .content import CONTENT_DIR, check_schema
from .errors import BuildFailed, ContentError, warning
from .images import SiteImages, site_images, static_sources
from .imaging import ImageSettings, ImageTask, ProcessedImage, process_chunk
from .keys import ArticleKeys
from .models import Article, Catalog, ParsedSource, ScheduledChange, Site
from .pages import KINDS, Plan, Unit, UnitKeyer, plan_units
from .redirects import write_redirects
from .render import PageRenderer, Theme, check_templates, site_theme
from .schedule import Schedule, is_published, next_scheduled_change
from .site import assemble, related_all
from .snapshot import BodyStore, SiteSnapshot, StoredArticle
from .sources import (
    LoadedSources,
    Progress,
    SourceScan,
)
from .urls import alias_url, url_to_path
from .workers import RenderDone, WorkerPool, chunks
from .workers import render_chunk as render_in_worker
from .write import OutputWriter

# -- assemble --------------------------------------------------------------------------


def no_articles_warning(site_dir: Path) -> ContentError:
    """An empty site is most often a build run in the wrong folder: say so."""
    if (site_dir / CONTENT_DIR).is_dir():
        return warning(CONTENT_DIR, None, "no articles: add Markdown files (.md) under content/")
    return warning(CONTENT_DIR, None, f"there is no content/ folder in {site_dir.resolve()}; "
                   "run newsgen in the site's folder or name it with --site")


def _content_warnings(frame: Frame, parsed: Sequence[ParsedSource], any_source: bool,
                      problems: Sequence[ContentError]) -> list[ContentError]:
    found = list(check_schema(list(parsed), frame.config.schema))
    site_dir = frame.options.site_dir
    if not any_source and not any(p.path.startswith(CONTENT_DIR + "/") for p in problems):
        found.append(no_articles_warning(site_dir))
    config = frame.config
    if (not frame.options.base_url and not frame.config_problems
            and config.base_url == SiteConfig().base_url):
        found.append(warning(CONFIG_NAME, None, "no base_url: canonical links, feeds and "
                             f"sitemaps point to {config.base_url}; set the site's public "
                             "address, e.g. base_url: https://news.example.org/"))
    return found


def published(frame: Frame, parsed: Iterable[ParsedSource]) -> list[ParsedSource]:
    options = frame.options
    return [p for p in parsed
            if is_published(p.meta.draft, p.meta.date, p.meta.expires, frame.now,
                            drafts=options.drafts, future=options.future)]


def assemble_site(frame: Frame, parsed: Sequence[ParsedSource], theme: Theme, bodies: BodyStore,
                  images: SiteImages) -> tuple[Site, list[ContentError]]:
    """The published articles assembled into a site whose articles read their bodies
    from the cache, each with its processed images; an article asking for a template that
    does not exist is reported and made with the default one."""
    site, problems = assemble(parsed, frame.config)
    unknown = check_templates(theme, site.articles)
    problems += unknown
    named = {p.path for p in unknown}
    by_article = images.by_article
    # (The assembled articles are replaced, not kept beside: 100,000 of them weigh.)
    articles = tuple(StoredArticle.of(_fixed(a, a.source in named, by_article), bodies)
                     for a in site.articles)
    return replace(site, articles=articles, catalog=Catalog.of(articles)
                   if named or by_article else site.catalog), problems


def _fixed(article: Article, unknown_template: bool,
           images: Mapping[str, tuple[tuple[str, ProcessedImage], ...]]) -> Article:
    if unknown_template:
        article = replace(article, meta=replace(article.meta, template=None))
    shown = images.get(article.source)
    return replace(article, images=shown) if shown else article


def process_images(frame: Frame, cache: BuildCache, articles: Sequence[ParsedSource]
                   ) -> SiteImages:
    """The images of the published `articles`, those the cache lacks made by the pool."""
    def process(tasks: list[ImageTask], settings: ImageSettings
                ) -> list[ProcessedImage | str]:
        pool = WorkerPool(frame.jobs, {"image_settings": settings, "cache_dir": cache.dir},
                          len(tasks))
        try:  # one image per task: each takes long enough
            return [done for chunk in pool.map(process_chunk, [[t] for t in tasks])
                    for done in chunk]
        finally:
            pool.close()

    return site_images(frame.options.site_dir, cache, frame.config, articles, process)


# -- full build ------------------------------------------------------------------------


def full_build(frame: Frame, cache: BuildCache, record: OutputRecord, scan: SourceScan,
               loaded: LoadedSources, progress: Progress | None) -> BuildResult:
    """Assemble the whole site, plan every unit, render those whose keys changed."""
    parsed, entries = loaded.parsed, loaded.entries
    problems = [*frame.config_problems, *loaded.problems]
    problems += _content_warnings(frame, parsed, bool(scan.keys), problems)
    theme = site_theme(cache, frame.config, frame.options.site_dir, frame.templates_key)
    bodies = BodyStore(cache.dir, language=frame.config.language)
    shown = published(frame, parsed)
    images = process_images(frame, cache, shown)
    problems += images.problems
    site, found = assemble_site(frame, shown, theme, bodies, images)
    problems += found
    bodies.locators = {a.source: entries[a.source].body for a in site.articles}
    article_keys = [ArticleKeys.of(a, entries[a.source].front, entries[a.source].body)
                    for a in site.articles]
    plan = Plan(site, frame.config, related_all(site), frame.now, cache.dir)
    units = plan_units(plan, unit_kinds(frame))
    renderer = PageRenderer(theme, site.sections)
    keyer = UnitKeyer(renderer, frame.page_salt, article_keys, remember=cache.defer_writes)
    keys = [keyer.key(unit) for unit in units]
    schedule = Schedule.of(parsed, frame.now, schedule_windows(frame.config))
    with OutputWriter(frame.out_dir, previous=dict(record.stamps) or None,
                      line_of=url_line_finder(site)) as writer:
        made = copy_statics(frame, record, writer, skip=static_sources(images.files))
        made.update(render_units(frame, record, writer, renderer, units, keys, site,
                                  progress, problems, trusted=False))
        # URLs that never break: redirects for moved articles, and the manifest.
        redirects_added, manifest = write_redirects(writer, site, renderer.redirect)
        problems = fail_on_errors(frame, problems + writer.problems)
        cache.commit_starting(frame.out_dir)
        writer.commit()
        result = BuildResult(
            out_dir=frame.options.output, files=writer.count, articles=len(site.articles),
            seconds=0.0, warnings=tuple(problems),
            next_change=next_change(schedule, frame),
            redirects_added=redirects_added, sources=dict(writer.sources),
            deferred=deferred_files(made))
        snapshot = SiteSnapshot(
            ident=os.urandom(12).hex(), site=site, bodies=bodies, related=plan.related,
            units=units, known_keys=keyer.kept,
            key_frames=keyer.made.frames, manifest=manifest)
        cache.commit_done(frame.out_dir, OutputRecord(
            units=made, stamps=output_stamps(frame.out_dir, writer, record.stamps),
            frame=frame.digest, keys=dict(scan.keys), statics=dict(frame.static_keys),
            built_at=frame.now, schedule=schedule,
            stable_until=schedule.stable_until(frame.now, drafts=frame.options.drafts,
                                               future=frame.options.future), result=result,
            locators=dict(bodies.locators), article_keys=article_keys,
            snapshot=snapshot.ident, images=dict(images.files)), snapshot=snapshot)
    return result


def unit_kinds(frame: Frame) -> tuple[type[Unit], ...]:
    return frame.kinds if frame.kinds is not None else KINDS


def next_change(schedule: Schedule, frame: Frame) -> ScheduledChange | None:
    return next_scheduled_change(schedule.entries.values(), frame.now,
                                 drafts=frame.options.drafts, future=frame.options.future,
                                 tz=frame.config.tz)


def copy_statics(frame: Frame, record: OutputRecord, writer: OutputWriter, *,
                 skip: frozenset[str], trusted: bool = False) -> dict[str, UnitRecord]:
    """Every static file but those published as processed images (`skip`), kept where the
    previous output has it unchanged."""
    made = {}
    for rel, (original, label) in frame.statics.items():
        if rel in skip:
            continue
        ident, key = "static:" + rel, frame.static_keys[rel]
        if reusable_files(frame.out_dir, record, writer, ident, key, trusted=trusted):
            writer.keep(rel, label)
        else:
            writer.copy(rel, original, label)
        made[ident] = UnitRecord(key, ((rel, label),))
    return made


def reusable_files(out_dir: Path, record: OutputRecord, writer: OutputWriter, ident: str,
              key: str | None, *, trusted: bool = False) -> tuple[tuple[str, str], ...] | None:
    """The files of the previous output's unit `ident`, when it was made with this key
    (None: with any) and its files are as that build left them (`trusted`: known to be)."""
    old = record.units.get(ident) if writer.previous is not None else None
    if old is None or (key is not None and old.key != key):
        return None
    if trusted or intact(out_dir, (p for p, _ in old.files), record.stamps):
        return old.files
    return None


def render_units(frame: Frame, record: OutputRecord, writer: OutputWriter,
                  renderer: PageRenderer, units: Sequence[Unit], keys: Sequence[str],
                  site: Site, progress: Progress | None,
                  problems: list[ContentError], *, trusted: bool,
                  edited: frozenset[int] | None = None) -> dict[str, UnitRecord]:
    """Keep the units whose key and files are unchanged, render the others in the worker
    pool, and claim every file in unit order (so that clashes are named the same way
    whatever --jobs says); with `defer`, keep the files of those not wanted first after a
    change to the `edited` articles (indexes; None: every article), marked to be made
    next time. Problems are added to `problems`."""
    if frame.options.defer and edited is None:
        edited = frozenset(range(len(site.articles)))
    kept: dict[int, tuple[tuple[str, str], ...]] = {}
    deferred: set[int] = set()
    to_render: list[int] = []
    for position, unit in enumerate(units):
        files = reusable_files(frame.out_dir, record, writer, unit.ident, keys[position],
                          trusted=trusted)
        if files is None and edited is not None and frame.options.defer \
                and not unit.wanted_first(edited):
            files = reusable_files(frame.out_dir, record, writer, unit.ident, None, trusted=trusted)
            if files:
                deferred.add(position)
            else:
                files = None
        if files is None:
            to_render.append(position)
        else:
            kept[position] = files
    made: dict[str, UnitRecord] = {}
    state = {"renderer": renderer, "units": units, "site": site,
             "staging": writer.staging, "flat": writer.flat, "made_dirs": set(),
             "out_dir": str(writer.out_dir), "previous": writer.previous}
    tasks = chunks(to_render)
    pool = WorkerPool(frame.jobs, state, len(tasks))
    try:
        results = (done for chunk in pool.map(render_in_worker, tasks) for done in chunk)
        upcoming: RenderDone | None = next(results, None)
        for position, unit in enumerate(units):
            if upcoming is None or upcoming.position != position:  # kept
                writer.keep_all(kept[position])
                made[unit.ident] = UnitRecord(
                    UnitRecord.DEFERRED if position in deferred else keys[position],
                    kept[position])
                continue
            problems += upcoming.problems
            unchanged = upcoming.unchanged
            claimed = tuple((path, source) for path, source in upcoming.files
                            if (writer.keep(path, source) if path in unchanged
                                else writer.claim(path, source)))
            if not upcoming.problems:
                made[unit.ident] = UnitRecord(keys[position], claimed)
            upcoming = next(results, None)
            if progress:
                progress("rendering", position + 1, len(units))
    finally:
        pool.close()
    return made


def deferred_files(made: dict[str, UnitRecord]) -> tuple[str, ...]:
    return tuple(path for record in made.values() if record.deferred for path, _ in record.files)


def fail_on_errors(frame: Frame, problems: list[ContentError]) -> list[ContentError]:
    """The build's problems, each once; `BuildFailed` when any is an error (every warning
    is one under --strict)."""
    problems = list(dict.fromkeys(problems))
    if frame.options.strict:
        problems = [p.as_error() for p in problems]
    if any(not p.is_warning for p in problems):
        raise BuildFailed(problems)
    return problems


def output_stamps(out_dir: Path, writer: OutputWriter, previous: dict[str, Stamp]
            ) -> dict[str, Stamp]:
    """Each output file's stat signature after the commit (kept files keep theirs)."""
    stamps = {}
    root = str(out_dir) + os.sep
    for path in writer.sources:
        if path in writer.kept:
            stamps[path] = previous[path]
        else:
            with contextlib.suppress(OSError):  # gone already: it is checked next time
                stamps[path] = stamp_of(os.stat(root + path))
    return stamps


def url_line_finder(site: Site) -> Callable[[str, str], int | None]:
    """(output path, source) -> the front-matter line that decides that URL, so that a
    clash or an unsafe path is reported where the editor can fix it."""
    def line(path: str, source: str) -> int | None:
        index = site.catalog.index.get(source)
        if index is None:
            return None
        article = site.articles[index]
        key_lines = article.key_lines
        if url_to_path(article.url) == path:
            return key_lines.get("slug" if article.meta.slug else "title")
        for alias in article.meta.aliases:
            if url_to_path(alias_url(alias)) == path:
                return key_lines.get(f"aliases[{alias}]", key_lines.get("aliases"))
        return None

    return line


