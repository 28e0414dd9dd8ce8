"""Benchmark mfagen at three scales and print the figures; a script, not a test.

    .venv/bin/python benchmarks/bench.py [--runs 5] [--scales S,M,L] [--rollout R,L]

For each scale (S: 200 users, M: 2,000, L: 5,000, IAM's quota of users in an account; 60
accounts, 25 tiers each in 12 accounts, 3 tiers per user) it generates a seeded config, then
runs as separate processes:
`mfagen render` into an empty folder (with its audit, as users run it, and with
`--no-audit`), `mfagen render --check` (nothing changed), `mfagen audit`, and `mfagen render`
of the config with one more user into the existing output (a typical commit; at L, IAM's
quota, one user leaves as another joins), and prints the
median wall time, the peak RSS (the largest of the runs), the files and bytes written, and the
I/O floor: how long a bare Python process takes to write the same files (it loads their
contents with one read of a pickle, then creates the folders and writes them), and the same
floor ending with one os.sync(): the files on disk, not only in the page cache (render flushes
each file and folder it wrote instead). It also prints the CPU time (user + system) of a
render. Every render and floor writes into a folder name not used before in the run, and
nothing is deleted until the end (the first files created after a deletion can cost many times
the system time).

A first rollout (`--rollout`) opens enrolment windows: for R (1,500 users, 3 accounts, five
tiers, two users in ten in two) and L, the config with no window open, a tenth of them and
every one, `mfagen render` into a new folder and `mfagen audit` of it, alternating the three;
it prints each one's median wall and CPU time and peak RSS, and its ratio to the config with
every window closed.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # the benchmark's own module, beside this file

FLOOR = """
import os, pickle, sys
with open(sys.argv[1], "rb") as packed:
    files = pickle.load(packed)  # [(relative path, bytes)]: one read, not one per file
# the floor: create the folders and write the same bytes, nothing else
for relative, content in files:
    path = os.path.join(sys.argv[2], relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content)
if sys.argv[3:] == ["sync"]:
    os.sync()  # the files on disk (render fsyncs each of its own instead)
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mib: float
    code: int = 0
    cpu_seconds: float = 0.0
    """User and system time of the process and the children it waited for."""


def timed(command: list[str], ok_codes: tuple[int, ...] = (0,)) -> Run:
    """Run `command`, returning its wall time and its own peak RSS (not the parent's).

    What earlier commands left unwritten is flushed first: a flush in `command` (render's, or
    the floor's with sync) would otherwise wait for it too, and be charged for it."""
    os.sync()
    with tempfile.TemporaryFile() as stderr:  # a file, not a pipe: a full pipe would block
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        if code not in ok_codes:
            stderr.seek(0)
            raise SystemExit(f"{' '.join(command)} exited {code}:\n{stderr.read().decode()}")
    return Run(seconds, usage.ru_maxrss / 1024, code, usage.ru_utime + usage.ru_stime)


def median(runs: list[Run]) -> Run:
    seconds = statistics.median(r.seconds for r in runs)
    return Run(
        seconds,
        max(r.peak_rss_mib for r in runs),
        max(r.code for r in runs),
        statistics.median(r.cpu_seconds for r in runs),
    )


def pack(folder: Path, workdir: Path) -> Path:
    """The files of `folder` in one pickle, for the floor to load with a single read."""
    files = [(p.relative_to(folder).as_posix(), p.read_bytes()) for p in sorted(folder.rglob("*"))
             if p.is_file()]  # fmt: skip
    packed = workdir / "floor.pickle"
    packed.write_bytes(pickle.dumps(files))
    return packed


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def bench_scale(scale: synthetic.Scale, workdir: Path, runs: int) -> dict[str, float]:
    config = synthetic.write(scale, workdir)
    mfagen = [sys.executable, "-m", "mfagen"]
    numbers = itertools.count(1)

    def new_folder(kind: str) -> Path:
        """A folder name never used before. Nothing is deleted until the end of the whole
        benchmark: on the development machine's ext4 the first files created after a tree
        was deleted cost up to 20 times the system time, which would fall on whatever the
        benchmark measured next."""
        return workdir / f"{kind}-{scale.name}-{next(numbers)}"

    renders: list[Run] = []
    bare: list[Run] = []
    floor: list[Run] = []
    synced: list[Run] = []
    out = new_folder("out")
    for _ in range(runs):
        # into a new, empty folder each time: every file is new, as in a first render
        out = new_folder("out")
        bare.append(timed([*mfagen, "render", str(config), "--out", str(out), "--no-audit"]))
        packed = str(pack(out, workdir))
        floor.append(timed([sys.executable, "-c", FLOOR, packed, str(new_folder("floor"))]))
        copy = str(new_folder("synced"))
        synced.append(timed([sys.executable, "-c", FLOOR, packed, copy, "sync"]))
        audited = new_folder("audited")
        renders.append(timed([*mfagen, "render", str(config), "--out", str(audited)]))
    render = [*mfagen, "render", str(config), "--out", str(out)]  # the last, complete output
    check = median([timed([*render, "--check"]) for _ in range(runs)])
    audit = median([timed([*mfagen, "audit", str(out)]) for _ in range(runs)])
    files, size = folder_size(out)
    # a commit's render: one user added to an existing output (only what changed is written)
    changed = synthetic.write(scale, workdir, one_more_user=True)
    again = []
    for _ in range(runs):
        subprocess.run([*render, "--no-audit"], check=True, stdout=subprocess.DEVNULL)  # reset
        again.append(timed([*mfagen, "render", str(changed), "--out", str(out)]))
    full, plain, io, step = median(renders), median(bare), median(floor), median(again)
    disk = median(synced)
    print(
        f"{scale.name:>2} {scale.users:>6} users, {files:,} files, {size / 2**20:5.1f} MiB | "
        f"render {full.seconds:5.2f} s {full.peak_rss_mib:4.0f} MiB cpu {full.cpu_seconds:5.2f} s "
        f"({full.seconds / io.seconds:4.1f}x floor, {full.seconds / disk.seconds:4.1f}x floor "
        "with sync) | "
        f"render --no-audit {plain.seconds:5.2f} s {plain.peak_rss_mib:4.0f} MiB "
        f"({plain.seconds / io.seconds:4.1f}x floor) | floor {io.seconds:5.2f} s, "
        f"with sync {disk.seconds:5.2f} s | "
        f"check {check.seconds:5.2f} s {check.peak_rss_mib:4.0f} MiB | "
        f"audit {audit.seconds:5.2f} s {audit.peak_rss_mib:4.0f} MiB | "
        f"render, one user added {step.seconds:5.2f} s",
        flush=True,
    )
    return {
        "render": full.seconds,
        "render --no-audit": plain.seconds,
        "check": check.seconds,
        "audit": audit.seconds,
        "render, one user added": step.seconds,
    }


