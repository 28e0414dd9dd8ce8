"""The INI sections of a profile file as botocore reads them (Python's configparser, strict).

This reader takes any layout botocore takes: comments anywhere, indented continuation lines,
`:` for `=`, any spacing, any section. It is the reference that profiles.py's fast reader of
the blueprint's own layout must agree with, and it names what botocore would refuse.
"""

from __future__ import annotations

from mfagen.audit.errors import AuditInputError

Section = tuple[str, int, dict[str, str]]
"""(the name between the brackets, its line, key -> value)."""


def sections(path: str, text: str) -> list[Section]:
    """The INI sections as Python's configparser reads them (strict), which botocore uses."""
    found: list[Section] = []
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
            found.append((name, number, values))
            last = None
            continue
        equals, colon = line.find("="), line.find(":")
        cut = min(equals, colon) if equals > 0 and colon > 0 else max(equals, colon)
        if cut <= 0 or not found:
            raise _unreadable(path, number, f"not a profile line: {line!r}")
        key, value = line[:cut].strip().lower(), line[cut + 1 :].strip()
        if key in values:
            raise _unreadable(path, number, f"key {key!r} appears twice in [{found[-1][0]}]")
        values[key] = value
        last = key
    return found


def _unreadable(path: str, line: int, message: str) -> AuditInputError:
    return AuditInputError(
        f"botocore cannot read this file: {message}",
        "duplicate profiles or keys are an error in ~/.aws/config",
        path,
        line,
    )
