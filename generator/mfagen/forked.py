"""Run a yes-or-no check in a forked child process while this process goes on.

`render` audits the files it rendered (CPU: about a second at 2,000 users) and writes them
(the disk: about as long). On a machine with two cores the two can overlap: a child process
runs the audit while the parent stages the new files, and the parent commits them only once
the child says the audit passed.

Only the verdict crosses back, as the child's exit status: 0 passed, anything else not.
When it did not pass the caller runs the check itself, in its own process, to get the report
or the exception: failures take the slow path and look exactly as without the child, and
nothing has to be pickled. Without os.fork (Windows) the check runs in this process.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from types import TracebackType

PASSED = 0
FAILED = 1
BROKE = 2


class Forked:
    """`check` started in a child process; `passed()` waits for its verdict.

    Use as a context manager: leaving it stops and reaps a child still running (an error or
    Ctrl-C in the parent), so no process outlives the command.
    """

    def __init__(self, check: Callable[[], bool]) -> None:
        self._check = check
        self._verdict: bool | None = None
        self._pid: int | None = None
        if hasattr(os, "fork"):
            self._pid = os.fork()
            if self._pid == 0:  # the child: answer with the exit status, run nothing else
                os._exit(_verdict(check))

    def passed(self) -> bool:
        """Whether the check returned True (waits for the child)."""
        if self._verdict is None:
            if self._pid is None:
                self._verdict = self._check()
            else:
                _, status = os.waitpid(self._pid, 0)
                self._pid = None
                self._verdict = os.waitstatus_to_exitcode(status) == PASSED
        return self._verdict

    def __enter__(self) -> Forked:
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


def _verdict(check: Callable[[], bool]) -> int:
    try:
        return PASSED if check() else FAILED
    except BaseException:  # noqa: BLE001 - any failure: the parent runs the check itself
        return BROKE
