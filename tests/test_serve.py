"""The dev server, for real: a server on 127.0.0.1, real edits on disk in the ways editors
and tools save files, a real HTTP client, and the served site compared with a fresh build."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import NOW, SiteDir, article

from newsgen.build import BuildOptions, build_site
from newsgen.redirects import MANIFEST_NAME
from newsgen.serve import DevServer, ServeOptions, host_warning

LIVE_SCRIPT = re.compile(rb'(<div id="newsgen-errors".*?</div>\n)?<script data-newsgen-live>.*?'
                         rb'</script>\n', re.S)
SETTLED_TIMEOUT = 60.0


def quiet(text: str) -> None:
    pass


def make_site(site: SiteDir) -> None:
    site.add("politika/vybory", title="Выборы назначены", section="Политика",
             lede="Лид о выборах.", tags=["выборы"], date="2026-11-20T10:00:00+03:00")
    site.add("politika/byudzhet", title="Бюджет принят", section="Политика",
             lede="Лид о бюджете.", date="2026-11-21T10:00:00+03:00")
    site.add("world/summit", title="Summit in Paris", section="World",
             lede="Leaders met.", tags=["diplomacy"], date="2026-11-22T10:00:00+03:00")
    site.write("static/img/dot.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 16)


@pytest.fixture
def server(site: SiteDir) -> Iterator[DevServer]:
    make_site(site)
    dev = DevServer(ServeOptions(site_dir=site.root, port=0, watch=True, now=NOW),
                    say=quiet, warn=quiet)
    dev.start()
    try:
        yield dev
    finally:
        dev.stop()


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one GET, without following redirects."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", url[len(f"{parts.scheme}://{parts.netloc}"):])
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def get(dev: DevServer, path: str) -> tuple[int, dict[str, str], bytes]:
    return fetch(dev.url.rstrip("/") + path)


def raw_get(dev: DevServer, raw_path: str) -> tuple[int, bytes]:
    """A request line sent byte for byte, as an attacker would, with no client cleanup."""
    parts = urlsplit(dev.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(f"GET {raw_path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def strip_live(body: bytes) -> bytes:
    return LIVE_SCRIPT.sub(b"", body)


def settle(dev: DevServer, epoch: int) -> None:
    """Wait until a build after `epoch` finished and no change is waiting."""
    outcome = dev.state.wait_idle(epoch, SETTLED_TIMEOUT)
    assert outcome is not None, "the server did not rebuild after the change"


def served_tree(dev: DevServer) -> dict[str, bytes]:
    return {p.relative_to(dev.options.output).as_posix(): p.read_bytes()
            for p in sorted(dev.options.output.rglob("*")) if p.is_file()}


def assert_matches_fresh_build(site: SiteDir, dev: DevServer, tmp_path: Path) -> None:
    """What the server serves is what `newsgen build` writes from the same files.
    The fresh build starts from the served site's URL history (its redirect manifest),
    as a `newsgen build` run after every edit would have it: moved articles keep a
    redirect from their old URL."""
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    manifest = dev.options.output / MANIFEST_NAME
    if manifest.exists():
        shutil.copyfile(manifest, fresh / MANIFEST_NAME)
    build_site(BuildOptions(site_dir=site.root, out_dir=fresh, now=NOW, base_url=dev.url))
    expected = {p.relative_to(fresh).as_posix(): p.read_bytes()
                for p in sorted(fresh.rglob("*")) if p.is_file()}
    served = served_tree(dev)
    assert sorted(served) == sorted(expected)
    for rel, data in expected.items():
        url = "/" + rel.removesuffix("index.html")
        status, _, body = get(dev, url)
        assert status == 200, url
        assert strip_live(body) == data, url


# -- serving ----------------------------------------------------------------------------


def test_serves_the_site_with_the_reload_script_only_in_responses(
        server: DevServer, site: SiteDir, tmp_path: Path) -> None:
    status, headers, body = get(server, "/politika/vybory-naznacheny/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Выборы назначены".encode() in body
    assert b"<script data-newsgen-live>" in body and b"/__newsgen/events" in body
    assert body.index(b"<script data-newsgen-live>") < body.rindex(b"</body>")
    # Serve writes to its own folder, never to build/, and its files carry no script.
    assert server.options.output == (site.root / ".newsgen-cache" / "serve").absolute()
    assert not (site.root / "build").exists()
    assert all(b"newsgen-live" not in data for data in served_tree(server).values())
    assert_matches_fresh_build(site, server, tmp_path)


def test_content_types_redirects_and_not_found(server: DevServer) -> None:
    expected_types = {
        "/feed.xml": "application/atom+xml",
        "/politika/feed.xml": "application/atom+xml",
        "/sitemap.xml": "application/xml",
        "/css/newsgen.css": "text/css",
        "/img/dot.png": "image/png",
        "/robots.txt": "text/plain",
        "/": "text/html; charset=utf-8",
    }
    for path, kind in expected_types.items():
        status, headers, _ = get(server, path)
        assert status == 200, path
        assert headers["Content-Type"].startswith(kind), path
        assert headers["Cache-Control"] == "no-store"

    status, headers, _ = get(server, "/politika")
    assert status == 301 and headers["Location"] == "/politika/"
    status, headers, _ = get(server, "/politika?x=1")
    assert status == 301 and headers["Location"] == "/politika/?x=1"

    status, headers, body = get(server, "/no/such/page/")
    assert status == 404
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Страница не найдена".encode() in body  # the site's own 404.html
    assert b"<script data-newsgen-live>" in body


def test_nothing_outside_the_output_folder_is_served(server: DevServer, site: SiteDir,
                                                     tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    site.write("content/secret.txt", "TOP-SECRET")
    os.symlink(secret, server.options.output / "leak.txt")
    os.symlink(tmp_path, server.options.output / "leakdir")
    attempts = [
        "/../newsgen.yaml", "/../../secret.txt", "/%2e%2e/newsgen.yaml",
        "/%2E%2E/%2e%2e/secret.txt", "/..%2fnewsgen.yaml", "/..%5cnewsgen.yaml",
        "//etc/passwd", "/" + str(secret), "/css/../../newsgen.yaml", "/leak.txt",
        "/leakdir/secret.txt", "/%00", "/.%2e/content/secret.txt",
        f"http://127.0.0.1/{tmp_path}/secret.txt",
    ]
    for raw in attempts:
        status, body = raw_get(server, raw)
        assert status in (400, 404), raw
        assert b"TOP-SECRET" not in body and b"base_url" not in body and b"root:" not in body


def test_head_requests_and_unknown_endpoints(server: DevServer) -> None:
    parts = urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("HEAD", "/")
    response = connection.getresponse()
    assert response.status == 200 and int(response.getheader("Content-Length")) > 0
    assert response.read() == b""
    connection.close()
    assert get(server, "/__newsgen/nothing")[0] == 404


# -- rebuilds in every save pattern -------------------------------------------------------


def save_in_place(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def save_by_rename(path: Path, text: str) -> None:
    """What vim (backupcopy=no), VS Code and most atomic writers do."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def save_by_delete_and_create(path: Path, text: str) -> None:
    path.unlink()
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("save", [save_in_place, save_by_rename, save_by_delete_and_create])
def test_each_save_pattern_ends_in_a_correct_site(server: DevServer, site: SiteDir,
                                                  tmp_path: Path, save: object) -> None:
    path = site.root / "content/politika/vybory.md"
    epoch = server.state.outcome.epoch
    save(path, article(title="Выборы перенесены", section="Политика",  # type: ignore[operator]
                       lede="Новый лид.", tags=["выборы"], date="2026-11-20T10:00:00+03:00"))
    settle(server, epoch)
    assert server.state.outcome.ok
    status, _, body = get(server, "/politika/vybory-pereneseny/")
    assert status == 200 and "Новый лид.".encode() in body
    assert_matches_fresh_build(site, server, tmp_path)

    # The usual edit, the body alone: the rebuild touches only that article's pages.
    epoch = server.state.outcome.epoch
    save(path, article(title="Выборы перенесены", section="Политика",  # type: ignore[operator]
                       lede="Новый лид.", tags=["выборы"], date="2026-11-20T10:00:00+03:00",
                       body="Дата голосования **объявлена**."))
    settle(server, epoch)
    assert "Дата голосования <strong>объявлена</strong>.".encode() in get(
        server, "/politika/vybory-pereneseny/")[2]
    assert_matches_fresh_build(site, server, tmp_path)


