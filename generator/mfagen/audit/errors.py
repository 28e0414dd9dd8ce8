"""The audit's errors: input it cannot read (exit 2), and a render it refuses (exit 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mfagen.errors import ExitCode, MfagenError

if TYPE_CHECKING:
    from mfagen.audit.checks.report import AuditReport


class AuditInputError(MfagenError):
    """The output folder cannot be audited: unreadable, unparsable, or beyond the audit's model."""

    def __init__(self, path: str, message: str, hint: str = "", line: int = 0) -> None:
        self.path = path
        self.line = line
        self.message = message
        self.hint = hint
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}" + (f"\n  hint: {hint}" if hint else ""))


class AuditRefusedError(MfagenError):
    """`render` would write output that breaks mfagen's security invariants: nothing written."""

    exit_code = ExitCode.DRIFT  # 1: a failed audit, like --check drift

    def __init__(self, path: str, report: AuditReport) -> None:
        self.path = path
        self.report = report
        count = len(report.findings)
        self.message = (
            f"refusing to write: the rendered IAM breaks mfagen's security invariants "
            f"({count} violation{'s' if count != 1 else ''}); nothing written"
        )
        self.hint = "fix the cause, or pass --no-audit to write it anyway"
        super().__init__(f"{path}: {self.message}")
