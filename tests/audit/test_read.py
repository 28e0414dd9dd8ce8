"""Reading the committed Terraform into principals and policies, and refusing what it cannot."""

from __future__ import annotations

import json

import pytest

from mfagen import hcl
from mfagen.audit import AuditInputError, audit_files
from mfagen.audit.model import Module
from mfagen.audit.read import terraform

from .cases import Files, add, keys, rendered, replace


def read(files: Files) -> Module:
    return terraform.read({p: t for p, t in files.items() if p.startswith("terraform/")})


def test_reads_the_example_module() -> None:
    found = read(rendered("accounts"))
    assert found.identity_account == "111111111111"
    assert dict(found.accounts) == {
        "identity": "111111111111",
        "dev": "222222222222",
        "prod": "333333333333",
    }
    assert found.tiers == ("admin", "data-eng", "deployer", "readonly", "s3")
    assert {r.arn for r in found.tier_roles("admin")} == {
        "arn:aws:iam::111111111111:role/mfa/AdminMFARole",
        "arn:aws:iam::222222222222:role/mfa/AdminMFARole",
        "arn:aws:iam::333333333333:role/mfa/AdminMFARole",
    }
    bob = next(u for u in found.users if u.name == "bob")
    assert bob.arn == "arn:aws:iam::111111111111:user/bob"
    assert found.tiers_of(bob) == ("deployer", "s3")
    users_tf = rendered("accounts")["terraform/users.tf"].split("\n")
    line = users_tf.index('resource "aws_iam_user" "bob" {') + 1
    assert (bob.where.file, bob.where.line) == ("terraform/users.tf", line)
    dave = next(u for u in found.users if u.name == "dave")
    assert found.tiers_of(dave) == ()
    assert dave.groups == ("self_service",)


def test_policies_carry_file_line_and_sid() -> None:
    found = read(rendered("accounts"))
    manage = found.policies[0]
    refs = {s.ref.sid: s.ref for s in manage.policy.statements}
    deny = refs["DenyAllExceptListedIfNoMFA"]
    assert (deny.file, deny.address, deny.policy) == (
        "terraform/identity.tf",
        "aws_iam_policy.manage_mfa",
        "ManageMFAPolicy",
    )
    assert (
        '"Sid": "DenyAllExceptListedIfNoMFA"'
        in rendered("accounts")["terraform/identity.tf"].split("\n")[deny.line - 1]
    )


def test_the_heredoc_escape_reaches_iam_as_a_policy_variable() -> None:
    found = read(rendered("accounts"))
    own = next(
        s
        for s in found.policies[0].policy.statements
        if s.ref.sid == "AllowManagingOwnUserMFAAndKeys"
    )
    assert own.resources is not None
    assert own.resources.patterns == ("arn:aws:iam::111111111111:user/${aws:username}",)


def test_attachments_resolve_for_each_and_references() -> None:
    found = read(rendered("accounts"))
    admin = found.group("tier_admin")
    assert sorted((a.kind, a.name) for a in admin.policies) == [
        ("customer", "arn:aws:iam::111111111111:policy/mfa/ManageMFAPolicy"),
        ("inline", "AllowAssumeTierRoles"),
        ("managed", "arn:aws:iam::aws:policy/AdministratorAccess"),
    ]
    role = next(r for r in found.roles if r.key == "dev__data-eng")
    assert sorted((a.kind, a.name) for a in role.policies) == [
        ("inline", "TierStatements"),
        ("managed", "arn:aws:iam::aws:policy/AmazonAthenaFullAccess"),
    ]


def test_tags_of_a_large_tier() -> None:
    found = read(rendered("large-tier"))
    dev = next(u for u in found.users if u.name == "dev010")
    assert dev.tags == (("mfagen-tier-developer", "true"),)
    assert found.tiers_of(dev) == ("developer", "readonly")


