"""Benchmark `mfagen diff` against one `mfagen audit` of the same output; a script, not a test.

    .venv/bin/python benchmarks/diff.py [--runs 3] [--scale L] [--users 100]

It generates the seeded config of a scale (L: 5,000 users, 60 accounts, 25 tiers each in 12
accounts, 3 tiers a user) and a copy in which `--users` users (spread evenly) are each in one
more tier, renders both (`--no-audit`: the audit is what is measured), then runs as separate
processes, alternating: `mfagen audit BASE`, `mfagen diff BASE BASE` (nothing changed: every
user is compared, the worst case) and `mfagen diff BASE CHANGED` (the realistic change). It
prints each one's median wall and CPU time (user + system) and peak RSS, and each diff's ratio
to the audit: on a shared machine the CPU ratio is the one to trust.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # the benchmark's own modules, beside this file
from bench import Run, byte_compile, cpu_probe, median, timed


def with_one_more_tier(scale: synthetic.Scale, users: int, folder: Path) -> Path:
    """The scale's config with `users` users (every n-th) each in one tier more."""
    data = synthetic.config(scale)
    people: dict[str, dict[str, list[str]]] = data["users"]  # type: ignore[assignment]
    tiers = list(data["tiers"])  # type: ignore[call-overload]
    for n in range(users):
        user = people[f"user{n * scale.users // users:05d}"]
        user["tiers"] = sorted([*user["tiers"], next(t for t in tiers if t not in user["tiers"])])
    path = folder / f"accounts-{scale.name}-more-{users}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--scale", default="L", help="S, M or L (synthetic.SCALES)")
    parser.add_argument("--users", type=int, default=100, help="users given one more tier")
    args = parser.parse_args()
    scale = next(s for s in synthetic.SCALES if s.name == args.scale)
    print(f"python {sys.version.split()[0]}, {args.runs} runs each, scale {scale.name}: "
          f"{scale.users} users, {scale.accounts} accounts")  # fmt: skip
    print(f"cpu probe before: {cpu_probe():.2f} s")
    byte_compile()
    mfagen = [sys.executable, "-m", "mfagen"]
    with tempfile.TemporaryDirectory(prefix="mfagen-bench-diff-") as name:
        folder = Path(name)
        base, changed = folder / "base", folder / "changed"
        for config, out in (
            (synthetic.write(scale, folder), base),
            (with_one_more_tier(scale, args.users, folder), changed),
        ):
            timed([*mfagen, "render", str(config), "--out", str(out), "--no-audit"])
        commands = {
            "audit": [*mfagen, "audit", str(base)],
            "diff, nothing changed": [*mfagen, "diff", str(base), str(base)],
            f"diff, a tier more for {args.users} users": [
                *mfagen, "diff", str(base), str(changed),
            ],
        }  # fmt: skip
        runs: dict[str, list[Run]] = {what: [] for what in commands}
        for _ in range(args.runs):
            for what, command in commands.items():  # alternating: load drifts alike for each
                runs[what].append(timed(command))
    audit = median(runs["audit"])
    for what in commands:
        run = median(runs[what])
        ratio = (
            ""
            if what == "audit"
            else f" | x{run.seconds / audit.seconds:.2f} wall, "
            f"x{run.cpu_seconds / audit.cpu_seconds:.2f} cpu of one audit"
        )
        print(
            f"{what:<32} {run.seconds:6.2f} s wall {run.cpu_seconds:6.2f} s cpu "
            f"{run.peak_rss_mib:5.0f} MiB{ratio}",
            flush=True,
        )
    print(f"cpu probe after: {cpu_probe():.2f} s")


if __name__ == "__main__":
    main()
