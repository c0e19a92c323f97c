"""Writing the output: into a fresh staging folder beside the output, refusing paths
that escape it and two outputs to one path, then swapped in only when the build succeeded.

A failed or interrupted build removes its staging folder and leaves the previous output
untouched; pages of deleted articles disappear because the new tree starts empty.

When the build knows what the previous output holds (`previous`: path -> stamp, from the
build cache), the writer works incrementally instead, because renaming and deleting a
whole tree of ten thousand pages costs seconds: unchanged files are `keep()`-ed where they
are, changed and new files are staged, and only once the whole build succeeded does
`commit()` move each staged file into place (`os.replace`, so every file is whole) and delete
the files of the previous output that this build did not produce (unless it is a `patch`,
which replaces a few files and keeps every other). A failed build still leaves the output
as it was."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

from .errors import ContentError

_DRIVE = re.compile(r"(^|/)[A-Za-z]:")  # C:/x, or a/C:/x once joined on Windows
NAME_MAX = 255  # bytes in one file name, on the common file systems


def unsafe_reason(path: str) -> str | None:
    """Why an output path could leave the output folder, or None when it is safe."""
    if not path:
        return "an empty path"
    if "\x00" in path:
        return "a NUL character"
    if "\\" in path:
        return "a backslash"
    if _DRIVE.search(path):
        return "a drive letter"
    if path.startswith("/"):
        return "an absolute path"
    if any(part in ("..", ".") for part in path.split("/")):
        return "'..' or '.' in the path"
    return None


class OutputWriter:
    """Collects output files in a staging folder; `commit()` swaps it in."""

    def __init__(self, out_dir: Path, previous: dict[str, tuple[int, ...]] | None = None,
                 *, patch: bool = False,
                 line_of: Callable[[str, str], int | None] | None = None) -> None:
        self.out_dir = out_dir.absolute()
        # Incremental only when the output is there and known file by file.
        self.previous = previous if previous and self.out_dir.is_dir() else None
        # A patch replaces some files of the previous output, removes those named by
        # `remove()`, and keeps all the others.
        self.patch = patch and self.previous is not None
        # An incremental build moves its files into the output one by one: they wait in
        # the staging folder side by side (`staged_name`), so that no folder is made twice.
        self.flat = self.previous is not None
        self.removed: list[str] = []
        self.kept: set[str] = set()
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.staging = self.out_dir.with_name(f".{self.out_dir.name}.staging-{os.getpid()}")
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir()
        self._root = str(self.staging) + os.sep
        self.sources: dict[str, str] = {}  # output path -> what made it
        # The line of the source that decides an output path, asked only to report a
        # problem with it (most outputs never need theirs).
        self.line_of = line_of or (lambda path, source: None)
        self.problems: list[ContentError] = []
        self.made_dirs: set[str] = set()
        self._resolved: dict[tuple[str, str], bool] = {}

    def _inside(self, root: Path, path: str, *, check_file: bool) -> bool:
        """Whether `root/path` resolves inside `root` (`path` passed `unsafe_reason`): each
        folder is checked once, a link among them resolved; the file itself must not be a
        link when `check_file` (the previous output's files may be anything)."""
        folder, name = os.path.split(path)
        top = str(root)
        if not self._folder_inside(top, folder):
            return False
        return not (check_file and os.path.islink(os.path.join(top, path)))

    def _folder_inside(self, top: str, folder: str) -> bool:
        if not folder:
            return True
        known = self._resolved.get((top, folder))
        if known is not None:
            return known
        parent = os.path.dirname(folder)
        full = os.path.join(top, folder)
        if not self._folder_inside(top, parent):
            inside = False
        elif os.path.islink(full):  # allowed only where it leads back inside
            inside = os.path.realpath(full).startswith(os.path.realpath(top) + os.sep)
        else:
            inside = True
        self._resolved[(top, folder)] = inside
        return inside

    def _claim(self, path: str, source: str, line: int | None, *, staged: bool = False
               ) -> Path | None:
        reason = unsafe_reason(path)
        # Resolve to catch anything the textual check let through (e.g. symlinks); an
        # incremental build writes into the output itself at commit, so check it there too.
        escapes = reason is None and (
            not self._inside(self.staging, path, check_file=False)
            or (self.previous is not None
                and not self._inside(self.out_dir, path, check_file=True)))
        if escapes:
            reason = "a path outside the output folder"
        if reason is not None:
            self.problems.append(ContentError(
                source, line if line is not None else self.line_of(path, source),
                f"refusing to write '{path}': {reason} would leave the output folder"))
            return None
        earlier = self.sources.get(path)
        if earlier is not None:
            url = "/" + path.removesuffix("index.html")
            earlier_line = self.line_of(path, earlier)
            where = earlier if earlier_line is None else f"{earlier}:{earlier_line}"
            self.problems.append(ContentError(
                source, line if line is not None else self.line_of(path, source),
                f"the URL {url} is also produced by {where}"))
            return None
        self.sources[path] = source
        name = staged_name(path, flat=self.flat)
        parent = os.path.dirname(name)
        if parent and parent not in self.made_dirs and not staged:
            (self.staging / parent).mkdir(parents=True, exist_ok=True)
            self.made_dirs.add(parent)
        return self.staging / name

    def claim(self, path: str, source: str, line: int | None = None) -> bool:
        """Claim `path` for a file a worker process already wrote into the staging folder
        (see `write_staged`). A refused file is removed again: the build then fails, and
        whatever it overwrote in the staging folder is never published."""
        if self._claim(path, source, line, staged=True) is not None:
            return True
        if unsafe_reason(path) is None:
            with contextlib.suppress(OSError):
                os.unlink(self.staging / staged_name(path, flat=self.flat))
        return False

    def keep(self, path: str, source: str, line: int | None = None) -> bool:
        """Keep the previous output's file at `path` as this build's (incremental mode)."""
        assert self.previous is not None and path in self.previous
        # Every path of the previous output passed the checks when it was written.
        if path in self.sources:
            return self._claim(path, source, line) is not None  # records the clash
        self.sources[path] = source
        self.kept.add(path)
        return True

    def keep_all(self, files: Iterable[tuple[str, str]]) -> None:
        """`keep` for each (path, source) of a unit the previous output has unchanged."""
        sources, kept = self.sources, self.kept
        for path, source in files:
            if path in sources:
                self.keep(path, source)  # records the clash
            else:
                sources[path] = source
                kept.add(path)

    def _unchanged(self, path: str, data: bytes) -> bool:
        return (self.previous is not None and path not in self.sources
                and unchanged_output(str(self.out_dir), path, data, self.previous))

    def write(self, path: str, data: bytes, source: str, line: int | None = None) -> bool:
        if self._unchanged(path, data):  # a file is rewritten only when its bytes changed
            return self.keep(path, source, line)
        target = self._claim(path, source, line)
        if target is None:
            return False
        with open(target, "wb") as handle:
            handle.write(data)
        return True

    def copy(self, path: str, original: Path, source: str) -> bool:
        target = self._claim(path, source, None)
        if target is None:
            return False
        shutil.copyfile(original, target)
        return True

    def remove(self, path: str) -> None:
        """Delete the previous output's file at `path` on commit (a patch)."""
        assert self.patch and self.previous is not None and path in self.previous
        self.removed.append(path)

    @property
    def count(self) -> int:
        return len(self.sources)

    def commit(self) -> None:
        """Replace the output folder with the staged tree."""
        if self.previous is not None:
            self._commit_incremental(self.previous)
            return
        previous = self.out_dir.with_name(f".{self.out_dir.name}.previous-{os.getpid()}")
        if self.out_dir.exists():
            os.rename(self.out_dir, previous)
        os.rename(self.staging, self.out_dir)
        if previous.exists():
            shutil.rmtree(previous)

    def _commit_incremental(self, previous: dict[str, tuple[int, ...]]) -> None:
        made: set[str] = set()
        for path in self.sources:
            if path in self.kept:
                continue
            parent = os.path.dirname(path)
            if parent and parent not in made:
                (self.out_dir / parent).mkdir(parents=True, exist_ok=True)
                made.add(parent)
            os.replace(self.staging / staged_name(path, flat=True), self.out_dir / path)
        emptied: set[str] = set()
        gone = self.removed if self.patch else [p for p in previous if p not in self.sources]
        for path in gone:
            if unsafe_reason(path) is None:
                (self.out_dir / path).unlink(missing_ok=True)
                emptied.add(os.path.dirname(path))
        for folder in sorted(emptied, key=len, reverse=True):
            while folder:
                try:
                    (self.out_dir / folder).rmdir()  # only when nothing else is in it
                except OSError:
                    break
                folder = os.path.dirname(folder)
        shutil.rmtree(self.staging, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.staging.exists():
            self.abort()  # a build that did not commit leaves no trace


def unchanged_output(out_dir: str, path: str, data: bytes,
                     previous: dict[str, tuple[int, ...]]) -> bool:
    """Whether the previous output holds `data` at `path` already, in the very file the
    last build left there (its stamp unchanged, not a link): then the file is kept, not
    written again. A build that makes every page again (a new release of newsgen, a config
    edit) but changes few of them then replaces few files (at 10,000 articles, replacing
    every file took 6 s), and a deploy that copies changed files copies only those."""
    stamp = previous.get(path)
    if stamp is None or stamp[1] != len(data):  # another size: changed, no need to look
        return False
    try:
        handle = os.open(os.path.join(out_dir, path), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    with open(handle, "rb") as file:
        info = os.fstat(handle)
        if (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns) != stamp:
            return False
        return file.read(len(data) + 1) == data


def staged_name(path: str, *, flat: bool) -> str:
    """Where the file for output `path` waits in the staging folder: at its place when the
    staging folder becomes the output (`flat` False), else one name per path, with no
    folder (unless the name would be too long for the file system)."""
    if not flat:
        return path
    name = path.replace("%", "%25").replace("/", "%2F")
    return name if len(name.encode("utf-8", "surrogateescape")) <= NAME_MAX else path


def write_staged(staging: Path, path: str, data: bytes, made_dirs: set[str], *,
                 flat: bool) -> bool:
    """Write one output file straight into a staging folder (in a worker process), so that
    each page is created once. Paths that could leave the folder are not written; the
    parent's `OutputWriter.claim` reports them."""
    if unsafe_reason(path) is not None:
        return False
    name = staged_name(path, flat=flat)
    parent = os.path.dirname(name)
    if parent and parent not in made_dirs:
        os.makedirs(staging / parent, exist_ok=True)
        made_dirs.add(parent)
    with open(staging / name, "wb") as handle:
        handle.write(data)
    return True
