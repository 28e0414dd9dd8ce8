"""Benchmark `mfagen audit --live` on a local endpoint and print the figures; a script, not a test.

    .venv/bin/python benchmarks/live.py [--users 5000] [--accounts 60] [--jobs 8]

It starts moto's server on a loopback port (tests/e2e/motoserver.py), renders the seeded
synthetic config (benchmarks/synthetic.py: 25 tiers, each in 12 of the accounts, 3 tiers a
user; each tier grants its own statements here, since moto holds AWS's managed policies only
when it loads all 1,600 of them into every account), and creates what the module would
create with boto3 (tests/live_iam.py; Terraform would take far longer at this size), plus one
acknowledged CI user with a key in every account. Then it prints, per account, the calls the
audit makes; the wall time of the reads alone (fetch.read_all): one account at a time, --jobs
at a time, and the identity account alone; the time of reading the output folder, and of
judging what was read (assess: building the Module, the invariants, drift, outside users,
onboarding); and a whole `audit_live` run.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import synthetic  # noqa: E402 - the benchmark's own module, beside this file
from tests.e2e import accounts  # noqa: E402
from tests.e2e.motoserver import running_moto_server  # noqa: E402
from tests.live_iam import apply_structure, create_users  # noqa: E402

from mfagen import api  # noqa: E402
from mfagen.audit import read_folder  # noqa: E402
from mfagen.audit.live import LiveOptions, assess, audit_live, fetch, targets  # noqa: E402

CI_USER = "ci"
READ = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})  # fmt: skip


def config(users: int, count: int) -> dict[str, object]:
    """The synthetic config, each tier granting statements, a CI user acknowledged everywhere."""
    data = synthetic.config(synthetic.Scale("live", users, accounts=count))
    for n, tier in enumerate(data["tiers"].values()):  # type: ignore[attr-defined]
        tier.pop("preset")
        tier["statements"] = [{"sid": "Work", "actions": [f"s3:Get*{n}"], "resources": ["*"]}]
    for account in data["accounts"].values():  # type: ignore[attr-defined]
        account["machine_users"] = [CI_USER, accounts.DEPLOYER_USER]
    return data


def populate(url: str, folder: Path, users: int, count: int) -> tuple[object, float]:
    path = folder / "accounts.yaml"
    path.write_text(yaml.safe_dump(config(users, count), sort_keys=False), encoding="utf-8")
    api.render_to(path, folder / "output")
    plan = api.validate(path).plan
    started = time.perf_counter()

    @functools.cache
    def client_for(account: str) -> object:  # a boto3 session costs more than a call
        return accounts.client_in_account(url, "iam", account)

    apply_structure(plan, client_for)
    names = [user.name for user in plan.users]
    chunks = [names[n::8] for n in range(8)]
    identity = client_for(plan.identity.account_id)  # boto3 clients are thread-safe
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda chunk: create_users(plan, identity, chunk), chunks))
    for provider in plan.providers:
        iam = client_for(provider.account_id)
        iam.create_user(UserName=CI_USER)
        iam.create_access_key(UserName=CI_USER)
        iam.put_user_policy(UserName=CI_USER, PolicyName="Read", PolicyDocument=READ)
    return plan, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--accounts", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=8)
    arguments = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as scratch,
        running_moto_server(Path(scratch), {"MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}) as endpoint,
    ):
        folder = Path(scratch)
        plan, seconds = populate(endpoint.url, folder, arguments.users, arguments.accounts)
        print(f"populated {arguments.users} users, {len(plan.roles)} roles in "  # type: ignore[attr-defined]
              f"{arguments.accounts} accounts: {seconds:.0f} s")  # fmt: skip
        keys = accounts.create_user_with_key(
            endpoint.url,
            plan.identity.account_id,
            accounts.DEPLOYER_USER,  # type: ignore[attr-defined]
        )
        os.environ.update(accounts.subprocess_env(endpoint.url, folder / "home", keys))
        run(folder / "output", arguments.jobs)


def run(output: Path, jobs: int) -> None:
    started = time.perf_counter()
    expected, files = read_folder(output)
    folder = time.perf_counter() - started
    wanted = targets(expected)
    timed = {}
    started = time.perf_counter()
    fetch.read_all([t for t in wanted if t.identity], 1)
    timed["the identity account alone"] = time.perf_counter() - started
    for label, workers in (("one account at a time", 1), (f"{jobs} at a time", jobs)):
        started = time.perf_counter()
        states, failures = fetch.read_all(wanted, workers)
        timed[label] = time.perf_counter() - started
        assert not failures, failures
    started = time.perf_counter()
    report = assess(expected, files, states, [], str(output))
    judged = time.perf_counter() - started
    started = time.perf_counter()
    whole = audit_live(output, LiveOptions(jobs=jobs))
    total = time.perf_counter() - started
    identity = next(s for s in states if s.account == expected.identity_account)
    others = [s for s in states if s is not identity]
    print(f"calls in the identity account ({len(identity.users)} users): {dict(identity.calls)}")
    shapes = Counter(tuple(sorted(dict(s.calls).items())) for s in others)
    for shape, n in shapes.most_common():
        print(f"calls in {n} other accounts: {dict(shape)}")
    print(f"calls in all: {sum(n for s in states for _, n in s.calls)}")
    print(f"reading the output folder (read_folder): {folder:.2f} s")
    for label, seconds in timed.items():
        print(f"reads alone, {label}: {seconds:.2f} s")
    print(f"judging what was read (assess): {judged:.2f} s")
    print(f"whole audit_live at --jobs {jobs}: {total:.2f} s")
    print(f"findings: {report.findings} (whole run: {whole.findings}); "
          f"machine users listed: {len(whole.machines)}")  # fmt: skip


if __name__ == "__main__":
    main()
