"""Golden cases: tests/cases/<name>/input -> expected/ (rendered directory) or expected-error.txt.

Refresh with ``pytest --update-golden`` and review the diff like code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import HAS_SHARED, ROOT, load_validator

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
    vm = load_validator()
    dirs = [CASES / n / "expected" for n in NAMES if (CASES / n / "expected").is_dir()]
    assert dirs
    for directory in dirs:  # one tree at a time: cases may render the same object names
        report = vm.validate_paths([str(directory)], require_namespace=True)
        assert report.ok, report.format()
