"""The audit's result as data: the access matrix and the violations, each with its evidence.

Checks report one finding per subject; `merge` folds findings that differ only in subject
(the same gap for many users) into one with every subject listed. `as_json`, `headline`,
`violations_text` and `matrix_text` lay the report out; the reporter prints them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mfagen.audit.policy.evaluate import Decision, StatementRef
from mfagen.errors import UsageError
from mfagen.wording import count, did_you_mean, listed

INVARIANTS = {
    "1": "no tier permission without MFA",
    "2": "a tier role trusts only its tier's members",
    "3": "every user can enrol MFA, without MFA only while their enrolment window is open; "
    "without MFA nothing else",
    "4": "users manage only their own user; nobody changes their own groups, tags or policies",
    "5": "a group may assume exactly its tier's roles",
    "6": "one profile per (tier, account), each naming a role that admits the user",
    "quota": "IAM quotas and names",
    "module": "the module holds only what the audit can model",
}


@dataclass(frozen=True)
class Evidence:
    role: Literal["allows", "denies", "unmet", "at"]
    ref: StatementRef
    note: str = ""

    def describe(self) -> str:
        verb = {"allows": "allowed by", "denies": "denied by", "unmet": "not met:", "at": "at"}
        text = f"{verb[self.role]} {self.ref.describe()}"
        return f"{text}: {self.note}" if self.note else text


@dataclass(frozen=True)
class Finding:
    invariant: str
    message: str
    subjects: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()

    def key(self) -> tuple[str, str, tuple[Evidence, ...]]:
        return (self.invariant, self.message, self.evidence)


@dataclass(frozen=True)
class Cell:
    """Whether a user can assume one role: with fresh MFA, without MFA, with MFA too old."""

    account: str
    tier: str
    role: str
    member: bool
    with_mfa: bool
    without_mfa: bool
    too_old: bool | None
    """None when the role's trust sets no maximum MFA age."""


@dataclass(frozen=True)
class AuditReport:
    folder: str
    identity_account: str
    accounts: tuple[tuple[str, str], ...]
    tiers: tuple[str, ...]
    roles: int
    matrix: tuple[tuple[str, tuple[Cell, ...]], ...]
    """(user, the roles they are a member for or can assume) for every user."""
    findings: tuple[Finding, ...]
    limits: dict[str, int] = field(default_factory=dict)
    enrolment_open: frozenset[str] = frozenset()
    """The users whose enrolment window the module declares open."""

    def window(self, user: str) -> str:
        return "open" if user in self.enrolment_open else "closed"

    @property
    def ok(self) -> bool:
        return not self.findings


def evidence(decision: Decision, *, allowed: bool) -> tuple[Evidence, ...]:
    """What made a decision: the allowing statements and the denials whose condition failed;
    or the denying statements and the allowing ones whose condition failed."""
    unmet = [
        Evidence("unmet", ref, condition.describe())
        for ref, condition in decision.unmet
        if (ref.effect == "Deny") == allowed
    ]
    if allowed:
        found = [Evidence("allows", ref) for ref in decision.allows]
    else:
        found = [Evidence("denies", ref) for ref in decision.denies]
    return tuple(dict.fromkeys([*found, *unmet]))


