"""AWS's policy evaluation logic over policy JSON and a request, as pure functions.

An explicit Deny in any applicable policy wins; otherwise a request is allowed when an Allow
applies. `sts:AssumeRole` needs the role's trust policy to allow as well: across accounts, or
when the trust names only the caller's account, the caller's identity policies must allow too;
within one account a trust that names the caller's own ARN suffices on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from mfagen.audit.policy.conditions import Condition
from mfagen.audit.policy.matching import Context, PatternSet

Effect = Literal["Allow", "Deny"]


@dataclass(frozen=True)
class StatementRef:
    """Where a statement comes from: file, line, Terraform address, policy and Sid."""

    file: str
    line: int
    address: str
    policy: str
    sid: str
    effect: str

    def describe(self) -> str:
        """`file:line address (policy) statement Sid`, each part only where it says something:
        a place that is not a statement (a profile, a file, a resource) has no Sid, and its
        policy label may repeat the file or the address."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where} {self.address}"
        if self.policy and self.policy not in {self.file, self.address}:
            text += f" ({self.policy})"
        return f"{text} statement {self.sid}" if self.sid else text


@dataclass(frozen=True)
class Request:
    """One API call: who asks (for trust policies), what, on which resource, in what context."""

    action: str
    resource: str
    context: Context
    principal_arn: str = ""
    principal_account: str = ""


@dataclass(frozen=True, eq=False)
class Statement:
    ref: StatementRef
    effect: Effect
    actions: PatternSet | None
    not_actions: PatternSet | None
    resources: PatternSet | None
    not_resources: PatternSet | None
    principals: tuple[str, ...] | None
    not_principals: tuple[str, ...] | None
    conditions: tuple[Condition, ...]
    _by_action: dict[str, bool] = field(default_factory=dict, repr=False)

    def _action(self, request: Request) -> bool:
        known = self._by_action.get(request.action)
        if known is not None:
            return known
        context = request.context
        fits = (self.actions is None or self.actions.match(request.action, context)) and not (
            self.not_actions is not None and self.not_actions.match(request.action, context)
        )
        if not any(ps.dynamic for ps in (self.actions, self.not_actions) if ps is not None):
            self._by_action[request.action] = fits
        return fits

    def may_apply(self, action: str) -> bool:
        """Whether the statement can apply to some request for `action`, whatever else it asks.

        Without a policy variable in Action/NotAction the answer depends on the action alone;
        with one, the audit does not guess: True.
        """
        if any(ps.dynamic for ps in (self.actions, self.not_actions) if ps is not None):
            return True
        return self._action(Request(action, "", {}))

    def only_on(self) -> frozenset[str] | None:
        """The only resources the statement can apply to, when its Resource lists plain ARNs
        (a pattern without wildcards or variables matches itself alone); else None."""
        if self.resources is None or self.not_resources is not None:
            return None
        return self.resources.literals()

    def applies(self, request: Request) -> bool:
        """Action, resource and principal match (conditions aside)."""
        context = request.context
        if not self._action(request):
            return False
        if self.resources is not None and not self.resources.match(request.resource, context):
            return False
        if self.not_resources is not None and self.not_resources.match(request.resource, context):
            return False
        if self.principals is not None and principal_match(self.principals, request) is None:
            return False
        return not (
            self.not_principals is not None
            and principal_match(self.not_principals, request) is not None
        )

    def failed_condition(self, context: Context) -> Condition | None:
        return next((c for c in self.conditions if not c.holds(context)), None)


@dataclass(frozen=True, eq=False)
class Policy:
    name: str
    statements: tuple[Statement, ...]
    opaque: bool = False
    """An AWS managed policy the audit knows only by name: modelled as a broad grant."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    allows: tuple[StatementRef, ...] = ()
    denies: tuple[StatementRef, ...] = ()
    unmet: tuple[tuple[StatementRef, Condition], ...] = field(default=())
    """Statements that matched the request but not their condition, with the failed test."""


def principal_match(principals: tuple[str, ...], request: Request) -> str | None:
    """'principal' when an entry names the caller, 'account' when it names their account."""
    found: str | None = None
    for entry in principals:
        if entry == "*":
            found = found or "account"
        elif entry == request.principal_arn:
            return "principal"
        elif entry in (
            request.principal_account,
            f"arn:aws:iam::{request.principal_account}:root",
        ):
            found = "account"
    return found


Verdict = tuple[
    tuple[StatementRef, ...], tuple[StatementRef, ...], tuple[tuple[StatementRef, Condition], ...]
]
"""One policy's part in a decision: its allowing, denying and condition-failed statements."""


class Memo:
    """Verdicts of one policy on one request, shared between principals with that policy.

    Keyed by object identity; the memo keeps each context alive so no id is reused.
    """

    def __init__(self) -> None:
        self.verdicts: dict[tuple[int, str, str, int], Verdict] = {}
        self._contexts: dict[int, Context] = {}

    def verdict(self, policy: Policy, request: Request) -> Verdict:
        key = (id(policy), request.action, request.resource, id(request.context))
        found = self.verdicts.get(key)
        if found is None:
            self._contexts.setdefault(id(request.context), request.context)
            found = self.verdicts[key] = _verdict(policy, request)
        return found


def _verdict(policy: Policy, request: Request) -> Verdict:
    allows: list[StatementRef] = []
    denies: list[StatementRef] = []
    unmet: list[tuple[StatementRef, Condition]] = []
    for statement in policy.statements:
        if not statement.applies(request):
            continue
        failed = statement.failed_condition(request.context)
        if failed is not None:
            unmet.append((statement.ref, failed))
        elif statement.effect == "Deny":
            denies.append(statement.ref)
        else:
            allows.append(statement.ref)
    return tuple(allows), tuple(denies), tuple(unmet)


def evaluate(request: Request, policies: Iterable[Policy], memo: Memo | None = None) -> Decision:
    """Identity-based evaluation: explicit deny > allow > implicit deny."""
    allows: list[StatementRef] = []
    denies: list[StatementRef] = []
    unmet: list[tuple[StatementRef, Condition]] = []
    for policy in policies:
        found = memo.verdict(policy, request) if memo is not None else _verdict(policy, request)
        allows.extend(found[0])
        denies.extend(found[1])
        unmet.extend(found[2])
    return Decision(bool(allows) and not denies, tuple(allows), tuple(denies), tuple(unmet))


def assume_role(
    request: Request,
    identity: Sequence[Policy],
    trust: Policy,
    role_account: str,
    *,
    decided: tuple[Decision, Decision] | None = None,
) -> Decision:
    """sts:AssumeRole: the trust policy and (unless it names the caller) identity policies.

    `decided`: the identity and trust decisions on this request, when already known.
    """
    own, theirs = decided or (evaluate(request, identity), evaluate(request, (trust,)))
    denies = own.denies + theirs.denies
    unmet = own.unmet + theirs.unmet
    if denies or not theirs.allows:
        return Decision(
            allowed=False, allows=own.allows + theirs.allows, denies=denies, unmet=unmet
        )
    by_name = any(
        statement.ref in theirs.allows
        and statement.principals is not None
        and principal_match(statement.principals, request) == "principal"
        for statement in trust.statements
    )
    if by_name and request.principal_account == role_account:
        return Decision(allowed=True, allows=theirs.allows, unmet=unmet)
    return Decision(allowed=bool(own.allows), allows=own.allows + theirs.allows, unmet=unmet)
