"""What IAM holds, read into the audit's Module: the model `terraform.read` builds from the
committed HCL, so that `mfagen.audit.check` proves the invariants on it unchanged.

The expected module (the output folder's) says which of IAM's entities are mfagen's: its
roles (by ARN, in their accounts), groups, customer managed policies (by ARN) and users (by
name, in the identity account). Each keeps the expected key and tier; everything else comes
from IAM: trusts, every policy attached (declared or not), memberships, tags, paths. A group
outside the module that one of mfagen's users is in lends its policies to the user directly:
AWS evaluates them as the user's, and the module has no such group. What IAM lacks is absent
from the Module. Every Location names the account (`iam:<account id>`) and the entity's ARN.

A policy document the audit's grammar refuses is read as a grant of everything (a trust: as
admitting anyone), with a stray that names it, so the audit fails rather than guesses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mfagen.audit.live.state import AccountState, Reply, tags_of
from mfagen.audit.model import (
    Attached,
    CustomerPolicy,
    Group,
    Location,
    Module,
    Role,
    Stray,
    User,
)
from mfagen.audit.policy.evaluate import Policy
from mfagen.audit.policy.grammar import PolicyError, compile_policy
from mfagen.audit.policy.managed import OPAQUE, managed_policy
from mfagen.audit.read.resources import minified

ANYONE = [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]
"""What a trust the audit cannot read is taken to say."""


def where(state: AccountState, arn: str) -> Location:
    """An entity of IAM, as findings name it: the account, then its ARN."""
    return Location(f"iam:{state.account}", 0, arn)


def default_document(policy: Reply) -> Any:
    """A customer managed policy's default version's document."""
    for version in policy.get("PolicyVersionList", []):
        if version.get("IsDefaultVersion"):
            return version.get("Document")
    return None


class Policies:
    """One account's policies as the audit's model attaches them, each compiled once: a
    customer managed policy or an AWS managed one is the same Policy on every principal
    (the audit groups users by the policies they hold)."""

    def __init__(self, state: AccountState) -> None:
        self.state = state
        self.customer = {str(p["Arn"]): p for p in state.policies}
        self.strays: list[Stray] = []
        self._managed: dict[str, Attached] = {}

    def compile(self, document: Any, at: Location, name: str, *, trust: bool = False) -> Policy:
        try:
            return compile_policy(document, name=name, where=at.ref(name), trust=trust)
        except PolicyError as error:
            sid = f" statement {error.sid}" if error.sid else ""
            taken = "admitting anyone" if trust else "allowing everything"
            self.strays.append(
                Stray(at, "module", f"{name}{sid}: the audit cannot read it ({error}); "
                      f"taken as {taken}")
            )  # fmt: skip
            statements = ANYONE if trust else OPAQUE
            document = {"Version": "2012-10-17", "Statement": statements}
            return compile_policy(document, name=name, where=at.ref(name), trust=trust)

    def managed(self, arn: str) -> Attached:
        """An attached managed policy: the account's own (its document), or AWS's."""
        found = self._managed.get(arn)
        if found is None:
            at = where(self.state, arn)
            own = self.customer.get(arn)
            if own is None:
                found = Attached(managed_policy(arn, at.ref(arn)), "managed", arn, at)
            else:
                document = default_document(own)
                policy = self.compile(document, at, arn)
                found = Attached(policy, "customer", arn, at, minified(document), document)
            self._managed[arn] = found
        return found

    def attached(self, entity: Reply, inline_key: str) -> tuple[Attached, ...]:
        """The inline (under `inline_key`) and managed policies of a user, group or role."""
        owner = where(self.state, str(entity["Arn"]))
        found = [
            Attached(
                self.compile(item.get("PolicyDocument"), owner, str(item["PolicyName"])),
                "inline",
                str(item["PolicyName"]),
                owner,
                minified(item.get("PolicyDocument")),
                item.get("PolicyDocument"),
            )
            for item in entity.get(inline_key, [])
        ]
        found += [
            self.managed(str(p["PolicyArn"])) for p in entity.get("AttachedManagedPolicies", [])
        ]
        return tuple(found)


def compiled(states: Iterable[AccountState]) -> dict[str, Policies]:
    """Each account's Policies, by account id: `read` and the outsiders' check share them, so
    that each document is compiled once."""
    return {state.account: Policies(state) for state in states}


def read(
    expected: Module,
    states: Sequence[AccountState],
    policies: Mapping[str, Policies] | None = None,
) -> Module:
    """The live Module of `expected`'s entities, from the states of the accounts read (without
    the identity account's: roles only), with `policies` (default: `compiled(states)`). The
    Module's strays are what those Policies found until now."""
    by_account = {state.account: state for state in states}
    identity = by_account.get(expected.identity_account) or AccountState(
        "", expected.identity_account, (), (), (), ()
    )
    policies = compiled(states) if policies is None else policies
    own = policies.get(identity.account) or Policies(identity)
    live_groups = {str(g["GroupName"]): g for g in identity.groups}
    groups: list[Group] = []
    for group in expected.groups:
        found = live_groups.get(group.name)
        if found is not None and found["Arn"] == group.arn:
            attached = own.attached(found, "GroupPolicyList")
            groups.append(Group(where(identity, group.arn), group.key, group.tier, group.name,
                                group.path, group.arn, attached))  # fmt: skip
    keys = {g.name: g.key for g in groups}
    lent: dict[str, tuple[Attached, ...]] = {}  # policies of groups outside the module
    users = []
    live_users = {str(u["UserName"]): u for u in identity.users}
    for user in expected.users:
        entry = live_users.get(user.name)
        if entry is None:
            continue
        extra: list[Attached] = []
        for name in entry.get("GroupList", []):
            if name in keys:
                continue
            if name not in lent:
                detail = live_groups.get(name)
                lent[name] = own.attached(detail, "GroupPolicyList") if detail else ()
            extra.extend(lent[name])
        users.append(_user(identity, entry, user, keys, (*own.attached(entry, "UserPolicyList"),
                                                         *extra)))  # fmt: skip
    roles = [
        role for state in states for role in _roles(state, policies[state.account], expected.roles)
    ]
    customer = [
        CustomerPolicy(
            where(identity, p.arn),
            p.key,
            p.name,
            p.path,
            p.arn,
            found.policy,
            found.size,
            found.document,
        )
        for p in expected.policies
        if p.arn in own.customer
        for found in [own.managed(p.arn)]
    ]
    return Module(
        expected.identity_account,
        expected.accounts,
        tuple(roles),
        tuple(groups),
        tuple(users),
        tuple(customer),
        tuple(stray for found in policies.values() for stray in found.strays),
        expected.enrolment_open,
        expected.assume_roles,
        expected.machine_users,
    )


def _user(
    state: AccountState,
    entry: Reply,
    user: User,
    keys: dict[str, str],
    attached: Iterable[Attached],
) -> User:
    arn = str(entry["Arn"])
    groups = tuple(dict.fromkeys(keys[g] for g in entry.get("GroupList", []) if g in keys))
    return User(where(state, arn), user.name, str(entry.get("Path", "/")), arn, tags_of(entry),
                groups, tuple(attached), created=user.created)  # fmt: skip


def _roles(state: AccountState, policies: Policies, expected: Iterable[Role]) -> Iterable[Role]:
    live = {str(r["Arn"]): r for r in state.roles}
    for role in expected:
        entry = live.get(role.arn)
        if role.account != state.account or entry is None:
            continue
        at = where(state, role.arn)
        document = entry.get("AssumeRolePolicyDocument")
        trust = policies.compile(document, at, f"trust of {role.name}", trust=True)
        yield Role(at, role.key, role.account, role.alias, role.tier, role.name,
                   str(entry.get("Path", "/")), role.arn, trust, minified(document),
                   state.session_durations.get(role.arn),
                   policies.attached(entry, "RolePolicyList"), document)  # fmt: skip
