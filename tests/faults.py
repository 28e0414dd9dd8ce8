"""Stop a write at its Nth step, as SIGKILL would: where it stops depends on N alone.

A step is a call that changes what a folder holds or makes it durable: a file created
(`os.open` with `O_CREAT`), a folder made or removed, a rename, a link, an unlink, an fsync
(and `os.sync`, which a write must not call). `record` runs an action in this process and
lists its steps. `kill` runs it in a forked child that sends itself SIGKILL just before its
Nth step (or just after it): no handler, `finally` or cleanup of mfagen's runs, so the disk
is left exactly as a render killed there leaves it, whatever the machine's load.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

STEPS = ("open", "mkdir", "rmdir", "replace", "rename", "link", "unlink", "fsync", "sync")


@dataclass(frozen=True)
class Step:
    call: str
    path: str
    """The path the call changes (for fsync: the file or folder flushed); "" for os.sync."""
    destination: str = ""
    """Where a rename or link puts it."""

    def __str__(self) -> str:
        return f"{self.call} {self.path}" + (f" -> {self.destination}" if self.destination else "")


def record(action: Callable[[], object]) -> list[Step]:
    """Run `action` here and return its steps, in order."""
    steps: list[Step] = []
    with _instrumented(lambda step, before: steps.append(step) if before else None):
        action()
    return steps


def kill(action: Callable[[], object], number: int, *, after: bool = False) -> None:
    """Run `action` in a child process killed by SIGKILL just before its step `number`
    (counted from 0, as `record` lists them), or just after it; fail unless it died there."""
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child never returns into pytest
        code = 0
        try:
            _run_until(action, number, after=after)
        except BaseException:  # noqa: BLE001 - say why, but never return into pytest
            traceback.print_exc()
            code = 1
        os._exit(code)  # the step was never reached
    _, status = os.waitpid(child, 0)
    if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL):
        raise AssertionError(
            f"the write was not killed at step {number} (exit status {status}): "
            "it finished or failed before reaching it"
        )


def _run_until(action: Callable[[], object], number: int, *, after: bool) -> None:
    count = -1
    lock = threading.Lock()

    def on_step(_step: Step, before: bool) -> None:
        nonlocal count
        with lock:
            if before:
                count += 1
            if count == number and before != after:
                os.kill(os.getpid(), signal.SIGKILL)

    with _instrumented(on_step):
        action()


@contextlib.contextmanager
def _instrumented(on_step: Callable[[Step, bool], None]) -> Iterator[None]:
    """Call `on_step(step, before=True)` before each step and `(step, False)` after it."""
    real = {name: getattr(os, name) for name in STEPS}
    opened: dict[int, str] = {}
    """File descriptor -> the path it was opened with: what an fsync flushes."""

    def wrapped(name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            step = _step(name, args, opened)
            if step is not None:
                on_step(step, True)
            result = real[name](*args, **kwargs)
            if name == "open":
                opened[result] = os.fspath(args[0])
            if step is not None:
                on_step(step, False)
            return result

        return call

    for name in STEPS:
        setattr(os, name, wrapped(name))
    try:
        yield
    finally:
        for name, function in real.items():
            setattr(os, name, function)


def _step(name: str, args: tuple[Any, ...], opened: dict[int, str]) -> Step | None:
    if name == "open":
        return Step(name, os.fspath(args[0])) if args[1] & os.O_CREAT else None
    if name == "fsync":
        return Step(name, opened.get(args[0], f"fd {args[0]}"))
    if name == "sync":
        return Step(name, "")
    if name in ("replace", "rename", "link"):
        return Step(name, os.fspath(args[0]), os.fspath(args[1]))
    return Step(name, os.fspath(args[0]))
