"""A run that would delete every topic and provider feed the last run wrote is refused,
changing nothing, unless it is allowed (`feeds build --allow-empty`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.errors import InputError
from feeds.formats import MANIFEST_FILE
from tests.kit import article, make_site, mtimes, small_corpus, snapshot

BROKEN_CLOCK = datetime(1970, 1, 2, tzinfo=UTC)  # an RTC that lost its battery


def test_a_clock_set_back_to_1970_deletes_nothing(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    site.build()
    before, times = snapshot(site.out), mtimes(site.out)
    assert any(path.startswith("topics/") for path in before)

    with pytest.raises(InputError) as caught:
        site.build(now=BROKEN_CLOCK)

    message = str(caught.value)
    assert "refusing to delete all 4 topic and provider feeds of the last run" in message
    assert "0 articles selected as of 1970-01-02T00:00:00+00:00" in message
    assert message.endswith("or run with --allow-empty if that is intended")
    assert snapshot(site.out) == before
    assert mtimes(site.out) == times  # the manifest and the journal included
    assert site.build().report.written == ()  # with the clock fixed, all is current


def test_allow_empty_lets_the_run_delete_the_feeds(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    site.build()

    outcome = site.build(now=BROKEN_CLOCK, allow_empty=True)

    assert outcome.report.articles_selected == 0
    assert {path.split("/")[0] for path in outcome.deleted} == {"topics", "providers"}
    assert not any(path.startswith(("topics/", "providers/")) for path in snapshot(site.out))


def test_the_cli_refuses_with_exit_1_and_allow_empty_goes_through(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    assert site.cli("build").exit_code == 0
    before = snapshot(site.out)
    site.configure(select={"types": ["podcast"]})  # a rule that matches no article

    refused = site.cli("build")

    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: refusing to delete all 4 topic and provider feeds")
    assert "--allow-empty" in refused.stderr
    assert snapshot(site.out) == before
    assert site.cli("build", "--dry-run").exit_code == 1  # a dry run says the same

    allowed = site.cli("build", "--allow-empty")

    assert allowed.exit_code == 0, allowed.stderr
    assert not (site.out / "topics").exists()
    assert not (site.out / "providers").exists()
    assert (site.out / MANIFEST_FILE).exists()


def test_a_first_run_that_selects_nothing_is_not_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path, {"a.md": article(1, quality=10)}, select={"min_quality": 50})
    outcome = site.build()
    assert outcome.report.articles_selected == 0
    assert "rss.xml" in outcome.report.written


def test_a_run_keeping_some_group_feed_is_not_refused(tmp_path: Path) -> None:
    site = make_site(tmp_path, small_corpus())
    site.build()
    site.configure(select={"min_quality": 51})
    site.write({"one.md": article(1, quality=90, topics=["AI"], provider="a.example")})
    outcome = site.build()
    assert outcome.report.articles_selected == 1
    assert "topics/climate/rss.xml" in outcome.deleted
