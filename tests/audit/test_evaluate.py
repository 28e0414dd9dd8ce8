"""The evaluation engine against cases worked out by hand from AWS's documented logic.

Each case cites the rule it follows (IAM User Guide: "Policy evaluation logic", "IAM JSON
policy elements: Condition operators", "... Resource", "IAM policy elements: Variables and
tags", "Cross-account policy evaluation logic").
"""

from __future__ import annotations

from typing import Any

import pytest

from mfagen.audit.policy.evaluate import Policy, Request, StatementRef, assume_role, evaluate
from mfagen.audit.policy.grammar import PolicyError, compile_policy
from mfagen.audit.policy.managed import managed_policy, outside_grant
from mfagen.models import PRESETS

WHERE = StatementRef("test.tf", 1, "aws_iam_policy.test", "test", "", "")
ALICE = "arn:aws:iam::111111111111:user/alice"


def policy(*statements: dict[str, Any], version: str = "2012-10-17", trust: bool = False) -> Policy:
    return compile_policy(
        {"Version": version, "Statement": list(statements)}, name="test", where=WHERE, trust=trust
    )


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def ask(policies: list[Policy], action: str, resource: str = "*", **context: Any) -> bool:
    values = {
        key.lower(): tuple(value) if isinstance(value, list | tuple) else (value,)
        for key, value in context.items()
    }
    return evaluate(Request(action, resource, values), policies).allowed


def ctx(**values: Any) -> dict[str, Any]:
    """Context keys with ':' and '/' come in through a dict."""
    return values


# -- the decision: explicit deny > allow > implicit deny ------------------------------------


def test_nothing_allows_means_implicit_deny() -> None:
    assert not ask([policy(allow("s3:GetObject"))], "s3:PutObject")


def test_an_explicit_deny_beats_any_allow_in_any_policy() -> None:
    assert not ask([policy(allow("*")), policy(deny("s3:*"))], "s3:GetObject")
    assert ask([policy(allow("*")), policy(deny("s3:*"))], "ec2:RunInstances")


def test_decision_names_the_statements() -> None:
    decision = evaluate(
        Request("s3:GetObject", "*", {}),
        [policy({"Sid": "A", **allow("s3:*")}), policy({"Sid": "D", **deny("s3:Get*")})],
    )
    assert not decision.allowed
    assert [r.sid for r in decision.allows] == ["A"]
    assert [r.sid for r in decision.denies] == ["D"]


# -- Action / NotAction ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("s3:getobject", "S3:GetObject", True),  # action names are case-insensitive
        ("s3:Get*", "s3:GetObjectAcl", True),
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:Get?bject", "s3:GetOObject", False),
        ("iam:*", "sts:AssumeRole", False),
        ("*", "sts:AssumeRole", True),
    ],
)
def test_action_wildcards(pattern: str, action: str, expected: bool) -> None:
    assert ask([policy(allow(pattern))], action) is expected


def test_not_action_allows_everything_else() -> None:
    power = policy({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"})
    assert ask([power], "s3:GetObject")
    assert not ask([power], "iam:CreateUser")


def test_not_action_deny_denies_everything_else() -> None:
    rules = [
        policy(allow("*")),
        policy({"Effect": "Deny", "NotAction": "iam:ChangePassword", "Resource": "*"}),
    ]
    assert ask(rules, "iam:ChangePassword")
    assert not ask(rules, "s3:ListAllMyBuckets")


# -- Resource / NotResource -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b.txt", True),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
        ("arn:aws:iam::*:role/mfa/A", "arn:aws:iam::222222222222:role/mfa/A", True),
        ("arn:aws:iam::111111111111:role/*", "arn:aws:iam::222222222222:role/x", False),
        ("arn:aws:iam::111111111111:user/Al?ce", "arn:aws:iam::111111111111:user/Alice", True),
        ("arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:user/Alice", False),
        # `*` inside a segment stays in it; at a segment's end it may run past colons
        ("arn:aws:iam::1*1:role/x", "arn:aws:iam::1:2:1:role/x", False),
    ],
)  # fmt: skip
def test_resource_wildcards_are_case_sensitive(pattern: str, resource: str, expected: bool) -> None:
    assert ask([policy(allow("s3:GetObject", pattern))], "s3:GetObject", resource) is expected


