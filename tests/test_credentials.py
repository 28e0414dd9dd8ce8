"""Secrets pasted into accounts.yaml are refused anywhere, and never echoed back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfagen import config, credentials
from mfagen.cli import app
from mfagen.errors import ConfigError
from tests.helpers import minimal, write_config

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
TEMPORARY_KEY_ID = "ASIAY34FZKBOKMUTVV7A"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDn7l6x8Hk3v4Qp0y2mQ9zWcU1X5s" * 2
runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (KEY_ID, "an AWS access key id (AKIA…MPLE)"),
        (TEMPORARY_KEY_ID, "an AWS temporary access key id (ASIA…VV7A)"),
        (f"ci uses {KEY_ID} today", "an AWS access key id (AKIA…MPLE)"),
        (SECRET_KEY, "what looks like an AWS secret access key (wJal…EKEY)"),
        (f"aws_secret_access_key={SECRET_KEY}", "what looks like an AWS secret access key"),
        (f"key: {SECRET_KEY}", "what looks like an AWS secret access key"),
        (TOKEN, "what looks like an AWS session token (IQoJ…1X5s, 164 chars)"),
        ("FwoGZXIvYXdzEBYaDHz" + "a" * 100, "what looks like an AWS session token"),
    ],
)
def test_secrets_are_recognised_and_masked(text: str, kind: str) -> None:
    found = credentials.describe(text)
    assert found.startswith(kind)
    for secret in (KEY_ID, TEMPORARY_KEY_ID, SECRET_KEY, TOKEN):
        assert secret not in found


@pytest.mark.parametrize(
    "text",
    [
        "AIDAJQABLZS4A3QDU576Q",  # a user id: not a secret
        "AROADBQP57FF2AEXAMPLE",  # a role id
        "AGPAIOSFODNN7EXAMPLE",  # a group id
        "ANPAJ2UCCR6DPCEXAMPLE",  # a managed policy id
        "AKIA1234",  # too short for a key id
        "XAKIAIOSFODNN7EXAMPLEX",  # part of a longer word
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole",
        "arn:aws:s3:::acme-artifacts/Some/Deep/Prefix2024/With/MixedCase9/Objects/*",
        "arn:aws:iam::123456789012:policy/Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0UvWxYzAbCd",
        "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0UvWxYzAbC",  # 39 characters
        "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0UvWxYzAbCdE",  # 41 characters
        "abcdefghijklmnopqrstuvwxyz0123456789abcd",  # 40, but one case only
        "AbcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",  # 40, but no digit
        "{Tier}MFARoleForTheVeryLongOrganization1",
        "111111111111",
        "A very long description " * 20,
        "s3:GetObject",
    ],
)
def test_ids_arns_and_names_are_not_secrets(text: str) -> None:
    assert credentials.describe(text) == ""


def _refusal(tmp_path: Path, data: dict[str, object]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        config.load(write_config(tmp_path, data))
    return caught.value


def test_every_secret_in_the_file_is_reported_at_once(tmp_path: Path) -> None:
    data = minimal(
        users={KEY_ID: {"tiers": ["admin"]}, "bob": {"mfa_device": TEMPORARY_KEY_ID}},
        terraform={"backend": {"type": "s3", "config": {"bucket": "b", "secret_key": SECRET_KEY}}},
    )
    data["tiers"]["deployer"] = {
        "statements": [
            {
                "actions": ["s3:GetObject"],
                "resources": ["*"],
                "conditions": {"StringEquals": {"aws:PrincipalTag/t": [TOKEN]}},
            }
        ]
    }
    problems = _refusal(tmp_path, data).problems
    assert {p.field for p in problems} == {
        "terraform.backend.config.secret_key",
        'tiers.deployer.statements[0].conditions.StringEquals["aws:PrincipalTag/t"][0]',
        'users["AKIA…MPLE"]',
        "users.bob.mfa_device",
    }
    assert all(p.hint.startswith("secrets never belong in accounts.yaml") for p in problems)
    shown = repr(problems)
    for secret in (KEY_ID, TEMPORARY_KEY_ID, SECRET_KEY, TOKEN):
        assert secret not in shown


def test_secrets_are_refused_before_the_models_could_echo_them(tmp_path: Path) -> None:
    """An invalid value that is also a secret gets the secret message, not the model's."""
    problems = _refusal(tmp_path, minimal(organization=SECRET_KEY)).problems
    assert [p.field for p in problems] == ["organization"]
    assert SECRET_KEY not in repr(problems)


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_the_cli_never_prints_the_secret(tmp_path: Path, output_format: str) -> None:
    path = write_config(tmp_path, minimal(users={"alice": {"mfa_device": KEY_ID}}))
    result = runner.invoke(app, ["validate", str(path), "--format", output_format])
    assert result.exit_code == 2, result.output
    shown = result.stderr + result.stdout
    if output_format == "json":
        shown = json.dumps(json.loads(result.stdout), ensure_ascii=False)
    assert "this value holds an AWS access key id (AKIA…MPLE)" in shown
    assert KEY_ID not in shown


def test_user_and_role_ids_pass(tmp_path: Path) -> None:
    data = minimal()
    data["tiers"]["admin"]["description"] = "owner AIDAJQABLZS4A3QDU576Q via AROADBQP57FF2AEXAMPLE"
    assert config.load(write_config(tmp_path, data)).config.tiers["admin"].description


SECRET_KIND = "what looks like an AWS secret access key (wJal…EKEY)"


def test_a_secret_in_a_comment_is_refused_masked(tmp_path: Path) -> None:
    path = write_config(tmp_path, minimal())
    text = path.read_text()
    path.write_text(f"# ci key: {KEY_ID}\n{text}organization2: x  # {SECRET_KEY}\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    found = [(p.line, p.column, p.field, p.message) for p in caught.value.problems]
    last = len(text.splitlines()) + 2
    assert found == [
        (1, 1, "(comment)", "this comment holds an AWS access key id (AKIA…MPLE)"),
        (last, 19, "(comment)", f"this comment holds {SECRET_KIND}"),
    ]
    assert all(p.hint == credentials.HINT for p in caught.value.problems)
    shown = runner.invoke(app, ["validate", str(path)])
    assert shown.exit_code == 2
    assert KEY_ID not in shown.output
    assert SECRET_KEY not in shown.output


def test_a_comment_without_a_secret_and_a_hash_inside_a_value_pass(tmp_path: Path) -> None:
    data = minimal()
    data["tiers"]["admin"]["description"] = "admins # the platform team"
    path = write_config(tmp_path, data)
    path.write_text(path.read_text() + "# AKIA is how access key ids start\n")
    assert config.load(path).config.tiers["admin"].description == "admins # the platform team"
