"""Time `terraform plan` of a rendered synthetic config on a local moto endpoint; a script.

    .venv/bin/python benchmarks/plan.py [--scale M] [--runs 3] [--parallelism 10]
                                        [--apply-parallelism 10] [--blueprints DIR]

It renders the seeded config of the scale (`mfagen render --no-audit`), starts moto on a
loopback port (tests/e2e's harness: managed policies loaded, a bootstrap user's keys in the
identity account, every other account reached through its terraform_role), runs
`terraform init`, a first `terraform plan` (everything to add) and `terraform apply`, then
times `terraform plan -detailed-exitcode` with nothing changed (median of --runs; exit 0
expected) with and without `-refresh=false`, counts the AWS calls one plan makes, and plans
once more after one user is added to the config.
Prints figures only, wall and CPU time (terraform and its provider processes, not moto):
moto answers on loopback, AWS in tens of milliseconds, so the call count matters as much as
the time. `--blueprints` renders with a copy of the templates, to measure a change to them.
Each of the 60 accounts' provider configurations is a provider process costing about 2 s of
CPU per plan; Terraform 1.11's own work grows faster than linearly with the users (README,
"Terraform at scale"; benchmarks/tfshape.py isolates it).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo: tests.e2e
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # the benchmark's own module, beside this file
from tests.e2e import accounts
from tests.e2e.motoserver import MotoEndpoint, running_moto_server
from tests.e2e.tooling import (
    Terraform,
    require_terraform_tooling,
    terraform_env,
    write_cli_config,
)

PLAN = ("plan", "-detailed-exitcode", "-input=false", "-no-color")
SUMMARY = re.compile(r"Plan: \d+ to add, \d+ to change, \d+ to destroy")
EXTRA_USER = "zz-bench-extra"


def render(config: dict[str, object], path: Path, out: Path, blueprints: Path | None) -> None:
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    command = [sys.executable, "-m", "mfagen", "render", str(path), "--out", str(out)]
    command += ["--no-audit", *(["--blueprints", str(blueprints)] if blueprints else [])]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float  # terraform and its provider processes (waited-for children), not moto
    output: str

    def __str__(self) -> str:
        return f"{self.wall:.1f} s wall, {self.cpu:.1f} s CPU"


def timed(terraform: Terraform, *args: str, ok_codes: tuple[int, ...] = (0,)) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    output = terraform.run(*args, ok_codes=ok_codes).stdout
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Run(wall, cpu, output)


def repeated(runs: int, terraform: Terraform, *args: str) -> str:
    """Median wall time of ``runs`` plans that must exit 0 (nothing to change), and each run."""
    done = [timed(terraform, *args) for _ in range(runs)]
    return f"median {statistics.median(r.wall for r in done):.1f} s  ({'; '.join(map(str, done))})"


def count_calls(endpoint: MotoEndpoint, terraform: Terraform, *args: str) -> str:
    endpoint.start_recording()
    try:
        terraform.run(*args)
        actions = collections.Counter(r.action for r in endpoint.recorded_requests())
    finally:
        endpoint.stop_recording()
    top = ", ".join(f"{action} {n}" for action, n in actions.most_common())
    return f"{actions.total():,} ({top})"


def error_answers(endpoint: MotoEndpoint) -> dict[str, int]:
    """HTTP statuses >= 400 in moto's request log: SDK retries (and races) hide behind them."""
    log = endpoint.log_path.read_text(encoding="utf-8") if endpoint.log_path else ""
    return dict(collections.Counter(re.findall(r'HTTP/1.1" ([45]\d\d) ', log)))


def bench(args: argparse.Namespace, workdir: Path) -> None:
    scale = next(s for s in synthetic.SCALES if s.name == args.scale)
    config = synthetic.config(scale)
    out = workdir / "out"
    started = time.perf_counter()
    render(config, workdir / "accounts.yaml", out, args.blueprints)
    print(f"render --no-audit     {time.perf_counter() - started:6.1f} s")

    tooling = require_terraform_tooling()
    cli_config = write_cli_config(workdir / "terraform-cli", tooling.mirror)
    identity = config["accounts"][config["identity_account"]]["id"]  # type: ignore[index]
    home = workdir / "home"
    (home / ".aws").mkdir(parents=True)
    (workdir / "moto").mkdir()
    with running_moto_server(workdir / "moto") as endpoint:
        deployer = accounts.create_user_with_key(endpoint.url, identity, accounts.DEPLOYER_USER)
        env = {**accounts.subprocess_env(endpoint.url, home, deployer), **terraform_env(cli_config)}
        terraform = Terraform(tooling.terraform, out / "terraform", env, timeout_s=3600)
        print(f"terraform init        {timed(terraform, 'init', '-input=false')}")
        first = timed(terraform, *PLAN, f"-parallelism={args.parallelism}", ok_codes=(2,))
        summary = SUMMARY.search(first.output)
        print(f"plan, nothing applied {first}  ({summary.group() if summary else 'no summary'})")
        apply_args = ("apply", "-auto-approve", "-input=false", "-no-color")
        parallel = f"-parallelism={args.apply_parallelism}"
        print(f"apply {parallel}   {timed(terraform, *apply_args, parallel)}")

        addresses = terraform.run("state", "list").stdout.split()
        types = collections.Counter(address.split("[")[0] for address in addresses)
        per_user = sum(n for kind, n in types.items() if kind.startswith("aws_iam_user"))
        print(f"resources in state    {len(addresses):,} for {scale.users:,} users")
        print(f"resources per user    {per_user / scale.users:.2f} (aws_iam_user*)")
        print(f"all resources / users {len(addresses) / scale.users:.2f}")

        parallel = f"-parallelism={args.parallelism}"
        print(f"plan {parallel}    {repeated(args.runs, terraform, *PLAN, parallel)}")
        refresh_off = (*PLAN, parallel, "-refresh=false")
        print(f"plan -refresh=false   {repeated(args.runs, terraform, *refresh_off)}")
        print(f"AWS calls in one plan {count_calls(endpoint, terraform, *PLAN, parallel)}")

        config["users"][EXTRA_USER] = {"tiers": ["tier00"]}  # type: ignore[index]
        render(config, workdir / "accounts.yaml", out, args.blueprints)
        run = timed(terraform, *PLAN, parallel, ok_codes=(2,))
        summary = SUMMARY.search(run.output)
        print(f"plan, one user added  {run}  ({summary.group() if summary else 'no summary'})")
        gaps = endpoint.unimplemented_actions()
        print(f"moto unimplemented    {', '.join(gaps) or 'none'}")
        print(f"moto answers >= 400   {error_answers(endpoint) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="M", choices=[s.name for s in synthetic.SCALES])
    parser.add_argument("--runs", type=int, default=3, help="timed plans each (median)")
    parser.add_argument("--parallelism", type=int, default=10, help="plan's (Terraform's: 10)")
    parser.add_argument("--apply-parallelism", type=int, default=10, help="(Terraform's: 10)")
    parser.add_argument("--blueprints", type=Path, help="render with these templates")
    args = parser.parse_args()
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"scale {args.scale}, {os.cpu_count()} cores, load average {load} at start")
    with tempfile.TemporaryDirectory(prefix="mfagen-plan-") as folder:
        try:
            bench(args, Path(folder))
        except (pytest.fail.Exception, pytest.skip.Exception) as error:
            # the harness fails or skips through pytest; Terraform's output ends with the error
            raise SystemExit(str(error)[-3000:]) from None


if __name__ == "__main__":
    main()
