"""Modules made to defeat the audit's shortcuts, and the reports they must give.

The audit shares trust decisions between callers of one signature (trust_signatures.py), builds
the matrix by groups of users (matrix.py), asks each self-service question once for the classes
of users that share a stand-in (selfservice.py) and asks only the policies that can take part
(pool.py). Each module below is built to trip one of them: a tier group allowing something
without MFA, trusts that name one user, read `${aws:username}`, deny by NotPrincipal or by user
name, a policy that names a particular user. hand_made_reports.json holds the report of each
(its violations and the matrix rows it changes) as the reference gave it, which asked every
question of every user and class one by one, and agreed with the shortcuts, before it was
retired. After an intended change, `pytest tests/audit/test_hand_made.py --update-golden`
writes what the audit reports now; review that diff as a change to the audit's findings.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from mfagen.audit import Options, audit_files
from mfagen.audit.checks import selfservice, subjects, trust_signatures
from mfagen.audit.checks.access import Access
from mfagen.audit.checks.report import as_json
from mfagen.audit.policy.pool import Verdicts
from mfagen.audit.read import terraform

from .cases import Files, add, edit_policy, rendered, statement

IDENTITY = "terraform/identity.tf"
DEV = "terraform/account_dev.tf"
WORKLOADS = "terraform/account_workloads.tf"
ALICE = "arn:aws:iam::111111111111:user/alice"
BOB = "arn:aws:iam::111111111111:user/bob"
Statements = list[dict[str, Any]]


def in_trust(
    path: str, address: str, edit: Callable[[Statements], object]
) -> Callable[[Files], Files]:
    return lambda files: edit_policy(files, path, address, lambda d: edit(d["Statement"]))


def readonly_s3_without_mfa(files: Files) -> Files:
    """The readonly group's extra grant, and the no-MFA deny lets s3 through."""
    files = edit_policy(
        files, IDENTITY, "aws_iam_policy.manage_mfa",
        lambda d: statement(d, "DenyAllExceptListedIfNoMFA")["NotAction"].append("s3:*"),
    )  # fmt: skip
    return readonly_extra(files)


def readonly_extra(files: Files) -> Files:
    """The readonly group may also read s3 and tag users (others: its own is denied)."""
    return add(
        files,
        IDENTITY,
        """
resource "aws_iam_group_policy" "tier_readonly__extra" {
  provider = aws.identity
  name     = "Extra"
  group    = aws_iam_group.tier_readonly.name
  policy   = <<-EOT
    {"Version": "2012-10-17", "Statement": [{"Sid": "S3", "Effect": "Allow",
     "Action": ["s3:GetObject", "iam:TagUser", "iam:PutGroupPolicy"], "Resource": "*"}]}
  EOT
}
""",
    )


def bob_may_tag_alice(files: Files) -> Files:
    return add(
        files,
        IDENTITY,
        f'''
resource "aws_iam_user_policy" "bob_extra" {{
  provider = aws.identity
  name     = "Extra"
  user     = aws_iam_user.bob.name
  policy   = <<-EOT
    {{"Version": "2012-10-17", "Statement": [{{"Sid": "TagAlice", "Effect": "Allow",
     "Action": ["iam:TagUser", "sts:AssumeRole"], "Resource": ["{ALICE}", "*"]}}]}}
  EOT
}}
''',
    )


def _drop_member_list(s: Statements) -> None:
    del s[0]["Condition"]["ArnEquals"]


HAND_MADE: list[tuple[str, str, Callable[[Files], Files]]] = [
    ("a tier group allows s3 without MFA", "accounts", readonly_s3_without_mfa),
    ("a tier group may tag other users", "accounts", readonly_extra),
    ("a policy names a particular user", "accounts", bob_may_tag_alice),
    ("a trust names a user as principal, its member list another", "accounts", in_trust(
        DEV, "aws_iam_role.dev__admin", lambda s: s[0].update(Principal={"AWS": BOB}))),
    ("a trust names another user as principal, no member list", "accounts", in_trust(
        DEV, "aws_iam_role.dev__admin", lambda s: (
            _drop_member_list(s),
            s[0].update(Principal={"AWS": [ALICE, BOB]})))),
    ("a trust reads ${aws:username}", "accounts", in_trust(
        DEV, "aws_iam_role.dev__admin", lambda s: (_drop_member_list(s), s[0]["Condition"].update(
            ArnLike={"aws:PrincipalArn": "arn:aws:iam::111111111111:user/${aws:username}"})))),
    ("a trust compares the user name with a variable", "accounts", in_trust(
        DEV, "aws_iam_role.dev__admin", lambda s: (_drop_member_list(s), s[0]["Condition"].update(
            StringLike={"aws:username": "${aws:PrincipalTag/x, 'b*'}"})))),
    ("a trust denies all but one by NotPrincipal", "accounts", in_trust(
        DEV, "aws_iam_role.dev__admin", lambda s: (_drop_member_list(s), s.append({
            "Sid": "OnlyBob", "Effect": "Deny", "NotPrincipal": {"AWS": BOB},
            "Action": "sts:AssumeRole"})))),
    ("a tag-gated trust without the MFA test", "large-tier", in_trust(
        WORKLOADS, "aws_iam_role.workloads__developer", lambda s: s[0]["Condition"].pop("Bool"))),
    ("a tag-gated trust denies two users by name", "large-tier", in_trust(
        WORKLOADS, "aws_iam_role.workloads__developer", lambda s: s.append({
            "Sid": "NotThem", "Effect": "Deny", "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:username": ["dev001", "dev007"]}}}))),
    ("a trust admits by a list of user names", "large-tier", in_trust(
        WORKLOADS, "aws_iam_role.workloads__developer", lambda s: s[0]["Condition"].update(
            StringEquals={"aws:username": ["dev001", "dev002", "dev003", "root-admin"]}))),
    ("a trust with a maximum MFA age", "large-tier", in_trust(
        WORKLOADS, "aws_iam_role.workloads__developer", lambda s: s[0]["Condition"].update(
            NumericLessThanEquals={"aws:MultiFactorAuthAge": "900"}))),
]  # fmt: skip

