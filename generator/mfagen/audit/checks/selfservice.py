"""Invariants 3 and 4: what users may do to themselves, with and without MFA.

3. Every user can enrol (and, with MFA, manage) their own MFA device: without MFA only while
   the module declares their enrolment window open (output `enrolment_open`); for everyone
   else an explicit Deny refuses creating and enabling a device without MFA, even when another
   policy on the user allows everything (the audit adds such a policy: "(assumed)"). With
   enforce_mfa, long-term keys without MFA can do nothing but self-service, change their
   password, read their own user, get a session token and call sts:AssumeRole on mfagen's
   roles, even with that assumed policy.
4. With what mfagen grants (tier grants aside) a user acts only on their own user, its
   credentials and MFA devices, never another user's; and even with that assumed policy nobody
   changes their own tags or policies, mfagen's group memberships or its policies.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence

from mfagen.audit.checks import probes
from mfagen.audit.checks.access import Access
from mfagen.audit.checks.probes import NO_MFA, Actor, MfaState
from mfagen.audit.checks.report import Finding, evidence
from mfagen.audit.checks.subjects import UserClass, actor, other_user
from mfagen.audit.model import Module, Role
from mfagen.audit.policy.evaluate import Decision, Policy, evaluate
from mfagen.audit.policy.managed import outside_grant
from mfagen.audit.policy.matching import matches
from mfagen.iam import ASSUME_ROLE

ANY_DEVICE = "mfagen-audit-any-name"
WITH_AND_WITHOUT: tuple[MfaState, ...] = ("fresh", "absent")
_LISTED = 12


CHECKS = ("enrol", "nothing_else", "only_their_own", "no_self_changes")


def check(
    access: Access,
    cls: UserClass,
    devices: Sequence[str],
    *,
    enforce_mfa: bool,
    checks: Collection[str] = CHECKS,
) -> Iterator[Finding]:
    """Invariants 3 and 4 for one class of users (`devices`: their profiles' MFA devices).

    `checks`: the ones to run (selfservice_screen.py knows which cannot find anything).
    """
    probe = _Probe(access, cls)
    if "enrol" in checks:
        yield from probe.enrol(devices)
    if enforce_mfa and "nothing_else" in checks:
        yield from probe.nothing_else_without_mfa()
    if "only_their_own" in checks:
        yield from probe.only_their_own()
    if "no_self_changes" in checks:
        yield from probe.no_self_changes()


class _Probe:
    def __init__(self, access: Access, cls: UserClass) -> None:
        self.access = access
        self.module = module = access.module
        self.cls = cls
        self.user = cls.representative
        # Users of a class are interchangeable unless a policy names one of them: ask as an
        # invented member, so that classes share their policies' verdicts (access.memo).
        self.who: Actor = actor(self.user, module) if cls.specific else access.stand_in(self.user)
        self.subjects = tuple(u.name for u in cls.members)
        self.all = tuple(a.policy for a in cls.policies)
        self.outside = (outside_grant(), *self.all)
        self.mine = tuple(a.policy for a in cls.scaffolding)
        self.ids = frozenset(map(id, self.all))
        self.ids_outside = self.ids | {id(outside_grant())}
        self.ids_mine = frozenset(map(id, self.mine))
        self.identity = module.identity_account
        self.self_arn = self.who.arn
        self.others = self._other_users()

    def ask(
        self, policies: Sequence[Policy], action: str, resource: str, state: MfaState
    ) -> Decision:
        context = self.access.context(self.who, state, None)
        request = probes.request(self.who, action, resource, context)
        return evaluate(request, policies, self.access.memo)

    def allowed(self, ids: frozenset[int], action: str, resource: str, state: MfaState) -> bool:
        """Whether the policies `ids` allow it (quick; `ask` says which statements decide)."""
        allows, denies = self.access.verdicts(self.who, action, resource, state)
        return not ids.isdisjoint(allows) and ids.isdisjoint(denies)

    def unguarded(self, action: str, resource: str, state: MfaState) -> bool:
        """Whether no statement denies it: then any other policy that allows it makes it work."""
        return self.ids.isdisjoint(self.access.verdicts(self.who, action, resource, state)[1])

    def finding(
        self, invariant: str, message: str, decision: Decision, *, allowed: bool
    ) -> Finding:
        return Finding(invariant, message, self.subjects, evidence(decision, allowed=allowed))

    def device(self, name: str) -> str:
        return f"arn:aws:iam::{self.identity}:mfa/{name}"

    def _other_users(self) -> tuple[str, ...]:
        """Another user's ARN: an invented one, and any the user's policies name in particular."""
        found = [other_user(self.module)]
        if self.cls.specific:
            patterns = [
                p
                for policy in self.all
                for s in policy.statements
                for ps in (s.resources, s.not_resources)
                if ps
                for p in ps.patterns
            ]
            context = probes.context(self.who, "fresh")
            found += [
                u.arn
                for u in self.module.users
                if u.name != self.user.name
                and any(matches(p, u.arn, "resource", context) for p in patterns)
            ]
        return tuple(found)

    def enrol(self, devices: Sequence[str]) -> Iterator[Finding]:
        targets: dict[str, tuple[str, ...]] = {"self": (self.self_arn,), "*": ("*",)}
        targets["device"] = tuple(self.device(d) for d in (*devices, ANY_DEVICE))
        opened = self.user.name in self.module.enrolment_open
        if not opened:
            yield from self._gate(targets)
        for state, wanted in enrol_steps(opened=opened):
            how = "with MFA" if state == "fresh" else "without MFA"
            missing = [
                (action, resource)
                for action, target in wanted
                for resource in targets[target]
                if not self.allowed(self.ids, action, resource, state)
            ]
            if missing:
                proof = [
                    e
                    for action, resource in missing
                    for e in evidence(self.ask(self.all, action, resource, state), allowed=False)
                ]
                what = "; ".join(f"{a} on {_shown(r, self)}" for a, r in missing)
                message = f"{how}, the user cannot enrol or manage their MFA device: {what}"
                yield Finding("3", message, self.subjects, tuple(dict.fromkeys(proof)))
        roles = [
            role
            for role in self._tier_roles()
            if not self.allowed(self.ids, ASSUME_ROLE, role.arn, "absent")
        ]
        if roles:
            decision = self.ask(self.all, ASSUME_ROLE, roles[0].arn, "absent")
            yield self.finding(
                "3",
                "without MFA in their own policies, the user cannot call sts:AssumeRole on "
                f"{', '.join(r.arn for r in roles)}: the AWS CLI's MFA prompt may then fail (AWS "
                "does not document whether the MFA code counts for the caller's own policies)",
                decision,
                allowed=False,
            )

    def _gate(self, targets: dict[str, tuple[str, ...]]) -> Iterator[Finding]:
        """A closed window: without MFA, something must deny creating and enabling a device."""
        open_to: list[tuple[str, str, MfaState]] = []
        for action, target in probes.GATED:
            for resource in targets[target]:
                state = next((s for s in NO_MFA if self.unguarded(action, resource, s)), None)
                if state is not None:
                    open_to.append((action, resource, state))
        if open_to:
            action, resource, state = open_to[0]
            own = self.allowed(self.ids, action, resource, state)
            decision = self.ask(self.all if own else self.outside, action, resource, state)
            what = "; ".join(f"{a} on {_shown(r, self)}" for a, r, _ in open_to)
            yield self.finding(
                "3",
                f"enrolment window closed, yet without MFA nothing denies {what}: stolen "
                "long-term keys can enrol a device of their own and pass every MFA trust",
                decision,
                allowed=True,
            )

    def _tier_roles(self) -> list[Role]:
        tiers = set(self.module.tiers_of(self.user))
        return [role for role in self.module.roles if role.tier in tiers]

    def nothing_else_without_mfa(self) -> Iterator[Finding]:
        roles = {role.arn for role in self.module.roles}
        gaps: dict[tuple[str, bool], tuple[Decision, list[str]]] = {}
        for action, resource in self._no_mfa_probes():
            if self._permitted_without_mfa(action.lower(), resource, roles):
                continue
            for state in NO_MFA:
                if not self.unguarded(action, resource, state):
                    continue
                own = self.allowed(self.ids, action, resource, state)
                entry = gaps.get((state, own))
                if entry is None:  # the first such gap shows the statements at work
                    decision = self.ask(self.all if own else self.outside, action, resource, state)
                    entry = gaps[(state, own)] = (decision, [])
                entry[1].append(f"{action} on {_shown(resource, self)}")
                break
        for (kind, own_allowed), (decision, items) in gaps.items():
            how = "long-term keys" if kind == "absent" else "a session"
            what = "; ".join(items[:_LISTED]) + (
                f"; and {len(items) - _LISTED} more" if len(items) > _LISTED else ""
            )
            if own_allowed:
                message = f"without MFA ({how}), the module's own policies allow: {what}"
            else:
                message = (
                    f"without MFA ({how}), nothing denies: {what} "
                    "(any other policy on the user that allows them makes them work)"
                )
            yield self.finding("3", message, decision, allowed=True)

    def _permitted_without_mfa(self, action: str, resource: str, roles: set[str]) -> bool:
        return permitted_without_mfa(action, resource, self.self_arn, roles)

    def _no_mfa_probes(self) -> list[tuple[str, str]]:
        sampled = probes.sampled_actions(self.all)
        return no_mfa_probes(
            self.self_arn, self.others, self.device(ANY_DEVICE), sampled, self.access
        )

    def only_their_own(self) -> Iterator[Finding]:
        asks = own_asks(self.self_arn, self.others, self.device, lambda r: _shown(r, self))
        for action, resource, message in asks:
            if self.allowed(self.ids_mine, action, resource, "fresh"):
                decision = self.ask(self.mine, action, resource, "fresh")
                yield self.finding("4", message, decision, allowed=True)

    def no_self_changes(self) -> Iterator[Finding]:
        groups = [self.module.group(key) for key in self.user.groups]
        own_policies = {a.name for a in self.cls.policies if a.kind == "customer"}
        probes_ = self_changes(self.self_arn, self.module)
        probes_ += [
            (a, g.arn, f"their group {g.name}") for g in groups for a in probes.GROUP_POLICY_CHANGES
        ]
        probes_ += [
            (a, arn, f"their policy {arn}")
            for arn in sorted(own_policies)
            for a in probes.POLICY_CHANGES
        ]
        for action, resource, what in probes_:
            for state in WITH_AND_WITHOUT:
                if self.unguarded(action, resource, state):
                    decision = self.ask(self.outside, action, resource, state)
                    yield self.finding(
                        "4",
                        f"the user can {action} on {what} once any policy allows it: "
                        "no statement denies it",
                        decision,
                        allowed=True,
                    )
                    break


def enrol_steps(*, opened: bool) -> tuple[tuple[MfaState, tuple[tuple[str, str], ...]], ...]:
    """What invariant 3 wants every user allowed: (state, (action, target) pairs), where a
    target is "self", "*" or "device". Without MFA, enrolling a first device needs an open
    window; the gate (probes.GATED) is asked of everyone else."""
    return (
        ("absent", probes.ENROL if opened else probes.ENROL_CLOSED),
        ("fresh", probes.MANAGE_WITH_MFA),
    )


def permitted_without_mfa(action: str, resource: str, self_arn: str, roles: set[str]) -> bool:
    """What invariant 3 lets a user do without MFA (`action` in lower case)."""
    if action in probes.NO_MFA_ANYWHERE:
        return True
    if action in probes.NO_MFA_OWN_USER and resource == self_arn:
        return True
    return action == "sts:assumerole" and resource in roles


def no_mfa_probes(
    self_arn: str, others: Sequence[str], device: str, sampled: Sequence[str], access: Access
) -> list[tuple[str, str]]:
    """What invariant 3 asks without MFA: everything on users, devices, other services (and
    the actions the class's policies name, `sampled`), sts:AssumeRole on roles."""
    found = [
        (a, r)
        for a in probes.USER_ACTIONS
        for r in (self_arn, *others)
        if r == self_arn or a not in probes.SELF_ONLY
    ]
    found += [(a, device) for a in probes.MFA_DEVICE_ACTIONS]
    found += [(a, "*") for a in (*probes.OTHER_SERVICES, *sampled) if a.lower() not in UNSAMPLED]
    found += [(ASSUME_ROLE, arn) for arn in access.role_targets]
    return found


UNSAMPLED = {a.lower() for a in (*probes.USER_ACTIONS, *probes.MFA_DEVICE_ACTIONS, ASSUME_ROLE)}
"""Actions no_mfa_probes asks about on their own resources, not on `*`."""


def own_asks(
    self_arn: str,
    others: Sequence[str],
    device: Callable[[str], str],
    shown: Callable[[str], str],
) -> list[tuple[str, str, str]]:
    """Invariant 4's (action, resource, message): on other users, more than the safe actions
    on their own user, on any MFA device."""
    asks: list[tuple[str, str, str]] = []
    for action in probes.USER_ACTIONS:
        if action not in probes.SELF_ONLY:
            asks += [(action, other, f"the user may {action} on {shown(other)}")
                     for other in others]  # fmt: skip
        if action.lower() not in probes.OWN_USER_SAFE:
            message = (
                f"the user may {action} on their own user: more than reading it and "
                "managing their credentials and MFA devices"
            )
            asks.append((action, self_arn, message))
    someone_else = device("someone-elses-device")
    asks += [
        (action, someone_else, f"the user may {action} on any MFA device, another user's too")
        for action in probes.MFA_DEVICE_ACTIONS
        if action != "iam:CreateVirtualMFADevice"
    ]
    return asks


def self_changes(self_arn: str, module: Module) -> list[tuple[str, str, str]]:
    """Invariant 4's changes every user is asked about: their own user, every group's members."""
    found = [(a, self_arn, "their own user") for a in probes.OWN_CHANGES]
    found += [
        (a, g.arn, f"group {g.name}") for g in module.groups for a in probes.MEMBERSHIP_CHANGES
    ]
    return found


def _shown(resource: str, probe: _Probe) -> str:
    if resource == probe.self_arn:
        return "their own user"
    if resource == other_user(probe.module):
        return "another user"
    return resource
