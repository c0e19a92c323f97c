"""Problems in user content, config and templates, as values.

Every problem an editor can cause is a `ContentError` with the file it is in, the line
where one exists, and a message; the build collects them all and reports them together.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class ContentError:
    """One problem, printed as ``path:line: message`` (``path: message`` without a line)."""

    path: str
    line: int | None
    message: str
    severity: str = ERROR

    @property
    def is_warning(self) -> bool:
        return self.severity == WARNING

    def as_error(self) -> ContentError:
        return ContentError(self.path, self.line, self.message, ERROR)

    def __str__(self) -> str:
        prefix = "warning: " if self.is_warning else ""
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {prefix}{self.message}"


def warning(path: str, line: int | None, message: str) -> ContentError:
    return ContentError(path, line, message, WARNING)


def sort_key(problem: ContentError) -> tuple[str, int, str]:
    return (problem.path, problem.line or 0, problem.message)


class BuildFailed(Exception):
    """Raised when a build (or check) found errors; carries every problem found."""

    def __init__(self, problems: Iterable[ContentError]) -> None:
        self.problems: tuple[ContentError, ...] = tuple(sorted(problems, key=sort_key))
        super().__init__(f"{len(self.errors)} error(s)")

    @property
    def errors(self) -> tuple[ContentError, ...]:
        return tuple(p for p in self.problems if not p.is_warning)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice an editor most likely meant by `word`, if one is close enough."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ` — did you mean 'x'?` hint for a near miss, or an empty string."""
    match = closest(word, choices)
    return f" — did you mean '{match}'?" if match else ""
