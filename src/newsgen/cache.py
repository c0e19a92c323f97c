"""The build cache: `<site>/.newsgen-cache/`, keyed by content hashes, safe to delete.

What it keeps between builds:

- for each content file, the digest of its bytes (with the file's stat signature, so that
  an untouched file is not read again) and, per digest, the parsed front matter and the
  problems found in it; rendered Markdown bodies are in pack files under `bodies/`,
  read back only where a page or a feed shows it, and indexed by their own key (their
  Markdown text and the Markdown code), so that a file parsed again keeps its body;
- for each output folder, what each unit of output (a page, a listing, the feeds) was
  rendered from (a digest of all its inputs) and the stat signature of every file it
  wrote, so that a unit whose inputs did not change is not rendered again, and a file
  someone changed by hand in the output is.

Every entry is written to a temporary file and renamed into place, and carries a checksum
of its payload that is verified on read: an entry half-written by a crash, or damaged in any
other way, is ignored and rebuilt. A stale entry cannot be used because every key is a
digest of everything the entry was made from, including newsgen's own code.

A `BuildCache` object can be kept by a long-running process (the dev server) and passed
to each build: it then keeps its indexes in memory instead of reading them again."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

from .keys import (
    MARKUP_LIBRARIES,
    MARKUP_ROOT,
    PARSING_LIBRARIES,
    PARSING_ROOT,
    code_digest,
    digest,
    modules_run_by,
)
from .models import quick_pickle

CACHE_DIR = ".newsgen-cache"
FORMAT = b"newsgen-cache-8\n"  # raised whenever the layout of an entry changes
CHECKSUM_SIZE = 16
SHARDS = "0123456789abcdef"
# A file changed within this many seconds of being looked at may change again without its
# stat signature changing (timestamps have a coarse tick), so its digest is not trusted.
RACY_SECONDS = 2.0

T = TypeVar("T")
Stamp = tuple[int, int, int, int]  # inode, size, mtime in ns, ctime in ns


def stamp_of(stat: os.stat_result) -> Stamp:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _seal(payload: bytes) -> tuple[bytes, bytes, bytes]:
    return FORMAT, hashlib.blake2b(payload, digest_size=CHECKSUM_SIZE).digest(), payload


def _unseal(data: bytes) -> memoryview | None:
    """The payload of a sealed entry, or None when it is truncated or damaged."""
    head = len(FORMAT) + CHECKSUM_SIZE
    if len(data) < head or not data.startswith(FORMAT):
        return None
    payload = memoryview(data)[head:]  # no copy of a large index
    if hashlib.blake2b(payload, digest_size=CHECKSUM_SIZE).digest() != data[len(FORMAT):head]:
        return None
    return payload


def write_atomically(path: Path, *data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the new one, never half.
    Several parts are written one after the other (no copy of a large payload is made)."""
    _write_parts(path, data)


def _write_parts(path: Path, parts: Iterable[bytes]) -> None:
    def write(handle: BinaryIO) -> None:
        for part in parts:
            handle.write(part)

    _write_file(path, write)


