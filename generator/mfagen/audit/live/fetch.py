"""Read IAM in every account a module names: read-only calls, accounts in parallel.

Credentials are the caller's (boto3's default chain). Each account is then reached as the
module's providers reach it: through its `assume_role` role (accounts.yaml's terraform_role),
else with the caller's own credentials; or, with `role_name`, by assuming
`arn:aws:iam::<account>:role/<role_name>` in every account (a role with AWS's SecurityAudit
policy, say). Either way GetCallerIdentity must then name the account, as Terraform's
allowed_account_ids demands.

Per account, in calls that grow with pages of a thousand entities, never with users:
GetAccountAuthorizationDetails (users, groups, roles, customer managed policies), ListRoles
under mfagen's paths (the roles' MaxSessionDuration), ListVirtualMFADevices (the identity
account), and the credential report. GenerateCredentialReport is called only when no report
younger than four hours exists: it asks IAM to compute the report and changes no entity.
Nothing else is called (`CALLS`); the SDK's standard retries handle throttling.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

from mfagen.audit.live.state import (
    AccountFailure,
    AccountState,
    Device,
    Progress,
    Reply,
    Target,
    credential_report,
)
from mfagen.errors import AwsError

SESSION_NAME = "mfagen-audit"
CALLS = frozenset(
    {
        "sts:AssumeRole",
        "sts:GetCallerIdentity",
        "iam:GetAccountAuthorizationDetails",
        "iam:ListRoles",
        "iam:ListVirtualMFADevices",
        "iam:GetCredentialReport",
        "iam:GenerateCredentialReport",
    }
)
"""Every AWS operation the live audit may call."""
DETAILS = ["User", "Role", "Group", "LocalManagedPolicy"]
PAGE = 1000
"""The largest page IAM serves."""
REPORT_FRESH = timedelta(hours=4)
REPORT_WAIT = 2.0
REPORT_POLLS = 30
"""How often, and how many seconds apart, to ask for a credential report being generated."""
RETRIES = Config(retries={"mode": "standard"}, user_agent_extra="mfagen-audit-live")


def read_all(
    targets: Sequence[Target],
    jobs: int,
    progress: Callable[[Progress], None] | None = None,
    session: Any = None,
) -> tuple[list[AccountState], list[AccountFailure]]:
    """Read every target, `jobs` accounts at a time; the states and failures, by alias.
    Raise AwsError when boto3's default session cannot start (an unknown AWS_PROFILE)."""
    session = session or _default_session()
    lock = threading.Lock()  # a boto3 session is not thread-safe; its clients are
    states: list[AccountState] = []
    failures: list[AccountFailure] = []
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="mfagen-live")
    try:
        futures: dict[Future[AccountState | AccountFailure], Target] = {
            pool.submit(_read, session, lock, target): target for target in targets
        }
        for done, future in enumerate(as_completed(futures), 1):
            result = future.result()
            if isinstance(result, AccountState):
                states.append(result)
            else:
                failures.append(result)
            if progress is not None:
                failed = isinstance(result, AccountFailure)
                progress(Progress(done, len(targets), futures[future].alias, failed))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return sorted(states, key=lambda s: s.alias), sorted(failures, key=lambda f: f.alias)


def _default_session() -> Any:
    try:
        return boto3.session.Session()
    except BotoCoreError as error:
        raise AwsError(
            f"cannot read IAM: {error}",
            "check AWS_PROFILE, or unset it for boto3's default credentials; "
            "`aws configure list` shows the profile and credentials found",
        ) from None


