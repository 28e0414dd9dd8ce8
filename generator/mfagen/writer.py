"""Compare rendered files with the output folder, and write them: only what changed, atomically.

mfagen owns exactly the files listed in the folder's manifest. It replaces and removes those,
refuses to overwrite anything else, and never writes outside the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mfagen import transaction
from mfagen.errors import OutputError

MANIFEST = ".mfagen-manifest"
_MANIFEST_HEADER = (
    "# Files written by `mfagen render`. It replaces these, removes the ones it no longer\n"
    "# generates, and touches nothing else in this folder. Do not edit.\n"
)

ChangeKind = Literal["changed", "missing", "stale", "interrupted"]


@dataclass(frozen=True)
class Change:
    path: str
    kind: ChangeKind


@dataclass(frozen=True)
class WriteResult:
    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int


_ADMINS = "# admin paths: "


def with_manifest(files: dict[str, bytes], admin_paths: tuple[str, ...] = ()) -> dict[str, bytes]:
    """The rendered files plus the manifest that lists them.

    The manifest also records who can reach an admin role in the identity account, so that a
    later render can tell when it would remove the last such path (see lockout.py).
    """
    listing = "".join(f"{path}\n" for path in sorted(files))
    admins = "".join(f"{_ADMINS}{path}\n" for path in admin_paths)
    return {**files, MANIFEST: (_MANIFEST_HEADER + admins + listing).encode("utf-8")}


def read_admin_paths(out: Path) -> tuple[str, ...]:
    """The admin paths recorded by the last render into `out` (none for a new folder)."""
    try:
        text = (out / MANIFEST).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ()
    return tuple(line[len(_ADMINS) :] for line in text.splitlines() if line.startswith(_ADMINS))


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
        if entry and not entry.startswith("#") and transaction.is_safe(entry):
            owned.add(entry)
    return owned


def diff(out: Path, files: dict[str, bytes]) -> list[Change]:
    """What writing `files` (the manifest among them) into `out` would change."""
    changes = [Change(transaction.JOURNAL, "interrupted")] if transaction.pending(out) else []
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
    """Make `out` hold exactly `files` (the manifest among them), as one transaction.

    Everything is checked before anything changes: a refused or failed write leaves the
    folder as it was. An earlier write that was interrupted is finished first.
    """
    if out.exists() and not out.is_dir():
        raise OutputError(str(out), "is not a folder", "pass --out a folder (created if missing)")
    with transaction.locked(out):
        transaction.recover(out)
        owned = read_manifest(out)
        confinement = transaction.Confinement(out)
        pending = {}
        for path, content in sorted(files.items()):
            target = out / path
            _check_inside(confinement, target)
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
        stale = tuple(sorted(path for path in owned - files.keys() if (out / path).is_file()))
        for path in stale:
            _check_inside(confinement, out / path)
        if pending or stale:
            transaction.commit(out, transaction.Operations(pending, stale))
    return WriteResult(tuple(sorted(pending)), stale, len(files) - len(pending))


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


def _check_inside(confinement: transaction.Confinement, target: Path) -> None:
    """Refuse a target that a symlink would send outside the output folder."""
    if not confinement.allows(target):
        raise OutputError(
            str(target),
            f"resolves to {target.resolve()}, outside the output folder",
            "remove the symlink; mfagen writes only inside its output folder",
        )
