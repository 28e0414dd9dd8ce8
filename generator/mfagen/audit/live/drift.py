"""Drift: where IAM differs from the output folder, entity by entity.

The expected Module (the folder's) against the live one (read/live.py) and what the accounts
hold (their states):
- a tier role, group, customer managed policy or user of the module missing from IAM;
- one that differs: a trust or policy document (compared as IAM reads them, documents.py),
  a role's session duration, a user's tags or mfagen group memberships;
- a policy on mfagen's users, groups or roles that the module does not declare, inline or
  managed, a permissions boundary, or a group outside the module with policies that one of
  mfagen's users is in;
- a member of mfagen's groups who is not one of the module's users;
- a role, group or policy at mfagen's own IAM path that the module does not declare (not when
  that path is `/`, which everyone shares).
Accounts that could not be read are not compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from mfagen.audit.live import documents
from mfagen.audit.live.findings import LiveFinding
from mfagen.audit.live.state import AccountState, Reply, tags_of
from mfagen.audit.model import Attached, CustomerPolicy, Group, Module, Role
from mfagen.audit.read.live import default_document


def drift(expected: Module, live: Module, states: Sequence[AccountState]) -> list[LiveFinding]:
    by_account = {state.account: state for state in states}
    identity = by_account.get(expected.identity_account)
    found: list[LiveFinding] = []
    live_roles = {role.arn: role for role in live.roles}
    for role in expected.roles:
        state = by_account.get(role.account)
        if state is None:
            continue
        here = _Entity(state, role.arn)
        actual = live_roles.get(role.arn)
        if actual is None:
            found.append(here.finding(f"tier {role.tier} role {role.name} is missing"))
            continue
        evidence = documents.differences(role.trust_document, actual.trust_document)
        if evidence:
            found.append(here.finding("the trust policy differs from the output", evidence))
        if actual.max_session_duration != role.max_session_duration:
            found.append(here.finding(
                f"max session duration is {actual.max_session_duration} seconds, "
                f"{role.max_session_duration} in the output"
            ))  # fmt: skip
        found += here.policies(_declared(role.policies), _declared(actual.policies))
    if identity is not None:
        found += _identity(expected, live, identity)
    entities: list[Role | Group | CustomerPolicy] = [
        *expected.roles,
        *expected.groups,
        *expected.policies,
    ]
    paths = {e.path for e in entities} - {"/"}
    declared = {e.arn for e in entities}
    for state in states:
        found += _undeclared(state, paths, declared)
    return found


class _Entity:
    """Findings about one entity of one account."""

    def __init__(self, state: AccountState, arn: str) -> None:
        self.state = state
        self.arn = arn

    def finding(self, message: str, evidence: Iterable[str] = ()) -> LiveFinding:
        return LiveFinding("drift", self.state.label, self.arn, message, tuple(evidence))

    def policies(self, expected: Attachments, actual: Attachments) -> Iterator[LiveFinding]:
        """Attached policies: undeclared, missing, an inline one whose document differs."""
        for key, document in actual.items():
            if key not in expected:
                yield self.finding(
                    f"{_named(key)} is attached, the output does not declare it",
                    _content(document),
                )
            elif key[0] == "inline":
                evidence = documents.differences(expected[key], document)
                if evidence:
                    yield self.finding(f"{_named(key)} differs from the output", evidence)
        for key in expected:
            if key not in actual:
                yield self.finding(f"{_named(key)} is missing")


Attachments = dict[tuple[str, str], Any]
"""("inline", name) or ("managed", ARN) -> the inline policy's document (None: managed)."""


def _declared(attached: Iterable[Attached]) -> Attachments:
    return {
        ("inline", a.name) if a.kind == "inline" else ("managed", a.name): (
            a.document if a.kind == "inline" else None
        )
        for a in attached
    }


def _direct(entry: Reply, inline_key: str) -> Attachments:
    """What IAM attaches to a user, group or role itself (its details' lists)."""
    found: Attachments = {
        ("inline", str(item["PolicyName"])): item.get("PolicyDocument")
        for item in entry.get(inline_key, [])
    }
    found.update({("managed", str(p["PolicyArn"])): None
                  for p in entry.get("AttachedManagedPolicies", [])})  # fmt: skip
    return found


def _named(key: tuple[str, str]) -> str:
    return f"{key[0]} policy {key[1]}"


def _content(document: Any) -> tuple[str, ...]:
    if document is None:
        return ()
    return tuple(documents.compact(s) for s in documents.statements(document))


