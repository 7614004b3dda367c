"""``render -o DIR`` with forked workers: the workers write their files straight into the
staging tree beside DIR and send back only names (``emit.stage_files``).

The output must be the serial render's byte for byte, the render cache must recognise it, any
error must leave DIR as it was with no staging tree behind, and what the filters drop must never
be written (those renders keep the usual path).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import aimctl.emit
from aimctl.emit import Staged
from benchmarks.generate import generate_tree
from tests.parallel_kit import output_files

pytestmark = pytest.mark.usefixtures("three_cpus")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    generate_tree(root, tenants=6, services=3, seed=77)
    return root


@pytest.fixture
def staged_counts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many objects reached ``build_files`` already written by a worker, per render."""
    counts: list[int] = []
    real = aimctl.emit.build_files

    def spy(objects: Any) -> dict[str, str]:
        counts.append(sum(type(o) is Staged for o in objects))
        return real(objects)

    monkeypatch.setattr(aimctl.emit, "build_files", spy)
    return counts


def _everything(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_workers_write_the_serial_render_into_the_staging_tree(
    tree: Path, tmp_path: Path, run_cli: Callable[..., Any], staged_counts: list[int]
) -> None:
    serial = run_cli("render", str(tree), "-o", str(tmp_path / "serial"), "--jobs", "1")
    parallel = run_cli("render", str(tree), "-o", str(tmp_path / "parallel"), "--jobs", "3")
    assert serial.exit_code == parallel.exit_code == 0, parallel.stderr
    assert parallel.stderr.replace("parallel", "serial") == serial.stderr
    assert staged_counts[0] == 0  # serial: nothing staged
    files = output_files(tmp_path / "parallel")
    # every service's InferenceService (at least) was written by a worker
    isvcs = sum(1 for rel in files if "/inferenceservice-" in rel)
    assert staged_counts[1] >= isvcs >= 18
    assert _everything(tmp_path / "parallel") == _everything(tmp_path / "serial")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["parallel", "serial"]


def test_filtered_renders_write_nothing_from_the_workers(
    tree: Path, tmp_path: Path, run_cli: Callable[..., Any], staged_counts: list[int]
) -> None:
    for options in (["--kinds", "HTTPRoute"], ["--exclude-kinds", "Job"], ["--phase", "storage"]):
        out = tmp_path / options[0].strip("-")
        serial = run_cli("render", str(tree), "-o", str(out) + "-1", "--jobs", "1", *options)
        parallel = run_cli("render", str(tree), "-o", str(out) + "-3", "--jobs", "3", *options)
        assert serial.exit_code == parallel.exit_code == 0, parallel.stderr
        assert output_files(Path(str(out) + "-3")) == output_files(Path(str(out) + "-1"))
    assert staged_counts == [0] * 6


def test_the_render_cache_recognises_a_tree_the_workers_wrote(
    tree: Path, tmp_path: Path, run_cli: Callable[..., Any], staged_counts: list[int]
) -> None:
    out = tmp_path / "out"
    first = run_cli("render", str(tree), "-o", str(out), "--jobs", "3")
    assert first.exit_code == 0, first.stderr
    assert staged_counts and staged_counts[0] > 0
    before = _everything(out)
    again = run_cli("render", str(tree), "-o", str(out), "--jobs", "3")
    assert again.exit_code == 0 and "up to date" in again.stdout + again.stderr
    check = run_cli("render", str(tree), "-o", str(out), "--check", "--jobs", "3")
    assert check.exit_code == 0, check.stdout + check.stderr
    assert len(staged_counts) == 1  # both answered from the record, nothing rendered
    assert _everything(out) == before
    # an edited output file no longer matches the record's signatures: drift is found
    victim = next(rel for rel in before if "/inferenceservice-" in rel)
    (out / victim).write_text(before[victim].decode() + "# edited\n")
    drifted = run_cli("render", str(tree), "-o", str(out), "--check", "--jobs", "3")
    assert drifted.exit_code != 0
    assert victim in drifted.stdout + drifted.stderr


def _redefine_a_rendered_object(root: Path) -> None:
    """An input object with the file name of a rendered InferenceService (its kind spelt in
    another case): the collision is found only once the workers have written their files."""
    rendered = next((root.parent / "good").rglob("inferenceservice-*.yaml"))
    namespace, name = rendered.parent.name, rendered.stem.removeprefix("inferenceservice-")
    (root / "clash.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Inferenceservice\n"
        f"metadata:\n  name: {name}\n  namespace: {namespace}\n"
    )


def _refuse_a_cluster_role(root: Path) -> None:
    """A tenant ClusterRole redefined: refused after the fan-out, by the parent."""
    (root / "role.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
        "metadata:\n  name: aim-engine-tenant-role\nrules: []\n"
    )


@pytest.mark.parametrize("edit", [_redefine_a_rendered_object, _refuse_a_cluster_role])
def test_an_error_after_the_workers_wrote_leaves_dir_untouched(
    edit: Callable[[Path], None],
    tree: Path,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = tmp_path / "good"
    assert run_cli("render", str(tree), "-o", str(good), "--jobs", "1").exit_code == 0
    before = _everything(good)
    broken = tmp_path / "broken"
    shutil.copytree(tree, broken)
    edit(broken)
    seen: list[int] = []  # files in the staging tree when it is discarded
    real = aimctl.emit.discard_stage

    def spy(stage: aimctl.emit.Stage) -> None:
        seen.append(sum(1 for p in stage.path.rglob("*.yaml")))
        real(stage)

    monkeypatch.setattr(aimctl.emit, "discard_stage", spy)
    serial = run_cli("render", str(broken), "-o", str(good), "--jobs", "1")
    parallel = run_cli("render", str(broken), "-o", str(good), "--jobs", "3")
    assert serial.exit_code == parallel.exit_code == 1
    assert parallel.stderr == serial.stderr
    assert "Traceback" not in parallel.stderr
    assert seen and seen[0] > 0  # the workers had written, and their tree went
    assert _everything(good) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "good"]
