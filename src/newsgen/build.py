"""The pipeline: config -> sources -> site -> pages -> output folder.

`build_site` loads everything first, then renders and writes; every problem found on the
way is collected and raised together as `BuildFailed`, and then nothing is published."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2

from .cache import BuildCache, CacheDamaged, OutputRecord, Stamp, digest, stamp_of
from .config import CONFIG_NAME, SiteConfig, load_config
from .content import CONTENT_DIR, check_schema, find_sources
from .errors import BuildFailed, ContentError, did_you_mean, warning
from .feeds import NEWS_WINDOW, site_files
from .models import Article, ParsedSource, ScheduledChange, Site
from .redirects import write_redirects
from .render import TEMPLATES_DIR, THEME_DIR, PageRenderer, Theme
from .site import assemble, is_published, next_scheduled_change, related_all, url_to_path
from .units import (
    BodyStore,
    SiteSnapshot,
    StoredArticle,
    alias_url,
    article_digest,
    output_units,
    unit_call,
    unit_key,
)
from .workers import WorkerPool, chunks, default_jobs, parse_chunk, render_chunk, render_unit
from .write import OutputWriter

STATIC_DIR = "static"
OUTPUT_DIR = "build"

Progress = Callable[[str, int, int], None]


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


def reference_time(now: dt.datetime | None) -> dt.datetime:
    """The build's "now": --now, else SOURCE_DATE_EPOCH, else the wall clock."""
    if now is not None:
        return now if now.tzinfo else now.replace(tzinfo=dt.UTC)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC)


def relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def static_files(site_dir: Path) -> dict[str, tuple[Path, str]]:
    """Output path -> (file, source label): the theme's static files, the site's on top."""
    files: dict[str, tuple[Path, str]] = {}
    for root, label in ((THEME_DIR / STATIC_DIR, "newsgen theme"), (site_dir / STATIC_DIR, None)):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not any(p.startswith(".") for p in path.relative_to(root).parts):
                rel = path.relative_to(root).as_posix()
                files[rel] = (path, label or relative(path, site_dir))
    return files


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


def check_templates(theme: Theme, site: Site) -> list[ContentError]:
    """Articles asking for a template that does not exist."""
    problems = []
    for article in site.articles:
        name = article.meta.template
        if name and not theme.has_template(name):
            available = ", ".join(theme.template_names())
            problems.append(ContentError(
                article.source, article.key_lines.get("template"),
                f"unknown template '{name}'{did_you_mean(name, theme.template_names())}; "
                f"the templates are: {available}"))
    return problems


def url_line_finder(site: Site) -> Callable[[str, str], int | None]:
    """(output path, source) -> the front-matter line that decides that URL, so that a
    clash or an unsafe path is reported where the editor can fix it. Looked up only for
    a problem, so the index is made on the first one."""
    by_source: dict[str, Article] = {}

    def line(path: str, source: str) -> int | None:
        if not by_source:
            by_source.update((article.source, article) for article in site.articles)
        article = by_source.get(source)
        if article is None:
            return None
        key_lines = article.key_lines
        if url_to_path(article.url) == path:
            return key_lines.get("slug" if article.meta.slug else "title")
        for alias in article.meta.aliases:
            if url_to_path(alias_url(alias)) == path:
                return key_lines.get(f"aliases[{alias}]", key_lines.get("aliases"))
        return None

    return line


def no_articles_warning(site_dir: Path) -> ContentError:
    """An empty site is most often a build run in the wrong folder: say so."""
    if (site_dir / CONTENT_DIR).is_dir():
        return warning(CONTENT_DIR, None, "no articles: add Markdown files (.md) under content/")
    return warning(CONTENT_DIR, None, f"there is no content/ folder in {site_dir.resolve()}; "
                   "run newsgen in the site's folder or name it with --site")


@dataclass
class SourceScan:
    """The content files found by one build, and the key of each (a digest of its bytes
    and of what parsing depends on)."""

    paths: dict[str, str] = field(default_factory=dict)  # source -> file path
    keys: dict[str, str] = field(default_factory=dict)  # source -> key
    # Files not hashed yet: on a cold build the workers hash what they read anyway.
    unhashed: dict[str, os.stat_result] = field(default_factory=dict)
    problems: list[ContentError] = field(default_factory=list)


