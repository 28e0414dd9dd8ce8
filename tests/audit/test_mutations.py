"""Mutation tests: edit rendered HCL the way a careless reviewer might; the audit must notice.

Each mutant must raise a finding the unedited example does not have, under the invariant
named with it. The score (caught / mutants) is asserted to be 100%; `pytest -v` lists each
mutant. Equivalent edits (same IAM meaning) must raise nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from mfagen.audit import AuditInputError

from .cases import (
    Document,
    Files,
    add,
    audit,
    edit_policy,
    keys,
    remove_block,
    rendered,
    replace,
    statement,
)

DEV = "terraform/account_dev.tf"
PROD = "terraform/account_prod.tf"
IDENTITY = "terraform/identity.tf"
USERS = "terraform/users.tf"
WORKLOADS = "terraform/account_workloads.tf"
MANAGE = "aws_iam_policy.manage_mfa"
DENY_NO_MFA = "DenyAllExceptListedIfNoMFA"
GATE = "DenyEnrollingMFADevicesWithoutMFAUnlessOpen"


def in_trust(address: str, edit: Callable[[dict[str, Any]], None]) -> Callable[[Files], Files]:
    def mutate(files: Files) -> Files:
        path = WORKLOADS if "workloads" in address else DEV

        def change(document: Document) -> None:
            edit(document["Statement"][0])

        return edit_policy(files, path, address, change)

    return mutate


def in_manage(sid: str, edit: Callable[[Document], None]) -> Callable[[Files], Files]:
    def mutate(files: Files) -> Files:
        return edit_policy(files, IDENTITY, MANAGE, lambda d: edit(statement(d, sid)))

    return mutate


def text(path: str, old: str, new: str) -> Callable[[Files], Files]:
    return lambda files: replace(files, path, old, new)


def chain(*steps: Callable[[Files], Files]) -> Callable[[Files], Files]:
    def mutate(files: Files) -> Files:
        for step in steps:
            files = step(files)
        return files

    return mutate


def drop(mapping: dict[str, Any], key: str) -> None:
    del mapping[key]


def without(values: list[str], *gone: str) -> list[str]:
    return [value for value in values if value not in gone]


MUTANTS: list[tuple[str, str, Callable[[Files], Files], str]] = [
    # the list ------------------------------------------------------------------------
    ("trust: drop the MFA condition key", "large-tier",
     in_trust("aws_iam_role.workloads__developer", lambda s: drop(s["Condition"], "Bool")), "1"),
    ("trust: rename the MFA condition key", "accounts",
     text(PROD, "aws:MultiFactorAuthPresent", "aws:MultiFactorAuthPresence"), "6"),
    ("deny: drop the MFA condition key", "accounts",
     in_manage(DENY_NO_MFA, lambda s: drop(s["Condition"]["BoolIfExists"],
                                           "aws:MultiFactorAuthPresent")), "3"),
    ("deny: rename the MFA condition key", "accounts",
     in_manage(DENY_NO_MFA, lambda s: s["Condition"].update(
         BoolIfExists={"aws:MultiFactorAuthPresnt": "false"})), "3"),
    ("deny: BoolIfExists -> Bool (every deny)", "accounts",
     text(IDENTITY, '"BoolIfExists"', '"Bool"'), "3"),
    ("deny: BoolIfExists -> Bool (DenyAllExceptListedIfNoMFA only)", "large-tier",
     in_manage(DENY_NO_MFA, lambda s: s.update(Condition={"Bool": {
         "aws:MultiFactorAuthPresent": "false"}})), "3"),
    ("trust: negate the member condition (ArnEquals -> ArnNotEquals)", "accounts",
     text(DEV, '"ArnEquals"', '"ArnNotEquals"'), "2"),
    ("trust: negate the member condition (tag StringEquals -> StringNotEquals)", "large-tier",
     text(WORKLOADS, '"StringEquals"', '"StringNotEquals"'), "2"),
    ("trust: invert the MFA age test (NumericLessThan -> NumericGreaterThan)", "accounts",
     text(DEV, '"NumericLessThan"', '"NumericGreaterThan"'), "1"),
    ("trust: MFA age test off by one (NumericLessThan -> NumericLessThanEquals)", "accounts",
     text(DEV, '"NumericLessThan"', '"NumericLessThanEquals"'), "1"),
    ("group: widen the role ARN to role/*", "accounts",
     lambda f: edit_policy(f, IDENTITY, "aws_iam_group_policy.tier_s3__assume",
                           lambda d: d["Statement"][0].update(
                               Resource="arn:aws:iam::222222222222:role/*")), "5"),
    ("group: widen the role ARN to any account's role/mfa/*", "large-tier",
     lambda f: edit_policy(f, IDENTITY, "aws_iam_group_policy.tier_readonly__assume",
                           lambda d: d["Statement"][0].update(
                               Resource="arn:aws:iam::*:role/*")), "5"),
    ("self-service: iam:* on the user's own ARN", "accounts",
     in_manage("AllowManagingOwnUserMFAAndKeys", lambda s: s.update(Action="iam:*")), "4"),
    ("self-service: users may tag themselves (tag-gated trust)", "large-tier",
     in_manage("DenyChangingOwnTagsAndPolicies", lambda s: s.update(
         Action=without(s["Action"], "iam:TagUser", "iam:UntagUser"))), "4"),
    ("self-service: users may tag themselves, allowed outright", "large-tier",
     chain(in_manage("DenyChangingOwnTagsAndPolicies", lambda s: s.update(
         Action=without(s["Action"], "iam:TagUser"))),
           in_manage("AllowManagingOwnUserMFAAndKeys", lambda s: s["Action"].append(
               "iam:TagUser"))), "4"),
    # more careless edits ---------------------------------------------------------------------
    ("trust: drop the member condition (the seed's caveat)", "accounts",
     in_trust("aws_iam_role.dev__admin", lambda s: drop(s["Condition"], "ArnEquals")), "2"),
    ("trust: drop ArnLike user/* from a tag-gated trust", "large-tier",
     in_trust("aws_iam_role.workloads__developer", lambda s: drop(s["Condition"], "ArnLike")),
     "2"),
    ("trust: Bool -> BoolIfExists", "seed",
     text("terraform/account_main.tf", '"Bool"', '"BoolIfExists"'), "1"),
    ("trust: name a user, no conditions", "seed",
     lambda f: edit_policy(f, "terraform/account_main.tf", "aws_iam_role.main__s3",
                           lambda d: d["Statement"][0].update(
                               Principal={"AWS": "arn:aws:iam::123456789012:user/my-user-name"},
                               Condition={})), "1"),
    ("self-service: drop DenyAssumingOtherRolesIfNoMFA", "large-tier",
     lambda f: edit_policy(f, IDENTITY, MANAGE, lambda d: d.update(Statement=[
         s for s in d["Statement"] if s["Sid"] != "DenyAssumingOtherRolesIfNoMFA"])), "3"),
    ("self-service: exempt s3:* from the no-MFA deny", "accounts",
     in_manage(DENY_NO_MFA, lambda s: s["NotAction"].append("s3:*")), "3"),
    ("self-service: users may add themselves to groups", "accounts",
     in_manage("DenyChangingMFAGroupsAndThisPolicy", lambda s: s.update(
         Action=without(s["Action"], "iam:AddUserToGroup"))), "4"),
    ("self-service: users may rewrite ManageMFAPolicy", "accounts",
     in_manage("DenyChangingMFAGroupsAndThisPolicy", lambda s: s.update(
         Action=without(s["Action"], "iam:CreatePolicyVersion"))), "4"),
    ("self-service: no sts:AssumeRole without MFA (CLI flow)", "accounts",
     in_manage(DENY_NO_MFA, lambda s: s.update(
         NotAction=without(s["NotAction"], "sts:AssumeRole"))), "3"),
    ("self-service: no enrolment without MFA (an open window)", "accounts",
     in_manage(DENY_NO_MFA, lambda s: s.update(
         NotAction=without(s["NotAction"], "iam:EnableMFADevice"))), "3"),
    ("enrolment gate: deleted", "accounts",
     lambda f: edit_policy(f, IDENTITY, MANAGE, lambda d: d.update(Statement=[
         s for s in d["Statement"] if s["Sid"] != GATE])), "3"),
    ("enrolment gate: BoolIfExists -> Bool", "seed",
     in_manage(GATE, lambda s: s.update(Condition={"Bool": {
         "aws:MultiFactorAuthPresent": "false"}})), "3"),
    ("enrolment gate: exempts a user whose window is closed", "accounts",
     in_manage(GATE, lambda s: s["Condition"]["StringNotEquals"].update(
         {"aws:username": ["alice-phone", "alice", "dave"]})), "3"),
    ("enrolment gate: only on CreateVirtualMFADevice", "large-tier",
     in_manage(GATE, lambda s: s.update(Action="iam:CreateVirtualMFADevice")), "3"),
    ("enrolment window: declared open, yet the gate refuses", "accounts",
     text(IDENTITY, 'value       = ["dave"]', 'value       = ["alice", "dave"]'), "3"),
    ("enrolment window: a closed user carries the open tag", "accounts",
     text(USERS, 'name     = "alice"\n  tags     = {}',
          'name     = "alice"\n  tags     = { "mfagen-enrolment" = "open" }'), "3"),
    ("enrolment window: declared open, its tag missing", "accounts",
     text(USERS, '{ "mfagen-enrolment" = "open" }', "{}"), "3"),
    ("enrolment gate: exempts the untagged (StringNotEquals -> StringEquals)", "accounts",
     in_manage(GATE, lambda s: s["Condition"].update(
         StringEquals=s["Condition"].pop("StringNotEquals"))), "3"),
    ("enrolment gate: reads another tag than the one users carry", "accounts",
     text(IDENTITY, "aws:PrincipalTag/mfagen-enrolment", "aws:PrincipalTag/mfagen-enrollment"),
     "3"),
    ("self-service: users may tag themselves (the enrolment gate reads a tag)", "accounts",
     in_manage("DenyChangingOwnTagsAndPolicies", lambda s: s.update(
         Action=without(s["Action"], "iam:TagUser"))), "4"),
    ("self-service: users may rename themselves (the gate reads aws:username)", "accounts",
     in_manage("DenyChangingOwnTagsAndPolicies", lambda s: s.update(
         Action=without(s["Action"], "iam:UpdateUser"))), "4"),
    ("group: lose ManageMFAPolicy", "accounts",
     lambda f: remove_block(f, IDENTITY,
                            "aws_iam_group_policy_attachment.tier_admin__manage_mfa"), "3"),
    ("group: console statement without MFA lets the group assume anything", "accounts",
     lambda f: add(f, IDENTITY, '''
resource "aws_iam_group_policy" "tier_readonly__extra" {
  provider = aws.identity
  name     = "Extra"
  group    = aws_iam_group.tier_readonly.name
  policy   = <<-EOT
    {"Version": "2012-10-17", "Statement": [{"Sid": "Everything", "Effect": "Allow",
     "Action": "sts:AssumeRole", "Resource": "*"}]}
  EOT
}
'''), "5"),
    ("users: an access key in the state", "accounts",
     lambda f: add(f, USERS, '''
resource "aws_iam_access_key" "alice" {
  provider = aws.identity
  user     = aws_iam_user.alice.name
}
'''), "4"),
    ("users: put bob into the admin group", "accounts",
     text(USERS, "groups   = [aws_iam_group.tier_s3.name,",
          "groups   = [aws_iam_group.tier_admin.name, aws_iam_group.tier_s3.name,"), "6"),
    ("profiles: point a profile at another tier's role", "accounts",
     text("profiles/alice/config", "role/mfa/AdminMFARole\nsource_profile = acme\n"
          "role_session_name = alice\nmfa_serial = arn:aws:iam::111111111111:mfa/alice-phone\n"
          "region = eu-north-1", "role/mfa/ReadonlyMFARole\nsource_profile = acme\n"
          "role_session_name = alice\nmfa_serial = arn:aws:iam::111111111111:mfa/alice-phone\n"
          "region = eu-north-1"), "6"),
    ("profiles: drop mfa_serial from a role profile", "seed",
     text("profiles/my-user-name/config",
          "role_session_name = my-user-name\nmfa_serial", "role_session_name = my-user-name\nx"),
     "6"),
    ("profiles: a user's file goes missing", "accounts",
     lambda f: {p: t for p, t in f.items() if p != "profiles/bob/config"}, "6"),
    ("quota: a trust policy past 2,048 characters", "accounts",
     in_trust("aws_iam_role.dev__readonly", lambda s: s["Condition"]["ArnEquals"].update({
         "aws:PrincipalArn": [f"arn:aws:iam::111111111111:user/u{i:03d}" for i in range(50)]
         + ["arn:aws:iam::111111111111:user/carol.smith@acme"]})), "quota"),
]  # fmt: skip

IMPORTS = """
import {
  provider = aws.identity
  to       = aws_iam_group.tier_admin
  id       = "AdminMFAGroup"
}
"""

EQUIVALENT: list[tuple[str, str, Callable[[Files], Files], str]] = [
    ("trust with a maximum MFA age: drop the Bool MFA test", "accounts",
     in_trust("aws_iam_role.dev__admin", lambda s: drop(s["Condition"], "Bool")),
     "aws:MultiFactorAuthAge is present only when MFA was used: the age test demands MFA"),
    ("trust with a maximum MFA age: Bool -> BoolIfExists", "accounts",
     text(DEV, '"Bool"', '"BoolIfExists"'),
     "without MFA the age test fails, whatever BoolIfExists makes of a missing key"),
    ("rename a Sid", "accounts",
     text(IDENTITY, '"AllowCreatingVirtualMFADevices"', '"CreateDevices"'),
     "a Sid is a label: IAM evaluates no statement by it"),
    ("reorder the trust's conditions", "accounts",
     in_trust("aws_iam_role.dev__admin",
              lambda s: s.update(Condition=dict(reversed(list(s["Condition"].items()))))),
     "a statement's conditions are ANDed: their order means nothing"),
    ("principal * in a trust that names its members by ARN", "accounts",
     in_trust("aws_iam_role.dev__admin", lambda s: s.update(Principal={"AWS": "*"})),
     "the ArnEquals condition on aws:PrincipalArn still admits the tier's members alone"),
    ("a single action as a one-element list", "accounts",
     in_manage("AllowCreatingVirtualMFADevices",
               lambda s: s.update(Action=["iam:CreateVirtualMFADevice"])),
     "IAM reads a string and a one-element list of it alike"),
    ("import blocks for what exists already (render --adopt)", "accounts",
     lambda f: add(f, "terraform/imports.tf", IMPORTS),
     "an import adopts an existing resource into the state: the configuration is the same"),
    ("enrolment gate: StringNotEquals -> StringNotEqualsIfExists", "accounts",
     in_manage(GATE, lambda s: s["Condition"].update(
         StringNotEqualsIfExists=s["Condition"].pop("StringNotEquals"))),
     "a negated operator is true when the key is absent, with IfExists or without"),
    ("deny tagging for every user, not just oneself", "large-tier",
     in_manage("DenyChangingOwnTagsAndPolicies",
               lambda s: s.update(Resource="arn:aws:iam::444444444444:user/*")),
     "nobody may tag another user anyway: the wider deny takes nothing a user had"),
]  # fmt: skip
"""Edits that keep the IAM meaning: (name, example, edit, why the meaning is the same)."""


@cache
def baseline(example: str) -> frozenset[tuple[str, str]]:
    return frozenset(keys(audit(rendered(example))))


@cache
def new_findings(name: str) -> frozenset[tuple[str, str]] | None:
    """What the mutant `name` adds to its example's findings (None: it cannot be read)."""
    _, example, mutate, _ = next(m for m in MUTANTS if m[0] == name)
    try:
        return frozenset(keys(audit(mutate(rendered(example))))) - baseline(example)
    except AuditInputError:
        return None


