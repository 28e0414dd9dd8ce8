"""Fixtures for end-to-end tests: a moto server, Terraform, and isolated AWS environments."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import accounts
from .motoserver import MotoEndpoint, running_moto_server
from .tooling import (
    Terraform,
    TerraformFactory,
    TerraformTooling,
    require_terraform_tooling,
    terraform_env,
    write_cli_config,
)

IDENTITY_ACCOUNT_ID = "111111111111"

# Inherited from the outer environment by subprocesses; everything else is set explicitly.
_PASSTHROUGH_ENV = ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
_STATIC_CREDENTIAL_ENV = frozenset(
    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
)


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoEndpoint]:
    """One moto server (127.0.0.1, free port) for the session; reset it per test."""
    with running_moto_server(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


@pytest.fixture
def fresh_moto(moto_endpoint: MotoEndpoint) -> MotoEndpoint:
    """The session's moto server with all state (and the request recording) wiped."""
    moto_endpoint.reset()
    return moto_endpoint


@pytest.fixture
def identity_account_id() -> str:
    """Account the caller's own credentials belong to; override in a test module if needed."""
    return IDENTITY_ACCOUNT_ID


@pytest.fixture
def deployer_credentials(
    fresh_moto: MotoEndpoint, identity_account_id: str
) -> accounts.StaticCredentials:
    """Keys of an IAM user in the identity account (so STS reports that account)."""
    return accounts.create_user_with_key(
        fresh_moto.url, identity_account_id, accounts.DEPLOYER_USER
    )


@pytest.fixture
def aws_home(tmp_path: Path) -> Path:
    """An empty HOME with an empty ~/.aws; the real ~/.aws is never read."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    return home


@pytest.fixture
def aws_env(
    fresh_moto: MotoEndpoint,
    deployer_credentials: accounts.StaticCredentials,
    aws_home: Path,
) -> dict[str, str]:
    """Complete environment for AWS CLI / Terraform subprocesses, pointed at moto.

    Nothing else is inherited (no AWS_PROFILE, proxies, or real credentials).
    Terraform-specific variables are in ``tf_env``.
    """
    passthrough = {name: os.environ[name] for name in _PASSTHROUGH_ENV if name in os.environ}
    return {
        **passthrough,
        "HOME": str(aws_home),
        "AWS_CONFIG_FILE": str(aws_home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws_home / ".aws" / "credentials"),
        "AWS_ENDPOINT_URL": fresh_moto.url,
        "AWS_ENDPOINT_URL_IAM": fresh_moto.url,
        "AWS_ENDPOINT_URL_STS": fresh_moto.url,
        "AWS_DEFAULT_REGION": accounts.REGION,
        "AWS_REGION": accounts.REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "NO_PROXY": "127.0.0.1,localhost",
        **deployer_credentials.as_env(),
    }


@pytest.fixture
def aws_profile_env(aws_env: dict[str, str]) -> dict[str, str]:
    """``aws_env`` without static credentials: only the config/credentials files count."""
    return {name: value for name, value in aws_env.items() if name not in _STATIC_CREDENTIAL_ENV}


@pytest.fixture
def aws_profile_process_env(
    monkeypatch: pytest.MonkeyPatch, aws_profile_env: dict[str, str]
) -> dict[str, str]:
    """Apply ``aws_profile_env`` to this process, for in-process botocore sessions."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in aws_profile_env.items():
        monkeypatch.setenv(name, value)
    return aws_profile_env


@pytest.fixture(scope="session")
def terraform_tooling() -> TerraformTooling:
    """Terraform + provider mirror, or skip (fail under MFAGEN_REQUIRE_TERRAFORM=1)."""
    return require_terraform_tooling()


@pytest.fixture(scope="session")
def terraform_cli_config(
    terraform_tooling: TerraformTooling, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Path of a CLI config installing hashicorp/aws from the local mirror only."""
    return write_cli_config(tmp_path_factory.mktemp("terraform-cli"), terraform_tooling.mirror)


@pytest.fixture
def tf_env(aws_env: dict[str, str], terraform_cli_config: Path) -> dict[str, str]:
    """``aws_env`` plus TF_CLI_CONFIG_FILE and friends."""
    return {**aws_env, **terraform_env(terraform_cli_config)}


@pytest.fixture
def terraform_in(terraform_tooling: TerraformTooling, tf_env: dict[str, str]) -> TerraformFactory:
    """``terraform_in(workdir)`` -> a :class:`Terraform` runner using ``tf_env``."""

    def make(workdir: Path) -> Terraform:
        return Terraform(binary=terraform_tooling.terraform, workdir=workdir, env=tf_env)

    return make


@pytest.fixture(scope="session")
def aws_cli() -> Path:
    """The AWS CLI (v1) installed next to this interpreter."""
    cli = Path(sys.executable).parent / "aws"
    if not cli.is_file():
        pytest.skip(f"AWS CLI not installed next to {sys.executable}")
    return cli
