"""Each user's AWS CLI profiles: the source profile, then one per role of their tiers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from mfagen import naming
from mfagen.models import Config

if TYPE_CHECKING:
    from mfagen.plan.model import Provider, Role


class Profile(NamedTuple):
    """One `[profile ...]` section. A named tuple, not a dataclass: a plan holds one per user
    and role they may assume, tens of thousands at scale, and a tuple is cheaper to build."""

    name: str
    region: str
    mfa_serial: str | None
    role_arn: str | None = None
    source_profile: str | None = None
    role_session_name: str | None = None
    credential_process: str | None = None
    """Companion profiles (`<profile>-tf`) for tools that cannot ask for an MFA code."""


@dataclass(frozen=True)
class ProfileFile:
    user: str
    organization: str
    profiles: tuple[Profile, ...]
    """The source profile first, then one role profile per (tier, account), by name."""


def profile_files(
    config: Config, identity: Provider, roles: tuple[Role, ...], users: Iterable[str]
) -> tuple[ProfileFile, ...]:
    """Each user's profiles: the source profile, then one per role of their tiers, by name."""
    by_tier: dict[str, list[tuple[str, str, str]]] = {tier: [] for tier in config.tiers}
    for role in roles:
        name = naming.profile_name(config, role.account, role.tier)
        by_tier[role.tier].append((name, account_region(config, role.account), role.arn))
    files = []
    for user_name in users:
        user = config.users[user_name]
        serial = f"arn:aws:iam::{identity.account_id}:mfa/{user.mfa_device or user_name}"
        source = Profile(config.organization, user.region or identity.region, serial)
        targets = sorted(target for tier in set(user.tiers) for target in by_tier[tier])
        role_profiles: list[Profile] = []
        for name, region, arn in targets:
            role_profiles.append(
                Profile(
                    name,
                    user.region or region,
                    serial,
                    role_arn=arn,
                    source_profile=config.organization,
                    role_session_name=user_name,
                )
            )
            if config.profiles.credential_process:
                role_profiles.append(_companion(name, user.region or region))
        files.append(ProfileFile(user_name, config.organization, (source, *role_profiles)))
    return tuple(files)


def _companion(profile: str, region: str) -> Profile:
    """`<profile>-tf`: the role's credentials, from the AWS CLI's MFA-unlocked cache."""
    command = f"aws configure export-credentials --profile {profile} --format process"
    return Profile(f"{profile}-tf", region, None, credential_process=command)


def account_region(config: Config, account: str) -> str:
    """The region of an account's provider and profiles: its own, else the default."""
    region = config.accounts[account].region or config.defaults.region
    if region is None:  # rules.py refuses this; keep the invariant explicit
        raise AssertionError(f"account {account} has no region")
    return region