@pytest.mark.parametrize(
    ("name", "invariant"), [pytest.param(m[0], m[3], id=m[0]) for m in MUTANTS]
)
def test_each_mutant_is_caught(name: str, invariant: str) -> None:
    new = new_findings(name)
    assert new, "the mutant raised no new finding"
    assert invariant in {inv for inv, _ in new}, sorted(new)


@pytest.mark.parametrize(
    ("example", "mutate"), [pytest.param(ex, fn, id=name) for name, ex, fn, _ in EQUIVALENT]
)
def test_equivalent_edits_raise_nothing_new(example: str, mutate: Callable[[Files], Files]) -> None:
    assert keys(audit(mutate(rendered(example)))) == baseline(example)


def justified(example: str, mutate: Callable[[Files], Files], why: str) -> bool:
    """An equivalent edit states why, and the audit reads the same IAM from it: the same
    findings and the same access matrix (who may assume which role, with and without MFA)."""
    before, after = audit(rendered(example)), audit(mutate(rendered(example)))
    return bool(why) and (keys(after), after.matrix) == (keys(before), before.matrix)


def test_mutation_score() -> None:
    """Computed here from the audit's own answers: a mutant counts as caught only when it
    raises a new finding under its invariant, and an edit leaves the score only when it is
    justified as equivalent."""
    caught = [
        name
        for name, _, _, invariant in MUTANTS
        if invariant in {found for found, _ in new_findings(name) or ()}
    ]
    unjustified = [
        name for name, example, mutate, why in EQUIVALENT if not justified(example, mutate, why)
    ]
    survivors = sorted({name for name, *_ in MUTANTS} - set(caught))

    assert (len(caught), survivors, unjustified) == (len(MUTANTS), [], []), (
        f"mutation score {len(caught)}/{len(MUTANTS)}"
    )