def test_not_resource() -> None:
    rules = [
        policy(allow("sts:AssumeRole")),
        policy(
            {
                "Effect": "Deny",
                "Action": "sts:AssumeRole",
                "NotResource": "arn:aws:iam::*:role/mfa/*",
            }
        ),
    ]
    assert ask(rules, "sts:AssumeRole", "arn:aws:iam::222222222222:role/mfa/AdminMFARole")
    assert not ask(rules, "sts:AssumeRole", "arn:aws:iam::222222222222:role/Other")


# -- conditions -----------------------------------------------------------------------------

MFA = "aws:MultiFactorAuthPresent"
AGE = "aws:MultiFactorAuthAge"


def with_mfa_condition(operator: str, key: str, value: Any, effect: str = "Allow") -> Policy:
    return policy(
        {"Effect": effect, "Action": "*", "Resource": "*", "Condition": {operator: {key: value}}}
    )


def test_bool_with_an_absent_key_fails() -> None:
    """Long-term keys carry no aws:MultiFactorAuthPresent, so Bool true never matches them."""
    rule = with_mfa_condition("Bool", MFA, "true")
    assert ask([rule], "s3:GetObject", **ctx(**{MFA: "true"}))
    assert not ask([rule], "s3:GetObject")
    assert not ask([rule], "s3:GetObject", **ctx(**{MFA: "false"}))


def test_bool_false_deny_misses_long_term_keys_but_boolifexists_catches_them() -> None:
    """AWS's documented pitfall: a Deny on Bool false does not apply when the key is absent."""
    bool_deny = [policy(allow("*")), with_mfa_condition("Bool", MFA, "false", "Deny")]
    if_exists = [policy(allow("*")), with_mfa_condition("BoolIfExists", MFA, "false", "Deny")]
    assert ask(bool_deny, "s3:GetObject")  # absent: the deny does not apply
    assert not ask(if_exists, "s3:GetObject")  # absent: IfExists makes it apply
    assert not ask(bool_deny, "s3:GetObject", **ctx(**{MFA: "false"}))
    assert ask(if_exists, "s3:GetObject", **ctx(**{MFA: "true"}))


@pytest.mark.parametrize(
    ("value", "present", "expected"), [("true", False, True), ("true", True, False),
                                       ("false", True, True), ("false", False, False)]
)  # fmt: skip
def test_null_tests_presence(value: str, present: bool, expected: bool) -> None:
    rule = with_mfa_condition("Null", MFA, value)
    context = ctx(**{MFA: "true"}) if present else {}
    assert ask([rule], "s3:GetObject", **context) is expected


@pytest.mark.parametrize(
    ("operator", "age", "expected"),
    [
        ("NumericLessThan", "100", True),
        ("NumericLessThan", "3600", False),
        ("NumericLessThan", None, False),  # absent: a positive operator fails
        ("NumericLessThanIfExists", None, True),
        ("NumericLessThanEquals", "3600", True),
        ("NumericGreaterThan", "3601", True),
        ("NumericNotEquals", None, True),  # absent: a negated operator holds
        ("NumericLessThan", "not-a-number", False),
    ],
)
def test_numeric(operator: str, age: str | None, expected: bool) -> None:
    rule = with_mfa_condition(operator, AGE, "3600")
    context = ctx(**{AGE: age}) if age is not None else {}
    assert ask([rule], "s3:GetObject", **context) is expected


