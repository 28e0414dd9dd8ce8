"""The CLI as a shell sees it: completion, and the commands the pre-commit hooks run."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT

HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def _mfagen(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "mfagen", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [("mfagen ren", "1", "render"), ("mfagen render --ch", "2", "--check")],
)
def test_bash_completion(words: str, cword: str, expected: str) -> None:
    env = {"_MFAGEN_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
    completed = subprocess.run(
        [sys.executable, "-c", "from mfagen.cli import app; app(prog_name='mfagen')"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    assert expected in completed.stdout.split(), completed.stdout + completed.stderr


@pytest.mark.parametrize("hook", HOOKS, ids=[hook["id"] for hook in HOOKS])
def test_pre_commit_hook_entries_run_on_the_committed_example(hook: dict[str, str]) -> None:
    command = shlex.split(hook["entry"])
    assert command[0] == "mfagen"
    assert hook["pass_filenames"] is False
    _mfagen(*command[1:])
