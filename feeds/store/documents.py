"""An article as a store keeps it: its front matter as a JSON object, and back.

`document_text` writes a file's front matter as JSON such that validation gives the same
Article from it; `raw_doc_from_row` reads a row's document into the `RawDoc` validation
takes. YAML has values JSON has not (dates, binary, sets, keys that are not text, NUL): dates
become ISO 8601 text, which validation reads as the same moment; the rest become what
validation treats alike, and `feeds import` checks every article comes out the same.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

from feeds.config import Config
from feeds.model import Problem, RawDoc
from feeds.records import Record, make_record

if TYPE_CHECKING:
    from feeds.store.rows import StoreRow

# NUL and lone surrogates: no PostgreSQL text or jsonb value holds them.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Python prints integers of up to 4,300 digits (sys.int_info.str_digits_check_threshold
# aside); below this many bits every integer has fewer digits.
_PRINTABLE_BITS = 14_000

JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]


def row_name(table: str, key: str) -> str:
    """How a report line names a row, where a file gives its path: `articles/KEY`."""
    return f"{table}/{key}"


def raw_doc_from_row(row: StoreRow, table: str = "articles") -> RawDoc | Problem:
    """The row's document as validation takes it, named `table/key`; a Problem (field
    `document`) when it is not JSON text of an object."""
    name = row_name(table, row.key)
    try:
        data = json.loads(row.document)
    except ValueError as exc:  # JSONDecodeError, or a number of over 4,300 digits
        return Problem(name, "document", f"not valid JSON: {exc}")
    except RecursionError:
        return Problem(name, "document", "not valid JSON: nested too deep")
    if not isinstance(data, dict):
        kind = "null" if data is None else type(data).__name__
        return Problem(name, "document", f"expected a JSON object of fields, got {kind}")
    return RawDoc(name, data)


def parse_row(config: Config, row: StoreRow) -> Record:
    """A row's record, as a file's is made: its document validated as front matter,
    named `table/key`. A row has no file identity: its record is as new as the read."""
    doc = raw_doc_from_row(row, config.content.table)
    if isinstance(doc, Problem):
        return make_record(doc.path, None, None, (doc,))
    from feeds.validate import validate  # imported here: a no-change run never needs it

    result = validate(doc, config.site.timezone, max_topics=config.select.max_topics)
    return make_record(doc.path, None, result.article, result.problems)


def to_json(value: object) -> JSONValue:
    """A parsed YAML value as JSON can hold it, read alike by validation."""
    if isinstance(value, str):
        # PostgreSQL's JSON holds neither; text loses them anyway (import checks it did).
        return _UNSTORABLE.sub("", value) if _UNSTORABLE.search(value) else value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        # An integer too long to print is no text nor number to validation; nor is this.
        return value if _printable(value) else {"value": None}
    if isinstance(value, float):
        # JSON has no NaN or infinity; their text ('nan', 'inf') is what validation
        # makes of the number, and is no number to it either.
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()  # naive stays naive: read in site.timezone, as the file
    if isinstance(value, Mapping):
        # Validation reads text keys only; a key of another kind is never a field.
        return {k: to_json(v) for k, v in value.items() if isinstance(k, str)}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    # A tuple (!!omap, !!pairs), a set, bytes (!!binary): no field takes one, and an
    # object of its text is no field's value either (import checks the outcome).
    return {"value": str(value)}


def _printable(number: int) -> bool:
    """Whether Python can print `number` (and so json write it)."""
    if number.bit_length() < _PRINTABLE_BITS:
        return True
    try:
        str(number)
    except ValueError:
        return False
    return True


def document_text(data: Mapping[str, object]) -> str:
    """A front matter as compact JSON text (UTF-8, not ASCII-escaped)."""
    return json.dumps(to_json(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
