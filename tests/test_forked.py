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


def test_a_flag_set_by_the_child_is_seen_by_the_parent_without_waiting() -> None:
    feed: forked.Feed[None] = forked.Feed()
    flag = forked.Flag()

    def work() -> int:
        feed.take()  # held until the parent has looked once
        flag.set()
        time.sleep(0.2)  # the answer comes later than the flag
        return os.getpid()

    with forked.Forked(work, feed, flag) as child:
        assert not flag.is_set()  # nothing set yet: False at once, no wait
        feed.give(None)
        deadline = time.monotonic() + 30
        while not flag.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert flag.is_set()
        assert child.result() != os.getpid()
    assert flag.is_set()  # kept once closed


def test_a_flag_of_a_child_that_never_sets_it_stays_down() -> None:
    flag = forked.Flag()
    with forked.Forked(lambda: 1, None, flag) as child:
        assert child.result() == 1  # the child is gone: its end of the pipe is closed
        assert not flag.is_set()


def test_a_flag_set_by_a_function_run_here_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    flag = forked.Flag()
    with forked.Forked(flag.set, None, flag) as child:
        assert not flag.is_set()  # the function runs only when its result is asked for
        child.result()
        assert flag.is_set()
