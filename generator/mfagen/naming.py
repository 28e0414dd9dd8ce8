"""The names mfagen gives to what it creates: IAM names, profile names, Terraform addresses."""

from __future__ import annotations

import re
import string

from mfagen.models import Config

PLACEHOLDERS = frozenset({"tier", "Tier"})
TAG_PREFIX = "mfagen-tier-"
"""Users of a tier too large for an ARN list in its trust carry the tag `mfagen-tier-<tier>`."""


def pascal(name: str) -> str:
    """`data-eng` -> `DataEng`, `s3` -> `S3`, `readonly` -> `Readonly`."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name))


def placeholders(pattern: str) -> set[str]:
    """The `{field}` names a naming pattern uses; raises ValueError on a malformed pattern."""
    return {field for _, field, _, _ in string.Formatter().parse(pattern) if field is not None}


def fill(pattern: str, tier: str) -> str:
    return pattern.format(tier=tier, Tier=pascal(tier))


def role_name(config: Config, tier: str) -> str:
    return fill(config.naming.role, tier)


def group_name(config: Config, tier: str) -> str:
    return fill(config.naming.group, tier)


def single_account(config: Config) -> bool:
    return len(config.accounts) == 1


def identity_name(config: Config) -> str:
    """The identity account's name: as given, or the only account."""
    if config.identity_account is not None:
        return config.identity_account
    return next(iter(config.accounts))


def tier_accounts(config: Config, tier: str) -> list[str]:
    """The accounts a tier's role is deployed in, in the order of `accounts:`."""
    wanted = config.tiers[tier].accounts
    return [name for name in config.accounts if wanted is None or name in wanted]


def profile_name(config: Config, account: str, tier: str) -> str:
    if single_account(config):
        return f"{config.organization}-{tier}"
    return f"{config.organization}-{account}-{tier}"


def tag_key(tier: str) -> str:
    return f"{TAG_PREFIX}{tier}"


def resource_name(*parts: str) -> str:
    """A Terraform resource name; `__` never occurs inside an account or tier name."""
    return "__".join(parts)
