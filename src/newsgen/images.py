"""The images of a site: which files its published articles show, processed once per key
into the files a page offers a browser (`imaging.py`), and the markup that offers them.

Where an image is: `image: /img/x.jpg` (a leading slash) is under `static/`; a relative
path is beside the article in `content/` first, then under `static/`; an http(s) URL is
left as it is. JPEG, PNG and WebP files are processed; SVG and GIF are published as they
are. An image's files are kept in the cache under its key (`image_key`: its bytes, the
settings, the imaging code and Pillow's version) and published by `pages.ImageFiles`, so
that a rebuild, or a fresh checkout with the cache restored, encodes nothing. Pages get
`<picture>` markup (`picture`, `page_body`), feeds a plain `<img>` (`feed_body`). The
original of a processed image under `static/` is not published: its metadata (a GPS
position, a camera's serial number) could expose a source."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from markupsafe import Markup, escape

from .cache import BuildCache
from .config import SiteConfig
from .content import CONTENT_DIR, IMG_TAG, STATIC_DIR, img_attributes
from .errors import ContentError, warning
from .imaging import (
    COPIED,
    PROCESSED,
    SOCIAL_WIDTH,
    ImageFile,
    ImageSettings,
    ImageTask,
    ProcessedImage,
    known_image,
)
from .keys import image_key, image_salt
from .models import ParsedSource
from .site import slugify
from .urls import IMAGES_URL

# The story column: 42rem (`--measure`), with 1rem of padding each side on a phone.
SIZES = "(min-width: 44rem) 42rem, calc(100vw - 2rem)"

ArticleImages = tuple[tuple[str, ProcessedImage], ...]  # (reference as written, image)


# -- where an article's images are --------------------------------------------------


@dataclass(frozen=True)
class ImageRef:
    """One image an article shows: as written (`ref`), the file it names (`label`, such
    as 'static/img/x.jpg'), the line that names it, whether it is the lead image."""

    source: str
    ref: str
    label: str
    line: int | None
    lead: bool
    focus: tuple[float, float] = (0.5, 0.5)  # where the lead image's crops are centred


def _path_of(ref: str) -> str:
    return ref.split("#")[0].split("?")[0]


def handled(ref: str) -> bool:
    """Whether a reference names a local file of a kind this module publishes."""
    path = _path_of(ref)
    remote = path.startswith("//") or ":" in path.split("/")[0]
    suffix = PurePosixPath(path).suffix.lower()
    return not remote and (suffix in PROCESSED or suffix in COPIED)


def locate(site_dir: Path, source: str, ref: str) -> tuple[str, list[str]]:
    """The label of the file an image reference names ("" when there is none), and the
    labels looked at: beside the article first, for a relative reference."""
    path = _path_of(ref)
    tried = []
    if not path.startswith("/"):
        tried.append(posixpath.normpath(posixpath.join(posixpath.dirname(source), path)))
    tried.append(posixpath.normpath(posixpath.join(STATIC_DIR, path.lstrip("/"))))
    for label in tried:
        parts = label.split("/")
        if parts[0] in (CONTENT_DIR, STATIC_DIR) and ".." not in parts \
                and (site_dir / label).is_file():
            return label, tried
    return "", tried


def image_refs(parsed: ParsedSource) -> list[tuple[str, int | None, bool]]:
    """(reference, line, lead) of each local image an article shows, its lead image first."""
    meta = parsed.meta
    wanted = [(meta.image, parsed.key_lines.get("image"), True)] if meta.image else []
    wanted += [(src, line, False) for src, line in parsed.body_images]
    return [(ref, line, lead) for ref, line, lead in wanted if handled(ref)]


def article_refs(site_dir: Path, parsed: ParsedSource
                 ) -> tuple[list[ImageRef], list[ContentError]]:
    """The local images an article shows, and a problem for each one that names no file."""
    refs: list[ImageRef] = []
    problems: list[ContentError] = []
    for ref, line, lead in image_refs(parsed):
        label, tried = locate(site_dir, parsed.source, ref)
        if label:
            refs.append(ImageRef(parsed.source, ref, label, line, lead,
                                 parsed.meta.image_focus or (0.5, 0.5)))
        else:
            what = "the lead image" if lead else "the image"
            problems.append(ContentError(parsed.source, line, f"{what} '{ref}' does not "
                                         f"exist: there is no {' or '.join(tried)}"))
    return refs, problems


# -- settings and keys ----------------------------------------------------------------


def image_settings(config: SiteConfig) -> ImageSettings:
    return ImageSettings(tuple(sorted(set(config.image_widths))),
                         tuple(name.upper() for name in config.image_formats),
                         tuple(sorted((name.upper().replace("JPG", "JPEG"), value)
                                      for name, value in config.image_quality)))


def images_url(config: SiteConfig) -> str:
    """Where pages find processed images' files: under the site's path, as links are."""
    return config.path_prefix + IMAGES_URL


def absolute_url(config: SiteConfig, file: ImageFile) -> str:
    return config.absolute(IMAGES_URL + file.name)


def image_stem(label: str, key: str) -> str:
    """The start of an image's files' names: 'photo-3f2a9c81d0' (the key keeps two images
    of one name apart, and lets a browser keep a file for ever)."""
    name = slugify(PurePosixPath(label).stem)[:60].strip("-") or "image"
    return f"{name}-{key[:10]}"


# -- the build's step ------------------------------------------------------------------


@dataclass(frozen=True)
class SiteImages:
    """The images of a site's published articles: per article, (reference, image) pairs;
    each image file used (label -> digest of its bytes: a change to one means a new full
    build), and the problems found."""

    by_article: Mapping[str, ArticleImages]
    files: Mapping[str, str]
    problems: tuple[ContentError, ...]


def static_sources(files: Mapping[str, str]) -> frozenset[str]:
    """The files of `static/` (output paths) published only as their processed variants."""
    prefix = STATIC_DIR + "/"
    return frozenset(label[len(prefix):] for label in files if label.startswith(prefix)
                     and PurePosixPath(label).suffix.lower() in PROCESSED)


# Runs image tasks (in the worker pool) with these settings: an image or a problem each.
Processor = Callable[[list[ImageTask], ImageSettings], list[ProcessedImage | str]]


def site_images(site_dir: Path, cache: BuildCache, config: SiteConfig,
                articles: Sequence[ParsedSource], process: Processor) -> SiteImages:
    """Find, key and (where the cache does not hold them) process the images of the
    published `articles`; `process` runs the tasks, in the worker pool. A lead image is
    processed with its article's focus for its crops, so that what one article shows never
    depends on another's front matter."""
    refs: list[ImageRef] = []
    problems: list[ContentError] = []
    for parsed in articles:
        found, missing = article_refs(site_dir, parsed)
        refs += found
        problems += missing
    files, images = _processed(site_dir, cache, config, refs, process)
    by_article: dict[str, list[tuple[str, ProcessedImage]]] = {}
    for ref in refs:
        image = images[_wanted(ref)]
        if isinstance(image, str):
            what = "the lead image" if ref.lead else "the image"
            problems.append(ContentError(ref.source, ref.line, f"{what} {ref.label} {image}"))
            continue
        by_article.setdefault(ref.source, []).append((ref.ref, image))
        if ref.lead and not image.copied and image.width < SOCIAL_WIDTH:
            problems.append(warning(ref.source, ref.line, f"the lead image {ref.label} is "
                                    f"{image.width} px wide: search engines and social "
                                    f"cards ask for at least {SOCIAL_WIDTH} px"))
    return SiteImages({source: tuple(pairs) for source, pairs in by_article.items()},
                      files, tuple(problems))


