"""Callers a trust policy cannot tell apart: evaluate it once for all of them.

Each user asks about each role they may assume: trust evaluations that mostly repeat one
another. A trust policy without policy variables sees the caller through
two things only: its Principal / NotPrincipal entries, matched against the caller's ARN and
account (`principal_match`, whose result is all that evaluation uses), and its conditions,
each of which reads one key of the request context and, without a variable, depends on that
key's values alone (the reason `Condition` may memoise it). Conditions on the MFA keys read
only what the MFA state puts in the context, the same for every caller in that state.

So a caller's *signature* for a trust — their account, each statement's principal match and
the result of each condition that does not read an MFA key — fixes every statement's part in
the decision (applies? which condition fails first?), and with it the whole `Decision`, which
names statements and conditions, never the caller. Callers with the same signature get the
same decision in each MFA state. A trust with a policy variable anywhere (Action, Resource or
a condition value) may read any key: each caller is then their own signature.
"""

from __future__ import annotations

from collections.abc import Hashable

from mfagen.audit.checks.probes import MFA_KEYS
from mfagen.audit.policy.conditions import Condition
from mfagen.audit.policy.evaluate import Policy, Request, principal_match
from mfagen.audit.policy.matching import Context

Part = tuple[str, tuple[str, ...] | None, tuple[str, ...] | None, tuple[Condition, ...]]
Shape = tuple[Part, ...]


def shape(trust: Policy) -> Shape | None:
    """Everything of the trust that reads the caller, comparable between roles.

    Two trusts with equal shapes give every caller equal signatures (the conditions compare
    by operator, key and values). None when a policy variable makes the trust read keys the
    shape does not show.
    """
    found: list[Part] = []
    for statement in trust.statements:
        patterns = (
            statement.actions,
            statement.not_actions,
            statement.resources,
            statement.not_resources,
        )
        if any(ps.dynamic for ps in patterns if ps is not None):
            return None
        if not all(condition.static for condition in statement.conditions):
            return None
        callers = tuple(c for c in statement.conditions if c.lookup not in MFA_KEYS)
        found.append((statement.effect, statement.principals, statement.not_principals, callers))
    return tuple(found)


def signature(of: Shape, request: Request, context: Context) -> Hashable:
    """What a trust of shape `of` can tell about the caller of `request` (see the module)."""
    return (
        request.principal_account,
        tuple(
            (
                None if principals is None else principal_match(principals, request),
                None if others is None else principal_match(others, request),
                tuple(condition.holds(context) for condition in conditions),
            )
            for _, principals, others, conditions in of
        ),
    )