def _identity(expected: Module, live: Module, state: AccountState) -> Iterator[LiveFinding]:
    """Groups, policies and users of the identity account."""
    live_groups = {group.key: group for group in live.groups}
    for group in expected.groups:
        here = _Entity(state, group.arn)
        actual = live_groups.get(group.key)
        if actual is None:
            yield here.finding(f"group {group.name} is missing")
            continue
        yield from here.policies(_declared(group.policies), _declared(actual.policies))
    live_policies = {policy.arn: policy for policy in live.policies}
    for policy in expected.policies:
        here = _Entity(state, policy.arn)
        held = live_policies.get(policy.arn)
        if held is None:
            yield here.finding(f"policy {policy.name} is missing")
            continue
        evidence = documents.differences(policy.document, held.document)
        if evidence:
            yield here.finding(f"policy {policy.name} differs from the output", evidence)
    yield from _users(expected, state)


def _users(expected: Module, state: AccountState) -> Iterator[LiveFinding]:
    entries = {str(u["UserName"]): u for u in state.users}
    groups = {str(g["GroupName"]): g for g in state.groups}
    ours = {group.name: group for group in expected.groups if _same(groups, group.name, group.arn)}
    names = {user.name for user in expected.users}
    for user in expected.users:
        entry = entries.get(user.name)
        here = _Entity(state, entry["Arn"] if entry else user.arn)
        if entry is None:
            yield here.finding(f"user {user.name} is missing")
            continue
        if str(entry["Arn"]) != user.arn:
            yield here.finding(f"path {entry.get('Path')}: the output declares {user.arn}")
        tags = tags_of(entry)
        if user.created and tags != user.tags:
            shown = ", ".join(f"{k}={v}" for k, v in tags) or "none"
            wanted = ", ".join(f"{k}={v}" for k, v in user.tags) or "none"
            yield here.finding(f"tags are {shown}, {wanted} in the output")
        wanted_groups = {expected.group(key).name for key in user.groups}
        member = set(entry.get("GroupList", []))
        for name in sorted(wanted_groups - member):
            yield here.finding(f"not a member of {name}, as the output declares")
        for name in sorted(member - wanted_groups):
            other = groups.get(name)
            if name in ours:
                yield here.finding(f"a member of {name}, which the output does not declare")
            elif other and (other.get("GroupPolicyList") or other.get("AttachedManagedPolicies")):
                yield here.finding(
                    f"a member of group {name}, outside the output, which attaches policies",
                    _attached(other, "GroupPolicyList"),
                )
        yield from here.policies(_declared(user.policies), _direct(entry, "UserPolicyList"))
        boundary = entry.get("PermissionsBoundary")
        if boundary:
            arn = boundary.get("PermissionsBoundaryArn")
            yield here.finding(f"permissions boundary {arn}: the output declares none")
    for name, group in sorted(ours.items()):
        for entry in state.users:
            if name in entry.get("GroupList", []) and entry["UserName"] not in names:
                yield _Entity(state, group.arn).finding(
                    f"{entry['UserName']} is a member of {name} but not a user in accounts.yaml",
                    (f"member: {entry['Arn']}",),
                )


def _same(groups: dict[str, Reply], name: str, arn: str) -> bool:
    found = groups.get(name)
    return found is not None and found["Arn"] == arn


def _attached(entry: Reply, inline_key: str) -> tuple[str, ...]:
    inline = [
        f"inline policy {item['PolicyName']}: {documents.compact(item.get('PolicyDocument'))}"
        for item in entry.get(inline_key, [])
    ]
    managed = [f"managed policy {p['PolicyArn']}" for p in entry.get("AttachedManagedPolicies", [])]
    return (*inline, *managed)


def _undeclared(state: AccountState, paths: set[str], declared: set[str]) -> Iterator[LiveFinding]:
    """Roles, groups and policies at mfagen's paths that the output does not declare."""
    if not paths:
        return
    kinds = (("role", state.roles), ("group", state.groups), ("policy", state.policies))
    for kind, entries in kinds:
        for entry in entries:
            arn = str(entry["Arn"])
            if entry.get("Path") in paths and arn not in declared:
                evidence: tuple[str, ...] = ()
                if kind == "policy":
                    evidence = _content(default_document(entry))
                elif kind == "role":
                    trust = documents.compact(entry.get("AssumeRolePolicyDocument"))
                    evidence = (f"trust: {trust}",)
                path = entry.get("Path")
                message = f"a {kind} at mfagen's path {path} that the output does not declare"
                yield _Entity(state, arn).finding(message, evidence)