Wanted = tuple[str, tuple[float, float] | None]  # a file, and its crops' focus (if a lead)


def _wanted(ref: ImageRef) -> Wanted:
    return (ref.label, ref.focus if ref.lead else None)


def _processed(site_dir: Path, cache: BuildCache, config: SiteConfig, refs: list[ImageRef],
               process: Processor) -> tuple[dict[str, str], dict[Wanted, ProcessedImage | str]]:
    """The digest of each file, and each wanted image: from the cache, or processed now
    (or what is wrong with its file)."""
    settings = image_settings(config)
    salt, url_prefix = image_salt(settings), images_url(config)
    files: dict[str, str] = {}
    images: dict[Wanted, ProcessedImage | str] = {}
    tasks: dict[Wanted, ImageTask] = {}
    for label, focus in dict.fromkeys(map(_wanted, refs)):
        try:
            if label not in files:
                files[label] = cache.file_digest(site_dir / label)[0]
        except OSError as exc:
            images[(label, focus)] = f"cannot be read: {exc.strerror}"
            continue
        key = image_key(salt, files[label], label, url_prefix, focus)
        known = known_image(cache.dir, key)
        if known is not None:
            images[(label, focus)] = known
        else:
            tasks[(label, focus)] = ImageTask(label, str(site_dir / label), key,
                                              image_stem(label, key), url_prefix, focus)
    if tasks:
        images.update(zip(tasks, process(list(tasks.values()), settings), strict=True))
    return files, images


