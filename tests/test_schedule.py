"""Drafts, embargoes and expiry at a pinned reference time, across every output."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import feedparser
import pytest
from conftest import NOW, SiteDir, run_newsgen
from lxml import etree

from newsgen.feeds import NEWS_LIMIT, news_articles
from newsgen.models import Article, FrontMatter, Link

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SECTION = "/politika/"
TAG = "/tags/vybory/"


def when(hours: float) -> str:
    return (NOW + dt.timedelta(hours=hours)).isoformat()


@pytest.fixture
def schedule(site: SiteDir) -> SiteDir:
    """One article in each scheduling state, all in one section and one tag."""
    common = {"section": "Политика", "tags": ["выборы"]}
    site.add("live", title="Live story", date=when(-1), **common)
    site.add("fresh", title="Fresh story", date=when(-47), **common)
    site.add("old", title="Old story", date=when(-49), **common)
    site.add("draft", title="Draft story", date=when(-2), draft="true", **common)
    site.add("embargoed", title="Embargoed story", date=when(18), **common)
    site.add("expired", title="Expired story", date=when(-5), expires=when(-1), **common)
    site.add("expiring", title="Expiring story", date=when(-6), expires=when(40), **common)
    return site


def published(site: SiteDir) -> dict[str, set[str]]:
    """Which story titles each output shows."""
    out = site.out

    def titles_in(url: str) -> set[str]:
        html = site.page(url)
        return {t for t in ALL if t in html}

    def feed_titles(path: str) -> set[str]:
        feed = feedparser.parse((out / path).read_bytes())
        assert feed.bozo == 0
        return {e.title for e in feed.entries}

    def sitemap_titles(path: str) -> set[str]:
        urls = {loc.text for loc in etree.parse(str(out / path)).iter(f"{SM}loc")}
        return {t for t in ALL if any(slug(t) in u for u in urls)}

    pages = {t for t in ALL if (out / "politika" / slug(t) / "index.html").exists()}
    return {
        "pages": pages,
        "home": titles_in("/"),
        "section": titles_in(SECTION),
        "tag": titles_in(TAG),
        "site feed": feed_titles("feed.xml"),
        "section feed": feed_titles("politika/feed.xml"),
        "tag feed": feed_titles("tags/vybory/feed.xml"),
        "sitemap": sitemap_titles("sitemap.xml"),
        "news sitemap": sitemap_titles("news-sitemap.xml"),
    }


ALL = ("Live story", "Fresh story", "Old story", "Draft story", "Embargoed story",
       "Expired story", "Expiring story")


def slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def test_drafts_embargo_and_expiry_apply_to_every_output(schedule: SiteDir) -> None:
    result = schedule.build()
    shown = {"Live story", "Fresh story", "Old story", "Expiring story"}
    every = published(schedule)
    news = every.pop("news sitemap")
    for output, titles in every.items():
        assert titles == shown, output
    # The news sitemap: published in the 48 hours before the reference time.
    assert news == {"Live story", "Fresh story", "Expiring story"}
    assert result.articles == 4

    # The next change CI should build for: the embargo lifting 18 h from now.
    change = result.next_change
    assert change is not None
    assert change.kind == "embargo" and change.source == "content/embargoed.md"
    assert change.description == ("next embargo lifts 2026-11-26 06:00 +03:00 "
                                  "(content/embargoed.md)")


def test_flags_bring_back_drafts_and_future_articles_but_never_expired_ones(
        schedule: SiteDir) -> None:
    result = schedule.build(drafts=True, future=True)
    every = published(schedule)
    assert every["pages"] == set(ALL) - {"Expired story"}
    assert every["site feed"] == every["sitemap"] == every["pages"]
    # A future article is never "news" before its time.
    assert "Embargoed story" not in every["news sitemap"]
    assert "Draft story" in every["news sitemap"]
    # With embargoes shown, the next change is the expiry 40 h from now.
    assert result.next_change is not None and result.next_change.kind == "expiry"
    assert result.next_change.at == NOW + dt.timedelta(hours=40)


def test_a_later_build_lifts_the_embargo_and_takes_down_the_expired(schedule: SiteDir) -> None:
    schedule.build(now=NOW + dt.timedelta(hours=41))
    every = published(schedule)
    assert every["pages"] == {"Live story", "Fresh story", "Old story", "Embargoed story"}
    assert every["tag feed"] == every["pages"]
    # 41 h later only the embargoed story (lifted 23 h ago) and the live one (42 h old) are news.
    assert every["news sitemap"] == {"Live story", "Embargoed story"}


def test_the_reference_time_comes_from_now_then_source_date_epoch(schedule: SiteDir,
                                                                  tmp_path: Path) -> None:
    env = dict(os.environ)
    # SOURCE_DATE_EPOCH one day after NOW: the embargo has lifted.
    env["SOURCE_DATE_EPOCH"] = str(int((NOW + dt.timedelta(days=1)).timestamp()))
    done = run_newsgen("build", "--site", schedule.root, env=env)
    assert done.returncode == 0, done.stderr
    assert (schedule.out / "politika/embargoed-story/index.html").exists()
    assert "next expiry 2026-11-27 04:00 +03:00 (content/expiring.md)" in done.stdout

    # --now wins over SOURCE_DATE_EPOCH.
    done = run_newsgen("build", "--site", schedule.root, "--now", NOW.isoformat(), env=env)
    assert done.returncode == 0, done.stderr
    assert not (schedule.out / "politika/embargoed-story/index.html").exists()
    assert "next embargo lifts 2026-11-26 06:00 +03:00 (content/embargoed.md)" in done.stdout


def test_no_scheduled_change_means_no_line(site: SiteDir) -> None:
    site.add("a", title="A story", date=when(-1))
    site.add("d", title="Draft later", date=when(5), draft="true")
    assert site.build().next_change is None
    done = run_newsgen("build", "--site", site.root, "--now", NOW.isoformat())
    assert "next" not in done.stdout


def _article(number: int, date: dt.datetime) -> Article:
    meta = FrontMatter(title=f"Story {number}", section="S", lede="L", date=date)
    return Article(source=f"content/{number}.md", meta=meta, body_html="", slug=str(number),
                   url=f"/s/{number}/", section=Link("S", "s", "/s/"), tags=())


def test_news_sitemap_takes_at_most_1000_newest_articles() -> None:
    articles = [_article(n, NOW - dt.timedelta(minutes=n)) for n in range(NEWS_LIMIT + 50)]
    chosen = [articles[i] for i in news_articles([a.date for a in articles], NOW)]
    assert len(chosen) == 1000
    assert chosen[0].title == "Story 0" and chosen[-1].title == "Story 999"
    # The window's edges: exactly 48 h old is in, a second more is out, the future is out.
    edge = [_article(1, NOW - dt.timedelta(hours=48)),
            _article(2, NOW - dt.timedelta(hours=48, seconds=1)),
            _article(3, NOW + dt.timedelta(seconds=1))]
    assert [edge[i].title for i in news_articles([a.date for a in edge], NOW)] == ["Story 1"]
