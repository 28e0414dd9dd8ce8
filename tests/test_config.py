"""Loading a file end to end: pydantic's errors become positioned problems with hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfagen import config
from mfagen.errors import ConfigError
from mfagen.reporter import format_problem

HEAD = """\
version: 1
organization: acme
defaults:
  region: eu-west-1
"""
ONE_ACCOUNT = HEAD + 'accounts:\n  main: {id: "111111111111"}\n'


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work in tmp_path, so messages name `accounts.yaml` as a user would see it."""
    monkeypatch.chdir(tmp_path)


def problems(text: str) -> list[str]:
    path = Path("accounts.yaml")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    return [format_problem(problem, "error") for problem in caught.value.problems]


def test_a_valid_file_loads_with_its_document_and_no_warnings() -> None:
    Path("accounts.yaml").write_text(ONE_ACCOUNT + "tiers:\n  admin: {preset: admin}\n")
    loaded = config.load(Path("accounts.yaml"))
    assert list(loaded.config.tiers) == ["admin"]
    assert loaded.document.file == "accounts.yaml"
    assert loaded.warnings == ()


def test_every_problem_is_reported_at_once_in_file_order() -> None:
    assert problems(
        "version: 1\n"
        "organization: Acme\n"
        "accounts:\n"
        "  main: {id: 111111111111, regoin: eu-west-1}\n"
        "tiers:\n"
        "  admin: {preset: admn}\n"
    ) == [
        (
            "accounts.yaml:2:15: error: organization: organization 'Acme' is not valid\n"
            "  hint: use lowercase letters, digits and '-'"
        ),
        (
            "accounts.yaml:4:14: error: accounts.main.id: account id must be a quoted 12-digit "
            "string; YAML read it as the number 111111111111\n"
            '  hint: quote it as AWS shows it: id: "111111111111"'
        ),
        (
            "accounts.yaml:4:28: error: accounts.main.regoin: unknown key 'regoin'\n"
            "  hint: did you mean 'region'?"
        ),
        (
            "accounts.yaml:6:19: error: tiers.admin.preset: 'admn' is not allowed here\n"
            "  hint: did you mean 'admin'?"
        ),
    ]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("tier: {}\n", "7:1: error: tier: unknown key 'tier'\n  hint: did you mean 'tiers'?"),
        (
            "colour: blue\n",
            (
                "7:1: error: colour: unknown key 'colour'\n  hint: expected one of 'accounts', "
                "'defaults', 'identity_account', 'naming', 'new_regions', 'organization', "
                "'profiles', 'terraform', 'tiers', 'users', 'version'"
            ),
        ),
        (
            "users:\n  alice: {tier: [admin]}\n",
            "8:11: error: users.alice.tier: unknown key 'tier'\n  hint: did you mean 'tiers'?",
        ),
        (
            "tiers:\n  t:\n    statements:\n      - {action: ['s3:*'], resources: ['*']}\n",
            (
                "10:10: error: tiers.t.statements[0].action: unknown key 'action'\n"
                "  hint: did you mean 'actions'?"
            ),
        ),
        (
            "naming: {groups: x}\n",
            "7:10: error: naming.groups: unknown key 'groups'\n  hint: did you mean 'group'?",
        ),
    ],
)
def test_unknown_keys_suggest_the_field_meant(extra: str, expected: str) -> None:
    assert problems(ONE_ACCOUNT + extra) == [f"accounts.yaml:{expected}"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            ONE_ACCOUNT.replace("version: 1\n", ""),
            (
                "1:1: error: version: missing required key 'version'\n"
                "  hint: add 'version: 1' at the top"
            ),
        ),
        (
            ONE_ACCOUNT.replace("organization: acme\n", ""),
            (
                "1:1: error: organization: missing required key 'organization'\n"
                "  hint: add 'organization: <name>'; it prefixes every profile name"
            ),
        ),
        (
            HEAD,
            (
                "1:1: error: accounts: missing required key 'accounts'\n"
                '  hint: list at least one account: accounts: {main: {id: "123456789012"}}'
            ),
        ),
        (
            HEAD + "accounts:\n  main: {region: eu-west-1}\n",
            (
                "6:9: error: accounts.main.id: missing required key 'id'\n"
                '  hint: give the 12-digit account id as a quoted string: id: "123456789012"'
            ),
        ),
        (
            HEAD + "accounts: {}\n",
            (
                "5:11: error: accounts: must not be empty\n"
                '  hint: list at least one account: accounts: {main: {id: "123456789012"}}'
            ),
        ),
    ],
)
def test_missing_keys_say_what_to_add(text: str, expected: str) -> None:
    assert problems(text) == [f"accounts.yaml:{expected}"]


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        (
            "011111111111",
            "YAML read it as the number 1227133513 (leading 0: YAML 1.1 reads it as octal)",
            '"011111111111"',
        ),
        (
            "11111111111",
            "YAML read it as the number 11111111111 (1 digit short of 12: leading zero lost?)",
            '"011111111111"',
        ),
        (
            "1111111111",
            "YAML read it as the number 1111111111 (2 digits short of 12: leading zeros lost?)",
            '"001111111111"',
        ),
        ("111_111_111_111", "YAML read it as the number 111111111111", '"111111111111"'),
    ],
)
def test_unquoted_account_ids_explain_what_yaml_did(value: str, message: str, hint: str) -> None:
    assert problems(HEAD + f"accounts:\n  main:\n    id: {value}\n") == [
        (
            "accounts.yaml:7:9: error: accounts.main.id: account id must be a quoted 12-digit "
            f"string; {message}\n  hint: quote it as AWS shows it: id: {hint}"
        )
    ]


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (
            "{mfa_device: no}",
            (
                "expected a string, got a boolean\n"
                "  hint: YAML reads yes/no/on/off/true/false as booleans: quote the value"
            ),
        ),
        (
            "{mfa_device: 1234}",
            "expected a string, got an integer\n  hint: YAML read a number: quote the value",
        ),
        (
            "{mfa_device: [a]}",
            "expected a string, got a list\n  hint: quote the value",
        ),
    ],
)
def test_type_errors_explain_what_yaml_read(user: str, expected: str) -> None:
    assert problems(ONE_ACCOUNT + f"users:\n  alice: {user}\n") == [
        f"accounts.yaml:8:23: error: users.alice.mfa_device: {expected}"
    ]


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            "tiers: [admin]\n",
            (
                "7:8: error: tiers: expected a mapping, got a list\n"
                "  hint: write 'key: value' pairs, indented below this key"
            ),
        ),
        (
            "tiers:\n  admin:\n",
            (
                "8:9: error: tiers.admin: expected a mapping, got nothing (null)\n"
                "  hint: write 'key: value' pairs, indented below this key"
            ),
        ),
        (
            "users:\n  alice: {tiers: admin}\n",
            (
                "8:18: error: users.alice.tiers: expected a list, got a string\n"
                "  hint: write a YAML list: [a, b] or one '- item' per line"
            ),
        ),
        (
            "tiers:\n  admin: {preset: admin, console: 'yes'}\n",
            (
                "8:35: error: tiers.admin.console: expected true or false, got a string\n"
                "  hint: write true or false without quotes"
            ),
        ),
    ],
)
def test_shape_errors(section: str, expected: str) -> None:
    assert problems(ONE_ACCOUNT + section) == [f"accounts.yaml:{expected}"]


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ('"1"', "write it without quotes: version: 1"),
        ("2", "this mfagen reads version 1 files: version: 1"),
    ],
)
def test_version_problems(value: str, hint: str) -> None:
    shown = "'1'" if value == '"1"' else value
    assert problems(ONE_ACCOUNT.replace("version: 1", f"version: {value}")) == [
        f"accounts.yaml:1:10: error: version: unsupported version {shown}\n  hint: {hint}"
    ]


