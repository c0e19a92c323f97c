"""The pipeline: load -> scan -> parse -> assemble -> plan -> render -> write.

`build_site` loads the frame (config, options, templates, static files) and scans the
content, then `decide` says what the build must do: nothing (the output is as the same
inputs left it), a patch (a few content files edited: the kept site model is brought up to
date and only the units whose declared inputs changed are rendered) or a full build
(everything assembled again; units whose keys are unchanged are kept all the same). Every
problem found on the way is collected and raised together as `BuildFailed`, and then
nothing is published."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .cache import BuildCache, CacheDamaged, OutputRecord, Stamp, UnitRecord, stamp_of
from .changes import ChangeSet
from .config import CONFIG_NAME, SiteConfig, load_config
from .content import CONTENT_DIR, check_schema, static_files
from .errors import BuildFailed, ContentError, warning
from .feeds import NEWS_WINDOW
from .keys import ArticleKeys, digest, static_key, tree_digest
from .models import Catalog, ParsedEntry, ParsedSource, ScheduledChange, Site
from .pages import KINDS, KnownKeys, Plan, Unit, UnitKeyer, plan_units
from .redirects import write_redirects
from .render import (
    TEMPLATES_DIR,
    THEME_DIR,
    PageRenderer,
    Theme,
    check_templates,
    site_theme,
    theme_static,
)
from .site import (
    Schedule,
    assemble,
    is_published,
    next_scheduled_change,
    reassemble,
    related_after,
    related_all,
    slugify,
)
from .snapshot import BodyStore, SiteSnapshot, StoredArticle
from .sources import (
    LoadedSources,
    Progress,
    SourceScan,
    build_salt,
    load_sources,
    parse_sources,
    rescan_sources,
    scan_sources,
)
from .urls import alias_url, url_to_path
from .workers import RenderDone, WorkerPool, chunks, default_jobs, render_unit
from .workers import render_chunk as render_in_worker
from .write import OutputWriter

OUTPUT_DIR = "build"
PATCH_LIMIT = 200  # edited files above which a full build is as quick as patching


@dataclass(frozen=True)
class BuildOptions:
    site_dir: Path
    out_dir: Path | None = None
    drafts: bool = False
    future: bool = False
    now: dt.datetime | None = None
    base_url: str | None = None
    jobs: int | None = None
    strict: bool = False
    # A dev server's build: the units not `wanted_first` that must be made again, and
    # whose files are there, are left as they were (`BuildResult.deferred` names their
    # files); the next build makes them, whatever changed. The output is the same.
    defer: bool = False

    @property
    def output(self) -> Path:
        return self.out_dir if self.out_dir is not None else self.site_dir / OUTPUT_DIR


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    files: int
    articles: int
    seconds: float
    warnings: tuple[ContentError, ...] = field(default=())
    # When the published site next changes by itself (embargo or expiry), for CI.
    next_change: ScheduledChange | None = None
    redirects_added: int = 0  # redirects written for articles whose URL changed
    sources: dict[str, str] = field(default_factory=dict, compare=False)  # output path -> maker
    # What the build did: `Decision.NOTHING`, `Decision.PATCH` or `Decision.FULL`.
    kind: str = "full"
    deferred: tuple[str, ...] = ()  # output paths left for the next build (`defer`)


def reference_time(now: dt.datetime | None) -> dt.datetime:
    """The build's "now": --now, else SOURCE_DATE_EPOCH, else the wall clock."""
    if now is not None:
        return now if now.tzinfo else now.replace(tzinfo=dt.UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC)


# -- load: the frame ---------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """Everything a build's output is made from besides the content and static files."""

    options: BuildOptions
    config: SiteConfig
    config_problems: tuple[ContentError, ...]
    now: dt.datetime
    jobs: int
    out_dir: Path  # absolute
    salt: str  # what parsed entries depend on
    templates_key: str
    # Code and config: every page's key includes it, each with the templates it is made
    # with (`PageRenderer.templates_digest`), so a template edit re-renders only its pages.
    page_salt: str
    statics: dict[str, tuple[Path, str]]  # output path -> (file, source label)
    static_keys: dict[str, str]
    kinds: tuple[type[Unit], ...]  # of output (`pages.KINDS`)
    digest: str  # of all of the above that decides the output