class _Account:
    """Reading one account: each call counted, and named when it fails."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.calls: Counter[str] = Counter()
        self.current = ""

    def call(self, name: str, action: Callable[[], Any]) -> Any:
        self.current = name
        self.calls[name] += 1
        return action()

    def pages(self, client: Any, operation: str, name: str, **arguments: Any) -> Iterator[Reply]:
        paginator = client.get_paginator(operation)
        pages = iter(paginator.paginate(**arguments, PaginationConfig={"PageSize": PAGE}))
        while True:
            page = self.call(name, lambda: next(pages, None))
            if page is None:
                self.calls[name] -= 1  # the paginator found no next page: no call was made
                return
            yield page

    def counted(self) -> tuple[tuple[str, int], ...]:
        return tuple(sorted((name, n) for name, n in self.calls.items() if n))


def _read(session: Any, lock: threading.Lock, target: Target) -> AccountState | AccountFailure:
    account = _Account(target)
    try:
        return _state(account, _iam(account, session, lock))
    except ClientError as error:
        details = error.response.get("Error", {})
        code = details.get("Code", "")
        message = f"{code}: {details.get('Message', '')}".rstrip(": ")
        if code.startswith("Throttl") or code == "RequestLimitExceeded":
            message += " (still throttled after the SDK's standard retries)"
        return _failed(account, message)
    except (BotoCoreError, _RefusedError) as error:
        return _failed(account, str(error))


def _failed(account: _Account, message: str) -> AccountFailure:
    target = account.target
    return AccountFailure(target.alias, target.account, account.current, message)


class _RefusedError(Exception):
    """The account cannot be read as asked: the credentials act elsewhere, no report came."""


def _iam(account: _Account, session: Any, lock: threading.Lock) -> Any:
    """An IAM client acting in the target's account."""
    target = account.target
    region = session.region_name or "us-east-1"
    with lock:
        sts = session.client("sts", region_name=region, config=RETRIES)
    if target.role_arn is not None:
        role = target.role_arn
        issued = account.call(
            "sts:AssumeRole", lambda: sts.assume_role(RoleArn=role, RoleSessionName=SESSION_NAME)
        )["Credentials"]
        keys = {
            "aws_access_key_id": issued["AccessKeyId"],
            "aws_secret_access_key": issued["SecretAccessKey"],
            "aws_session_token": issued["SessionToken"],
        }
        with lock:
            sts = session.client("sts", region_name=region, config=RETRIES, **keys)
            iam = session.client("iam", region_name=region, config=RETRIES, **keys)
    else:
        with lock:
            iam = session.client("iam", region_name=region, config=RETRIES)
    caller = account.call("sts:GetCallerIdentity", sts.get_caller_identity)
    if caller["Account"] != target.account:
        how = f"after assuming {target.role_arn}" if target.role_arn else "the caller's own"
        raise _RefusedError(
            f"the credentials ({how}) act in account {caller['Account']} as {caller['Arn']}, "
            f"not in {target.account}"
        )
    return iam


def _state(account: _Account, iam: Any) -> AccountState:
    target = account.target
    found: dict[str, list[Reply]] = {key: [] for key in ("users", "groups", "roles", "policies")}
    lists = {"UserDetailList": "users", "GroupDetailList": "groups", "RoleDetailList": "roles",
             "Policies": "policies"}  # fmt: skip
    gaad = "iam:GetAccountAuthorizationDetails"
    for page in account.pages(iam, "get_account_authorization_details", gaad, Filter=DETAILS):
        for key, into in lists.items():
            found[into].extend(page.get(key, []))
    durations: dict[str, int] = {}
    for path in target.role_paths:
        for page in account.pages(iam, "list_roles", "iam:ListRoles", PathPrefix=path):
            durations.update({str(r["Arn"]): int(r["MaxSessionDuration"]) for r in page["Roles"]})
    devices: list[Device] = []
    if target.identity:
        listing = "iam:ListVirtualMFADevices"
        for page in account.pages(iam, "list_virtual_mfa_devices", listing, AssignmentStatus="Any"):
            devices.extend(_devices(page.get("VirtualMFADevices", [])))
    report = _credential_report(account, iam)
    return AccountState(
        target.alias,
        target.account,
        tuple(found["users"]),
        tuple(found["groups"]),
        tuple(found["roles"]),
        tuple(found["policies"]),
        durations,
        tuple(devices),
        credential_report(_text(report.get("Content", b""))),
        account.counted(),
    )


def _devices(entries: Iterable[Reply]) -> Iterator[Device]:
    """The serial and user of each device; its seed and QR code (moto answers them) are dropped."""
    for entry in entries:
        user = entry.get("User") or {}
        enabled = entry.get("EnableDate") is not None and user.get("UserName")
        yield Device(str(entry["SerialNumber"]), str(user["UserName"]) if enabled else None)


def _credential_report(account: _Account, iam: Any) -> Reply:
    """The newest credential report, generated only when none is younger than four hours."""
    generated = False
    for _ in range(REPORT_POLLS):
        try:
            reply: Reply = account.call("iam:GetCredentialReport", iam.get_credential_report)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("ReportNotPresent", "ReportExpired") and not generated:
                account.call("iam:GenerateCredentialReport", iam.generate_credential_report)
                generated = True
                continue
            if code == "ReportInProgress":
                time.sleep(REPORT_WAIT)
                continue
            raise
        when = reply.get("GeneratedTime")
        stale = isinstance(when, datetime) and datetime.now(UTC) - when > REPORT_FRESH
        if stale and not generated:
            account.call("iam:GenerateCredentialReport", iam.generate_credential_report)
            generated = True
            continue
        return reply
    account.current = "iam:GetCredentialReport"
    raise _RefusedError(
        f"the credential report was not ready after {REPORT_POLLS * REPORT_WAIT:.0f} seconds"
    )


def _text(content: bytes | str) -> str:
    return content.decode("utf-8") if isinstance(content, bytes) else content
