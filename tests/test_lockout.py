from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfagen import lockout
from mfagen.cli import app
from mfagen.errors import LockoutError
from tests.helpers import build, minimal, write_config

runner = CliRunner()


def test_admin_path_through_the_identity_accounts_admin_role() -> None:
    assert lockout.admin_paths(build(minimal())) == ("alice -> AdminMFARole",)


def test_admin_roles_elsewhere_are_no_path_into_the_identity_account() -> None:
    data = minimal()
    data["tiers"]["admin"]["accounts"] = ["prod"]
    assert lockout.admin_paths(build(data)) == ()


def test_a_custom_allow_all_statement_counts_as_admin() -> None:
    data = minimal()
    data["tiers"]["admin"] = {"statements": [{"actions": ["*"], "resources": ["*"]}]}
    assert lockout.admin_paths(build(data)) == ("alice -> AdminMFARole",)
    data["tiers"]["admin"]["statements"][0]["conditions"] = {
        "Bool": {"aws:SecureTransport": "true"}
    }
    assert lockout.admin_paths(build(data)) == ()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_validate_warns_when_nobody_could_repair_iam(workdir: Path) -> None:
    data = minimal()
    data["tiers"]["admin"]["accounts"] = ["prod"]
    write_config(workdir, data)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "accounts.yaml:12:1: warning: tiers: no user can reach an admin role in the identity "
        "account 'identity'\n"
        "  hint: keep a backup admin: a tier with preset: admin deployed in the identity account "
        "and at least one member, or IAM mistakes need the root user to repair\n"
    )


def test_render_refuses_to_remove_the_last_admin_path(workdir: Path) -> None:
    write_config(workdir, minimal())
    assert runner.invoke(app, ["render"]).exit_code == 0
    before = {p: p.read_bytes() for p in Path("output").rglob("*") if p.is_file()}
    write_config(workdir, minimal(users={"alice": {}}))
    result = runner.invoke(app, ["render"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "mfagen: error: output: this render removes the last admin path into the identity "
        "account (now: alice -> AdminMFARole); nothing written\n"
        "  hint: keep a backup admin, or pass --allow-lockout if you really mean it\n"
    )
    assert {p: p.read_bytes() for p in Path("output").rglob("*") if p.is_file()} == before
    forced = runner.invoke(app, ["render", "--allow-lockout"])
    assert forced.exit_code == 0, forced.output
    assert runner.invoke(app, ["render"]).exit_code == 0  # nothing left to lose now


def test_a_long_list_of_admin_paths_is_cut() -> None:
    pairs = tuple(f"user{n:03d} -> AdminMFARole" for n in range(300))
    error = LockoutError("output", pairs)
    assert error.message == (
        "this render removes the last admin path into the identity account (now: "
        "user000 -> AdminMFARole, user001 -> AdminMFARole, user002 -> AdminMFARole, "
        "user003 -> AdminMFARole, user004 -> AdminMFARole ... and 295 more); nothing written"
    )