@pytest.mark.parametrize(
    ("operator", "policy_value", "request_value", "expected"),
    [
        ("StringEquals", "eu-west-1", "eu-west-1", True),
        ("StringEquals", "eu-west-1", "EU-WEST-1", False),
        ("StringEqualsIgnoreCase", "eu-west-1", "EU-WEST-1", True),
        ("StringNotEquals", ["eu-west-1", "eu-north-1"], "us-east-1", True),
        ("StringNotEquals", ["eu-west-1", "eu-north-1"], "eu-north-1", False),
        ("StringNotEquals", "eu-west-1", None, True),  # absent: negated operators hold
        ("StringEquals", "eu-west-1", None, False),
        ("StringLike", "eu-*", "eu-west-1", True),
        ("StringLike", "eu-????-1", "eu-west-1", True),
        ("StringNotLike", "eu-*", "us-east-1", True),
        ("StringEqualsIfExists", "eu-west-1", None, True),
    ],
)
def test_string(
    operator: str, policy_value: Any, request_value: str | None, expected: bool
) -> None:
    rule = with_mfa_condition(operator, "aws:RequestedRegion", policy_value)
    context = ctx(**{"aws:RequestedRegion": request_value}) if request_value else {}
    assert ask([rule], "s3:GetObject", **context) is expected


@pytest.mark.parametrize(
    ("operator", "pattern", "arn", "expected"),
    [
        ("ArnEquals", ALICE, ALICE, True),
        ("ArnEquals", ALICE, "arn:aws:iam::111111111111:user/alicia", False),
        ("ArnLike", "arn:aws:iam::111111111111:user/*", ALICE, True),
        ("ArnLike", "arn:aws:iam::111111111111:user/*", "arn:aws:iam::111111111111:role/x", False),
        ("ArnLike", "arn:aws:iam::*:user/alice", "arn:aws:iam::222222222222:user/alice", True),
        # ArnEquals supports wildcards too; each of the six components matches separately
        ("ArnEquals", "arn:aws:iam::111111111111:user/*", ALICE, True),
        ("ArnLike", "arn:aws:iam::*:user/*", "arn:aws:iam::1:2:user/x", False),
        ("ArnNotEquals", ALICE, "arn:aws:iam::111111111111:user/bob", True),
        ("ArnNotEquals", ALICE, ALICE, False),
        ("ArnLike", "not-an-arn", "not-an-arn", False),
    ],
)  # fmt: skip
def test_arn(operator: str, pattern: str, arn: str, expected: bool) -> None:
    rule = with_mfa_condition(operator, "aws:PrincipalArn", pattern)
    assert ask([rule], "s3:GetObject", **ctx(**{"aws:PrincipalArn": arn})) is expected


@pytest.mark.parametrize(
    ("operator", "request_values", "expected"),
    [
        ("ForAnyValue:StringEquals", ["a", "x"], True),
        ("ForAnyValue:StringEquals", ["x", "y"], False),
        ("ForAnyValue:StringEquals", None, False),  # absent: ForAnyValue fails
        ("ForAllValues:StringEquals", ["a", "b"], True),
        ("ForAllValues:StringEquals", ["a", "x"], False),
        ("ForAllValues:StringEquals", None, True),  # absent: ForAllValues holds (the pitfall)
        ("ForAllValues:StringNotEquals", ["x", "y"], True),
        ("ForAllValues:StringNotEquals", ["a", "y"], False),
        ("ForAnyValue:StringNotEquals", ["a", "y"], True),
        ("ForAnyValue:StringLike", ["team-x"], True),
    ],
)
def test_multivalued_keys(operator: str, request_values: list[str] | None, expected: bool) -> None:
    values = ["a", "b", "team-*"] if "Like" in operator else ["a", "b"]
    rule = with_mfa_condition(operator, "aws:TagKeys", values)
    context = ctx(**{"aws:TagKeys": request_values}) if request_values else {}
    assert ask([rule], "iam:TagUser", **context) is expected


