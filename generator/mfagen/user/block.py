"""mfagen's profile block: from `# >>> mfagen <organization>` to `# <<< mfagen <organization>`.

A handed-out profile file (`output/profiles/<user>/config`) is exactly one such block; a
user's AWS config file holds it among their own profiles. Both are read here: `read_file`
takes a handed-out file apart, `organizations` finds the blocks installed in a config file.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from pathlib import Path

from mfagen.errors import OutputError, UsageError

BEGIN = "# >>> mfagen "
END = "# <<< mfagen "
SECTION = re.compile(rb"^\s*\[\s*(?:profile\s+)?(?P<name>[^\]]+?)\s*\]\s*$")
"""A section line of an AWS config file, as botocore reads it (`[profile x]`, `[default]`)."""
_ORGANIZATION = re.compile(r"[a-z0-9][a-z0-9-]*")
_BEGIN_LINE = re.compile(r"^# >>> mfagen (?P<organization>\S+)\r?$", re.MULTILINE)
_CREDENTIALS = frozenset({"aws_access_key_id", "aws_secret_access_key", "aws_session_token"})
EXPECTED = (
    "expected a profile file as mfagen hands it out (output/profiles/<user>/config): one block "
    "from '# >>> mfagen ORGANIZATION' to '# <<< mfagen ORGANIZATION'; with the team's "
    "accounts.yaml, name the user instead: mfagen install-profile USER accounts.yaml"
)


@dataclass(frozen=True)
class Block:
    """One handed-out block: its organization, its text (markers included) and profiles."""

    organization: str
    text: str
    """`\n` line ends, one trailing newline, as mfagen renders it."""
    profiles: tuple[str, ...]
    """The profile names, in file order."""


def markers(organization: str) -> tuple[str, str]:
    return BEGIN + organization, END + organization


def read_file(path: Path) -> Block:
    """The block a handed-out profile file holds; UsageError when it is not exactly one."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file", EXPECTED) from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a profile file", EXPECTED) from None
    except OSError as exc:
        raise OutputError(f"cannot read: {exc.strerror}", "", str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_a_block(path, "it is not UTF-8 text") from None
    return parse(text.replace("\r\n", "\n"), path)


def parse(text: str, path: Path) -> Block:
    """`text` (with `\n` line ends) as one mfagen block, blank lines around it allowed."""
    before = len(text) - len(text.lstrip("\n"))
    lines = text.strip("\n").split("\n")
    found = _BEGIN_LINE.match(lines[0])
    if found is None:
        raise _not_a_block(path, "its first line is not '# >>> mfagen ORGANIZATION'")
    organization = found["organization"]
    if not _ORGANIZATION.fullmatch(organization):
        raise _not_a_block(path, f"{organization!r} is not an organization name")
    end = markers(organization)[1]
    if lines[-1].rstrip() != end:
        raise _not_a_block(path, f"its last line is not {end!r}")
    for number, line in enumerate(lines[1:-1], start=before + 2):
        if line.startswith((BEGIN, END)):
            raise _not_a_block(path, f"line {number} starts or ends another block ({line!r})")
    body = "\n" * (before + 1) + "\n".join(lines[1:-1])  # configparser counts lines as the file
    profiles = _profiles(body, path)
    if organization not in profiles:
        raise _not_a_block(path, f"it has no source profile [profile {organization}]")
    return Block(organization, "\n".join(lines) + "\n", profiles)


def _profiles(body: str, path: Path) -> tuple[str, ...]:
    """The profile names of the block's body, which must read as an AWS config file."""
    parser = configparser.RawConfigParser(strict=True, default_section="\0")
    try:
        parser.read_string(body, source=str(path))
    except configparser.DuplicateSectionError as exc:
        raise _not_a_block(path, f"line {exc.lineno} repeats [{exc.section}]") from None
    except configparser.DuplicateOptionError as exc:
        why = f"line {exc.lineno} repeats {exc.option!r} in [{exc.section}]"
        raise _not_a_block(path, why) from None
    except configparser.MissingSectionHeaderError as exc:
        why = f"line {exc.lineno} comes before any [profile NAME] section"
        raise _not_a_block(path, why) from None
    except configparser.ParsingError as exc:
        number, line = exc.errors[0]
        why = f"line {number} is neither a [section] nor a setting ({line})"  # line: repr'd
        raise _not_a_block(path, why) from None
    except configparser.Error as exc:
        raise _not_a_block(path, f"it does not read as an AWS config file: {exc}") from None
    names = []
    for section in parser.sections():
        name = section.removeprefix("profile ").strip()
        if not section.startswith("profile ") or not name:
            raise _not_a_block(path, f"[{section}] is not a [profile NAME] section")
        if _CREDENTIALS & set(parser.options(section)):
            raise _not_a_block(
                path, f"[{section}] holds credentials, which belong in ~/.aws/credentials"
            )
        names.append(name)
    if not names:
        raise _not_a_block(path, "it holds no profile")
    return tuple(names)


def organizations(config_text: str) -> list[str]:
    """The organizations whose block is installed in an AWS config file, in file order."""
    return [match["organization"] for match in _BEGIN_LINE.finditer(config_text)]


def _not_a_block(path: Path, why: str) -> UsageError:
    return UsageError(f"{path} is not an mfagen profile file: {why}", EXPECTED)