def parsing_salt(cache: BuildCache, config: SiteConfig) -> str:
    return digest(cache.parsing_code, config.timezone, str(config.safe_markdown))


def _source_key(cache: BuildCache, salt: str, source: str, file_key: str) -> str:
    """A content file's key: its name and bytes, and what parsing depends on (`salt`);
    remembered by a long-running process, which asks for ten thousand per rebuild."""
    known: dict[tuple[str, str], str] = cache.reuse("source keys", salt, dict)
    key = known.get((source, file_key))
    if key is None:
        key = known[(source, file_key)] = digest(salt, source, file_key)
    return key


def scan_sources(site_dir: Path, salt: str, cache: BuildCache) -> SourceScan:
    """Find every content file and its key, from the cache's file index where the file's
    stat signature is unchanged."""
    scan = SourceScan()
    hash_first = cache.knows_parsed  # with nothing parsed in the cache, workers hash
    for source, path, info in find_sources(site_dir):
        scan.paths[source] = path
        if not hash_first:
            scan.unhashed[source] = info
            continue
        try:
            file_key, _data = cache.file_digest(path, stat=info)
        except OSError as exc:
            scan.problems.append(ContentError(source, None, f"cannot be read: {exc.strerror}"))
            continue
        scan.keys[source] = _source_key(cache, salt, source, file_key)
    return scan


def rescan_sources(previous: SourceScan, changed: Iterable[str], site_dir: Path, salt: str,
                   cache: BuildCache) -> SourceScan | None:
    """The previous build's scan with the files a watcher reported changed looked at
    again; None when a change is more than Markdown files edited, created or deleted (a
    folder created, moved or deleted: then the whole folder is scanned)."""
    if previous.unhashed or previous.problems:
        return None
    root = str((site_dir / CONTENT_DIR).absolute()) + os.sep
    folder = str(site_dir / CONTENT_DIR)  # paths are kept in the form a full scan gives
    scan = SourceScan(paths=dict(previous.paths), keys=dict(previous.keys))
    looked_at: set[str] = set()
    for path in changed:
        path = os.path.abspath(path)
        if root.startswith(path + os.sep):
            return None  # content/ itself (or the site folder) replaced: its files unseen
        if not path.startswith(root):
            continue  # a template, a static file, the config: not a content file
        parts = path[len(root):].split(os.sep)
        if any(part.startswith(".") for part in parts):
            continue
        source = f"{CONTENT_DIR}/{'/'.join(parts)}"
        try:
            info = os.stat(path)
        except OSError:
            info = None
        path = os.path.join(folder, *parts)
        if info is None and not path.endswith(".md"):
            return None  # a folder gone, or something that is not an article
        if info is None:  # deleted
            if any(known.startswith(path + os.sep) for known in scan.paths.values()):
                return None  # a folder whose name ends in .md
            scan.paths.pop(source, None)
            scan.keys.pop(source, None)
            continue
        if not stat.S_ISREG(info.st_mode) or not path.endswith(".md"):
            return None
        looked_at.add(path)
        try:
            file_key, _data = cache.file_digest(path, stat=info)
        except OSError:
            return None  # unreadable: the full scan reports it
        scan.paths[source] = path
        scan.keys[source] = _source_key(cache, salt, source, file_key)
    cache.carry_files(p for p in scan.paths.values() if p not in looked_at)
    # Sorted like a full scan's, so that both give the same site.
    scan.paths = dict(sorted(scan.paths.items(), key=lambda item: item[0].split("/")))
    scan.keys = {source: scan.keys[source] for source in scan.paths}
    return scan


def parse_sources(scan: SourceScan, sources: list[str], config: SiteConfig, cache: BuildCache,
                  salt: str, jobs: int, progress: Progress | None) -> None:
    """Parse these content files into the cache, in worker processes when they are many;
    each key becomes that of the bytes the worker read, should the file have changed."""
    if not sources:
        return
    state = {"tz": config.tz, "safe_markdown": config.safe_markdown, "cache_dir": cache.dir,
             "salt": salt}
    tasks = chunks([(source, scan.paths[source]) for source in sources], 16)
    pool = WorkerPool(jobs, state, len(tasks))
    try:
        done = 0
        for results in pool.map(parse_chunk, tasks):
            for source, key, entry, file_digest in results:
                info = scan.unhashed.pop(source, None)
                if key is None:  # unreadable now
                    scan.keys.pop(source, None)
                    scan.problems.extend(entry[1])
                    continue
                scan.keys[source] = key
                cache.remember_parsed(key, entry)
                if info is not None:
                    cache.remember_file(scan.paths[source], info, file_digest)
            done += len(results)
            if progress:
                progress("parsing", done, len(sources))
    finally:
        pool.close()


