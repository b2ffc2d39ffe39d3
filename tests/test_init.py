"""`feeds init`: a starter site that builds without a warning, whose config lists every
key with the default the program uses, and that never overwrites a file unasked."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml

from feeds.config import Config, S3Target, load_config, parse_config
from feeds.config.settings import documented
from tests.fake_aws import publish_to
from tests.kit import assert_valid_atom, feeds_cli
from tests.servers import S3Server

STARTER = [
    "config/feeds.yaml",
    "content/2024-06-03-city-approves-cycling-network.md",
    "content/2024-06-04-heatwave-warning.md",
    ".gitignore",
]


def commands(stdout: str) -> list[list[str]]:
    """The commands `feeds init` says to run next."""
    return [shlex.split(line) for line in stdout.splitlines() if line.startswith("  feeds ")]


def test_the_starter_site_builds_without_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "my site"
    result = feeds_cli("init", str(folder))
    assert (result.exit_code, result.stderr) == (0, "")
    assert [line.removeprefix("wrote ") for line in result.stdout.splitlines()[:4]] == [
        str(folder / path) for path in STARTER
    ]
    build, serve = commands(result.stdout)
    config = str(folder / "config/feeds.yaml")
    assert (build, serve) == (
        ["feeds", "build", "--config", config],
        ["feeds", "serve", "--config", config],
    )
    built = feeds_cli(*build[1:], "-v")  # as printed: it runs from where init ran
    assert built.exit_code == 0
    assert "2 article files read, 2 published, 0 rejected" in built.stderr
    assert "warning" not in built.stderr
    assert feeds_cli("check", "--config", config).exit_code == 0
    out = folder / "public"
    everything = feedparser.parse((out / "rss.xml").read_bytes())
    assert not everything.bozo
    assert len(everything.entries) == 2
    climate = feedparser.parse((out / "topics/climate/rss.xml").read_bytes())
    assert len(climate.entries) == 2
    assert_valid_atom((out / "atom.xml").read_bytes())
    assert everything.feed.link == "http://127.0.0.1:8000/"  # where `feeds serve` serves it


def test_the_starter_site_shows_no_picture_it_cannot_load(tmp_path: Path) -> None:
    # The examples' hosts do not exist: a picture of theirs would show broken.
    assert feeds_cli("init", str(tmp_path)).exit_code == 0
    assert feeds_cli("build", "--config", str(tmp_path / "config/feeds.yaml")).exit_code == 0
    built = {p: p.read_bytes() for p in (tmp_path / "public").rglob("*.*") if p.is_file()}
    assert built
    for path, data in built.items():
        for tag in (b"<img", b"<media:", b"<enclosure", b'"image"', b'"banner_image"'):
            assert tag not in data, (path, tag)


def test_the_gitignore_keeps_out_the_output_and_the_cache(tmp_path: Path) -> None:
    assert feeds_cli("init", str(tmp_path)).exit_code == 0
    assert feeds_cli("build", "--config", str(tmp_path / "config/feeds.yaml")).exit_code == 0
    ignored = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert [line for line in ignored if not line.startswith("#")] == [
        "/public/",
        "/config/.feeds-cache/",
    ]
    assert (tmp_path / "public" / "rss.xml").is_file()
    assert (tmp_path / "config" / ".feeds-cache" / "parse.sqlite3").is_file()


def test_in_the_current_folder_the_commands_need_no_config_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = feeds_cli("init")
    assert result.exit_code == 0
    assert commands(result.stdout) == [["feeds", "build"], ["feeds", "serve"]]
    assert feeds_cli("build").exit_code == 0


def _uncommented(text: str) -> str:
    """The config with every commented-out key (`# key: value`, `# section:`) put back."""
    return re.sub(r"(?m)^(\s*)# ([a-z0-9_]+:(?: .*)?)$", r"\1\2", text)


def _has(data: dict[str, Any], dotted: str, text: str) -> bool:
    """Whether the key is in the config's data; a key of a list's items (`feeds.custom[].path`)
    when the list is, and its comment names the key."""
    if "[]." in dotted:
        within, item = dotted.split("[].")
        return _has(data, within, text) and f"- `{item}`: " in text
    for name in dotted.split("."):
        if not isinstance(data, dict) or name not in data:
            return False
        data = data[name]
    return True


def test_the_starter_config_has_every_key_with_the_default_the_program_uses(
    tmp_path: Path,
) -> None:
    assert feeds_cli("init", str(tmp_path)).exit_code == 0
    path = tmp_path / "config/feeds.yaml"
    text = path.read_text(encoding="utf-8")
    required = {
        "site": {"title": "My News", "base_url": "http://127.0.0.1:8000/"},
        "content": {"dir": "../content"},
        "output": {"dir": "../public"},
    }
    defaults = parse_config(required, path)
    assert load_config(path) == defaults  # what is not commented out is just this
    everything = yaml.safe_load(_uncommented(text))
    assert [key for key, _ in documented(Config) if not _has(everything, key, text)] == []
    path.write_text(_uncommented(text), encoding="utf-8")
    # Every value written is the default: uncommented, they change nothing, but the
    # example publish section, which turns publishing on.
    publish = parse_config({**required, "publish": {"s3": {"bucket": "my-bucket"}}}, path)
    assert load_config(path) == publish
    assert publish.publish is not None
    assert publish.publish.s3 == S3Target(bucket="my-bucket")


def test_it_refuses_to_overwrite_and_names_the_files(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("mine\n", encoding="utf-8")
    result = feeds_cli("init", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {tmp_path / '.gitignore'}: already there; nothing written "
        "(--force overwrites them)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [".gitignore"]
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == "mine\n"
    config = tmp_path / "config/feeds.yaml"
    config.parent.mkdir()
    config.write_text("mine too\n", encoding="utf-8")
    result = feeds_cli("init", str(tmp_path))
    assert result.exit_code == 1
    assert f"{config}, {tmp_path / '.gitignore'}: already there" in result.stderr


def test_force_overwrites(tmp_path: Path) -> None:
    assert feeds_cli("init", str(tmp_path)).exit_code == 0
    starter = {path: (tmp_path / path).read_bytes() for path in STARTER}
    for path in STARTER:
        (tmp_path / path).write_text("changed\n", encoding="utf-8")
    (tmp_path / "content" / "mine.md").write_text("kept\n", encoding="utf-8")
    result = feeds_cli("init", "--force", str(tmp_path))
    assert result.exit_code == 0
    assert {path: (tmp_path / path).read_bytes() for path in STARTER} == starter
    assert (tmp_path / "content" / "mine.md").read_text(encoding="utf-8") == "kept\n"


def test_a_folder_where_a_file_goes_is_found_before_anything_is_written(tmp_path: Path) -> None:
    content, ignore = tmp_path / "content", tmp_path / ".gitignore"
    content.write_text("a file where init makes a folder\n", encoding="utf-8")
    ignore.mkdir()  # a folder where init writes a file
    for force, in_the_way in ((["--force"], f"{content}, {ignore}"), ([], f"{content}")):
        if not force:
            ignore.rmdir()  # else it is only "already there"
        there = sorted(p.name for p in tmp_path.iterdir())
        result = feeds_cli("init", *force, str(tmp_path))
        assert result.exit_code == 1
        assert result.stderr == (
            f"Error: {in_the_way}: in the way (a folder where a file goes, or a file where a "
            "folder goes); nothing written\n"
        )
        assert sorted(p.name for p in tmp_path.iterdir()) == there


@pytest.mark.usefixtures("aws_env")
def test_publishing_with_the_starter_base_url_warns_that_it_is_the_preview(
    tmp_path: Path, s3: S3Server, bucket: str
) -> None:
    assert feeds_cli("init", str(tmp_path)).exit_code == 0
    config = tmp_path / "config/feeds.yaml"
    starter = config.read_text(encoding="utf-8")
    publish = yaml.safe_dump({"publish": publish_to(s3.url, bucket)})
    for base_url, warning in [
        (
            "http://127.0.0.1:8000/",
            "warning: site.base_url: http://127.0.0.1:8000/ is a "
            "loopback address: the links published lead nowhere\n",
        ),
        (
            "http://localhost:8000/",
            "warning: site.base_url: http://localhost:8000/ is a "
            "loopback address: the links published lead nowhere\n",
        ),
        (
            "http://[::1]/",
            "warning: site.base_url: http://[::1]/ is a "
            "loopback address: the links published lead nowhere\n",
        ),
        ("https://news.example.org/", ""),
    ]:
        text = starter.replace("http://127.0.0.1:8000/", base_url) + publish
        config.write_text(text, encoding="utf-8")
        assert feeds_cli("build", "--config", str(config)).exit_code == 0
        result = feeds_cli("publish", "--config", str(config))
        assert (result.exit_code, result.stderr) == (0, warning), base_url
