"""Posts and videos a story quotes: a paragraph that is only the address of a Telegram
post, or of a YouTube, VK Video or Rutube video, shown as the provider's own player.

Recognised in the converted body rather than in the Markdown, so the converted bodies in
the cache stay as they are whatever changes here, and a URL inside a code block or a
sentence is never touched. Pages get a `<figure>` holding the provider's iframe and a
plain link to the original (`page_embeds`); feeds get the link alone (`feed_embeds`),
since no feed reader or aggregator runs an iframe. Both addresses are made from the parts
parsed out of the URL and checked one by one, never from the text the editor wrote: no
quote or `javascript:` in an editor's URL can reach an attribute. A URL of a known host
that does not parse is reported (`embed_problems`) and shown as a link, as is the
address of any other site alone in a paragraph."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

TELEGRAM = "telegram"
YOUTUBE = "youtube"
VK = "vk"
RUTUBE = "rutube"

# What a reader is told a frame shows, and its link leads to, by the site's language.
WORDS: dict[str, dict[str, str]] = {
    "en": {TELEGRAM: "Telegram post", YOUTUBE: "YouTube video", VK: "VK Video",
           RUTUBE: "Rutube video"},
    "ru": {TELEGRAM: "Пост в Telegram", YOUTUBE: "Видео на YouTube",
           VK: "Видео во «VK Видео»", RUTUBE: "Видео на Rutube"},
}

# What browsers may let each player do: play full screen and picture in picture.
_ALLOW = "encrypted-media; fullscreen; picture-in-picture"


@dataclass(frozen=True)
class Embed:
    """A post or video a player can show: its kind, the original's address and the
    player's, what a reader sees of the address (`reference`), and the frame's size."""

    kind: str
    url: str
    player: str
    reference: str
    width: int
    height: int


@dataclass(frozen=True)
class NotEmbeddable:
    """A URL of a known host that names no post or video: why, in the editor's words."""

    reason: str


class _Malformed(Exception):
    pass


