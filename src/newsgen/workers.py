"""The worker processes of a build: Markdown and pages are made by a pool of them.

Each worker keeps one Markdown instance and one Jinja environment; workers write the
pages they render straight into the writer's staging folder (the parent then claims
each path in page order, so that the writer's checks still see every output)."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import jinja2

from .cache import CacheDamaged, digest, store_bodies
from .content import parse_source
from .errors import ContentError
from .models import OutputFile
from .render import PageRenderer
from .write import write_staged

CHUNK = 64  # units per task sent to a worker: large enough that messaging costs little

# A worker process's state, set once by `start_worker` (process pools can only hand
# state to their workers this way); the parent process never sets it.
_WORKER: dict[str, Any] = {}


def start_worker(state: dict[str, Any]) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the build and ends the
    # workers, which must not print tracebacks of their own meanwhile.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER.update(state)


def parse_chunk(items: list[tuple[str, str]]) -> list[tuple[str, str | None, Any, str]]:
    """Read and parse content files: (source, key, (article, problems, body locator),
    file digest) for each, the bodies stored in the cache in one pack. Files are read
    here, not sent by the parent, so that the parent never holds a whole newsroom's text;
    the key is made from the bytes read here."""
    renderer = _WORKER.get("markdown")
    if renderer is None:
        from .markup import MarkdownRenderer  # only a build that parses needs Markdown

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


def render_unit(renderer: PageRenderer, render_page: Callable[[], Any]
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


def render_chunk(indexes: list[int]) -> list[RenderDone]:
    """Render units, each output written straight into the staging folder; the parent
    then claims each output's path in page order, so that the writer's checks see what a
    build without workers sees."""
    renderer, units, staging = _WORKER["renderer"], _WORKER["units"], _WORKER["staging"]
    made_dirs = _WORKER["made_dirs"]
    done = []
    for index in indexes:
        outputs, problems = render_unit(renderer, units[index][1])
        for output in outputs:
            write_staged(staging, output.path, output.data, made_dirs)
        done.append((index, [(output.path, output.source) for output in outputs], problems))
    return done


def chunks(items: Sequence[Any], size: int = CHUNK) -> list[Any]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class WorkerPool:
    """Worker processes, or none: with jobs=1 each task runs here, in the same order."""

    def __init__(self, jobs: int, state: dict[str, Any], tasks: int) -> None:
        self.pool = None
        if jobs > 1 and tasks > 1:
            methods = multiprocessing.get_all_start_methods()
            # fork hands the site model to the workers without copying it through a pipe
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            # Workers' garbage collections must not write to every inherited object (that
            # copies the parent's pages into each worker): they start with them frozen.
            gc.freeze()
            try:
                self.pool = context.Pool(min(jobs, tasks), start_worker, (state,))
            finally:
                gc.unfreeze()
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
