"""The delete-conflict replay refuses what AWS refuses (no endpoint needed)."""

from __future__ import annotations

from .deleterules import delete_conflicts
from .readback import AccountState, GroupState, UserState


def user(access_keys: int = 0, mfa_devices: frozenset[str] = frozenset()) -> UserState:
    return UserState("arn:aws:iam::1:user/u", "/", {}, access_keys, mfa_devices, False)


BEFORE = AccountState(
    account_id="111111111111",
    roles={},
    groups={
        "G": GroupState(
            "arn:aws:iam::1:group/G", "/", frozenset({"P"}), {"I": {}}, frozenset({"bob", "carol"})
        )
    },
    users={"bob": user(), "carol": user(access_keys=1, mfa_devices=frozenset({"S"}))},
    policies={},
)
EMPTY_THE_GROUP = [
    {"Action": "DetachGroupPolicy", "GroupName": "G", "PolicyArn": "P"},
    {"Action": "DeleteGroupPolicy", "GroupName": "G", "PolicyName": "I"},
    {"Action": "RemoveUserFromGroup", "GroupName": "G", "UserName": "carol"},
]


def test_deleting_a_group_with_a_member_left_is_refused() -> None:
    calls = [*EMPTY_THE_GROUP, {"Action": "DeleteGroup", "GroupName": "G"}]

    [refused] = delete_conflicts(BEFORE, calls)

    assert refused.startswith("DeleteGroup G: still has _Entity(members={'bob'}")


def test_deleting_a_user_with_keys_or_an_mfa_device_is_refused() -> None:
    calls = [
        {"Action": "RemoveUserFromGroup", "GroupName": "G", "UserName": "carol"},
        {"Action": "DeleteAccessKey", "UserName": "carol", "AccessKeyId": "AKIA1"},
        {"Action": "DeleteUser", "UserName": "carol"},
    ]

    [refused] = delete_conflicts(BEFORE, calls)

    assert refused.startswith("DeleteUser carol: still has _Entity(")
    assert "mfa_devices={'S'}" in refused


def test_deletes_after_everything_is_detached_pass() -> None:
    calls = [
        *EMPTY_THE_GROUP,
        {"Action": "RemoveUserFromGroup", "GroupName": "G", "UserName": "bob"},
        {"Action": "DeleteGroup", "GroupName": "G"},
        {"Action": "DeleteAccessKey", "UserName": "carol", "AccessKeyId": "AKIA1"},
        {"Action": "DeactivateMFADevice", "UserName": "carol", "SerialNumber": "S"},
        {"Action": "DeleteUser", "UserName": "carol"},
    ]

    assert delete_conflicts(BEFORE, calls) == []
