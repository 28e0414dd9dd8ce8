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


def test_every_package_is_in_the_wheel() -> None:
    """pyproject.toml lists mfagen's packages one by one: a new one left out installs without
    it (`pip install .`), while the editable install the tests use finds it anyway."""
    import tomllib  # noqa: PLC0415 - this test alone reads pyproject.toml

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    source = ROOT / "generator"
    found = {
        ".".join(init.parent.relative_to(source).parts)
        for init in source.glob("mfagen/**/__init__.py")
    }
    found |= {f"mfagen.blueprints{'.' + p.parent.name if p.parent.name != 'blueprints' else ''}"
              for p in (ROOT / "blueprints").glob("**/__init__.py")}  # fmt: skip
    assert found - listed == set()
