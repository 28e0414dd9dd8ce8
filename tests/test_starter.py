"""`mfagen schema` describes every valid file; `mfagen init` writes one that renders."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from mfagen import starter
from mfagen.cli import app
from tests.helpers import ROOT

runner = CliRunner()
VALID = sorted(
    [ROOT / "accounts.yaml", *ROOT.glob("examples/*.yaml"), *ROOT.glob("tests/valid/*.yaml")]
)


def test_committed_schema_is_fresh() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    assert (ROOT / "accounts.schema.json").read_text() == result.stdout, (
        "run: mfagen schema > accounts.schema.json"
    )


@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_valid_files_satisfy_the_schema(path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), starter.json_schema())


def test_schema_rejects_what_mfagen_rejects() -> None:
    schema = starter.json_schema()
    data = yaml.safe_load((ROOT / "accounts.yaml").read_text())
    data["accounts"]["dev"]["id"] = "2222"
    with pytest.raises(jsonschema.ValidationError, match="does not match"):
        jsonschema.validate(data, schema)
    data["accounts"]["dev"] = {"id": "222222222222", "regoin": "eu-west-1"}
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        jsonschema.validate(data, schema)


def test_accounts_yaml_points_editors_at_the_schema() -> None:
    first = (ROOT / "accounts.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=accounts.schema.json"
    assert json.loads((ROOT / "accounts.schema.json").read_text())["type"] == "object"


def test_init_writes_a_starter_that_validates_and_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", "--identity-id", "444455556666"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "accounts.yaml, accounts.schema.json, .gitignore: written; edit accounts.yaml, then run "
        "`mfagen validate` and `mfagen render`\n"
    )
    assert Path("accounts.schema.json").read_text() == starter.schema_text()
    ignored = Path(".gitignore").read_text().splitlines()
    assert {".terraform/", "*.tfstate", "*.tfstate.*"} <= set(ignored)
    assert ".terraform.lock.hcl" not in ignored  # the lock file is committed
    assert 'id: "444455556666"' in Path("accounts.yaml").read_text()
    validated = runner.invoke(app, ["validate"])
    assert validated.exit_code == 0, validated.output
    # no warnings; a notice for each starter user, whose enrolment window is open
    notices = [line for line in validated.stderr.splitlines() if not line.startswith("  hint")]
    assert [line.split(": ", 3)[2] for line in notices] == [
        "users.admin-one.enrolment",
        "users.admin-two.enrolment",
        "users.reader.enrolment",
    ]
    assert all(": notice: " in line for line in notices)
    rendered = runner.invoke(app, ["render"])
    assert rendered.exit_code == 0, rendered.output
    # a new module plans at Terraform's floor: no moved blocks for an upgrade it never had
    assert not Path("output/terraform/moved.tf").exists()
    assert Path("output/terraform/users.tf").is_file()
    jsonschema.validate(yaml.safe_load(Path("accounts.yaml").read_text()), starter.json_schema())


def test_init_refuses_to_overwrite_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("accounts.yaml").write_text("mine\n")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 2
    assert result.stderr == (
        "mfagen: error: accounts.yaml: already exists\n  hint: pass --force to overwrite it\n"
    )
    assert Path("accounts.yaml").read_text() == "mine\n"
    forced = runner.invoke(app, ["init", "--force"])
    assert forced.exit_code == 0, forced.output
    assert Path("accounts.yaml").read_text().startswith("# yaml-language-server")


def test_init_checks_the_account_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", "--identity-id", "12345"])
    assert result.exit_code == 2
    assert result.stderr == (
        "mfagen: error: --identity-id '12345' is not a 12-digit account id\n"
        "  hint: e.g. 111111111111\n"
    )
    assert not Path("accounts.yaml").exists()


def test_init_adds_only_the_missing_lines_to_an_existing_gitignore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path(".gitignore").write_text("node_modules/\n.terraform/")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    lines = Path(".gitignore").read_text().splitlines()
    assert lines[:2] == ["node_modules/", ".terraform/"]
    assert lines.count(".terraform/") == 1
    assert "*.tfstate" in lines
    again = runner.invoke(app, ["init", "--force"])
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("accounts.yaml: written;")  # schema and .gitignore as they were
    assert Path(".gitignore").read_text().splitlines() == lines


def test_init_keeps_a_schema_it_did_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("accounts.schema.json").write_text("{}\n")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 2, result.output
    assert "accounts.schema.json: already exists and differs" in result.stderr
    assert not Path("accounts.yaml").exists()
    assert Path("accounts.schema.json").read_text() == "{}\n"
