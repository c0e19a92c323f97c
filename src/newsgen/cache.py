"""The build cache: `<site>/.newsgen-cache/`, keyed by content hashes, safe to delete.

What it keeps between builds:

- for each content file, the digest of its bytes (with the file's stat signature, so that
  an untouched file is not read again) and, per digest, the parsed front matter and the
  problems found in it; rendered Markdown bodies are in pack files under `bodies/`,
  read back only where a page or a feed shows it;
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE_DIR = ".newsgen-cache"
FORMAT = b"newsgen-cache-1\n"
CHECKSUM_SIZE = 16
SHARDS = "0123456789abcdef"
# A file changed within this many seconds of being looked at may change again without its
# stat signature changing (timestamps have a coarse tick), so its digest is not trusted.
RACY_SECONDS = 2.0

Stamp = tuple[int, int, int, int]  # inode, size, mtime in ns, ctime in ns


def digest(*parts: bytes | str) -> str:
    """A hex digest of the parts, each length-prefixed so that ('ab', 'c') != ('a', 'bc')."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


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
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        handle = open(temporary, "wb")  # noqa: SIM115 - closed by the `with` below
    except FileNotFoundError:  # the folder's first entry: make it only then
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(temporary, "wb")  # noqa: SIM115
    with handle:
        for part in data:
            handle.write(part)
    os.replace(temporary, path)


def read_sealed(path: Path) -> memoryview | None:
    try:
        return _unseal(path.read_bytes())
    except OSError:
        return None


def store_bodies(cache_dir: Path, keys: Sequence[str], bodies: Sequence[str]) -> list[str]:
    """Store rendered bodies together in one pack file and return a locator for each.

    Creating a file costs far more than writing to one on the disks seen here (a quarter
    to half a millisecond each), so the bodies parsed together share a pack. Each body is
    sealed on its own, so a damaged pack is detected body by body."""
    if not bodies:
        return []
    pack = digest(*keys)
    parts: list[bytes] = []
    locators: list[str] = []
    offset = 0
    for html in bodies:
        sealed = b"".join(_seal(html.encode("utf-8")))
        locators.append(f"{pack}:{offset}:{len(sealed)}")
        parts.append(sealed)
        offset += len(sealed)
    path = cache_dir / "bodies" / pack
    if not path.exists():
        write_atomically(path, *parts)
    return locators


def load_body(cache_dir: Path, locator: str) -> str | None:
    """A body stored by `store_bodies`, or None when its pack is gone or damaged."""
    try:
        pack, offset, length = locator.split(":")
        with open(cache_dir / "bodies" / pack, "rb") as handle:
            handle.seek(int(offset))
            payload = _unseal(handle.read(int(length)))
    except (OSError, ValueError):
        return None
    return None if payload is None else str(payload, "utf-8")


@dataclass
class OutputRecord:
    """What one output folder holds, as the last successful build left it."""

    # unit id -> (its inputs' key, the (output path, source) pairs it wrote)
    units: dict[str, tuple[str | None, tuple[tuple[str, str], ...]]] = field(default_factory=dict)
    stamps: dict[str, Stamp] = field(default_factory=dict)  # output path -> stamp after writing
    # A digest of every input of that build, and its result: the same inputs again, with
    # the output untouched, need no build at all.
    inputs: str = ""
    result: Any = None


