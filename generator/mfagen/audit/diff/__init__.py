"""`mfagen diff BASE HEAD`: the access changes between two rendered output folders.

Each folder's Terraform is read as the audit reads it (`folder_files`, which first refuses a
folder an interrupted render left unfinished, then `read_files`: into the audit's `Module`),
and its access computed by the audit's own access layer (`snapshot`): the IAM the Terraform
creates, never accounts.yaml and never a text diff. `compare` then says what changed;
`report` lays it out as text, Markdown or JSON.
"""

from __future__ import annotations

from pathlib import Path

from mfagen.audit import folder_files, read_files
from mfagen.audit.diff.changes import AccessDiff, compare
from mfagen.audit.diff.snapshot import Snapshot, snapshot
from mfagen.audit.errors import AuditInputError
from mfagen.audit.model import Module

__all__ = ["AccessDiff", "compare", "diff_folders", "read_module"]


def diff_folders(base: Path, head: Path) -> AccessDiff:
    """What changes in access from output folder `base` to output folder `head`."""
    return compare(_side(base), _side(head))


def read_module(folder: Path) -> Module:
    """The IAM an output folder's Terraform creates (its profile files play no part).

    An error names its file inside `folder`, which of the two folders it is in: the audit's
    reader names files relative to the folder it reads.
    """
    files = folder_files(folder, with_profiles=False)
    try:
        return read_files(files, str(folder))[0]
    except AuditInputError as error:
        if error.path is None or error.path == str(folder):
            raise
        where = (folder / error.path).as_posix()
        raise AuditInputError(error.message, error.hint, where, error.line) from None


def _side(folder: Path) -> Snapshot:
    return snapshot(read_module(folder), str(folder))
