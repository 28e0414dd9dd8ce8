"""`mfagen render --adopt` takes over what exists: the seed's stack, and a two-account stack.

The seed's CloudFormation resources are built with boto3 first (roles with the managed policy
and the seed's trust, groups with the seed's two inline policies, ManageMFAPolicy attached to
both, the seed's user in both groups). `terraform apply` of the rendered module then imports
them instead of failing with EntityAlreadyExists, converges, and leaves mfagen's documents in
place; what mfagen does not manage stays, and was reported as a warning.

The two-account case (one module per account) reaches the member account through its
terraform_role, and adopts a role and a ManageMFAPolicy at other paths than accounts.yaml's,
which IAM cannot move: Terraform replaces them, as the warnings said.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mfagen import api
from tests.helpers import ROOT

from . import accounts
from .motoserver import MotoEndpoint
from .tooling import TerraformFactory

pytestmark = [pytest.mark.e2e, pytest.mark.terraform, pytest.mark.slow]

SEED = ROOT / "examples" / "seed.yaml"
SEED_ACCOUNT = "123456789012"  # examples/seed.yaml's only account
SEED_USER = "my-user-name"
SEED_TIERS = {"Admin": "AdministratorAccess", "S3": "AmazonS3FullAccess"}
AWS_POLICY = "arn:aws:iam::aws:policy/"
MFA_PRESENT = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
DEV_ACCOUNT = "222222222222"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def build_seed_stack(iam: accounts.AwsClient, account_id: str) -> None:
    """What the seed's CloudFormation template creates, plus its user in both groups."""
    trust = {
        "Sid": "AllowAssumeRoleIfMFAIsPresent",
        "Effect": "Allow",
        "Principal": {"AWS": account_id},
        "Action": "sts:AssumeRole",
        "Condition": MFA_PRESENT,
    }
    for tier, managed in SEED_TIERS.items():
        role, group = f"{tier}MFARole", f"{tier}MFAGroup"
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=document(trust))
        iam.attach_role_policy(RoleName=role, PolicyArn=AWS_POLICY + managed)
        iam.create_group(GroupName=group)
        assume = {"Effect": "Allow", "Action": "sts:AssumeRole"}
        role_arn = f"arn:aws:iam::{account_id}:role/{role}"
        iam.put_group_policy(
            GroupName=group,
            PolicyName=f"AllowAssume{tier}MFAPolicy",
            PolicyDocument=document({**assume, "Resource": role_arn}),
        )
        rights = {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": MFA_PRESENT}
        iam.put_group_policy(
            GroupName=group, PolicyName=f"{tier}MFAPolicy", PolicyDocument=document(rights)
        )
    own = [f"arn:aws:iam::{account_id}:{kind}/${{aws:username}}" for kind in ("mfa", "user")]
    policy = iam.create_policy(
        PolicyName="ManageMFAPolicy",
        Description="A policy that allows users to manage their personal MFA configuration",
        PolicyDocument=document(
            {
                "Sid": "AllowUsersToManageTheirOwnMFADevice",
                "Effect": "Allow",
                "Action": [
                    "iam:CreateVirtualMFADevice",
                    "iam:EnableMFADevice",
                    "iam:ResyncMFADevice",
                ],
                "Resource": own,
            },
            {
                "Sid": "AllowUsersToListMFADevicesAndUsers",
                "Effect": "Allow",
                "Action": ["iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ListUsers"],
                "Resource": "*",
            },
        ),
    )["Policy"]
    iam.create_user(UserName=SEED_USER)
    for tier in SEED_TIERS:
        iam.attach_group_policy(GroupName=f"{tier}MFAGroup", PolicyArn=policy["Arn"])
        iam.add_user_to_group(GroupName=f"{tier}MFAGroup", UserName=SEED_USER)


def mfagen(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mfagen", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def inline_names(iam: accounts.AwsClient, group: str) -> set[str]:
    return set(iam.list_group_policies(GroupName=group)["PolicyNames"])


def default_document(iam: accounts.AwsClient, arn: str) -> Any:
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]


@pytest.mark.parametrize("identity_account_id", [SEED_ACCOUNT])
def test_apply_takes_over_the_seed_stack(
    fresh_moto: MotoEndpoint,
    aws_env: dict[str, str],
    terraform_in: TerraformFactory,
    tmp_path: Path,
) -> None:
    iam = accounts.client_in_account(fresh_moto.url, "iam", SEED_ACCOUNT)
    build_seed_stack(iam, SEED_ACCOUNT)
    out = tmp_path / "out"

    rendered = mfagen(aws_env, "render", str(SEED), "--adopt", "--out", str(out))

    assert rendered.returncode == 0, rendered.stderr
    assert "adopt: 11 existing resources; `terraform apply` imports them:" in rendered.stdout
    for tier in SEED_TIERS:
        assert (
            f"adopt: warning: main: group {tier}MFAGroup: inline policy {tier}MFAPolicy stays: "
            "mfagen does not manage it\n"
            "  hint: after `terraform apply`: aws iam delete-group-policy "
            f"--group-name {tier}MFAGroup --policy-name {tier}MFAPolicy\n"
        ) in rendered.stderr
    terraform = terraform_in(out / "terraform")
    terraform.init()
    applied = terraform.apply()
    assert "EntityAlreadyExists" not in applied.stdout + applied.stderr
    # Added: the two AllowAssumeTierRoles, the two console attachments and, with the two
    # ManageMFAPolicy attachments, the policy itself: IAM cannot change its description.
    summary = "Resources: 11 imported, 7 added, 3 changed, 3 destroyed."
    assert summary in applied.stdout, applied.describe()
    converged = terraform.plan()
    assert converged.returncode == 0, converged.describe()

    plan = api.validate(SEED).plan
    for role in plan.roles:
        held = iam.get_role(RoleName=role.name)["Role"]
        assert held["AssumeRolePolicyDocument"] == role.trust
        attached = iam.list_attached_role_policies(RoleName=role.name)["AttachedPolicies"]
        assert [p["PolicyArn"] for p in attached] == list(role.managed_policy_arns)
    for group in plan.groups:
        tier = group.name.removesuffix("MFAGroup")
        assert inline_names(iam, group.name) == {
            "AllowAssumeTierRoles",  # mfagen's
            f"AllowAssume{tier}MFAPolicy",  # the seed's, reported, left alone
            f"{tier}MFAPolicy",
        }
        assume = iam.get_group_policy(GroupName=group.name, PolicyName="AllowAssumeTierRoles")
        assert assume["PolicyDocument"] == group.assume_policy
        attached = iam.list_attached_group_policies(GroupName=group.name)["AttachedPolicies"]
        assert {p["PolicyArn"] for p in attached} == {
            plan.self_service.arn,
            *group.managed_policy_arns,
        }
    policy = iam.get_policy(PolicyArn=plan.self_service.arn)["Policy"]
    assert policy["Description"].startswith("Lets users manage their own MFA devices")
    assert default_document(iam, plan.self_service.arn) == plan.self_service.document
    groups = iam.list_groups_for_user(UserName=SEED_USER)["Groups"]
    assert sorted(g["GroupName"] for g in groups) == ["AdminMFAGroup", "S3MFAGroup"]

    # Adopting again is harmless: Terraform skips imports of what its state holds already.
    twice = mfagen(aws_env, "render", str(SEED), "--adopt", "--out", str(out))
    assert twice.returncode == 0, twice.stderr
    assert "adopt: 15 existing resources" in twice.stdout  # now with mfagen's additions
    warned = [line for line in twice.stderr.splitlines() if "warning" in line]
    assert len(warned) == 4, twice.stderr  # only the seed's inline group policies are left
    assert terraform.plan().returncode == 0
    # The imports have done their job: render without --adopt drops them.
    again = mfagen(aws_env, "render", str(SEED), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert not (out / "terraform" / "imports.tf").exists()
    assert terraform.plan().returncode == 0


def test_apply_takes_over_a_two_account_stack_per_account_module(
    fresh_moto: MotoEndpoint,
    aws_env: dict[str, str],
    terraform_in: TerraformFactory,
    identity_account_id: str,
    tmp_path: Path,
) -> None:
    dev_role = accounts.role_arn(DEV_ACCOUNT)
    config = tmp_path / "accounts.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "organization": "acme",
                "identity_account": "identity",
                "defaults": {"region": accounts.REGION, "path": "/mfa/"},
                "terraform": {"layout": "per-account"},
                "accounts": {
                    "identity": {"id": identity_account_id},
                    "dev": {"id": DEV_ACCOUNT, "terraform_role": dev_role},
                },
                "tiers": {"admin": {"preset": "admin"}},
                "users": {"alice": {"tiers": ["admin"]}},
            }
        ),
        encoding="utf-8",
    )
    dev = accounts.client_in_account(fresh_moto.url, "iam", DEV_ACCOUNT)
    trust = {"Effect": "Allow", "Principal": {"AWS": identity_account_id}, "Action": "*"}
    dev.create_role(RoleName="AdminMFARole", AssumeRolePolicyDocument=document(trust))  # at /
    dev.attach_role_policy(RoleName="AdminMFARole", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    identity = accounts.client_in_account(fresh_moto.url, "iam", identity_account_id)
    statement = {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}
    identity.create_policy(PolicyName="ManageMFAPolicy", PolicyDocument=document(statement))
    identity.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "platform"}])
    out = tmp_path / "out"
    fresh_moto.start_recording()

    rendered = mfagen(aws_env, "render", str(config), "--adopt", "--out", str(out))

    assert rendered.returncode == 0, rendered.stderr
    [assume_role] = fresh_moto.recorded_calls("AssumeRole")
    assert (assume_role["RoleArn"], assume_role["RoleSessionName"]) == (dev_role, "mfagen-adopt")
    assert (out / "terraform" / "dev" / "imports.tf").read_text(encoding="utf-8").count(
        "provider = aws.dev"
    ) == 1
    imports = (out / "terraform" / "identity" / "imports.tf").read_text(encoding="utf-8")
    policy_at_root = f"arn:aws:iam::{identity_account_id}:policy/ManageMFAPolicy"
    assert f'id       = "{policy_at_root}"' in imports  # found by name at another path
    assert "to       = aws_iam_user.alice" in imports
    assert (
        "adopt: warning: dev: role AdminMFARole: IAM cannot move it from / to /mfa/: Terraform "
        "replaces it, and the policies mfagen does not manage go with it\n"
    ) in rendered.stderr
    assert "adopt: warning: identity: user alice: Terraform removes its tags team\n" in (
        rendered.stderr
    )
    for folder in ("identity", "dev"):
        terraform = terraform_in(out / "terraform" / folder)
        terraform.init()
        applied = terraform.apply()
        assert "EntityAlreadyExists" not in applied.stdout + applied.stderr
        converged = terraform.plan()
        assert converged.returncode == 0, converged.describe()

    policy_arn = f"arn:aws:iam::{identity_account_id}:policy/mfa/ManageMFAPolicy"
    assert identity.get_policy(PolicyArn=policy_arn)["Policy"]["Path"] == "/mfa/"
    assert identity.get_user(UserName="alice")["User"].get("Tags", []) == []
    held = dev.get_role(RoleName="AdminMFARole")["Role"]
    assert (held["Path"], held["AssumeRolePolicyDocument"]) == (
        "/mfa/",
        api.validate(config).plan.roles[0].trust,
    )
    attached = dev.list_attached_role_policies(RoleName="AdminMFARole")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [AWS_POLICY + "AdministratorAccess"]


def test_credentials_of_another_account_are_refused_before_any_look_up(
    fresh_moto: MotoEndpoint, aws_env: dict[str, str], identity_account_id: str, tmp_path: Path
) -> None:
    fresh_moto.start_recording()

    rendered = mfagen(aws_env, "render", str(SEED), "--adopt", "--out", str(tmp_path / "out"))

    assert rendered.returncode == 2, rendered.stderr
    assert rendered.stderr == (
        f"mfagen: error: account main is {SEED_ACCOUNT}, but the AWS credentials act in "
        f"{identity_account_id} as arn:aws:iam::{identity_account_id}:user/"
        f"{accounts.DEPLOYER_USER}, nothing written\n"
        "  hint: use the identity account's credentials, as for `terraform apply`\n"
    )
    assert {r.action for r in fresh_moto.recorded_requests()} == {"GetCallerIdentity"}
    assert not (tmp_path / "out").exists()
