"""Cross-field rules: references, uniqueness, IAM's names and quotas, and the one warning."""

from __future__ import annotations

from typing import Any

import pytest

from mfagen import rules, wording
from mfagen.loader import dotted
from mfagen.models import Config
from tests.helpers import minimal

ROLE = "arn:aws:iam::{}:role/OrganizationAccountAccessRole"


def run(data: dict[str, Any]) -> rules.Findings:
    return rules.run(Config.model_validate(data))


def errors(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, message, hint) of every error found in `data`."""
    return [(dotted(f.loc), f.message, f.hint) for f in run(data).errors]


def tiers(**tiers: dict[str, Any]) -> dict[str, Any]:
    """`minimal()` with these tiers and no users."""
    return minimal(tiers=tiers, users={})


def test_the_minimal_configuration_has_no_findings() -> None:
    findings = run(minimal())
    assert (findings.errors, findings.warnings) == ([], [])


# --- accounts ----------------------------------------------------------------------------


def test_a_machine_user_is_no_user_of_mfagens_and_is_listed_once() -> None:
    data = minimal()
    data["accounts"]["identity"]["machine_users"] = ["alice", "ci", "ci"]
    data["accounts"]["prod"]["machine_users"] = ["alice"]  # another account's alice: fine
    assert errors(data) == [
        (
            "accounts.identity.machine_users[0]",
            "'alice' is a user mfagen manages (users.alice)",
            "a machine user is one kept outside mfagen: remove it here or from users",
        ),
        ("accounts.identity.machine_users[2]", "machine user 'ci' is listed twice", "list it once"),
    ]


def test_single_account_mode_needs_no_identity_account() -> None:
    data = minimal(accounts={"main": {"id": "111111111111"}})
    del data["identity_account"]
    assert errors(data) == []


def test_several_accounts_need_an_identity_account() -> None:
    data = minimal()
    del data["identity_account"]
    assert errors(data) == [
        (
            "identity_account",
            "several accounts but no identity_account",
            "name the account that holds the IAM users: identity_account: <account>",
        )
    ]


def test_identity_account_must_be_one_of_the_accounts() -> None:
    assert errors(minimal(identity_account="identty")) == [
        ("identity_account", "unknown account 'identty'", "did you mean 'identity'?")
    ]


def test_an_account_id_is_used_once() -> None:
    data = minimal()
    data["accounts"]["prod"]["id"] = "111111111111"
    data["accounts"]["prod"]["terraform_role"] = ROLE.format("111111111111")
    assert errors(data) == [
        (
            "accounts.prod.id",
            "account id 111111111111 is also the id of account 'identity'",
            "each account appears once; remove or correct one of them",
        )
    ]


def test_every_account_needs_a_region() -> None:
    data = minimal(defaults={})
    data["accounts"]["prod"]["region"] = "eu-north-1"
    assert errors(data) == [
        (
            "accounts.identity",
            "no region for this account",
            "set defaults.region, or region: on this account",
        )
    ]


def test_terraform_role_lives_in_its_account() -> None:
    data = minimal()
    data["accounts"]["prod"]["terraform_role"] = ROLE.format("444444444444")
    assert errors(data) == [
        (
            "accounts.prod.terraform_role",
            "terraform_role is not a role in account 333333333333",
            "Terraform assumes it to act in this account: arn:aws:iam::333333333333:role/...",
        )
    ]


# --- tiers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tier",
    [
        {"preset": "readonly"},
        {"managed_policies": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
        {"statements": [{"actions": ["s3:GetObject"], "resources": ["*"]}]},
    ],
)
def test_a_tier_grants_something(tier: dict[str, Any]) -> None:
    assert errors(tiers(t=tier)) == []


@pytest.mark.parametrize("tier", [{}, {"console": True, "accounts": ["prod"]}])
def test_a_tier_granting_nothing_is_refused(tier: dict[str, Any]) -> None:
    assert errors(tiers(t=tier)) == [
        (
            "tiers.t",
            "this tier grants nothing",
            "give it a preset (admin, poweruser, readonly, s3), managed_policies or statements",
        )
    ]


def test_tier_accounts_are_known_accounts() -> None:
    assert errors(tiers(t={"preset": "admin", "accounts": ["identity", "prd", "staging"]})) == [
        ("tiers.t.accounts[1]", "unknown account 'prd'", "did you mean 'prod'?"),
        (
            "tiers.t.accounts[2]",
            "unknown account 'staging'",
            "expected one of 'identity', 'prod'",
        ),
    ]


def test_tier_accounts_are_listed_once_and_not_empty() -> None:
    assert errors(tiers(t={"preset": "admin", "accounts": ["prod", "prod"]})) == [
        ("tiers.t.accounts[1]", "account 'prod' is listed twice", "list it once")
    ]
    assert errors(tiers(t={"preset": "admin", "accounts": []})) == [
        (
            "tiers.t.accounts",
            "empty account list",
            "remove 'accounts' to deploy the tier in every account",
        )
    ]


def test_console_needs_enforce_mfa() -> None:
    data = tiers(t={"preset": "admin", "console": True})
    assert errors(data) == []
    data["defaults"]["enforce_mfa"] = False
    assert errors(data) == [
        (
            "tiers.t.console",
            "console: true needs defaults.enforce_mfa: true",
            "the group's policies would otherwise work without MFA",
        )
    ]


def test_a_managed_policy_is_attached_once() -> None:
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    lambda_ = "arn:aws:iam::aws:policy/AWSLambda_FullAccess"
    assert errors(tiers(t={"preset": "admin", "managed_policies": [lambda_, admin]})) == [
        (
            "tiers.t.managed_policies[1]",
            f"{admin} is already granted by preset: admin",
            "remove it from managed_policies",
        )
    ]
    assert errors(tiers(t={"managed_policies": [lambda_, lambda_]})) == [
        (
            "tiers.t.managed_policies[1]",
            f"{lambda_} is listed twice",
            "list each managed policy once",
        )
    ]


def _policies(count: int) -> list[str]:
    return [f"arn:aws:iam::111111111111:policy/P{n}" for n in range(count)]


@pytest.mark.parametrize(("console", "limit"), [(False, 10), (True, 9)])
def test_a_tier_attaches_at_most_iams_quota_of_managed_policies(console: bool, limit: int) -> None:
    assert errors(tiers(t={"managed_policies": _policies(limit), "console": console})) == []
    [(field, message, _)] = errors(
        tiers(t={"managed_policies": _policies(limit), "preset": "s3", "console": console})
    )
    assert field == "tiers.t.managed_policies"
    assert message == f"{limit + 1} managed policies; IAM attaches at most {limit} here"


# --- statements --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        {"actions": ["s3:*"], "resources": ["*"]},
        {"not_actions": ["iam:*"], "resources": ["*"]},
        {"actions": ["s3:*"], "not_resources": ["arn:aws:s3:::private/*"]},
    ],
)
def test_a_statement_with_one_of_each_pair_is_fine(statement: dict[str, Any]) -> None:
    assert errors(tiers(t={"statements": [statement]})) == []


@pytest.mark.parametrize(
    ("statement", "message", "hint"),
    [
        ({"resources": ["*"]}, "actions or not_actions", 'e.g. actions: ["..."]'),
        (
            {"actions": ["s3:*"], "not_actions": ["iam:*"], "resources": ["*"]},
            "actions or not_actions",
            "remove not_actions",
        ),
        ({"actions": ["s3:*"]}, "resources or not_resources", 'e.g. resources: ["..."]'),
        (
            {"actions": ["s3:*"], "resources": ["*"], "not_resources": ["x"]},
            "resources or not_resources",
            "remove not_resources",
        ),
    ],
)
def test_a_statement_needs_exactly_one_of_each_pair(
    statement: dict[str, Any], message: str, hint: str
) -> None:
    assert errors(tiers(t={"statements": [statement]})) == [
        ("tiers.t.statements[0]", f"a statement needs exactly one of {message}", hint)
    ]


def test_sids_are_unique_within_a_tier() -> None:
    statement = {"actions": ["s3:*"], "resources": ["*"]}
    data = tiers(
        t={
            "statements": [
                {"sid": "A", **statement},
                statement,
                statement,
                {"sid": "A", **statement},
            ]
        },
        u={"statements": [{"sid": "A", **statement}]},
    )
    assert errors(data) == [
        ("tiers.t.statements[3].sid", "duplicate sid 'A'", "sids must be unique within a tier")
    ]


@pytest.mark.parametrize(
    ("operator", "valid"),
    [
        ("StringEquals", True),
        ("ForAnyValue:StringLike", True),
        ("ForAllValues:ArnEquals", True),
        ("String Equals", False),
        ("ForSome:StringLike", False),
        ("aws:SourceIp", False),
    ],
)
def test_condition_operators(operator: str, valid: bool) -> None:
    statement = {"actions": ["s3:*"], "resources": ["*"], "conditions": {operator: {"k": "v"}}}
    found = run(tiers(t={"statements": [statement]})).errors
    if valid:
        assert found == []
    else:
        [finding] = found
        assert finding.loc == ("tiers", "t", "statements", 0, "conditions", operator)
        assert finding.message == f"{operator!r} is not a condition operator"
        assert finding.of_key


# --- users -------------------------------------------------------------------------------


def test_user_tiers_are_known_tiers() -> None:
    data = minimal(
        tiers={"admin": {"preset": "admin"}, "deployer": {"preset": "poweruser"}},
        users={"alice": {"tiers": ["admin", "deployr", "zzz", "admin"]}},
    )
    assert errors(data) == [
        ("users.alice.tiers[1]", "unknown tier 'deployr'", "did you mean 'deployer'?"),
        ("users.alice.tiers[2]", "unknown tier 'zzz'", "expected one of 'admin', 'deployer'"),
        ("users.alice.tiers[3]", "tier 'admin' is listed twice", "list it once"),
    ]


@pytest.mark.parametrize(("count", "valid"), [(10, True), (11, False)])
def test_a_user_is_in_at_most_10_tiers(count: int, valid: bool) -> None:
    names = [f"t{n}" for n in range(count)]
    data = minimal(
        tiers={name: {"preset": "readonly"} for name in names}, users={"alice": {"tiers": names}}
    )
    expected = (
        []
        if valid
        else [
            (
                "users.alice.tiers",
                "11 tiers; IAM puts a user in at most 10 groups",
                "merge tiers, or split the user's duties",
            )
        ]
    )
    assert errors(data) == expected


def test_user_names_are_unique_ignoring_case() -> None:
    data = minimal(users={"alice": {"tiers": ["admin"]}, "ALICE": {}, "Alice": {}})
    assert [(field, message) for field, message, _ in errors(data)] == [
        ("users.ALICE", "user 'ALICE' differs from 'alice' only in case"),
        ("users.Alice", "user 'Alice' differs from 'alice' only in case"),
    ]
    assert all(f.of_key for f in run(data).errors)


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_names_are_not_users(name: str) -> None:
    assert errors(minimal(users={name: {}})) == [
        (
            f'users["{name}"]',
            f"{name!r} is not a usable user name",
            "it names the user's folder under profiles/: choose a real name",
        )
    ]


def test_a_one_character_user_may_not_assume_roles() -> None:
    assert errors(minimal(users={"a": {}})) == []
    assert errors(minimal(users={"a": {"tiers": ["admin"]}})) == [
        (
            "users.a",
            "a user with tiers needs a name of at least 2 characters",
            "the name is the role session name, which AWS wants 2..64 characters long",
        )
    ]


HINT_DEVICE = "device names are unique in an account: set mfa_device: to a distinct name"


@pytest.mark.parametrize(
    ("users", "field", "message"),
    [
        (
            {"alice": {"mfa_device": "phone"}, "bob": {"mfa_device": "Phone"}},
            "users.bob.mfa_device",
            (
                "MFA device name 'Phone' is already used by user 'alice' as 'phone' (IAM names "
                "ignore case)"
            ),
        ),
        (
            {"alice": {}, "bob": {"mfa_device": "alice"}},
            "users.bob.mfa_device",
            (
                "MFA device name 'alice' is already used by user 'alice' (a device is named after "
                "its user unless mfa_device: is set)"
            ),
        ),
        (
            {"alice": {"mfa_device": "bob"}, "bob": {}},
            "users.bob",
            "MFA device name 'bob' (by default, the user's name) is already used by user 'alice'",
        ),
    ],
)
def test_mfa_device_names_are_unique(users: dict[str, Any], field: str, message: str) -> None:
    assert errors(minimal(users=users)) == [(field, message, HINT_DEVICE)]


# --- names IAM derives from tiers ---------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "pattern", "message"),
    [
        (
            "role",
            "AdminRole",
            "naming pattern 'AdminRole' must use {tier} or {Tier} and nothing else",
        ),
        (
            "group",
            "{team}Group",
            "naming pattern '{team}Group' must use {tier} or {Tier} and nothing else",
        ),
        ("role", "{Tier", "naming pattern '{Tier' must use {tier} or {Tier} and nothing else"),
    ],
)
def test_naming_patterns_use_the_tier(key: str, pattern: str, message: str) -> None:
    assert errors(minimal(naming={key: pattern})) == [
        (f"naming.{key}", message, "e.g. '{Tier}MFARole' gives AdminMFARole")
    ]


@pytest.mark.parametrize(
    ("key", "limit", "what"),
    [("role", 64, "role name"), ("group", 128, "group name")],
)
def test_derived_names_stay_within_iams_length(key: str, limit: int, what: str) -> None:
    fits = "{Tier}" + "X" * (limit - len("Admin"))
    assert errors(minimal(naming={key: fits})) == []
    name = "Admin" + "X" * (limit - 4)
    assert errors(minimal(naming={key: fits + "X"})) == [
        (
            "tiers.admin",
            f"{what} {name!r} is {limit + 1} characters long; IAM allows {limit}",
            f"shorten the tier name or naming.{key}",
        )
    ]


@pytest.mark.parametrize("key", ["policy", "self_service_group"])
def test_fixed_names_stay_within_iams_length(key: str) -> None:
    assert errors(minimal(naming={key: "P" * 128})) == []
    assert errors(minimal(naming={key: "P" * 129})) == [
        (
            f"naming.{key}",
            f"name {'P' * 129!r} is 129 characters long; IAM allows 128",
            "shorten it",
        )
    ]


def test_names_use_iams_characters() -> None:
    assert errors(minimal(naming={"policy": "Manage MFA", "role": "{Tier}/Role"})) == [
        (
            "naming.policy",
            "name 'Manage MFA' is not a valid IAM name",
            "use letters, digits and +=,.@_-",
        ),
        (
            "tiers.admin",
            "role name 'Admin/Role' is not a valid IAM name",
            "use letters, digits and +=,.@_-",
        ),
    ]


def test_tiers_that_derive_the_same_names_are_refused_once() -> None:
    data = tiers(**{"data-eng": {"preset": "readonly"}, "data_eng": {"preset": "s3"}})
    assert errors(data) == [
        (
            "tiers.data_eng",
            "role name 'DataEngMFARole' is already taken by the role of tier 'data-eng'",
            "IAM names are unique ignoring case; rename a tier or set naming:",
        )
    ]


def test_a_tier_group_may_not_take_the_self_service_groups_name() -> None:
    data = tiers(**{"manage-mfa": {"preset": "readonly"}})
    data["naming"] = {"group": "{Tier}Group"}
    assert errors(data) == [
        (
            "tiers.manage-mfa",
            (
                "group name 'ManageMfaGroup' is already taken by the self-service group "
                "(naming.self_service_group)"
            ),
            "IAM names are unique ignoring case; rename a tier or set naming:",
        )
    ]


def test_profile_names_are_unique() -> None:
    data = minimal(
        identity_account="a",
        accounts={
            "a": {"id": "111111111111"},
            "a-b": {"id": "222222222222", "terraform_role": ROLE.format("222222222222")},
        },
        tiers={"c": {"preset": "admin"}, "b-c": {"preset": "readonly"}},
        users={},
    )
    assert errors(data) == [
        (
            "tiers.b-c",
            "profile name 'acme-a-b-c' is also made by account 'a-b' and tier 'c'",
            "rename the tier or the account so '<organization>-<account>-<tier>' differ",
        )
    ]


# --- the terraform_role warning ----------------------------------------------------------


def test_accounts_sharing_terraforms_credentials_are_warned_about() -> None:
    data = minimal()
    data["accounts"]["dev"] = {"id": "222222222222"}
    data["accounts"]["test"] = {"id": "444444444444"}
    findings = run(data)
    assert findings.errors == []
    assert [(dotted(f.loc), f.message, f.of_key) for f in findings.warnings] == [
        (
            "accounts.dev",
            (
                "no terraform_role: Terraform would reach this account with the same credentials "
                "as 'identity', 'test'"
            ),
            True,
        ),
        (
            "accounts.test",
            (
                "no terraform_role: Terraform would reach this account with the same credentials "
                "as 'identity', 'dev'"
            ),
            True,
        ),
    ]


def test_no_warning_for_the_identity_account_alone_or_a_single_account() -> None:
    assert run(minimal()).warnings == []
    data = minimal(accounts={"main": {"id": "111111111111"}}, identity_account="main")
    assert run(data).warnings == []


# --- did you mean ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "choices", "hint"),
    [
        ("deployr", ["admin", "deployer"], "did you mean 'deployer'?"),
        ("zzz", ["b", "a"], "expected one of 'a', 'b'"),
        (
            "zzz",
            [f"t{n:02d}" for n in range(13)],
            "expected one of " + ", ".join(f"'t{n:02d}'" for n in range(12)) + ", ...",
        ),
        ("x", [], ""),
    ],
)
def test_did_you_mean(name: str, choices: list[str], hint: str) -> None:
    assert wording.did_you_mean(name, choices) == hint


# --- what a finding is drawn from --------------------------------------------------------

_FINDING = rules.Finding(("tiers", "admin"), "m", rests_on=(("defaults", "region"),))


@pytest.mark.parametrize(
    ("place", "drawn"),
    [
        (("tiers", "admin"), True),
        (("tiers",), True),  # what holds it
        (("tiers", "admin", "preset"), True),  # a part of it
        (("tiers", "ops"), False),
        (("defaults", "region"), True),  # what it rests on
        (("defaults",), True),
        (("defaults", "path"), False),
        (("users", "admin"), False),
    ],
)
def test_a_finding_is_drawn_from_its_place_and_what_it_rests_on(
    place: tuple[str, ...], drawn: bool
) -> None:
    assert _FINDING.drawn_from([place]) is drawn
    spared = rules.Findings([_FINDING], [_FINDING]).sparing([place])
    assert (spared.errors, spared.warnings) == (([], []) if drawn else ([_FINDING], [_FINDING]))
