"""Names: topic and provider keys, the slugs that name feed folders, and collisions.

A slug is one safe path segment, never a Windows device name ('con', 'NUL.txt', 'com1':
Windows cannot create such a folder, and the output may be synced to a Windows machine).
Two groups whose slugs collide never stop the build: the key that sorts first keeps the
folder, the other feed moves to a longer hash, and a warning names both."""

from __future__ import annotations

import hashlib
import json
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.group import LONG_HASH_DIGITS, provider_slug, slugify
from feeds.groupkeys import provider_key, topic_key
from feeds.model import GroupKind
from tests.kit import article, make_site

C_SLUG = slugify("c++")  # 'c-cedb1bac': any key of a-z, 0-9 and spaces can spell it
CRAFTED = C_SLUG.replace("-", " ")
C_MOVED = "c-" + hashlib.sha256(b"c++").hexdigest()[:LONG_HASH_DIGITS]


def feed(out: Path, folder: str) -> tuple[str, list[str]]:
    """A feed's title and item URLs, from its JSON Feed."""
    doc = json.loads((out / folder / "feed.json").read_text("utf-8"))
    return doc["title"], [item["url"] for item in doc["items"]]


def url(n: int) -> str:
    link: str = article(n)["webUrl"]
    return link


def test_a_topic_spelling_another_topics_slug_moves_neither_and_stops_nothing(
    tmp_path: Path,
) -> None:
    files = {"a.md": article(1, topics=["C++"]), "b.md": article(2, topics=[CRAFTED])}
    site = make_site(tmp_path, files, site={"title": "T"})
    outcome = site.build()
    # "c cedb1bac" sorts before "c++" (' ' < '+'): it keeps the folder.
    assert feed(site.out, f"topics/{C_SLUG}") == (f"T: {CRAFTED}", [url(2)])
    assert feed(site.out, f"topics/{C_MOVED}") == ("T: C++", [url(1)])
    (problem,) = outcome.report.problems
    assert (problem.path, problem.field, problem.rejected) == ("a.md", "topics", False)
    assert problem.message == (
        f"topic 'C++' would share the folder topics/{C_SLUG} with topic {CRAFTED!r}; "
        f"its feed is written to topics/{C_MOVED} instead"
    )


def test_providers_whose_slugs_collide_both_get_feeds(tmp_path: Path) -> None:
    files = {
        "a.md": article(1, provider={"name": "bbc-news", "domain": "bbc-news"}),
        "b.md": article(2, provider={"name": "BBC News", "domain": "BBC News"}),
    }
    site = make_site(tmp_path, files, site={"title": "T"})
    result = site.cli("build")
    assert result.exit_code == 0, result.stderr
    moved = "bbc-news-" + hashlib.sha256(b"bbc-news").hexdigest()[:LONG_HASH_DIGITS]
    # "bbc news" sorts before the host name "bbc-news": it keeps providers/bbc-news.
    assert feed(site.out, "providers/bbc-news") == ("T: BBC News", [url(2)])
    assert feed(site.out, f"providers/{moved}") == ("T: bbc-news", [url(1)])
    assert result.stderr.splitlines() == [
        "warning: a.md: provider: provider 'bbc-news' would share the folder "
        f"providers/bbc-news with provider 'BBC News'; its feed is written to "
        f"providers/{moved} instead"
    ]
    opml = (site.out / "feeds.opml").read_text("utf-8")
    assert f"providers/{moved}/rss.xml" in opml
    assert "providers/bbc-news/rss.xml" in opml


def test_the_outcome_does_not_depend_on_file_names_or_order(tmp_path: Path) -> None:
    slugs = []
    for name, (first, second) in {"one": ("a", "b"), "two": ("z", "c")}.items():
        files = {
            f"{first}.md": article(1, topics=["C++"]),
            f"{second}.md": article(2, topics=[CRAFTED]),
        }
        outcome = make_site(tmp_path / name, files).build()
        slugs.append({g.name: g.slug for g in outcome.report.groups if g.kind is GroupKind.TOPIC})
    assert slugs[0] == slugs[1] == {"C++": C_MOVED, CRAFTED: C_SLUG}


def test_a_name_spelling_the_moved_slug_keeps_its_own_and_all_three_feeds_exist(
    tmp_path: Path,
) -> None:
    third = C_MOVED.replace("-", " ")  # a simple key whose own slug is C_MOVED
    files = {
        "a.md": article(1, topics=["C++"]),
        "b.md": article(2, topics=[CRAFTED]),
        "c.md": article(3, topics=[third]),
    }
    site = make_site(tmp_path, files, site={"title": "T"})
    outcome = site.build()
    assert feed(site.out, f"topics/{C_SLUG}") == (f"T: {CRAFTED}", [url(2)])
    assert feed(site.out, f"topics/{C_MOVED}") == (f"T: {third}", [url(3)])
    assert feed(site.out, f"topics/{C_MOVED}-2") == ("T: C++", [url(1)])
    assert [p.path for p in outcome.report.problems] == ["a.md"]


