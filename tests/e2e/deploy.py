"""Render an mfagen config with `mfagen render` and apply it to a moto endpoint with Terraform.

The module is applied with the long-term keys of a bootstrap user of the plan's identity
account (`e2e-deployer`, as a platform engineer would); every other account is reached the way
the rendered providers say, through their `terraform_role`. `Deployments` keeps one applied
deployment per case for the whole session on one moto server that is never reset: the cases
use distinct account ids, which it checks, so they cannot meet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfagen import api
from mfagen.cli import app
from mfagen.plan import Plan
from tests.golden import CASES

from . import accounts
from .motoserver import MotoEndpoint
from .tooling import Terraform, TerraformResult, terraform_env


def mfagen_render(config: Path, out: Path, blueprints: Path | None = None) -> str:
    """`mfagen render CONFIG --out OUT [--blueprints DIR]` through the CLI; its stdout."""
    extra = ["--blueprints", str(blueprints)] if blueprints else []
    result = CliRunner().invoke(app, ["render", str(config), "--out", str(out), *extra])
    if result.exit_code != 0:
        pytest.fail(
            f"mfagen render {config} exited {result.exit_code}:\n{result.output}", pytrace=False
        )
    return result.stdout


@dataclass(frozen=True)
class Deployment:
    """One config rendered into ``out`` and applied to ``endpoint``."""

    case: str
    config: Path
    out: Path
    plan: Plan
    endpoint: MotoEndpoint
    terraform: Terraform
    applied: TerraformResult
    apply_assume_role_calls: tuple[dict[str, str], ...]
    """The `sts:AssumeRole` calls Terraform made during the apply (moto's recorder)."""


@dataclass
class Deployments:
    """Applies each case at most once per session, on demand."""

    endpoint: MotoEndpoint
    root: Path
    terraform_binary: Path
    cli_config: Path
    _done: dict[str, Deployment] = field(default_factory=dict)
    _failed: dict[str, str] = field(default_factory=dict)

    def get(self, case: str) -> Deployment:
        if case in self._failed:
            pytest.fail(f"deploying {case!r} failed earlier:\n{self._failed[case]}", pytrace=False)
        if case not in self._done:
            try:
                self._done[case] = self._deploy(case)
            except (Exception, pytest.fail.Exception) as error:
                self._failed[case] = str(error)
                raise
        return self._done[case]

    def _deploy(self, case: str) -> Deployment:
        config, _ = CASES[case]
        plan = api.validate(config).plan
        if [module.folder for module in plan.modules] != [""]:
            pytest.fail(f"{case}: only the single-module layout is deployed here")
        ids = {provider.account_id for provider in plan.providers}
        for other in self._done.values():
            shared = ids & {provider.account_id for provider in other.plan.providers}
            if shared:
                pytest.fail(f"{case} and {other.case} share account ids {sorted(shared)}")
        out = self.root / case
        mfagen_render(config, out)
        deployer = accounts.create_user_with_key(
            self.endpoint.url, plan.identity.account_id, accounts.DEPLOYER_USER
        )
        home = self.root / f"{case}-home"
        (home / ".aws").mkdir(parents=True)
        env = {
            **accounts.subprocess_env(self.endpoint.url, home, deployer),
            **terraform_env(self.cli_config),
        }
        terraform = Terraform(self.terraform_binary, out / "terraform", env)
        init_with_backend(terraform, plan, self.endpoint)
        self.endpoint.start_recording()
        try:
            applied = terraform.apply()
            calls = tuple(self.endpoint.recorded_calls("AssumeRole"))
        finally:
            self.endpoint.stop_recording()
        return Deployment(case, config, out, plan, self.endpoint, terraform, applied, calls)


def init_with_backend(terraform: Terraform, plan: Plan, endpoint: MotoEndpoint) -> None:
    """`terraform init`; a module with an S3 state backend keeps its state on the endpoint.

    The module is unchanged: the bucket is made on the endpoint first, and the backend reaches
    it through AWS_ENDPOINT_URL, in path style (a loopback address has no bucket host names).
    """
    backend = plan.config.terraform.backend
    if backend is None:
        terraform.init()
        return
    if backend.type != "s3":
        pytest.fail(f"only the s3 backend can be deployed here, not {backend.type!r}")
    bucket, region = str(backend.config["bucket"]), str(backend.config["region"])
    s3 = accounts.client_in_account(endpoint.url, "s3", plan.identity.account_id)
    where = {} if region == "us-east-1" else {"LocationConstraint": region}
    s3.create_bucket(Bucket=bucket, **({"CreateBucketConfiguration": where} if where else {}))
    terraform.run("init", "-input=false", "-no-color", "-backend-config=use_path_style=true")
