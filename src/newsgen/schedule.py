"""What the clock changes by itself: whether an article is published at a moment (drafts,
embargoes, expiries), the next such change, and the schedule a build keeps of every
article that an embargo, an expiry or a window (the news sitemap's, an aggregator feed's)
can still change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from .models import FrontMatter, ParsedSource, ScheduledChange

_AFTER = dt.timedelta(microseconds=1)  # an article leaves a window just after its end


def is_published(
    meta_draft: bool,
    date: dt.datetime | None,
    expires: dt.datetime | None,
    now: dt.datetime,
    *,
    drafts: bool,
    future: bool,
) -> bool:
    """Whether an article belongs in a build made at `now` (SPEC §2)."""
    if meta_draft and not drafts:
        return False
    if date is not None and date > now and not future:
        return False
    return not (expires is not None and expires <= now)


def next_scheduled_change(
    sources: Iterable[ParsedSource],
    now: dt.datetime,
    *,
    drafts: bool,
    future: bool,
    tz: dt.tzinfo | None = None,
) -> ScheduledChange | None:
    """The first moment after `now` when `is_published` turns for some article: an
    embargo lifting (unless `future` already shows it) or an expiry. Drafts never
    change by themselves. Shown in `tz` (the site's time zone) when given."""
    changes: list[ScheduledChange] = []
    for parsed in sources:
        meta = parsed.meta
        if meta.draft and not drafts:
            continue
        embargoed = meta.date is not None and meta.date > now and not future
        # An article that expires before its embargo lifts is never published.
        if meta.expires is not None and embargoed and meta.date is not None \
                and meta.expires <= meta.date:
            continue
        if embargoed and meta.date is not None:
            changes.append(ScheduledChange(meta.date, ScheduledChange.EMBARGO, parsed.source))
        elif meta.expires is not None and meta.expires > now:
            changes.append(ScheduledChange(meta.expires, ScheduledChange.EXPIRY, parsed.source))
    if not changes:
        return None
    first = min(changes, key=lambda c: (c.at, c.kind, c.source))
    return replace(first, at=first.at.astimezone(tz)) if tz is not None else first


@dataclass(frozen=True)
class Schedule:
    """What can still change the published site by itself after a build's moment: the
    draft flag, date and expiry of every article that an embargo, an expiry or a window
    (`windows`: the time an article stays in the news sitemap, or in an aggregator's
    feed) can still change."""

    windows: tuple[dt.timedelta, ...]
    entries: dict[str, ParsedSource]  # source -> its schedule (front matter fields only)

    @classmethod
    def of(cls, parsed: Iterable[ParsedSource], now: dt.datetime,
           windows: tuple[dt.timedelta, ...]) -> Schedule:
        return cls(windows, {}).updated(parsed, (), now)

    def updated(self, parsed: Iterable[ParsedSource], gone: Iterable[str], now: dt.datetime
                ) -> Schedule:
        """This schedule at `now`, with the articles of `parsed` (edited) taken anew and
        those of `gone` (deleted) left out."""
        entries = {source: entry for source, entry in self.entries.items()
                   if self._pending(entry, now)}
        for source in gone:
            entries.pop(source, None)
        for entry in parsed:
            entries.pop(entry.source, None)
            meta = entry.meta
            slim = ParsedSource(entry.source, FrontMatter("", "", "", date=meta.date,
                                                          draft=meta.draft,
                                                          expires=meta.expires), "")
            if self._pending(slim, now):
                entries[entry.source] = slim
        return Schedule(self.windows, entries)

    def _moments(self, entry: ParsedSource) -> list[dt.datetime]:
        meta = entry.meta
        moments = [m for m in (meta.date, meta.expires) if m is not None]
        if meta.date is not None:
            moments += (meta.date + window + _AFTER for window in self.windows)
        return moments

    def _pending(self, entry: ParsedSource, now: dt.datetime) -> bool:
        return any(moment > now for moment in self._moments(entry))

    def due(self, since: dt.datetime, now: dt.datetime) -> set[str]:
        """The articles whose publication or place in a window may have changed
        between the two moments."""
        return {source for source, entry in self.entries.items()
                if any(since < moment <= now for moment in self._moments(entry))}

    def stable_until(self, now: dt.datetime, *, drafts: bool, future: bool
                     ) -> dt.datetime | None:
        """The first moment after `now` at which the same content makes another site: an
        embargo lifts, an article expires, or one enters or leaves a window."""
        moments = []
        change = next_scheduled_change(self.entries.values(), now, drafts=drafts,
                                       future=future)
        if change is not None:
            moments.append(change.at)
        for entry in self.entries.values():
            meta = entry.meta
            if meta.date is None or not is_published(meta.draft, meta.date, meta.expires, now,
                                                     drafts=drafts, future=future):
                continue
            if meta.date > now:  # shown with --future; enters the news window then
                moments.append(meta.date)
            else:
                moments += (meta.date + window + _AFTER for window in self.windows
                            if meta.date + window >= now)
        return min(moments, default=None)
