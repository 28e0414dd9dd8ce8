"""The live audit's result, and how it reads: a summary first, the details after (text), or
one JSON document. The reporter prints them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from mfagen.audit.checks.report import AuditReport, violations_text
from mfagen.audit.checks.report import as_json as audit_json
from mfagen.audit.live.findings import SHOWN, LiveFinding, MachineUser, Onboarding
from mfagen.audit.live.state import Account, AccountFailure, AccountState
from mfagen.wording import count, listed


@dataclass(frozen=True)
class AccountRead(Account):
    """An account read, and the calls it took."""

    calls: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, state: AccountState) -> AccountRead:
        return cls(state.alias, state.account, state.calls)


@dataclass(frozen=True)
class LiveReport:
    folder: str
    read: tuple[AccountRead, ...]
    failures: tuple[AccountFailure, ...]
    """Accounts that could not be read (the run exits 2)."""
    audit: AuditReport | None
    """The invariants proved on what IAM holds; None when the identity account was not read."""
    drift: tuple[LiveFinding, ...]
    outsiders: tuple[LiveFinding, ...]
    machines: tuple[MachineUser, ...]
    onboarding: tuple[Onboarding, ...]

    @property
    def findings(self) -> int:
        violations = len(self.audit.findings) if self.audit else 0
        return violations + len(self.drift) + len(self.outsiders)

    @property
    def clean(self) -> bool:
        """No finding in the accounts read (whether every account was read is `complete`'s
        to say; the JSON's "ok" is both)."""
        return self.findings == 0

    @property
    def complete(self) -> bool:
        """Every account was read."""
        return not self.failures


def summary(report: LiveReport) -> list[str]:
    total = len(report.read) + len(report.failures)
    lines = [f"{report.folder}: IAM of {len(report.read)} of {count(total, 'account')} read"]
    audit = report.audit
    if audit is None:
        lines.append("  invariants: not proved (the identity account could not be read)")
    else:
        found = count(len(audit.findings), "violation")
        lines.append(f"  invariants: {'all hold' if audit.ok else found}")
    drift = count(len(report.drift), "finding") if report.drift else "none"
    lines.append(f"  drift from {report.folder}: {drift}")
    outside = count(len(report.outsiders), "user") if report.outsiders else "none"
    if report.machines:
        outside += f"; {count(len(report.machines), 'acknowledged machine user')}"
    lines.append(f"  users outside accounts.yaml whose keys reach more: {outside}")
    if report.onboarding:
        states = Counter(user.state for user in report.onboarding)
        notes = sum(len(u.notes) for u in report.onboarding)
        shown = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
        lines.append(f"  onboarding: {shown}; {count(notes, 'note') if notes else 'no notes'}")
    lines += [f"  could not read {f.label}: {f.call}: {f.message}" for f in report.failures]
    return lines


def details(report: LiveReport) -> list[str]:
    lines: list[str] = []
    if report.audit is not None:
        lines += violations_text(report.audit)
    for finding in (*report.drift, *report.outsiders):
        lines.append(f"{finding.kind}: {finding.account} {finding.entity}: {finding.message}")
        lines += [f"    {e}" for e in finding.evidence]
    for machine in report.machines:
        where = f"{machine.account} {machine.arn or machine.name}"
        if machine.arn is None:
            lines.append(f"machine user: {where}: acknowledged, but IAM holds no such user")
            continue
        if machine.reaches:
            reach = listed(machine.reaches, SHOWN, "; ")
            lines.append(f"machine user: {where}: its keys alone can do {reach}")
        else:
            lines.append(f"machine user: {where}: its keys reach nothing mfagen's users' cannot")
    if report.onboarding:
        lines.append("onboarding:")
    for user in report.onboarding:
        devices = ", ".join(user.devices) or "no virtual MFA device"
        lines.append(
            f"  {user.user}: {user.state} ({devices}); window {user.window}, "
            f"{count(user.keys, 'active key')}"
        )
        lines += [f"    {note}" for note in user.notes]
    return lines


def verdict(report: LiveReport) -> str:
    if not report.complete:
        return f"{count(len(report.failures), 'account')} could not be read"
    if report.clean:
        return "IAM holds what the output says, and nothing reaches more"
    return count(report.findings, "finding")


def as_json(report: LiveReport) -> dict[str, Any]:
    return {
        "folder": report.folder,
        "ok": report.clean and report.complete,
        "complete": report.complete,
        "accounts": [
            {"alias": r.alias, "id": r.account, "calls": dict(r.calls)} for r in report.read
        ],
        "failures": [
            {"alias": f.alias, "id": f.account, "call": f.call, "message": f.message}
            for f in report.failures
        ],
        "invariants": audit_json(report.audit) if report.audit else None,
        "drift": [_finding(f) for f in report.drift],
        "outsiders": [_finding(f) for f in report.outsiders],
        "machine_users": [
            {"account": m.account, "name": m.name, "arn": m.arn, "reaches": list(m.reaches)}
            for m in report.machines
        ],
        "onboarding": [
            {
                "user": u.user,
                "state": u.state,
                "named": list(u.named),
                "devices": list(u.devices),
                "window": u.window,
                "active_keys": u.keys,
                "notes": list(u.notes),
            }
            for u in report.onboarding
        ],
    }


def _finding(finding: LiveFinding) -> dict[str, Any]:
    return {
        "account": finding.account,
        "entity": finding.entity,
        "message": finding.message,
        "evidence": list(finding.evidence),
    }
