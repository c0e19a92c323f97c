"""Worker processes change nothing a reader or an editor can see: the same bytes and the
same error report whatever --jobs; progress only on a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import NOW, SiteDir, run_newsgen

from newsgen.build import BuildOptions, build_site
from newsgen.cache import BuildCache
from newsgen.errors import BuildFailed


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def newsroom(site: SiteDir, count: int = 150) -> None:
    sections = ["Политика", "Экономика", "Спорт", "Technology"]
    tags = ["Выборы", "Москва", "Markets", "AI", "Футбол", "Погода"]
    for n in range(count):
        site.add(f"{sections[n % 4]}/{n:03d}", title="Прогноз погоды на выходные",
                 section=sections[n % 4], lede=f"Лид {n}.",
                 body=f"## Часть {n}\n\n* один\n* два\n\n> цитата {n}\n\n| a | b |\n|---|---|\n| {n} | x |\n",
                 tags=[tags[n % 6], tags[(n * 7) % 6]], date=f"2026-{1 + n % 11:02d}-{1 + n % 27:02d}",
                 slug=f"prognoz-{n}")


def build(site: SiteDir, out: Path, jobs: int, cache_dir: Path) -> None:
    build_site(BuildOptions(site_dir=site.root, out_dir=out, now=NOW, jobs=jobs),
               cache=BuildCache(site.root, directory=cache_dir))


def test_one_worker_and_two_give_byte_identical_output(site: SiteDir, tmp_path: Path) -> None:
    newsroom(site)
    build(site, tmp_path / "one", 1, tmp_path / "cache-one")
    build(site, tmp_path / "two", 2, tmp_path / "cache-two")
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert len(one) > 150
    assert one == two
    # and a cache filled by workers serves a build without them
    build(site, tmp_path / "mixed", 1, tmp_path / "cache-two")
    assert tree(tmp_path / "mixed") == one


def test_another_jobs_count_is_not_another_build(site: SiteDir, tmp_path: Path) -> None:
    """CI with --jobs 1 after a laptop's default: nothing is rendered or written again,
    not even the cache's record of the output."""
    newsroom(site)
    build(site, tmp_path / "out", 2, tmp_path / "cache")

    def written() -> dict[Path, int]:
        files = [*(tmp_path / "out").rglob("*"), *(tmp_path / "cache").glob("output-*")]
        return {p: p.stat().st_mtime_ns for p in files if p.is_file()}

    before = written()
    build(site, tmp_path / "out", 1, tmp_path / "cache")
    assert written() == before


def test_errors_are_the_same_with_workers(site: SiteDir, tmp_path: Path) -> None:
    newsroom(site, 40)
    site.write("content/bad-yaml.md", "---\ntitle: [oops\nsection: A\nlede: L\n---\nText\n")
    site.write("content/no-lede.md", "---\ntitle: T\nsection: A\n---\nText\n")
    site.write("templates/tag.html", '{% extends "base.html" %}{% block main %}\n{{ 1 // 0 }}\n'
               "{% endblock %}\n")
    reports = []
    for jobs in (1, 2):
        with pytest.raises(BuildFailed) as failed:
            build(site, tmp_path / f"out{jobs}", jobs, tmp_path / f"cache{jobs}")
        reports.append([str(p) for p in failed.value.problems])
    assert reports[0] == reports[1]
    assert any(r.startswith("content/bad-yaml.md:2:") for r in reports[0])
    assert any("templates/tag.html:2: template error" in r for r in reports[0])
    assert not (tmp_path / "out2").exists()


def test_progress_is_drawn_on_a_terminal_only(site: SiteDir, tmp_path: Path) -> None:
    newsroom(site, 300)
    # Without a terminal (CI): the one-line summary and nothing else.
    quiet = run_newsgen("build", "--site", site.root, "--jobs", "2",
                        env={**os.environ, "SOURCE_DATE_EPOCH": "1795000000"})
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert quiet.stdout.startswith("Built ") and quiet.stdout.count("\n") == 1

    # On a terminal: phase and count, redrawn with carriage returns.
    (site.root / ".newsgen-cache").rename(tmp_path / "old-cache")
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsgen", "build", "--site", str(site.root), "--jobs", "1"],
        stdin=secondary, stdout=subprocess.PIPE, stderr=secondary,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1795000000"})
    os.close(secondary)
    drawn = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    stdout, _ = process.communicate(timeout=120)
    os.close(primary)
    assert process.returncode == 0
    assert stdout.startswith(b"Built ")
    text = drawn.decode()
    assert "\r" in text and ("parsing" in text or "rendering" in text), text


def test_two_builds_at_once_in_one_process_give_the_bytes_of_each_alone(
        site: SiteDir, tmp_path: Path) -> None:
    """A dev server builds while a test, a link check or a library user builds in another
    thread of the same process: without workers, neither build may see the other's state."""
    newsroom(site, 60)
    build(site, tmp_path / "alone", 1, tmp_path / "cache-alone")
    expected = tree(tmp_path / "alone")

    def one(n: int) -> dict[str, bytes]:
        out = tmp_path / f"out-{n}"
        build(site, out, 1, tmp_path / f"cache-{n}")
        return tree(out)

    with ThreadPoolExecutor(max_workers=2) as threads:
        for built in threads.map(one, range(6)):
            assert built == expected
