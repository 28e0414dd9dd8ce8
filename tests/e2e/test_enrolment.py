"""An enrolment window opened, then closed, on a local endpoint: one apply each, then no change.

What reaches IAM is read back: ManageMFAPolicy's enrolment gate names exactly the open users,
and the module's `enrolment_open` output says the same. The endpoint (moto) stores policies
but evaluates none, so it cannot show that the gate refuses stolen keys: that proof is the
audit's (tests/audit/test_enrolment_audit.py and the gate's mutants in test_mutations.py),
run by every `mfagen render` before it writes. The AWS CLI flow of an enrolled user under the
gate is tests/e2e/test_profile_flow.py's, on accounts.yaml (whose dave has an open window).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mfagen import api, policies
from tests.helpers import write_config

from . import accounts, readback
from .deploy import mfagen_render
from .motoserver import MotoEndpoint
from .tooling import Terraform, TerraformFactory

pytestmark = [pytest.mark.e2e, pytest.mark.terraform]

IDENTITY, DEV = "111111111111", "222222222222"
GATE = policies.ENROLMENT_GATE_SID


def config(*opened: str) -> dict[str, Any]:
    users: dict[str, Any] = {"alice": {"tiers": ["admin"]}, "bob": {"tiers": ["admin"]}}
    for name in opened:
        users[name] = {**users[name], "enrolment": "open"}
    return {
        "version": 1,
        "organization": "acme",
        "identity_account": "identity",
        "defaults": {"region": "eu-west-1", "path": "/mfa/"},
        "accounts": {
            "identity": {"id": IDENTITY},
            "dev": {
                "id": DEV,
                "terraform_role": accounts.role_arn(DEV, accounts.ORGANIZATION_ROLE),
            },
        },
        "tiers": {"admin": {"preset": "admin"}},
        "users": users,
    }


def gate_in_iam(endpoint: MotoEndpoint, config_path: Path) -> dict[str, Any]:
    """The gate as IAM holds it, after checking that the whole policy reached IAM intact."""
    plan = api.validate(config_path).plan
    state = readback.read_account(endpoint.url, IDENTITY)
    held = state.policies[plan.self_service.name]
    assert held.document == plan.self_service.document, "ManageMFAPolicy differs in IAM"
    (gate,) = (s for s in readback.statements(held.document) if s.get("Sid") == GATE)
    return gate


def declared(terraform: Terraform) -> list[str]:
    found: list[str] = json.loads(terraform.run("output", "-json", "enrolment_open").stdout)
    return found


def change_to(tmp_path: Path, out: Path, terraform: Terraform, *opened: str) -> Path:
    """Render the config with these windows open; one plan shows one change; apply it once."""
    path = write_config(tmp_path, config(*opened))
    mfagen_render(path, out)
    pending = terraform.plan()
    assert pending.returncode == 2, pending.describe()
    assert "aws_iam_policy.manage_mfa will be updated in-place" in pending.stdout, pending.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in pending.stdout, pending.stdout
    assert "Changes to Outputs:" in pending.stdout, pending.stdout
    terraform.apply()
    converged = terraform.plan()
    assert converged.returncode == 0, converged.describe()
    return path


def test_a_window_opened_then_closed_converges_with_one_apply_each(
    tmp_path: Path,
    fresh_moto: MotoEndpoint,
    deployer_credentials: accounts.StaticCredentials,
    terraform_in: TerraformFactory,
) -> None:
    out = tmp_path / "out"
    path = write_config(tmp_path, config())
    mfagen_render(path, out)
    terraform = terraform_in(out / "terraform")
    terraform.init()
    terraform.apply()
    no_mfa = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    closed = gate_in_iam(fresh_moto, path)
    assert closed["Effect"] == "Deny"
    assert closed["Condition"] == no_mfa
    assert declared(terraform) == []

    path = change_to(tmp_path, out, terraform, "bob")
    assert gate_in_iam(fresh_moto, path)["Condition"] == {
        **no_mfa,
        "StringNotEquals": {"aws:username": "bob"},
    }
    assert declared(terraform) == ["bob"]

    path = change_to(tmp_path, out, terraform)
    assert gate_in_iam(fresh_moto, path)["Condition"] == no_mfa
    assert declared(terraform) == []
