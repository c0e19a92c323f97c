"""The default theme is usable by everyone: every kind of page of a realistic Russian site,
served over HTTP and opened in headless Chromium, passes axe-core's WCAG 2.x A/AA and
best-practice rules with no violation; a keyboard reader gets a skip link and a visible
focus; an article page stays light (no JavaScript, a small page and stylesheet)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, SiteDir, serving
from playwright.sync_api import Browser, Page

from newsgen.render import TEMPLATES_DIR, THEME_DIR

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
WIDTHS = {"desktop": 1280, "phone": 375}
WEIGHT_LIMIT = 30 * 1024  # bytes of an article's HTML and the stylesheets it links

# Every kind of page of the default theme: kind -> (the template that makes it, its URL on
# the site built below). A new kind of page (author pages, date archives, search) is one
# more line here, and test_every_page_template_is_checked fails until it is added.
PAGES: dict[str, tuple[str, str]] = {
    "home": ("home.html", "/"),
    "section": ("section.html", "/politika/"),
    "section, page 2": ("section.html", "/politika/page/2/"),
    "article": ("article.html", "/politika/duma-priniala-biudzhet/"),
    "article with a correction": ("article.html", "/tekhnologii/gosuslugi-api/"),
    "article with embeds": ("article.html", "/kultura/premera-v-setiakh/"),
    "tag": ("tag.html", "/tags/biudzhet/"),
    "tags index": ("tags.html", "/tags/"),
    "not found": ("404.html", "/404.html"),
    "author": ("author.html", "/authors/anna-smirnova/"),
    "authors index": ("authors.html", "/authors/"),
    "day archive": ("archive_day.html", "/2026/11/24/"),
    "month archive": ("archive_month.html", "/2026/11/"),
    "year archive": ("archive_year.html", "/2026/"),
    "search": ("search.html", "/search/"),
}
# Templates that make no page a reader stays on: a redirect stub leaves at once.
NOT_READER_PAGES = {"base.html", "redirect.html"}

CONFIG = """\
title: Вечерние известия
language: ru
timezone: Europe/Moscow
per_page: 3
search: true
authors:
  Анна Смирнова: {bio: "Парламентский корреспондент. Пишет о бюджете и законах.", photo: img/smirnova.svg}
sections:
  Политика: {description: "Власть, выборы и законы."}
  Экономика: {description: "Деньги, рынки и компании."}
  Культура: {description: "Театр, кино, книги и выставки."}
  Технологии: {description: "Интернет, связь и программы."}
"""

PICTURE = """\
<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="675" viewBox="0 0 16 9">
<rect width="16" height="9" fill="#c9d3df"/><rect x="3" y="3" width="10" height="6" fill="#8a97a8"/>
<polygon points="2,3 8,0.5 14,3" fill="#6d7b8d"/></svg>
"""

LONG_BODY = """\
Государственная дума приняла во втором чтении проект федерального бюджета на 2027 год и
плановый период. За документ проголосовали 312 депутатов, против — 98, воздержались трое.
Основные параметры бюджета, внесённые правительством в сентябре, не изменились.

## Что изменилось ко второму чтению

Депутаты одобрили **146 поправок**, большая часть которых перераспределяет средства внутри
разделов. Больше всего денег добавлено на *образование* и здравоохранение регионов:

- 48 млрд рублей — на ремонт школ и строительство новых;
- 31 млрд рублей — на закупку медицинского оборудования;
- 12 млрд рублей — на дороги в малых городах.

> «Мы не меняем общий объём расходов, мы меняем приоритеты», — сказал председатель
> комитета по бюджету, выступая перед голосованием.

## Reaction abroad

