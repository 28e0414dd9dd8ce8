"""Benchmark mfagen at three scales and print the figures; a script, not a test.

    .venv/bin/python benchmarks/bench.py [--runs 5] [--scales S,M,L]

For each scale (S: 200 users, M: 2,000, L: 20,000; 60 accounts, 25 tiers each in 12
accounts, 3 tiers per user) it generates a seeded config, then runs as separate processes:
`mfagen render` into an empty folder, `mfagen render --check` (nothing changed) and
`mfagen audit`, and prints the median wall time, the peak RSS, the files and bytes written,
and the I/O floor: how long a bare Python process takes to write the same files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402 - the benchmark's own module, beside this file

FLOOR = """
import sys
from pathlib import Path
source, target = Path(sys.argv[1]), Path(sys.argv[2])
files = [(p.relative_to(source), p.read_bytes()) for p in source.rglob("*") if p.is_file()]
# the floor: create the folders and write the same bytes, nothing else
for relative, content in files:
    path = target / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mib: float


def timed(command: list[str], ok_codes: tuple[int, ...] = (0,)) -> Run:
    """Run `command`, returning its wall time and its own peak RSS (not the parent's)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in ok_codes:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} exited {code}:\n{error}")
    return Run(seconds, usage.ru_maxrss / 1024)


def median(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.seconds for r in runs), max(r.peak_rss_mib for r in runs)
    )


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def bench_scale(scale: synthetic.Scale, workdir: Path, runs: int) -> dict[str, float]:
    config = synthetic.write(scale, workdir)
    mfagen = [sys.executable, "-m", "mfagen"]
    out = workdir / f"out-{scale.name}"
    render_runs, floor_runs = [], []
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        render_runs.append(timed([*mfagen, "render", str(config), "--out", str(out), "--no-audit"]))
        copy = workdir / f"floor-{scale.name}"
        shutil.rmtree(copy, ignore_errors=True)
        floor_runs.append(timed([sys.executable, "-c", FLOOR, str(out), str(copy)]))
        shutil.rmtree(copy)
    check = median([timed([*mfagen, "render", str(config), "--out", str(out), "--check"]) for _ in range(runs)])
    audit = median([timed([*mfagen, "audit", str(out)], ok_codes=(0, 1)) for _ in range(runs)])
    render, floor = median(render_runs), median(floor_runs)
    files, size = folder_size(out)
    print(
        f"{scale.name:>2} {scale.users:>6} users | render {render.seconds:6.2f} s "
        f"{render.peak_rss_mib:6.0f} MiB | floor {floor.seconds:5.2f} s "
        f"(render/floor {render.seconds / floor.seconds:4.1f}x) | check {check.seconds:5.2f} s "
        f"{check.peak_rss_mib:5.0f} MiB | audit {audit.seconds:5.2f} s "
        f"{audit.peak_rss_mib:5.0f} MiB | {files:,} files, {size / 2**20:6.1f} MiB",
        flush=True,
    )
    return {"render": render.seconds, "check": check.seconds, "audit": audit.seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--scales", default="S,M,L", help="comma-separated: S,M,L")
    args = parser.parse_args()
    wanted = set(args.scales.split(","))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.runs} runs each")
    results = {}
    with tempfile.TemporaryDirectory(prefix="mfagen-bench-") as folder:
        for scale in synthetic.SCALES:
            if scale.name in wanted:
                results[scale.name] = bench_scale(scale, Path(folder), args.runs)
    names = [name for name in ("S", "M", "L") if name in results]
    for before, after in zip(names, names[1:], strict=False):
        growth = ", ".join(
            f"{what} x{results[after][what] / results[before][what]:.1f}"
            for what in ("render", "check", "audit")
        )
        print(f"growth {before} -> {after} (10x users): {growth}")


if __name__ == "__main__":
    main()
