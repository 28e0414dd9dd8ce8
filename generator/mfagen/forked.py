"""Run a function in a forked child process while this process goes on.

`render` audits the files it rendered (CPU: about a second and a half at 2,000 users) and
writes them. On a machine with two cores the two can overlap: a child process runs the audit
while the parent renders the profile files and stages the new files, and the parent commits
them only once the child's answer says the audit passed. The child starts as soon as the
Terraform files are rendered; the profile files reach it later through a `Feed`. A `Flag`
lets the child say early what its answer will be (the audit refuses), so that the parent need
not stage files only to delete them.

The child's return value comes back pickled through an unnamed temporary file (a pipe could
fill up and stall the child while the parent is busy staging). When the child fails to
answer (an exception, a signal), the parent runs the function itself: errors take the slow
path and look exactly as without the child. Without os.fork (Windows) it all runs here.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import tempfile
from collections.abc import Callable
from types import TracebackType
from typing import IO, Any, Generic, TypeVar

R = TypeVar("R")
T = TypeVar("T")
ANSWERED = 0
BROKE = 2


class Forked(Generic[R]):
    """`function` started in a child process; `result()` waits for its return value.

    Use as a context manager: leaving it stops and reaps a child still running (an error or
    Ctrl-C in the parent), so no process outlives the command.
    """

    def __init__(
        self, function: Callable[[], R], feed: Feed[Any] | None = None, flag: Flag | None = None
    ) -> None:
        """`feed`: a value `function` takes (Feed.take) that the parent gives after the fork;
        `flag`: one `function` may set before it returns, which the parent can look at."""
        self._function = function
        self._pid: int | None = None
        self._answer = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__
        self._feed = feed
        self._flag = flag
        if hasattr(os, "fork"):
            self._pid = os.fork()
            if self._pid == 0:  # the child: answer through the file, run nothing else
                if feed is not None:
                    feed.close_giving_end()  # so that a parent gone without giving reads as EOF
                os._exit(_answer(function, self._answer))

    def result(self) -> R:
        """What the function returned (waits for the child), or raised (run here then)."""
        if self._pid is not None:
            _, status = os.waitpid(self._pid, 0)
            self._pid = None
            if os.waitstatus_to_exitcode(status) == ANSWERED:
                self._answer.seek(0)
                answer: R = pickle.load(self._answer)  # noqa: S301 - our own child's answer
                self._function = lambda: answer
        return self._function()

    def __enter__(self) -> Forked[R]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = None
        self._answer.close()
        if self._feed is not None:
            self._feed.close()
        if self._flag is not None:
            self._flag.close()


class Feed(Generic[T]):
    """One value handed from the parent to a Forked child after the fork.

    The parent `give`s it (pickled to an unnamed temporary file, then one byte down a pipe);
    the child's function `take`s it, waiting for that byte. A parent that leaves without
    giving closes the pipe, and `take` raises EOFError in the child. Where the function runs
    in the parent after all (no fork, or the child broke), `take` returns the value given.
    """

    def __init__(self) -> None:
        self._taking, self._giving = os.pipe()
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._given: list[T] = []
        self._parent = os.getpid()

    def give(self, value: T) -> None:
        """In the parent: hand `value` over (once)."""
        self._given.append(value)
        pickle.dump(value, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.flush()
        with contextlib.suppress(BrokenPipeError):  # the child has already stopped
            os.write(self._giving, b"\x01")
        self.close_giving_end()

    def take(self) -> T:
        """The value given: in a child, waits for the parent; in the parent, the value itself."""
        if self._given:
            return self._given[0]
        if os.getpid() == self._parent:  # reading the pipe here would wait for ever
            raise RuntimeError("Feed.take in the parent before Feed.give")
        if os.read(self._taking, 1) != b"\x01":
            raise EOFError("the parent left without giving the value")
        self._file.seek(0)
        value: T = pickle.load(self._file)  # noqa: S301 - our own parent's value
        self._given.append(value)
        return value

    def close_giving_end(self) -> None:
        if self._giving >= 0:
            os.close(self._giving)
            self._giving = -1

    def close(self) -> None:
        self.close_giving_end()
        if self._taking >= 0:
            os.close(self._taking)
            self._taking = -1
        self._file.close()


class Flag:
    """A word from a Forked child before its answer: the child's function `set`s it, the
    parent asks `is_set` (which never waits) while it works. One byte down a pipe. Where the
    function runs in the parent after all (no fork, or the child broke), `set` sets it here.
    """

    def __init__(self) -> None:
        self._reading, self._writing = os.pipe()
        os.set_blocking(self._reading, False)
        self._parent = os.getpid()
        self._set = False

    def set(self) -> None:
        if os.getpid() == self._parent:
            self._set = True
        elif self._writing >= 0:
            with contextlib.suppress(OSError):  # the parent has already stopped listening
                os.write(self._writing, b"\x01")

    def is_set(self) -> bool:
        if not self._set and self._reading >= 0:
            with contextlib.suppress(BlockingIOError):  # nothing written yet
                self._set = os.read(self._reading, 1) == b"\x01"
        return self._set

    def close(self) -> None:
        for descriptor in (self._reading, self._writing):
            if descriptor >= 0:
                os.close(descriptor)
        self._reading = self._writing = -1


def _answer(function: Callable[[], object], file: IO[bytes]) -> int:
    try:
        pickle.dump(function(), file)
        file.flush()
    except BaseException:  # noqa: BLE001 - any failure: the parent runs the function itself
        return BROKE
    return ANSWERED
