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

Each check is a list of questions (`Ask`: an action on a resource, in one or more MFA states,
and the answer that makes a finding) and a report worded from the questions that caught a
class of users. Classes whose policies name no particular user share a stand-in
(Access.stand_in), so they share the questions: `Access.verdicts` answers each once with the
ids of the policies that allow and that deny it, and each class reads its own answer off
those ids (`_Cohort.caught`). Only a caught class is evaluated in full, for the statements
behind its finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from mfagen.audit.checks import probes
from mfagen.audit.checks.access import Access
from mfagen.audit.checks.probes import NO_MFA, Actor, MfaState
from mfagen.audit.checks.report import Finding, evidence
from mfagen.audit.checks.subjects import SPECIFIC_USER, UserClass, other_user
from mfagen.audit.policy.evaluate import Decision, Policy, evaluate
from mfagen.audit.policy.managed import outside_grant
from mfagen.audit.policy.matching import matches
from mfagen.audit.policy.pool import Verdicts
from mfagen.iam import ASSUME_ROLE

_ANY_DEVICE = "mfagen-audit-any-name"
_WITH_AND_WITHOUT: tuple[MfaState, ...] = ("fresh", "absent")
_UNSAMPLED = {a.lower() for a in (*probes.USER_ACTIONS, *probes.MFA_DEVICE_ACTIONS, ASSUME_ROLE)}
"""Actions invariant 3 asks about on their own resources, not on `*`."""
_LISTED = 12

Part = Literal["gate", "enrol", "roles", "nothing_else", "own", "self_change"]
"""The finding a question feeds (each has its report in _REPORTS)."""
Answer = Literal["refused", "unguarded", "granted"]
"""What makes a finding: `refused`, none of the class's policies allows it or one denies it;
`unguarded`, none of them denies it (then any other policy that allows it makes it work);
`granted`, what mfagen grants the class (tier grants aside) allows it."""


@dataclass(frozen=True)
class Ask:
    """One question of a check, for the classes `askers` (positions in Access.classes)."""

    part: Part
    action: str
    resource: str
    states: tuple[MfaState, ...]
    """Asked in order; the first state whose answer is `finds` counts."""
    finds: Answer
    askers: frozenset[int]
    words: str = ""
    """The finding's message, for the parts that report each question on its own."""


class Hit(NamedTuple):
    """A question and the MFA state in which it caught a class."""

    ask: Ask
    state: MfaState


def check(
    access: Access, devices: Mapping[int, Sequence[str]], *, enforce_mfa: bool
) -> Iterator[Finding]:
    """Invariants 3 and 4 for every class of users, in class order.

    `devices`: by class position, the MFA device names in its representative's profiles.
    """
    found: dict[int, list[Finding]] = {}
    for cohort in _cohorts(access):
        asks = _asks(cohort, devices, enforce_mfa=enforce_mfa)
        for position, hits in cohort.catch(asks).items():
            found[position] = list(_report(_Caught(cohort, position), hits))
    for position in sorted(found):
        yield from found[position]


class _Cohort:
    """The classes of users (not IAM groups) one actor asks for: the stand-in they share, or
    the first member of a class its policies name. Classes are known by their position in
    Access.classes."""

    def __init__(self, access: Access, who: Actor, members: Sequence[int]) -> None:
        self.access = access
        self.module = access.module
        self.who = who
        self.members = frozenset(members)
        self.classes = {position: access.classes[position] for position in members}
        self.ids = {position: access.class_ids(cls) for position, cls in self.classes.items()}
        self.by_policies = Index(self.ids)
        self.by_scaffolding = Index(
            {
                position: frozenset(id(attached.policy) for attached in cls.scaffolding)
                for position, cls in self.classes.items()
            }
        )
        self.others = _other_users(access, who, self.classes.values())

    def device(self, name: str) -> str:
        """The ARN of the identity account's MFA device `name`."""
        return f"arn:aws:iam::{self.module.identity_account}:mfa/{name}"

    def shown(self, resource: str) -> str:
        """A resource as a finding names it."""
        if resource == self.who.arn:
            return "their own user"
        if resource == other_user(self.module):
            return "another user"
        return resource

    def catch(self, asks: Iterable[Ask]) -> dict[int, list[Hit]]:
        """Class position -> the questions whose answer makes a finding, in asking order."""
        found: dict[int, list[Hit]] = {}
        for ask in asks:
            left = ask.askers
            for state in ask.states:
                if not left:
                    break
                caught = self.caught(ask, state, left)
                for position in caught:
                    found.setdefault(position, []).append(Hit(ask, state))
                left = left - caught
        return found

    def caught(self, ask: Ask, state: MfaState, askers: frozenset[int]) -> frozenset[int]:
        """The `askers` whose answer to `ask` in `state` is the one that makes a finding."""
        verdicts = self.access.verdicts(self.who, ask.action, ask.resource, state)
        index = self.by_scaffolding if ask.finds == "granted" else self.by_policies
        return index.answering(ask.finds, verdicts, askers)