class _Sealing:
    """The file a pickle is written into, hashed on the way (see `_seal`)."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.hash = hashlib.blake2b(digest_size=CHECKSUM_SIZE)

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return self.handle.write(data)


def write_pickled(path: Path, value: Any) -> None:
    """`value` pickled and sealed into `path`, as `write_atomically(path, *_seal(...))`
    writes it, but streamed: an index of 100,000 articles is never also held whole in
    memory as bytes."""
    def write(handle: BinaryIO) -> None:
        handle.write(FORMAT + bytes(CHECKSUM_SIZE))
        sealing = _Sealing(handle)
        pickle.dump(value, sealing, pickle.HIGHEST_PROTOCOL)
        handle.seek(len(FORMAT))
        handle.write(sealing.hash.digest())

    _write_file(path, write)


def _write_file(path: Path, write: Callable[[BinaryIO], None]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        handle = open(temporary, "wb")  # noqa: SIM115 - closed by the `with` below
    except FileNotFoundError:  # the folder's first entry: make it only then
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(temporary, "wb")  # noqa: SIM115
    try:
        with handle:
            write(handle)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_sealed(path: Path) -> memoryview | None:
    try:
        return _unseal(path.read_bytes())
    except OSError:
        return None


def write_pack(path: Path, items: Iterable[bytes]) -> list[str]:
    """Write items one after the other into one file, each sealed on its own (a damaged
    pack is detected item by item), and return each one's locator ('offset:length').
    Items are written as they come: a pack of 100,000 articles is never in memory."""
    locators: list[str] = []
    offset = 0

    def sealed() -> Iterator[bytes]:
        nonlocal offset
        for item in items:
            data = b"".join(_seal(item))
            locators.append(f"{offset}:{len(data)}")
            offset += len(data)
            yield data

    _write_parts(path, sealed())
    return locators


def read_from_pack(path: Path | str, locator: str) -> bytes | None:
    """An item written by `write_pack`, or None when the pack is gone or damaged."""
    try:
        offset, length = locator.split(":")
        with open(path, "rb") as handle:
            handle.seek(int(offset))
            payload = _unseal(handle.read(int(length)))
    except (OSError, ValueError):
        return None
    return None if payload is None else bytes(payload)


def store_bodies(cache_dir: Path, keys: Sequence[str], bodies: Sequence[str]) -> list[str]:
    """Store rendered bodies together in one pack file and return a locator for each.

    Creating a file costs far more than writing to one on the disks seen here (a quarter
    to half a millisecond each), so the bodies parsed together share a pack."""
    if not bodies:
        return []
    pack = digest(*keys)
    path = cache_dir / "bodies" / pack
    if path.exists():  # the same keys: the same bodies, already stored
        offsets, offset = [], 0
        for html in bodies:
            size = len(b"".join(_seal(html.encode("utf-8"))))
            offsets.append(f"{offset}:{size}")
            offset += size
    else:
        offsets = write_pack(path, (html.encode("utf-8") for html in bodies))
    return [f"{pack}:{where}" for where in offsets]


def load_body(cache_dir: Path, locator: str) -> str | None:
    """A body stored by `store_bodies`, or None when its pack is gone or damaged."""
    pack, _, where = locator.partition(":")
    data = read_from_pack(f"{cache_dir}{os.sep}bodies{os.sep}{pack}", where)
    return None if data is None else str(data, "utf-8")


@quick_pickle
@dataclass(frozen=True, slots=True)
class UnitRecord:
    """What one unit of output was made from (its key) and the files it wrote, each as
    (output path, what made it)."""

    key: str  # DEFERRED: its files are an earlier build's, to be made again next build
    files: tuple[tuple[str, str], ...]

    DEFERRED = ""

    @property
    def deferred(self) -> bool:
        return self.key == self.DEFERRED


@dataclass
class OutputRecord:
    """What one output folder holds, as the last successful build left it, and what that
    build was made from."""

    units: dict[str, UnitRecord] = field(default_factory=dict)  # by the unit's ident
    stamps: dict[str, Stamp] = field(default_factory=dict)  # output path -> stamp after writing
    # A digest of every input but the content and static files (code, config, options,
    # templates), and each content and static file's key: the same again, with the output
    # untouched, need no build at all.
    frame: str = ""
    keys: dict[str, str] = field(default_factory=dict)  # content file -> key
    statics: dict[str, str] = field(default_factory=dict)  # static file's output path -> key
    # The build's reference time, and the first moment after it at which the published
    # site changes by itself (an embargo lifts, an article leaves the news sitemap's window).
    built_at: Any = None
    stable_until: Any = None
    schedule: Any = None  # `site.Schedule`: what can still come due after `built_at`
    result: Any = None
    # For patches (see `build.py`): each published article's body locator and keys (by
    # index, `keys.ArticleKeys`), and which snapshot of the site model they go with.
    locators: dict[str, str] = field(default_factory=dict)
    article_keys: list[Any] = field(default_factory=list)
    snapshot: str = ""
    # Each image file the published articles show (label -> digest of its bytes): a change
    # to one is a full build's (`images.py`).
    images: dict[str, str] = field(default_factory=dict)
    # `units`, `locators` and `article_keys` are saved apart (`BuildCache.complete_record`):
    # a build that finds nothing to do never reads them. `details` names the saving they
    # belong to ("<whole saving>:<changes saved after it>"); `complete`: whether they are
    # in this object.
    details: str = ""
    complete: bool = True

    def head(self) -> OutputRecord:
        """This record without the parts saved apart."""
        return replace(self, units={}, locators={}, article_keys=[], complete=False)


class BuildCache:
    """The cache folder of one site, and its indexes in memory between builds."""

    def __init__(self, site_dir: Path, directory: Path | None = None, *,
                 defer_writes: bool = False) -> None:
        self.site_dir = site_dir
        self.dir = directory if directory is not None else site_dir / CACHE_DIR
        # The dev server answers the browser first and saves the indexes after (`flush`).
        self.defer_writes = defer_writes
        self._writes: dict[str, Callable[[], None]] = {}  # name -> write, in order
        self._files: dict[str, tuple[Stamp, str]] | None = None  # path -> stamp, digest
        # key -> (ParsedSource, problems, body locator), one dict per shard (the key's first
        # hex digit), each read from disk only when a key in it is asked for
        self._shards: dict[str, dict[str, Any]] = {}
        self._outputs: dict[str, OutputRecord] = {}
        # Outputs whose last commit this process finished (its record in `_outputs`).
        self._committed: set[str] = set()
        self._snapshots: dict[str, Any] = {}
        self._reused: dict[str, tuple[str, Any]] = {}  # kind -> (key, object)
        self._seen_files: dict[str, tuple[Stamp, str]] = {}
        self._parsed_added: set[str] = set()  # shards with new entries
        self._bodies: dict[str, str] | None = None  # body key -> locator, once read
        # Per output record: its parts saved apart as they are on disk (`_save_record`).
        self._saved_details: dict[str, _SavedDetails] = {}
        self._bodies_added = False

    @property
    def code(self) -> str:
        """The digest of newsgen's code, computed once per cache object."""
        if not hasattr(self, "_code"):
            self._code = code_digest()
        return self._code

    @property
    def parsing_code(self) -> str:
        """The digest of the code that parses content files."""
        if not hasattr(self, "_parsing_code"):
            self._parsing_code = code_digest(modules_run_by(PARSING_ROOT), PARSING_LIBRARIES)
        return self._parsing_code

    @property
    def markup_code(self) -> str:
        """The digest of the code that converts a body's Markdown."""
        if not hasattr(self, "_markup_code"):
            self._markup_code = code_digest(modules_run_by(MARKUP_ROOT), MARKUP_LIBRARIES)
        return self._markup_code

    def clear(self) -> None:
        """Forget everything, on disk and in memory (other tools' folders in the cache
        folder, such as the dev server's output, are left alone)."""
        shutil.rmtree(self.dir / "bodies", ignore_errors=True)
        shutil.rmtree(self.dir / "articles", ignore_errors=True)
        for entry in self.dir.glob("*.pickle*"):
            entry.unlink(missing_ok=True)
        self._files = None
        self._writes = {}
        self._reused = {}
        self._shards = {}
        self._outputs = {}
        self._committed = set()
        self._snapshots = {}
        self._bodies = None
        self._bodies_added = False
        self._saved_details = {}

    def reuse(self, kind: str, key: str, make: Callable[[], T]) -> T:
        """An object that is costly to make (a Jinja environment with its compiled
        templates), kept by this process for as long as `key` stays the same."""
        kept = self._reused.get(kind)
        if kept is not None and kept[0] == key:
            return cast(T, kept[1])
        value = make()
        self._reused[kind] = (key, value)
        return value

    def remember(self, kind: str, key: str, value: Any) -> None:
        """Keep `value` for the next build of this process (`recall`)."""
        self._reused[kind] = (key, value)

    def recall(self, kind: str, key: str) -> Any:
        kept = self._reused.get(kind)
        return kept[1] if kept is not None and kept[0] == key else None

    def carry_files(self, paths: Iterable[str]) -> None:
        """Keep the file index's entries of files this build knows to be unchanged
        without looking at them (the dev server's watcher saw no change to them)."""
        assert self._files is not None
        for path in paths:
            known = self._files.get(path)
            if known is not None:
                self._seen_files[path] = known

    # -- content files ------------------------------------------------------------

    def _load_index(self, name: str) -> Any:
        payload = read_sealed(self.dir / name)
        if payload is None:
            return None
        try:
            return pickle.loads(payload)
        except Exception:  # a damaged or older entry is only a cold build
            return None

    def _save_index(self, name: str, value: Any) -> None:
        self._later(name, lambda: write_pickled(self.dir / name, value))

    def _later(self, name: str, write: Callable[[], None]) -> None:
        self._writes.pop(name, None)  # a newer write of the same thing replaces it, last
        self._writes[name] = write
        if not self.defer_writes:
            self.flush()

    def flush(self) -> None:
        """Save what the builds left to save, in the order they left it."""
        writes, self._writes = self._writes, {}
        for write in writes.values():
            write()

    def begin(self) -> None:
        """Start a build: load the file index once per process."""
        if self._files is None:
            loaded = self._load_index("files.pickle")
            self._files = loaded if isinstance(loaded, dict) else {}
        self._seen_files = {}

    def _shard(self, name: str) -> dict[str, Any]:
        shard = self._shards.get(name)
        if shard is None:
            loaded = self._load_index(f"parsed-{name}.pickle")
            shard = self._shards[name] = loaded if isinstance(loaded, dict) else {}
        return shard

    def file_digest(self, path: Path | str, data: bytes | None = None,
                    stat: os.stat_result | None = None) -> tuple[str, bytes | None]:
        """The digest of a file's bytes, and the bytes when they had to be read.

        An unchanged stat signature means an unchanged file, except for a file modified so
        recently that a second change could keep the same signature (then it is read).
        `stat` is the file's, when the caller has just taken it."""
        assert self._files is not None
        name = str(path)
        stat = stat if stat is not None else os.stat(path)
        stamp = stamp_of(stat)
        known = self._files.get(name)
        if data is None and known is not None and known[0] == stamp:
            self._seen_files[name] = known
            return known[1], None
        if data is None:
            with open(path, "rb") as handle:
                data = handle.read()
        value = digest(data)
        if time.time() - stat.st_mtime > RACY_SECONDS:
            self._seen_files[name] = (stamp, value)
        return value, data

    @property
    def knows_parsed(self) -> bool:
        """Whether any parsed article is cached (if none, hashing files first is wasted)."""
        return any(self._shards.values()) or any(
            (self.dir / f"parsed-{name}.pickle").exists() for name in SHARDS)

    def remember_file(self, path: Path | str, stat: os.stat_result, value: str) -> None:
        """Record a file's digest computed elsewhere (by a worker), for its stat signature."""
        if time.time() - stat.st_mtime > RACY_SECONDS:
            self._seen_files[str(path)] = (stamp_of(stat), value)

    def parsed(self, key: str) -> Any:
        """The entry parsed from a file with this key, or None (its body is checked when it
        is read: CacheDamaged)."""
        return self._shard(key[0]).get(key)

    def remember_parsed(self, key: str, entry: Any) -> None:
        self._shard(key[0])[key] = entry
        self._parsed_added.add(key[0])

    # -- converted bodies ---------------------------------------------------------

    def known_bodies(self) -> dict[str, str]:
        """Every converted body the cache holds, as body key -> locator (`keys.body_key`):
        a file parsed again because its front matter or newsgen's parsing code changed, or
        because it moved, keeps its body without converting the Markdown again."""
        if self._bodies is None:
            loaded = self._load_index("bodies.pickle")
            self._bodies = loaded if isinstance(loaded, dict) else {}
        return self._bodies

    def remember_body(self, key: str, locator: str) -> None:
        bodies = self.known_bodies()
        if bodies.get(key) != locator:
            bodies[key] = locator
            self._bodies_added = True

    # -- output folders -----------------------------------------------------------

    def _output_name(self, out_dir: Path) -> str:
        return f"output-{digest(str(out_dir.absolute()))[:16]}.pickle"

    def output_record(self, out_dir: Path) -> OutputRecord:
        """What the last build left in `out_dir`; empty when unknown or when a commit into
        it was interrupted (then nothing there can be trusted)."""
        name = self._output_name(out_dir)
        if name in self._committed:  # by this process: right, whether saved yet or not
            return self._outputs[name]
        if (self.dir / (name + ".pending")).exists():
            self._outputs.pop(name, None)
            return OutputRecord()
        if name not in self._outputs:
            loaded = self._load_index(name)
            self._outputs[name] = loaded if isinstance(loaded, OutputRecord) else OutputRecord()
        return self._outputs[name]

    def complete_record(self, out_dir: Path) -> OutputRecord:
        """`output_record(out_dir)` with the parts saved apart read in; empty when they are
        gone or belong to another saving (then nothing there can be trusted)."""
        record = self.output_record(out_dir)
        if not record.complete:
            name = self._output_name(out_dir)
            details = self._load_details(name, record.details)
            if details is None:
                record = OutputRecord()
            else:
                record = replace(record, units=details.units, locators=details.locators,
                                 article_keys=details.article_keys, complete=True)
                self._saved_details[name] = details
            self._outputs[name] = record
        return record

    def _load_details(self, name: str, reference: str) -> _SavedDetails | None:
        """The parts of a record saved apart: the full saving `reference` names, with the
        changes each later patch saved applied in order."""
        base, _, count = reference.partition(":")
        loaded = self._load_index(_details_name(name))
        if not (isinstance(loaded, tuple) and len(loaded) == 4 and loaded[0] == base
                and count.isdigit()):
            return None
        details = _SavedDetails(base, 0, *loaded[1:])
        for number in range(1, int(count) + 1):
            change = self._load_index(_details_name(name, number))
            if not (isinstance(change, DetailsChange) and change.base == base
                    and change.number == number):
                return None
            details = change.applied_to(details)
        return details

    def snapshot(self, out_dir: Path, ident: str) -> Any:
        """The site snapshot saved with the last build into `out_dir`, if it is `ident`.

        A snapshot is any object with `ident`, `write_articles(folder, pack_name)` (called
        before it is pickled: its articles go to packs of their own, read back one by one),
        `packs()` (the names of the packs it uses) and `attach(cache_dir)` (called after it
        is loaded)."""
        name = self._output_name(out_dir)
        snapshot = self._snapshots.get(name)
        if snapshot is None:
            snapshot = self._load_index(name.replace(".pickle", ".site.pickle"))
            if snapshot is not None and getattr(snapshot, "ident", None) == ident:
                snapshot.attach(self.dir)
        if snapshot is None or getattr(snapshot, "ident", None) != ident:
            return None
        self._snapshots[name] = snapshot
        return snapshot

    def _save_snapshot(self, name: str, snapshot: Any) -> None:
        folder = self.dir / "articles"
        snapshot.write_articles(folder, f"{name}-{snapshot.ident}")
        write_pickled(self.dir / name.replace(".pickle", ".site.pickle"), snapshot)
        used = snapshot.packs()
        for older in folder.glob(f"{name}-*"):
            if older.name not in used:
                older.unlink(missing_ok=True)

    def commit_starting(self, out_dir: Path) -> None:
        name = self._output_name(out_dir)
        self._committed.discard(name)
        write_atomically(self.dir / (name + ".pending"), b"")

    def commit_done(self, out_dir: Path, record: OutputRecord, snapshot: Any = None) -> None:
        """Record a finished commit into `out_dir`, with a new site snapshot (a full build)
        or keeping the one the record names (a rebuild of a few articles)."""
        name = self._output_name(out_dir)
        if snapshot is not None:
            self._snapshots[name] = snapshot
            self._later(name.replace(".pickle", ".site.pickle"),
                        lambda: self._save_snapshot(name, snapshot))
        record = replace(record, complete=True)
        self._outputs[name] = record
        self._committed.add(name)
        self._later(name, lambda: self._save_record(name, record))
        self._later(name + ".done", lambda: self._commit_saved(name, out_dir))

    def _save_record(self, name: str, record: OutputRecord) -> None:
        """Save a record: the parts saved apart as what changed since their last saving
        (a patch changes a few of 14,000 units: writing them all took 0.17 s), or whole
        when much changed or the changes pile up; then the rest, naming that saving."""
        saved = self._saved_details.get(name)
        change = (DetailsChange.between(saved, record)
                  if saved is not None and saved.count < MAX_DETAILS_CHANGES else None)
        if change is None:
            base = digest(name, repr(time.time_ns()), str(os.getpid()))
            for older in self.dir.glob(_details_name(name, "*")):
                older.unlink(missing_ok=True)
            write_pickled(self.dir / _details_name(name),
                          (base, record.units, record.locators, record.article_keys))
            saved = _SavedDetails(base, 0, record.units, record.locators, record.article_keys)
        else:
            write_pickled(self.dir / _details_name(name, change.number), change)
            saved = _SavedDetails(change.base, change.number, record.units, record.locators,
                                  record.article_keys)
        self._saved_details[name] = saved
        write_pickled(self.dir / name,
                      replace(record.head(), details=f"{saved.base}:{saved.count}"))

    def _commit_saved(self, name: str, out_dir: Path) -> None:
        (self.dir / (name + ".path")).write_text(str(out_dir.absolute()), encoding="utf-8")
        (self.dir / (name + ".pending")).unlink(missing_ok=True)
        # Records of output folders that are gone (`newsgen check` builds into temporary ones).
        for label in self.dir.glob("output-*.pickle.path"):
            try:
                gone = not Path(label.read_text(encoding="utf-8")).exists()
            except OSError:
                gone = True
            if gone:
                self._delete_record(label.name.removesuffix(".path"))
                label.unlink(missing_ok=True)

    def forget_output(self, out_dir: Path) -> None:
        name = self._output_name(out_dir)
        self._outputs.pop(name, None)
        self._committed.discard(name)
        self._snapshots.pop(name, None)
        self._saved_details.pop(name, None)
        self._delete_record(name)

    def _delete_record(self, name: str) -> None:
        """Every file of one output record: the record, its parts saved apart and their
        changes, the site snapshot and its articles."""
        (self.dir / name).unlink(missing_ok=True)
        for details in self.dir.glob(_details_name(name, "*")):
            details.unlink(missing_ok=True)
        (self.dir / _details_name(name)).unlink(missing_ok=True)
        (self.dir / name.replace(".pickle", ".site.pickle")).unlink(missing_ok=True)
        for pack in self.dir.glob(f"articles/{name}-*"):
            pack.unlink(missing_ok=True)

    def finish(self, live: set[str]) -> None:
        """Save the indexes, keeping only the files this build looked at and the parsed
        entries of `live` keys (so that the cache does not grow with every edit). A shard
        of parsed entries is rewritten only when it gained or lost an entry; one that was
        not read is left as it is, except on every fiftieth build, which reads them all
        and also deletes the body packs that no live entry uses."""
        if self._seen_files != self._files:
            self._files = dict(self._seen_files)
            self._save_index("files.pickle", self._files)
        bodies = self.dir / "bodies"
        prune = bool(live) and bodies.is_dir() and _should_prune(bodies)
        if prune:
            for name in SHARDS:
                self._shard(name)
        for name, shard in self._shards.items():
            stale = [key for key in shard if key not in live]
            for key in stale:
                del shard[key]
            if stale or name in self._parsed_added:
                self._save_index(f"parsed-{name}.pickle", shard)
        self._parsed_added = set()
        if prune:
            self._prune_bodies(bodies)
        if self._bodies_added:
            self._save_index("bodies.pickle", self.known_bodies())
            self._bodies_added = False

    def _prune_bodies(self, bodies: Path) -> None:
        """Delete the body packs that no live parsed entry uses, and forget their bodies."""
        # A pack lives while one body in it belongs to a live entry.
        packs = {entry.body.split(":")[0] for shard in self._shards.values()
                 for entry in shard.values() if entry.body}
        known = self.known_bodies()
        for key in [key for key, locator in known.items()
                    if locator.split(":")[0] not in packs]:
            del known[key]
            self._bodies_added = True
        for entry in bodies.iterdir():
            if entry.name in packs or entry.name.startswith("."):
                continue
            if entry.is_dir():  # left by an older layout of the cache
                shutil.rmtree(entry, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):  # pruning is tidying, never a failure
                    entry.unlink(missing_ok=True)


