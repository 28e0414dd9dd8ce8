"""`mfagen audit --live` on moto's in-process IAM: an applied module audits clean; each kind of
out-of-band change is caught with the entity named, and passes again once undone; an
account that cannot be read is named with its call while the others are audited; and the
audit changes nothing in IAM."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.client
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from mfagen.audit.live import LiveOptions, audit_live, fetch
from mfagen.audit.live.report import LiveReport
from mfagen.audit.live.state import AccountFailure
from mfagen.naming import ENROLMENT_TAG
from tests.live_iam import snapshot

from .conftest import CONFIG, DEV, EVERYTHING, IDENTITY, Live, iam_in, render

ADMIN_DEV = f"arn:aws:iam::{DEV}:role/mfa/AdminMFARole"
READONLY_DEV = f"arn:aws:iam::{DEV}:role/mfa/ReadonlyMFARole"
ADMIN_GROUP = f"arn:aws:iam::{IDENTITY}:group/mfa/AdminMFAGroup"
READONLY_GROUP = f"arn:aws:iam::{IDENTITY}:group/mfa/ReadonlyMFAGroup"
POLICY = f"arn:aws:iam::{IDENTITY}:policy/mfa/ManageMFAPolicy"


def user(name: str, account: str = IDENTITY) -> str:
    return f"arn:aws:iam::{account}:user/{name}"


def named(report: LiveReport, arn: str) -> list[str]:
    """Every finding that names `arn`: drift and outsiders by entity, violations anywhere."""
    found = [
        f"{f.kind}: {f.message}" for f in (*report.drift, *report.outsiders) if f.entity == arn
    ]
    if report.audit is not None:
        name = arn.rsplit("/", 1)[-1]
        for finding in report.audit.findings:
            text = " ".join([finding.message, *finding.subjects,
                             *(e.describe() for e in finding.evidence)])  # fmt: skip
            if arn in text or name in finding.subjects:
                found.append(f"invariant {finding.invariant}: {finding.message}")
    return found


def test_an_applied_module_audits_clean(live: Live) -> None:
    report = live.audit()

    assert report.clean, report
    assert report.complete
    assert report.audit is not None
    assert report.audit.ok
    assert [r.alias for r in report.read] == ["dev", "identity"]
    assert [(u.user, u.state, u.window) for u in report.onboarding] == [
        ("alice", "not enrolled", "closed"),
        ("bob", "not enrolled", "closed"),
        ("dave", "not enrolled", "open"),
    ]


@dataclass(frozen=True)
class Change:
    name: str
    entity: str
    do: Callable[[], None]
    undo: Callable[[], None]


def _trust(role: str) -> str:
    return json.dumps(iam_in(DEV).get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"])


@pytest.fixture
def changes(live: Live) -> dict[str, Change]:
    identity, dev = iam_in(IDENTITY), iam_in(DEV)
    trust = _trust("AdminMFARole")
    wide = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{IDENTITY}:root"},
        "Action": "sts:AssumeRole"}]})  # fmt: skip
    readonly = next(r for r in live.plan.roles if r.arn == READONLY_DEV)

    def set_trust(document: str) -> None:
        dev.update_assume_role_policy(RoleName="AdminMFARole", PolicyDocument=document)

    def extra_policy() -> None:
        identity.create_policy(PolicyName="Extra", PolicyDocument=EVERYTHING)
        identity.attach_user_policy(
            UserName="bob", PolicyArn=f"arn:aws:iam::{IDENTITY}:policy/Extra"
        )

    def no_extra_policy() -> None:
        identity.detach_user_policy(
            UserName="bob", PolicyArn=f"arn:aws:iam::{IDENTITY}:policy/Extra"
        )
        identity.delete_policy(PolicyArn=f"arn:aws:iam::{IDENTITY}:policy/Extra")

    def intruder() -> None:
        identity.create_user(UserName="mallory")
        identity.add_user_to_group(GroupName="AdminMFAGroup", UserName="mallory")

    def no_intruder() -> None:
        identity.remove_user_from_group(GroupName="AdminMFAGroup", UserName="mallory")
        identity.delete_user(UserName="mallory")

    def delete_role() -> None:
        dev.delete_role_policy(RoleName="ReadonlyMFARole", PolicyName="TierStatements")
        dev.delete_role(RoleName="ReadonlyMFARole")

    def recreate_role() -> None:
        dev.create_role(RoleName="ReadonlyMFARole", Path="/mfa/", MaxSessionDuration=3600,
                        AssumeRolePolicyDocument=json.dumps(readonly.trust))  # fmt: skip
        dev.put_role_policy(RoleName="ReadonlyMFARole", PolicyName="TierStatements",
                            PolicyDocument=json.dumps(readonly.inline_policy))  # fmt: skip

    def new_version() -> None:
        identity.create_policy_version(
            PolicyArn=POLICY, PolicyDocument=EVERYTHING, SetAsDefault=True
        )

    def old_version() -> None:
        identity.set_default_policy_version(PolicyArn=POLICY, VersionId="v1")
        identity.delete_policy_version(PolicyArn=POLICY, VersionId="v2")

    def delete_dave() -> None:
        identity.remove_user_from_group(GroupName="ManageMFAGroup", UserName="dave")
        identity.delete_user(UserName="dave")

    def recreate_dave() -> None:
        tags = next(u.tags for u in live.plan.users if u.name == "dave")
        identity.create_user(UserName="dave", Tags=[{"Key": k, "Value": v} for k, v in tags])
        identity.add_user_to_group(GroupName="ManageMFAGroup", UserName="dave")

    def ops_group() -> None:
        identity.create_group(GroupName="Ops")
        identity.put_group_policy(GroupName="Ops", PolicyName="All", PolicyDocument=EVERYTHING)
        identity.add_user_to_group(GroupName="Ops", UserName="alice")

    def no_ops_group() -> None:
        identity.remove_user_from_group(GroupName="Ops", UserName="alice")
        identity.delete_group_policy(GroupName="Ops", PolicyName="All")
        identity.delete_group(GroupName="Ops")

    def outsider() -> None:
        dev.create_user(UserName="eve")
        dev.create_access_key(UserName="eve")
        dev.put_user_policy(UserName="eve", PolicyName="Read", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))  # fmt: skip

    def no_outsider() -> None:
        dev.delete_user_policy(UserName="eve", PolicyName="Read")
        key = dev.list_access_keys(UserName="eve")["AccessKeyMetadata"][0]["AccessKeyId"]
        dev.delete_access_key(UserName="eve", AccessKeyId=key)
        dev.delete_user(UserName="eve")

    found = [
        Change("trust edited", ADMIN_DEV, lambda: set_trust(wide), lambda: set_trust(trust)),
        Change("policy attached to a user", user("bob"), extra_policy, no_extra_policy),
        Change("inline policy on a group", READONLY_GROUP,
               lambda: identity.put_group_policy(GroupName="ReadonlyMFAGroup", PolicyName="X",
                                                 PolicyDocument=EVERYTHING),
               lambda: identity.delete_group_policy(GroupName="ReadonlyMFAGroup", PolicyName="X")),
        Change("inline policy on a role", READONLY_DEV,
               lambda: dev.put_role_policy(RoleName="ReadonlyMFARole", PolicyName="X",
                                           PolicyDocument=EVERYTHING),
               lambda: dev.delete_role_policy(RoleName="ReadonlyMFARole", PolicyName="X")),
        Change("member not in accounts.yaml", ADMIN_GROUP, intruder, no_intruder),
        Change("role missing", READONLY_DEV, delete_role, recreate_role),
        Change("session duration", READONLY_DEV,
               lambda: dev.update_role(RoleName="ReadonlyMFARole", MaxSessionDuration=7200),
               lambda: dev.update_role(RoleName="ReadonlyMFARole", MaxSessionDuration=3600)),
        Change("policy document changed", POLICY, new_version, old_version),
        Change("user missing", user("dave"), delete_dave, recreate_dave),
        Change("tags changed", user("alice"),
               lambda: identity.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "x"}]),
               lambda: identity.untag_user(UserName="alice", TagKeys=["team"])),
        Change("window opened in IAM alone", user("alice"),
               lambda: identity.tag_user(UserName="alice", Tags=[{"Key": ENROLMENT_TAG,
                                                                  "Value": "open"}]),
               lambda: identity.untag_user(UserName="alice", TagKeys=[ENROLMENT_TAG])),
        Change("group outside the module", user("alice"), ops_group, no_ops_group),
        Change("outside user whose keys reach more", user("eve", DEV), outsider, no_outsider),
        Change("role at mfagen's path", f"arn:aws:iam::{DEV}:role/mfa/ShadowRole",
               lambda: dev.create_role(RoleName="ShadowRole", Path="/mfa/",
                                       AssumeRolePolicyDocument=wide),
               lambda: dev.delete_role(RoleName="ShadowRole")),
    ]  # fmt: skip
    return {change.name: change for change in found}


CHANGES = (
    "trust edited", "policy attached to a user", "inline policy on a group",
    "inline policy on a role", "member not in accounts.yaml", "role missing", "session duration",
    "policy document changed", "user missing", "tags changed", "window opened in IAM alone",
    "group outside the module",
    "outside user whose keys reach more", "role at mfagen's path",
)  # fmt: skip


@pytest.mark.parametrize("name", CHANGES)
def test_an_out_of_band_change_is_caught_and_passes_once_undone(
    live: Live, changes: dict[str, Change], name: str
) -> None:
    change = changes[name]

    change.do()
    caught = live.audit()
    change.undo()
    undone = live.audit()

    assert not caught.clean
    assert named(caught, change.entity), (name, caught)
    assert undone.clean, (name, undone)


def test_a_changed_trust_is_both_drift_and_a_broken_invariant(
    live: Live, changes: dict[str, Change]
) -> None:
    changes["trust edited"].do()
    report = live.audit()

    assert {kind.split(":")[0] for kind in named(report, ADMIN_DEV)} == {
        "drift", "invariant 1", "invariant 2"
    }  # fmt: skip
    drift = next(f for f in report.drift if f.entity == ADMIN_DEV)
    assert drift.account == f"dev ({DEV})"
    assert drift.message == "the trust policy differs from the output"
    assert drift.evidence[0].startswith('only in IAM: {"Action":"sts:AssumeRole"')


def test_a_member_outside_accounts_yaml_is_named_with_the_group(
    live: Live, changes: dict[str, Change]
) -> None:
    changes["member not in accounts.yaml"].do()
    report = live.audit()

    assert [(f.entity, f.message, f.evidence) for f in report.drift] == [
        (ADMIN_GROUP, "mallory is a member of AdminMFAGroup but not a user in accounts.yaml",
         (f"member: {user('mallory')}",)),
    ]  # fmt: skip


def test_an_acknowledged_machine_user_is_listed_not_failed(live: Live) -> None:
    dev = iam_in(DEV)
    dev.create_user(UserName="ci")
    dev.create_access_key(UserName="ci")
    dev.put_user_policy(UserName="ci", PolicyName="All", PolicyDocument=EVERYTHING)

    report = live.audit()

    assert report.clean
    (machine,) = report.machines
    assert (machine.account, machine.name, machine.arn) == (f"dev ({DEV})", "ci", user("ci", DEV))
    assert "s3:GetObject on *" in machine.reaches


def test_a_user_without_a_working_credential_is_not_asked(live: Live) -> None:
    dev = iam_in(DEV)
    dev.create_user(UserName="parked")
    dev.put_user_policy(UserName="parked", PolicyName="All", PolicyDocument=EVERYTHING)

    assert live.audit().clean


class _Refuse:
    """An AWS answer replaced by an error, before the request is sent."""

    def __init__(self, code: str, operation: str, when: Callable[[dict[str, Any]], bool]) -> None:
        self.code, self.operation, self.when = code, operation, when

    def __call__(self, params: dict[str, Any], **_: Any) -> None:
        if self.when(params):
            raise ClientError({"Error": {"Code": self.code, "Message": "refused"}}, self.operation)


def test_an_account_that_refuses_is_named_with_its_call_and_the_others_audited(
    live: Live,
) -> None:
    session = boto3.session.Session()
    refuse = _Refuse("AccessDenied", "AssumeRole", lambda params: DEV in params["RoleArn"])
    session.events.register("before-parameter-build.sts.AssumeRole", refuse)
    iam_in(DEV).put_role_policy(RoleName="ReadonlyMFARole", PolicyName="X",
                                PolicyDocument=EVERYTHING)  # fmt: skip

    report = live.audit(session=session)

    assert report.failures == (
        AccountFailure("dev", DEV, "sts:AssumeRole", "AccessDenied: refused"),
    )
    assert not report.complete
    assert report.clean  # what the identity account holds is fine; dev's drift is not seen
    assert [r.alias for r in report.read] == ["identity"]


class _Throttled:
    """IAM answering `Throttling` to every attempt of one operation, counted."""

    def __init__(self) -> None:
        self.attempts = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        self.attempts += 1
        body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                b"<Message>Rate exceeded</Message></Error></ErrorResponse>")  # fmt: skip
        return AWSResponse(request.url, 400, {}, _Raw(body))


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


def test_throttling_the_standard_retries_do_not_clear_fails_the_account(live: Live) -> None:
    session = boto3.session.Session()
    throttled = _Throttled()
    session.events.register("before-send.iam.GetAccountAuthorizationDetails", throttled)

    report = live.audit(LiveOptions(jobs=1), session=session)

    assert {(f.alias, f.call) for f in report.failures} == {
        ("dev", "iam:GetAccountAuthorizationDetails"),
        ("identity", "iam:GetAccountAuthorizationDetails"),
    }
    assert all(f.message == "Throttling: Rate exceeded (still throttled after the SDK's "
               "standard retries)" for f in report.failures)  # fmt: skip
    assert throttled.attempts == 2 * 3  # the standard mode's 3 attempts, in each account
    assert report.audit is None


def test_credentials_of_another_account_are_refused(aws: None, tmp_path: Path) -> None:
    other = CONFIG.replace(f'"{IDENTITY}"', '"111111111111"')
    folder, _ = render(tmp_path, other)

    report = audit_live(folder)

    (failure,) = [f for f in report.failures if f.alias == "identity"]
    assert failure.call == "sts:GetCallerIdentity"
    assert failure.message.startswith(
        f"the credentials (the caller's own) act in account {IDENTITY} as arn:aws:"
    )
    assert failure.message.endswith(", not in 111111111111")


def test_the_audit_writes_nothing_to_iam(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    identity, dev = iam_in(IDENTITY), iam_in(DEV)
    identity.create_user(UserName="mallory")
    identity.add_user_to_group(GroupName="AdminMFAGroup", UserName="mallory")
    identity.create_access_key(UserName="mallory")
    dev.put_role_policy(RoleName="AdminMFARole", PolicyName="X", PolicyDocument=EVERYTHING)
    before = (snapshot(identity), snapshot(dev))
    called: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(client: Any, operation: str, params: Any) -> Any:
        called.append(f"{client.meta.service_model.signing_name}:{operation}")
        return original(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    report = live.audit()
    monkeypatch.undo()

    assert not report.clean
    assert (snapshot(identity), snapshot(dev)) == before
    assert set(called) <= fetch.CALLS
    assert "iam:GetAccountAuthorizationDetails" in called
