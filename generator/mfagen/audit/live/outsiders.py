"""IAM users outside accounts.yaml whose long-term credentials alone reach more than the keys
of mfagen's users do.

mfagen's promise is about everyone with keys. Every user of the accounts read who is not one
of the module's users, and has a long-term credential that works alone (an active access
key; a console password without an MFA device), is asked what the invariants ask of
mfagen's users (probes.py: each IAM action on their own user, on another user and on an MFA
device, a spread of services, the actions their policies name), in the state of long-term
keys (no MFA context key), and sts:AssumeRole on every role of the accounts read, its trust
included (a trust the audit's grammar refuses is not asked; for mfagen's own roles invariant
1 reports it). A request is beyond mfagen's users when no set of policies a user of the
module holds (as the output declares them, for an invented member) allows it on their own
counterpart; a role their keys can assume is beyond them always (invariant 1: their keys
assume none).

Users accounts.yaml acknowledges (accounts.<name>.machine_users) are listed with what they
reach; the others fail the audit. Permissions boundaries and SCPs are not modelled: they only
narrow, so a finding may overstate what a user reaches, never miss it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from mfagen.audit.checks import probes
from mfagen.audit.checks.probes import Actor
from mfagen.audit.live.findings import SHOWN, LiveFinding, MachineUser
from mfagen.audit.live.state import Account, AccountState, Credentials, Reply, tags_of
from mfagen.audit.model import Attached, Module
from mfagen.audit.policy.evaluate import Decision, Memo, Policy, assume_role, evaluate
from mfagen.audit.policy.grammar import PolicyError, compile_policy
from mfagen.audit.policy.pool import Pool
from mfagen.audit.read.live import Policies, where
from mfagen.iam import ASSUME_ROLE
from mfagen.wording import count, listed

_OTHER_USER = "mfagen-audit-other-user"
_DEVICE = "mfagen-audit-any-name"
_MEMBER = "mfagen-audit-member"


@dataclass(frozen=True)
class _Probe:
    action: str
    target: str
    """self, other, device or *: the resource, as each asker's counterpart."""

    def resource(self, who: Actor) -> str:
        if self.target == "self":
            return who.arn
        if self.target == "other":
            return f"arn:aws:iam::{who.account}:user/{_OTHER_USER}"
        if self.target == "device":
            return f"arn:aws:iam::{who.account}:mfa/{_DEVICE}"
        return "*"

    def shown(self) -> str:
        where = {"self": "their own user", "other": "another user", "device": "an MFA device"}
        return f"{self.action} on {where.get(self.target, '*')}"


def check(
    expected: Module, states: Sequence[AccountState], compiled: Mapping[str, Policies]
) -> tuple[list[LiveFinding], list[MachineUser]]:
    """Findings for the users whose credentials reach more; the acknowledged machine users.
    `compiled`: each account's Policies, by account id (read/live.py's `compiled`)."""
    ours = {user.name for user in expected.users}
    baseline = _Baseline(expected)
    roles = _Roles(states)
    findings: list[LiveFinding] = []
    machines: dict[tuple[str, str], MachineUser] = {}
    for state in states:
        policies = compiled[state.account]
        groups = {str(g["GroupName"]): g for g in state.groups}
        for entry in state.users:
            name = str(entry["UserName"])
            if state.account == expected.identity_account and name in ours:
                continue
            known = (state.alias, name) in expected.machine_users
            if not known and not _usable(state.credentials.get(name)):
                continue
            attached = [*policies.attached(entry, "UserPolicyList")]
            for group in entry.get("GroupList", []):
                if group in groups:
                    attached += policies.attached(groups[group], "GroupPolicyList")
            reached = list(_reaches(state, entry, attached, baseline, roles))
            arn = str(entry["Arn"])
            what = tuple(text for text, _ in reached)
            if known:
                machines[(state.alias, name)] = MachineUser(state.label, name, arn, what)
            elif reached:
                findings.append(_finding(state, arn, name, reached))
    for alias, name in sorted(expected.machine_users - set(machines)):
        account = dict(expected.accounts).get(alias, "")
        machines[(alias, name)] = MachineUser(Account(alias, account).label, name, None, ())
    return findings, [machines[key] for key in sorted(machines)]