def load_frame(options: BuildOptions, cache: BuildCache, kinds: Sequence[type[Unit]]) -> Frame:
    site_dir = options.site_dir
    config, problems = load_config(site_dir)
    if options.base_url:
        base = options.base_url if options.base_url.endswith("/") else options.base_url + "/"
        config = replace(config, base_url=base)
    templates_key = tree_digest(site_dir / TEMPLATES_DIR, THEME_DIR / TEMPLATES_DIR)
    page_salt = digest(cache.code, repr(config))
    statics = static_files(site_dir, theme_static(config))
    static_keys = {rel: static_key(cache.file_digest(path)[0], label)
                   for rel, (path, label) in statics.items()}
    frame = digest(page_salt, templates_key,
                   # (--jobs is not in it: the output is the same whatever it says)
                   repr(replace(options, now=None, site_dir=Path(), out_dir=None, jobs=None,
                                defer=False)),
                   repr(problems), str((site_dir / CONTENT_DIR).is_dir()),
                   *(f"{kind.__module__}.{kind.__qualname__}" for kind in kinds))
    return Frame(options, config, tuple(problems), reference_time(options.now),
                 options.jobs or default_jobs(), options.output.absolute(),
                 build_salt(cache, config), templates_key, page_salt, statics, static_keys,
                 tuple(kinds), frame)


# -- decide: nothing, a patch, or a full build ---------------------------------------


@dataclass(frozen=True)
class Decision:
    """What a build must do. `edited`: the content files whose keys changed."""

    kind: str  # NOTHING, PATCH or FULL
    edited: tuple[str, ...] = ()
    due: bool = False  # the moment passed an embargo, an expiry or the news window

    NOTHING = "nothing"
    PATCH = "patch"
    FULL = "full"


def decide(record: OutputRecord, frame: Frame, scan: SourceScan, *, trust_output: bool
           ) -> Decision:
    """Nothing when the last build into this output was made from the same frame, content
    and static files, its schedule still holds, it left no unit for later (`defer`), and
    the output is as it left it; a patch when only a few content or static files changed,
    a few articles' embargo, expiry or news window came due, or units were left for
    later; else a full build."""
    if not (record.result is not None and record.frame == frame.digest and not scan.unhashed
            and not scan.problems and record.built_at is not None
            and record.built_at <= frame.now and isinstance(record.schedule, Schedule)):
        return Decision(Decision.FULL)
    edited = {*(s for s, key in scan.keys.items() if record.keys.get(s) != key),
              *(s for s in record.keys if s not in scan.keys)}
    due = record.stable_until is not None and frame.now >= record.stable_until
    if due:
        edited |= record.schedule.due(record.built_at, frame.now)
    if not edited and frame.static_keys == record.statics and not record.result.deferred and (
            trust_output or _intact(frame.out_dir, record.stamps, record.stamps)):
        return Decision(Decision.NOTHING)
    if len(edited) <= PATCH_LIMIT:
        return Decision(Decision.PATCH, tuple(sorted(edited)), due)
    return Decision(Decision.FULL)


def _intact(out_dir: Path, paths: Iterable[str], stamps: dict[str, Stamp]) -> bool:
    """Whether the previous output's files are still exactly as the last build left them."""
    root = str(out_dir) + os.sep  # output paths are relative and checked: no join needed
    for path in paths:
        try:
            info = os.stat(root + path)
        except OSError:
            return False
        if (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns) != stamps.get(path):
            return False
    return True


# -- the build -------------------------------------------------------------------------


