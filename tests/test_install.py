"""install-profile merges one block into an AWS config file and touches nothing else."""

from __future__ import annotations

import stat
from pathlib import Path

import botocore.session
import pytest
from typer.testing import CliRunner

from mfagen.cli import app
from tests.helpers import minimal, write_config

runner = CliRunner()

OTHER = (
    b"[default]\nregion = us-west-2\noutput = json\n\n"
    b"[profile personal]\x20\t\nregion = eu-central-1\n"  # trailing blanks must survive
)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, minimal(users={"alice": {"tiers": ["admin"]}, "bob": {}}))
    return tmp_path / "aws" / "config"


def _install(target: Path, *extra: str, user: str = "alice") -> str:
    result = runner.invoke(app, ["install-profile", user, "--aws-config", str(target), *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def _profiles(target: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, str]]:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(target))
    profiles: dict[str, dict[str, str]] = botocore.session.Session().full_config["profiles"]
    return profiles


def test_new_file_gets_the_block_with_mode_0600(
    setup: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _install(setup) == f"{setup}: added the mfagen block\n"
    assert stat.S_IMODE(setup.stat().st_mode) == 0o600
    text = setup.read_text()
    assert text.startswith("# >>> mfagen acme\n")
    assert sorted(_profiles(setup, monkeypatch)) == [
        "acme",
        "acme-identity-admin",
        "acme-prod-admin",
    ]


def test_existing_content_is_kept_byte_for_byte(
    setup: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup.parent.mkdir()
    setup.write_bytes(OTHER + b"# trailing comment")
    setup.chmod(0o640)
    output = _install(setup)
    backup = setup.with_name("config.mfagen-backup")
    assert output == f"{setup}: added the mfagen block (previous file kept as {backup})\n"
    assert backup.read_bytes() == OTHER + b"# trailing comment"
    content = setup.read_bytes()
    assert content.startswith(OTHER + b"# trailing comment\n\n# >>> mfagen acme\n")
    assert stat.S_IMODE(setup.stat().st_mode) == 0o640
    profiles = _profiles(setup, monkeypatch)
    assert profiles["personal"] == {"region": "eu-central-1"}
    assert "acme-prod-admin" in profiles


def test_reinstalling_replaces_the_block_in_place(setup: Path) -> None:
    setup.parent.mkdir()
    setup.write_bytes(OTHER)
    _install(setup)
    with_alice = setup.read_bytes()
    setup.write_bytes(with_alice + b"\n[profile after]\nregion = us-east-1\n")
    assert _install(setup) == f"{setup}: already up to date, nothing written\n"
    _install(setup, user="bob")
    content = setup.read_bytes()
    assert content.count(b"# >>> mfagen acme") == 1
    assert b"role_session_name = alice" not in content
    assert content.startswith(OTHER)
    assert content.endswith(b"# <<< mfagen acme\n\n[profile after]\nregion = us-east-1\n")


def test_dry_run_prints_a_diff_and_writes_nothing(setup: Path) -> None:
    setup.parent.mkdir()
    setup.write_bytes(OTHER)
    output = _install(setup, "--dry-run")
    assert output.startswith(f"--- {setup}\n+++ {setup}\n")
    assert "+[profile acme-prod-admin]\n" in output
    assert setup.read_bytes() == OTHER
    assert not setup.with_name("config.mfagen-backup").exists()


def test_a_clashing_profile_outside_the_block_is_refused(setup: Path) -> None:
    setup.parent.mkdir()
    setup.write_bytes(OTHER + b"\n[profile acme]\nregion = us-east-1\n")
    result = runner.invoke(app, ["install-profile", "alice", "--aws-config", str(setup)])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"mfagen: error: {setup}: profile 'acme' is already defined on line 8, outside "
        "mfagen's block\n  hint: rename or remove that profile, then install again\n"
    )
    assert setup.read_bytes() == OTHER + b"\n[profile acme]\nregion = us-east-1\n"


def test_broken_markers_are_refused(setup: Path) -> None:
    setup.parent.mkdir()
    setup.write_bytes(OTHER + b"# >>> mfagen acme\n[profile acme]\n")
    result = runner.invoke(app, ["install-profile", "alice", "--aws-config", str(setup)])
    assert result.exit_code == 2
    assert "the mfagen block markers are broken (1 start, 0 end)" in result.stderr


def test_defaults_to_aws_config_file(setup: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = setup.parent.parent / "elsewhere"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(target))
    result = runner.invoke(app, ["install-profile", "alice"])
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("# >>> mfagen acme\n")
