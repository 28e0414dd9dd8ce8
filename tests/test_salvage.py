"""`validate` reports type errors and the cross-value checks in one run (salvage.py)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from mfagen import config
from mfagen.cli import app
from mfagen.errors import ConfigError
from mfagen.loader import Loc, dotted

runner = CliRunner()

HEAD = "version: 1\norganization: acme\nidentity_account: identity\ndefaults: {region: eu-west-1}\n"


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def errors(text: str) -> list[str]:
    Path("accounts.yaml").write_text(HEAD + text)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    return [line for line in result.stderr.splitlines() if ": error: " in line]


def test_a_bad_id_a_bad_preset_and_an_unknown_tier_in_one_run() -> None:
    found = errors(
        "accounts:\n"
        '  identity: {id: "111111111111"}\n'
        '  dev: {id: "12345"}\n'
        "tiers:\n"
        "  admin: {preset: admn, accounts: [dev, prodd]}\n"
        "users:\n"
        "  alice: {tiers: [admin, deployr]}\n"
    )
    assert found == [
        "accounts.yaml:7:13: error: accounts.dev.id: account id '12345' is not valid",
        "accounts.yaml:9:19: error: tiers.admin.preset: 'admn' is not allowed here",
        "accounts.yaml:9:41: error: tiers.admin.accounts[1]: unknown account 'prodd'",
        "accounts.yaml:11:26: error: users.alice.tiers[1]: unknown tier 'deployr'",
    ]


def test_what_a_repair_causes_is_not_reported() -> None:
    # the tier without its preset "grants nothing", the account without its region has
    # "no region", the removed account is "unknown": the type errors already say why
    found = errors(
        "accounts:\n"
        '  identity: {id: "111111111111", region: eu-west-99x}\n'
        '  Dev: {id: "222222222222"}\n'
        "tiers:\n"
        "  admin: {preset: 7, accounts: [Dev]}\n"
        "users:\n"
        "  alice: {tiers: [admin]}\n"
    )
    assert [line.split(": error: ")[1].split(":")[0] for line in found] == [
        "accounts.identity.region",
        "accounts.Dev",
        "tiers.admin.preset",
    ]


def test_nothing_is_invented_when_the_accounts_cannot_be_read() -> None:
    found = errors("accounts: [identity]\nusers:\n  alice: {tiers: [nothing]}\n")
    assert found == ["accounts.yaml:5:11: error: accounts: expected a mapping, got a list"]


# --- a value refused by its own check feeds no other check -------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "accounts:\n"
            '  identity: {id: "111111111111"}\n'
            "  prod:\n"
            "    id: 444444444444\n"
            "    terraform_role: arn:aws:iam::444444444444:role/OrganizationAccountAccessRole\n",
            ["accounts.prod.id"],
            id="account-id-and-terraform-role",
        ),
        pytest.param(
            'accounts:\n  identity: {id: "111111111111"}\n'
            "users:\n  bob: {mfa_device: 7}\n  alice: {mfa_device: bob}\n",
            ["users.bob.mfa_device"],
            id="device-name-and-the-default-of-another",
        ),
        pytest.param(
            'naming: {self_service_group: [x]}\naccounts:\n  identity: {id: "111111111111"}\n'
            "tiers:\n  manage: {preset: readonly}\n",
            ["naming.self_service_group"],
            id="self-service-group-and-a-tier-group",
        ),
        pytest.param(
            "terraform:\n  layout: per-acount\n"
            "  backend: {type: s3, config: {key: 'mfagen/{account}.tfstate'}}\n"
            'accounts:\n  identity: {id: "111111111111"}\n',
            ["terraform.layout"],
            id="layout-and-the-backend",
        ),
        pytest.param(
            'accounts:\n  identity: {id: "111111111111"}\n  dev-ops: {id: "222222222222"}\n'
            '  prod: {id: "333333333333"}\n'
            "tiers:\n  ops-ro: {preset: readonly, accounts: prod}\n"
            "  ro: {preset: readonly, accounts: [dev-ops]}\n",
            ["tiers.ops-ro.accounts"],
            id="tier-accounts-and-profile-names",
        ),
        pytest.param(
            'accounts:\n  identity: {id: "111111111111"}\n'
            "tiers:\n  admin: {preset: admin}\n  Ops: {preset: readonly}\n"
            "users:\n  alice: {tiers: [admin, Ops]}\n",
            ["tiers.Ops"],
            id="tier-name-and-a-reference-to-it",
        ),
    ],
)
def test_a_refused_value_is_not_the_start_of_another_error(text: str, expected: list[str]) -> None:
    found = errors(text)
    assert [line.split(": error: ")[1].split(": ")[0] for line in found] == expected, found


def test_findings_after_a_removed_list_item_are_where_the_file_has_them() -> None:
    found = errors(
        'accounts:\n  identity: {id: "111111111111"}\n'
        "tiers:\n  admin: {preset: admin}\n"
        "users:\n  alice: {tiers: [7, admin, {x: 1}, admin]}\n"
    )
    assert found == [
        "accounts.yaml:10:19: error: users.alice.tiers[0]: expected a string, got an integer",
        "accounts.yaml:10:29: error: users.alice.tiers[2]: expected a string, got a mapping",
        "accounts.yaml:10:37: error: users.alice.tiers[3]: tier 'admin' is listed twice",
    ]


TENSE = """\
version: 1
organization: acme
identity_account: identity
new_regions: [xx-nowhere-1]
defaults: {region: eu-west-1, session_duration: 1h, mfa_max_age: 30m, path: /mfa/,
           create_users: true, enforce_mfa: true, moved_blocks: false}
