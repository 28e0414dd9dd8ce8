"""The requests the audit asks about: who, in what MFA state, doing what to what.

IAM's action catalogue below covers what the invariants are about: every IAM action on a user
or MFA device (from the Service Authorization Reference), plus the actions the module's own
policies name (wildcards sampled), plus a spread of other services.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from mfagen import iam
from mfagen.audit.policy.evaluate import Policy, Request
from mfagen.audit.policy.matching import Context

MfaState = Literal["fresh", "absent", "false", "old"]
NO_MFA: tuple[MfaState, ...] = ("absent", "false")
"""The states without MFA: the key absent (long-term keys) or set to false."""
MFA_PRESENT = iam.MFA_PRESENT.lower()
MFA_AGE = iam.MFA_AGE.lower()
MFA_KEYS = frozenset({MFA_PRESENT, MFA_AGE})
"""The context keys `context` sets from the MFA state, and nothing else sets (lower case,
as requests are looked up)."""
FRESH_AGE = 5
PROBE = "MfagenAuditProbe"
FOREIGN_ACCOUNT = "999999999999"

USER_ACTIONS = (
    "iam:AttachUserPolicy", "iam:ChangePassword", "iam:CreateAccessKey",
    "iam:CreateLoginProfile", "iam:CreateServiceSpecificCredential", "iam:CreateUser",
    "iam:DeactivateMFADevice", "iam:DeleteAccessKey", "iam:DeleteLoginProfile",
    "iam:DeleteSSHPublicKey", "iam:DeleteServiceSpecificCredential",
    "iam:DeleteSigningCertificate", "iam:DeleteUser", "iam:DeleteUserPermissionsBoundary",
    "iam:DeleteUserPolicy", "iam:DetachUserPolicy", "iam:EnableMFADevice",
    "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile", "iam:GetMFADevice",
    "iam:GetSSHPublicKey", "iam:GetUser", "iam:GetUserPolicy", "iam:ListAccessKeys",
    "iam:ListAttachedUserPolicies", "iam:ListGroupsForUser", "iam:ListMFADevices",
    "iam:ListSSHPublicKeys", "iam:ListServiceSpecificCredentials",
    "iam:ListSigningCertificates", "iam:ListUserPolicies", "iam:ListUserTags",
    "iam:PutUserPermissionsBoundary", "iam:PutUserPolicy", "iam:ResetServiceSpecificCredential",
    "iam:ResyncMFADevice", "iam:TagUser", "iam:UntagUser", "iam:UpdateAccessKey",
    "iam:UpdateLoginProfile", "iam:UpdateSSHPublicKey", "iam:UpdateServiceSpecificCredential",
    "iam:UpdateSigningCertificate", "iam:UpdateUser", "iam:UploadSSHPublicKey",
    "iam:UploadSigningCertificate",
)  # fmt: skip
"""IAM actions whose resource is a user."""

SELF_ONLY = ("iam:ChangePassword",)
"""Actions that always act on the caller's own user (no user name parameter)."""

MFA_DEVICE_ACTIONS = (
    "iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice", "iam:ListMFADeviceTags",
    "iam:TagMFADevice", "iam:UntagMFADevice",
)  # fmt: skip
"""IAM actions whose resource is an MFA device (`arn:aws:iam::<id>:mfa/<name>`)."""

OWN_USER_SAFE = frozenset(
    a.lower()
    for a in USER_ACTIONS
    if a.split(":")[1].startswith(("Get", "List"))
    or a
    in (
        "iam:ChangePassword", "iam:CreateAccessKey", "iam:DeleteAccessKey",
        "iam:UpdateAccessKey", "iam:DeactivateMFADevice", "iam:EnableMFADevice",
        "iam:ResyncMFADevice", "iam:DeleteSSHPublicKey", "iam:UpdateSSHPublicKey",
        "iam:UploadSSHPublicKey", "iam:CreateServiceSpecificCredential",
        "iam:DeleteServiceSpecificCredential", "iam:ResetServiceSpecificCredential",
        "iam:UpdateServiceSpecificCredential", "iam:DeleteSigningCertificate",
        "iam:UpdateSigningCertificate", "iam:UploadSigningCertificate",
    )
)  # fmt: skip
"""What a user may do to their own user (invariant 4): read it, manage credentials and MFA."""

NO_MFA_OWN_USER = frozenset(
    a.lower()
    for a in (
        "iam:ChangePassword", "iam:EnableMFADevice", "iam:GetMFADevice", "iam:GetUser",
        "iam:ListMFADevices", "iam:ResyncMFADevice",
    )
)  # fmt: skip
"""Invariant 3: without MFA, on their own user: enrol and manage their MFA, change the password."""

NO_MFA_ANYWHERE = frozenset(
    a.lower()
    for a in (
        "iam:CreateVirtualMFADevice", "iam:GetAccountPasswordPolicy",
        "iam:ListVirtualMFADevices", "sts:GetSessionToken", "sts:GetCallerIdentity",
    )
)  # fmt: skip
"""Invariant 3: without MFA, on any resource (devices have free names; the rest are unscoped)."""

