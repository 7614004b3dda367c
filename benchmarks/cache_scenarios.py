"""Time the cached paths of ``render -o``, ``render --check`` and ``diff`` (aimctl/render_cache.py).

    python benchmarks/generate.py /dev/shm/h23c/t10k --tenants 1000 --services 10 --seed 1
    python benchmarks/cache_scenarios.py /dev/shm/h23c/t10k --repeat 5 [--baseline ../main]

Scenarios, each a fresh ``python -m aimctl`` process timed from outside, median of ``--repeat``:

- **cold**: ``render TREE -o OUT`` into a new directory with an empty ``$AIMCTL_CACHE_DIR``
  (what CI does on a fresh checkout);
- **unchanged check**: ``render --check`` of an up-to-date OUT;
- **one namespace changed**: one tenant's ``services.yaml`` edited (a label value), then
  ``render --check``, ``diff`` and ``render -o`` (the edit is undone and OUT re-rendered,
  untimed, before each run).

With ``--baseline CHECKOUT`` every scenario is also run with that checkout's aimctl (its own
output directory and cache), alternating run by run with this one, so that both see the same
load. Every process runs in the work directory: ``python -m`` puts the current directory first
on ``sys.path``, so running in a checkout would time that checkout's aimctl whatever
``PYTHONPATH`` says.

Every process may write bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped), as an installed
aimctl has it. Prints a Markdown table; progress on stderr. No assertion: figures go to benchmarks/README.md.
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
WORKDIR: list[Path] = []  # where every process runs (set by main)


def _run(args: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=WORKDIR[0]
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(args)}: exit {done.returncode}\n{done.stderr.decode()}")
    return elapsed


def _env(cache: Path, pythonpath: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, AIMCTL_CACHE_DIR=str(cache))
    env.pop("CI", None)
    # as installed (pip compiles the modules): without bytecode every run would compile aimctl's
    # sources again, a cost no installed aimctl pays (the first, cold run writes __pycache__)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


class _Side:
    """One checkout's aimctl with its own output directory and cache."""

    def __init__(self, label: str, checkout: Path, work: Path) -> None:
        self.label = label
        self.checkout = checkout
        self.out = work / f"out-{label}"
        self.env = _env(work / f"cache-{label}", checkout)


Rows = dict[str, tuple[list[float], list[float]]]  # label -> (wall, CPU) of each run


def _record(rows: Rows, label: str, wall: float) -> None:
    walls, cpus = rows.setdefault(label, ([], []))
    walls.append(wall)
    cpus.append(CPU[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="a checkout timed alongside, run by run")
    parser.add_argument("--workdir", type=Path, default=Path("/dev/shm"))
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    tree = args.tree.resolve()
    work = Path(tempfile.mkdtemp(prefix="aimctl-cache-bench-", dir=args.workdir)).resolve()
    WORKDIR.append(work)
    aimctl = [args.python, "-m", "aimctl"]
    sides = [_Side("this", ROOT, work)]
    if args.baseline:
        sides.append(_Side("baseline", args.baseline.resolve(), work))
    rows: Rows = {}
    try:
        for i in range(args.repeat):
            print(f"cold {i + 1}/{args.repeat}", file=sys.stderr)
            for side in sides:
                target = work / "cold"
                shutil.rmtree(target, ignore_errors=True)
                shutil.rmtree(work / "cold-cache", ignore_errors=True)
                run_env = _env(work / "cold-cache", side.checkout)
                wall = _run([*aimctl, "render", str(tree), "-o", str(target)], run_env)
                _record(rows, _label("cold render -o (new dir, empty cache)", side), wall)
        for side in sides:
            _run([*aimctl, "render", str(tree), "-o", str(side.out)], side.env)
        for _ in range(args.repeat):
            for side in sides:
                command = [*aimctl, "render", str(tree), "-o", str(side.out), "--check"]
                _record(rows, _label("render --check, unchanged", side), _run(command, side.env))
        _one_namespace(tree, aimctl, sides, args.repeat, rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"tree {tree}; {args.repeat} runs; load average {load[0]:.2f} at the end\n")
    print("| scenario | median s | min s | max s | median CPU s |\n|---|---|---|---|---|")
    for label, (times, cpus) in rows.items():
        print(
            f"| {label} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} "
            f"| {statistics.median(cpus):.2f} |"
        )


def _label(scenario: str, side: _Side) -> str:
    return scenario if side.label == "this" else f"{scenario}, baseline {side.checkout}"


def _one_namespace(
    tree: Path, aimctl: list[str], sides: list[_Side], repeat: int, rows: Rows
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
            print(label, file=sys.stderr)
            for _ in range(repeat):
                for side in sides:
                    services.write_bytes(original)
                    _run([*aimctl, "render", str(tree), "-o", str(side.out)], side.env)
                    services.write_bytes(edited)
                    args = [*aimctl, command[0], str(tree), "-o", str(side.out), *command[1:]]
                    _record(rows, _label(label, side), _run(args, side.env, ok))
    finally:
        services.write_bytes(original)


if __name__ == "__main__":
    main()
