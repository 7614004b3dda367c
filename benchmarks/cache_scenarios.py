"""Time the cached paths of ``render -o``, ``render --check`` and ``diff`` (aimctl/render_cache.py).

    python benchmarks/generate.py /dev/shm/h23c/t10k --tenants 1000 --services 10 --seed 1
    python benchmarks/cache_scenarios.py /dev/shm/h23c/t10k --repeat 5 [--baseline ../main]

Scenarios, each a fresh ``python -m aimctl`` process timed from outside, median of ``--repeat``:

- **cold**: ``render TREE -o OUT`` into a new directory with an empty ``$AIMCTL_CACHE_DIR``
  (what CI does on a fresh checkout); with ``--baseline CHECKOUT`` the same command with that
  checkout's aimctl (e.g. main, without the cache), alternating the two runs;
- **unchanged check**: ``render --check`` of an up-to-date OUT;
- **one namespace changed**: one tenant's ``services.yaml`` edited (a label value), then
  ``render --check``, ``diff`` and ``render -o`` (the edit is undone and OUT re-rendered,
  untimed, before each run).

Prints a Markdown table; progress on stderr. No assertion: figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


CPU: list[float] = []  # CPU seconds (user + sys, workers included) of each _run, in order


def _run(args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(args)}: exit {done.returncode}\n{done.stderr.decode()}")
    return elapsed


def _env(cache: Path, pythonpath: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, AIMCTL_CACHE_DIR=str(cache))
    env.pop("CI", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="a checkout whose aimctl renders cold too")
    parser.add_argument("--workdir", type=Path, default=Path("/dev/shm"))
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    tree = args.tree.resolve()
    work = Path(tempfile.mkdtemp(prefix="aimctl-cache-bench-", dir=args.workdir))
    aimctl = [args.python, "-m", "aimctl"]
    cache = work / "cache"
    env = _env(cache, ROOT)
    out = work / "out"
    rows: list[tuple[str, list[float]]] = []
    cpu_rows: dict[str, list[float]] = {}
    try:
        cold: list[float] = []
        base: list[float] = []
        cold_cpu: list[float] = []
        base_cpu: list[float] = []
        for i in range(args.repeat):
            print(f"cold {i + 1}/{args.repeat}", file=sys.stderr)
            for target, times, pythonpath in (
                (work / "cold", cold, ROOT),
                *([(work / "base", base, args.baseline.resolve())] if args.baseline else []),
            ):
                shutil.rmtree(target, ignore_errors=True)
                shutil.rmtree(work / "cold-cache", ignore_errors=True)
                run_env = _env(work / "cold-cache", pythonpath)
                times.append(_run([*aimctl, "render", str(tree), "-o", str(target)], run_env))
                (cold_cpu if times is cold else base_cpu).append(CPU[-1])
        rows.append(("cold render -o (new dir, empty cache)", cold))
        cpu_rows["cold render -o (new dir, empty cache)"] = cold_cpu
        if base:
            rows.append((f"cold render -o, baseline {args.baseline}", base))
            cpu_rows[f"cold render -o, baseline {args.baseline}"] = base_cpu
        _run([*aimctl, "render", str(tree), "-o", str(out)], env)
        check = [
            _run([*aimctl, "render", str(tree), "-o", str(out), "--check"], env)
            for _ in range(args.repeat)
        ]
        rows.append(("render --check, unchanged", check))
        cpu_rows["render --check, unchanged"] = CPU[-args.repeat :]
        _one_namespace(tree, out, aimctl, env, args.repeat, rows, cpu_rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"tree {tree}; {args.repeat} runs; load average {load[0]:.2f} at the end\n")
    print("| scenario | median s | min s | max s | median CPU s |\n|---|---|---|---|---|")
    for label, times in rows:
        cpu = f"{statistics.median(cpu_rows[label]):.2f}" if label in cpu_rows else ""
        print(
            f"| {label} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} "
            f"| {cpu} |"
        )


def _one_namespace(
    tree: Path,
    out: Path,
    aimctl: list[str],
    env: dict[str, str],
    repeat: int,
    rows: list[tuple[str, list[float]]],
    cpu_rows: dict[str, list[float]],
) -> None:
    services = sorted((tree / "tenants").glob("*/services.yaml"))[0]
    original = services.read_bytes()
    edited = original.replace(b"team: ", b"team: x", 1)
    try:
        for label, command, ok in (
            ("render --check, one namespace changed", ["render", "--check"], (3,)),
            ("diff, one namespace changed", ["diff"], (3,)),
            ("render -o, one namespace changed", ["render"], (0,)),
        ):
            times, cpus = [], []
            for _ in range(repeat):
                services.write_bytes(original)
                _run([*aimctl, "render", str(tree), "-o", str(out)], env)
                services.write_bytes(edited)
                times.append(
                    _run([*aimctl, command[0], str(tree), "-o", str(out), *command[1:]], env, ok)
                )
                cpus.append(CPU[-1])
            rows.append((label, times))
            cpu_rows[label] = cpus
    finally:
        services.write_bytes(original)


if __name__ == "__main__":
    main()
