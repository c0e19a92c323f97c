"""The dev server: build, serve over HTTP, watch, rebuild, reload the browser.

- One engine: every rebuild is `build_site(...)`. Serve builds into a folder of its own,
  `<site>/.newsgen-cache/serve/`, never into `build/`: its base URL is the local address
  (so redirect stubs and canonical links stay on this machine), it may include drafts and
  future articles, and a deploy of `build/` must never pick those up.
- The pages on disk are exactly what `newsgen build --base-url <local URL>` writes. The
  live-reload script (and the error overlay while the build is broken) is injected into
  HTML responses as they are sent, so it never reaches a build's output.
- The watchdog callback only records that something relevant changed; a rebuild loop
  waits for changes to settle, rebuilds, and bumps an epoch. Each page's script keeps a
  server-sent-events connection open and reloads when the epoch passes the one it was
  served with (the way MkDocs' live reload waits on an epoch).
- A failed build keeps the last good site on disk and served; every HTML page then shows
  an overlay listing the errors until a build succeeds.
- The build swaps its output folder by renaming, so for an instant the folder is missing:
  a request that finds nothing waits for the folder to be back and looks once more, and
  since a file is read whole from one open handle, nobody gets a torn page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import gc
import html
import json
import os
import signal
import socket
import sys
import threading
import time
import uuid
import webbrowser
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import ObservedWatch

from .build import BuildOptions, BuildResult, build_site
from .cache import BuildCache
from .changes import WATCHED_DIRS, ChangeSet
from .config import CONFIG_NAME
from .content import CONTENT_DIR, is_source_name
from .errors import BuildFailed, ContentError
from .redirects import read_manifest

SERVE_DIR = Path(".newsgen-cache") / "serve"
SETTLE_SECONDS = 0.05  # an editor's save (write, rename) comes in well under this
HOLD_WAIT_SECONDS = 30.0  # at most, for a page the build after a reload is making
SAVE_WHEN_IDLE = 1.0  # seconds with no edit before the cache is saved
SWAP_WAIT_SECONDS = 2.0  # how long a request waits for the output folder during a swap
KEEPALIVE_SECONDS = 15.0
ENDPOINT = "/__newsgen/"
EVENTS_URL = ENDPOINT + "events"
WHERE_URL = ENDPOINT + "where"
STATUS_URL = ENDPOINT + "status"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}
ATOM_TYPE = "application/atom+xml"


class ServeError(Exception):
    """The server cannot start (port taken, bad host); the message says what to do."""


@dataclass(frozen=True)
class ServeOptions:
    site_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    watch: bool = False
    drafts: bool = False
    future: bool = False
    now: dt.datetime | None = None  # pinned reference time; by default the clock at each build
    out_dir: Path | None = None
    settle: float = SETTLE_SECONDS

    @property
    def output(self) -> Path:
        return (self.out_dir or self.site_dir / SERVE_DIR).absolute()


@dataclass(frozen=True)
class Outcome:
    """What the last build ended in. `epoch` counts finished builds, good or failed."""

    epoch: int
    ok: bool
    problems: tuple[ContentError, ...] = ()
    seconds: float = 0.0
    changed: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[ContentError, ...]:
        return tuple(p for p in self.problems if not p.is_warning)


def host_warning(host: str) -> str | None:
    """A warning for a host that exposes the server beyond this machine, or None."""
    if host in WILDCARD_HOSTS:
        return (f"warning: --host {host or '(empty)'} makes this server reachable from other "
                "machines on your network; it is a development server, not for the public. "
                "Use the default 127.0.0.1 unless you mean it.")
    return None


def browse_host(host: str) -> str:
    """The host for URLs a person opens: a wildcard bind is browsed on this machine."""
    if host in WILDCARD_HOSTS:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if name == "feed.xml" or name.endswith(".atom"):
        return ATOM_TYPE + "; charset=utf-8"
    return CONTENT_TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


def affects_build(site_dir: Path, path: str | bytes, is_directory: bool = False) -> bool:
    """Whether a changed path can change the site: the config; Markdown files and folders
    under content/; anything under templates/ or static/. Hidden files (editor swap
    files, locks) and backup copies ending in '~' never do, nor do other files under
    content/ (an editor's temporary file counts once it is renamed to its .md name)."""
    text = os.fsdecode(path)
    try:
        parts = Path(text).relative_to(site_dir).parts
    except ValueError:
        return False
    if not parts:
        return False
    if parts == (CONFIG_NAME,):
        return True
    if parts[0] not in WATCHED_DIRS:
        return False
    if any(part.startswith(".") for part in parts[1:]) or parts[-1].endswith("~"):
        return False
    if parts[0] == CONTENT_DIR and not is_directory:
        return is_source_name(parts[-1])
    return True


class LiveState:
    """The last build's outcome and the pending changes, shared by the watcher, the
    rebuild loop and the request handlers. Every change goes through one condition."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.outcome = Outcome(epoch=0, ok=False)
        self.has_site = False
        self.building = False
        self.closed = False
        self._changes: set[str] = set()
        self._last_change = 0.0
        self._held: frozenset[str] = frozenset()  # output files being made again

    def note_changes(self, paths: Iterable[str]) -> None:
        with self._cond:
            self._changes.update(paths)
            self._last_change = time.monotonic()
            self._cond.notify_all()

    def take_settled_changes(self, settle: float, idle: float | None = None
                             ) -> set[str] | None:
        """Block until changes exist and none came for `settle` seconds; take them. An
        empty set when `idle` seconds pass with no change at all; None once the server
        is closing."""
        deadline = None if idle is None else time.monotonic() + idle
        with self._cond:
            while not self.closed:
                if self._changes:
                    quiet = time.monotonic() - self._last_change
                    if quiet >= settle:
                        changes, self._changes = self._changes, set()
                        self.building = True
                        return changes
                    self._cond.wait(settle - quiet)
                elif deadline is None:
                    self._cond.wait()
                elif (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
                else:
                    return set()
            return None

    def publish(self, outcome: Outcome, held: Iterable[str] = ()) -> None:
        """A finished build's outcome. `held`: the output files it left for the build
        right after it: requests for them wait (`wait_made`), and the server is still
        building, until `release`."""
        with self._cond:
            self.outcome = outcome
            self.has_site = self.has_site or outcome.ok
            self._held = frozenset(held)
            self.building = bool(self._held)
            self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            self._held = frozenset()
            self.building = False
            self._cond.notify_all()

    def wait_made(self, path: str, timeout: float) -> bool:
        """Wait while output file `path` is held; whether it was."""
        deadline = time.monotonic() + timeout
        with self._cond:
            held = path in self._held
            while path in self._held and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return held

    def wait_newer(self, epoch: int, timeout: float) -> Outcome | None:
        """The outcome of a build after `epoch`, or None on timeout or close."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.outcome.epoch <= epoch and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            return None if self.closed else self.outcome

    def wait_idle(self, after_epoch: int, timeout: float) -> Outcome | None:
        """The outcome once a build after `after_epoch` finished and no change waits."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.closed:
                if (self.outcome.epoch > after_epoch and not self.building
                        and not self._changes):
                    return self.outcome
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(min(left, 0.05))
            return None

    @property
    def pending(self) -> bool:
        with self._cond:
            return self.building or bool(self._changes)

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


class _ChangeRecorder(FileSystemEventHandler):
    """The watchdog callback: only records what changed, never builds."""

    def __init__(self, site_dir: Path, state: LiveState) -> None:
        self.site_dir = site_dir
        self.state = state

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reading a file changes nothing
        if event.is_directory and event.event_type == "modified":
            return  # an entry added or removed inside: that entry has its own event
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        relevant = [os.fsdecode(p) for p in paths
                    if p and affects_build(self.site_dir, p, event.is_directory)]
        if relevant:
            self.state.note_changes(relevant)


class _Watcher:
    """Watches content/, templates/, static/ (recursively) and the site folder itself
    (for newsgen.yaml and for those folders appearing, vanishing or being replaced).
    The site folder is not watched recursively: build/ and .newsgen-cache/ hold
    thousands of folders that change on every build."""

    def __init__(self, site_dir: Path, state: LiveState) -> None:
        self.site_dir = site_dir
        self.handler = _ChangeRecorder(site_dir, state)
        self.observer = Observer()
        self.observer.daemon = True
        self._watches: dict[str, tuple[tuple[int, int], ObservedWatch]] = {}

    def start(self) -> None:
        self.observer.schedule(self.handler, str(self.site_dir), recursive=False)
        self.refresh()
        self.observer.start()

    def refresh(self) -> None:
        """(Re)watch each folder that exists now; called before every build, so that a
        folder deleted and created anew (a branch switch) is watched again."""
        for name in WATCHED_DIRS:
            path = self.site_dir / name
            try:
                stat = path.stat()
                identity = (stat.st_dev, stat.st_ino) if path.is_dir() else None
            except OSError:
                identity = None
            known = self._watches.get(name)
            if known is not None and known[0] == identity:
                continue
            if known is not None:
                with contextlib.suppress(KeyError, OSError):  # its folder is gone
                    self.observer.unschedule(known[1])
                del self._watches[name]
            if identity is not None:
                try:
                    watch = self.observer.schedule(self.handler, str(path), recursive=True)
                except OSError:
                    continue  # vanished again; the next change brings us back here
                self._watches[name] = (identity, watch)

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)


def _escape_text(text: str) -> str:
    return html.escape(text, quote=True)


OVERLAY_STYLE = (
    "position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;padding:2rem;"
    "background:rgba(20,0,0,.92);color:#fff;font:15px/1.5 ui-monospace,monospace;"
)

RELOAD_SCRIPT = """\
<script data-newsgen-live>
(function () {
  var since = %(epoch)d, server = %(server)s, key = "newsgen-scroll:" + location.pathname;
  var saved = sessionStorage.getItem(key);
  if (saved !== null) { sessionStorage.removeItem(key); window.scrollTo(0, +saved); }
  function reload(target) {
    sessionStorage.setItem(key, String(window.scrollY));
    if (target && target !== location.pathname) { location.replace(target + location.hash); }
    else { location.reload(); }
  }
  var events = new EventSource("%(events)s?since=" + since + "&server=" + server);
  events.addEventListener("rebuild", function () {
    events.close();
    fetch("%(where)s?path=" + encodeURIComponent(location.pathname), {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (d) { reload(d.url); }, function () { reload(null); });
  });
})();
</script>
"""


def live_snippet(outcome: Outcome, server_id: str) -> str:
    """What each served HTML page gets before </body>: the reload script, and the
    error overlay while the last build failed."""
    script = RELOAD_SCRIPT % {
        "epoch": outcome.epoch, "server": json.dumps(server_id),
        "events": EVENTS_URL, "where": WHERE_URL,
    }
    if outcome.ok or not outcome.errors:
        return script
    return overlay(outcome.errors) + script


def overlay(errors: Iterable[ContentError]) -> str:
    items = "".join(f"<li>{_escape_text(str(e))}</li>" for e in errors)
    return (
        f'<div id="newsgen-errors" role="alert" style="{OVERLAY_STYLE}">'
        '<p style="margin:0 0 1rem;font-size:20px;font-weight:bold">'
        "The site failed to build — showing the last good version</p>"
        f'<ul style="margin:0;padding-left:1.2rem;white-space:pre-wrap">{items}</ul>'
        '<p style="margin-top:1rem;opacity:.7">Fix the file and save: this page reloads '
        "by itself.</p>"
        '<button type="button" onclick="this.parentNode.remove()" style="font:inherit">'
        "Hide until the next build</button></div>\n"
    )


def inject(page: bytes, snippet: str) -> bytes:
    """Insert `snippet` before the last </body> (or at the end when there is none)."""
    data = snippet.encode("utf-8")
    at = page.lower().rfind(b"</body>")
    if at < 0:
        return page + data
    return page[:at] + data + page[at:]


def error_page(outcome: Outcome, server_id: str) -> bytes:
    """Served while no build has ever succeeded: the errors, and the reload script."""
    text = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Build failed"
            "</title></head><body>\n</body></html>\n")
    return inject(text.encode("utf-8"), live_snippet(outcome, server_id))


@dataclass(frozen=True)
class Found:
    """What a URL path resolves to in the output: a file's bytes, a folder that needs
    its trailing slash, or nothing."""

    kind: str  # "file", "folder" or "missing"
    data: bytes = b""
    path: str = ""


def url_parts(raw_path: str) -> list[str] | None:
    """The path segments of a request, decoded; None when the path tries to leave the
    output folder or is not a plain path (traversal, NUL, backslash, drive)."""
    decoded = unquote(raw_path, errors="strict")
    if "\x00" in decoded or "\\" in decoded:
        return None
    parts = [p for p in decoded.split("/") if p]
    if any(p in (".", "..") or (len(p) == 2 and p[1] == ":") for p in parts):
        return None
    return parts


class SiteFiles:
    """Reads the output folder safely while builds swap it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _inside(self, path: str) -> bool:
        real_root = os.path.realpath(self.root)
        real = os.path.realpath(path)
        return real == real_root or real.startswith(real_root + os.sep)

    def _lookup(self, parts: list[str], folder_slash: bool) -> Found:
        full = os.path.join(self.root, *parts)
        if not self._inside(full):
            return Found("missing")
        if os.path.isdir(full):
            if not folder_slash:
                return Found("folder")
            full = os.path.join(full, "index.html")
            rel = "/".join([*parts, "index.html"])
            if not self._inside(full):
                return Found("missing")
        else:
            rel = "/".join(parts)
        # One open handle, read whole: a page renamed away or deleted after the open
        # is still read complete.
        with open(full, "rb") as handle:
            return Found("file", handle.read(), rel)

    def find(self, parts: list[str], folder_slash: bool) -> Found:
        for attempt in range(2):
            try:
                return self._lookup(parts, folder_slash)
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                if attempt == 0:
                    self._wait_for_root()
            except OSError:
                break
        return Found("missing")

    def _wait_for_root(self) -> None:
        """During a swap the output folder is briefly absent; wait for the new one."""
        deadline = time.monotonic() + SWAP_WAIT_SECONDS
        while not self.root.is_dir() and time.monotonic() < deadline:
            time.sleep(0.002)

    def exists(self, url_path: str) -> bool:
        parts = url_parts(url_path)
        if parts is None:
            return False
        return self.find(parts, folder_slash=True).kind == "file"


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "newsgen-serve"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # one line per request would drown the rebuild messages

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def _respond(self, send_body: bool) -> None:
        dev = self.server.dev
        target = urlsplit(self.path)
        if target.path.startswith(ENDPOINT):
            self._endpoint(target.path, parse_qs(target.query), send_body)
            return
        state = dev.state
        if not state.has_site:
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, "text/html; charset=utf-8",
                       error_page(state.outcome, dev.server_id), send_body)
            return
        try:
            parts = url_parts(target.path)
        except UnicodeDecodeError:
            parts = None
        found = dev.files.find(parts, target.path.endswith("/")) if parts is not None \
            else Found("missing")
        if parts is not None and found.kind == "file" and state.wait_made(found.path,
                                                                          HOLD_WAIT_SECONDS):
            found = dev.files.find(parts, target.path.endswith("/"))
        if found.kind == "folder":
            location = quote(target.path, safe="/%") + "/"
            if target.query:
                location += "?" + target.query
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            return
        status = HTTPStatus.OK
        if found.kind == "missing":
            status = HTTPStatus.NOT_FOUND
            found = dev.files.find(["404.html"], False)
            if found.kind != "file":
                found = Found("file", b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                              b"<title>Not found</title></head><body><h1>Not found</h1>"
                              b"</body></html>\n", "404.html")
        kind = content_type(found.path)
        data = found.data
        if kind.startswith("text/html"):
            data = inject(data, live_snippet(state.outcome, dev.server_id))
        self._send(status, kind, data, send_body)

    def _send(self, status: HTTPStatus, kind: str, data: bytes, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def _endpoint(self, path: str, query: dict[str, list[str]], send_body: bool) -> None:
        dev = self.server.dev
        if path == EVENTS_URL and send_body:
            self._events(query)
        elif path == WHERE_URL:
            asked = query.get("path", ["/"])[0]
            body = json.dumps({"url": dev.where(asked)}).encode("utf-8")
            self._send(HTTPStatus.OK, "application/json", body, send_body)
        elif path == STATUS_URL:
            outcome = dev.state.outcome
            body = json.dumps({
                "epoch": outcome.epoch, "ok": outcome.ok, "pending": dev.state.pending,
                "errors": [str(e) for e in outcome.errors], "seconds": outcome.seconds,
            }, ensure_ascii=False).encode("utf-8")
            self._send(HTTPStatus.OK, "application/json", body, send_body)
        else:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"Not found\n",
                       send_body)

    def _events(self, query: dict[str, list[str]]) -> None:
        """Server-sent events: one `rebuild` event per finished build after `since`.
        A page served by an earlier run of the server is told to reload at once."""
        dev = self.server.dev
        try:
            since = int(query.get("since", ["0"])[0])
        except ValueError:
            since = 0
        if query.get("server", [dev.server_id])[0] != dev.server_id:
            since = -1
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            while not dev.state.closed:
                outcome = dev.state.wait_newer(since, KEEPALIVE_SECONDS)
                if outcome is None:
                    if dev.state.closed:
                        break
                    self.wfile.write(b": keepalive\n\n")
                else:
                    since = outcome.epoch
                    data = json.dumps({"epoch": outcome.epoch, "ok": outcome.ok})
                    self.wfile.write(f"event: rebuild\nid: {since}\ndata: {data}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    dev: DevServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        kind = sys.exc_info()[0]
        if kind is not None and issubclass(kind, (ConnectionError, TimeoutError)):
            return  # a browser that went away mid-response
        super().handle_error(request, client_address)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


Say = Callable[[str], None]


def _stdout(text: str) -> None:
    print(text, flush=True)


def _stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class DevServer:
    """Build, serve, and (with watch) rebuild on change. `start()` returns once the
    first build is done and the server answers; `stop()` ends every thread."""

    options: ServeOptions
    say: Say = _stdout
    warn: Say = _stderr
    server_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self) -> None:
        self.state = LiveState()
        self.files = SiteFiles(self.options.output)
        self._http: _HTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._watcher: _Watcher | None = None
        self._epoch = 0
        self._build_lock = threading.Lock()
        # Kept for the server's life: the cache's indexes stay in memory between builds.
        self._cache = BuildCache(self.options.site_dir, defer_writes=True)

    @property
    def url(self) -> str:
        assert self._http is not None, "the server is not started"
        port = self._http.server_address[1]
        return f"http://{browse_host(self.options.host)}:{port}/"

    def start(self) -> None:
        self._bind()
        if self.options.watch:
            self._watcher = _Watcher(self.options.site_dir.absolute(), self.state)
            self._watcher.start()
        self.rebuild(None, save=not self.options.watch)
        assert self._http is not None
        serving = threading.Thread(target=self._http.serve_forever, name="newsgen-http",
                                   kwargs={"poll_interval": 0.2}, daemon=True)
        serving.start()
        self._threads.append(serving)
        if self.options.watch:
            loop = threading.Thread(target=self._rebuild_loop, name="newsgen-rebuild",
                                    daemon=True)
            loop.start()
            self._threads.append(loop)

    def _bind(self) -> None:
        host, port = self.options.host, self.options.port
        server_class = _HTTPServer6 if ":" in host else _HTTPServer
        try:
            self._http = server_class((host, port), _Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(
                    f"port {port} on {host} is already in use (another newsgen serve?); "
                    "choose another with --port N, or --port 0 for any free port") from None
            if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
                raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
            raise ServeError(f"cannot listen on {host}:{port}: {exc}") from None
        self._http.dev = self

    def _rebuild_loop(self) -> None:
        unsaved = True  # the start-up build's
        while True:
            changes = self.state.take_settled_changes(
                self.options.settle, idle=SAVE_WHEN_IDLE if unsaved else None)
            if changes is None:
                return
            if changes:
                self.rebuild(changes, save=False)
            else:
                self.save_cache()
            unsaved = bool(changes)

    def save_cache(self) -> None:
        """Save the cache's indexes (a cache not saved is only a slower next start)."""
        with self._build_lock, contextlib.suppress(OSError):
            self._cache.flush()

    def rebuild(self, changes: Iterable[str] | None, *, save: bool = True) -> Outcome:
        """One build with the serve options; never raises for a broken site. `changes`:
        the paths the watcher saw change since the previous build (None: not known).
        `save`: save the cache right after; else the caller does when edits pause, so
        that saving never delays the next edit's page. While watching, the pages a
        reader reaches by paging on are made just after the browser is told to reload,
        and requests for them wait until they are (`BuildOptions.defer`)."""
        with self._build_lock:
            if self._watcher is not None:
                self._watcher.refresh()
            site_dir = self.options.site_dir.absolute()
            changes = None if changes is None else list(changes)
            changed = tuple(sorted(_display(Path(p), site_dir) for p in changes or ()))
            started = time.perf_counter()
            self._epoch += 1
            result, problems = self._build(changes, defer=self._watcher is not None)
            outcome = Outcome(self._epoch, result is not None, problems,
                              time.perf_counter() - started, changed)
            self._report(outcome)
            deferred = result.deferred if result is not None else ()
            self.state.publish(outcome, held=deferred)
            if deferred:
                self._make_deferred()
            # The kept site model lives for the server's life: out of the collector's
            # sight, so that no later build pauses to walk all of it again.
            gc.collect()
            gc.freeze()
            if save:
                with contextlib.suppress(OSError):  # only a slower next start
                    self._cache.flush()
            return outcome

    def _build(self, changes: list[str] | None, *, defer: bool
               ) -> tuple[BuildResult | None, tuple[ContentError, ...]]:
        """The build's result (None when it failed) and its problems."""
        build = BuildOptions(
            site_dir=self.options.site_dir, out_dir=self.options.output,
            drafts=self.options.drafts, future=self.options.future,
            now=self.options.now, base_url=self.url, defer=defer,
        )
        site_dir = self.options.site_dir.absolute()
        try:
            result = build_site(build, cache=self._cache, changed=None if changes is None
                                else ChangeSet.of(site_dir, changes))
        except BuildFailed as failed:
            return None, failed.problems
        except Exception as exc:  # an internal bug must not take the server down
            return None, (ContentError("newsgen", None,
                                       f"internal error ({type(exc).__name__}: {exc})"),)
        return result, result.warnings

    def _make_deferred(self) -> None:
        """The build right after a reload: the pages the last one left (no change since,
        so it cannot fail but for a bug, which is then shown as any failed build is)."""
        started = time.perf_counter()
        result, problems = self._build([], defer=False)
        if result is None:
            self._epoch += 1
            outcome = Outcome(self._epoch, False, problems, time.perf_counter() - started)
            self._report(outcome)
            self.state.publish(outcome)
        self.state.release()

    def _report(self, outcome: Outcome) -> None:
        what = ""
        if outcome.changed:
            shown = ", ".join(outcome.changed[:3])
            more = len(outcome.changed) - 3
            what = f" after changes to {shown}" + (f" and {more} more" if more > 0 else "")
        for problem in outcome.problems:
            self.warn(str(problem))
        if outcome.ok:
            self.say(f"Built in {outcome.seconds:.2f} s{what}.")
        else:
            count = len(outcome.errors)
            serving = ("still serving the last good site" if self.state.has_site
                       else "nothing to serve until it builds")
            self.warn(f"Build failed{what}: {count} error{'s' if count != 1 else ''}; "
                      f"{serving}. The errors show in the browser.")

    def where(self, url_path: str) -> str:
        """Where a reader on `url_path` should be after a rebuild: the article's new URL
        when the build's manifest says it moved, the same page when it still exists, else
        its section, else the front page."""
        if not url_path.startswith("/"):
            url_path = "/" + url_path
        manifest = read_manifest(self.options.output)
        moved_to = manifest.pages.get(manifest.moved.get(url_path, ""))
        if moved_to and self.files.exists(moved_to):
            return moved_to  # straight to the article's new URL, not via the redirect stub
        if self.files.exists(url_path):
            return url_path
        parts = url_parts(url_path) if "\x00" not in url_path else None
        if parts:
            section = "/" + parts[0] + "/"
            if len(parts) > 1 and self.files.exists(section):
                return section
        return "/"

    def stop(self) -> None:
        self.state.close()
        if self._watcher is not None:
            self._watcher.stop()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=10)
        self.save_cache()

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _display(path: Path, site_dir: Path) -> str:
    try:
        return path.relative_to(site_dir).as_posix()
    except ValueError:
        return path.as_posix()


def _stop_on_sigterm() -> None:
    """`kill` and service managers stop us with SIGTERM: stop as cleanly as on Ctrl-C.
    Worker processes forked by a build inherit the handler; they just end."""
    server_pid = os.getpid()

    def interrupt(signum: int, frame: object) -> None:
        if os.getpid() != server_pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def run_server(options: ServeOptions, open_browser: bool = False,
               say: Say = _stdout, warn: Say = _stderr) -> int:
    """`newsgen serve`: serve until Ctrl-C. Raises ServeError when it cannot listen."""
    warning = host_warning(options.host)
    if warning:
        warn(warning)
    dev = DevServer(options, say=say, warn=warn)
    stopped = threading.Event()
    if threading.current_thread() is threading.main_thread():
        _stop_on_sigterm()
    try:
        dev.start()
        mode = ("watching for changes" if options.watch
                else "not watching: add --watch to rebuild on every change")
        say(f"Serving {options.site_dir.resolve()} at {dev.url} ({mode}); press Ctrl-C to stop.")
        if open_browser:
            webbrowser.open(dev.url)
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        say("Stopping.")
    finally:
        dev.stop()
    return 0


__all__ = ["DevServer", "ServeError", "ServeOptions", "run_server", "host_warning",
           "affects_build", "url_parts", "inject", "SERVE_DIR"]
