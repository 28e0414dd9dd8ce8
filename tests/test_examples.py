"""The CI example stays a valid workflow that calls mfagen commands and options that exist."""

from __future__ import annotations

import shlex
from typing import Any

import typer.main
import yaml

from mfagen.cli import app
from tests.helpers import ROOT

WORKFLOW = ROOT / "examples" / "ci" / "github-actions.yml"


def _runs(workflow: dict[str, Any]) -> list[str]:
    return [
        line.strip()
        for job in workflow["jobs"].values()
        for step in job["steps"]
        for line in str(step.get("run", "")).splitlines()
    ]


def test_the_ci_example_is_a_workflow_with_a_check_a_diff_and_a_plan() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert set(workflow["jobs"]) == {"check", "diff", "plan"}
    assert workflow["jobs"]["plan"]["needs"] == "check"
    runs = _runs(workflow)
    assert any(line.startswith("mfagen render") and "--check" in line for line in runs)
    assert any(line.startswith("mfagen audit") for line in runs)
    assert any("terraform" in line and " init " in line for line in runs)
    assert any("terraform" in line and " plan " in line for line in runs)


def test_the_ci_example_names_commands_and_options_that_exist() -> None:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    calls = [shlex.split(line) for line in _runs(workflow) if line.startswith("mfagen ")]
    assert len(calls) == 5
    for _, name, *args in calls:
        command = group.commands[name]
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for arg in args:
            if arg.startswith("-"):
                assert arg in options, f"mfagen {name} has no option {arg}"


def test_the_ci_example_comments_the_diff_on_every_pull_request() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as true
    job = workflow["jobs"]["diff"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert job["permissions"]["pull-requests"] == "write"
    runs = _runs({"jobs": {"diff": job}})
    assert "mfagen diff base/output output --format markdown > access-changes.md" in runs
    comment = job["steps"][-1]
    assert comment["uses"].startswith("marocchino/sticky-pull-request-comment@")
    assert comment["with"]["path"] == "access-changes.md"


def test_the_example_module_paths_exist_once_rendered() -> None:
    # the workflow's loop finds *.tf in output/terraform (single) or one folder per account
    rendered = ROOT / "output" / "terraform"
    assert list(rendered.glob("*.tf"))
    per_account = ROOT / "tests" / "golden" / "per-account" / "terraform"
    assert not list(per_account.glob("*.tf"))
    assert all(list(folder.glob("*.tf")) for folder in per_account.iterdir() if folder.is_dir())
