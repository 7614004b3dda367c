"""Spread the per-namespace work of a large render over several CPU cores.

Everything a service shares with other services — merged runtime configs, Shared template caches,
the models and templates it creates, hand-written caches and artifacts it may reuse — lives in
its own namespace or at cluster scope, which no service changes. So namespaces are independent:
the loaded catalog is handed to forked workers (copy-on-write, nothing re-parsed), each resolves,
renders and serialises the services of its namespaces, and sends back finished YAML documents.

Memory follows the work: a worker reads only its namespaces' entries and the cluster-scoped ones
(``Catalog.narrowed``), so it copies only the pages of those objects (reading an object changes
its reference count, which copies its page); parts hold about PART_SERVICES services, and a
worker process is replaced after about WORKER_SERVICES, so what it copied or could not give back
goes with it.
The caller merges the parts and sorts them as usual, so the output is byte for byte the serial
render's (``tests/test_golden.py`` renders every golden case both ways, ``tests/test_parallel.py``
each output form with the options that touch the merge).

Chosen automatically on Linux only; elsewhere where ``fork`` exists (macOS), only with an
explicit ``--jobs``; without ``fork`` the render stays serial.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

__all__ = [
    "AUTO_MIN_INPUT_BYTES",
    "AUTO_MIN_SERVICES",
    "MAX_AUTO_JOBS",
    "PARTS_PER_JOB",
    "PART_SERVICES",
    "WORKER_SERVICES",
    "available_cpus",
    "choose_jobs",
    "chunks",
    "cpu_limit",
    "partition",
    "run",
    "run_claimed",
]

T = TypeVar("T")
R = TypeVar("R")

AUTO_MIN_SERVICES: Final = 1000  # below this, forking costs more than it saves (~0.45 ms/service)
AUTO_MIN_INPUT_BYTES: Final = 4 * 1024 * 1024  # the same for parsing (~0.1 s per MiB)
MAX_AUTO_JOBS: Final = 8
PARTS_PER_JOB: Final = 4  # more parts than workers: balance, and progress as parts finish
# At most about this many services per part, and per worker process before a fresh one takes
# its place: a worker's memory (the pages of the inherited catalog it touches, what the allocator
# keeps of its results) then follows its share of the work, not the size of the whole render.
PART_SERVICES: Final = 1000
WORKER_SERVICES: Final = 2000


CGROUP_ROOT: Final = Path("/sys/fs/cgroup")
PROC_CGROUP: Final = Path("/proc/self/cgroup")


def available_cpus() -> int:
    """CPUs this process may use: the affinity mask (a cpuset), and no more than the CFS quota
    allows (``cpu_limit``: a container's ``resources.limits.cpu``, which the mask ignores)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    limit = cpu_limit()
    return max(1, min(cpus, limit)) if limit is not None else cpus


def cpu_limit(root: Path | None = None, proc_cgroup: Path | None = None) -> int | None:
    """CPUs the CPU quota of this process's cgroup and its ancestors allows (quota / period,
    rounded up), from cgroup v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``;
    ``None`` when no quota applies (``max``, ``-1``) or none can be read (not Linux)."""
    root = CGROUP_ROOT if root is None else root
    lines = _small_text(PROC_CGROUP if proc_cgroup is None else proc_cgroup)
    limits: list[int] = []
    for line in (lines or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":  # cgroup v2
            limits += [q for d in _cgroup_dirs(root, path) if (q := _v2_limit(d)) is not None]
        elif "cpu" in controllers.split(","):  # cgroup v1, cpu controller
            mount = root / controllers
            mount = mount if mount.is_dir() else root / "cpu"
            limits += [q for d in _cgroup_dirs(mount, path) if (q := _v1_limit(d)) is not None]
    return min(limits) if limits else None


def _small_text(path: Path) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            return handle.read(65536)
    except OSError:
        return None


def _cgroup_dirs(mount: Path, path: str) -> list[Path]:
    """The cgroup's directory and its ancestors up to the mount (inside a container the path
    may name the host's hierarchy: the mount itself is then the container's cgroup)."""
    parts = [p for p in path.split("/") if p and p not in (".", "..")]
    return [mount.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]


def _quota(quota: int, period: int) -> int | None:
    if quota <= 0 or period <= 0:
        return None
    return max(1, -(-quota // period))


def _v2_limit(directory: Path) -> int | None:
    words = (_small_text(directory / "cpu.max") or "").split()
    if len(words) != 2 or words[0] == "max":
        return None
    try:
        return _quota(int(words[0]), int(words[1]))
    except ValueError:
        return None


def _v1_limit(directory: Path) -> int | None:
    quota, period = (_small_text(directory / n) for n in ("cpu.cfs_quota_us", "cpu.cfs_period_us"))
    try:
        return _quota(int((quota or "").strip()), int((period or "").strip()))
    except ValueError:
        return None


def fork_available() -> bool:
    import multiprocessing  # here, not at the top: small work (explain) never imports it

    return "fork" in multiprocessing.get_all_start_methods()


def choose_jobs(requested: int, size: int, threshold: int = AUTO_MIN_SERVICES) -> int:
    """Worker processes for work of ``size`` (services, or input bytes with that threshold):
    ``requested`` when set (1 = serial), else one per available CPU (at most MAX_AUTO_JOBS) from
    ``threshold`` on."""
    if requested <= 0 and size < threshold:
        return 1  # before fork_available: small work imports no multiprocessing
    if not fork_available():
        return 1
    if requested > 0:  # never more workers than CPUs: more only cost memory and forks
        return max(1, min(requested, available_cpus()))
    if size < threshold or not sys.platform.startswith("linux"):
        return 1  # macOS can fork, but its system libraries are not fork-safe: ask explicitly
    return max(1, min(available_cpus(), MAX_AUTO_JOBS))


def chunks(items: Sequence[T], weights: Sequence[int], parts: int) -> list[list[T]]:
    """``items`` cut into at most ``parts`` consecutive runs of similar total weight (order kept,
    so joining the results of the runs gives the serial order)."""
    total = sum(weights) or 1
    out: list[list[T]] = [[]]
    done = 0
    for item, weight in zip(items, weights, strict=True):
        if out[-1] and done >= total * len(out) / parts:
            out.append([])
        out[-1].append(item)
        done += weight
    return out


def partition(weights: dict[str, int], parts: int) -> list[frozenset[str]]:
    """Namespaces in ``parts`` groups of similar total weight (heaviest first to the lightest
    group; ties by name, so the grouping is deterministic). Empty groups are dropped."""
    groups: list[list[str]] = [[] for _ in range(max(1, parts))]
    totals = [0] * len(groups)
    for name in sorted(weights, key=lambda n: (-weights[n], n)):
        lightest = min(range(len(groups)), key=lambda i: (totals[i], i))
        groups[lightest].append(name)
        totals[lightest] += weights[name]
    return [frozenset(g) for g in groups if g]


# The work and its inputs, set just before the fork so that workers inherit them.
_WORK: Callable[[Any], Any] | None = None
# Parts a worker process does before a fresh one replaces it (None: no limit), and how many
# this process has done (a worker inherits 0).
_PER_WORKER: int | None = None
_DONE_HERE = 0


def run(
    work: Callable[[T], R],
    parts: Sequence[T],
    jobs: int,
    on_part: Callable[[int, R], None] | None = None,
    parts_per_worker: int | None = None,
    first_here: bool = False,
) -> list[R]:
    """``work(part)`` for every part in ``jobs`` forked processes; results in the order of
    ``parts``. ``on_part(index, result)`` is called in this process as each part finishes. An
    exception in a worker is raised here. ``parts_per_worker``: a worker process that has done
    that many parts exits and a fresh one is forked from this process (None: workers live until
    the work is done). ``first_here``: this process does the first part itself, as one of the
    ``jobs``, while the workers do the others (its result is neither pickled nor copied; for
    work whose results this process keeps anyway)."""
    global _WORK, _PER_WORKER, _DONE_HERE
    _WORK, _PER_WORKER, _DONE_HERE = work, parts_per_worker, 0
    results: list[Any] = [None] * len(parts)
    here = 1 if first_here and len(parts) > 1 and jobs > 1 else 0
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
        try:
            pool = context.Pool(
                min(jobs - here, len(parts) - here), maxtasksperchild=parts_per_worker
            )
        except OSError:  # fork refused (process or memory limits): the same work, serially
            return _serial(work, parts, on_part)
        with pool:
            numbered = pool.imap_unordered(_numbered, list(enumerate(parts))[here:])
            if here:
                results[0] = work(parts[0])
                if on_part is not None:
                    on_part(0, results[0])
            for index, result in numbered:
                results[index] = result
                if on_part is not None:
                    on_part(index, result)
    finally:
        _WORK, _PER_WORKER = None, None
    return results


def _serial(
    work: Callable[[T], R], parts: Sequence[T], on_part: Callable[[int, R], None] | None
) -> list[R]:
    results: list[R] = []
    for index, part in enumerate(parts):
        results.append(work(part))
        if on_part is not None:
            on_part(index, results[-1])
    return results


def _numbered(item: tuple[int, Any]) -> tuple[int, Any]:
    """In a worker: one part. On the worker's last part, what the work keeps (``keepalive``)
    is left for the process's exit to drop instead of being freed object by object."""
    global _DONE_HERE
    from aimctl.keepalive import set_enabled

    index, part = item
    assert _WORK is not None
    _DONE_HERE += 1
    set_enabled(_PER_WORKER is not None and _DONE_HERE >= _PER_WORKER)
    return index, _WORK(part)


# run_claimed: the work, its items and the shared count of items taken, set before the fork.
_CLAIMED: tuple[Callable[[Any], Any], Sequence[Any], Any] | None = None


def run_claimed(
    work: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    meanwhile: Callable[[], None] | None = None,
) -> list[R]:
    """``work(item)`` for every item, results in the order of ``items``: this process and
    ``jobs - 1`` forked workers each take the next item no one has taken until none is left, so
    the work spreads by what each process gets done. This process first calls ``meanwhile()``
    (the workers take its share meanwhile); its own results are neither pickled nor copied. An
    exception in a worker is raised here."""
    global _CLAIMED
    import multiprocessing

    context = multiprocessing.get_context("fork")
    _CLAIMED = (work, items, context.Value("q", 0))
    results: dict[int, Any] = {}
    try:
        try:
            pool = context.Pool(max(1, jobs - 1))
        except OSError:  # fork refused (process or memory limits): the same work, here
            if meanwhile is not None:
                meanwhile()
            return [work(item) for item in items]
        with pool:
            pending = [pool.apply_async(_claim, (True,)) for _ in range(max(1, jobs - 1))]
            if meanwhile is not None:
                meanwhile()
            results.update(_claim(False))
            for answer in pending:
                results.update(answer.get())
    finally:
        _CLAIMED = None
    return [results[index] for index in range(len(items))]


def _claim(in_worker: bool) -> list[tuple[int, Any]]:
    """Items of ``run_claimed`` taken one by one until none is left, with their results."""
    from aimctl.keepalive import set_enabled

    assert _CLAIMED is not None
    work, items, taken = _CLAIMED
    if in_worker:
        set_enabled(False)  # what the work keeps goes with the results
    done: list[tuple[int, Any]] = []
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value = index + 1
        if index >= len(items):
            return done
        done.append((index, work(items[index])))
