"""What one account's IAM holds, as read: the material `mfagen audit --live` works from.

`fetch.py` fills it from AWS (boto3's replies, policy documents already decoded);
`read/live.py` turns it into the audit's Module, and the drift, outsider and onboarding
reports read it too. Plain frozen data without boto3: tests build it by hand. Nothing secret
is kept: a virtual device's seed and QR code (which moto answers) are dropped when read.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Reply = dict[str, Any]
"""One entry of an IAM reply, as boto3 returns it (e.g. a UserDetailList item)."""


@dataclass(frozen=True)
class Device:
    """A virtual MFA device of the account."""

    serial: str
    user: str | None
    """The user it is enabled for; None while it is created but not enabled."""


@dataclass(frozen=True)
class Key:
    """An active access key, from the credential report."""

    number: int
    last_rotated: datetime | None
    last_used: datetime | None


@dataclass(frozen=True)
class Credentials:
    """One user's row of the credential report."""

    password: bool
    mfa_active: bool
    """Whether any MFA device (virtual, hardware or security key) is enabled for the user."""
    keys: tuple[Key, ...]
    """The user's active access keys."""


@dataclass(frozen=True)
class Account:
    """An account of the module: its alias and id."""

    alias: str
    account: str

    @property
    def label(self) -> str:
        """The account as messages name it: `dev (222222222222)`."""
        return f"{self.alias} ({self.account})"


@dataclass(frozen=True)
class AccountState(Account):
    """One account's IAM: what GetAccountAuthorizationDetails, ListRoles, ListVirtualMFADevices
    and the credential report said."""

    users: tuple[Reply, ...]
    groups: tuple[Reply, ...]
    roles: tuple[Reply, ...]
    policies: tuple[Reply, ...]
    """Customer managed policies, each with its versions."""
    session_durations: dict[str, int] = field(default_factory=dict)
    """Role ARN -> MaxSessionDuration, for the roles at mfagen's paths (GetAccount-
    AuthorizationDetails does not say it; ListRoles does)."""
    devices: tuple[Device, ...] = ()
    """The virtual MFA devices (read in the identity account only)."""
    credentials: dict[str, Credentials] = field(default_factory=dict)
    """The credential report, by user name."""
    calls: tuple[tuple[str, int], ...] = ()
    """(API operation, how many times it was called) to read this account."""


@dataclass(frozen=True)
class AccountFailure(Account):
    """An account the audit could not read: the call that failed and why."""

    call: str
    message: str


@dataclass(frozen=True)
class Target:
    """An account to read, and how to reach it."""

    alias: str
    account: str
    role_arn: str | None
    """The role to assume first; None: the caller's own credentials."""
    identity: bool
    """The identity account: its virtual MFA devices are read too."""
    role_paths: tuple[str, ...] = ()
    """IAM paths of mfagen's roles in the account (ListRoles reads their session duration)."""


@dataclass(frozen=True)
class Progress:
    """One account read (or failed), of `total`."""

    done: int
    total: int
    alias: str
    failed: bool


def tags_of(entry: Reply) -> tuple[tuple[str, str], ...]:
    """An IAM user's tags, as (key, value) pairs sorted: as the audit's model holds them."""
    return tuple(sorted((str(t["Key"]), str(t["Value"])) for t in entry.get("Tags", [])))


NOT_A_DATE = frozenset({"N/A", "not_supported", "no_information", ""})


def credential_report(text: str) -> dict[str, Credentials]:
    """The credential report's CSV, by user name (the root account's row left out)."""
    found: dict[str, Credentials] = {}
    for row in csv.DictReader(text.splitlines()):
        name = row.get("user", "")
        if not name or name == "<root_account>":
            continue
        keys = tuple(
            Key(n, _date(row.get(f"access_key_{n}_last_rotated")),
                _date(row.get(f"access_key_{n}_last_used_date")))
            for n in (1, 2)
            if row.get(f"access_key_{n}_active") == "true"
        )  # fmt: skip
        found[name] = Credentials(
            password=row.get("password_enabled") == "true",
            mfa_active=row.get("mfa_active") == "true",
            keys=keys,
        )
    return found


def _date(value: str | None) -> datetime | None:
    if value is None or value in NOT_A_DATE:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
