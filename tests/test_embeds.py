"""Embeds: a paragraph that is only the address of a Telegram post or a YouTube, VK Video
or Rutube video is shown in pages as the provider's player with a link to the original,
and in feeds as the link alone; addresses of those hosts that name no post or video are
warnings at their line and stay links; nothing an editor writes reaches an attribute."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import feedparser  # type: ignore[import-untyped]
import pytest
from conftest import SiteDir, nu_check, run_newsgen, serving
from playwright.sync_api import Browser

ARTICLE_URL = "/politika/tsitaty/"
RUTUBE_ID = "0c2f1ab9d6e84c7e9f3a5b1d2e4f6a8b"

# Each kind of address an editor pastes -> (the kind, the player's address, the link's).
EMBEDS = {
    "https://t.me/rian_ru/123456": (
        "telegram", "https://t.me/rian_ru/123456?embed=1", "https://t.me/rian_ru/123456"),
    "https://t.me/s/rian_ru/77?single": (
        "telegram", "https://t.me/rian_ru/77?embed=1", "https://t.me/rian_ru/77"),
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1m30s": (
        "youtube", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=90",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=90s"),
    "https://youtu.be/M7lc1UVf-VE?si=share": (
        "youtube", "https://www.youtube-nocookie.com/embed/M7lc1UVf-VE",
        "https://www.youtube.com/watch?v=M7lc1UVf-VE"),
    "https://youtube.com/shorts/aqz-KE-bpKQ": (
        "youtube", "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ",
        "https://www.youtube.com/shorts/aqz-KE-bpKQ"),
    "https://vk.com/video-22822305_456241864": (
        "vk", "https://vk.com/video_ext.php?oid=-22822305&id=456241864&hd=2",
        "https://vk.com/video-22822305_456241864"),
    "https://vkvideo.ru/video-22822305_456241865?list=ln-x": (
        "vk", "https://vk.com/video_ext.php?oid=-22822305&id=456241865&hd=2",
        "https://vkvideo.ru/video-22822305_456241865"),
    f"https://rutube.ru/video/{RUTUBE_ID}/": (
        "rutube", f"https://rutube.ru/play/embed/{RUTUBE_ID}",
        f"https://rutube.ru/video/{RUTUBE_ID}/"),
}

# Addresses of those hosts that name no post or video -> what the warning says of them.
MALFORMED = {
    "https://t.me/rian_ru": "it names no post",
    "https://t.me/bad-name!/5": "'bad-name!' is not a Telegram channel's name",
    "https://t.me/c/1234567/89": "it is a post of a private channel",
    "https://t.me/rian_ru/12ab": "'12ab' is not a post's number",
    "https://www.youtube.com/watch?feature=share": "it names no video",
    "https://youtu.be/short": "'short' is not a YouTube video's id",
    "https://www.youtube.com/@rianru": "it is not a video's address",
    "https://vk.com/rian": "it is not a video's address",
    "https://rutube.ru/video/not-an-id/": "'not-an-id' is not a Rutube video's id",
}


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, as a browser would read them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.found if name == tag]


def quoting(site: SiteDir, *urls: str, name: str = "politika/tsitaty") -> Path:
    """An article that quotes each of `urls` in a paragraph of its own, between text."""
    body = "Первый абзац.\n\n" + "\n\nАбзац между.\n\n".join(urls) + "\n\nПоследний абзац.\n"
    return site.add(name, title="Цитаты", section="Политика", date="2026-11-24T10:00:00+03:00",
                    body=body)


@pytest.mark.parametrize("url", EMBEDS)
def test_a_post_or_video_alone_in_a_paragraph_becomes_its_players_frame_and_a_link(
        site: SiteDir, url: str) -> None:
    kind, player, original = EMBEDS[url]
    quoting(site, url)
    result = site.build()
    assert result.warnings == ()
    page = site.page(ARTICLE_URL)
    tags = Tags(page)
    figures = [attrs for attrs in tags.all("figure") if "embed" in (attrs["class"] or "")]
    assert figures == [{"class": f"embed embed-{kind}"}]
    [frame] = tags.all("iframe")
    assert frame["src"] == player
    assert frame["loading"] == "lazy"
    assert frame["title"] and frame["title"].startswith({
        "telegram": "Пост в Telegram: ", "youtube": "Видео на YouTube: ",
        "vk": "Видео во «VK Видео»: ", "rutube": "Видео на Rutube: "}[kind])
    assert int(frame["width"] or 0) > 0 and int(frame["height"] or 0) > 0
    assert {"href": original} in tags.all("a")
    assert "<script" not in page.split("</head>", 1)[1]  # no script of ours or theirs
    assert "Первый абзац." in page and "Последний абзац." in page


def test_feeds_carry_each_embed_as_a_link_to_the_original_never_a_frame(site: SiteDir) -> None:
    quoting(site, *EMBEDS)
    site.build()
    feed = feedparser.parse((site.out / "feed.xml").read_bytes())
    assert not feed.bozo
    content = feed.entries[0].content[0].value
    assert "<iframe" not in content and "<figure" not in content
    links = {attrs["href"] for attrs in Tags(content).all("a")}
    assert links == {original for _, _, original in EMBEDS.values()}


def test_an_address_alone_that_is_no_post_or_video_is_a_warning_at_its_line_and_a_link(
        site: SiteDir) -> None:
    path = quoting(site, *MALFORMED)
    lines = path.read_text(encoding="utf-8").splitlines()
    done = run_newsgen("build", "--site", site.root)
    assert done.returncode == 0, done.stderr
    for url, reason in MALFORMED.items():
        line = lines.index(url) + 1
        assert (f"content/politika/tsitaty.md:{line}: warning: {url} cannot be embedded: "
                f"{reason}") in done.stderr, done.stderr
        assert "it is shown as a link" in done.stderr
    tags = Tags(site.page(ARTICLE_URL))
    assert tags.all("iframe") == []
    assert {url for url in MALFORMED} <= {a["href"] for a in tags.all("a")}
    feed = feedparser.parse((site.out / "feed.xml").read_bytes()).entries[0].content[0].value
    assert {url for url in MALFORMED} <= {a["href"] for a in Tags(feed).all("a")}
    strict = run_newsgen("build", "--site", site.root, "--strict")
    assert strict.returncode == 1


def test_other_addresses_stay_links_and_addresses_in_text_or_code_stay_as_written(
        site: SiteDir) -> None:
    site.add("politika/tsitaty", title="Цитаты", section="Политика", date="2026-11-24",
             body="https://example.org/report?year=2026&page=2\n\n"
                  "<https://www.kremlin.ru/events/1>\n\n"
                  "Пост https://t.me/rian_ru/1 в тексте.\n\n"
                  "    https://t.me/rian_ru/2\n\n"
                  "[Видео](https://youtu.be/dQw4w9WgXcQ)\n")
    result = site.build()
    assert result.warnings == ()
    page = site.page(ARTICLE_URL)
    tags = Tags(page)
    assert tags.all("iframe") == []
    hrefs = [a["href"] for a in tags.all("a")]
    assert "https://example.org/report?year=2026&page=2" in hrefs
    assert "https://www.kremlin.ru/events/1" in hrefs
    assert "https://youtu.be/dQw4w9WgXcQ" in hrefs  # a link with its own words stays one
    assert "<p>Пост https://t.me/rian_ru/1 в тексте.</p>" in page
    assert "<pre tabindex=\"0\"><code>https://t.me/rian_ru/2\n</code></pre>" in page


INJECTIONS = [
    'https://t.me/rian_ru/1"onload="alert(1)',
    'https://www.youtube.com/watch?v=dQw4w9WgXcQ&x="onfocus="alert(1)',
    "https://youtu.be/dQw4w9WgXcQ'onmouseover='alert(1)",
    "https://vk.com/video-1_2\"autofocus",
    "javascript:alert(1)//https://t.me/rian_ru/1",
    "https://t.me/javascript:alert(1)/5",
]


def test_nothing_an_editor_writes_in_an_address_reaches_an_attribute(site: SiteDir) -> None:
    quoting(site, *INJECTIONS)
    site.build()
    page = site.page(ARTICLE_URL)
    tags = Tags(page)
    for tag, attrs in tags.found:
        assert not any(name.startswith("on") or name == "autofocus" for name in attrs), (tag, attrs)
    for frame in tags.all("iframe"):
        assert set(frame) == {"src", "title", "width", "height", "loading", "allow",
                              "referrerpolicy"}
    # The one address that names a video gets the player built from the video's id alone.
    assert [frame["src"] for frame in tags.all("iframe")] == [
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"]
    for anchor in tags.all("a"):
        assert not (anchor["href"] or "").lower().startswith("javascript:")


def test_a_page_with_every_kind_of_embed_validates(site: SiteDir) -> None:
    quoting(site, *EMBEDS, *MALFORMED)
    site.build()
    assert nu_check(site.out / "politika") == []


SCREEN_WIDTHS = (1280, 375)


@pytest.mark.parametrize("width", SCREEN_WIDTHS)
def test_a_telegram_post_and_a_youtube_video_look_right_on_a_desktop_and_a_phone(
        site: SiteDir, browser: Browser, width: int, tmp_path: Path) -> None:
    """Without the network here the frames stay empty: what must look right is ours, the
    frame's box at its shape within the column, and the link below it. Screenshots are
    left in the test's folder for a person to look at."""
    quoting(site, "https://t.me/rian_ru/123456", "https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    site.build()
    with serving(site.out) as address:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_()
                   if route.request.url.startswith(address) else route.abort())
        page.goto(address + ARTICLE_URL)
        page.screenshot(path=str(tmp_path / f"embeds-{width}.png"), full_page=True)
        boxes = page.evaluate("""() => [...document.querySelectorAll('figure.embed')].map(f => {
            const frame = f.querySelector('iframe').getBoundingClientRect();
            const link = f.querySelector('figcaption a').getBoundingClientRect();
            const body = document.querySelector('.story-body').getBoundingClientRect();
            return {kind: f.className, frame: [frame.left, frame.right, frame.width, frame.height,
                    frame.bottom], link: [link.left, link.right, link.top, link.height],
                    column: [body.left, body.right]};
        })""")
        overflow = page.evaluate("document.documentElement.scrollWidth > innerWidth")
        context.close()
    assert not overflow
    assert [box["kind"] for box in boxes] == ["embed embed-telegram", "embed embed-youtube"]
    for box in boxes:
        left, right, frame_width, frame_height, bottom = box["frame"]
        assert box["column"][0] <= left + 0.5 and right <= box["column"][1] + 0.5
        assert frame_width > 200 and frame_height > 150
        assert box["link"][2] >= bottom and box["link"][3] > 0  # the link below the frame
        assert box["link"][1] <= box["column"][1] + 0.5
    youtube = boxes[1]["frame"]
    assert abs(youtube[2] / youtube[3] - 16 / 9) < 0.02
