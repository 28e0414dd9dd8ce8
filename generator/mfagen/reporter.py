"""The one place that prints: results on stdout, problems and warnings on stderr.

`Reporter` writes text for people; `JsonReporter` writes one JSON document on stdout for
machines (`--format json`), errors included.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TextIO

from mfagen.audit import AuditReport
from mfagen.audit.checks.report import (
    MATRIX_HINT,
    Matrix,
    as_json,
    headline,
    matrix_text,
    summary,
    violations_text,
)
from mfagen.audit.diff import AccessDiff
from mfagen.audit.diff import report as diff_report
from mfagen.audit.live import report as live_report
from mfagen.errors import (
    MfagenError,
    Problem,
)
from mfagen.wording import count

if TYPE_CHECKING:  # adopt imports boto3, which only `render --adopt` needs; api, pydantic
    from mfagen.adopt import Adoption
    from mfagen.api import Rendered, Validated
    from mfagen.audit.live.report import LiveReport
    from mfagen.audit.live.state import Progress
    from mfagen.user.enrol import Enrolment
    from mfagen.user.install import Installation


class Reporter:
    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    def _say(self, text: str) -> None:
        print(text, file=self.out)

    def _complain(self, text: str) -> None:
        print(text, file=self.err)

    def problems(self, problems: Iterable[Problem], severity: str) -> None:
        for problem in problems:
            self._complain(format_problem(problem, severity))

    def validated(self, result: Validated) -> None:
        self.problems(result.warnings, "warning")
        self.problems(result.notices, "notice")
        plan = result.plan
        self._say(
            f"{result.loaded.document.file}: valid: {count(len(plan.providers), 'account')}, "
            f"{count(len(result.loaded.config.tiers), 'tier')}, {count(len(plan.users), 'user')}"
            f" -> {count(len(plan.roles), 'role')}, {count(len(plan.groups), 'group')}, "
            f"{count(len(plan.profile_users), 'profile file')}"
        )

    def rendered(self, result: Rendered, out: str) -> None:
        self.problems(result.validated.warnings, "warning")
        self.problems(result.validated.notices, "notice")
        if result.adoption is not None:
            self.adopted(result.adoption)
        if result.checked:
            if not result.changes:
                self._say(f"{out}: up to date")
                return
            for change in result.changes:
                self._say(f"{change.kind:<8} {out}/{change.path}")
            differ = "file differs" if len(result.changes) == 1 else "files differ"
            self._complain(
                f"{out}: {len(result.changes)} {differ} from what mfagen renders; "
                "run `mfagen render` and commit the result"
            )
            return
        finished = [change for change in result.changes if change.kind == "interrupted"]
        changes = [change for change in result.changes if change.kind != "interrupted"]
        if finished:
            self._say(f"{out}: recovered from an interrupted render")
        if not changes:
            self._say(f"{out}: up to date, nothing {'more ' if finished else ''}written")
            return
        written = sum(1 for change in changes if change.kind != "stale")
        removed = len(changes) - written
        self._say(f"{out}: wrote {count(written, 'file')}, removed {count(removed, 'stale file')}")

    def adopted(self, adoption: Adoption) -> None:
        for left in adoption.warnings:
            self._complain(f"adopt: warning: {left.account}: {left.resource}: {left.message}")
            if left.hint:
                self._complain(f"  hint: {left.hint}")
        imports = adoption.imports
        if not imports:
            self._say("adopt: nothing mfagen manages exists yet, nothing to import")
            return
        self._say(
            f"adopt: {count(len(imports), 'existing resource')}; `terraform apply` imports them:"
        )
        for item in imports:
            self._say(f"  {item.address} = {item.id}")

    def installed(self, result: Installation, *, dry_run: bool) -> None:
        if dry_run:
            self.out.write(result.diff)
            if result.action == "unchanged":
                self._say(f"{result.path}: already up to date")
            return
        if result.action == "unchanged":
            self._say(f"{result.path}: already up to date, nothing written")
            return
        backup = f" (previous file kept as {result.backup})" if result.backup else ""
        self._say(f"{result.path}: {result.action} the mfagen block{backup}")

    def enrolled(self, result: Enrolment) -> None:
        if result.created:
            self._say(f"{result.serial}: enrolled for {result.user}")
        else:
            self._say(f"{result.serial}: already enrolled for {result.user}, nothing created")
        how = f"--profile {result.proved_with}" if result.proved_with else "a session token"
        self._say(f"proved with {how}: you are now {result.identity}")
        if result.picture is not None:
            self._say(f"{result.picture}: delete it now, it holds your device's secret")
        if result.created:
            self._say("now ask your admin to close your enrolment window (`enrolment: open`)")

    def audited(self, report: AuditReport, matrix: Matrix | None = None) -> None:
        """The verdict and counts, the violations, then the access matrix (or `matrix`, a
        part of it) when asked for, else how to ask for it."""
        lines = [headline(report), *violations_text(report)]
        lines += [MATRIX_HINT] if matrix is None else matrix_text(report, matrix)
        self.out.write("\n".join(lines) + "\n")  # one write: a matrix has a line per cell
        if not report.ok:
            self._complain(f"mfagen: audit failed: {summary(report)}")

    def audited_live(self, report: LiveReport) -> None:
        self.out.write(
            "\n".join([*live_report.summary(report), *live_report.details(report)]) + "\n"
        )
        for failure in report.failures:
            self._complain(
                f"mfagen: error: {failure.label}: {failure.call} failed: {failure.message}"
            )
        if report.failures and report.read:
            self._complain(
                "  hint: the other accounts were audited; give the caller (or --role-name's "
                "role) read access there, see docs/live-audit.md"
            )
        elif report.failures:
            self._complain(
                "  hint: no account was read: check the caller's credentials (`aws configure "
                "list`), and give them (or --role-name's role) read access, see "
                "docs/live-audit.md"
            )
        if not report.clean:
            self._complain(f"mfagen: live audit failed: {live_report.verdict(report)}")

    def live_progress(self) -> Callable[[Progress], None] | None:
        """What shows the accounts as they are read: `progress` when stderr is a terminal,
        else None (a log or a pipe gets no line rewritten in place)."""
        return self.progress if self.err.isatty() else None

    def progress(self, step: Progress) -> None:
        """One account read, on a terminal: a line rewritten in place, ended after the last."""
        mark = " (failed)" if step.failed else ""
        end = "\n" if step.done == step.total else ""
        self.err.write(f"\rmfagen: reading IAM: {step.done}/{step.total} accounts, "
                       f"{step.alias}{mark}\x1b[K{end}")  # fmt: skip
        self.err.flush()

    def diffed(self, diff: AccessDiff, *, markdown: bool = False) -> None:
        if markdown:
            self.out.write(diff_report.markdown(diff))
        else:
            self.out.write("\n".join(diff_report.text(diff)) + "\n")

    def say(self, text: str) -> None:
        self._say(text)

    def text(self, text: str) -> None:
        self.out.write(text)

    def error(self, error: MfagenError) -> None:
        for line in error.details():
            self._complain(line)
        if error.problems:
            self.problems(error.problems, "error")
            self.problems(error.warnings, "warning")
            said = [count(len(error.problems), "error")]
            said += [count(len(error.warnings), "warning")] if error.warnings else []
            self._complain(f"mfagen: {', '.join(said)}, nothing written")
            return
        where = f"{error.where}: " if error.where else ""
        self._complain(f"mfagen: error: {where}{error.message}")
        if error.hint:
            self._complain(f"  hint: {error.hint}")

    def bug(self, error: BaseException) -> None:
        self._complain(
            f"mfagen: internal error: {type(error).__name__}: {error} "
            "(a bug; run again with MFAGEN_DEBUG=1 for the traceback and report it)"
        )

    def interrupted(self) -> None:
        self._complain("mfagen: interrupted")


def format_problem(problem: Problem, severity: str) -> str:
    text = (
        f"{problem.file}:{problem.line}:{problem.column}: {severity}: "
        f"{problem.field}: {problem.message}"
    )
    if problem.hint:
        text += f"\n  hint: {problem.hint}"
    return text


def adoption_data(adoption: Adoption | None) -> dict[str, Any]:
    """`{"adopt": ...}` when rendered with --adopt, else nothing (the JSON stays as it was)."""
    if adoption is None:
        return {}
    imports = [
        {"module": folder, "provider": i.provider, "to": i.address, "id": i.id}
        for folder, items in adoption.modules
        for i in items
    ]
    warnings = [
        {"account": w.account, "resource": w.resource, "message": w.message, "hint": w.hint}
        for w in adoption.warnings
    ]
    return {"adopt": {"imports": imports, "warnings": warnings}}


def enrolment_data(result: Validated) -> dict[str, Any]:
    """The users whose enrolment window is open, and a notice for each."""
    return {
        "enrolment_open": list(result.plan.self_service.enrolment_open),
        "notices": [problem_data(p, "notice") for p in result.notices],
    }


def problem_data(problem: Problem, severity: str) -> dict[str, Any]:
    return {
        "severity": severity,
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "field": problem.field,
        "message": problem.message,
        "hint": problem.hint,
    }


class JsonReporter(Reporter):
    """One JSON document on stdout per command, whatever happened."""

    def _emit(self, data: dict[str, Any]) -> None:
        self._say(json.dumps(data, indent=2, sort_keys=False))

    def validated(self, result: Validated) -> None:
        plan = result.plan
        self._emit(
            {
                "ok": True,
                "file": result.loaded.document.file,
                "warnings": [problem_data(p, "warning") for p in result.warnings],
                **enrolment_data(result),
                "summary": {
                    "accounts": len(plan.providers),
                    "tiers": len(result.loaded.config.tiers),
                    "users": len(plan.users),
                    "roles": len(plan.roles),
                    "groups": len(plan.groups),
                    "profile_files": len(plan.profile_users),
                },
            }
        )

    def audited(self, report: AuditReport, matrix: Matrix | None = None) -> None:  # noqa: ARG002
        self._emit(as_json(report))  # the whole matrix, whatever part the text would show

    def audited_live(self, report: LiveReport) -> None:
        self._emit(live_report.as_json(report))

    def diffed(self, diff: AccessDiff, *, markdown: bool = False) -> None:  # noqa: ARG002
        self._emit(diff_report.as_json(diff))

    def rendered(self, result: Rendered, out: str) -> None:
        self._emit(
            {
                "ok": not (result.checked and result.changes),
                "checked": result.checked,
                "out": out,
                "changes": [{"path": c.path, "kind": c.kind} for c in result.changes],
                "warnings": [problem_data(p, "warning") for p in result.validated.warnings],
                **enrolment_data(result.validated),
                **adoption_data(result.adoption),
            }
        )

    def error(self, error: MfagenError) -> None:
        extra: dict[str, Any] = {}
        if error.problems:
            errors = [problem_data(p, "error") for p in error.problems]
            extra["warnings"] = [problem_data(p, "warning") for p in error.warnings]
        else:
            errors = [
                {
                    "severity": "error",
                    "path": error.path,
                    "message": error.message,
                    "hint": error.hint,
                }
            ]
        self._emit({"ok": False, "errors": errors, **extra, **error.data()})

    def bug(self, error: BaseException) -> None:
        super().bug(error)
        self._emit({"ok": False, "bug": f"{type(error).__name__}: {error}"})

    def interrupted(self) -> None:
        super().interrupted()
        self._emit({"ok": False, "interrupted": True})
