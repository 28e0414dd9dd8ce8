"""The six invariants on the three rendered examples: the access matrix and what is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfagen import api, plan, render
from mfagen.audit.checks.report import AuditReport, Cell
from mfagen.errors import ConfigError
from mfagen.models import Config
from tests.helpers import minimal, write_config

from .cases import add, audit, keys, rendered, replace


def cells(report: AuditReport, user: str) -> dict[tuple[str, str], tuple[bool, bool, bool | None]]:
    found = dict(report.matrix)[user]
    return {(c.account, c.tier): (c.with_mfa, c.without_mfa, c.too_old) for c in found}


def test_matrix_of_the_example() -> None:
    report = audit(rendered("accounts"))
    assert cells(report, "alice") == {
        ("identity", "admin"): (True, False, False),
        ("dev", "admin"): (True, False, False),
        ("prod", "admin"): (True, False, False),
    }
    assert cells(report, "carol.smith@acme") == {
        ("identity", "readonly"): (True, False, False),
        ("dev", "readonly"): (True, False, False),
        ("prod", "readonly"): (True, False, False),
        ("dev", "data-eng"): (True, False, False),
    }
    assert set(cells(report, "bob")) == {
        ("dev", "s3"), ("prod", "s3"), ("dev", "deployer"), ("prod", "deployer")
    }  # fmt: skip
    assert cells(report, "dave") == {}
    assert all(c.member for _, found in report.matrix for c in found)


def test_matrix_without_a_maximum_mfa_age() -> None:
    report = audit(rendered("seed"))
    assert cells(report, "my-user-name") == {
        ("main", "admin"): (True, False, None),
        ("main", "s3"): (True, False, None),
    }


def test_matrix_of_a_tag_gated_tier() -> None:
    report = audit(rendered("large-tier"))
    assert cells(report, "dev001") == {("workloads", "developer"): (True, False, None)}
    assert set(cells(report, "dev010")) == {
        ("workloads", "developer"), ("identity", "readonly"), ("workloads", "readonly")
    }  # fmt: skip
    assert set(cells(report, "root-admin")) == {("identity", "admin"), ("workloads", "admin")}


EXAMPLES = ["accounts", "seed", "large-tier", "per-account"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_rendered_examples_satisfy_every_invariant(example: str) -> None:
    report = audit(rendered(example))
    assert report.findings == ()
    assert report.ok


@pytest.mark.parametrize("example", EXAMPLES)
def test_without_enforce_mfa_the_examples_hold(example: str) -> None:
    assert audit(rendered(example), enforce_mfa=False).ok


def test_matrix_of_the_per_account_layout() -> None:
    report = audit(rendered("per-account"))
    assert cells(report, "marge") == {
        ("staging", "developer"): (True, False, False),
        ("staging", "auditor"): (True, False, False),
        ("production", "auditor"): (True, False, False),
    }


def test_a_tierless_user_can_enrol_but_assume_nothing() -> None:
    report = audit(rendered("accounts"))
    assert dict(report.matrix)["dave"] == ()
    assert not any("dave" in f.subjects and f.invariant != "3" for f in report.findings)


def test_a_user_in_no_group_cannot_enrol() -> None:
    files = replace(
        rendered("accounts"), "terraform/users.tf",
        "groups   = [aws_iam_group.self_service.name]", "groups   = []",
    )  # fmt: skip
    report = audit(files)
    (finding,) = (f for f in report.findings if f.message.startswith("without MFA, the user"))
    assert finding.subjects == ("dave",)
    assert finding.message == (
        "without MFA, the user cannot enrol or manage their MFA device: "
        "iam:CreateVirtualMFADevice on arn:aws:iam::111111111111:mfa/dave; "
        "iam:CreateVirtualMFADevice on arn:aws:iam::111111111111:mfa/mfagen-audit-any-name; "
        "iam:EnableMFADevice on their own user; iam:ListMFADevices on their own user; "
        "iam:ListVirtualMFADevices on *"
    )


def test_a_console_tier_deny_locks_its_members_out_of_mfa(tmp_path: Path) -> None:
    """A console tier's Deny reaches its group as is (only Allows get the MFA test), so a tier
    kept away from IAM cannot enrol MFA either: the audit reports it (an mfagen finding)."""
    tiers = {
        "admin": {"preset": "admin"},
        "ops": {
            "console": True,
            "statements": [
                {"sid": "Ec2", "actions": ["ec2:*"], "resources": ["*"]},
                {"sid": "NoIam", "effect": "Deny", "actions": ["iam:*"], "resources": ["*"]},
            ],
        },
    }
    users = {"alice": {"tiers": ["admin"]}, "olga": {"tiers": ["ops"]}}
    data = minimal(tiers=tiers, users=users)
    with pytest.raises(ConfigError, match="blocks their MFA self-service"):
        api.validate(write_config(tmp_path, data))  # mfagen refuses to render it...
    files = render.render(plan.build(Config.model_validate(data)))  # ...the audit catches it too
    report = audit({path: content.decode() for path, content in files.items()})
    locked = [f for f in report.findings if "cannot enrol or manage" in f.message]
    assert [f.subjects for f in locked] == [("olga",), ("olga",)]
    assert {e.ref.sid for f in locked for e in f.evidence} == {"NoIam"}


def test_evidence_names_file_line_and_sid() -> None:
    files = replace(
        rendered("accounts"), "terraform/account_dev.tf", '"ArnEquals"', '"ArnNotEquals"'
    )
    report = audit(files)
    finding = next(f for f in report.findings if f.invariant == "2")
    (ref,) = {e.ref for e in finding.evidence}
    assert (ref.file, ref.address, ref.sid, ref.effect) == (
        "terraform/account_dev.tf", "aws_iam_role.dev__admin", "AssumeWithMFA", "Allow"
    )  # fmt: skip
    line = rendered("accounts")["terraform/account_dev.tf"].split("\n")[ref.line - 1]
    assert '"Sid": "AssumeWithMFA"' in line


def test_a_member_the_trust_does_not_admit_is_reported_with_the_unmet_test() -> None:
    files = replace(
        rendered("accounts"), "terraform/account_prod.tf",
        '"aws:PrincipalArn": "arn:aws:iam::111111111111:user/alice"',
        '"aws:PrincipalArn": "arn:aws:iam::111111111111:user/alicia"',
    )  # fmt: skip
    report = audit(files)
    finding = next(f for f in report.findings if "does not admit" in f.message)
    assert finding.subjects == ("alice",)
    assert any(
        e.role == "unmet" and e.note.startswith("ArnEquals aws:PrincipalArn")
        for e in finding.evidence
    )
    assert cells(report, "alice")[("prod", "admin")] == (False, False, False)


def test_a_profile_file_for_a_stranger() -> None:
    files = {**rendered("accounts"), "profiles/mallory/config": "[profile acme]\n"}
    assert ("6", "a profile file for someone who is no user of the module") in keys(audit(files))


def test_duplicate_profiles() -> None:
    text = rendered("accounts")["profiles/alice/config"]
    block = text[
        text.index("[profile acme-dev-admin]") : text.index("[profile acme-identity-admin]")
    ]
    files = {**rendered("accounts"), "profiles/alice/config": text + "\n" + block.replace(
        "acme-dev-admin", "acme-dev-admin-again")}  # fmt: skip
    assert ("6", "2 profiles for tier admin in account dev") in keys(audit(files))


def test_unknown_resources_are_reported() -> None:
    files = add(rendered("seed"), "terraform/extra.tf", 'resource "aws_s3_bucket" "b" {}\n')
    assert ("module", "aws_s3_bucket.b: the audit does not model aws_s3_bucket") in keys(
        audit(files)
    )


def test_cells_are_plain_data() -> None:
    cell = dict(audit(rendered("seed")).matrix)["my-user-name"][0]
    assert isinstance(cell, Cell)
    assert cell.role == "arn:aws:iam::123456789012:role/AdminMFARole"
