"""install-profile merges one block into an AWS config file and touches nothing else."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import botocore.session
import pytest
from typer.testing import CliRunner

from mfagen.cli import app
from mfagen.user import block
from tests.helpers import ROOT, minimal, write_config

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


def test_a_config_kept_behind_a_symlink_is_updated_and_the_link_stays(
    setup: Path, tmp_path: Path
) -> None:
    """Dotfiles managers link ~/.aws/config to a file in a repository: that file changes."""
    real = tmp_path / "dotfiles" / "aws-config"
    real.parent.mkdir()
    real.write_bytes(OTHER)
    setup.parent.mkdir()
    setup.symlink_to(real)
    backup = real.with_name("aws-config.mfagen-backup")
    assert _install(setup) == (
        f"{setup}: added the mfagen block (previous file kept as {backup})\n"
    )
    assert setup.is_symlink()
    assert setup.resolve() == real.resolve()
    assert real.read_bytes().startswith(OTHER)
    assert b"# >>> mfagen acme" in real.read_bytes()
    assert backup.read_bytes() == OTHER


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


# --- the handed-out file: `install-profile FILE`, on a machine without accounts.yaml ---

HANDED_OUT = ROOT / "output" / "profiles" / "alice" / "config"


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's machine: no accounts.yaml anywhere, the handed-out file in Downloads."""
    monkeypatch.chdir(tmp_path)
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    shutil.copyfile(HANDED_OUT, downloads / "config")
    return tmp_path / "aws" / "config"


