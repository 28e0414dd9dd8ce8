"""The access changes between two snapshots, as data: by tier, then by user.

A user's access is their row of the access matrix (each role by account and tier, with how
the user may assume it) and the console rights of their tiers. A cell counts as changed when
what it says of the user changes: member or not, admitted with MFA, without MFA, with MFA
older than the trust's maximum age. A role's own facts (its ARN, its MFA maximum age) and a
tier's console rights are the tier's changes: they apply to every member alike, so they are
said once. Nothing that stayed the same appears.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from mfagen.audit.checks.report import Cell
from mfagen.audit.diff.snapshot import Console, Key, Person, RoleFacts, Snapshot

Status = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Grant:
    """A role a user may assume, and how; or (`role` empty) a tier's console rights."""

    account: str
    tier: str
    role: str
    member: bool
    with_mfa: bool
    without_mfa: bool
    old_mfa: bool
    """Admitted with an MFA code older than the trust's maximum age."""
    max_age: int | None
    console: Console | None = None

    @property
    def state(self) -> tuple[bool, bool, bool, bool]:
        return (self.member, self.with_mfa, self.without_mfa, self.old_mfa)


@dataclass(frozen=True)
class Changed:
    before: Grant
    after: Grant


@dataclass(frozen=True)
class UserChanges:
    name: str
    status: Status
    before: Person | None
    after: Person | None
    gains: tuple[Grant, ...] = ()
    loses: tuple[Grant, ...] = ()
    changed: tuple[Changed, ...] = ()

    @property
    def window(self) -> Literal["opened", "closed"] | None:
        """The enrolment window opened or closed (a new user's open window: opened)."""
        was = self.before is not None and self.before.window_open
        now = self.after is not None and self.after.window_open
        if self.after is None or was == now:
            return None
        return "opened" if now else "closed"


@dataclass(frozen=True)
class RoleChange:
    account: str
    before: RoleFacts | None
    after: RoleFacts | None


@dataclass(frozen=True)
class TierChanges:
    tier: str
    status: Status
    roles: tuple[RoleChange, ...]
    """Roles added, removed, or with a new ARN or MFA maximum age, by account."""
    console: tuple[Console | None, Console | None] | None
    """(before, after) when the tier's console rights changed."""
    members: int
    """Members now (before, for a tier removed)."""


@dataclass(frozen=True)
class AccessDiff:
    base: str
    head: str
    tiers: tuple[TierChanges, ...]
    users: tuple[UserChanges, ...]

    @property
    def changed(self) -> bool:
        return bool(self.tiers or self.users)

    def count(self, what: Counted) -> int:
        """How many users were added, removed, gain or lose access, ... (see COUNTED), or
        how many tiers changed ("tiers")."""
        if what == "tiers":
            return len(self.tiers)
        test = COUNTED[what]
        return sum(1 for user in self.users if test(user))


Counted = Literal[
    "added", "removed", "gain", "lose", "changed", "opened", "closed", "tiers", "without_mfa"
]
COUNTED: dict[str, Callable[[UserChanges], bool]] = {
    "added": lambda u: u.status == "added",
    "removed": lambda u: u.status == "removed",
    "gain": lambda u: u.status == "changed" and bool(u.gains),
    "lose": lambda u: u.status == "changed" and bool(u.loses),
    "changed": lambda u: u.status == "changed" and bool(u.changed),
    "opened": lambda u: u.window == "opened",
    "closed": lambda u: u.window == "closed",
    "without_mfa": lambda u: any(_newly_without_mfa(u)),
}
"""Users counted in a diff's summary: added or removed; others gaining, losing or with a
changed grant; with their enrolment window opened or closed; and anyone whom the change lets
assume a role without MFA."""


def _newly_without_mfa(user: UserChanges) -> Iterable[Grant]:
    """The grants the change gave the user, or changed, that admit them without MFA."""
    changed = (c.after for c in user.changed if not c.before.without_mfa)
    return (g for g in (*user.gains, *changed) if g.without_mfa)


