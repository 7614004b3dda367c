"""Golden cases: tests/cases/<name>/input -> expected/ (rendered directory) or expected-error.txt.

Refresh with ``pytest --update-golden`` and review the diff like code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import HAS_SHARED, ROOT, SHARED, load_validator

CASES = ROOT / "tests" / "cases"
NAMES = sorted(
    p.name for p in CASES.iterdir() if (p / "input").is_dir() or (p / "source.txt").is_file()
)


def _input(case: Path) -> Path:
    """The case's own ``input/`` tree, or the example named in ``source.txt``."""
    source = case / "source.txt"
    return ROOT / source.read_text().strip() if source.is_file() else case / "input"


def _args(case: Path) -> list[str]:
    args = case / "args.txt"
    return args.read_text().split() if args.is_file() else []


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".aimctl-output"
    }


@pytest.mark.usefixtures("three_cpus")
@pytest.mark.parametrize("jobs", ["1", "3"], ids=["serial", "parallel"])
@pytest.mark.parametrize("name", NAMES)
def test_golden_case(name: str, jobs: str, tmp_path: Path, run_cli, update_golden: bool) -> None:
    """Every case, rendered serially and by three forked workers (aimctl.parallel), gives the
    same files or the same errors."""
    case = CASES / name
    out = tmp_path / "out"
    update_golden = update_golden and jobs == "1"
    result = run_cli(
        "render", str(_input(case)), "-o", str(out), "--jobs", jobs, *_args(case), cwd=case
    )
    expected_error = case / "expected-error.txt"
    if result.exit_code != 0 or expected_error.exists():
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        actual = "\n".join(lines) + "\n"
        if update_golden:
            expected_error.write_text(actual)
            shutil.rmtree(case / "expected", ignore_errors=True)
        assert result.exit_code == 1, result.stderr
        assert actual == expected_error.read_text()
        assert not out.exists(), "a failed render must not create the output directory"
        return
    expected = case / "expected"
    if update_golden:
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(out, expected, ignore=shutil.ignore_patterns(".aimctl-output"))
    assert _tree(out) == _tree(expected)


@pytest.mark.skipif(
    not HAS_SHARED, reason="../shared (schemas and validator) is not beside the project"
)
def test_every_golden_output_validates_against_the_real_schemas() -> None:
    """Rendered AIM intermediates against the 0.2.2 CRDs aimctl targets; the rest against
    ``../shared/schemas/crd`` (KServe, Gateway API, KEDA) and Kubernetes."""
    vm = load_validator()
    schemas = SHARED / "schemas"
    schema_dirs = [schemas / "crd-aim-0.2.2", schemas / "crd"]
    dirs = [CASES / n / "expected" for n in NAMES if (CASES / n / "expected").is_dir()]
    assert dirs
    for directory in dirs:  # one tree at a time: cases may render the same object names
        report = vm.validate_paths(
            [str(directory)], require_namespace=True, schema_dirs=schema_dirs
        )
        assert report.ok, report.format()


def _input_documents(case: Path) -> list[Path]:
    return sorted(p for p in (case / "input").rglob("*.yaml") if p.name != "aimctl.yaml")


@pytest.mark.skipif(
    not HAS_SHARED, reason="../shared (schemas and validator) is not beside the project"
)
@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith(("v1alpha2-", "v0.2.2-"))])
def test_golden_inputs_validate_against_the_crds_of_their_release(name: str) -> None:
    """Inputs of the API-currency cases are what the 0.2.2 (v1alpha1) and 528af2c (v1alpha2)
    CRDs accept, as ``validate_manifests.py -s crd-aim-0.2.2 -s crd-aim-528af2c`` checks."""
    vm = load_validator()
    schemas = SHARED / "schemas"
    dirs = [schemas / "crd-aim-0.2.2", schemas / "crd-aim-528af2c", schemas / "crd"]
    files = [str(p) for p in _input_documents(CASES / name)]
    report = vm.validate_paths(files, schema_dirs=dirs)
    assert report.ok, report.format()


@pytest.mark.parametrize("name", NAMES)
def test_every_golden_case_states_its_operator_target(name: str) -> None:
    """``--operator-version`` in args.txt or ``operator:`` in the case's aimctl.yaml."""
    import yaml

    case = CASES / name
    project = _input(case) / "aimctl.yaml"
    pinned = project.is_file() and yaml.safe_load(project.read_text()).get("operator")
    flagged = "--operator-version" in _args(case)
    assert pinned or flagged, f"{name}: state the operator release (args.txt or aimctl.yaml)"