Analysts in London and New York called the budget «cautious». The deficit is planned at
1.2% of GDP, lower than this year, and the government keeps its oil price assumption at
$60 per barrel. See the [ministry's summary](https://minfin.example.org/budget-2027) for the
full tables.

## Доходы и расходы

| Федеральный округ | Доходы 2026, млрд руб. | Доходы 2027, млрд руб. | Расходы 2026, млрд руб. | Расходы 2027, млрд руб. | Изменение, % |
| --- | --- | --- | --- | --- | --- |
| Центральный | 1 214,5 | 1 287,3 | 1 301,2 | 1 356,8 | +4,3 |
| Северо-Западный | 612,8 | 640,1 | 655,4 | 671,9 | +2,5 |
| Приволжский | 534,2 | 561,7 | 590,3 | 612,4 | +3,7 |

Третье чтение назначено на следующую неделю. После этого закон рассмотрит Совет Федерации, а
затем его подпишет президент. Бюджет вступит в силу с 1 января.

### Что это значит для регионов

Трансферты регионам вырастут на 6%. Правительство обещает, что *ни один регион* не получит
меньше, чем в этом году, а самые бедные получат дополнительные дотации на выравнивание.
"""

CODE_BODY = """\
Первый запрос можно отправить из командной строки:

```
curl -H "Authorization: Bearer $TOKEN" "https://api.gosuslugi.example.org/v1/services?region=77&category=documents&page=1"
```

Ответ приходит в формате `JSON`.
"""


# A post or video of every kind an article can embed (`embeds.py`), and an address of one
# of those hosts that names none.
EMBEDS_BODY = """\
Театр показал фрагменты премьеры в своих каналах.

https://t.me/bolshoi_theatre/1520

https://www.youtube.com/watch?v=dQw4w9WgXcQ

https://youtube.com/shorts/aqz-KE-bpKQ

https://vkvideo.ru/video-22822305_456241864

https://rutube.ru/video/0c2f1ab9d6e84c7e9f3a5b1d2e4f6a8b/

Запись трансляции выложат позже.
"""


def write_site(site: SiteDir) -> None:
    """Four sections (one paginated), tags, bylines, a long article with a lead image and
    its alt text, a wide table and a link, one with a code block, a correction and an
    update, one quoting posts and videos: what a newsroom publishes in a day."""
    site.write("newsgen.yaml", CONFIG)
    site.write("static/img/duma.svg", PICTURE)
    site.write("static/img/smirnova.svg", PICTURE)
    site.add("politika/byudzhet", title="Дума приняла бюджет во втором чтении",
             slug="duma-priniala-biudzhet", section="Политика",
             lede="Депутаты одобрили 146 поправок; общий объём расходов не изменился.",
             tags=["бюджет", "Госдума"], author=["Анна Смирнова", "Олег Ким"],
             image="img/duma.svg", image_alt="Здание Государственной думы на Охотном ряду",
             date="2026-11-24T18:30:00+03:00", body=LONG_BODY)
    site.add("ekonomika/kurs", title="Курс рубля укрепился к концу недели",
             section="Экономика", lede="Рубль подорожал к доллару и юаню на фоне налогового "
             "периода.", tags=["рубль", "бюджет"], author="Мария Лебедева",
             date="2026-11-23T12:00:00+03:00",
             body="Курс доллара на [Мосбирже](https://moex.example.org/) опустился ниже 90 "
             "рублей.")
    site.add("tekhnologii/gosuslugi", title="Госуслуги открыли API для разработчиков",
             slug="gosuslugi-api", section="Технологии",
             lede="Запросы к порталу теперь можно отправлять из своих программ.",
             tags=["API", "Госуслуги"], author="Илья Орлов",
             date="2026-11-23T15:00:00+03:00", updated="2026-11-24T09:15:00+03:00",
             correction="В первой версии заметки был неверно указан адрес сервиса.",
             body=CODE_BODY)
    for day, (slug, title) in enumerate([
            ("vybory", "Выборы в Мосгордуму назначены на сентябрь"),
            ("zakon", "Закон о платформенной занятости вступил в силу"),
            ("mer", "Мэр представил план развития транспорта"),
            ("senat", "Совет Федерации одобрил поправки в Налоговый кодекс")], start=18):
        site.add(f"politika/{slug}", title=title, section="Политика",
                 lede=f"{title}: главное о решении и о том, что будет дальше.",
                 tags=["Госдума"], date=f"2026-11-{day}T10:00:00+03:00",
                 body="Подробности — в ближайшее время.")
    site.add("kultura/teatr", title="Большой театр открыл сезон премьерой",
             section="Культура", lede="Первой премьерой сезона стала опера «Садко».",
             tags=["театр"], date="2026-11-22T20:00:00+03:00", body="Спектакль идёт три часа.")
    site.add("kultura/premera", title="Премьера в сетях", section="Культура",
             lede="Театр выложил фрагменты спектакля в Telegram, YouTube, VK и Rutube.",
             tags=["театр"], date="2026-11-22T21:00:00+03:00", body=EMBEDS_BODY)


Served = tuple[SiteDir, str]  # the built site, and the address it is served at


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The site, built once for the module and served over real HTTP at its base URL (so
    that canonical links and the lead image resolve on the test server)."""
    root = tmp_path_factory.mktemp("a11y") / "site"
    root.mkdir()
    site = SiteDir(root)
    write_site(site)
    with serving(site.out) as address:
        result = site.build(base_url=address + "/")
        assert result.warnings == ()
        yield site, address


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": WIDTHS["desktop"], "height": 800})
    # Nothing leaves the machine: the players' frames fail at once instead of waiting.
    context.route("**/*", lambda route: route.continue_()
                  if urlsplit(route.request.url).hostname == "127.0.0.1" else route.abort())
    opened = context.new_page()
    yield opened
    context.close()


def open_page(page: Page, served: Served, kind: str) -> str:
    """Open the page of `kind` and return its site URL."""
    url = PAGES[kind][1]
    response = page.goto(served[1] + url)
    assert response is not None and response.ok, f"{kind}: {url} gives {response and response.status}"
    return url


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the open page (WCAG 2.x A/AA and best practice)."""
    page.add_script_tag(path=str(AXE))
    # The players' frames are the providers' pages (and empty here, with no network): the
    # frames themselves are checked (a title each), not what they hold.
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"],
               "iframes": False}
    result: dict[str, Any] = page.evaluate("options => axe.run(document, options)", options)
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    """Violations as a reader of a failed test wants them: rule, why, and where."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                     f"— {violation['helpUrl']}")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            summary = node.get("failureSummary") or ""
            lines += [f"        {line.strip()}" for line in summary.splitlines() if line.strip()]
    return "\n".join(lines)


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("kind", PAGES)
def test_axe_finds_no_violation(served: Served, page: Page, kind: str, width: int) -> None:
    # Both widths: a phone shows what a desktop hides (a table that must scroll, the menu
    # wrapping over two lines).
    page.set_viewport_size({"width": width, "height": 800})
    url = open_page(page, served, kind)
    assert page.get_attribute("html", "lang") == "ru"  # the config's language
    violations = run_axe(page)
    if violations:
        pytest.fail(f"axe on {kind} ({url}, {width} px):\n{describe(violations)}", pytrace=False)


def test_every_page_template_is_checked() -> None:
    """A kind of page added to the theme without a line in PAGES would go unchecked."""
    templates = {p.name for p in (THEME_DIR / TEMPLATES_DIR).glob("*.html")
                 if not p.name.startswith("_")}
    checked = {template for template, _url in PAGES.values()}
    unchecked = sorted(templates - NOT_READER_PAGES - checked)
    assert unchecked == [], f"add a line to PAGES for the pages of {', '.join(unchecked)}"


FOCUSED = """() => {
    const el = document.activeElement, css = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    let back = el, paper = 'rgba(0, 0, 0, 0)';
    while (back && (paper = getComputedStyle(back).backgroundColor) === 'rgba(0, 0, 0, 0)') {
        back = back.parentElement;
    }
    return {tag: el.tagName, element: el.outerHTML.slice(0, 120), href: el.getAttribute('href'),
            text: el.textContent.trim(), inMain: !!el.closest('main'),
            outline: css.outlineStyle, outlineWidth: parseFloat(css.outlineWidth),
            outlineColor: css.outlineColor, background: back ? paper : 'rgb(255, 255, 255)',
            onScreen: box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0
                      && box.right <= innerWidth && box.bottom <= innerHeight};
}"""
FOCUSABLE = ("a[href], button, input, select, textarea, summary, "
             "[tabindex]:not([tabindex='-1'])")


def luminance(css_colour: str) -> float:
    """The relative luminance (WCAG 2) of a computed `rgb(...)`/`rgba(...)` colour."""
    channels = [float(c) / 255 for c in re.findall(r"[\d.]+", css_colour)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted([luminance(one), luminance(other)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def assert_focus_is_clear(focused: dict[str, Any]) -> None:
    """A focus a reader sees at once: a solid outline of 2 px or more, in a colour that
    stands out from what is behind it (3:1, WCAG 1.4.11)."""
    assert focused["outline"] not in ("none", "hidden"), focused
    assert focused["outlineWidth"] >= 2, focused
    assert contrast(focused["outlineColor"], focused["background"]) >= 3, focused


@pytest.mark.parametrize("kind", PAGES)
def test_the_first_tab_shows_a_skip_link_to_the_main_content(
        served: Served, page: Page, kind: str) -> None:
    open_page(page, served, kind)
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)
    assert (focused["href"], focused["text"]) == ("#content", "К содержанию")
    assert focused["onScreen"], focused
    assert_focus_is_clear(focused)
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)
    assert focused["inMain"], focused  # past the menu and the breadcrumb


@pytest.mark.parametrize("kind", PAGES)
def test_every_focusable_element_shows_a_clear_outline(
        served: Served, page: Page, kind: str) -> None:
    open_page(page, served, kind)
    count = page.evaluate(f"document.querySelectorAll({FOCUSABLE!r}).length")
    assert count > 0
    checked = 0
    for _ in range(2 * count):  # the players' frames take a stop of their own
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused["tag"] in ("IFRAME", "BODY"):  # in a frame: the provider's page
            continue
        assert_focus_is_clear(focused)
        checked += 1
        if checked == count:
            break
    assert checked == count


class PageParts(HTMLParser):
    """The scripts, stylesheets and runnable attributes (onclick=, javascript: URLs) of one
    HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.script_types: list[str] = []
        self.stylesheets: list[str] = []
        self.runnable: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.script_types.append(values.get("type") or "text/javascript")
        if tag == "link" and "stylesheet" in (values.get("rel") or "").split():
            self.stylesheets.append(values.get("href") or "")
        self.runnable += [name for name, value in attrs
                          if name.startswith("on") or "javascript:" in (value or "")]


def parts_of(html: Path) -> PageParts:
    parts = PageParts()
    parts.feed(html.read_text(encoding="utf-8"))
    return parts


def test_an_article_page_weighs_at_most_30_kb_with_its_css(served: Served) -> None:
    site, _url = served
    html = site.out / PAGES["article"][1].lstrip("/") / "index.html"
    page_bytes = len(html.read_bytes())
    assert page_bytes > 10 * 1024  # a long article, not a stub
    stylesheets = parts_of(html).stylesheets
    assert stylesheets, "the page links no stylesheet"
    css_bytes = sum(len((site.out / urlsplit(href).path.lstrip("/")).read_bytes())
                    for href in stylesheets)
    assert page_bytes + css_bytes <= WEIGHT_LIMIT, f"{page_bytes} B of HTML + {css_bytes} B of CSS"


@pytest.mark.parametrize("kind", ["article", "article with embeds"])
def test_an_article_page_runs_no_javascript(served: Served, kind: str) -> None:
    """Not even to show an embedded post or video: the provider's player is a frame."""
    site, _url = served
    parts = parts_of(site.out / PAGES[kind][1].lstrip("/") / "index.html")
    # JSON-LD (NewsArticle, BreadcrumbList) is data in a <script> element, never run.
    assert set(parts.script_types) == {"application/ld+json"}
    assert parts.runnable == []
