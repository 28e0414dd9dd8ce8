"""Time Terraform's own planning work for mfagen's users.tf shapes; a script, not a test.

    .venv/bin/python benchmarks/tfshape.py [--users 500,1000,2000] [--shapes before,after]

Terraform's core, not AWS, is what grows fastest in a large plan (benchmarks/plan.py: at S,
`-refresh=false` is most of a plan). This script isolates it: it writes users.tf in each shape
with `terraform_data` stand-ins for the IAM resources (built into Terraform: no provider, no
endpoint), 25 groups and each user in 2 of them, and times `terraform plan` of creating it all.

- before: the layout mfagen wrote until the change that added this script: `for_each` over
  the users map itself (an object per user) and each membership referring to
  `aws_iam_user.user[each.key].name`.
- after: the current blueprint: `for_each` over a map of the names alone, and memberships
  finding their user in one map of the created users.

It prints wall and CPU time per shape and scale; Terraform is the one on PATH.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GROUPS = 25

BEFORE = """
resource "terraform_data" "user" {
  for_each = local.users
  input    = { name = each.key, tags = each.value.tags }
}

resource "terraform_data" "membership" {
  for_each = local.users
  input    = { user = terraform_data.user[each.key].output.name, groups = each.value.groups }
}
"""

AFTER = """
locals {
  user_names    = { for name, user in local.users : name => name }
  created_users = { for name, user in terraform_data.user : name => user.output.name }
}

resource "terraform_data" "user" {
  for_each = local.user_names
  input    = { name = each.key, tags = local.users[each.key].tags }
}

resource "terraform_data" "membership" {
  for_each = local.user_names
  input    = { user = local.created_users[each.key], groups = local.users[each.key].groups }
}
"""

SHAPES = {"before": BEFORE, "after": AFTER}


def module(users: int, shape: str) -> str:
    """users.tf with `users` users in the given shape, stand-ins for the IAM resources."""
    entries = []
    for index in range(users):
        first, second = index % GROUPS, (index * 7 + 3) % GROUPS
        groups = ", ".join(f'terraform_data.group["g{g:02d}"].output' for g in (first, second))
        tags = f'{{ "mfagen-tier-g{first:02d}" = "true", "mfagen-tier-g{second:02d}" = "true" }}'
        entries.append(f'    "user{index:05d}" = {{\n      groups = [{groups}]\n'
                       f"      tags   = {tags}\n    }}")  # fmt: skip
    group_keys = ", ".join(f'"g{g:02d}"' for g in range(GROUPS))
    return (
        f'resource "terraform_data" "group" {{\n  for_each = toset([{group_keys}])\n'
        f"  input    = each.key\n}}\n\nlocals {{\n  users = {{\n"
        + "\n".join(entries)
        + "\n  }\n}\n"
        + SHAPES[shape]
    )


def timed_plan(terraform: str, folder: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of `terraform plan` in `folder` (CPU: Terraform's own)."""

    def run(*args: str) -> None:
        subprocess.run([terraform, *args], env=env, cwd=folder, stdout=subprocess.DEVNULL,
                       check=True)  # fmt: skip

    run("init", "-input=false")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run("plan", "-input=false", "-refresh=false")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="500,1000,2000", help="comma-separated scales")
    parser.add_argument("--shapes", default="before,after", help=f"of {', '.join(SHAPES)}")
    args = parser.parse_args()
    terraform = shutil.which("terraform")
    if terraform is None:
        raise SystemExit("terraform is not on PATH")
    shapes = args.shapes.split(",")
    if unknown := set(shapes) - set(SHAPES):
        raise SystemExit(f"unknown shapes: {', '.join(sorted(unknown))}")
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    version = subprocess.run([terraform, "version"], capture_output=True, text=True, check=True)
    print(f"{version.stdout.splitlines()[0]}, {os.cpu_count()} cores, load average {load}")
    with tempfile.TemporaryDirectory(prefix="mfagen-tfshape-") as workdir:
        cli_config = Path(workdir) / "terraformrc"
        cli_config.write_text("", encoding="utf-8")  # no registry needed: terraform_data
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "CHECKPOINT_DISABLE": "1",
               "TF_IN_AUTOMATION": "1"}  # fmt: skip
        for users in (int(n) for n in args.users.split(",")):
            for shape in shapes:
                folder = Path(workdir) / f"{shape}-{users}"
                folder.mkdir()
                (folder / "users.tf").write_text(module(users, shape), encoding="utf-8")
                wall, cpu = timed_plan(terraform, folder, env)
                print(f"{users:>6,} users  {shape:<7} plan {wall:7.1f} s wall  {cpu:7.1f} s CPU")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
