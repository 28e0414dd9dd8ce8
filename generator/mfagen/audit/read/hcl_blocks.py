"""Read a Terraform root module's *.tf files with python-hcl2 into blocks that know their line.

python-hcl2 returns literal strings without quotes, interpolations as `${...}` strings and
heredocs with their markers; it drops line numbers, so each block's line comes from its header
in the text, and each policy statement's line from its `"Sid"`. hcl_blocks_fast.py returns the
same for mfagen's own layout with a few str operations, and leaves anything else to python-hcl2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from mfagen.audit.errors import AuditInputError
from mfagen.audit.read import hcl_blocks_fast

_HEADER = re.compile(r'^(?P<kind>[a-z_]+)((?:\s+"[^"\n]*")*)\s*\{', re.MULTILINE)
_LABEL = re.compile(r'"([^"\n]*)"')
_SID = re.compile(r'"Sid"\s*:\s*"((?:[^"\\]|\\.)*)"')
_HEREDOC = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)\r?\n")
"""A heredoc's first line; its body runs to `\\r?\\n?[ \\t]*MARKER` at the end (heredoc_body)."""


@dataclass(frozen=True)
class Block:
    """A top-level block: `resource "aws_iam_role" "dev__admin" { ... }`."""

    kind: str
    labels: tuple[str, ...]
    body: dict[str, Any]
    file: str
    line: int
    end: int
    """The line where the next block starts (for finding statement lines inside it)."""

    @cached_property
    def address(self) -> str:
        if self.kind == "resource":
            return ".".join(self.labels)
        return ".".join((self.kind, *self.labels))


@dataclass(frozen=True)
class SourceFile:
    name: str
    text: str
    sids: tuple[tuple[int, str], ...]
    """Every `"Sid": "..."` in the file with its line, in order."""

    def sid_lines(self, start: int, end: int) -> dict[str, int]:
        found: dict[str, int] = {}
        for line, sid in self.sids:
            if start <= line < end:
                found.setdefault(sid, line)
        return found


def read(files: Mapping[str, str]) -> tuple[tuple[Block, ...], dict[str, SourceFile]]:
    """Parse every file (name -> text); raise AuditInputError on what Terraform would refuse."""
    blocks: list[Block] = []
    sources: dict[str, SourceFile] = {}
    for name, text in sorted(files.items()):
        sids = tuple((line, match[1]) for line, match in _lines(text, _SID))
        sources[name] = SourceFile(name, text, sids)
        blocks.extend(_blocks(name, text))
    return tuple(blocks), sources


@lru_cache(maxsize=64)
def _blocks(name: str, text: str) -> tuple[Block, ...]:
    """The blocks of one file (cached: `render` and repeated audits parse a file once)."""
    try:
        data = hcl_blocks_fast.parse(text)
        if data is None:
            data = parse(text)
    except SyntaxError as error:
        raise AuditInputError(
            f"not valid HCL: {error.msg}",
            "run `terraform validate`, or `mfagen render` to regenerate the file",
            name,
            error.lineno if isinstance(error.lineno, int) else 0,
        ) from None
    headers = _headers(text)
    found: list[Block] = []
    for kind, entries in data.items():
        for entry in entries if isinstance(entries, list) else [entries]:
            found.extend(_unwrap(name, kind, entry, headers))
    return tuple(sorted(found, key=lambda block: block.line))


def parse(text: str) -> dict[str, Any]:
    """python-hcl2's reading of `text`: quotes stripped, heredocs kept, comments dropped."""
    import hcl2  # noqa: PLC0415 - lark's parser takes a while to load; only the audit needs it
    from hcl2.utils import SerializationOptions  # noqa: PLC0415
    from lark.exceptions import LarkError  # noqa: PLC0415

    options = SerializationOptions(
        with_comments=False, preserve_heredocs=True, strip_string_quotes=True
    )
    try:
        data: dict[str, Any] = hcl2.loads(text, serialization_options=options)
    except (LarkError, ValueError, RuntimeError) as error:
        failure = SyntaxError(str(error).splitlines()[0] if str(error) else type(error).__name__)
        failure.lineno = getattr(error, "line", None)
        raise failure from error
    return data


