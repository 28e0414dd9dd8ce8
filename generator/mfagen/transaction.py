"""All-or-nothing replacement of many files in one folder, safe against SIGKILL, power loss
and races.

A write stages every new file as a hidden temporary beside its target (or, in a folder that
does not exist yet, inside a hidden temporary of the outermost such folder), then records the
renames and removals in a journal (the commit point: one atomic rename), then carries them
out and deletes the journal. Killed before the commit point, the next write deletes the
staged files and the folder holds the previous output; killed after it, the next write (or
`recover`) finishes the journal's work. A lock on the folder keeps two writers apart.

Until the next write has finished an interrupted one, the folder is neither the old output
nor the new: every reader of an output folder calls `refuse_unfinished` first.

What reaches the disk, in this order (fsync of each file written and of each folder whose
entries changed, never a flush of the whole host), so that a power loss too leaves the
previous output or the new one:

1. Staging: every staged file, then every folder that gained a staged entry (the folders
   holding a temporary, each staged folder and the folders inside it). The journal must
   never name a staged file the disk might not hold.
2. The commit point: the journal goes to a temporary, which reaches the disk, is renamed
   onto `.mfagen-journal`, and the folder is flushed (atomic.write). Only then does any
   target change, so no change can reach the disk without the journal that finishes it.
3. The replay: the renames and removals, then every folder whose entries they changed, and
   only then is the journal deleted: once the journal is gone, its work is on disk.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shlex
import shutil
import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from mfagen import atomic
from mfagen.errors import OutputError, UnfinishedRenderError

JOURNAL = ".mfagen-journal"
TEMP_SUFFIX = atomic.TEMP_SUFFIX
LOCK_TIMEOUT_SECONDS = 60.0
FLUSHERS = 8
"""How many fsyncs run at once (see `_flush`)."""


def refuse_unfinished(folder: Path) -> None:
    """Refuse a folder that a render left unfinished; the contract of every reader.

    Every command that reads an output folder (`audit`, `audit --live`, `render --check`,
    `diff`, and the pre-commit hooks that run them) calls this first, before it reads
    anything: a render interrupted after its commit point leaves some files new and others
    old, one interrupted before it leaves its staged files, and neither is an output any
    verdict or listing may be given on. The error (exit 2) says that a render into `folder`
    was interrupted and that `mfagen render` finishes it: under the folder's lock, before it
    writes, the next render carries out the journal's renames and removals and deletes the
    staged files (`recover`). While a render holds the lock, the error says one is under
    way instead. A folder without such leftovers, or none at all, passes.
    """
    if not pending(folder):
        return
    render = f"mfagen render --out {shlex.quote(str(folder))}"
    if _locked_by_a_writer(folder):
        raise UnfinishedRenderError(
            "a render into this folder is under way",
            "wait until it has finished, then run this again",
            str(folder),
        )
    if (folder / JOURNAL).exists():
        raise UnfinishedRenderError(
            "a render into this folder was interrupted after its commit point: "
            "it may hold part of the new output and part of the previous one",
            f"run `{render}`: before it writes, it finishes the interrupted render from its "
            f"journal ({JOURNAL}), then renders as usual",
            str(folder),
        )
    raise UnfinishedRenderError(
        f"a render into this folder was interrupted and left its staged files (*{TEMP_SUFFIX})",
        f"run `{render}`: before it writes, it deletes them, then renders as usual",
        str(folder),
    )


@contextlib.contextmanager
def locked(out: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold an exclusive lock on the folder itself (no lock file is left behind).

    A missing folder is made (on disk before anything is written in it), and removed again
    (with the parents made for it) when the work under the lock fails: a refused first
    write leaves no empty folder behind.
    """
    try:
        made = _make_folders(os.fspath(out))
        if made:
            _flush([os.path.dirname(made[0]) or ".", *made[:-1]])  # where one was made
        descriptor = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise OutputError(f"cannot open the folder: {exc.strerror}", "", str(out)) from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OutputError(
                        f"another mfagen is writing here (waited {timeout:.0f} s)",
                        "wait for it to finish, then render again",
                        str(out),
                    ) from None
                time.sleep(0.05)
        yield
    except BaseException:
        _remove_empty(made)
        raise
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class Staged:
    """New contents written beside their targets, nothing visible changed yet."""

    temporaries: dict[str, str]
    """Relative path of a file, or of a folder that does not exist yet -> the name of its
    hidden temporary (a file, or a folder holding the new folder's files), beside it."""