def test_every_operator_and_every_key_must_hold() -> None:
    rule = policy(
        allow(
            "*",
            Condition={
                "Bool": {MFA: "true"},
                "NumericLessThan": {AGE: "3600"},
                "StringEquals": {"aws:PrincipalTag/team": ["a", "b"]},
            },
        )
    )
    both = ctx(**{MFA: "true", AGE: "10", "aws:PrincipalTag/team": "b"})
    assert ask([rule], "s3:GetObject", **both)
    assert not ask([rule], "s3:GetObject", **{**both, AGE: "4000"})
    assert not ask([rule], "s3:GetObject", **{**both, "aws:PrincipalTag/team": "c"})


def test_condition_keys_are_case_insensitive() -> None:
    rule = with_mfa_condition("Bool", "AWS:multifactorauthpresent", "TRUE")
    assert ask([rule], "s3:GetObject", **ctx(**{MFA: "true"}))


def test_principal_tags() -> None:
    rule = with_mfa_condition("StringEquals", "aws:PrincipalTag/mfagen-tier-dev", "true")
    assert ask([rule], "s3:GetObject", **ctx(**{"aws:PrincipalTag/mfagen-tier-dev": "true"}))
    assert not ask([rule], "s3:GetObject", **ctx(**{"aws:PrincipalTag/mfagen-tier-dev": "yes"}))
    assert not ask([rule], "s3:GetObject")


# -- policy variables ------------------------------------------------------------------------


def test_username_variable_scopes_a_resource_to_the_caller() -> None:
    rule = policy(allow("iam:EnableMFADevice", "arn:aws:iam::111111111111:user/${aws:username}"))
    assert ask([rule], "iam:EnableMFADevice", ALICE, **ctx(**{"aws:username": "alice"}))
    assert not ask([rule], "iam:EnableMFADevice", ALICE, **ctx(**{"aws:username": "bob"}))
    # a role session has no aws:username: the element matches nothing
    assert not ask([rule], "iam:EnableMFADevice", ALICE)


