"""mfagen's exceptions and the exit codes they map to.

Core code raises these; only the CLI boundary turns them into messages and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

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
    """Base of every error mfagen reports to its user."""

    exit_code = ExitCode.BAD_INPUT


class ConfigError(MfagenError):
    """accounts.yaml is unreadable or invalid: one or more problems, each with a position."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        first = self.problems[0] if self.problems else None
        super().__init__(first.message if first else "invalid configuration")


class UsageError(MfagenError):
    """A command-line argument names something that does not exist (a user, a folder)."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)


class LockoutError(MfagenError):
    """A render would remove the last way any user has to an admin role in the identity account."""

    def __init__(self, out: str, before: tuple[str, ...]) -> None:
        self.path = out
        self.before = before
        self.message = (
            "this render removes the last admin path into the identity account "
            f"(now: {listed(before)}); nothing written"
        )
        self.hint = "keep a backup admin, or pass --allow-lockout if you really mean it"
        super().__init__(self.message)


class OutputError(MfagenError):
    """The output folder cannot be written as asked, and nothing was changed."""

    def __init__(self, path: str, message: str, hint: str = "") -> None:
        self.path = path
        self.message = message
        self.hint = hint
        super().__init__(f"{path}: {message}")


class UnfinishedRenderError(MfagenError):
    """An output folder holds an interrupted render: a reader gives no verdict on it (see
    transaction.refuse_unfinished)."""

    def __init__(self, path: str, message: str, hint: str = "") -> None:
        self.path = path
        self.message = message
        self.hint = hint
        super().__init__(f"{path}: {message}")


class AwsError(MfagenError):
    """A look-up in AWS failed (no credentials, access denied, wrong account): nothing written."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)


class EnrolError(MfagenError):
    """`mfagen enrol` stopped (no keys, a closed window, codes refused): no device left behind."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)
