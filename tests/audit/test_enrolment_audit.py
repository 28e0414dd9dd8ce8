"""The audit proves the enrolment gate from the HCL alone (SPEC invariant 3).

Only users the module declares open (output `enrolment_open`) may create or enable an MFA
device without MFA; for everyone else an explicit Deny must refuse it even if some other
policy allows everything. The mutation tests delete and weaken the gate; these tests cover
the declaration itself and the configurations the gate must not depend on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mfagen import api
from mfagen.audit import Options, audit_files
from mfagen.audit.checks.report import as_json, matrix_text
from tests.helpers import minimal, write_config

from .cases import audit, edit_policy, rendered, replace

GATE = "DenyEnrollingMFADevicesWithoutMFAUnlessOpen"
IDENTITY = "terraform/identity.tf"


def _files(tmp_path: Path, data: dict[str, Any]) -> dict[str, str]:
    files = api.render_files(api.validate(write_config(tmp_path, data)).plan)
    return {path: content.decode() for path, content in files.items()}


def _without_gate(files: dict[str, str]) -> dict[str, str]:
    return edit_policy(files, IDENTITY, "aws_iam_policy.manage_mfa", lambda d: d.update(
        Statement=[s for s in d["Statement"] if s["Sid"] != GATE]))  # fmt: skip


def test_the_report_shows_each_users_window() -> None:
    report = audit(rendered("accounts"))
    assert report.ok, report.findings
    assert report.enrolment_open == frozenset({"dave"})
    text = matrix_text(report)
    assert "  dave  (enrolment window open)" in text
    assert "  alice  (enrolment window closed)" in text
    assert as_json(report)["enrolment"] == {
        "alice": "closed",
        "bob": "closed",
        "carol.smith@acme": "closed",
        "dave": "open",
    }


@pytest.mark.parametrize(
    "defaults",
    [{"enforce_mfa": False}, {"create_users": False}],
    ids=["enforce_mfa false", "create_users false"],
)
def test_the_gate_holds_without_enforce_mfa_or_created_users(
    tmp_path: Path, defaults: dict[str, Any]
) -> None:
    data = minimal(users={"alice": {"tiers": ["admin"]}, "bob": {"enrolment": "open"}})
    data["defaults"] = {**data["defaults"], **defaults}
    files = _files(tmp_path, data)
    options = Options(enforce_mfa=defaults.get("enforce_mfa", True))
    assert audit_files(files, "output", options).ok
    found = audit_files(_without_gate(files), "output", options).findings
    (gap,) = (f for f in found if "enrolment window closed" in f.message)
    assert gap.invariant == "3"
    assert gap.subjects == ("alice",)
    assert gap.message.startswith(
        "enrolment window closed, yet without MFA nothing denies iam:CreateVirtualMFADevice on "
    )
    assert "iam:EnableMFADevice on their own user" in gap.message


def test_a_module_without_the_declaration_has_every_window_closed() -> None:
    files = replace(rendered("accounts"), IDENTITY, 'value       = ["dave"]', "value       = []")
    report = audit(files)
    assert report.enrolment_open == frozenset()
    (gap,) = report.findings  # the gate still exempts dave, whom nothing declares open
    assert gap.invariant == "3"
    assert gap.subjects == ("dave",)
    assert gap.message.startswith("enrolment window closed, yet without MFA nothing denies ")


def test_closing_a_window_by_hand_in_both_places_holds() -> None:
    files = replace(rendered("accounts"), IDENTITY, 'value       = ["dave"]', "value       = []")

    def close(document: dict[str, Any]) -> None:
        (gate,) = (s for s in document["Statement"] if s["Sid"] == GATE)
        del gate["Condition"]["StringNotEquals"]

    files = edit_policy(files, IDENTITY, "aws_iam_policy.manage_mfa", close)
    report = audit(files)
    assert report.ok, report.findings
    assert report.enrolment_open == frozenset()