def _details_name(record_name: str, change: int | str | None = None) -> str:
    """Where the parts of a record saved apart are: whole, or the `change`-th change to them."""
    suffix = ".units.pickle" if change is None else f".units-{change}.pickle"
    return record_name.replace(".pickle", suffix)


MAX_DETAILS_CHANGES = 32  # changes saved since the whole, before the whole is saved again


@dataclass(frozen=True)
class _SavedDetails:
    """The parts of an output record saved apart, as they are on disk: the full saving
    (`base`), the number of changes saved after it, and the values they make."""

    base: str
    count: int
    units: dict[str, UnitRecord]
    locators: dict[str, str]
    article_keys: list[Any]


@dataclass(frozen=True)
class DetailsChange:
    """What one saving changed in the parts of a record saved apart: the `number`-th change
    after the full saving `base`. `article_keys`: by position, or all of them (None in
    `keys_at`) when their number changed."""

    base: str
    number: int
    units: dict[str, UnitRecord]
    units_gone: tuple[str, ...]
    locators: dict[str, str]
    locators_gone: tuple[str, ...]
    keys_at: dict[int, Any] | None
    all_keys: list[Any]

    @classmethod
    def between(cls, saved: _SavedDetails, record: OutputRecord) -> DetailsChange | None:
        """The change from `saved` to `record`; None when it is a large part of it (then
        the whole is saved)."""
        units = {ident: made for ident, made in record.units.items()
                 if saved.units.get(ident) != made}
        if len(units) > len(record.units) // 4:
            return None
        before, after = saved.article_keys, record.article_keys
        same_count = len(before) == len(after)
        keys_at = ({i: key for i, key in enumerate(after)
                    if key is not before[i] and key != before[i]} if same_count else None)
        return cls(saved.base, saved.count + 1, units,
                   tuple(ident for ident in saved.units if ident not in record.units),
                   {source: locator for source, locator in record.locators.items()
                    if saved.locators.get(source) != locator},
                   tuple(source for source in saved.locators if source not in record.locators),
                   keys_at, [] if same_count else list(after))

    def applied_to(self, saved: _SavedDetails) -> _SavedDetails:
        units = {**saved.units, **self.units}
        for ident in self.units_gone:
            del units[ident]
        locators = {**saved.locators, **self.locators}
        for source in self.locators_gone:
            del locators[source]
        if self.keys_at is None:
            article_keys = list(self.all_keys)
        else:
            article_keys = list(saved.article_keys)
            for position, key in self.keys_at.items():
                article_keys[position] = key
        return _SavedDetails(self.base, self.number, units, locators, article_keys)


def _should_prune(bodies: Path) -> bool:
    """Prune orphaned bodies only once they are many (listing the folder costs time)."""
    marker = bodies / ".count"
    try:
        count = int(marker.read_text())
    except (OSError, ValueError):
        count = 0
    count += 1
    if count >= 50:
        marker.write_text("0")
        return True
    marker.write_text(str(count))
    return False


class CacheDamaged(Exception):
    """A cache entry vanished or broke while a build was using it (someone deleted the
    cache folder mid-build); the build is retried without trusting the cache."""
