"""Who could still repair IAM: users able to reach an admin-level role in the identity account.

The seed's warning: keep a backup admin, or a mistake in IAM can only be repaired with the
root user. mfagen warns when a configuration leaves nobody with such a path, and refuses to
render one that removes the last path the output on disk still has.
"""

from __future__ import annotations

from mfagen.plan import Plan, Role

ADMIN_POLICIES = frozenset({"arn:aws:iam::aws:policy/AdministratorAccess"})


def is_admin(role: Role) -> bool:
    """AdministratorAccess, or an unconditioned Allow of `*` on `*` in the inline policy."""
    if ADMIN_POLICIES & set(role.managed_policy_arns):
        return True
    statements = role.inline_policy["Statement"] if role.inline_policy else []
    return any(
        s["Effect"] == "Allow"
        and s.get("Action") in ("*", ["*"])
        and s.get("Resource") in ("*", ["*"])
        and "Condition" not in s
        for s in statements
    )


def admin_paths(plan: Plan) -> tuple[str, ...]:
    """`user -> RoleName` for every user who may assume an admin role in the identity account."""
    tiers = {r.tier: r.name for r in plan.roles if r.account == plan.identity.alias and is_admin(r)}
    keys = {g.key: g.tier for g in plan.groups if g.tier in tiers}
    return tuple(
        f"{user.name} -> {tiers[tier]}"
        for user in plan.users
        for key in user.groups
        if (tier := keys.get(key)) is not None
    )
