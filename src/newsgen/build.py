"""The pipeline: config -> sources -> site -> pages -> output folder.

`build_site` loads everything first, then renders and writes; every problem found on the
way is collected and raised together as `BuildFailed`, and then nothing is published."""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import partial
from pathlib import Path
from typing import Any

import jinja2

from .cache import (
    BuildCache,
    CacheDamaged,
    OutputRecord,
    Stamp,
    digest,
    load_body,
    stamp_of,
    store_bodies,
)
from .config import CONFIG_NAME, SiteConfig, load_config
from .content import CONTENT_DIR, check_schema, find_sources, parse_source
from .errors import BuildFailed, ContentError, did_you_mean, warning
from .feeds import NEWS_WINDOW, feed_files
from .markup import MarkdownRenderer
from .models import Article, OutputFile, ParsedSource, ScheduledChange, Site
from .redirects import write_redirects
from .render import HOME_SECTION_SIZE, TEMPLATES_DIR, THEME_DIR, PageRenderer, Theme
from .site import (
    assemble,
    is_published,
    next_scheduled_change,
    page_count,
    related_all,
    url_to_path,
)
from .write import OutputWriter, write_staged

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


def alias_url(alias: str) -> str:
    """'old/path' and '/old/path/' -> '/old/path/'; a file name such as 'x.html' stays one."""
    path = "/" + alias.strip("/")
    return path if path.endswith((".html", ".htm")) else path + "/"


def url_lines(site: Site) -> dict[tuple[str, str], int | None]:
    """(output path, source) -> the front-matter line that decides that URL, so that a
    clash or an unsafe path is reported where the editor can fix it."""
    lines: dict[tuple[str, str], int | None] = {}
    for article in site.articles:
        key_lines = article.key_lines
        lines[(url_to_path(article.url), article.source)] = key_lines.get(
            "slug" if article.meta.slug else "title")
        for alias in article.meta.aliases:
            lines[(url_to_path(alias_url(alias)), article.source)] = key_lines.get(
                f"aliases[{alias}]", key_lines.get("aliases"))
    return lines


def render_pages(renderer: PageRenderer) -> Iterator[Callable[[], OutputFile | list[OutputFile]]]:
    """One call per HTML page (each page of a listing too), so that a template error in
    one page is reported and the others still render, and an edit re-renders only the
    listing pages that show the edited article."""
    site, per_page = renderer.site, renderer.config.per_page
    for index in range(len(site.articles)):
        yield partial(renderer.article, index)
    for section in site.sections:
        for number in range(1, page_count(len(section.articles), per_page) + 1):
            yield partial(renderer.section, section, number)
    for tag in site.tags:
        for number in range(1, page_count(len(tag.articles), per_page) + 1):
            yield partial(renderer.tag, tag, number)
    yield renderer.tags_index
    yield renderer.home
    yield renderer.not_found
    for article in site.articles:
        for alias in article.meta.aliases:
            yield partial(renderer.redirect, alias_url(alias), article.url, article.source)


# -- the incremental, parallel engine ------------------------------------------------
#
# A build is cut into units of work: parsing one content file, and rendering one page (or
# one paginated listing, or the feeds). Each unit has a key, the digest of everything it is
# made from; a unit whose key is in the cache is not done again. Markdown and pages are
# done by a pool of worker processes, each with one Markdown instance and one Jinja
# environment; workers write the pages they render straight into the staging folder (the
# parent has claimed each path first, so the writer's checks still see every output).

CHUNK = 64  # units per task sent to a worker: large enough that messaging costs little

# A worker process's state, set once by `_start_worker` (process pools can only hand
# state to their workers this way); the parent process never sets it.
_WORKER: dict[str, Any] = {}


def _start_worker(state: dict[str, Any]) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the build and ends the
    # workers, which must not print tracebacks of their own meanwhile.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER.update(state)


class _BodyFromCache:
    """`StoredArticle.body_html`: read from the cache each time a template or feed asks."""

    def __get__(self, article: StoredArticle | None, owner: type | None = None) -> Any:
        if article is None:
            return self
        html = load_body(article.cache_dir, article.body_locator)
        if html is None:
            raise CacheDamaged(f"the cached body of {article.source} is missing")
        return html

    def __set__(self, article: StoredArticle, value: str) -> None:
        pass  # the body lives in the cache, not in the article


