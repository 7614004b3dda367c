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

TENANTS, SERVICES = 5, 3


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
    first = _tree_bytes(_generated(tmp_path / "a", seed=7))
    again = _tree_bytes(_generated(tmp_path / "b", seed=7))
    other = _tree_bytes(_generated(tmp_path / "c", seed=8))
    assert first == again
    assert first != other
    assert "aimctl.yaml" in first
    assert sum(name.endswith("/namespace.yaml") for name in first) == TENANTS


def test_generated_tree_renders_and_validates(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    tree = tmp_path / "tree"
    stats = generate_tree(tree, TENANTS, SERVICES, seed=1)
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
