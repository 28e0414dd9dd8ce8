"""Change accounts.yaml, re-render into the same folder, apply: IAM converges to the new plan.

One scenario, two applies. Before anything, the test creates IAM entities mfagen knows nothing
about; between the applies, someone changes things by hand (a membership in a foreign group,
keys and an MFA device for a user, a widened trust). The change then adds a user, removes a
user, adds an account to a tier and removes a tier. `terraform apply` must repair the drift,
converge (`plan -detailed-exitcode` exits 0), match the new plan when read back, and leave
every foreign entity and membership as it was.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mfagen import api
from mfagen.cli import app
from mfagen.plan import Plan
from tests.helpers import write_config

from . import accounts, deleterules, readback
from .deploy import mfagen_render
from .motoserver import MotoEndpoint
from .tooling import TerraformFactory

pytestmark = [pytest.mark.e2e, pytest.mark.terraform, pytest.mark.slow]

IDENTITY, DEV, PROD, STAGING = "111111111111", "222222222222", "333333333333", "444444444444"
LAMBDA = "arn:aws:iam::aws:policy/AWSLambda_FullAccess"
EARLIER_BLUEPRINTS = Path(__file__).parent / "earlier-blueprints"
"""users.tf as mfagen wrote it before each user had blocks of their own: `objects` (for_each
over the users map), then `names` (for_each over their names); the other blueprints come from
the package."""
EARLIER_MEMBERSHIP = {
    "objects": "  user     = aws_iam_user.user[each.key].name\n",
    "names": "  user     = local.created_users[each.key]\n",
}


def org_role(account_id: str) -> str:
    return accounts.role_arn(account_id, accounts.ORGANIZATION_ROLE)


BEFORE: dict[str, Any] = {
    "version": 1,
    "organization": "acme",
    "identity_account": "identity",
    "defaults": {"region": "eu-west-1", "path": "/mfa/", "mfa_max_age": "1h"},
    "accounts": {
        "identity": {"id": IDENTITY},
        "dev": {"id": DEV, "region": "eu-north-1", "terraform_role": org_role(DEV)},
        "prod": {"id": PROD, "terraform_role": org_role(PROD)},
    },
    "tiers": {
        "admin": {"preset": "admin", "accounts": ["identity", "dev"], "console": True},
        "deployer": {
            "managed_policies": [LAMBDA],
            "statements": [
                {
                    "sid": "ReadArtifacts",
                    "actions": ["s3:GetObject"],
                    "resources": ["arn:aws:s3:::acme-artifacts/*"],
                }
            ],
            "accounts": ["dev"],
        },
        "s3": {"preset": "s3", "accounts": ["prod"]},
    },
    "users": {
        "alice": {"tiers": ["admin"], "mfa_device": "alice-phone"},
        "bob": {"tiers": ["deployer", "s3"]},
        "carol": {"tiers": ["s3"]},
        "dave": {"tiers": []},
    },
}


def changed(before: dict[str, Any]) -> dict[str, Any]:
    after = copy.deepcopy(before)
    after["users"]["erin"] = {"tiers": ["deployer"]}  # add a user
    del after["users"]["carol"]  # remove a user (she has keys and an MFA device by then)
    after["accounts"]["staging"] = {"id": STAGING, "terraform_role": org_role(STAGING)}
    after["tiers"]["deployer"]["accounts"] = ["dev", "staging"]  # add an account to a tier
    del after["tiers"]["s3"]  # remove a tier: its group, and every role it had in prod
    after["users"]["bob"]["tiers"] = ["deployer"]
    return after


# Created by the test, outside mfagen: they must survive every apply.
FOREIGN_ROLE = "unrelated-role"
FOREIGN_USER = "unrelated-user"
FOREIGN_GROUP = "unrelated-group"
FOREIGN_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def create_foreign_entities(endpoint: MotoEndpoint) -> None:
    identity = accounts.client_in_account(endpoint.url, "iam", IDENTITY)
    identity.create_role(RoleName=FOREIGN_ROLE, AssumeRolePolicyDocument=FOREIGN_TRUST)
    identity.create_user(UserName=FOREIGN_USER)
    identity.create_group(GroupName=FOREIGN_GROUP)
    identity.add_user_to_group(GroupName=FOREIGN_GROUP, UserName=FOREIGN_USER)
    prod = accounts.client_in_account(endpoint.url, "iam", PROD)
    prod.create_role(RoleName=FOREIGN_ROLE, AssumeRolePolicyDocument=FOREIGN_TRUST)


def change_by_hand(endpoint: MotoEndpoint, plan: Plan) -> str:
    """Out-of-band changes; returns the Terraform address of the role whose trust was widened."""
    iam = accounts.client_in_account(endpoint.url, "iam", IDENTITY)
    iam.add_user_to_group(GroupName=FOREIGN_GROUP, UserName="bob")
    iam.create_access_key(UserName="carol")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="carol-phone")
    serial = device["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="carol",
        SerialNumber=serial,
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    # The seed's caveat, reintroduced by hand: the dev admin role trusts the whole account.
    [role] = [r for r in plan.roles if r.account == "dev" and r.tier == "admin"]
    widened = copy.deepcopy(role.trust)
    del widened["Statement"][0]["Condition"]["ArnEquals"]
    dev = accounts.client_in_account(endpoint.url, "iam", DEV)
    dev.update_assume_role_policy(RoleName=role.name, PolicyDocument=json.dumps(widened))
    return f"aws_iam_role.{role.key}"


def assert_matches_plan(endpoint: MotoEndpoint, plan: Plan) -> dict[str, readback.AccountState]:
    """Read back every account: mfagen's part equals the plan; the foreign part is intact."""
    state = readback.read_plan_accounts(endpoint.url, plan)
    expected = readback.expected_accounts(plan)
    identity, prod = state["identity"], state["prod"]
    for account in (identity, prod):
        role = account.roles[FOREIGN_ROLE]
        assert (role.trust, role.managed_policy_arns, role.inline_policies) == (
            json.loads(FOREIGN_TRUST),
            frozenset(),
            {},
        )
    assert identity.users[FOREIGN_USER].arn == f"arn:aws:iam::{IDENTITY}:user/{FOREIGN_USER}"
    assert identity.groups[FOREIGN_GROUP].managed_policy_arns == frozenset()
    assert FOREIGN_USER in identity.groups[FOREIGN_GROUP].members
    foreign = {
        "identity": identity.without(
            roles=[FOREIGN_ROLE],
            users=[FOREIGN_USER, accounts.DEPLOYER_USER],
            groups=[FOREIGN_GROUP],
        ),
        "prod": prod.without(roles=[FOREIGN_ROLE]),
    }
    for account, planned in expected.items():
        assert foreign.get(account, state[account]) == planned, f"{account} differs from the plan"
    return state


