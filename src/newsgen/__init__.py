"""newsgen: a static news-site generator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import BuildFailed, ContentError

if TYPE_CHECKING:
    from .build import BuildOptions, BuildResult, build_site

__all__ = ["BuildFailed", "BuildOptions", "BuildResult", "ContentError", "build_site"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The build's names are loaded when asked for: `python -m newsgen` and the modules
    # that import one part of the package do not load the whole pipeline first.
    if name in ("BuildOptions", "BuildResult", "build_site"):
        from . import build

        return getattr(build, name)
    raise AttributeError(f"module 'newsgen' has no attribute {name!r}")
