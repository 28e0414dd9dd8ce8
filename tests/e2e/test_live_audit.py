"""`mfagen audit --live` after a real `terraform apply` on a local endpoint (moto).

The module is applied with Terraform as a platform team would; the audit then reads what IAM
holds with the deployer's keys and the dev account's terraform_role, as the providers do,
and finds it clean. Each kind of out-of-band change (an invariant broken, drift, a user
outside accounts.yaml whose keys reach more) is then made with boto3, caught with its entity
named (exit 1), and undone: the audit passes again (exit 0).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mfagen.cli import app
from tests.helpers import write_config

from . import accounts
from .deploy import mfagen_render
from .motoserver import MotoEndpoint
from .tooling import TerraformFactory

pytestmark = [pytest.mark.e2e, pytest.mark.terraform, pytest.mark.slow]

IDENTITY, DEV = "111111111111", "222222222222"
EVERYTHING = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
CONFIG: dict[str, Any] = {
    "version": 1,
    "organization": "acme",
    "identity_account": "identity",
    "defaults": {"region": "eu-west-1", "path": "/mfa/", "mfa_max_age": "1h"},
    "accounts": {
        "identity": {"id": IDENTITY, "machine_users": [accounts.DEPLOYER_USER]},
        "dev": {"id": DEV, "terraform_role": accounts.role_arn(DEV)},
    },
    "tiers": {
        "admin": {"preset": "admin", "accounts": ["identity", "dev"], "console": True},
        "readonly": {"preset": "readonly", "accounts": ["dev"]},
    },
    "users": {
        "alice": {"tiers": ["admin"], "mfa_device": "alice-phone"},
        "bob": {"tiers": ["readonly"]},
        "dave": {"enrolment": "open"},
    },
}


def audit(folder: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", "--live", str(folder)])
    return result.exit_code, result.stdout + result.stderr


def test_apply_audits_clean_and_each_change_is_caught_then_passes_undone(
    tmp_path: Path,
    fresh_moto: MotoEndpoint,
    aws_env: dict[str, str],
    terraform_in: TerraformFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    mfagen_render(write_config(tmp_path, CONFIG), out)
    terraform = terraform_in(out / "terraform")
    terraform.init()
    terraform.apply()
    for name, value in aws_env.items():  # the audit runs here, with the deployer's keys
        monkeypatch.setenv(name, value)
    identity = accounts.client_in_account(fresh_moto.url, "iam", IDENTITY)
    dev = accounts.client_in_account(fresh_moto.url, "iam", DEV)

    code, text = audit(out)
    assert code == 0, text
    assert f"machine user: identity ({IDENTITY}) arn:aws:iam::{IDENTITY}:user/e2e-deployer" in text

    trust = json.dumps(dev.get_role(RoleName="AdminMFARole")["Role"]["AssumeRolePolicyDocument"])
    wide = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{IDENTITY}:root"},
        "Action": "sts:AssumeRole"}]})  # fmt: skip

    def outsider(undo: bool) -> None:
        if undo:
            key = dev.list_access_keys(UserName="eve")["AccessKeyMetadata"][0]["AccessKeyId"]
            dev.delete_access_key(UserName="eve", AccessKeyId=key)
            dev.delete_user_policy(UserName="eve", PolicyName="All")
            dev.delete_user(UserName="eve")
            return
        dev.create_user(UserName="eve")
        dev.create_access_key(UserName="eve")
        dev.put_user_policy(UserName="eve", PolicyName="All", PolicyDocument=EVERYTHING)

    def intruder(undo: bool) -> None:
        if undo:
            identity.remove_user_from_group(GroupName="AdminMFAGroup", UserName="mallory")
            identity.delete_user(UserName="mallory")
            return
        identity.create_user(UserName="mallory")
        identity.add_user_to_group(GroupName="AdminMFAGroup", UserName="mallory")

    changes: list[tuple[str, str, Callable[[bool], Any]]] = [
        ("a trust that admits keys alone", f"arn:aws:iam::{DEV}:role/mfa/AdminMFARole",
         lambda undo: dev.update_assume_role_policy(
             RoleName="AdminMFARole", PolicyDocument=trust if undo else wide)),
        ("a policy attached to a user", f"arn:aws:iam::{IDENTITY}:user/bob",
         lambda undo: (identity.detach_user_policy if undo else identity.attach_user_policy)(
             UserName="bob", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")),
        ("an inline policy on a group", f"arn:aws:iam::{IDENTITY}:group/mfa/ReadonlyMFAGroup",
         lambda undo: identity.delete_group_policy(GroupName="ReadonlyMFAGroup", PolicyName="X")
         if undo else identity.put_group_policy(
             GroupName="ReadonlyMFAGroup", PolicyName="X", PolicyDocument=EVERYTHING)),
        ("a member not in accounts.yaml", f"arn:aws:iam::{IDENTITY}:group/mfa/AdminMFAGroup",
         intruder),
        ("an outside user whose keys reach more", f"arn:aws:iam::{DEV}:user/eve", outsider),
    ]  # fmt: skip
    for what, entity, change in changes:
        change(False)
        code, text = audit(out)
        assert code == 1, f"{what} was not caught:\n{text}"
        assert entity in text, f"{what}: {entity} not named:\n{text}"
        change(True)
        code, text = audit(out)
        assert code == 0, f"{what} undone still fails:\n{text}"
