"""The feeds a run writes, where and with which fingerprints, read from the index after
it took this run's changes in.

Every feed the index knows is listed from its stored total and name (a few thousand
rows at any archive size); only a feed with a changed member, a new folder, a new name or
a provider feed that came, went or moved among its items' sources has its items read and
its fingerprint (and its changed archive pages') computed again. The others keep the
fingerprints stored when they were last written, which the plan compares with the
manifest's as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from feeds import group
from feeds.archive import newest_page, page_size
from feeds.cache import ParseCache
from feeds.config import Config
from feeds.fingerprint import feed_fingerprint
from feeds.group import SLUG_OF, resolve_slugs
from feeds.groupkeys import provider_key
from feeds.index import (
    FeedState,
    Update,
    feed_state,
    members_of_feeds,
    newest_paths,
    older_than,
    oldest_paths,
    page_fingerprints,
    store_feed,
    store_pages,
    stubs,
)
from feeds.model import FeedGroup, GroupKind, Listing, Problem, Stub


@dataclass(frozen=True, slots=True)
class IndexedFeed:
    """One feed to write: what lists of feeds say of it, its id in the index, and the
    fingerprints of its live documents and of its archive pages (oldest first)."""

    listing: Listing
    feed: int
    fingerprint: str
    pages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedList:
    """The run's feeds, in the order they are listed, and the provider feeds' folders
    (their items' RSS `<source>`)."""

    feeds: tuple[IndexedFeed, ...]
    sources: Mapping[str, str]  # provider key: its feed's folder

    def provider_folders(self, items: Iterable[Stub]) -> dict[str, str]:
        """The folder of each item's provider feed, by path, for items whose provider
        has one."""
        found = {}
        for item in items:
            folder = self.sources.get(provider_key(item.provider.domain, item.url))
            if folder is not None:
                found[item.path] = folder
        return found


def _written(config: Config, update: Update, cache: ParseCache) -> list[FeedState]:
    """The feeds to write, in order: all, the custom feeds in config order, topics and
    providers (with at least `min_items` articles) by key."""
    rules, feeds = config.feeds, update.feeds
    order: list[FeedState] = []
    if rules.all:
        order.append(feed_state(cache, feeds, GroupKind.ALL, ""))
    order += [feed_state(cache, feeds, GroupKind.CUSTOM, feed.path) for feed in rules.custom]
    for kind in (GroupKind.TOPIC, GroupKind.PROVIDER):
        if kind.value in rules.groups:
            kept = [s for s in feeds.values() if s.kind is kind and s.total >= rules.min_items]
            order += sorted(kept, key=lambda state: state.key)
    return order


def _names(config: Config) -> dict[tuple[GroupKind, str], str]:
    names = {(GroupKind.CUSTOM, feed.path): feed.title for feed in config.feeds.custom}
    return names | {(GroupKind.ALL, ""): config.site.title}


def list_feeds(cache: ParseCache, config: Config, config_fp: str, update: Update) -> FeedList:
    """Every feed to write, fingerprinted; store what changed in the index."""
    written = _written(config, update, cache)
    slugs = {(state.kind, state.key): state.key for state in written}
    for kind in (GroupKind.TOPIC, GroupKind.PROVIDER):
        keys = [state.key for state in written if state.kind is kind]
        slugs |= {(kind, key): slug for key, slug in resolve_slugs(keys, SLUG_OF[kind]).items()}
    sources = {
        state.key: f"{GroupKind.PROVIDER.folders}{slugs[state.kind, state.key]}"
        for state in written
        if state.kind is GroupKind.PROVIDER
    }
    names = _names(config)
    refolded = _sources_moved(cache, update, slugs)
    for state in update.feeds.values():  # feeds no longer written forget where they were
        if (state.kind, state.key) not in slugs and state.slug is not None:
            store_feed(cache, state, None, None, None)
            store_pages(cache, state.feed, ())
    feed_list = FeedList((), sources)
    made = []
    for state in written:
        slug = slugs[state.kind, state.key]
        name = names.get((state.kind, state.key), state.name)
        whole = update.rebuilt or state.slug != slug or state.renamed or state.feed in refolded
        if whole or state.feed in update.touched or state.fp is None:
            made.append(
                _fingerprinted(cache, config, config_fp, feed_list, state, slug, name, whole)
            )
        else:
            made.append(_as_stored(cache, config, state, slug, name))
    return FeedList(tuple(made), sources)


def _sources_moved(
    cache: ParseCache, update: Update, slugs: Mapping[tuple[GroupKind, str], str]
) -> set[int]:
    """The feeds holding an article of a provider whose feed came, went or moved: their
    items' `<source>` changed."""
    moved = [
        state.feed
        for state in update.feeds.values()
        if state.kind is GroupKind.PROVIDER and state.slug != slugs.get((state.kind, state.key))
    ]
    return members_of_feeds(cache, moved) if moved and not update.rebuilt else set()


def _cap(config: Config, state: FeedState) -> int:
    """How many items the feed's live documents hold at most."""
    rules = config.feeds
    if state.kind is GroupKind.CUSTOM:
        custom = next(feed for feed in rules.custom if feed.path == state.key)
        return custom.max_items or rules.max_items.custom
    return rules.max_items.of(state.kind)


def _listing(config: Config, state: FeedState, slug: str, name: str) -> Listing:
    cap = _cap(config, state)
    updated = None if state.updated is None else datetime.fromtimestamp(state.updated, UTC)
    return Listing(state.kind, state.key, slug, name, state.total, min(cap, state.total), updated)


def _as_stored(
    cache: ParseCache, config: Config, state: FeedState, slug: str, name: str
) -> IndexedFeed:
    assert state.fp is not None
    pages = tuple(page_fingerprints(cache, state.feed)) if _has_pages(config, state) else ()
    return IndexedFeed(_listing(config, state, slug, name), state.feed, state.fp, pages)


def _has_pages(config: Config, state: FeedState) -> bool:
    return bool(page_size(config.feeds)) and state.kind is not GroupKind.CUSTOM


def live_group(cache: ParseCache, config: Config, feed: IndexedFeed) -> FeedGroup[Stub]:
    """A feed's live items, read from the index."""
    listing = feed.listing
    paths = newest_paths(cache, feed.feed, listing.shown)
    found = stubs(cache, paths)
    items = tuple(found[path][0] for path in paths)
    return FeedGroup(listing.kind, listing.key, listing.slug, listing.name, items, listing.total)


def page_group(
    cache: ParseCache, config: Config, feed: IndexedFeed, number: int
) -> FeedGroup[Stub]:
    """The items of a feed's archive page `number` (1 is the oldest), as the page's feed."""
    listing, size = feed.listing, page_size(config.feeds)
    from_newest = listing.total - number * size
    if from_newest < (number - 1) * size:
        paths = newest_paths(cache, feed.feed, size, from_newest)
    else:
        paths = oldest_paths(cache, feed.feed, size, (number - 1) * size)
    found = stubs(cache, paths)
    items = tuple(found[path][0] for path in paths)
    return FeedGroup(listing.kind, listing.key, listing.slug, listing.name, items, size)


def _fingerprinted(
    cache: ParseCache,
    config: Config,
    config_fp: str,
    feed_list: FeedList,
    state: FeedState,
    slug: str,
    name: str,
    whole: bool,
) -> IndexedFeed:
    """The feed with its fingerprint and its archive pages' computed again (all pages
    when `whole`, else those its changed members may have moved), stored."""
    shown = min(_cap(config, state), state.total)
    listing = Listing(state.kind, state.key, slug, name, state.total, shown, None)
    unsized = IndexedFeed(listing, state.feed, "")
    group = live_group(cache, config, unsized)
    fingerprint = _fingerprint(cache, config_fp, feed_list, group, 0)
    updated = group.updated
    listing = replace(listing, updated=updated)
    pages: tuple[str, ...] = ()
    if _has_pages(config, state):
        pages = _pages(
            cache, config, config_fp, feed_list, state, replace(unsized, listing=listing), whole
        )
    store_feed(
        cache, state, slug, None if updated is None else int(updated.timestamp()), fingerprint
    )
    return IndexedFeed(listing, state.feed, fingerprint, pages)


def _fingerprint(
    cache: ParseCache, config_fp: str, feed_list: FeedList, group: FeedGroup[Stub], page: int
) -> str:
    digests = {
        path: digest for path, (_, digest) in stubs(cache, (i.path for i in group.items)).items()
    }
    sources = feed_list.provider_folders(group.items)
    return feed_fingerprint(group, digests, sources, config_fp, page)


def _pages(
    cache: ParseCache,
    config: Config,
    config_fp: str,
    feed_list: FeedList,
    state: FeedState,
    feed: IndexedFeed,
    whole: bool,
) -> tuple[str, ...]:
    """The fingerprints of the feed's archive pages: computed for the pages its changed
    members may have moved, the others as stored."""
    size = page_size(config.feeds)
    count = newest_page(feed.listing, size)
    stored = page_fingerprints(cache, state.feed) if not whole else []
    redo = _changed_pages(cache, state, size, whole)
    fps = []
    for number in range(1, count + 1):
        if (
            number in redo
            or number > len(stored)
            or (redo and number >= min(redo) and state.resized)
        ):
            group = page_group(cache, config, feed, number)
            fps.append(_fingerprint(cache, config_fp, feed_list, group, number))
        else:
            fps.append(stored[number - 1])
    store_pages(cache, state.feed, fps)
    return tuple(fps)


def _changed_pages(cache: ParseCache, state: FeedState, size: int, whole: bool) -> set[int]:
    """The pages holding (or, for a member that left, next to) a changed member; with
    members come or gone, every page from the first of them on shifts (`_pages`)."""
    if whole:
        return set()  # every page is computed: none is stored
    return {
        older_than(cache, state.feed, key, state.total) // size + 1 for key in set(state.changed)
    }


def moved_feeds(cache: ParseCache, feed_list: FeedList) -> list[Problem]:
    """The warnings for feeds kept out of their own folder (`feeds.group.moved_feeds`)."""
    ids = {feed.listing: feed.feed for feed in feed_list.feeds}
    listings = [feed.listing for feed in feed_list.feeds]
    return list(
        group.moved_feeds(listings, lambda listing: newest_paths(cache, ids[listing], 1)[0])
    )
