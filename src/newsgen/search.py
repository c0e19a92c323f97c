"""Full-text search: a Pagefind index of the site's articles, made in memory.

Pagefind (https://pagefind.app) turns records into a folder of static files, `pagefind/`,
that the search page queries in the browser with `pagefind.js`: no server, and a reader
downloads only the few index chunks their words need. This module hands Pagefind one
record per article (plain text and a little metadata, no HTML to parse) and returns the
index as output path -> bytes, so the build writes it like any other output.

The Pagefind program comes from the optional extra `newsgen[search]` (PyPI `pagefind[bin]`).
We speak to it over its `--service` protocol, the one the `pagefind` package's
`PagefindIndex` uses, and find the program the way that package does
(`pagefind.service.get_executable`). `PagefindIndex` itself is not used, for two reasons
measured with pagefind 1.5.2: its reader waits 0.1 s before each answer, so adding 10,000
articles took 17 minutes (14 s here, for byte-identical files); and `get_files()` never
returns once the index passes 2 MiB (1,000 articles of 2 KB did), because that answer
overflows its stream's buffer limit and the task reading answers dies silently.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import html
import json
import os
import re
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .dates import day_name, local_day, locale_of

if TYPE_CHECKING:  # annotations only: config.py asks this module whether search can run
    from .config import SiteConfig
    from .models import Article

# Where the index goes in the output, and so the URL the search page loads it from.
INDEX_DIR = "pagefind"
INSTALL_HINT = "pip install 'newsgen[search]'"
# Pagefind's ready-made interfaces and its highlighter, which the theme's search page does
# not load (it asks pagefind.js itself, with a labelled form of its own): 420 KB less.
_UNUSED_BUNDLES = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.",
                   "pagefind-highlight.")
_READ_SIZE = 1 << 20
# What is not text in an article's HTML: elements whose content is not read, tags that
# part words (a block's edge, a line break, a table cell) and tags that do not (<em>).
_UNREAD = re.compile(r"<(script|style|template)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_PARTING_TAG = re.compile(r"</?(?:address|article|aside|blockquote|br|caption|dd|div|dl|dt|"
                          r"figcaption|figure|footer|h[1-6]|header|hr|img|li|ol|p|pre|section|"
                          r"table|tbody|td|tfoot|th|thead|tr|ul)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")



class SearchError(Exception):
    """Search cannot be built: Pagefind is not installed, refused a record, or stopped."""


@dataclass(frozen=True, slots=True)
class SearchRecord:
    """One article as search sees it.

    `url` is the article's site URL ('/politika/vybory/', without the base URL's path:
    pagefind.js puts the folder the index is served from in front). `title` is searched
    as well as `text`, which is plain text, never HTML: what the reader reads (lede and
    body), and what excerpts are cut from. `section` and `date` (as the site shows it)
    come back with each result."""

    url: str
    title: str
    text: str
    language: str
    section: str = ""
    date: str = ""

    def meta(self) -> dict[str, str]:
        meta = {"title": self.title}
        if self.section:
            meta["section"] = self.section
        if self.date:
            meta["date"] = self.date
        return meta


def search_record(article: Article, config: SiteConfig) -> SearchRecord:
    """What search holds of a published article: its title, its lede and body as plain
    text, its section, and its date as the site shows it («25 ноября 2026»). Pagefind
    searches the title too, so it is not repeated in the text (excerpts would show it)."""
    date = ""
    if article.date:
        date = day_name(local_day(article.date, config.tz), locale_of(config.language))
    text = " ".join(part for part in (article.lede, plain_text(article.body_html)) if part)
    return SearchRecord(article.url, article.title, text, config.language,
                        article.section.name, date)


def plain_text(markup: str) -> str:
    """The text a reader reads in an article body's HTML, on one line: no tags, entities
    decoded, words apart where blocks, cells or line breaks part them."""
    text = _UNREAD.sub(" ", markup)
    text = _TAG.sub("", _PARTING_TAG.sub(" ", text))
    return _SPACES.sub(" ", html.unescape(text)).strip()


def _pagefind_program() -> Path:
    """The Pagefind program, or SearchError saying what to install."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        raise SearchError(f"search needs the pagefind package: {INSTALL_HINT}") from None
    try:
        program = get_executable()
    except FileNotFoundError:  # pagefind_bin installed, its program missing
        program = None
    if program is None or not program.is_file():
        where = f" (not at {program})" if program else ""
        raise SearchError(f"search needs the Pagefind program{where}, which pagefind[bin] "
                          f"brings: {INSTALL_HINT}")
    return program


def search_available() -> str | None:
    """None when search can be built here; else what is missing and how to install it."""
    try:
        _pagefind_program()
    except SearchError as exc:
        return str(exc)
    return None