def test_a_burst_of_fifty_files_like_a_branch_switch(server: DevServer, site: SiteDir,
                                                     tmp_path: Path) -> None:
    epoch = server.state.outcome.epoch
    (site.root / "content/world/summit.md").unlink()
    for number in range(50):
        site.add(f"ekonomika/n{number:02d}", title=f"Новость номер {number}",
                 section="Экономика", lede=f"Лид {number}.", tags=[f"тег{number % 7}"],
                 date=f"2026-11-{1 + number % 20:02d}T09:00:00+03:00")
    settle(server, epoch)
    assert server.state.outcome.ok
    assert get(server, "/ekonomika/novost-nomer-49/")[0] == 200
    assert get(server, "/world/summit-in-paris/")[0] == 404  # a deleted article is gone
    assert_matches_fresh_build(site, server, tmp_path)


def test_an_article_file_renamed_or_moved_to_another_folder(server: DevServer, site: SiteDir,
                                                           tmp_path: Path) -> None:
    """The watcher reports both names; the rebuild looks at just those files."""
    epoch = server.state.outcome.epoch
    os.rename(site.root / "content/politika/vybory.md", site.root / "content/politika/v2.md")
    settle(server, epoch)
    assert_matches_fresh_build(site, server, tmp_path)

    epoch = server.state.outcome.epoch
    (site.root / "content/ekonomika").mkdir(exist_ok=True)
    os.rename(site.root / "content/politika/v2.md", site.root / "content/ekonomika/v2.md")
    settle(server, epoch)
    assert server.state.outcome.ok
    assert_matches_fresh_build(site, server, tmp_path)


