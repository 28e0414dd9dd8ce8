"""`mfagen audit --live`: its exit codes, its text (a summary first) and JSON, its options."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfagen import transaction
from mfagen.audit.live.state import Progress
from mfagen.cli import app
from mfagen.reporter import Reporter

from .conftest import CONFIG, EVERYTHING, IDENTITY, Live, iam_in, render

runner = CliRunner()


def test_a_clean_account_set_exits_0_with_a_summary_first(live: Live) -> None:
    result = runner.invoke(app, ["audit", "--live", str(live.folder)])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:6] == [
        f"{live.folder}: IAM of 2 of 2 accounts read",
        "  invariants: all hold",
        f"  drift from {live.folder}: none",
        "  users outside accounts.yaml whose keys reach more: none; 1 acknowledged machine user",
        "  onboarding: 3 not enrolled; no notes",
        "machine user: dev (222222222222) ci: acknowledged, but IAM holds no such user",
    ]
    assert result.stderr == ""


def test_a_finding_exits_1_and_says_so_on_stderr(live: Live) -> None:
    iam_in(IDENTITY).put_group_policy(
        GroupName="ReadonlyMFAGroup", PolicyName="X", PolicyDocument=EVERYTHING
    )

    result = runner.invoke(app, ["audit", "--live", str(live.folder)])

    assert result.exit_code == 1, result.output
    assert (
        f"drift: identity ({IDENTITY}) arn:aws:iam::{IDENTITY}:group/mfa/ReadonlyMFAGroup: "
        "inline policy X is attached, the output does not declare it"
    ) in result.stdout.splitlines()
    assert result.stderr.splitlines()[-1].startswith("mfagen: live audit failed: ")


def test_json_is_one_document(live: Live) -> None:
    result = runner.invoke(app, ["audit", "--live", str(live.folder), "--format", "json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["ok"], data["complete"], data["drift"], data["outsiders"]) == (True, True, [], [])
    assert [a["alias"] for a in data["accounts"]] == ["dev", "identity"]
    assert data["invariants"]["ok"] is True
    assert data["onboarding"][2] == {
        "user": "dave",
        "state": "not enrolled",
        "named": [f"arn:aws:iam::{IDENTITY}:mfa/dave"],
        "devices": [],
        "window": "open",
        "active_keys": 0,
        "notes": [],
    }


def test_an_unreadable_account_exits_2_naming_the_call(aws: None, tmp_path: Path) -> None:
    folder, _ = render(tmp_path, CONFIG.replace(f'"{IDENTITY}"', '"111111111111"'))

    result = runner.invoke(app, ["audit", "--live", str(folder)])

    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0] == (
        "mfagen: error: identity (111111111111): sts:GetCallerIdentity failed: the credentials "
        f"(the caller's own) act in account {IDENTITY} as arn:aws:sts::{IDENTITY}:user/moto, "
        "not in 111111111111"
    )
    assert "  invariants: not proved (the identity account could not be read)" in result.stdout
    assert result.stderr.splitlines()[1] == (
        "  hint: the other accounts were audited; give the caller (or --role-name's role) read "
        "access there, see docs/live-audit.md"
    )


def test_an_unknown_aws_profile_exits_2_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, _ = render(tmp_path)
    monkeypatch.setenv("AWS_PROFILE", "nosuch")

    result = runner.invoke(app, ["audit", "--live", str(folder)])

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "mfagen: error: cannot read IAM: The config profile (nosuch) could not be found\n"
        "  hint: check AWS_PROFILE, or unset it for boto3's default credentials; "
        "`aws configure list` shows the profile and credentials found\n"
    )


def test_without_credentials_no_account_is_read_and_the_hint_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, _ = render(tmp_path)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata look-up
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)

    result = runner.invoke(app, ["audit", "--live", str(folder)])

    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "mfagen: error: dev (222222222222): sts:AssumeRole failed: Unable to locate credentials\n"
        f"mfagen: error: identity ({IDENTITY}): sts:GetCallerIdentity failed: Unable to locate "
        "credentials\n"
        "  hint: no account was read: check the caller's credentials (`aws configure list`), "
        "and give them (or --role-name's role) read access, see docs/live-audit.md\n"
    )


def test_role_name_needs_live_and_a_role_name(tmp_path: Path) -> None:
    alone = runner.invoke(app, ["audit", str(tmp_path), "--role-name", "Audit"])
    bad = runner.invoke(app, ["audit", "--live", str(tmp_path), "--role-name", "two words"])

    assert alone.exit_code == 2
    assert alone.stderr == "mfagen: error: --role-name applies to --live only\n  hint: add --live\n"
    assert bad.exit_code == 2
    assert bad.stderr.startswith("mfagen: error: --role-name 'two words' is not an IAM role name")


def test_without_boto3_the_message_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)

    result = runner.invoke(app, ["audit", "--live", str(tmp_path)])

    assert result.exit_code == 2
    assert result.stderr.startswith("mfagen: error: audit --live needs boto3, which is not ")
    assert "  hint: pip install 'mfagen[aws]'" in result.stderr


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    err = io.StringIO()
    reporter = Reporter(io.StringIO(), err)

    reporter.progress(Progress(1, 2, "dev", failed=False))
    reporter.progress(Progress(2, 2, "identity", failed=True))

    assert err.getvalue() == (
        "\rmfagen: reading IAM: 1/2 accounts, dev\x1b[K"
        "\rmfagen: reading IAM: 2/2 accounts, identity (failed)\x1b[K\n"
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_only() -> None:
    on_terminal = Reporter(io.StringIO(), _Terminal())
    piped = Reporter(io.StringIO(), io.StringIO())

    assert on_terminal.live_progress() == on_terminal.progress
    assert piped.live_progress() is None


def test_a_folder_an_interrupted_render_left_is_refused_before_aws(live: Live) -> None:
    staged = transaction.stage(live.folder, {"terraform/providers.tf": b"# newer\n"})

    result = runner.invoke(app, ["audit", "--live", str(live.folder)])

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == (
        f"mfagen: error: {live.folder}: a render into this folder was interrupted and left its "
        f"staged files (*.mfagen-tmp)\n  hint: run `mfagen render --out {live.folder}`: before "
        "it writes, it deletes them, then renders as usual\n"
    )
    transaction.discard(live.folder, staged)
