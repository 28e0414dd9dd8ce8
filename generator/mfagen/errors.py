"""mfagen's exceptions and the exit codes they map to.

Core code raises these; only the CLI boundary turns them into messages and exit codes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from mfagen.wording import listed


class ExitCode(IntEnum):
    OK = 0
    DRIFT = 1
    BAD_INPUT = 2
    BUG = 3
    INTERRUPTED = 130


@dataclass(frozen=True)
class Problem:
    """One finding about the input: where it is, what is wrong and how to fix it."""

    file: str
    line: int
    column: int
    field: str
    message: str
    hint: str = ""

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.field)


class MfagenError(Exception):
    """Base of every error mfagen reports to its user: what is wrong, how to fix it, and
    where (a file or folder), each a plain string. The reporter lays them out alike; a
    subclass adds only what differs: its exit code, positioned problems, details shown first.
    """

    exit_code = ExitCode.BAD_INPUT
    problems: tuple[Problem, ...] = ()
    """Problems in accounts.yaml, each with its position (ConfigError), shown instead."""
    warnings: tuple[Problem, ...] = ()

    def __init__(self, message: str, hint: str = "", path: str | None = None) -> None:
        self.message = message
        self.hint = hint
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)

    @property
    def where(self) -> str | None:
        """Where the problem is, as the message starts: the path (and line, if known)."""
        return self.path

    def details(self) -> tuple[str, ...]:
        """Lines shown before the message (a refused render's violations)."""
        return ()

    def data(self) -> dict[str, Any]:
        """What `--format json` adds to the error (a refused render's audit)."""
        return {}


class ConfigError(MfagenError):
    """accounts.yaml is unreadable or invalid: one or more problems, each with a position,
    and the warnings the same file deserves (shown with them, not after the fix)."""

    def __init__(self, problems: list[Problem], warnings: Iterable[Problem] = ()) -> None:
        self.problems = tuple(sorted(problems, key=Problem.sort_key))
        self.warnings = tuple(sorted(warnings, key=Problem.sort_key))
        first = self.problems[0] if self.problems else None
        super().__init__(first.message if first else "invalid configuration")


class UsageError(MfagenError):
    """A command-line argument names something that does not exist (a user, a folder)."""


class LockoutError(MfagenError):
    """A render would remove the last way any user has to an admin role in the identity account."""

    def __init__(self, out: str, before: tuple[str, ...]) -> None:
        self.before = before
        super().__init__(
            "this render removes the last admin path into the identity account "
            f"(now: {listed(before)}); nothing written",
            "keep a backup admin, or pass --allow-lockout if you really mean it",
            out,
        )


class OutputError(MfagenError):
    """The output folder cannot be written as asked, and nothing was changed."""


class UnfinishedRenderError(MfagenError):
    """An output folder holds an interrupted render: a reader gives no verdict on it (see
    transaction.refuse_unfinished)."""


class AwsError(MfagenError):
    """A look-up in AWS failed (no credentials, access denied, wrong account)."""


class EnrolError(MfagenError):
    """`mfagen enrol` stopped (no keys, a closed window, codes refused): no device left behind."""
