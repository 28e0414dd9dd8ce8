"""In-process boto3 helpers for moto's multi-account model.

How moto (5.2.x, server mode) picks the account of a request, in priority order:

1. ``MOTO_ACCOUNT_ID`` in the *server's* environment: every request, including ones signed with
   assumed-role credentials, goes to that one account -> never set it, it breaks cross-account.
2. an ``x-moto-account-id`` request header (used here to bootstrap and to inspect accounts);
3. the access key id: keys created by moto (IAM user keys, STS credentials) map to their account;
4. otherwise the default account 123456789012 -- moto does *not* reject unknown credentials.

So the identity account is chosen by creating an IAM user with an access key in it, and the
other accounts are reached with ``sts:AssumeRole`` (the role need not exist in moto).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]

REGION = "us-east-1"
MOTO_ACCOUNT_HEADER = "x-moto-account-id"
MOTO_DEFAULT_ACCOUNT_ID = "123456789012"
ORGANIZATION_ROLE = "OrganizationAccountAccessRole"
DEPLOYER_USER = "e2e-deployer"

# botocore session variable spec (config key, env var, default, converter): never read AWS_PROFILE.
_IGNORE_AWS_PROFILE = {"profile": (None, None, None, None)}

# A client from boto3; boto3 ships no type information.
AwsClient = Any

# Inherited from the outer environment by subprocesses; everything else is set explicitly.
_PASSTHROUGH_ENV = ("PATH", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


@dataclass(frozen=True)
class StaticCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def as_env(self) -> dict[str, str]:
        env = {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }
        if self.session_token is not None:
            env["AWS_SESSION_TOKEN"] = self.session_token
        return env


DUMMY_CREDENTIALS = StaticCredentials("testing", "testing")


def role_arn(account_id: str, role_name: str = ORGANIZATION_ROLE) -> str:
    return f"arn:aws:iam::{account_id}:role/{role_name}"


def _isolated_boto3_session(credentials: StaticCredentials) -> Any:
    """A boto3 session that never reads the real ~/.aws files or AWS_PROFILE."""
    core = botocore.session.Session(session_vars=_IGNORE_AWS_PROFILE)
    core.set_config_variable("config_file", os.devnull)
    core.set_config_variable("credentials_file", os.devnull)
    return boto3.session.Session(
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
        region_name=REGION,
        botocore_session=core,
    )


def client(endpoint_url: str, service: str, credentials: StaticCredentials) -> AwsClient:
    return _isolated_boto3_session(credentials).client(service, endpoint_url=endpoint_url)


def client_in_account(endpoint_url: str, service: str, account_id: str) -> AwsClient:
    """A client whose every request is pinned to ``account_id`` (moto header)."""
    pinned = client(endpoint_url, service, DUMMY_CREDENTIALS)

    def add_account_header(request: Any, **_: Any) -> None:
        request.headers[MOTO_ACCOUNT_HEADER] = account_id

    pinned.meta.events.register(f"before-send.{service}.*", add_account_header)
    return pinned


def create_user_with_key(endpoint_url: str, account_id: str, user_name: str) -> StaticCredentials:
    """Long-term keys of a new IAM user: requests signed with them act in ``account_id``."""
    iam = client_in_account(endpoint_url, "iam", account_id)
    iam.create_user(UserName=user_name)
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return StaticCredentials(str(key["AccessKeyId"]), str(key["SecretAccessKey"]))


def assume_role(
    endpoint_url: str, credentials: StaticCredentials, arn: str, session_name: str = "e2e"
) -> StaticCredentials:
    sts = client(endpoint_url, "sts", credentials)
    issued = sts.assume_role(RoleArn=arn, RoleSessionName=session_name)["Credentials"]
    return StaticCredentials(
        str(issued["AccessKeyId"]), str(issued["SecretAccessKey"]), str(issued["SessionToken"])
    )


def caller_account(endpoint_url: str, credentials: StaticCredentials) -> str:
    return str(client(endpoint_url, "sts", credentials).get_caller_identity()["Account"])


def role_names(iam: AwsClient) -> set[str]:
    return {str(role["RoleName"]) for role in iam.list_roles()["Roles"]}


def subprocess_env(
    endpoint_url: str, home: Path, credentials: StaticCredentials | None = None
) -> dict[str, str]:
    """Complete environment for AWS CLI / Terraform subprocesses, pointed at ``endpoint_url``.

    HOME is ``home`` (its ``.aws/config`` and ``.aws/credentials`` are the only AWS files read);
    nothing else is inherited (no AWS_PROFILE, proxies, or real credentials). Static
    credentials go into the environment only when given.
    """
    passthrough = {name: os.environ[name] for name in _PASSTHROUGH_ENV if name in os.environ}
    return {
        **passthrough,
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ENDPOINT_URL_IAM": endpoint_url,
        "AWS_ENDPOINT_URL_STS": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "NO_PROXY": "127.0.0.1,localhost",
        **(credentials.as_env() if credentials is not None else {}),
    }
