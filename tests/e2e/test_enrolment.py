"""Enrolment windows opened, then closed, on a local endpoint: one apply each, then no change.

What reaches IAM is read back. Where mfagen creates the users, an open window is the user's tag
`mfagen-enrolment = open` and ManageMFAPolicy's enrolment gate stays as it is; where it does
not (create_users: false), the gate names the open users. Either way the module's
`enrolment_open` output says who is open. A module applied with the earlier gate, which named
the open users, plans only the gate's change after the upgrade. The endpoint (moto) stores
policies but evaluates none, so it cannot show that the gate refuses stolen keys: that proof is
the audit's (tests/audit/test_enrolment_audit.py and the gate's mutants in test_mutations.py),
run by every `mfagen render` before it writes. The AWS CLI flow of an enrolled user under the
gate is tests/e2e/test_profile_flow.py's, on accounts.yaml (whose dave has an open window).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from mfagen import api, policies
from tests.helpers import write_config

from . import accounts, readback
from .deploy import mfagen_render
from .motoserver import MotoEndpoint
from .tooling import Terraform, TerraformFactory

pytestmark = [pytest.mark.e2e, pytest.mark.terraform, pytest.mark.slow]

IDENTITY, DEV = "111111111111", "222222222222"
GATE = policies.ENROLMENT_GATE_SID
NO_MFA = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
UNLESS_TAGGED = {"StringNotEquals": {"aws:PrincipalTag/mfagen-enrolment": "open"}}
OPEN_TAG = {"mfagen-enrolment": "open"}
EARLIER_OUTPUT = Path(__file__).parent / "earlier-output" / "name-list-gate"
"""`config("bob")` as mfagen rendered it when the enrolment gate named the open users
(before they were tagged), manifest included."""


def config(*opened: str, create_users: bool = True) -> dict[str, Any]:
    users: dict[str, Any] = {"alice": {"tiers": ["admin"]}, "bob": {"tiers": ["admin"]}}
    for name in opened:
        users[name] = {**users[name], "enrolment": "open"}
    defaults: dict[str, Any] = {"region": "eu-west-1", "path": "/mfa/"}
    if not create_users:
        defaults["create_users"] = False
    return {
        "version": 1,
        "organization": "acme",
        "identity_account": "identity",
        "defaults": defaults,
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


def tags_in_iam(endpoint: MotoEndpoint) -> dict[str, dict[str, str]]:
    """Each user's tags, as IAM holds them."""
    users = readback.read_account(endpoint.url, IDENTITY).users
    return {name: dict(user.tags) for name, user in users.items() if name in ("alice", "bob")}


def declared(terraform: Terraform) -> list[str]:
    found: list[str] = json.loads(terraform.run("output", "-json", "enrolment_open").stdout)
    return found


def change_to(
    tmp_path: Path, out: Path, terraform: Terraform, data: dict[str, Any], changed: str
) -> Path:
    """Render `data`; one plan shows the one resource `changed` (and the output) changing;
    apply it once; the next plan has nothing to do."""
    path = write_config(tmp_path, data)
    mfagen_render(path, out)
    pending = terraform.plan()
    assert pending.returncode == 2, pending.describe()
    assert f"{changed} will be updated in-place" in pending.stdout, pending.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in pending.stdout, pending.stdout
    assert "Changes to Outputs:" in pending.stdout, pending.stdout
    terraform.apply()
    converged = terraform.plan()
    assert converged.returncode == 0, converged.describe()
    return path


def test_a_window_opened_then_closed_tags_the_user_with_one_apply_each(
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
    gate = gate_in_iam(fresh_moto, path)
    assert gate["Effect"] == "Deny"
    assert gate["Condition"] == {**NO_MFA, **UNLESS_TAGGED}
    assert tags_in_iam(fresh_moto) == {"alice": {}, "bob": {}}
    assert declared(terraform) == []

    path = change_to(tmp_path, out, terraform, config("bob"), "aws_iam_user.bob")
    assert gate_in_iam(fresh_moto, path) == gate
    assert tags_in_iam(fresh_moto) == {"alice": {}, "bob": OPEN_TAG}
    assert declared(terraform) == ["bob"]

    path = change_to(tmp_path, out, terraform, config(), "aws_iam_user.bob")
    assert gate_in_iam(fresh_moto, path) == gate
    assert tags_in_iam(fresh_moto) == {"alice": {}, "bob": {}}
    assert declared(terraform) == []


def test_users_mfagen_does_not_create_are_named_by_the_gate(
    tmp_path: Path,
    fresh_moto: MotoEndpoint,
    deployer_credentials: accounts.StaticCredentials,
    terraform_in: TerraformFactory,
) -> None:
    iam = accounts.client(fresh_moto.url, "iam", deployer_credentials)
    for name in ("alice", "bob"):  # they exist before mfagen: create_users: false
        iam.create_user(UserName=name)
    out = tmp_path / "out"
    path = write_config(tmp_path, config(create_users=False))
    mfagen_render(path, out)
    terraform = terraform_in(out / "terraform")
    terraform.init()
    terraform.apply()
    assert gate_in_iam(fresh_moto, path)["Condition"] == NO_MFA
    assert declared(terraform) == []

    opened = config("bob", create_users=False)
    path = change_to(tmp_path, out, terraform, opened, "aws_iam_policy.manage_mfa")
    assert gate_in_iam(fresh_moto, path)["Condition"] == {
        **NO_MFA,
        "StringNotEquals": {"aws:username": "bob"},
    }
    assert tags_in_iam(fresh_moto) == {"alice": {}, "bob": {}}
    assert declared(terraform) == ["bob"]

    path = change_to(
        tmp_path, out, terraform, config(create_users=False), "aws_iam_policy.manage_mfa"
    )
    assert gate_in_iam(fresh_moto, path)["Condition"] == NO_MFA
    assert declared(terraform) == []


def test_a_module_applied_with_the_name_list_gate_plans_only_the_gate_after_the_upgrade(
    tmp_path: Path,
    fresh_moto: MotoEndpoint,
    deployer_credentials: accounts.StaticCredentials,
    terraform_in: TerraformFactory,
) -> None:
    out = tmp_path / "out"
    shutil.copytree(EARLIER_OUTPUT, out)
    earlier = (out / "terraform" / "identity.tf").read_text()
    assert '"aws:username": "bob"' in earlier  # the earlier gate named the open user
    terraform = terraform_in(out / "terraform")
    terraform.init()
    terraform.apply()
    assert tags_in_iam(fresh_moto) == {"alice": {}, "bob": {}}

    path = write_config(tmp_path, config("bob"))
    mfagen_render(path, out)
    upgraded = terraform.plan()
    assert upgraded.returncode == 2, upgraded.describe()
    changes = [line for line in upgraded.stdout.splitlines() if line.startswith("  # ")]
    assert changes == [
        "  # aws_iam_policy.manage_mfa will be updated in-place",
        "  # aws_iam_user.bob will be updated in-place",
    ], upgraded.stdout
    assert "Plan: 0 to add, 2 to change, 0 to destroy." in upgraded.stdout, upgraded.stdout
    assert "Changes to Outputs:" not in upgraded.stdout, upgraded.stdout
    terraform.apply()
    assert gate_in_iam(fresh_moto, path)["Condition"] == {**NO_MFA, **UNLESS_TAGGED}
    assert tags_in_iam(fresh_moto) == {"alice": {}, "bob": OPEN_TAG}
    assert declared(terraform) == ["bob"]
    settled = terraform.plan()
    assert settled.returncode == 0, settled.describe()
