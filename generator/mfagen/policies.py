"""IAM policy documents, built as plain data. Templates only lay them out.

Every document here is deterministic: statements in a fixed order, lists sorted where order
carries no meaning. `${aws:username}` is IAM's policy variable and stays as written; the HCL
layer escapes it for Terraform.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mfagen.iam import ASSUME_ROLE, MFA_AGE, MFA_PRESENT
from mfagen.models import Statement

Document = dict[str, Any]
VERSION = "2012-10-17"
PRINCIPAL_ARN = "aws:PrincipalArn"
USERNAME = "aws:username"
PRINCIPAL_TAG = "aws:PrincipalTag/"
ENROLMENT_GATE_SID = "DenyEnrollingMFADevicesWithoutMFAUnlessOpen"
SELF = "${aws:username}"


@dataclass(frozen=True)
class OpenByTag:
    """The enrolment gate exempts users carrying the tag `key` = `value`.

    One condition for any number of open windows: opening one tags a user and leaves the
    policy as it is. A user without the tag is refused (a negated operator is true when the
    key is absent), and nobody may tag themselves (DenyChangingOwnTagsAndPolicies).
    """

    key: str
    value: str


@dataclass(frozen=True)
class OpenByName:
    """The enrolment gate exempts the users named here: for users mfagen does not create
    (create_users: false), which it cannot tag. Each name costs the policy's quota."""

    names: tuple[str, ...]


EnrolmentGate = OpenByTag | OpenByName

NO_MFA_ALLOWED_ACTIONS = (
    "iam:ChangePassword",
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:GetAccountPasswordPolicy",
    "iam:GetMFADevice",
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:ResyncMFADevice",
    "sts:GetSessionToken",
)
"""What long-term keys may still do without MFA when enforce_mfa is on (SPEC invariant 3).

Besides these, `sts:AssumeRole` stays open on mfagen's own roles only: their trusts demand
MFA themselves, and the CLI's AssumeRole call carries the MFA code but is signed with the
long-term keys (whether IAM then sees the caller as MFA-authenticated is not documented).
Any other role stays out of reach without MFA, even for a console group holding `sts:*`.
"""

ENROL_ACTIONS = ("iam:CreateVirtualMFADevice", "iam:EnableMFADevice")
"""What enrols an MFA device. Without MFA, only users whose enrolment window is open may call
them (SPEC invariant 3): whoever holds the long-term keys of a user without a device would
otherwise enrol a device of their own and pass every trust's MFA condition."""

NO_MFA_OWN_USER_ACTIONS = (
    "iam:ChangePassword",
    "iam:EnableMFADevice",
    "iam:GetMFADevice",
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:ResyncMFADevice",
)
"""The exempt actions that name a user: without MFA, only on one's own user (a console group's
AdministratorAccess would otherwise let long-term keys enable a device on someone else)."""

OWN_USER_ACTIONS = (
    "iam:ChangePassword",
    "iam:CreateAccessKey",
    "iam:DeactivateMFADevice",
    "iam:DeleteAccessKey",
    "iam:EnableMFADevice",
    "iam:GetAccessKeyLastUsed",
    "iam:GetLoginProfile",
    "iam:GetMFADevice",
    "iam:GetUser",
    "iam:ListAccessKeys",
    "iam:ListMFADevices",
    "iam:ResyncMFADevice",
    "iam:UpdateAccessKey",
)

OWN_USER_DENIED_ACTIONS = (
    "iam:AttachUserPolicy",
    "iam:DeleteUserPermissionsBoundary",
    "iam:DeleteUserPolicy",
    "iam:DetachUserPolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:PutUserPolicy",
    "iam:TagUser",
    "iam:UntagUser",
    "iam:UpdateUser",
)
"""Nobody changes their own tags (tier trusts and the enrolment gate read them), policies or
name (the enrolment gate names users by aws:username where it cannot tag them)."""
GROUP_DENIED_ACTIONS = (
    "iam:AddUserToGroup",
    "iam:AttachGroupPolicy",
    "iam:DeleteGroupPolicy",
    "iam:DetachGroupPolicy",
    "iam:PutGroupPolicy",
    "iam:RemoveUserFromGroup",
)
POLICY_DENIED_ACTIONS = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
)


