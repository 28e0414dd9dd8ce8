"""The IAM a Terraform module creates, as plain frozen data: principals, policies, where from.

Built by `terraform.read` from the HCL alone. The intended model comes from the HCL too: a group
`aws_iam_group.tier_<tier>` is tier <tier>'s group, a role `aws_iam_role.<account>__<tier>` is
its role in <account>, and a user belongs to the tiers whose groups they are a member of.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from mfagen.audit.policy.evaluate import Policy, StatementRef

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
    trust_document: Any = field(default=None, compare=False)
    """The trust policy's JSON document."""


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
    force_destroy: bool = False
    """Whether removing the user from the module deletes it with its access keys, MFA devices
    and other credentials (`force_destroy`); without it `terraform apply` fails while any
    remain."""


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
    enrolment_open: frozenset[str] = frozenset()
    """Users the module declares with an open enrolment window (output `enrolment_open`): they,
    and nobody else, may create and enable an MFA device without MFA."""
    assume_roles: tuple[tuple[str, str], ...] = ()
    """(provider alias, role ARN) of each provider with an `assume_role` block: the role
    Terraform assumes to reach that account (accounts.yaml's terraform_role)."""
    machine_users: frozenset[tuple[str, str]] = frozenset()
    """(account alias, user name) of the IAM users kept on purpose outside mfagen (output
    `machine_users`): `mfagen audit --live` lists what their keys can do, and does not fail."""

    def group(self, key: str) -> Group:
        return self._groups[key]

    @cached_property
    def _groups(self) -> dict[str, Group]:
        """Group by key, the first of each key as a linear search would find it.

        The indexes below are computed once per Module (it is frozen): the audit asks about
        members and tiers once per role and user, a linear scan each without them.
        """
        found: dict[str, Group] = {}
        for group in self.groups:
            found.setdefault(group.key, group)
        return found

    @property
    def tiers(self) -> tuple[str, ...]:
        found = {g.tier for g in self.groups if g.tier} | {r.tier for r in self.roles if r.tier}
        return tuple(sorted(found))

    def tier_roles(self, tier: str) -> tuple[Role, ...]:
        return self._tier_roles.get(tier, ())

    @cached_property
    def _tier_roles(self) -> dict[str, tuple[Role, ...]]:
        found: dict[str, list[Role]] = {}
        for role in self.roles:
            if role.tier is not None:
                found.setdefault(role.tier, []).append(role)
        return {tier: tuple(roles) for tier, roles in found.items()}

    def members(self, tier: str) -> tuple[User, ...]:
        return self._members.get(tier, ())

    def member_names(self, tier: str) -> frozenset[str]:
        return self._member_names.get(tier, frozenset())

    @cached_property
    def _member_names(self) -> dict[str, frozenset[str]]:
        return {tier: frozenset(u.name for u in users) for tier, users in self._members.items()}

    @cached_property
    def _members(self) -> dict[str, tuple[User, ...]]:
        """tier -> the users in one of its groups, in the module's order."""
        tiers: dict[str, set[str]] = {}
        for group in self.groups:
            if group.tier is not None:
                tiers.setdefault(group.key, set()).add(group.tier)
        found: dict[str, list[User]] = {}
        for user in self.users:
            for tier in sorted({t for key in set(user.groups) for t in tiers.get(key, ())}):
                found.setdefault(tier, []).append(user)
        return {tier: tuple(users) for tier, users in found.items()}

    def tiers_of(self, user: User) -> tuple[str, ...]:
        found = self._tiers_of.get(user.groups)
        if found is None:
            tiers = {self.group(key).tier for key in user.groups}
            found = self._tiers_of[user.groups] = tuple(sorted(t for t in tiers if t))
        return found

    @cached_property
    def _tiers_of(self) -> dict[tuple[str, ...], tuple[str, ...]]:
        """A user's tiers by their groups (users with the same groups share them)."""
        return {}

    def identity_policies(self, user: User) -> tuple[Attached, ...]:
        """Everything attached to the user: directly and through the module's groups."""
        found = list(user.policies)
        for key in user.groups:
            found.extend(self.group(key).policies)
        return tuple(found)
