"""checkov, as platform teams run it on their Terraform, passes on every golden tree.

Each check mfagen fails by design carries an inline `checkov:skip` with its reason in the
blueprints; a new finding, or a skip without a reason, fails here. checkov runs from its own
environment (its dependencies clash with the test extra): MFAGEN_CHECKOV names the binary,
else `checkov` on PATH. Missing, the test skips, unless MFAGEN_REQUIRE_CHECKOV is set (CI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.golden import CASES

EXPECTED_SKIPS = {"CKV_AWS_61", "CKV_AWS_273", "CKV_AWS_274"}
"""What mfagen does on purpose: an account principal restricted by conditions (the check
flags any, bridgecrewio/checkov#7209), IAM users, the tier policies accounts.yaml names."""


@pytest.fixture(scope="module")
def checkov() -> str:
    found = os.environ.get("MFAGEN_CHECKOV") or shutil.which("checkov")
    if not found:
        message = "checkov is not installed (set MFAGEN_CHECKOV to its binary)"
        if os.environ.get("MFAGEN_REQUIRE_CHECKOV"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


def _scan(checkov: str, folder: Path) -> list[dict[str, Any]]:
    completed = subprocess.run(
        [checkov, "-d", str(folder), "--framework", "terraform", "--skip-download",
         "--output", "json"],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert completed.returncode in (0, 1), completed.stderr[-2000:]
    data = json.loads(completed.stdout)
    reports: list[dict[str, Any]] = data if isinstance(data, list) else [data]
    return reports


@pytest.mark.parametrize("case", sorted(CASES))
def test_checkov_finds_nothing_unexplained(checkov: str, case: str) -> None:
    _, golden = CASES[case]
    (report,) = _scan(checkov, golden / "terraform")
    results = report["results"]
    failed = [(c["check_id"], c["resource"]) for c in results["failed_checks"]]
    assert failed == [], failed
    assert results["parsing_errors"] == []
    assert report["summary"]["passed"] > 0
    skipped = results["skipped_checks"]
    assert skipped, "the golden tree should hold mfagen's explained skips"
    assert {c["check_id"] for c in skipped} <= EXPECTED_SKIPS
    for check in skipped:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) > 20, (check["check_id"], check["resource"], reason)
