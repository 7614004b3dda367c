"""Time ``explain`` of one service (issue 23: ≤ 0.35 s on the 10,000-service tree).

    python benchmarks/generate.py /dev/shm/h23e/t10k --tenants 1000 --services 10 --seed 1
    python benchmarks/explain_bench.py /dev/shm/h23e/t10k --repeat 10 [--baseline ../main]

Each run is a fresh ``python -m aimctl explain TREE SERVICE`` (text, then ``-o json``) timed
from outside: wall, and CPU (user + sys) from ``wait4()``. With ``--baseline CHECKOUT`` the same
commands run with that checkout's aimctl, alternating run by run, so that both see the same
load; their output must be identical, byte for byte. Every process runs in a scratch directory
beside the tree (``python -m`` puts the current directory first on ``sys.path``) and may write
bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped), as an installed aimctl has it: the first
run of each side, which may compile, is not counted. Prints a Markdown table; progress on
stderr. No assertion: figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

Run = tuple[float, float, bytes]  # wall s, CPU s, stdout


def _run(command: list[str], env: dict[str, str], cwd: Path) -> Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}\n{done.stderr.decode()}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, done.stdout


def _env(checkout: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: no compile in every run
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", type=Path)
    parser.add_argument("--service", default="ads-0001/rag-1", help="NAMESPACE/NAME")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--baseline", type=Path, help="a checkout timed alongside, run by run")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    tree = args.tree.resolve()
    sides = {"this": ROOT} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    rows: dict[str, list[Run]] = {}
    with tempfile.TemporaryDirectory(prefix="aimctl-explain-bench-", dir=tree.parent) as work:
        for form in ([], ["-o", "json"]):
            command = [args.python, "-m", "aimctl", "explain", str(tree), args.service, *form]
            for checkout in sides.values():
                _run(command, _env(checkout), Path(work))  # warm-up: bytecode, page cache
            for i in range(args.repeat):
                print(f"explain {' '.join(form) or 'text'} {i + 1}/{args.repeat}", file=sys.stderr)
                order = list(sides.items()) if i % 2 == 0 else list(sides.items())[::-1]
                for side, checkout in order:
                    label = f"explain {args.service}{' ' + ' '.join(form) if form else ''}, {side}"
                    rows.setdefault(label, []).append(_run(command, _env(checkout), Path(work)))
    load = os.getloadavg()
    print(f"tree {tree}; {args.repeat} runs; load average {load[0]:.2f} at the end\n")
    print(
        "| command | median s | min s | max s | median CPU s | output |\n|---|---|---|---|---|---|"
    )
    for label, runs in rows.items():
        walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
        twin = label.replace(", this", ", baseline")
        same = "" if twin == label or twin not in rows else _same(runs, rows[twin])
        print(
            f"| {label} | {statistics.median(walls):.3f} | {min(walls):.3f} | {max(walls):.3f} "
            f"| {statistics.median(cpus):.3f} | {same} |"
        )


def _same(runs: list[Run], others: list[Run]) -> str:
    outputs = {r[2] for r in runs} | {r[2] for r in others}
    return "identical to the baseline's" if len(outputs) == 1 else "DIFFERS from the baseline's"


if __name__ == "__main__":
    main()