def build_site(options: BuildOptions, progress: Progress | None = None,
               cache: BuildCache | None = None, changed: ChangeSet | None = None,
               kinds: Sequence[type[Unit]] = KINDS) -> BuildResult:
    """Build the site into `options.output`; raise `BuildFailed` with every problem found.

    `cache` is the build cache to use; a long-running process (the dev server) keeps one
    `BuildCache(site_dir)` and passes it to every build, so that its indexes stay in memory.
    Without one, the cache folder `<site>/.newsgen-cache/` is read afresh.

    `changed`, from a process that watches the site and keeps one cache (the dev server):
    everything changed since its previous build with that cache. Then only those content
    files are looked at again, and the output folder is trusted to be as that build left
    it (nobody else writes the dev server's).

    `kinds`: the kinds of output (`pages.KINDS`)."""
    cache = cache if cache is not None else BuildCache(options.site_dir)
    try:
        return _build(options, progress, cache, changed, kinds)
    except CacheDamaged:  # the cache folder was deleted or broken under this build
        cache.clear()
        return _build(options, progress, cache, None, kinds)


def _build(options: BuildOptions, progress: Progress | None, cache: BuildCache,
           changed: ChangeSet | None, kinds: Sequence[type[Unit]]) -> BuildResult:
    started = time.perf_counter()
    cache.begin()
    scan = SourceScan()
    try:
        frame = load_frame(options, cache, kinds)
        record = cache.output_record(frame.out_dir)
        scan, rescanned = _scan(frame, cache, changed)
        decision = decide(record, frame, scan, trust_output=rescanned)
        if decision.kind == Decision.NOTHING:
            unchanged: BuildResult = record.result
            return replace(unchanged, out_dir=options.output, redirects_added=0,
                           seconds=time.perf_counter() - started, kind=Decision.NOTHING)
        if decision.kind == Decision.PATCH:
            parse_sources(scan, [s for s in decision.edited
                                 if s in scan.keys and cache.parsed(scan.keys[s]) is None],
                          frame.config, cache, frame.salt, frame.jobs, progress)
            patched = patch_build(frame, cache, record, scan, decision,
                                  trust_output=rescanned)
            if patched is not None:
                return replace(patched, seconds=time.perf_counter() - started,
                               kind=Decision.PATCH)
        loaded = load_sources(scan, frame.config, cache, frame.jobs, progress)
    finally:
        cache.finish(set(scan.keys.values()))  # what was parsed is kept even when the build fails
    result = full_build(frame, cache, record, scan, loaded, progress)
    return replace(result, seconds=time.perf_counter() - started, kind=Decision.FULL)


def _scan(frame: Frame, cache: BuildCache, changed: ChangeSet | None
          ) -> tuple[SourceScan, bool]:
    """The content files and their keys, and whether they come from a rescan of the
    paths a watcher reported (then the output is trusted as the last build left it)."""
    site_dir = frame.options.site_dir
    scan_key = f"{site_dir.absolute()}\0{frame.salt}"
    previous = cache.recall("scan", scan_key) if changed is not None else None
    rescanned = (rescan_sources(previous, changed, site_dir, frame.salt, cache)
                 if previous is not None and changed is not None else None)
    scan = rescanned if rescanned is not None else scan_sources(site_dir, frame.salt, cache)
    cache.remember("scan", scan_key, scan)
    return scan, rescanned is not None


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


def assemble_site(frame: Frame, parsed: Sequence[ParsedSource], theme: Theme, bodies: BodyStore
                  ) -> tuple[Site, list[ContentError]]:
    """The published articles assembled into a site whose articles read their bodies
    from the cache; an article asking for a template that does not exist is reported and
    made with the default one."""
    site, problems = assemble(published(frame, parsed), frame.config)
    unknown = check_templates(theme, site.articles)
    problems += unknown
    named = {p.path for p in unknown}
    # (The assembled articles are replaced, not kept beside: 100,000 of them weigh.)
    articles = tuple(StoredArticle.of(replace(a, meta=replace(a.meta, template=None))
                                      if a.source in named else a, bodies)
                     for a in site.articles)
    return replace(site, articles=articles,
                   catalog=Catalog.of(articles) if named else site.catalog), problems


# -- full build ------------------------------------------------------------------------


