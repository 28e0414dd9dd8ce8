"""The audit's child process: its verdict comes back, and it never outlives the command."""

from __future__ import annotations

import os
import time

import pytest

from mfagen import forked


def test_the_child_answers_yes_or_no() -> None:
    with forked.Forked(lambda: True) as yes, forked.Forked(lambda: False) as no:
        assert yes.passed()
        assert not no.passed()
        assert yes.passed()  # asked again: the verdict is kept, the child long gone


def test_a_child_that_raises_is_a_no() -> None:
    def broken() -> bool:
        raise RuntimeError("a bug in the check")

    with forked.Forked(broken) as check:
        assert not check.passed()


def test_the_check_runs_in_another_process() -> None:
    parent = os.getpid()
    with forked.Forked(lambda: os.getpid() != parent) as check:
        assert check.passed()


def test_leaving_early_stops_the_child() -> None:
    started = time.monotonic()
    check = forked.Forked(lambda: time.sleep(60) or True)
    pid = check._pid
    check.__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)  # as Ctrl-C in the parent
    assert time.monotonic() - started < 10
    assert pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no such child any more


def test_without_fork_the_check_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    parent = os.getpid()
    with forked.Forked(lambda: os.getpid() == parent) as check:
        assert check.passed()
