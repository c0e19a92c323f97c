"""Every cache key of a build, made in one place.

A key is a digest of everything an entry or an output was made from, so that an entry
found under its key is right by construction. The keys, from the bottom up:

- `code_digest`: newsgen's own code and the versions of the libraries that shape the
  output; `modules_run_by(PARSING_ROOT)` names the modules a parsed entry depends on,
  derived from the imports of `content.py`, so a change anywhere else keeps the parsed
  articles, and `modules_run_by(MARKUP_ROOT)` those a converted body depends on;
- `source_key`: a content file's name, its bytes and the parsing salt (`parsing_salt`);
- `body_key`: a body's Markdown text and the Markdown salt (`body_salt`): a release of
  newsgen that changes how front matter is read, or anything but the Markdown code,
  converts no body again;
- `front_key`: an article's front matter alone, so that a body edit leaves its cards';
- `ArticleKeys`: per published article, the key of its card (every field but the body)
  and of the whole article, with what assembly derived from the whole site;
- `tree_digest` and `static_key`: templates and static files;
- `image_key`: a processed image's files, from its bytes, the image settings and the
  imaging code (`modules_run_by(IMAGING_ROOT)`) with Pillow's version;
- `unit_key`: a unit of output, from what the unit declares it shows (`pages.py`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from .models import quick_pickle

if TYPE_CHECKING:
    from .config import SiteConfig
    from .imaging import ImageSettings
    from .models import Article, FrontMatter

PACKAGE = Path(__file__).parent
# The modules whose imports, followed to the end, are all the code that parses a file,
# and all the code that converts a body's Markdown to HTML.
PARSING_ROOT = "content"
MARKUP_ROOT = "markup"
IMAGING_ROOT = "imaging"
# The libraries whose versions shape the output, a parsed entry, and a converted body
# (python-slugify makes the subheadings' ids).
OUTPUT_LIBRARIES = ("markdown", "jinja2", "pyyaml", "python-slugify", "babel")
PARSING_LIBRARIES = ("markdown", "pyyaml", "python-slugify")
MARKUP_LIBRARIES = ("markdown", "python-slugify")
IMAGING_LIBRARIES = ("pillow",)


def digest(*parts: bytes | str) -> str:
    """A hex digest of the parts, each length-prefixed so that ('ab', 'c') != ('a', 'bc')."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


# `from .x import …` and `from . import x, y` anywhere in a module's text. A regular
# expression, not `ast`: parsing the modules cost every build 20 ms, and a match inside a
# string can only add a module (its change then keys parsed entries too), never miss one.
_RELATIVE_IMPORT = re.compile(r"^[ \t]*from \.(\w*) import (\([^)]*\)|[^\n]*)", re.MULTILINE)


def _package_imports(module: str) -> set[str]:
    """The newsgen modules `module` imports anywhere in its text (at the top or inside a
    function), by name."""
    found = set()
    for imported in _RELATIVE_IMPORT.finditer((PACKAGE / f"{module}.py").read_text("utf-8")):
        if imported.group(1):
            found.add(imported.group(1))
        else:  # `from . import x`
            found.update(re.findall(r"\w+", imported.group(2).split("#")[0]))
    return {name for name in found if (PACKAGE / f"{name}.py").is_file()}


@cache
def modules_run_by(root: str) -> tuple[str, ...]:
    """Every module that `root` runs, as file names: `root.py` and everything it imports,
    followed to the end."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += _package_imports(module) - seen
    return tuple(sorted(f"{name}.py" for name in seen))


def code_digest(modules: Iterable[str] | None = None,
                libraries: Sequence[str] = OUTPUT_LIBRARIES) -> str:
    """newsgen's own code (all of it, or the named modules) and the versions of the
    libraries that shape the output, so that an upgrade never serves pages made by the
    previous version."""
    wanted = set(modules) if modules is not None else None
    parts: list[bytes | str] = []
    for name, code in _package_code():
        if wanted is None or name in wanted:
            parts += [name, code]
    parts += [_library_version(name) for name in libraries]
    return digest(*parts)


@cache  # a process runs the code it started with, whatever happens to the files after
def _package_code() -> tuple[tuple[str, bytes], ...]:
    return tuple((path.name, path.read_bytes()) for path in sorted(PACKAGE.rglob("*.py")))


@cache
def _library_version(name: str) -> str:
    """`name=version` of an installed library, or `name` when it is not installed."""
    found = _installed_versions().get(_project_name(name))
    if found is not None:
        return f"{name}={found}"
    from importlib.metadata import PackageNotFoundError, version  # other install layouts

    try:
        return f"{name}={version(name)}"
    except PackageNotFoundError:
        return name


@cache
def _installed_versions() -> dict[str, str]:
    """Project name -> version of each library installed as a wheel installs it: a folder
    `{name}-{version}.dist-info` on `sys.path`, the first one found winning, as for
    imports. Read from the folders' names: importing `importlib.metadata` to ask cost every
    build 40 ms, a tenth of a build that finds nothing to do."""
    versions: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, or a folder that is not there
            continue
        for folder in names:
            if folder.endswith(".dist-info"):
                project, _, version = folder.removesuffix(".dist-info").partition("-")
                if version:
                    versions.setdefault(_project_name(project), version)
    return versions


def _project_name(name: str) -> str:
    """A project's name as packaging compares them: 'Python_Slugify' -> 'python-slugify'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parsing_salt(parsing_code: str, config: SiteConfig) -> str:
    """What a parsed entry depends on besides the file: the parsing code and the config's
    time zone (naive dates) and Markdown safety."""
    return digest(parsing_code, config.timezone, str(config.safe_markdown))