class Index:
    """Classes of users by the policies they hold (class position -> policy ids), to tell
    which of them give an answer from the ids of the policies that allow and that deny.

    `answering` is `Verdicts.allow` for many classes at once, by set operations on the
    holders of each policy instead of a test per class; tests/audit/test_hand_made.py proves
    the two agree on every subset of classes and verdicts."""

    def __init__(self, ids: Mapping[int, frozenset[int]]) -> None:
        holders: dict[int, set[int]] = {}
        for position, held in ids.items():
            for policy in held:
                holders.setdefault(policy, set()).add(position)
        self.holders = {policy: frozenset(found) for policy, found in holders.items()}

    def holding(self, policies: frozenset[int], among: frozenset[int]) -> frozenset[int]:
        """The classes of `among` that hold one of `policies`."""
        found = (among & self.holders[policy] for policy in policies if policy in self.holders)
        return frozenset().union(*found)

    def answering(
        self, answer: Answer, verdicts: Verdicts, among: frozenset[int]
    ) -> frozenset[int]:
        """The classes of `among` whose answer is `answer`: `unguarded`, none of their
        policies denies; `granted`, Verdicts.allow; `refused`, not Verdicts.allow."""
        denied = self.holding(verdicts.denies, among)
        if answer == "unguarded":
            return among - denied
        allowed = self.holding(verdicts.allows, among) - denied
        return allowed if answer == "granted" else among - allowed


def _by_key(pick: Iterable[tuple[str, int]]) -> dict[str, frozenset[int]]:
    """key -> the classes it was picked for."""
    found: dict[str, set[int]] = {}
    for key, position in pick:
        found.setdefault(key, set()).add(position)
    return {key: frozenset(holders) for key, holders in found.items()}


def _cohorts(access: Access) -> Iterator[_Cohort]:
    shared: dict[Actor, list[int]] = {}
    for position, cls in enumerate(access.classes):
        if cls.specific:
            yield _Cohort(access, access.actor(cls.representative), (position,))
        else:
            shared.setdefault(access.stand_in(cls.representative), []).append(position)
    for who, members in shared.items():
        yield _Cohort(access, who, members)


def _other_users(access: Access, who: Actor, classes: Iterable[UserClass]) -> tuple[str, ...]:
    """Another user's ARN: an invented one, and any user a specific class's policies name in a
    resource (a pattern such as `*` names nobody in particular: the invented user stands for
    everyone it matches)."""
    found = [other_user(access.module)]
    context = probes.context(who, "fresh")
    for cls in classes:
        patterns = [
            pattern
            for attached in cls.policies
            for statement in attached.policy.statements
            for listed in (statement.resources, statement.not_resources)
            if listed
            for pattern in listed.patterns
            if SPECIFIC_USER.search(pattern)
        ]
        if not cls.specific or not patterns:
            continue
        members = {user.name for user in cls.members}
        found += [
            user.arn
            for user in access.module.users
            if user.name not in members
            and any(matches(p, user.arn, "resource", context) for p in patterns)
        ]
    return tuple(found)


