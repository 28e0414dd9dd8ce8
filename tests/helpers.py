"""Small builders shared by the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mfagen import plan
from mfagen.models import Config

ROOT = Path(__file__).resolve().parent.parent


def minimal(**overrides: Any) -> dict[str, Any]:
    """A small valid multi-account configuration as data; keyword arguments replace sections."""
    data: dict[str, Any] = {
        "version": 1,
        "organization": "acme",
        "identity_account": "identity",
        "defaults": {"region": "eu-west-1"},
        "accounts": {
            "identity": {"id": "111111111111"},
            "prod": {
                "id": "333333333333",
                "terraform_role": "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole",
            },
        },
        "tiers": {"admin": {"preset": "admin"}},
        "users": {"alice": {"tiers": ["admin"]}},
    }
    data.update(overrides)
    return data


def write_config(folder: Path, data: dict[str, Any], name: str = "accounts.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def build(data: dict[str, Any]) -> plan.Plan:
    return plan.build(Config.model_validate(data))