def load_sources_cached(site_dir: Path, config: SiteConfig, cache: BuildCache, jobs: int,
                        progress: Progress | None, scan: SourceScan | None = None
                        ) -> tuple[list[ParsedSource], dict[str, str], dict[str, str],
                                   list[ContentError]]:
    """Every content file parsed, from the cache where its bytes are unchanged; returns the
    articles (bodies left in the cache), source -> key, source -> body locator, and the
    problems found."""
    salt = parsing_salt(cache, config)
    scan = scan if scan is not None else scan_sources(site_dir, salt, cache)
    missing = [source for source in scan.paths
               if source in scan.unhashed
               or (source in scan.keys and cache.parsed(scan.keys[source]) is None)]
    parse_sources(scan, missing, config, cache, salt, jobs, progress)
    parsed: list[ParsedSource] = []
    locators: dict[str, str] = {}
    problems = list(scan.problems)
    for source, key in scan.keys.items():
        entry = cache.parsed(key)
        if entry is None:  # the cache lost it meanwhile
            raise CacheDamaged(f"the parsed entry of {source} is missing")
        article, found, locators[source] = entry
        problems.extend(found)
        if article is not None:
            parsed.append(article)
    return parsed, scan.keys, locators, problems


def _tree_digest(*roots: Path) -> str:
    """Every file under the roots (templates): names and bytes."""
    parts: list[bytes | str] = []
    for root in roots:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    parts += [relative(path, root), path.read_bytes()]
        parts.append("|")
    return digest(*parts)


def build_site(options: BuildOptions, progress: Progress | None = None,
               cache: BuildCache | None = None, changed: Iterable[str] | None = None
               ) -> BuildResult:
    """Build the site into `options.output`; raise `BuildFailed` with every problem found.

    `cache` is the build cache to use; a long-running process (the dev server) keeps one
    `BuildCache(site_dir)` and passes it to every build, so that its indexes stay in memory.
    Without one, the cache folder `<site>/.newsgen-cache/` is read afresh.

    `changed`, from a process that watches the site and keeps one cache (the dev server):
    every path changed since its previous build with that cache. Then only those content
    files are looked at again, and the output folder is trusted to be as that build left
    it (nobody else writes the dev server's)."""
    cache = cache if cache is not None else BuildCache(options.site_dir)
    hints = list(changed) if changed is not None else None
    try:
        return _build(options, progress, cache, hints)
    except CacheDamaged:  # the cache folder was deleted or broken under this build
        cache.clear()
        return _build(options, progress, cache, None)


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


def _stable_until(parsed: Sequence[ParsedSource], published: Sequence[ParsedSource],
                  now: dt.datetime, options: BuildOptions) -> dt.datetime | None:
    """The first moment after `now` at which the same content makes another site: an
    embargo lifts, an article expires, or one enters or leaves the news sitemap's window."""
    moments = []
    change = next_scheduled_change(parsed, now, drafts=options.drafts, future=options.future)
    if change is not None:
        moments.append(change.at)
    tick = dt.timedelta(microseconds=1)
    for article in published:
        date = article.meta.date
        if date is None:
            continue
        if date > now:  # shown with --future; enters the news window then
            moments.append(date)
        elif date + NEWS_WINDOW >= now:
            moments.append(date + NEWS_WINDOW + tick)
    return min(moments, default=None)


def _record_holds(record: OutputRecord, frame: str, scan: SourceScan, now: dt.datetime) -> bool:
    """Whether the last build into this output was made from the same frame (code, config,
    options, templates), the same content files, and a moment whose schedule is still
    the current one; then only edited content and static files can make a difference."""
    return (record.result is not None and record.frame == frame and not scan.unhashed
            and not scan.problems and record.keys.keys() == scan.keys.keys()
            and record.built_at is not None and record.built_at <= now
            and (record.stable_until is None or now < record.stable_until))


def _only_body_changed(old: Any, new: Any) -> bool:
    """Whether two parsed entries of one file differ in the rendered body alone."""
    before, after = old[0], new[0]
    return (before is not None and after is not None and old[1] == new[1]
            and before.meta == after.meta and before.meta.extra == after.meta.extra
            and before.key_lines == after.key_lines)