def _asks(
    cohort: _Cohort, devices: Mapping[int, Sequence[str]], *, enforce_mfa: bool
) -> Iterator[Ask]:
    yield from _enrol_asks(cohort, devices)
    if enforce_mfa:
        yield from _nothing_else_asks(cohort)
    yield from _own_asks(cohort)
    yield from _self_change_asks(cohort)


def _enrol_asks(cohort: _Cohort, devices: Mapping[int, Sequence[str]]) -> Iterator[Ask]:
    """Invariant 3's enrolment: the gate on closed windows, what everyone must be allowed
    (enrolling a first device without MFA needs an open window), sts:AssumeRole on the roles
    of their tiers without MFA in their own policies."""
    everyone = cohort.members
    opened = frozenset(
        position
        for position, cls in cohort.classes.items()
        if cls.representative.name in cohort.module.enrolment_open
    )
    closed = everyone - opened
    own = _by_key(
        (name, position) for position in sorted(everyone) for name in devices.get(position, ())
    )
    targets: dict[str, list[tuple[str, frozenset[int]]]] = {
        "self": [(cohort.who.arn, everyone)],
        "*": [("*", everyone)],
        "device": [
            *((cohort.device(name), own[name]) for name in sorted(own)),
            (cohort.device(_ANY_DEVICE), everyone),
        ],
    }
    for action, target in probes.GATED:
        for resource, askers in targets[target]:
            yield Ask("gate", action, resource, NO_MFA, "unguarded", askers & closed)
    for windows, wanted_without in ((opened, probes.ENROL), (closed, probes.ENROL_CLOSED)):
        steps: tuple[tuple[MfaState, tuple[tuple[str, str], ...]], ...] = (
            ("absent", wanted_without),
            ("fresh", probes.MANAGE_WITH_MFA),
        )
        for state, wanted in steps:
            for action, target in wanted:
                for resource, askers in targets[target]:
                    yield Ask("enrol", action, resource, (state,), "refused", askers & windows)
    in_tier = _by_key(
        (tier, position)
        for position, cls in cohort.classes.items()
        for tier in cohort.module.tiers_of(cls.representative)
    )
    for role in cohort.module.roles:
        if role.tier in in_tier:
            yield Ask("roles", ASSUME_ROLE, role.arn, ("absent",), "refused", in_tier[role.tier])


def _nothing_else_asks(cohort: _Cohort) -> Iterator[Ask]:
    """Invariant 3 with enforce_mfa, without MFA: everything on users, devices, other services
    (and the actions the class's policies name, wildcards sampled), sts:AssumeRole on roles."""
    access = cohort.access
    everyone = cohort.members
    me = cohort.who.arn
    sampled: dict[str, frozenset[int]] = {}
    for policy_id, holders in cohort.by_policies.holders.items():
        for action in _sampled(access.policy(policy_id)):
            sampled[action] = sampled.get(action, frozenset()) | holders
    asks = [
        (action, user, everyone)
        for action in probes.USER_ACTIONS
        for user in (me, *cohort.others)
        if user == me or action not in probes.SELF_ONLY
    ]
    device = cohort.device(_ANY_DEVICE)
    asks += [(action, device, everyone) for action in probes.MFA_DEVICE_ACTIONS]
    asks += [
        (action, "*", everyone)
        for action in probes.OTHER_SERVICES
        if action.lower() not in _UNSAMPLED
    ]
    asks += [(action, "*", sampled[action]) for action in sorted(sampled)]
    asks += [(ASSUME_ROLE, arn, everyone) for arn in access.role_targets]
    roles = {role.arn for role in cohort.module.roles}
    for action, resource, askers in asks:
        if not _permitted_without_mfa(action.lower(), resource, me, roles):
            yield Ask("nothing_else", action, resource, NO_MFA, "unguarded", askers)


def _sampled(policy: Policy) -> list[str]:
    return [
        action for action in probes.sampled_actions((policy,)) if action.lower() not in _UNSAMPLED
    ]


def _permitted_without_mfa(action: str, resource: str, self_arn: str, roles: set[str]) -> bool:
    """What invariant 3 lets a user do without MFA (`action` in lower case)."""
    if action in probes.NO_MFA_ANYWHERE:
        return True
    if action in probes.NO_MFA_OWN_USER and resource == self_arn:
        return True
    return action == "sts:assumerole" and resource in roles


