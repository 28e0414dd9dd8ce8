"""What `mfagen audit --live` finds beyond the invariants, as plain data: drift and users
outside accounts.yaml (which fail the audit), acknowledged machine users and where each
user's onboarding stands (which do not)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SHOWN = 8
"""Requests named where a finding or a machine user says what keys reach; the rest counted."""


@dataclass(frozen=True)
class LiveFinding:
    """Something in IAM that fails the audit: the account, the entity, and why."""

    kind: Literal["drift", "outsider"]
    account: str
    """The account's name and id: `dev (222222222222)`."""
    entity: str
    """The ARN of the role, group, policy or user."""
    message: str
    evidence: tuple[str, ...] = ()
    """The statements, members or documents behind it."""


@dataclass(frozen=True)
class MachineUser:
    """A user accounts.yaml acknowledges as a machine user: listed, never failed."""

    account: str
    name: str
    arn: str | None
    """None when IAM holds no such user."""
    reaches: tuple[str, ...]
    """What its long-term credentials alone can do beyond what mfagen's users' can."""


Stage = Literal["enrolled", "other device", "not enrolled", "no user"]
Window = Literal["open", "closed"]


@dataclass(frozen=True)
class Onboarding:
    """Where one user of accounts.yaml stands with their MFA device."""

    user: str
    state: Stage
    """enrolled: the device their profiles name is enabled for them; other device: they
    enabled another one (their profiles will not work); not enrolled: none yet."""
    named: tuple[str, ...]
    """The MFA serials their profiles name."""
    devices: tuple[str, ...]
    """The virtual MFA devices enabled for them."""
    window: Window
    keys: int
    """Their active access keys."""
    notes: tuple[str, ...] = ()
    """What an admin should do: close a window, open one, retire unused keys."""