_TELEGRAM_CHANNEL = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_NUMBER = re.compile(r"[0-9]{1,15}")
_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_YOUTUBE_START = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?")
_VK_VIDEO = re.compile(r"video(-?[0-9]{1,15})_([0-9]{1,15})")
_RUTUBE_ID = re.compile(r"[0-9a-f]{32}")
_RUTUBE_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _parts(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def _telegram(host: str, path: str, query: str) -> Embed:
    parts = _parts(path)
    if parts[:1] == ["s"]:  # the channel's web preview: t.me/s/<channel>/<post>
        parts = parts[1:]
    if parts[:1] == ["c"]:
        raise _Malformed("it is a post of a private channel, which Telegram shows to its "
                         "members only; only public channels' posts can be embedded")
    if len(parts) != 2:
        raise _Malformed("it names no post: a post's address is t.me/<channel>/<number>")
    channel, post = parts
    if not _TELEGRAM_CHANNEL.fullmatch(channel):
        raise _Malformed(f"'{channel}' is not a Telegram channel's name (4 to 32 Latin "
                         "letters, digits and underscores, starting with a letter)")
    if not _NUMBER.fullmatch(post):
        raise _Malformed(f"'{post}' is not a post's number")
    url = f"https://t.me/{channel}/{post}"
    return Embed(TELEGRAM, url, url + "?embed=1", f"t.me/{channel}/{post}", 560, 600)


def _youtube_start(query: dict[str, list[str]]) -> int:
    """The second a link asks the video to start at (`t=90`, `t=1m30s`), or 0."""
    found = _YOUTUBE_START.fullmatch((query.get("t") or query.get("start") or [""])[0])
    if found is None:
        return 0
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return hours * 3600 + minutes * 60 + seconds


def _youtube(host: str, path: str, query: str) -> Embed:
    parts, asked = _parts(path), parse_qs(query)
    vertical = False
    if host == "youtu.be":
        video = parts[0] if len(parts) == 1 else ""
    elif parts == ["watch"]:
        video = (asked.get("v") or [""])[0]
    elif len(parts) == 2 and parts[0] in ("shorts", "live", "embed"):
        video, vertical = parts[1], parts[0] == "shorts"
    else:
        raise _Malformed("it is not a video's address: youtube.com/watch?v=<id>, "
                         "youtu.be/<id> or youtube.com/shorts/<id>")
    if not video:
        raise _Malformed("it names no video: youtube.com/watch?v=<id> or youtu.be/<id>")
    if not _YOUTUBE_ID.fullmatch(video):
        raise _Malformed(f"'{video}' is not a YouTube video's id (11 Latin letters, digits, "
                         "'-' and '_')")
    start = _youtube_start(asked)
    if vertical:
        return Embed(YOUTUBE, f"https://www.youtube.com/shorts/{video}",
                     f"https://www.youtube-nocookie.com/embed/{video}",
                     f"youtube.com/shorts/{video}", 315, 560)
    at = f"&t={start}s" if start else ""
    return Embed(YOUTUBE, f"https://www.youtube.com/watch?v={video}{at}",
                 f"https://www.youtube-nocookie.com/embed/{video}"
                 + (f"?start={start}" if start else ""),
                 f"youtu.be/{video}", 560, 315)


def _vk(host: str, path: str, query: str) -> Embed:
    parts = _parts(path)
    found = _VK_VIDEO.fullmatch(parts[0]) if len(parts) == 1 else None
    if found is None:
        raise _Malformed("it is not a video's address: vkvideo.ru/video-<owner>_<id> or "
                         "vk.com/video-<owner>_<id>")
    owner, video = found.groups()
    return Embed(VK, f"https://{host}/video{owner}_{video}",
                 f"https://vk.com/video_ext.php?oid={owner}&id={video}&hd=2",
                 f"{host}/video{owner}_{video}", 640, 360)


def _rutube(host: str, path: str, query: str) -> Embed:
    parts = _parts(path)
    private = parts[:2] == ["video", "private"]
    if private:
        parts = ["video", *parts[2:]]
    if parts[:1] != ["video"] or len(parts) != 2:
        raise _Malformed("it is not a video's address: rutube.ru/video/<id>/")
    video = parts[1]
    if not _RUTUBE_ID.fullmatch(video):
        raise _Malformed(f"'{video}' is not a Rutube video's id (32 hexadecimal digits)")
    if not private:
        return Embed(RUTUBE, f"https://rutube.ru/video/{video}/",
                     f"https://rutube.ru/play/embed/{video}", f"rutube.ru/video/{video}/",
                     720, 405)
    key = (parse_qs(query).get("p") or [""])[0]
    if not _RUTUBE_KEY.fullmatch(key):
        raise _Malformed("a private video's address needs its key: "
                         "rutube.ru/video/private/<id>/?p=<key>")
    return Embed(RUTUBE, f"https://rutube.ru/video/private/{video}/?p={key}",
                 f"https://rutube.ru/play/embed/{video}?p={key}",
                 f"rutube.ru/video/private/{video}/", 720, 405)


# Each known host (without 'www.' or 'm.'), and how its addresses are read.
_HOSTS = {
    "t.me": _telegram, "telegram.me": _telegram,
    "youtube.com": _youtube, "youtu.be": _youtube,
    "vk.com": _vk, "vk.ru": _vk, "vkvideo.ru": _vk,
    "rutube.ru": _rutube,
}
# The same hosts as a Markdown text may write them: a text without any is not read again.
_KNOWN_IN_TEXT = re.compile(r"t\.me/|telegram\.me/|youtube\.com/|youtu\.be/|vk\.com/|vk\.ru/"
                            r"|vkvideo\.ru/|rutube\.ru/", re.IGNORECASE)


def recognise(url: str) -> Embed | NotEmbeddable | None:
    """What `url` shows: an embeddable post or video, a known host's address that names
    none (why), or None for any other address."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.").removeprefix("m.")
    read = _HOSTS.get(host)
    if read is None or parts.scheme.lower() not in ("http", "https"):
        return None
    try:
        return read(host, parts.path, parts.query)
    except _Malformed as exc:
        return NotEmbeddable(str(exc))


# A paragraph of a converted body that is an address alone: as text, or as a link to
# itself (Markdown's `<https://…>`). Markdown writes attributes in double quotes.
_URL_PARAGRAPH = re.compile(r'<p>(?:<a href="(?P<href>[^"]*)">(?P<linked>https?://[^\s<>]+)'
                            r'</a>|(?P<bare>https?://[^\s<>]+))</p>', re.IGNORECASE)
_MAY_HOLD_URL = re.compile(r'<p>(?:<a href=")?https?://', re.IGNORECASE)


@dataclass(frozen=True)
class UrlParagraph:
    url: str  # as the editor wrote it, entities decoded
    linked: bool  # written as a link to itself
    found: Embed | NotEmbeddable | None


def _url_paragraph(match: re.Match[str]) -> UrlParagraph | None:
    if match.group("linked") is not None:
        url = html.unescape(match.group("linked"))
        return UrlParagraph(url, True, recognise(url)) \
            if html.unescape(match.group("href")) == url else None
    url = html.unescape(match.group("bare"))
    return UrlParagraph(url, False, recognise(url))


def url_paragraphs(body: str) -> Iterator[UrlParagraph]:
    """Each paragraph of a converted body that is an address alone, in order."""
    if _MAY_HOLD_URL.search(body) is None:
        return
    for match in _URL_PARAGRAPH.finditer(body):
        found = _url_paragraph(match)
        if found is not None:
            yield found


def words(language: str) -> dict[str, str]:
    return WORDS.get(language.split("-")[0].lower(), WORDS["en"])


def figure(embed: Embed, label: str) -> str:
    """The player in a frame, and the plain link to the original below it."""
    shown = html.escape(f"{label}: {embed.reference}")
    return (f'<figure class="embed embed-{embed.kind}">'
            f'<iframe src="{html.escape(embed.player)}" title="{shown}" width="{embed.width}" '
            f'height="{embed.height}" loading="lazy" allow="{_ALLOW}" '
            'referrerpolicy="strict-origin-when-cross-origin"></iframe>'
            f'<figcaption><a href="{html.escape(embed.url)}">{shown}</a></figcaption></figure>')


def _link(url: str) -> str:
    return f'<p><a href="{html.escape(url)}">{html.escape(url, quote=False)}</a></p>'


def page_embeds(body: str, language: str) -> str:
    """A body as pages show it: each post or video alone in a paragraph its player, each
    other address alone in a paragraph a link."""
    if _MAY_HOLD_URL.search(body) is None:
        return body
    labels = words(language)

    def shown(match: re.Match[str]) -> str:
        found = _url_paragraph(match)
        if found is not None and isinstance(found.found, Embed):
            return figure(found.found, labels[found.found.kind])
        if found is None or found.linked:
            return match.group(0)
        return _link(found.url)

    return _URL_PARAGRAPH.sub(shown, body)


_FIGURE = re.compile(r'<figure class="embed embed-[a-z]+">.*?<figcaption>(.*?)</figcaption>'
                     r"</figure>", re.DOTALL)


def feed_embeds(body: str) -> str:
    """A page's body as feeds carry it: each player its link to the original alone."""
    if '<figure class="embed' not in body:
        return body
    return _FIGURE.sub(r"<p>\1</p>", body)


def may_embed(text: str) -> bool:
    """Whether a Markdown text names a known host at all (else it has nothing to check)."""
    return _KNOWN_IN_TEXT.search(text) is not None


def embed_problems(body: str, text: str, first_line: int) -> list[tuple[int | None, str]]:
    """(line, message) for each address of a known host alone in a paragraph that names
    no post or video, the line being where the Markdown text names it."""
    found = []
    for paragraph in url_paragraphs(body):
        if isinstance(paragraph.found, NotEmbeddable):
            alone = re.search(rf"^[ \t>]*<?{re.escape(paragraph.url)}>?[ \t]*$", text,
                              re.MULTILINE)
            at = alone.start() if alone is not None else text.find(paragraph.url)
            line = first_line + text.count("\n", 0, at) if at >= 0 else None
            found.append((line, f"{paragraph.url} cannot be embedded: "
                                f"{paragraph.found.reason}; it is shown as a link"))
    return found