def _usable(credentials: Credentials | None) -> bool:
    """Whether a long-term credential works alone (unknown, when the report lacks the user)."""
    if credentials is None:
        return True
    return bool(credentials.keys) or (credentials.password and not credentials.mfa_active)


def _reaches(
    state: AccountState,
    entry: Reply,
    attached: Sequence[Attached],
    baseline: _Baseline,
    roles: _Roles,
) -> Iterator[tuple[str, Decision]]:
    who = Actor(str(entry["UserName"]), str(entry["Arn"]), state.account, "user", tags_of(entry))
    context = probes.context(who, "absent")
    policies = [a.policy for a in attached]
    memo = Memo()
    for probe in _probes(policies):
        request = probes.request(who, probe.action, probe.resource(who), context)
        decision = evaluate(request, policies, memo)
        if decision.allowed and not baseline.allows(probe):
            yield probe.shown(), decision
    for role_account, arn, trust in roles.all():
        request = probes.request(who, ASSUME_ROLE, arn, context)
        decision = assume_role(request, policies, trust, role_account)
        if decision.allowed:
            yield f"{ASSUME_ROLE} on {arn}", decision


def _probes(policies: Sequence[Policy]) -> list[_Probe]:
    found = [
        _Probe(action, target)
        for action in probes.USER_ACTIONS
        for target in ("self", "other")
        if target == "self" or action not in probes.SELF_ONLY
    ]
    found += [_Probe(action, "device") for action in probes.MFA_DEVICE_ACTIONS]
    named = {*probes.OTHER_SERVICES, *probes.sampled_actions(policies)}
    asked = {p.action.lower() for p in found} | {ASSUME_ROLE.lower()}
    found += [_Probe(action, "*") for action in sorted(named) if action.lower() not in asked]
    return found


class _Baseline:
    """What the keys of mfagen's users may do: each distinct set of policies a user of the
    module holds, asked for an invented member of the identity account."""

    def __init__(self, module: Module) -> None:
        held = {tuple(id(a.policy) for a in module.identity_policies(u)) for u in module.users}
        policies = {id(a.policy): a.policy for u in module.users
                    for a in module.identity_policies(u)}  # fmt: skip
        self.sets = [frozenset(ids) for ids in held]
        self.pool = Pool(policies.values(), Memo())
        identity = module.identity_account
        self.who = Actor(_MEMBER, f"arn:aws:iam::{identity}:user/{_MEMBER}", identity, "user")
        self.context = probes.context(self.who, "absent")
        self._answers: dict[_Probe, bool] = {}

    def allows(self, probe: _Probe) -> bool:
        found = self._answers.get(probe)
        if found is None:
            request = probes.request(self.who, probe.action, probe.resource(self.who), self.context)
            verdicts = self.pool.verdicts(request)
            found = self._answers[probe] = any(verdicts.allow(ids) for ids in self.sets)
        return found


class _Roles:
    """Every role of the accounts read, with its trust compiled (once, when first asked)."""

    def __init__(self, states: Sequence[AccountState]) -> None:
        self.states = states
        self._all: list[tuple[str, str, Policy]] | None = None

    def all(self) -> list[tuple[str, str, Policy]]:
        """(account, role ARN, trust) of each role."""
        if self._all is None:
            self._all = []
            for state in self.states:
                for role in state.roles:
                    arn = str(role["Arn"])
                    name = f"trust of {role['RoleName']}"
                    try:
                        trust = compile_policy(
                            role.get("AssumeRolePolicyDocument"), name=name,
                            where=where(state, arn).ref(name), trust=True,
                        )  # fmt: skip
                    except PolicyError:
                        continue  # not asked: see the module docstring
                    self._all.append((state.account, arn, trust))
        return self._all


def _finding(
    state: AccountState, arn: str, name: str, reached: Sequence[tuple[str, Decision]]
) -> LiveFinding:
    statements = dict.fromkeys(ref.describe() for _, d in reached for ref in d.allows)
    message = (
        f"{name} is not in accounts.yaml, and their long-term credentials alone can do "
        f"{count(len(reached), 'thing')} mfagen's users' keys cannot"
    )
    can = listed([text for text, _ in reached], SHOWN, "; ")
    evidence = (f"can: {can}", *(f"allowed by {s}" for s in statements))
    return LiveFinding("outsider", state.label, arn, message, evidence)
