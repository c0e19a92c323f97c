"""Writing the output: into a fresh staging folder beside the output, refusing paths
that escape it and two outputs to one path, then swapped in only when the build succeeded.

A failed or interrupted build removes its staging folder and leaves the previous output
untouched; pages of deleted articles disappear because the new tree starts empty.

When the build knows what the previous output holds (`previous`: path -> stamp, from the
build cache), the writer works incrementally instead, because renaming and deleting a
whole tree of ten thousand pages costs seconds: unchanged files are `keep()`-ed where they
are, changed and new files are staged, and only once the whole build succeeded does
`commit()` move each staged file into place (`os.replace`, so every file is whole) and delete
the files of the previous output that this build did not produce. A failed build still
leaves the output as it was."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path, PurePosixPath
from types import TracebackType

from .errors import ContentError

_DRIVE = re.compile(r"(^|/)[A-Za-z]:")  # C:/x, or a/C:/x once joined on Windows


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
    parts = PurePosixPath(path).parts
    if any(part in ("..", ".") for part in path.split("/")):
        return "'..' or '.' in the path"
    if not parts:
        return "an empty path"
    return None


class OutputWriter:
    """Collects output files in a staging folder; `commit()` swaps it in."""

    def __init__(self, out_dir: Path, previous: dict[str, tuple[int, ...]] | None = None) -> None:
        self.out_dir = out_dir.absolute()
        # Incremental only when the output is there and known file by file.
        self.previous = previous if previous and self.out_dir.is_dir() else None
        self.kept: set[str] = set()
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.staging = self.out_dir.with_name(f".{self.out_dir.name}.staging-{os.getpid()}")
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir()
        self._root = str(self.staging) + os.sep
        self.sources: dict[str, str] = {}  # output path -> what made it
        self.source_lines: dict[str, int | None] = {}  # output path -> line in that source
        self.problems: list[ContentError] = []
        self.made_dirs: set[str] = set()

    def _claim(self, path: str, source: str, line: int | None) -> Path | None:
        reason = unsafe_reason(path)
        if reason is None:
            target = self.staging / path
            # Resolve to catch anything the textual check let through (e.g. symlinks).
            if not os.path.realpath(target).startswith(self._root):
                reason = "a path outside the output folder"
            # Written into the output itself at commit (incremental): check it there too.
            elif self.previous is not None and not os.path.realpath(
                    self.out_dir / path).startswith(str(self.out_dir) + os.sep):
                reason = "a path outside the output folder"
        if reason is not None:
            self.problems.append(ContentError(
                source, line, f"refusing to write '{path}': {reason} would leave the output folder"))
            return None
        earlier = self.sources.get(path)
        if earlier is not None:
            url = "/" + path.removesuffix("index.html")
            earlier_line = self.source_lines.get(path)
            where = earlier if earlier_line is None else f"{earlier}:{earlier_line}"
            self.problems.append(ContentError(
                source, line, f"the URL {url} is also produced by {where}"))
            return None
        self.sources[path] = source
        self.source_lines[path] = line
        parent = os.path.dirname(path)
        if parent and parent not in self.made_dirs:
            (self.staging / parent).mkdir(parents=True, exist_ok=True)
            self.made_dirs.add(parent)
        return target

    def claim(self, path: str, source: str, line: int | None = None) -> Path | None:
        """Reserve `path` for a file written elsewhere (by a worker process) to the
        returned staging path; None when the path is refused (the problem is recorded)."""
        return self._claim(path, source, line)

    def keep(self, path: str, source: str, line: int | None = None) -> bool:
        """Keep the previous output's file at `path` as this build's (incremental mode)."""
        assert self.previous is not None and path in self.previous
        # Every path of the previous output passed the checks when it was written.
        if path in self.sources:
            return self._claim(path, source, line) is not None  # records the clash
        self.sources[path] = source
        self.source_lines[path] = line
        self.kept.add(path)
        return True

    def _unchanged(self, path: str, data: bytes) -> bool:
        if self.previous is None or path not in self.previous or path in self.sources:
            return False
        try:
            with open(self.out_dir / path, "rb") as handle:
                return handle.read(len(data) + 1) == data
        except OSError:
            return False

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
            os.replace(self.staging / path, self.out_dir / path)
        emptied: set[str] = set()
        for path in previous:
            if path not in self.sources and unsafe_reason(path) is None:
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
