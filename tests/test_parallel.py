"""A render spread over forked workers (``--jobs``) is the serial render, byte for byte.

The golden cases run both ways in ``test_golden.py``; here, a generated tree that has every
feature the benchmark generator knows (cluster and namespace models, Shared and Dedicated caches,
routing, autoscaling) goes through each output form with the options that touch the merge:
``--include-intermediates`` (model-generated cluster templates are rendered by the parent),
``--sync-waves`` (added in the workers before serialising) and the JSON stream (objects, not
YAML documents, come back).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from aimctl.parallel import AUTO_MIN_SERVICES, choose_jobs, chunks, partition, run
from benchmarks.generate import generate_tree
from tests.parallel_kit import output_files, same_with_workers

pytestmark = pytest.mark.usefixtures("three_cpus")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    generate_tree(root, tenants=7, services=4, seed=2036)
    (root / "platform" / "custom-model.yaml").write_text(CLUSTER_CUSTOM_MODEL)
    return root


# A cluster model with inline sources: the model controller generates a cluster template for it.
CLUSTER_CUSTOM_MODEL = """\
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterModel
metadata:
  name: shared-tiny
spec:
  image: ghcr.io/silogen/aim-dummy:0.1.10
  modelSources:
    - modelId: inline/test-model
      sourceUri: hf://sshleifer/tiny-gpt2
      size: 1Gi
  custom:
    hardware:
      gpu:
        requests: 1