def commit(out: Path, contents: dict[str, bytes], removals: tuple[str, ...]) -> None:
    """Write `contents` (relative path -> bytes) into `out` and remove `removals`, as a whole;
    call with the folder locked."""
    finish(out, stage(out, contents), removals)


def finish(out: Path, staged: Staged, removals: tuple[str, ...]) -> None:
    """The second half: the journal (the commit point), then the renames and removals.

    A journal that cannot be written leaves the folder as it was: the staged files are
    deleted, unless the journal took its name before the error (then the next write
    finishes this one).
    """
    temporaries = staged.temporaries
    renames = [[temporaries[path], path] for path in sorted(temporaries)]
    journal: dict[str, object] = {"renames": renames, "removals": list(removals)}
    path = out / JOURNAL
    try:
        atomic.write(path, json.dumps(journal, indent=1).encode("utf-8"))
    except BaseException as exc:
        if not path.exists():
            discard(out, staged)
        if not isinstance(exc, OSError):
            raise
        raise OutputError(
            f"cannot write: {exc.strerror}", "check the folder and its permissions", str(path)
        ) from None
    _replay(out, journal)


def discard(out: Path, staged: Staged) -> None:
    """Delete what `stage` wrote: its temporaries, files and folders."""
    root = os.fspath(out)
    for path, name in staged.temporaries.items():
        _delete(os.path.join(os.path.dirname(f"{root}/{path}"), name))


def recover(out: Path) -> bool:
    """Finish an interrupted write and delete stray staged files; True if there was one."""
    path = out / JOURNAL
    interrupted = False
    if path.is_file():
        try:
            journal = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            journal = None  # not what `finish` writes: nothing to finish
        if isinstance(journal, dict):
            _replay(out, journal)
        path.unlink(missing_ok=True)
        interrupted = True
    for stray in list(_strays(out)):
        _delete(os.fspath(stray))
        interrupted = True
    return interrupted


def pending(out: Path) -> bool:
    """Whether an interrupted write awaits recovery."""
    return (out / JOURNAL).exists() or any(True for _ in _strays(out))


def is_safe(entry: object) -> bool:
    """A relative path that stays below its folder (no absolute path, no `..`)."""
    if not isinstance(entry, str) or not entry or "\\" in entry:
        return False
    path = PurePosixPath(entry)
    return not path.is_absolute() and ".." not in path.parts


def inside(out: Path, target: Path) -> bool:
    """Whether `target`, symlinks resolved, lies inside `out`."""
    root = out.resolve()
    resolved = target.resolve()
    return resolved == root or root in resolved.parents


class Confinement:
    """Tells whether paths below `out` stay inside it, looking at each folder only once.

    Only a symlink can lead outside; plain folders and files are checked with one lstat.
    Paths are plain strings: a write asks about thousands of them.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self._root = os.fspath(out)
        self._known: dict[str, bool] = {}

    def allows(self, relative: str) -> bool:
        """Whether `relative` (a POSIX path below the folder) stays inside it."""
        current = self._root
        for part in relative.split("/"):
            current = f"{current}/{part}"
            known = self._known.get(current)
            if known is None:
                known = not os.path.islink(current) or inside(self.out, Path(current))
                self._known[current] = known
            if not known:
                return False
        return True


def _locked_by_a_writer(folder: Path) -> bool:
    """Whether a render holds the folder's lock now (a shared lock is refused then)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)  # and with it the shared lock, at once
    return False


def _strays(out: Path) -> Iterator[Path]:
    """Staged temporaries left by a write that never committed: files and folders."""
    if not out.is_dir():
        return
    for path in out.rglob(f"*{TEMP_SUFFIX}"):
        if not path.is_symlink() and (path.is_file() or path.is_dir()):
            yield path


