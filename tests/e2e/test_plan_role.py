"""A pull request's plan with a read-only role: `terraform plan -var assume_role_name=NAME`.

Every provider with a terraform_role then assumes the role NAME in its account instead, and
nothing else about the module changes: after an apply, that plan has nothing to do. The audit
reads the module as `terraform apply` runs it, without -var: each terraform_role.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mfagen.audit import read_folder
from tests.helpers import write_config

from . import accounts
from .deploy import mfagen_render
from .motoserver import MotoEndpoint
from .test_enrolment import DEV, config
from .tooling import TerraformFactory

pytestmark = [pytest.mark.e2e, pytest.mark.terraform, pytest.mark.slow]

PLAN_ROLE = "mfagen-read"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def test_a_plan_with_a_read_only_role_assumes_it_and_finds_nothing_to_do(
    tmp_path: Path,
    fresh_moto: MotoEndpoint,
    deployer_credentials: accounts.StaticCredentials,
    terraform_in: TerraformFactory,
) -> None:
    out = tmp_path / "out"
    mfagen_render(write_config(tmp_path, config()), out)
    terraform = terraform_in(out / "terraform")
    terraform.init()
    terraform.apply()
    iam = accounts.client_in_account(fresh_moto.url, "iam", DEV)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName=PLAN_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=PLAN_ROLE, PolicyArn=READ_ONLY)

    fresh_moto.start_recording()
    planned = terraform.run(
        "plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false",
        f"-var=assume_role_name={PLAN_ROLE}", ok_codes=(0, 2),
    )  # fmt: skip
    assumed = {call["RoleArn"] for call in fresh_moto.recorded_calls("AssumeRole")}
    fresh_moto.stop_recording()
    assert planned.returncode == 0, planned.describe()
    assert assumed == {accounts.role_arn(DEV, PLAN_ROLE)}

    module, _ = read_folder(out)
    assert module.assume_roles == (("dev", accounts.role_arn(DEV)),)