def _install_file(target: Path, *extra: str, file: str = "Downloads/config") -> str:
    result = runner.invoke(app, ["install-profile", file, "--aws-config", str(target), *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_handed_out_file_is_installed_without_accounts_yaml(
    machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not Path("accounts.yaml").exists()
    assert _install_file(machine) == f"{machine}: added the mfagen block\n"
    assert machine.read_bytes() == HANDED_OUT.read_bytes()
    assert stat.S_IMODE(machine.stat().st_mode) == 0o600
    assert sorted(_profiles(machine, monkeypatch)) == [
        "acme",
        "acme-dev-admin",
        "acme-dev-admin-tf",
        "acme-identity-admin",
        "acme-identity-admin-tf",
        "acme-prod-admin",
        "acme-prod-admin-tf",
    ]


def test_a_handed_out_file_replaces_the_block_in_place_and_keeps_the_rest(
    machine: Path, tmp_path: Path
) -> None:
    machine.parent.mkdir()
    old_block = (ROOT / "output" / "profiles" / "bob" / "config").read_bytes()
    after = b"\n[profile after]\nregion = us-east-1\n"
    machine.write_bytes(OTHER + b"\n" + old_block + after)
    machine.chmod(0o640)
    backup = machine.with_name("config.mfagen-backup")
    output = _install_file(machine)
    assert output == f"{machine}: replaced the mfagen block (previous file kept as {backup})\n"
    assert machine.read_bytes() == OTHER + b"\n" + HANDED_OUT.read_bytes() + after
    assert backup.read_bytes() == OTHER + b"\n" + old_block + after
    assert stat.S_IMODE(machine.stat().st_mode) == 0o640
    assert _install_file(machine, file=str(tmp_path / "Downloads" / "config")) == (
        f"{machine}: already up to date, nothing written\n"
    )


def test_a_handed_out_file_keeps_the_config_files_line_ends(machine: Path) -> None:
    machine.parent.mkdir()
    machine.write_bytes(OTHER.replace(b"\n", b"\r\n"))
    Path("Downloads/config").write_bytes(HANDED_OUT.read_bytes().replace(b"\n", b"\r\n"))
    _install_file(machine)
    assert machine.read_bytes() == (OTHER + b"\n" + HANDED_OUT.read_bytes()).replace(b"\n", b"\r\n")


def test_a_handed_out_file_dry_run_prints_the_diff(machine: Path) -> None:
    output = _install_file(machine, "--dry-run")
    assert output.startswith(f"--- {machine}\n+++ {machine}\n")
    assert "+[profile acme-prod-admin]\n" in output
    assert not machine.exists()


def test_a_handed_out_file_honours_aws_config_file(
    machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = machine.parent.parent / "elsewhere"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(target))
    result = runner.invoke(app, ["install-profile", "Downloads/config"])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == HANDED_OUT.read_bytes()


def test_a_handed_out_file_whose_profile_clashes_is_refused(machine: Path) -> None:
    machine.parent.mkdir()
    mine = OTHER + b"\n[profile acme-prod-admin]\nregion = us-east-1\n"
    machine.write_bytes(mine)
    result = runner.invoke(
        app, ["install-profile", "Downloads/config", "--aws-config", str(machine)]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"mfagen: error: {machine}: profile 'acme-prod-admin' is already defined on line 8, "
        "outside mfagen's block\n  hint: rename or remove that profile, then install again\n"
    )
    assert machine.read_bytes() == mine


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"[profile acme]\nregion = eu-west-1\n",
         "its first line is not '# >>> mfagen ORGANIZATION'"),
        (b"# >>> mfagen acme\n[profile acme]\nregion = eu-west-1\n",
         "its last line is not '# <<< mfagen acme'"),
        (b"# >>> mfagen acme\n[profile acme]\n# <<< mfagen other\n",
         "its last line is not '# <<< mfagen acme'"),
        (b"# >>> mfagen Acme!\n# <<< mfagen Acme!\n", "'Acme!' is not an organization name"),
        (b"# >>> mfagen acme\n# <<< mfagen acme\n# >>> mfagen acme\n# <<< mfagen acme\n",
         "line 2 starts or ends another block ('# <<< mfagen acme')"),
        (b"# >>> mfagen acme\n# <<< mfagen acme\n", "it holds no profile"),
        (b"# >>> mfagen acme\n[profile acme]\nregion = a\n[profile acme]\n# <<< mfagen acme\n",
         "line 4 repeats [profile acme]"),
        (b"\n\n# >>> mfagen acme\n[profile acme]\nregion = a\nregion = b\n# <<< mfagen acme\n",
         "line 6 repeats 'region' in [profile acme]"),
        (b"# >>> mfagen acme\n[profile acme]\n=\n# <<< mfagen acme\n",
         "line 3 is neither a [section] nor a setting ('=')"),
        (b"# >>> mfagen acme\nregion = a\n# <<< mfagen acme\n",
         "line 2 comes before any [profile NAME] section"),
        (b"# >>> mfagen acme\n[default]\nregion = a\n# <<< mfagen acme\n",
         "[default] is not a [profile NAME] section"),
        (b"# >>> mfagen acme\n[profile other]\nregion = a\n# <<< mfagen acme\n",
         "it has no source profile [profile acme]"),
        (b"# >>> mfagen acme\n[profile acme]\naws_secret_access_key = x\n# <<< mfagen acme\n",
         "[profile acme] holds credentials, which belong in ~/.aws/credentials"),
        (b"\xff\xfe# >>> mfagen acme\n", "it is not UTF-8 text"),
        (b"", "its first line is not '# >>> mfagen ORGANIZATION'"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_one_block_is_refused_saying_what_was_expected(
    machine: Path, content: bytes, why: str
) -> None:
    Path("Downloads/config").write_bytes(content)
    result = runner.invoke(
        app, ["install-profile", "Downloads/config", "--aws-config", str(machine)]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"mfagen: error: Downloads/config is not an mfagen profile file: {why}\n"
        f"  hint: {block.EXPECTED}\n"
    )
    assert not machine.exists()


def test_a_missing_file_or_user_says_which_form_to_use(machine: Path) -> None:
    result = runner.invoke(app, ["install-profile", "Downloads/nothing"])
    assert result.exit_code == 2, result.output
    assert (
        result.stderr
        == f"mfagen: error: Downloads/nothing: no such file\n  hint: {block.EXPECTED}\n"
    )
    result = runner.invoke(app, ["install-profile", "alice"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "mfagen: error: no file 'alice' and no accounts.yaml here\n"
        "  hint: on your machine, name the profile file your team handed out: mfagen "
        "install-profile path/to/config; with the team's accounts.yaml: mfagen install-profile "
        "USER [CONFIG]\n"
    )


def test_blueprints_do_not_apply_to_a_handed_out_file(machine: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["install-profile", "Downloads/config", "--blueprints", str(tmp_path)]
    )
    assert result.exit_code == 2, result.output
    assert "--blueprints applies to USER [CONFIG] only" in result.stderr
    assert not machine.exists()


def test_every_rendered_profile_file_reads_as_a_block() -> None:
    """What render hands out is what install-profile FILE accepts (every golden case too)."""
    files = sorted(ROOT.glob("output/profiles/*/config")) + sorted(
        ROOT.glob("tests/golden/*/profiles/*/config")
    )
    assert len(files) > 10
    for path in files:
        parsed = block.read_file(path)
        assert parsed.text.encode() == path.read_bytes(), path
        names = botocore_profiles_of(path)
        assert list(parsed.profiles) == names, path


def botocore_profiles_of(path: Path) -> list[str]:
    session = botocore.session.Session()
    session.set_config_variable("config_file", str(path))
    return list(session.full_config["profiles"])
