"""The state of reading one module: what has been read so far, and how each piece is read.

`terraform.read` drives it in dependency order (providers, managed policies, groups and roles,
users, then memberships and attachments in links.py; locals when first referred to) so that
every reference resolves to something already read.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from mfagen.audit.errors import AuditInputError
from mfagen.audit.model import (
    ROLE_KEY_SEPARATOR,
    TIER_GROUP_PREFIX,
    Attached,
    CustomerPolicy,
    Group,
    Location,
    Module,
    Role,
    Stray,
    User,
)
from mfagen.audit.policy.evaluate import Policy
from mfagen.audit.policy.grammar import PolicyError, compile_policy
from mfagen.audit.policy.managed import managed_policy
from mfagen.audit.read import hcl_blocks
from mfagen.audit.read.expressions import Each, Scope
from mfagen.audit.read.hcl_blocks import Block

Owner = tuple[str, str]
"""("user", name), ("group", key) or ("role", arn): whom a policy is attached to."""

_KEY_LINE = re.compile(r'^\s*"?([^"\s=]+)"?\s*=\s*\{', re.MULTILINE)


def minified(document: Any) -> int:
    """A policy's size as IAM counts it: the JSON without whitespace."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


class Reader:
    def __init__(self, files: Mapping[str, str]) -> None:
        self.blocks, self.sources = hcl_blocks.read(files)
        self.scope = Scope()
        self.accounts: dict[str, str] = {}
        self.assume_roles: dict[str, str] = {}
        self.identity = ""
        self.attached: dict[Owner, list[Attached]] = defaultdict(list)
        self.members: dict[str, list[str]] = defaultdict(list)
        self.roles: list[Role] = []
        self.groups: list[Group] = []
        self.policies: list[CustomerPolicy] = []
        self.users: dict[str, User] = {}
        self.strays: list[Stray] = []
        self.enrolment_open: set[str] = set()
        self._key_lines: dict[str, tuple[str, int]] | None = None
        # The first group, role (by account) and policy of each name or ARN: a users map
        # looks groups up once per member.
        self._group_named: dict[str, Group] = {}
        self._role_named: dict[tuple[str, str], Role] = {}
        self._policy_of: dict[str, CustomerPolicy] = {}

    def of(self, kind: str, *types: str) -> list[Block]:
        return [b for b in self.blocks if b.kind == kind and (not types or b.labels[0] in types)]

    def providers(self) -> None:
        for block in self.of("provider"):
            if block.labels != ("aws",):
                continue
            self.scope.at(block.file, block.line)
            alias = self.scope.string(block.body.get("alias", ""), "alias")
            ids = self.scope.strings(block.body.get("allowed_account_ids", []), "account ids")
            if len(ids) != 1:
                raise self.scope.fail(
                    f"provider aws.{alias or '(default)'} must name exactly one account in "
                    "allowed_account_ids",
                    "the audit reads each provider's account from allowed_account_ids",
                )
            self.accounts[alias] = ids[0]
            assume = block.body.get("assume_role", [])
            if (
                not isinstance(assume, list)
                or len(assume) > 1
                or not all(isinstance(a, dict) for a in assume)
            ):
                raise self.scope.fail(f"provider aws.{alias}: one assume_role block at most")
            if assume:
                role = self.scope.string(assume[0].get("role_arn"), "assume_role.role_arn")
                self.assume_roles[alias] = role
        owners = {
            self.account(block)[1]
            for block in self.of("resource", "aws_iam_user", "aws_iam_group", "aws_iam_policy")
        }
        if len(owners) > 1:
            raise AuditInputError(
                "cannot tell the identity account: users, groups and policies must all use one "
                f"provider (found {len(owners)} accounts)",
                "",
                "terraform",
            )
        self.identity = owners.pop() if owners else ""

    def account(self, block: Block, each: Each | None = None) -> tuple[str, str]:
        """(provider alias, account id) of a resource."""
        raw = block.body.get("provider")
        ref = self.scope.at(block.file, block.line).value(raw, each) if raw else ("provider", "")
        alias = ref[1] if isinstance(ref, tuple) else None
        if alias not in self.accounts:
            raise self.scope.fail(f"{block.address} uses an unknown provider {raw!r}")
        return alias, self.accounts[alias]

    def instances(self, block: Block) -> list[tuple[str | None, Each | None]]:
        self.scope.at(block.file, block.line)
        if "count" in block.body:
            raise self.scope.fail(f"{block.address}: count is not supported, use for_each")
        if "for_each" not in block.body:
            return [(None, None)]
        value = self.scope.value(block.body["for_each"])
        if isinstance(value, dict):
            return [(str(k), Each(str(k), v)) for k, v in value.items()]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [(v, Each(v, v)) for v in value]
        raise self.scope.fail(f"{block.address}: for_each is neither a map nor a set of strings")

    @staticmethod
    def where(block: Block, key: str | None) -> Location:
        address = block.address if key is None else f'{block.address}["{key}"]'
        return Location(block.file, block.line, address)

    def text(self, block: Block, attr: str, each: Each | None, default: Any = None) -> str:
        value = self.scope.value(block.body.get(attr, default), each)
        if isinstance(value, str):
            return value
        # Scope.string's message, named only when needed: this runs for every user.
        raise self.scope.fail(f"{block.address}.{attr} is not a string")

    def texts(self, block: Block, attr: str, each: Each | None) -> list[str]:
        value = self.scope.value(block.body.get(attr, []), each)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        raise self.scope.fail(f"{block.address}.{attr} is not a list of strings")

    def document(self, block: Block, raw: Any, what: str) -> Any:
        text = hcl_blocks.policy_text(raw, block.file, block.line, f"{block.address}.{what}")
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            message = f"{block.address}.{what} is not valid JSON: {error.msg}"
            raise AuditInputError(message, "", block.file, block.line) from None

    def compile(
        self, block: Block, document: Any, where: Location, what: str, *, trust: bool = False
    ) -> Policy:
        try:
            return compile_policy(
                document,
                name=what,
                where=where.ref(what),
                sid_line=self.sources[block.file].sid_lines(block.line, block.end),
                trust=trust,
            )
        except PolicyError as error:
            sid = f" statement {error.sid}" if error.sid else ""
            raise AuditInputError(
                f"{where.address} ({what}){sid}: {error}",
                "IAM would refuse this policy",
                block.file,
                block.line,
            ) from None

    def principal(self, block: Block) -> None:
        """An aws_iam_policy, aws_iam_group or aws_iam_role (each instance of it)."""
        kind, name = block.labels
        instances: dict[str | None, Mapping[str, Any]] = {}
        for key, each in self.instances(block):
            where = self.where(block, key)
            alias, account = self.account(block, each)
            iam_name = self.text(block, "name", each)
            path = self.text(block, "path", each, "/")
            arn = f"arn:aws:iam::{account}:{kind.removeprefix('aws_iam_')}{path}{iam_name}"
            instances[key] = {"name": iam_name, "arn": arn, "id": iam_name}
            if kind == "aws_iam_policy":
                instances[key] = {"name": iam_name, "arn": arn, "id": arn}
                document = self.document(block, block.body.get("policy"), "policy")
                policy = self.compile(block, document, where, iam_name)
                size = minified(document)
                customer = CustomerPolicy(where, name, iam_name, path, arn, policy, size, document)
                self.policies.append(customer)
                self._policy_of.setdefault(arn, customer)
            elif kind == "aws_iam_group":
                tier = name.removeprefix(TIER_GROUP_PREFIX)
                tier_or_none = tier if tier != name else None
                group = Group(where, name, tier_or_none, iam_name, path, arn, ())
                self.groups.append(group)
                self._group_named.setdefault(iam_name, group)
            else:
                self.role(block, where, alias=alias, account=account, arn=arn, each=each)
        self.scope.resources[(kind, name)] = instances

    def role(
        self, block: Block, where: Location, *, alias: str, account: str, arn: str,
        each: Each | None,
    ) -> None:  # fmt: skip
        """An aws_iam_role: its trust, inline_policy blocks and managed_policy_arns."""
        key = block.labels[1]
        tier = key.split(ROLE_KEY_SEPARATOR, 1)[1] if ROLE_KEY_SEPARATOR in key else None
        name, path = self.text(block, "name", each), self.text(block, "path", each, "/")
        document = self.document(block, block.body.get("assume_role_policy"), "assume_role_policy")
        trust = self.compile(block, document, where, f"trust of {name}", trust=True)
        for inline in block.body.get("inline_policy", []):
            policy_name = self.scope.string(inline.get("name"), "inline_policy.name", each)
            self.inline(block, ("role", arn), where, policy_name, inline.get("policy"))
        for policy_arn in self.texts(block, "managed_policy_arns", each):
            self.managed(("role", arn), where, policy_arn)
        duration = block.body.get("max_session_duration")
        role = Role(where, key, account, alias, tier, name, path, arn, trust, minified(document),
                    duration if isinstance(duration, int) else None, (), document)  # fmt: skip
        self.roles.append(role)
        self._role_named.setdefault((name, account), role)

    def inline(self, block: Block, owner: Owner, where: Location, name: str, raw: Any) -> None:
        document = self.document(block, raw, "policy")
        policy = self.compile(block, document, where, name)
        self.attached[owner].append(
            Attached(policy, "inline", name, where, minified(document), document)
        )

    def managed(self, owner: Owner, where: Location, arn: str) -> None:
        own = self._policy_of.get(arn)
        if own is not None:
            attached = Attached(own.policy, "customer", arn, where, own.size, own.document)
        else:
            attached = Attached(managed_policy(arn, where.ref(arn)), "managed", arn, where)
        self.attached[owner].append(attached)

    def users_of(self, block: Block) -> None:
        """aws_iam_user: each instance is a user of the identity account."""
        instances: dict[str | None, Mapping[str, Any]] = {}
        key_lines = self.key_lines()
        for key, each in self.instances(block):
            name = self.text(block, "name", each)
            path = self.text(block, "path", each, "/")
            tags = self.scope.value(block.body.get("tags", {}), each)
            if not isinstance(tags, dict):
                raise self.scope.fail(f"{block.address}.tags is not a map")
            arn = f"arn:aws:iam::{self.identity}:user{path}{name}"
            file, line = key_lines.get(name, (block.file, block.line))
            address = block.address if key is None else f'{block.address}["{key}"]'
            where = Location(file, line, address)
            pairs = tuple(sorted((str(k), str(v)) for k, v in tags.items()))
            destroy = self.scope.value(block.body.get("force_destroy", False), each)
            if not isinstance(destroy, bool):
                raise self.scope.fail(f"{block.address}.force_destroy is not true or false")
            self.users[name] = User(
                where, name, path, arn, pairs, (), (), created=True, force_destroy=destroy
            )
            instances[key] = {"name": name, "arn": arn, "id": name}
        self.scope.resources[("aws_iam_user", block.labels[1])] = instances

    def key_lines(self) -> dict[str, tuple[str, int]]:
        """The line of each `"<key>" = {` in a locals block: where a user's entry is."""
        if self._key_lines is None:
            self._key_lines = {}
            for block in self.of("locals"):
                lines = self.sources[block.file].text.split("\n")
                text = "\n".join(lines[block.line - 1 : block.end - 1])
                line, position = block.line, 0
                for match in _KEY_LINE.finditer(text):
                    line += text.count("\n", position, match.start())
                    position = match.start()
                    self._key_lines.setdefault(match[1], (block.file, line))
        return self._key_lines

    def user(self, name: str, where: Location) -> str:
        """A user named by a membership; one the module does not create exists already."""
        if name not in self.users:
            file, line = self.key_lines().get(name, (where.file, where.line))
            arn = f"arn:aws:iam::{self.identity}:user/{name}"
            here = Location(file, line, where.address)
            self.users[name] = User(here, name, "/", arn, (), (), (), created=False)
        return name

    def group_key(self, name: str, where: Location) -> str | None:
        group = self._group_named.get(name)
        if group is None:
            self.strays.append(Stray(where, "module", f"names group {name!r}, not in the module"))
        return group.key if group else None

    def role_arn(self, name: str, account: str, where: Location) -> str | None:
        role = self._role_named.get((name, account))
        if role is None:
            self.strays.append(Stray(where, "module", f"names role {name!r}, not in the module"))
        return role.arn if role else None

    def enrolment(self, block: Block) -> None:
        """`output "enrolment_open"`: the users whose enrolment window is open, by name."""
        self.scope.at(block.file, block.line)
        names = self.scope.strings(block.body.get("value", []), f"{block.address}.value")
        self.enrolment_open.update(names)

    def module(self) -> Module:
        groups = tuple(
            replace(g, policies=tuple(self.attached[("group", g.key)])) for g in self.groups
        )
        roles = tuple(
            replace(r, policies=tuple(self.attached[("role", r.arn)])) for r in self.roles
        )
        users = tuple(
            replace(u, groups=tuple(dict.fromkeys(self.members[u.name])),
                    policies=tuple(self.attached[("user", u.name)]))
            for u in sorted(self.users.values(), key=lambda u: u.name)
        )  # fmt: skip
        accounts = tuple(sorted(self.accounts.items()))
        return Module(
            self.identity,
            accounts,
            roles,
            groups,
            users,
            tuple(self.policies),
            tuple(self.strays),
            frozenset(self.enrolment_open),
            tuple(sorted(self.assume_roles.items())),
        )
