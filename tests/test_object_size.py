"""Objects larger than the API server stores are refused on every output path (issue 16, class 9).

etcd refuses requests over 1.5 MiB. A big value copied into children, many small values in one
service, or a big pass-through object must fail ``render`` on stdout, ``--format json`` and
``-o DIR`` alike, each object named with the input file that made it large; nothing is written.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

QUICKSTART = ROOT / "examples" / "quickstart"
LIMIT = "the API server stores at most 1572864 (etcd's 1.5 MiB request limit)"


def _big_runtime_value(tree: Path) -> None:
    path = tree / "ml-team" / "runtime-config.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("      value: INFO", "      value: " + "y" * 1_700_000))


def _many_service_env_vars(tree: Path) -> None:
    path = tree / "ml-team" / "services.yaml"
    text = path.read_text(encoding="utf-8")
    many = "".join(f"    - name: V{i:05d}\n      value: {'v' * 40}\n" for i in range(30_000))
    path.write_text(text.replace("    - name: VLLM_LOG_LEVEL\n      value: DEBUG\n", many, 1))


def _big_passthrough(tree: Path) -> None:
    (tree / "ml-team" / "settings.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ml-team\n"
        f"data:\n  blob: {'z' * 1_600_000}\n",
        encoding="utf-8",
    )


SCENARIOS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # edit, "FILE:LINE: KIND NS/NAME: field" prefix of every error line, the object named
    "value-copied-into-children": (
        _big_runtime_value,
        "tree/ml-team/runtime-config.yaml:15: AIMRuntimeConfig ml-team/default: spec.env[1].value: ",
        "InferenceService ml-team/llama-assistant-",
    ),
    "many-values-in-one-service": (
        _many_service_env_vars,
        "tree/ml-team/services.yaml:",
        "InferenceService ml-team/qwen-chat-",
    ),
    "big-pass-through-object": (
        _big_passthrough,
        "tree/ml-team/settings.yaml:1: ConfigMap ml-team/settings: ",
        "ConfigMap ml-team/settings: the object would be",
    ),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("output", ["stdout", "json", "dir", "dir-workers"])
def test_objects_over_etcds_limit_are_refused_naming_the_input(
    scenario: str,
    output: str,
    tmp_path: Path,
    run_cli: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import aimctl.parallel

    monkeypatch.setattr(aimctl.parallel, "available_cpus", lambda: 3)
    edit, prefix, named = SCENARIOS[scenario]
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    edit(tree)
    extra = {
        "stdout": [],
        "json": ["--format", "json"],
        "dir": ["-o", "out"],
        # forked workers write into the staging tree; an object they keep back is refused
        "dir-workers": ["-o", "out", "--jobs", "3"],
    }[output]
    result = run_cli("render", "tree", *extra, cwd=tmp_path)
    assert result.exit_code == 1, result.stderr[:2000]
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, result.stderr
    for line in lines:
        assert line.startswith(prefix), line[:400]
        assert LIMIT in line, line[:400]
        assert len(line) < 1000  # the value is never echoed
    assert any(named in line for line in lines), result.stderr[:2000]
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["tree"]  # no staging tree left either
