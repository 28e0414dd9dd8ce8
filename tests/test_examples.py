"""The CI example stays a valid workflow that calls mfagen commands and options that exist."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
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


def test_the_ci_example_is_a_workflow_with_a_check_a_diff_a_plan_an_apply_and_drift() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert set(workflow["jobs"]) == {"check", "diff", "plan", "apply", "drift"}
    assert workflow["jobs"]["plan"]["needs"] == "check"
    assert workflow["jobs"]["apply"]["needs"] == "check"
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
    assert len(calls) == 6
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


def _job(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    job: dict[str, Any] = workflow["jobs"][name]
    return job


def _credentials(job: dict[str, Any]) -> str:
    (step,) = (s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    role: str = step["with"]["role-to-assume"]
    return role


def test_a_pull_request_plans_read_only_and_only_main_applies() -> None:
    plan, apply = _job("plan"), _job("apply")
    assert plan["if"] == "github.event_name == 'pull_request'"
    assert _credentials(plan) == "${{ vars.READ_ROLE_ARN }}"
    plan_runs = _runs({"jobs": {"plan": plan}})
    assert '-var "assume_role_name=$READ_ROLE_NAME"' in plan_runs
    assert any(" plan " in line and "-lock=false" in line for line in plan_runs)
    assert apply["if"] == "github.event_name == 'push'"
    assert apply["environment"] == "production"
    assert _credentials(apply) == "${{ vars.APPLY_ROLE_ARN }}"
    assert any(" apply " in line for line in _runs({"jobs": {"apply": apply}}))


def test_a_scheduled_job_catches_drift_in_the_plan_and_in_iam() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert workflow[True]["schedule"]  # YAML 1.1 reads the key `on` as true
    drift = _job("drift")
    assert _credentials(drift) == "${{ vars.READ_ROLE_ARN }}"
    runs = _runs({"jobs": {"drift": drift}})
    assert any(" plan " in line and "-detailed-exitcode" in line for line in runs)
    assert 'mfagen audit --live output --role-name "$READ_ROLE_NAME"' in runs


def test_the_ci_examples_shell_steps_are_valid_bash(tmp_path: Path) -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    for name, job in workflow["jobs"].items():
        for number, step in enumerate(job["steps"]):
            if "run" not in step:
                continue
            script = tmp_path / f"{name}-{number}.sh"
            script.write_text(step["run"], encoding="utf-8")
            checked = subprocess.run(
                ["bash", "-n", str(script)], check=False, capture_output=True, text=True
            )
            assert checked.returncode == 0, f"{name}, step {number}: {checked.stderr}"
