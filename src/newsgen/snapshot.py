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
from .embeds import page_embeds
from .images import page_body
from .models import Article, Site


@dataclass
class BodyStore:
    """Where the rendered bodies of a build's articles are: the cache folder, and each
    article's locator in it, and the site's language, which the players of embedded posts
    are labelled in. Shared by all the articles of one site model; the locators are not
    pickled with the site (they change with every edit; the output record keeps them)."""

    cache_dir: Path
    locators: dict[str, str] = field(default_factory=dict)
    language: str = "en"

    def __reduce__(self) -> tuple[Any, ...]:
        # The loading cache attaches its own folder.
        return (BodyStore, (Path(), {}, self.language))

    def body(self, source: str) -> str:
        html = load_body(self.cache_dir, self.locators.get(source, ""))
        if html is None:
            raise CacheDamaged(f"the cached body of {source} is missing")
        return html


class _BodyFromCache:
    """`StoredArticle.body_html`: read from the cache each time a template or feed asks,
    its local images offered as `images.page_body` makes them, its posts and videos as
    `embeds.page_embeds` shows them."""

    def __get__(self, article: StoredArticle | None, owner: type | None = None) -> Any:
        if article is None:
            return self
        bodies = article.bodies
        return page_embeds(page_body(bodies.body(article.source), article.images),
                           bodies.language)

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

    def __init__(self, folder: Path, locators: list[str], bodies: BodyStore) -> None:
        self._folder = str(folder) + "/"
        self._locators = locators  # 'pack:offset:length' each
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
            pack, _, where = self._locators[index].partition(":")
            data = read_from_pack(self._folder + pack, where)
            if data is None:
                raise CacheDamaged(f"article {index} of the site snapshot is missing")
            article = pickle.loads(data)
            object.__setattr__(article, "bodies", self._bodies)  # the snapshot's, shared
            self._loaded[index] = article
        return article

    def arranged(self, order: Sequence[int], new: Sequence[Article]) -> LazyArticles:
        """These articles in `order` (`site.arranged`), none of them read."""
        result = LazyArticles(Path(self._folder), [self._locators[i] if i >= 0 else ""
                                                   for i in order], self._bodies)
        result._loaded = {at: new[~i] if i < 0 else self._loaded[i]
                          for at, i in enumerate(order) if i < 0 or i in self._loaded}
        return result


@dataclass
class SiteSnapshot:
    """The site model of the last build into an output folder, kept (in the cache, and in
    memory by the dev server) so that a rebuild after edits to a few articles brings it up
    to date (`site.reassemble`) instead of assembling every article again."""

    ident: str  # named by the output record it goes with
    site: Site  # of `StoredArticle`s sharing `bodies`
    bodies: BodyStore
    related: tuple[tuple[int, ...], ...]
    units: list[Any]  # `pages.Unit`s, in order
    # Where each article is saved ('pack:offset:length' in the cache's articles/ folder);
    # '' for an article not saved yet (`write_articles` saves it).
    article_locators: list[str] = field(default_factory=list)
    # article index -> positions of the units showing it whole (`showing_whole`)
    depends: dict[int, list[int]] | None = None
    # For the next build: the units' keys (`pages.KnownKeys`, kept in memory only: a new
    # process makes them again from the units, the output record and `key_frames`) and
    # the redirect manifest this build wrote (good while the output is as this build left
    # it: a patch checks).
    known_keys: Any = None
    key_frames: tuple[str, str] = ("", "")
    manifest: Any = None

    @property
    def index(self) -> dict[str, int]:
        """Source -> article index, of the published articles."""
        return self.site.catalog.index

    def showing_whole(self, index: int) -> list[int]:
        """The positions of the units that show article `index` whole: the only units an
        edit of its body alone can change. Worked out on first use."""
        if self.depends is None:
            depends: dict[int, list[int]] = {}
            for position, unit in enumerate(self.units):
                for shown in unit.shows().whole:
                    depends.setdefault(shown, []).append(position)
            self.depends = depends
        return self.depends.get(index, [])

    def carry_locators(self, previous: SiteSnapshot, unchanged: set[str]) -> None:
        """Articles saved with the previous snapshot and unchanged since stay where they
        are; only the others are saved again (all of them when the previous snapshot was
        never saved: a dev server saves only when edits pause)."""
        saved = previous.article_locators
        self.article_locators = [
            saved[previous.index[source]]
            if saved and source in unchanged and source in previous.index else ""
            for source in self.site.catalog.sources]

    def write_articles(self, folder: Path, pack_name: str) -> None:
        """Save the articles not saved yet into a new pack, each pickled on its own,
        before the rest is pickled."""
        articles = self.site.articles
        locators = self.article_locators or [""] * len(articles)
        todo = [i for i, locator in enumerate(locators) if not locator]
        if todo:
            written = write_pack(folder / pack_name,
                                 (pickle.dumps(articles[i], pickle.HIGHEST_PROTOCOL)
                                  for i in todo))
            for i, where in zip(todo, written, strict=True):
                locators[i] = f"{pack_name}:{where}"
        self.article_locators = locators

    def packs(self) -> set[str]:
        """The pack files that hold this snapshot's articles."""
        return {locator.partition(":")[0] for locator in self.article_locators}

    def __getstate__(self) -> dict[str, Any]:
        if len(self.article_locators) != len(self.site.articles) or "" in self.article_locators:
            raise ValueError("write_articles() first")
        self.showing_whole(0)  # saved worked out, so that a loaded snapshot need not
        return {**self.__dict__, "site": replace(self.site, articles=()), "known_keys": None,
                "key_frames": self.known_keys.frames if self.known_keys else self.key_frames}

    def attach(self, cache_dir: Path) -> None:
        """After loading: the articles and bodies are read from this cache folder."""
        self.bodies.cache_dir = cache_dir
        articles = LazyArticles(cache_dir / "articles", self.article_locators, self.bodies)
        self.site = replace(self.site, articles=articles)
