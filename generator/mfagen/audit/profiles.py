"""Read the rendered AWS CLI profile files (`profiles/<user>/config`) as botocore would."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mfagen.audit.errors import AuditInputError

PREFIX = "profile "


@dataclass(frozen=True)
class Profile:
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
    for path, text in sorted(files.items()):
        user = path.split("/")[1]
        found[user] = _parse(user, path, text)
    return found


def _parse(user: str, path: str, text: str) -> ProfileFile:
    profiles = []
    for name, line, values in _sections(path, text):
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
    return ProfileFile(user, path, tuple(profiles))


def _sections(path: str, text: str) -> list[tuple[str, int, dict[str, str]]]:
    """The INI sections as Python's configparser reads them (strict), which botocore uses."""
    sections: list[tuple[str, int, dict[str, str]]] = []
    names: set[str] = set()
    values: dict[str, str] = {}
    last: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if last is not None and raw[0].isspace():
            values[last] = f"{values[last]}\n{line}"
            continue
        if line[0] == "[" and line[-1] == "]":
            name = line[1:-1]
            if name in names:
                raise _unreadable(path, number, f"profile section [{name}] appears twice")
            names.add(name)
            values = {}
            sections.append((name, number, values))
            last = None
            continue
        equals, colon = line.find("="), line.find(":")
        cut = min(equals, colon) if equals > 0 and colon > 0 else max(equals, colon)
        if cut <= 0 or not sections:
            raise _unreadable(path, number, f"not a profile line: {line!r}")
        key, value = line[:cut].strip().lower(), line[cut + 1 :].strip()
        if key in values:
            raise _unreadable(path, number, f"key {key!r} appears twice in [{sections[-1][0]}]")
        values[key] = value
        last = key
    return sections


def _unreadable(path: str, line: int, message: str) -> AuditInputError:
    return AuditInputError(
        path,
        f"botocore cannot read this file: {message}",
        "duplicate profiles or keys are an error in ~/.aws/config",
        line,
    )