naming: {role: "{Tier}Role", group: "{Tier}MFAGroup", policy: SelfServicePolicy,
         self_service_group: SelfServiceGroup}
terraform:
  layout: per-account
  backend: {type: s3, config: {bucket: acme-state, key: "mfagen/{account}.tfstate",
            region: eu-west-1, encrypt: true}}
profiles: {credential_process: true}
accounts:
  dev: {id: "222222222222"}
  identity: {id: "111111111111", region: eu-central-1}
  prod: {id: "333333333333", region: eu-north-1,
         terraform_role: "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"}
  dev-ops: {id: "444444444444",
            terraform_role: "arn:aws:iam::444444444444:role/OrganizationAccountAccessRole"}
tiers:
  ops-ro: {preset: readonly, accounts: [prod]}
  ro: {preset: readonly, accounts: [dev-ops]}
  admin: {preset: admin, console: true, accounts: [identity, prod], description: Admins}
  manage:
    managed_policies: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    statements:
      - {sid: Get, effect: Allow, actions: ["s3:GetObject"], resources: ["*"],
         conditions: {Bool: {"aws:SecureTransport": "true"}}}
      - {effect: Deny, not_actions: ["s3:*"], not_resources: ["arn:aws:s3:::x"]}
    session_duration: 2h
    mfa_max_age: 1h
users:
  bob: {tiers: [admin], mfa_device: bob-phone}
  alice: {tiers: [admin, ops-ro], mfa_device: bob, region: us-east-1, enrolment: open}
  carol: {tiers: [ro, manage]}
  dave: {region: xx-nowhere-1}
"""
"""Valid, but next to many a cross-value rule: a default or a stand-in in place of any one
value would break one (bob's device named by default, the self-service group's default
name, layout single, a tier in every account, another identity account, no new region)."""


def _leaves(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, Any]]:
    yield loc, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*loc, index))


def _broken(loc: Loc, value: Any) -> Any:
    """Something of another type than `value` at `loc`, as a careless edit writes it."""
    if loc[:3] == ("terraform", "backend", "config"):
        return {"nested": "mapping"}  # a backend setting may be a string, number or boolean
    if isinstance(value, bool):
        return "maybe"
    if isinstance(value, str):
        return 444444444444  # an id or a name left unquoted
    return "seven" if isinstance(value, int) else 7


def _set(data: Any, loc: Loc, value: Any) -> Any:
    data = copy.deepcopy(data)
    holder = data
    for part in loc[:-1]:
        holder = holder[part]
    holder[loc[-1]] = value
    return data


def _outcome(data: dict[str, Any]) -> tuple[set[str], set[tuple[str, str]]]:
    """The fields with an error, and the (field, message) of every warning."""
    path = Path("accounts.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    try:
        loaded = config.load(path)
    except ConfigError as error:
        return {p.field for p in error.problems}, {(p.field, p.message) for p in error.warnings}
    return set(), {(p.field, p.message) for p in loaded.warnings}


TENSE_WARNINGS = {
    (
        "accounts.dev",
        (
            "no terraform_role: Terraform would reach this account with the same credentials as "
            "'identity'"
        ),
    )
}


def test_the_tense_example_is_valid_and_warns_once() -> None:
    assert _outcome(yaml.safe_load(TENSE)) == (set(), TENSE_WARNINGS)


@pytest.mark.parametrize(
    ("loc", "value"),
    [pytest.param(loc, value, id=dotted(loc)) for loc, value in _leaves(yaml.safe_load(TENSE))][1:],
)
def test_a_value_of_the_wrong_type_is_the_only_error(loc: Loc, value: Any) -> None:
    fields, warnings = _outcome(_set(yaml.safe_load(TENSE), loc, _broken(loc, value)))
    assert fields == {dotted(loc)}
    assert warnings <= TENSE_WARNINGS, "a warning made from a stand-in or a default"
