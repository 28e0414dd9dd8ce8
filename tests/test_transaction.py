"""Writes are all-or-nothing, survive SIGKILL at any step, and never interleave; until the
next write has finished an interrupted one, every reader refuses the folder."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfagen import api, atomic, transaction, writer
from mfagen.audit import audit_folder
from mfagen.cli import app
from mfagen.errors import OutputError, UnfinishedRenderError
from tests import faults
from tests.helpers import minimal, write_config

OLD = writer.with_manifest(
    {"terraform/a.tf": b"old a\n", "terraform/b.tf": b"old b\n", "profiles/x/config": b"x\n"}
)
NEW = writer.with_manifest(
    {"terraform/a.tf": b"new a\n", "terraform/b.tf": b"new b\n", "profiles/y/config": b"y\n"}
)


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_crash_while_staging_leaves_the_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer.write(tmp_path, OLD)
    before = _tree(tmp_path)
    real = transaction._temporary
    calls = []

    def crash_on_second(target: Path, content: bytes) -> Path:
        calls.append(target)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as abrupt as it gets inside the process
        return real(target, content)

    monkeypatch.setattr(transaction, "_temporary", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        writer.write(tmp_path, NEW)
    monkeypatch.undo()
    # an exception inside the process deletes what was staged (a SIGKILL leaves it to the
    # next write's recovery: test_sigkill_at_any_moment_leaves_old_or_new_output)
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(transaction.TEMP_SUFFIX)]
    assert _tree(tmp_path) == before
    assert not transaction.recover(tmp_path)


def _entries(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.mark.parametrize("step", ["mkdir", "temporary", "fsync"])
def test_ctrl_c_just_after_a_step_of_staging_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """The step happened, the interrupt comes before its result is recorded: what stage()
    made must still be removed (a folder for a new user, a temporary, all of them)."""
    writer.write(tmp_path, OLD)
    before = _entries(tmp_path)
    real_mkdir, real_open, real_fsync = os.mkdir, os.open, os.fsync

    def interrupted(real: Callable[..., object]) -> Callable[..., object]:
        def after(*args: object, **kwargs: object) -> object:
            real(*args, **kwargs)
            raise KeyboardInterrupt

        return after

    if step == "mkdir":  # profiles/y/ is new
        monkeypatch.setattr(transaction.os, "mkdir", interrupted(real_mkdir))
    elif step == "temporary":
        opened = interrupted(real_open)
        monkeypatch.setattr(
            transaction.os,
            "open",
            lambda path, flags, *rest: (opened if flags & os.O_CREAT else real_open)(
                path, flags, *rest
            ),  # only the open that creates: a temporary (or the journal, not reached)
        )
    else:  # in a thread of the pool that flushes the staged files
        monkeypatch.setattr(transaction.os, "fsync", interrupted(real_fsync))
    with pytest.raises(KeyboardInterrupt):
        writer.write(tmp_path, NEW)
    monkeypatch.undo()
    assert _entries(tmp_path) == before
    assert not transaction.recover(tmp_path)


def test_a_folder_that_does_not_exist_yet_is_staged_whole_and_renamed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = {**{f"profiles/u{n:02d}/config": b"x\n" for n in range(40)}, "terraform/a/b.tf": b"b\n"}
    files = writer.with_manifest(first)
    renamed: list[str] = []
    real_replace = os.replace

    def counted(source: str, target: str) -> None:
        renamed.append(os.path.relpath(target, tmp_path / "out"))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", counted)
    writer.write(tmp_path / "out", files)
    monkeypatch.undo()
    assert _tree(tmp_path / "out") == files
    # the journal, the manifest beside it, and one rename for each new top folder
    assert sorted(renamed) == [transaction.JOURNAL, writer.MANIFEST, "profiles", "terraform"]
    more = writer.with_manifest(
        {**first, "profiles/u00/config": b"changed\n", "profiles/u99/config": b"new\n"}
    )
    monkeypatch.setattr(os, "replace", counted)
    renamed.clear()
    writer.write(tmp_path / "out", more)
    monkeypatch.undo()
    assert _tree(tmp_path / "out") == more
    assert sorted(renamed) == [
        transaction.JOURNAL, writer.MANIFEST, "profiles/u00/config", "profiles/u99"
    ]  # fmt: skip


def test_staged_folders_of_a_write_that_never_committed_are_deleted_by_recovery(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    transaction.stage(out, {"profiles/u/config": b"x\n", "terraform/a.tf": b"a\n"})
    # killed here: nothing visible, but staged folders lie in the output folder
    assert sorted(p.name for p in out.iterdir()) == [
        f".profiles.{os.getpid()}{transaction.TEMP_SUFFIX}",
        f".terraform.{os.getpid()}{transaction.TEMP_SUFFIX}",
    ]
    with pytest.raises(UnfinishedRenderError, match="left its staged files"):
        transaction.refuse_unfinished(out)
    assert transaction.recover(out)
    assert list(out.iterdir()) == []


def test_a_staged_folder_whose_folder_appeared_meanwhile_is_merged_into_it(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    staged = transaction.stage(out, {"profiles/u/config": b"x\n", "profiles/v/config": b"y\n"})
    (out / "profiles" / "v").mkdir(parents=True)  # made by someone else, before the commit
    (out / "profiles" / "w").write_text("theirs")
    transaction.finish(out, staged, ())
    assert _tree(out) == {
        "profiles/u/config": b"x\n",
        "profiles/v/config": b"y\n",
        "profiles/w": b"theirs",
    }
    assert not transaction.pending(out)


def test_a_file_where_a_new_folder_belongs_is_refused(tmp_path: Path) -> None:
    writer.write(tmp_path, OLD)
    (tmp_path / "profiles" / "y").write_text("a file")
    with pytest.raises(OutputError, match="cannot write"):
        writer.write(tmp_path, NEW)
    assert not transaction.pending(tmp_path)


@pytest.mark.parametrize("named", [False, True])
def test_a_journal_that_cannot_be_written_leaves_the_folder_as_it_was_or_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, named: bool
) -> None:
    """The disk fills up writing the journal: the staged files go and the previous output
    stays. Once the journal has its name (its folder's flush failed), the write is
    committed: the staged files stay for the next write to finish it."""
    writer.write(tmp_path, OLD)
    before = _tree(tmp_path)
    write = atomic.write

    def full(path: Path, content: bytes, **options: object) -> None:
        if named:
            write(path, content)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic, "write", full)
    with pytest.raises(OutputError, match="cannot write: No space left on device") as caught:
        writer.write(tmp_path, NEW)
    monkeypatch.undo()
    assert caught.value.path == str(tmp_path / transaction.JOURNAL)
    assert (tmp_path / transaction.JOURNAL).exists() == named
    if not named:
        assert _tree(tmp_path) == before
        assert not transaction.pending(tmp_path)
    writer.write(tmp_path, NEW)
    assert _tree(tmp_path) == NEW


def test_next_write_recovers_by_itself(tmp_path: Path) -> None:
    writer.write(tmp_path, OLD)
    (tmp_path / "terraform" / f".a.tf.xyz{transaction.TEMP_SUFFIX}").write_bytes(b"torn")
    writer.write(tmp_path, NEW)
    assert _tree(tmp_path) == NEW


def test_a_tampered_journal_cannot_reach_outside(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    out = tmp_path / "out"
    out.mkdir()
    (out / transaction.JOURNAL).write_text(
        '{"renames": [["x.mfagen-tmp", "../victim"]], "removals": ["../victim", "/etc/hosts"]}'
    )
    transaction.recover(out)
    assert victim.read_text() == "keep"


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    released = threading.Event()

    def hold() -> None:
        with transaction.locked(tmp_path):
            released.wait(5)
            time.sleep(0.3)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    released.set()
    started = time.monotonic()
    writer.write(tmp_path, NEW)
    assert time.monotonic() - started >= 0.2
    holder.join()
    assert _tree(tmp_path) == NEW


def test_a_writer_that_cannot_get_the_lock_fails_clearly(tmp_path: Path) -> None:
    with (
        transaction.locked(tmp_path),
        pytest.raises(OutputError, match="another mfagen is writing here"),
        transaction.locked(tmp_path, timeout=0.2),
    ):
        pass


def _large_config(folder: Path, users: int) -> Path:
    data = minimal(
        users={f"user{n:04d}": {"tiers": ["admin"] if n % 2 else []} for n in range(users)}
    )
    data["tiers"]["readonly"] = {"preset": "readonly"}
    return write_config(folder, data, name="large.yaml")


def test_two_render_processes_into_one_folder_never_interleave(tmp_path: Path) -> None:
    """Two real `mfagen render` processes race for one folder: one waits, neither tears it.

    The test holds the folder's lock while both processes render in memory, so both reach
    the lock together; once it is released each writes in turn and exits 0, and the folder
    holds exactly the clean output of one of them, with no staged files or journal left.
    """
    first = _large_config(tmp_path, 200)
    second = write_config(
        tmp_path,
        minimal(users={f"other{n:03d}": {"tiers": ["admin"]} for n in range(80)}),
        name="second.yaml",
    )
    out = tmp_path / "out"

    def render(config: Path, folder: Path) -> list[str]:
        return [sys.executable, "-m", "mfagen", "render", str(config), "--out", str(folder)]

    started = time.monotonic()
    subprocess.run(render(first, tmp_path / "clean-first"), check=True, capture_output=True)
    duration = time.monotonic() - started
    subprocess.run(render(second, tmp_path / "clean-second"), check=True, capture_output=True)
    clean = [_tree(tmp_path / "clean-first"), _tree(tmp_path / "clean-second")]
    with transaction.locked(out):
        processes = [
            subprocess.Popen(
                render(config, out),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for config in (first, second)
        ]
        time.sleep(2 * duration + 1)  # both have rendered and now wait for the lock
        assert [p.poll() for p in processes] == [None, None]
        assert list(out.iterdir()) == []
    results = [process.communicate(timeout=120) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    assert _tree(out) in clean, "interleaved output"
    assert not [p for p in out.rglob("*") if p.name.endswith(transaction.TEMP_SUFFIX)]
    assert not (out / transaction.JOURNAL).exists()


# --- killed at each step: fault injection (tests/faults.py), not timed kills ---


@dataclass(frozen=True)
class Scenario:
    """A render from one output to another, with files that the audit can read."""

    config: Path
    """Renders `after`."""
    before: dict[str, bytes] | None
    """What the folder holds first; None: it does not exist."""
    after: dict[str, bytes]


def _rendered(config: Path) -> dict[str, bytes]:
    return api.render_files(api.validate(config).plan)


@pytest.fixture(params=["update", "first"])
def scenario(request: pytest.FixtureRequest, tmp_path: Path) -> Scenario:
    """`update`: changed files, a new user's folder (staged whole), a removed user's file
    (and its folder pruned). `first`: a first render into a folder not made yet."""
    old = _rendered(write_config(tmp_path, minimal(), "old.yaml"))
    config = write_config(tmp_path, minimal(users={"bob": {"tiers": ["admin"]}}), "new.yaml")
    return Scenario(config, old if request.param == "update" else None, _rendered(config))


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every entry below `folder`: its mode and, for a file, its bytes ({} if none)."""
    if not folder.exists():
        return {}
    return {
        path.relative_to(folder).as_posix(): (
            stat.S_IMODE(path.lstat().st_mode),
            path.read_bytes() if path.is_file() else None,
        )
        for path in sorted(folder.rglob("*"))
    }


def _prepared(work: Path, scenario: Scenario) -> Path:
    """A folder `work` holding the output folder as it is before the render, and a file
    beside it that no write may touch; returns the output folder."""
    work.mkdir()
    (work / "beside.txt").write_text("not mfagen's\n")
    out = work / "out"
    if scenario.before is not None:
        writer.write(out, scenario.before)
    return out


def _untouched_beside(work: Path) -> None:
    assert sorted(p.name for p in work.iterdir()) in (["beside.txt"], ["beside.txt", "out"])
    assert (work / "beside.txt").read_text() == "not mfagen's\n"


def _refused_by_every_reader(out: Path, config: Path) -> None:
    """What each reader of an output folder says of it: no verdict, no listing."""
    for read in (
        lambda: transaction.refuse_unfinished(out),
        lambda: audit_folder(out),
        lambda: api.render_to(config, out, check=True),
    ):
        with pytest.raises(UnfinishedRenderError, match="a render into this folder was interr"):
            read()


def _kill_points(steps: list[faults.Step]) -> list[tuple[int, bool]]:
    """Just before each step, and just after each file is created (then still empty)."""
    before = [(number, False) for number in range(len(steps))]
    return before + [(number, True) for number, step in enumerate(steps) if step.call == "open"]


def test_a_render_killed_at_any_step_is_refused_then_finished_by_the_next(
    tmp_path: Path, scenario: Scenario
) -> None:
    """Killed before or after any step (a file staged, a folder made, an fsync, the journal,
    the Nth rename, a removal), the folder holds the previous output or the new one, or it
    is refused by every reader until the next write finishes it, which then holds exactly
    what a clean write makes; nothing beside the folder is touched."""
    clean = tmp_path / "clean"
    writer.write(clean, scenario.after)
    expected = _snapshot(clean)
    probe = _prepared(tmp_path / "probe", scenario)
    previous = _snapshot(probe)
    steps = faults.record(lambda: writer.write(probe, scenario.after))
    assert _snapshot(probe) == expected
    calls = {step.call for step in steps}
    assert {"open", "mkdir", "fsync", "replace"} <= calls
    if scenario.before is not None:
        assert {"unlink", "rmdir"} <= calls  # alice's file removed, her folder pruned
    refused = 0
    for number, after in _kill_points(steps):
        where = f"killed {'after' if after else 'before'} step {number}, {steps[number]}"
        work = tmp_path / f"{number}-{after}"
        out = _prepared(work, scenario)
        faults.kill(partial(writer.write, out, scenario.after), number, after=after)
        _untouched_beside(work)
        if transaction.pending(out):
            _refused_by_every_reader(out, scenario.config)
            refused += 1
        else:
            assert _snapshot(out) in (previous, expected), where
        writer.write(out, scenario.after)
        assert _snapshot(out) == expected, where
        _untouched_beside(work)
    assert refused > len(steps) / 2  # most steps leave the folder unfinished


def test_a_recovery_killed_at_any_step_is_finished_by_the_next_write(tmp_path: Path) -> None:
    """Recovery repeats safely: the write that finishes an interrupted one, itself killed
    at any step, leaves the folder refused, and the one after finishes both."""
    old = _rendered(write_config(tmp_path, minimal(), "old.yaml"))
    config = write_config(tmp_path, minimal(users={"bob": {"tiers": ["admin"]}}), "new.yaml")
    new = _rendered(config)
    clean = tmp_path / "clean"
    writer.write(clean, new)

    def interrupted(name: str) -> Path:
        out = tmp_path / name / "out"
        writer.write(out, old)
        _killed_after_the_commit_point(out, new)
        return out

    recovering = interrupted("recovering")
    recovery = faults.record(lambda: writer.write(recovering, new))
    assert [step.call for step in recovery].count("replace") > 3
    for number in range(len(recovery)):
        out = interrupted(f"killed-{number}")
        faults.kill(partial(writer.write, out, new), number)
        if transaction.pending(out):
            _refused_by_every_reader(out, config)
        writer.write(out, new)
        assert _snapshot(out) == _snapshot(clean), f"recovery killed before {recovery[number]}"


def _killed_after_the_commit_point(out: Path, files: dict[str, bytes]) -> None:
    """Kill a write of `files` into `out` just after its journal took its name."""
    probe = out.with_name(f"{out.name}-probe")
    shutil.copytree(out, probe)
    commit = _commit_point(faults.record(lambda: writer.write(probe, files)), probe)
    faults.kill(lambda: writer.write(out, files), commit, after=True)
    assert (out / transaction.JOURNAL).is_file()


def _commit_point(steps: list[faults.Step], out: Path) -> int:
    """The step that renames the journal into place."""
    journal = out / transaction.JOURNAL
    return next(
        number
        for number, step in enumerate(steps)
        if step.call == "replace" and Path(step.destination) == journal
    )


def test_each_step_reaches_the_disk_before_the_next_depends_on_it(
    tmp_path: Path, scenario: Scenario
) -> None:
    """The durability order of transaction.py's docstring, read off the calls a write makes:
    staged files and the folders that gained them are flushed before the commit point, the
    journal before the first rename, every folder the renames and removals changed before
    the journal is deleted; only what the write made is flushed (no os.sync)."""
    out = _prepared(tmp_path / "work", scenario)
    steps = faults.record(lambda: writer.write(out, scenario.after))
    paths = [Path(step.path) for step in steps]
    commit = _commit_point(steps, out)
    end = len(steps) - 1
    assert (steps[end].call, paths[end]) == ("unlink", out / transaction.JOURNAL)  # the last

    def flushed(path: Path, after: int, before: int) -> bool:
        return any(steps[n].call == "fsync" and paths[n] == path for n in range(after + 1, before))

    assert "sync" not in {step.call for step in steps}
    for number, step in enumerate(steps[:commit]):
        if step.call in ("open", "mkdir"):
            made = paths[number]
            assert step.call == "mkdir" or flushed(made, number, commit), step
            # the journal's temporary is renamed at the commit point, then its folder flushed
            assert made == paths[commit] or flushed(made.parent, number, commit), f"{step}: folder"
    first_change = next(n for n in range(commit + 1, end) if steps[n].call != "fsync")
    assert flushed(out, commit, first_change), "the journal's folder, before any rename"
    for number in range(commit + 1, end):
        step = steps[number]
        if step.call != "fsync":
            folders = {paths[number].parent} | ({Path(step.destination).parent} - {Path()})
            for folder in folders:  # a folder pruned is gone: its parent is flushed
                assert not folder.is_dir() or flushed(folder, number, end), step
    outside = [
        step for step, path in zip(steps, paths, strict=True) if not path.is_relative_to(out)
    ]  # making the folder flushes the one it is made in: nothing else outside
    assert outside == ([] if scenario.before else [faults.Step("fsync", str(tmp_path / "work"))])


def test_a_finished_folder_passes_and_an_unfinished_one_is_refused_with_what_to_do(
    tmp_path: Path,
) -> None:
    out = tmp_path / "my out"
    transaction.refuse_unfinished(out)  # no folder: nothing to refuse
    writer.write(out, OLD)
    transaction.refuse_unfinished(out)
    staged = transaction.stage(out, {"terraform/a.tf": b"newer a\n"})
    with pytest.raises(UnfinishedRenderError) as strays:
        transaction.refuse_unfinished(out)
    assert (strays.value.path, strays.value.message, strays.value.hint) == (
        str(out),
        "a render into this folder was interrupted and left its staged files (*.mfagen-tmp)",
        (
            f"run `mfagen render --out '{out}'`: before it writes, it deletes them, then renders "
            "as usual"
        ),
    )
    with transaction.locked(out), pytest.raises(UnfinishedRenderError) as writing:
        transaction.refuse_unfinished(out)
    assert (writing.value.message, writing.value.hint) == (
        "a render into this folder is under way",
        "wait until it has finished, then run this again",
    )
    transaction.discard(out, staged)
    _killed_after_the_commit_point(out, NEW)
    with pytest.raises(UnfinishedRenderError) as journal:
        transaction.refuse_unfinished(out)
    assert (journal.value.message, journal.value.hint) == (
        (
            "a render into this folder was interrupted after its commit point: it may hold part "
            "of the new output and part of the previous one"
        ),
        (
            f"run `mfagen render --out '{out}'`: before it writes, it finishes the interrupted "
            "render from its journal (.mfagen-journal), then renders as usual"
        ),
    )
    assert UnfinishedRenderError("", "", str(out)).exit_code == 2


def test_a_render_finishes_an_interrupted_one_before_its_own_checks_read_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A render killed after its commit point may leave the previous manifest in place: the
    next render must not take the lockout check's "before" from it."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    writer.write(out, _rendered(write_config(tmp_path, minimal(), "old.yaml")))
    no_admin = minimal()
    no_admin["tiers"]["admin"]["accounts"] = ["prod"]  # no admin path into the identity account
    config = write_config(tmp_path, no_admin, "new.yaml")
    _killed_after_the_commit_point(out, _rendered(config))  # a render run --allow-lockout
    assert writer.read_admin_paths(out) == ("alice -> AdminMFARole",)  # the old manifest
    result = CliRunner().invoke(app, ["render", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == f"{out}: recovered from an interrupted render"
    assert not transaction.pending(out)
    assert writer.read_admin_paths(out) == ()
