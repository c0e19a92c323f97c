"""Images: real pictures made with Pillow here, built into variants, markup, social cards,
JSON-LD, feeds, errors and the cache, as a newsroom publishes them."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
from pathlib import Path

from conftest import NOW, SiteDir, next_release, run_newsgen, serving, tree
from PIL import Image, ImageDraw
from playwright.sync_api import Browser

from newsgen.build import BuildOptions, build_site

GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
       b"<rdf:RDF><rdf:Description>secret-source</rdf:Description></rdf:RDF></x:xmpmeta>")


def camera_photo(width: int = 3000, height: int = 2000, *, rotated: bool = True) -> bytes:
    """A JPEG as a phone writes it: stored sideways with an EXIF orientation, a GPS position,
    the camera's serial number, XMP and a comment."""
    picture = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 0, width // 6, height), fill=(220, 30, 30))  # red along the left edge
    exif = Image.Exif()
    if rotated:
        exif[ORIENTATION] = 6  # shown turned 90° clockwise: 2000 wide, 3000 high
    exif[0xA431] = "SERIAL-0042"  # BodySerialNumber
    exif[GPS_IFD] = {1: "N", 2: (55.0, 45.0, 21.0), 3: "E", 4: (37.0, 37.0, 2.0)}
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90, exif=exif, xmp=XMP, comment=b"taken by a source")
    return buffer.getvalue()