def stage(out: Path, contents: dict[str, bytes]) -> Staged:
    """The first half of a commit: write every new content where nothing sees it yet, or
    none at all, and let it reach the disk (before a journal can point at it). Follow with
    `finish`, or `discard` to leave the folder as it was.

    A file whose folder exists becomes a hidden temporary beside its target. The files of a
    folder that does not exist yet (a first render's terraform/ and profiles/, a new user's
    profiles/<user>/) are written under a hidden temporary of the outermost missing folder,
    which `finish` renames into place as a whole: one rename instead of one per file."""
    staging = _Staging(os.fspath(out))
    try:
        for path, content in contents.items():
            staging.add(path, content)
        _flush([*staging.written, *staging.changed_folders()])
    except BaseException as exc:
        discard(out, Staged(staging.temporaries))
        if not isinstance(exc, OSError):
            raise
        where = exc.filename or out
        raise OutputError(
            f"cannot write: {exc.strerror}", "check the folder and its permissions", str(where)
        ) from None
    return Staged(staging.temporaries)


@dataclass
class _Staging:
    """What `stage` has written so far, and where each folder's new files go."""

    root: str
    temporaries: dict[str, str] = field(default_factory=dict)
    """As `Staged.temporaries`; an entry is recorded before its temporary is made, so that
    an interrupt between the two (Ctrl-C) cannot leave one nobody knows of (deleting one
    never made fails quietly)."""
    written: list[str] = field(default_factory=list)
    """Every file written, to flush."""
    made: list[str] = field(default_factory=list)
    """Every folder made, to flush with the folder it was made in."""
    homes: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """Folder (relative) -> where its new files are written now, and whether that is
    inside a staged folder."""

    def __post_init__(self) -> None:
        self.homes[""] = (self.root, False)

    def add(self, path: str, content: bytes) -> None:
        folder, name = path.rpartition("/")[::2]
        home, staged = self.homes.get(folder) or self._home(folder)
        if staged:
            target = os.path.join(home, name)
            _write(target, content)
        else:
            self.temporaries[path] = _temporary_name(name)
            target = os.path.join(home, _temporary(f"{self.root}/{path}", content))
        self.written.append(target)

    def changed_folders(self) -> set[str]:
        """The folders that gained an entry: where a file was written or a folder made."""
        return {os.path.dirname(path) for path in (*self.written, *self.made)} | set(self.made)

    def _home(self, folder: str) -> tuple[str, bool]:
        """Where the new files of `folder` (relative, not "") are written, made if needed.
        The outermost missing folder gets a hidden temporary beside it."""
        parent, name = folder.rpartition("/")[::2]
        parent_home, staged = self.homes.get(parent) or self._home(parent)
        target = f"{self.root}/{folder}"
        if staged:  # below a staged folder: made there
            home = os.path.join(parent_home, name)
        elif os.path.isdir(target):
            self.homes[folder] = (target, False)
            return self.homes[folder]
        elif os.path.lexists(target):  # a file where a folder belongs
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), target)
        else:  # the outermost missing folder: staged beside it, renamed by finish
            self.temporaries[folder] = _temporary_name(name)
            home = os.path.join(parent_home, self.temporaries[folder])
        os.mkdir(home)
        self.made.append(home)
        self.homes[folder] = (home, True)
        return self.homes[folder]


def _flush(paths: Collection[str]) -> None:
    """fsync each path (a file or a folder), several at a time: a filesystem commits the
    fsyncs that wait together at once (ext4, XFS), where each alone would cost a flush of
    the disk's cache of its own."""
    if len(paths) <= 1:
        for path in paths:
            atomic.sync(path)
        return
    # imported here: readers (`mfagen audit`, a pre-commit hook) import this module, and
    # concurrent.futures brings logging
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    with ThreadPoolExecutor(max_workers=min(FLUSHERS, len(paths))) as pool:
        for _ in pool.map(atomic.sync, paths):  # raises the first error
            pass


def _make_folders(folder: str) -> list[str]:
    """Make `folder` and its missing parents; the ones made, outermost first."""
    missing = []
    while folder and not os.path.isdir(folder):
        missing.append(folder)
        folder = os.path.dirname(folder)
    for path in reversed(missing):
        os.mkdir(path)
    return missing[::-1]


