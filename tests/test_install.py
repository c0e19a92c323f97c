"""What users install: the wheel and sdist built from a clean copy of the project, the wheel
installed (not editable) into a fresh virtualenv, and a new site made and built with it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

# What a checkout holds besides the package's own files: git-ignored output, caches, virtualenvs.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "node_modules", "*.egg-info",
                                    "__pycache__", "*.pyc", ".newsgen-cache", ".*_cache",
                                    ".hypothesis", "work", ".venv-peers")
# A theme file in a folder the package data has never named: it must be packaged all the same.
NEW_THEME_FILE = "theme/static/img/icons/new-marker.svg"


@dataclass(frozen=True)
class Built:
    source: Path  # the clean copy the distributions were built from
    wheel: Path
    sdist: Path


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    # A copy, because setuptools writes build/ into the tree it builds, the demo site's output.
    source = tmp_path_factory.mktemp("clean") / "newsgen"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    marker = source / "src" / "newsgen" / NEW_THEME_FILE
    marker.parent.mkdir(parents=True)
    marker.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    dist = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", dist,
        source)
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    return Built(source, wheel, sdist)


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin/ folder of a fresh virtualenv with the wheel installed, as `pip install .` does."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "-q", built.wheel)
    yield venv / "bin"


def package_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_the_wheel_holds_every_package_file_and_nothing_else(built: Built) -> None:
    names = set(zipfile.ZipFile(built.wheel).namelist())
    package = {n for n in names if not n.startswith("newsgen-")}
    expected = {f"newsgen/{name}" for name in package_files(built.source / "src" / "newsgen")}
    assert package == expected
    assert f"newsgen/{NEW_THEME_FILE}" in package
    assert "newsgen/py.typed" in package


def test_the_sdist_builds_the_package_without_tests_or_benchmarks(built: Built) -> None:
    with tarfile.open(built.sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    expected = {f"src/newsgen/{name}" for name in package_files(built.source / "src" / "newsgen")}
    assert expected <= names
    assert {"pyproject.toml", "README.md"} <= names
    unwanted = [n for n in names if n.split("/")[0] in ("tests", "bench", "content", "build")
                or "__pycache__" in n or ".newsgen-cache" in n]
    assert unwanted == []


def test_an_installed_newsgen_builds_a_styled_site_that_checks(installed: Path,
                                                              built: Built,
                                                              tmp_path: Path) -> None:
    site = tmp_path / "site"
    run(installed / "newsgen", "init", site)
    run(installed / "newsgen", "build", "--site", site)
    stylesheet = site / "build" / "css" / "newsgen.css"
    assert stylesheet.read_bytes() == (
        built.source / "src/newsgen/theme/static/css/newsgen.css").read_bytes()
    assert 'href="/css/newsgen.css"' in (site / "build" / "index.html").read_text("utf-8")
    checked = run(installed / "newsgen", "check", "--site", site)
    assert "every internal link resolves" in checked.stdout


def test_the_installed_theme_is_the_source_trees(installed: Path, built: Built) -> None:
    where = run(installed / "python", "-c",
                "import newsgen, pathlib; print(pathlib.Path(newsgen.__file__).parent)")
    package = Path(where.stdout.strip())
    assert "site-packages" in package.parts, "the wheel must be installed, not linked"
    source_theme = built.source / "src" / "newsgen" / "theme"
    installed_theme = package / "theme"
    assert package_files(installed_theme) == package_files(source_theme)
    for name in package_files(source_theme):
        assert (installed_theme / name).read_bytes() == (source_theme / name).read_bytes(), name
