"""Read IAM back from the endpoint, per account, as plain data; and what the plan says it must be.

`read_account` lists everything IAM holds in one account (roles, groups, users, customer
managed policies, with their documents, attachments, members and tags). `expected_accounts`
builds the same shape from the `mfagen.plan.Plan` objects, so a test compares the two with
``==`` after dropping what the test itself created (`AccountState.without`).

Policy documents are compared as parsed JSON: botocore decodes the URL-encoded documents IAM
returns, so `${aws:username}` read back here is exactly what reached the endpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from mfagen import plan as mfagen_plan

from . import accounts

Document = dict[str, Any]
V = TypeVar("V")

# The names of the inline policies are the templates' (blueprints/terraform/*.tf.j2); the plan
# leaves them to the blueprints, so they are spelled out here once.
ROLE_STATEMENTS_POLICY = "TierStatements"
GROUP_ASSUME_POLICY = "AllowAssumeTierRoles"
GROUP_CONSOLE_POLICY = "TierStatementsWithMFA"


@dataclass(frozen=True)
class RoleState:
    arn: str
    path: str
    description: str
    max_session_duration: int
    trust: Document
    managed_policy_arns: frozenset[str]
    inline_policies: Mapping[str, Document]


@dataclass(frozen=True)
class GroupState:
    arn: str
    path: str
    managed_policy_arns: frozenset[str]
    inline_policies: Mapping[str, Document]
    members: frozenset[str]


@dataclass(frozen=True)
class UserState:
    arn: str
    path: str
    tags: Mapping[str, str]
    access_keys: int
    mfa_devices: frozenset[str]
    console_password: bool


@dataclass(frozen=True)
class PolicyState:
    """A customer managed policy and its default version's document."""

    arn: str
    path: str
    document: Document


@dataclass(frozen=True)
class AccountState:
    account_id: str
    roles: Mapping[str, RoleState]
    groups: Mapping[str, GroupState]
    users: Mapping[str, UserState]
    policies: Mapping[str, PolicyState]

    def without(
        self,
        *,
        roles: Iterable[str] = (),
        groups: Iterable[str] = (),
        users: Iterable[str] = (),
        policies: Iterable[str] = (),
    ) -> AccountState:
        """This state minus the named entries (what a test created outside mfagen)."""
        return replace(
            self,
            roles=_drop(self.roles, roles),
            groups=_drop(self.groups, groups),
            users=_drop(self.users, users),
            policies=_drop(self.policies, policies),
        )


def _drop(entries: Mapping[str, V], names: Iterable[str]) -> dict[str, V]:
    unwanted = set(names)
    return {name: value for name, value in entries.items() if name not in unwanted}


# ---------------------------------------------------------------- reading the endpoint


def _pages(iam: accounts.AwsClient, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    for page in iam.get_paginator(operation).paginate(**kwargs):
        yield from page[key]


def read_account(endpoint_url: str, account_id: str) -> AccountState:
    """Everything IAM holds in ``account_id`` (requests pinned to it by moto's account header)."""
    iam = accounts.client_in_account(endpoint_url, "iam", account_id)
    return AccountState(
        account_id=account_id,
        roles={
            str(r["RoleName"]): _read_role(iam, str(r["RoleName"]))
            for r in _pages(iam, "list_roles", "Roles")
        },
        groups={
            str(g["GroupName"]): _read_group(iam, str(g["GroupName"]))
            for g in _pages(iam, "list_groups", "Groups")
        },
        users={str(u["UserName"]): _read_user(iam, u) for u in _pages(iam, "list_users", "Users")},
        policies={
            str(p["PolicyName"]): PolicyState(
                arn=str(p["Arn"]),
                path=str(p["Path"]),
                document=iam.get_policy_version(
                    PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"]
                )["PolicyVersion"]["Document"],
            )
            for p in _pages(iam, "list_policies", "Policies", Scope="Local")
        },
    )


def _read_role(iam: accounts.AwsClient, name: str) -> RoleState:
    role = iam.get_role(RoleName=name)["Role"]
    return RoleState(
        arn=str(role["Arn"]),
        path=str(role["Path"]),
        description=str(role.get("Description", "")),
        max_session_duration=int(role["MaxSessionDuration"]),
        trust=role["AssumeRolePolicyDocument"],
        managed_policy_arns=frozenset(
            str(p["PolicyArn"])
            for p in _pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
        ),
        inline_policies={
            str(policy): iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            for policy in _pages(iam, "list_role_policies", "PolicyNames", RoleName=name)
        },
    )


def _read_user(iam: accounts.AwsClient, user: Any) -> UserState:
    name = user["UserName"]
    try:
        iam.get_login_profile(UserName=name)
        console_password = True
    except iam.exceptions.NoSuchEntityException:
        console_password = False
    return UserState(
        arn=str(user["Arn"]),
        path=str(user["Path"]),
        tags=_tags(_pages(iam, "list_user_tags", "Tags", UserName=name)),
        access_keys=len(list(_pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=name))),
        mfa_devices=frozenset(
            str(d["SerialNumber"])
            for d in _pages(iam, "list_mfa_devices", "MFADevices", UserName=name)
        ),
        console_password=console_password,
    )


