"""`render --adopt`: which planned resources exist already, so Terraform imports them.

Each role, group, policy and user of the plan is looked up with read-only IAM calls, with the
credentials the Terraform providers use (the caller's, then each account's terraform_role). What
exists becomes an `import` (the AWS provider 5.x import id formats); what an adopted resource
carries that mfagen will not manage, or will replace, becomes a warning.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import boto3  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    NoCredentialsError,
)

from mfagen.errors import AwsError
from mfagen.plan import Group, Plan, Provider, Role, User

SESSION_NAME = "mfagen-adopt"


Reply = dict[str, Any]
"""An IAM API response, as boto3 returns it (policy documents already decoded)."""


class Pages(Protocol):
    """A boto3 paginator: every page of one IAM list call, following Marker/IsTruncated."""

    def paginate(self, **kwargs: str) -> Iterable[Reply]: ...


class IamClient(Protocol):
    """The read-only IAM calls adopt makes (boto3's names); a boto3 IAM client has them all.

    Lists are read through boto3's paginators, page after page; only IAM's `list_*` calls
    have one."""

    def get_role(self, *, RoleName: str) -> Reply: ...
    def get_group(self, *, GroupName: str) -> Reply: ...
    def get_policy(self, *, PolicyArn: str) -> Reply: ...
    def get_user(self, *, UserName: str) -> Reply: ...
    def get_paginator(self, operation_name: str) -> Pages: ...


ClientFactory = Callable[[Provider], IamClient]
"""An IAM client acting in the provider's account."""


@dataclass(frozen=True, order=True)
class Import:
    """One Terraform `import` block."""

    provider: str
    """The aws provider's alias (the account's name)."""
    address: str
    id: str


@dataclass(frozen=True)
class Leftover:
    """What an adopted resource carries that mfagen will not manage, or will replace."""

    account: str
    resource: str
    message: str
    hint: str = ""


@dataclass(frozen=True)
class Adoption:
    modules: tuple[tuple[str, tuple[Import, ...]], ...]
    """(module folder, its imports sorted) for each module with something to import."""
    warnings: tuple[Leftover, ...]

    def imports_in(self, folder: str) -> tuple[Import, ...]:
        return next((imports for name, imports in self.modules if name == folder), ())

    @property
    def imports(self) -> tuple[Import, ...]:
        return tuple(item for _, imports in self.modules for item in imports)


def find(plan: Plan, clients: ClientFactory) -> Adoption:
    """Look every planned resource up; raise AwsError when AWS refuses or cannot be reached."""
    found = _Found(plan)
    accounts = {role.account for role in plan.roles} | {plan.identity.alias}
    for provider in plan.providers:
        if provider.alias not in accounts:
            continue
        with _aws_errors(provider):
            iam = clients(provider)
            for role in plan.roles_in(provider.alias):
                _role(found, iam, provider.alias, role)
            if provider.alias == plan.identity.alias:
                policy_arn = _policy(found, iam, plan)
                for group in plan.groups:
                    _group(found, iam, group, policy_arn)
                for user in plan.users:
                    _user(found, iam, user)
    return found.result()


def session_clients() -> ClientFactory:
    """IAM clients as the Terraform providers get them: the default credentials, assuming the
    account's terraform_role when it has one; credentials of another account are refused."""

    @functools.cache
    def default() -> Any:  # created on first use, so that its errors name the account
        return boto3.session.Session()

    def client_for(provider: Provider) -> IamClient:
        current = default()
        if provider.assume_role_arn:
            sts = current.client("sts", region_name=provider.region)
            role = provider.assume_role_arn
            issued = sts.assume_role(RoleArn=role, RoleSessionName=SESSION_NAME)["Credentials"]
            current = boto3.session.Session(
                aws_access_key_id=issued["AccessKeyId"],
                aws_secret_access_key=issued["SecretAccessKey"],
                aws_session_token=issued["SessionToken"],
            )
        caller = current.client("sts", region_name=provider.region).get_caller_identity()
        if caller["Account"] != provider.account_id:
            raise AwsError(
                f"account {provider.alias} is {provider.account_id}, but the AWS credentials "
                f"act in {caller['Account']} as {caller['Arn']}, nothing written",
                "use the identity account's credentials, as for `terraform apply`",
            )
        client: IamClient = current.client("iam", region_name=provider.region)
        return client

    return client_for


@dataclass
class _Found:
    plan: Plan
    imports: dict[str, list[Import]] = field(default_factory=dict)
    warnings: list[Leftover] = field(default_factory=list)

    def result(self) -> Adoption:
        modules = tuple(
            (m.folder, tuple(sorted(self.imports[m.folder])))
            for m in self.plan.modules
            if m.folder in self.imports
        )
        return Adoption(modules, tuple(self.warnings))


@dataclass(frozen=True)
class _Subject:
    """One existing role, group, policy or user: records its imports and warnings."""

    found: _Found
    account: str
    kind: str
    name: str

    def adopt(self, address: str, import_id: str) -> None:
        plan = self.found.plan
        folder = next(
            m.folder for m in plan.modules if any(p.alias == self.account for p in m.providers)
        )
        self.found.imports.setdefault(folder, []).append(Import(self.account, address, import_id))

    def warn(self, message: str, hint: str = "") -> None:
        resource = f"{self.kind} {self.name}"
        self.found.warnings.append(Leftover(self.account, resource, message, hint))

    def keeps(self, policy: str, *, inline: bool) -> None:
        """A policy on the role or group that mfagen does not manage: it stays."""
        kind, name, then = self.kind, self.name, "after `terraform apply`: aws iam"
        if inline:
            command = f"{then} delete-{kind}-policy --{kind}-name {name} --policy-name {policy}"
            self.warn(f"inline policy {policy} stays: mfagen does not manage it", command)
        else:
            command = f"{then} detach-{kind}-policy --{kind}-name {name} --policy-arn {policy}"
            self.warn(f"managed policy {policy} stays attached: not mfagen's", command)

    def loses_tags_and_boundary(self, existing: Reply, ours: tuple[str, ...]) -> None:
        """Terraform removes what its configuration does not set: other tags, a boundary."""
        tags = sorted(t["Key"] for t in existing.get("Tags", []) if t["Key"] not in ours)
        if tags:
            self.warn(f"Terraform removes its tags {', '.join(tags)}")
        boundary = existing.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
        if boundary:
            self.warn(f"Terraform removes its permissions boundary {boundary}")


def _role(found: _Found, iam: IamClient, account: str, role: Role) -> None:
    existing = _get(iam.get_role, "Role", RoleName=role.name)
    if existing is None:
        return
    subject = _Subject(found, account, "role", role.name)
    subject.adopt(str(role.address), role.name)
    moved = existing["Path"] != role.path
    if moved:
        subject.warn(
            f"IAM cannot move it from {existing['Path']} to {role.path}: Terraform replaces "
            "it, and the policies mfagen does not manage go with it"
        )
    if _canonical(existing["AssumeRolePolicyDocument"]) != _canonical(role.trust):
        subject.warn("its trust policy becomes mfagen's: MFA, and the tier's members only")
    for arn in _attached(iam, "list_attached_role_policies", RoleName=role.name):
        if arn in role.managed_policy_arns:
            subject.adopt(role.attachments.at(arn), f"{role.name}/{arn}")
        elif not moved:
            subject.keeps(arn, inline=False)
    for name in _items(iam, "list_role_policies", "PolicyNames", RoleName=role.name):
        if name == role.inline_policy_name and role.inline_policy:
            subject.adopt(str(role.inline_address), f"{role.name}:{name}")
        elif not moved:
            subject.keeps(name, inline=True)
    subject.loses_tags_and_boundary(existing, ())


def _policy(found: _Found, iam: IamClient, plan: Plan) -> str:
    """Adopt the self-service policy (by ARN, else by name at another path); its ARN."""
    policy = plan.self_service
    existing = _get(iam.get_policy, "Policy", PolicyArn=policy.arn)
    if existing is None:  # IAM refuses the name at any other path too: look there
        local = _items(iam, "list_policies", "Policies", Scope="Local")
        existing = next((p for p in local if p["PolicyName"] == policy.name), None)
    if existing is None:
        return policy.arn
    arn = str(existing["Arn"])
    subject = _Subject(found, plan.identity.alias, "policy", policy.name)
    subject.adopt(str(policy.address), arn)
    fixed = (existing["Path"], existing.get("Description"))  # IAM cannot change them
    replaced = fixed != (policy.path, policy.description)
    if replaced:
        subject.warn(
            "IAM cannot change its path or description to mfagen's: Terraform detaches, "
            "deletes and recreates it"
        )
    ours = {group.name for group in plan.groups}
    for page in _pages(iam, "list_entities_for_policy", PolicyArn=arn):
        for kind in ("group", "user", "role"):
            for entity in page.get(f"Policy{kind.title()}s", []):
                name = entity[f"{kind.title()}Name"]
                if kind == "group" and name in ours:
                    continue
                detach = f"aws iam detach-{kind}-policy --{kind}-name {name} --policy-arn {arn}"
                subject.warn(
                    f"also attached to {kind} {name}, which mfagen does not manage"
                    + (": IAM refuses to delete an attached policy" if replaced else ""),
                    f"before `terraform apply`: {detach}" if replaced else "",
                )
    return arn


def _group(found: _Found, iam: IamClient, group: Group, policy_arn: str) -> None:
    if _get(iam.get_group, "Group", GroupName=group.name) is None:
        return
    subject = _Subject(found, found.plan.identity.alias, "group", group.name)
    subject.adopt(str(group.address), group.name)
    for arn in _attached(iam, "list_attached_group_policies", GroupName=group.name):
        if arn == policy_arn:
            address = str(group.self_service_attachment)
        elif arn in group.managed_policy_arns:
            address = group.console_attachments.at(arn)
        else:
            subject.keeps(arn, inline=False)
            continue
        subject.adopt(address, f"{group.name}/{arn}")
    inline = {
        name: address
        for name, address, document in (
            (group.assume_policy_name, group.assume_address, group.assume_policy),
            (group.console_policy_name, group.console_address, group.console_policy),
        )
        if document
    }
    for name in _items(iam, "list_group_policies", "PolicyNames", GroupName=group.name):
        if name in inline:
            subject.adopt(str(inline[name]), f"{group.name}:{name}")
        else:
            subject.keeps(name, inline=True)


def _user(found: _Found, iam: IamClient, user: User) -> None:
    plan = found.plan
    subject = _Subject(found, plan.identity.alias, "user", user.name)
    existing = _get(iam.get_user, "User", UserName=user.name)
    if existing is None:
        if not plan.create_users:
            subject.warn("does not exist, and with create_users: false Terraform cannot add it")
        return
    if plan.create_users:
        subject.adopt(str(user.iam_user), user.name)
        subject.loses_tags_and_boundary(existing, tuple(k for k, _ in user.tags))
    current = {
        g["GroupName"] for g in _items(iam, "list_groups_for_user", "Groups", UserName=user.name)
    }
    names = {group.key: group.name for group in plan.groups}
    member = [names[k] for k in user.groups if names[k] in current]
    if member:
        subject.adopt(str(user.membership), "/".join([user.name, *member]))


def _get(call: Callable[..., Reply], key: str, **kwargs: str) -> Reply | None:
    """The entity, or None when IAM says NoSuchEntity."""
    try:
        entity: Reply = call(**kwargs)[key]
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchEntity":
            return None
        raise
    return entity


def _pages(iam: IamClient, operation: str, **kwargs: str) -> Iterable[Reply]:
    """Every page of an IAM list call, as boto3's paginator fetches them."""
    return iam.get_paginator(operation).paginate(**kwargs)


def _items(iam: IamClient, operation: str, key: str, **kwargs: str) -> Iterator[Any]:
    for page in _pages(iam, operation, **kwargs):
        yield from page.get(key, [])


def _attached(iam: IamClient, operation: str, **kwargs: str) -> Iterator[str]:
    for policy in _items(iam, operation, "AttachedPolicies", **kwargs):
        yield str(policy["PolicyArn"])


def _canonical(document: Any) -> str:
    """A policy document as comparable text (boto3 hands documents over decoded)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


@contextmanager
def _aws_errors(provider: Provider) -> Iterator[None]:
    """botocore's exceptions, as an AwsError naming the account, with a hint."""
    where = f"account {provider.alias} ({provider.account_id})"
    role = provider.assume_role_arn
    assume = f", sts:AssumeRole on {role}" if role else ""
    hint = f"--adopt reads (iam:Get*, iam:List*{assume}) with the credentials Terraform uses"
    try:
        yield
    except NoCredentialsError:
        raise AwsError(f"{where}: no AWS credentials found, nothing written", hint) from None
    except ClientError as error:
        details = error.response.get("Error", {})
        message = f"{details.get('Code')}: {details.get('Message')}"
        refused = f"{where}: {error.operation_name} refused: {message}, nothing written"
        raise AwsError(refused, hint) from None
    except BotoCoreError as error:
        raise AwsError(f"{where}: {error}, nothing written", hint) from None
