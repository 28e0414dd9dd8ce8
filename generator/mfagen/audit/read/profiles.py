"""Read the rendered AWS CLI profile files (`profiles/<user>/config`) as botocore would.

`full` reads any file botocore reads (profiles_ini.py) and names what it would refuse, visiting
every line in Python; each file is first offered to profiles_fast.py, which reads the
blueprint's own layout in a few str operations and returns exactly what `full` returns, or
nothing (then `full` reads the file). tests/audit/test_profiles_fast.py proves the two
equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from mfagen.audit.read import profiles_fast, profiles_ini

PREFIX = "profile "


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


def full(path: str, text: str) -> tuple[Profile, ...]:
    """The profiles of any file botocore reads; AuditInputError for what it would refuse."""
    profiles = []
    for name, line, values in profiles_ini.sections(path, text):
        if not name.startswith(PREFIX) and name != "default":
            continue
        profiles.append(
            Profile(
                name.removeprefix(PREFIX).strip(),
                line,
                values.get("role_arn"),
                values.get("source_profile"),
                values.get("mfa_serial"),
                values.get("role_session_name"),
                values.get("region"),
            )
        )
    return tuple(profiles)


_AS_PROFILE = partial(tuple.__new__, Profile)
"""Profile._make without its length check (profiles_fast's rows have Profile's seven fields)."""


def fast(text: str, pieces: profiles_fast.Pieces | None = None) -> tuple[Profile, ...] | None:
    """`full`'s reading of a file in the blueprint's layout, or None for any other text."""
    rows = profiles_fast.rows(text, {} if pieces is None else pieces)
    return None if rows is None else tuple(map(_AS_PROFILE, rows))
