"""How long an editor waits: from saving one article to the reload event reaching a
browser's event stream, with `newsgen serve --watch` on a generated corpus.

    .venv/bin/python bench/serve_latency.py --articles 1000 10000 --edits 20

For each size: writes the corpus with make_corpus.py (once, into bench/work/<N>/site/),
starts the real CLI (`python -m newsgen serve --watch --port 0`) on a copy of it, opens
the event stream as a page's script does, then saves one article at a time (write to a
temporary file and rename, as editors do) and times each save until its `rebuild` event
arrives. Prints the median and the spread; the server's own build times are printed
beside them, from its terminal output. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

BENCH = Path(__file__).resolve().parent
WORK = BENCH / "work"


def corpus(articles: int) -> Path:
    site = WORK / str(articles) / "site"
    if not (site / "content").is_dir():
        subprocess.run([sys.executable, str(BENCH / "make_corpus.py"), "--articles",
                        str(articles), "--out", str(site)], check=True)
    return site


def articles_of(site: Path) -> list[Path]:
    return sorted((site / "content").rglob("*.md"))


class Server:
    """The real `newsgen serve --watch` in a subprocess; its terminal lines collected."""

    def __init__(self, site: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newsgen", "serve", "--watch", "--port", "0",
             "--site", str(site)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
            raise SystemExit("the server did not start:\n" + "\n".join(self.lines))

    def build_seconds(self) -> list[float]:
        return [float(m.group(1)) for line in self.lines
                if (m := re.match(r"Built in ([\d.]+) s", line))]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)  # stops it as cleanly as Ctrl-C
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


class EventStream:
    """The page script's view: /__newsgen/events, one `rebuild` event per build."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
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


def measure(articles: int, edits: int) -> dict[str, object]:
    original = corpus(articles)
    site = WORK / str(articles) / "serve-site"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(original, site, ignore=shutil.ignore_patterns(".newsgen-cache", "build"))
    started = time.perf_counter()
    server = Server(site)
    first_build = time.perf_counter() - started
    events = EventStream(server.url)
    sources = articles_of(site)
    step = max(1, len(sources) // edits)
    latencies = []
    try:
        for number in range(edits):
            path = sources[(number * step) % len(sources)]
            text = path.read_text(encoding="utf-8")
            # Settle first, so that each save is timed on its own.
            time.sleep(0.3)
            saved = time.perf_counter()
            save(path, text + f"\nПравка номер {number}.\n")
            event = events.next_rebuild()
            latencies.append(time.perf_counter() - saved)
            print(f"  {articles} articles, edit {number + 1}/{edits}: "
                  f"{latencies[-1] * 1000:.0f} ms", file=sys.stderr, flush=True)
            if not event.get("ok"):
                raise SystemExit("the rebuild failed:\n" + "\n".join(server.lines[-20:]))
    finally:
        events.connection.close()
        server.stop()
    builds = server.build_seconds()[1:]  # the first one is the start-up build
    return {
        "articles": articles, "edits": edits, "startup_s": round(first_build, 2),
        "median_ms": round(statistics.median(latencies) * 1000),
        "min_ms": round(min(latencies) * 1000), "max_ms": round(max(latencies) * 1000),
        "median_build_ms": round(statistics.median(builds) * 1000) if builds else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    print("| articles | save → reload event, median | min | max | server build, median "
          "| first build |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for articles in args.articles:
        row = measure(articles, args.edits)
        print(f"| {row['articles']:,} | {row['median_ms']} ms | {row['min_ms']} ms | "
              f"{row['max_ms']} ms | {row['median_build_ms']} ms | {row['startup_s']} s |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