def test_a_misspelt_effect_suggests_the_right_case() -> None:
    text = ONE_ACCOUNT + (
        "tiers:\n  t:\n    statements:\n"
        "      - {effect: deny, actions: ['s3:*'], resources: ['*']}\n"
    )
    assert problems(text) == [
        (
            "accounts.yaml:10:18: error: tiers.t.statements[0].effect: 'deny' is not allowed here\n"
            "  hint: did you mean 'Deny'?"
        )
    ]


def test_an_empty_list_says_so() -> None:
    text = ONE_ACCOUNT + "tiers:\n  t:\n    statements:\n      - {actions: [], resources: ['*']}\n"
    assert problems(text) == [
        (
            "accounts.yaml:10:19: error: tiers.t.statements[0].actions: must not be empty\n"
            "  hint: give at least one value or remove the key"
        )
    ]


def test_a_long_description_is_refused() -> None:
    text = ONE_ACCOUNT + f"tiers:\n  t: {{preset: admin, description: {'x' * 1001}}}\n"
    assert problems(text) == [
        (
            "accounts.yaml:8:35: error: tiers.t.description: string should have at most 1000 "
            "characters\n  hint: shorten it"
        )
    ]


def test_cross_field_findings_are_positioned_on_the_key_or_the_value() -> None:
    text = ONE_ACCOUNT + (
        "tiers:\n"
        "  admin: {preset: admin}\n"
        "users:\n"
        "  alice: {tiers: [admin]}\n"
        "  Alice: {tiers: [admn]}\n"
    )
    assert problems(text) == [
        (
            "accounts.yaml:11:3: error: users.Alice: user 'Alice' differs from 'alice' only in "
            "case\n  hint: IAM user names are unique ignoring case"
        ),
    ]
    text = text.replace("  Alice", "  bob")
    assert problems(text) == [
        (
            "accounts.yaml:11:17: error: users.bob.tiers[0]: unknown tier 'admn'\n"
            "  hint: did you mean 'admin'?"
        ),
    ]


