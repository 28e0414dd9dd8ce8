"""A fast reader for the plain block layout mfagen's blueprints write, or nothing.

python-hcl2 (lark) is slow for a module of thousands of blocks (docs/performance.md has the
figures), and loading its grammar has a cost before the first byte. The files mfagen writes use a
small, fixed part of HCL: `#` comment lines, blocks with quoted labels, nested blocks without
labels, one-line attributes (a plain quoted string, a whole number, true/false, a reference
(`aws_iam_user.user["alice"]` too), a list of plain strings or of references, a one-line map of
plain strings, `toset([...])`, a one-line map comprehension, an object of those over several lines,
`null`, the type `string`, a provider's choice of role `var.x == null ? "..." : "...${var.x}"`)
and `<<-EOT` heredocs.
`parse` reads exactly that, line by line, and returns what python-hcl2 returns for it
(tests/audit/test_hcl_blocks_fast.py checks that on every rendered example and every mutant). Any
line it does not know, a duplicate attribute, a string with an escape or an interpolation, and
it returns None: the file goes to python-hcl2, which reads hand edits of any shape.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

from mfagen import iam

_PLAIN = r'"[^"\\$%\x00-\x1f]*"'
_OPEN = re.compile(r'(?P<kind>[a-z_]+)(?P<labels>(?: "[\w-]+")*) \{')
_NESTED = re.compile(r'(?P<name>[a-z_]+)(?P<labels>(?: "[\w-]+")*) \{')
_ATTRIBUTE = re.compile(r"(?P<key>[a-z_]+) += (?P<value>.+)")
_STRING = re.compile(_PLAIN)
_NUMBER = re.compile(r"0|[1-9][0-9]{0,15}")
_NAME = r"[a-z_][\w-]*"
_INDEX = rf'\[(?:each\.key|"{iam.NAME_CHARACTER}+")\]'
"""`[each.key]`, or a quoted key such as an IAM user name (no escapes: python-hcl2 keeps it)."""
_REFERENCE = re.compile(rf"{_NAME}(?:\.{_NAME})+(?:{_INDEX}(?:\.{_NAME})*)?")
_REFERENCES = re.compile(rf"\[(?:{_REFERENCE.pattern}(?:, {_REFERENCE.pattern})*)?\]")
_PAIR = rf"({_PLAIN}) = ({_PLAIN})"
_MAP = re.compile(rf"\{{ {_PAIR}(?:, {_PAIR})* \}}")
"""`{ "a" = "b", "c" = "d" }` on one line (the empty map `{}` is read on its own)."""
_FOR = re.compile(
    rf"\{{ (?P<inside>for {_NAME}, {_NAME} in {_NAME}(?:\.{_NAME})+ : {_NAME} => "
    rf"{_NAME}(?:\.{_NAME})*) \}}"
)
"""`{ for k, v in local.x : k => v.attr }`, python-hcl2 gives it as `${{for ... : k => v.attr}}`."""
_LIST = re.compile(rf"\[(?:{_PLAIN}(?:, {_PLAIN})*)?\]")
_CHOICE = re.compile(
    rf'var\.(?P<name>{_NAME}) == null \? "[^"\\$%\x00-\x1f]*" : '
    rf'"[^"\\$%\x00-\x1f]*\$\{{var\.(?P=name)\}}"'
)
"""A provider's role: `var.x == null ? "<ARN>" : "<ARN prefix>${var.x}"`."""
_KEYWORDS: dict[str, Any] = {"true": True, "false": False, "null": None, "string": "string"}
"""Bare words as python-hcl2 gives them (`string`: a variable's type)."""
_TOSET = re.compile(rf"toset\({_LIST.pattern}\)")
_COMMENT = re.compile(r" *#[^\x00-\x1f]*")
_HEREDOC = "<<-EOT"
_MARKER = re.compile(r" *EOT")


class _NotPlainError(Exception):
    """The text leaves the plain layout: python-hcl2 reads it instead."""


def parse(text: str) -> dict[str, Any] | None:
    """python-hcl2's reading of `text` (quotes stripped, heredocs kept), or None."""
    if "\t" in text or "\r" in text:
        return None
    try:
        return _Parser(text.split("\n")).file()
    except _NotPlainError:
        return None