def _read_group(iam: accounts.AwsClient, name: str) -> GroupState:
    group = iam.get_group(GroupName=name)
    return GroupState(
        arn=str(group["Group"]["Arn"]),
        path=str(group["Group"]["Path"]),
        managed_policy_arns=frozenset(
            str(p["PolicyArn"])
            for p in _pages(iam, "list_attached_group_policies", "AttachedPolicies", GroupName=name)
        ),
        inline_policies={
            str(policy): iam.get_group_policy(GroupName=name, PolicyName=policy)["PolicyDocument"]
            for policy in _pages(iam, "list_group_policies", "PolicyNames", GroupName=name)
        },
        members=frozenset(
            str(u["UserName"]) for u in _pages(iam, "get_group", "Users", GroupName=name)
        ),
    )


def _tags(tags: Iterable[Any]) -> dict[str, str]:
    return {str(tag["Key"]): str(tag["Value"]) for tag in tags}


def read_plan_accounts(endpoint_url: str, plan: mfagen_plan.Plan) -> dict[str, AccountState]:
    """`read_account` for every account of the plan, by account name (provider alias)."""
    return {p.alias: read_account(endpoint_url, p.account_id) for p in plan.providers}


# ---------------------------------------------------------------- what the plan says


def expected_accounts(plan: mfagen_plan.Plan) -> dict[str, AccountState]:
    """Per account name: exactly the IAM entities mfagen's module must create there."""
    expected = {
        provider.alias: AccountState(
            account_id=provider.account_id,
            roles={role.name: _expected_role(role) for role in plan.roles_in(provider.alias)},
            groups={},
            users={},
            policies={},
        )
        for provider in plan.providers
    }
    identity = plan.identity.alias
    policy = plan.self_service
    expected[identity] = replace(
        expected[identity],
        groups={group.name: _expected_group(group, plan) for group in plan.groups},
        users={
            # mfagen never creates access keys, MFA devices or console passwords (SPEC 4)
            user.name: UserState(
                arn=user.arn,
                path="/",
                tags=dict(user.tags),
                access_keys=0,
                mfa_devices=frozenset(),
                console_password=False,
            )
            for user in plan.users
            if plan.create_users
        },
        policies={policy.name: PolicyState(policy.arn, policy.path, policy.document)},
    )
    return expected


def _expected_role(role: mfagen_plan.Role) -> RoleState:
    return RoleState(
        arn=role.arn,
        path=role.path,
        description=role.description,
        max_session_duration=role.max_session_duration,
        trust=role.trust,
        managed_policy_arns=frozenset(role.managed_policy_arns),
        inline_policies=(
            {ROLE_STATEMENTS_POLICY: role.inline_policy} if role.inline_policy is not None else {}
        ),
    )


def _expected_group(group: mfagen_plan.Group, plan: mfagen_plan.Plan) -> GroupState:
    inline = {}
    if group.assume_policy is not None:
        inline[GROUP_ASSUME_POLICY] = group.assume_policy
    if group.console_policy is not None:
        inline[GROUP_CONSOLE_POLICY] = group.console_policy
    return GroupState(
        arn=group.arn,
        path=group.path,
        managed_policy_arns=frozenset({plan.self_service.arn, *group.managed_policy_arns}),
        inline_policies=inline,
        members=frozenset(user.name for user in plan.users if group.key in user.groups),
    )


def tier_members(plan: mfagen_plan.Plan, tier: str) -> frozenset[str]:
    """The users the plan puts in ``tier`` (through the tier's group)."""
    key = mfagen_plan.group_key(tier)
    return frozenset(user.name for user in plan.users if key in user.groups)


# ---------------------------------------------------------------- reading documents


def statements(document: Document) -> list[dict[str, Any]]:
    found = document["Statement"]
    return list(found) if isinstance(found, list) else [found]


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def admitted_users(trust: Document, identity: AccountState) -> frozenset[str]:
    """The identity account's users a trust admits, as its conditions say (MFA aside).

    `ArnEquals aws:PrincipalArn` names the users; `StringEquals aws:PrincipalTag/K` admits the
    users of the identity account whose tag K has that value. Anything else is refused here,
    so a trust mfagen does not write fails the test instead of passing unexamined.
    """
    [statement] = statements(trust)
    condition = statement["Condition"]
    by_arn = {user.arn: name for name, user in identity.users.items()}
    if "ArnEquals" in condition:
        arns = as_list(condition["ArnEquals"]["aws:PrincipalArn"])
        unknown = [arn for arn in arns if arn not in by_arn]
        assert not unknown, f"the trust names users that do not exist: {unknown}"
        return frozenset(by_arn[arn] for arn in arns)
    [(key, value)] = condition["StringEquals"].items()
    tag = key.removeprefix("aws:PrincipalTag/")
    assert tag != key, f"unexpected StringEquals key {key!r}"
    pattern = condition["ArnLike"]["aws:PrincipalArn"]
    assert pattern == f"arn:aws:iam::{identity.account_id}:user/*", pattern
    return frozenset(name for name, user in identity.users.items() if user.tags.get(tag) == value)
