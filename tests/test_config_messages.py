"""Every config message, exactly: config text in, the problems `feeds` reports out.

Each case is a config file, mostly the required sections with settings added or replaced
(`over("site.ttl: 0")`), and the problems its error lists, in order; `{dir}` stands for
the config file's folder. A config with any problem is refused before anything is read
or written, and the CLI prints the problems under `Error: <file>: invalid config:`
(tests/test_config.py).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from feeds.config import load_config
from feeds.errors import ConfigError

REQUIRED = {
    "site": {"title": "Site", "base_url": "https://feeds.example.org/"},
    "content": {"dir": "content"},
    "output": {"dir": "public"},
}
DEEP = "[" * 3000 + "]" * 3000


def over(*settings: str) -> str:
    """The required sections as a config file, with each `dotted.key: value` setting (the
    value as YAML writes it) added, or in place of what is there."""
    tree: dict[str, Any] = copy.deepcopy(REQUIRED)
    for setting in settings:
        key, value = setting.split(": ", 1)
        *parents, name = key.split(".")
        node = tree
        for parent in parents:
            node = node.setdefault(parent, {})
        node[name] = value
    return _block(tree, "")


def _block(tree: dict[str, Any], indent: str) -> str:
    return "".join(
        f"{indent}{key}:\n{_block(value, indent + '  ')}"
        if isinstance(value, dict)
        else f"{indent}{key}: {value}\n"
        for key, value in tree.items()
    )


CASES: list[tuple[str, str | tuple[str, ...]]] = [
    # The file, its sections and its YAML
    (
        over(
            'site: {base_url: "https://feeds.example.org/"}', "feeds.max_items: fifty", "extra.x: 1"
        ),
        (
            "extra: unknown section (known sections: site, content, output, select, feeds, "
            "publish, cache)",
            "site.title: required, but missing",
            'feeds.max_items: expected a positive integer, got "fifty"',
        ),
    ),
    (
        over("site: ~"),
        (
            "site.title: required, but missing",
            "site.base_url: required, but missing",
        ),
    ),
    (over("publish.s3: ~"), "publish.s3: required, but missing"),
    (
        over("publish.bucket: b"),
        (
            "publish.bucket: unknown key (known keys: s3)",
            "publish.s3: required, but missing",
        ),
    ),
    (over("feeds: 3"), "feeds: expected a mapping, got 3"),
    (
        over('select.min_quality: !!int "ten"'),
        "not valid YAML: cannot read !!int: invalid literal for int() with base 10: 'ten'\n"
        '  in "{dir}/feeds.yaml", line 9, column 16:\n'
        '      min_quality: !!int "ten"\n'
        "                   ^",
    ),
    (
        over() + "site:\n  title: Other\n",
        "not valid YAML: while constructing a mapping\n"
        '  in "{dir}/feeds.yaml", line 1, column 1:\n'
        "    site:\n"
        "    ^\n"
        "found duplicate key 'site'\n"
        '  in "{dir}/feeds.yaml", line 8, column 1:\n'
        "    site:\n"
        "    ^",
    ),
    (
        over() + "feeds:\n  max_items: 5\n  max_items: 500\n",
        "not valid YAML: while constructing a mapping\n"
        '  in "{dir}/feeds.yaml", line 9, column 3:\n'
        "      max_items: 5\n"
        "      ^\n"
        "found duplicate key 'max_items'\n"
        '  in "{dir}/feeds.yaml", line 10, column 3:\n'
        "      max_items: 500\n"
        "      ^",
    ),
    (
        over() + "feeds: {titles: {topic: '{name}', topic: '{site}'}}\n",
        "not valid YAML: while constructing a mapping\n"
        '  in "{dir}/feeds.yaml", line 8, column 17:\n'
        "    feeds: {titles: {topic: '{name}', topic: '{site}'}}\n"
        "                    ^\n"
        "found duplicate key 'topic'\n"
        '  in "{dir}/feeds.yaml", line 8, column 35:\n'
        "    feeds: {titles: {topic: '{name}', topic: '{site}'}}\n"
        "                                      ^",
    ),
    (
        over()[: over().index("content:")],
        (
            "content: required, but missing",
            "output: required, but missing",
        ),
    ),
    ("- not\n- a\n- mapping\n", "expected a mapping of sections, got a list"),
    (
        "site: [unclosed\n",
        "not valid YAML: while parsing a flow sequence\n"
        '  in "{dir}/feeds.yaml", line 1, column 7:\n'
        "    site: [unclosed\n"
        "          ^\n"
        "expected ',' or ']', but got '<stream end>'\n"
        '  in "{dir}/feeds.yaml", line 2, column 1:\n'
        "    \n"
        "    ^",
    ),
    # Values, each named by its path
    (over("feeds.max_items: fifty"), 'feeds.max_items: expected a positive integer, got "fifty"'),
    (over("feeds.max_items: 0"), "feeds.max_items: expected a positive integer, got 0"),
    (over('feeds.all: "yes"'), 'feeds.all: expected true or false, got "yes"'),
    (
        over("feeds.groups: [topic, author]"),
        'feeds.groups: expected a list of topic, provider, got "author"',
    ),
    (
        over("site.base_url: feeds.example.org"),
        'site.base_url: expected an absolute http(s) URL, got "feeds.example.org"',
    ),
    (
        over("site.language: en_US"),
        "site.language: expected a BCP 47 language tag such as 'en' or 'en-US', got "
        "\"en_US\" (did you mean 'en-US'?)",
    ),
    (
        over("site.timezone: Mars/Olympus"),
        "site.timezone: expected an IANA time zone name such as 'UTC' or 'Europe/Paris', got "
        '"Mars/Olympus"',
    ),
    (over('site.title: ""'), 'site.title: expected a non-empty string, got ""'),
    (over("select.min_quality: high"), 'select.min_quality: expected a number, got "high"'),
    (over("select.types: article"), 'select.types: expected a list of strings, got "article"'),
    (over("select.max_age_days: -3"), "select.max_age_days: expected a positive integer, got -3"),
    (
        over("content.patterns: []"),
        "content.patterns: expected at least one file pattern such as '*.md'",
    ),
    (
        over("select.typo: x"),
        "select.typo: unknown key (known keys: published_only, min_quality, types, "
        "include_future, max_age_days, max_topics)",
    ),
    (
        over('site.base_url: "http://[::1/"'),
        'site.base_url: expected an absolute http(s) URL, got "http://[::1/"',
    ),
    (
        over('content.dir: "c\\0d"'),
        'content.dir: expected text without control characters, got "c\\x00d"',
    ),
    (
        over('site.title: "T\\0"'),
        'site.title: expected text without control characters, got "T\\x00"',
    ),
    (
        over("feeds.max_items: " + "9" * 4400),
        "feeds.max_items: expected a positive integer of at most 100000, got a number of "
        "more than 80 digits",
    ),
    (over(f"select.types: {DEEP}"), "select.types[0]...: nested more than 64 deep"),
    (over(f"feeds.custom: {DEEP}"), "feeds.custom[0]...: nested more than 64 deep"),
    (over("cache.dir: 2023-01-01"), "cache.dir: expected a non-empty string, got 2023-01-01"),
    # Feed metadata, formats, pages and templates
    (
        over('site.logo: "ftp://x.org/l.png"'),
        'site.logo: expected an absolute http(s) URL, got "ftp://x.org/l.png"',
    ),
    (over("site.icon: /icon.png"), 'site.icon: expected an absolute http(s) URL, got "/icon.png"'),
    (over("site.ttl: 0"), "site.ttl: expected a positive integer, got 0"),
    (over('site.ttl: "30"'), 'site.ttl: expected a positive integer, got "30"'),
    (over('site.copyright: ""'), 'site.copyright: expected a non-empty string, got ""'),
    (
        over("output.formats: []"),
        "output.formats: expected a non-empty list of rss, atom, json, got an empty list",
    ),
    (
        over("output.formats: [rss, xml]"),
        'output.formats: expected a non-empty list of rss, atom, json, got "xml"',
    ),
    (over("output.formats: rss"), 'output.formats: expected a list of strings, got "rss"'),
    (over('output.pages: "yes"'), 'output.pages: expected true or false, got "yes"'),
    (over("feeds.content: all"), 'feeds.content: expected one of full, summary, got "all"'),
    (
        over("feeds.titles: News"),
        'feeds.titles: expected a mapping with keys all, topic, provider, got "News"',
    ),
    (
        over("feeds.titles.tag: x"),
        "feeds.titles.tag: unknown key (known keys: all, topic, provider)",
    ),
    (
        over('feeds.titles.topic: "{title}"'),
        'feeds.titles.topic: unknown placeholder {title} in "{title}"; use {name} or {site}',
    ),
    (
        over('feeds.titles.topic: "{name.__class__}"'),
        'feeds.titles.topic: unknown placeholder {name.__class__} in "{name.__class__}"; use '
        "{name} or {site}",
    ),
    (
        over('feeds.titles.topic: "{name!r}"'),
        'feeds.titles.topic: unknown placeholder {name!r} in "{name!r}"; use {name} or {site}',
    ),
    (
        over('feeds.titles.topic: "{}"'),
        'feeds.titles.topic: unknown placeholder {} in "{}"; use {name} or {site}',
    ),
    (
        over('feeds.descriptions.all: "{site"'),
        "feeds.descriptions.all: not a valid template (expected '}' before end of string); "
        "write {{ and }} for literal braces",
    ),
    (
        over("feeds.descriptions.provider: 3"),
        "feeds.descriptions.provider: expected a non-empty string, got 3",
    ),
    (
        over("feeds.titles: {all: '{x}', bogus: 1, topic: ''}"),
        (
            "feeds.titles.bogus: unknown key (known keys: all, topic, provider)",
            'feeds.titles.all: unknown placeholder {x} in "{x}"; use {name} or {site}',
            'feeds.titles.topic: expected a non-empty string, got ""',
        ),
    ),
    # Numbers: finite, and in a stated range
    (over("select.min_quality: .nan"), "select.min_quality: expected a finite number, got .nan"),
    (over("select.min_quality: .inf"), "select.min_quality: expected a finite number, got .inf"),
    (over("select.min_quality: -.inf"), "select.min_quality: expected a finite number, got -.inf"),
    (
        over("select.max_age_days: .inf"),
        "select.max_age_days: expected a positive integer, got .inf",
    ),
    (over("feeds.max_items: .nan"), "feeds.max_items: expected a positive integer, got .nan"),
    (over("site.ttl: .inf"), "site.ttl: expected a positive integer, got .inf"),
    (over("content.max_bytes: .inf"), "content.max_bytes: expected a positive integer, got .inf"),
    (
        over("select.max_age_days: 100000000"),
        "select.max_age_days: expected a positive integer of at most 36500, got 100000000",
    ),
    (
        over("feeds.max_items: 100001"),
        "feeds.max_items: expected a positive integer of at most 100000, got 100001",
    ),
    (
        over("site.ttl: 525601"),
        "site.ttl: expected a positive integer of at most 525600, got 525601",
    ),
    (
        over("content.max_bytes: 1073741825"),
        "content.max_bytes: expected a positive integer of at most 1073741824, got 1073741825",
    ),
    (over("select.max_topics: 0"), "select.max_topics: expected an integer from 1 to 1000, got 0"),
    (
        over("select.max_topics: 1001"),
        "select.max_topics: expected an integer from 1 to 1000, got 1001",
    ),
    (
        over("select.max_topics: -1"),
        "select.max_topics: expected an integer from 1 to 1000, got -1",
    ),
    (
        over("select.max_topics: many"),
        'select.max_topics: expected an integer from 1 to 1000, got "many"',
    ),
    (
        over("select.max_topics: true"),
        "select.max_topics: expected an integer from 1 to 1000, got true",
    ),
    (
        over("select.max_topics: 2.5"),
        "select.max_topics: expected an integer from 1 to 1000, got 2.5",
    ),
    (
        over("site.websub_budget: 0"),
        "site.websub_budget: expected a number of seconds above 0 and at most 600, got 0",
    ),
    (
        over("site.websub_budget: -1"),
        "site.websub_budget: expected a number of seconds above 0 and at most 600, got -1",
    ),
    (
        over("site.websub_budget: 601"),
        "site.websub_budget: expected a number of seconds above 0 and at most 600, got 601",
    ),
    (
        over("site.websub_budget: .nan"),
        "site.websub_budget: expected a number of seconds above 0 and at most 600, got .nan",
    ),
    (
        over("site.websub_budget: .inf"),
        "site.websub_budget: expected a number of seconds above 0 and at most 600, got .inf",
    ),
    (
        over("site.websub_budget: true"),
        "site.websub_budget: expected a number of seconds above 0 and at most 600, got true",
    ),
    (
        over('site.websub_budget: "30"'),
        'site.websub_budget: expected a number of seconds above 0 and at most 600, got "30"',
    ),
    # Folders: the articles, the output and the cache apart
    (
        over("cache.dir: content"),
        "cache.dir: {dir}/content is content.dir {dir}/content; give the parse cache a "
        "folder of its own",
    ),
    (
        over("cache.dir: content/.cache"),
        "cache.dir: {dir}/content/.cache lies inside content.dir {dir}/content; give the "
        "parse cache a folder of its own",
    ),
    (
        over("cache.dir: public"),
        "cache.dir: {dir}/public is output.dir {dir}/public; give the parse cache a folder "
        "of its own",
    ),
    (
        over("cache.dir: public/.cache"),
        "cache.dir: {dir}/public/.cache lies inside output.dir {dir}/public; give the parse "
        "cache a folder of its own",
    ),
    (
        over("cache.dir: ."),
        (
            "cache.dir: {dir} contains content.dir {dir}/content; give the parse cache a folder "
            "of its own",
            "cache.dir: {dir} contains output.dir {dir}/public; give the parse cache a folder of "
            "its own",
        ),
    ),
    (
        over("content.dir: site", "output.dir: site"),
        "content.dir: {dir}/site is output.dir {dir}/site; keep the article files and the "
        "output in folders apart",
    ),
    (
        over("content.dir: public/articles", "output.dir: public"),
        "content.dir: {dir}/public/articles lies inside output.dir {dir}/public; keep the "
        "article files and the output in folders apart",
    ),
    (
        over("content.dir: site", "output.dir: site/public"),
        "content.dir: {dir}/site contains output.dir {dir}/site/public; keep the article "
        "files and the output in folders apart",
    ),
    # Article stores: one source, its URL, its names
    (over("content: {}"), "content.dir: required, but missing (or give content.database)"),
    (
        over("content.database: sqlite:///articles.db"),
        "content.database: give either content.dir or content.database, not both",
    ),
    (
        over("content: {database: 'postgresql://feeds:s3cret@db.internal/news'}"),
        "content.database: a password does not belong in the config file; set PGPASSWORD, "
        "or use a password file (PGPASSFILE, ~/.pgpass) or a service file",
    ),
    (
        over("content: {database: 'postgresql://feeds@db/news?password=s3cret'}"),
        "content.database: a password does not belong in the config file; set PGPASSWORD, "
        "or use a password file (PGPASSFILE, ~/.pgpass) or a service file",
    ),
    (
        over("content: {database: 'mysql://db/news'}"),
        'content.database: expected a sqlite:/// or postgresql:// URL, got "mysql://db/news"',
    ),
    (
        over("content: {database: 'sqlite://articles.db'}"),
        "content.database: expected sqlite:///relative.db or sqlite:////absolute.db, got "
        '"sqlite://articles.db"',
    ),
    (
        over("content: {database: 'sqlite:///public/articles.db'}"),
        "content.database: {dir}/public/articles.db lies inside output.dir {dir}/public; keep "
        "the article store out of the output",
    ),
    (
        over("content.table: Articles"),
        'content.table: expected a lowercase SQL name, optionally schema.name, got "Articles"',
    ),
    (
        over("content.table: 'a.b.c'"),
        'content.table: expected a lowercase SQL name, optionally schema.name, got "a.b.c"',
    ),
    (
        over("content.columns: {key: 'id; DROP TABLE articles'}"),
        "content.columns.key: expected a lowercase SQL name (letters a-z, digits and '_', not "
        'starting with a digit, at most 63 characters), got "id; DROP TABLE articles"',
    ),
    (
        over("content.columns: {changed: '\"stamp\"'}"),
        "content.columns.changed: expected a lowercase SQL name (letters a-z, digits and '_', "
        'not starting with a digit, at most 63 characters), got ""stamp""',
    ),
    (
        over("content.columns: {deleted: true}"),
        "content.columns.deleted: expected a lowercase SQL name, or false for no such column, "
        "got true",
    ),
    (
        over("content.columns: {stamp: changed}"),
        "content.columns.stamp: unknown key (known keys: key, changed, document, deleted)",
    ),
    # Custom feeds: paths
    (
        over("feeds.custom: [{path: '', title: Top}]"),
        'feeds.custom[0].path: expected a non-empty string, got ""',
    ),
    (
        over("feeds.custom: [{path: '  ', title: Top}]"),
        'feeds.custom[0].path: expected a non-empty string, got "  "',
    ),
    (
        over("feeds.custom: [{path: /top, title: Top}]"),
        'feeds.custom[0].path: "/top" is absolute; give a folder inside output.dir, such as "top"',
    ),
    (
        over("feeds.custom: [{path: a/../b, title: Top}]"),
        'feeds.custom[0].path: "a/../b" contains ".."',
    ),
    (over("feeds.custom: [{path: .., title: Top}]"), 'feeds.custom[0].path: ".." contains ".."'),
    (
        over("feeds.custom: [{path: .hidden, title: Top}]"),
        'feeds.custom[0].path: ".hidden" has a segment starting with "." (such names are internal)',
    ),
    (
        over("feeds.custom: [{path: news/.x, title: Top}]"),
        'feeds.custom[0].path: "news/.x" has a segment starting with "." (such names are internal)',
    ),
    (
        over("feeds.custom: [{path: Top, title: Top}]"),
        'feeds.custom[0].path: "Top" may hold only lowercase letters, digits, "-" and "/"',
    ),
    (
        over("feeds.custom: [{path: top stories, title: Top}]"),
        'feeds.custom[0].path: "top stories" may hold only lowercase letters, digits, "-" and "/"',
    ),
    (
        over("feeds.custom: [{path: top_stories, title: Top}]"),
        'feeds.custom[0].path: "top_stories" may hold only lowercase letters, digits, "-" and "/"',
    ),
    (
        over("feeds.custom: [{path: a\\b, title: Top}]"),
        'feeds.custom[0].path: "a\\b" may hold only lowercase letters, digits, "-" and "/"',
    ),
    (
        over("feeds.custom: [{path: tôp, title: Top}]"),
        'feeds.custom[0].path: "tôp" may hold only lowercase letters, digits, "-" and "/"',
    ),
    (
        over("feeds.custom: [{path: a//b, title: Top}]"),
        'feeds.custom[0].path: "a//b" has an empty segment ("//", or "/" at its end)',
    ),
    (
        over("feeds.custom: [{path: top/, title: Top}]"),
        'feeds.custom[0].path: "top/" has an empty segment ("//", or "/" at its end)',
    ),
    (
        over("feeds.custom: [{path: topics, title: Top}]"),
        'feeds.custom[0].path: "topics" would collide with the topic feeds\' folder topics/',
    ),
    (
        over("feeds.custom: [{path: topics/ai, title: Top}]"),
        'feeds.custom[0].path: "topics/ai" would collide with the topic feeds\' folder topics/',
    ),
    (
        over("feeds.custom: [{path: providers/x, title: Top}]"),
        'feeds.custom[0].path: "providers/x" would collide with the provider feeds\' folder '
        "providers/",
    ),
    (
        over("feeds.custom: [{path: archive, title: Top}]"),
        'feeds.custom[0].path: "archive" would collide with the all-articles feed\'s archive '
        "pages, archive/",
    ),
    (
        over("feeds.custom: [{path: archive/1, title: Top}]"),
        'feeds.custom[0].path: "archive/1" would collide with the all-articles feed\'s '
        "archive pages, archive/",
    ),
    (
        over("feeds.custom: [{path: news/archive/2, title: Top}]"),
        'feeds.custom[0].path: "news/archive/2" would be taken for an archive page\'s folder '
        "(.../archive/<n>)",
    ),
    (
        over("feeds.custom: [{path: feeds.opml, title: Top}]"),
        'feeds.custom[0].path: "feeds.opml" would collide with the site-wide file feeds.opml',
    ),
    (
        over("feeds.custom: [{path: index.html, title: Top}]"),
        'feeds.custom[0].path: "index.html" would collide with the site-wide file index.html',
    ),
    (
        over("feeds.custom: [{path: rss.xml/top, title: Top}]"),
        'feeds.custom[0].path: "rss.xml/top" would collide with the site-wide file rss.xml',
    ),
    (
        over("feeds.custom: [{path: style.css, title: Top}]"),
        'feeds.custom[0].path: "style.css" would collide with the site-wide file style.css',
    ),
    (
        over("feeds.custom: [{path: _headers, title: Top}]"),
        'feeds.custom[0].path: "_headers" would collide with the site-wide file _headers',
    ),
    (
        over("feeds.custom: [{path: con, title: Top}]"),
        'feeds.custom[0].path: "con" has the segment "con", a name Windows reserves for a device',
    ),
    (
        over("feeds.custom: [{path: news/lpt1, title: Top}]"),
        'feeds.custom[0].path: "news/lpt1" has the segment "lpt1", a name Windows reserves '
        "for a device",
    ),
    (
        over("feeds.custom: [{path: 3, title: Top}]"),
        "feeds.custom[0].path: expected a non-empty string, got 3",
    ),
    (
        over(
            "feeds.custom: [{path: top, title: A}, {path: news, title: B}, {path: top, title: "
            "C}, {path: news, title: D}]"
        ),
        (
            'feeds.custom[2].path: "top" is already the path of feeds.custom[0]',
            'feeds.custom[3].path: "news" is already the path of feeds.custom[1]',
        ),
    ),
    # Custom feeds: keys, shapes, and every problem at once
    (
        over("feeds.custom: [{path: top, title: Top, colour: red}]"),
        "feeds.custom[0].colour: unknown key (known keys: path, title, description, order, "
        "topics, providers, types, categories, min_quality, min_heat, max_age_days, "
        "max_items, content)",
    ),
    (
        over("feeds.custom: [{path: top, title: Top, order: hot}]"),
        'feeds.custom[0].order: expected one of newest, heat, got "hot"',
    ),
    (
        over("feeds.custom: [{path: top, title: Top, order: Heat}]"),
        'feeds.custom[0].order: expected one of newest, heat, got "Heat"',
    ),
    (
        over("feeds.custom: [{path: top, title: ''}]"),
        'feeds.custom[0].title: expected a non-empty string, got ""',
    ),
    (
        over("feeds.custom: [{path: top, title: null}]"),
        "feeds.custom[0].title: required, but missing",
    ),
    (
        over("feeds.custom: [{path: top, title: Top, description: ''}]"),
        'feeds.custom[0].description: expected a non-empty string, got ""',
    ),
    (
        over("feeds.custom: [{path: top, title: Top, min_heat: -1}]"),
        "feeds.custom[0].min_heat: expected a number of at least 0, got -1",
    ),
    (
        over("feeds.custom: [{path: top, title: Top, min_quality: -0.5}]"),
        "feeds.custom[0].min_quality: expected a number of at least 0, got -0.5",
    ),
    (
        over("feeds.custom: [{path: top, title: Top, min_heat: '.nan'}]"),
        'feeds.custom[0].min_heat: expected a number, got ".nan"',
    ),
    (
        over("feeds.custom: [{path: top, title: Top, max_age_days: -3}]"),
        "feeds.custom[0].max_age_days: expected a positive integer, got -3",
    ),
    (
        over("feeds.custom: [{path: top, title: Top, max_items: -1}]"),
        "feeds.custom[0].max_items: expected a positive integer, got -1",
    ),
    (
        over("feeds.custom: [{path: top, title: Top, max_items: 0}]"),
        "feeds.custom[0].max_items: expected a positive integer, got 0",
    ),
    (
        over("feeds.custom: [{path: top, title: Top, max_items: 100001}]"),
        "feeds.custom[0].max_items: expected a positive integer of at most 100000, got 100001",
    ),
    (
        over("feeds.custom: [{path: top, title: Top, content: all}]"),
        'feeds.custom[0].content: expected one of full, summary, got "all"',
    ),
    (
        over("feeds.custom: [{path: top, title: Top, topics: {some: [AI]}}]"),
        "feeds.custom[0].topics.some: unknown key (known keys: any, all, none)",
    ),
    (
        over("feeds.custom: [{path: top, title: Top, providers: {all: [BBC]}}]"),
        "feeds.custom[0].providers.all: unknown key (known keys: any, none)",
    ),
    (
        over("feeds.custom: [{path: top, title: Top, topics: {any: AI}}]"),
        'feeds.custom[0].topics.any: expected a list of strings, got "AI"',
    ),
    (
        over("feeds.custom: [{path: top, title: Top, categories: [news, '']}]"),
        'feeds.custom[0].categories: expected a non-empty string, got ""',
    ),
    (
        over("feeds.custom: [{path: top, title: Top, topics: [AI]}]"),
        "feeds.custom[0].topics: expected a mapping, got a list",
    ),
    (over("feeds.custom: {path: top}"), "feeds.custom: expected a list of mappings, got a mapping"),
    (
        over("feeds.custom: [top, null]"),
        (
            'feeds.custom[0]: expected a mapping, got "top"',
            "feeds.custom[1]: expected a mapping, got null",
        ),
    ),
    (
        over("feeds.custom: [{}]"),
        (
            "feeds.custom[0].path: required, but missing",
            "feeds.custom[0].title: required, but missing",
        ),
    ),
    (
        over(
            "feeds.custom: [{path: /a, title: '', order: hot}, {path: b, title: B, min_heat: -2, "
            "extra: 1}, {path: b, title: B again}]",
            "feeds.max_items.topic: 0",
            "feeds.min_items: 0",
        ),
        (
            "feeds.max_items.topic: expected a positive integer, got 0",
            "feeds.min_items: expected a positive integer, got 0",
            'feeds.custom[0].path: "/a" is absolute; give a folder inside output.dir, such as '
            '"top"',
            'feeds.custom[0].title: expected a non-empty string, got ""',
            'feeds.custom[0].order: expected one of newest, heat, got "hot"',
            "feeds.custom[1].extra: unknown key (known keys: path, title, description, order, "
            "topics, providers, types, categories, min_quality, min_heat, max_age_days, "
            "max_items, content)",
            "feeds.custom[1].min_heat: expected a number of at least 0, got -2",
            'feeds.custom[2].path: "b" is already the path of feeds.custom[1]',
        ),
    ),
    # Caps of each kind of feed
    (
        over("feeds.archive: true", "feeds.max_items: 4", "feeds.archive_page_size: 5"),
        "feeds.archive_page_size: 5 is more than feeds.max_items (4); an archive page holds "
        "at most as many items as the live feed",
    ),
    (  # archive pages are no larger than the smallest cap
        over(
            "feeds.archive: true",
            "feeds.max_items: {all: 10, topic: 4, provider: 8}",
            "feeds.archive_page_size: 5",
        ),
        "feeds.archive_page_size: 5 is more than feeds.max_items (4); an archive page holds "
        "at most as many items as the live feed",
    ),
    (over("feeds.max_items: -5"), "feeds.max_items: expected a positive integer, got -5"),
    (over("feeds.max_items: [50]"), "feeds.max_items: expected a positive integer, got a list"),
    (
        over("feeds.max_items.video: 3"),
        "feeds.max_items.video: unknown key (known keys: all, topic, provider, custom)",
    ),
    (
        over("feeds.max_items.custom: ten"),
        'feeds.max_items.custom: expected a positive integer, got "ten"',
    ),
    # Publishing and headers
    (over("publish: {}"), "publish.s3: required, but missing"),
    (over("publish.s3.prefix: x"), "publish.s3.bucket: required, but missing"),
    (
        over("publish.s3.bucket: b", "publish.s3.aws_secret_access_key: x"),
        "publish.s3.aws_secret_access_key: credentials are never read from the config file; "
        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or use "
        "AWS_PROFILE or an instance role",
    ),
    (
        over("publish.s3.bucket: b", "publish.s3.addressing_style: dns"),
        'publish.s3.addressing_style: expected one of auto, path, virtual, got "dns"',
    ),
    (
        over("publish.s3.bucket: b", 'publish.s3.endpoint_url: "https://k:s@r2.example"'),
        "publish.s3.endpoint_url: credentials don't belong in the URL; set "
        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
    ),
    (
        over("publish.s3.bucket: b", "publish.s3.prefix: a//b"),
        "publish.s3.prefix: expected key segments without '.', '..' or '//', got \"a//b\"",
    ),
    (
        over("publish.s3.bucket: b", 'publish.s3.delete: "yes"'),
        'publish.s3.delete: expected true or false, got "yes"',
    ),
    (
        over('output.cache_control.feed: "max-age=1\\nX-Evil: 1"'),
        'output.cache_control.feed: expected one line of header text, got "max-age=1\\nX-Evil: 1"',
    ),
    (
        over("output.cache_control.feeds: max-age=1"),
        "output.cache_control.feeds: unknown key (known keys: feed, archive, page, asset)",
    ),
    (
        over('site.websub_hub: "ftp://hub.example/"'),
        'site.websub_hub: expected an absolute http(s) URL, got "ftp://hub.example/"',
    ),
]


def _problems(expected: str | tuple[str, ...]) -> tuple[str, ...]:
    return (expected,) if isinstance(expected, str) else expected


@pytest.mark.parametrize(
    ("text", "expected"), CASES, ids=[_problems(e)[0].split(":")[0] for _, e in CASES]
)
def test_a_config_gives_exactly_these_problems(
    tmp_path: Path, text: str, expected: str | tuple[str, ...]
) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    wanted = tuple(problem.replace("{dir}", str(tmp_path)) for problem in _problems(expected))
    assert caught.value.problems == wanted
