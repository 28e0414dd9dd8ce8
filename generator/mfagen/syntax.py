"""Problems of a YAML file as text: its encoding, stray characters and syntax errors.

Each becomes a Problem with the line and column a user can jump to, and a hint that speaks
of what they wrote rather than of the parser's state.
"""

from __future__ import annotations

from typing import Any

import yaml

from mfagen.errors import ConfigError, Problem

Position = tuple[int, int]


def position(mark: Any) -> Position:
    """A YAML mark as a 1-based (line, column)."""
    return (mark.line + 1, mark.column + 1)


def error(name: str, where: Position, field: str, message: str, hint: str = "") -> ConfigError:
    return ConfigError([Problem(name, *where, field, message, hint)])


def decode(raw: bytes, name: str) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        utf16 = raw.startswith((b"\xff\xfe", b"\xfe\xff"))
        raise error(
            name,
            (line, column),
            "(file)",
            f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded",
            "the file is UTF-16: save it as UTF-8" if utf16 else "save the file as UTF-8",
        ) from None
    if "\x00" in text:
        raise error(
            name,
            _line_column(text, text.index("\x00")),
            "(file)",
            "contains a NUL character",
            "save the file as UTF-8 text (NULs everywhere mean it was saved as UTF-16)",
        )
    return text


def _line_column(text: str, index: int) -> Position:
    before = text[:index]
    return (before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1)


def reader_problem(exc: yaml.reader.ReaderError, text: str, name: str) -> Problem:
    line, column = _line_column(text, exc.position)
    return Problem(
        name,
        line,
        column,
        "(syntax)",
        f"not valid YAML: control character U+{exc.character:04X} is not allowed",
        "remove it: YAML allows printable characters, tabs and line breaks only",
    )


def syntax_problem(exc: yaml.MarkedYAMLError, text: str, name: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = position(mark) if mark is not None else (1, 1)
    problem = exc.problem or "invalid YAML"
    context = exc.context or ""
    hint = "check the indentation and quoting around this position"
    lines = text.splitlines()
    source = lines[line - 1] if line <= len(lines) else ""
    indent = source[: len(source) - len(source.lstrip(" \t"))]
    if "\t" in indent and column <= len(indent) + 1:
        problem = "a tab in the indentation"
        hint = "YAML forbids tabs for indentation: use spaces"
    elif context.startswith("while scanning a quoted scalar") and exc.context_mark is not None:
        line, column = position(exc.context_mark)
        problem = "this quoted string is never closed"
        hint = "add the closing quote"
    elif context.startswith("while parsing a flow") and exc.context_mark is not None:
        hint = (
            f"check the brackets opened on line {exc.context_mark.line + 1}: "
            "a ',' or a closing bracket is missing"
        )
    elif context == "expected a single document in the stream":
        problem = "a second document starts here"
        hint = "accounts.yaml holds one YAML document: remove this '---' or what follows it"
    elif context.startswith("found duplicate anchor") and exc.context_mark is not None:
        problem = f"the anchor is defined twice (first on line {exc.context_mark.line + 1})"
        hint = "give each anchor (&name) its own name"
    elif problem.startswith("found undefined alias"):
        alias = (source[column - 1 :].split() or [""])[0].rstrip(",]}")
        problem = f"undefined alias {alias}" if alias.startswith("*") else problem
        hint = "an alias (*name) must come after its anchor (&name) in the file"
    return Problem(name, line, column, "(syntax)", f"not valid YAML: {problem}", hint)