def full_build(frame: Frame, cache: BuildCache, record: OutputRecord, scan: SourceScan,
               loaded: LoadedSources, progress: Progress | None) -> BuildResult:
    """Assemble the whole site, plan every unit, render those whose keys changed."""
    parsed, entries = loaded.parsed, loaded.entries
    problems = [*frame.config_problems, *loaded.problems]
    problems += _content_warnings(frame, parsed, bool(scan.keys), problems)
    theme = site_theme(cache, frame.config, frame.options.site_dir, frame.templates_key)
    bodies = BodyStore(cache.dir)
    site, found = assemble_site(frame, parsed, theme, bodies)
    problems += found
    bodies.locators = {a.source: entries[a.source].body for a in site.articles}
    article_keys = [ArticleKeys.of(a, entries[a.source].front, entries[a.source].body)
                    for a in site.articles]
    plan = Plan(site, frame.config, related_all(site), frame.now)
    units = plan_units(plan, frame.kinds)
    renderer = PageRenderer(theme, site.sections)
    keyer = UnitKeyer(renderer, frame.page_salt, article_keys, remember=cache.defer_writes)
    keys = [keyer.key(unit) for unit in units]
    schedule = Schedule.of(parsed, frame.now, NEWS_WINDOW)
    with OutputWriter(frame.out_dir, previous=dict(record.stamps) or None,
                      line_of=url_line_finder(site)) as writer:
        made = _copy_statics(frame, record, writer)
        made.update(_render_units(frame, record, writer, renderer, units, keys, site,
                                  progress, problems, trusted=False))
        # URLs that never break: redirects for moved articles, and the manifest.
        redirects_added, manifest = write_redirects(writer, site, renderer.redirect)
        problems = _fail_on_errors(frame, problems + writer.problems)
        cache.commit_starting(frame.out_dir)
        writer.commit()
        result = BuildResult(
            out_dir=frame.options.output, files=writer.count, articles=len(site.articles),
            seconds=0.0, warnings=tuple(problems),
            next_change=_next_change(schedule, frame),
            redirects_added=redirects_added, sources=dict(writer.sources),
            deferred=_deferred_files(made))
        snapshot = SiteSnapshot(
            ident=os.urandom(12).hex(), site=site, bodies=bodies, related=plan.related,
            units=units, known_keys=keyer.kept,
            key_frames=keyer.made.frames, manifest=manifest)
        cache.commit_done(frame.out_dir, OutputRecord(
            units=made, stamps=_stamps(frame.out_dir, writer, record.stamps),
            frame=frame.digest, keys=dict(scan.keys), statics=dict(frame.static_keys),
            built_at=frame.now, schedule=schedule,
            stable_until=schedule.stable_until(frame.now, drafts=frame.options.drafts,
                                               future=frame.options.future), result=result,
            locators=dict(bodies.locators), article_keys=article_keys,
            snapshot=snapshot.ident), snapshot=snapshot)
    return result


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
            body_only = (body_only and new is not None and new.article is not None
                         and _only_body_changed(old, new)
                         and (source in shown) == bool(published(frame, [new.article])))
        articles = [entry.article for entry in entries.values() if entry.article is not None]
        warnings = (*(w for entry in entries.values() for w in entry.problems),
                    *check_schema(articles, frame.config.schema))
        if any(not w.is_warning for w in warnings) or (warnings and frame.options.strict):
            return None  # the full build fails, naming every problem of the site
        return cls(tuple(edited), frozenset(s for s in edited if s in shown),
                   tuple(published(frame, articles)), entries, body_only, warnings)


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
    if not trust_output and not _intact(frame.out_dir, record.stamps, record.stamps):
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
                         deferred=_deferred_files(made))
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
    site = reassemble(snapshot.site, set(change.removed), change.added, frame.config,
                      keep=lambda article: StoredArticle.of(article, snapshot.bodies))
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
    plan = Plan(site, frame.config, model.related, frame.now)
    units = plan_units(plan, frame.kinds)
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
            made = _copy_statics(frame, record, writer, trusted=True)
            index = site.catalog.index
            made.update(_render_units(
                frame, record, writer, renderer, units, keys, site, None, problems,
                trusted=True, edited=frozenset(index[s] for s in change.edited if s in index)))
            redirects_added, manifest = write_redirects(writer, site, renderer.redirect,
                                                        snapshot.manifest)
            if problems or writer.problems:
                bodies.locators = previous_locators
                return None
            cache.commit_starting(frame.out_dir)
            writer.commit()
            stamps = _stamps(frame.out_dir, writer, record.stamps)
    except BaseException:
        bodies.locators = previous_locators
        raise
    patched = SiteSnapshot(
        ident=os.urandom(12).hex(), site=site, bodies=bodies, related=plan.related,
        units=units, known_keys=keyer.kept,
        key_frames=keyer.made.frames, manifest=manifest)
    patched.carry_locators(snapshot, set(site.catalog.sources) - set(change.edited))
    return _commit_patch(frame, cache, record, scan, change, model, patched, replace(
        record, units=made, stamps=stamps), writer, redirects_added)


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
                                  next_change=_next_change(schedule, frame),
                                  sources=dict(writer.sources),
                                  deferred=_deferred_files(written.units))
    cache.commit_done(frame.out_dir, replace(
        written, keys=dict(scan.keys), statics=dict(frame.static_keys), built_at=frame.now,
        schedule=schedule,
        stable_until=schedule.stable_until(frame.now, drafts=frame.options.drafts,
                                           future=frame.options.future),
        result=result, locators=model.locators, article_keys=model.article_keys,
        snapshot=patched.ident), snapshot=patched)
    return result


