"""The audit's child process: its answer comes back, and it never outlives the command."""

from __future__ import annotations

import os
import time

import pytest

from mfagen import forked


def test_the_child_answers_with_its_return_value() -> None:
    parent = os.getpid()
    with forked.Forked(lambda: {"pid": os.getpid(), "big": "x" * 1_000_000}) as child:
        answer = child.result()
        assert answer["pid"] != parent  # computed in another process
        assert len(answer["big"]) == 1_000_000  # more than a pipe holds: no stall
        assert child.result() == answer  # asked again: kept, the child long gone


def test_a_child_that_raises_is_run_again_here_and_raises_the_same() -> None:
    calls: list[int] = []

    def broken() -> int:
        calls.append(os.getpid())
        raise ValueError("a bug in the check")

    with forked.Forked(broken) as child, pytest.raises(ValueError, match="a bug in the check"):
        child.result()
    assert calls == [os.getpid()]  # the child's call happened in the child's own memory


def test_leaving_early_stops_the_child() -> None:
    started = time.monotonic()
    child = forked.Forked(lambda: time.sleep(60))
    pid = child._pid
    child.__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)  # as Ctrl-C in the parent
    assert time.monotonic() - started < 10
    assert pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no such child any more


def test_without_fork_the_function_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    parent = os.getpid()
    with forked.Forked(os.getpid) as child:
        assert child.result() == parent


def test_a_fed_child_takes_what_the_parent_gives_after_the_fork() -> None:
    feed: forked.Feed[bytes] = forked.Feed()
    with forked.Forked(lambda: (os.getpid(), feed.take()), feed) as child:
        time.sleep(0.05)  # the child is waiting for the value by now
        feed.give(b"x" * 1_000_000)  # more than a pipe holds
        pid, value = child.result()
    assert pid != os.getpid()
    assert value == b"x" * 1_000_000


def test_a_fed_child_whose_parent_leaves_without_giving_stops() -> None:
    feed: forked.Feed[bytes] = forked.Feed()
    child = forked.Forked(feed.take, feed)
    pid = child._pid
    assert pid is not None
    feed.close_giving_end()  # as a parent that stopped before giving
    _, status = os.waitpid(pid, 0)  # would wait for ever if the child still waited
    assert os.waitstatus_to_exitcode(status) == forked.BROKE
    child._pid = None
    child.__exit__(None, None, None)


def test_a_fed_function_run_here_takes_the_value_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    feed: forked.Feed[str] = forked.Feed()
    with forked.Forked(feed.take, feed) as child:
        with pytest.raises(RuntimeError, match=r"before Feed\.give"):
            feed.take()  # here, before the value exists: an error, not a wait for ever
        feed.give("value")
        assert child.result() == "value"