def test_without_a_collision_the_slug_is_the_keys_own(tmp_path: Path) -> None:
    files = {"a.md": article(1, topics=["C++"]), "b.md": article(2, topics=[CRAFTED])}
    site = make_site(tmp_path, files)
    site.build()
    (site.content / "b.md").unlink()
    outcome = site.build()
    assert outcome.report.problems == ()
    assert sorted(p.name for p in (site.out / "topics").iterdir()) == [C_SLUG]
    assert feed(site.out, f"topics/{C_SLUG}")[1] == [url(1)]


DEVICES = ["con", "prn", "aux", "nul", *(f"{p}{n}" for p in ("com", "lpt") for n in range(10))]


def is_device(name: str) -> bool:
    return name.split(".", 1)[0].lower() in DEVICES


def test_topics_and_providers_named_as_devices_get_hashed_folders(tmp_path: Path) -> None:
    names = ["con", "NUL", "Aux", "com1", "LPT9", "prn", "con.txt"]
    files = {f"{n}.md": article(n, topics=[name]) for n, name in enumerate(names)}
    domains = ["con.example.com", "nul", "aux.co.uk"]
    files |= {f"p{n}.md": article(10 + n, provider=domain) for n, domain in enumerate(domains)}
    site = make_site(tmp_path, files)
    outcome = site.build()
    assert outcome.report.problems == ()
    folders = [
        path.name for kind in ("topics", "providers") for path in (site.out / kind).iterdir()
    ]
    assert len(folders) == len(names) + len(domains) + 2  # and 'ai', 'news.example.com'
    assert not [name for name in folders if is_device(name)]
    digest = hashlib.sha256(b"con").hexdigest()[:8]
    assert (site.out / "topics" / f"con-{digest}" / "rss.xml").is_file()


def test_the_slug_rules() -> None:
    assert slugify("con") == "con-" + hashlib.sha256(b"con").hexdigest()[:8]
    assert slugify("con x") == "con-x"  # not a device name
    assert slugify("console") == "console"
    assert provider_slug("con.example.com").startswith("con-example-com-")
    assert provider_slug("console.example.com") == "console.example.com"


def spell(device: str, tail: str, upper: list[bool]) -> str:
    """A device name in mixed case, with something after it."""
    return "".join(c.upper() if up else c for c, up in zip(device, upper, strict=False)) + tail


NAMES = st.one_of(
    st.builds(
        spell,
        st.sampled_from(DEVICES),
        st.sampled_from(["", ".txt", ".example.com", ".", " ", "-"]),
        st.lists(st.booleans(), min_size=4, max_size=4),
    ),
    st.text(max_size=12),
)


@given(NAMES)
def test_no_name_gives_a_device_slug(name: str) -> None:
    assert not is_device(slugify(topic_key(name) or "x"))
    assert not is_device(provider_slug(provider_key(name, "https://x.example/")))


def sha8(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


class TestKeysAndSlugs:
    @pytest.mark.parametrize(
        ("names", "same"),
        [
            (["AI", " ai ", "Ai"], True),
            (
                ["Machine-Learning", "machine learning", "machine_learning", "MACHINE  LEARNING"],
                True,
            ),
            (["C", "C++", "C#"], False),
            (["ｆｕｌｌ", "full"], True),  # NFKC: full-width letters
            (["Straße", "STRASSE"], True),  # case-folding
        ],
    )
    def test_topic_keys(self, names: list[str], same: bool) -> None:
        assert (len({topic_key(n) for n in names}) == 1) == same

    @pytest.mark.parametrize(
        ("key", "slug"),
        [
            ("machine learning", "machine-learning"),
            ("ai", "ai"),
            ("c++", f"c-{sha8('c++')}"),
            ("c#", f"c-{sha8('c#')}"),
            ("日本", sha8("日本")),
            ("économie", f"economie-{sha8('économie')}"),
            ("../../etc", f"etc-{sha8('../../etc')}"),
            ("ar/vr", f"ar-vr-{sha8('ar/vr')}"),
        ],
    )
    def test_slugs(self, key: str, slug: str) -> None:
        assert slugify(key) == slug

    def test_long_keys_are_cut_to_60_ascii_characters_plus_hash(self) -> None:
        slug = slugify("x" * 100 + "!")
        assert slug.startswith("x" * 60 + "-")
        assert len(slug) == 69

    @pytest.mark.parametrize(
        ("domain", "url", "key", "slug"),
        [
            ("www.BBC.co.uk", "https://bbc.co.uk/a", "bbc.co.uk", "bbc.co.uk"),
            ("", "https://www.reuters.com/a", "reuters.com", "reuters.com"),
            ("bücher.de", "https://x.org", "xn--bcher-kva.de", "xn--bcher-kva.de"),
            ("BBC News", "https://x.org", "bbc news", "bbc-news"),
            ("../../etc", "https://x.org", "../../etc", f"etc-{sha8('../../etc')}"),
        ],
    )
    def test_provider_keys(self, domain: str, url: str, key: str, slug: str) -> None:
        assert provider_key(domain, url) == key
        assert provider_slug(key) == slug

    @given(st.text(min_size=1, max_size=40))
    def test_slugs_are_single_safe_path_segments(self, name: str) -> None:
        slug = slugify(topic_key(name) or "x")
        assert slug
        assert slug not in (".", "..")
        assert set(slug) <= set(string.ascii_lowercase + string.digits + "-.") - {"."}
