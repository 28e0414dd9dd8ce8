"""The access matrix: for each role, the cell of every user who is a member or can assume it.

A large module has a cell per user and role they may assume, and nearly as many classes of
users as users (each combination of tiers is a class), so nothing per (user, role) may cost
an evaluation, or even a loop in Python. A cell holds only whether the user is a member and whether
`Access.assume` allows in each MFA state. Users who agree on what that depends on share one
cell, so each role's users are split, by set operations, into the few groups that agree:

- member or not: the role's tier is one of the user's (they are in `members(tier)`);
- the trust's decision: the same for callers of one signature (trust_signatures.py);
- in each state the trust allows, the identity part. For a user of a class that names no
  particular user, `assume` allows when the trust names the caller (by ARN, same account:
  in the signature) or, in any case, when the class's policies allow and none denies; it
  refuses when one denies. Those two facts are whether the class holds one of the policies
  that allow, and one of those that deny, the class's stand-in's request
  (`Access.verdicts`, the very requests `assume` evaluates). A user of a class naming a
  particular user is a group of their own.

The cell of a group is the cell of its first user (in the module's order), built by `_cell`.
"""

from __future__ import annotations

from collections.abc import Iterable

from mfagen.audit.checks.access import Access
from mfagen.audit.checks.probes import NO_MFA, Actor, MfaState
from mfagen.audit.checks.report import Cell
from mfagen.audit.model import Role, User
from mfagen.iam import ASSUME_ROLE

States = tuple[tuple[MfaState, int | None], ...]


class Cells:
    def __init__(self, access: Access) -> None:
        self.access = access
        self._rows: dict[str, dict[str, Cell]] = {}
        users = access.module.users
        self._users = {user.name: user for user in users}
        self._position = {user.name: n for n, user in enumerate(users)}
        self._specific = frozenset(u.name for c in access.classes if c.specific for u in c.members)
        self._holding: dict[int, set[str]] = {}
        """policy id -> the users (of classes naming no particular user) whose class holds it"""
        self._asking: dict[int, tuple[Actor, set[str]]] = {}
        """id(stand-in) -> the stand-in, and the users it asks for"""
        for cls in access.classes:
            if cls.specific:
                continue
            names = [user.name for user in cls.members]
            for policy in access.class_ids(cls):
                self._holding.setdefault(policy, set()).update(names)
            who = access.stand_in(cls.representative)
            self._asking.setdefault(id(who), (who, set()))[1].update(names)
        self._held: dict[frozenset[int], frozenset[str]] = {}

    def row(self, role: Role) -> dict[str, Cell]:
        """user -> their cell for the role, for the users who have one."""
        found = self._rows.get(role.arn)
        if found is None:
            found = self._rows[role.arn] = self._row(role)
        return found

    def with_mfa(self, user: User, role: Role) -> bool:
        """`access.assume(user, role, "fresh").allowed`: users without a cell are refused."""
        cell = self.row(role).get(user.name)
        return cell is not None and cell.with_mfa

    def matrix(self) -> tuple[tuple[str, tuple[Cell, ...]], ...]:
        """Each user's cells: every role they are a member for or can assume in some state.

        Roles are visited sorted (stably) by the cells' order, (account, tier): each user's
        cells then come out in the order a stable sort of them would give.
        """
        found: dict[str, list[Cell]] = {user.name: [] for user in self.access.module.users}
        roles = sorted(self.access.module.roles, key=lambda r: (r.alias, r.tier or r.name))
        for role in roles:
            for name, cell in self.row(role).items():
                found[name].append(cell)
        return tuple((name, tuple(cells)) for name, cells in found.items())

    def _row(self, role: Role) -> dict[str, Cell]:
        access = self.access
        states: States = (("fresh", None), *access.open_states(role))
        has_age = bool(access.old_ages(role))
        # Others have no cell: no member, and kept out by the trust whatever their MFA.
        members = access.module.member_names(role.tier) if role.tier else frozenset()
        asked = members | access.admissible_names(role)
        found: dict[str, Cell] = {}
        for _, names in access.signature_groups(role, asked):
            if not names:
                continue
            who = access.actor(self._first(names))
            opened = tuple((s, a) for s, a in states if access.trust(role, who, s, a).allowed)
            for group in self._split(role, names, opened) if opened else (names,):
                for part in (group & members, group - members):
                    if not part:
                        continue
                    cell = _cell(access, role, self._first(part), states, has_age=has_age)
                    if cell is not None:
                        found.update(dict.fromkeys(part, cell))
        return found

    def _split(self, role: Role, names: frozenset[str], states: States) -> list[frozenset[str]]:
        """`names` by class: those agreeing whether their class's policies allow and deny
        the stand-in's sts:AssumeRole on the role in each of `states`."""
        groups = [frozenset({name}) for name in names & self._specific]
        for who, asking in self._asking.values():
            parts = [names & asking]
            for state, age in states:
                verdicts = self.access.verdicts(who, ASSUME_ROLE, role.arn, state, age)
                allowed, denied = self._held_by(verdicts.allows), self._held_by(verdicts.denies)
                parts = [
                    split
                    for part in parts
                    for split in (
                        (part & allowed) - denied,
                        part & allowed & denied,
                        part - allowed - denied,
                        (part - allowed) & denied,
                    )
                ]
            groups += [part for part in parts if part]
        return groups

    def _held_by(self, ids: frozenset[int]) -> frozenset[str]:
        found = self._held.get(ids)
        if found is None:
            found = self._held[ids] = frozenset().union(*(self._holding.get(i, ()) for i in ids))
        return found

    def _first(self, names: Iterable[str]) -> User:
        """The first of these users in the module's order: the same whatever the set order."""
        return self._users[min(names, key=self._position.__getitem__)]


def _cell(access: Access, role: Role, user: User, states: States, *, has_age: bool) -> Cell | None:
    member = role.tier in access.module.tiers_of(user)
    with_mfa = access.assume(user, role, "fresh").allowed
    admitted = {s for s, a in states[1:] if access.assume(user, role, s, a).allowed}
    without = bool(admitted & set(NO_MFA))
    too_old = ("old" in admitted) if has_age else None
    if member or with_mfa or without or too_old:
        tier = role.tier or role.name
        return Cell(role.alias, tier, role.arn, member, with_mfa, without, too_old)
    return None
