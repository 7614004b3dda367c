"""The worker count honours the CPU quota: cgroup v2 ``cpu.max`` and v1 CFS quota/period, read
from fake cgroup trees, besides the affinity mask (a container's CPU limit leaves the mask at
every CPU of the node)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimctl.parallel import choose_jobs


def _cgroup(tmp_path: Path, proc: str, files: dict[str, str]) -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (tmp_path / "proc-cgroup").write_text(proc)
    return root, tmp_path / "proc-cgroup"


@pytest.mark.parametrize(
    ("proc", "files", "expected"),
    [
        # cgroup v2, in a container's own namespace: the mount is the container's cgroup
        ("0::/\n", {"cpu.max": "150000 100000\n"}, 2),
        ("0::/\n", {"cpu.max": "max 100000\n"}, None),
        ("0::/\n", {"cpu.max": "50000 100000\n"}, 1),  # half a CPU: one worker
        # v2, nested: the tightest limit of the cgroup and its ancestors applies
        (
            "0::/kubepods/pod1/ctr\n",
            {
                "kubepods/cpu.max": "400000 100000\n",
                "kubepods/pod1/cpu.max": "300000 100000\n",
                "kubepods/pod1/ctr/cpu.max": "max 100000\n",
            },
            3,
        ),
        # the host's path is not mounted in the container: the mount's own file is read
        ("0::/kubepods/pod1/ctr\n", {"cpu.max": "200000 100000\n"}, 2),
        # cgroup v1, cpu controller mounted with cpuacct
        (
            "4:memory:/x\n3:cpu,cpuacct:/\n",
            {
                "cpu,cpuacct/cpu.cfs_quota_us": "250000\n",
                "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
            },
            3,
        ),
        # v1 without a quota (-1), or nothing readable
        ("1:cpu:/\n", {"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ("0::/\n", {"cpu.max": "garbage\n"}, None),
        ("", {}, None),
    ],
    ids=[
        "v2",
        "v2-max",
        "v2-half",
        "v2-nested",
        "v2-host-path",
        "v1",
        "v1-unlimited",
        "v2-garbage",
        "none",
    ],
)
def test_cpu_limit_reads_the_cgroup_quota(
    tmp_path: Path, proc: str, files: dict[str, str], expected: int | None
) -> None:
    from aimctl.parallel import cpu_limit

    root, proc_file = _cgroup(tmp_path, proc, files)
    assert cpu_limit(root, proc_file) == expected


def test_available_cpus_honours_the_quota(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import aimctl.parallel

    root, proc_file = _cgroup(tmp_path, "0::/\n", {"cpu.max": "100000 100000\n"})
    monkeypatch.setattr(aimctl.parallel, "CGROUP_ROOT", root)
    monkeypatch.setattr(aimctl.parallel, "PROC_CGROUP", proc_file)
    monkeypatch.setattr(aimctl.parallel.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert aimctl.parallel.available_cpus() == 1
    assert choose_jobs(8, 10) == 1  # an explicit --jobs is capped at the quota too
    (root / "cpu.max").write_text("max 100000\n")
    assert aimctl.parallel.available_cpus() == 4
