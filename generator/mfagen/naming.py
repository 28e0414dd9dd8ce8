"""The names mfagen gives to what it creates: IAM names, profile names, Terraform addresses."""

from __future__ import annotations

import re
import string
from typing import NamedTuple

from mfagen import hcl
from mfagen.models import Config

PLACEHOLDERS = frozenset({"tier", "Tier"})
TAG_PREFIX = "mfagen-tier-"
"""Users of a tier too large for an ARN list in its trust carry the tag `mfagen-tier-<tier>`."""
ASSUME_ROLE_VARIABLE = "assume_role_name"
"""The Terraform variable that makes every provider with a terraform_role assume the role of
that name in its account instead: `terraform plan -var assume_role_name=mfagen-read`."""
ENROLMENT_TAG = "mfagen-enrolment"
ENROLMENT_OPEN = "open"
"""A user whose enrolment window is open carries the tag `mfagen-enrolment = open`, which the
self-service policy's enrolment gate reads (users mfagen creates; the others are named)."""


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


USER_ADDRESS_ESCAPES = {
    "_": "__",
    "+": "_plus_",
    "=": "_eq_",
    ",": "_comma_",
    ".": "_dot_",
    "@": "_at_",
}
"""How user_address writes the characters of IAM user names a Terraform name cannot hold
(and `_`, the escape's own character). Each escape starts with `_` and a letter (or `_`) no
other escape starts with, so an address reads back to one name only."""
_USER_ADDRESS_TABLE = str.maketrans(USER_ADDRESS_ESCAPES)


def user_address(user: str) -> str:
    """The Terraform name of a user's resources: `alice` -> `alice`, `first.last@example.com`
    -> `first_dot_last_at_example_dot_com`, `j_doe` -> `j__doe`.

    Letters, digits and `-` stay as they are; the other characters IAM allows (`_+=,.@`) become
    the escapes above; a name starting with a digit or `-`, which cannot start a Terraform name,
    gets a leading `_` (no escape is `_` and a digit or `-`). So two user names never share an
    address, and the address of one name is the same in every render.
    """
    address = user.translate(_USER_ADDRESS_TABLE)
    return f"_{address}" if address[:1].isdigit() or address[:1] == "-" else address


def resource_name(*parts: str) -> str:
    """A Terraform resource name; `__` never occurs inside an account or tier name."""
    return "__".join(parts)


class Address(NamedTuple):
    """A Terraform resource's address: `type.name`, and `type.name["key"]` for an instance of
    a for_each resource. Templates lay a resource out from it and refer to it by it; adopt.py
    imports to it; moved blocks move to it: one place spells each."""

    type: str
    name: str

    def __str__(self) -> str:
        return f"{self.type}.{self.name}"

    def at(self, key: str) -> str:
        """The instance of a for_each resource whose key is `key`."""
        return f"{self}[{hcl.string(key)}]"

    @property
    def labels(self) -> str:
        """The block's labels: `"type" "name"`."""
        return f"{hcl.string(self.type)} {hcl.string(self.name)}"
