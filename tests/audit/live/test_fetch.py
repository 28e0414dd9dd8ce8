"""Reading IAM (fetch.py): whom each account is read as, calls that grow with pages and not
with users, and the credential report generated only when none is fresh."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mfagen.audit import read_folder
from mfagen.audit.live import fetch, targets
from mfagen.audit.live.state import Target, credential_report

from .conftest import DEV, IDENTITY, Live, iam_in

REPORT = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
)


def test_accounts_are_reached_as_the_providers_reach_them(live: Live) -> None:
    expected, _ = read_folder(live.folder)
    role = f"arn:aws:iam::{DEV}:role/OrganizationAccountAccessRole"

    assert targets(expected) == [
        Target("dev", DEV, role, identity=False, role_paths=("/mfa/",)),
        Target("identity", IDENTITY, None, identity=True, role_paths=("/mfa/",)),
    ]
    assert [t.role_arn for t in targets(expected, "audit/SecurityAudit")] == [
        f"arn:aws:iam::{DEV}:role/audit/SecurityAudit",
        f"arn:aws:iam::{IDENTITY}:role/audit/SecurityAudit",
    ]


def test_calls_grow_with_pages_not_with_users(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    expected, _ = read_folder(live.folder)
    before, _ = fetch.read_all(targets(expected), jobs=2)
    identity = iam_in(IDENTITY)
    for n in range(25):
        identity.create_user(UserName=f"user{n}")
        identity.add_user_to_group(GroupName="ReadonlyMFAGroup", UserName=f"user{n}")
        identity.create_virtual_mfa_device(VirtualMFADeviceName=f"user{n}")

    after, _ = fetch.read_all(targets(expected), jobs=2)
    monkeypatch.setattr(fetch, "PAGE", 10)
    paged, _ = fetch.read_all(targets(expected), jobs=2)

    calls = {state.alias: dict(state.calls) for state in before}
    assert calls["identity"] == {
        "iam:GenerateCredentialReport": 1,  # none existed yet
        "iam:GetAccountAuthorizationDetails": 1,
        "iam:GetCredentialReport": 2,
        "iam:ListRoles": 1,
        "iam:ListVirtualMFADevices": 1,
        "sts:GetCallerIdentity": 1,
    }
    assert calls["dev"] == {
        "iam:GenerateCredentialReport": 1,
        "iam:GetAccountAuthorizationDetails": 1,
        "iam:GetCredentialReport": 2,
        "iam:ListRoles": 1,
        "sts:AssumeRole": 1,
        "sts:GetCallerIdentity": 1,
    }
    # 25 more users and devices cost nothing more (moto dates every report 2015: stale, so
    # each run generates one)
    assert {state.alias: dict(state.calls) for state in after} == calls
    assert len(after[1].users) == len(before[1].users) + 25
    assert dict(paged[1].calls)["iam:ListVirtualMFADevices"] == 3  # 25 devices, pages of 10


class _Reports:
    """An IAM client's credential report calls, answering from a script."""

    def __init__(self, *answers: str | datetime) -> None:
        self.answers = list(answers)
        self.generated = 0

    def get_credential_report(self) -> dict[str, Any]:
        answer = self.answers.pop(0)
        if isinstance(answer, str):
            raise ClientError({"Error": {"Code": answer, "Message": "m"}}, "GetCredentialReport")
        return {"Content": REPORT.encode(), "GeneratedTime": answer}

    def generate_credential_report(self) -> dict[str, Any]:
        self.generated += 1
        return {"State": "STARTED"}


def _report(client: _Reports) -> tuple[dict[str, Any], dict[str, int]]:
    account = fetch._Account(Target("a", IDENTITY, None, identity=False))
    reply = fetch._credential_report(account, client)
    return reply, dict(account.calls)


def test_a_fresh_credential_report_is_read_as_it_is() -> None:
    client = _Reports(datetime.now(UTC) - timedelta(hours=3))

    _, calls = _report(client)

    assert calls == {"iam:GetCredentialReport": 1}


@pytest.mark.parametrize("first", ["ReportNotPresent", "ReportExpired", "stale"])
def test_a_report_is_generated_when_none_is_fresh_and_waited_for(
    first: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "REPORT_WAIT", 0)
    old = datetime.now(UTC) - timedelta(hours=5)
    client = _Reports(old if first == "stale" else first, "ReportInProgress", datetime.now(UTC))

    _, calls = _report(client)

    assert calls == {"iam:GetCredentialReport": 3, "iam:GenerateCredentialReport": 1}


def test_a_report_that_never_comes_fails_the_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch, "REPORT_WAIT", 0)
    client = _Reports("ReportNotPresent", *["ReportInProgress"] * fetch.REPORT_POLLS)

    with pytest.raises(fetch._RefusedError, match="credential report was not ready after"):
        _report(client)
    assert client.generated == 1


def test_the_credential_report_is_read_by_user() -> None:
    rows = REPORT + (
        "<root_account>,arn:aws:iam::1:root,x,not_supported,x,x,x,true,false,N/A,N/A,N/A,N/A,"
        "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
        "bob,arn:aws:iam::1:user/bob,x,true,N/A,x,x,false,true,2020-01-02T03:04:05+00:00,"
        "N/A,N/A,N/A,true,2021-01-01T00:00:00+00:00,2021-02-01T00:00:00+00:00,us-east-1,iam,"
        "false,N/A,false,N/A\n"
    )

    found = credential_report(rows)

    assert list(found) == ["bob"]
    bob = found["bob"]
    assert (bob.password, bob.mfa_active) == (True, False)
    assert [(k.number, k.last_rotated, k.last_used) for k in bob.keys] == [
        (1, datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC), None),
        (2, datetime(2021, 1, 1, tzinfo=UTC), datetime(2021, 2, 1, tzinfo=UTC)),
    ]