def _remove_empty(folders: Iterable[str]) -> None:
    """Remove folders made for a write that did not happen, innermost first."""
    for folder in reversed(list(folders)):
        with contextlib.suppress(OSError):  # not empty: something else was put there
            os.rmdir(folder)


def _temporary_name(name: str) -> str:
    """The name of the hidden temporary for the file or folder `name`, beside it."""
    return f".{name}.{os.getpid()}{TEMP_SUFFIX}"


def _write(path: str, content: bytes) -> None:
    """A new file (mode 0644 less the umask) inside a staged folder."""
    descriptor = os.open(path, atomic.NEW_FILE, 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


def _delete(path: str) -> None:
    """Delete a staged file, or a staged folder with everything in it; gone already is fine."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        _unlink(path)


def _temporary(target: str, content: bytes) -> str:
    """A new hidden file beside `target` (its folder exists) holding `content` (mode 0644
    less the umask); returns its name."""
    folder, name = os.path.split(target)
    temporary = _temporary_name(name)
    path = os.path.join(folder, temporary)
    try:
        descriptor = os.open(path, atomic.NEW_FILE, 0o644)
    except FileExistsError:  # left by a killed process that had our pid: it is stray
        os.unlink(path)
        descriptor = os.open(path, atomic.NEW_FILE, 0o644)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
    except BaseException:
        _unlink(path)
        raise
    return temporary


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _replay(out: Path, journal: dict[str, object]) -> None:
    """Carry out a committed journal; safe to repeat after any interruption."""
    renames = journal.get("renames", [])
    removals = journal.get("removals", [])
    confinement = Confinement(out)
    root = os.fspath(out)
    changed = {root}
    """The folders whose entries change: flushed before the journal is deleted."""
    for entry in renames if isinstance(renames, list) else []:
        staged_name, path = entry if isinstance(entry, list) and len(entry) == 2 else ("", "")
        if not (
            is_safe(path)
            and isinstance(staged_name, str)
            and "/" not in staged_name
            and staged_name.endswith(TEMP_SUFFIX)
            and confinement.allows(path)
        ):
            continue
        target = f"{root}/{path}"
        staged = os.path.join(os.path.dirname(target), staged_name)
        changed.add(os.path.dirname(target))
        try:  # a staged file already renamed by an interrupted replay is gone: skip it
            os.replace(staged, target)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue  # nor does a file replace a folder, or a folder a file
        except OSError as error:  # a staged folder, and a folder made there meanwhile
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST) or not os.path.isdir(staged):
                raise
            _merge(staged, target, changed)
    for path in removals if isinstance(removals, list) else []:
        if is_safe(path) and confinement.allows(path):
            (out / path).unlink(missing_ok=True)
            changed.add(os.path.dirname(f"{root}/{path}"))
            _prune(out, (out / path).parent, changed)
    _flush([folder for folder in changed if os.path.isdir(folder)])  # a pruned one is gone
    (out / JOURNAL).unlink(missing_ok=True)


def _merge(staged: str, target: str, changed: set[str]) -> None:
    """Move a staged folder's files into the existing folder `target`, then delete it;
    `changed` gains the folders whose entries change.

    Only real folders are merged into (never through a symlink), and as in `_replay` a file
    never replaces a folder nor a folder a file: such an entry stays behind and is deleted.
    """
    changed.add(target)
    with os.scandir(staged) as entries:
        for entry in list(entries):
            destination = os.path.join(target, entry.name)
            real_folder = os.path.isdir(destination) and not os.path.islink(destination)
            if entry.is_dir(follow_symlinks=False) and real_folder:
                _merge(entry.path, destination, changed)
                continue
            with contextlib.suppress(IsADirectoryError, NotADirectoryError):
                os.replace(entry.path, destination)
    _delete(staged)


def _prune(out: Path, folder: Path, changed: set[str]) -> None:
    """Remove folders left empty by a removal, up to (not including) `out`; `changed`
    gains the folders each was removed from."""
    root = out.resolve()
    folder = folder.resolve()
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError as exc:
            if exc.errno in {errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT}:
                return
            raise
        folder = folder.parent
        changed.add(os.fspath(folder))
