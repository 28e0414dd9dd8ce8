"""`mfagen audit --live`: the invariants proved on what IAM holds, and what differs.

One audit engine, two inputs. The output folder is read as `mfagen audit` reads it
(`audit.read_folder`: the expected Module and the profile files); IAM is read in every
account the module names (`fetch.py`, read-only, accounts in parallel) into a Module of the
same shape (`read/live.py`), and `audit.check` proves the invariants on it, unchanged. Then:
drift (the two Modules and the accounts compared, `drift.py`), users outside accounts.yaml
whose keys reach more (`outsiders.py`), and where each user's onboarding stands
(`onboarding.py`). An account that cannot be read is named with the call that failed; the
others are audited all the same.

`assess` does the judging on what was read, without AWS; `audit_live` reads, then assesses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mfagen.audit import Options, check, read_folder
from mfagen.audit.live import drift, onboarding, outsiders
from mfagen.audit.live.findings import Onboarding
from mfagen.audit.live.report import AccountRead, LiveReport
from mfagen.audit.live.state import AccountFailure, AccountState, Progress, Target
from mfagen.audit.model import Module
from mfagen.audit.read import live
from mfagen.audit.read.profiles import ProfileFile

JOBS = 8
"""Accounts read at a time, by default: IAM's request rate is per account, and 8 threads
keep a laptop's connection busy without tripping its throttling."""


@dataclass(frozen=True)
class LiveOptions:
    audit: Options = field(default_factory=Options)
    role_name: str | None = None
    """Assume arn:aws:iam::<account>:role/<role_name> in every account, instead of the
    providers' terraform_role."""
    jobs: int = JOBS
    now: datetime | None = None
    """The time keys' ages are measured at (default: now)."""


def audit_live(
    folder: Path,
    options: LiveOptions | None = None,
    progress: Callable[[Progress], None] | None = None,
    session: Any = None,
) -> LiveReport:
    """Read IAM in every account of `folder`'s module (boto3's default credentials unless a
    `session` is given) and assess it against the folder."""
    from mfagen.audit.live import fetch  # noqa: PLC0415 - boto3: the `aws` extra

    options = options or LiveOptions()
    expected, files = read_folder(folder)
    states, failures = fetch.read_all(targets(expected, options.role_name), options.jobs,
                                      progress, session)  # fmt: skip
    return assess(expected, files, states, failures, str(folder), options)


def targets(expected: Module, role_name: str | None = None) -> list[Target]:
    """Every account of the module, reached as its provider is (or through `role_name`)."""
    assumed = dict(expected.assume_roles)
    found = []
    for alias, account in expected.accounts:
        role = f"arn:aws:iam::{account}:role/{role_name}" if role_name else assumed.get(alias)
        paths = tuple(sorted({r.path for r in expected.roles if r.account == account}))
        found.append(Target(alias, account, role, account == expected.identity_account, paths))
    return found


def assess(  # noqa: PLR0917 - what was read, and what it is judged against
    expected: Module,
    files: Mapping[str, ProfileFile],
    states: Sequence[AccountState],
    failures: Sequence[AccountFailure],
    label: str,
    options: LiveOptions | None = None,
) -> LiveReport:
    """Judge what was read against the folder's module and profile files."""
    options = options or LiveOptions()
    identity = next((s for s in states if s.account == expected.identity_account), None)
    policies = live.compiled(states)
    found = live.read(expected, states, policies)
    audit = None
    status: list[Onboarding] = []
    if identity is not None:
        unread = {f.account for f in failures}
        audit = check(found, _readable(files, found, unread), label, options.audit)
        status = onboarding.status(expected, identity, files, options.now or datetime.now(UTC))
    outside, machines = outsiders.check(expected, states, policies)
    return LiveReport(
        label,
        tuple(AccountRead.of(state) for state in states),
        tuple(failures),
        audit,
        tuple(drift.drift(expected, found, states)),
        tuple(outside),
        tuple(machines),
        tuple(status),
    )


def _readable(
    files: Mapping[str, ProfileFile], found: Module, unread: set[str]
) -> dict[str, ProfileFile]:
    """The profile files of the users IAM holds, without the profiles whose role is in an
    account that could not be read (invariant 6 cannot be proved there, nor refuted)."""
    present = {user.name for user in found.users}
    return {
        name: replace(
            file,
            profiles=tuple(p for p in file.profiles if _account_of(p.role_arn or "") not in unread),
        )
        for name, file in files.items()
        if name in present
    }


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""
