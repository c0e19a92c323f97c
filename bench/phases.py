"""When each phase of one cold build starts and ends: `.venv/bin/python bench/phases.py
--site bench/work/10000/site --out /tmp/out` (the site's cache and the output are removed
first and the kernel's caches dropped, as `run.py` does before a cold build;
SOURCE_DATE_EPOCH as in run.py).

`--without-markdown` converts no Markdown (each body's text, escaped, becomes one
paragraph): what the rest of the pipeline costs, i.e. the floor of a
cold build whatever Markdown engine it used."""

from __future__ import annotations

import argparse
import html
import os
import sys
import time
from pathlib import Path

from newsgen.build import BuildOptions, build_site
from newsgen.cache import CACHE_DIR

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import clear_for_cold_build  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--site", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--without-markdown", action="store_true")
    args = parser.parse_args()
    if args.without_markdown:
        from newsgen import markup

        # Forked workers inherit the replaced method.
        markup.MarkdownRenderer.render = (  # type: ignore[method-assign]
            lambda self, text: f"<p>{html.escape(text)}</p>")
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1793491200")  # 2026-11-01, as run.py
    clear_for_cold_build(args.site / CACHE_DIR, args.out)
    started, cpu = time.perf_counter(), os.times()
    phases: dict[str, list[float]] = {}

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter() - started
        phases.setdefault(phase, [now, now])[1] = now

    result = build_site(BuildOptions(site_dir=args.site, out_dir=args.out, jobs=args.jobs),
                        progress)
    for phase, (first, last) in phases.items():
        print(f"{phase:10} {first:6.2f} s → {last:6.2f} s")
    print(f"{'done':10} {time.perf_counter() - started:6.2f} s ({result.files} files)")
    spent = os.times()
    # Kernel time is mostly creating the output's files and folders.
    print(f"CPU: user {spent.user - cpu.user + spent.children_user - cpu.children_user:.2f} s, "
          f"kernel {spent.system - cpu.system + spent.children_system - cpu.children_system:.2f} s "
          "(this process and its workers)")


if __name__ == "__main__":
    main()
