"""Scope of pass-through objects (issue 16, class 17; aimctl.md §9 "Names and order").

Built-in and KServe/Gateway/KEDA kinds are scoped by API group and kind: namespaced ones without
a namespace get ``--namespace``; cluster-scoped ones never get one. A kind aimctl does not know
keeps its namespace when written, and without one is emitted as written, under ``_cluster/``:
aimctl cannot know it is namespaced, and injecting ``--namespace`` would move it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_bad_inputs import snapshot

OBJECTS = """\
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: unscoped
spec: {}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: scoped
  namespace: team-a
spec: {}
---
apiVersion: example.com/v1
kind: ConfigMap
metadata:
  name: lookalike
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
---
apiVersion: resource.k8s.io/v1
kind: DeviceClass
metadata:
  name: gpus
spec: {}
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "objects.yaml").write_text(OBJECTS, encoding="utf-8")
    return root


def test_unknown_kinds_without_a_namespace_go_under_cluster_dir(
    tree: Path, run_cli: Callable[..., Any]
) -> None:
    result = run_cli("render", "tree", "-o", "out", "--namespace", "team-b", cwd=tree.parent)
    assert result.exit_code == 0, result.stderr
    files = set(snapshot(tree.parent / "out")) - {".aimctl-output", "kustomization.yaml"}
    assert files == {
        "_cluster/servicemonitor-unscoped.yaml",
        "_cluster/configmap-lookalike.yaml",  # same kind name, another group: unknown
        "_cluster/deviceclass-gpus.yaml",
        "team-a/servicemonitor-scoped.yaml",
        "team-b/configmap-settings.yaml",
    }
    unscoped = yaml.safe_load(
        (tree.parent / "out/_cluster/servicemonitor-unscoped.yaml").read_text()
    )
    assert "namespace" not in unscoped["metadata"]


@pytest.mark.parametrize("extra", [[], ["--format", "json"]])
def test_unknown_kinds_keep_no_namespace_on_stdout(
    extra: list[str], tree: Path, run_cli: Callable[..., Any]
) -> None:
    result = run_cli("render", "tree", *extra, cwd=tree.parent)
    assert result.exit_code == 0, result.stderr
    parsed = yaml.safe_load(result.stdout) if extra else None
    docs = parsed["items"] if parsed else list(yaml.safe_load_all(result.stdout))
    namespaces = {d["metadata"]["name"]: d["metadata"].get("namespace") for d in docs if d}
    assert namespaces == {
        "unscoped": None,
        "scoped": "team-a",
        "lookalike": None,
        "settings": "default",
        "gpus": None,
    }
