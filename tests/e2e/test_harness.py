"""Smoke tests of the e2e harness itself: moto accounts, Terraform, AWS CLI MFA prompts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import botocore.session  # type: ignore[import-untyped]
import pytest

from . import accounts
from .motoserver import MotoEndpoint
from .tooling import TerraformFactory

MEMBER_ACCOUNT_ID = "222222222222"
MODULES = Path(__file__).parent / "modules"
TWO_ACCOUNTS_MODULE = MODULES / "two_accounts"
IAM_SHAPES_MODULE = MODULES / "iam_shapes"
PROBE_ROLE = "harness-probe"
MFA_SERIAL = "arn:aws:iam::111111111111:mfa/alice"
MFA_CODE = "123456"

pytestmark = pytest.mark.e2e


def copy_module(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination)
    return destination


def write_mfa_profiles(aws_home: Path, source_keys: accounts.StaticCredentials) -> str:
    """Profiles as mfagen renders them; returns the role ARN of ``acme-admin``."""
    admin_role = accounts.role_arn(MEMBER_ACCOUNT_ID, "Admin")
    (aws_home / ".aws" / "config").write_text(
        "[profile acme]\n"
        "region = us-east-1\n\n"
        "[profile acme-admin]\n"
        f"role_arn = {admin_role}\n"
        "source_profile = acme\n"
        f"mfa_serial = {MFA_SERIAL}\n"
        "role_session_name = alice\n"
        "region = us-east-1\n",
        encoding="utf-8",
    )
    (aws_home / ".aws" / "credentials").write_text(
        "[acme]\n"
        f"aws_access_key_id = {source_keys.access_key_id}\n"
        f"aws_secret_access_key = {source_keys.secret_access_key}\n",
        encoding="utf-8",
    )
    return admin_role


def test_caller_identity_is_the_identity_account(
    fresh_moto: MotoEndpoint,
    deployer_credentials: accounts.StaticCredentials,
    identity_account_id: str,
) -> None:
    assert accounts.caller_account(fresh_moto.url, deployer_credentials) == identity_account_id


@pytest.mark.terraform
def test_two_account_module_applies_and_converges(
    terraform_in: TerraformFactory,
    tmp_path: Path,
    fresh_moto: MotoEndpoint,
    deployer_credentials: accounts.StaticCredentials,
    identity_account_id: str,
) -> None:
    terraform = terraform_in(copy_module(TWO_ACCOUNTS_MODULE, tmp_path / "root"))

    terraform.init()
    terraform.apply()
    plan = terraform.plan()

    assert plan.returncode == 0, plan.describe()
    identity_iam = accounts.client(fresh_moto.url, "iam", deployer_credentials)
    member_keys = accounts.assume_role(
        fresh_moto.url, deployer_credentials, accounts.role_arn(MEMBER_ACCOUNT_ID)
    )
    member_iam = accounts.client(fresh_moto.url, "iam", member_keys)
    assert accounts.caller_account(fresh_moto.url, member_keys) == MEMBER_ACCOUNT_ID
    assert PROBE_ROLE in accounts.role_names(identity_iam)
    assert PROBE_ROLE in accounts.role_names(member_iam)
    assert member_iam.get_role(RoleName=PROBE_ROLE)["Role"]["Arn"] == (
        f"arn:aws:iam::{MEMBER_ACCOUNT_ID}:role/{PROBE_ROLE}"
    )
    default_iam = accounts.client_in_account(
        fresh_moto.url, "iam", accounts.MOTO_DEFAULT_ACCOUNT_ID
    )
    assert PROBE_ROLE not in accounts.role_names(default_iam)
    assert identity_account_id != accounts.MOTO_DEFAULT_ACCOUNT_ID


@pytest.mark.terraform
def test_heredoc_iam_shapes_converge_and_drift_is_detected(
    terraform_in: TerraformFactory,
    tmp_path: Path,
    fresh_moto: MotoEndpoint,
    deployer_credentials: accounts.StaticCredentials,
) -> None:
    terraform = terraform_in(copy_module(IAM_SHAPES_MODULE, tmp_path / "root"))
    terraform.init()
    terraform.apply()

    converged = terraform.plan()
    iam = accounts.client(fresh_moto.url, "iam", deployer_credentials)
    trust = iam.get_role(RoleName="admin")["Role"]["AssumeRolePolicyDocument"]
    trust["Statement"][0]["Condition"]["Bool"]["aws:MultiFactorAuthPresent"] = "false"
    iam.update_assume_role_policy(RoleName="admin", PolicyDocument=json.dumps(trust))
    drifted = terraform.plan()

    assert converged.returncode == 0, converged.describe()
    assert drifted.returncode == 2, drifted.describe()
    assert '"aws:MultiFactorAuthPresent" = "false" -> "true"' in drifted.stdout


def test_aws_cli_prompts_for_mfa_and_sends_the_code(
    fresh_moto: MotoEndpoint,
    deployer_credentials: accounts.StaticCredentials,
    aws_profile_env: dict[str, str],
    aws_home: Path,
    aws_cli: Path,
) -> None:
    admin_role = write_mfa_profiles(aws_home, deployer_credentials)
    fresh_moto.start_recording()

    completed = subprocess.run(
        [
            str(aws_cli),
            "sts",
            "get-caller-identity",
            "--profile",
            "acme-admin",
            "--query",
            "Arn",
            "--output",
            "text",
        ],
        input=f"{MFA_CODE}\n",
        env=aws_profile_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert f"Enter MFA code for {MFA_SERIAL}: " in completed.stderr
    assert completed.stdout.strip() == (
        f"arn:aws:sts::{MEMBER_ACCOUNT_ID}:assumed-role/Admin/alice"
    )
    [assume_role] = fresh_moto.recorded_calls("AssumeRole")
    assert assume_role["RoleArn"] == admin_role
    assert assume_role["SerialNumber"] == MFA_SERIAL
    assert assume_role["TokenCode"] == MFA_CODE


def test_botocore_asks_the_mfa_prompter(
    deployer_credentials: accounts.StaticCredentials,
    aws_profile_process_env: dict[str, str],
    aws_home: Path,
) -> None:
    write_mfa_profiles(aws_home, deployer_credentials)
    prompts: list[str] = []

    def prompter(prompt: str) -> str:
        prompts.append(prompt)
        return MFA_CODE

    session = botocore.session.Session(profile="acme-admin")
    provider = session.get_component("credential_provider").get_provider("assume-role")
    provider._prompter = prompter  # botocore has no public hook for the MFA prompt
    identity = session.create_client("sts").get_caller_identity()

    assert prompts == [f"Enter MFA code for {MFA_SERIAL}: "]
    assert identity["Arn"] == f"arn:aws:sts::{MEMBER_ACCOUNT_ID}:assumed-role/Admin/alice"
