"""Time Terraform's own planning work for mfagen's users.tf shapes; a script, not a test.

    .venv/bin/python benchmarks/tfshape.py [--users 1000,2000,5000] [--shapes names,static,floor]

Terraform's core, not AWS, is what grows fastest in a large plan (benchmarks/plan.py: at S,
`-refresh=false` is most of a plan). This script isolates it: it writes users.tf in each shape
with `terraform_data` stand-ins for the IAM resources (built into Terraform: no provider, no
endpoint), 25 groups and each user in 2 of them, and times `terraform plan` of creating it all.

- objects: the layout mfagen wrote first: `for_each` over the users map itself (an object per
  user), each membership referring to `aws_iam_user.user[each.key].name`. Slowest by far.
- names: the layout that followed: `for_each` over a map of the names alone, memberships
  finding their user in one map of the created users. Still grows with the square of the users.
- static: the current blueprint: one resource block per user and one per membership, plus the
  `moved` blocks from the names layout's addresses.
- floor: the static blocks alone, nothing else: what planning these resources costs at least.

It prints wall and CPU time per shape and scale, then each shape's CPU time against the
floor's at each scale and from one scale to the next; Terraform is the one on PATH.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GROUPS = 25

OBJECTS = """
resource "terraform_data" "user" {
  for_each = local.users
  input    = { name = each.key, tags = each.value.tags }
}

resource "terraform_data" "membership" {
  for_each = local.users
  input    = { user = terraform_data.user[each.key].output.name, groups = each.value.groups }
}
"""

NAMES = """
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

STATIC = """
resource "terraform_data" "{name}" {{
  input = {{ name = "{name}", tags = {tags} }}
}}

resource "terraform_data" "membership_{name}" {{
  input = {{ user = terraform_data.{name}.output.name, groups = [{groups}] }}
}}
"""

MOVED = """
moved {{
  from = terraform_data.user["{name}"]
  to   = terraform_data.{name}
}}

moved {{
  from = terraform_data.membership["{name}"]
  to   = terraform_data.membership_{name}
}}
"""

SHAPES = ("objects", "names", "static", "floor")
DEFAULT_SHAPES = "names,static,floor"


def module(users: int, shape: str) -> str:
    """users.tf with `users` users in the given shape, stand-ins for the IAM resources."""
    group_keys = ", ".join(f'"g{g:02d}"' for g in range(GROUPS))
    groups_tf = (
        f'resource "terraform_data" "group" {{\n  for_each = toset([{group_keys}])\n'
        f"  input    = each.key\n}}\n"
    )
    blocks, entries = [], []
    for index in range(users):
        name = f"user{index:05d}"
        first, second = index % GROUPS, (index * 7 + 3) % GROUPS
        groups = ", ".join(f'terraform_data.group["g{g:02d}"].output' for g in (first, second))
        tags = f'{{ "mfagen-tier-g{first:02d}" = "true", "mfagen-tier-g{second:02d}" = "true" }}'
        if shape in ("objects", "names"):
            entries.append(f'    "{name}" = {{\n      groups = [{groups}]\n'
                           f"      tags   = {tags}\n    }}")  # fmt: skip
        else:
            blocks.append(STATIC.format(name=name, tags=tags, groups=groups))
            if shape == "static":
                blocks.append(MOVED.format(name=name))
    if shape in ("objects", "names"):
        users_tf = "locals {\n  users = {\n" + "\n".join(entries) + "\n  }\n}\n"
        return groups_tf + "\n" + users_tf + (OBJECTS if shape == "objects" else NAMES)
    return groups_tf + "".join(blocks)


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
    parser.add_argument("--users", default="1000,2000,5000", help="comma-separated scales")
    parser.add_argument("--shapes", default=DEFAULT_SHAPES, help=f"of {', '.join(SHAPES)}")
    args = parser.parse_args()
    terraform = shutil.which("terraform")
    if terraform is None:
        raise SystemExit("terraform is not on PATH")
    shapes = args.shapes.split(",")
    if unknown := set(shapes) - set(SHAPES):
        raise SystemExit(f"unknown shapes: {', '.join(sorted(unknown))}")
    scales = [int(n) for n in args.users.split(",")]
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    version = subprocess.run([terraform, "version"], capture_output=True, text=True, check=True)
    print(f"{version.stdout.splitlines()[0]}, {os.cpu_count()} cores, load average {load}")
    cpu: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory(prefix="mfagen-tfshape-") as workdir:
        cli_config = Path(workdir) / "terraformrc"
        cli_config.write_text("", encoding="utf-8")  # no registry needed: terraform_data
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "CHECKPOINT_DISABLE": "1",
               "TF_IN_AUTOMATION": "1"}  # fmt: skip
        for users in scales:
            for shape in shapes:
                folder = Path(workdir) / f"{shape}-{users}"
                folder.mkdir()
                (folder / "users.tf").write_text(module(users, shape), encoding="utf-8")
                wall, cpu[shape, users] = timed_plan(terraform, folder, env)
                print(f"{users:>6,} users  {shape:<7} plan {wall:7.1f} s wall  "
                      f"{cpu[shape, users]:7.1f} s CPU")  # fmt: skip
                sys.stdout.flush()
    print("CPU time ratios (CPU, not wall: the machine may be shared)")
    for shape in shapes:
        against_floor = [
            f"{cpu[shape, n] / cpu['floor', n]:.2f}x the floor at {n:,}"
            for n in scales
            if "floor" in shapes and shape != "floor"
        ]
        growth = [
            f"{cpu[shape, b] / cpu[shape, a]:.2f}x from {a:,} to {b:,}"
            for a, b in itertools.pairwise(scales)
        ]
        print(f"  {shape:<7} " + "; ".join(against_floor + growth))


if __name__ == "__main__":
    main()
