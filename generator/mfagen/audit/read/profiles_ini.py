"""The sections and profiles of an AWS config file as botocore reads them, each with its line.

botocore (`botocore.configloader.raw_config_parse`) reads the file with a default
`configparser.RawConfigParser()`: `=` or `:` between key and value, keys in lower case, `#`
and `;` comment lines but no comments after a value or header (`[profile x] ; note` is
section `profile x`), indented continuation lines, a `[DEFAULT]` section whose keys every
section inherits, and strict: a section or key twice is an error. A value that starts on the
line after its key (`s3 =`, then indented `key = value` lines) becomes a dict of those lines.
`botocore.configloader.load_config` then names the profiles: `[default]`, and each section
whose name starts with `profile` and splits (shlex) into exactly two words, the second being
the profile's name; of two sections naming one profile, the later is the profile.

This module does the same with the same parser (the standard library's, so botocore is not
needed to run it) and keeps the line of each section header, which the audit's evidence
names. The file is split into lines as `open()` does (universal newlines). botocore refuses
a file exactly when `sections` raises IniError; tests/audit/test_profiles_ini.py compares
both functions with botocore's own on many generated files.
"""

from __future__ import annotations

import configparser
import io
import shlex
from collections.abc import Iterator
from typing import NamedTuple

Value = str | dict[str, str]
"""A value as botocore reads it: text, or the `key = value` lines under an empty key."""


class Section(NamedTuple):
    name: str
    """The name between the brackets (for `profiles`, the profile's name)."""
    line: int
    """The line of its `[...]` header."""
    values: dict[str, Value]
    """Its keys (the `[DEFAULT]` section's too), in file order."""


class IniError(ValueError):
    """What botocore refuses to read: a line (0 when the error has none) and why."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def sections(text: str) -> list[Section]:
    """Every section in file order, as `botocore.configloader.raw_config_parse` reads it."""
    parser = configparser.RawConfigParser()  # botocore's: every option at its default
    read: list[str] = []
    headers: list[int] = []

    def lines() -> Iterator[str]:
        """The lines as a text file yields them, noting each line that began a section."""
        known = len(parser)  # the sections, plus DEFAULT
        for line in io.StringIO(text, newline=None):
            read.append(line)
            yield line  # configparser reads this line before it asks for the next one
            if len(parser) > known:
                known += 1
                headers.append(len(read))

    try:
        parser.read_file(lines())
    except configparser.Error as error:
        raise _refused(error, read) from None
    found = []
    for name, line in zip(parser.sections(), headers, strict=True):
        keys = parser.options(name)  # botocore's order: the section's keys, then DEFAULT's
        found.append(
            Section(name, line, {k: _value(name, line, k, parser.get(name, k)) for k in keys})
        )
    return found


def profiles(text: str) -> list[Section]:
    """The profiles, named as `botocore.configloader.load_config` names them, in the order
    botocore's mapping holds them (where each name first appears)."""
    found: dict[str, Section] = {}
    for section in sections(text):
        if section.name.startswith("profile"):
            try:
                words = shlex.split(section.name)
            except ValueError:  # an unclosed quote: botocore skips the section
                continue
            if len(words) == 2:
                found[words[1]] = section._replace(name=words[1])
        elif section.name == "default":
            found["default"] = section
    return list(found.values())


def _value(section: str, line: int, key: str, value: str) -> Value:
    """botocore's reading of a value: one that starts on the next line is a nested dict."""
    if not value.startswith("\n"):
        return value
    nested: dict[str, str] = {}
    for text in value.splitlines():
        stripped = text.strip()
        if not stripped:
            continue
        inner, equals, setting = stripped.partition("=")
        if not equals:
            reason = f"[{section}] {key}: {stripped!r} under it is not a key = value setting"
            raise IniError(line, reason)
        nested[inner.strip()] = setting.strip()
    return nested


def _refused(error: configparser.Error, lines: list[str]) -> IniError:
    """configparser's error (botocore's ConfigParseError wraps it), with its line."""
    if isinstance(error, configparser.DuplicateSectionError):
        return IniError(error.lineno or 0, f"section [{error.section}] appears twice")
    if isinstance(error, configparser.DuplicateOptionError):
        reason = f"key {error.option!r} appears twice in [{error.section}]"
        return IniError(error.lineno or 0, reason)
    if isinstance(error, configparser.MissingSectionHeaderError):
        return IniError(error.lineno, f"{error.line.strip()!r} comes before any [section]")
    if isinstance(error, configparser.ParsingError):
        line = error.errors[0][0]
        text = lines[line - 1].rstrip("\n")
        return IniError(line, f"{text!r} is neither a [section], a key = value nor a comment")
    return IniError(0, str(error))
