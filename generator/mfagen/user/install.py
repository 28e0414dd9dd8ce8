"""Merge a user's managed profile block into their AWS config file, touching nothing else.

The block sits between `# >>> mfagen <organization>` and `# <<< mfagen <organization>`.
Installing replaces an earlier block of the same organization in place (or appends one),
keeps every other byte, refuses a profile name that is already defined outside the block,
writes a backup of the previous file first, and replaces the file atomically with its mode.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mfagen import atomic
from mfagen.errors import OutputError, UsageError
from mfagen.user import block as blocks

BACKUP_SUFFIX = ".mfagen-backup"
NEW_FILE_MODE = 0o600


@dataclass(frozen=True)
class Installation:
    path: Path
    action: Literal["added", "replaced", "unchanged"]
    diff: str
    backup: Path | None


def config_path(explicit: Path | None) -> Path:
    """--aws-config, else AWS_CONFIG_FILE, else ~/.aws/config (as the AWS CLI decides)."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get("AWS_CONFIG_FILE")
    return Path(from_env).expanduser() if from_env else Path.home() / ".aws" / "config"


def install(
    path: Path, block: str, organization: str, profiles: list[str], *, dry_run: bool
) -> Installation:
    """Put `block` into the config file at `path`; with `dry_run` only compute the diff.

    A `path` that is a symbolic link (a config kept with one's dotfiles) is followed: the file
    it leads to is updated, and the link stays a link."""
    shown = path
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    original = _read(path)
    newline = b"\r\n" if b"\r\n" in original else b"\n"
    new_block = block.encode("utf-8").replace(b"\n", newline)
    begin, end = _markers(organization)
    lines = original.splitlines(keepends=True)
    span = _find_block(lines, begin, end, path)
    _refuse_clashes(lines, span, profiles, path)
    if span is None:
        prefix = b"".join(lines)
        if prefix and not prefix.endswith(b"\n"):
            prefix += newline
        separator = newline if prefix.strip() else b""
        updated = prefix + separator + new_block
        action: Literal["added", "replaced", "unchanged"] = "added"
    else:
        updated = b"".join(lines[: span[0]]) + new_block + b"".join(lines[span[1] :])
        action = "replaced"
    if updated == original:
        return Installation(shown, "unchanged", "", None)
    diff = "".join(
        difflib.unified_diff(
            original.decode("utf-8", "replace").splitlines(keepends=True),
            updated.decode("utf-8", "replace").splitlines(keepends=True),
            fromfile=str(shown),
            tofile=str(shown),
        )
    )
    if dry_run:
        return Installation(shown, action, diff, None)
    backup = _backup(path, original) if path.exists() else None
    _replace(path, updated, _mode(path))
    return Installation(shown, action, diff, backup)


def _markers(organization: str) -> tuple[bytes, bytes]:
    begin, end = blocks.markers(organization)
    return begin.encode(), end.encode()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not an AWS config file") from None
    except OSError as exc:
        raise OutputError(f"cannot read: {exc.strerror}", "", str(path)) from None


def _find_block(lines: list[bytes], begin: bytes, end: bytes, path: Path) -> tuple[int, int] | None:
    """The [start, stop) line span of the managed block, markers included."""
    starts = [i for i, line in enumerate(lines) if line.rstrip(b"\r\n") == begin]
    stops = [i for i, line in enumerate(lines) if line.rstrip(b"\r\n") == end]
    if not starts and not stops:
        return None
    if len(starts) != 1 or len(stops) != 1 or stops[0] < starts[0]:
        raise OutputError(
            f"the mfagen block markers are broken ({len(starts)} start, {len(stops)} end)",
            f"repair or remove the lines '{begin.decode()}' and '{end.decode()}' by hand",
            str(path),
        )
    return starts[0], stops[0] + 1


def _refuse_clashes(
    lines: list[bytes], span: tuple[int, int] | None, profiles: list[str], path: Path
) -> None:
    """Refuse when a profile of the block is also defined outside it (botocore would fail)."""
    wanted = set(profiles)
    for number, line in enumerate(lines, start=1):
        if span is not None and span[0] < number <= span[1]:
            continue
        match = blocks.SECTION.match(line)
        if match and match["name"].decode("utf-8", "replace") in wanted:
            raise OutputError(
                f"profile {match['name'].decode()!r} is already defined on line {number}, "
                "outside mfagen's block",
                "rename or remove that profile, then install again",
                str(path),
            )


def _backup(path: Path, content: bytes) -> Path:
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    _replace(backup, content, _mode(path))
    return backup


def _mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return NEW_FILE_MODE


def _replace(path: Path, content: bytes, mode: int) -> None:
    """Write `path` atomically with `mode` (atomic.write), making its folder (0700) if needed."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic.write(path, content, mode=mode)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror}", "", str(path)) from None
