"""Seeded synthetic accounts.yaml files at the benchmark's scales."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml

from mfagen.iam import USERS_PER_ACCOUNT


@dataclass(frozen=True)
class Scale:
    name: str
    users: int
    accounts: int = 60
    tiers: int = 25
    accounts_per_tier: int = 12
    tiers_per_user: tuple[int, ...] = (3,)
    """User n is in tiers_per_user[n % len(tiers_per_user)] tiers."""


SCALES = (Scale("S", 200), Scale("M", 2_000), Scale("L", 5_000))
"""60 accounts, 25 tiers each in 12 accounts, 3 tiers a user; L is IAM's quota of users in
an account."""
ROLLOUT = Scale("R", 1_500, accounts=3, tiers=5, accounts_per_tier=3,
                tiers_per_user=(1, 1, 1, 1, 2, 1, 1, 1, 1, 2))  # fmt: skip
"""A smaller organisation's first rollout: 1,500 users, 3 accounts, five tiers in each,
two users in ten in two tiers."""
WINDOW_SHARES = (0.0, 0.1, 1.0)
"""The share of users whose enrolment window is open: none, a tenth, every one (a first
rollout)."""
PRESETS = ("admin", "poweruser", "readonly", "s3")


def config(scale: Scale, seed: int = 1, open_share: float = 0.0) -> dict[str, object]:
    """A valid configuration of the given scale, with `open_share` of the users' enrolment
    windows open (spread evenly); the same seed gives the same file."""
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
    counts = scale.tiers_per_user
    users: dict[str, dict[str, object]] = {
        f"user{n:05d}": {"tiers": sorted(rng.sample(tier_names, counts[n % len(counts)]))}
        for n in range(scale.users)
    }
    first: list[str] = users["user00000"]["tiers"]  # type: ignore[assignment]
    users["user00000"]["tiers"] = sorted({"tier00", *first})[: len(first)]
    opened = round(scale.users * open_share)
    for n in range(opened):  # every (users / opened)-th user, from the first
        users[f"user{n * scale.users // opened:05d}"]["enrolment"] = "open"
    return {
        "version": 1,
        "organization": "bench",
        "identity_account": "acct00",
        "defaults": {"region": "eu-west-1", "path": "/mfa/"},
        "accounts": accounts,
        "tiers": tiers,
        "users": users,
    }


def write(
    scale: Scale,
    folder: Path,
    seed: int = 1,
    *,
    one_more_user: bool = False,
    open_share: float = 0.0,
) -> Path:
    """The config as a file; `one_more_user` adds a user in tier00 (a typical commit), and at
    IAM's quota of users in an account removes the last one (someone leaves as they join)."""
    data = config(scale, seed, open_share)
    if one_more_user:
        users: dict[str, object] = data["users"]  # type: ignore[assignment]
        if len(users) >= USERS_PER_ACCOUNT:
            del users[max(users)]
        users["zz-new-user"] = {"tiers": ["tier00"]}
    suffix = ("-plus1" if one_more_user else "") + (f"-open{open_share:g}" if open_share else "")
    path = folder / f"accounts-{scale.name}{suffix}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