def test_templates_static_and_config_changes_rebuild(server: DevServer, site: SiteDir,
                                                     tmp_path: Path) -> None:
    epoch = server.state.outcome.epoch
    site.write("templates/404.html", "{% extends 'base.html' %}{% block main %}"
               "<h1>Здесь пусто</h1>{% endblock %}\n")
    settle(server, epoch)
    assert "Здесь пусто".encode() in get(server, "/missing/")[2]

    epoch = server.state.outcome.epoch
    site.write("static/css/extra.css", "body { color: red }\n")
    settle(server, epoch)
    assert get(server, "/css/extra.css")[2] == b"body { color: red }\n"

    epoch = server.state.outcome.epoch
    config = site.root / "newsgen.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "Тестовые новости", "Новости дня"), encoding="utf-8")
    settle(server, epoch)
    assert "Новости дня".encode() in get(server, "/")[2]
    assert_matches_fresh_build(site, server, tmp_path)


def test_a_watched_folder_deleted_and_created_anew_is_still_watched(
        server: DevServer, site: SiteDir, tmp_path: Path) -> None:
    epoch = server.state.outcome.epoch
    shutil.rmtree(site.root / "static")
    settle(server, epoch)
    assert get(server, "/img/dot.png")[0] == 404

    epoch = server.state.outcome.epoch
    site.write("static/img/new.png", b"\x89PNG\r\n\x1a\nnew")
    settle(server, epoch)
    epoch = server.state.outcome.epoch
    site.write("static/img/newer.png", b"\x89PNG\r\n\x1a\nnewer")
    settle(server, epoch)
    assert get(server, "/img/newer.png")[0] == 200
    assert_matches_fresh_build(site, server, tmp_path)


def test_the_content_folder_replaced_whole(server: DevServer, site: SiteDir,
                                           tmp_path: Path) -> None:
    """A restore from a backup: content/ deleted, then a new one moved in. The new folder's
    files make no events of their own, and still they are all found."""
    # Articles straight in content/, so that deleting it reports no folder but itself.
    epoch = server.state.outcome.epoch
    for path in sorted((site.root / "content").rglob("*.md")):
        os.rename(path, site.root / "content" / f"{path.parent.name}-{path.name}")
    for folder in [p for p in (site.root / "content").iterdir() if p.is_dir()]:
        shutil.rmtree(folder)
    settle(server, epoch)
    backup = tmp_path / "backup"
    shutil.copytree(site.root / "content", backup)
    (backup / "novaya.md").write_text(article(
        title="Из резервной копии", section="Политика", lede="Лид.",
        date="2026-11-21T10:00:00+03:00"), encoding="utf-8")

    epoch = server.state.outcome.epoch
    shutil.rmtree(site.root / "content")
    os.rename(backup, site.root / "content")
    settle(server, epoch)
    assert get(server, "/politika/iz-rezervnoi-kopii/")[0] == 200
    assert_matches_fresh_build(site, server, tmp_path)


