"""Run a function in a forked child process while this process goes on.

`render` audits the files it rendered (CPU: about a second at 2,000 users) and writes them
(the disk: about as long). On a machine with two cores the two can overlap: a child process
runs the audit while the parent stages the new files, and the parent commits them only once
the child's answer says the audit passed.

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
from typing import IO, Generic, TypeVar

R = TypeVar("R")
ANSWERED = 0
BROKE = 2


class Forked(Generic[R]):
    """`function` started in a child process; `result()` waits for its return value.

    Use as a context manager: leaving it stops and reaps a child still running (an error or
    Ctrl-C in the parent), so no process outlives the command.
    """

    def __init__(self, function: Callable[[], R]) -> None:
        self._function = function
        self._pid: int | None = None
        self._answer = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__
        if hasattr(os, "fork"):
            self._pid = os.fork()
            if self._pid == 0:  # the child: answer through the file, run nothing else
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


def _answer(function: Callable[[], object], file: IO[bytes]) -> int:
    try:
        pickle.dump(function(), file)
        file.flush()
    except BaseException:  # noqa: BLE001 - any failure: the parent runs the function itself
        return BROKE
    return ANSWERED
