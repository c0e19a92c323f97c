"""The site's calendar: the day an article was published on, in the site's time zone,
the archive periods it belongs to (its year, month and day), and dates and periods named
in the site's language (Babel's month names: «24 ноября 2026», «Ноябрь 2026»)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from babel.core import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime

from .models import Link
from .urls import archive_url

DAY_PATTERN = "d MMMM y"
MOMENT_PATTERN = "d MMMM y, HH:mm"
MONTH_PATTERN = "LLLL y"  # the month's own name (nominative), not the one a day takes


@lru_cache(maxsize=16)
def locale_of(language: str) -> Locale:
    """The Babel locale of a config's `language`; English when Babel does not know it."""
    try:
        return Locale.parse(language, sep="-")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def local_day(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The day `moment` falls on in the site's time zone (an article's archive day)."""
    return moment.astimezone(tz).date()


def day_name(day: dt.date, locale: Locale) -> str:
    return format_date(day, DAY_PATTERN, locale=locale)


def moment_name(moment: dt.datetime, tz: dt.tzinfo, locale: Locale) -> str:
    return format_datetime(moment.astimezone(tz), MOMENT_PATTERN, locale=locale)


def month_name(day: dt.date, locale: Locale) -> str:
    name = format_date(day, MONTH_PATTERN, locale=locale)
    return name[:1].upper() + name[1:]


def period_start(period: str) -> dt.date:
    """The first day of an archive period given as its slug: '2026' -> 2026-01-01."""
    year, month, day = (*map(int, period.split("-")), 1, 1)[:3]
    return dt.date(year, month, day)


def archive_links(day: dt.date, locale: Locale) -> tuple[Link, Link, Link]:
    """The archive pages of a day: its year's, its month's and its own, each named in the
    site's language. Slugs are the periods in ISO form ('2026', '2026-11', '2026-11-24')."""
    year, month = day.year, day.month
    return (Link(str(year), f"{year:04d}", archive_url(year)),
            Link(month_name(day, locale), f"{year:04d}-{month:02d}", archive_url(year, month)),
            Link(day_name(day, locale), day.isoformat(), archive_url(year, month, day.day)))
