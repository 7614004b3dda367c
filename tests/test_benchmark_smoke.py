"""The benchmark generator stays valid: a small tree renders and the output passes the validator.

No timing here: the figures come from ``python benchmarks/run.py`` (aimctl.md §7).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from benchmarks.generate import generate_tree
from tests.conftest import HAS_SHARED, Result, load_validator

# Small enough to validate in a few seconds (each HTTPRoute's CEL rules cost ~0.1 s in the
# validator); SEED is one whose tree uses every feature the generator has (see FEATURES).
TENANTS, SERVICES, SEED = 3, 3, 2036
FEATURES = {
    "namespace model",
    "service on a namespace model",
    "batch runtime config",
    "service on the batch config",
    "explicit template",
    "metric override",
    "Dedicated cache",
    "no cache",
    "autoscaling",
    "routing disabled",
    "routing enabled by the service",
    "route path template",
    "own gateway",
}


def _features(tree: Path) -> set[str]:
    found: set[str] = set()
    for path in tree.rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            kind, spec = doc.get("kind"), doc.get("spec") or {}
            if kind == "AIMModel":
                found.add("namespace model")
            elif kind == "AIMRuntimeConfig" and doc["metadata"]["name"] == "batch":
                found.add("batch runtime config")
            elif kind == "AIMService":
                routing = spec.get("routing", {})
                mode = spec.get("caching", {}).get("mode")
                checks = {
                    "service on a namespace model": spec["model"]["name"].endswith("-assistant"),
                    "service on the batch config": spec.get("runtimeConfigName") == "batch",
                    "explicit template": "template" in spec,
                    "metric override": "metric" in spec.get("overrides", {}),
                    "Dedicated cache": mode == "Dedicated",
                    "no cache": mode == "Never",
                    "autoscaling": "autoScaling" in spec,
                    "routing disabled": routing.get("enabled") is False,
                    "routing enabled by the service": routing.get("enabled") is True,
                    "route path template": "pathTemplate" in routing,
                    "own gateway": "gatewayRef" in routing and "enabled" not in routing,
                }
                found.update(name for name, hit in checks.items() if hit)
    return found


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _kinds(out: Path) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for path in out.rglob("*.yaml"):
        if path.name != "kustomization.yaml":
            kinds[yaml.safe_load(path.read_text(encoding="utf-8"))["kind"]] += 1
    return kinds


def test_generator_is_deterministic(tmp_path: Path) -> None:
    first = _tree_bytes(_generated(tmp_path / "a", seed=SEED))
    again = _tree_bytes(_generated(tmp_path / "b", seed=SEED))
    other = _tree_bytes(_generated(tmp_path / "c", seed=SEED + 1))
    assert first == again
    assert first != other
    assert "aimctl.yaml" in first
    assert sum(name.endswith("/namespace.yaml") for name in first) == TENANTS


def test_generated_tree_renders_and_validates(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    tree = tmp_path / "tree"
    stats = generate_tree(tree, TENANTS, SERVICES, seed=SEED)
    missing = FEATURES - _features(tree)
    assert not missing, f"seed {SEED} no longer covers {sorted(missing)}: pick another SEED"
    out = tmp_path / "rendered"

    result = run_cli("render", str(tree), "-o", str(out))

    assert result.exit_code == 0, result.stderr
    kinds = _kinds(out)
    assert kinds["InferenceService"] == TENANTS * SERVICES == stats.services
    assert kinds["HTTPRoute"] == stats.routed_services
    assert kinds["Namespace"] == TENANTS
    assert kinds["PersistentVolumeClaim"] == kinds["Job"] > 0
    if not HAS_SHARED:
        pytest.skip(
            "../shared (validate_manifests.py and the CRD schemas) is not beside the project"
        )
    report = load_validator().validate_paths([str(out)])
    assert report.ok, report.format()
    assert report.passed == sum(kinds.values())


def _generated(root: Path, seed: int) -> Path:
    generate_tree(root, TENANTS, SERVICES, seed=seed)
    return root