def png(width: int = 900, height: int = 600) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (20, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


SVG = "<svg xmlns='http://www.w3.org/2000/svg' width='40' height='20'><rect width='40' height='20'/></svg>"
ARTICLE_URL = "/politika/vstrecha-v-parizhe/"


def newsroom(site: SiteDir) -> None:
    """A lead photo in static/, a PNG and an SVG beside the article in content/, and a
    second article with a small lead image."""
    site.write("static/img/paris.jpg", camera_photo())
    site.write("content/politika/karta.png", png())
    site.write("content/politika/logo.svg", SVG)
    site.write("static/img/small.jpg", camera_photo(800, 600, rotated=False))
    site.add("politika/vstrecha", title="Встреча в Париже", section="Политика",
             date="2026-11-24T18:30:00+03:00", image="/img/paris.jpg",
             image_alt="Лидеры на ступенях дворца", image_caption="Саммит в Париже",
             image_credit="Анна Петрова",
             body="Первый абзац.\n\n![Карта переговоров](karta.png)\n\n![Логотип](logo.svg)\n\n"
                  "![Чужое фото](https://example.org/x.jpg)\n")
    site.add("politika/vtoraya", title="Вторая новость", section="Политика",
             date="2026-11-23T10:00:00+03:00", image="img/small.jpg", image_alt="Зал")


def built_newsroom(site: SiteDir) -> str:
    """The newsroom built; its article page's HTML."""
    newsroom(site)
    site.build()
    return site.page(ARTICLE_URL)


def attribute(tag: str, name: str) -> str | None:
    found = re.search(rf' {name}="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else None


def srcset(value: str) -> list[tuple[str, int]]:
    return [(url, int(width.rstrip("w"))) for url, width in
            (item.strip().split(" ") for item in value.split(","))]


def output_file(site: SiteDir, url: str) -> Path:
    return site.out / url.removeprefix("https://news.example.org/").lstrip("/")


def test_each_image_is_published_in_its_variants_at_their_real_sizes_with_no_metadata(
        site: SiteDir) -> None:
    page = built_newsroom(site)
    pictures = re.findall(r"<picture>.*?</picture>", page, re.DOTALL)
    assert len(pictures) == 2  # the lead photo and the PNG; the SVG is an <img> as it is
    for markup in pictures:
        img = re.search(r"<img [^>]*>", markup).group(0)  # type: ignore[union-attr]
        entries = srcset(attribute(img, "srcset") or "")
        for source in re.findall(r"<source [^>]*>", markup):
            assert attribute(source, "type") == "image/webp"
            entries += srcset(attribute(source, "srcset") or "")
        for url, width in entries:
            with Image.open(output_file(site, url)) as variant:
                assert variant.width == width, url
                assert not variant.getexif(), url  # no EXIF, so no GPS and no serial number
                assert "xmp" not in variant.info and "comment" not in variant.info, url
                assert variant.format == ("WEBP" if url.endswith(".webp") else
                                          "PNG" if url.endswith(".png") else "JPEG")
        with Image.open(output_file(site, attribute(img, "src") or "")) as shown:
            assert (str(shown.width), str(shown.height)) == (attribute(img, "width"),
                                                             attribute(img, "height"))
    lead = re.search(r"<img [^>]*>", pictures[0]).group(0)  # type: ignore[union-attr]
    # The photo stood sideways: it is published upright, never wider than it is.
    assert [w for _, w in srcset(attribute(lead, "srcset") or "")] == [480, 800, 1200, 1600]
    assert (attribute(lead, "width"), attribute(lead, "height")) == ("1200", "1800")
    body_png = re.search(r"<img [^>]*>", pictures[1]).group(0)  # type: ignore[union-attr]
    assert [w for _, w in srcset(attribute(body_png, "srcset") or "")] == [480, 800, 900]
    for data in (output_file(site, u).read_bytes() for u, _ in srcset(attribute(lead, "srcset") or "")):
        assert b"SERIAL-0042" not in data and b"secret-source" not in data
        assert b"taken by a source" not in data
    # The originals with their metadata are not published; the SVG is, as it is.
    assert not (site.out / "img/paris.jpg").exists()
    assert not list(site.out.rglob("karta.png"))
    svg = re.search(r'<img src="([^"]+\.svg)"[^>]*>', page)
    assert svg is not None and output_file(site, svg.group(1)).read_text() == SVG
    assert 'src="https://example.org/x.jpg"' in page  # another site's image is left alone


def test_pages_offer_the_lead_image_first_and_body_images_when_they_come_near(
        site: SiteDir) -> None:
    page = built_newsroom(site)
    lead_figure = re.search(r'<figure class="lead-image">.*?</figure>', page, re.DOTALL)
    assert lead_figure is not None
    lead = re.search(r"<img [^>]*>", lead_figure.group(0)).group(0)  # type: ignore[union-attr]
    assert attribute(lead, "alt") == "Лидеры на ступенях дворца"
    assert attribute(lead, "fetchpriority") == "high" and attribute(lead, "loading") is None
    assert attribute(lead, "sizes") == "(min-width: 44rem) 42rem, calc(100vw - 2rem)"
    assert ('<figcaption><span class="caption">Саммит в Париже</span> <span class="credit">Фото: '
            "Анна Петрова</span></figcaption>") in lead_figure.group(0)
    body = page[page.index('<div class="story-body">'):]
    for img in re.findall(r"<img [^>]*>", body)[:2]:
        assert attribute(img, "loading") == "lazy" and attribute(img, "decoding") == "async"
    assert 'alt="Карта переговоров"' in body and 'alt="Логотип"' in body


def test_search_engines_and_social_cards_get_a_large_image_and_its_crops(site: SiteDir) -> None:
    page = built_newsroom(site)
    meta = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', page))
    with Image.open(output_file(site, meta["og:image"])) as card:
        assert card.width >= 1200 and card.format == "JPEG"
        assert (str(card.width), str(card.height)) == (meta["og:image:width"],
                                                       meta["og:image:height"])
    assert meta["og:image"].startswith("https://news.example.org/images/")
    assert meta["og:image:alt"] == "Лидеры на ступенях дворца"
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["robots"] == "max-image-preview:large"
    ld = next(json.loads(block) for block in re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)
        if '"NewsArticle"' in block)
    ratios = []
    for url in ld["image"]:
        with Image.open(output_file(site, url)) as crop:
            assert crop.width == 1200
            ratios.append(round(crop.width / crop.height, 2))
    assert ratios == [round(16 / 9, 2), round(4 / 3, 2), 1.0]


def test_image_focus_keeps_its_point_in_the_crops(site: SiteDir) -> None:
    site.write("static/img/wide.jpg", camera_photo(rotated=False))  # red on the left sixth
    site.add("a", title="Центр", image="/img/wide.jpg", image_alt="Фото")
    site.add("b", title="Слева", image="/img/wide.jpg", image_alt="Фото", image_focus="[0.0, 0.5]",
             date="2026-11-20")
    site.build()

    def square_crop_left_pixel(url: str) -> tuple[int, ...]:
        ld = json.loads(re.findall(r'<script type="application/ld\+json">(.*?)</script>',
                                   site.page(url), re.DOTALL)[0])
        with Image.open(output_file(site, ld["image"][2])) as crop:
            return crop.convert("RGB").getpixel((5, crop.height // 2))  # type: ignore[return-value]

    centred = square_crop_left_pixel("/politika/tsentr/")
    assert centred[0] < 200  # the middle of the photo: no red
    # Each article crops the lead image it shares with another around its own focus.
    red = square_crop_left_pixel("/politika/sleva/")
    assert red[0] > 200 and red[1] < 60


def test_feeds_carry_the_lead_image_as_an_enclosure_and_body_images_as_plain_img(
        site: SiteDir) -> None:
    import feedparser  # type: ignore[import-untyped]

    newsroom(site)
    site.build()
    feed = feedparser.parse((site.out / "feed.xml").read_bytes())
    assert not feed.bozo
    entry = next(e for e in feed.entries if e.title == "Встреча в Париже")
    enclosure = next(link for link in entry.links if link.rel == "enclosure")
    assert enclosure.type == "image/jpeg"
    assert int(enclosure.length) == output_file(site, enclosure.href).stat().st_size
    content = entry.content[0].value
    assert "<picture" not in content and "srcset" not in content and "loading=" not in content
    assert 'src="https://news.example.org/images/karta-' in content


def test_an_image_that_does_not_exist_is_an_error_at_its_line_and_nothing_is_published(
        site: SiteDir) -> None:
    newsroom(site)
    assert run_newsgen("build", "--site", site.root).returncode == 0
    before = {p: p.read_bytes() for p in site.out.rglob("*") if p.is_file()}
    site.add("lost", title="Пропажа", image="/img/nope.jpg", image_alt="Нет",
             body="Текст.\n\n![Схема](schema.png)\n")
    done = run_newsgen("build", "--site", site.root)
    assert done.returncode == 1
    assert ("content/lost.md:5: the lead image '/img/nope.jpg' does not exist: there is no "
            "static/img/nope.jpg") in done.stderr
    assert ("content/lost.md:11: the image 'schema.png' does not exist: there is no "
            "content/schema.png or static/schema.png") in done.stderr
    assert "Traceback" not in done.stderr
    assert {p: p.read_bytes() for p in site.out.rglob("*") if p.is_file()} == before


def test_a_file_that_is_not_a_readable_image_is_named_with_what_is_wrong(site: SiteDir) -> None:
    site.write("static/img/cut.jpg", camera_photo()[:5000])
    site.write("static/img/notes.jpg", "это текст, а не фотография")
    site.add("a", title="Обрезанный файл", image="/img/cut.jpg", image_alt="Фото")
    site.add("b", title="Не картинка", body="![Фото](/img/notes.jpg)\n")
    done = run_newsgen("build", "--site", site.root)
    assert done.returncode == 1, done.stderr
    assert ("content/a.md:5: the lead image static/img/cut.jpg is not an image that can be "
            "read (the file is cut short)") in done.stderr
    assert ("content/b.md:7: the image static/img/notes.jpg is not an image that can be read "
            "(its bytes are not a picture of any kind Pillow knows)") in done.stderr
    assert not site.out.exists()


def test_a_lead_image_narrower_than_search_engines_ask_is_a_warning_and_an_error_under_strict(
        site: SiteDir) -> None:
    newsroom(site)
    done = run_newsgen("build", "--site", site.root)
    warning = ("content/politika/vtoraya.md:6: warning: the lead image static/img/small.jpg is "
               "800 px wide: search engines and social cards ask for at least 1200 px")
    assert done.returncode == 0 and warning in done.stderr
    strict = run_newsgen("build", "--site", site.root, "--strict")
    assert strict.returncode == 1
    assert warning.replace("warning: ", "") in strict.stderr


def _cache_files(site: SiteDir) -> dict[str, tuple[int, int]]:
    root = site.root / ".newsgen-cache" / "images"
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file()}


def _variant_files(site: SiteDir) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (site.out / "images").iterdir()}


def test_a_rebuild_encodes_nothing_and_a_restored_cache_serves_a_fresh_checkout(
        site: SiteDir, tmp_path: Path) -> None:
    newsroom(site)
    site.build()
    made, published = _cache_files(site), _variant_files(site)
    assert any(name.endswith("image.json") for name in made)
    shutil.rmtree(site.out)
    again = site.build()
    assert again.kind == "full"
    assert _cache_files(site) == made  # nothing encoded or written again
    assert _variant_files(site) == published
    # A CI checkout in another folder with the cache restored, and no output yet.
    checkout = tmp_path / "checkout"
    shutil.copytree(site.root, checkout, ignore=shutil.ignore_patterns("build"))
    restored = SiteDir(checkout)
    copied = _cache_files(restored)
    restored.build()
    assert _cache_files(restored) == copied
    assert _variant_files(restored) == published
    assert restored.page(ARTICLE_URL) == site.page(ARTICLE_URL)


def test_a_changed_image_re_encodes_its_own_files_and_re_renders_only_pages_showing_it(
        site: SiteDir) -> None:
    newsroom(site)
    site.add("other", title="Без картинок", date="2026-11-22T10:00:00+03:00")
    site.build()
    cached = _cache_files(site)
    other = site.out / "politika/bez-kartinok/index.html"
    other_stamp = other.stat().st_mtime_ns
    old_page = site.page(ARTICLE_URL)
    site.write("content/politika/karta.png", png(1000, 500))
    site.build()
    now = _cache_files(site)
    assert all(now[name] == stamp for name, stamp in cached.items() if "karta" not in name
               and name in now)
    assert any("karta" in name and name not in cached for name in now)
    assert site.page(ARTICLE_URL) != old_page and 'width="1000" height="500"' in site.page(ARTICLE_URL)
    assert other.stat().st_mtime_ns == other_stamp
    assert not [name for name in _variant_files(site) if "karta" in name and "-900." in name]


def test_images_are_the_same_bytes_whatever_jobs_says_and_with_or_without_cache(
        site: SiteDir, tmp_path: Path) -> None:
    newsroom(site)
    one = build_site(BuildOptions(site_dir=site.root, out_dir=tmp_path / "one", now=NOW, jobs=1))
    assert one.files
    shutil.rmtree(site.root / ".newsgen-cache")
    build_site(BuildOptions(site_dir=site.root, out_dir=tmp_path / "two", now=NOW, jobs=2))
    build_site(BuildOptions(site_dir=site.root, out_dir=tmp_path / "cached", now=NOW, jobs=2))
    assert tree(tmp_path / "one") == tree(tmp_path / "two") == tree(tmp_path / "cached")


def test_image_settings_choose_the_widths_and_formats_and_avif_is_opt_in(site: SiteDir) -> None:
    newsroom(site)
    config = site.root / "newsgen.yaml"
    config.write_text(config.read_text() + "image_widths: [400, 1000]\n"
                      "image_formats: [webp, avif]\nimage_quality: {jpeg: 70, avif: 50}\n")
    site.build()
    page = site.page(ARTICLE_URL)
    lead = re.search(r'<figure class="lead-image">.*?</figure>', page, re.DOTALL).group(0)  # type: ignore[union-attr]
    types = re.findall(r'<source type="([^"]+)"', lead)
    assert types == ["image/webp", "image/avif"]
    img = re.search(r"<img [^>]*>", lead).group(0)  # type: ignore[union-attr]
    assert [w for _, w in srcset(attribute(img, "srcset") or "")] == [400, 1000]
    with Image.open(next((site.out / "images").glob("paris-*-1000.avif"))) as avif:
        assert avif.format == "AVIF" and avif.width == 1000


def test_bad_image_settings_are_config_errors(site: SiteDir) -> None:
    config = site.root / "newsgen.yaml"
    config.write_text(config.read_text() + "image_widths: [0, big]\nimage_formats: [gif]\n"
                      "image_quality: {webp: 101}\n")
    site.add("a", title="Статья")
    done = run_newsgen("build", "--site", site.root)
    assert done.returncode == 1
    assert "newsgen.yaml:5: 'image_widths' must be a list of widths in pixels" in done.stderr
    assert "newsgen.yaml:6: 'image_formats' must be a list of formats made beside the original's: webp, avif" in done.stderr
    assert "newsgen.yaml:7: 'image_quality' 'webp' must be a quality from 1 to 100" in done.stderr


def test_a_phone_downloads_the_variant_its_screen_needs(site: SiteDir, browser: Browser) -> None:
    newsroom(site)
    site.build(base_url="http://127.0.0.1/")
    with serving(site.out) as address:
        sizes = {}
        for width, scale in ((375, 2), (1280, 1)):
            context = browser.new_context(viewport={"width": width, "height": 800},
                                          device_scale_factor=scale)
            page = context.new_page()
            page.goto(address + ARTICLE_URL)
            page.wait_for_function("document.querySelector('.lead-image img').complete")
            sizes[width] = page.evaluate(
                "(() => { const img = document.querySelector('.lead-image img');"
                " return [img.currentSrc, img.naturalWidth, img.getBoundingClientRect().width,"
                " img.getBoundingClientRect().height]; })()")
            context.close()
    # 375 CSS px at 2 device pixels per px: 686 px of image, the 800 px WebP.
    assert sizes[375][0].endswith("-800.webp")
    assert sizes[1280][0].endswith("-800.webp")  # the column is 42rem: 672 px
    for _, _, shown_width, shown_height in sizes.values():
        assert abs(shown_height - shown_width * 1.5) < 2  # upright, no stretching


def test_a_release_that_leaves_the_imaging_code_alone_encodes_no_image_again(
        site: SiteDir, tmp_path: Path) -> None:
    newsroom(site)
    package, build = next_release(site, tmp_path / "release")
    first, encoded = build(), _cache_files(site)
    for module in ("images.py", "pages.py", "render.py"):  # how pages show images, not the files
        with (package / module).open("a", encoding="utf-8") as code:
            code.write("\n# changed in the next release\n")
        assert build() == first
        assert _cache_files(site) == encoded
    with (package / "imaging.py").open("a", encoding="utf-8") as code:
        code.write("\n# changed in the next release\n")
    again = build()
    assert set(_cache_files(site)) > set(encoded)  # every image encoded again, under new keys
    assert len(again) == len(first)