def minified_length(document: Document) -> int:
    """Length as IAM counts it for quotas: the JSON without whitespace."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def _one_or_many(values: Sequence[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else list(values)


def document(*statements: dict[str, Any]) -> Document:
    return {"Version": VERSION, "Statement": list(statements)}


def trust_by_arns(
    identity_id: str, member_arns: Iterable[str], mfa_max_age: int | None
) -> Document:
    """Only the listed users of the identity account, with MFA, may assume the role."""
    condition = _mfa_condition(mfa_max_age)
    condition["ArnEquals"] = {PRINCIPAL_ARN: _one_or_many(sorted(member_arns))}
    return document(_assume_statement(identity_id, condition))


def trust_by_tag(identity_id: str, tag: str, mfa_max_age: int | None) -> Document:
    """Users of the identity account carrying the tier's tag, with MFA, may assume the role.

    Scales to any number of members; users cannot tag themselves (the self-service policy
    denies iam:TagUser on one's own user).
    """
    condition = _mfa_condition(mfa_max_age)
    condition["StringEquals"] = {f"{PRINCIPAL_TAG}{tag}": "true"}
    condition["ArnLike"] = {PRINCIPAL_ARN: f"arn:aws:iam::{identity_id}:user/*"}
    return document(_assume_statement(identity_id, condition))


def _mfa_condition(mfa_max_age: int | None) -> dict[str, Any]:
    condition: dict[str, Any] = {"Bool": {MFA_PRESENT: "true"}}
    if mfa_max_age is not None:
        condition["NumericLessThan"] = {MFA_AGE: str(mfa_max_age)}
    return condition


def _assume_statement(identity_id: str, condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Sid": "AssumeWithMFA",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{identity_id}:root"},
        "Action": ASSUME_ROLE,
        "Condition": condition,
    }


def assume_roles(role_arns: Iterable[str]) -> Document:
    """A group's permission to assume exactly its tier's roles."""
    return document(
        {
            "Sid": "AssumeTierRoles",
            "Effect": "Allow",
            "Action": ASSUME_ROLE,
            "Resource": _one_or_many(sorted(role_arns)),
        }
    )


def custom(statements: Sequence[Statement], *, require_mfa: bool) -> Document:
    """A tier's own statements; for a console group each Allow also demands MFA."""
    rendered = []
    for index, statement in enumerate(statements):
        data = statement_data(statement, index)
        if require_mfa and statement.effect == "Allow":
            condition = dict(data.get("Condition", {}))
            condition["Bool"] = {**condition.get("Bool", {}), MFA_PRESENT: "true"}
            data["Condition"] = condition
        rendered.append(data)
    return document(*rendered)


def statement_data(statement: Statement, index: int) -> dict[str, Any]:
    data: dict[str, Any] = {"Sid": statement.sid or f"Statement{index + 1}"}
    data["Effect"] = statement.effect
    for key, values in (
        ("Action", statement.actions),
        ("NotAction", statement.not_actions),
        ("Resource", statement.resources),
        ("NotResource", statement.not_resources),
    ):
        if values is not None:
            data[key] = _one_or_many(values)
    if statement.conditions:
        data["Condition"] = {
            operator: {
                key: value if isinstance(value, str) else _one_or_many(value)
                for key, value in keys.items()
            }
            for operator, keys in statement.conditions.items()
        }
    return data


def _exempt(gate: EnrolmentGate) -> dict[str, Any]:
    """The gate's test of who is refused: not the open users."""
    if isinstance(gate, OpenByTag):
        return {"StringNotEquals": {f"{PRINCIPAL_TAG}{gate.key}": gate.value}}
    if gate.names:
        return {"StringNotEquals": {USERNAME: _one_or_many(sorted(gate.names))}}
    return {}


def self_service(
    identity_id: str,
    *,
    enforce_mfa: bool,
    group_arns: Sequence[str],
    policy_arn: str,
    role_patterns: Sequence[str],
    gate: EnrolmentGate,
) -> Document:
    """ManageMFAPolicy: every user enrols and manages their own MFA device and credentials.

    Without MFA, only the users the `gate` exempts (their enrolment window is open) may create
    or enable an MFA device: an explicit Deny refuses everyone else, whatever other policy
    allows it. With
    `enforce_mfa`, long-term keys without MFA can do nothing but self-service. Nobody may
    change their own tags, policies, name or mfagen's groups: they decide who assumes what.
    """
    own_user = f"arn:aws:iam::{identity_id}:user/{SELF}"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AllowListingMFADevicesAndPasswordPolicy",
            "Effect": "Allow",
            "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
            "Resource": "*",
        },
        {
            "Sid": "AllowCreatingVirtualMFADevices",
            "Effect": "Allow",
            "Action": "iam:CreateVirtualMFADevice",
            "Resource": f"arn:aws:iam::{identity_id}:mfa/*",
        },
        {
            "Sid": "AllowManagingOwnUserMFAAndKeys",
            "Effect": "Allow",
            "Action": list(OWN_USER_ACTIONS),
            "Resource": own_user,
        },
    ]
    no_mfa = {"BoolIfExists": {MFA_PRESENT: "false"}}
    statements.append(
        {
            "Sid": ENROLMENT_GATE_SID,
            "Effect": "Deny",
            "Action": list(ENROL_ACTIONS),
            "Resource": "*",
            "Condition": {**no_mfa, **_exempt(gate)},
        }
    )
    if enforce_mfa:
        exempt = sorted([*NO_MFA_ALLOWED_ACTIONS, *([ASSUME_ROLE] if role_patterns else [])])
        statements.append(
            {
                "Sid": "DenyAllExceptListedIfNoMFA",
                "Effect": "Deny",
                "NotAction": exempt,
                "Resource": "*",
                "Condition": no_mfa,
            }
        )
        statements.append(
            {
                "Sid": "DenyOtherUsersIfNoMFA",
                "Effect": "Deny",
                "Action": list(NO_MFA_OWN_USER_ACTIONS),
                "NotResource": own_user,
                "Condition": no_mfa,
            }
        )
        if role_patterns:
            statements.append(
                {
                    "Sid": "DenyAssumingOtherRolesIfNoMFA",
                    "Effect": "Deny",
                    "Action": ASSUME_ROLE,
                    "NotResource": _one_or_many(sorted(role_patterns)),
                    "Condition": no_mfa,
                }
            )
    statements.append(
        {
            "Sid": "DenyChangingOwnTagsAndPolicies",
            "Effect": "Deny",
            "Action": list(OWN_USER_DENIED_ACTIONS),
            "Resource": own_user,
        }
    )
    statements.append(
        {
            "Sid": "DenyChangingMFAGroupsAndThisPolicy",
            "Effect": "Deny",
            "Action": sorted(GROUP_DENIED_ACTIONS + POLICY_DENIED_ACTIONS),
            "Resource": sorted([*group_arns, policy_arn]),
        }
    )
    return document(*statements)
