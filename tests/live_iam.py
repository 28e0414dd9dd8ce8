"""IAM as an applied module holds it, made with boto3 from a plan (no Terraform), and a
snapshot of everything IAM answers to reads: for the live audit's tests and its benchmark.

`apply_plan` creates what the rendered module creates, by the blueprints' names (the live
audit of a folder rendered from the same plan finds no drift, which its tests prove);
`snapshot` is every read moto serves on the entities, for the proof that the audit writes
nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from mfagen.plan import Group, Plan, Role, SelfService

IamClient = Any
ClientFor = Callable[[str], IamClient]
"""An IAM client acting in the account of that id."""
ORGANIZATION_ROLE = "OrganizationAccountAccessRole"


def apply_plan(plan: Plan, client_for: ClientFor) -> None:
    """Create the plan's policy, groups, roles and users."""
    apply_structure(plan, client_for)
    create_users(plan, client_for(plan.identity.account_id), [u.name for u in plan.users])


def apply_structure(plan: Plan, client_for: ClientFor) -> None:
    """Create the plan's policy, groups and roles: everything but the users."""
    identity = client_for(plan.identity.account_id)
    policy = plan.self_service
    identity.create_policy(
        PolicyName=policy.name,
        Path=policy.path,
        PolicyDocument=json.dumps(policy.document),
        Description=SelfService.description,
    )
    for group in plan.groups:
        identity.create_group(GroupName=group.name, Path=group.path)
        identity.attach_group_policy(GroupName=group.name, PolicyArn=policy.arn)
        for name, document in (
            (Group.assume_policy_name, group.assume_policy),
            (Group.console_policy_name, group.console_policy),
        ):
            if document is not None:
                identity.put_group_policy(
                    GroupName=group.name, PolicyName=name, PolicyDocument=json.dumps(document)
                )
        for arn in group.managed_policy_arns:
            identity.attach_group_policy(GroupName=group.name, PolicyArn=arn)
    accounts = {provider.alias: provider.account_id for provider in plan.providers}
    for role in plan.roles:
        iam = client_for(accounts[role.account])
        iam.create_role(
            RoleName=role.name,
            Path=role.path,
            AssumeRolePolicyDocument=json.dumps(role.trust),
            Description=role.description,
            MaxSessionDuration=role.max_session_duration,
        )
        for arn in role.managed_policy_arns:
            iam.attach_role_policy(RoleName=role.name, PolicyArn=arn)
        if role.inline_policy is not None:
            iam.put_role_policy(
                RoleName=role.name,
                PolicyName=Role.inline_policy_name,
                PolicyDocument=json.dumps(role.inline_policy),
            )


def create_users(plan: Plan, identity: IamClient, users: Iterable[str]) -> None:
    """Create these users of the plan, with their tags and mfagen group memberships."""
    names = {group.key: group.name for group in plan.groups}
    wanted = set(users)
    for user in plan.users:
        if user.name not in wanted:
            continue
        tags = [{"Key": key, "Value": value} for key, value in user.tags]
        identity.create_user(UserName=user.name, Tags=tags)
        for key in user.groups:
            identity.add_user_to_group(GroupName=names[key], UserName=user.name)


def snapshot(iam: IamClient) -> str:
    """Every read moto answers about one account's IAM entities, as one JSON text."""
    found: dict[str, Any] = {}
    found["details"] = iam.get_account_authorization_details()
    users = [u["UserName"] for u in iam.list_users()["Users"]]
    for name in users:
        found[f"user {name}"] = {
            "user": iam.get_user(UserName=name)["User"],
            "groups": iam.list_groups_for_user(UserName=name)["Groups"],
            "inline": iam.list_user_policies(UserName=name)["PolicyNames"],
            "attached": iam.list_attached_user_policies(UserName=name)["AttachedPolicies"],
            "keys": iam.list_access_keys(UserName=name)["AccessKeyMetadata"],
            "devices": iam.list_mfa_devices(UserName=name)["MFADevices"],
            "tags": iam.list_user_tags(UserName=name)["Tags"],
            "login": _login(iam, name),
        }
    for group in iam.list_groups()["Groups"]:
        name = group["GroupName"]
        found[f"group {name}"] = {
            "group": iam.get_group(GroupName=name),
            "inline": iam.list_group_policies(GroupName=name)["PolicyNames"],
            "attached": iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"],
        }
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        found[f"role {name}"] = {
            "role": iam.get_role(RoleName=name)["Role"],
            "inline": iam.list_role_policies(RoleName=name)["PolicyNames"],
            "attached": iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"],
        }
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        arn = policy["Arn"]
        found[f"policy {arn}"] = {
            "policy": iam.get_policy(PolicyArn=arn)["Policy"],
            "versions": iam.list_policy_versions(PolicyArn=arn)["Versions"],
            "entities": iam.list_entities_for_policy(PolicyArn=arn),
        }
    devices = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    found["virtual devices"] = [{k: v for k, v in d.items() if k != "QRCodePNG"} for d in devices]
    found["aliases"] = iam.list_account_aliases()["AccountAliases"]
    found["password policy"] = _password_policy(iam)
    return json.dumps(_answer(found), sort_keys=True, default=str, indent=1)


def _login(iam: IamClient, name: str) -> Any:
    try:
        return iam.get_login_profile(UserName=name)["LoginProfile"]
    except iam.exceptions.NoSuchEntityException:
        return None


def _password_policy(iam: IamClient) -> Any:
    try:
        return iam.get_account_password_policy()["PasswordPolicy"]
    except iam.exceptions.NoSuchEntityException:
        return None


def _answer(data: Any) -> Any:
    """What IAM answered, without the request's metadata (its id differs on every call)."""
    if isinstance(data, dict):
        return {k: _answer(v) for k, v in data.items() if k != "ResponseMetadata"}
    if isinstance(data, list):
        return [_answer(item) for item in data]
    return data
