"""Read the rendered AWS CLI profile files (`profiles/<user>/config`) as botocore would.

`full` reads any file botocore reads, as botocore reads it (profiles_ini.py), and names what
it would refuse, visiting every line in Python; each file is first offered to profiles_fast.py,
which reads the blueprint's own layout in a few str operations and returns exactly what `full`
returns, or nothing (then `full` reads the file). tests/audit/test_profiles_fast.py proves the
two equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from mfagen.audit.errors import AuditInputError
from mfagen.audit.read import profiles_fast, profiles_ini


class Profile(NamedTuple):
    """One `[profile NAME]` section.

    A NamedTuple rather than a frozen dataclass, like plan.Profile: there is one per user and
    role, and a tuple is cheaper to build.
    """

    name: str
    line: int
    role_arn: str | None
    source_profile: str | None
    mfa_serial: str | None
    role_session_name: str | None
    region: str | None


@dataclass(frozen=True)
class ProfileFile:
    user: str
    file: str
    profiles: tuple[Profile, ...]

    def get(self, name: str) -> Profile | None:
        return next((p for p in self.profiles if p.name == name), None)


def read(files: Mapping[str, str]) -> dict[str, ProfileFile]:
    """user -> their profile file, from {"profiles/<user>/config": text}."""
    found: dict[str, ProfileFile] = {}
    pieces: profiles_fast.Pieces = {}
    for path, text in sorted(files.items()):
        user = path.split("/")[1]
        profiles = fast(text, pieces)
        found[user] = ProfileFile(user, path, full(path, text) if profiles is None else profiles)
    return found


KEYS = ("role_arn", "source_profile", "mfa_serial", "role_session_name", "region")
"""The keys the audit reads, in Profile's order."""
UNREADABLE = (
    "the AWS CLI cannot read it either: every line is a [section] header, a key = value "
    "setting, an indented continuation or a # comment, and no section or key appears twice"
)


def full(path: str, text: str) -> tuple[Profile, ...]:
    """The profiles of any file botocore reads, as it names them; AuditInputError for a file
    it would refuse, or a key the audit reads that botocore reads as nested settings."""
    try:
        found = profiles_ini.profiles(text)
    except profiles_ini.IniError as error:
        raise AuditInputError(
            f"botocore cannot read this file: {error.reason}", UNREADABLE, path, error.line
        ) from None
    return tuple(
        Profile(name, line, *(_text(path, name, line, values, key) for key in KEYS))
        for name, line, values in found
    )


def _text(
    path: str, name: str, line: int, values: dict[str, profiles_ini.Value], key: str
) -> str | None:
    value = values.get(key)
    if isinstance(value, dict):
        raise AuditInputError(
            f"profile {name}: botocore reads {key} as nested settings, not a value",
            f"write {key} = VALUE on one line",
            path,
            line,
        )
    return value


_AS_PROFILE = partial(tuple.__new__, Profile)
"""Profile._make without its length check (profiles_fast's rows have Profile's seven fields)."""


def fast(text: str, pieces: profiles_fast.Pieces | None = None) -> tuple[Profile, ...] | None:
    """`full`'s reading of a file in the blueprint's layout, or None for any other text."""
    rows = profiles_fast.rows(text, {} if pieces is None else pieces)
    return None if rows is None else tuple(map(_AS_PROFILE, rows))