class BuildCache:
    """The cache folder of one site, and its indexes in memory between builds."""

    def __init__(self, site_dir: Path, directory: Path | None = None) -> None:
        self.site_dir = site_dir
        self.dir = directory if directory is not None else site_dir / CACHE_DIR
        self._files: dict[str, tuple[Stamp, str]] | None = None  # path -> stamp, digest
        self._parsed: dict[str, Any] | None = None  # key -> (ParsedSource, problems)
        self._outputs: dict[str, OutputRecord] = {}
        self._seen_files: dict[str, tuple[Stamp, str]] = {}
        self._seen_parsed: dict[str, Any] = {}
        self._parsed_added: set[str] = set()  # shards with new entries

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
            self._parsing_code = code_digest(PARSING_MODULES)
        return self._parsing_code

    def clear(self) -> None:
        """Forget everything, on disk and in memory (other tools' folders in the cache
        folder, such as the dev server's output, are left alone)."""
        shutil.rmtree(self.dir / "bodies", ignore_errors=True)
        for entry in self.dir.glob("*.pickle*"):
            entry.unlink(missing_ok=True)
        self._files = self._parsed = None
        self._outputs = {}

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
        write_atomically(self.dir / name, *_seal(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)))

    def begin(self) -> None:
        """Start a build: load the indexes once per process."""
        if self._files is None:
            loaded = self._load_index("files.pickle")
            self._files = loaded if isinstance(loaded, dict) else {}
        if self._parsed is None:
            self._parsed = {}
            for shard in SHARDS:  # one file per first hex digit: an edit rewrites one
                loaded = self._load_index(f"parsed-{shard}.pickle")
                if isinstance(loaded, dict):
                    self._parsed.update(loaded)
        self._seen_files = {}
        self._seen_parsed = {}

    def file_digest(self, path: Path, data: bytes | None = None) -> tuple[str, bytes | None]:
        """The digest of a file's bytes, and the bytes when they had to be read.

        An unchanged stat signature means an unchanged file, except for a file modified so
        recently that a second change could keep the same signature (then it is read)."""
        assert self._files is not None
        name = str(path)
        stat = os.stat(path)
        stamp = stamp_of(stat)
        known = self._files.get(name)
        if data is None and known is not None and known[0] == stamp:
            self._seen_files[name] = known
            return known[1], None
        if data is None:
            data = path.read_bytes()
        value = digest(data)
        if time.time() - stat.st_mtime > RACY_SECONDS:
            self._seen_files[name] = (stamp, value)
        return value, data

    @property
    def knows_parsed(self) -> bool:
        """Whether any parsed article is cached (if none, hashing files first is wasted)."""
        return bool(self._parsed)

    def remember_file(self, path: Path, stat: os.stat_result, value: str) -> None:
        """Record a file's digest computed elsewhere (by a worker), for its stat signature."""
        if time.time() - stat.st_mtime > RACY_SECONDS:
            self._seen_files[str(path)] = (stamp_of(stat), value)

    def parsed(self, key: str) -> Any:
        assert self._parsed is not None
        entry = self._parsed.get(key)
        if entry is not None:  # its body is checked when it is read (CacheDamaged)
            self._seen_parsed[key] = entry
            return entry
        return None

    def remember_parsed(self, key: str, entry: Any) -> None:
        assert self._parsed is not None
        self._parsed[key] = entry
        self._seen_parsed[key] = entry
        self._parsed_added.add(key[0])

    # -- output folders -----------------------------------------------------------

    def _output_name(self, out_dir: Path) -> str:
        return f"output-{digest(str(out_dir.absolute()))[:16]}.pickle"

    def output_record(self, out_dir: Path) -> OutputRecord:
        """What the last build left in `out_dir`; empty when unknown or when a commit into
        it was interrupted (then nothing there can be trusted)."""
        name = self._output_name(out_dir)
        if (self.dir / (name + ".pending")).exists():
            self._outputs.pop(name, None)
            return OutputRecord()
        if name not in self._outputs:
            loaded = self._load_index(name)
            self._outputs[name] = loaded if isinstance(loaded, OutputRecord) else OutputRecord()
        return self._outputs[name]

    def commit_starting(self, out_dir: Path) -> None:
        write_atomically(self.dir / (self._output_name(out_dir) + ".pending"), b"")

    def commit_done(self, out_dir: Path, record: OutputRecord) -> None:
        name = self._output_name(out_dir)
        self._outputs[name] = record
        self._save_index(name, record)
        (self.dir / (name + ".path")).write_text(str(out_dir.absolute()), encoding="utf-8")
        (self.dir / (name + ".pending")).unlink(missing_ok=True)
        # Records of output folders that are gone (`newsgen check` builds into temporary ones).
        for label in self.dir.glob("output-*.pickle.path"):
            try:
                gone = not Path(label.read_text(encoding="utf-8")).exists()
            except OSError:
                gone = True
            if gone:
                (self.dir / label.name.removesuffix(".path")).unlink(missing_ok=True)
                label.unlink(missing_ok=True)

    def forget_output(self, out_dir: Path) -> None:
        name = self._output_name(out_dir)
        self._outputs.pop(name, None)
        (self.dir / name).unlink(missing_ok=True)

    def finish(self) -> None:
        """Save the indexes, keeping only what this build used (so the cache does not
        grow with every edit)."""
        if self._seen_files != self._files:
            self._files = dict(self._seen_files)
            self._save_index("files.pickle", self._files)
        before: dict[str, set[str]] = {shard: set() for shard in SHARDS}
        for key in self._parsed or {}:
            before.setdefault(key[0], set()).add(key)
        after: dict[str, dict[str, Any]] = {shard: {} for shard in SHARDS}
        for key, entry in self._seen_parsed.items():
            after.setdefault(key[0], {})[key] = entry
        for shard in SHARDS:
            if shard in self._parsed_added or before[shard] != after[shard].keys():
                self._save_index(f"parsed-{shard}.pickle", after[shard])
        self._parsed_added = set()
        self._parsed = dict(self._seen_parsed)
        # Entries are (article, problems, body locator); a pack lives while one body in it does.
        live = {entry[2].split(":")[0] for entry in self._parsed.values() if entry[2]}
        bodies = self.dir / "bodies"
        if bodies.is_dir() and len(live) and _should_prune(bodies, len(live)):
            for entry in bodies.iterdir():
                if entry.name in live or entry.name.startswith("."):
                    continue
                if entry.is_dir():  # left by an older layout of the cache
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):  # pruning is tidying, never a failure
                        entry.unlink(missing_ok=True)


def _should_prune(bodies: Path, live: int) -> bool:
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


# The modules that decide how a content file is parsed; a change anywhere else in newsgen
# leaves parsed articles valid (and is covered by `code_digest()` for pages).
PARSING_MODULES = ("content.py", "markup.py", "models.py", "config.py", "errors.py", "cache.py")


def code_digest(modules: Iterable[str] | None = None) -> str:
    """newsgen's own code (all of it, or the named modules) and the versions of the
    libraries that shape the output, so that an upgrade never serves pages made by the
    previous version."""
    from importlib.metadata import PackageNotFoundError, version

    package = Path(__file__).parent
    wanted = set(modules) if modules is not None else None
    parts: list[bytes | str] = []
    for path in sorted(package.rglob("*.py")):
        if wanted is None or path.name in wanted:
            parts += [path.name, path.read_bytes()]
    for name in ("markdown", "jinja2", "pyyaml", "python-slugify", "babel"):
        try:
            parts.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            parts.append(name)
    return digest(*parts)