PATCH_LIMIT = 200  # edited files above which a full build is as quick as patching


def _patch(options: BuildOptions, config: SiteConfig, cache: BuildCache, record: OutputRecord,
           scan: SourceScan, changed: list[str], statics: dict[str, tuple[Path, str]],
           static_keys: dict[str, str], templates_key: str, page_salt: str, started: float,
           *, trust_output: bool = False) -> BuildResult | None:
    """Rebuild after edits that changed articles' bodies and static files and nothing else:
    re-render the pages and feeds whose keys include those articles, copy the static files
    that changed, delete those that are gone, keep everything else. None when the edits
    were more than that (front matter, problems, a static file where a page is, a damaged
    output or snapshot): then the full build runs, and gives the same bytes."""
    copied = [rel for rel, key in static_keys.items() if record.statics.get(rel) != key]
    deleted = [rel for rel in record.statics if rel not in static_keys]
    if any(rel not in record.statics and rel in record.stamps for rel in copied):
        return None  # a new static file where another output is: the full build says so
    out_dir = options.output.absolute()
    snapshot = cache.snapshot(out_dir, record.snapshot)
    if snapshot is None:
        return None
    site = snapshot.site
    locators = dict(record.locators)
    article_keys = list(record.article_keys)
    touched: set[int] = set()
    for source in changed:
        old, new = cache.parsed(record.keys[source]), cache.parsed(scan.keys[source])
        if old is None or new is None or not _only_body_changed(old, new):
            return None
        index = snapshot.index.get(source)
        if index is not None:  # else not published: no page shows it
            locators[source] = new[2]
            article_keys[index] = article_digest(site.articles[index], scan.keys[source])
            touched.add(index)
    if not trust_output and not _intact(out_dir, record.stamps, record.stamps):
        return None
    snapshot.bodies.locators = locators
    renderer = PageRenderer(site_theme(cache, config, options.site_dir, templates_key), site,
                            snapshot.related)
    nav = digest(page_salt, repr(renderer.view))
    made = dict(record.units)
    sources: dict[str, str] | None = None  # what made each output, when files come or go
    with OutputWriter(out_dir, previous=dict(record.stamps), patch=True) as writer:
        for rel in copied:
            original, label = statics[rel]
            writer.copy(rel, original, label)
            made["static:" + rel] = (static_keys[rel], ((rel, label),))
        for rel in deleted:
            writer.remove(rel)
            made.pop("static:" + rel, None)
        if deleted or any(rel not in record.statics for rel in copied):
            sources = dict(record.result.sources)
            sources.update((rel, statics[rel][1]) for rel in copied)
            for rel in deleted:
                sources.pop(rel, None)
        for ident in sorted({u for i in touched for u in snapshot.depends.get(i, ())}):
            call = unit_call(renderer, ident, snapshot.index)
            key, _shown = unit_key(call, renderer, article_keys, nav)
            outputs, found = render_unit(renderer, call)
            if found:  # a template error: the full build reports it with everything else
                return None
            for output in outputs:
                writer.write(output.path, output.data, output.source)
            made[ident] = (key, tuple((output.path, output.source) for output in outputs))
        if writer.problems:
            return None
        cache.commit_starting(out_dir)
        writer.commit()
        stamps = dict(record.stamps)
        for path in writer.sources:
            if path not in writer.kept:
                with contextlib.suppress(OSError):  # gone already: it is checked next time
                    stamps[path] = stamp_of(os.stat(os.path.join(out_dir, path)))
        for rel in deleted:
            stamps.pop(rel, None)
        result: BuildResult = replace(record.result, out_dir=options.output,
                                      redirects_added=0, seconds=time.perf_counter() - started)
        if sources is not None:
            result = replace(result, sources=sources, files=len(sources))
        cache.commit_done(out_dir, replace(record, units=made, stamps=stamps,
                                           keys=dict(scan.keys), statics=dict(static_keys),
                                           locators=locators, article_keys=article_keys,
                                           result=result))
    return result


