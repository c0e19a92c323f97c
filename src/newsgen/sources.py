"""The content files of a build: found, keyed and parsed.

A scan finds every content file and its key (`keys.source_key`), from the cache's file
index where a file's stat signature is unchanged, or, for the dev server, from the
previous scan and the paths its watcher reported. Files whose key the cache does not hold
are parsed by the worker processes."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .cache import BuildCache, CacheDamaged
from .changes import ChangeSet
from .config import SiteConfig
from .content import CONTENT_DIR, find_sources, is_source_name
from .errors import ContentError
from .keys import body_salt, parsing_salt, source_key
from .models import ParsedEntry, ParsedSource

Progress = Callable[[str, int, int], None]


@dataclass
class SourceScan:
    """The content files found by one build, and the key of each (a digest of its bytes
    and of what parsing depends on)."""

    paths: dict[str, str] = field(default_factory=dict)  # source -> file path
    keys: dict[str, str] = field(default_factory=dict)  # source -> key
    # Files not hashed yet: on a cold build the workers hash what they read anyway.
    unhashed: dict[str, os.stat_result] = field(default_factory=dict)
    problems: list[ContentError] = field(default_factory=list)


def build_salt(cache: BuildCache, config: SiteConfig) -> str:
    """The parsing salt of this cache's code and this config."""
    return parsing_salt(cache.parsing_code, config)


def _source_key(cache: BuildCache, salt: str, source: str, file_key: str) -> str:
    """`keys.source_key`, remembered by a long-running process, which asks for ten
    thousand per rebuild."""
    known: dict[tuple[str, str], str] = cache.reuse("source keys", salt, dict)
    key = known.get((source, file_key))
    if key is None:
        key = known[(source, file_key)] = source_key(salt, source, file_key)
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


def rescan_sources(previous: SourceScan, changes: ChangeSet, site_dir: Path, salt: str,
                   cache: BuildCache) -> SourceScan | None:
    """The previous build's scan with the content files a watcher reported changed looked
    at again; None when a change is more than Markdown files edited, created or deleted (a
    folder created, moved or deleted: then the whole folder is scanned)."""
    if previous.unhashed or previous.problems or changes.rescan:
        return None
    root = os.path.abspath(site_dir / CONTENT_DIR) + os.sep
    folder = str(site_dir / CONTENT_DIR)  # paths are kept in the form a full scan gives
    scan = SourceScan(paths=dict(previous.paths), keys=dict(previous.keys))
    looked_at: set[str] = set()
    for path in changes.content:
        parts = path[len(root):].split(os.sep)
        source = f"{CONTENT_DIR}/{'/'.join(parts)}"
        try:
            info = os.stat(path)
        except OSError:
            info = None
        path = os.path.join(folder, *parts)
        if info is None and not is_source_name(parts[-1]):
            return None  # a folder gone, or something that is not an article
        if info is None:  # deleted
            if any(known.startswith(path + os.sep) for known in scan.paths.values()):
                return None  # a folder whose name ends in .md
            scan.paths.pop(source, None)
            scan.keys.pop(source, None)
            continue
        if not stat.S_ISREG(info.st_mode) or not is_source_name(parts[-1]):
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
    from .workers import WorkerPool, chunks, parse_chunk  # the render stack: only when parsing

    # The workers, forked, share the parent's index of the bodies the cache holds.
    state = {"tz": config.tz, "safe_markdown": config.safe_markdown, "cache_dir": cache.dir,
             "salt": salt, "body_salt": body_salt(cache.markup_code, config.safe_markdown),
             "bodies": cache.known_bodies()}
    tasks = chunks([(source, scan.paths[source]) for source in sources], 16)
    pool = WorkerPool(jobs, state, len(tasks))
    try:
        done = 0
        for results in pool.map(parse_chunk, tasks):
            for parsed in results:
                source = parsed.source
                info = scan.unhashed.pop(source, None)
                if parsed.key is None:  # unreadable now
                    scan.keys.pop(source, None)
                    scan.problems.extend(parsed.entry.problems)
                    continue
                scan.keys[source] = parsed.key
                cache.remember_parsed(parsed.key, parsed.entry)
                if parsed.entry.body:
                    cache.remember_body(parsed.body_key, parsed.entry.body)
                if info is not None:
                    cache.remember_file(scan.paths[source], info, parsed.file_digest)
            done += len(results)
            if progress:
                progress("parsing", done, len(sources))
    finally:
        pool.close()


def missing_entries(scan: SourceScan, cache: BuildCache) -> list[str]:
    """The scanned sources whose parsed entry the cache does not hold."""
    return [source for source in scan.paths
            if source in scan.unhashed
            or (source in scan.keys and cache.parsed(scan.keys[source]) is None)]


@dataclass(frozen=True)
class LoadedSources:
    """Every content file's parsed article (bodies left in the cache), its entry, and the
    problems found in them."""

    parsed: list[ParsedSource]
    entries: dict[str, ParsedEntry]  # source -> entry
    problems: list[ContentError]


def load_sources(scan: SourceScan, config: SiteConfig, cache: BuildCache, jobs: int,
                 progress: Progress | None) -> LoadedSources:
    """Every scanned file parsed, from the cache where its bytes are unchanged."""
    parse_sources(scan, missing_entries(scan, cache), config, cache, build_salt(cache, config),
                  jobs, progress)
    parsed: list[ParsedSource] = []
    entries: dict[str, ParsedEntry] = {}
    problems = list(scan.problems)
    for source, key in scan.keys.items():
        entry = cache.parsed(key)
        if not isinstance(entry, ParsedEntry):  # the cache lost it meanwhile
            raise CacheDamaged(f"the parsed entry of {source} is missing")
        entries[source] = entry
        problems.extend(entry.problems)
        if entry.article is not None:
            parsed.append(entry.article)
    return LoadedSources(parsed, entries, problems)
