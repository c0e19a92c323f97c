"""What changed in a site since the previous build, sorted by what it changes.

The dev server's watcher hands the build one `ChangeSet` per save batch (as Zola's change
kinds do): the content files to look at again, and whether templates, static files or
the config changed. The build trusts it instead of scanning and hashing the whole site."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .config import CONFIG_NAME
from .content import CONTENT_DIR, STATIC_DIR, TEMPLATES_DIR

WATCHED_DIRS = (CONTENT_DIR, TEMPLATES_DIR, STATIC_DIR)


@dataclass(frozen=True)
class ChangeSet:
    """`content`: absolute paths of the files or folders under content/ that changed;
    `rescan`: content/ or the site folder itself changed (created, replaced, deleted), so
    the content files must be found again."""

    content: tuple[str, ...] = ()
    templates: bool = False
    static: bool = False
    config: bool = False
    rescan: bool = False

    @classmethod
    def of(cls, site_dir: Path, paths: Iterable[str]) -> ChangeSet:
        root = os.path.abspath(site_dir)
        content: set[str] = set()
        kinds: set[str] = set()
        for path in map(os.path.abspath, paths):
            if path == root or root.startswith(path + os.sep):
                kinds.add("rescan")  # the site folder itself, or a folder holding it
                continue
            if not path.startswith(root + os.sep):
                continue
            parts = path[len(root) + 1:].split(os.sep)
            if parts == [CONFIG_NAME]:
                kinds.add("config")
            elif parts[0] == CONTENT_DIR:
                if len(parts) == 1:
                    kinds.add("rescan")
                elif not any(part.startswith(".") for part in parts[1:]):
                    content.add(path)
            elif parts[0] == TEMPLATES_DIR:
                kinds.add("templates")
            elif parts[0] == STATIC_DIR:
                kinds.add("static")
        return cls(tuple(sorted(content)), templates="templates" in kinds,
                   static="static" in kinds, config="config" in kinds,
                   rescan="rescan" in kinds)