def _build(options: BuildOptions, progress: Progress | None, cache: BuildCache,
           changed: list[str] | None) -> BuildResult:
    started = time.perf_counter()
    site_dir = options.site_dir
    config, problems = load_config(site_dir)
    config_problems = list(problems)  # a broken config falls back to defaults: no more advice
    if options.base_url:
        base = options.base_url if options.base_url.endswith("/") else options.base_url + "/"
        config = replace(config, base_url=base)
    now = reference_time(options.now)
    jobs = options.jobs or default_jobs()
    out_dir = options.output.absolute()
    record = cache.output_record(out_dir)
    salt = parsing_salt(cache, config)
    templates_key = _tree_digest(site_dir / TEMPLATES_DIR, THEME_DIR / TEMPLATES_DIR)
    # Pages add the templates they are made with (`PageRenderer.templates_of`): an edit
    # to one template makes again only the pages that use it.
    page_salt = digest(cache.code, repr(config))
    statics = static_files(site_dir)

    cache.begin()
    scan = SourceScan()
    try:
        scan_key = f"{site_dir.absolute()}\0{salt}"
        previous = cache.recall("scan", scan_key) if changed is not None else None
        rescanned = (rescan_sources(previous, changed, site_dir, salt, cache)
                     if previous is not None and changed is not None else None)
        scan = rescanned if rescanned is not None else scan_sources(site_dir, salt, cache)
        cache.remember("scan", scan_key, scan)
        static_keys = {rel: digest(cache.file_digest(path)[0], label)
                       for rel, (path, label) in statics.items()}
        frame = digest(page_salt, templates_key,
                       # (--jobs is not in it: the output is the same whatever it says)
                       repr(replace(options, now=None, site_dir=Path(), out_dir=None,
                                    jobs=None)),
                       repr(config_problems), str((site_dir / CONTENT_DIR).is_dir()))
        if _record_holds(record, frame, scan, now):
            edited = [source for source, key in scan.keys.items() if record.keys[source] != key]
            if (not edited and static_keys == record.statics
                    and _intact(out_dir, record.stamps, record.stamps)):
                # Nothing the output is made from changed, and the output is as it was left.
                unchanged: BuildResult = record.result
                return replace(unchanged, out_dir=options.output, redirects_added=0,
                               seconds=time.perf_counter() - started)
            if len(edited) <= PATCH_LIMIT:
                parse_sources(scan, [s for s in edited if cache.parsed(scan.keys[s]) is None],
                              config, cache, salt, jobs, progress)
                patched = _patch(options, config, cache, record, scan, edited, statics,
                                 static_keys, templates_key, page_salt, started,
                                 trust_output=rescanned is not None)
                if patched is not None:
                    return patched
        parsed, body_keys, locators, found = load_sources_cached(site_dir, config, cache, jobs,
                                                                 progress, scan)
    finally:
        cache.finish(set(scan.keys.values()))  # what was parsed is kept even when the build fails
    problems += found
    problems += check_schema(parsed, config.schema)
    if not body_keys and not any(p.path.startswith(CONTENT_DIR + "/") for p in problems):
        problems.append(no_articles_warning(site_dir))
    if not options.base_url and not config_problems and config.base_url == SiteConfig().base_url:
        problems.append(warning(CONFIG_NAME, None, "no base_url: canonical links, feeds and "
                                f"sitemaps point to {config.base_url}; set the site's public "
                                "address, e.g. base_url: https://news.example.org/"))
    published = [
        p for p in parsed
        if is_published(p.meta.draft, p.meta.date, p.meta.expires, now,
                        drafts=options.drafts, future=options.future)
    ]

    site, found = assemble(published, config)
    problems += found
    theme = site_theme(cache, config, site_dir, templates_key)
    unknown_templates = check_templates(theme, site)
    problems += unknown_templates
    if unknown_templates:  # reported once above; render those pages with the default one
        named = {p.path for p in unknown_templates}
        site = replace(site, articles=tuple(
            replace(a, meta=replace(a.meta, template=None)) if a.source in named else a
            for a in site.articles))

    # Bodies stay in the cache; pages and feeds read the ones they show.
    bodies = BodyStore(cache.dir, {a.source: locators[a.source] for a in site.articles})
    # (The assembled articles are replaced, not kept beside: 100,000 of them weigh.)
    site = replace(site, articles=tuple(StoredArticle.of(a, bodies) for a in site.articles))
    renderer = PageRenderer(theme, site, related_all(site))
    units = output_units(renderer)
    article_keys = [article_digest(a, body_keys[a.source]) for a in site.articles]
    nav = digest(page_salt, repr(renderer.view))
    keys: list[str | None] = []
    depends: dict[int, list[str]] = {}
    for ident, call in units:
        key, shown = unit_key(call, renderer, article_keys, nav)
        keys.append(key)
        for index in shown:
            depends.setdefault(index, []).append(ident)
    made: dict[str, tuple[str | None, tuple[tuple[str, str], ...]]] = {}  # next record's units

    def reusable(ident: str, key: str | None) -> tuple[tuple[str, str], ...] | None:
        old = record.units.get(ident) if writer.previous is not None else None
        if key is None or old is None or old[0] != key:
            return None
        files = old[1]
        return files if _intact(out_dir, (p for p, _ in files), record.stamps) else None

    with OutputWriter(out_dir, previous=dict(record.stamps) or None,
                      line_of=url_line_finder(site)) as writer:
        for rel, (original, label) in statics.items():
            ident = "static:" + rel
            key = static_keys[rel]
            if reusable(ident, key):
                writer.keep(rel, label)
            else:
                writer.copy(rel, original, label)
            made[ident] = (key, ((rel, label),))

        # Pages: keep what is unchanged, render the rest.
        to_render: list[int] = []
        kept: dict[int, tuple[tuple[str, str], ...]] = {}
        for index, (ident, _call) in enumerate(units):
            files = reusable(ident, keys[index])
            if files is None:
                to_render.append(index)
            else:
                kept[index] = files
        state = {"renderer": renderer, "units": units, "staging": writer.staging,
                 "made_dirs": set()}
        tasks = chunks(to_render)
        pool = WorkerPool(jobs, state, len(tasks))
        try:
            results = (done for chunk in pool.map(render_chunk, tasks) for done in chunk)
            upcoming = next(results, None)
            for index, (ident, _call) in enumerate(units):
                if upcoming is None or upcoming[0] != index:  # kept from the previous build
                    for path, source in kept[index]:
                        writer.keep(path, source)
                    made[ident] = (keys[index], kept[index])
                    continue
                _, written, found_here = upcoming
                problems += found_here
                claimed = [(path, source) for path, source in written
                           if writer.claim(path, source)]
                if keys[index] is not None and not found_here:
                    made[ident] = (keys[index], tuple(claimed))
                upcoming = next(results, None)
                if progress:
                    progress("rendering", index + 1, len(units))
        finally:
            pool.close()

        # Sitemaps and the rest are made again and rewritten only when their bytes changed.
        for output in site_files(config, site, now):
            writer.write(output.path, output.data, output.source)

        # URLs that never break: redirects for moved articles, and the manifest.
        redirects_added = write_redirects(writer, site, renderer.redirect)
        problems = list(dict.fromkeys(problems + writer.problems))

        if options.strict:
            problems = [p.as_error() for p in problems]
        errors = [p for p in problems if not p.is_warning]
        if errors:
            raise BuildFailed(problems)
        cache.commit_starting(out_dir)
        writer.commit()
        stamps = {}
        root = str(out_dir) + os.sep
        for path in writer.sources:
            if path in writer.kept:
                stamps[path] = record.stamps[path]
            else:
                with contextlib.suppress(OSError):  # gone already: it is checked next time
                    stamps[path] = stamp_of(os.stat(root + path))
        result = BuildResult(
            out_dir=options.output,
            files=writer.count,
            articles=len(site.articles),
            seconds=time.perf_counter() - started,
            warnings=tuple(problems),
            next_change=next_scheduled_change(parsed, now, drafts=options.drafts,
                                              future=options.future, tz=config.tz),
            redirects_added=redirects_added,
            sources=dict(writer.sources),
        )
        ident = os.urandom(12).hex()
        snapshot = SiteSnapshot(
            ident=ident, site=site, bodies=bodies, related=renderer.related,
            index={a.source: i for i, a in enumerate(site.articles)},
            depends=depends)
        cache.commit_done(out_dir, OutputRecord(
            units=made, stamps=stamps, frame=frame, keys=dict(body_keys),
            statics=dict(static_keys), built_at=now,
            stable_until=_stable_until(parsed, published, now, options), result=result,
            locators=dict(bodies.locators), article_keys=article_keys, snapshot=ident),
            snapshot=snapshot)
    return result


__all__ = ["BuildCache", "BuildOptions", "BuildResult", "build_site", "CONTENT_DIR"]
