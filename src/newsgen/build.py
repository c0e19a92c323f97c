"""The pipeline: config -> sources -> site -> pages -> output folder.

`build_site` loads everything first, then renders and writes; every problem found on the
way is collected and raised together as `BuildFailed`, and then nothing is published."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import jinja2

from .config import SiteConfig, load_config
from .content import CONTENT_DIR, check_schema, iter_sources, parse_source
from .errors import BuildFailed, ContentError, did_you_mean
from .feeds import feed_files
from .markup import MarkdownRenderer
from .models import OutputFile, ParsedSource, ScheduledChange, Site
from .redirects import write_redirects
from .render import THEME_DIR, PageRenderer, Theme
from .site import assemble, is_published, next_scheduled_change, url_to_path
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


def load_sources(site_dir: Path, config: SiteConfig
                 ) -> tuple[list[ParsedSource], list[ContentError]]:
    renderer = MarkdownRenderer(safe=config.safe_markdown)
    tz = config.tz
    parsed: list[ParsedSource] = []
    problems: list[ContentError] = []
    for path in iter_sources(site_dir):
        source = relative(path, site_dir)
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(ContentError(source, None, f"cannot be read: {exc.strerror}"))
            continue
        article, found = parse_source(source, data, tz, renderer)
        problems.extend(found)
        if article is not None:
            parsed.append(article)
    return parsed, problems


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
    """One call per HTML page (or paginated listing), so that a template error in one
    page is reported and the others still render."""
    site = renderer.site
    for index in range(len(site.articles)):
        yield partial(renderer.article, index)
    for section in site.sections:
        yield partial(renderer.section, section)
    for tag in site.tags:
        yield partial(renderer.tag, tag)
    yield renderer.tags_index
    yield renderer.home
    yield renderer.not_found
    for article in site.articles:
        for alias in article.meta.aliases:
            yield partial(renderer.redirect, alias_url(alias), article.url, article.source)


def render_all(renderer: PageRenderer, now: dt.datetime) -> Iterator[OutputFile | ContentError]:
    """Every output file of the site, pages first, then feeds and sitemaps."""
    site, config = renderer.site, renderer.config
    for render_page in render_pages(renderer):
        try:
            result = render_page()
        except jinja2.TemplateError as exc:
            yield renderer.theme.describe_error(exc)
            continue
        except Exception as exc:  # e.g. `1 // 0` in a template: the template's bug, not ours
            problem = renderer.theme.describe_error(exc)
            if problem.line is None:  # not raised from a template line: a newsgen bug
                raise
            yield problem
            continue
        if isinstance(result, OutputFile):
            yield result
        else:
            yield from result

    yield from feed_files(config, site, now)


def build_site(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    """Build the site into `options.output`; raise `BuildFailed` with every problem found."""
    started = time.perf_counter()
    site_dir = options.site_dir
    config, problems = load_config(site_dir)
    if options.base_url:
        base = options.base_url if options.base_url.endswith("/") else options.base_url + "/"
        config = replace(config, base_url=base)
    now = reference_time(options.now)

    parsed, found = load_sources(site_dir, config)
    problems += found
    problems += check_schema(parsed, config.schema)
    published = [
        p for p in parsed
        if is_published(p.meta.draft, p.meta.date, p.meta.expires, now,
                        drafts=options.drafts, future=options.future)
    ]
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

    renderer = PageRenderer(theme, site)
    with OutputWriter(options.output) as writer:
        for rel, (path, label) in static_files(site_dir).items():
            writer.copy(rel, path, label)
        for output in render_all(renderer, now):
            if isinstance(output, ContentError):
                problems.append(output)
            else:
                writer.write(output.path, output.data, output.source,
                             claim_lines.get((output.path, output.source)))
        # URLs that never break: redirects for moved articles, and the manifest.
        redirects_added = write_redirects(writer, site, renderer.redirect)
        problems = list(dict.fromkeys(problems + writer.problems))

        if options.strict:
            problems = [p.as_error() for p in problems]
        errors = [p for p in problems if not p.is_warning]
        if errors:
            raise BuildFailed(problems)
        writer.commit()
    return BuildResult(
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


__all__ = ["BuildOptions", "BuildResult", "build_site", "CONTENT_DIR"]
