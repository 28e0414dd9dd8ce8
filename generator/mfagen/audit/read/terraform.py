"""Read the committed Terraform into a Module: who exists, what is attached to whom, from where.

Every folder of *.tf files is a root module (`terraform/`, or `terraform/<account>/` with the
per-account layout); each is read on its own, then they are merged. Within one, the order
matters: providers (and from them the identity account), then managed policies, groups and
roles, then users, and last the memberships and attachments, so that every reference resolves
to something already read. A local is evaluated when first referred to (it may name the groups,
or the users), and those nothing refers to at the end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace

from mfagen.audit.errors import AuditInputError
from mfagen.audit.model import Module
from mfagen.audit.read import links
from mfagen.audit.read.expressions import Pending
from mfagen.audit.read.hcl_blocks import Block
from mfagen.audit.read.resources import Reader
from mfagen.layout import ENROLMENT_OUTPUT, MACHINE_USERS_OUTPUT


def read(files: Mapping[str, str]) -> Module:
    """The IAM of `files` (path -> HCL text); AuditInputError when it cannot be read."""
    folders: dict[str, dict[str, str]] = defaultdict(dict)
    for path, text in files.items():
        folders[path.rsplit("/", 1)[0] if "/" in path else ""][path] = text
    return merge([read_root(texts) for _, texts in sorted(folders.items())])


def read_root(files: Mapping[str, str]) -> Module:
    """One root module."""
    reader = Reader(files)
    for block in reader.of("variable"):
        reader.scope.variables[block.labels[0]] = block.body.get("default")
    reader.providers()
    for kind in links.PRINCIPALS:
        for block in reader.of("resource", kind):
            reader.principal(block)
    for block in reader.of("locals"):
        for name, raw in block.body.items():
            if name != "__is_block__":
                reader.scope.pending[name] = Pending(raw, block.file, block.line)
    for block in reader.of("resource", "aws_iam_user"):
        reader.users_of(block)
    for block in reader.of("resource", *links.LINKS):
        links.link(reader, block)
    machines: set[tuple[str, str]] = set()
    for block in reader.of("output"):
        if block.labels == (ENROLMENT_OUTPUT,):
            reader.enrolment(block)
        elif block.labels == (MACHINE_USERS_OUTPUT,):
            machines.update(_machine_users(reader, block))
    reader.scope.settle()
    links.strays(reader)
    return replace(reader.module(), machine_users=frozenset(machines))


def _machine_users(reader: Reader, block: Block) -> list[tuple[str, str]]:
    """`output "machine_users"`: (account alias, user name) of each `alias/name` listed."""
    reader.scope.at(block.file, block.line)
    found = []
    for entry in reader.scope.strings(block.body.get("value", []), f"{block.address}.value"):
        alias, slash, name = entry.partition("/")
        if not slash or alias not in reader.accounts or not name:
            raise reader.scope.fail(
                f"{block.address}: {entry!r} is not <account>/<user name> of a provider's account"
            )
        found.append((alias, name))
    return found


def merge(modules: list[Module]) -> Module:
    """Root modules that together make mfagen's IAM (per-account layout: one per account)."""
    identities = {m.identity_account for m in modules if m.identity_account}
    if len(identities) != 1:
        raise AuditInputError(
            "no IAM users, groups or policies to audit"
            if not identities
            else f"users and groups live in {len(identities)} accounts; mfagen uses one",
            "",
            "terraform",
        )
    accounts: dict[str, str] = {}
    for module in modules:
        for alias, account in module.accounts:
            if accounts.setdefault(alias, account) != account:
                raise AuditInputError(
                    f"provider aws.{alias} names two accounts across root modules", "", "terraform"
                )
    return Module(
        identities.pop(),
        tuple(sorted(accounts.items())),
        tuple(r for m in modules for r in m.roles),
        tuple(g for m in modules for g in m.groups),
        tuple(sorted((u for m in modules for u in m.users), key=lambda u: u.name)),
        tuple(p for m in modules for p in m.policies),
        tuple(s for m in modules for s in m.strays),
        frozenset(name for m in modules for name in m.enrolment_open),
        tuple(sorted({pair for m in modules for pair in m.assume_roles})),
        frozenset(pair for m in modules for pair in m.machine_users),
    )
