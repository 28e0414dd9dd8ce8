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
    return sorted(changes, key=lambda change: change.path)


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

    staged = _stage(out, pending)
    manifest = staged.pop(MANIFEST, None)
    for path, temporary in staged.items():
        temporary.replace(out / path)
    for path in stale:
        (out / path).unlink()
        _prune(out, (out / path).parent)
    if manifest is not None:
        manifest.replace(out / MANIFEST)
    return WriteResult(tuple(sorted(pending)), tuple(stale), len(files) - len(pending))


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


def _stage(out: Path, pending: dict[str, bytes]) -> dict[str, Path]:
    """Write every new content to a temporary file beside its target, or none at all.

    Renaming the staged files into place afterwards cannot fail half-way for lack of space
    or permissions, so a failed render leaves the previous output as it was.
    """
    staged: dict[str, Path] = {}
    try:
        for path, content in pending.items():
            staged[path] = _temporary(out / path, content)
    except OSError as exc:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
        where = exc.filename or out
        raise OutputError(
            str(where), f"cannot write: {exc.strerror}", "check the folder and its permissions"
        ) from None
    return staged


def _temporary(target: Path, content: bytes) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(0o644)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


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
