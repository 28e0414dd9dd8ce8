"""Who can assume which role, in which MFA state: the trust alone and trust plus identity.

States: `fresh` (MFA just now), `absent` (long-term keys: no MFA keys at all), `false`
(a session without MFA) and `old` (MFA older than the trust's maximum age). The maximum age
is read from the trust's own `aws:MultiFactorAuthAge` test; ages at and well past it count
as too old.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mfagen.audit import probes
from mfagen.audit.conditions import Condition
from mfagen.audit.evaluate import Decision, Memo, Policy, Statement, assume_role, evaluate
from mfagen.audit.managed import outside_grant
from mfagen.audit.matching import Context
from mfagen.audit.model import Module, Role, User
from mfagen.audit.probes import Actor, MfaState
from mfagen.audit.report import Cell
from mfagen.audit.subjects import UserClass, actor, stand_in, tags_read

ASSUME = "sts:AssumeRole"
MFA_AGE = "aws:multifactorauthage"
NO_MFA: tuple[MfaState, ...] = ("absent", "false")
MFA_KEYS = {"aws:multifactorauthpresent", MFA_AGE}
CALLER_KEYS = {"aws:principalarn", "aws:username", "aws:principalaccount", "aws:userid"}
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
    """Cached decisions: trust-only per (role, actor, state), identity per (class, role, state)."""

    module: Module
    classes: tuple[UserClass, ...]
    _trust: dict[tuple[str, str, MfaState, int | None], Decision] = field(default_factory=dict)
    _contexts: dict[tuple[Actor, MfaState, int | None], Context] = field(default_factory=dict)
    _ages: dict[str, tuple[int, ...]] = field(default_factory=dict)
    _assumed: dict[tuple[str, str, MfaState, int | None], Decision] = field(default_factory=dict)
    _identity: dict[tuple[int, str, MfaState, int | None], Decision] = field(default_factory=dict)
    _gates: dict[str, tuple[tuple[Statement, Condition, frozenset[str]], ...] | None] = field(
        default_factory=dict
    )
    memo: Memo = field(default_factory=Memo)
    """Policy verdicts shared by every question asked during one audit."""
    _refusals: dict[tuple[str, MfaState, int | None], Decision | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.class_of = {user.name: c for c in self.classes for user in c.members}
        self._actors = {user.name: actor(user, self.module) for user in self.module.users}
        pool = {id(a.policy): a.policy for c in self.classes for a in c.policies}
        self._pool = (*pool.values(), outside_grant())
        self.tags_read = tags_read(self._pool)
        self._sets: dict[tuple[Any, ...], tuple[frozenset[int], frozenset[int]]] = {}
        self._stand_ins: dict[str, Actor] = {}
        self._interned: dict[Actor, Actor] = {}
        """One object per distinct stand-in: cache keys then compare by identity."""
        self._ids: dict[int, frozenset[int]] = {}
        self._index: dict[tuple[str, str], list[User]] | None = None

    def stand_in(self, user: User) -> Actor:
        """Who asks for `user`'s class (see subjects.stand_in)."""
        found = self._stand_ins.get(user.name)
        if found is None:
            made = stand_in(user, self.module, self.tags_read)
            found = self._stand_ins[user.name] = self._interned.setdefault(made, made)
        return found

    def verdicts(
        self, who: Actor, action: str, resource: str, state: MfaState, age: int | None = None
    ) -> tuple[frozenset[int], frozenset[int]]:
        """ids of the policies (of any user) that allow, and that deny, this request.

        A class of users is then allowed when one of its policies allows and none denies:
        two set tests, instead of an evaluation per class.
        """
        key = (who, action, resource, state, age)
        found = self._sets.get(key)
        if found is None:
            request = probes.request(who, action, resource, self.context(who, state, age))
            verdicts = [(id(p), self.memo.verdict(p, request)) for p in self._pool]
            allows = frozenset(i for i, v in verdicts if v[0])
            denies = frozenset(i for i, v in verdicts if v[1])
            found = self._sets[key] = (allows, denies)
        return found

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

    def trust(self, role: Role, who: Actor, state: MfaState, age: int | None = None) -> Decision:
        """The trust policy alone: does it admit `who` in this state?"""
        blocked = self._blocked(role, state, age)
        if blocked is not None:
            return blocked
        if not self.may_admit(role, who):
            return self._gated(role)
        key = (role.arn, who.arn, state, age)
        found = self._trust.get(key)
        if found is None:
            request = probes.request(who, ASSUME, role.arn, self.context(who, state, age))
            found = self._trust[key] = evaluate(request, (role.trust,))
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
        """Trust and identity together, as AWS decides sts:AssumeRole."""
        key = (user.name, role.arn, state, age)
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
            ids = self._class_ids(cls)
            allows, denies = self.verdicts(self.stand_in(user), ASSUME, role.arn, state, age)
            if not ids.isdisjoint(allows) and ids.isdisjoint(denies):
                return trust  # both allow (the evidence: the trust's statements)
        request = probes.request(who, ASSUME, role.arn, self.context(who, state, age))
        identity = self.identity(user, role, state, age)
        return assume_role(request, (), role.trust, role.account, decided=(identity, trust))

    def _class_ids(self, cls: UserClass) -> frozenset[int]:
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
            request = probes.request(who, ASSUME, role.arn, self.context(who, state, age))
            found = self._identity[key] = evaluate(request, policies(cls), self.memo)
        return found

    def gates(self, role: Role) -> tuple[tuple[Statement, Condition, frozenset[str]], ...] | None:
        """For each Allow statement of the trust, a test that only some callers can pass.

        A strict test on who the caller is (their ARN, name, account or a tag: the member
        list or the tier tag) decides alone whether a caller can be admitted at all, in any
        MFA state; None when some Allow statement has no such test.
        """
        if role.arn not in self._gates:
            found = []
            for statement in role.trust.statements:
                if statement.effect == "Deny":
                    continue
                gate = next(
                    (
                        (statement, c, values)
                        for c in statement.conditions
                        if _about_caller(c.lookup) and (values := c.exact_values()) is not None
                    ),
                    None,
                )
                if gate is None:
                    self._gates[role.arn] = None
                    break
                found.append(gate)
            else:
                self._gates[role.arn] = tuple(found)
        return self._gates[role.arn]

    def may_admit(self, role: Role, who: Actor) -> bool:
        """False when the trust's gates keep `who` out whatever their MFA (see gates)."""
        gates = self.gates(role)
        if gates is None:
            return True
        context = self.context(who, "fresh", None)
        return any(values.intersection(context.get(c.lookup, ())) for _, c, values in gates)

    def admissible(self, role: Role) -> list[User]:
        """The users the trust's gates let through (everyone when it has none), in order."""
        gates = self.gates(role)
        if gates is None:
            return list(self.module.users)
        if self._index is None:
            self._index = {}
            for user in self.module.users:
                for key, values in self.context(self._actors[user.name], "fresh", None).items():
                    for value in values:
                        self._index.setdefault((key, value), []).append(user)
        found = {
            user.name: user
            for _, condition, values in gates
            for value in values
            for user in self._index.get((condition.lookup, value), ())
        }
        return [user for user in self.module.users if user.name in found]

    def _gated(self, role: Role) -> Decision:
        gates = self.gates(role) or ()
        return Decision(allowed=False, unmet=tuple((s.ref, c) for s, c, _ in gates))

    def open_states(self, role: Role) -> tuple[tuple[MfaState, int | None], ...]:
        """The MFA states, besides fresh MFA, in which the trust might admit someone.

        A state whose MFA tests refuse everyone (the usual case) needs no per-user look.
        """
        states: list[tuple[MfaState, int | None]] = [(state, None) for state in NO_MFA]
        states += [("old", age) for age in self.old_ages(role)]
        return tuple((s, a) for s, a in states if self._blocked(role, s, a) is None)

    def matrix(self) -> tuple[tuple[str, tuple[Cell, ...]], ...]:
        """Each user's cells: every role they are a member for or can assume in some state."""
        users = self.module.users
        tiers = {user.name: set(self.module.tiers_of(user)) for user in users}
        found: dict[str, list[Cell]] = {user.name: [] for user in users}
        for role in self.module.roles:
            states = self.open_states(role)
            has_age = bool(self.old_ages(role))
            # Others have no cell: no member, and kept out by the trust whatever their MFA.
            members = self.module.members(role.tier) if role.tier else ()
            asked = {user.name: user for user in (*members, *self.admissible(role))}
            for user in asked.values():
                member = role.tier in tiers[user.name]
                with_mfa = self.assume(user, role, "fresh").allowed
                admitted = {s for s, a in states if self.assume(user, role, s, a).allowed}
                without = bool(admitted & set(NO_MFA))
                too_old = ("old" in admitted) if has_age else None
                if member or with_mfa or without or too_old:
                    tier = role.tier or role.name
                    cell = Cell(role.alias, tier, role.arn, member, with_mfa, without, too_old)
                    found[user.name].append(cell)
        return tuple(
            (name, tuple(sorted(cells, key=lambda c: (c.account, c.tier))))
            for name, cells in found.items()
        )


def _about_caller(key: str) -> bool:
    return key in CALLER_KEYS or key.startswith("aws:principaltag/")


def policies(cls: UserClass) -> tuple[Policy, ...]:
    return tuple(a.policy for a in cls.policies)
