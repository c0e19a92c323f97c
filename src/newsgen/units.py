"""The units a site's output is made of, and what each is made from.

A build is cut into units: each HTML page (each page of a listing too), each feed, each
static file. A unit's key is the digest of everything it can show, so a unit whose key
is unchanged since the last build into an output folder is not rendered again; and the
articles a unit shows are known, so that an edit to one article's body re-renders only
the units that show it.

The site model of the last full build is kept between builds (`SiteSnapshot`), with the
articles' rendered bodies left in the cache (`StoredArticle`) so that a site of 100,000
articles never holds every body in memory."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import partial
from pathlib import Path
from typing import Any, overload

from .cache import CacheDamaged, digest, load_body, read_from_pack, write_pack
from .feeds import FeedSpec, feed_file, feed_specs
from .models import Article, OutputFile, Site
from .render import HOME_SECTION_SIZE, PageRenderer
from .site import page_count


def alias_url(alias: str) -> str:
    """'old/path' and '/old/path/' -> '/old/path/'; a file name such as 'x.html' stays one."""
    path = "/" + alias.strip("/")
    return path if path.endswith((".html", ".htm")) else path + "/"


def render_pages(renderer: PageRenderer) -> Iterator[Callable[[], OutputFile | list[OutputFile]]]:
    """One call per HTML page (each page of a listing too), so that a template error in
    one page is reported and the others still render, and an edit re-renders only the
    listing pages that show the edited article."""
    site, per_page = renderer.site, renderer.config.per_page
    for index in range(len(site.articles)):
        yield partial(renderer.article, index)
    for section in site.sections:
        for number in range(1, page_count(len(section.articles), per_page) + 1):
            yield partial(renderer.section, section, number)
    for tag in site.tags:
        for number in range(1, page_count(len(tag.articles), per_page) + 1):
            yield partial(renderer.tag, tag, number)
    yield renderer.tags_index
    yield renderer.home
    yield renderer.not_found
    for article in site.articles:
        for alias in article.meta.aliases:
            yield partial(renderer.redirect, alias_url(alias), article.url, article.source)


@dataclass
class BodyStore:
    """Where the rendered bodies of a build's articles are: the cache folder, and each
    article's locator in it. Shared by all the articles of one site model; the locators
    are not pickled with the site (they change with every edit; the output record keeps
    them)."""

    cache_dir: Path
    locators: dict[str, str] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, ...]:
        return (BodyStore, (Path(),))  # the loading cache attaches its own folder

    def body(self, source: str) -> str:
        html = load_body(self.cache_dir, self.locators.get(source, ""))
        if html is None:
            raise CacheDamaged(f"the cached body of {source} is missing")
        return html


class _BodyFromCache:
    """`StoredArticle.body_html`: read from the cache each time a template or feed asks."""

    def __get__(self, article: StoredArticle | None, owner: type | None = None) -> Any:
        if article is None:
            return self
        return article.bodies.body(article.source)

    def __set__(self, article: StoredArticle, value: str) -> None:
        pass  # the body lives in the cache, not in the article


@dataclass(frozen=True, slots=True)
class StoredArticle(Article):
    """An article whose rendered body stays in the cache until it is shown, so that a
    site of 100,000 articles never holds every body in memory."""

    bodies: BodyStore = field(default_factory=lambda: BodyStore(Path()), compare=False,
                              repr=False)

    @classmethod
    def of(cls, article: Article, bodies: BodyStore) -> StoredArticle:
        values = {name: getattr(article, name) for name in _ARTICLE_FIELDS}
        return cls(**values, bodies=bodies)

    # Pickled without its body (asking for it would read it from the cache).
    def __getstate__(self) -> list[Any]:
        return [getattr(self, name) for name in _STORED_FIELDS]

    def __setstate__(self, state: list[Any]) -> None:
        for name, value in zip(_STORED_FIELDS, state, strict=True):
            object.__setattr__(self, name, value)


StoredArticle.body_html = _BodyFromCache()  # type: ignore[assignment,misc]
_ARTICLE_FIELDS = tuple(f.name for f in fields(Article))  # looked up once, not per article
_STORED_FIELDS = tuple(f.name for f in fields(StoredArticle) if f.name != "body_html")


def article_digest(article: Article, key: str) -> str:
    """An article's source key (which decides its front matter and body) with what
    assembly derived from the whole site (URL, section and tag names, template fallback)."""
    return digest(key, article.slug, article.url, repr(article.section), repr(article.tags),
                  str(article.meta.template))


def unit_key(call: Callable[[], Any], renderer: PageRenderer, article_keys: Sequence[str],
             nav: str) -> tuple[str | None, tuple[int, ...]]:
    """The key of one page unit (a digest of everything its templates can reach), and the
    articles whose digests are in it."""
    site, config = renderer.site, renderer.config
    func = getattr(call, "func", call)
    name = getattr(func, "__name__", "")
    args: tuple[Any, ...] = getattr(call, "args", ())
    if name == "article":
        shown = (args[0], *renderer.related[args[0]])
        return digest(nav, renderer.templates_of(name, args), "article",
                      *(article_keys[i] for i in shown)), shown
    if name in ("section", "tag"):
        listed, number = args
        # A listing page shows its own items, the listing's names and its page count.
        per_page = config.per_page
        shown = listed.articles[(number - 1) * per_page:number * per_page]
        return digest(nav, renderer.templates_of(name, args), name, listed.name, listed.slug,
                      listed.url, getattr(listed, "description", ""),
                      str(len(listed.articles)), str(number),
                      *(article_keys[i] for i in shown)), shown
    if name == "tags_index":
        return digest(nav, renderer.templates_of(name, args), name, repr(site.tags)), ()
    if name == "home":
        on_home = set(range(min(config.per_page, len(site.articles))))
        for section in site.sections:
            on_home.update(section.articles[:HOME_SECTION_SIZE])
        shown = tuple(sorted(on_home))
        return digest(nav, renderer.templates_of(name, args), name,
                      *(article_keys[i] for i in shown)), shown
    if name in ("not_found", "redirect"):
        return digest(nav, renderer.templates_of(name, args), name, repr(args)), ()
    if name == "feed_file":  # no template: its title and entries
        spec: FeedSpec = args[2]
        return digest(nav, "feed", spec.path, spec.title,
                      *(article_keys[i] for i in spec.items)), spec.items
    return None, ()  # a kind of unit this engine does not know: always rendered


def output_units(renderer: PageRenderer) -> list[tuple[str, Callable[[], Any]]]:
    """(stable id, render call) of every HTML page unit, in `render_pages` order, then of
    every feed."""
    units = []
    for position, call in enumerate(render_pages(renderer)):
        func = getattr(call, "func", call)
        name = getattr(func, "__name__", "page")
        args: tuple[Any, ...] = getattr(call, "args", ())
        if name == "article":
            ident = "article:" + renderer.site.articles[args[0]].source
        elif name in ("section", "tag"):
            ident = f"{name}:{args[0].slug}:{args[1]}"
        elif args:
            ident = f"{name}:{args[0]}"
        else:
            ident = f"{name}:{position}" if name == "page" else name
        units.append((ident, call))
    config, site = renderer.config, renderer.site
    units += [("feed:" + spec.path, partial(feed_file, config, site, spec))
              for spec in feed_specs(config, site)]
    return units


class LazyArticles(Sequence[Article]):
    """A saved snapshot's articles, each read from its pack and unpickled when a page first
    asks for it: a rebuild after one edit reads the few articles its pages show, not all."""

    def __init__(self, pack: Path, locators: list[str], bodies: BodyStore) -> None:
        self._pack = str(pack)
        self._locators = locators
        self._loaded: dict[int, Article] = {}
        self._bodies = bodies

    def __len__(self) -> int:
        return len(self._locators)

    @overload
    def __getitem__(self, index: int) -> Article: ...

    @overload
    def __getitem__(self, index: slice) -> list[Article]: ...

    def __getitem__(self, index: int | slice) -> Article | list[Article]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self._locators)
        article = self._loaded.get(index)
        if article is None:
            data = read_from_pack(self._pack, self._locators[index])
            if data is None:
                raise CacheDamaged(f"article {index} of the site snapshot is missing")
            article = pickle.loads(data)
            object.__setattr__(article, "bodies", self._bodies)  # the snapshot's, shared
            self._loaded[index] = article
        return article


@dataclass
class SiteSnapshot:
    """The site model of the last full build into an output folder, kept (in the cache, and
    in memory by the dev server) so that a rebuild after edits to articles' bodies only,
    the usual edit, touches those articles' pages and nothing else."""

    ident: str  # named by the output record it goes with
    site: Site  # of `StoredArticle`s sharing `bodies`
    bodies: BodyStore
    related: tuple[tuple[int, ...], ...]
    index: dict[str, int]  # source -> article index, of published articles
    depends: dict[int, list[str]]  # article index -> page units whose key includes it
    # Where the articles were saved: a pack in the cache's articles/ folder.
    articles_pack: str = ""
    article_locators: list[str] = field(default_factory=list)

    def write_articles(self, pack: Path) -> None:
        """Save the articles, each pickled on its own, before the rest is pickled."""
        if isinstance(self.site.articles, LazyArticles):
            raise ValueError("a loaded snapshot is saved already")
        self.article_locators = write_pack(
            pack, (pickle.dumps(a, pickle.HIGHEST_PROTOCOL) for a in self.site.articles))
        self.articles_pack = pack.name

    def __getstate__(self) -> dict[str, Any]:
        if not self.articles_pack:
            raise ValueError("write_articles() first")
        return {**self.__dict__, "site": replace(self.site, articles=())}

    def attach(self, cache_dir: Path) -> None:
        """After loading: the articles and bodies are read from this cache folder."""
        self.bodies.cache_dir = cache_dir
        articles = LazyArticles(cache_dir / "articles" / self.articles_pack,
                                self.article_locators, self.bodies)
        self.site = replace(self.site, articles=articles)  # type: ignore[arg-type]


def unit_call(renderer: PageRenderer, ident: str, index: dict[str, int]) -> Callable[[], Any]:
    """The render call of an article, listing, home page or feed unit, from its
    `output_units` id."""
    kind, _, rest = ident.partition(":")
    if kind == "article":
        return partial(renderer.article, index[rest])
    if kind in ("section", "tag"):
        slug, number = rest.rsplit(":", 1)
        listings = renderer.site.sections if kind == "section" else renderer.site.tags
        listed = next(item for item in listings if item.slug == slug)
        return partial(getattr(renderer, kind), listed, int(number))
    if ident == "home":
        return renderer.home
    if kind == "feed":
        spec = next(spec for spec in feed_specs(renderer.config, renderer.site)
                    if spec.path == rest)
        return partial(feed_file, renderer.config, renderer.site, spec)
    raise ValueError(f"no unit {ident}")
