"""The plan's data: every provider, role, group, policy, user and module with its final name,
ARN and Terraform address. Plain frozen data; templates lay it out and decide nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar, Literal, NamedTuple

from mfagen import naming, policies
from mfagen.layout import ENROLMENT_OUTPUT, MACHINE_USERS_OUTPUT
from mfagen.models import BackendValue, Config
from mfagen.naming import Address
from mfagen.plan.profiles import ProfileFile, profile_files
from mfagen.rules import Finding

SELF_SERVICE_GROUP_KEY = "self_service"
SELF_SERVICE_KEY = "manage_mfa"
"""The Terraform name of ManageMFAPolicy (whatever naming.policy calls it in IAM)."""


class PlanError(Exception):
    """The configuration is valid on its own but breaks an IAM quota once laid out."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(findings[0].message)


@dataclass(frozen=True)
class Provider:
    alias: str
    account_id: str
    region: str
    assume_role_arn: str | None
    machine_users: tuple[str, ...] = ()
    """IAM users of the account kept outside mfagen, sorted (output `machine_users`)."""

    @property
    def role_arn_prefix(self) -> str:
        """The ARN of the account's roles, less their path and name: what the provider assumes
        instead of `assume_role_arn` when the module's `assume_role_name` variable is set."""
        return f"arn:aws:iam::{self.account_id}:role/"


@dataclass(frozen=True)
class Role:
    key: str
    account: str
    tier: str
    name: str
    path: str
    arn: str
    description: str
    max_session_duration: int
    trust_mode: Literal["arns", "tag"]
    trust: policies.Document
    managed_policy_arns: tuple[str, ...]
    inline_policy: policies.Document | None
    inline_policy_name: ClassVar[str] = "TierStatements"

    @property
    def address(self) -> Address:
        return Address("aws_iam_role", self.key)

    @property
    def attachments(self) -> Address:
        """The managed policies' attachments, one instance per policy ARN."""
        return Address("aws_iam_role_policy_attachment", self.key)

    @property
    def inline_address(self) -> Address:
        return Address("aws_iam_role_policy", self.key)


@dataclass(frozen=True)
class Group:
    key: str
    tier: str | None
    name: str
    path: str
    arn: str
    assume_policy: policies.Document | None
    console_policy: policies.Document | None
    managed_policy_arns: tuple[str, ...]
    assume_policy_name: ClassVar[str] = "AllowAssumeTierRoles"
    console_policy_name: ClassVar[str] = "TierStatementsWithMFA"

    @property
    def address(self) -> Address:
        return Address("aws_iam_group", self.key)

    @property
    def self_service_attachment(self) -> Address:
        return Address("aws_iam_group_policy_attachment", f"{self.key}__{SELF_SERVICE_KEY}")

    @property
    def console_attachments(self) -> Address:
        """The tier's managed policies on the group (console: true), one per policy ARN."""
        return Address("aws_iam_group_policy_attachment", f"{self.key}__console")

    @property
    def assume_address(self) -> Address:
        return Address("aws_iam_group_policy", f"{self.key}__assume")

    @property
    def console_address(self) -> Address:
        return Address("aws_iam_group_policy", f"{self.key}__console")


@dataclass(frozen=True)
class SelfService:
    description: ClassVar[str] = (
        "Lets users manage their own MFA devices and keys; denies the rest without MFA"
    )
    enrolment_output: ClassVar[str] = ENROLMENT_OUTPUT
    key: str
    name: str
    path: str
    arn: str
    document: policies.Document
    by_path: bool
    """Whether the policy names mfagen's path (its roles per account, its groups), not each one."""
    enrolment_open: tuple[str, ...]
    """The users whose enrolment window is open, sorted: the enrolment gate exempts them, and
    the module declares them (output `enrolment_open`) for the audit and the plan's reader."""
    gate: policies.EnrolmentGate
    """How the enrolment gate tells the open users: by their tag, or by name."""

    @property
    def address(self) -> Address:
        return Address("aws_iam_policy", self.key)

    @property
    def gate_tag(self) -> policies.OpenByTag | None:
        """The tag that opens a window, when the gate reads one (None: it names the users)."""
        return self.gate if isinstance(self.gate, policies.OpenByTag) else None


@dataclass(frozen=True)
class User:
    name: str
    address: str
    """The Terraform name of the user's resources (naming.user_address)."""
    arn: str
    groups: tuple[str, ...]
    """Keys of the groups the user belongs to (tier groups, or the self-service group)."""
    tags: tuple[tuple[str, str], ...]

    @property
    def iam_user(self) -> Address:
        return Address("aws_iam_user", self.address)

    @property
    def membership(self) -> Address:
        return Address("aws_iam_user_group_membership", self.address)


@dataclass(frozen=True)
class Module:
    """One Terraform root module: its folder below terraform/, providers and backend."""

    machine_users_output: ClassVar[str] = MACHINE_USERS_OUTPUT
    folder: str
    """"" for the single layout; the account's name with layout per-account."""
    providers: tuple[Provider, ...]
    holds_identity: bool
    """Whether the identity account's groups, users and self-service policy live here."""
    backend_type: str | None
    backend: tuple[tuple[str, BackendValue], ...]

    @property
    def machine_users(self) -> tuple[str, ...]:
        """`<account>/<user>` of its accounts' machine users (output `machine_users`)."""
        return tuple(f"{p.alias}/{name}" for p in self.providers for name in p.machine_users)

    @property
    def assume_role_variable(self) -> str | None:
        """The variable that makes the providers assume another role than their
        terraform_role (a read-only one, to plan a pull request); None when none assumes one."""
        assumes = any(provider.assume_role_arn for provider in self.providers)
        return naming.ASSUME_ROLE_VARIABLE if assumes else None


class Move(NamedTuple):
    """A Terraform `moved` block: from the `old` address to the `new` one."""

    old: str
    new: str


@dataclass(frozen=True)
class Plan:
    organization: str
    single_account: bool
    create_users: bool
    moves: tuple[Move, ...]
    """moved.tf: each user from their earlier for_each address to their own blocks (none
    without defaults.moved_blocks)."""
    identity: Provider
    providers: tuple[Provider, ...]
    self_service: SelfService
    groups: tuple[Group, ...]
    roles: tuple[Role, ...]
    users: tuple[User, ...]
    modules: tuple[Module, ...]
    config: Config = field(repr=False, compare=False)
    """What the profiles are laid out from."""

    @cached_property
    def profiles(self) -> tuple[ProfileFile, ...]:
        """Every user's profile file, laid out when first asked for: only `render` needs them
        all; `validate` needs none and `profile` one (`profile_of`)."""
        return self.profiles_of(self.profile_users)

    @property
    def profile_users(self) -> tuple[str, ...]:
        """The users with a profile file (all of them), in the order of `profiles`."""
        return tuple(sorted(self.config.users))

    def profiles_of(self, users: Iterable[str]) -> tuple[ProfileFile, ...]:
        """The profile files of these users, in this order."""
        return profile_files(self.config, self.identity, self.roles, users)

    def group(self, key: str) -> Group:
        """The group whose key is `key` (a user's `groups`)."""
        return self._groups_by_key[key]

    @cached_property
    def _groups_by_key(self) -> dict[str, Group]:
        return {group.key: group for group in self.groups}

    def roles_in(self, account: str) -> tuple[Role, ...]:
        return tuple(role for role in self.roles if role.account == account)

    def profile_of(self, user: str) -> ProfileFile | None:
        return self.profiles_of([user])[0] if user in self.config.users else None


def group_key(tier: str) -> str:
    return f"tier_{tier}"
