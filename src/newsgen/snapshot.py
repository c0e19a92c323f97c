"""The site model kept between builds, and the body store its articles read from.

The site model of the last full build into an output folder is kept (`SiteSnapshot`), in
the cache and in memory by the dev server, with the articles' rendered bodies left in the
cache (`StoredArticle`), so that a site of 100,000 articles never holds every body in
memory, and a rebuild after an edit reads only the few articles its pages show."""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, overload

from .cache import CacheDamaged, load_body, read_from_pack, write_pack
from .models import Article, Site


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
    units: list[Any]  # `pages.Unit`s, in order
    depends: dict[int, list[int]]  # article index -> positions of the units that show it
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
