"""RFC 5005 archived feeds: which archive pages a feed has, which items each holds, and
where they live.

A feed's items are counted from its oldest, in pages of `size`: page 1 holds the oldest
`size` items, page 2 the next `size`, and so on, each newest first. New articles are
newer than every page, so they never move an item from one page to another: a page,
once written, keeps its items. A page is written once any of its items has left the
live feed (which keeps the newest `feeds.max_items`), and only when it is complete, so
the live feed and the pages together hold every item; the newest page may share up to
`size - 1` items with the live feed, which readers merge by id. `size` is at most the
`feeds.max_items` of every kind that has pages (a config check), so the newest page
needed is always complete. Custom feeds have no pages: which articles they hold, and in
which order, is the config's to change at any time (and a heat feed is not in time order).

Page `n` of the feed in folder `topics/ai` is the folder `topics/ai/archive/n/`, with
the feed's file names (`rss.xml`, `atom.xml`, `feed.json`); the all-articles feed's
pages are `archive/n/`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Generic

from feeds.config import FeedRules
from feeds.formats import page_folder
from feeds.model import AnyGroup, FeedGroup, GroupKind, Item


def page_size(rules: FeedRules) -> int:
    """Items per archive page; 0 when feeds have no archives."""
    return (rules.archive_page_size or rules.max_items.archived) if rules.archive else 0


def folder_of(group: AnyGroup, page: int) -> str:
    """The folder of a feed's live documents (`page` 0) or of its archive page `page`."""
    return page_folder(group.folder, page) if page else group.folder


def newest_page(group: AnyGroup, size: int) -> int:
    """The number of the group's newest archive page: enough pages of `size` to hold
    every item older than the live feed's (0: none, or `size` 0 for no archives)."""
    older = group.total - group.shown
    if size <= 0 or older <= 0 or group.kind is GroupKind.CUSTOM:
        return 0
    # Never a page the group cannot fill, whatever keeps its live feed short.
    return min(-(-older // size), group.total // size)


@dataclass(frozen=True, slots=True)
class ArchivePage(Generic[Item]):
    """One archive page of a feed: `feed` names the feed and holds the page's items,
    newest first."""

    feed: FeedGroup[Item]
    number: int  # 1 is the oldest page

    @property
    def folder(self) -> str:
        """The page's folder relative to the output dir."""
        return page_folder(self.feed.folder, self.number)


def archive_pages(group: FeedGroup[Item], size: int) -> list[ArchivePage[Item]]:
    """The group's archive pages, oldest first; its items then its `older` ones must be
    all of its items (grouping keeps them when archives are on)."""
    count = newest_page(group, size)
    if not count:
        return []
    members = group.items + group.older
    if len(members) != group.total:
        msg = f"feed {group.folder!r} holds {len(members)} of its {group.total} items"
        raise ValueError(msg)
    last = len(members)
    return [
        ArchivePage(
            replace(
                group, items=members[last - n * size : last - (n - 1) * size], total=size, older=()
            ),
            n,
        )
        for n in range(1, count + 1)
    ]