def _next_change(schedule: Schedule, frame: Frame) -> ScheduledChange | None:
    return next_scheduled_change(schedule.entries.values(), frame.now,
                                 drafts=frame.options.drafts, future=frame.options.future,
                                 tz=frame.config.tz)


def _copy_statics(frame: Frame, record: OutputRecord, writer: OutputWriter, *,
                  trusted: bool = False) -> dict[str, UnitRecord]:
    """Every static file, kept where the previous output has it unchanged."""
    made = {}
    for rel, (original, label) in frame.statics.items():
        ident, key = "static:" + rel, frame.static_keys[rel]
        if _reusable(frame.out_dir, record, writer, ident, key, trusted=trusted):
            writer.keep(rel, label)
        else:
            writer.copy(rel, original, label)
        made[ident] = UnitRecord(key, ((rel, label),))
    return made


def _reusable(out_dir: Path, record: OutputRecord, writer: OutputWriter, ident: str,
              key: str | None, *, trusted: bool = False) -> tuple[tuple[str, str], ...] | None:
    """The files of the previous output's unit `ident`, when it was made with this key
    (None: with any) and its files are as that build left them (`trusted`: known to be)."""
    old = record.units.get(ident) if writer.previous is not None else None
    if old is None or (key is not None and old.key != key):
        return None
    if trusted or _intact(out_dir, (p for p, _ in old.files), record.stamps):
        return old.files
    return None


def _render_units(frame: Frame, record: OutputRecord, writer: OutputWriter,
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
        files = _reusable(frame.out_dir, record, writer, unit.ident, keys[position],
                          trusted=trusted)
        if files is None and edited is not None and frame.options.defer \
                and not unit.wanted_first(edited):
            files = _reusable(frame.out_dir, record, writer, unit.ident, None, trusted=trusted)
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
             "staging": writer.staging, "flat": writer.flat, "made_dirs": set()}
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
            claimed = tuple((path, source) for path, source in upcoming.files
                            if writer.claim(path, source))
            if not upcoming.problems:
                made[unit.ident] = UnitRecord(keys[position], claimed)
            upcoming = next(results, None)
            if progress:
                progress("rendering", position + 1, len(units))
    finally:
        pool.close()
    return made


def _deferred_files(made: dict[str, UnitRecord]) -> tuple[str, ...]:
    return tuple(path for record in made.values() if record.deferred for path, _ in record.files)


def _fail_on_errors(frame: Frame, problems: list[ContentError]) -> list[ContentError]:
    """The build's problems, each once; `BuildFailed` when any is an error (every warning
    is one under --strict)."""
    problems = list(dict.fromkeys(problems))
    if frame.options.strict:
        problems = [p.as_error() for p in problems]
    if any(not p.is_warning for p in problems):
        raise BuildFailed(problems)
    return problems


def _stamps(out_dir: Path, writer: OutputWriter, previous: dict[str, Stamp]
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


__all__ = ["BuildCache", "BuildOptions", "BuildResult", "build_site", "CONTENT_DIR"]