@dataclass(frozen=True)
class StoredArticle(Article):
    """An article whose rendered body stays in the cache until it is shown, so that a
    site of 100,000 articles never holds every body in memory."""

    body_locator: str = ""
    cache_dir: Path = Path()

    @classmethod
    def of(cls, article: Article, cache_dir: Path, locator: str) -> StoredArticle:
        values = {name: getattr(article, name) for name in _ARTICLE_FIELDS}
        return cls(**values, body_locator=locator, cache_dir=cache_dir)


StoredArticle.body_html = _BodyFromCache()  # type: ignore[assignment]
_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))  # looked up once, not per article


def _parse_chunk(items: list[tuple[str, str]]) -> list[tuple[str, str | None, Any, str]]:
    """Read and parse content files: (source, key, (article, problems, body locator),
    file digest) for each, the bodies stored in the cache in one pack. Files are read
    here, not sent by the parent, so that the parent never holds a whole newsroom's text;
    the key is made from the bytes read here."""
    renderer = _WORKER.get("markdown")
    if renderer is None:
        renderer = _WORKER["markdown"] = MarkdownRenderer(safe=_WORKER["safe_markdown"])
    tz, cache_dir, salt = _WORKER["tz"], _WORKER["cache_dir"], _WORKER["salt"]
    done: list[tuple[str, str | None, Any, str]] = []
    bodies: list[tuple[int, str, str]] = []  # (index in done, key, html)
    for source, path in items:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            problem = ContentError(source, None, f"cannot be read: {exc.strerror}")
            done.append((source, None, (None, (problem,), ""), ""))
            continue
        file_digest = digest(data)
        key = digest(salt, source, file_digest)
        parsed, problems = parse_source(source, data, tz, renderer)
        if parsed is not None:
            bodies.append((len(done), key, parsed.body_html))
            parsed = replace(parsed, body_html="")
        done.append((source, key, (parsed, tuple(problems), ""), file_digest))
    locators = store_bodies(cache_dir, [key for _, key, _ in bodies],
                            [html for _, _, html in bodies])
    for (index, _key, _html), locator in zip(bodies, locators, strict=True):
        label, body_key, (article, found, _), read_digest = done[index]
        done[index] = (label, body_key, (article, found, locator), read_digest)
    return done


def _render_unit(renderer: PageRenderer, render_page: Callable[[], Any]
                 ) -> tuple[list[OutputFile], list[ContentError]]:
    try:
        result = render_page()
    except CacheDamaged:
        raise
    except jinja2.TemplateError as exc:
        return [], [renderer.theme.describe_error(exc)]
    except Exception as exc:  # e.g. `1 // 0` in a template: the template's bug, not ours
        problem = renderer.theme.describe_error(exc)
        if problem.line is None:  # not raised from a template line: a newsgen bug
            raise
        return [], [problem]
    return ([result] if isinstance(result, OutputFile) else list(result)), []


RenderDone = tuple[int, list[tuple[str, str]], list[ContentError]]


def _render_chunk(indexes: list[int]) -> list[RenderDone]:
    """Render units, each output written straight into the staging folder; the parent
    then claims each output's path in page order, so that the writer's checks see what a
    build without workers sees."""
    renderer, units, staging = _WORKER["renderer"], _WORKER["units"], _WORKER["staging"]
    made_dirs = _WORKER["made_dirs"]
    done = []
    for index in indexes:
        outputs, problems = _render_unit(renderer, units[index][1])
        for output in outputs:
            write_staged(staging, output.path, output.data, made_dirs)
        done.append((index, [(output.path, output.source) for output in outputs], problems))
    return done


