"""No feed folder is named as a Windows device ('con', 'NUL.txt', 'com1'): Windows cannot
create such a folder, and the output may be synced to a Windows machine."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from feeds.group import provider_slug, slugify
from feeds.groupkeys import provider_key, topic_key
from tests.kit import article, make_site

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