# -- markup ----------------------------------------------------------------------------


def _srcset(files: Sequence[ImageFile]) -> str:
    return ", ".join(f"{f.url} {f.width}w" for f in files)


def picture(image: ProcessedImage, alt: str, *, lead: bool) -> Markup:
    """`<picture>`: a `<source>` per format the browser may prefer, and the `<img>` in the
    original's, with its pixel size. A lead image is fetched first, a body image once it
    comes near."""
    attrs = ' fetchpriority="high"' if lead else ' loading="lazy" decoding="async"'
    src = image.src
    if image.copied:
        size = f' width="{src.width}" height="{src.height}"' if src.width else ""
        return Markup(f'<img src="{escape(src.url)}"{size} alt="{escape(alt)}"{attrs}>')
    fallback = sorted(image.fallback, key=lambda f: f.width)
    sources = "".join(
        f'<source type="{mime}" srcset="{escape(_srcset(files))}" sizes="{SIZES}">'
        for mime, files in image.by_type() if mime != fallback[0].mime)
    return Markup(f'<picture>{sources}<img src="{escape(src.url)}" '
                  f'srcset="{escape(_srcset(fallback))}" sizes="{SIZES}" width="{src.width}" '
                  f'height="{src.height}" alt="{escape(alt)}"{attrs}></picture>')


def page_body(body: str, images: ArticleImages) -> str:
    """A body with each of its local images as `picture` makes it."""
    if not images:
        return body
    known = dict(images)

    def offered(match: re.Match[str]) -> str:
        attributes = img_attributes(match.group(0))
        image = known.get(attributes.get("src", ""))
        if image is None:
            return match.group(0)
        return str(picture(image, attributes.get("alt", ""), lead=False))

    return IMG_TAG.sub(offered, body)


_PICTURE = re.compile(r"<picture>.*?(<img [^>]*>)</picture>", re.DOTALL)
_BROWSER_ONLY = re.compile(r' (?:srcset|sizes|loading|decoding|fetchpriority)="[^"]*"')


def feed_body(body: str, config: SiteConfig) -> str:
    """A page's body as a feed carries it: each `<picture>` its plain `<img>`, at its
    absolute address (feed readers know neither `srcset` nor the site's paths)."""
    local = f'src="{images_url(config)}'
    if local not in body:
        return body
    absolute = f'src="{config.absolute(IMAGES_URL)}'

    def plain(tag: str) -> str:
        return _BROWSER_ONLY.sub("", tag).replace(local, absolute)

    body = _PICTURE.sub(lambda match: plain(match.group(1)), body)
    return IMG_TAG.sub(lambda match: plain(match.group(0)), body)

