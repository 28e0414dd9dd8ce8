from __future__ import annotations

from typing import Any

import pytest

from mfagen import plan, policies
from tests.helpers import build, minimal

IDENTITY_ROOT = "arn:aws:iam::111111111111:root"


def _condition(role: plan.Role) -> dict[str, Any]:
    statement = role.trust["Statement"][0]
    assert statement["Principal"] == {"AWS": IDENTITY_ROOT}
    assert statement["Action"] == "sts:AssumeRole"
    return dict(statement["Condition"])


def test_tier_without_accounts_is_deployed_everywhere_with_an_mfa_trust() -> None:
    built = build(minimal())
    assert [(r.account, r.name, r.arn) for r in built.roles] == [
        ("identity", "AdminMFARole", "arn:aws:iam::111111111111:role/AdminMFARole"),
        ("prod", "AdminMFARole", "arn:aws:iam::333333333333:role/AdminMFARole"),
    ]
    for role in built.roles:
        assert _condition(role) == {
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/alice"},
        }
        assert role.managed_policy_arns == ("arn:aws:iam::aws:policy/AdministratorAccess",)
        assert role.max_session_duration == 3600


def test_mfa_max_age_and_session_duration_per_tier_override_defaults() -> None:
    data = minimal(defaults={"region": "eu-west-1", "mfa_max_age": "1h", "session_duration": "2h"})
    data["tiers"]["admin"].update(mfa_max_age="15m", session_duration=14400)
    role = build(data).roles[0]
    assert _condition(role)["NumericLessThan"] == {"aws:MultiFactorAuthAge": "900"}
    assert role.max_session_duration == 14400


