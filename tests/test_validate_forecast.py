"""`validate` predicts `render`: `--strict` fails on every input `render --strict` refuses, and
without `--strict` each refusal is at least a warning (aimctl.pipeline.validate.forecast_render)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_bad_inputs import CORPUS, KNOWN_BUGS, _materialise, run_in_process

QUICKSTART = ROOT / "examples" / "quickstart"
SERVICES = Path("ml-team") / "services.yaml"

# what a newcomer gets wrong in a service that `validate` alone used to pass
MISTAKES = {
    "a model that exists nowhere": ("name: llama-3-1-8b", "name: llama-3-1-70b-nope"),
    "a duration in words": (
        "  minReplicas: 1\n",
        "  minReplicas: 1\n  routing:\n    requestTimeout: 2 minutes\n",
    ),
}


def _quickstart_with(tmp_path: Path, old: str, new: str) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    text = (tree / SERVICES).read_text(encoding="utf-8")
    assert old in text
    (tree / SERVICES).write_text(text.replace(old, new, 1), encoding="utf-8")
    return tree


@pytest.mark.parametrize("mistake", MISTAKES)
def test_validate_strict_fails_where_render_fails(mistake: str, tmp_path: Path, run_cli) -> None:
    tree = _quickstart_with(tmp_path, *MISTAKES[mistake])
    render = run_cli("render", str(tree), cwd=tmp_path)
    strict = run_cli("validate", "--strict", str(tree), cwd=tmp_path)
    lenient = run_cli("validate", str(tree), cwd=tmp_path)
    assert render.exit_code == 1
    assert strict.exit_code == 1
    (error,) = [ln for ln in strict.stderr.splitlines() if ln.startswith("tree/")]
    assert error.startswith(f"tree/{SERVICES.as_posix()}:")
    assert error.split(": ", 1)[1] in render.stderr  # the same words as render's
    assert lenient.exit_code == 0
    assert "warning:" in lenient.stderr and "validate --strict" in lenient.stderr


def test_a_tree_that_renders_validates_strictly_without_warnings(run_cli) -> None:
    result = run_cli("validate", "--strict", str(QUICKSTART), cwd=ROOT)
    assert result.exit_code == 0, result.stderr
    assert "0 errors, 0 warnings" in result.stderr


def test_one_report_per_problem(tmp_path: Path, run_cli) -> None:
    tree = _quickstart_with(tmp_path, *MISTAKES["a model that exists nowhere"])
    for args in (("validate",), ("validate", "--strict")):
        result = run_cli(*args, str(tree), cwd=tmp_path)
        assert result.stderr.count("llama-3-1-70b-nope") == 1, result.stderr


CASES = sorted(
    p.name for p in CORPUS.iterdir() if (p / "expected.txt").is_file() and p.name not in KNOWN_BUGS
)


@pytest.mark.parametrize("name", CASES)
def test_validate_strict_refuses_every_bad_input_render_refuses(
    name: str, tmp_path: Path, run_cli
) -> None:
    case = _materialise(name, tmp_path)
    render = run_in_process(run_cli, "render", "--strict", "input", cwd=case)
    validate = run_in_process(run_cli, "validate", "--strict", "input", cwd=case)
    if render.exit_code == 1:
        assert validate.exit_code == 1, (
            f"render refused:\n{render.stderr}\nvalidate:\n{validate.stderr}"
        )


def test_tenant_checks_use_the_services_the_forecast_resolved(
    monkeypatch: pytest.MonkeyPatch, resolve_all_calls: list[dict[str, object]]
) -> None:
    """With tenants declared, ``validate``'s tenant checks read the services its forecast render
    resolved: every service is resolved once (issue 18: tenancy facts resolved once)."""
    from aimctl.pipeline.options import LoadOptions
    from aimctl.pipeline.validate import run_validate

    monkeypatch.chdir(ROOT)
    result = run_validate(LoadOptions((Path("examples/platform"),), jobs=0), False, "x")
    assert result.errors == 0 and result.files > 0
    assert len(resolve_all_calls) == 1
