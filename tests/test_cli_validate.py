"""`mfagen validate` and the CLI boundary: exit codes, exact messages, stdout vs stderr."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfagen import __version__, loader, plan
from mfagen.cli import app
from tests.helpers import minimal, write_config

runner = CliRunner()
BUG = (
    "mfagen: internal error: RuntimeError: boom (a bug; run again with MFAGEN_DEBUG=1 for the "
    "traceback and report it)\n"
)


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MFAGEN_DEBUG", raising=False)


def test_a_valid_file_exits_0_with_a_summary_on_stdout() -> None:
    write_config(Path(), minimal())
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "accounts.yaml: valid: 2 accounts, 1 tier, 1 user -> 2 roles, 1 group, 1 profile file\n"
    )
    assert result.stderr == ""


def test_the_file_is_an_argument() -> None:
    write_config(Path(), minimal(), name="team.yaml")
    result = runner.invoke(app, ["validate", "team.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("team.yaml: valid: ")


def test_warnings_go_to_stderr_and_keep_exit_0() -> None:
    Path("accounts.yaml").write_text(
        "version: 1\n"
        "organization: acme\n"
        "identity_account: identity\n"
        "defaults: {region: eu-west-1}\n"
        "accounts:\n"
        '  identity: {id: "111111111111"}\n'
        '  prod: {id: "333333333333"}\n'
        "tiers:\n"
        "  admin: {preset: admin}\n"
        "users:\n"
        "  alice: {tiers: [admin]}\n"
    )
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("accounts.yaml: valid: ")
    assert result.stderr == (
        "accounts.yaml:7:3: warning: accounts.prod: no terraform_role: Terraform would reach "
        "this account with the same credentials as 'identity'\n"
        "  hint: one apply cannot act in two accounts with one set of credentials; set "
        "terraform_role (e.g. OrganizationAccountAccessRole)\n"
    )


def test_an_invalid_file_exits_2_with_every_problem_on_stderr() -> None:
    Path("accounts.yaml").write_text(
        "version: 1\n"
        "organization: acme\n"
        "defaults: {region: eu-west-1}\n"
        "accounts:\n"
        "  main: {id: 011111111111}\n"
        "tiers:\n"
        "  admin: {preset: admin}\n"
        "users:\n"
        "  alice: {tiers: [admn]}\n"
    )
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "accounts.yaml:5:14: error: accounts.main.id: account id must be a quoted 12-digit "
        "string; YAML read it as the number 1227133513 (leading 0: YAML 1.1 reads it as octal)\n"
        '  hint: quote it as AWS shows it: id: "011111111111"\n'
        "accounts.yaml:9:19: error: users.alice.tiers[0]: unknown tier 'admn'\n"
        "  hint: did you mean 'admin'?\n"
        "mfagen: 2 errors, nothing written\n"
    )
    Path("accounts.yaml").write_text(
        Path("accounts.yaml").read_text().replace("011111111111", '"011111111111"')
    )
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "accounts.yaml:9:19: error: users.alice.tiers[0]: unknown tier 'admn'\n"
        "  hint: did you mean 'admin'?\n"
        "mfagen: 1 error, nothing written\n"
    )


def test_several_problems_are_counted() -> None:
    Path("accounts.yaml").write_text("version: 2\norganization: ACME\n")
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0::2] == [
        "accounts.yaml:1:1: error: accounts: missing required key 'accounts'",
        "accounts.yaml:1:10: error: version: unsupported version 2",
        "accounts.yaml:2:15: error: organization: organization 'ACME' is not valid",
        "mfagen: 3 errors, nothing written",
    ]


def test_a_missing_file() -> None:
    result = runner.invoke(app, ["validate", "nope.yaml"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "nope.yaml:1:1: error: (file): no such file\n"
        "  hint: check the path, or pass the accounts file: mfagen validate PATH\n"
        "mfagen: 1 error, nothing written\n"
    )


def test_a_folder_instead_of_a_file() -> None:
    Path("configs").mkdir()
    result = runner.invoke(app, ["validate", "configs"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "configs:1:1: error: (file): cannot read: Is a directory\n"
        "mfagen: 1 error, nothing written\n"
    )


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"mfagen {__version__}\n"


def test_a_python_tag_is_refused_and_never_run() -> None:
    marker = Path("pwned").resolve()
    Path("accounts.yaml").write_text(
        f'version: 1\norganization: !!python/object/apply:os.system ["touch {marker}"]\n'
    )
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0] == (
        "accounts.yaml:2:15: error: organization: the YAML tag "
        "!!python/object/apply:os.system is not allowed"
    )
    assert not marker.exists()


def test_an_alias_bomb_is_refused_without_expanding_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused by counting, before a single value of the expansion is built (a wall-clock
    bound here failed on a loaded machine: what proves "quickly" is that nothing is built)."""

    def build(*args: object) -> None:
        raise AssertionError("the loader started building the expansion")

    monkeypatch.setattr(loader._Builder, "build", build)
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    Path("accounts.yaml").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        "accounts.yaml:6:5: error: a5: the document expands to more than 1,000,000 values\n"
    )


def _boom(*args: object) -> None:
    raise RuntimeError("boom")


def test_a_bug_exits_3_with_one_line_and_no_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(Path(), minimal())
    monkeypatch.setattr(plan, "build", _boom)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert result.stderr == BUG
    assert "Traceback" not in result.output


def test_mfagen_debug_re_raises_the_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(Path(), minimal())
    monkeypatch.setattr(plan, "build", _boom)
    result = runner.invoke(app, ["validate"], env={"MFAGEN_DEBUG": "1"})
    assert isinstance(result.exception, RuntimeError), result.output
    assert str(result.exception) == "boom"
    assert result.stderr == ""


def test_an_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(Path(), minimal())

    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(plan, "build", interrupt)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 130, result.output
    assert result.stderr == "mfagen: interrupted\n"
