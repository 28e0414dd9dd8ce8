"""Which of many policies allow, and which deny, one request, asking only those that can.

The audit asks hundreds of thousands of questions of a few dozen policies, and most policies
have no part in most answers: a tier's `AllowAssumeTierRoles` speaks of sts:AssumeRole on its
own roles only. A policy none of whose statements names the action (without a variable, the
action alone decides that) neither allows nor denies; nor does one whose statements for the
action list plain ARNs only (each matches itself alone), none of them the resource. Skipping
them changes no verdict and no evidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from mfagen.audit.policy.evaluate import Memo, Policy, Request


class Verdicts(NamedTuple):
    """ids of the policies that allow, and that deny, one request."""

    allows: frozenset[int]
    denies: frozenset[int]

    def allow(self, held: frozenset[int]) -> bool:
        """Whether a principal holding the policies `held` (ids) is allowed: one of them allows
        and none denies. IAM's rule within one account, written once; `evaluate` decides the
        same for the same policies (tests/audit/test_evaluate.py), and the audit's set form,
        selfservice.Index, answers as this rule for each class (tests/audit/test_hand_made.py).
        """
        return not held.isdisjoint(self.allows) and held.isdisjoint(self.denies)


class Pool:
    def __init__(self, policies: Iterable[Policy], memo: Memo) -> None:
        unique = {id(policy): policy for policy in policies}
        self.policies = tuple(unique.values())
        self.memo = memo
        self._by_action: dict[str, tuple[tuple[Policy, frozenset[str] | None], ...]] = {}

    def relevant(self, action: str, resource: str) -> list[Policy]:
        """The policies that may allow or deny `action` on `resource`."""
        found = self._by_action.get(action)
        if found is None:
            found = self._by_action[action] = tuple(self._for(action))
        return [p for p, only in found if only is None or resource in only]

    def _for(self, action: str) -> Iterable[tuple[Policy, frozenset[str] | None]]:
        for policy in self.policies:
            statements = [s for s in policy.statements if s.may_apply(action)]
            if not statements:
                continue
            only: set[str] | None = set()
            for statement in statements:
                resources = statement.only_on()
                if resources is None or only is None:
                    only = None
                else:
                    only |= resources
            yield policy, None if only is None else frozenset(only)

    def verdicts(self, request: Request) -> Verdicts:
        """ids of the policies that allow, and that deny, the request."""
        verdicts = [
            (id(p), self.memo.verdict(p, request))
            for p in self.relevant(request.action, request.resource)
        ]
        allows = frozenset(i for i, v in verdicts if v[0])
        denies = frozenset(i for i, v in verdicts if v[1])
        return Verdicts(allows, denies)
