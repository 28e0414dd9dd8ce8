"""Memberships and attachments: who is in which group, which policy is attached to whom.

And what the audit flags by its mere presence: credentials (whose secrets would land in the
Terraform state), module calls and resource types it does not model.
"""

from __future__ import annotations

from mfagen.audit.model import Location, Stray
from mfagen.audit.read.expressions import Each
from mfagen.audit.read.hcl_blocks import Block
from mfagen.audit.read.resources import Owner, Reader

CREDENTIALS = {
    "aws_iam_access_key": "an access key",
    "aws_iam_user_login_profile": "a console password",
    "aws_iam_service_specific_credential": "a service-specific credential",
    "aws_iam_signing_certificate": "a signing certificate",
    "aws_iam_user_ssh_key": "an SSH key",
    "aws_iam_virtual_mfa_device": "a virtual MFA device (its seed)",
}
PRINCIPALS = ("aws_iam_policy", "aws_iam_group", "aws_iam_role")
LINKS = (
    "aws_iam_user_group_membership",
    "aws_iam_group_membership",
    "aws_iam_group_policy",
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy_attachment",
    "aws_iam_role_policy_attachment",
    "aws_iam_user_policy_attachment",
    "aws_iam_policy_attachment",
)
MODELLED = (*PRINCIPALS, "aws_iam_user", *LINKS)
HARMLESS = {
    "terraform", "provider", "locals", "data", "output", "variable", "moved", "import", "check",
    "removed", "resource",
}  # fmt: skip


def link(reader: Reader, block: Block) -> None:
    """One membership or attachment resource, each of its instances."""
    kind = block.labels[0]
    for key, each in reader.instances(block):
        where = reader.where(block, key)
        if kind == "aws_iam_user_group_membership":
            user = reader.user(reader.text(block, "user", each), where)
            groups = [reader.group_key(g, where) for g in reader.texts(block, "groups", each)]
            reader.members[user].extend(g for g in groups if g)
        elif kind == "aws_iam_group_membership":
            group = reader.group_key(reader.text(block, "group", each), where)
            for name in reader.texts(block, "users", each):
                reader.members[reader.user(name, where)].extend([group] if group else [])
        else:
            for owner in _owners(reader, block, each, where):
                if kind.endswith("_policy"):
                    name = reader.text(block, "name", each)
                    reader.inline(block, owner, where, name, block.body.get("policy"))
                else:
                    reader.managed(owner, where, reader.text(block, "policy_arn", each))


def _owners(reader: Reader, block: Block, each: Each | None, where: Location) -> list[Owner]:
    _, account = reader.account(block, each)
    if block.labels[0] == "aws_iam_policy_attachment":
        users = [reader.user(u, where) for u in reader.texts(block, "users", each)]
        groups = [reader.group_key(g, where) for g in reader.texts(block, "groups", each)]
        roles = [reader.role_arn(r, account, where) for r in reader.texts(block, "roles", each)]
        return [
            *(("user", u) for u in users),
            *(("group", g) for g in groups if g),
            *(("role", r) for r in roles if r),
        ]
    target = block.labels[0].removeprefix("aws_iam_").split("_")[0]
    name = reader.text(block, target, each)
    if target == "group":
        owner = reader.group_key(name, where)
    elif target == "role":
        owner = reader.role_arn(name, account, where)
    else:
        owner = reader.user(name, where)
    return [(target, owner)] if owner else []


def strays(reader: Reader) -> None:
    for block in reader.blocks:
        where = Location(block.file, block.line, block.address)
        kind = block.labels[0] if block.kind == "resource" else ""
        if block.kind == "module":
            reader.strays.append(Stray(where, "module", "calls a module the audit cannot read"))
        elif kind in CREDENTIALS:
            reader.strays.append(
                Stray(where, "4", f"creates {CREDENTIALS[kind]}: mfagen never creates "
                      "credentials, their secrets would land in the Terraform state")
            )  # fmt: skip
        elif kind and kind not in MODELLED:
            reader.strays.append(Stray(where, "module", f"the audit does not model {kind}"))
        elif block.kind not in HARMLESS:
            reader.strays.append(Stray(where, "module", f"unknown block {block.kind!r}"))
