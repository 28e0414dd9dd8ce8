"""A fast reader for exactly one shape: the `locals { users = {...} }` block mfagen writes.

python-hcl2 needs about 4 ms a user to parse users.tf (8 s for 2,000 users). This reader
accepts only the canonical layout, line by line, and returns what python-hcl2 would return
for it (tests/audit/test_fastpath.py checks that); any other line, a comment, a duplicate key
or a different layout, and the block goes to python-hcl2 like the rest of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mfagen.audit.errors import AuditInputError

_OPEN = ("locals {", "  users = {")
_CLOSE = ("  }", "}")
_ENTRY = re.compile(r'    "(?P<name>[\w+=,.@-]+)" = \{')
_GROUPS = re.compile(
    r"      groups = \[(?P<items>aws_iam_group\.[\w-]+\.name(?:, aws_iam_group\.[\w-]+\.name)*)?\]"
)
_TAG = r'"[\w.:/=+@-]+" = "[\w.:/=+@ -]*"'
_TAGS = re.compile(rf"      tags {{1,3}}= (?:\{{\}}|\{{ (?P<pairs>{_TAG}(?:, {_TAG})*) \}})")
_PAIR = re.compile(r'"([^"]*)" = "([^"]*)"')
_END = "    }"
_USER = re.compile(rf"{_ENTRY.pattern}\n{_GROUPS.pattern}\n{_TAGS.pattern}\n{_END}\n")
"""One entry: its four lines, each ending with a line break (the block's `  }` follows)."""
_LINES_PER_USER = 4


@dataclass(frozen=True)
class FastLocals:
    body: dict[str, Any]
    line: int
    end: int


def split_users(file: str, text: str) -> tuple[str, FastLocals | None]:
    """(the text without the users block, that block) or (text, None) if not canonical.

    The block's lines become one empty line: lines after it move up by `end - line - 1`.
    """
    lines = text.split("\n")
    try:
        start = lines.index(_OPEN[0])
    except ValueError:
        return text, None
    if lines[start + 1 : start + 2] != [_OPEN[1]]:
        return text, None
    users: dict[str, Any] = {}
    index = start + 2
    position = len("\n".join(lines[:index])) + 1  # where line `index` starts in `text`
    # One expression for an entry's four lines: 2,000 entries, one match each.
    while (match := _USER.match(text, position)) is not None:
        entry = _parse_entry(match)
        if entry is None:
            return text, None
        name, value = entry
        if name in users:
            raise AuditInputError(file, f"local.users holds {name!r} twice", line=index + 1)
        users[name] = value
        index += _LINES_PER_USER
        position = match.end()
    if lines[index : index + 2] != list(_CLOSE):
        return text, None
    end = index + 2
    remainder = "\n".join([*lines[:start], "", *lines[end:]])
    return remainder, FastLocals({"users": users}, start + 1, end + 1)


def _parse_entry(entry: re.Match[str]) -> tuple[str, dict[str, Any]] | None:
    items = entry["items"].split(", ") if entry["items"] else []
    pairs = _PAIR.findall(entry["pairs"]) if entry["pairs"] else []
    if len({key for key, _ in pairs}) != len(pairs):
        return None
    return entry["name"], {
        "groups": [f"${{{item}}}" for item in items],
        "tags": dict(pairs),
    }