def byte_compile() -> None:
    """Compile mfagen's modules first, as pip does when it installs a package. An editable
    install run with PYTHONDONTWRITEBYTECODE=1 (set on the development machine) never keeps
    its bytecode and compiles every module again on every run: 0.13 s more each time."""
    spec = importlib.util.find_spec("mfagen")
    folders = spec.submodule_search_locations if spec is not None else None
    if not folders:
        raise SystemExit("mfagen is not installed in this Python: pip install -e .")
    subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], check=True)


def cpu_probe() -> float:
    """Seconds a fixed pure-Python loop takes (best of 3): on a shared virtual machine the
    same work can take a fifth longer from one hour to the next, and every figure with it."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(3_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return best


def bench_rollout(scale: synthetic.Scale, workdir: Path, runs: int) -> None:
    """Render and audit with no enrolment window open, a tenth and every one: the ratios."""
    mfagen = [sys.executable, "-m", "mfagen"]
    numbers = itertools.count(1)
    configs = {
        share: synthetic.write(scale, workdir, open_share=share)
        for share in synthetic.WINDOW_SHARES
    }
    renders: dict[float, list[Run]] = {share: [] for share in configs}
    audits: dict[float, list[Run]] = {share: [] for share in configs}
    for _ in range(runs):
        for share, config in configs.items():  # alternating: load drifts alike for each
            out = workdir / f"rollout-{scale.name}-{next(numbers)}"
            renders[share].append(timed([*mfagen, "render", str(config), "--out", str(out)]))
            audits[share].append(timed([*mfagen, "audit", str(out)]))
    base_render, base_audit = median(renders[0.0]), median(audits[0.0])
    for share in configs:
        render, audit = median(renders[share]), median(audits[share])
        opened = round(scale.users * share)
        print(
            f"{scale.name:>2} {scale.users:>5} users, {scale.accounts:>2} accounts, "
            f"{opened:>5} windows open | render {render.seconds:5.2f} s "
            f"cpu {render.cpu_seconds:5.2f} s {render.peak_rss_mib:4.0f} MiB "
            f"(x{render.seconds / base_render.seconds:.2f} time, "
            f"x{render.cpu_seconds / base_render.cpu_seconds:.2f} cpu, "
            f"x{render.peak_rss_mib / base_render.peak_rss_mib:.2f} memory) | "
            f"audit {audit.seconds:5.2f} s cpu {audit.cpu_seconds:5.2f} s "
            f"{audit.peak_rss_mib:4.0f} MiB "
            f"(x{audit.seconds / base_audit.seconds:.2f} time, "
            f"x{audit.cpu_seconds / base_audit.cpu_seconds:.2f} cpu, "
            f"x{audit.peak_rss_mib / base_audit.peak_rss_mib:.2f} memory)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--scales", default="S,M,L", help="comma-separated: S,M,L (or none)")
    parser.add_argument(
        "--rollout", default="R,L", help="enrolment windows opened, comma-separated: R,L (or none)"
    )
    args = parser.parse_args()
    wanted = set(args.scales.split(","))
    rollout = set(args.rollout.split(","))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.runs} runs each")
    print(f"cpu probe before: {cpu_probe():.2f} s")
    byte_compile()
    results = {}
    with tempfile.TemporaryDirectory(prefix="mfagen-bench-") as folder:
        for scale in synthetic.SCALES:
            if scale.name in wanted:
                results[scale.name] = bench_scale(scale, Path(folder), args.runs)
        for scale in (synthetic.ROLLOUT, *synthetic.SCALES):
            if scale.name in rollout:
                bench_rollout(scale, Path(folder), args.runs)
    print(f"cpu probe after: {cpu_probe():.2f} s")
    users = {scale.name: scale.users for scale in synthetic.SCALES}
    names = [name for name in users if name in results]
    for before, after in itertools.pairwise(names):
        growth = ", ".join(
            f"{what} x{results[after][what] / results[before][what]:.1f}" for what in results[after]
        )
        times = users[after] / users[before]
        print(f"growth {before} -> {after} ({times:g}x users): {growth}")


if __name__ == "__main__":
    main()
