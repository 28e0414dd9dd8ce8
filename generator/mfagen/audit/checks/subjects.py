"""Who the audit asks about, and with which policies.

Users with the same groups, direct policies and tags are one class: unless one of their
policies names a particular user, AWS decides the same for each of them, so the audit
evaluates one representative and reports for all. A group's copy of its tier's own grants
(`console: true`) is a tier grant: the invariants about what mfagen itself grants leave it out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mfagen.audit.checks import probes
from mfagen.audit.checks.probes import FOREIGN_ACCOUNT, MFA_PRESENT, Actor
from mfagen.audit.model import Attached, Group, Module, User
from mfagen.audit.policy.evaluate import Policy

SPECIFIC_USER = re.compile(r":user/(?!\$\{aws:username\}$|\*$)")
"""A resource pattern that names a particular user (not one's own user, not every user)."""
_USER_KEYS = {"aws:username", "aws:userid", "aws:principalarn"}
_TAG_KEY = re.compile(r"\$\{\s*aws:principaltag/([^},\s]+)", re.IGNORECASE)


def actor(user: User, module: Module) -> Actor:
    return Actor(user.name, user.arn, module.identity_account, "user", user.tags)


def outsiders(module: Module) -> tuple[Actor, ...]:
    """Principals that are no tier's member: a plain user of the identity account, a role
    session there carrying every tier tag, and a user of a foreign account with every tag."""
    identity = module.identity_account
    tags = tuple(sorted({tag for user in module.users for tag in user.tags}))
    foreign = FOREIGN_ACCOUNT if identity != FOREIGN_ACCOUNT else "888888888888"
    name = module.users[0].name if module.users else "mfagen-audit-user"
    return (
        Actor(
            "mfagen-audit-outsider",
            f"arn:aws:iam::{identity}:user/mfagen-audit-outsider",
            identity,
            "user",
        ),
        Actor(
            "mfagen-audit-role",
            f"arn:aws:iam::{identity}:role/mfagen-audit-role",
            identity,
            "role",
            tags,
        ),
        Actor(name, f"arn:aws:iam::{foreign}:user/{name}", foreign, "user", tags),
    )


STAND_IN = "mfagen-audit-member"


def stand_in(user: User, module: Module, read: frozenset[str]) -> Actor:
    """An invented user with `user`'s path and the tags policies `read`: any member of a
    class, as their identity policies see them."""
    name = STAND_IN
    arn = f"arn:aws:iam::{module.identity_account}:user{user.path}{name}"
    tags = tuple((k, v) for k, v in user.tags if k.lower() in read)
    return Actor(name, arn, module.identity_account, "user", tags)


def tags_read(policies: Iterable[Policy]) -> frozenset[str]:
    """The principal tag keys (lower case) that policies test or use as variables."""
    found: set[str] = set()
    for policy in policies:
        for statement in policy.statements:
            texts = [
                *(p for ps in (statement.resources, statement.not_resources) if ps
                  for p in ps.patterns),
                *(v for c in statement.conditions for v in c.values),
                *(f"${{{c.lookup}}}" for c in statement.conditions),
            ]  # fmt: skip
            found.update(m.lower() for t in texts for m in _TAG_KEY.findall(t))
    return frozenset(found)


def role_targets(module: Module) -> list[str]:
    roles = [(r.account, f"{r.path}{r.name}", r.arn) for r in module.roles]
    return probes.role_targets(roles, [account for _, account in module.accounts])


def other_user(module: Module) -> str:
    return f"arn:aws:iam::{module.identity_account}:user/mfagen-audit-other-user"


def singled_out(policy: Policy) -> tuple[frozenset[str], ...] | None:
    """The sets of users (names in lower case) a policy may treat unlike any other user, one
    per condition that names them, or None when it may single out anyone. Users in the same
    sets get the same answers; users in none get the same answers as an invented one.

    A condition comparing aws:username with fixed names (the enrolment gate's StringNotEquals,
    where mfagen cannot tag users) singles out exactly those names; a user ARN in a resource or
    condition, any other test of who the user is, singles out anyone.
    """
    found: list[frozenset[str]] = []
    for statement in policy.statements:
        for patterns in (statement.resources, statement.not_resources):
            if patterns and any(SPECIFIC_USER.search(p) for p in patterns.patterns):
                return None
        for condition in statement.conditions:
            if condition.lookup == "aws:username" and condition.compares_exactly():
                found.append(frozenset(value.lower() for value in condition.values))
            elif condition.lookup in _USER_KEYS or any(":user/" in v for v in condition.values):
                return None
    return tuple(found)


@dataclass(frozen=True)
class UserClass:
    members: tuple[User, ...]
    policies: tuple[Attached, ...]
    scaffolding: tuple[Attached, ...]
    """Everything but tier grants: what mfagen grants every member of these groups."""
    specific: bool
    """Whether a policy names the members: they are then asked as themselves (their first
    member), not through a stand-in."""

    @property
    def representative(self) -> User:
        return self.members[0]


def classes(module: Module) -> tuple[UserClass, ...]:
    """Users grouped by (groups, direct policies, tags, path, declared enrolment window).

    Users whom conditions name (by aws:username) are grouped further by the conditions that
    name them; users in a policy that may single out anyone are each a class of their own.
    So the number of classes grows with the combinations of groups and tags, not with the
    users: a thousand open enrolment windows make one class more, not a thousand.
    """
    buckets: dict[tuple[Any, ...], list[User]] = defaultdict(list)
    for user in module.users:
        direct = tuple(id(a.policy) for a in user.policies)
        declared = user.name in module.enrolment_open
        key = (tuple(sorted(user.groups)), direct, user.tags, user.path, declared)
        buckets[key].append(user)
    grants = tier_grants(module)
    found: list[UserClass] = []
    named: dict[int, tuple[frozenset[str], ...] | None] = {}  # by policy: classes share most
    for users in buckets.values():
        policies = module.identity_policies(users[0])
        scaffolding = tuple(a for a in policies if id(a) not in grants)
        conditions: list[frozenset[str]] | None = []
        for attached in policies:
            if id(attached.policy) not in named:
                named[id(attached.policy)] = singled_out(attached.policy)
            single = named[id(attached.policy)]
            conditions = None if single is None or conditions is None else [*conditions, *single]
        if conditions is None or any(STAND_IN in names for names in conditions):
            found.extend(UserClass((user,), policies, scaffolding, specific=True) for user in users)
            continue
        by_naming: dict[tuple[int, ...], list[User]] = defaultdict(list)
        for user in users:
            name = user.name.lower()
            by_naming[tuple(n for n, names in enumerate(conditions) if name in names)].append(user)
        found.extend(
            UserClass(tuple(alike), policies, scaffolding, specific=bool(naming))
            for naming, alike in by_naming.items()
        )
    return tuple(found)


def tier_grants(module: Module) -> set[int]:
    """ids of the Attached entries that copy a tier's role grants onto the tier's group."""
    found: set[int] = set()
    for group in module.groups:
        if group.tier:
            found.update(id(a) for a in group.policies if _is_tier_grant(module, group, a))
    return found


def group_scaffolding(module: Module, group: Group) -> tuple[Attached, ...]:
    grants = tier_grants(module)
    return tuple(a for a in group.policies if id(a) not in grants)


def _is_tier_grant(module: Module, group: Group, attached: Attached) -> bool:
    roles = module.tier_roles(group.tier or "")
    role_policies = [a for role in roles for a in role.policies]
    if attached.kind == "managed":
        return any(a.kind == "managed" and a.name == attached.name for a in role_policies)
    if attached.kind != "inline" or not isinstance(attached.document, dict):
        return False
    originals = [
        statement
        for a in role_policies
        if a.kind == "inline" and isinstance(a.document, dict)
        for statement in _statements(a.document)
    ]
    copies = _statements(attached.document)
    return bool(copies) and all(_without_mfa(s) in originals for s in copies)


def _statements(document: dict[str, Any]) -> list[Any]:
    raw = document.get("Statement")
    return raw if isinstance(raw, list) else [raw]


def _without_mfa(statement: Any) -> Any:
    """A console copy of a tier statement: an Allow with the MFA test added, else as is."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return statement
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or not isinstance(condition.get("Bool"), dict):
        return {"__not_a_copy__": statement}
    tests = {k: v for k, v in condition["Bool"].items() if k.lower() != MFA_PRESENT}
    if len(tests) == len(condition["Bool"]) or condition["Bool"].get(
        next(k for k in condition["Bool"] if k.lower() == MFA_PRESENT)
    ) not in ("true", True):
        return {"__not_a_copy__": statement}
    rest = {k: v for k, v in condition.items() if k != "Bool"}
    if tests:
        rest["Bool"] = tests
    copy = {k: v for k, v in statement.items() if k != "Condition"}
    if rest:
        copy["Condition"] = rest
    return copy
