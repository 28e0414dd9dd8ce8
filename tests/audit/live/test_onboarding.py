"""Where each user's onboarding stands (onboarding.py): reported, never failing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mfagen.audit.live import LiveOptions
from mfagen.audit.live.findings import Onboarding

from .conftest import IDENTITY, Live, iam_in


def enrol(iam: Any, user: str, device: str) -> str:
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=device)["VirtualMFADevice"]
    number = serial["SerialNumber"]
    iam.enable_mfa_device(UserName=user, SerialNumber=number, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")  # fmt: skip
    return str(number)


def mfa(name: str) -> str:
    return f"arn:aws:iam::{IDENTITY}:mfa/{name}"


def status(live: Live, **options: Any) -> dict[str, Onboarding]:
    report = live.audit(LiveOptions(**options))
    assert report.clean, report  # onboarding never fails the audit
    return {user.user: user for user in report.onboarding}


def test_the_device_the_profiles_name_another_one_or_none(live: Live) -> None:
    iam = iam_in(IDENTITY)
    enrol(iam, "alice", "alice-phone")
    enrol(iam, "bob", "bob-new-phone")

    found = status(live)

    assert found["alice"] == Onboarding(
        "alice", "enrolled", (mfa("alice-phone"),), (mfa("alice-phone"),), "closed", 0
    )
    assert found["bob"] == Onboarding(
        "bob", "other device", (mfa("bob"),), (mfa("bob-new-phone"),), "closed", 0,
        ((f"enabled {mfa('bob-new-phone')}, not {mfa('bob')} their profiles name: set "
         "mfa_device in accounts.yaml, or enrol the device named"),),
    )  # fmt: skip
    assert found["dave"].state == "not enrolled"


def test_a_device_created_but_not_enabled_or_enabled_for_someone_else(live: Live) -> None:
    iam = iam_in(IDENTITY)
    iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")
    enrol(iam, "dave", "bob")

    found = status(live)

    assert found["alice"].notes == (
        (
            f"{mfa('alice-phone')} exists but is not enabled (created, never enabled: it blocks "
            "the name until deleted)"
        ),
    )
    assert found["bob"].notes == (f"{mfa('bob')} is enabled for dave, not for them",)


def test_an_open_window_of_an_enrolled_user_is_to_be_closed(live: Live) -> None:
    enrol(iam_in(IDENTITY), "dave", "dave")

    dave = status(live)["dave"]

    assert (dave.state, dave.window) == ("enrolled", "open")
    assert dave.notes == ("has an MFA device: close the enrolment window (remove enrolment: open)",)


def test_keys_without_a_device_and_a_closed_window_cannot_enrol(live: Live) -> None:
    iam_in(IDENTITY).create_access_key(UserName="bob")

    bob = status(live)["bob"]

    assert (bob.keys, bob.window) == (1, "closed")
    assert bob.notes == (
        (
            "has active keys and no MFA device, and the window is closed: they cannot enrol "
            "(open it: enrolment: open)"
        ),
    )


def test_a_key_unused_for_90_days_is_named(live: Live) -> None:
    iam = iam_in(IDENTITY)
    enrol(iam, "alice", "alice-phone")
    iam.create_access_key(UserName="alice")

    soon = status(live, now=datetime.now(UTC) + timedelta(days=89))["alice"]
    later = status(live, now=datetime.now(UTC) + timedelta(days=91))["alice"]

    assert soon.notes == ()
    assert later.notes == ("access key 1 never used, created 91 days ago",)
