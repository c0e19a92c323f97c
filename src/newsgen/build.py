"""The pipeline: load -> scan -> parse -> assemble -> plan -> render -> write.

`build_site` loads the frame (config, options, templates, static files) and scans the
content, then `decide` says what the build must do: nothing (the output is as the same
inputs left it), a patch (a few content files edited: the kept site model is brought up to
date and only the units whose declared inputs changed are rendered) or a full build
(everything assembled again; units whose keys are unchanged are kept all the same). Every
problem found on the way is collected and raised together as `BuildFailed`, and then
nothing is published."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import BuildCache, CacheDamaged, OutputRecord, Stamp
from .changes import ChangeSet
from .config import SiteConfig, load_config
from .content import CONTENT_DIR, TEMPLATES_DIR, THEME_DIR, static_files, theme_static
from .errors import ContentError
from .keys import digest, static_key, tree_digest
from .models import ScheduledChange
from .schedule import Schedule
from .sources import Progress, SourceScan, build_salt, parse_sources, rescan_sources, scan_sources

if TYPE_CHECKING:
    from .pages import Unit

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


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


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
    kinds: tuple[type[Unit], ...] | None  # of output; None: `pages.KINDS`
    digest: str  # of all of the above that decides the output


def load_frame(options: BuildOptions, cache: BuildCache,
               kinds: Sequence[type[Unit]] | None) -> Frame:
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
                   *(["newsgen.pages.KINDS"] if kinds is None else
                     (f"{kind.__module__}.{kind.__qualname__}" for kind in kinds)))
    return Frame(options, config, tuple(problems), reference_time(options.now),
                 options.jobs or default_jobs(), options.output.absolute(),
                 build_salt(cache, config), templates_key, page_salt, statics, static_keys,
                 None if kinds is None else tuple(kinds), frame)


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


def decide(record: OutputRecord, frame: Frame, scan: SourceScan, *, trust_output: bool,
           images_unchanged: bool) -> Decision:
    """Nothing when the last build into this output was made from the same frame, content
    and static files, its schedule still holds, it left no unit for later (`defer`), and
    the output is as it left it; a patch when only a few content or static files changed,
    a few articles' embargo, expiry or news window came due, or units were left for
    later; else (or when an image the articles show changed) a full build."""
    if not (record.result is not None and record.frame == frame.digest and not scan.unhashed
            and not scan.problems and record.built_at is not None
            and record.built_at <= frame.now and isinstance(record.schedule, Schedule)
            and images_unchanged):
        return Decision(Decision.FULL)
    edited = {*(s for s, key in scan.keys.items() if record.keys.get(s) != key),
              *(s for s in record.keys if s not in scan.keys)}
    due = record.stable_until is not None and frame.now >= record.stable_until
    if due:
        edited |= record.schedule.due(record.built_at, frame.now)
    if not edited and frame.static_keys == record.statics and not record.result.deferred and (
            trust_output or intact(frame.out_dir, record.stamps, record.stamps)):
        return Decision(Decision.NOTHING)
    if len(edited) <= PATCH_LIMIT:
        return Decision(Decision.PATCH, tuple(sorted(edited)), due)
    return Decision(Decision.FULL)


def intact(out_dir: Path, paths: Iterable[str], stamps: dict[str, Stamp]) -> bool:
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
               kinds: Sequence[type[Unit]] | None = None) -> BuildResult:
    """Build the site into `options.output`; raise `BuildFailed` with every problem found.

    `cache` is the build cache to use; a long-running process (the dev server) keeps one
    `BuildCache(site_dir)` and passes it to every build, so that its indexes stay in memory.
    Without one, the cache folder `<site>/.newsgen-cache/` is read afresh.

    `changed`, from a process that watches the site and keeps one cache (the dev server):
    everything changed since its previous build with that cache. Then only those content
    files are looked at again, and the output folder is trusted to be as that build left
    it (nobody else writes the dev server's).

    `kinds`: the kinds of output (None: `pages.KINDS`)."""
    cache = cache if cache is not None else BuildCache(options.site_dir)
    try:
        return _build(options, progress, cache, changed, kinds)
    except CacheDamaged:  # the cache folder was deleted or broken under this build
        cache.clear()
        return _build(options, progress, cache, None, kinds)


def _build(options: BuildOptions, progress: Progress | None, cache: BuildCache,
           changed: ChangeSet | None, kinds: Sequence[type[Unit]] | None) -> BuildResult:
    started = time.perf_counter()
    cache.begin()
    scan = SourceScan()
    try:
        frame = load_frame(options, cache, kinds)
        record = cache.output_record(frame.out_dir)
        scan, rescanned = _scan(frame, cache, changed)
        decision = decide(record, frame, scan, trust_output=rescanned,
                          images_unchanged=_images_unchanged(record, frame, cache))
        if decision.kind == Decision.NOTHING:
            unchanged: BuildResult = record.result
            return replace(unchanged, out_dir=options.output, redirects_added=0,
                           seconds=time.perf_counter() - started, kind=Decision.NOTHING)
        # A build with work to do loads the rest of the pipeline (Jinja, the page kinds,
        # the workers) only now: a build that finds nothing to do never pays for it.
        from .full import full_build
        from .patch import patch_build
        from .sources import load_sources

        record = cache.complete_record(frame.out_dir)
        if record.result is None:  # its parts saved apart were lost: trust none of it
            decision = Decision(Decision.FULL)
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


def _images_unchanged(record: OutputRecord, frame: Frame, cache: BuildCache) -> bool:
    """Whether every image file the last build's articles showed is as it was then."""
    site_dir = frame.options.site_dir
    try:
        return all(cache.file_digest(site_dir / label)[0] == known
                   for label, known in record.images.items())
    except OSError:  # gone
        return False


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


__all__ = ["BuildCache", "BuildOptions", "BuildResult", "build_site", "CONTENT_DIR"]
