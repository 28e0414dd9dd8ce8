"""IAM users outside accounts.yaml (outsiders.py): failed when their long-term credentials
alone reach more than mfagen's users' keys, listed when accounts.yaml acknowledges them."""

from __future__ import annotations

import json
from typing import Any

from mfagen.audit.live.findings import SHOWN

from .conftest import DEV, EVERYTHING, IDENTITY, Live, iam_in


def allow(action: str, resource: str = "*") -> str:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def outside_user(iam: Any, name: str, policy: str, *, key: bool = True) -> str:
    arn = str(iam.create_user(UserName=name)["User"]["Arn"])
    iam.put_user_policy(UserName=name, PolicyName="P", PolicyDocument=policy)
    if key:
        iam.create_access_key(UserName=name)
    return arn


def test_keys_that_reach_no_more_than_mfagen_users_keys_pass(live: Live) -> None:
    outside_user(iam_in(IDENTITY), "lister", allow("iam:ListVirtualMFADevices"))

    assert live.audit().clean


def test_keys_that_reach_more_fail_with_the_statement_behind_it(live: Live) -> None:
    arn = outside_user(iam_in(IDENTITY), "reader", allow("s3:GetObject"))

    report = live.audit()

    (finding,) = report.outsiders
    assert (finding.account, finding.entity) == (f"identity ({IDENTITY})", arn)
    assert finding.message == (
        "reader is not in accounts.yaml, and their long-term credentials alone can do 1 thing "
        "mfagen's users' keys cannot"
    )
    assert finding.evidence == (
        "can: s3:GetObject on *",
        f"allowed by iam:{IDENTITY} {arn} (P) statement #1",
    )


def test_a_role_their_keys_can_assume_is_beyond_mfagen_users(live: Live) -> None:
    dev = iam_in(DEV)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"}}]}  # fmt: skip
    dev.create_role(RoleName="Deploy", AssumeRolePolicyDocument=json.dumps(trust))
    role = f"arn:aws:iam::{DEV}:role/Deploy"
    outside_user(dev, "deployer", allow("sts:AssumeRole", role))

    (finding,) = live.audit().outsiders

    assert finding.evidence[0] == f"can: sts:AssumeRole on {role}"


def test_a_password_counts_without_an_mfa_device_and_no_credential_not_at_all(
    live: Live,
) -> None:
    dev = iam_in(DEV)
    outside_user(dev, "parked", EVERYTHING, key=False)
    arn = outside_user(dev, "console", EVERYTHING, key=False)
    dev.create_login_profile(UserName="console", Password="a-Long-password-1")

    report = live.audit()

    assert [f.entity for f in report.outsiders] == [arn]


def test_an_acknowledged_machine_user_iam_lacks_is_listed(live: Live) -> None:
    report = live.audit()

    assert report.clean
    assert [(m.account, m.name, m.arn, m.reaches) for m in report.machines] == [
        (f"dev ({DEV})", "ci", None, ())
    ]


def test_past_a_few_requests_the_rest_are_counted(live: Live) -> None:
    outside_user(iam_in(DEV), "root-like", EVERYTHING)

    (finding,) = live.audit().outsiders

    things = int(finding.message.split(" can do ")[1].split()[0])
    named, rest = finding.evidence[0].removeprefix("can: ").split(" ... and ")
    assert len(named.split("; ")) == SHOWN
    assert rest == f"{things - SHOWN} more"
