"""`validate` reports type errors and the cross-value checks in one run (salvage.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfagen.cli import app

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
