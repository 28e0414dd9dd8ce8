"""An applied module in moto's in-process IAM (`mock_aws`), and the live audit of it.

The identity account is moto's default (123456789012: the caller's own credentials act
there); `dev` is reached through its terraform_role, as the rendered provider does. The tiers
grant with their own statements: AWS managed policies exist in moto only once it has loaded
all of them, seconds per account.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from mfagen import api
from mfagen.audit.live import LiveOptions, audit_live
from mfagen.audit.live.report import LiveReport
from mfagen.plan import Plan
from tests.live_iam import ORGANIZATION_ROLE, apply_plan

IDENTITY = "123456789012"
DEV = "222222222222"
CONFIG = f"""\
version: 1
organization: acme
identity_account: identity
defaults: {{region: eu-west-1, path: /mfa/, mfa_max_age: 1h}}
accounts:
  identity: {{id: "{IDENTITY}"}}
  dev:
    id: "{DEV}"
    terraform_role: arn:aws:iam::{DEV}:role/{ORGANIZATION_ROLE}
    machine_users: [ci]
tiers:
  admin:
    statements: [{{sid: Everything, actions: ["*"], resources: ["*"]}}]
    accounts: [identity, dev]
    console: true
  readonly:
    statements: [{{sid: Read, actions: ["s3:Get*"], resources: ["*"]}}]
    accounts: [dev]
users:
  alice: {{tiers: [admin], mfa_device: alice-phone}}
  bob: {{tiers: [readonly]}}
  dave: {{enrolment: open}}
"""
EVERYTHING = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in this process, with the default credentials of its default account."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


def iam_in(account: str) -> Any:
    """An IAM client acting in `account` (the default one, or through its admin role)."""
    if account == IDENTITY:
        return boto3.client("iam")
    role = f"arn:aws:iam::{account}:role/{ORGANIZATION_ROLE}"
    keys = boto3.client("sts").assume_role(RoleArn=role, RoleSessionName="test")["Credentials"]
    return boto3.client(
        "iam",
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys["SessionToken"],
    )


@dataclass(frozen=True)
class Live:
    """A rendered folder, applied to moto's IAM."""

    folder: Path
    plan: Plan

    def audit(self, options: LiveOptions | None = None, session: Any = None) -> LiveReport:
        return audit_live(self.folder, options, session=session)


def render(tmp_path: Path, config: str = CONFIG) -> tuple[Path, Plan]:
    path = tmp_path / "accounts.yaml"
    path.write_text(config, encoding="utf-8")
    folder = tmp_path / "output"
    api.render_to(path, folder)
    return folder, api.validate(path).plan


@pytest.fixture
def live(aws: None, tmp_path: Path) -> Live:
    folder, plan = render(tmp_path)
    apply_plan(plan, iam_in)
    return Live(folder, plan)
