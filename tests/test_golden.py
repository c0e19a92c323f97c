"""The sample site's whole output, compared byte for byte with committed golden files.

Regenerate after an intended change of output with:
    NEWSGEN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
and review the diff of tests/sites/sample/expected/ before committing it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import SiteDir, nu_check

SAMPLE = Path(__file__).parent / "sites" / "sample"
EXPECTED = SAMPLE / "expected"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_sample_site_matches_golden_files(tmp_path: Path) -> None:
    site = SiteDir(SAMPLE, out_dir=tmp_path / "out")
    site.build()
    built = tree(site.out)
    if os.environ.get("NEWSGEN_UPDATE_GOLDEN"):
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(site.out, EXPECTED)
    expected = tree(EXPECTED)
    assert sorted(built) == sorted(expected)
    for path, data in expected.items():
        assert built[path].decode() == data.decode(), path


def test_every_golden_page_passes_the_current_nu_checker() -> None:
    assert nu_check(EXPECTED) == []