def test_variable_values_never_act_as_wildcards() -> None:
    rule = policy(allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/x"))
    target = "arn:aws:s3:::b/anyone/x"
    assert not ask([rule], "s3:GetObject", target, **ctx(**{"aws:username": "*"}))


def test_variable_default_and_special_characters() -> None:
    rule = policy(allow("s3:GetObject", "arn:aws:s3:::b/${aws:PrincipalTag/team, 'none'}/${*}"))
    assert ask([rule], "s3:GetObject", "arn:aws:s3:::b/none/*")
    assert not ask([rule], "s3:GetObject", "arn:aws:s3:::b/none/anything")


def test_variables_in_condition_values() -> None:
    rule = with_mfa_condition("StringEquals", "aws:PrincipalTag/owner", "${aws:username}")
    context = ctx(**{"aws:username": "alice", "aws:PrincipalTag/owner": "alice"})
    assert ask([rule], "s3:GetObject", **context)
    assert not ask([rule], "s3:GetObject", **{**context, "aws:PrincipalTag/owner": "bob"})


def test_version_2008_takes_variables_literally() -> None:
    rule = policy(
        allow("iam:GetUser", "arn:aws:iam::111111111111:user/${aws:username}"), version="2008-10-17"
    )
    assert not ask([rule], "iam:GetUser", ALICE, **ctx(**{"aws:username": "alice"}))
    literal = "arn:aws:iam::111111111111:user/${aws:username}"
    assert ask([rule], "iam:GetUser", literal, **ctx(**{"aws:username": "alice"}))


# -- roles: trust policy plus identity policies ----------------------------------------------


def trust(principal: Any, **condition: Any) -> Policy:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return policy(statement, trust=True)


def assume(identity: list[Policy], role_trust: Policy, principal: str, role_account: str) -> bool:
    account = principal.split(":")[4]
    request = Request(
        "sts:AssumeRole", f"arn:aws:iam::{role_account}:role/R", {}, principal, account
    )
    return assume_role(request, identity, role_trust, role_account).allowed


ASSUME_ANY = policy(allow("sts:AssumeRole"))


def test_cross_account_needs_both_the_trust_and_the_identity_policy() -> None:
    role_trust = trust("arn:aws:iam::111111111111:root")
    assert assume([ASSUME_ANY], role_trust, ALICE, "222222222222")
    assert not assume([], role_trust, ALICE, "222222222222")
    assert not assume([ASSUME_ANY], trust("arn:aws:iam::333333333333:root"), ALICE, "222222222222")


def test_same_account_trust_naming_the_account_still_needs_the_identity_policy() -> None:
    assert not assume([], trust("111111111111"), ALICE, "111111111111")
    assert assume([ASSUME_ANY], trust("111111111111"), ALICE, "111111111111")


def test_same_account_trust_naming_the_user_suffices_on_its_own() -> None:
    assert assume([], trust(ALICE), ALICE, "111111111111")
    assert not assume([], trust(ALICE), ALICE, "222222222222")


def test_an_identity_deny_beats_the_trust() -> None:
    denied = policy(deny("sts:AssumeRole"))
    assert not assume([ASSUME_ANY, denied], trust(ALICE), ALICE, "111111111111")


def test_a_trust_without_a_matching_principal_refuses() -> None:
    assert not assume([ASSUME_ANY], trust("arn:aws:iam::111111111111:user/bob"), ALICE, "2" * 12)


# -- AWS managed policies --------------------------------------------------------------------


def managed(name: str) -> Policy:
    return managed_policy(f"arn:aws:iam::aws:policy/{name}", WHERE)


@pytest.mark.parametrize(
    ("name", "action", "expected"),
    [
        ("AdministratorAccess", "iam:CreateUser", True),
        ("PowerUserAccess", "s3:GetObject", True),
        ("PowerUserAccess", "iam:CreateUser", False),
        ("PowerUserAccess", "iam:ListRoles", True),
        ("PowerUserAccess", "iam:CreateServiceLinkedRole", True),
        ("PowerUserAccess", "organizations:DescribeOrganization", True),
        ("PowerUserAccess", "organizations:CreateAccount", False),
        ("ReadOnlyAccess", "ec2:DescribeInstances", True),
        ("ReadOnlyAccess", "s3:GetObject", True),
        ("ReadOnlyAccess", "s3:PutObject", False),
        ("AmazonS3FullAccess", "s3:PutObject", True),
        ("AmazonS3FullAccess", "s3-object-lambda:GetObject", True),
        ("AmazonS3FullAccess", "ec2:RunInstances", False),
        ("AWSLambda_FullAccess", "anything:AtAll", True),  # opaque: may allow anything
    ],
)
def test_managed_presets(name: str, action: str, expected: bool) -> None:
    assert ask([managed(name)], action) is expected


def test_opaque_policies_are_marked() -> None:
    assert managed("AWSLambda_FullAccess").opaque
    assert not managed("AdministratorAccess").opaque
    assert ask([outside_grant()], "iam:CreateUser")


# -- documents IAM would refuse ------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({"Effect": "Maybe", "Action": "*", "Resource": "*"}, "Effect"),
        ({"Effect": "Allow", "Resource": "*"}, "exactly one of Action and NotAction"),
        ({"Effect": "Allow", "Action": "*", "NotAction": "s3:*", "Resource": "*"}, "exactly one"),
        ({"Effect": "Allow", "Action": "*"}, "exactly one of Resource and NotResource"),
        ({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bol": {"k": "v"}}},
         "unknown condition operator"),
        ({"Effect": "Allow", "Action": "*", "Resource": "*", "Extra": 1}, "unknown statement"),
        ({"Effect": "Allow", "Action": [], "Resource": "*"}, "Action must be"),
    ],
)  # fmt: skip
def test_malformed_policies_are_refused(statement: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        policy(statement)


@pytest.mark.parametrize("arn", PRESETS.values(), ids=PRESETS.keys())
def test_the_audit_models_every_preset_policy(arn: str) -> None:
    """A new preset needs its published document in managed.KNOWN, or the audit treats it
    as opaque: as allowing anything."""
    assert not managed_policy(arn, WHERE).opaque
