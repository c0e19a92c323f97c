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
            # Settle first, so that each save is timed on its own.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--edit", nargs="+", choices=EDIT_KINDS, default=["body"])
    parser.add_argument("--cli", action="store_true", help="time `newsgen build` instead")
    args = parser.parse_args()
    waited = "edit → build done" if args.cli else "save → reload event"
    print(f"| articles | edit | {waited}, median | min | max | server build, median "
          "| first build |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for articles in args.articles:
        for kind in args.edit:
            row = (measure_cli if args.cli else measure)(articles, args.edits, kind)
            build = "" if row["median_build_ms"] is None else f"{row['median_build_ms']} ms"
            print(f"| {row['articles']:,} | {kind} | {row['median_ms']} ms | {row['min_ms']} ms | "
                  f"{row['max_ms']} ms | {build} | {row['startup_s']} s |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