def compare(base: Snapshot, head: Snapshot) -> AccessDiff:
    before, after = _Side(base), _Side(head)
    names = _union(base.people, head.people)
    return AccessDiff(
        base.folder,
        head.folder,
        tuple(_tiers(base, head)),
        tuple(u for name in names if (u := _user(before, after, name))),
    )


def _union(before: Iterable[str], after: Iterable[str]) -> list[str]:
    return sorted({*before, *after})


def _tiers(base: Snapshot, head: Snapshot) -> Iterable[TierChanges]:
    was, now = _accounts_of(base), _accounts_of(head)
    for tier in sorted({*was, *now, *base.console, *head.console}):
        roles = [
            RoleChange(account, base.roles.get((account, tier)), head.roles.get((account, tier)))
            for account in _union(was.get(tier, ()), now.get(tier, ()))
        ]
        roles = [r for r in roles if r.before != r.after]
        console = base.console.get(tier), head.console.get(tier)
        if not roles and console[0] == console[1]:
            continue
        before = tier in was or tier in base.console
        after = tier in now or tier in head.console
        status: Status = "changed" if before and after else "added" if after else "removed"
        side = head if after else base
        members = sum(1 for tiers_of in side.tiers_of.values() if tier in tiers_of)
        yield TierChanges(
            tier, status, tuple(roles), console if console[0] != console[1] else None, members
        )


def _accounts_of(side: Snapshot) -> dict[str, list[str]]:
    """tier -> the accounts where it has a role."""
    found: dict[str, list[str]] = {}
    for account, tier in side.roles:
        found.setdefault(tier, []).append(account)
    return found


def _user(base: _Side, head: _Side, name: str) -> UserChanges | None:
    before, after = base.snapshot.people.get(name), head.snapshot.people.get(name)
    if before is None or after is None:
        status: Status = "added" if before is None else "removed"
        return UserChanges(name, status, before, after, gains=tuple(head.grants(name).values()),
                           loses=tuple(base.grants(name).values()))  # fmt: skip
    was, now = base.grants(name), head.grants(name)
    gains = tuple(grant for key, grant in now.items() if key not in was)
    loses = tuple(grant for key, grant in was.items() if key not in now)
    changed = tuple(
        Changed(was[key], grant)
        for key, grant in now.items()
        if key in was and was[key].state != grant.state
    )
    if not (gains or loses or changed or before != after):
        return None
    return UserChanges(name, "changed", before, after, gains, loses, changed)


class _Side:
    """One snapshot's grants by user. Users in the same groups share their cells (one object
    each in the matrix), so a grant is built once per cell, not once per user and role."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._grants: dict[int, Grant] = {}
        """id(cell) -> its grant (the snapshot keeps every cell alive)."""

    def grants(self, name: str) -> dict[tuple[str, Key], Grant]:
        """The user's grants by ("role" | "console", (account, tier))."""
        side = self.snapshot
        found: dict[tuple[str, Key], Grant] = {}
        for cell in side.matrix.get(name, ()):
            found["role", (cell.account, cell.tier)] = self._grant(cell)
        for tier in side.tiers_of.get(name, ()):
            console = side.console.get(tier)
            if console is not None:
                found["console", (side.identity, tier)] = Grant(
                    side.identity, tier, "", member=True, with_mfa=True, without_mfa=False,
                    old_mfa=False, max_age=None, console=console,
                )  # fmt: skip
        return found

    def _grant(self, cell: Cell) -> Grant:
        found = self._grants.get(id(cell))
        if found is None:
            facts = self.snapshot.roles.get((cell.account, cell.tier))
            found = self._grants[id(cell)] = Grant(
                cell.account,
                cell.tier,
                cell.role,
                cell.member,
                cell.with_mfa,
                cell.without_mfa,
                cell.too_old is True,
                facts.max_age if facts else None,
            )
        return found
