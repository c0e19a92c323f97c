"""URLs that never break: a manifest of where each article was published, and a redirect
from an article's old URL whenever a later build finds it moved (an editor fixed a title,
so its slug changed).

The manifest is `.newsgen-manifest.json` in the output folder itself. It describes that
output and no other: it is written with the rest of the build (so a failed build leaves
the previous one in place), a build into another `--out` keeps its own history, and a
deployment that keeps its output keeps its redirects. It names only source paths and
URLs. A manifest that cannot be read starts the history afresh: it is the generator's own
file, and no article is lost because of it, only older redirects.

The manifest holds, for each source file, the URL it was last published at (carried
forward while the article is not published, so a draft that comes back under a new title
still gets its redirect), and each old URL with the source file it now leads to. The
target is looked up in each build, so a twice-renamed article redirects both old URLs
straight to its newest one, never through a chain.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .models import OutputFile, Site
from .urls import url_to_path
from .write import OutputWriter, unsafe_reason

MANIFEST_NAME = ".newsgen-manifest.json"
MANIFEST_FORMAT = 1
MANIFEST_LABEL = "redirect manifest"

RenderRedirect = Callable[[str, str, str], OutputFile]  # (old URL, new URL, source) -> stub


@dataclass(frozen=True)
class Manifest:
    pages: dict[str, str] = field(default_factory=dict)  # source file -> its article's URL
    moved: dict[str, str] = field(default_factory=dict)  # old URL -> source file it leads to

    def to_json(self) -> bytes:
        data = {"format": MANIFEST_FORMAT, "pages": self.pages, "moved": self.moved}
        return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def _is_site_url(url: Any) -> bool:
    """A URL path this generator could have written: nothing that leaves the output."""
    return (isinstance(url, str) and url.startswith("/")
            and unsafe_reason(url_to_path(url)) is None)


def _string_map(value: Any, valid_key: Callable[[Any], bool],
                valid_value: Callable[[Any], bool]) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if valid_key(k) and valid_value(v)}


def _is_source(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def parse_manifest(text: bytes) -> Manifest:
    """The manifest's entries that are well formed; anything else is dropped."""
    try:
        data = json.loads(text)
    except ValueError:
        return Manifest()
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return Manifest()
    return Manifest(pages=_string_map(data.get("pages"), _is_source, _is_site_url),
                    moved=_string_map(data.get("moved"), _is_site_url, _is_source))


def read_manifest(out_dir: Path) -> Manifest:
    try:
        return parse_manifest((out_dir / MANIFEST_NAME).read_bytes())
    except OSError:
        return Manifest()


def next_manifest(previous: Manifest, site: Site) -> tuple[Manifest, list[str]]:
    """The manifest after this build, and the old URLs that moved in this build."""
    pages = dict(previous.pages)
    moved = dict(previous.moved)
    newly_moved = []
    for source, url in zip(site.catalog.sources, site.catalog.urls, strict=True):
        old = previous.pages.get(source)
        if old is not None and old != url and moved.get(old) != source:
            moved[old] = source
            newly_moved.append(old)
        pages[source] = url
    # An article back at an old URL needs no redirect from it.
    moved = {url: source for url, source in moved.items() if pages.get(source) != url}
    return (Manifest(dict(sorted(pages.items())), dict(sorted(moved.items()))),
            [url for url in newly_moved if url in moved])


def redirect_plan(manifest: Manifest, site: Site, taken: Mapping[str, str] | set[str]
                  ) -> list[tuple[str, str, str]]:
    """(old URL, current URL, source) for each redirect to write now: the article is
    published in this build and nothing else (a real page, an alias) is at the old URL."""
    current = dict(zip(site.catalog.sources, site.catalog.urls, strict=True))
    plan = []
    for old, source in manifest.moved.items():
        target = current.get(source)
        if target is not None and url_to_path(old) not in taken:
            plan.append((old, target, source))
    return plan


def write_redirects(writer: OutputWriter, site: Site, render: RenderRedirect,
                    previous: Manifest | None = None) -> tuple[int, Manifest]:
    """After every page is written: the redirects for moved articles, then the new manifest.
    `previous`: the manifest the last build into this output wrote, when this process
    knows it (else it is read from the output). Returns how many redirects this build
    added for a changed URL, and the manifest."""
    before = previous if previous is not None else read_manifest(writer.out_dir)
    manifest, newly_moved = next_manifest(before, site)
    added = 0
    fresh = set(newly_moved)
    for old, target, source in redirect_plan(manifest, site, writer.sources):
        stub = render(old, target, source)
        if writer.write(stub.path, stub.data, stub.source) and old in fresh:
            added += 1
    if (previous is not None and manifest == previous and writer.previous is not None
            and MANIFEST_NAME in writer.previous):
        writer.keep(MANIFEST_NAME, MANIFEST_LABEL)
    else:
        writer.write(MANIFEST_NAME, manifest.to_json(), MANIFEST_LABEL)
    return added, manifest
