"""Tests in a trust that only some callers can pass, whatever their MFA: the trust's gates.

A member list (`ArnEquals aws:PrincipalArn [...]`) or a tier tag (`StringEquals
aws:PrincipalTag/...`) in every Allow statement decides alone whether a caller can be
admitted at all: the audit then asks only about the users who pass one (`admissible`),
found through an index of every user's context values, and refuses the others at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mfagen.audit.checks.probes import Actor
from mfagen.audit.model import Module, Role, User
from mfagen.audit.policy.conditions import Condition
from mfagen.audit.policy.evaluate import Decision, Statement
from mfagen.audit.policy.matching import Context

CALLER_KEYS = {"aws:principalarn", "aws:username", "aws:principalaccount", "aws:userid"}
Gate = tuple[Statement, Condition, frozenset[str]]


class Gates:
    def __init__(
        self, module: Module, actors: Mapping[str, Actor], context: Callable[[Actor], Context]
    ) -> None:
        self.module = module
        self._actors = actors
        self._context = context
        """A caller's request context (fresh MFA: gates read no MFA key)."""
        self._gates: dict[str, tuple[Gate, ...] | None] = {}
        self._index: dict[tuple[str, str], set[str]] | None = None
        self._position = {user.name: n for n, user in enumerate(module.users)}

    def of(self, role: Role) -> tuple[Gate, ...] | None:
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
        gates = self.of(role)
        if gates is None:
            return True
        context = self._context(who)
        return any(values.intersection(context.get(c.lookup, ())) for _, c, values in gates)

    def admissible(self, role: Role, but: frozenset[str] = frozenset()) -> list[User]:
        """The users the trust's gates let through (everyone when it has none), in order;
        `but` those named."""
        if self.of(role) is None:
            return [user for user in self.module.users if user.name not in but]
        position, users = self._position, self.module.users
        names = self.admissible_names(role) - but
        return [users[n] for n in sorted(position[name] for name in names)]

    def admissible_names(self, role: Role) -> frozenset[str]:
        """The names of the users `admissible` lists."""
        gates = self.of(role)
        if gates is None:
            return frozenset(self._position)
        if self._index is None:
            self._index = {}
            for user in self.module.users:
                for key, values in self._context(self._actors[user.name]).items():
                    for value in values:
                        self._index.setdefault((key, value), set()).add(user.name)
        index = self._index
        return frozenset().union(
            *(index.get((c.lookup, value), ()) for _, c, values in gates for value in values)
        )

    def refusal(self, role: Role) -> Decision:
        """The refusal of a caller who passes no gate."""
        gates = self.of(role) or ()
        return Decision(allowed=False, unmet=tuple((s.ref, c) for s, c, _ in gates))


def _about_caller(key: str) -> bool:
    return key in CALLER_KEYS or key.startswith("aws:principaltag/")