def _own_asks(cohort: _Cohort) -> Iterator[Ask]:
    """Invariant 4, with what mfagen grants and fresh MFA: nothing on other users, nothing but
    the safe actions on their own user, nothing on any MFA device."""
    me = cohort.who.arn
    asks: list[tuple[str, str, str]] = []
    for action in probes.USER_ACTIONS:
        if action not in probes.SELF_ONLY:
            asks += [(action, other, f"the user may {action} on {cohort.shown(other)}")
                     for other in cohort.others]  # fmt: skip
        if action.lower() not in probes.OWN_USER_SAFE:
            words = (
                f"the user may {action} on their own user: more than reading it and "
                "managing their credentials and MFA devices"
            )
            asks.append((action, me, words))
    someone_else = cohort.device("someone-elses-device")
    asks += [
        (action, someone_else, f"the user may {action} on any MFA device, another user's too")
        for action in probes.MFA_DEVICE_ACTIONS
        if action != "iam:CreateVirtualMFADevice"
    ]
    for action, resource, words in asks:
        yield Ask("own", action, resource, ("fresh",), "granted", cohort.members, words)


def _self_change_asks(cohort: _Cohort) -> Iterator[Ask]:
    """Invariant 4, with and without MFA: something denies changing their own user, any
    group's members, their groups' policies and their customer managed policies."""
    module = cohort.module
    everyone = cohort.members
    asks = [(action, cohort.who.arn, "their own user", everyone) for action in probes.OWN_CHANGES]
    asks += [
        (action, group.arn, f"group {group.name}", everyone)
        for group in module.groups
        for action in probes.MEMBERSHIP_CHANGES
    ]
    members = sorted(cohort.classes.items())
    in_group = _by_key(
        (key, position) for position, cls in members for key in cls.representative.groups
    )
    for key, holders in in_group.items():
        group = module.group(key)
        asks += [
            (action, group.arn, f"their group {group.name}", holders)
            for action in probes.GROUP_POLICY_CHANGES
        ]
    customer = _by_key(
        (attached.name, position)
        for position, cls in members
        for attached in cls.policies
        if attached.kind == "customer"
    )
    for arn in sorted(customer):
        asks += [
            (action, arn, f"their policy {arn}", customer[arn]) for action in probes.POLICY_CHANGES
        ]
    for action, resource, what, askers in asks:
        words = f"the user can {action} on {what} once any policy allows it: no statement denies it"
        yield Ask("self_change", action, resource, _WITH_AND_WITHOUT, "unguarded", askers, words)


class _Caught:
    """A class of users some question caught: to word its findings, with their evidence."""

    def __init__(self, cohort: _Cohort, position: int) -> None:
        cls = cohort.classes[position]
        self.cohort = cohort
        self.position = position
        self.who = cohort.who
        self.memo = cohort.access.memo
        self.context = cohort.access.context
        self.subjects = tuple(user.name for user in cls.members)
        self.policies = tuple(attached.policy for attached in cls.policies)
        self.outside = (outside_grant(), *self.policies)
        """Its policies and one allowing everything (what invariant 3 guards against)."""
        self.scaffolding = tuple(attached.policy for attached in cls.scaffolding)

    def decide(self, policies: Sequence[Policy], ask: Ask, state: MfaState) -> Decision:
        """The question evaluated in full, for the statements that decide it."""
        context = self.context(self.who, state, None)
        request = probes.request(self.who, ask.action, ask.resource, context)
        return evaluate(request, policies, self.memo)

    def allowed(self, ask: Ask, state: MfaState) -> bool:
        """Whether the class's own policies allow it."""
        cohort = self.cohort
        verdicts = cohort.access.verdicts(self.who, ask.action, ask.resource, state)
        return verdicts.allow(cohort.ids[self.position])

    def finding(
        self, invariant: str, message: str, decision: Decision, *, allowed: bool
    ) -> Finding:
        return Finding(invariant, message, self.subjects, evidence(decision, allowed=allowed))

    def listed(self, hits: Sequence[Hit]) -> str:
        """The questions as a finding lists them."""
        return "; ".join(f"{ask.action} on {self.cohort.shown(ask.resource)}" for ask, _ in hits)