def merge(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    merged: dict[tuple[str, str, tuple[Evidence, ...]], list[str]] = {}
    for finding in findings:
        subjects = merged.setdefault(finding.key(), [])
        subjects.extend(s for s in finding.subjects if s not in subjects)
    order = list(INVARIANTS)
    return tuple(
        sorted(
            (
                Finding(inv, message, tuple(subjects), ev)
                for (inv, message, ev), subjects in merged.items()
            ),
            key=lambda f: (order.index(f.invariant) if f.invariant in order else 99, f.message),
        )
    )


def as_json(report: AuditReport) -> dict[str, Any]:
    return {
        "folder": report.folder,
        "ok": report.ok,
        "identity_account": report.identity_account,
        "accounts": dict(report.accounts),
        "tiers": list(report.tiers),
        "limits": report.limits,
        "matrix": {
            user: [
                {
                    "account": c.account,
                    "tier": c.tier,
                    "role": c.role,
                    "member": c.member,
                    "with_mfa": c.with_mfa,
                    "without_mfa": c.without_mfa,
                    "too_old": c.too_old,
                }
                for c in cells
            ]
            for user, cells in report.matrix
        },
        "enrolment": {user: report.window(user) for user, _ in report.matrix},
        "violations": [
            {
                "invariant": f.invariant,
                "title": INVARIANTS.get(f.invariant, ""),
                "message": f.message,
                "subjects": list(f.subjects),
                "evidence": [
                    {
                        "role": e.role,
                        "file": e.ref.file,
                        "line": e.ref.line,
                        "address": e.ref.address,
                        "policy": e.ref.policy,
                        "sid": e.ref.sid,
                        "note": e.note,
                    }
                    for e in f.evidence
                ],
            }
            for f in report.findings
        ],
    }


def _yes(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "no"


MATRIX_LEGEND = (
    "access: who may assume which role (with MFA: a fresh MFA code; without: long-term keys",
    "alone; too old: an MFA code older than the trust's maximum age, '-' when it sets none;",
    "NOT A MEMBER: the user is not in the role's tier)",
)
_COLUMNS = ("account", "tier", "with MFA", "without", "too old")


Matrix = tuple[tuple[str, tuple[Cell, ...]], ...]
"""(user, their cells) for some users: the whole matrix or a part of it."""

MATRIX_HINT = (
    "the access matrix: --matrix, or --user NAME / --account NAME for a part of it; "
    "--format json holds all of it"
)


def matrix_part(
    report: AuditReport, users: Sequence[str] = (), accounts: Sequence[str] = ()
) -> Matrix:
    """The rows of `users` (every user when none), with their cells in `accounts` (every
    account when none). With `accounts`, users who have no cell there are left out.
    UsageError names a user or account the report does not hold."""
    rows = dict(report.matrix)
    _known(report, "user", users, set(rows))
    _known(report, "account", accounts, {alias for alias, _ in report.accounts})
    chosen = [(user, rows[user]) for user in dict.fromkeys(users)] if users else report.matrix
    if not accounts:
        return tuple(chosen)
    places = set(accounts)
    part = ((user, tuple(c for c in cells if c.account in places)) for user, cells in chosen)
    return tuple((user, cells) for user, cells in part if cells or users)


def _known(report: AuditReport, what: str, names: Sequence[str], choices: set[str]) -> None:
    for name in names:
        if name not in choices:
            raise UsageError(f"no {what} {name!r} in {report.folder}", did_you_mean(name, choices))


def matrix_text(report: AuditReport, rows: Matrix | None = None) -> list[str]:
    """The matrix (or `rows` of it) as aligned columns under one header, each user's rows
    below their name."""
    rows = report.matrix if rows is None else rows
    cells = [c for _, row in rows for c in row]
    widths = [
        max([len(_COLUMNS[0]), *(len(c.account) for c in cells)]),
        max([len(_COLUMNS[1]), *(len(c.tier) for c in cells)]),
        *(len(title) for title in _COLUMNS[2:]),
    ]

    def row(values: tuple[str, ...]) -> str:
        return "    " + "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))

    lines = [*MATRIX_LEGEND, row(_COLUMNS).rstrip()]
    for user, user_cells in rows:
        lines.append(f"  {user}  (enrolment window {report.window(user)})")
        if not user_cells:
            lines.append("    (no role)")
        for c in user_cells:
            values = (c.account, c.tier, _yes(c.with_mfa), _yes(c.without_mfa), _yes(c.too_old))
            mark = "" if c.member else "  NOT A MEMBER"
            lines.append((row(values) + mark).rstrip())
    return lines


def label(invariant: str) -> str:
    """`invariant 3: <its title>`, or `quota: IAM quotas and names` for the other checks."""
    name = f"invariant {invariant}" if invariant.isdigit() else invariant
    title = INVARIANTS.get(invariant)
    return f"{name}: {title}" if title else name


def violations_text(report: AuditReport, *, shown: int = 5) -> list[str]:
    lines = []
    for finding in report.findings:
        subjects = listed(finding.subjects, shown)
        who = f" [{subjects}]" if subjects else ""
        lines.append(f"violation ({label(finding.invariant)}){who}: {finding.message}")
        lines.extend(f"    {e.describe()}" for e in finding.evidence)
    return lines


def headline(report: AuditReport) -> str:
    """The verdict and the counts: `output: all invariants hold: 4 users, 5 tiers, ...`."""
    verdict = (
        "all invariants hold"
        if report.ok
        else f"audit failed, {count(len(report.findings), 'violation')}"
    )
    opened = [user for user, _ in report.matrix if user in report.enrolment_open]
    windows = f"{count(len(opened), 'enrolment window')} open"
    if opened:
        windows += f" ({listed(opened)})"
    return f"{report.folder}: {verdict}: {_sizes(report)}, {windows}"


def summary(report: AuditReport) -> str:
    """The counts, then the verdict: `output: 4 users, 5 tiers, ...: 2 violations`."""
    verdict = "all invariants hold" if report.ok else count(len(report.findings), "violation")
    return f"{report.folder}: {_sizes(report)}: {verdict}"


def _sizes(report: AuditReport) -> str:
    """`4 users, 5 tiers, 3 accounts, 15 roles`: what the audit covered."""
    return (
        f"{count(len(report.matrix), 'user')}, {count(len(report.tiers), 'tier')}, "
        f"{count(len(report.accounts), 'account')}, {count(report.roles, 'role')}"
    )
