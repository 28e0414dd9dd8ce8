"""Who can assume which role, in which MFA state: the trust alone and trust plus identity.

States: `fresh` (MFA just now), `absent` (long-term keys: no MFA keys at all), `false`
(a session without MFA) and `old` (MFA older than the trust's maximum age). The maximum age
is read from the trust's own `aws:MultiFactorAuthAge` test; ages at and well past it count
as too old.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from mfagen.audit.checks import probes, trust_signatures
from mfagen.audit.checks.probes import MFA_AGE, MFA_KEYS, NO_MFA, Actor, MfaState
from mfagen.audit.checks.subjects import UserClass, actor, role_targets, stand_in, tags_read
from mfagen.audit.checks.trust_gates import Gates
from mfagen.audit.model import Module, Role, User
from mfagen.audit.policy.evaluate import Decision, Memo, Policy, assume_role, evaluate
from mfagen.audit.policy.managed import outside_grant
from mfagen.audit.policy.matching import Context
from mfagen.audit.policy.pool import Pool, Verdicts
from mfagen.iam import ASSUME_ROLE

_NOBODY = Actor("", "", "", "role")


def max_age(role: Role) -> int | None:
    """The smallest age an Allow statement of the trust compares aws:MultiFactorAuthAge with."""
    ages = [
        int(float(value))
        for statement in role.trust.statements
        if statement.effect == "Allow"
        for condition in statement.conditions
        if condition.lookup == MFA_AGE and condition.operator.startswith(("Numeric", "ForA"))
        for value in condition.values
        if value.replace(".", "", 1).isdigit()
    ]
    return min(ages) if ages else None


def old_ages(role: Role) -> tuple[int, ...]:
    limit = max_age(role)
    return () if limit is None else (limit, limit * 10 + 1)


@dataclass
class Access:
    """Cached decisions: trust-only per (role, caller signature, state), identity per (class,
    role, state), trust and identity together per (class, role, signature, state)."""

    module: Module
    classes: tuple[UserClass, ...]
    _trust: dict[tuple[str, int, MfaState, int | None], Decision] = field(default_factory=dict)
    _contexts: dict[tuple[Actor, MfaState, int | None], Context] = field(default_factory=dict)
    _ages: dict[str, tuple[int, ...]] = field(default_factory=dict)
    _assumed: dict[tuple[int, str, int, MfaState, int | None], Decision] = field(
        default_factory=dict
    )
    _identity: dict[tuple[int, str, MfaState, int | None], Decision] = field(default_factory=dict)
    memo: Memo = field(default_factory=Memo)
    """Policy verdicts shared by every question asked during one audit."""
    _refusals: dict[tuple[str, MfaState, int | None], Decision | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.class_of = {user.name: c for c in self.classes for user in c.members}
        self._actors = {user.name: actor(user, self.module) for user in self.module.users}
        pool = {id(a.policy): a.policy for c in self.classes for a in c.policies}
        self._pool = (*pool.values(), outside_grant())
        self._by_id = {id(policy): policy for policy in self._pool}
        self.pool = Pool(self._pool, self.memo)
        self.tags_read = tags_read(self._pool)
        self._sets: dict[tuple[Any, ...], Verdicts] = {}
        self._stand_ins: dict[str, Actor] = {}
        self._interned: dict[Actor, Actor] = {}
        """One object per distinct stand-in: cache keys then compare by identity."""
        self._ids: dict[int, frozenset[int]] = {}
        self.gates = Gates(self.module, self._actors, lambda who: self.context(who, "fresh", None))
        self.may_admit = self.gates.may_admit
        self.admissible = self.gates.admissible
        self.admissible_names = self.gates.admissible_names
        self._position = {user.name: n for n, user in enumerate(self.module.users)}
        self._shape_ids: dict[trust_signatures.Shape, int] = {}
        self._shape_list: list[trust_signatures.Shape | None] = []
        self._shape_of: dict[str, int] = {}
        self._signatures: list[dict[str, int]] = []
        """shape -> caller ARN -> signature (the ARN: what a trust's principal matches on)."""
        self._sig_ids: dict[Hashable, int] = {}
        self._grouped: list[dict[str, int]] = []
        """shape -> user name -> signature, for signature_groups."""
        self._groups: list[dict[int, set[str]]] = []
        """shape -> signature -> the users with it (of those signature_groups has seen)."""

    def stand_in(self, user: User) -> Actor:
        """Who asks for `user`'s class (see subjects.stand_in)."""
        found = self._stand_ins.get(user.name)
        if found is None:
            made = stand_in(user, self.module, self.tags_read)
            found = self._stand_ins[user.name] = self._interned.setdefault(made, made)
        return found

    def verdicts(
        self, who: Actor, action: str, resource: str, state: MfaState, age: int | None = None
    ) -> Verdicts:
        """ids of the policies (of any user) that allow, and that deny, this request.

        A class of users is then allowed when `Verdicts.allow` its policies: two set tests,
        instead of an evaluation per class (pool.py asks only the policies that can take part).
        """
        key = (who, action, resource, state, age)
        found = self._sets.get(key)
        if found is None:
            request = probes.request(who, action, resource, self.context(who, state, age))
            found = self._sets[key] = self.pool.verdicts(request)
        return found

    @cached_property
    def role_targets(self) -> list[str]:
        """The roles invariants 3 and 5 try sts:AssumeRole on (subjects.role_targets)."""
        return role_targets(self.module)

    def policy(self, policy_id: int) -> Policy:
        """The policy of some user with this id (verdicts' sets hold ids)."""
        return self._by_id[policy_id]

    def actor(self, user: User) -> Actor:
        return self._actors[user.name]

    def context(self, who: Actor, state: MfaState, age: int | None) -> Context:
        key = (who, state, age)
        found = self._contexts.get(key)
        if found is None:
            found = self._contexts[key] = probes.context(who, state, age)
        return found

    def old_ages(self, role: Role) -> tuple[int, ...]:
        found = self._ages.get(role.arn)
        if found is None:
            found = self._ages[role.arn] = old_ages(role)
        return found

    def signatures(self, role: Role) -> dict[str, int]:
        """The signatures computed so far for the role's trust shape, by caller ARN."""
        return self._signatures[self._shape(role)]

    def signature(self, role: Role, who: Actor) -> int:
        """What the trust can tell about `who`, as a number: callers with equal signatures get
        equal trust decisions in every MFA state (trust_signatures.py) and equal gate verdicts
        (may_admit tests conditions whose results the signature holds; it is added anyway)."""
        table = self._signatures[self._shape(role)]
        sig = table.get(who.arn)
        if sig is None:
            shape = self._shape_list[self._shape(role)]
            made: Hashable = ("caller", who.arn)
            if shape is not None:
                context = self.context(who, "fresh", None)
                request = probes.request(who, ASSUME_ROLE, role.arn, context)
                made = (
                    self.may_admit(role, who),
                    trust_signatures.signature(shape, request, context),
                )
            sig = table[who.arn] = self._sig_ids.setdefault(made, len(self._sig_ids))
        return sig

    def _shape(self, role: Role) -> int:
        """The number of the role's trust shape; a trust without one gets its own number."""
        found = self._shape_of.get(role.arn)
        if found is None:
            shape = trust_signatures.shape(role.trust)
            found = self._shape_ids.get(shape) if shape is not None else None
            if found is None:
                found = len(self._shape_list)
                self._shape_list.append(shape)
                self._signatures.append({})
                self._grouped.append({})
                self._groups.append({})
                if shape is not None:
                    self._shape_ids[shape] = found
            self._shape_of[role.arn] = found
        return found

    def trust(self, role: Role, who: Actor, state: MfaState, age: int | None = None) -> Decision:
        """The trust policy alone: does it admit `who` in this state?"""
        blocked = self._blocked(role, state, age)
        if blocked is not None:
            return blocked
        key = (role.arn, self.signature(role, who), state, age)
        found = self._trust.get(key)
        if found is None:
            if not self.may_admit(role, who):
                found = self.gates.refusal(role)
            else:
                request = probes.request(who, ASSUME_ROLE, role.arn, self.context(who, state, age))
                found = evaluate(request, (role.trust,))
            self._trust[key] = found
        return found

    def _blocked(self, role: Role, state: MfaState, age: int | None) -> Decision | None:
        """The refusal every caller gets in this MFA state, if the MFA tests alone refuse.

        When each Allow statement of the trust has a test of an MFA key that fails in this
        state (and no Deny complicates things), nobody is admitted, whoever asks: such a test
        reads only its own key, so the audit need not ask for each user.
        """
        key = (role.arn, state, age)
        if key in self._refusals:
            return self._refusals[key]
        mfa_only = probes.context(_NOBODY, state, age)
        unmet = []
        for statement in role.trust.statements:
            failed = next(
                (c for c in statement.conditions if c.lookup in MFA_KEYS and not c.holds(mfa_only)),
                None,
            )
            if statement.effect == "Deny" or failed is None:
                self._refusals[key] = None
                return None
            unmet.append((statement.ref, failed))
        found = self._refusals[key] = Decision(allowed=False, unmet=tuple(unmet))
        return found

    def assume(self, user: User, role: Role, state: MfaState, age: int | None = None) -> Decision:
        """Trust and identity together, as AWS decides sts:AssumeRole.

        Shared by the users of a class with one signature: the identity part is the class's
        (its stand-in's, or for a specific class its one user's) and the rest of the decision
        reads the caller only through the trust's principal matches and the caller's account,
        which the signature holds.
        """
        who = self._actors[user.name]
        key = (id(self.class_of[user.name]), role.arn, self.signature(role, who), state, age)
        found = self._assumed.get(key)
        if found is None:
            found = self._assumed[key] = self._assume(user, role, state, age)
        return found

    def _assume(self, user: User, role: Role, state: MfaState, age: int | None) -> Decision:
        who = self._actors[user.name]
        trust = self.trust(role, who, state, age)
        if not trust.allowed:
            return trust  # the usual case: the trust refuses; identity cannot change that
        cls = self.class_of[user.name]
        if not cls.specific:
            verdicts = self.verdicts(self.stand_in(user), ASSUME_ROLE, role.arn, state, age)
            if verdicts.allow(self.class_ids(cls)):
                return trust  # both allow (the evidence: the trust's statements)
        request = probes.request(who, ASSUME_ROLE, role.arn, self.context(who, state, age))
        identity = self.identity(user, role, state, age)
        return assume_role(request, (), role.trust, role.account, decided=(identity, trust))

    def class_ids(self, cls: UserClass) -> frozenset[int]:
        found = self._ids.get(id(cls))
        if found is None:
            found = self._ids[id(cls)] = frozenset(id(a.policy) for a in cls.policies)
        return found

    def identity(self, user: User, role: Role, state: MfaState, age: int | None) -> Decision:
        """The user's own policies on sts:AssumeRole; shared within a class of users."""
        cls = self.class_of[user.name]
        who = self.stand_in(user) if not cls.specific else self._actors[user.name]
        key = (id(cls), role.arn, state, age)
        found = self._identity.get(key)
        if found is None:
            request = probes.request(who, ASSUME_ROLE, role.arn, self.context(who, state, age))
            found = self._identity[key] = evaluate(request, policies(cls), self.memo)
        return found

    def signature_groups(
        self, role: Role, names: frozenset[str]
    ) -> list[tuple[int, frozenset[str]]]:
        """The users `names`, grouped by their signature for the role's trust."""
        shape = self._shape(role)
        known = self._grouped[shape]
        for name in names - known.keys():
            sig = known[name] = self.signature(role, self._actors[name])
            self._groups[shape].setdefault(sig, set()).add(name)
        return [(sig, names & group) for sig, group in self._groups[shape].items()]

    def open_states(self, role: Role) -> tuple[tuple[MfaState, int | None], ...]:
        """The MFA states, besides fresh MFA, in which the trust might admit someone.

        A state whose MFA tests refuse everyone (the usual case) needs no per-user look.
        """
        states: list[tuple[MfaState, int | None]] = [(state, None) for state in NO_MFA]
        states += [("old", age) for age in self.old_ages(role)]
        return tuple((s, a) for s, a in states if self._blocked(role, s, a) is None)


def policies(cls: UserClass) -> tuple[Policy, ...]:
    return tuple(a.policy for a in cls.policies)
