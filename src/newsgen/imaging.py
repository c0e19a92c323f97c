"""Image files made with Pillow: an image's variants (each width × each format), the crops
search engines ask for, and nothing of the original's metadata but its colour profile.

This module imports no other of newsgen's: its code (with Pillow's version) keys every
processed image (`images.image_salt`), and a release of newsgen that leaves it alone
encodes no image again."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

PROCESSED = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP"}
COPIED = {".svg": "image/svg+xml", ".gif": "image/gif"}
# Pillow's format name -> (MIME type, file suffix)
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
           "WEBP": ("image/webp", "webp"), "AVIF": ("image/avif", "avif")}
SOCIAL_WIDTH = 1200  # the width Google and social cards ask a lead image to reach
CROPS = (("16x9", 16, 9), ("4x3", 4, 3), ("1x1", 1, 1))  # NewsArticle `image`, per Google
SRC_WIDTH = 1200  # an <img>'s own `src`: its widest file up to this (for old browsers)
IMAGE_CACHE = "images"
_MANIFEST = "image.json"


@dataclass(frozen=True, slots=True)
class ImageFile:
    """One published file of an image: its site URL, pixel size, type and length."""

    url: str
    width: int
    height: int
    mime: str
    length: int
    name: str  # in the image's cache folder


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """An image as pages show it: the file it comes from (`label`, e.g. 'static/img/x.jpg'),
    its key, its pixel size (upright), its type, its variants and its crops. A `copied`
    image (SVG, GIF) has one file, the original."""

    label: str
    key: str
    width: int
    height: int
    mime: str
    files: tuple[ImageFile, ...]
    crops: tuple[ImageFile, ...] = ()
    copied: bool = False

    def files_of(self, mime: str) -> tuple[ImageFile, ...]:
        return tuple(f for f in self.files if f.mime == mime)

    def by_type(self) -> list[tuple[str, tuple[ImageFile, ...]]]:
        """The variants by type, each type's narrowest first."""
        types = list(dict.fromkeys(f.mime for f in self.files))
        return [(mime, tuple(sorted(self.files_of(mime), key=lambda f: f.width)))
                for mime in types]

    @property
    def fallback(self) -> tuple[ImageFile, ...]:
        """The files every browser can show: the original's type (JPEG for a
        transparent image's WebP original is not made: then the first type there is)."""
        own = self.files_of(self.mime)
        return own or self.by_type()[0][1]

    @property
    def src(self) -> ImageFile:
        files = sorted(self.fallback, key=lambda f: f.width)
        fitting = [f for f in files if f.width <= SRC_WIDTH]
        return fitting[-1] if fitting else files[0]

    @property
    def social(self) -> ImageFile:
        """The file for `og:image`: the narrowest at least `SOCIAL_WIDTH` wide, else the
        widest."""
        files = sorted(self.fallback, key=lambda f: f.width)
        wide = [f for f in files if f.width >= SOCIAL_WIDTH]
        return wide[0] if wide else files[-1]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProcessedImage:
        return cls(**{**data, "files": tuple(ImageFile(**f) for f in data["files"]),
                      "crops": tuple(ImageFile(**f) for f in data["crops"])})


@dataclass(frozen=True)
class ImageSettings:
    widths: tuple[int, ...]
    formats: tuple[str, ...]  # Pillow's names of the formats made beside the original's
    quality: tuple[tuple[str, int], ...]  # Pillow's format name -> quality

    def quality_of(self, format_name: str) -> int:
        return dict(self.quality).get(format_name, 80)


@dataclass(frozen=True)
class ImageTask:
    """One image to process: its label, its file, its key, the start of its files' names
    and URLs, and, for an article's lead image, the point its crops are centred on (as
    fractions of the width and height; None: no crops)."""

    label: str
    path: str
    key: str
    stem: str
    url_prefix: str
    focus: tuple[float, float] | None


def target_widths(width: int, widths: Sequence[int]) -> list[int]:
    """The widths of an image's variants: each configured width below its own, and its own
    where it is not past the widest (an image is never made wider than it is)."""
    smaller = [w for w in widths if w < width]
    if not smaller or width <= max(widths):
        smaller.append(width)
    return smaller


def cache_folder(cache_dir: Path, key: str) -> Path:
    return cache_dir / IMAGE_CACHE / key[:2] / key


def known_image(cache_dir: Path, key: str) -> ProcessedImage | None:
    """The image processed under `key` earlier, when the cache holds it (its manifest is
    written after all its files)."""
    try:
        data = json.loads((cache_folder(cache_dir, key) / _MANIFEST).read_text("utf-8"))
        return ProcessedImage.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def process_image(task: ImageTask, settings: ImageSettings, cache_dir: Path
                  ) -> ProcessedImage | str:
    """The image's files, written into its cache folder; or what is wrong with the file."""
    folder = cache_folder(cache_dir, task.key)
    folder.mkdir(parents=True, exist_ok=True)
    if PurePosixPath(task.label).suffix.lower() in COPIED:
        image: ProcessedImage | str = _copied(task, folder)
    else:
        image = _processed(task, settings, folder)
    if isinstance(image, ProcessedImage):
        _write_atomic(folder / _MANIFEST, json.dumps(image.to_json()).encode("utf-8"))
    return image


