"""The rendered profile files work, for real, against the applied `accounts.yaml` deployment.

Every generated user gets an access key on the endpoint (in the identity account); their
rendered `profiles/<user>/config` becomes `~/.aws/config` in a temporary HOME, next to a
test-only credentials file holding that key for the source profile. Then real botocore, and
the real AWS CLI, switch into every role the user's profiles name, after asking for the MFA
code with the user's own `mfa_serial`. moto's recorder shows what reached the endpoint: each
AssumeRole carried the device's serial number and the code typed.

moto does not check the code or the trust policy (any code is accepted, and it would admit
any caller); what this proves is the client side: the profiles make the tools ask for MFA,
send it, and land in the right role of the right account, in the profile's region.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session  # type: ignore[import-untyped]
import pytest

from mfagen.plan import Plan, Profile, ProfileFile, Role

from . import accounts, readback
from .deploy import Deployment, Deployments

pytestmark = [pytest.mark.e2e, pytest.mark.terraform, pytest.mark.slow]

CASE = "accounts"
# The README's example: `aws sts get-caller-identity --profile acme-prod-admin` asks for the
# code of alice's device (alice-phone), then answers as AdminMFARole in prod.
CLI_USER, CLI_PROFILE = "alice", "acme-prod-admin"


@dataclass(frozen=True)
class UserHome:
    """A user's temporary HOME: their rendered config and a key for the source profile."""

    file: ProfileFile
    home: Path
    keys: accounts.StaticCredentials

    @property
    def config(self) -> Path:
        return self.home / ".aws" / "config"

    @property
    def credentials(self) -> Path:
        return self.home / ".aws" / "credentials"

    def role_profiles(self) -> list[Profile]:
        return [profile for profile in self.file.profiles if profile.role_arn is not None]


UseHome = Callable[[UserHome], None]


@pytest.fixture
def deployment(deployments: Deployments) -> Deployment:
    return deployments.get(CASE)


@pytest.fixture
def homes(deployment: Deployment, tmp_path: Path) -> Iterator[dict[str, UserHome]]:
    """One HOME per generated user; the access keys are deleted again afterwards."""
    plan = deployment.plan
    iam = accounts.client_in_account(deployment.endpoint.url, "iam", plan.identity.account_id)
    homes: dict[str, UserHome] = {}
    try:
        for file in plan.profiles:
            key = iam.create_access_key(UserName=file.user)["AccessKey"]
            keys = accounts.StaticCredentials(key["AccessKeyId"], key["SecretAccessKey"])
            home = tmp_path / "homes" / file.user
            (home / ".aws").mkdir(parents=True)
            homes[file.user] = user = UserHome(file, home, keys)
            shutil.copyfile(deployment.out / "profiles" / file.user / "config", user.config)
            user.credentials.write_text(
                f"[{plan.organization}]\n"
                f"aws_access_key_id = {keys.access_key_id}\n"
                f"aws_secret_access_key = {keys.secret_access_key}\n",
                encoding="utf-8",
            )
        yield homes
    finally:
        for user in homes.values():
            iam.delete_access_key(UserName=user.file.user, AccessKeyId=user.keys.access_key_id)


@pytest.fixture
def profile_env(deployment: Deployment, tmp_path: Path) -> dict[str, str]:
    """Environment for the AWS CLI and botocore: only the endpoint; regions from the profiles."""
    env = accounts.subprocess_env(deployment.endpoint.url, tmp_path / "unused-home")
    for name in (
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    ):
        del env[name]
    return env


