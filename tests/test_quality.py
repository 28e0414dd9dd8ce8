"""The code stays lint-clean and strictly typed: ruff and mypy run as part of the suite."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import ROOT

SOURCES = ["generator", "tests"]


@pytest.mark.parametrize(
    "arguments",
    [["ruff", "check", *SOURCES], ["ruff", "format", "--check", *SOURCES], ["mypy"]],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_tool_is_clean(arguments: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *arguments], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
