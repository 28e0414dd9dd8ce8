"""The plan: every provider, role, group, policy, user and profile with its final name and ARN.

Built once from a validated Config; plain frozen data from then on. Templates lay the plan out
and never decide anything themselves.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar, Literal, NamedTuple

from mfagen import naming, policies
from mfagen.iam import (
    GROUP_INLINE_CHARS,
    MANAGED_POLICY_CHARS,
    ROLE_INLINE_CHARS,
    TRUST_POLICY_CHARS,
)
from mfagen.layout import ENROLMENT_OUTPUT, MACHINE_USERS_OUTPUT
from mfagen.models import PRESETS, BackendValue, Config
from mfagen.naming import Address
from mfagen.rules import Finding


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


class Profile(NamedTuple):
    """One `[profile ...]` section. A named tuple, not a dataclass: a plan holds one per user
    and role they may assume, tens of thousands at scale, and a tuple is cheaper to build."""

    name: str
    region: str
    mfa_serial: str | None
    role_arn: str | None = None
    source_profile: str | None = None
    role_session_name: str | None = None
    credential_process: str | None = None
    """Companion profiles (`<profile>-tf`) for tools that cannot ask for an MFA code."""


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


@dataclass(frozen=True)
class ProfileFile:
    user: str
    organization: str
    profiles: tuple[Profile, ...]
    """The source profile first, then one role profile per (tier, account), by name."""


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
        return _profile_files(self.config, self.identity, self.roles, users)

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


SELF_SERVICE_GROUP_KEY = "self_service"
SELF_SERVICE_KEY = "manage_mfa"
"""The Terraform name of ManageMFAPolicy (whatever naming.policy calls it in IAM)."""


def group_key(tier: str) -> str:
    return f"tier_{tier}"


def _moves(users: Iterable[User], *, create_users: bool) -> tuple[Move, ...]:
    """mfagen 0.1 wrote all users as instances of one for_each resource per kind, `user`,
    keyed by name."""
    return tuple(
        Move(Address(new.type, "user").at(user.name), str(new))
        for user in users
        for new in ([user.iam_user] if create_users else []) + [user.membership]
    )


def build(config: Config) -> Plan:
    """Lay out everything mfagen creates; raise PlanError when an IAM quota is exceeded."""
    findings: list[Finding] = []
    identity_name = naming.identity_name(config)
    identity_id = config.accounts[identity_name].id
    providers = tuple(
        Provider(
            name,
            account.id,
            _region(config, name),
            account.terraform_role,
            tuple(sorted(set(account.machine_users))),
        )
        for name, account in config.accounts.items()
    )
    members = _members(config)
    roles, tag_tiers = _roles(config, identity_id, members, findings)
    groups = _groups(config, identity_id, roles, findings)
    self_service = _self_service(config, identity_id, groups, roles)
    findings += _self_service_findings(config, self_service, len(roles))
    users = _users(config, identity_id, tag_tiers, self_service.gate)
    if findings:
        raise PlanError(findings)
    identity = next(p for p in providers if p.alias == identity_name)
    return Plan(
        organization=config.organization,
        single_account=naming.single_account(config),
        create_users=config.defaults.create_users,
        moves=_moves(users, create_users=config.defaults.create_users)
        if config.defaults.moved_blocks
        else (),
        identity=identity,
        providers=providers,
        self_service=self_service,
        groups=groups,
        roles=roles,
        users=users,
        modules=_modules(config, providers, identity),
        config=config,
    )


def _roles(
    config: Config, identity_id: str, members: dict[str, list[str]], findings: list[Finding]
) -> tuple[tuple[Role, ...], frozenset[str]]:
    """Each tier's role in each of its accounts, and the tiers whose trust admits members by
    tag (too many to list by ARN)."""
    path = config.defaults.path
    roles: list[Role] = []
    tag_tiers: set[str] = set()
    for tier_name, tier in config.tiers.items():
        max_age = tier.mfa_max_age or config.defaults.mfa_max_age
        member_arns = [_user_arn(identity_id, user) for user in members[tier_name]]
        trust = policies.trust_by_arns(identity_id, member_arns, max_age)
        mode: Literal["arns", "tag"] = "arns"
        if not member_arns or policies.minified_length(trust) > TRUST_POLICY_CHARS:
            mode = "tag"
            trust = policies.trust_by_tag(identity_id, naming.tag_key(tier_name), max_age)
            if member_arns:
                tag_tiers.add(tier_name)
                if not config.defaults.create_users:
                    findings.append(_tag_needs_users(tier_name, len(member_arns)))
        inline = policies.custom(tier.statements, require_mfa=False) if tier.statements else None
        if inline and policies.minified_length(inline) > ROLE_INLINE_CHARS:
            findings.append(
                _too_long(
                    ("tiers", tier_name, "statements"), "role inline policy", ROLE_INLINE_CHARS
                )
            )
        name = naming.role_name(config, tier_name)
        for account in naming.tier_accounts(config, tier_name):
            roles.append(
                Role(
                    key=naming.resource_name(account, tier_name),
                    account=account,
                    tier=tier_name,
                    name=name,
                    path=path,
                    arn=f"arn:aws:iam::{config.accounts[account].id}:role{path}{name}",
                    description=tier.description or f"mfagen tier {tier_name}: assumable with MFA",
                    max_session_duration=tier.session_duration or config.defaults.session_duration,
                    trust_mode=mode,
                    trust=trust,
                    managed_policy_arns=_tier_policy_arns(config, tier_name),
                    inline_policy=inline,
                )
            )
    return tuple(roles), frozenset(tag_tiers)


def _groups(
    config: Config, identity_id: str, roles: tuple[Role, ...], findings: list[Finding]
) -> tuple[Group, ...]:
    """One group per tier, allowed to assume exactly its roles (and, with `console`, to use
    its rights with MFA), and the self-service group of users in no tier."""
    path = config.defaults.path
    groups: list[Group] = []
    for tier_name, tier in config.tiers.items():
        name = naming.group_name(config, tier_name)
        assume = policies.assume_roles(r.arn for r in roles if r.tier == tier_name)
        console = (
            policies.custom(tier.statements, require_mfa=True)
            if tier.console and tier.statements
            else None
        )
        size = policies.minified_length(assume) + (
            policies.minified_length(console) if console else 0
        )
        if size > GROUP_INLINE_CHARS:
            findings.append(
                _too_long(("tiers", tier_name), "group's inline policies", GROUP_INLINE_CHARS)
            )
        groups.append(
            Group(
                key=group_key(tier_name),
                tier=tier_name,
                name=name,
                path=path,
                arn=f"arn:aws:iam::{identity_id}:group{path}{name}",
                assume_policy=assume,
                console_policy=console,
                managed_policy_arns=_tier_policy_arns(config, tier_name) if tier.console else (),
            )
        )
    if any(not user.tiers for user in config.users.values()):
        name = config.naming.self_service_group
        groups.append(
            Group(
                key=SELF_SERVICE_GROUP_KEY,
                tier=None,
                name=name,
                path=path,
                arn=f"arn:aws:iam::{identity_id}:group{path}{name}",
                assume_policy=None,
                console_policy=None,
                managed_policy_arns=(),
            )
        )
    return tuple(groups)


def _users(
    config: Config, identity_id: str, tag_tiers: frozenset[str], gate: policies.EnrolmentGate
) -> tuple[User, ...]:
    """Every user, by name: their groups, and the tags the trusts and the enrolment gate read."""
    opened = ((gate.key, gate.value),) if isinstance(gate, policies.OpenByTag) else ()
    return tuple(
        User(
            name=name,
            address=naming.user_address(name),
            arn=_user_arn(identity_id, name),
            groups=tuple(group_key(t) for t in user.tiers) or (SELF_SERVICE_GROUP_KEY,),
            tags=(
                *((naming.tag_key(t), "true") for t in user.tiers if t in tag_tiers),
                *(opened if user.enrolment_open else ()),
            ),
        )
        for name, user in sorted(config.users.items())
    )


def _user_arn(identity_id: str, name: str) -> str:
    return f"arn:aws:iam::{identity_id}:user/{name}"


def _tier_policy_arns(config: Config, tier_name: str) -> tuple[str, ...]:
    """The AWS managed policies of a tier: its preset's, then its own."""
    tier = config.tiers[tier_name]
    return tuple(([PRESETS[tier.preset]] if tier.preset else []) + tier.managed_policies)


