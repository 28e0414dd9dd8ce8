"""AWS managed policies, known by name: the presets as AWS publishes them, the rest opaque.

The audit cannot read an AWS managed policy from the Terraform, so it models the four presets
from their published documents (ReadOnlyAccess as a grant of read actions) and treats any
other managed policy as an opaque grant that may allow anything. Opaque grants only ever
widen what the audit assumes a principal may do, never narrow it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from mfagen.audit.policy.evaluate import Policy, StatementRef
from mfagen.audit.policy.grammar import compile_policy

AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"

READ_ACTIONS = (
    "*:Get*",
    "*:List*",
    "*:Describe*",
    "*:BatchGet*",
    "*:Head*",
    "*:Search*",
    "*:Lookup*",
    "*:View*",
)
"""ReadOnlyAccess, modelled as what its actions have in common: reading."""

KNOWN: dict[str, list[dict[str, Any]]] = {
    "AdministratorAccess": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    "PowerUserAccess": [
        {
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "account:GetAccountInformation",
                "account:GetGovCloudAccountInformation",
                "account:GetPrimaryEmail",
                "account:ListRegions",
                "iam:CreateServiceLinkedRole",
                "iam:DeleteServiceLinkedRole",
                "iam:ListRoles",
                "organizations:DescribeEffectivePolicy",
                "organizations:DescribeOrganization",
            ],
            "Resource": "*",
        },
    ],
    "ReadOnlyAccess": [{"Effect": "Allow", "Action": list(READ_ACTIONS), "Resource": "*"}],
    "AmazonS3FullAccess": [
        {"Effect": "Allow", "Action": ["s3:*", "s3-object-lambda:*"], "Resource": "*"}
    ],
}
OPAQUE = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]


def is_aws_managed(arn: str) -> bool:
    return arn.startswith(AWS_POLICY_PREFIX)


def managed_policy(arn: str, where: StatementRef) -> Policy:
    """The model of an AWS managed policy attached at `where` (an attachment resource)."""
    name = arn.rsplit("/", 1)[-1]
    known = KNOWN.get(name) if is_aws_managed(arn) else None
    statements = known if known is not None else OPAQUE
    label = f"AWS managed {name}" if known is not None else f"{name}, opaque: may allow anything"
    sid_line = {f"#{i + 1}": where.line for i in range(len(statements))}
    policy = compile_policy(
        {"Version": "2012-10-17", "Statement": statements},
        name=arn,
        where=StatementRef(where.file, where.line, where.address, label, "", "Allow"),
        sid_line=sid_line,
    )
    if known is None:
        return Policy(policy.name, policy.statements, opaque=True)
    return policy


@cache
def outside_grant() -> Policy:
    """What SPEC invariant 3 guards against: another policy on the user that allows everything."""
    where = StatementRef(
        "(assumed)", 0, "a policy mfagen does not manage", "allows everything", "", "Allow"
    )
    return compile_policy(
        {"Version": "2012-10-17", "Statement": OPAQUE}, name="(outside grant)", where=where
    )