def _chunks(items: Sequence[Any], size: int = CHUNK) -> list[Any]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class _Pool:
    """Worker processes, or none: with jobs=1 each task runs here, in the same order."""

    def __init__(self, jobs: int, state: dict[str, Any], tasks: int) -> None:
        self.pool = None
        if jobs > 1 and tasks > 1:
            methods = multiprocessing.get_all_start_methods()
            # fork hands the site model to the workers without copying it through a pipe
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            self.pool = context.Pool(min(jobs, tasks), _start_worker, (state,))
        else:
            _WORKER.clear()
            _WORKER.update(state)

    def map(self, function: Callable[[Any], Any], tasks: list[Any]) -> Iterator[Any]:
        if self.pool is None:
            return map(function, tasks)
        return self.pool.imap(function, tasks)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
        else:
            _WORKER.clear()


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def no_articles_warning(site_dir: Path) -> ContentError:
    """An empty site is most often a build run in the wrong folder: say so."""
    if (site_dir / CONTENT_DIR).is_dir():
        return warning(CONTENT_DIR, None, "no articles: add Markdown files (.md) under content/")
    return warning(CONTENT_DIR, None, f"there is no content/ folder in {site_dir.resolve()}; "
                   "run newsgen in the site's folder or name it with --site")


def load_sources_cached(site_dir: Path, config: SiteConfig, cache: BuildCache, jobs: int,
                        progress: Progress | None
                        ) -> tuple[list[ParsedSource], dict[str, str], dict[str, str],
                                   list[ContentError]]:
    """Every content file parsed, from the cache where its bytes are unchanged; returns the
    articles (bodies left in the cache), source -> key, source -> body locator, and the
    problems found."""
    salt = digest(cache.parsing_code, config.timezone, str(config.safe_markdown))
    problems: list[ContentError] = []
    keys: dict[str, str] = {}
    todo: list[tuple[str, str]] = []
    stats: dict[str, tuple[Path, os.stat_result]] = {}  # of files hashed by the workers
    hash_first = cache.knows_parsed  # with nothing parsed in the cache, workers hash
    for source, path in find_sources(site_dir):
        try:
            if not hash_first:
                stats[source] = (path, os.stat(path))
                todo.append((source, str(path)))
                continue
            file_key, _data = cache.file_digest(path)
        except OSError as exc:
            problems.append(ContentError(source, None, f"cannot be read: {exc.strerror}"))
            continue
        key = digest(salt, source, file_key)
        keys[source] = key
        if cache.parsed(key) is None:
            todo.append((source, str(path)))
    if todo:
        state = {"tz": config.tz, "safe_markdown": config.safe_markdown, "cache_dir": cache.dir,
                 "salt": salt}
        tasks = _chunks(todo, 16)
        pool = _Pool(jobs, state, len(tasks))
        try:
            done = 0
            for results in pool.map(_parse_chunk, tasks):
                for source, key, entry, file_digest in results:
                    if key is None:  # unreadable now
                        keys.pop(source, None)
                        problems.extend(entry[1])
                        continue
                    keys[source] = key  # the bytes the worker read, should the file have changed
                    cache.remember_parsed(key, entry)
                    if source in stats:
                        cache.remember_file(*stats[source], file_digest)
                done += len(results)
                if progress:
                    progress("parsing", done, len(todo))
        finally:
            pool.close()
    parsed: list[ParsedSource] = []
    locators: dict[str, str] = {}
    for source, key in keys.items():
        article, found, locators[source] = cache.parsed(key)
        problems.extend(found)
        if article is not None:
            parsed.append(article)
    return parsed, keys, locators, problems


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


def _article_digests(site: Site, keys: dict[str, str]) -> list[str]:
    """Per article: its source's key (which decides its front matter and body) and what
    assembly derived from the whole site (URL, section and tag names, template fallback)."""
    return [digest(keys[a.source], a.slug, a.url, repr(a.section), repr(a.tags),
                   str(a.meta.template)) for a in site.articles]