def _labelled(labels: str, body: dict[str, Any]) -> dict[str, Any]:
    """python-hcl2's nesting of a block's labels: `"a" "b" { }` is {"a": {"b": body}}."""
    for label in reversed(re.findall(r'"([\w-]+)"', labels)):
        body = {label: body}
    return body


class _Parser:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.index = 0
        # Where heredocs may end, found in one pass: policies are most of the lines, and
        # trying the marker's expression on each of them cost more than the rest together.
        self.markers = [n for n, line in enumerate(lines) if line.endswith("EOT")]

    def file(self) -> dict[str, Any]:
        data: dict[str, list[Any]] = {}
        while self.index < len(self.lines):
            line = self.lines[self.index]
            self.index += 1
            if not line or _COMMENT.fullmatch(line):
                continue
            opened = _OPEN.fullmatch(line)
            if opened is None:
                raise _NotPlainError
            entry = _labelled(opened["labels"], self.body(1))
            data.setdefault(opened["kind"], []).append(entry)
        return data

    def body(self, depth: int, *, block: bool = True) -> dict[str, Any]:
        """A block's lines (or a multi-line object's) up to the closing brace at `depth - 1`."""
        indent = "  " * depth
        body: dict[str, Any] = {}
        while self.index < len(self.lines):
            line = self.lines[self.index]
            self.index += 1
            if not line or (line.lstrip(" ")[:1] == "#" and _COMMENT.fullmatch(line)):
                continue
            if line == indent[2:] + "}":
                if block:
                    body["__is_block__"] = True
                return body
            if not line.startswith(indent) or line[len(indent) : len(indent) + 1] in ("", " "):
                raise _NotPlainError
            content = line[len(indent) :]
            nested = _NESTED.fullmatch(content) if content[-1] == "{" else None
            if nested is not None and block:
                if nested["name"] in body:
                    raise _NotPlainError
                body[nested["name"]] = [_labelled(nested["labels"], self.body(depth + 1))]
                continue
            attribute = _ATTRIBUTE.fullmatch(content)
            if attribute is None or attribute["key"] in body:
                raise _NotPlainError
            if attribute["value"] == "{":
                body[attribute["key"]] = self.body(depth + 1, block=False)
            else:
                body[attribute["key"]] = self.value(attribute["value"])
        raise _NotPlainError

    def value(self, raw: str) -> Any:
        if raw == _HEREDOC:
            return self.heredoc()
        if _STRING.fullmatch(raw):
            return raw[1:-1]
        if _NUMBER.fullmatch(raw):
            return int(raw)
        if raw in _KEYWORDS:
            return _KEYWORDS[raw]
        if _LIST.fullmatch(raw):
            return [item[1:-1] for item in re.findall(_PLAIN, raw)]
        return _collection(raw)

    def heredoc(self) -> str:
        start = self.index
        for marker in self.markers[bisect_left(self.markers, start) :]:
            if _MARKER.fullmatch(self.lines[marker]):
                self.index = marker + 1
                body = self.lines[start : self.index]
                masked = "\n".join(body).replace("$${", "").replace("%%{", "")
                if "${" in masked or "%{" in masked:
                    raise _NotPlainError
                return "\n".join([_HEREDOC, *body])
        raise _NotPlainError


def _collection(raw: str) -> Any:
    """A one-line map of plain strings or a list of references, as python-hcl2 gives them."""
    if raw == "{}":
        return {}
    if _MAP.fullmatch(raw):
        pairs = re.findall(_PAIR, raw)
        if len({key for key, _ in pairs}) != len(pairs):
            raise _NotPlainError  # a key given twice: python-hcl2's to judge
        return {key[1:-1]: value[1:-1] for key, value in pairs}
    if _REFERENCES.fullmatch(raw):  # `[]` is a list of plain strings: never here
        return [f"${{{item}}}" for item in raw[1:-1].split(", ")]
    return _expression(raw)


def _expression(raw: str) -> str:
    """A reference, a toset call, a map comprehension or a provider's choice of role, as
    python-hcl2 gives it."""
    if _REFERENCE.fullmatch(raw) or _TOSET.fullmatch(raw) or _CHOICE.fullmatch(raw):
        return f"${{{raw}}}"
    comprehension = _FOR.fullmatch(raw)
    if comprehension is None:
        raise _NotPlainError
    return f"${{{{{comprehension['inside']}}}}}"
