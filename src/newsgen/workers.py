"""The worker processes of a build: Markdown and pages are made by a pool of them.

Each worker keeps one Markdown instance and one Jinja environment; workers write the
pages they render straight into the writer's staging folder (the parent then claims
each path in page order, so that the writer's checks still see every output)."""

from __future__ import annotations

import functools
import gc
import multiprocessing
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

from .cache import CacheDamaged
from .content import KnownBodies, ParsedFile, parse_files
from .errors import ContentError
from .models import OutputFile, Site
from .pages import Shown, Unit, UnitFailed
from .render import PageRenderer
from .write import unchanged_output, write_staged

CHUNK = 64  # units per task sent to a worker: large enough that messaging costs little

# A worker process's state, set once by `start_worker` (process pools can only hand
# state to their workers this way); the parent process never sets it: without workers,
# each task is handed its build's state, so that two builds in one process (a dev
# server's, and a test's or a library user's) never share it.
_WORKER: dict[str, Any] = {}


def start_worker(state: dict[str, Any]) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the build and ends the
    # workers, which must not print tracebacks of their own meanwhile.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The pool ends its workers with SIGTERM: they die at once, whatever handler they
    # inherited (the dev server's, run by Python only when a worker gets to it, left a
    # worker waiting on the task queue's lock alive, and the build waiting for it).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER.update(state)


def parse_chunk(state: dict[str, Any], items: list[tuple[str, str]]) -> list[ParsedFile]:
    """`content.parse_files` in a worker, with its own Markdown converter, made only when a
    body the cache does not hold comes. Files are read here, not sent by the parent, so
    that the parent never holds a whole newsroom's text."""
    def convert(text: str) -> str:
        renderer = state.get("markdown")
        if renderer is None:
            from .markup import MarkdownRenderer  # only a build that converts needs Markdown

            renderer = state["markdown"] = MarkdownRenderer(safe=state["safe_markdown"])
        return str(renderer.render(text))

    bodies = KnownBodies(state["body_salt"], state["bodies"], state["cache_dir"], convert)
    return parse_files(items, state["salt"], state["tz"], bodies)


def render_unit(renderer: PageRenderer, unit: Unit, site: Site
                ) -> tuple[list[OutputFile], list[ContentError]]:
    """A unit's files, from the articles it declares; a template's error is a problem to
    report, with the template's name and line."""
    shown = Shown(site, unit.shows())
    try:
        return unit.render(renderer, shown), shown.warnings
    except CacheDamaged:
        raise
    except UnitFailed as exc:
        return [], [exc.problem]
    except jinja2.TemplateError as exc:
        return [], [renderer.theme.describe_error(exc)]
    except Exception as exc:  # e.g. `1 // 0` in a template: the template's bug, not ours
        problem = renderer.theme.describe_error(exc)
        if problem.line is None:  # not raised from a template line: a newsgen bug
            raise
        return [], [problem]


@dataclass(frozen=True, slots=True)
class RenderDone:
    """What a worker rendered of one unit: the unit's position, the (path, source) of each
    file it made, the problems found, and the paths of the files it left in the previous
    output, which holds them already (`write.unchanged_output`); the others it wrote into
    the staging folder."""

    position: int
    files: list[tuple[str, str]]
    problems: list[ContentError]
    unchanged: frozenset[str] = frozenset()


def render_chunk(state: dict[str, Any], positions: list[int]) -> list[RenderDone]:
    """Render units, each output written straight into the staging folder; the parent
    then claims each output's path in unit order, so that the writer's checks see what a
    build without workers sees."""
    renderer, units, site = state["renderer"], state["units"], state["site"]
    staging, made_dirs, flat = state["staging"], state["made_dirs"], state["flat"]
    out_dir, previous = state["out_dir"], state["previous"]
    done = []
    for position in positions:
        outputs, problems = render_unit(renderer, units[position], site)
        unchanged = set()
        for output in outputs:
            if previous is not None and unchanged_output(out_dir, output.path, output.data,
                                                         previous):
                unchanged.add(output.path)
            else:
                write_staged(staging, output.path, output.data, made_dirs, flat=flat)
        done.append(RenderDone(position, [(o.path, o.source) for o in outputs], problems,
                               frozenset(unchanged)))
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
            # A process that keeps its long-lived objects frozen (the dev server) keeps
            # them so: a frozen count before means they are not ours to unfreeze.
            frozen_before = gc.get_freeze_count()
            gc.freeze()
            try:
                self.pool = context.Pool(min(jobs, tasks), start_worker, (state,))
            finally:
                if not frozen_before:
                    gc.unfreeze()
        self.state = state

    def map(self, function: Callable[[dict[str, Any], Any], Any], tasks: list[Any]
            ) -> Iterator[Any]:
        """`function(state, task)` for each task, in order."""
        if self.pool is None:
            return (function(self.state, task) for task in tasks)
        return self.pool.imap(functools.partial(_in_worker, function), tasks)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


def _in_worker(function: Callable[[dict[str, Any], Any], Any], task: Any) -> Any:
    return function(_WORKER, task)
