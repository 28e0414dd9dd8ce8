"""What IAM holds, read into the audit's Module (read/live.py), from hand-made account states:
no AWS needed."""

from __future__ import annotations

from typing import Any

import pytest

from mfagen.audit import Options, check, read_folder
from mfagen.audit.live.state import AccountState
from mfagen.audit.model import Location, Module
from mfagen.audit.read import live
from tests.helpers import ROOT

IDENTITY = "111111111111"
ANYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@pytest.fixture(scope="module")
def expected() -> Module:
    return read_folder(ROOT / "output")[0]


def identity_state(expected: Module, **changes: Any) -> AccountState:
    """The identity account of accounts.yaml's output, its users and groups, as IAM lists them."""
    groups = [
        {"GroupName": g.name, "Arn": g.arn, "Path": g.path, "GroupPolicyList": [],
         "AttachedManagedPolicies": []}
        for g in expected.groups
    ]  # fmt: skip
    users = [
        {"UserName": u.name, "Arn": u.arn, "Path": u.path, "Tags": [],
         "GroupList": [expected.group(k).name for k in u.groups],
         "UserPolicyList": [], "AttachedManagedPolicies": []}
        for u in expected.users
    ]  # fmt: skip
    found = {"users": users, "groups": groups, "roles": (), "policies": ()} | changes
    return AccountState("identity", IDENTITY, tuple(found["users"]), tuple(found["groups"]),
                        tuple(found["roles"]), tuple(found["policies"]))  # fmt: skip


def test_entities_are_located_by_account_and_arn(expected: Module) -> None:
    found = live.read(expected, [identity_state(expected)])

    alice = next(u for u in found.users if u.name == "alice")
    assert alice.where == Location(f"iam:{IDENTITY}", 0, f"arn:aws:iam::{IDENTITY}:user/alice")
    assert alice.groups == ("tier_admin",)
    assert [g.key for g in found.groups] == [g.key for g in expected.groups]
    assert found.roles == ()  # no account of the roles was read


def test_a_group_outside_the_module_lends_its_policies_to_its_members(expected: Module) -> None:
    state = identity_state(expected)
    ops = {"GroupName": "Ops", "Arn": f"arn:aws:iam::{IDENTITY}:group/Ops", "Path": "/",
           "GroupPolicyList": [{"PolicyName": "All", "PolicyDocument": ANYTHING}],
           "AttachedManagedPolicies": []}  # fmt: skip
    users = [
        {**u, "GroupList": [*u["GroupList"], "Ops"]} if u["UserName"] in ("alice", "bob") else u
        for u in state.users
    ]

    found = live.read(expected, [identity_state(expected, users=users,
                                                groups=[*state.groups, ops])])  # fmt: skip

    lent = {u.name: [a.name for a in u.policies] for u in found.users}
    assert lent["alice"] == lent["bob"] == ["All"]
    assert lent["dave"] == []
    alice, bob = (u for u in found.users if u.name in ("alice", "bob"))
    assert alice.policies[0].policy is bob.policies[0].policy  # one policy, one class of users
    assert "Ops" not in {g.name for g in found.groups}


def test_a_policy_the_grammar_refuses_grants_everything_and_is_named(expected: Module) -> None:
    odd = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringEqualsSometimes": {"aws:username": "x"}}}]}  # fmt: skip
    state = identity_state(expected)
    users = [
        {**u, "UserPolicyList": [{"PolicyName": "Odd", "PolicyDocument": odd}]}
        if u["UserName"] == "bob" else u
        for u in state.users
    ]  # fmt: skip

    found = live.read(expected, [identity_state(expected, users=users)])
    report = check(found, {}, "live", Options())

    (stray,) = found.strays
    assert stray.where.address == f"arn:aws:iam::{IDENTITY}:user/bob"
    assert stray.message.startswith("Odd statement #1: the audit cannot read it (")
    assert stray.message.endswith("); taken as allowing everything")
    assert any(f.invariant == "module" and "Odd statement #1" in f.message for f in report.findings)
    assert any(f.invariant == "3" and "bob" in f.subjects for f in report.findings)
