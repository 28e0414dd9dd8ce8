"""What one output folder grants, as the audit models it: the side `compare` takes of each.

Everything here comes from the audit's model of the Terraform (`Module`) and its access layer:
the access matrix (`Cells`, who may assume which role in which MFA state, decided by the
audit's policy evaluator), each role's MFA maximum age (`access.max_age`, read off its trust),
each tier's own policies on its group (`subjects.tier_grants`: `console: true`), and what the
module declares of each user (created, `force_destroy`, an open enrolment window).
"""

from __future__ import annotations

from dataclasses import dataclass

from mfagen.audit.checks import subjects
from mfagen.audit.checks.access import Access, max_age
from mfagen.audit.checks.matrix import Cells
from mfagen.audit.checks.report import Cell
from mfagen.audit.model import Attached, Module

Key = tuple[str, str]
"""(account alias, tier): one role, the same in both folders whatever its name or ARN."""


@dataclass(frozen=True)
class Person:
    """What the module declares of one user."""

    created: bool
    """The module creates the IAM user (create_users: true), not only its memberships."""
    force_destroy: bool
    window_open: bool


@dataclass(frozen=True)
class RoleFacts:
    arn: str
    max_age: int | None
    """The trust's MFA maximum age in seconds (aws:MultiFactorAuthAge), None without one."""


@dataclass(frozen=True)
class Console:
    """A tier's own policies on its group (`console: true`): its members hold the tier's
    rights in the identity account itself, not only through its roles."""

    group: str
    policies: tuple[str, ...]
    """Each policy by name: a managed policy's last ARN part, an inline policy's name."""


@dataclass(frozen=True)
class Snapshot:
    folder: str
    identity: str
    """The identity account's provider alias: where the users, groups and console rights are."""
    people: dict[str, Person]
    matrix: dict[str, tuple[Cell, ...]]
    """user -> the roles they are a member for or can assume (the audit's matrix)."""
    tiers_of: dict[str, tuple[str, ...]]
    roles: dict[Key, RoleFacts]
    console: dict[str, Console]
    """tier -> its policies on its group, for the tiers that have any."""


def snapshot(module: Module, folder: str) -> Snapshot:
    access = Access(module, subjects.classes(module))
    matrix = dict(Cells(access).matrix())
    aliases = [alias for alias, account in module.accounts if account == module.identity_account]
    opened = module.enrolment_open
    return Snapshot(
        folder=folder,
        identity=aliases[0] if aliases else module.identity_account,
        people={
            user.name: Person(user.created, user.force_destroy, user.name in opened)
            for user in module.users
        },
        matrix=matrix,
        tiers_of={user.name: module.tiers_of(user) for user in module.users},
        roles={
            (role.alias, role.tier or role.name): RoleFacts(role.arn, max_age(role))
            for role in module.roles
        },
        console=_console(module),
    )


def _console(module: Module) -> dict[str, Console]:
    grants = subjects.tier_grants(module)
    found: dict[str, Console] = {}
    for group in module.groups:
        held = [a for a in group.policies if id(a) in grants]
        if group.tier and held:
            found[group.tier] = Console(group.name, tuple(sorted(map(_name, held))))
    return found


def _name(attached: Attached) -> str:
    return attached.name.rsplit("/", 1)[-1] if attached.kind != "inline" else attached.name
