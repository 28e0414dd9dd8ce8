"""The audit's errors: input it cannot read (exit 2), and a render it refuses (exit 1)."""

from __future__ import annotations

from typing import Any

from mfagen.audit.checks.report import AuditReport, as_json, violations_text
from mfagen.errors import ExitCode, MfagenError


class AuditInputError(MfagenError):
    """The output folder cannot be audited: unreadable, unparsable, or beyond the audit's model.
    It knows the line of the file, where it can."""

    def __init__(
        self, message: str, hint: str = "", path: str | None = None, line: int = 0
    ) -> None:
        self.line = line
        super().__init__(message, hint, path)

    @property
    def where(self) -> str | None:
        return f"{self.path}:{self.line}" if self.path and self.line else self.path


class AuditRefusedError(MfagenError):
    """`render` would write output that breaks mfagen's security invariants: nothing written."""

    exit_code = ExitCode.DRIFT  # 1: a failed audit, like --check drift

    def __init__(self, path: str, report: AuditReport) -> None:
        self.report = report
        count = len(report.findings)
        super().__init__(
            f"refusing to write: the rendered IAM breaks mfagen's security invariants "
            f"({count} violation{'s' if count != 1 else ''}); nothing written",
            "fix the cause, or pass --no-audit to write it anyway",
            path,
        )

    def details(self) -> tuple[str, ...]:
        return tuple(violations_text(self.report))

    def data(self) -> dict[str, Any]:
        return {"audit": as_json(self.report)}