def _processed(task: ImageTask, settings: ImageSettings, folder: Path) -> ProcessedImage | str:
    from PIL import Image, ImageOps  # only a build with images pays for Pillow

    try:
        with Image.open(task.path) as opened:
            opened.load()
            format_name = opened.format or ""
            upright = ImageOps.exif_transpose(opened)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return f"is not an image that can be read ({_reason(exc)})"
    if format_name not in PROCESSED.values():
        return f"is {format_name or 'of an unknown kind'}, not JPEG, PNG or WebP"
    icc = upright.info.get("icc_profile")
    pixels = _web_mode(upright, format_name)
    pixels.info = {}  # Pillow writes a JPEG's comment from it unless told otherwise
    files = tuple(_variants(pixels, format_name, settings, folder, task, icc))
    crops = (tuple(_crops(pixels, format_name, settings, folder, task, task.focus, icc))
             if task.focus is not None else ())
    return ProcessedImage(task.label, task.key, pixels.width, pixels.height,
                          FORMATS[format_name][0], files, crops)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    if "truncated" in text.lower() or "broken data stream" in text.lower():
        return "the file is cut short"
    if text.startswith("cannot identify image file"):
        return "its bytes are not a picture of any kind Pillow knows"
    return text or type(exc).__name__


def _copied(task: ImageTask, folder: Path) -> ProcessedImage | str:
    suffix = PurePosixPath(task.label).suffix.lower()
    try:
        data = Path(task.path).read_bytes()
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"
    width = height = 0
    if suffix == ".gif":
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as opened:
                width, height = opened.size
        except (OSError, SyntaxError, ValueError) as exc:
            return f"is not an image that can be read ({_reason(exc)})"
    name = task.stem + suffix
    _write_atomic(folder / name, data)
    files = (ImageFile(task.url_prefix + name, width, height, COPIED[suffix], len(data), name),)
    return ProcessedImage(task.label, task.key, width, height, COPIED[suffix], files,
                          copied=True)


def _web_mode(picture: Any, format_name: str) -> Any:
    """Pixels every output format takes: RGB, or RGBA where the original is transparent and
    its format keeps that."""
    transparent = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    if transparent and format_name != "JPEG":
        return picture.convert("RGBA") if picture.mode != "RGBA" else picture
    return picture.convert("RGB") if picture.mode != "RGB" else picture


def _variants(pixels: Any, format_name: str, settings: ImageSettings, folder: Path,
              task: ImageTask, icc: bytes | None) -> Iterator[ImageFile]:
    from PIL import Image

    formats = [format_name, *(f for f in settings.formats if f != format_name)]
    if pixels.mode == "RGBA":
        formats = [f for f in formats if f != "JPEG"]  # JPEG has no transparency
    current = pixels
    for width in sorted(target_widths(pixels.width, settings.widths), reverse=True):
        height = max(1, round(pixels.height * width / pixels.width))
        if (width, height) != current.size:  # each from the one before: cheaper, as sharp
            current = current.resize((width, height), Image.Resampling.LANCZOS,
                                     reducing_gap=3.0)
        for name in formats:
            yield _save(current, name, settings, folder, task, f"-{width}", icc)


def _crops(pixels: Any, format_name: str, settings: ImageSettings, folder: Path,
           task: ImageTask, focus: tuple[float, float], icc: bytes | None
           ) -> Iterator[ImageFile]:
    """The 16:9, 4:3 and 1:1 crops around `focus`, at most `SOCIAL_WIDTH` wide."""
    from PIL import Image

    for name, across, down in CROPS:
        box = crop_box(pixels.width, pixels.height, across, down, focus)
        width = min(SOCIAL_WIDTH, box[2] - box[0])
        size = (width, max(1, round(width * down / across)))
        cropped = pixels.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
        yield _save(cropped, format_name, settings, folder, task, f"-{name}", icc)


def crop_box(width: int, height: int, across: int, down: int,
             focus: tuple[float, float] = (0.5, 0.5)) -> tuple[int, int, int, int]:
    """The largest box of the ratio across:down centred on `focus` (fractions of the width
    and height), moved inside the image where the focus is near an edge."""
    if width * down > height * across:  # wider than the ratio: the sides go
        cut = height * across // down
        left = min(max(round(focus[0] * width - cut / 2), 0), width - cut)
        return (left, 0, left + cut, height)
    cut = width * down // across
    top = min(max(round(focus[1] * height - cut / 2), 0), height - cut)
    return (0, top, width, top + cut)


def _save(picture: Any, format_name: str, settings: ImageSettings, folder: Path,
          task: ImageTask, suffix: str, icc: bytes | None) -> ImageFile:
    """One file, with nothing of the original's metadata but its colour profile: Pillow
    writes EXIF, XMP or a comment only when asked to, and it is asked for none."""
    mime, extension = FORMATS[format_name]
    options: dict[str, Any] = {}
    if format_name != "PNG":
        options["quality"] = settings.quality_of(format_name)
    if format_name == "JPEG":
        options["progressive"] = True
    if icc:
        options["icc_profile"] = icc
    buffer = io.BytesIO()
    picture.save(buffer, format_name, **options)
    data = buffer.getvalue()
    name = f"{task.stem}{suffix}.{extension}"
    _write_atomic(folder / name, data)
    return ImageFile(task.url_prefix + name, picture.width, picture.height, mime, len(data),
                     name)


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def process_chunk(state: dict[str, Any], tasks: list[ImageTask]
                  ) -> list[ProcessedImage | str]:
    """`process_image` in a worker process."""
    return [process_image(task, state["image_settings"], state["cache_dir"])
            for task in tasks]
