"""A fast reader for the profile files mfagen's blueprint writes, or nothing.

The audit reads one profile file per user, with a profile per role they may assume: visiting
each line in Python (profiles_ini.py) is slow at that size, and even one regular expression over
every character, or a few passes of str methods over the whole text, cost much of it.

The blueprint writes comment lines, a blank line, the source profile (`[profile NAME]`,
`mfa_serial`, `region`), then for each role a blank line and `[profile NAME]`, `role_arn`,
`source_profile`, `role_session_name`, `mfa_serial`, `region` (with `credential_process` on,
each followed by a blank line and its `[profile NAME-tf]`, `credential_process`, `region`),
then comment lines. Within a file the three lines from `source_profile` to `mfa_serial` are
the same in every role profile. Cut there (one str.split), the role profiles leave pieces
such as `eu-west-1\\n\\n[profile acme-dev-admin]\\nrole_arn = arn:...`: the end of one profile
and the start of the next, which do not depend on the user. So each distinct piece is checked
once, line by line in Python, and every other file that holds it looks it up.

`rows` returns exactly what the full reader returns (tests/audit/test_profiles_fast.py checks
that on every rendered example and on hand edits): every line of the file is in some text it
checked, and every value is printable ASCII without spaces at either end, which the full
reader's strip() leaves as it is. Anything else (a hand edit, a comment between profiles, odd
spacing, CRLF, a section named twice) and it returns None: the full reader reads the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, repeat
from typing import cast

Row = tuple[str, int, str | None, str | None, str | None, str | None, str | None]
"""A profile's fields in profiles.Profile's order."""
Companion = tuple[str, str]
"""A `-tf` companion profile: its name and region."""
Piece = tuple[str, str, str, Companion | None]
"""Between two role profiles: the first one's region and companion, the next one's name and
role ARN."""
Pieces = dict[str, Piece | None]
"""The pieces read so far (None: not the blueprint's), shared by the files of one audit."""

_NEXT = "\n\n[profile "
"""What separates two sections: the blank line and the next header."""
_ROLE_KEYS = ("role_arn", "source_profile", "role_session_name", "mfa_serial", "region")
_SOURCE_LINES = 4
"""The source profile's lines: the header, mfa_serial, region and the blank line after."""
_ROLE_LINES = 7
"""A role profile's lines: the header, five keys and the blank line after."""
_COMPANION_LINES = 4
"""A companion's lines: the header, credential_process, region and the blank line after."""
_SHELL = frozenset(" '\"\\")
"""What shlex reads in a profile's name: a space splits it, quotes and backslashes go."""


class _NotPlainError(Exception):
    """The text leaves the blueprint's layout: the full reader reads it instead."""


def rows(text: str, pieces: Pieces) -> Iterator[Row] | None:
    """The full reader's profiles of `text` in order, or None for any other layout."""
    try:
        return _rows(text, pieces)
    except _NotPlainError:
        return None


def _rows(text: str, pieces: Pieces) -> Iterator[Row]:
    cut = text.rfind("\nregion = ")  # the last profile's last line
    end = text.find("\n", cut + 1)
    head, found, rest = text[:end].partition(_NEXT)
    if cut < 0 or end < 0 or not found:
        raise _NotPlainError
    _skipped(head)
    _skipped(text[end + 1 :])
    source, _, body = rest.partition(_NEXT)
    header, serial, region = _lines(f"[profile {source}", 3)
    name = _name(header)
    line = head.count("\n") + 3
    first: Row = (name, line, None, None, _value(serial, "mfa_serial"), None, _value(region))
    names, profiles = _roles(body, line + _SOURCE_LINES, pieces) if body else ([], iter(()))
    if len({name, *names}) != len(names) + 1:
        raise _NotPlainError  # the full reader reports the duplicate, with its line
    return chain((first,), profiles)


def _roles(body: str, line: int, pieces: Pieces) -> tuple[list[str], Iterator[Row]]:
    """The role profiles (and their companions), from the pieces between their fixed lines."""
    header, *keys = _lines(f"[profile {body.partition(_NEXT)[0]}", len(_ROLE_KEYS) + 1)
    first = _name(header)
    arn, source, session, serial, _ = map(_value, keys, _ROLE_KEYS)
    between = body.split(
        f"\nsource_profile = {source}\nrole_session_name = {session}\n"
        f"mfa_serial = {serial}\nregion = "
    )
    if len(between) < 2:  # the first profile's start, then one piece each
        raise _NotPlainError
    # The first profile's start was checked above; the text after the last one's region reads
    # as a piece with any profile's start after it.
    last = _piece(f"{between[-1]}{_NEXT}{first}]\nrole_arn = {arn}")
    middle = between[1:-1]
    for piece in set(middle).difference(pieces):
        pieces[piece] = _read_piece(piece)
    read = list(map(pieces.__getitem__, middle))
    if None in read:
        raise _NotPlainError
    regions, names, arns, companions = zip(*cast("list[Piece]", read), last, strict=True)
    names, arns = (first, *names[:-1]), (arn, *arns[:-1])  # `last` starts no profile
    if len(set(map(type, companions))) != 1:  # tuple or None, the same for every role
        raise _NotPlainError  # some roles with a companion, some without
    period = _ROLE_LINES + (_COMPANION_LINES if last[3] else 0)
    starts = range(line, line + period * len(names), period)
    profiles = zip(
        names, starts, arns, repeat(source), repeat(serial), repeat(session), regions,
        strict=False,  # the repeats are endless; the others have one item per role
    )  # fmt: skip
    if last[3] is None:
        return list(names), profiles
    tf: list[Row] = [
        (tf_name, start + _ROLE_LINES, None, None, None, None, tf_region)
        for start, (tf_name, tf_region) in zip(starts, companions, strict=True)
    ]
    return [*names, *(row[0] for row in tf)], (
        row for pair in zip(profiles, tf, strict=True) for row in pair
    )


def _read_piece(piece: str) -> Piece | None:
    try:
        return _piece(piece)
    except _NotPlainError:
        return None


def _piece(piece: str) -> Piece:
    """`REGION[\\n\\n[profile NAME-tf]\\ncredential_process = ...\\nregion = ...]\\n\\n
    [profile NAME]\\nrole_arn = ARN`: the end of one role profile and the start of the next."""
    lines = piece.split("\n")
    companion: Companion | None = None
    if len(lines) == 1 + _COMPANION_LINES + 3:
        region, blank, header, command, tf_region, *rest = lines
        if blank != "":
            raise _NotPlainError
        _value(command, "credential_process")
        companion, lines = (_name(header), _value(tf_region)), [region, *rest]
    if len(lines) != 4:  # the region, a blank line, a header and role_arn
        raise _NotPlainError
    region, blank, header, arn = lines
    if blank != "" or not _clean(region):
        raise _NotPlainError
    return region, _name(header), _value(arn, "role_arn"), companion


def _lines(text: str, count: int) -> list[str]:
    lines = text.split("\n")
    if len(lines) != count:
        raise _NotPlainError
    return lines


def _value(line: str, key: str = "region") -> str:
    """The value of `key = value`, when the full reader reads it as written."""
    value = line[len(key) + 3 :]
    if not line.startswith(f"{key} = ") or not _clean(value):
        raise _NotPlainError
    return value


def _name(line: str) -> str:
    """The NAME of `[profile NAME]`, when the full reader reads it as written: one shell
    word (botocore splits the section's name with shlex) with no quote or backslash."""
    name = line[9:-1]
    plain = _clean(name) and _SHELL.isdisjoint(name)
    if not line.startswith("[profile ") or not line.endswith("]") or not plain:
        raise _NotPlainError
    return name


def _clean(value: str) -> bool:
    """Printable ASCII without spaces at either end: no strip() or line break changes it."""
    return value.isascii() and value.isprintable() and value.strip() == value != ""


def _skipped(text: str) -> None:
    """Every line is blank or a comment (which the full reader skips) and holds no line
    break but `\\n` (a `\\r` would move the lines after it)."""
    for line in text.split("\n"):
        if line and not (line[0] in "#;" and line.isascii() and line.isprintable()):
            raise _NotPlainError
