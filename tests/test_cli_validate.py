"""`mfagen validate` and the CLI boundary: exit codes, exact messages, stdout vs stderr."""

from __future__ import annotations

import json
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


def test_a_duplicate_key_hides_no_other_problem() -> None:
    Path("accounts.yaml").write_text(
        "version: 1\n"
        "organization: acme\n"
        "identity_account: identity\n"
        "defaults: {region: eu-west-1}\n"
        "accounts:\n"
        '  identity: {id: "111111111111"}\n'
        "  prod:\n"
        '    id: "333333333333"\n'
        "    id: 333333333333\n"
        "    region: eu-nrth-1\n"
        "    terraform_role: arn:aws:iam::333333333333:role/OrganizationAccountAccessRole\n"
        "tiers:\n"
        "  admin: {preset: admn}\n"
        "users:\n"
        "  alice: {tiers: [admin, deployr]}\n"
    )
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert [line for line in result.stderr.splitlines() if not line.startswith("  hint")] == [
        "accounts.yaml:9:5: error: accounts.prod.id: duplicate key 'id' (first defined on line 8)",
        "accounts.yaml:10:13: error: accounts.prod.region: unknown region 'eu-nrth-1'",
        "accounts.yaml:13:19: error: tiers.admin.preset: 'admn' is not allowed here",
        "accounts.yaml:15:26: error: users.alice.tiers[1]: unknown tier 'deployr'",
        "mfagen: 4 errors, nothing written",
    ]


WARNED_AND_WRONG = (
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
    "  alice: {tiers: [admn]}\n"
)
"""An error (an unknown tier) and a warning (two accounts reached with one set of credentials)."""


def test_warnings_are_shown_with_the_errors() -> None:
    Path("accounts.yaml").write_text(WARNED_AND_WRONG)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == (
        "accounts.yaml:11:19: error: users.alice.tiers[0]: unknown tier 'admn'\n"
        "  hint: did you mean 'admin'?\n"
        "accounts.yaml:7:3: warning: accounts.prod: no terraform_role: Terraform would reach "
        "this account with the same credentials as 'identity'\n"
        "  hint: one apply cannot act in two accounts with one set of credentials; set "
        "terraform_role (e.g. OrganizationAccountAccessRole)\n"
        "mfagen: 1 error, 1 warning, nothing written\n"
    )


def test_warnings_are_in_the_json_with_the_errors() -> None:
    Path("accounts.yaml").write_text(WARNED_AND_WRONG)
    result = runner.invoke(app, ["validate", "--format", "json"])
    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert [(e["severity"], e["line"], e["field"]) for e in data["errors"]] == [
        ("error", 11, "users.alice.tiers[0]")
    ]
    assert [
        (w["severity"], w["line"], w["column"], w["field"], w["hint"]) for w in data["warnings"]
    ] == [
        (
            "warning",
            7,
            3,
            "accounts.prod",
            (
                "one apply cannot act in two accounts with one set of credentials; set "
                "terraform_role (e.g. OrganizationAccountAccessRole)"
            ),
        )
    ]


def test_render_shows_the_warnings_with_the_errors_too() -> None:
    Path("accounts.yaml").write_text(WARNED_AND_WRONG)
    result = runner.invoke(app, ["render"])
    assert result.exit_code == 2, result.output
    assert result.stderr.endswith("mfagen: 1 error, 1 warning, nothing written\n")
    assert not Path("output").exists()


def test_a_quota_the_plan_finds_is_shown_with_the_warnings() -> None:
    data = minimal(
        users={f"user{n:03d}": {"tiers": ["admin"]} for n in range(60)},
        defaults={"region": "eu-west-1", "create_users": False},
    )
    del data["accounts"]["prod"]["terraform_role"]
    write_config(Path(), data)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert [line.split(": ")[1:3] for line in lines if not line.startswith("  ")][:2] == [
        ["error", "tiers.admin"],
        ["warning", "accounts.prod"],
    ]
    assert lines[-1] == "mfagen: 1 error, 1 warning, nothing written"
