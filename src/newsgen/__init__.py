"""newsgen: a static news-site generator."""

from __future__ import annotations

from .build import BuildOptions, BuildResult, build_site
from .errors import BuildFailed, ContentError

__all__ = ["BuildFailed", "BuildOptions", "BuildResult", "ContentError", "build_site"]
__version__ = "0.1.0"
