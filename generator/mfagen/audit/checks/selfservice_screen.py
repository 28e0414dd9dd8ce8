"""Which classes of users the self-service checks (invariants 3 and 4) can find anything for.

selfservice.check asks hundreds of questions per class of users, and a large module has
nearly as many classes as users: set tests that almost always pass, because one policy every
user has (the self-service policy on every group) denies what it should. The questions are the same
for every class that shares a stand-in (Access.stand_in: classes whose policies name no
particular user), and `Access.verdicts` answers each once with the ids of the policies that
allow and that deny it. So this module asks each question once and finds the classes it
catches by set algebra over an index policy id -> classes holding it:

- a class is unguarded (none of its policies denies) unless it holds a denying policy:
  nobody when a policy every class holds denies; everyone when none of theirs does;
- a class is allowed when it holds an allowing policy and no denying one.

A class is screened out of a check only when no question of that check catches it, which is
exactly when `selfservice.check` would report nothing for it; the others (and every class
that names a particular user) run the check itself, which builds the findings with their
evidence. The result is the findings every class would give, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from mfagen.audit.checks import probes
from mfagen.audit.checks.access import Access
from mfagen.audit.checks.probes import NO_MFA, Actor, MfaState
from mfagen.audit.checks.selfservice import (
    ANY_DEVICE,
    CHECKS,
    UNSAMPLED,
    WITH_AND_WITHOUT,
    enrol_steps,
    no_mfa_probes,
    own_asks,
    permitted_without_mfa,
    self_changes,
)
from mfagen.audit.checks.subjects import UserClass, other_user
from mfagen.iam import ASSUME_ROLE

Sets = tuple[frozenset[int], frozenset[int]]


class _Index:
    """Classes (by position) that hold each policy id, for one kind of ids."""

    def __init__(self, members: dict[int, frozenset[int]]) -> None:
        self.everyone = frozenset(members)
        self.holders: dict[int, set[int]] = {}
        for position, ids in members.items():
            for policy in ids:
                self.holders.setdefault(policy, set()).add(position)
        self.common = frozenset(p for p, h in self.holders.items() if len(h) == len(members))

    def holding(self, ids: Iterable[int]) -> set[int]:
        found: set[int] = set()
        for policy in ids:
            found.update(self.holders.get(policy, ()))
        return found

    def unguarded(self, denies: frozenset[int]) -> frozenset[int] | set[int]:
        """Classes none of whose policies is in `denies`."""
        if not denies.isdisjoint(self.common):
            return frozenset()
        return self.everyone - self.holding(denies)

    def allowed(self, sets: Sets) -> frozenset[int] | set[int]:
        """Classes one of whose policies allows and none denies."""
        allows, denies = sets
        if not denies.isdisjoint(self.common):
            return frozenset()
        found = self.everyone if not allows.isdisjoint(self.common) else self.holding(allows)
        return found - self.holding(denies) if denies else found


class _Group:
    """The classes that share one stand-in, and the questions they share."""

    def __init__(
        self, access: Access, who: Actor, classes: dict[int, UserClass], *, enforce_mfa: bool
    ) -> None:
        self.access = access
        self.who = who
        self.classes = classes
        self.all = _Index({n: access.class_ids(c) for n, c in classes.items()})
        mine = {n: frozenset(id(a.policy) for a in c.scaffolding) for n, c in classes.items()}
        self.mine = _Index(mine)
        self.enforce_mfa = enforce_mfa
        self.flagged: dict[str, set[int]] = {check: set() for check in CHECKS}

    def sets(self, action: str, resource: str, state: MfaState) -> Sets:
        return self.access.verdicts(self.who, action, resource, state)

    def device(self, name: str) -> str:
        return f"arn:aws:iam::{self.access.module.identity_account}:mfa/{name}"

    def enrol(self, devices: Mapping[int, Sequence[str]]) -> None:
        """Classes sharing a stand-in have closed enrolment windows (subjects.classes)."""
        flagged = self.flagged["enrol"]
        targets = {"self": (self.who.arn,), "*": ("*",), "device": (self.device(ANY_DEVICE),)}
        for state, wanted in enrol_steps(opened=False):
            for action, target in wanted:
                for resource in targets[target]:
                    flagged |= self.all.everyone - self.all.allowed(
                        self.sets(action, resource, state)
                    )
                if target == "device":  # each class's own devices
                    flagged |= self._own_devices(action, state, devices, gate=False)
        for action, target in probes.GATED:  # the enrolment gate: something denies it
            for state in NO_MFA:
                for resource in targets[target]:
                    flagged |= self.all.unguarded(self.sets(action, resource, state)[1])
                if target == "device":
                    flagged |= self._own_devices(action, state, devices, gate=True)
        module = self.access.module
        by_tier: dict[str, set[int]] = {}
        for n, cls in self.classes.items():
            for tier in module.tiers_of(cls.representative):
                by_tier.setdefault(tier, set()).add(n)
        for role in module.roles:
            holders = by_tier.get(role.tier or "", set())
            if holders:
                allowed = self.all.allowed(self.sets(ASSUME_ROLE, role.arn, "absent"))
                flagged |= holders - allowed

    def _own_devices(
        self, action: str, state: MfaState, devices: Mapping[int, Sequence[str]], *, gate: bool
    ) -> set[int]:
        """Classes for which `action` on one of their own devices is refused (`gate`: is not
        denied by any of their policies)."""
        found: set[int] = set()
        for n, names in devices.items():
            ids = self.access.class_ids(self.classes[n])
            for name in names:
                allows, denies = self.sets(action, self.device(name), state)
                if gate:
                    hit = ids.isdisjoint(denies)  # nothing denies it
                else:
                    hit = ids.isdisjoint(allows) or not ids.isdisjoint(denies)  # refused
                if hit:
                    found.add(n)
        return found

    def nothing_else(self) -> None:
        if not self.enforce_mfa:
            return
        flagged = self.flagged["nothing_else"]
        roles = {role.arn for role in self.access.module.roles}
        others = (other_user(self.access.module),)
        base = no_mfa_probes(self.who.arn, others, self.device(ANY_DEVICE), (), self.access)
        asks = [(a, r, self.all.everyone) for a, r in base]
        # The actions each policy names are asked only of the classes holding it.
        sampled: dict[str, set[int]] = {}
        for policy_id, holders in self.all.holders.items():
            for action in self._sampled(policy_id):
                sampled.setdefault(action, set()).update(holders)
        asks += [(a, "*", frozenset(h)) for a, h in sampled.items()]
        for action, resource, askers in asks:
            if permitted_without_mfa(action.lower(), resource, self.who.arn, roles):
                continue
            for state in NO_MFA:
                flagged |= askers & self.all.unguarded(self.sets(action, resource, state)[1])

    def _sampled(self, policy_id: int) -> Sequence[str]:
        policy = self.access.policy(policy_id)
        return [a for a in probes.sampled_actions((policy,)) if a.lower() not in UNSAMPLED]

    def only_their_own(self) -> None:
        flagged = self.flagged["only_their_own"]
        others = (other_user(self.access.module),)
        for action, resource, _ in own_asks(self.who.arn, others, self.device, str):
            flagged |= self.mine.allowed(self.sets(action, resource, "fresh"))

    def no_self_changes(self) -> None:
        flagged = self.flagged["no_self_changes"]
        module = self.access.module
        asks = [(a, r, self.all.everyone) for a, r, _ in self_changes(self.who.arn, module)]
        in_group: dict[str, set[int]] = {}
        with_policy: dict[str, set[int]] = {}
        for n, cls in self.classes.items():
            for key in cls.representative.groups:
                in_group.setdefault(key, set()).add(n)
            for attached in cls.policies:
                if attached.kind == "customer":
                    with_policy.setdefault(attached.name, set()).add(n)
        for key, holders in in_group.items():
            arn = module.group(key).arn
            asks += [(a, arn, frozenset(holders)) for a in probes.GROUP_POLICY_CHANGES]
        for name, holders in with_policy.items():
            asks += [(a, name, frozenset(holders)) for a in probes.POLICY_CHANGES]
        for action, resource, askers in asks:
            for state in WITH_AND_WITHOUT:
                flagged |= askers & self.all.unguarded(self.sets(action, resource, state)[1])


def screen(
    access: Access, devices: Mapping[int, Sequence[str]], *, enforce_mfa: bool
) -> dict[int, tuple[str, ...]]:
    """Class position -> the self-service checks that may find something for it.

    `devices`: each class's MFA device names (its representative's profiles'). Classes that
    name a particular user get every check.
    """
    found: dict[int, tuple[str, ...]] = {}
    by_who: dict[int, dict[int, UserClass]] = {}
    stand_ins: dict[int, Actor] = {}
    for n, cls in enumerate(access.classes):
        if cls.specific:
            found[n] = CHECKS
            continue
        who = access.stand_in(cls.representative)
        stand_ins[id(who)] = who
        by_who.setdefault(id(who), {})[n] = cls
    for key, classes in by_who.items():
        group = _Group(access, stand_ins[key], classes, enforce_mfa=enforce_mfa)
        group.enrol({n: devices.get(n, ()) for n in classes})
        group.nothing_else()
        group.only_their_own()
        group.no_self_changes()
        for check, flagged in group.flagged.items():
            for n in flagged:
                found[n] = (*found.get(n, ()), check)
    return {n: tuple(c for c in CHECKS if c in checks) for n, checks in found.items()}