def source_key(salt: str, source: str, file_digest: str) -> str:
    """A content file's key: its name, the digest of its bytes and the parsing salt.

    Hashed as one string, as every build keys every file: the salt and the file's digest
    are hex, and a file's name holds no NUL."""
    text = f"{salt}\0{source}\0{file_digest}"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def body_salt(markup_code: str, safe_markdown: bool) -> str:
    """What a converted body depends on besides its text: the Markdown code and libraries
    (`code_digest(modules_run_by(MARKUP_ROOT), MARKUP_LIBRARIES)`) and Markdown safety."""
    return digest("body", markup_code, str(safe_markdown))


def body_key(salt: str, text: str) -> str:
    """A body's key: its Markdown text and the body salt. The same text in two files, or
    in a file that moved, is converted once."""
    return digest(salt, text)


def front_key(meta: FrontMatter) -> str:
    """An article's front matter, validated: what its cards show."""
    return digest(repr(meta))


def image_salt(settings: ImageSettings) -> str:
    """What every processed image depends on besides its bytes: the settings, the imaging
    code and Pillow's version."""
    return digest("image", repr(settings),
                  code_digest(modules_run_by(IMAGING_ROOT), IMAGING_LIBRARIES))


def image_key(salt: str, file_digest: str, label: str, url_prefix: str,
              focus: tuple[float, float] | None) -> str:
    """A processed image's key: its bytes, its name and its files' URLs (made from it and
    from `url_prefix`), and, for a lead image, its crops' focus."""
    return digest(salt, file_digest, PurePosixPath(label).stem, url_prefix, repr(focus))


def static_key(file_digest: str, label: str) -> str:
    return digest(file_digest, label)


def tree_digest(*roots: Path) -> str:
    """Every file under the roots (templates): names and bytes."""
    parts: list[bytes | str] = []
    for root in roots:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    parts += [path.relative_to(root).as_posix(), path.read_bytes()]
        parts.append("|")
    return digest(*parts)


@quick_pickle
@dataclass(frozen=True, slots=True)
class ArticleKeys:
    """The keys of one published article as pages show it: `card`, every field but the
    body (what a listing or the home page shows), `whole`, the card and the body (the
    article's own page, a feed entry), `link`, its address and last change alone (what a
    sitemap shows), and `headline`, its title, address and section (an archive month's
    list)."""

    card: str
    whole: str
    link: str
    headline: str
    images: str = ""  # its processed images (`Article.images`), which its page shows

    @classmethod
    def of(cls, article: Article, front: str, body: str) -> ArticleKeys:
        """`front`: the front matter's key; `body`: the key the body is stored under."""
        card = digest(front, article.source, article.slug, article.url,
                      article.section.name, article.section.url,
                      *(part for tag in article.tags for part in (tag.name, tag.url)),
                      str(article.meta.template))
        images = digest(*(f"{ref}\0{image.label}\0{image.key}"
                          for ref, image in article.images)) if article.images else ""
        return cls(card, digest(card, body, images), link_key(article.url, article.modified),
                   digest(article.title, article.url, article.section.name), images)

    def with_body(self, body: str) -> ArticleKeys:
        """These keys after an edit of the body alone (its images unchanged)."""
        return ArticleKeys(self.card, digest(self.card, body, self.images), self.link,
                           self.headline, self.images)


def link_key(url: str, modified: dt.datetime | None) -> str:
    return digest(url, repr(modified))


def unit_key(kind: str, identity: Sequence[str], frame: str, templates: str,
             cards: Iterable[str], whole: Iterable[str], links: Iterable[str] = (),
             headlines: Iterable[str] = ()) -> str:
    """A unit of output's key: its kind and identity, the frame (code, config, the
    sections' menu), the digest of its templates, and the keys of the articles it shows,
    as cards, whole, links and headlines. Two units that show different things can never
    share a key.

    Hashed as one string, since a build keys every unit: `kind`, `frame` and `templates`
    hold no separator, `repr` escapes one in the identity, and the article keys are of
    one width."""
    text = "\x1f".join((kind, frame, templates, repr(tuple(identity)), "".join(cards),
                        "".join(whole), "".join(links), "".join(headlines)))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()
