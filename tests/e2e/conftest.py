"""Fixtures for end-to-end tests: a moto server, Terraform, and isolated AWS environments."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import accounts
from .deploy import Deployments
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

_STATIC_CREDENTIAL_ENV = frozenset(
    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
)


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoEndpoint]:
    """One moto server (127.0.0.1, free port) for the session; reset it per test."""
    with running_moto_server(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


@pytest.fixture(autouse=True)
def _no_moto_gaps(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test whose tools called an action moto does not implement (it answers HTTP 500).

    The AWS provider retries such errors for minutes or works around them silently; either
    way the endpoint did not do what AWS would have done, so the test proves less than it says.
    """
    servers = ("moto_endpoint", "deployments_moto")
    endpoints = [request.getfixturevalue(name) for name in servers if name in request.fixturenames]
    marks = [(endpoint, endpoint.log_size()) for endpoint in endpoints]
    yield
    gaps = sorted({action for e, mark in marks for action in e.unimplemented_actions(mark)})
    if gaps:
        pytest.fail(f"moto does not implement {gaps}, which this test's tools called")


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
    return accounts.subprocess_env(fresh_moto.url, aws_home, deployer_credentials)


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


@pytest.fixture(scope="session")
def deployments_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoEndpoint]:
    """A second moto server, never reset: it holds the applied example deployments."""
    with running_moto_server(tmp_path_factory.mktemp("moto-deployments")) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def deployments(
    deployments_moto: MotoEndpoint,
    terraform_tooling: TerraformTooling,
    terraform_cli_config: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Deployments:
    """``deployments.get(case)``: the golden case's config rendered and applied, once a session."""
    return Deployments(
        endpoint=deployments_moto,
        root=tmp_path_factory.mktemp("deployments"),
        terraform_binary=terraform_tooling.terraform,
        cli_config=terraform_cli_config,
    )