def test_changes_converge_and_leave_foreign_entities_alone(
    tmp_path: Path,
    fresh_moto: MotoEndpoint,
    deployer_credentials: accounts.StaticCredentials,
    terraform_in: TerraformFactory,
) -> None:
    out = tmp_path / "out"
    config = write_config(tmp_path, BEFORE)
    create_foreign_entities(fresh_moto)
    mfagen_render(config, out)
    terraform = terraform_in(out / "terraform")
    terraform.init()
    terraform.apply()
    first_plan = api.validate(config).plan
    assert_matches_plan(fresh_moto, first_plan)

    widened_role = change_by_hand(fresh_moto, first_plan)
    drift = terraform.plan()
    assert drift.returncode == 2, drift.describe()
    assert f"{widened_role} will be updated in-place" in drift.stdout, drift.stdout
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in drift.stdout, drift.stdout

    write_config(tmp_path, changed(BEFORE))
    rendered = mfagen_render(config, out)
    second_plan = api.validate(config).plan
    before_apply = readback.read_account(fresh_moto.url, IDENTITY)
    assert not (out / "terraform" / "account_prod.tf").exists(), rendered
    assert not (out / "profiles" / "carol").exists(), rendered
    assert (out / "terraform" / "account_staging.tf").is_file(), rendered
    assert (out / "profiles" / "erin" / "config").is_file(), rendered
    assert (out / "terraform" / "terraform.tfstate").is_file(), "render removed Terraform's state"
    assert (out / "terraform" / ".terraform.lock.hcl").is_file()

    fresh_moto.start_recording()
    terraform.apply()
    fresh_moto.stop_recording()
    converged = terraform.plan()

    assert converged.returncode == 0, converged.describe()
    state = assert_matches_plan(fresh_moto, second_plan)
    assert "carol" not in state["identity"].users
    assert state["identity"].groups[FOREIGN_GROUP].members == {FOREIGN_USER, "bob"}
    assert sorted(state["prod"].roles) == [FOREIGN_ROLE]
    assert sorted(state["staging"].roles) == ["DeployerMFARole"]
    identity_calls = [
        request.query_params
        for request in fresh_moto.recorded_requests()
        if request.access_key_id == deployer_credentials.access_key_id
    ]
    assert deleterules.delete_conflicts(before_apply, identity_calls) == []
    assert {"DeleteUser", "DeleteGroup"} <= {call.get("Action") for call in identity_calls}