def _report(caught: _Caught, hits: Sequence[Hit]) -> Iterator[Finding]:
    parts: dict[Part, list[Hit]] = {}
    for hit in hits:
        parts.setdefault(hit.ask.part, []).append(hit)
    for part, report in _REPORTS.items():
        if part in parts:
            yield from report(caught, parts[part])


def _gate(caught: _Caught, hits: Sequence[Hit]) -> Iterator[Finding]:
    ask, state = hits[0]
    decision = caught.decide(
        caught.policies if caught.allowed(ask, state) else caught.outside, ask, state
    )
    yield caught.finding(
        "3",
        f"enrolment window closed, yet without MFA nothing denies {caught.listed(hits)}: stolen "
        "long-term keys can enrol a device of their own and pass every MFA trust",
        decision,
        allowed=True,
    )


def _enrol(caught: _Caught, hits: Sequence[Hit]) -> Iterator[Finding]:
    by_state: dict[MfaState, list[Hit]] = {}
    for hit in hits:
        by_state.setdefault(hit.state, []).append(hit)
    for state, missing in by_state.items():
        how = "with MFA" if state == "fresh" else "without MFA"
        proof = [
            e
            for ask, _ in missing
            for e in evidence(caught.decide(caught.policies, ask, state), allowed=False)
        ]
        message = (
            f"{how}, the user cannot enrol or manage their MFA device: {caught.listed(missing)}"
        )
        yield Finding("3", message, caught.subjects, tuple(dict.fromkeys(proof)))


def _roles(caught: _Caught, hits: Sequence[Hit]) -> Iterator[Finding]:
    ask, state = hits[0]
    yield caught.finding(
        "3",
        "without MFA in their own policies, the user cannot call sts:AssumeRole on "
        f"{', '.join(a.resource for a, _ in hits)}: the AWS CLI's MFA prompt may then fail (AWS "
        "does not document whether the MFA code counts for the caller's own policies)",
        caught.decide(caught.policies, ask, state),
        allowed=False,
    )


def _nothing_else(caught: _Caught, hits: Sequence[Hit]) -> Iterator[Finding]:
    gaps: dict[tuple[MfaState, bool], tuple[Decision, list[Hit]]] = {}
    for ask, state in hits:
        own = caught.allowed(ask, state)
        entry = gaps.get((state, own))
        if entry is None:  # the first such gap shows the statements at work
            entry = gaps[(state, own)] = (
                caught.decide(caught.policies if own else caught.outside, ask, state),
                [],
            )
        entry[1].append(Hit(ask, state))
    for (state, own), (decision, items) in gaps.items():
        how = "long-term keys" if state == "absent" else "a session"
        what = caught.listed(items[:_LISTED]) + (
            f"; and {len(items) - _LISTED} more" if len(items) > _LISTED else ""
        )
        if own:
            message = f"without MFA ({how}), the module's own policies allow: {what}"
        else:
            message = (
                f"without MFA ({how}), nothing denies: {what} "
                "(any other policy on the user that allows them makes them work)"
            )
        yield caught.finding("3", message, decision, allowed=True)


def _own(caught: _Caught, hits: Sequence[Hit]) -> Iterator[Finding]:
    for ask, state in hits:
        yield caught.finding(
            "4", ask.words, caught.decide(caught.scaffolding, ask, state), allowed=True
        )


def _self_change(caught: _Caught, hits: Sequence[Hit]) -> Iterator[Finding]:
    for ask, state in hits:
        yield caught.finding(
            "4", ask.words, caught.decide(caught.outside, ask, state), allowed=True
        )


_REPORTS: dict[Part, Callable[[_Caught, Sequence[Hit]], Iterator[Finding]]] = {
    "gate": _gate,
    "enrol": _enrol,
    "roles": _roles,
    "nothing_else": _nothing_else,
    "own": _own,
    "self_change": _self_change,
}