def test_editor_scratch_files_do_not_rebuild(server: DevServer, site: SiteDir) -> None:
    epoch = server.state.outcome.epoch
    site.write("content/politika/.vybory.md.swp", "swap")
    site.write("content/politika/vybory.md~", "backup")
    site.write("build/index.html", "someone ran newsgen build")
    site.write("notes.txt", "not part of the site")
    site.write("content/politika/sedAb12Cd", "sed -i's temporary file")
    # A real change after them: the build that follows it is the only one.
    site.add("politika/novoe", title="Новое", section="Политика", lede="Лид.",
             date="2026-11-23T10:00:00+03:00")
    settle(server, epoch)
    assert server.state.outcome.epoch == epoch + 1
    assert server.state.outcome.changed == ("content/politika/novoe.md",)


def test_a_folder_of_articles_moved_in_and_out(server: DevServer, site: SiteDir,
                                               tmp_path: Path) -> None:
    outside = tmp_path / "drafts-folder"
    (outside / "nauka").mkdir(parents=True)
    for number in range(3):
        (outside / "nauka" / f"n{number}.md").write_text(article(
            title=f"Открытие {number}", section="Наука", lede="Лид.",
            date="2026-11-19T10:00:00+03:00"), encoding="utf-8")
    epoch = server.state.outcome.epoch
    os.rename(outside / "nauka", site.root / "content/nauka")
    settle(server, epoch)
    assert get(server, "/nauka/otkrytie-2/")[0] == 200
    assert_matches_fresh_build(site, server, tmp_path)

    epoch = server.state.outcome.epoch
    os.rename(site.root / "content/nauka", outside / "nauka")
    settle(server, epoch)
    assert get(server, "/nauka/otkrytie-2/")[0] == 404
    assert_matches_fresh_build(site, server, tmp_path)


# -- errors ---------------------------------------------------------------------------------


def test_a_broken_edit_keeps_the_last_good_site_and_shows_the_errors(
        server: DevServer, site: SiteDir, tmp_path: Path) -> None:
    good = get(server, "/politika/biudzhet-priniat/")[2]
    epoch = server.state.outcome.epoch
    site.write("content/politika/byudzhet.md",
               "---\ntitle: <b>Бюджет</b>\nsection: Политика\nlede: [unclosed\n---\n\nТекст.\n")
    settle(server, epoch)
    outcome = server.state.outcome
    assert not outcome.ok and outcome.errors

    status, _, body = get(server, "/politika/biudzhet-priniat/")
    assert status == 200
    assert strip_live(body) == strip_live(good)  # the last good page, whole
    assert b'<div id="newsgen-errors"' in body
    text = body.decode()
    assert re.search(r"content/politika/byudzhet\.md:\d+: ", text)
    for path in ("/", "/politika/", "/missing/"):
        assert b'<div id="newsgen-errors"' in get(server, path)[2], path
    assert get(server, "/feed.xml")[2].count(b"newsgen-errors") == 0  # only HTML pages
    status = json.loads(get(server, "/__newsgen/status")[2])
    assert status["ok"] is False and "content/politika/byudzhet.md:" in status["errors"][0]

    epoch = server.state.outcome.epoch
    site.add("politika/byudzhet", title="Бюджет принят", section="Политика",
             lede="Лид о бюджете.", date="2026-11-21T10:00:00+03:00")
    settle(server, epoch)
    assert server.state.outcome.ok
    assert b"newsgen-errors" not in get(server, "/politika/biudzhet-priniat/")[2]
    assert_matches_fresh_build(site, server, tmp_path)


def test_error_messages_are_escaped_in_the_overlay(server: DevServer, site: SiteDir) -> None:
    epoch = server.state.outcome.epoch
    site.write("templates/article.html", "{% extends 'base.html' %}\n{% block main %}\n"
               "{{ article.title <script>alert(1)</script> }}\n{% endblock %}\n")
    settle(server, epoch)
    assert not server.state.outcome.ok
    body = get(server, "/")[2].decode()
    overlay = body[body.index('<div id="newsgen-errors"'):body.index("<script data-newsgen")]
    assert "templates/article.html:3:" in overlay
    assert "<script>alert" not in overlay