"""


OPTION_SETS = [
    [],
    ["--include-intermediates"],
    ["--sync-waves", "--include-intermediates"],
    ["--kinds", "InferenceService,HTTPRoute"],
]


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: " ".join(o) or "plain")
def test_directory_output_is_the_same_with_workers(
    tree: Path, tmp_path: Path, run_cli, options: list[str]
) -> None:
    outputs = {}
    for jobs in ("1", "2", "5"):
        out = tmp_path / f"out-{jobs}"
        result = run_cli("render", str(tree), "-o", str(out), "--jobs", jobs, *options)
        assert result.exit_code == 0, result.stderr
        outputs[jobs] = output_files(out)
    assert outputs["2"] == outputs["1"]
    assert outputs["5"] == outputs["1"]
    assert len(outputs["1"]) > 50


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_stream_output_is_the_same_with_workers(tree: Path, run_cli, fmt: str) -> None:
    args = ("render", str(tree), "--format", fmt, "--include-intermediates", "--sync-waves")
    serial = same_with_workers(run_cli, *args, jobs="3")
    if fmt == "json":
        kinds = Counter(item["kind"] for item in json.loads(serial.stdout)["items"])
        # the parts the parent renders itself, and those the workers send back, are both there
        assert kinds["AIMClusterServiceTemplate"] > 0
        assert kinds["InferenceService"] == 28


def test_errors_are_reported_the_same_with_workers(tree: Path, tmp_path: Path, run_cli) -> None:
    broken = tmp_path / "broken"
    generate_tree(broken, tenants=4, services=3, seed=2036)
    victim = sorted(broken.rglob("services.yaml"))[2]
    victim.write_text(victim.read_text().replace("name: ", "name: missing-", 2))
    serial = run_cli("render", str(broken), "-o", str(tmp_path / "a"), "--jobs", "1")
    parallel = run_cli("render", str(broken), "-o", str(tmp_path / "b"), "--jobs", "4")
    assert serial.exit_code == parallel.exit_code == 1
    assert parallel.stderr == serial.stderr
    assert not (tmp_path / "b").exists()


def _spoil(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def test_value_refusals_are_reported_the_same_with_workers(tmp_path: Path, run_cli) -> None:
    """Values the API server would refuse (``resolve.apivalues``), checked by the workers for
    their namespaces and by the parent for cluster scope: the same errors in the same order,
    and no output."""
    broken = tmp_path / "broken"
    generate_tree(broken, tenants=6, services=3, seed=2036)
    services = sorted(broken.rglob("services.yaml"))
    _spoil(services[4], "- name: HF_TOKEN", "- name: HF=TOKEN")
    _spoil(services[1], "- name: HF_TOKEN", "- name: HF=TOKEN")
    _spoil(services[1], "cpu: '4'", "cpu: '-4'")
    _spoil(
        broken / "platform" / "cluster-runtime-config.yaml",
        "defaultStorageClassName: rwx-standard",
        "defaultStorageClassName: RWX_standard",
    )
    outputs = {}
    for jobs in ("1", "3"):
        out = tmp_path / f"out-{jobs}"
        result = run_cli("render", str(broken), "-o", str(out), "--jobs", jobs)
        assert result.exit_code == 1, result.stderr
        assert not out.exists()
        outputs[jobs] = result.stderr
    assert outputs["3"] == outputs["1"]
    lines = outputs["1"].splitlines()
    assert len(lines) == 4, outputs["1"]
    assert "cluster-runtime-config.yaml" in lines[0] and "storage class" in lines[0]
    assert [services[1].parent.name in line for line in lines] == [False, True, True, False]
    assert services[4].parent.name in lines[3]


def test_partition_balances_by_weight_and_is_deterministic() -> None:
    weights = {f"ns-{i:02}": 1 + (i * 7) % 11 for i in range(30)}
    groups = partition(weights, 4)
    assert len(groups) == 4
    assert sorted(n for g in groups for n in g) == sorted(weights)
    totals = [sum(weights[n] for n in g) for g in groups]
    assert max(totals) - min(totals) <= max(weights.values())
    assert partition(dict(reversed(list(weights.items()))), 4) == groups


def test_partition_drops_empty_groups() -> None:
    assert partition({"a": 3, "b": 1}, 8) == [frozenset({"a"}), frozenset({"b"})]


def test_jobs_auto_stays_serial_for_small_renders() -> None:
    assert choose_jobs(0, AUTO_MIN_SERVICES - 1) == 1
    assert choose_jobs(1, 10 * AUTO_MIN_SERVICES) == 1
    assert choose_jobs(3, 5) == 3


def test_jobs_are_capped_at_the_cpus_available(monkeypatch: pytest.MonkeyPatch) -> None:
    import aimctl.parallel

    monkeypatch.setattr(aimctl.parallel, "available_cpus", lambda: 2)
    assert choose_jobs(10_000_000, 5) == 2
    assert choose_jobs(500, 5) == 2


def test_jobs_above_the_maximum_are_a_usage_error(run_cli) -> None:
    for value in ("1025", "10000000", "99999999999999999999"):
        result = run_cli("render", "examples/quickstart", "--jobs", value)
        assert result.exit_code == 2, result.stderr
        assert result.stdout == "" and "Traceback" not in result.stderr
        assert "--jobs" in result.stderr


def test_fork_failure_falls_back_to_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing.context

    from aimctl.parallel import run

    def refuse(*args: object, **kwargs: object) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.ForkContext, "Pool", refuse)
    assert run(lambda part: part * 2, [1, 2, 3], 3) == [2, 4, 6]


def test_parsing_in_workers_gives_the_same_documents_and_problems(
    tree: Path, tmp_path: Path
) -> None:
    from aimctl.loader import load_paths

    mixed = tmp_path / "mixed"
    generate_tree(mixed, tenants=5, services=2, seed=7)
    (mixed / "tenants" / "broken.yaml").write_text("a: [1\n")  # a syntax error, mid-way
    (mixed / "zz-list.yaml").write_text("- not\n- a mapping\n")
    serial = load_paths((mixed,), jobs=1)
    parallel = load_paths((mixed,), jobs=3)
    assert parallel.files == serial.files
    assert parallel.documents == serial.documents
    assert parallel.diagnostics == serial.diagnostics
    assert {d.code for d in serial.diagnostics} == {"E_YAML", "E_NOT_A_MAPPING"}


def test_chunks_keep_order_and_balance_weight() -> None:
    items = list(range(20))
    weights = [1] * 10 + [5] * 10
    runs = chunks(items, weights, 3)
    assert [i for run in runs for i in run] == items
    assert len(runs) == 3
    totals = [sum(weights[i] for i in run) for run in runs]
    assert max(totals) - min(totals) <= 2 * max(weights)
    assert chunks(["only"], [7], 4) == [["only"]]


def _custom_service(namespace: str, source: str, status: str = "") -> str:
    return f"""\
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: svc
  namespace: {namespace}
