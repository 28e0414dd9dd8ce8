"""The strict input models: each value checked on its own (types, patterns, ranges)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from mfagen.models import Account, Config, Defaults, Naming, Statement, Tier, User
from tests.helpers import minimal


def error(model: type[BaseModel], data: dict[str, Any]) -> tuple[str, str, str]:
    """The one error validating `data` raises: (dotted location, type, message)."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    [details] = caught.value.errors()
    loc = ".".join(str(part) for part in details["loc"])
    return loc, details["type"], details["msg"]


def test_the_minimal_configuration_is_valid_and_frozen() -> None:
    config = Config.model_validate(minimal())
    assert config.defaults == Defaults(region="eu-west-1")
    assert config.naming == Naming()
    with pytest.raises(ValidationError):
        config.organization = "other"  # type: ignore[misc]


@pytest.mark.parametrize("model", [Config, Defaults, Account, Tier, Statement, User, Naming])
def test_unknown_keys_are_forbidden_everywhere(model: type[BaseModel]) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"surprise": 1})
    assert "extra_forbidden" in {details["type"] for details in caught.value.errors()}


# --- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1h", 3600),
        ("90m", 5400),
        ("1h30m", 5400),
        ("2h0m30s", 7230),
        (3600, 3600),
        ("3600", 3600),
        (" 12h ", 43200),
        ("720m", 43200),
        (43200, 43200),
    ],
)
def test_session_durations_parse_to_seconds(value: object, seconds: int) -> None:
    assert Defaults.model_validate({"session_duration": value}).session_duration == seconds


@pytest.mark.parametrize(
    "value", ["1 hour", "1h30", "h", "", "1H", "2d", "-1h", "1.5h", 1.5, True, None, [1]]
)
def test_what_is_not_a_duration_is_refused(value: object) -> None:
    loc, kind, message = error(Defaults, {"session_duration": value})
    assert (loc, kind) == ("session_duration", "mfagen")
    assert message.endswith(("is not a duration", "got a boolean"))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("59m", "59m"),
        (3599, "59m59s"),
        ("12h1s", "12h1s"),
        (43201, "12h1s"),
        (0, "0s"),
        (-3600, "-3600s"),
    ],
)
def test_session_duration_stays_within_1h_and_12h(value: object, shown: str) -> None:
    assert error(Defaults, {"session_duration": value}) == (
        "session_duration",
        "mfagen",
        f"session_duration must be between 1h and 12h, got {shown}",
    )


@pytest.mark.parametrize(
    ("value", "valid"), [("1m", True), ("36h", True), ("59s", False), ("37h", False)]
)
def test_mfa_max_age_stays_within_1m_and_36h(value: str, valid: bool) -> None:
    if valid:
        assert Tier.model_validate({"mfa_max_age": value}).mfa_max_age is not None
    else:
        assert error(Tier, {"mfa_max_age": value})[2].startswith("mfa_max_age must be between 1m")


# --- accounts ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["111111111111", "011111111111", "000000000000"])
def test_a_quoted_12_digit_id_is_an_account_id(value: str) -> None:
    assert Account.model_validate({"id": value}).id == value


@pytest.mark.parametrize("value", [111111111111, 0o11111111111, 11111111111])
def test_a_number_is_never_an_account_id(value: int) -> None:
    loc, kind, message = error(Account, {"id": value})
    assert (loc, kind) == ("id", "unquoted_number")
    assert message == (
        f"account id must be a quoted 12-digit string; YAML read it as the number {value}"
    )


@pytest.mark.parametrize(
    "value",
    [
        "11111111111",
        "1111111111111",
        "1111-1111-1111",
        "",
        "abc",
        "\u0661" * 12,  # ARABIC-INDIC DIGIT ONE
        "\U0001d7ec\u1040\U0001d7ee\ua900\u0cec\u0bef\u1814\u0aee\u0e503\U0001e955\u1a88",
    ],
    ids=["11 digits", "13 digits", "dashes", "empty", "letters", "arabic-indic", "mixed scripts"],
)
def test_an_account_id_is_exactly_12_digits(value: str) -> None:
    """ASCII digits only: Python's and pydantic's \\d match any script's digits."""
    assert error(Account, {"id": value})[2] == f"account id {value!r} is not valid"


