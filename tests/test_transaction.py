"""Writes are all-or-nothing, survive SIGKILL at any moment, and never interleave."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mfagen import transaction, writer
from mfagen.errors import OutputError, UnfinishedRenderError
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


@pytest.mark.parametrize("step", ["mkdir", "temporary", "sync"])
def test_ctrl_c_just_after_a_step_of_staging_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """The step happened, the interrupt comes before its result is recorded: what stage()
    made must still be removed (a folder for a new user, a temporary, all of them)."""
    writer.write(tmp_path, OLD)
    before = _entries(tmp_path)
    real_mkdir, real_open, real_sync = os.mkdir, os.open, os.sync

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
    else:
        monkeypatch.setattr(transaction.os, "sync", interrupted(real_sync))
    with pytest.raises(KeyboardInterrupt):
        writer.write(tmp_path, NEW)
    monkeypatch.undo()
    assert _entries(tmp_path) == before
    assert not transaction.recover(tmp_path)


def test_crash_after_the_commit_point_is_finished_by_recovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer.write(tmp_path, OLD)
    real_replace = os.replace
    count = []

    def crash_on_second_rename(source: str, target: str) -> None:
        count.append(source)
        if not source.endswith(transaction.JOURNAL + transaction.TEMP_SUFFIX) and len(count) == 3:
            raise KeyboardInterrupt
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", crash_on_second_rename)
    with pytest.raises(KeyboardInterrupt):
        writer.write(tmp_path, NEW)
    monkeypatch.undo()
    assert (tmp_path / transaction.JOURNAL).exists()
    with pytest.raises(UnfinishedRenderError, match="after its commit point"):
        transaction.refuse_unfinished(tmp_path)
    assert transaction.recover(tmp_path)
    assert _tree(tmp_path) == NEW


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


def test_sigkill_at_any_moment_leaves_old_or_new_output(tmp_path: Path) -> None:
    """Kill a large render at several points: the folder holds the old or the new output."""
    small = write_config(tmp_path, minimal(), name="small.yaml")
    large = _large_config(tmp_path, 800)
    out, probe = tmp_path / "out", tmp_path / "probe"

    def render(config: Path, folder: Path) -> list[str]:
        return [sys.executable, "-m", "mfagen", "render", str(config), "--out", str(folder)]

    subprocess.run(render(small, out), check=True, capture_output=True)
    old = _tree(out)
    started = time.monotonic()
    subprocess.run(render(large, probe), check=True, capture_output=True)
    duration = time.monotonic() - started
    new = _tree(probe)
    hits = []
    for fraction in (0.3, 0.6, 0.8, 0.9, 0.95, 1.0):
        process = subprocess.Popen(render(large, out), stdout=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        interrupted = transaction.pending(out)
        if not interrupted:
            assert _tree(out) in (old, new), f"torn output, killed at {fraction:.0%}"
        transaction.recover(out)
        after = _tree(out)
        assert after in (old, new), f"unrecoverable output, killed at {fraction:.0%}"
        hits.append((fraction, interrupted, "new" if after == new else "old"))
        subprocess.run(render(small, out), check=True, capture_output=True)
        assert _tree(out) == old
    assert not list(out.rglob(f"*{transaction.TEMP_SUFFIX}"))
    assert any(state == "old" for *_, state in hits), hits


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