EXPECTED = Path(__file__).with_name("hand_made_reports.json")


def report(files: Files, *, enforce_mfa: bool = True) -> Any:
    """The report as JSON, without the invariants' titles (wording, not findings)."""
    found = as_json(audit_files(files, "output", Options(enforce_mfa=enforce_mfa)))
    for violation in found["violations"]:
        del violation["title"]
    return found


@cache
def unchanged(example: str) -> Any:
    return report(rendered(example))


def observed(name: str, example: str, mutate: Callable[[Files], Files]) -> dict[str, Any]:
    """The report of one hand-made module: its violations, and the matrix rows it changed."""
    base = unchanged(example)["matrix"]
    files = mutate(rendered(example))
    found = report(files)
    entry: dict[str, Any] = {
        "example": example,
        "matrix_changed": {u: rows for u, rows in found["matrix"].items() if base.get(u) != rows},
        "violations": found["violations"],
    }
    without = report(files, enforce_mfa=False)["violations"]
    if without != found["violations"]:
        entry["violations_without_enforce_mfa"] = without
    assert set(found["matrix"]) == set(base), f"{name}: the matrix lost or gained users"
    return entry


def test_each_hand_made_module_gives_its_report(update_golden: bool) -> None:
    found = {name: observed(name, example, mutate) for name, example, mutate in HAND_MADE}
    if update_golden:
        EXPECTED.write_text(
            json.dumps(found, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert sorted(found) == sorted(expected)
    for name in sorted(found):
        assert found[name] == expected[name], f"{name}: the report differs"


def test_the_hand_made_modules_find_something() -> None:
    """Each hand-made module must change a finding or the matrix, else it proves little."""
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    for name, example, _ in HAND_MADE:
        entry = expected[name]
        base = unchanged(example)["violations"]
        assert entry["matrix_changed"] or entry["violations"] != base, name


def _access(example: str, mutate: Callable[[Files], Files] = lambda f: f) -> Any:
    files = mutate(rendered(example))
    found = terraform.read({p: t for p, t in files.items() if p.startswith("terraform/")})
    return Access(found, subjects.classes(found))


def test_members_of_a_tag_gated_tier_share_one_trust_decision() -> None:
    access = _access("large-tier")
    role = next(r for r in access.module.roles if r.tier == "developer")
    decisions = {id(access.trust(role, access.actor(u), "fresh")) for u in access.admissible(role)}
    assert len(access.admissible(role)) > 10
    assert len(decisions) == 1


def test_a_trust_with_a_policy_variable_asks_each_caller() -> None:
    mutate = {n: fn for n, _, fn in HAND_MADE}["a trust reads ${aws:username}"]
    access = _access("accounts", mutate)
    role = next(r for r in access.module.roles if r.key == "dev__admin")
    assert trust_signatures.shape(role.trust) is None
    sigs = {access.signature(role, access.actor(u)) for u in access.module.users}
    assert len(sigs) == len(access.module.users)


def test_self_service_finds_nothing_in_a_sound_module_and_names_only_the_culprits() -> None:
    assert list(selfservice.check(_access("large-tier"), {}, enforce_mfa=True)) == []
    access = _access("accounts", readonly_extra)
    found = list(selfservice.check(access, {}, enforce_mfa=True))
    assert {(f.invariant, s) for f in found for s in f.subjects} == {("4", "carol.smith@acme")}


def test_the_index_tells_the_classes_that_give_an_answer_as_each_class_would() -> None:
    """selfservice.Index's set algebra against each class asked on its own: every choice of
    one to three classes, each holding policy 0 (everyone's) and some of policies 1 and 2,
    every set of allowing and of denying policies (3 is nobody's), asked of every subset."""
    subsets = [frozenset(p for p in range(4) if bits >> p & 1) for bits in range(16)]
    holdings = [frozenset({0}), frozenset({0, 1}), frozenset({0, 2}), frozenset({0, 1, 2})]

    def alone(finds: str, held: frozenset[int], verdicts: Verdicts) -> bool:
        if finds == "unguarded":
            return held.isdisjoint(verdicts.denies)
        allowed = verdicts.allow(held)
        return allowed if finds == "granted" else not allowed

    choices = [c for size in (1, 2, 3) for c in itertools.combinations(holdings, size)]
    for classes in choices:
        index = selfservice.Index(dict(enumerate(classes)))
        positions = range(len(classes))
        askers = [
            frozenset(n for n in positions if bits >> n & 1) for bits in range(1, 1 << len(classes))
        ]
        for among, allows, denies in itertools.product(askers, subsets, subsets):
            verdicts = Verdicts(allows, denies)
            for finds in ("refused", "unguarded", "granted"):
                want = {n for n in among if alone(finds, classes[n], verdicts)}
                assert index.answering(finds, verdicts, among) == want