def test_a_site_that_never_built_shows_its_errors_until_fixed(site: SiteDir) -> None:
    site.write("content/bad.md", "---\ntitle: Без раздела\nlede: Лид.\n---\n\nТекст.\n")
    with DevServer(ServeOptions(site_dir=site.root, port=0, watch=True, now=NOW),
                   say=quiet, warn=quiet) as dev:
        status, _, body = get(dev, "/")
        assert status == 500
        assert b"content/bad.md" in body and b"<script data-newsgen-live>" in body
        epoch = dev.state.outcome.epoch
        site.add("bad", title="Без раздела", section="Общество", lede="Лид.",
                 date="2026-11-20T10:00:00+03:00")
        settle(dev, epoch)
        status, _, body = get(dev, "/")
        assert status == 200 and b"newsgen-errors" not in body


# -- live reload ----------------------------------------------------------------------------


def read_event(response: http.client.HTTPResponse) -> dict[str, object]:
    """The next `rebuild` event of a server-sent-events stream."""
    lines: list[str] = []
    while True:
        line = response.readline().decode()
        assert line, "the event stream ended"
        if line == "\n":
            if any(entry.startswith("event: rebuild") for entry in lines):
                data = next(entry for entry in lines if entry.startswith("data: "))
                return json.loads(data[len("data: "):])  # type: ignore[no-any-return]
            lines = []
        else:
            lines.append(line)


def test_the_event_stream_announces_each_finished_build(server: DevServer,
                                                        site: SiteDir) -> None:
    parts = urlsplit(server.url)
    epoch = server.state.outcome.epoch
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", f"/__newsgen/events?since={epoch}&server={server.server_id}")
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    site.add("world/summit", title="Summit over", section="World", lede="Done.",
             date="2026-11-22T10:00:00+03:00")
    assert read_event(response) == {"epoch": epoch + 1, "ok": True}
    site.write("content/world/summit.md", "no front matter\n")
    assert read_event(response) == {"epoch": epoch + 2, "ok": False}
    connection.close()

    # A page from an earlier run of the server (another id) is told to reload at once.
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", f"/__newsgen/events?since={epoch + 2}&server=old")
    assert read_event(connection.getresponse())["epoch"] == epoch + 2
    connection.close()