ENROL = (
    ("iam:CreateVirtualMFADevice", "device"),
    ("iam:EnableMFADevice", "self"),
    ("iam:ListMFADevices", "self"),
    ("iam:ListVirtualMFADevices", "*"),
)
"""Invariant 3: what every user must be able to do without MFA to enrol a device."""

GATED = (("iam:CreateVirtualMFADevice", "device"), ("iam:EnableMFADevice", "self"))
"""Invariant 3: what enrols a device. Without MFA, only a user whose enrolment window is open
may do it; for everyone else an explicit Deny must refuse it, whatever else allows it."""

ENROL_CLOSED = tuple(wanted for wanted in ENROL if wanted not in GATED)
"""Invariant 3: what a user whose enrolment window is closed must still do without MFA."""

MANAGE_WITH_MFA = (*ENROL, ("iam:ResyncMFADevice", "self"), ("iam:DeactivateMFADevice", "self"))

OWN_CHANGES = (
    "iam:TagUser", "iam:UntagUser", "iam:AttachUserPolicy", "iam:DetachUserPolicy",
    "iam:PutUserPolicy", "iam:DeleteUserPolicy", "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary", "iam:UpdateUser",
)  # fmt: skip
MEMBERSHIP_CHANGES = ("iam:AddUserToGroup", "iam:RemoveUserFromGroup")
GROUP_POLICY_CHANGES = (
    "iam:AttachGroupPolicy", "iam:DetachGroupPolicy", "iam:PutGroupPolicy",
    "iam:DeleteGroupPolicy",
)  # fmt: skip
POLICY_CHANGES = (
    "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion",
    "iam:DeletePolicy",
)  # fmt: skip
"""Invariant 4: nobody changes their own tags, policies or mfagen's groups."""

OTHER_SERVICES = (
    "s3:ListAllMyBuckets", "s3:GetObject", "s3:PutObject", "ec2:DescribeInstances",
    "ec2:RunInstances", "lambda:InvokeFunction", "kms:Decrypt", "secretsmanager:GetSecretValue",
    "organizations:ListAccounts", "iam:CreateUser", "iam:CreateRole", "iam:PassRole",
    "iam:ListUsers", "iam:UpdateAssumeRolePolicy", "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession", "sso:ListInstances", "cloudtrail:StopLogging",
)  # fmt: skip


@dataclass(frozen=True)
class Actor:
    """Someone calling AWS: an IAM user of the module, or a principal the audit invents."""

    name: str
    arn: str
    account: str
    kind: Literal["user", "role"]
    tags: tuple[tuple[str, str], ...] = ()

    def __hash__(self) -> int:
        # Actors key the audit's caches, millions of lookups: hash the fields once.
        found: int | None = self.__dict__.get("_hash")
        if found is None:
            found = hash((self.name, self.arn, self.account, self.kind, self.tags))
            object.__setattr__(self, "_hash", found)
        return found


def context(actor: Actor, mfa: MfaState, age: int | None = None) -> Context:
    found: dict[str, tuple[str, ...]] = {
        "aws:principalarn": (actor.arn,),
        "aws:principalaccount": (actor.account,),
        "aws:principaltype": ("User" if actor.kind == "user" else "AssumedRole",),
        "aws:securetransport": ("true",),
    }
    if actor.kind == "user":
        found["aws:username"] = (actor.name,)
    for key, value in actor.tags:
        found[f"aws:principaltag/{key.lower()}"] = (value,)
    if mfa == "false":
        found[MFA_PRESENT] = ("false",)
    elif mfa in ("fresh", "old"):
        found[MFA_PRESENT] = ("true",)
        found[MFA_AGE] = (str(age if mfa == "old" else FRESH_AGE),)
    return found


def request(actor: Actor, action: str, resource: str, ctx: Context) -> Request:
    return Request(action, resource, ctx, actor.arn, actor.account)


def role_targets(roles: Iterable[tuple[str, str, str]], accounts: Iterable[str]) -> list[str]:
    """Roles to try sts:AssumeRole on, from (account, path+name, ARN) of the module's roles:
    each of them; each name in a foreign account (policies that match role names in any
    account); an unrelated role at the root path everywhere.

    mfagen owns its IAM path in its accounts (a large configuration's self-service policy
    names that path per account, and `mfagen render` refuses the fallback when the path is
    `/`): roles at that path that the module does not create are not probed."""
    found = {arn for _, _, arn in roles}
    everywhere = sorted({*accounts, FOREIGN_ACCOUNT})
    for name in sorted({name for _, name, _ in roles}):
        found.add(f"arn:aws:iam::{FOREIGN_ACCOUNT}:role{name}")
    found |= {f"arn:aws:iam::{a}:role/mfagen-audit-role" for a in everywhere}
    return sorted(found)


def sampled_actions(policies: Iterable[Policy]) -> tuple[str, ...]:
    """Every action the policies name, with each wildcard replaced by a probe name."""
    found: set[str] = set()
    for policy in policies:
        for statement in policy.statements:
            for patterns in (statement.actions, statement.not_actions):
                for pattern in patterns.patterns if patterns else ():
                    if pattern == "*" or ":" not in pattern:
                        continue
                    found.add(pattern.replace("*", PROBE).replace("?", "X"))
    return tuple(sorted(found))
