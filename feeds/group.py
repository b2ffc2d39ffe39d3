"""Where feeds live and what they are called: the keys of topic and provider groups
(`feeds.groupkeys`), their slugs, and the report lines of grouping.

Keys decide which spellings are one group; slugs decide where a group's files live. Both
depend only on the group's own key, never on the order files were found, and a slug
depends on which other groups exist only when two keys would share a folder: the key
that sorts first keeps it, the other gets a longer hash (`resolve_slugs`). So a feed's URL
never changes once it exists, unless someone writes a colliding name. Which articles a
group holds is `feeds.members`' to say and `feeds.index`'s to keep.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from feeds.files import windows_device
from feeds.model import GroupKind, Listing, Problem, Stub
from feeds.text import normalize_host


def lost_duplicate(loser: Stub, winner: str) -> Problem:
    """The warning for a file that lost its id to the file at path `winner`: the later
    `publishedDateTime` wins, on a tie the greater path (`feeds.index` decides)."""
    return Problem(
        loser.path,
        "originalUrl" if loser.id != loser.url else "webUrl",
        f"duplicate of {winner} (same id {loser.id}); "
        "the later version is published, this file skipped",
        rejected=False,
    )


_SIMPLE_KEY = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
SLUG_ASCII_MAX = 60
SLUG_HASH_DIGITS = 8
# Hex digits of the slug a colliding group gets instead (`resolve_slugs`).
LONG_HASH_DIGITS = 16


def slugify(key: str) -> str:
    """A URL path segment for a key: readable when it can be, unique always.

    A key of only a-z, 0-9 and single spaces maps to itself with '-' for spaces. Any other
    key (or one longer than SLUG_ASCII_MAX, or a Windows device name such as 'con') gets
    `hashed_slug`, so 'c', 'c++' and 'c#' stay three feeds and '../../etc' is a name like
    any other.
    """
    # A long key is cut and hashed like any other: a file name has at most 255 bytes.
    if len(key) <= SLUG_ASCII_MAX and _SIMPLE_KEY.fullmatch(key) and not windows_device(key):
        return key.replace(" ", "-")
    return hashed_slug(key, SLUG_HASH_DIGITS)


def hashed_slug(key: str, digits: int) -> str:
    """The key's ASCII transliteration, cut to SLUG_ASCII_MAX characters, then '-' and the
    first `digits` hex digits of its SHA-256 (the digits alone when nothing is left)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:digits]
    ascii_text = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    readable = _NON_ALNUM.sub("-", ascii_text.lower()).strip("-")[:SLUG_ASCII_MAX].strip("-")
    return f"{readable}-{digest}" if readable else digest


def provider_slug(key: str) -> str:
    """A provider's slug: its key when that is a valid host name ('bbc.co.uk') Windows can
    write, else slugify."""
    return key if normalize_host(key) == key and not windows_device(key) else slugify(key)


SLUG_OF: dict[GroupKind, Callable[[str], str]] = {
    GroupKind.TOPIC: slugify,
    GroupKind.PROVIDER: provider_slug,
}
_FIELDS = {GroupKind.TOPIC: "topics", GroupKind.PROVIDER: "provider"}  # the article's field


def resolve_slugs(keys: Iterable[str], slug_of: Callable[[str], str]) -> dict[str, str]:
    """Each key's slug: `slug_of(key)`, unless a key that sorts before it has that slug.

    Such a key gets `hashed_slug` with LONG_HASH_DIGITS digits instead (numbered on, in
    the unlikely case that is taken too), never any key's own slug: a crafted name can
    move only itself, never another feed.
    """
    ordered = sorted(keys)
    own = {key: slug_of(key) for key in ordered}
    reserved = set(own.values())
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for key in ordered:
        slug = own[key]
        if slug in taken:
            slug = base = hashed_slug(key, LONG_HASH_DIGITS)
            count = 1
            while slug in taken or slug in reserved:
                count += 1
                slug = f"{base}-{count}"
        taken.add(slug)
        slugs[key] = slug
    return slugs


def moved_feeds(
    listings: Sequence[Listing], newest: Callable[[Listing], str]
) -> tuple[Problem, ...]:
    """A warning for each feed kept out of its own folder by a group whose key sorts first
    (see `resolve_slugs`), on its newest article (`newest` gives its path): the file most
    likely to be the newcomer."""
    by_slug = {(listing.kind, listing.slug): listing for listing in listings}
    problems: list[Problem] = []
    for listing in listings:
        own = SLUG_OF[listing.kind](listing.key) if listing.kind.per_group else listing.slug
        if listing.slug == own:
            continue
        holder = by_slug[listing.kind, own]
        kind = listing.kind.value
        message = (
            f"{kind} {listing.name!r} would share the folder {holder.folder} with {kind} "
            f"{holder.name!r}; its feed is written to {listing.folder} instead"
        )
        field = _FIELDS[listing.kind]
        problems.append(Problem(newest(listing), field, message, rejected=False))
    return tuple(problems)
