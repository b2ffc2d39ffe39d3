"""Which spellings name one topic or one provider: the keys topic and provider feeds are
grouped by, and custom feeds match names by."""

from __future__ import annotations

import functools
import re
import unicodedata

from feeds.text import normalize_host, url_host

_SEPARATORS = re.compile(r"[\s\-_]+")


@functools.lru_cache(maxsize=65536)  # a corpus has a few hundred topics, each seen often
def topic_key(name: str) -> str:
    """NFKC, case-folded, runs of spaces/'-'/'_' made one space, trimmed: 'Machine-Learning'
    and ' machine learning ' share the key 'machine learning'."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return _SEPARATORS.sub(" ", folded).strip()


def first_topics(topics: tuple[str, ...], limit: int) -> tuple[tuple[str, ...], int]:
    """The topics among the first `limit` distinct ones (by key, so 'AI' and 'ai' count
    once; each is a feed the article is written into), and how many distinct ones there are."""
    keys = list(dict.fromkeys(topic_key(topic) for topic in topics))
    if len(keys) <= limit:
        return topics, len(keys)
    kept = frozenset(keys[:limit])
    return tuple(topic for topic in topics if topic_key(topic) in kept), len(keys)


def provider_key(domain: str, url: str) -> str:
    """The provider's domain lower-cased, without 'www.', IDN as punycode; else the URL's host.

    A domain that is not a host name ('BBC News') is keyed like a topic.
    """
    return _host_key(domain.strip() or url_host(url))


@functools.lru_cache(maxsize=65536)  # a corpus has a few thousand providers, each seen often
def _host_key(raw: str) -> str:
    host = normalize_host(raw)
    if host is None:
        return topic_key(raw)
    return host.removeprefix("www.")