def unit_keys(units: list[tuple[str, Callable[[], Any]]], renderer: PageRenderer,
              article_keys: list[str], page_salt: str) -> list[str | None]:
    """The key of each page unit: a digest of everything its templates can reach."""
    site, config = renderer.site, renderer.config
    nav = digest(page_salt, repr(renderer.view))
    keys: list[str | None] = []
    for _unit_id, call in units:
        func = getattr(call, "func", call)
        name = getattr(func, "__name__", "")
        args: tuple[Any, ...] = getattr(call, "args", ())
        if name == "article":
            index = args[0]
            keys.append(digest(nav, "article", article_keys[index],
                               *(article_keys[i] for i in renderer.related[index])))
        elif name in ("section", "tag"):
            listed, number = args
            # A listing page shows its own items, the listing's names and its page count.
            per_page = config.per_page
            shown = listed.articles[(number - 1) * per_page:number * per_page]
            keys.append(digest(nav, name, listed.name, listed.slug, listed.url,
                               getattr(listed, "description", ""), str(len(listed.articles)),
                               str(number), *(article_keys[i] for i in shown)))
        elif name == "tags_index":
            keys.append(digest(nav, name, repr(site.tags)))
        elif name == "home":
            shown = set(range(min(config.per_page, len(site.articles))))
            for section in site.sections:
                shown.update(section.articles[:HOME_SECTION_SIZE])
            keys.append(digest(nav, name, *(article_keys[i] for i in sorted(shown))))
        elif name in ("not_found", "redirect"):
            keys.append(digest(nav, name, repr(args)))
        else:  # a kind of page this engine does not know: always rendered
            keys.append(None)
    return keys


def page_units(renderer: PageRenderer) -> list[tuple[str, Callable[[], Any]]]:
    """(stable id, render call) of every HTML page unit, in `render_pages` order."""
    units = []
    for position, call in enumerate(render_pages(renderer)):
        func = getattr(call, "func", call)
        name = getattr(func, "__name__", "page")
        args: tuple[Any, ...] = getattr(call, "args", ())
        if name == "article":
            ident = "article:" + renderer.site.articles[args[0]].source
        elif name in ("section", "tag"):
            ident = f"{name}:{args[0].slug}:{args[1]}"
        elif args:
            ident = f"{name}:{args[0]}"
        else:
            ident = f"{name}:{position}" if name == "page" else name
        units.append((ident, call))
    return units


def build_site(options: BuildOptions, progress: Progress | None = None,
               cache: BuildCache | None = None) -> BuildResult:
    """Build the site into `options.output`; raise `BuildFailed` with every problem found.

    `cache` is the build cache to use; a long-running process (the dev server) keeps one
    `BuildCache(site_dir)` and passes it to every build, so that its indexes stay in memory.
    Without one, the cache folder `<site>/.newsgen-cache/` is read afresh."""
    cache = cache if cache is not None else BuildCache(options.site_dir)
    try:
        return _build(options, progress, cache)
    except CacheDamaged:  # the cache folder was deleted or broken under this build
        cache.clear()
        return _build(options, progress, cache)


def _intact(out_dir: Path, paths: Iterable[str], stamps: dict[str, Stamp]) -> bool:
    """Whether the previous output's files are still exactly as the last build left them."""
    root = str(out_dir)
    for path in paths:
        try:
            if stamp_of(os.stat(os.path.join(root, path))) != stamps.get(path):
                return False
        except OSError:
            return False
    return True


