"""The command line: one small function per command; errors become exit codes.

Exit status: 0 success, 1 content/config/template errors, 2 usage errors."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .build import BuildOptions, BuildResult, build_site, reference_time
from .config import load_config
from .errors import BuildFailed, ContentError, sort_key

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def _moment(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date and time; use e.g. 2026-11-25T09:00+03:00") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number above 0")
    return int(text)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def print_problems(problems: Sequence[ContentError]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def summary(result: BuildResult) -> str:
    line = (f"Built {result.files} files ({result.articles} articles) into "
            f"{_display(result.out_dir)} in {result.seconds:.2f} s")
    if result.redirects_added:
        count = result.redirects_added
        line += f"; {count} redirect{'s' if count != 1 else ''} added for a changed URL"
    if result.next_change is not None:
        line += f"; {result.next_change.description}"
    return line


class TerminalProgress:
    """`rendering 4,200/10,209` on one line of a terminal, redrawn in place and cleared at
    the end; shown for a phase of many items or one lasting over half a second, never
    when stderr is not a terminal."""

    DELAY, INTERVAL, MANY = 0.5, 0.1, 200

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.drawn = 0.0
        self.width = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        long = total >= self.MANY or now - self.started >= self.DELAY
        if not long or (now - self.drawn < self.INTERVAL and done < total):
            return
        self.drawn = now
        text = f"{phase} {done:,}/{total:,}"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def clear(self) -> None:
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def cmd_build(args: argparse.Namespace) -> int:
    options = BuildOptions(
        site_dir=args.site, out_dir=args.out, drafts=args.drafts, future=args.future,
        now=args.now, base_url=args.base_url, jobs=args.jobs, strict=args.strict,
    )
    progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() else None
    try:
        result = build_site(options, progress)
    except BuildFailed as failed:
        if progress:
            progress.clear()
        print_problems(failed.problems)
        count = len(failed.errors)
        print(f"Build failed: {count} error{'s' if count != 1 else ''}; "
              f"{_display(options.output)} was left as it was.", file=sys.stderr)
        return EXIT_ERRORS
    if progress:
        progress.clear()
    print_problems(result.warnings)
    print(summary(result))
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Build into a temporary folder, then check every internal link; publish nothing."""
    from .links import attribute, find_broken_links  # each command loads what it uses

    with tempfile.TemporaryDirectory(prefix="newsgen-check-") as temp:
        options = BuildOptions(site_dir=args.site, out_dir=Path(temp) / "site",
                               drafts=args.drafts, future=args.future, now=args.now,
                               strict=args.strict)
        try:
            result = build_site(options)
        except BuildFailed as failed:
            print_problems(failed.problems)
            count = len(failed.errors)
            print(f"Check failed: {count} error{'s' if count != 1 else ''}.", file=sys.stderr)
            return EXIT_ERRORS
        base_url = load_config(args.site)[0].base_url
        broken = attribute(find_broken_links(result.out_dir, base_url), result.sources,
                           args.site, base_url)
    print_problems(sorted([*result.warnings, *broken], key=sort_key))
    if broken:
        count = len(broken)
        print(f"Check failed: {count} broken link{'s' if count != 1 else ''}.", file=sys.stderr)
        return EXIT_ERRORS
    print(f"Checked {result.files} files ({result.articles} articles): every internal link "
          "resolves.")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from .scaffold import ScaffoldError, init_site

    try:
        written = init_site(args.dir, reference_time(None))
    except ScaffoldError as exc:
        print(f"newsgen init: {exc}", file=sys.stderr)
        return EXIT_ERRORS
    for path in written:
        print(f"Created {_display(path)}")
    print(f"Build it with: newsgen build --site {args.dir}")
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import ScaffoldError, new_article

    try:
        path = new_article(args.site, args.title, args.section, reference_time(None))
    except ScaffoldError as exc:
        print(f"newsgen new: {exc}", file=sys.stderr)
        return EXIT_ERRORS
    print(f"Created {_display(path)}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    # Imported here: only serve needs watchdog and the HTTP server.
    from .serve import ServeError, ServeOptions, run_server

    options = ServeOptions(site_dir=args.site, host=args.host, port=args.port,
                           watch=args.watch, drafts=args.drafts, future=args.future)
    try:
        return run_server(options, open_browser=args.open)
    except ServeError as exc:
        print(f"newsgen serve: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (0-65535)")
    return int(text)


def _site_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", type=Path, default=Path("."), metavar="DIR",
                        help="the site folder (default: the current folder)")


def _schedule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--drafts", action="store_true", help="include draft articles")
    parser.add_argument("--future", action="store_true",
                        help="include articles dated in the future")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsgen", description="A static news-site generator.")
    parser.add_argument("--version", action="version", version=f"newsgen {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show a traceback for internal errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build the site into the output folder")
    _site_option(build)
    build.add_argument("--out", type=Path, metavar="DIR",
                       help="output folder (default: <site>/build)")
    _schedule_options(build)
    build.add_argument("--now", type=_moment, metavar="TIME",
                       help="the build's reference time, ISO 8601 (default: SOURCE_DATE_EPOCH "
                            "or the clock)")
    build.add_argument("--base-url", metavar="URL", help="override base_url from newsgen.yaml")
    build.add_argument("--jobs", type=_positive, metavar="N",
                       help="worker processes (default: the number of CPUs)")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.set_defaults(run=cmd_build)

    new = commands.add_parser("new", help="write a ready-to-edit article file")
    new.add_argument("title", help="the headline")
    new.add_argument("--section", required=True, help="the section's name")
    _site_option(new)
    new.set_defaults(run=cmd_new)

    serve = commands.add_parser("serve", help="build, serve on this machine and reload the "
                                              "browser after each change")
    _site_option(serve)
    serve.add_argument("--watch", action="store_true",
                       help="rebuild when content/, templates/, static/ or newsgen.yaml change")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=_port, default=8000,
                       help="port to listen on (default: 8000; 0 picks a free one)")
    _schedule_options(serve)
    serve.add_argument("--open", action="store_true", help="open the site in a web browser")
    serve.set_defaults(run=cmd_serve)

    check = commands.add_parser("check", help="validate content and internal links; "
                                              "publish nothing")
    _site_option(check)
    _schedule_options(check)
    check.add_argument("--now", type=_moment, metavar="TIME",
                       help="the reference time, ISO 8601 (default: SOURCE_DATE_EPOCH or the "
                            "clock)")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.set_defaults(run=cmd_check)

    init = commands.add_parser("init", help="create a new site that builds at once")
    init.add_argument("dir", type=Path, help="folder for the new site")
    init.set_defaults(run=cmd_init)
    for command in commands.choices.values():  # --debug also works after the command
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="show a traceback for internal errors")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if getattr(args, "site", None) is not None and not args.site.is_dir():
        parser.error(f"--site {args.site}: no such folder")
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("Interrupted; the output folder was left as it was.", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal bug: one line for editors, the traceback on request
        if args.debug:
            traceback.print_exc()
        else:
            print(f"newsgen: internal error ({type(exc).__name__}: {exc}). Please report it; "
                  "run again with --debug to see the traceback.", file=sys.stderr)
        return EXIT_ERRORS
