"""Every config in tests/valid/ validates cleanly (exit 0, no warnings) and renders."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfagen import api
from mfagen.cli import app

CORPUS = Path(__file__).parent / "valid"
CASES = sorted(path.stem for path in CORPUS.glob("*.yaml"))
runner = CliRunner()


@pytest.mark.parametrize("case", CASES)
def test_valid_config_validates(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    result = runner.invoke(app, ["validate", f"{case}.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith(f"{case}.yaml: valid: ")


@pytest.mark.parametrize("case", CASES)
def test_valid_config_renders(case: str) -> None:
    validated = api.validate(CORPUS / f"{case}.yaml")
    files = api.render_files(validated.plan)
    assert files
    assert {f"profiles/{user}/config" for user in validated.loaded.config.users} <= set(files)