def _members(config: Config) -> dict[str, list[str]]:
    """Each tier's users, in the config's order, in one pass over the users (not one pass
    per tier)."""
    members: dict[str, list[str]] = {tier: [] for tier in config.tiers}
    for name, user in config.users.items():
        for tier in dict.fromkeys(user.tiers):
            if tier in members:  # rules.py refuses other names before a plan is built
                members[tier].append(name)
    return members


def _modules(
    config: Config, providers: tuple[Provider, ...], identity: Provider
) -> tuple[Module, ...]:
    backend = config.terraform.backend
    kind = backend.type if backend else None

    def settings(account: str) -> tuple[tuple[str, BackendValue], ...]:
        items = backend.config.items() if backend else ()
        return tuple(
            (key, value.replace("{account}", account) if isinstance(value, str) else value)
            for key, value in items
        )

    if config.terraform.layout == "single":
        return (
            Module("", providers, holds_identity=True, backend_type=kind, backend=settings("")),
        )
    return tuple(
        Module(
            p.alias,
            (p,),
            holds_identity=p is identity,
            backend_type=kind,
            backend=settings(p.alias),
        )
        for p in providers
    )


def _self_service(
    config: Config, identity_id: str, groups: tuple[Group, ...], roles: tuple[Role, ...]
) -> SelfService:
    """ManageMFAPolicy. Without MFA, sts:AssumeRole stays open on exactly mfagen's role ARNs,
    and the groups nobody may change are named one by one; when that does not fit the policy
    quota, both are named by mfagen's path (its roles in each of its accounts, its groups).

    The enrolment gate exempts users by tag where mfagen creates the users, so any number of
    windows may be open at once; by name where it does not (it cannot tag them)."""
    path = config.defaults.path
    policy_arn = f"arn:aws:iam::{identity_id}:policy{path}{config.naming.policy}"
    enrolment_open = tuple(sorted(n for n, u in config.users.items() if u.enrolment_open))
    gate: policies.EnrolmentGate = (
        policies.OpenByTag(naming.ENROLMENT_TAG, naming.ENROLMENT_OPEN)
        if config.defaults.create_users
        else policies.OpenByName(enrolment_open)
    )

    def document(
        role_patterns: list[str], group_patterns: list[str], gate: policies.EnrolmentGate
    ) -> policies.Document:
        return policies.self_service(
            identity_id,
            enforce_mfa=config.defaults.enforce_mfa,
            group_arns=group_patterns,
            policy_arn=policy_arn,
            role_patterns=role_patterns,
            gate=gate,
        )

    # Whether names give way to the path is decided without naming open windows: a bulk
    # onboarding must not change the policy's shape (and its quota finding names the windows).
    roles_named, groups_named = sorted(r.arn for r in roles), [g.arn for g in groups]
    nobody = gate if isinstance(gate, policies.OpenByTag) else policies.OpenByName(())
    by_path = policies.minified_length(document(roles_named, groups_named, nobody)) > (
        MANAGED_POLICY_CHARS
    )
    if by_path:
        accounts = {config.accounts[r.account].id for r in roles}
        roles_named = sorted(f"arn:aws:iam::{a}:role{path}*" for a in accounts)
        groups_named = [f"arn:aws:iam::{identity_id}:group{path}*"]
    chosen = document(roles_named, groups_named, gate)
    return SelfService(
        SELF_SERVICE_KEY,
        config.naming.policy,
        path,
        policy_arn,
        chosen,
        by_path,
        enrolment_open,
        gate,
    )


