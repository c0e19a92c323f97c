"""Convert a newsgen site into equivalent Pelican and Hugo projects.

    python bench/peers.py --site bench/work/1000/site --pelican DIR --hugo DIR

Both projects are set up to write the same page set as newsgen: articles at
/<section-slug>/<slug>/, section indexes /<section-slug>/ paginated by 20 at
/<section-slug>/page/N/, tag pages /tags/<tag-slug>/ paginated the same way, the list
of tags /tags/, the home page / and the site feed /feed.xml (50 newest entries with
full content, like newsgen's). Section and tag slugs are python-slugify's, the
rule newsgen follows.

A site with images (static/img/, `image:` in front matter, `![alt](/img/...)` in bodies)
gives Hugo the images as assets (assets/img/, hard links where possible) and templates
that make what newsgen makes of them: every width of `image_widths` up to the original's
in JPEG and in each of `image_formats`, at `image_quality`, Lanczos, as <picture> markup
(the lead image in page.html, body images through the render hook), and for each lead
image three centred crops of 1200 px wide (16:9, 4:3, 1:1) for JSON-LD. Pelican gets no
images: it is not part of that comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from slugify import slugify

BENCH = Path(__file__).resolve().parent
THEMES = BENCH / "themes"
PER_PAGE = 20
FEED_SIZE = 50
# newsgen's image settings and their defaults (newsgen.yaml: image_widths, image_formats,
# image_quality).
IMAGE_WIDTHS = [480, 800, 1200, 1600]
IMAGE_FORMATS = ["webp"]
IMAGE_QUALITY = {"jpeg": 82, "webp": 80}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff"}
YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class SourceArticle:
    relative_path: Path  # under content/, e.g. politika/00009.md
    meta: dict
    body: str


@dataclass(frozen=True)
class SiteInfo:
    title: str
    base_url: str
    language: str
    timezone: str
    sections: list[str]
    image_widths: list[int]
    image_formats: list[str]
    image_quality: dict[str, int]


def read_site(site: Path) -> SiteInfo:
    config = yaml.load((site / "newsgen.yaml").read_text(encoding="utf-8"), Loader=YamlLoader)
    return SiteInfo(
        title=config["title"],
        base_url=config["base_url"].rstrip("/"),
        language=config.get("language", "en"),
        timezone=config.get("timezone", "UTC"),
        sections=list(config.get("sections", [])),
        image_widths=list(config.get("image_widths", IMAGE_WIDTHS)),
        image_formats=list(config.get("image_formats", IMAGE_FORMATS)),
        image_quality={**IMAGE_QUALITY, **config.get("image_quality", {})},
    )


def site_images(site: Path) -> list[Path]:
    """The image files under the site's static/, relative to it."""
    static = site / "static"
    if not static.is_dir():
        return []
    return sorted(path.relative_to(static) for path in static.rglob("*")
                  if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES)