spec:
  model:
    custom:
      baseImage: ghcr.io/silogen/aim-dummy:0.1.10
      modelSources:
        - modelId: org/{source}
          sourceUri: hf://org/{source}
          size: 1Gi
      hardware:
        gpu:
          requests: 1
  template:
    allowUnoptimized: true
{status}"""


def test_a_service_reaching_into_another_namespace_renders_as_serially(
    tmp_path: Path, run_cli
) -> None:
    """``status.resolvedTemplate`` may name a template of another namespace, which that
    namespace's service generates: both namespaces must go to the same worker."""
    first = tmp_path / "first"
    first.mkdir()
    (first / "a.yaml").write_text(_custom_service("a", "one"))
    listed = run_cli("render", str(first), "--include-intermediates", "--format", "json")
    template = next(
        item["metadata"]["name"]
        for item in json.loads(listed.stdout)["items"]
        if item["kind"] == "AIMServiceTemplate"
    )
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.yaml").write_text(_custom_service("a", "one"))
    sticky = f"status:\n  resolvedTemplate:\n    name: {template}\n    namespace: a\n    scope: Namespace\n"
    (tree / "b.yaml").write_text(_custom_service("b", "two", sticky))
    serial = same_with_workers(run_cli, "render", str(tree))
    b_isvc = serial.stdout.split("kind: InferenceService")[2]
    assert "namespace: b" in b_isvc and "org/one" in b_isvc  # b kept a's template


def test_inputs_without_namespaces_render_with_explicit_jobs(tmp_path: Path, run_cli) -> None:
    (tmp_path / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n")
    same_with_workers(run_cli, "render", str(tmp_path))


def test_a_broken_template_directory_is_reported_as_serially(tree: Path, run_cli) -> None:
    args = ("render", str(tree), "--templates", str(tree / "no-such-dir"))
    serial = same_with_workers(run_cli, *args, exit_code=1)
    assert "template directory not found" in serial.stderr


def test_a_render_wide_warning_is_reported_once_with_workers(
    tree: Path, tmp_path: Path, run_cli
) -> None:
    import shutil

    bare = tmp_path / "no-project"
    shutil.copytree(tree, bare)
    (bare / "aimctl.yaml").unlink()  # no cluster.gpus: every GPU model is assumed present
    serial = same_with_workers(run_cli, "render", str(bare), jobs="3")
    assert serial.stderr.count("assumed present") == 1


def _pid_and_square(n: int) -> tuple[int, int]:
    import os

    return os.getpid(), n * n


def test_first_here_runs_the_first_part_in_this_process_and_keeps_the_order() -> None:
    import os

    results = run(_pid_and_square, list(range(5)), 2, first_here=True)
    assert [square for _, square in results] == [n * n for n in range(5)]
    assert results[0][0] == os.getpid()
    assert all(pid != os.getpid() for pid, _ in results[1:])
    # without it, or with one job, every part is a worker's (or, serially, this process's)
    assert all(pid != os.getpid() for pid, _ in run(_pid_and_square, [1, 2], 2))


def _pid_and_square_noted(n: int) -> tuple[int, int]:
    """``_pid_and_square``, leaving a note in the folder ``AIMCTL_TEST_NOTES`` when a worker
    (not the process ``AIMCTL_TEST_PARENT``) does the first item."""
    import os

    if n == 0 and os.getpid() != int(os.environ["AIMCTL_TEST_PARENT"]):
        Path(os.environ["AIMCTL_TEST_NOTES"], "worker-took-one").touch()
    return _pid_and_square(n)


def test_run_claimed_shares_the_items_and_keeps_their_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers take items while this process does ``meanwhile``; this process then takes
    what is left beside them; the results come back in the order of the items."""
    import os
    import time

    from aimctl.parallel import run_claimed

    monkeypatch.setenv("AIMCTL_TEST_NOTES", str(tmp_path))
    monkeypatch.setenv("AIMCTL_TEST_PARENT", str(os.getpid()))
    called: list[int] = []

    def meanwhile() -> None:  # wait until a worker has done the first item
        called.append(os.getpid())
        for _ in range(6000):
            if (tmp_path / "worker-took-one").exists():
                return
            time.sleep(0.01)

    results = run_claimed(_pid_and_square_noted, list(range(30)), 2, meanwhile)
    assert [square for _, square in results] == [n * n for n in range(30)]
    assert called == [os.getpid()]
    assert results[0][0] != os.getpid()  # a worker took the first item while we waited
    assert {pid for pid, _ in results} <= {os.getpid(), results[0][0]}


def _square_but_three(n: int) -> int:
    if n == 3:
        raise ValueError("three")
    return n * n


def test_run_claimed_raises_what_a_worker_raised_and_falls_back_without_fork(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import multiprocessing.context

    from aimctl.parallel import run_claimed

    with pytest.raises(ValueError, match="three"):
        run_claimed(_square_but_three, list(range(8)), 3)

    def refuse(*args: object, **kwargs: object) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.ForkContext, "Pool", refuse)
    called: list[bool] = []
    assert run_claimed(lambda n: n * 2, [1, 2, 3], 3, lambda: called.append(True)) == [2, 4, 6]
    assert called == [True]