def test_members_are_listed_by_arn_until_the_trust_quota_then_admitted_by_tag() -> None:
    users = {f"user{n:03d}": {"tiers": ["admin"]} for n in range(40)}
    built = build(minimal(users=users))
    role = built.roles[0]
    assert role.trust_mode == "arns"
    assert policies.minified_length(role.trust) <= plan.TRUST_POLICY_CHARS
    assert all(user.tags == () for user in built.users)

    users = {f"user{n:03d}": {"tiers": ["admin"]} for n in range(60)}
    built = build(minimal(users=users))
    role = built.roles[0]
    assert role.trust_mode == "tag"
    assert _condition(role) == {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "StringEquals": {"aws:PrincipalTag/mfagen-tier-admin": "true"},
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111111111111:user/*"},
    }
    assert all(user.tags == (("mfagen-tier-admin", "true"),) for user in built.users)


def test_five_hundred_members_fit() -> None:
    users = {f"engineer-{n:04d}": {"tiers": ["admin"]} for n in range(500)}
    built = build(minimal(users=users))
    assert all(policies.minified_length(role.trust) < 600 for role in built.roles)


def test_a_large_tier_needs_users_mfagen_creates() -> None:
    users = {f"user{n:03d}": {"tiers": ["admin"]} for n in range(60)}
    data = minimal(users=users, defaults={"region": "eu-west-1", "create_users": False})
    with pytest.raises(plan.PlanError) as caught:
        build(data)
    [finding] = caught.value.findings
    assert finding.loc == ("tiers", "admin")
    assert "60 members" in finding.message
    assert "create_users: true" in finding.hint


def test_a_tier_without_members_admits_nobody() -> None:
    data = minimal()
    data["tiers"]["readonly"] = {"preset": "readonly"}
    built = build(data)
    role = next(r for r in built.roles if r.tier == "readonly")
    assert role.trust_mode == "tag"
    assert all(not user.tags for user in built.users)


def test_group_may_assume_exactly_its_tier_roles() -> None:
    data = minimal()
    data["tiers"]["admin"]["accounts"] = ["prod"]
    built = build(data)
    [group] = built.groups
    assert group.name == "AdminMFAGroup"
    assert group.assume_policy == policies.document(
        {
            "Sid": "AssumeTierRoles",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::333333333333:role/AdminMFARole",
        }
    )
    assert group.console_policy is None
    assert group.managed_policy_arns == ()


def test_console_tier_grants_its_rights_to_the_group_with_mfa() -> None:
    data = minimal()
    data["tiers"]["ops"] = {
        "managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        "statements": [{"actions": ["s3:GetObject"], "resources": ["*"]}],
        "console": True,
    }
    group = next(g for g in build(data).groups if g.tier == "ops")
    assert group.managed_policy_arns == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
    assert group.console_policy == policies.document(
        {
            "Sid": "Statement1",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
    )


def test_paths_and_naming_patterns_reach_names_and_arns() -> None:
    data = minimal(
        defaults={"region": "eu-west-1", "path": "/mfa/"},
        naming={"role": "mfa-{tier}", "group": "{Tier}Users", "policy": "SelfService"},
        tiers={"data-eng": {"preset": "readonly"}},
        users={"alice": {"tiers": ["data-eng"]}},
    )
    built = build(data)
    assert built.roles[0].arn == "arn:aws:iam::111111111111:role/mfa/mfa-data-eng"
    assert built.groups[0].arn == "arn:aws:iam::111111111111:group/mfa/DataEngUsers"
    assert built.self_service.arn == "arn:aws:iam::111111111111:policy/mfa/SelfService"


def test_users_without_tiers_join_the_self_service_group() -> None:
    built = build(minimal(users={"alice": {"tiers": ["admin"]}, "dave": {}}))
    assert [(u.name, u.groups) for u in built.users] == [
        ("alice", ("tier_admin",)),
        ("dave", (plan.SELF_SERVICE_GROUP_KEY,)),
    ]
    assert built.groups[-1].name == "ManageMFAGroup"
    assert built.groups[-1].assume_policy is None


def test_no_self_service_group_when_every_user_has_a_tier() -> None:
    assert [g.key for g in build(minimal()).groups] == ["tier_admin"]


def test_self_service_policy_denies_everything_but_enrolment_without_mfa() -> None:
    document = build(minimal()).self_service.document
    statements = {s["Sid"]: s for s in document["Statement"]}
    deny = statements["DenyAllExceptListedIfNoMFA"]
    assert deny["Effect"] == "Deny"
    assert deny["Resource"] == "*"
    assert deny["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    assert "sts:AssumeRole" in deny["NotAction"]
    assert "iam:DeactivateMFADevice" not in deny["NotAction"]
    other_roles = statements["DenyAssumingOtherRolesIfNoMFA"]
    assert other_roles["NotResource"] == [
        "arn:aws:iam::111111111111:role/AdminMFARole",
        "arn:aws:iam::333333333333:role/AdminMFARole",
    ]
    others = statements["DenyOtherUsersIfNoMFA"]
    assert others["NotResource"] == "arn:aws:iam::111111111111:user/${aws:username}"
    assert set(others["Action"]) <= set(deny["NotAction"])
    own = statements["AllowManagingOwnUserMFAAndKeys"]
    assert own["Resource"] == "arn:aws:iam::111111111111:user/${aws:username}"
    assert statements["AllowCreatingVirtualMFADevices"]["Resource"] == (
        "arn:aws:iam::111111111111:mfa/*"
    )
    assert "iam:TagUser" in statements["DenyChangingOwnTagsAndPolicies"]["Action"]
    assert statements["DenyChangingMFAGroupsAndThisPolicy"]["Resource"] == [
        "arn:aws:iam::111111111111:group/AdminMFAGroup",
        "arn:aws:iam::111111111111:policy/ManageMFAPolicy",
    ]


def test_without_enforce_mfa_there_is_no_mfa_deny() -> None:
    data = minimal(defaults={"region": "eu-west-1", "enforce_mfa": False})
    sids = [s["Sid"] for s in build(data).self_service.document["Statement"]]
    assert "DenyAllExceptListedIfNoMFA" not in sids
    assert "DenyAssumingOtherRolesIfNoMFA" not in sids
    assert "DenyChangingOwnTagsAndPolicies" in sids


def test_profiles_one_per_tier_and_account_with_region_precedence() -> None:
    data = minimal(
        users={
            "alice": {"tiers": ["admin"], "mfa_device": "phone"},
            "bob": {"tiers": ["admin"], "region": "us-east-1"},
        }
    )
    data["accounts"]["prod"]["region"] = "eu-north-1"
    built = build(data)
    alice = built.profile_of("alice")
    assert alice is not None
    assert alice.profiles == (
        plan.Profile("acme", "eu-west-1", "arn:aws:iam::111111111111:mfa/phone"),
        plan.Profile(
            "acme-identity-admin",
            "eu-west-1",
            "arn:aws:iam::111111111111:mfa/phone",
            "arn:aws:iam::111111111111:role/AdminMFARole",
            "acme",
            "alice",
        ),
        plan.Profile(
            "acme-prod-admin",
            "eu-north-1",
            "arn:aws:iam::111111111111:mfa/phone",
            "arn:aws:iam::333333333333:role/AdminMFARole",
            "acme",
            "alice",
        ),
    )
    bob = built.profile_of("bob")
    assert bob is not None
    assert {p.region for p in bob.profiles} == {"us-east-1"}
    assert built.profile_of("nobody") is None


def test_single_account_mode_drops_the_account_from_profile_names() -> None:
    data = minimal(accounts={"main": {"id": "123456789012"}}, identity_account=None)
    built = build(data)
    assert built.single_account
    alice = built.profile_of("alice")
    assert alice is not None
    assert [p.name for p in alice.profiles] == ["acme", "acme-admin"]


def test_single_layout_is_one_module_holding_everything() -> None:
    [module] = build(minimal()).modules
    assert (module.folder, module.holds_identity, module.backend_type) == ("", True, None)
    assert [p.alias for p in module.providers] == ["identity", "prod"]


def test_per_account_layout_gives_each_account_its_module_and_state() -> None:
    data = minimal(
        terraform={
            "layout": "per-account",
            "backend": {"type": "s3", "config": {"key": "m/{account}.tfstate", "encrypt": True}},
        }
    )
    modules = build(data).modules
    assert [(m.folder, m.holds_identity) for m in modules] == [
        ("identity", True),
        ("prod", False),
    ]
    assert modules[1].backend == (("key", "m/prod.tfstate"), ("encrypt", True))
    assert [p.alias for p in modules[1].providers] == ["prod"]


def test_companion_profiles_follow_each_role_profile() -> None:
    data = minimal(profiles={"credential_process": True})
    file = build(data).profile_of("alice")
    assert file is not None
    assert [p.name for p in file.profiles] == [
        "acme",
        "acme-identity-admin",
        "acme-identity-admin-tf",
        "acme-prod-admin",
        "acme-prod-admin-tf",
    ]
    companion = file.profiles[2]
    assert companion.mfa_serial is None
    assert companion.role_arn is None
    assert companion.credential_process == (
        "aws configure export-credentials --profile acme-identity-admin --format process"
    )


def many_accounts(count: int) -> dict[str, object]:
    """`count` accounts a00, a01, ..., each reached through a role of its own."""
    return {
        f"a{n:02d}": {
            "id": f"{100000000000 + n}",
            "terraform_role": f"arn:aws:iam::{100000000000 + n}:role/OrgAccess",
        }
        for n in range(count)
    }


def test_without_mfa_assume_role_stays_open_on_mfagen_paths_when_arns_do_not_fit() -> None:
    accounts = many_accounts(40)
    tiers = {f"t{n:02d}": {"preset": "readonly"} for n in range(4)}
    data = minimal(
        identity_account="a00",
        defaults={"region": "eu-west-1", "path": "/mfa/"},
        accounts=accounts,
        tiers=tiers,
        users={"alice": {"tiers": ["t00"]}},
    )
    document = build(data).self_service.document
    assert policies.minified_length(document) <= plan.MANAGED_POLICY_CHARS
    statement = next(
        s for s in document["Statement"] if s["Sid"] == "DenyAssumingOtherRolesIfNoMFA"
    )
    assert len(statement["NotResource"]) == 40
    assert statement["NotResource"][0] == "arn:aws:iam::100000000000:role/mfa/*"
    groups = next(
        s for s in document["Statement"] if s["Sid"] == "DenyChangingMFAGroupsAndThisPolicy"
    )
    assert groups["Resource"] == [
        "arn:aws:iam::100000000000:group/mfa/*",
        "arn:aws:iam::100000000000:policy/mfa/ManageMFAPolicy",
    ]


def test_the_benchmark_scale_fits_the_policy_quota_with_its_enrolment_gate() -> None:
    """60 accounts and 25 tiers (benchmarks/synthetic.py): the path names roles and groups."""
    accounts = many_accounts(60)
    tiers = {f"tier-{n:02d}": {"preset": "readonly"} for n in range(25)}

    def config(opened: int, *, create_users: bool = True) -> dict[str, object]:
        tiers_of = ["tier-00"] if create_users else []  # untagged: a trust lists its members
        users = {f"new{n:04d}": {"tiers": tiers_of, "enrolment": "open"} for n in range(opened)}
        return minimal(
            identity_account="a00",
            defaults={"region": "eu-west-1", "path": "/mfa/", "create_users": create_users},
            accounts=accounts,
            tiers=tiers,
            users=users,
        )

    built = build(config(5000))  # a first rollout: every window open at once
    assert built.self_service.by_path
    assert policies.minified_length(built.self_service.document) <= plan.MANAGED_POLICY_CHARS
    built = build(config(100, create_users=False))  # named, not tagged: the quota caps them
    assert built.self_service.by_path
    assert policies.minified_length(built.self_service.document) <= plan.MANAGED_POLICY_CHARS
    with pytest.raises(plan.PlanError) as caught:  # 300 at once: refused, at the windows
        build(config(300, create_users=False))
    [finding] = caught.value.findings
    assert finding.loc == ("users", "new0000", "enrolment")


def test_the_path_fallback_needs_a_path_of_its_own() -> None:
    accounts = many_accounts(40)
    data = minimal(
        identity_account="a00",
        accounts=accounts,
        tiers={f"t{n:02d}": {"preset": "readonly"} for n in range(4)},
        users={"alice": {"tiers": ["t00"]}},
    )
    with pytest.raises(plan.PlanError) as caught:
        build(data)
    [finding] = caught.value.findings
    assert finding.loc == ("defaults", "path")
    assert "set defaults.path to a path only mfagen uses" in finding.hint