@pytest.fixture
def use_home(monkeypatch: pytest.MonkeyPatch, profile_env: dict[str, str]) -> UseHome:
    """``use_home(user)`` points this process (in-process botocore) at that user's HOME."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in profile_env.items():
        monkeypatch.setenv(name, value)

    def use(user: UserHome) -> None:
        monkeypatch.setenv("HOME", str(user.home))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(user.config))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(user.credentials))

    return use


def botocore_session(profile: str, prompts: list[str], code: str) -> Any:
    """A botocore session for ``profile`` whose MFA prompt is answered with ``code``."""

    def prompter(prompt: str) -> str:
        prompts.append(prompt)
        return code

    session = botocore.session.Session(profile=profile)
    provider = session.get_component("credential_provider").get_provider("assume-role")
    provider._prompter = prompter  # botocore has no public hook for the MFA prompt
    return session


def planned_role(plan: Plan, role_arn: str) -> tuple[Role, str]:
    """The planned role with ``role_arn``, and the id of its account."""
    [role] = [role for role in plan.roles if role.arn == role_arn]
    [provider] = [p for p in plan.providers if p.alias == role.account]
    return role, provider.account_id


def test_source_profile_is_the_users_own_keys_and_asks_for_nothing(
    deployment: Deployment, homes: dict[str, UserHome], use_home: UseHome
) -> None:
    plan = deployment.plan
    for user in plan.users:
        use_home(homes[user.name])
        prompts: list[str] = []
        session = botocore_session(plan.organization, prompts, "000000")
        sts = session.create_client("sts")
        identity = sts.get_caller_identity()

        [source] = [p for p in homes[user.name].file.profiles if p.name == plan.organization]
        assert identity["Arn"] == user.arn
        assert identity["Account"] == plan.identity.account_id
        assert sts.meta.region_name == source.region, user.name
        assert prompts == [], f"{user.name}: the source profile asked for an MFA code"


def test_every_role_profile_asks_for_mfa_and_assumes_its_role(
    deployment: Deployment, homes: dict[str, UserHome], use_home: UseHome
) -> None:
    plan = deployment.plan
    state = readback.read_plan_accounts(deployment.endpoint.url, plan)
    identity_state = state[plan.identity.alias]
    expected_calls = []
    deployment.endpoint.start_recording()
    try:
        for user in homes.values():
            use_home(user)
            for number, profile in enumerate(user.role_profiles(), start=1):
                assert profile.role_arn is not None
                code = f"{len(expected_calls) + 100001}"
                prompts: list[str] = []
                session = botocore_session(profile.name, prompts, code)
                sts = session.create_client("sts")
                identity = sts.get_caller_identity()

                role, account_id = planned_role(plan, profile.role_arn)
                where = f"{user.file.user} --profile {profile.name} (#{number})"
                assert prompts == [f"Enter MFA code for {profile.mfa_serial}: "], where
                assert identity["Account"] == account_id, where
                assert identity["Arn"] == (
                    f"arn:aws:sts::{account_id}:assumed-role/{role.name}/{user.file.user}"
                ), where
                # moto admits anyone; the trust read back from IAM must admit this user.
                trust = state[role.account].roles[role.name].trust
                assert user.file.user in readback.admitted_users(trust, identity_state), where
                assert sts.meta.region_name == profile.region, where
                expected_calls.append((profile.role_arn, user.file.user, profile.mfa_serial, code))
        recorded = deployment.endpoint.recorded_calls("AssumeRole")
    finally:
        deployment.endpoint.stop_recording()

    with_members = {r.arn for r in plan.roles if readback.tier_members(plan, r.tier)}
    assert {role_arn for role_arn, *_ in expected_calls} == with_members
    assert sorted(
        (c["RoleArn"], c["RoleSessionName"], c.get("SerialNumber"), c.get("TokenCode"))
        for c in recorded
    ) == sorted(expected_calls)


def run_aws_cli(
    cli: Path, env: dict[str, str], profile: str, typed: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(cli), "sts", "get-caller-identity", "--profile", profile, "--output", "json"],
        input=typed,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_aws_cli_reads_the_code_from_stdin_and_caches_the_role_session(
    deployment: Deployment,
    homes: dict[str, UserHome],
    profile_env: dict[str, str],
    aws_cli: Path,
) -> None:
    plan = deployment.plan
    user = homes[CLI_USER]
    [profile] = [p for p in user.file.profiles if p.name == CLI_PROFILE]
    assert profile.role_arn is not None
    role, account_id = planned_role(plan, profile.role_arn)
    env = {**profile_env, "HOME": str(user.home)}
    deployment.endpoint.start_recording()
    try:
        first = run_aws_cli(aws_cli, env, CLI_PROFILE, "246810\n")
        second = run_aws_cli(aws_cli, env, CLI_PROFILE, "")
        requests = deployment.endpoint.recorded_requests()
    finally:
        deployment.endpoint.stop_recording()

    assert first.returncode == 0, first.stderr
    assert f"Enter MFA code for {profile.mfa_serial}: " in first.stderr
    assumed = f"arn:aws:sts::{account_id}:assumed-role/{role.name}/{CLI_USER}"
    assert json.loads(first.stdout)["Arn"] == assumed
    assert json.loads(first.stdout)["Account"] == account_id
    assert [r.query_params for r in requests if r.action == "AssumeRole"] == [
        {
            "Action": "AssumeRole",
            "Version": "2011-06-15",
            "RoleArn": profile.role_arn,
            "RoleSessionName": CLI_USER,
            "SerialNumber": profile.mfa_serial,
            "TokenCode": "246810",
        }
    ]
    callers = [r for r in requests if r.action == "GetCallerIdentity"]
    assert len(callers) == 2
    assert all(f"/{profile.region}/sts/aws4_request" in r.headers["Authorization"] for r in callers)
    # The second call reuses the cached role session: no prompt, no new AssumeRole.
    assert second.returncode == 0, second.stderr
    assert "Enter MFA code" not in second.stderr
    assert json.loads(second.stdout)["Arn"] == assumed
    assert len(list((user.home / ".aws" / "cli" / "cache").glob("*.json"))) == 1
