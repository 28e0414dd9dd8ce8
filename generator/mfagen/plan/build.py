"""Lay out a validated Config as a Plan: roles, groups, the self-service policy, users and
modules, each in its own step; IAM's quotas are checked as they are laid out (quotas.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from mfagen import naming, policies
from mfagen.iam import (
    GROUP_INLINE_CHARS,
    MANAGED_POLICY_CHARS,
    ROLE_INLINE_CHARS,
    TRUST_POLICY_CHARS,
)
from mfagen.models import PRESETS, BackendValue, Config
from mfagen.naming import Address
from mfagen.plan.model import (
    SELF_SERVICE_GROUP_KEY,
    SELF_SERVICE_KEY,
    Group,
    Module,
    Move,
    Plan,
    PlanError,
    Provider,
    Role,
    SelfService,
    User,
    group_key,
)
from mfagen.plan.profiles import account_region
from mfagen.plan.quotas import self_service_findings, tag_needs_users, too_long
from mfagen.rules import Finding


def build(config: Config) -> Plan:
    """Lay out everything mfagen creates; raise PlanError when an IAM quota is exceeded."""
    findings: list[Finding] = []
    identity_name = naming.identity_name(config)
    identity_id = config.accounts[identity_name].id
    providers = tuple(
        Provider(
            name,
            account.id,
            account_region(config, name),
            account.terraform_role,
            tuple(sorted(account.machine_users)),
        )
        for name, account in config.accounts.items()
    )
    members = _members(config)
    roles, tag_tiers = _roles(config, identity_id, members, findings)
    groups = _groups(config, identity_id, roles, findings)
    self_service = _self_service(config, identity_id, groups, roles)
    findings += self_service_findings(config, self_service, len(roles))
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
                    findings.append(tag_needs_users(tier_name, len(member_arns)))
        inline = policies.custom(tier.statements, require_mfa=False) if tier.statements else None
        if inline and policies.minified_length(inline) > ROLE_INLINE_CHARS:
            findings.append(
                too_long(
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
                too_long(("tiers", tier_name), "group's inline policies", GROUP_INLINE_CHARS)
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


def _moves(users: Iterable[User], *, create_users: bool) -> tuple[Move, ...]:
    """mfagen 0.1 wrote all users as instances of one for_each resource per kind, `user`,
    keyed by name."""
    return tuple(
        Move(Address(new.type, "user").at(user.name), str(new))
        for user in users
        for new in ([user.iam_user] if create_users else []) + [user.membership]
    )
