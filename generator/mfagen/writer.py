"""Compare rendered files with the output folder, and write them: only what changed, atomically.

mfagen owns exactly the files listed in the folder's manifest. It replaces and removes those,
refuses to overwrite anything else, and never writes outside the folder.
"""

from __future__ import annotations

import os
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
"""`interrupted` (path: the journal) only in what `write` did: it finished an interrupted
write first."""


@dataclass(frozen=True)
class Change:
    path: str
    kind: ChangeKind


@dataclass(frozen=True)
class WriteResult:
    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    changes: tuple[Change, ...] = ()
    """What the write changed, as `diff` reports it."""


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
        raise OutputError(f"cannot read the manifest: {exc}", "", str(out / MANIFEST)) from None
    owned = set()
    for line in text.splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#") and transaction.is_safe(entry):
            owned.add(entry)
    return owned


def diff(out: Path, files: dict[str, bytes]) -> list[Change]:
    """What writing `files` (the manifest among them) into `out` would change. Call it on a
    finished folder (transaction.refuse_unfinished): a half-written one has no answer."""
    return _compare(out, files, read_manifest(out)).changes


def finish(out: Path) -> bool:
    """Finish a write into `out` that was interrupted (under the lock); True if there was one.
    `render` calls it before it reads the folder for its own checks, which a half-written
    folder would mislead."""
    if not out.is_dir():
        return False
    with transaction.locked(out):
        return transaction.recover(out)


def write(out: Path, files: dict[str, bytes]) -> WriteResult:
    """Make `out` hold exactly `files` (the manifest among them), as one transaction.

    Everything is checked before anything changes: a refused or failed write leaves the
    folder as it was. An earlier write that was interrupted is finished first (the result
    then starts with an `interrupted` change). The result says what changed, as `diff`
    would have said just before (read once, under the lock).
    """
    if out.exists() and not out.is_dir():
        raise OutputError("is not a folder", "pass --out a folder (created if missing)", str(out))
    with transaction.locked(out):
        interrupted = transaction.recover(out)
        found = _compare(out, files, read_manifest(out), writing=True)
        if found.pending or found.stale:
            transaction.commit(out, found.pending, found.stale)
    finished = [Change(transaction.JOURNAL, "interrupted")] if interrupted else []
    return WriteResult(
        tuple(sorted(found.pending)),
        found.stale,
        len(files) - len(found.pending),
        (*finished, *found.changes),
    )


@dataclass(frozen=True)
class _Comparison:
    pending: dict[str, bytes]
    """New contents, by relative path: files missing or different."""
    stale: tuple[str, ...]
    changes: list[Change]


def _compare(
    out: Path,
    files: dict[str, bytes],
    owned: set[str],
    *,
    writing: bool = False,
) -> _Comparison:
    """Read each target once and compare. `writing` refuses what a write must not do:
    overwrite a file mfagen did not write, or write through a symlink leading outside."""
    confinement = transaction.Confinement(out)
    root = os.fspath(out)
    pending: dict[str, bytes] = {}
    changes: list[Change] = []
    for path, content in sorted(files.items()):
        if writing:
            _check_inside(confinement, out, path)
        current = _read(f"{root}/{path}")
        if current == content:
            continue
        if writing and current is not None and path not in owned and path != MANIFEST:
            raise OutputError(
                "exists and was not written by mfagen",
                "move it away; mfagen never overwrites files it did not write",
                str(out / path),
            )
        pending[path] = content
        changes.append(Change(path, "missing" if current is None else "changed"))
    stale = tuple(sorted(p for p in owned - files.keys() if os.path.isfile(f"{root}/{p}")))
    if writing:
        for path in stale:
            _check_inside(confinement, out, path)
    changes += [Change(path, "stale") for path in stale]
    return _Comparison(pending, stale, sorted(changes, key=lambda change: change.path))


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except IsADirectoryError:
        raise OutputError("is a folder where mfagen writes a file", "move it away", path) from None
    except OSError as exc:
        raise OutputError(f"cannot read: {exc.strerror}", "", path) from None


def _check_inside(confinement: transaction.Confinement, out: Path, path: str) -> None:
    """Refuse a target that a symlink would send outside the output folder."""
    if not confinement.allows(path):
        target = out / path
        raise OutputError(
            f"resolves to {target.resolve()}, outside the output folder",
            "remove the symlink; mfagen writes only inside its output folder",
            str(target),
        )
