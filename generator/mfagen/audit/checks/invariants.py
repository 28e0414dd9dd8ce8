"""Invariants 1, 2, 5 and 6 (3 and 4 live in selfservice.py), each finding with its evidence.

1. No role of the module admits anyone without MFA, or with MFA older than its maximum age.
2. A tier role admits, with MFA, none but the tier's members: not another tier's members,
   not a user outside the file, not a role session or a foreign user carrying the tier tags.
5. A tier group, tier grants aside, may assume exactly its tier's roles; other groups none.
6. Each user's profile file has one profile per (tier, account) they are a member for, each
   naming a role that admits them with MFA, with an MFA serial of the identity account.
"""

from __future__ import annotations

from collections.abc import Iterator

from mfagen.audit.checks import probes
from mfagen.audit.checks.access import Access
from mfagen.audit.checks.matrix import Cells
from mfagen.audit.checks.probes import Actor, MfaState
from mfagen.audit.checks.report import Evidence, Finding, evidence
from mfagen.audit.checks.subjects import group_scaffolding, outsiders
from mfagen.audit.model import Group, Location, Module, Role, User
from mfagen.audit.policy.evaluate import evaluate
from mfagen.audit.policy.pool import Pool
from mfagen.audit.read.profiles import Profile, ProfileFile
from mfagen.iam import ASSUME_ROLE

STATES: tuple[MfaState, ...] = ("fresh", "absent")


def trusts(module: Module, access: Access) -> Iterator[Finding]:
    """Invariants 1 and 2, on each role's trust policy alone."""
    strangers = [(who, who.arn) for who in outsiders(module)]
    for role in module.roles:
        members = module.member_names(role.tier) if role.tier else frozenset()
        states = access.open_states(role)
        # Users the trust's gate (member list, tier tag) keeps out are refused anyway; a
        # member has nothing to report when no MFA state but fresh MFA is open.
        users = [
            (access.actor(u), u.name)
            for u in access.admissible(role, but=members if not states else frozenset())
        ]
        for who, label in [*users, *strangers]:
            if not access.may_admit(role, who):
                continue
            whom = _whom(label, who, members, module.identity_account)
            for state, age in states:
                decision = access.trust(role, who, state, age)
                if not decision.allowed:
                    continue
                if state == "old":
                    message = f"{role.arn} admits {whom} whose MFA is {age} seconds old"
                else:
                    how = "long-term keys" if state == "absent" else "a session"
                    message = f"{role.arn} admits {whom} without MFA ({how})"
                yield Finding("1", message, (label,), evidence(decision, allowed=True))
            if label not in members:
                decision = access.trust(role, who, "fresh")
                if decision.allowed:
                    yield Finding(
                        "2",
                        f"{role.arn} ({_tier_of(role)}) admits {whom}",
                        (label,),
                        evidence(decision, allowed=True),
                    )


def _whom(label: str, who: Actor, members: frozenset[str], identity: str) -> str:
    if label in members:
        return "its tier's member"
    if label != who.arn:
        return "a user outside its tier"
    if who.account != identity:
        return "a user of another account (tagged like a member)"
    if who.kind == "role":
        return "a role session of the identity account (tagged like a member)"
    return "a user of the identity account who is not in the file"


def _tier_of(role: Role) -> str:
    return f"tier {role.tier}" if role.tier else "no tier"


def groups(module: Module, access: Access) -> Iterator[Finding]:
    """Invariant 5: what each group's own policies let it assume."""
    targets = access.role_targets
    who = Actor(
        "mfagen-audit-member",
        f"arn:aws:iam::{module.identity_account}:user/mfagen-audit-member",
        module.identity_account,
        "user",
    )
    scaffolding = {group.key: group_scaffolding(module, group) for group in module.groups}
    pool = Pool((a.policy for found in scaffolding.values() for a in found), access.memo)
    verdicts = {
        (arn, state): pool.verdicts(
            probes.request(who, ASSUME_ROLE, arn, access.context(who, state, None))
        )
        for arn in targets
        for state in STATES
    }
    for group in module.groups:
        policies = tuple(a.policy for a in scaffolding[group.key])
        ids = frozenset(map(id, policies))
        wanted = {role.arn for role in module.tier_roles(group.tier)} if group.tier else set()
        extra: list[str] = []
        missing: list[str] = []
        proof: dict[Evidence, None] = {}
        for arn in targets:
            admitted = any(verdicts[(arn, state)].allow(ids) for state in STATES)
            if admitted == (arn in wanted):
                continue
            # wrong: evaluated in full, for the statements that decide it
            decisions = [
                evaluate(
                    probes.request(who, ASSUME_ROLE, arn, access.context(who, state, None)),
                    policies,
                    access.memo,
                )
                for state in STATES
            ]
            allowed = next((d for d in decisions if d.allowed), None)
            if (allowed is not None) != admitted:
                raise AssertionError(
                    f"the policies' verdicts and their evaluation disagree on whether group "
                    f"{group.name} may assume {arn}"
                )
            (extra if admitted else missing).append(arn)
            decision = allowed or decisions[0]
            proof.update(dict.fromkeys(evidence(decision, allowed=admitted)))
        if extra:
            yield Finding(
                "5",
                f"group {group.name} may assume roles outside {_tier(group)}: {', '.join(extra)}",
                (group.name,),
                tuple(e for e in proof if e.role == "allows"),
            )
        if missing:
            yield Finding(
                "5",
                f"group {group.name} may not assume {_tier(group)} roles {', '.join(missing)}",
                (group.name,),
                tuple(e for e in proof if e.role != "allows"),
            )


def _tier(group: Group) -> str:
    return f"tier {group.tier}" if group.tier else "every tier"


