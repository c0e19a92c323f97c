"""Write a deterministic newsroom-like newsgen site for benchmarking.

    python bench/make_corpus.py --articles 10000 --out bench/work/10000/site
    python bench/make_corpus.py --articles 1000 --images --out bench/work/1000-images/site

The same N always gives byte-identical files: everything comes from one seeded
random.Random, dates are computed (not read from the clock) and files are written in
a fixed order with "\n" line endings.

With --images every article also gets a 3000x2000 JPEG lead image
(static/img/lead-NNNNN.jpg, `image:` and `image_alt:` in its front matter) and every
fifth article a 2000x1333 body image (static/img/body-NNNNN.jpg) as a paragraph of its
own. The images come from seeded generators of their own, so the articles' text is
otherwise the same with and without them, and the same N gives the same JPEG bytes
(with the same Pillow and libjpeg).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import random
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from slugify import slugify

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus_words as words  # noqa: E402

SEED = 20261101
MOSCOW = timezone(timedelta(hours=3))  # Moscow has had no DST since 2014: a fixed offset is exact.
LAST_DATE = datetime(2026, 10, 31, 21, 0, tzinfo=MOSCOW)  # ends before 2026-11-01
SPAN = timedelta(days=3 * 365)
BODY_MIN_BYTES = 3000
BODY_MAX_BYTES = 4000
TABLE_SHARE = 0.05
CODE_SHARE = 0.02
RECURRING_HEADLINE_SHARE = 0.3
HEADLINE_SLUG_MAX = 60  # plus "-NNNNN" stays under the 80-character slug limit

# --images: photo-sized JPEGs, made from a few textures built once and varied per image.
IMAGE_SEED = SEED + 1  # a stream of its own: the articles' text does not depend on it
LEAD_IMAGE_SIZE = (3000, 2000)
BODY_IMAGE_SIZE = (2000, 1333)
BODY_IMAGE_EVERY = 5  # articles 0, 5, 10, ... get a body image
IMAGE_QUALITY = 90
IMAGE_TEXTURES = 4
IMAGE_FOLDER = "img"  # under the site's static/, so the URLs are /img/...
IMAGE_ALTS = (
    "Участники встречи в зале заседаний",
    "Вид на город с набережной",
    "Пресс-конференция после переговоров",
    "Очередь у входа в торговый центр",
    "Площадь перед зданием правительства",
    "Рабочие на строительной площадке",
    "Трибуны стадиона перед матчем",
    "Журналисты у здания суда",
    "Delegates arrive for the summit",
    "Traders on the floor of the exchange",
    "A data centre outside the city",
    "Fans in the stands before kick-off",
)


@dataclass(frozen=True)
class Article:
    index: int
    title: str
    section: str
    lede: str
    tags: list[str]
    date: datetime
    slug: str
    author: str
    body: str
    image: str | None = None  # the lead image's URL, e.g. /img/lead-00042.jpg
    image_alt: str | None = None


def all_tags() -> list[str]:
    """The ~200 tags, checked for distinct slugs (two tags sharing a URL would be an error)."""
    tags = list(words.RUSSIAN_TAGS) + list(words.ENGLISH_TAGS)
    slugs = [slugify(tag) for tag in tags]
    duplicates = {slug for slug in slugs if slugs.count(slug) > 1}
    if duplicates:
        raise SystemExit(f"tag slugs collide: {sorted(duplicates)}")
    return tags


def tag_weights(count: int) -> list[float]:
    # Zipf-like popularity: a few tags appear everywhere, most are rare.
    return [1.0 / (rank + 1) ** 0.8 for rank in range(count)]


class ArticleWriter:
    """Builds articles one by one from a single seeded RNG."""

    def __init__(self, article_count: int) -> None:
        self.rng = random.Random(SEED)
        self.article_count = article_count
        self.sections = [name for name, _ in words.SECTIONS]
        self.section_weights = [weight for _, weight in words.SECTIONS]
        self.tags = all_tags()
        # Shuffle once so that popularity does not follow the list order (Russian first).
        self.rng.shuffle(self.tags)
        self.tag_weights = tag_weights(len(self.tags))

    def article(self, index: int) -> Article:
        rng = self.rng
        section = rng.choices(self.sections, self.section_weights)[0]
        russian = rng.random() < (0.35 if section in words.LATIN_SECTIONS else 0.85)
        title = self.headline(russian)
        return Article(
            index=index,
            title=title,
            section=section,
            lede=self.lede(russian),
            tags=self.pick_tags(),
            date=self.date_of(index),
            slug=f"{slugify(title, max_length=HEADLINE_SLUG_MAX, word_boundary=True)}-{index:05d}",
            author=rng.choice(words.AUTHORS),
            body=self.body(russian),
        )

    def date_of(self, index: int) -> datetime:
        # Evenly spread over three years with jitter inside each slot, so that article
        # order follows index order and minutes rarely coincide even at 100,000 articles.
        slot = SPAN / self.article_count
        start = LAST_DATE - SPAN
        moment = start + slot * index + slot * self.rng.random()
        return moment.replace(second=0, microsecond=0)

    def headline(self, russian: bool) -> str:
        rng = self.rng
        if rng.random() < RECURRING_HEADLINE_SHARE:
            return rng.choice(words.RECURRING_HEADLINES)
        if russian:
            parts = (words.RU_HEADLINE_SUBJECTS, words.RU_HEADLINE_VERBS,
                     words.RU_HEADLINE_OBJECTS)
            tail = rng.choice(words.RU_HEADLINE_TAILS)
        else:
            parts = (words.EN_HEADLINE_SUBJECTS, words.EN_HEADLINE_VERBS,
                     words.EN_HEADLINE_OBJECTS)
            tail = rng.choice(words.EN_HEADLINE_TAILS)
        return " ".join(rng.choice(part) for part in parts) + tail

    def sentence(self, russian: bool) -> str:
        rng = self.rng
        if russian:
            pools = (words.RU_SENTENCE_SUBJECTS, words.RU_SENTENCE_VERBS,
                     words.RU_SENTENCE_CLAUSES)
            tail = rng.choice(words.RU_SENTENCE_TAILS)
        else:
            pools = (words.EN_SENTENCE_SUBJECTS, words.EN_SENTENCE_VERBS,
                     words.EN_SENTENCE_CLAUSES)
            tail = rng.choice(words.EN_SENTENCE_TAILS)
        return " ".join(rng.choice(pool) for pool in pools) + tail + "."

    def lede(self, russian: bool) -> str:
        return " ".join(self.sentence(russian) for _ in range(2))

    def paragraph(self, russian: bool) -> str:
        rng = self.rng
        sentences = [self.sentence(russian) for _ in range(rng.randint(2, 4))]
        decoration = rng.random()
        target = rng.randrange(len(sentences))
        if decoration < 0.3:
            sentences[target] = f"*{sentences[target][:-1]}*."
        elif decoration < 0.5:
            sentences[target] = f"**{sentences[target][:-1]}**."
        elif decoration < 0.75:
            label = "подробнее в отчёте" if russian else "see the full report"
            sentences[target] += f" ([{label}]({rng.choice(words.LINK_TARGETS)}))"
        return " ".join(sentences)

    def subheading(self, russian: bool) -> str:
        pool = words.RU_SUBHEADINGS if russian else words.EN_SUBHEADINGS
        return "## " + self.rng.choice(pool)

    def bullet_list(self, russian: bool) -> str:
        pool = words.RU_LIST_ITEMS if russian else words.EN_LIST_ITEMS
        items = self.rng.sample(pool, self.rng.randint(3, 5))
        if self.rng.random() < 0.3:
            return "\n".join(f"{number}. {item}" for number, item in enumerate(items, 1))
        return "\n".join(f"- {item}" for item in items)

    def blockquote(self, russian: bool) -> str:
        pool = words.RU_QUOTES if russian else words.EN_QUOTES
        return "> " + self.rng.choice(pool)

    def table(self, russian: bool) -> str:
        rng = self.rng
        labels = words.TABLE_ROWS_RU if russian else words.TABLE_ROWS_EN
        header = "Показатель" if russian else "Indicator"
        lines = [f"| {header} | 2024 | 2025 | 2026 |", "| --- | ---: | ---: | ---: |"]
        for label in rng.sample(labels, rng.randint(3, 5)):
            values = " | ".join(f"{rng.uniform(0.5, 99.5):.1f}" for _ in range(3))
            lines.append(f"| {label} | {values} |")
        return "\n".join(lines)

    def code_block(self) -> str:
        language, code = self.rng.choice(words.CODE_SNIPPETS)
        return f"```{language}\n{code}\n```"

    def body(self, russian: bool) -> str:
        """3-4 KB of Markdown: the main language with paragraphs in the other one mixed in."""
        rng = self.rng
        target = rng.randint(BODY_MIN_BYTES + 100, BODY_MAX_BYTES - 200)
        extras = []
        if rng.random() < TABLE_SHARE:
            extras.append(self.table(russian))
        if rng.random() < CODE_SHARE:
            extras.append(self.code_block())
        blocks = [self.paragraph(russian), self.paragraph(not russian)]
        # Every article gets at least one of each structure, then paragraphs fill it up.
        structure = [self.subheading, self.bullet_list, self.blockquote]
        for make_block in structure:
            blocks.append(make_block(russian if rng.random() < 0.7 else not russian))
            blocks.append(self.paragraph(russian))
        blocks[3:3] = extras
        while True:
            language = russian if rng.random() < 0.7 else not russian
            if rng.random() < 0.25:
                candidate = [self.subheading(language), self.paragraph(language)]
            else:
                candidate = [self.paragraph(language)]
            size = len("\n\n".join(blocks + candidate).encode())
            if size > BODY_MAX_BYTES - 100:
                break
            blocks.extend(candidate)
            if size >= target:
                break
        return "\n\n".join(blocks) + "\n"

    def pick_tags(self) -> list[str]:
        wanted = self.rng.randint(2, 5)
        chosen: list[str] = []
        while len(chosen) < wanted:
            tag = self.rng.choices(self.tags, self.tag_weights)[0]
            if tag not in chosen:
                chosen.append(tag)
        return chosen


def yaml_string(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar: exact escaping with no YAML library.
    return json.dumps(text, ensure_ascii=False)


def article_file(article: Article) -> str:
    tag_lines = "".join(f"  - {yaml_string(tag)}\n" for tag in article.tags)
    return (
        "---\n"
        f"title: {yaml_string(article.title)}\n"
        f"section: {yaml_string(article.section)}\n"
        f"lede: {yaml_string(article.lede)}\n"
        f"tags:\n{tag_lines}"
        f"date: {article.date.isoformat()}\n"
        f"slug: {article.slug}\n"
        f"author: {yaml_string(article.author)}\n"
        + (f"image: {article.image}\nimage_alt: {yaml_string(article.image_alt)}\n"
           if article.image else "")
        + "---\n\n"
        f"{article.body}"
    )


def site_config() -> str:
    section_lines = "".join(f"  - {yaml_string(name)}\n" for name, _ in words.SECTIONS)
    return (
        f"title: {yaml_string('Вестник: тестовая редакция')}\n"
        "base_url: https://example.org\n"
        "language: ru\n"
        "timezone: Europe/Moscow\n"
        "per_page: 20\n"
        f"sections:\n{section_lines}"
    )


class ImageMaker:
    """Photo-like JPEGs: smooth gradients and soft shapes under a film grain, so that they
    compress like photographs (1-3 MB at 3000x2000, quality 90) rather than to nothing.

    A few full-size textures are built once; each image is one of them shifted, tinted and
    given grain of its own, which takes a fraction of the time of building one."""

    def __init__(self) -> None:
        rng = random.Random(IMAGE_SEED)
        self.textures = [self.texture(rng) for _ in range(IMAGE_TEXTURES)]
        width, height = LEAD_IMAGE_SIZE
        # Grain wider and taller than an image: each image takes a window of it at an
        # offset of its own. Its amplitude is what sets the files' size.
        grain = self.noise(rng, width + 256, height + 256)
        self.grain = grain.point(lambda v: 128 + (v - 128) * 14 // 128).convert("RGB")

    @staticmethod
    def noise(rng: random.Random, width: int, height: int):
        from PIL import Image  # only --images needs Pillow

        return Image.frombytes("L", (width, height), rng.randbytes(width * height))

    def texture(self, rng: random.Random):
        from PIL import Image, ImageChops, ImageDraw, ImageFilter

        width, height = LEAD_IMAGE_SIZE
        # Three linear gradients at random angles, one per channel: a smooth colour field.
        gradient = Image.linear_gradient("L")
        channels = [gradient.rotate(rng.uniform(0, 360), resample=Image.Resampling.BICUBIC)
                    .crop((48, 48, 208, 208))
                    .resize(LEAD_IMAGE_SIZE, Image.Resampling.BICUBIC) for _ in range(3)]
        image = Image.merge("RGB", channels)
        # Large soft shapes (drawn small, blurred and scaled up): what a scene is made of.
        shapes = Image.new("RGB", (width // 10, height // 10))
        draw = ImageDraw.Draw(shapes)
        for _ in range(14):
            x, y = rng.randrange(width // 10), rng.randrange(height // 10)
            radius = rng.randrange(10, 80)
            box = (x - radius, y - radius * 2 // 3, x + radius, y + radius * 2 // 3)
            colour = tuple(rng.randrange(256) for _ in range(3))
            (draw.ellipse if rng.random() < 0.6 else draw.rectangle)(box, fill=colour)
        shapes = shapes.filter(ImageFilter.GaussianBlur(3)).resize(
            LEAD_IMAGE_SIZE, Image.Resampling.BICUBIC)
        image = Image.blend(image, shapes, 0.5)
        # Mid-frequency texture in the luminance.
        texture = self.noise(rng, width // 8, height // 8).filter(
            ImageFilter.GaussianBlur(1)).resize(LEAD_IMAGE_SIZE, Image.Resampling.BICUBIC)
        texture = texture.point(lambda v: 128 + (v - 128) * 40 // 128).convert("RGB")
        return ImageChops.add(image, texture, 1.0, -128)

    def jpeg(self, seed: str, size: tuple[int, int]) -> bytes:
        from PIL import ImageChops

        rng = random.Random(seed)  # a str seed is hashed with SHA-512: the same every run
        width, height = LEAD_IMAGE_SIZE
        image = ImageChops.offset(rng.choice(self.textures),
                                  rng.randrange(width), rng.randrange(height))
        gains = [rng.uniform(0.75, 1.15) for _ in range(3)]
        image = image.point([min(255, int(v * gain)) for gain in gains for v in range(256)])
        x, y = rng.randrange(256), rng.randrange(256)
        image = ImageChops.add(image, self.grain.crop((x, y, x + width, y + height)),
                               1.0, -128)
        if size != LEAD_IMAGE_SIZE:
            left = rng.randrange(width - size[0] + 1)
            top = rng.randrange(height - size[1] + 1)
            image = image.crop((left, top, left + size[0], top + size[1]))
        output = io.BytesIO()
        image.save(output, "JPEG", quality=IMAGE_QUALITY)
        return output.getvalue()

    def lead(self, index: int) -> bytes:
        return self.jpeg(f"{IMAGE_SEED}-lead-{index}", LEAD_IMAGE_SIZE)

    def body(self, index: int) -> bytes:
        return self.jpeg(f"{IMAGE_SEED}-body-{index}", BODY_IMAGE_SIZE)


def with_images(article: Article, images: ImageMaker, static: Path) -> Article:
    """The article with its lead image (and every fifth one a body image) written to
    `static`/img/ and referred to from its front matter and body."""
    rng = random.Random(f"{IMAGE_SEED}-alt-{article.index}")
    lead = f"lead-{article.index:05d}.jpg"
    (static / lead).write_bytes(images.lead(article.index))
    body = article.body
    if article.index % BODY_IMAGE_EVERY == 0:
        name = f"body-{article.index:05d}.jpg"
        (static / name).write_bytes(images.body(article.index))
        # After the first two paragraphs (every body starts with two), as a paragraph of
        # its own.
        first, second, rest = body.split("\n\n", 2)
        picture = f"![{rng.choice(IMAGE_ALTS)}](/{IMAGE_FOLDER}/{name})"
        body = "\n\n".join((first, second, picture, rest))
    return dataclasses.replace(article, image=f"/{IMAGE_FOLDER}/{lead}",
                               image_alt=rng.choice(IMAGE_ALTS), body=body)


def write_corpus(article_count: int, out: Path, images: bool = False) -> None:
    content = out / "content"
    if content.exists():
        shutil.rmtree(content)  # a smaller N must not leave articles of a larger one behind
    static = out / "static" / IMAGE_FOLDER
    if static.exists():
        shutil.rmtree(static)
    out.mkdir(parents=True, exist_ok=True)
    (out / "newsgen.yaml").write_text(site_config(), encoding="utf-8", newline="\n")
    writer = ArticleWriter(article_count)
    image_maker = None
    if images:
        image_maker = ImageMaker()
        static.mkdir(parents=True)
    made_folders: set[Path] = set()
    for index in range(article_count):
        article = writer.article(index)
        if image_maker is not None:
            article = with_images(article, image_maker, static)
        folder = content / slugify(article.section)
        if folder not in made_folders:
            folder.mkdir(parents=True, exist_ok=True)
            made_folders.add(folder)
        path = folder / f"{index:05d}.md"
        path.write_text(article_file(article), encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, required=True, help="number of articles (N)")
    parser.add_argument("--out", type=Path, required=True, help="site folder to write")
    parser.add_argument("--images", action="store_true",
                        help="also give every article a lead image, every fifth a body image")
    args = parser.parse_args(argv)
    if not 1 <= args.articles <= 99_999 + 1:
        parser.error("--articles must be between 1 and 100000 (file names have 5 digits)")
    write_corpus(args.articles, args.out, images=args.images)
    return 0


if __name__ == "__main__":
    sys.exit(main())