def _region(config: Config, account: str) -> str:
    region = config.accounts[account].region or config.defaults.region
    if region is None:  # rules.py refuses this; keep the invariant explicit
        raise AssertionError(f"account {account} has no region")
    return region


def _profile_files(
    config: Config, identity: Provider, roles: tuple[Role, ...], users: Iterable[str]
) -> tuple[ProfileFile, ...]:
    """Each user's profiles: the source profile, then one per role of their tiers, by name."""
    by_tier: dict[str, list[tuple[str, str, str]]] = {tier: [] for tier in config.tiers}
    for role in roles:
        name = naming.profile_name(config, role.account, role.tier)
        by_tier[role.tier].append((name, _region(config, role.account), role.arn))
    files = []
    for user_name in users:
        user = config.users[user_name]
        serial = f"arn:aws:iam::{identity.account_id}:mfa/{user.mfa_device or user_name}"
        source = Profile(config.organization, user.region or identity.region, serial)
        targets = sorted(target for tier in set(user.tiers) for target in by_tier[tier])
        role_profiles: list[Profile] = []
        for name, region, arn in targets:
            role_profiles.append(
                Profile(
                    name,
                    user.region or region,
                    serial,
                    role_arn=arn,
                    source_profile=config.organization,
                    role_session_name=user_name,
                )
            )
            if config.profiles.credential_process:
                role_profiles.append(_companion(name, user.region or region))
        files.append(ProfileFile(user_name, config.organization, (source, *role_profiles)))
    return tuple(files)