def _headers(text: str) -> dict[tuple[str, ...], list[tuple[int, int]]]:
    """(kind, labels...) -> [(line, end line)] of each block header in the text, in order."""
    starts = []
    for line, match in _lines(text, _HEADER):
        labels = tuple(_LABEL.findall(match[2]))
        starts.append(((match["kind"], *labels), line))
    found: dict[tuple[str, ...], list[tuple[int, int]]] = {}
    for index, (key, line) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else text.count("\n") + 2
        found.setdefault(key, []).append((line, end))
    return found


def _lines(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, re.Match[str]]]:
    """Each match of `pattern` with the line it starts on."""
    line, position = 1, 0
    for match in pattern.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        yield line, match


_LABELS = {"resource": 2, "data": 2, "provider": 1, "module": 1, "variable": 1, "output": 1}
"""How many labels each block kind has (the rest have none)."""


def _unwrap(
    name: str, kind: str, entry: Any, headers: dict[tuple[str, ...], list[tuple[int, int]]]
) -> list[Block]:
    """Peel python-hcl2's nesting: {"aws_iam_role": {"dev__admin": {...body...}}}."""
    label_count = _LABELS.get(kind, 0)
    pending: list[tuple[tuple[str, ...], Any]] = [((), entry)]
    for _ in range(label_count):
        pending = [
            ((*labels, key), value)
            for labels, body in pending
            if isinstance(body, dict)
            for key, value in body.items()
            if not key.startswith("__")
        ]
    blocks = []
    for labels, body in pending:
        if not isinstance(body, dict):
            raise AuditInputError(f"unexpected {kind} block shape", "", name)
        spans = headers.get((kind, *labels)) or [(0, 0)]
        line, end = spans.pop(0) if len(spans) > 1 else spans[0]
        clean = {k: v for k, v in body.items() if not k.startswith("__")}
        blocks.append(Block(kind, labels, clean, name, line, end))
    return blocks


def literal(raw: str) -> str | None:
    """The text of a literal HCL string, or None when it interpolates (`${...}`, `%{...}`)."""
    if "{" not in raw:
        return raw  # nothing to unescape: most strings, and the audit reads tens of thousands
    masked = raw.replace("$${", "\x01").replace("%%{", "\x02")
    if "${" in masked or "%{" in masked:
        return None
    return masked.replace("\x01", "${").replace("\x02", "%{")


def heredoc_body(raw: str) -> str | None:
    """The body of a heredoc: what `<<-?MARKER\\r?\\n(.*?)\\r?\\n?[ \\t]*MARKER\\Z` (re.S) captures.

    Without that expression: its lazy body tries the end at every character of a policy.
    The shortest body leaves the longest end: every space and tab before the marker, then a
    `\\n` if there is one, then a `\\r` if there is one.
    """
    start = _HEREDOC.match(raw)
    if start is None:
        return None
    rest, marker = raw[start.end() :], start[2]
    if not rest.endswith(marker):
        return None
    return rest[: len(rest) - len(marker)].rstrip(" \t").removesuffix("\n").removesuffix("\r")


def policy_text(raw: Any, file: str, line: int, what: str) -> str:
    """A policy attribute as JSON text: a heredoc or quoted literal, with `$${` unescaped."""
    if not isinstance(raw, str):
        raise AuditInputError(f"{what} is not a string", "", file, line)
    heredoc = heredoc_body(raw) if raw.startswith("<<") else None
    body = raw if heredoc is None else heredoc
    text = literal(body)
    if text is None:
        raise AuditInputError(
            f"{what} is a Terraform expression, not literal JSON",
            "the audit reads policies as mfagen writes them: JSON in a heredoc, with IAM "
            "variables written $${...}",
            file,
            line,
        )
    return text