@pytest.mark.parametrize("layout", sorted(EARLIER_MEMBERSHIP))
def test_a_module_applied_with_the_earlier_users_layout_plans_no_change(
    layout: str, tmp_path: Path, fresh_moto: MotoEndpoint, terraform_in: TerraformFactory
) -> None:
    # moved.tf moves each user to their own blocks: upgrading mfagen touches no user
    out = tmp_path / "out"
    config = write_config(tmp_path, BEFORE)
    mfagen_render(config, out, blueprints=EARLIER_BLUEPRINTS / layout)
    users_tf = out / "terraform" / "users.tf"
    assert EARLIER_MEMBERSHIP[layout] in users_tf.read_text()
    terraform = terraform_in(out / "terraform")
    terraform.init()
    terraform.apply()

    # without moved blocks the upgrade would recreate every user: render refuses
    refused = CliRunner().invoke(app, ["render", str(config), "--out", str(out)])
    assert refused.exit_code == 2, refused.output
    assert "set defaults.moved_blocks: true to upgrade" in refused.stderr
    assert EARLIER_MEMBERSHIP[layout] in users_tf.read_text()  # nothing written
    upgrade = {**BEFORE, "defaults": {**BEFORE["defaults"], "moved_blocks": True}}
    config = write_config(tmp_path, upgrade)
    mfagen_render(config, out)
    assert "  user     = aws_iam_user.alice.name\n" in users_tf.read_text()
    upgraded = terraform.plan()

    users = sorted(BEFORE["users"])
    moves = [
        f"# {kind}.user[{json.dumps(name)}] has moved to {kind}.{name}"
        for name in users
        for kind in ("aws_iam_user", "aws_iam_user_group_membership")
    ]
    for move in moves:
        assert move in upgraded.stdout, upgraded.describe()
    assert upgraded.stdout.count(" has moved to ") == len(moves), upgraded.describe()
    assert "Plan: 0 to add, 0 to change, 0 to destroy." in upgraded.stdout, upgraded.describe()

    fresh_moto.start_recording()
    terraform.apply()
    writes = [
        request.action
        for request in fresh_moto.recorded_requests()
        if request.action and not request.action.startswith(("Get", "List"))
    ]
    fresh_moto.stop_recording()
    assert set(writes) <= {"AssumeRole"}, writes
    settled = terraform.plan()
    assert settled.returncode == 0, settled.describe()

    # applied everywhere: the line goes, and moved.tf with it, with nothing to plan
    config = write_config(tmp_path, BEFORE)
    mfagen_render(config, out)
    assert not (out / "terraform" / "moved.tf").exists()
    dropped = terraform.plan()
    assert dropped.returncode == 0, dropped.describe()