def profiles(
    module: Module, access: Access, files: dict[str, ProfileFile], cells: Cells | None = None
) -> Iterator[Finding]:
    """Invariant 6."""
    names = {u.name for u in module.users}
    for stranger in sorted(set(files) - names):
        where = Location(files[stranger].file, 0, "profile file")
        yield Finding(
            "6",
            "a profile file for someone who is no user of the module",
            (stranger,),
            (Evidence("at", where.ref(files[stranger].file)),),
        )
    check = _Profiles(module, access, cells or Cells(access))
    for user in module.users:
        file = files.get(user.name)
        if file is None:
            yield Finding(
                "6", "the user has no profile file (profiles/<user>/config)", (user.name,)
            )
            continue
        yield from check.file(user, file)


class _Profiles:
    """Invariant 6 for every profile: what every profile file needs, computed once.

    Most profiles are fine; for those `fine` says so with a few lookups, and `_profile` (which
    says what is wrong, with evidence) runs for the others only. `fine` tests exactly the
    conditions under which `_profile` reports nothing.
    """

    def __init__(self, module: Module, access: Access, cells: Cells) -> None:
        self.module = module
        self.access = access
        self.cells = cells
        by_arn = {role.arn: role for role in module.roles}
        self.roles = {
            arn: (role, (role.tier or role.name, role.alias), cells.row(role))
            for arn, role in by_arn.items()
        }
        """ARN -> the role, its (tier, account) and its cells (with_mfa: assume's verdict)."""
        self.serial = f"arn:aws:iam::{module.identity_account}:mfa/"
        self.tier_keys = {
            tier: frozenset((role.tier, role.alias) for role in module.tier_roles(tier))
            for tier in module.tiers
        }

    def file(self, user: User, file: ProfileFile) -> Iterator[Finding]:
        module, access, roles, name = self.module, self.access, self.roles, user.name
        tiers_of = module.tiers_of(user)
        tiers = set(tiers_of)
        used: dict[tuple[str, str], int] = {}
        sources: dict[str, Profile | None] = {}
        for profile in file.profiles:
            arn = profile.role_arn
            if arn is None:
                continue
            entry = roles.get(arn)
            role = None
            if entry is not None:
                role, key, row = entry
                used[key] = used.get(key, 0) + 1
                # what _profile checks, when all is well: it would report nothing
                cell = row.get(name) if role.tier in tiers else None
                if cell is not None and cell.with_mfa:  # assume(user, role, "fresh").allowed
                    source_name = profile.source_profile or ""
                    if source_name in sources:
                        source = sources[source_name]
                    else:
                        source = sources[source_name] = file.get(source_name)
                    serial = profile.mfa_serial or ""
                    if (
                        serial.startswith(self.serial)
                        and source is not None
                        and source.role_arn is None
                    ):
                        continue
            yield from _profile(module, access, user, file, profile, role=role, tiers=tiers)
        if len(used) != sum(used.values()):
            for (tier, account), count in sorted(used.items()):
                if count > 1:
                    message = f"{count} profiles for tier {tier} in account {account}"
                    yield Finding("6", message, (user.name,))
        if not all(used.keys() >= self.tier_keys[t] for t in tiers_of):
            yield from self.missing(user, tiers, used)

    def missing(
        self, user: User, tiers: set[str], used: dict[tuple[str, str], int]
    ) -> Iterator[Finding]:
        """The user's roles without a profile (in the module's order)."""
        access = self.access
        for role in self.module.roles:
            if role.tier not in tiers or (role.tier, role.alias) in used:
                continue
            message = f"no profile for tier {role.tier} in account {role.alias}"
            yield Finding("6", message, (user.name,))
            decision = access.assume(user, role, "fresh")
            if not decision.allowed:
                yield Finding(
                    "6",
                    f"the user is in tier {role.tier} but {role.arn} does not admit them with MFA",
                    (user.name,),
                    evidence(decision, allowed=False),
                )


def _profile(
    module: Module,
    access: Access,
    user: User,
    file: ProfileFile,
    profile: Profile,
    *,
    role: Role | None,
    tiers: set[str],
) -> Iterator[Finding]:
    """One role profile: its role exists, is the user's tier's and admits them; MFA serial."""

    def at(*more: Evidence) -> tuple[Evidence, ...]:
        where = Location(file.file, profile.line, f"[profile {profile.name}]")
        return (Evidence("at", where.ref("profile")), *more)

    if role is None:
        message = f"profile {profile.name} names {profile.role_arn}, no role of the module"
        yield Finding("6", message, (user.name,), at())
        return
    if role.tier not in tiers:
        message = f"profile {profile.name} is for tier {role.tier}, which the user is not in"
        yield Finding("6", message, (user.name,), at())
    decision = access.assume(user, role, "fresh")
    if not decision.allowed:
        message = f"profile {profile.name}: {role.arn} does not admit the user with MFA"
        yield Finding("6", message, (user.name,), at(*evidence(decision, allowed=False)))
    if not (profile.mfa_serial or "").startswith(f"arn:aws:iam::{module.identity_account}:mfa/"):
        message = (
            f"profile {profile.name} has no mfa_serial of the identity account: "
            "the CLI would not ask for the MFA code the trust demands"
        )
        yield Finding("6", message, (user.name,), at())
    source = file.get(profile.source_profile or "")
    if source is None or source.role_arn is not None:
        message = (
            f"profile {profile.name}: source_profile must name the profile holding the "
            "user's long-term keys"
        )
        yield Finding("6", message, (user.name,), at())


def strays(module: Module) -> Iterator[Finding]:
    for stray in module.strays:
        yield Finding(
            stray.invariant,
            f"{stray.where.address}: {stray.message}",
            (),
            (Evidence("at", stray.where.ref(stray.where.address)),),
        )