def test_an_account_id_is_not_a_boolean() -> None:
    assert error(Account, {"id": True})[1] == "string_type"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("eu-west-1", True),
        ("us-east-1", True),
        ("ap-southeast-5", True),
        ("us-gov-west-1", True),
        ("cn-north-1", True),
        ("il-central-1", True),
        ("EU-WEST-1", False),
        ("eu-west", False),
        ("Ireland", False),
        ("eu_west_1", False),
        ("eu-west-123", False),
    ],
)
def test_regions_are_region_codes(value: str, valid: bool) -> None:
    if valid:
        assert Account.model_validate({"id": "111111111111", "region": value}).region == value
    else:
        assert error(Account, {"id": "111111111111", "region": value})[2] == (
            f"region {value!r} is not valid"
        )


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("arn:aws:iam::222222222222:role/OrganizationAccountAccessRole", True),
        ("arn:aws:iam::222222222222:role/ops/terraform/Deployer", True),
        ("arn:aws-us-gov:iam::222222222222:role/Deployer", True),
        ("OrganizationAccountAccessRole", False),
        ("arn:aws:iam::222222222222:user/alice", False),
        ("arn:aws:iam::2222:role/Deployer", False),
        ("arn:aws:iam::222222222222:role/" + "R" * 65, False),
    ],
)
def test_terraform_role_is_a_role_arn(value: str, valid: bool) -> None:
    data = {"id": "222222222222", "terraform_role": value}
    if valid:
        assert Account.model_validate(data).terraform_role == value
    else:
        assert error(Account, data)[2] == f"role ARN {value!r} is not valid"


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dev", "data-eng", "data_eng", "s3", "a1-b2_c3", "x" * 40])
def test_account_and_tier_names(name: str) -> None:
    config = Config.model_validate(
        minimal(
            identity_account=name,
            accounts={name: {"id": "111111111111"}},
            tiers={name: {"preset": "admin"}},
            users={},
        )
    )
    assert list(config.accounts) == list(config.tiers) == [name]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Dev", "name 'Dev' is not valid"),
        ("data eng", "name 'data eng' is not valid"),
        ("data--eng", "name 'data--eng' is not valid"),
        ("-dev", "name '-dev' is not valid"),
        ("1dev", "name '1dev' is not valid"),
        ("x" * 41, "name is 41 characters long, the limit is 40"),
    ],
)
def test_bad_tier_names_are_refused_as_keys(name: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Config.model_validate(minimal(tiers={name: {"preset": "admin"}}, users={}))
    [details] = caught.value.errors()
    assert details["loc"] == ("tiers", name, "[key]")
    assert details["msg"] == message


@pytest.mark.parametrize("organization", ["acme", "acme-corp", "4acme", "a" * 32])
def test_organization_names(organization: str) -> None:
    assert Config.model_validate(minimal(organization=organization)).organization == organization


@pytest.mark.parametrize("organization", ["Acme", "-acme", "acme_corp", "a" * 33, ""])
def test_bad_organization_names(organization: str) -> None:
    with pytest.raises(ValidationError):
        Config.model_validate(minimal(organization=organization))


@pytest.mark.parametrize(
    "name", ["alice", "carol.smith@acme", "Bob+ops", "a=b,c", "x" * 64, "..", "."]
)
def test_user_names_follow_iam(name: str) -> None:
    """'.' and '..' are IAM names too; rules.py refuses them as folder names."""
    assert list(Config.model_validate(minimal(users={name: {}})).users) == [name]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("alice smith", "user name 'alice smith' is not valid"),
        ("alice/bob", "user name 'alice/bob' is not valid"),
        ("x" * 65, "user name is 65 characters long, the limit is 64"),
    ],
)
def test_bad_user_names(name: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Config.model_validate(minimal(users={name: {}}))
    assert [details["msg"] for details in caught.value.errors()] == [message]


@pytest.mark.parametrize(
    ("device", "valid"),
    [("alice-phone", True), ("x" * 226, True), ("x" * 227, False), ("alice's phone", False)],
)
def test_mfa_device_names(device: str, valid: bool) -> None:
    if valid:
        assert User.model_validate({"mfa_device": device}).mfa_device == device
    else:
        assert error(User, {"mfa_device": device})[1] == "mfagen"


@pytest.mark.parametrize("value", [True, False, 1])
def test_a_boolean_or_number_is_not_a_name(value: object) -> None:
    """What YAML read from yes/no/on/off or digits is refused, never turned into 'True'."""
    assert error(User, {"mfa_device": value})[1] == "string_type"
    with pytest.raises(ValidationError):
        Config.model_validate(minimal(organization=value))


@pytest.mark.parametrize(
    ("path", "valid"),
    [("/", True), ("/mfa/", True), ("/a/b/", True), ("mfa", False), ("/mfa", False), ("//", False)],
)
def test_iam_paths(path: str, valid: bool) -> None:
    if valid:
        assert Defaults.model_validate({"path": path}).path == path
    else:
        assert error(Defaults, {"path": path})[2] == f"IAM path {path!r} is not valid"


# --- tiers and statements ----------------------------------------------------------------


def test_presets_are_a_closed_list() -> None:
    assert error(Tier, {"preset": "Admin"})[1] == "literal_error"


@pytest.mark.parametrize(
    ("arn", "valid"),
    [
        ("arn:aws:iam::aws:policy/ReadOnlyAccess", True),
        ("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", True),
        ("arn:aws:iam::111111111111:policy/Custom", True),
        ("ReadOnlyAccess", False),
        ("arn:aws:iam::aws:role/ReadOnlyAccess", False),
    ],
)
def test_managed_policies_are_policy_arns(arn: str, valid: bool) -> None:
    if valid:
        assert Tier.model_validate({"managed_policies": [arn]}).managed_policies == [arn]
    else:
        assert error(Tier, {"managed_policies": [arn]})[0] == "managed_policies.0"


@pytest.mark.parametrize(
    ("action", "valid"),
    [
        ("*", True),
        ("s3:GetObject", True),
        ("s3:Get*", True),
        ("ec2:Describe?nstances", True),
        ("GetObject", False),
        ("s3:", False),
        ("s3 GetObject", False),
        ("S3:GetObject", False),
    ],
)
def test_actions(action: str, valid: bool) -> None:
    data = {"actions": [action], "resources": ["*"]}
    if valid:
        assert Statement.model_validate(data).actions == [action]
    else:
        assert error(Statement, data)[2] == f"action {action!r} is not valid"


def test_effect_is_allow_or_deny() -> None:
    assert Statement.model_validate({"effect": "Deny"}).effect == "Deny"
    assert error(Statement, {"effect": "deny"})[1] == "literal_error"


@pytest.mark.parametrize("key", ["actions", "not_actions", "resources", "not_resources"])
def test_statement_lists_are_not_empty(key: str) -> None:
    assert error(Statement, {key: []})[1] == "too_short"


def test_sids_are_letters_and_digits() -> None:
    assert Statement.model_validate({"sid": "ReadData2"}).sid == "ReadData2"
    assert error(Statement, {"sid": "read-data"})[2] == "sid 'read-data' is not valid"


@pytest.mark.parametrize("values", ["eu-west-1", ["eu-west-1", "eu-north-1"], "true", "3600"])
def test_condition_values_are_strings_or_lists_of_strings(values: object) -> None:
    statement = Statement.model_validate({"conditions": {"StringEquals": {"aws:k": values}}})
    assert statement.conditions == {"StringEquals": {"aws:k": values}}


@pytest.mark.parametrize(
    ("values", "got"),
    [
        (True, "a boolean"),
        (3600, "an integer"),
        (None, "nothing (null)"),
        ([], "an empty list"),
        (["a", False], "a boolean in the list"),
    ],
)
def test_other_condition_values_are_refused_once(values: object, got: str) -> None:
    assert error(Statement, {"conditions": {"Bool": {"aws:SecureTransport": values}}}) == (
        "conditions.Bool.aws:SecureTransport",
        "mfagen",
        f"a condition value is a string or a list of strings, got {got}",
    )


@pytest.mark.parametrize("text", ["Admins, break-glass", "Zürich & Genève", "tab\tand\nlines"])
def test_descriptions_in_printable_latin1(text: str) -> None:
    assert Tier.model_validate({"description": text}).description == text


@pytest.mark.parametrize(
    ("text", "char"), [("Admins — break glass", "—"), ("Ops 🚀", "🚀"), ("bell\x07", "\x07")]
)
def test_descriptions_iam_refuses(text: str, char: str) -> None:
    assert error(Tier, {"description": text})[2] == (
        f"description contains {char!r} (U+{ord(char):04X}), which IAM does not accept"
    )


def test_descriptions_are_at_most_1000_characters() -> None:
    assert Tier.model_validate({"description": "x" * 1000}).description == "x" * 1000
    assert error(Tier, {"description": "x" * 1001})[1] == "string_too_long"


def test_booleans_are_not_strings() -> None:
    assert error(Defaults, {"create_users": "false"})[1] == "bool_type"
    assert error(Tier, {"console": "yes"})[1] == "bool_type"


def test_version_is_the_number_1() -> None:
    assert error(Config, minimal(version="1"))[1] == "literal_error"
    assert error(Config, minimal(version=2))[1] == "literal_error"


def test_at_least_one_account() -> None:
    assert error(Config, minimal(accounts={}))[:2] == ("accounts", "too_short")
