"""Smoke tests of the e2e harness itself: moto accounts, AWS CLI and botocore MFA prompts.

Terraform against the endpoint is proven on mfagen's own modules (test_apply.py,
test_converge.py), which superseded the hand-written probe modules that used to live here.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import botocore.session  # type: ignore[import-untyped]
import pytest

from . import accounts
from .motoserver import MotoEndpoint

MEMBER_ACCOUNT_ID = "222222222222"
MFA_SERIAL = "arn:aws:iam::111111111111:mfa/alice"
MFA_CODE = "123456"

pytestmark = pytest.mark.e2e


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


def test_the_endpoint_keeps_a_clients_connection_open_across_calls(
    fresh_moto: MotoEndpoint, deployer_credentials: accounts.StaticCredentials
) -> None:
    """moto_entry.py's reason to exist: one connection for many calls, closed by the client."""
    iam = accounts.client(fresh_moto.url, "iam", deployer_credentials)
    mark = fresh_moto.log_size()

    for _ in range(5):
        iam.list_users()

    assert list(fresh_moto.requests_by_port(mark).values()) == [5]
