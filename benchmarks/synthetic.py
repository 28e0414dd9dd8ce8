"""Seeded synthetic accounts.yaml files at the benchmark's scales."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Scale:
    name: str
    users: int
    accounts: int = 60
    tiers: int = 25
    accounts_per_tier: int = 12
    tiers_per_user: int = 3


SCALES = (Scale("S", 200), Scale("M", 2_000), Scale("L", 20_000))
PRESETS = ("admin", "poweruser", "readonly", "s3")


def config(scale: Scale, seed: int = 1) -> dict[str, object]:
    """A valid configuration of the given scale; the same seed gives the same file."""
    rng = random.Random(seed)  # noqa: S311 - seeded synthetic data, not secrets
    accounts = {
        f"acct{n:02d}": {
            "id": f"{100000000000 + n:012d}",
            **(
                {"terraform_role": f"arn:aws:iam::{100000000000 + n:012d}:role/OrgAccess"}
                if n
                else {}
            ),
        }
        for n in range(scale.accounts)
    }
    names = list(accounts)
    tiers: dict[str, object] = {}
    for n in range(scale.tiers):
        tier: dict[str, object] = {
            "accounts": sorted(rng.sample(names, scale.accounts_per_tier)),
            "preset": PRESETS[n % len(PRESETS)],
        }
        if n % 5 == 0:
            tier["statements"] = [
                {"sid": "Extra", "actions": ["s3:GetObject"], "resources": [f"arn:aws:s3:::b{n}/*"]}
            ]
        tiers[f"tier{n:02d}"] = tier
    tiers["tier00"]["accounts"] = sorted({"acct00", *tiers["tier00"]["accounts"]})  # type: ignore[index]
    tier_names = list(tiers)
    users = {
        f"user{n:05d}": {"tiers": sorted(rng.sample(tier_names, scale.tiers_per_user))}
        for n in range(scale.users)
    }
    users["user00000"]["tiers"] = sorted({"tier00", *users["user00000"]["tiers"]})[:3]
    return {
        "version": 1,
        "organization": "bench",
        "identity_account": "acct00",
        "defaults": {"region": "eu-west-1", "path": "/mfa/"},
        "accounts": accounts,
        "tiers": tiers,
        "users": users,
    }


def write(scale: Scale, folder: Path, seed: int = 1, *, one_more_user: bool = False) -> Path:
    """The config as a file; `one_more_user` adds a user in tier00 (a typical commit)."""
    data = config(scale, seed)
    if one_more_user:
        data["users"]["zz-new-user"] = {"tiers": ["tier00"]}  # type: ignore[index]
    path = folder / f"accounts-{scale.name}{'-plus1' if one_more_user else ''}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