def test_a_page_made_just_after_the_reload_is_waited_for(site: SiteDir, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A new article pushes every listing page down one: the server reloads the browser
    once the first pages are made, and makes the others just after; a reader asking for
    one of those meanwhile (made slow here) gets it made, never the page before the edit."""
    make_site(site)
    site.write("newsgen.yaml", "title: Новости\nlanguage: ru\nper_page: 1\n")
    slow = DevServer._build

    def slow_build(self: DevServer, changes: list[str] | None, *, defer: bool
                   ) -> tuple[object, tuple[object, ...]]:
        if changes == [] and not defer:  # the build right after a reload
            threading.Event().wait(0.5)
        return slow(self, changes, defer=defer)  # type: ignore[return-value]

    monkeypatch.setattr(DevServer, "_build", slow_build)
    dev = DevServer(ServeOptions(site_dir=site.root, port=0, watch=True, now=NOW),
                    say=quiet, warn=quiet)
    dev.start()
    try:
        _, _, before = get(dev, "/politika/page/2/")
        assert "Выборы назначены" in before.decode()
        parts = urlsplit(dev.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        connection.request("GET", f"/__newsgen/events?since={dev.state.outcome.epoch}"
                                  f"&server={dev.server_id}")
        events = connection.getresponse()
        site.add("politika/novyi", title="Новый закон", section="Политика", lede="Лид.",
                 date="2026-11-23T10:00:00+03:00")
        assert read_event(events)["ok"] is True
        status, _, page = get(dev, "/politika/page/2/")  # made while this waits
        assert status == 200 and "Бюджет принят" in page.decode()
        assert "Выборы назначены" in get(dev, "/politika/page/3/")[2].decode()
        connection.close()
        settle(dev, dev.state.outcome.epoch - 1)
        assert_matches_fresh_build(site, dev, tmp_path)
    finally:
        dev.stop()


def test_a_reader_on_a_renamed_or_removed_page_is_sent_somewhere_real(
        server: DevServer, site: SiteDir) -> None:
    def where(path: str) -> str:
        answer: dict[str, str] = json.loads(get(server, f"/__newsgen/where?path={path}")[2])
        return answer["url"]

    assert where("/politika/vybory-naznacheny/") == "/politika/vybory-naznacheny/"
    epoch = server.state.outcome.epoch
    site.add("politika/vybory", title="Выборы отменены", section="Политика", lede="Лид.",
             date="2026-11-20T10:00:00+03:00")
    settle(server, epoch)
    assert where("/politika/vybory-naznacheny/") == "/politika/vybory-otmeneny/"

    epoch = server.state.outcome.epoch
    (site.root / "content/world/summit.md").unlink()
    settle(server, epoch)
    assert where("/world/summit-in-paris/") == "/"  # its section went with it
    epoch = server.state.outcome.epoch
    (site.root / "content/politika/byudzhet.md").unlink()
    settle(server, epoch)
    assert where("/politika/biudzhet-priniat/") == "/politika/"


# -- under load -------------------------------------------------------------------------------


def test_many_clients_during_rebuilds_get_whole_pages(server: DevServer, site: SiteDir) -> None:
    """20 clients, 5,000 requests, while the article they read is rebuilt again and again:
    every answer is a 200 with a whole page, never a torn one or a missing folder."""
    urls = ["/", "/politika/", "/politika/vybory-naznacheny/", "/feed.xml", "/css/newsgen.css",
            "/tags/", "/world/summit-in-paris/"]
    stop = threading.Event()
    builds_before = server.state.outcome.epoch

    def keep_editing() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            # Front matter and body by turns: a full rebuild, then a patch of a few pages.
            save_by_rename(site.root / "content/politika/vybory.md", article(
                title="Выборы назначены", section="Политика", lede=f"Версия {number // 2}.",
                body=f"Текст, правка {number}.", tags=["выборы"],
                date="2026-11-20T10:00:00+03:00"))
            server.state.wait_idle(server.state.outcome.epoch, 10)

    def client(index: int) -> list[str]:
        problems = []
        for n in range(250):
            url = urls[(index + n) % len(urls)]
            try:
                status, headers, body = get(server, url)
            except (OSError, http.client.HTTPException) as exc:
                problems.append(f"{url}: {exc!r}")
                continue
            if status != 200 or int(headers["Content-Length"]) != len(body):
                problems.append(f"{url}: status {status}")
            elif url.endswith("/"):
                page = strip_live(body)
                if not (page.startswith(b"<!DOCTYPE html>") and page.endswith(b"</html>\n")):
                    problems.append(f"{url}: torn page")
            elif url.endswith(".xml") and not body.rstrip().endswith(b"</feed>"):
                problems.append(f"{url}: torn feed")
        return problems

    editor = threading.Thread(target=keep_editing)
    editor.start()
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(client, range(20)))
    finally:
        stop.set()
        editor.join()
    problems = [p for found in results for p in found]
    assert problems == []
    assert server.state.outcome.epoch > builds_before + 2  # rebuilds did run meanwhile


# -- the command line ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_cli(site: SiteDir, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "newsgen", "serve", "--site", str(site.root), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_serves_prints_its_url_and_stops_cleanly_on_ctrl_c(site: SiteDir) -> None:
    make_site(site)
    process = start_cli(site, "--watch", "--port", "0")
    try:
        assert process.stdout is not None
        lines = []
        while not (url := re.search(r"http://127\.0\.0\.1:\d+/", "".join(lines))):
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else ""
            lines.append(line)
        status, _, body = fetch(url.group(0))
        assert status == 200 and "Выборы назначены".encode() in body
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_cli_reports_a_taken_port(site: SiteDir) -> None:
    make_site(site)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start_cli(site, "--port", str(port))
        out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in err
    assert "--port 0" in err and "Traceback" not in err


def test_binding_every_interface_is_warned_about() -> None:
    warning = host_warning("0.0.0.0")
    assert warning is not None and "other machines" in warning
    assert host_warning("127.0.0.1") is None


def test_urllib_follows_the_section_redirect(server: DevServer) -> None:
    with urllib.request.urlopen(server.url + "politika", timeout=30) as response:
        assert response.url == server.url + "politika/"
        assert "Бюджет принят".encode() in response.read()
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(server.url + "politika/nothing/", timeout=30)
    assert missing.value.code == 404