def search_index_files(records: Sequence[SearchRecord], language: str) -> dict[str, bytes]:
    """Every file of the Pagefind index of `records`: output path ('pagefind/...') -> bytes.

    The records go in by URL, so the same records in any order give byte-identical files.
    One index in the site's `language` holds them all (its stemming applies to every
    record): the search page then finds every article, whatever language it is in.
    Raises SearchError when Pagefind is missing, refuses a record or stops."""
    ordered = sorted(records, key=lambda record: record.url)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.url == after.url:
            raise SearchError(f"two search records for one URL: {after.url}")
    requests: list[dict[str, Any]] = [{"type": "NewIndex", "config": {"force_language": language}}]
    # Pagefind leaves out a record with no text at all: such an article goes in by its title.
    requests += [{"type": "AddRecord", "index_id": 0, "url": record.url,
                  "content": record.text or record.title, "language": record.language,
                  "meta": record.meta(), "filters": None, "sort": None} for record in ordered]
    requests.append({"type": "GetFiles", "index_id": 0})
    answers = _ask_pagefind(_pagefind_program(), requests)
    if answers[0].get("index_id") != 0:
        raise SearchError(f"Pagefind made an unexpected index: {answers[0]}")
    files: dict[str, bytes] = {}
    for file in answers[-1]["files"]:
        path = str(file["path"]).replace("\\", "/").lstrip("/")
        if not path.startswith(_UNUSED_BUNDLES):
            files[f"{INDEX_DIR}/{path}"] = base64.b64decode(file["content"])
    return dict(sorted(files.items()))


def _ask_pagefind(program: Path, requests: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send `requests` to one `pagefind --service` process; its answers, in request order.

    Each message either way is base64 of a JSON object, followed by a comma. Requests are
    written from a thread while this one reads answers, so neither side can block the
    other on a full pipe; the service quits when its input ends, so input is closed only
    once every answer is in."""
    messages = [base64.b64encode(json.dumps({"message_id": number, "payload": request},
                                            ensure_ascii=False).encode("utf-8")) + b","
                for number, request in enumerate(requests, start=1)]
    try:
        process = subprocess.Popen([str(program), "--service"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise SearchError(f"cannot run Pagefind ({program}): {exc.strerror}") from None
    assert process.stdin and process.stdout and process.stderr  # all three are pipes
    said: list[bytes] = []
    writer = threading.Thread(target=_write_all, args=(process.stdin, messages))
    listener = threading.Thread(target=_read_all, args=(process.stderr, said))
    writer.start()
    listener.start()
    try:
        answers = _read_answers(process.stdout, requests)
    except BaseException:
        process.kill()
        raise
    finally:
        writer.join()
        with contextlib.suppress(BrokenPipeError):  # input the service never read
            process.stdin.close()
        process.wait()
        listener.join()
        process.stdout.close()
        process.stderr.close()
    if answers is None:
        text = b"".join(said).decode("utf-8", "replace").strip()
        raise SearchError(f"Pagefind stopped (exit status {process.returncode}) before it "
                          f"answered{': ' + text if text else ''}")
    return answers


def _write_all(stream: IO[bytes], messages: list[bytes]) -> None:
    with contextlib.suppress(BrokenPipeError, ValueError):  # it stopped; the reader says so
        for message in messages:
            stream.write(message)
        stream.flush()


def _read_all(stream: IO[bytes], into: list[bytes]) -> None:
    into.append(stream.read())


def _read_answers(stream: IO[bytes], requests: Sequence[dict[str, Any]]
                  ) -> list[dict[str, Any]] | None:
    """The answers to `requests` in their order; None when the output ends first."""
    answers: dict[int, dict[str, Any]] = {}
    pending: list[bytes] = []  # the start of an answer still coming in
    descriptor = stream.fileno()
    while len(answers) < len(requests):
        chunk = os.read(descriptor, _READ_SIZE)
        if not chunk:
            return None
        *complete, rest = chunk.split(b",")
        if complete:
            complete[0] = b"".join([*pending, complete[0]])
            pending = []
            for message in complete:
                number, payload = _decode(message)
                if payload.get("type") == "Error":
                    raise SearchError(_refusal(requests, number, payload))
                answers[number] = payload
        if rest:
            pending.append(rest)
    return [answers[number] for number in range(1, len(requests) + 1)]


def _decode(message: bytes) -> tuple[int, dict[str, Any]]:
    try:
        answer = json.loads(base64.b64decode(message, validate=True))
        payload: dict[str, Any] = answer["payload"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise SearchError(f"Pagefind answered something unreadable: {message[:200]!r}"
                          ) from None
    number = answer.get("message_id")
    if not isinstance(number, int):  # a message the service could not read at all
        raise SearchError(_refusal([], 0, payload))
    return number, payload


def _refusal(requests: Sequence[dict[str, Any]], number: int, payload: dict[str, Any]) -> str:
    """Pagefind's error message, with the record's URL when a record caused it."""
    message = payload.get("message") or payload
    request = requests[number - 1] if 0 < number <= len(requests) else {}
    if request.get("type") == "AddRecord":
        return f"Pagefind could not index {request['url']}: {message}"
    return f"Pagefind: {message}"
