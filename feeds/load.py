"""Read one article file and parse its YAML front matter, safely; `parse_file`, the parse
stage's unit of work, then validates it into the record the parse cache stores (workers
and the build's own process run this same code).

One file's trouble is a `Problem` for that file, never an exception for the run.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from feeds import yaml12
from feeds.config import Config
from feeds.files import NOT_REGULAR
from feeds.model import Problem, RawDoc
from feeds.records import FileIdentity, Record, make_record

yaml_rs: Any
try:  # a Rust YAML 1.2 parser, ~6x faster than libyaml on front matter; see README
    import yaml_rs
except ImportError:  # pragma: no cover - depends on the platform's wheels
    yaml_rs = None

# libyaml's C parser is ~10x faster than the pure-Python one; `feeds doctor` reports which.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LIBYAML = _BaseLoader is not yaml.SafeLoader

_BOOL_TAG = "tag:yaml.org,2002:bool"


class FrontMatterLoader(_BaseLoader):  # type: ignore[misc]
    """A safe loader whose booleans are YAML 1.2's (`true`/`false` only).

    YAML 1.1 also reads yes/no/on/off/y/n as booleans. Keeping those as strings lets
    validation decide what `published: yes` means, with one rule for every parser,
    and turns `published: on` into a reported typo rather than a silent publish.
    """


FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
FrontMatterLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
yaml12.install(FrontMatterLoader)  # ints, floats and duplicate keys as yaml-rs reads them

# Which parser reads article front matter: yaml-rs when importable, else PyYAML's.
PARSER = "yaml-rs" if yaml_rs is not None else ("libyaml" if LIBYAML else "pure-python")
PARSERS = (
    ("yaml-rs", "libyaml", "pure-python") if yaml_rs is not None else ("libyaml", "pure-python")
)


class _PythonFrontMatterLoader(yaml12.UniqueKeyLoader):
    """FrontMatterLoader's rules on PyYAML's pure-Python loader (the 10x slower last resort)."""


_PythonFrontMatterLoader.yaml_implicit_resolvers = FrontMatterLoader.yaml_implicit_resolvers
_PythonFrontMatterLoader.add_constructor(yaml12.INT_TAG, yaml12.construct_int)  # type: ignore[type-var]
_PythonFrontMatterLoader.add_constructor(
    yaml12.TIMESTAMP_TAG,
    yaml12.construct_timestamp,  # type: ignore[type-var]
)

# Expanded through its aliases, a real article has a few hundred values; far more is an
# alias bomb ("billion laughs"), which would blow up whatever walks it later.
MAX_NODES = 100_000


# YAML 1.2's printable characters (5.1), as PyYAML's reader checks them, less NEL, LS and
# PS: YAML 1.1 (libyaml) reads those as line breaks and YAML 1.2 (yaml-rs) as text, so
# `title: T<NEL>published: false` would be one field to one parser and two to the other.
@functools.cache
def _non_printable() -> re.Pattern[str]:
    # Compiled on first use: ~7 ms, which a run that parses no file need not pay.
    return re.compile(
        "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
    )


# libyaml skips a BOM that starts a line; yaml-rs and PyYAML's pure-Python reader keep it
# (in a key, `\ufeffpublished` would hide `published`). Within a line all three keep it.
_BOM_STARTING_A_LINE = re.compile("^\ufeff", re.MULTILINE)
_NAMES = {0x85: "next-line character", 0x2028: "line separator", 0x2029: "paragraph separator"}
_ASCII_FORBIDDEN = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# A closing line, with the line break before it: the regex engine then only tries where
# a line starts, not at every character (~6x faster on a front matter).
_CLOSING_LINE = re.compile(r"\n(?:---|\.\.\.)[ \t]*(?=\n|\Z)")


def split_front_matter(text: str) -> str | None:
    """The YAML between the first line '---' and the next '---' or '...' line, or None."""
    first_line, _, _ = text.partition("\n")
    if first_line.rstrip() != "---":
        return None
    end_of_first = len(first_line)  # where its line break is
    closing = _CLOSING_LINE.search(text, end_of_first)
    if closing is None:
        return None
    return text[end_of_first + 1 : closing.start() + 1]  # with the line break before it


def first_forbidden(yaml_text: str) -> re.Match[str] | None:
    """The first character YAML does not allow in `yaml_text`, or that its parsers read
    differently (NEL, LS, PS, a BOM starting a line), if any."""
    # In ASCII text the forbidden characters are the controls but tab and line breaks:
    # deleting those from its bytes and comparing lengths is ~10x faster than the search.
    if yaml_text.isascii():
        data = yaml_text.encode("ascii")
        if len(data.translate(None, _ASCII_FORBIDDEN)) == len(data):
            return None
        return _non_printable().search(yaml_text)
    found = _non_printable().search(yaml_text)
    if "\ufeff" in yaml_text:
        end = len(yaml_text) if found is None else found.start()
        return _BOM_STARTING_A_LINE.search(yaml_text, 0, end) or found
    return found


def _expands_too_far(value: object) -> bool:
    """Whether walking `value`, aliases expanded, visits more than MAX_NODES values."""
    budget = MAX_NODES
    stack = [value]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


# Quoted text in a parser's complaint is the file's own (a key, alias, anchor, tag or
# character), which may come from `secured`: it is left out, and the line and column
# point at it. Token names ('<stream end>') and one indicator (',') are the parser's.
_QUOTED = re.compile(r"""\s*(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|['"].*)""", re.DOTALL)
_PARSER_WORDS = re.compile(r"""\s*(['"])(?:<[a-z ]+>|[][{},:?|>-])\1""")
_MARK = re.compile(r'\s*in "<[a-z ]+>", (?:line \d+, column \d+|position \d+)')


def quoteless(message: str) -> str:
    """A parser's message without the text it quotes from the file."""
    text = _QUOTED.sub(lambda m: m[0] if _PARSER_WORDS.fullmatch(m[0]) else "", message)
    return text.rstrip(" :;,")


def _yaml_reason(exc: yaml.YAMLError) -> str:
    """PyYAML's complaint on one line, with the position counted in the file's own lines."""
    context = getattr(exc, "context", None)
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if isinstance(context, str) and context.startswith("found "):  # a duplicate anchor
        problem = context.partition(";")[0]
    if not problem:
        problem = _MARK.sub("", str(exc).partition("\n")[0])  # no '<unicode string>'
    elif problem.startswith("failed to"):  # base64: Python's own error about the text follows
        problem = problem.partition(":")[0]
    if mark is None:
        return quoteless(problem)
    # +2: marks count from 0, and the file's first line is the opening '---'.
    return f"{quoteless(problem)} (line {mark.line + 2}, column {mark.column + 1})"


def _yaml_rs_reason(exc: Exception, yaml_text: str) -> str:
    """Why yaml-rs refused `yaml_text`: libyaml's reason when it refuses it too (it gives
    the line and column where yaml-rs names a duplicate key by its value), else yaml-rs's
    complaint on one line: its first line (the position) and its last (why)."""
    try:
        yaml.load(yaml_text, Loader=FrontMatterLoader)
    except yaml.YAMLError as libyaml_exc:
        return _yaml_reason(libyaml_exc)
    except (ValueError, RecursionError, MemoryError, OverflowError):
        pass
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    position = re.sub(
        r"line (\d+)", lambda m: f"line {int(m.group(1)) + 1}", lines[0]
    )  # +1: the file's first line is the opening '---'
    return quoteless(position if len(lines) == 1 else f"{lines[-1]} ({position})")


def _where(yaml_text: str, found: re.Match[str]) -> str:
    """'control character U+0000 (line 3, column 7)', lines counted in the file."""
    before = yaml_text[: found.start()]
    line = before.count("\n") + 2  # +2: lines count from 1, after the opening '---'
    column = found.start() - (before.rfind("\n") + 1) + 1
    code = ord(found.group())
    if code == 0xFEFF:
        return f"byte order mark U+FEFF starting line {line}"
    name = _NAMES.get(code, "control character")
    return f"{name} U+{code:04X} (line {line}, column {column})"


def parse_front_matter(path: str, text: str, parser: str = PARSER) -> RawDoc | Problem:
    """Parse a file's text (BOM and CRLF allowed) into a RawDoc, or say why it can't be.

    `parser` is one of PARSERS; the default is the fastest one installed.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    yaml_text = split_front_matter(text)
    if yaml_text is None:
        return Problem(path, "front matter", "no YAML front matter between '---' lines")
    # Both parsers must give one verdict; yaml-rs would read past a NUL that libyaml
    # refuses, so the characters YAML forbids are refused here, before either runs.
    forbidden = first_forbidden(yaml_text)
    if forbidden is not None:
        return Problem(path, "front matter", f"{yaml12.NOT_YAML}: {_where(yaml_text, forbidden)}")
    try:
        if parser == "yaml-rs" and not yaml12.needs_pyyaml(yaml_text):
            data = yaml_rs.loads(yaml_text)
            if yaml12.may_have_sequence_key(yaml_text) and yaml12.has_sequence_key(data):
                return Problem(path, "front matter", f"{yaml12.NOT_YAML}: a list used as a key")
        else:
            loader = FrontMatterLoader if parser == "libyaml" else _PythonFrontMatterLoader
            data = yaml.load(yaml_text, Loader=loader)
    except yaml.YAMLError as exc:
        return Problem(path, "front matter", f"{yaml12.NOT_YAML}: {_yaml_reason(exc)}")
    except ValueError as exc:
        if yaml_rs is not None and isinstance(exc, yaml_rs.YAMLDecodeError):
            reason = _yaml_rs_reason(exc, yaml_text)
            return Problem(path, "front matter", f"{yaml12.NOT_YAML}: {reason}")
        return Problem(path, "front matter", f"cannot be parsed: {type(exc).__name__}")
    except (RecursionError, MemoryError, OverflowError) as exc:
        # libyaml's constructor recurses per nesting level; a hostile file can exhaust it.
        return Problem(path, "front matter", f"cannot be parsed: {type(exc).__name__}")
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        return Problem(path, "front matter", f"expected a mapping of fields, got {kind}")
    # Aliases need anchors: without an '&' there is nothing to expand, and no walk to pay for.
    if "&" in yaml_text and _expands_too_far(data):
        message = f"more than {MAX_NODES} values once aliases are expanded (an alias bomb?)"
        return Problem(path, "front matter", message)
    return RawDoc(path, data)


def read_document(root: Path, path: str, max_bytes: int, parser: str = PARSER) -> RawDoc | Problem:
    """Read one article file (relative `path` under `root`) and parse its front matter.

    Only a regular file is read: opening does not block (a FIFO would wait for a writer
    forever, holding the output lock), and anything else is a Problem.
    """
    try:
        fd = os.open(root / path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                return Problem(path, "file", f"{NOT_REGULAR}; skipped")
            size = info.st_size
            if size > max_bytes:
                message = f"{size} bytes is larger than content.max_bytes ({max_bytes})"
                return Problem(path, "file", message)
            raw = file.read(max_bytes + 1)
    except OSError as exc:
        return Problem(path, "file", f"cannot be read: {exc.strerror or exc}")
    if len(raw) > max_bytes:  # grew while we read it
        return Problem(path, "file", f"larger than content.max_bytes ({max_bytes})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Problem(path, "file", f"not UTF-8 text (bad byte at offset {exc.start})")
    return parse_front_matter(path, text, parser)


def parse_file(config: Config, parser: str, path: str, identity: FileIdentity | None) -> Record:
    """Read, parse and validate the file at `path` (relative to `content.dir`) whose scan
    gave it `identity` (None: its stat failed, so the record never matches again)."""
    content = config.content
    doc = read_document(content.folder, path, content.max_bytes, parser)
    if isinstance(doc, Problem):
        return make_record(path, identity, None, (doc,))
    from feeds.validate import validate  # imported here: a no-change run never needs it

    result = validate(doc, config.site.timezone, max_topics=config.select.max_topics)
    return make_record(path, identity, result.article, result.problems)
