"""Write one file atomically: whoever reads it, and whatever stops the write (an error,
Ctrl-C, SIGKILL, a power loss), finds the previous file or the new one, whole.

`write` puts the content in a new hidden temporary in the file's folder, created exclusively
(a file or a symlink planted under its name is never written through), lets it reach the
disk (fsync), renames it onto the file's name (a rename replaces a symlink there, it never
follows it), then fsyncs the folder so that the new name outlives a power loss too. An
exception deletes the temporary; a process killed between the steps may leave it behind,
named `.NAME.XXXXXXXX.mfagen-tmp`.

The one way mfagen writes a single file: the output folder's journal (transaction.py),
`install-profile` (the AWS config file and its backup), `init` and `enrol --qr-png`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

TEMP_SUFFIX = ".mfagen-tmp"
"""How every temporary mfagen writes ends: a stray one is recognised by it."""
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
"""How a temporary is opened: made here, never a file or a symlink that exists."""
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})
"""What link() says on a filesystem without hard links (FAT, some network shares)."""


def write(path: Path, content: bytes, *, mode: int | None = None, exclusive: bool = False) -> None:
    """Make `path` hold `content`, atomically (see the module docstring).

    `mode` gives the file exactly these permission bits (the temporary is owner-only until
    then, so nobody else can open it meanwhile); None gives what open() gives a new file,
    0o666 less the umask. A caller that keeps the mode of the file it replaces passes it.

    With `exclusive`, nothing that has the name already is replaced, a symlink included:
    FileExistsError, checked as the file takes the name (a hard link), and nothing is left.

    Raises OSError, for the caller to word.
    """
    temporary = _temporary(path.parent, path.name, content, mode)
    try:
        if exclusive:
            _take_free_name(temporary, path)
        else:
            temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sync(path.parent)


def sync(path: Path | str) -> None:
    """Let a file's content, or a folder's entries, reach the disk (fsync)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _temporary(folder: Path, name: str, content: bytes, mode: int | None) -> Path:
    """A new hidden file in `folder` holding `content`, on disk; returns its path."""
    while True:
        temporary = folder / f".{name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        try:
            descriptor = os.open(temporary, NEW_FILE, 0o666 if mode is None else 0o600)
            break
        except FileExistsError:  # one in four billion: draw another name
            continue
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _take_free_name(temporary: Path, path: Path) -> None:
    """Give the temporary the name `path` if nothing has it, then drop its own name."""
    try:
        path.hardlink_to(temporary)
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        # no hard links here: take the name with an empty file of ours, then rename onto it
        os.close(os.open(path, NEW_FILE, 0o600))
        try:
            temporary.replace(path)
        except BaseException:
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        return
    temporary.unlink()
