"""`newsgen init` and `newsgen new`: a fresh site that builds at once, a ready article."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .config import CONFIG_NAME, load_config
from .content import CONTENT_DIR
from .site import make_slug

STARTER_CONFIG = """\
# Site settings; every key is optional.
title: My News
base_url: https://example.org/
language: en
timezone: UTC
per_page: 20
sections:
  - World
  - Technology
"""

STARTER_ARTICLE = """\
---
title: Welcome to your news site
section: World
lede: This is the first article of the site. Edit it, or add more Markdown files under content/.
tags: [newsgen]
date: {date}
---

Every article is a Markdown file with front matter between `---` lines.
Run `newsgen build` to publish the site into `build/`, or `newsgen serve --watch` to preview it.

## Writing

Use **Markdown** for the body: headings, lists, links, quotes and tables all work.
"""


class ScaffoldError(Exception):
    """Something `init` or `new` refuses to do; the message says why."""


def init_site(target: Path, now: dt.datetime) -> list[Path]:
    """Create a new site in `target`; refuse to touch one that already has content."""
    if (target / CONFIG_NAME).exists() or (target / CONTENT_DIR).exists():
        raise ScaffoldError(f"{target} already holds a site ({CONFIG_NAME} or content/); "
                            "choose an empty folder")
    article = target / CONTENT_DIR / "world" / "welcome.md"
    files = {
        target / CONFIG_NAME: STARTER_CONFIG,
        article: STARTER_ARTICLE.format(date=now.replace(microsecond=0).isoformat()),
        target / "templates" / ".keep": "",
        target / "static" / ".keep": "",
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return [target / CONFIG_NAME, article]


def _yaml_string(text: str) -> str:
    """A double-quoted YAML scalar, safe for any title."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def new_article(site_dir: Path, title: str, section: str, now: dt.datetime) -> Path:
    """Write `content/<section>/<slug>.md` with front matter filled in; never overwrite.

    Like `hugo new`, the article starts as a draft: it shows in `serve --drafts` and is
    published once the editor removes the `draft` line."""
    config, _ = load_config(site_dir)
    slug = make_slug(title, config.slug_max_length)
    section_slug = make_slug(section, config.slug_max_length)
    if not slug or not section_slug:
        raise ScaffoldError("the title and the section must contain letters or digits")
    path = site_dir / CONTENT_DIR / section_slug / f"{slug}.md"
    if path.exists():
        raise ScaffoldError(f"{path} already exists; not overwriting it")
    local = now.astimezone(config.tz).replace(second=0, microsecond=0)
    text = (
        "---\n"
        f"title: {_yaml_string(title)}\n"
        f"section: {_yaml_string(section)}\n"
        "lede: Replace this with the one or two sentences shown under the headline.\n"
        "tags: []\n"
        f"date: {local.isoformat()}\n"
        f"slug: {slug}\n"
        "draft: true  # remove this line to publish\n"
        "---\n\n"
        "Write the article here.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:  # "x": refuse a file that appeared meanwhile
        handle.write(text)
    return path