def test_hand_written_resources_are_read_too() -> None:
    document = {"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}
    extra = f"""
resource "aws_iam_user_policy" "extra" {{
  provider = aws.identity
  user     = "dave"
  name     = "Extra"
  policy   = {hcl.string(json.dumps(document))}
}}

resource "aws_iam_access_key" "dave" {{
  provider = aws.identity
  user     = "dave"
}}
"""
    files = add(rendered("accounts"), "terraform/extra.tf", extra)
    found = read(files)
    dave = next(u for u in found.users if u.name == "dave")
    assert [(a.kind, a.name) for a in dave.policies] == [("inline", "Extra")]
    assert [(s.invariant, s.where.address) for s in found.strays] == [
        ("4", "aws_iam_access_key.dave")
    ]


@pytest.mark.parametrize(
    ("path", "old", "new", "message"),
    [
        ("terraform/users.tf", 'user" "bob" {', 'user" "bob" {{', "not valid HCL"),
        ("terraform/identity.tf", '"Effect": "Deny"', '"Effect": "Deny",', "not valid JSON"),
        ("terraform/identity.tf", "$${aws:username}", "${aws:username}", "Terraform expression"),
        ("terraform/identity.tf", '"BoolIfExists"', '"BoolIfExist"', "unknown condition operator"),
        (
            "terraform/providers.tf",
            'allowed_account_ids = ["333333333333"]',
            "",
            "allowed_account_ids",
        ),
        (
            "terraform/users.tf",
            "[aws_iam_group.tier_s3.name, aws_iam_group.tier_deployer.name]",
            "var.groups",
            "'var.groups'",
        ),
    ],
)
def test_unreadable_input_is_refused_with_its_file(
    path: str, old: str, new: str, message: str
) -> None:
    files = replace(rendered("accounts"), path, old, new, 1)
    with pytest.raises(AuditInputError, match=message) as caught:
        audit_files(files, "output")
    assert caught.value.path.startswith("terraform/")
    assert caught.value.exit_code == 2


def test_an_error_after_the_users_block_names_its_own_line() -> None:
    files = rendered("large-tier")
    broken = files["terraform/users.tf"].replace("force_destroy = true", "force_destroy = = true")
    line = broken.split("\n").index("  force_destroy = = true") + 1
    with pytest.raises(AuditInputError, match="not valid HCL") as caught:
        audit_files({**files, "terraform/users.tf": broken}, "output")
    assert (caught.value.path, caught.value.line) == ("terraform/users.tf", line)


def test_override_files_are_refused() -> None:
    files = add(rendered("accounts"), "terraform/override.tf", "")
    with pytest.raises(AuditInputError, match="merges this file"):
        audit_files(files, "output")


def test_memberships_find_their_user_through_the_user_block() -> None:
    files = rendered("accounts")
    assert "user     = aws_iam_user.bob.name" in files["terraform/users.tf"]
    found = read(files)
    bob = next(u for u in found.users if u.name == "bob")
    assert bob.created
    assert found.tiers_of(bob) == ("deployer", "s3")


@pytest.mark.parametrize("layout", ["objects", "names"])
def test_a_module_in_an_earlier_users_layout_reads_as_the_current_one(layout: str) -> None:
    # committed before an upgrade and audited before its first render: the same users,
    # memberships and report, only their addresses differ
    earlier, current = rendered("accounts", layout), rendered("accounts")
    assert 'resource "aws_iam_user" "user" {' in earlier["terraform/users.tf"]
    assert earlier["terraform/identity.tf"] == current["terraform/identity.tf"]

    def users(files: Files) -> list[tuple[str, str, tuple[str, ...], bool]]:
        return [(u.name, u.arn, u.groups, u.created) for u in read(files).users]

    assert users(earlier) == users(current)
    assert keys(audit_files(earlier, "output")) == keys(audit_files(current, "output"))


def test_memberships_find_their_user_through_the_created_users_map() -> None:
    files = rendered("accounts", "names")
    assert "user     = local.created_users[each.key]" in files["terraform/users.tf"]
    found = read(files)
    bob = next(u for u in found.users if u.name == "bob")
    assert bob.created
    assert found.tiers_of(bob) == ("deployer", "s3")


def test_a_map_comprehension_over_any_attribute_is_evaluated() -> None:
    # every user's name mapped to their ARN instead: the membership's user becomes an ARN,
    # which no created user has, so the audit reads a user it does not create
    files = replace(
        rendered("accounts", "names"),
        "terraform/users.tf",
        "name => user.name }",
        "name => user.arn }",
    )
    found = read(files)
    strangers = {u.name for u in found.users if not u.created}
    names = ("alice", "bob", "carol.smith@acme", "dave")
    assert strangers == {f"arn:aws:iam::111111111111:user/{name}" for name in names}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # a local nothing refers to is still evaluated: its error is still an error
        ("  user_names ", "  unused = local.nowhere\n  user_names ", "no 'nowhere'"),
        # a local that needs itself
        (
            "{ for name, user in local.users : name => name }",
            "{ for name, user in local.user_names : name => name }",
            "no 'user_names'",
        ),
        # a comprehension over something that is not a map
        ("in local.users :", 'in local.users["bob"].groups :', "is not a map"),
        # one whose result is not keyed by strings, or keyed twice
        ("name => name }", "user => name }", "is not one string"),
        ("aws_iam_user.user : name => user.name", "aws_iam_user.user : user.id => name", ""),
    ],
)
def test_a_local_that_cannot_be_evaluated_is_refused_where_it_is_written(
    old: str, new: str, message: str
) -> None:
    files = replace(rendered("accounts", "names"), "terraform/users.tf", old, new, 1)
    line = files["terraform/users.tf"].split("\n").index("locals {", 10) + 1
    if not message:  # user.id is the name too: each key once, the module reads as before
        assert {u.name for u in read(files).users if u.created} == {
            "alice", "bob", "carol.smith@acme", "dave"
        }  # fmt: skip
        return
    with pytest.raises(AuditInputError, match=message) as caught:
        read(files)
    assert (caught.value.path, caught.value.line) == ("terraform/users.tf", line)


def test_profile_files_are_checked_against_the_module() -> None:
    files = replace(rendered("accounts"), "profiles/alice/config", "mfa/AdminMFARole", "mfa/X", 1)
    files["profiles/mallory/config"] = "[profile acme]\n"
    messages = {finding.message for finding in audit_files(files, "output").findings}
    assert "a profile file for someone who is no user of the module" in messages
    assert any("no role of the module" in message for message in messages)


def test_a_providers_role_is_its_terraform_role_unless_the_variable_has_a_default() -> None:
    """The audit reads the module as `terraform apply` runs it without -var."""
    files = rendered("accounts")
    assert read(files).assume_roles == (
        ("dev", "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"),
        ("prod", "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"),
    )
    edited = replace(
        files, "terraform/providers.tf", "  default     = null\n", '  default     = "mfagen-read"\n'
    )
    assert read(edited).assume_roles == (
        ("dev", "arn:aws:iam::222222222222:role/mfagen-read"),
        ("prod", "arn:aws:iam::333333333333:role/mfagen-read"),
    )
    other = replace(files, "terraform/providers.tf", "var.assume_role_name}", "var.other}")
    with pytest.raises(AuditInputError, match="cannot evaluate the template"):
        read(other)
