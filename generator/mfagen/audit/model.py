"""The IAM a Terraform module creates, as plain frozen data: principals, policies, where from.

Built by `module.read` from the HCL alone. The intended model comes from the HCL too: a group
`aws_iam_group.tier_<tier>` is tier <tier>'s group, a role `aws_iam_role.<account>__<tier>` is
its role in <account>, and a user belongs to the tiers whose groups they are a member of.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mfagen.audit.evaluate import Policy, StatementRef

TIER_GROUP_PREFIX = "tier_"
ROLE_KEY_SEPARATOR = "__"


@dataclass(frozen=True)
class Location:
    file: str
    line: int
    address: str

    def ref(self, what: str) -> StatementRef:
        return StatementRef(self.file, self.line, self.address, what, "", "")

    def describe(self) -> str:
        return f"{self.file}:{self.line} {self.address}" if self.line else self.address


@dataclass(frozen=True)
class Attached:
    """A policy on a principal: inline, the module's own managed policy, or an ARN."""

    policy: Policy
    kind: Literal["inline", "customer", "managed"]
    name: str
    """The inline policy's name, or the managed policy's ARN."""
    where: Location
    """The resource that puts it there."""
    size: int = 0
    """Characters without whitespace (inline policies; 0 for managed ones)."""
    document: Any = field(default=None, compare=False)
    """The JSON document (inline and the module's own policies)."""


@dataclass(frozen=True)
class Role:
    where: Location
    key: str
    account: str
    alias: str
    tier: str | None
    name: str
    path: str
    arn: str
    trust: Policy
    trust_size: int
    max_session_duration: int | None
    policies: tuple[Attached, ...]


@dataclass(frozen=True)
class Group:
    where: Location
    key: str
    tier: str | None
    name: str
    path: str
    arn: str
    policies: tuple[Attached, ...]


@dataclass(frozen=True)
class User:
    where: Location
    name: str
    path: str
    arn: str
    tags: tuple[tuple[str, str], ...]
    groups: tuple[str, ...]
    """Keys of the module's groups the user is a member of."""
    policies: tuple[Attached, ...]
    created: bool
    """False when the module manages only the user's memberships (create_users: false)."""


@dataclass(frozen=True)
class CustomerPolicy:
    where: Location
    key: str
    name: str
    path: str
    arn: str
    policy: Policy
    size: int
    document: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Stray:
    """Something in the module the audit flags by its mere presence."""

    where: Location
    invariant: str
    message: str


@dataclass(frozen=True)
class Module:
    identity_account: str
    accounts: tuple[tuple[str, str], ...]
    """(provider alias, account id) of every provider."""
    roles: tuple[Role, ...]
    groups: tuple[Group, ...]
    users: tuple[User, ...]
    policies: tuple[CustomerPolicy, ...]
    strays: tuple[Stray, ...]

    def group(self, key: str) -> Group:
        return next(group for group in self.groups if group.key == key)

    @property
    def tiers(self) -> tuple[str, ...]:
        found = {g.tier for g in self.groups if g.tier} | {r.tier for r in self.roles if r.tier}
        return tuple(sorted(found))

    def tier_groups(self, tier: str) -> tuple[Group, ...]:
        return tuple(group for group in self.groups if group.tier == tier)

    def tier_roles(self, tier: str) -> tuple[Role, ...]:
        return tuple(role for role in self.roles if role.tier == tier)

    def members(self, tier: str) -> tuple[User, ...]:
        keys = {group.key for group in self.tier_groups(tier)}
        return tuple(user for user in self.users if keys & set(user.groups))

    def tiers_of(self, user: User) -> tuple[str, ...]:
        tiers = {self.group(key).tier for key in user.groups}
        return tuple(sorted(t for t in tiers if t))

    def identity_policies(self, user: User) -> tuple[Attached, ...]:
        """Everything attached to the user: directly and through the module's groups."""
        found = list(user.policies)
        for key in user.groups:
            found.extend(self.group(key).policies)
        return tuple(found)
