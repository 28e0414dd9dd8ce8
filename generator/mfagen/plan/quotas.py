"""IAM's quotas as the plan meets them: a trust, an inline policy or ManageMFAPolicy too large,
each a Finding placed at the accounts.yaml value to change."""

from __future__ import annotations

import math

from mfagen import policies
from mfagen.iam import MANAGED_POLICY_CHARS, TRUST_POLICY_CHARS
from mfagen.models import Config
from mfagen.plan.model import SelfService
from mfagen.rules import Finding


def tag_needs_users(tier: str, count: int) -> Finding:
    return Finding(
        ("tiers", tier),
        f"tier {tier!r} has {count} members, too many to list in its role's trust policy "
        f"({TRUST_POLICY_CHARS} characters)",
        "mfagen then admits members by a user tag it sets, which needs defaults.create_users: true",
        of_key=True,
    )


def self_service_findings(config: Config, self_service: SelfService, roles: int) -> list[Finding]:
    """ManageMFAPolicy's quota, and the path it needs once it names mfagen's roles by path."""
    found = []
    if self_service.by_path and config.defaults.path == "/":
        found.append(
            Finding(
                ("defaults", "path"),
                f"{roles} roles are too many to name one by one in {config.naming.policy}; "
                "mfagen then names its path in each account, and the path is /",
                "set defaults.path to a path only mfagen uses, e.g. path: /mfa/ (otherwise "
                "long-term keys without MFA could call sts:AssumeRole on any role)",
            )
        )
    size = policies.minified_length(self_service.document)
    if size > MANAGED_POLICY_CHARS and size - _gate_names(self_service) <= MANAGED_POLICY_CHARS:
        # only a gate that names the open users (create_users: false) grows with them
        found.append(_too_many_open(config, self_service, size))
    elif size > MANAGED_POLICY_CHARS:
        found.append(
            Finding(
                ("tiers",),
                f"the managed policy {config.naming.policy} would exceed IAM's "
                f"{MANAGED_POLICY_CHARS}-character quota",
                "it names every tier group and every account: use fewer tiers or accounts",
                of_key=True,
            )
        )

    return found


def _gate_names(self_service: SelfService) -> int:
    """Characters the enrolment gate spends naming the open users (0 when nobody is open, or
    when the gate reads a tag)."""
    gate = self_service.gate
    names = gate.names if isinstance(gate, policies.OpenByName) else ()
    if not names:
        return 0
    condition = {"StringNotEquals": {policies.USERNAME: list(names)}}
    return policies.minified_length(condition) - 1  # its braces, less the comma it saves


def _too_many_open(config: Config, self_service: SelfService, size: int) -> Finding:
    """The enrolment gate names every open user: too many of them at once break the quota."""
    opened = self_service.enrolment_open
    over = size - MANAGED_POLICY_CHARS
    average = sum(len(name) + 3 for name in opened) / len(opened)  # "name", in the JSON
    fit = max(0, len(opened) - math.ceil(over / average))
    return Finding(
        ("users", opened[0], "enrolment"),
        f"{len(opened)} users have their enrolment window open; {config.naming.policy} names "
        f"each of them and would be {size} characters, over IAM's {MANAGED_POLICY_CHARS}",
        f"open at most about {fit} windows at once: close the windows of users who have "
        "enrolled (remove their enrolment: open), then open the others; with "
        "defaults.create_users: true mfagen tags open users instead, and any number fit",
    )


def too_long(loc: tuple[str, ...], what: str, limit: int) -> Finding:
    return Finding(
        loc,
        f"the {what} would exceed IAM's {limit}-character quota",
        "split the tier's statements or accounts across tiers",
    )