def test_warnings_come_back_positioned_with_a_valid_config() -> None:
    Path("accounts.yaml").write_text(
        "version: 1\norganization: acme\nidentity_account: identity\n"
        "defaults: {region: eu-west-1}\n"
        "accounts:\n"
        '  identity: {id: "111111111111"}\n'
        '  dev: {id: "222222222222"}\n'
    )
    loaded = config.load(Path("accounts.yaml"))
    assert [format_problem(problem, "warning") for problem in loaded.warnings] == [
        (
            "accounts.yaml:7:3: warning: accounts.dev: no terraform_role: Terraform would reach "
            "this account with the same credentials as 'identity'\n"
            "  hint: one apply cannot act in two accounts with one set of credentials; set "
            "terraform_role (e.g. OrganizationAccountAccessRole)"
        )
    ]


def test_a_secret_in_the_later_value_of_a_key_written_twice_is_refused() -> None:
    found = problems(
        ONE_ACCOUNT + "tiers:\n  admin: {preset: admin}\n"
        "  admin:\n    description: AKIAIOSFODNN7EXAMPLE\n"
    )
    assert found == [
        (
            "accounts.yaml:10:18: error: tiers.admin.description: this value holds an AWS access "
            "key id (AKIA…MPLE)\n"
            "  hint: secrets never belong in accounts.yaml: remove it, and if it was ever "
            "committed, deactivate and rotate the key in IAM"
        )
    ]


def test_the_value_of_a_key_written_twice_feeds_no_other_rule() -> None:
    # the first id is kept for the models, but which id was meant is not known: it is not
    # the id of two accounts, nor what prod's terraform_role must name
    assert problems(
        HEAD + "identity_account: main\n"
        "accounts:\n"
        '  main: {id: "111111111111"}\n'
        "  prod:\n"
        '    id: "111111111111"\n'
        '    id: "333333333333"\n'
        "    terraform_role: arn:aws:iam::333333333333:role/OrganizationAccountAccessRole\n"
    ) == [
        (
            "accounts.yaml:10:5: error: accounts.prod.id: duplicate key 'id' (first defined on "
            "line 9)\n"
            "  hint: YAML would silently keep only the last one: remove one of them"
        )
    ]
