"""Memory that follows the work: each forked worker reads only its namespaces' share of the
catalog, parts stay small, and a worker is replaced after a bounded amount of work — and none of
that changes a byte of the output. (How much memory that saves is measured in benchmarks/, never
here.)"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from aimctl.catalog import Catalog
from aimctl.pipeline import LoadOptions, load_inputs
from benchmarks.generate import generate_tree
from tests.parallel_kit import output_files, same_with_workers

pytestmark = pytest.mark.usefixtures("three_cpus")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    generate_tree(root, tenants=9, services=3, seed=4242)
    return root


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts of about two services, and a fresh worker after about four services."""
    import aimctl.parallel

    monkeypatch.setattr(aimctl.parallel, "PART_SERVICES", 2)
    monkeypatch.setattr(aimctl.parallel, "WORKER_SERVICES", 4)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every ``render_part`` call in a worker appends what it was given to a log file (a JSON
    line per call, written with O_APPEND so that concurrent workers do not mix lines)."""
    import aimctl.pipeline.parts

    log = tmp_path / "calls.jsonl"
    real = aimctl.pipeline.parts.render_part

    def recording(catalog: Catalog, *args: Any, **kwargs: Any) -> Any:
        namespaces = args[2]
        line = {
            "pid": os.getpid(),
            "namespaces": sorted(namespaces) if namespaces is not None else None,
            "catalog": sorted({k.namespace or "" for k in catalog.by_key}),
            "cluster": sum(1 for k in catalog.by_key if k.namespace is None),
            "passthrough": len(catalog.passthrough),
        }
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, (json.dumps(line) + "\n").encode())
        finally:
            os.close(fd)
        return real(catalog, *args, **kwargs)

    monkeypatch.setattr(aimctl.pipeline.parts, "render_part", recording)
    return log


def _read(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("options", [[], ["--include-intermediates", "--sync-waves"]])
def test_small_parts_and_fresh_workers_render_the_serial_output(
    tree: Path, tmp_path: Path, run_cli, calls: Path, options: list[str]
) -> None:
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    first = run_cli("render", str(tree), "-o", str(serial), "--jobs", "1", *options)
    assert first.exit_code == 0, first.stderr
    calls.unlink()  # only the parallel render's calls below
    second = run_cli("render", str(tree), "-o", str(parallel), "--jobs", "3", *options)
    assert second.exit_code == 0, second.stderr
    assert second.stderr.replace(str(parallel), str(serial)) == first.stderr
    assert output_files(parallel) == output_files(serial)
    assert len(output_files(serial)) > 50
    made = _read(calls)
    assert len(made) == 9  # parts of ~2 services: one namespace (3 services) each
    # workers were replaced as they went: more processes than the three running at a time
    assert len({call["pid"] for call in made}) > 3
    assert os.getpid() not in {call["pid"] for call in made}


def test_workers_get_only_their_namespaces_and_cluster_scope(
    tree: Path, tmp_path: Path, run_cli, calls: Path
) -> None:
    result = run_cli("render", str(tree), "-o", str(tmp_path / "out"), "--jobs", "3")
    assert result.exit_code == 0, result.stderr
    made = _read(calls)
    assert len(made) > 1
    seen: list[str] = []
    for call in made:
        namespaces = set(call["namespaces"])
        held = set(call["catalog"]) - {""}
        assert held <= namespaces  # nothing of another group's namespaces
        assert held  # and its own are there
        assert call["cluster"] > 0  # cluster-scoped models, templates and configs are shared
        assert call["passthrough"] == 0
        seen += call["namespaces"]
    assert len(seen) == len(set(seen))  # each namespace in exactly one part
    inputs = load_inputs(LoadOptions(paths=(tree,)))
    assert set(seen) == inputs.catalog.namespaces_used()


def test_the_narrowed_catalog_answers_like_the_whole_one(tree: Path) -> None:
    catalog = load_inputs(LoadOptions(paths=(tree,))).catalog
    grouped = catalog.by_namespace()
    namespaces = sorted(catalog.namespaces_used())
    chosen = frozenset(namespaces[1:3])
    narrow = Catalog.narrowed(grouped, chosen)

    def wanted(namespace: str | None) -> bool:
        return namespace is None or namespace in chosen

    assert list(narrow.by_key) == [k for k in catalog.by_key if wanted(k.namespace)]
    kinds = {k.kind for k in catalog.by_key}
    for kind in kinds:
        assert narrow.of_kind(kind) == [e for e in catalog.of_kind(kind) if wanted(e.key.namespace)]
    for entry in catalog.of_kind("AIMServiceTemplate") + catalog.of_kind(
        "AIMClusterServiceTemplate"
    ):
        ns, model = entry.key.namespace, entry.obj.spec.model_name
        if wanted(ns):
            assert narrow.templates_for_model(ns, model) == catalog.templates_for_model(ns, model)
    assert narrow.namespaces_used() == set(chosen)
    assert narrow.passthrough == []
    cluster = Catalog.narrowed(grouped, frozenset())
    assert list(cluster.by_key) == [k for k in catalog.by_key if k.namespace is None]


STICKY_ELSEWHERE = {
    "a.yaml": """\
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMModel
metadata:
  name: remote
  namespace: a
spec:
  image: ghcr.io/example/remote:7.7.7
""",
    "b.yaml": """\
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: svc
  namespace: b
spec:
  model:
    image: ghcr.io/example/local:1.0.0
  template:
    allowUnoptimized: true
status:
  resolvedModel:
    name: remote
    namespace: a
    scope: Namespace
""",
    "c.yaml": """\
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterServiceTemplate
metadata:
  name: remote-any
spec:
  modelName: remote
  hardware:
    gpu:
      requests: 1
  modelSources:
    - modelId: org/remote
      sourceUri: hf://org/remote
      size: 1Gi
""",
}


OTHER = """\
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
        - modelId: org/other
          sourceUri: hf://org/other
          size: 1Gi
      hardware:
        gpu:
          requests: 1
  template:
    allowUnoptimized: true
"""


@pytest.mark.usefixtures("small_parts")
def test_a_sticky_model_in_another_namespace_renders_as_serially(tmp_path: Path, run_cli) -> None:
    """``status.resolvedModel`` may name an AIMModel of another namespace: the two namespaces go
    to the same worker, whose narrowed catalog then holds the model."""
    for name, text in STICKY_ELSEWHERE.items():
        (tmp_path / name).write_text(text)
    for i in range(6):  # other namespaces, so that there are several parts
        (tmp_path / f"z{i}.yaml").write_text(OTHER.format(namespace=f"z{i}"))
    serial = same_with_workers(run_cli, "render", str(tmp_path))
    assert serial.stdout.count("image: ghcr.io/example/remote:7.7.7") == 1  # b's, from a's model
