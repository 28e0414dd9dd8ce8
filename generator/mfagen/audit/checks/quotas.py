"""IAM's quotas and naming rules, checked on what the module creates.

Defaults are IAM's documented quotas; accounts whose quotas were raised pass their own
limits (`mfagen audit --trust-policy-chars 4096 ...`). Sizes count characters without
whitespace, as IAM does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

from mfagen import iam
from mfagen.audit.checks.report import Evidence, Finding
from mfagen.audit.model import Attached, Location, Module


@dataclass(frozen=True)
class Limits:
    """IAM's quotas by default; an account whose quotas were raised passes its own."""

    trust_policy_chars: int = iam.TRUST_POLICY_CHARS
    group_inline_chars: int = iam.GROUP_INLINE_CHARS
    role_inline_chars: int = iam.ROLE_INLINE_CHARS
    user_inline_chars: int = iam.USER_INLINE_CHARS
    managed_policy_chars: int = iam.MANAGED_POLICY_CHARS
    managed_policies_per_role: int = iam.MANAGED_POLICIES_PER_ROLE
    managed_policies_per_group: int = iam.MANAGED_POLICIES_PER_GROUP
    managed_policies_per_user: int = iam.MANAGED_POLICIES_PER_USER
    groups_per_user: int = iam.GROUPS_PER_USER
    groups_per_account: int = iam.GROUPS_PER_ACCOUNT
    roles_per_account: int = iam.ROLES_PER_ACCOUNT
    users_per_account: int = iam.USERS_PER_ACCOUNT

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def check(module: Module, limits: Limits) -> Iterator[Finding]:
    for role in module.roles:
        if role.trust_size > limits.trust_policy_chars:
            yield _over(
                role.where,
                f"the trust policy of {role.arn}",
                role.trust_size,
                limits.trust_policy_chars,
                "--trust-policy-chars",
            )
        yield from _attached(
            role.where,
            f"role {role.arn}",
            role.policies,
            limits=(limits.role_inline_chars, limits.managed_policies_per_role),
            kind="role",
        )
        yield from _name(role.where, "role", role.name, iam.MAX_ROLE_NAME, role.path)
        duration = role.max_session_duration
        if duration is not None and not iam.MIN_SESSION <= duration <= iam.MAX_SESSION:
            yield _at(
                role.where,
                f"{role.arn}: max_session_duration {duration} is outside "
                f"{iam.MIN_SESSION}..{iam.MAX_SESSION} seconds",
            )
    for group in module.groups:
        yield from _attached(
            group.where,
            f"group {group.name}",
            group.policies,
            limits=(limits.group_inline_chars, limits.managed_policies_per_group),
            kind="group",
        )
        yield from _name(group.where, "group", group.name, iam.MAX_GROUP_NAME, group.path)
    for user in module.users:
        if len(user.groups) > limits.groups_per_user:
            yield _at(
                user.where,
                f"user {user.name} is in {len(user.groups)} groups, more than "
                f"IAM's {limits.groups_per_user} (--groups-per-user)",
            )
        yield from _attached(
            user.where,
            f"user {user.name}",
            user.policies,
            limits=(limits.user_inline_chars, limits.managed_policies_per_user),
            kind="user",
        )
        yield from _name(user.where, "user", user.name, iam.MAX_USER_NAME, user.path)
    for policy in module.policies:
        if policy.size > limits.managed_policy_chars:
            yield _over(
                policy.where,
                f"managed policy {policy.name}",
                policy.size,
                limits.managed_policy_chars,
                "--managed-policy-chars",
            )
        yield from _name(policy.where, "policy", policy.name, iam.MAX_POLICY_NAME, policy.path)
    yield from _counts(module, limits)
    yield from _unique(module)


def _attached(
    where: Location,
    what: str,
    attached: Sequence[Attached],
    *,
    limits: tuple[int, int],
    kind: str,
) -> Iterator[Finding]:
    """Aggregate inline size and managed policy count, against (inline chars, managed count)."""
    inline_limit, managed_limit = limits
    inline = [a for a in attached if a.kind == "inline"]
    size = sum(a.size for a in inline)
    if size > inline_limit:
        yield _over(
            where, f"the inline policies of {what}", size, inline_limit, f"--{kind}-inline-chars"
        )
    managed = {a.name for a in attached if a.kind != "inline"}
    if len(managed) > managed_limit:
        yield _at(
            where,
            f"{what} has {len(managed)} managed policies attached, more than "
            f"IAM's {managed_limit} (--managed-policies-per-{kind})",
        )
    for policy in inline:
        yield from _name(policy.where, "inline policy", policy.name, iam.MAX_POLICY_NAME, "/")


def _name(where: Location, kind: str, name: str, longest: int, path: str) -> Iterator[Finding]:
    if not 1 <= len(name) <= longest or not iam.NAME.fullmatch(name):
        yield _at(
            where, f"{kind} name {name!r} is not 1-{longest} characters of {iam.NAME_CHARACTERS}"
        )
    if len(path) > iam.MAX_PATH or not iam.PATH.fullmatch(path):
        yield _at(
            where, f"{kind} path {path!r} is not a valid IAM path (/.../, at most {iam.MAX_PATH})"
        )


def _counts(module: Module, limits: Limits) -> Iterator[Finding]:
    for account, count, limit, what in (
        (module.identity_account, len(module.groups), limits.groups_per_account, "groups"),
        (module.identity_account, len(module.users), limits.users_per_account, "users"),
        *(
            (
                account,
                sum(r.account == account for r in module.roles),
                limits.roles_per_account,
                "roles",
            )
            for _, account in module.accounts
        ),
    ):
        if count > limit:
            yield Finding(
                "quota", f"account {account} would hold {count} {what}, more than {limit}"
            )


def _unique(module: Module) -> Iterator[Finding]:
    seen: dict[tuple[str, str, str], Location] = {}
    entries = [(("role", r.account, r.name.lower()), r.where) for r in module.roles]
    entries += [
        (("group", module.identity_account, g.name.lower()), g.where) for g in module.groups
    ]
    entries += [(("user", module.identity_account, u.name.lower()), u.where) for u in module.users]
    entries += [
        (("policy", module.identity_account, p.name.lower()), p.where) for p in module.policies
    ]
    for key, where in entries:
        if key in seen:
            yield _at(
                where,
                f"{key[0]} name {key[2]!r} is used twice in account {key[1]} "
                "(IAM names ignore case)",
            )
        seen.setdefault(key, where)


def _over(where: Location, what: str, size: int, limit: int, option: str) -> Finding:
    return _at(
        where,
        f"{what} has {size} characters, more than IAM's {limit} ({option} if the "
        "account's quota was raised)",
    )


def _at(where: Location, message: str) -> Finding:
    return Finding("quota", message, (), (Evidence("at", where.ref(where.address)),))