def _companion(profile: str, region: str) -> Profile:
    """`<profile>-tf`: the role's credentials, from the AWS CLI's MFA-unlocked cache."""
    command = f"aws configure export-credentials --profile {profile} --format process"
    return Profile(f"{profile}-tf", region, None, credential_process=command)


def _tag_needs_users(tier: str, count: int) -> Finding:
    return Finding(
        ("tiers", tier),
        f"tier {tier!r} has {count} members, too many to list in its role's trust policy "
        f"({TRUST_POLICY_CHARS} characters)",
        "mfagen then admits members by a user tag it sets, which needs defaults.create_users: true",
        of_key=True,
    )


def _self_service_findings(config: Config, self_service: SelfService, roles: int) -> list[Finding]:
    """ManageMFAPolicy's quota, and the path it needs once it names mfagen's roles by path."""
    found = []
    if self_service.by_path and config.defaults.path == "/":
        found.append(
            Finding(
                ("defaults", "path"),
                f"{roles} roles are too many to name one by one in {config.naming.policy}; "
                "mfagen then names its path in each account, and the path is /",
                "set defaults.path to a path only mfagen uses, e.g. path: /mfa/ (otherwise "
                "long-term keys without MFA could call sts:AssumeRole on any role)",
            )
        )
    size = policies.minified_length(self_service.document)
    if size > MANAGED_POLICY_CHARS and size - _gate_names(self_service) <= MANAGED_POLICY_CHARS:
        # only a gate that names the open users (create_users: false) grows with them
        found.append(_too_many_open(config, self_service, size))
    elif size > MANAGED_POLICY_CHARS:
        found.append(
            Finding(
                ("tiers",),
                f"the managed policy {config.naming.policy} would exceed IAM's "
                f"{MANAGED_POLICY_CHARS}-character quota",
                "it names every tier group and every account: use fewer tiers or accounts",
                of_key=True,
            )
        )

    return found


def _gate_names(self_service: SelfService) -> int:
    """Characters the enrolment gate spends naming the open users (0 when nobody is open, or
    when the gate reads a tag)."""
    gate = self_service.gate
    names = gate.names if isinstance(gate, policies.OpenByName) else ()
    if not names:
        return 0
    condition = {"StringNotEquals": {policies.USERNAME: list(names)}}
    return policies.minified_length(condition) - 1  # its braces, less the comma it saves


def _too_many_open(config: Config, self_service: SelfService, size: int) -> Finding:
    """The enrolment gate names every open user: too many of them at once break the quota."""
    opened = self_service.enrolment_open
    over = size - MANAGED_POLICY_CHARS
    average = sum(len(name) + 3 for name in opened) / len(opened)  # "name", in the JSON
    fit = max(0, len(opened) - math.ceil(over / average))
    return Finding(
        ("users", opened[0], "enrolment"),
        f"{len(opened)} users have their enrolment window open; {config.naming.policy} names "
        f"each of them and would be {size} characters, over IAM's {MANAGED_POLICY_CHARS}",
        f"open at most about {fit} windows at once: close the windows of users who have "
        "enrolled (remove their enrolment: open), then open the others; with "
        "defaults.create_users: true mfagen tags open users instead, and any number fit",
    )


def _too_long(loc: tuple[str, ...], what: str, limit: int) -> Finding:
    return Finding(
        loc,
        f"the {what} would exceed IAM's {limit}-character quota",
        "split the tier's statements or accounts across tiers",
    )
