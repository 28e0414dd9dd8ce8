"""Read an output folder's profile files fast: one per user.

`sorted(root.glob("*/config"))` and `Path.read_bytes` cost more than reading the bytes:
pathlib builds and sorts Path objects, stats every match and wraps every file in buffered I/O.
`profile_texts` lists the folder once and reads each file with two system calls. It finds the
same files in the same order; on any error it returns None, and the caller reads the folder
the pathlib way, which names the file and the error.
"""

from __future__ import annotations

import os
from pathlib import Path

_CHUNK = 1 << 16
"""Below malloc's mmap threshold: a profile file is a few kilobytes."""


def profile_texts(root: Path, prefix: str) -> dict[str, str] | None:
    """{"<prefix>/<user>/config": text} for what `sorted(root.glob("*/config"))` finds."""
    try:
        with os.scandir(root) as entries:
            # pathlib's "*" takes hidden names too; is_dir follows links, as pathlib's does.
            names = sorted(entry.name for entry in entries if entry.is_dir())
    except OSError:
        return None
    found: dict[str, str] = {}
    for name in names:
        try:
            text = _read(f"{root}{os.sep}{name}{os.sep}config")
        except FileNotFoundError:
            continue  # no config (or a dangling link to one): the glob does not match it
        except (OSError, UnicodeDecodeError):
            return None
        found[f"{prefix}/{name}/config"] = text
    return found


def _read(path: str) -> str:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(descriptor, _CHUNK):
            chunks.append(chunk)
    finally:
        os.close(descriptor)
    return b"".join(chunks).decode("utf-8")
