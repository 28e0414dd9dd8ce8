"""Compare rendered files with the output folder, and write them: only what changed, atomically.

mfagen owns exactly the files listed in the folder's manifest. It replaces and removes those,
refuses to overwrite anything else, and never writes outside the folder.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from mfagen.errors import OutputError

MANIFEST = ".mfagen-manifest"
_MANIFEST_HEADER = (
    "# Files written by `mfagen render`. It replaces these, removes the ones it no longer\n"
    "# generates, and touches nothing else in this folder. Do not edit.\n"
)

ChangeKind = Literal["changed", "missing", "stale"]


@dataclass(frozen=True)
class Change:
    path: str
    kind: ChangeKind


@dataclass(frozen=True)
class WriteResult:
    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int


def with_manifest(files: dict[str, bytes]) -> dict[str, bytes]:
    """The rendered files plus the manifest that lists them."""
    listing = "".join(f"{path}\n" for path in sorted(files))
    return {**files, MANIFEST: (_MANIFEST_HEADER + listing).encode("utf-8")}


def read_manifest(out: Path) -> set[str]:
    """Paths mfagen wrote last time; entries that could point outside the folder are ignored."""
    try:
        text = (out / MANIFEST).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return set()
    except (OSError, UnicodeDecodeError) as exc:
        raise OutputError(str(out / MANIFEST), f"cannot read the manifest: {exc}") from None
    owned = set()
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#") and _is_safe(entry):
            owned.add(entry)
    return owned


def diff(out: Path, files: dict[str, bytes]) -> list[Change]:
    """What writing `files` (manifest included) into `out` would change."""
    files = with_manifest(files)
    changes = []
    for path, content in sorted(files.items()):
        current = _read(out / path)
        if current is None:
            changes.append(Change(path, "missing"))
        elif current != content:
            changes.append(Change(path, "changed"))
    for path in sorted(read_manifest(out) - files.keys()):
        if (out / path).exists():
            changes.append(Change(path, "stale"))
    return changes


def write(out: Path, files: dict[str, bytes]) -> WriteResult:
    """Make `out` hold exactly `files` among the files mfagen owns; check everything first."""
    files = with_manifest(files)
    _check_folder(out)
    owned = read_manifest(out)
    pending = {}
    for path, content in sorted(files.items()):
        target = out / path
        _check_inside(out, target)
        current = _read(target)
        if current == content:
            continue
        if current is not None and path not in owned and path != MANIFEST:
            raise OutputError(
                str(target),
                "exists and was not written by mfagen",
                "move it away; mfagen never overwrites files it did not write",
            )
        pending[path] = content
    stale = sorted(path for path in owned - files.keys() if (out / path).is_file())
    for path in stale:
        _check_inside(out, out / path)

    manifest = pending.pop(MANIFEST, None)
    for path, content in pending.items():
        _replace(out / path, content)
    for path in stale:
        (out / path).unlink()
        _prune(out, (out / path).parent)
    if manifest is not None:
        _replace(out / MANIFEST, manifest)
    written = tuple(sorted([*pending, *([MANIFEST] if manifest is not None else [])]))
    return WriteResult(written, tuple(stale), len(files) - len(written))


def _is_safe(entry: str) -> bool:
    path = PurePosixPath(entry)
    return not path.is_absolute() and ".." not in path.parts and "\\" not in entry


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise OutputError(
            str(path), "is a folder where mfagen writes a file", "move it away"
        ) from None
    except OSError as exc:
        raise OutputError(str(path), f"cannot read: {exc.strerror}") from None


def _check_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(
            str(out), "is not a folder", "pass --out a folder (it is created if missing)"
        )


def _check_inside(out: Path, target: Path) -> None:
    """Refuse a target that a symlink would send outside the output folder."""
    root = out.resolve()
    resolved = target.resolve()
    if resolved != root and root not in resolved.parents:
        raise OutputError(
            str(target),
            f"resolves to {resolved}, outside the output folder",
            "remove the symlink; mfagen writes only inside its output folder",
        )


def _replace(target: Path, content: bytes) -> None:
    """Write `content` to `target` atomically: a temporary file beside it, then a rename."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)  # noqa: PTH101 - on the path mkstemp returned
            Path(temporary).replace(target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(
            str(target), f"cannot write: {exc.strerror}", "check the folder's permissions"
        ) from None


def _prune(out: Path, folder: Path) -> None:
    """Remove folders left empty by removing stale files, up to (not including) `out`."""
    root = out.resolve()
    folder = folder.resolve()
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
