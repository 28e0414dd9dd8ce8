"""IAM's delete-conflict rules that moto does not enforce, checked on a recording instead.

AWS refuses (`DeleteConflict`) to delete a group that still has members or policies, and a
user who still has access keys, MFA devices, group memberships or policies. moto 5.2 deletes
them anyway (it checks only roles, and users' policies), so an apply that converges on moto
could still fail on AWS. `delete_conflicts` replays the IAM calls Terraform made in one account,
in the order the endpoint received them, over the state read back before the apply, and lists
every delete AWS would have refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .readback import AccountState


@dataclass
class _Entity:
    """What IAM would still find attached to a group or a user."""

    members: set[str] = field(default_factory=set)
    managed: set[str] = field(default_factory=set)
    inline: set[str] = field(default_factory=set)
    mfa_devices: set[str] = field(default_factory=set)
    access_keys: int = 0


# action -> (GroupName or UserName, the attribute it changes, the parameter naming the item, add?)
_CHANGES: dict[str, tuple[str, str, str, bool]] = {
    "AddUserToGroup": ("GroupName", "members", "UserName", True),
    "RemoveUserFromGroup": ("GroupName", "members", "UserName", False),
    "AttachGroupPolicy": ("GroupName", "managed", "PolicyArn", True),
    "DetachGroupPolicy": ("GroupName", "managed", "PolicyArn", False),
    "PutGroupPolicy": ("GroupName", "inline", "PolicyName", True),
    "DeleteGroupPolicy": ("GroupName", "inline", "PolicyName", False),
    "AttachUserPolicy": ("UserName", "managed", "PolicyArn", True),
    "DetachUserPolicy": ("UserName", "managed", "PolicyArn", False),
    "PutUserPolicy": ("UserName", "inline", "PolicyName", True),
    "DeleteUserPolicy": ("UserName", "inline", "PolicyName", False),
    "EnableMFADevice": ("UserName", "mfa_devices", "SerialNumber", True),
    "DeactivateMFADevice": ("UserName", "mfa_devices", "SerialNumber", False),
}


def delete_conflicts(before: AccountState, calls: Iterable[Mapping[str, str]]) -> list[str]:
    """The deletes among ``calls`` (query parameters, in order) that AWS would refuse."""
    entities: dict[tuple[str, str], _Entity] = {}
    for name, group in before.groups.items():
        entities["GroupName", name] = _Entity(
            set(group.members), set(group.managed_policy_arns), set(group.inline_policies)
        )
    for name, user in before.users.items():
        entities["UserName", name] = _Entity(
            mfa_devices=set(user.mfa_devices), access_keys=user.access_keys
        )
    refused: list[str] = []
    for call in calls:
        action = call.get("Action", "")
        if action in _CHANGES:
            kind, attribute, item, add = _CHANGES[action]
            items: set[str] = getattr(entities.setdefault((kind, call[kind]), _Entity()), attribute)
            (items.add if add else items.discard)(call[item])
        elif action in ("CreateAccessKey", "DeleteAccessKey"):
            user = entities.setdefault(("UserName", call["UserName"]), _Entity())
            user.access_keys += 1 if action == "CreateAccessKey" else -1
        elif action == "DeleteGroup":
            group = entities.pop(("GroupName", call["GroupName"]), _Entity())
            if group != _Entity():
                refused.append(f"DeleteGroup {call['GroupName']}: still has {group}")
        elif action == "DeleteUser":
            name = call["UserName"]
            user = entities.pop(("UserName", name), _Entity())
            groups = sorted(
                g for (kind, g), e in entities.items() if kind == "GroupName" and name in e.members
            )
            if user != _Entity() or groups:
                refused.append(f"DeleteUser {name}: still has {user}, member of {groups}")
    return refused
