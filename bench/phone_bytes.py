"""What a phone downloads to show one article: every response's bytes, and their sum.

    python bench/phone_bytes.py                        # the demo site, built by the checkout
    python bench/phone_bytes.py --newsgen-from fdafe9f # the same, built by that revision
    python bench/phone_bytes.py /ekonomika/kurs-rublya/ --site SITE

The site's files (newsgen.yaml, content/, static/, templates/) are copied to a temporary
folder and built there, so that no cache or output lands in the site, with `base_url`
set to the local server's address (newsgen writes absolute image URLs, which would
otherwise point at the real site); the output is served on 127.0.0.1 by a small
http.server thread and the article opened in Chromium
emulating a phone (375x812 CSS pixels, device pixel ratio 3, mobile, touch). The page is
scrolled to the bottom a screen at a time, so that lazily loaded images are fetched, and
left until the network is idle; then each response's body is measured (its Content-Length
where the body cannot be read, as for a redirect).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import run  # noqa: E402  (newsgen_snapshot: --newsgen-from as run.py does it)

REPOSITORY = BENCH.parent
DEFAULT_ARTICLE = ("/mirnye-peregovory/"
                   "itogi-vstrechi-koalitsii-zhelaiushchikh-v-parizhe-dvizhenie-k-garantiiam/")
CHROMIUM = Path("/usr/bin/chromium")
SITE_INPUTS = ("newsgen.yaml", "content", "static", "templates")
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                   "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"),
}
SCROLL_PAUSE_MS = 150
IDLE_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Fetched:
    url: str
    kind: str  # the resource type Chromium gives (document, stylesheet, image, ...)
    content_type: str
    status: int
    size: int


def copy_site(site: Path, target: Path, base_url: str) -> Path:
    target.mkdir(parents=True)
    for name in SITE_INPUTS:
        source = site / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        elif source.is_file():
            shutil.copy2(source, target / name)
    config = target / "newsgen.yaml"
    if not config.exists():
        raise SystemExit(f"{site} has no newsgen.yaml")
    text, found = re.subn(r"^base_url:.*$", f"base_url: {base_url}",
                          config.read_text(encoding="utf-8"), count=1, flags=re.MULTILINE)
    if not found:
        text = text.rstrip("\n") + f"\nbase_url: {base_url}\n"
    config.write_text(text, encoding="utf-8")
    return target


def build(site: Path, out: Path, source: Path | None) -> None:
    env = run.newsgen_env(source)
    # The clock's own date: the demo site's articles are dated near today, and a pinned
    # "now" before them would leave them out.
    env.pop("SOURCE_DATE_EPOCH", None)
    result = subprocess.run([sys.executable, "-m", "newsgen", "build", "--site", str(site),
                             "--out", str(out)], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"newsgen build failed (exit {result.returncode}):\n"
                         f"{result.stdout}{result.stderr}")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def serve(folder: Path) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def scroll_to_bottom(page) -> None:
    """A screen at a time, pausing for lazy images to be requested, until the bottom
    (again if the page grew meanwhile)."""
    while True:
        at_bottom = page.evaluate(
            "() => { window.scrollBy(0, window.innerHeight);"
            " return window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 1; }")
        page.wait_for_timeout(SCROLL_PAUSE_MS)
        if at_bottom:
            return


def response_size(response) -> int:
    try:
        return len(response.body())
    except Exception:  # a redirect or a response without a body to read
        return int(response.headers.get("content-length", 0) or 0)


def fetch_article(url: str, chromium: Path) -> list[Fetched]:
    from playwright.sync_api import sync_playwright

    responses, failed = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium))
        try:
            context = browser.new_context(**PHONE)
            page = context.new_page()
            page.on("response", lambda response: responses.append(response))
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.goto(url, wait_until="load")
            scroll_to_bottom(page)
            page.wait_for_load_state("networkidle", timeout=IDLE_TIMEOUT_MS)
            fetched = [Fetched(response.url, response.request.resource_type,
                               response.headers.get("content-type", "").split(";")[0],
                               response.status, response_size(response))
                       for response in responses]
            context.close()
        finally:
            browser.close()
    for url in failed:
        print(f"note: request failed, not counted: {url}", file=sys.stderr)
    return fetched


def print_table(fetched: list[Fetched], origin: str) -> None:
    def shown(url: str) -> str:
        return url[len(origin):] if url.startswith(origin) else url

    width = max([len("URL"), *(len(shown(f.url)) for f in fetched)])
    print(f"{'URL':<{width}}  {'type':<10}  {'content type':<24}  {'status':>6}  {'bytes':>11}")
    for item in fetched:
        print(f"{shown(item.url):<{width}}  {item.kind:<10}  {item.content_type:<24}  "
              f"{item.status:>6}  {item.size:>11,}")
    by_kind: dict[str, tuple[int, int]] = {}
    for item in fetched:
        count, size = by_kind.get(item.kind, (0, 0))
        by_kind[item.kind] = (count + 1, size + item.size)
    print()
    for kind, (count, size) in sorted(by_kind.items(), key=lambda entry: -entry[1][1]):
        print(f"{kind:<10}  {count:>3} responses  {size:>11,} bytes")
    total = sum(item.size for item in fetched)
    print(f"{'total':<10}  {len(fetched):>3} responses  {total:>11,} bytes "
          f"({total / 1024:,.0f} KiB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("article", nargs="?", default=DEFAULT_ARTICLE,
                        help=f"the article's path on the site (default: {DEFAULT_ARTICLE})")
    parser.add_argument("--site", type=Path, default=REPOSITORY,
                        help="the newsgen site to build (default: the repository's demo site)")
    parser.add_argument("--newsgen-from", metavar="REVISION",
                        help="build with newsgen as committed at this git revision "
                             "instead of the working tree")
    parser.add_argument("--chromium", type=Path, default=CHROMIUM,
                        help=f"the Chromium to drive (default: {CHROMIUM})")
    args = parser.parse_args(argv)
    source, version = None, "working tree"
    if args.newsgen_from:
        source, commit = run.newsgen_snapshot(args.newsgen_from)
        version = f"commit {commit[:12]}"
    path = "/" + args.article.lstrip("/")
    with tempfile.TemporaryDirectory(prefix="newsgen-phone-") as temporary:
        folder = Path(temporary)
        server = serve(folder / "out")
        try:
            origin = f"http://127.0.0.1:{server.server_address[1]}"
            site = copy_site(args.site.resolve(), folder / "site", origin + "/")
            build(site, folder / "out", source)
            fetched = fetch_article(origin + path, args.chromium)
        finally:
            server.shutdown()
            server.server_close()
    if not fetched or urlsplit(fetched[0].url).path != path or fetched[0].status != 200:
        first = fetched[0] if fetched else None
        print(f"the article did not load: {first}", file=sys.stderr)
        return 1
    print(f"{path} on a phone (375x812, DPR 3), newsgen: {version}, site: {args.site}\n")
    print_table(fetched, origin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