def read_articles(site: Path) -> Iterator[SourceArticle]:
    content = site / "content"
    for path in sorted(content.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        meta = yaml.load(front, Loader=YamlLoader)
        yield SourceArticle(path.relative_to(content), meta, body.lstrip("\n"))


def date_text(meta: dict) -> str:
    # YAML turns an ISO timestamp into a datetime; both peers want the ISO text back.
    value = meta["date"]
    return value if isinstance(value, str) else value.isoformat()


def fresh_folder(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


# --- Pelican -----------------------------------------------------------------------


def pelican_article(article: SourceArticle) -> str:
    meta = article.meta
    # Pelican's Markdown reader takes "Key: value" lines; tags are comma-separated.
    lines = [
        f"Title: {meta['title']}",
        f"Date: {date_text(meta)}",
        f"Category: {meta['section']}",
        f"Tags: {', '.join(meta.get('tags', []))}",
        f"Slug: {meta['slug']}",
        f"Author: {meta['author']}",
        f"Summary: {meta['lede']}",
    ]
    return "\n".join(lines) + "\n\n" + article.body


def pelican_settings(site: SiteInfo) -> str:
    settings = {
        "SITENAME": site.title,
        "SITEURL": site.base_url,
        "FEED_DOMAIN": site.base_url,
        "TIMEZONE": site.timezone,
        "DEFAULT_LANG": site.language,
        "THEME": "theme",
        "PATH": "content",
        "ARTICLE_PATHS": [""],
        "PAGE_PATHS": [],
        "STATIC_PATHS": [],
        "ARTICLE_URL": "{category}/{slug}/",
        "ARTICLE_SAVE_AS": "{category}/{slug}/index.html",
        "CATEGORY_URL": "{slug}/",
        "CATEGORY_SAVE_AS": "{slug}/index.html",
        "TAG_URL": "tags/{slug}/",
        "TAG_SAVE_AS": "tags/{slug}/index.html",
        "TAGS_SAVE_AS": "tags/index.html",
        "INDEX_SAVE_AS": "index.html",
        # Pages newsgen does not write are switched off, so both write the same set.
        "DIRECT_TEMPLATES": ["index", "tags"],
        "CATEGORIES_SAVE_AS": "",
        "AUTHORS_SAVE_AS": "",
        "AUTHOR_SAVE_AS": "",
        "ARCHIVES_SAVE_AS": "",
        "YEAR_ARCHIVE_SAVE_AS": "",
        "MONTH_ARCHIVE_SAVE_AS": "",
        "DAY_ARCHIVE_SAVE_AS": "",
        "DEFAULT_PAGINATION": PER_PAGE,
        "PAGINATED_TEMPLATES": {"category": None, "tag": None},
        "PAGINATION_PATTERNS": [
            [1, "{url}", "{save_as}"],
            [2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"],
        ],
        "FEED_ALL_ATOM": "feed.xml",
        "FEED_ALL_RSS": None,
        "CATEGORY_FEED_ATOM": None,
        "CATEGORY_FEED_RSS": None,
        "TAG_FEED_ATOM": None,
        "TAG_FEED_RSS": None,
        "AUTHOR_FEED_ATOM": None,
        "AUTHOR_FEED_RSS": None,
        "TRANSLATION_FEED_ATOM": None,
        "TRANSLATION_FEED_RSS": None,
        "FEED_MAX_ITEMS": FEED_SIZE,
        # The lede is plain text in newsgen, so Pelican must not run it through Markdown.
        "FORMATTED_FIELDS": [],
        # Same Markdown setup newsgen uses (extra + toc), without Pygments highlighting.
        "MARKDOWN": {
            "extension_configs": {
                "markdown.extensions.extra": {},
                "markdown.extensions.toc": {},
            },
            "output_format": "html5",
        },
        # newsgen escapes front-matter text; so does this theme (bodies are marked safe).
        "JINJA_ENVIRONMENT": {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True},
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
        "DELETE_OUTPUT_DIRECTORY": False,
    }
    lines = ['"""Pelican settings written by bench/peers.py."""']
    for key, value in settings.items():
        lines.append(f"{key} = {value!r}")
    return "\n".join(lines) + "\n"


def write_pelican_project(site: Path, out: Path) -> int:
    info = read_site(site)
    fresh_folder(out)
    shutil.copytree(THEMES / "pelican", out / "theme")
    (out / "pelicanconf.py").write_text(pelican_settings(info), encoding="utf-8")
    count = 0
    for article in read_articles(site):
        target = out / "content" / article.relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(pelican_article(article), encoding="utf-8", newline="\n")
        count += 1
    return count


# --- Hugo --------------------------------------------------------------------------


def hugo_front_matter(values: dict) -> str:
    # JSON is valid YAML: exact quoting of any headline without a YAML dumper.
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"


def hugo_article(article: SourceArticle) -> str:
    meta = article.meta
    values = {
        "title": meta["title"],
        "date": date_text(meta),
        "slug": meta["slug"],
        # Hugo would slug Cyrillic tags its own way; giving it python-slugify's slugs as
        # terms (with their names in content/tags/<slug>/_index.md) keeps newsgen's URLs.
        "tags": [slugify(tag) for tag in meta.get("tags", [])],
        "author": meta["author"],
        "lede": meta["lede"],
    }
    if meta.get("image"):
        # A path under assets/ (what resources.Get takes): /img/x.jpg -> img/x.jpg.
        values["image"] = meta["image"].lstrip("/")
        values["image_alt"] = meta.get("image_alt") or ""
    return hugo_front_matter(values) + "\n" + article.body


def hugo_format(name: str) -> str:
    # newsgen names formats as Pillow does (jpeg); Hugo's image options say jpg.
    return "jpg" if name.lower() in ("jpeg", "jpg") else name.lower()


def hugo_image_params(site: SiteInfo) -> str:
    quality = {hugo_format(name): value for name, value in site.image_quality.items()}
    quality_lines = "".join(f"{name} = {value}\n" for name, value in sorted(quality.items()))
    return f"""
[params.images]
# newsgen's image_widths, image_formats and image_quality (read by _partials/picture.html).
widths = {json.dumps(site.image_widths)}
formats = {json.dumps([hugo_format(name) for name in site.image_formats])}
crops = ["1200x675", "1200x900", "1200x1200"]

[params.images.quality]
{quality_lines}"""


def hugo_config(site: SiteInfo, images: bool = False) -> str:
    return f"""\
baseURL = {json.dumps(site.base_url + "/")}
locale = {json.dumps(site.language)}
defaultContentLanguage = {json.dumps(site.language)}
title = {json.dumps(site.title, ensure_ascii=False)}
timeZone = {json.dumps(site.timezone)}
buildFuture = true
# Kinds newsgen writes under other names, or that the page-set check would count.
disableKinds = ["sitemap", "robotsTXT", "404"]

[taxonomies]
tag = "tags"

[pagination]
pagerSize = {PER_PAGE}
path = "page"
# The first page of each list would otherwise also get a page/1/ redirect stub.
disableAliases = true

[params]
feedSize = {FEED_SIZE}
sections = {json.dumps(site.sections, ensure_ascii=False)}

[mediaTypes."application/atom+xml"]
suffixes = ["xml"]

[outputFormats.atom]
mediaType = "application/atom+xml"
baseName = "feed"
isPlainText = false
rel = "alternate"

[outputs]
home = ["html", "atom"]
section = ["html"]
taxonomy = ["html"]
term = ["html"]
page = ["html"]

[markup.highlight]
# newsgen does no syntax highlighting; Chroma would add work the others do not do.
codeFences = false

[markup.goldmark.renderer]
unsafe = false
""" + (hugo_image_params(site) if images else "")


def link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)  # a corpus's images are gigabytes: no second copy
    except OSError:
        shutil.copy2(source, target)


def write_hugo_project(site: Path, out: Path) -> int:
    info = read_site(site)
    fresh_folder(out)
    shutil.copytree(THEMES / "hugo" / "layouts", out / "layouts")
    images = site_images(site)
    (out / "hugo.toml").write_text(hugo_config(info, images=bool(images)), encoding="utf-8")
    # As assets, so that templates can process them (resources.Get); each is published
    # only where a template uses it, the original as newsgen copies static/ to its output.
    for image in images:
        link_or_copy(site / "static" / image, out / "assets" / image)
    content = out / "content"
    sections: set[str] = set()
    tags: set[str] = set()
    count = 0
    for article in read_articles(site):
        section = article.meta["section"]
        section_slug = slugify(section)
        target = content / section_slug / article.relative_path.name
        if section not in sections:
            sections.add(section)
            target.parent.mkdir(parents=True, exist_ok=True)
            (target.parent / "_index.md").write_text(
                hugo_front_matter({"title": section}), encoding="utf-8")
        tags.update(article.meta.get("tags", []))
        target.write_text(hugo_article(article), encoding="utf-8", newline="\n")
        count += 1
    for tag in sorted(tags):
        term = content / "tags" / slugify(tag)
        term.mkdir(parents=True, exist_ok=True)
        (term / "_index.md").write_text(hugo_front_matter({"title": tag}), encoding="utf-8")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, required=True, help="newsgen site folder")
    parser.add_argument("--pelican", type=Path, help="Pelican project folder to write")
    parser.add_argument("--hugo", type=Path, help="Hugo project folder to write")
    args = parser.parse_args(argv)
    if args.pelican:
        print(f"pelican: {write_pelican_project(args.site, args.pelican)} articles")
    if args.hugo:
        print(f"hugo: {write_hugo_project(args.site, args.hugo)} articles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
