"""One file written atomically: the old file or the new one, whole, whatever stops the write."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from mfagen import atomic
from tests import faults


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(atomic.TEMP_SUFFIX))


def test_a_write_killed_at_any_step_leaves_the_old_file_or_the_new_one(tmp_path: Path) -> None:
    """Before or after each step; a killed write may leave its hidden temporary, no more."""
    probe = tmp_path / "probe" / "config"
    probe.parent.mkdir()
    probe.write_bytes(b"old\n")
    steps = faults.record(lambda: atomic.write(probe, b"new\n" * 1000))
    assert [step.call for step in steps] == ["open", "fsync", "replace", "fsync"]
    for number in range(len(steps)):
        for after in (False, True):
            target = tmp_path / f"{number}-{after}" / "config"
            target.parent.mkdir()
            target.write_bytes(b"old\n")
            faults.kill(partial(atomic.write, target, b"new\n" * 1000), number, after=after)
            assert target.read_bytes() in (b"old\n", b"new\n" * 1000)
            left = [p.name for p in target.parent.iterdir() if p != target]
            assert all(name.startswith(".config.") for name in left)
            assert left == _temporaries(target.parent)


def test_the_content_reaches_the_disk_before_its_name_and_the_name_after(tmp_path: Path) -> None:
    path = tmp_path / "config"
    steps = faults.record(lambda: atomic.write(path, b"new\n"))
    temporary = steps[0].path
    assert [(step.call, step.path) for step in steps] == [
        ("open", temporary),
        ("fsync", temporary),
        ("replace", temporary),
        ("fsync", str(tmp_path)),
    ]
    assert steps[2].destination == str(path)
    assert Path(temporary).name.startswith(".config.")


def test_a_given_mode_is_exact_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        atomic.write(tmp_path / "shared", b"x", mode=0o640)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "shared").stat().st_mode) == 0o640


@pytest.mark.usefixtures("umask_022")
def test_without_a_mode_a_file_gets_what_open_gives_it(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("old")
    path.chmod(0o600)
    atomic.write(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_bytes() == b"new"


def test_a_symlink_at_the_name_is_replaced_never_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    link = tmp_path / "config"
    link.symlink_to(victim)
    atomic.write(link, b"new")
    assert not link.is_symlink()
    assert link.read_bytes() == b"new"
    assert victim.read_text() == "keep"


def test_a_symlink_planted_at_the_temporarys_name_is_never_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    names = iter(["planted00", "fresh000"])
    monkeypatch.setattr(atomic.secrets, "token_hex", lambda _size: next(names))
    (tmp_path / f".config.planted00{atomic.TEMP_SUFFIX}").symlink_to(victim)
    atomic.write(tmp_path / "config", b"new")
    assert (tmp_path / "config").read_bytes() == b"new"
    assert victim.read_text() == "keep"


@pytest.mark.parametrize("taken_by", ["a file", "a symlink", "a dangling symlink"])
@pytest.mark.parametrize("hard_links", [True, False])
def test_exclusive_never_replaces_anything_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taken_by: str, hard_links: bool
) -> None:
    if not hard_links:  # FAT, some network shares: the name is taken by an empty file first

        def refused(*_args: object, **_kwargs: object) -> None:
            raise OSError(errno.EPERM, os.strerror(errno.EPERM))

        monkeypatch.setattr(atomic.os, "link", refused)
    fresh = tmp_path / "fresh.png"
    atomic.write(fresh, b"png", mode=0o600, exclusive=True)
    assert fresh.read_bytes() == b"png"
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    taken = tmp_path / "taken.png"
    victim = tmp_path / "victim"
    if taken_by == "a file":
        taken.write_text("theirs")
    else:
        if taken_by == "a symlink":
            victim.write_text("theirs")
        taken.symlink_to(victim)
    with pytest.raises(FileExistsError):
        atomic.write(taken, b"png", mode=0o600, exclusive=True)
    assert taken.is_symlink() == (taken_by != "a file")
    if taken_by != "a dangling symlink":
        assert taken.read_text() == "theirs"
    else:
        assert not victim.exists()
    assert _temporaries(tmp_path) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config"
    path.write_text("old")

    def failing(_descriptor: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(atomic.os, "fsync", failing)
    with pytest.raises(OSError, match="Input/output error"):
        atomic.write(path, b"new")
    assert path.read_text() == "old"
    assert _temporaries(tmp_path) == []