def _build(options: BuildOptions, progress: Progress | None, cache: BuildCache) -> BuildResult:
    started = time.perf_counter()
    site_dir = options.site_dir
    config, problems = load_config(site_dir)
    config_problems = list(problems)  # a broken config falls back to defaults: no more advice
    if options.base_url:
        base = options.base_url if options.base_url.endswith("/") else options.base_url + "/"
        config = replace(config, base_url=base)
    now = reference_time(options.now)
    jobs = options.jobs or default_jobs()

    cache.begin()
    try:
        parsed, body_keys, locators, found = load_sources_cached(site_dir, config, cache, jobs,
                                                                 progress)
    finally:
        cache.finish()  # what was parsed is kept even when the build fails
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
    out_dir = options.output.absolute()
    record = cache.output_record(out_dir)
    templates_key = _tree_digest(site_dir / TEMPLATES_DIR, THEME_DIR / TEMPLATES_DIR)
    statics = static_files(site_dir)
    inputs = digest(
        cache.code, repr(config), repr(replace(options, now=None, site_dir=Path(),
                                               out_dir=None)),
        templates_key, repr(problems),
        *(digest(cache.file_digest(path)[0], rel, label) for rel, (path, label) in statics.items()),
        *(f"{p.source}\0{body_keys[p.source]}" for p in published),
        # the news sitemap's 48-hour window moves with the clock
        *(p.source for p in published
          if p.meta.date and now - NEWS_WINDOW <= p.meta.date <= now))
    if (record.inputs == inputs and record.result is not None
            and not any(not p.is_warning for p in problems)
            and _intact(out_dir, record.stamps, record.stamps)):
        # Nothing the output is made from changed, and the output is as it was left.
        unchanged: BuildResult = record.result
        return replace(unchanged, out_dir=options.output, redirects_added=0,
                       seconds=time.perf_counter() - started)

    site, found = assemble(published, config)
    problems += found
    theme = Theme(config, site_dir)
    unknown_templates = check_templates(theme, site)
    problems += unknown_templates
    if unknown_templates:  # reported once above; render those pages with the default one
        named = {p.path for p in unknown_templates}
        site = replace(site, articles=tuple(
            replace(a, meta=replace(a.meta, template=None)) if a.source in named else a
            for a in site.articles))
    claim_lines = url_lines(site)

    # Bodies stay in the cache; pages and feeds read the ones they show.
    stored = replace(site, articles=tuple(
        StoredArticle.of(a, cache.dir, locators[a.source]) for a in site.articles))
    renderer = PageRenderer(theme, stored, related_all(site))
    units = page_units(renderer)
    article_keys = _article_digests(site, body_keys)
    page_salt = digest(cache.code, repr(config), templates_key)
    keys = unit_keys(units, renderer, article_keys, page_salt)
    made: dict[str, tuple[str | None, tuple[tuple[str, str], ...]]] = {}  # next record's units

    def reusable(ident: str, key: str | None) -> tuple[tuple[str, str], ...] | None:
        old = record.units.get(ident) if writer.previous is not None else None
        if key is None or old is None or old[0] != key:
            return None
        files = old[1]
        return files if _intact(out_dir, (p for p, _ in files), record.stamps) else None

    with OutputWriter(out_dir, previous=dict(record.stamps) or None) as writer:
        for rel, (original, label) in statics.items():
            ident = "static:" + rel
            key = digest(cache.file_digest(original)[0], label)
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
        tasks = _chunks(to_render)
        pool = _Pool(jobs, state, len(tasks))
        try:
            results = (done for chunk in pool.map(_render_chunk, tasks) for done in chunk)
            upcoming = next(results, None)
            for index, (ident, _call) in enumerate(units):
                if upcoming is None or upcoming[0] != index:  # kept from the previous build
                    for path, source in kept[index]:
                        writer.keep(path, source, claim_lines.get((path, source)))
                    made[ident] = (keys[index], kept[index])
                    continue
                _, written, found_here = upcoming
                problems += found_here
                claimed = [(path, source) for path, source in written
                           if writer.claim(path, source, claim_lines.get((path, source)))]
                if keys[index] is not None and not found_here:
                    made[ident] = (keys[index], tuple(claimed))
                upcoming = next(results, None)
                if progress:
                    progress("rendering", index + 1, len(units))
        finally:
            pool.close()

        # Feeds: each one kept when its title and entries are as before; sitemaps and
        # the rest are made again and rewritten only when their bytes changed.
        key_of = {a.source: k for a, k in zip(site.articles, article_keys, strict=True)}

        def feed_unchanged(path: str, title: str, source: str, items: Sequence[Any]) -> bool:
            key = digest(page_salt, "feed", path, title, *(key_of[a.source] for a in items))
            made["feed:" + path] = (key, ((path, source),))
            if reusable("feed:" + path, key) is None:
                return False
            return writer.keep(path, source)

        for output in feed_files(config, stored, now, unchanged=feed_unchanged):
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
        for path in writer.sources:
            if path in writer.kept:
                stamps[path] = record.stamps[path]
            else:
                with contextlib.suppress(OSError):  # gone already: it is checked next time
                    stamps[path] = stamp_of(os.stat(out_dir / path))
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
        cache.commit_done(out_dir, OutputRecord(units=made, stamps=stamps, inputs=inputs,
                                                result=result))
    return result


__all__ = ["BuildCache", "BuildOptions", "BuildResult", "build_site", "CONTENT_DIR"]
