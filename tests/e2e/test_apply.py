"""Each golden config, rendered by `mfagen render`, applies and converges on a local endpoint.

For `accounts.yaml`, `examples/seed.yaml` and the 150-member `tests/cases/large-tier.yaml`:
`terraform init` + `terraform apply` succeed, `terraform plan -detailed-exitcode` then exits 0,
and what IAM holds afterwards, read back per account with boto3, is exactly what the plan says.
The endpoint (moto) stores policies but does not evaluate them: that trusts demand MFA and admit
only a tier's members is checked here by reading the documents, not by AWS refusing a call.
"""

from __future__ import annotations

import json

import pytest

from mfagen.policies import MFA_PRESENT, SELF

from . import accounts, readback
from .deploy import Deployment, Deployments

pytestmark = [pytest.mark.e2e, pytest.mark.terraform, pytest.mark.slow]

# IAM's default quotas (AWS-FACTS.md, from the IAM and STS quotas page). moto enforces none of
# them, so the documents read back are measured here, as IAM counts: without whitespace.
TRUST_POLICY_CHARS = 2048
ROLE_INLINE_CHARS = 10240
GROUP_INLINE_CHARS = 5120
MANAGED_POLICY_CHARS = 6144
MANAGED_POLICIES_PER_ENTITY = 10
GROUPS_PER_USER = 10
APPLIED_CASES = ("accounts", "seed", "large-tier")
"""Golden cases with the single-module layout (tests/golden.py names their configs)."""


@pytest.fixture(params=APPLIED_CASES)
def deployment(request: pytest.FixtureRequest, deployments: Deployments) -> Deployment:
    return deployments.get(request.param)


@pytest.fixture(scope="module")
def _read_backs() -> dict[str, dict[str, readback.AccountState]]:
    return {}


@pytest.fixture
def state(
    deployment: Deployment, _read_backs: dict[str, dict[str, readback.AccountState]]
) -> dict[str, readback.AccountState]:
    """Every account of the plan as IAM holds it after the apply, minus the bootstrap user.

    Read once per deployment (the large tier takes seconds): nothing here changes IAM.
    """
    if deployment.case not in _read_backs:
        found = readback.read_plan_accounts(deployment.endpoint.url, deployment.plan)
        identity = deployment.plan.identity.alias
        found[identity] = found[identity].without(users=[accounts.DEPLOYER_USER])
        _read_backs[deployment.case] = found
    return _read_backs[deployment.case]


def test_apply_reaches_every_account_through_its_provider(
    deployment: Deployment, state: dict[str, readback.AccountState]
) -> None:
    plan = deployment.plan

    assert "Apply complete!" in deployment.applied.stdout, deployment.applied.describe()
    assert {call["RoleArn"] for call in deployment.apply_assume_role_calls} == {
        provider.assume_role_arn for provider in plan.providers if provider.assume_role_arn
    }
    for provider in plan.providers:
        roles = state[provider.alias].roles
        assert sorted(roles) == sorted(role.name for role in plan.roles_in(provider.alias))
        assert all(
            role.arn.startswith(f"arn:aws:iam::{provider.account_id}:role/")
            for role in roles.values()
        )


def test_plan_after_apply_shows_no_changes(deployment: Deployment) -> None:
    result = deployment.terraform.plan()

    assert result.returncode == 0, result.describe()
    assert "No changes." in result.stdout


def test_read_back_matches_the_plan(
    deployment: Deployment, state: dict[str, readback.AccountState]
) -> None:
    expected = readback.expected_accounts(deployment.plan)

    assert sorted(state) == sorted(expected)
    for account, planned in expected.items():
        assert state[account] == planned, f"account {account} differs from the plan"


def test_trusts_demand_mfa_and_admit_exactly_the_tier_members(
    deployment: Deployment, state: dict[str, readback.AccountState]
) -> None:
    plan = deployment.plan
    identity = state[plan.identity.alias]

    for role in plan.roles:
        trust = state[role.account].roles[role.name].trust
        [statement] = readback.statements(trust)
        where = f"{role.name} in {role.account}"
        assert statement["Effect"] == "Allow", where
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{identity.account_id}:root"}
        assert readback.as_list(statement["Action"]) == ["sts:AssumeRole"], where
        assert statement["Condition"]["Bool"] == {MFA_PRESENT: "true"}, where
        admitted = readback.admitted_users(trust, identity)
        assert admitted == readback.tier_members(plan, role.tier), where


def chars(*documents: readback.Document) -> int:
    return sum(len(json.dumps(d, separators=(",", ":"), ensure_ascii=False)) for d in documents)


def test_what_iam_holds_fits_its_quotas(state: dict[str, readback.AccountState]) -> None:
    for account in state.values():
        for name, role in account.roles.items():
            assert chars(role.trust) <= TRUST_POLICY_CHARS, name
            assert chars(*role.inline_policies.values()) <= ROLE_INLINE_CHARS, name
            assert len(role.managed_policy_arns) <= MANAGED_POLICIES_PER_ENTITY, name
        for name, group in account.groups.items():
            assert chars(*group.inline_policies.values()) <= GROUP_INLINE_CHARS, name
            assert len(group.managed_policy_arns) <= MANAGED_POLICIES_PER_ENTITY, name
            for member in group.members:
                groups = [g for g in account.groups.values() if member in g.members]
                assert len(groups) <= GROUPS_PER_USER, member
        for name, policy in account.policies.items():
            assert chars(policy.document) <= MANAGED_POLICY_CHARS, name


def test_groups_assume_exactly_their_roles_and_everyone_can_enrol_mfa(
    deployment: Deployment, state: dict[str, readback.AccountState]
) -> None:
    plan = deployment.plan
    identity = state[plan.identity.alias]
    policy = identity.policies[plan.self_service.name]

    own_user = f"arn:aws:iam::{identity.account_id}:user/{SELF}"
    resources = [
        resource
        for statement in readback.statements(policy.document)
        for resource in readback.as_list(statement.get("Resource", []))
    ]
    assert own_user in resources, "${aws:username} did not reach IAM intact"
    for group in plan.groups:
        held = identity.groups[group.name]
        assert policy.arn in held.managed_policy_arns, group.name
        if group.tier is None:
            continue
        tier_roles = {
            state[role.account].roles[role.name].arn
            for role in plan.roles
            if role.tier == group.tier
        }
        [assume] = readback.statements(held.inline_policies[readback.GROUP_ASSUME_POLICY])
        assert assume["Effect"] == "Allow"
        assert assume["Action"] == "sts:AssumeRole"
        assert set(readback.as_list(assume["Resource"])) == tier_roles, group.name
    for user in plan.users:
        groups = [g for g in identity.groups.values() if user.name in g.members]
        assert any(policy.arn in g.managed_policy_arns for g in groups), user.name
