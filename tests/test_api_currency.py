"""The AIM API clusters run today: v1alpha2 AIMServices, profiles, and refusals that teach.

aimctl accepts the operator 0.2.2 v1alpha1 schema and the 0.2.5-cycle v1alpha2 AIMService and
AIMClusterProfile; it routes services by spec shape as the operator does, renders the template
pipeline only, and names the release behind every field or kind it cannot take.
"""

from __future__ import annotations

import json

import pytest

from aimctl.model import select_pipeline
from tests.conftest import WriteTree

PLATFORM = """
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterModel
metadata:
  name: qwen3-8b
spec:
  image: amdenterpriseai/aim-qwen-qwen3-8b:0.8.5
---
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterServiceTemplate
metadata:
  name: qwen3-8b-mi300x-lat-fp8
spec:
  modelName: qwen3-8b
  type: optimized
  metric: latency
  precision: fp8
  hardware:
    gpu:
      model: MI300X
      requests: 1
  modelSources:
    - modelId: Qwen/Qwen3-8B
      sourceUri: hf://Qwen/Qwen3-8B
      size: 20Gi
"""


def _service(api: str, name: str, spec: str, annotations: str = "") -> str:
    meta = f"  annotations:\n    {annotations}\n" if annotations else ""
    return (
        f"apiVersion: aim.eai.amd.com/{api}\nkind: AIMService\nmetadata:\n  name: {name}\n"
        f"  namespace: team-a\n{meta}spec:\n{spec}"
    )


MODEL_SHAPE = "  model:\n    name: qwen3-8b\n"
PROFILE_SHAPE = "  profile:\n    name: qwen3-8b-mi300x\n"
FORCE_PROFILE = "aim.eai.amd.com/reconciler-pipeline: profile"
FORCE_TEMPLATE = "aim.eai.amd.com/reconciler-pipeline: template"


def _diagnostics(run_cli, *args: str) -> tuple[int, list[dict[str, object]]]:
    result = run_cli(*args, "-o", "json") if args[0] == "validate" else run_cli(*args)
    report = json.loads(result.stdout)
    return result.exit_code, report["diagnostics"]


@pytest.mark.parametrize(
    ("annotation", "has_profile", "pipeline"),
    [
        (None, False, "template"),
        (None, True, "profile"),
        ("profile", False, "profile"),
        ("template", True, "template"),
        ("something-else", True, "profile"),
        ("something-else", False, "template"),
    ],
)
def test_pipeline_is_chosen_by_annotation_then_spec_profile_then_template(
    annotation: str | None, has_profile: bool, pipeline: str
) -> None:
    annotations = {"aim.eai.amd.com/reconciler-pipeline": annotation} if annotation else None
    assert select_pipeline(annotations, has_profile) == pipeline


def test_template_shaped_v1alpha2_service_renders_exactly_like_its_v1alpha1_twin(
    write_tree: WriteTree, run_cli
) -> None:
    root = write_tree(
        {
            "platform.yaml": PLATFORM,
            "one.yaml": _service("v1alpha1", "chat", MODEL_SHAPE),
        }
    )
    first = run_cli("render", str(root))
    (root / "one.yaml").write_text(_service("v1alpha2", "chat", MODEL_SHAPE))
    second = run_cli("render", str(root))
    assert first.exit_code == second.exit_code == 0, first.stderr + second.stderr
    assert "InferenceService" in first.stdout
    assert first.stdout == second.stdout


@pytest.mark.parametrize(
    ("api", "spec", "annotation", "field"),
    [
        ("v1alpha2", PROFILE_SHAPE, "", "spec.profile"),
        ("v1alpha2", MODEL_SHAPE, FORCE_PROFILE, "metadata.annotations"),
        ("v1alpha1", MODEL_SHAPE, FORCE_PROFILE, "metadata.annotations"),
    ],
    ids=["spec-profile", "annotation-on-v1alpha2", "annotation-on-v1alpha1"],
)
def test_profile_pipeline_service_is_accepted_by_validate_and_refused_by_render(
    write_tree: WriteTree, run_cli, api: str, spec: str, annotation: str, field: str
) -> None:
    root = write_tree(
        {"platform.yaml": PLATFORM, "svc.yaml": _service(api, "by-profile", spec, annotation)}
    )
    checked = run_cli("validate", str(root))
    assert checked.exit_code == 0, checked.stderr
    result = run_cli("render", str(root))
    assert result.exit_code == 1 and result.stdout == ""
    refusals = [ln for ln in result.stderr.splitlines() if "profile pipeline" in ln]
    assert len(refusals) == 1, result.stderr
    assert refusals[0].startswith("svc.yaml:") or "/svc.yaml:" in refusals[0]
    assert f"AIMService team-a/by-profile: {field}" in refusals[0]
    assert "cannot render it offline" in refusals[0] and "status.resources" in refusals[0]


def test_each_refused_service_gets_its_own_message_and_the_rest_still_resolves(
    write_tree: WriteTree, run_cli
) -> None:
    root = write_tree(
        {
            "platform.yaml": PLATFORM,
            "a.yaml": _service("v1alpha2", "p1", PROFILE_SHAPE),
            "b.yaml": _service("v1alpha2", "p2", PROFILE_SHAPE),
            "c.yaml": _service("v1alpha2", "missing", "  model:\n    name: nope\n"),
        }
    )
    result = run_cli("render", str(root))
    assert result.exit_code == 1
    assert result.stderr.count("profile pipeline") == 2
    assert 'model "nope" not found' in result.stderr or "nope" in result.stderr


def test_annotation_template_on_a_profile_spec_takes_the_template_pipeline_and_warns(
    write_tree: WriteTree, run_cli
) -> None:
    spec = MODEL_SHAPE + PROFILE_SHAPE
    root = write_tree(
        {
            "platform.yaml": PLATFORM,
            "svc.yaml": _service("v1alpha2", "forced", spec, FORCE_TEMPLATE),
        }
    )
    result = run_cli("render", str(root))
    assert result.exit_code == 0, result.stderr
    assert "InferenceService" in result.stdout
    assert "forces the legacy template pipeline" in result.stderr


@pytest.mark.parametrize("field", ["template", "overrides"])
def test_template_and_overrides_on_v1alpha2_warn_that_newer_releases_reject_them(
    write_tree: WriteTree, run_cli, field: str
) -> None:
    extra = (
        "  template:\n    name: qwen3-8b-mi300x-lat-fp8\n"
        if field == "template"
        else "  overrides:\n    metric: latency\n"
    )
    root = write_tree(
        {"platform.yaml": PLATFORM, "svc.yaml": _service("v1alpha2", "s", MODEL_SHAPE + extra)}
    )
    code, diagnostics = _diagnostics(run_cli, "validate", str(root))
    assert code == 0
    [warning] = [d for d in diagnostics if d["code"] == "W_V1ALPHA2_SHAPE"]
    assert warning["field"] == f"spec.{field}" and warning["severity"] == "warning"
    assert "use apiVersion aim.eai.amd.com/v1alpha1" in str(warning["message"])


def test_v1alpha2_service_root_rules_are_checked(write_tree: WriteTree, run_cli) -> None:
    both = PROFILE_SHAPE + "  template:\n    name: t\n"
    root = write_tree({"svc.yaml": _service("v1alpha2", "s", both)})
    result = run_cli("validate", str(root))
    assert result.exit_code == 1
    assert "spec.profile and spec.template are mutually exclusive" in result.stderr


def test_cluster_profile_validates_and_renders_nothing(write_tree: WriteTree, run_cli) -> None:
    profile = """
    apiVersion: aim.eai.amd.com/v1alpha2
    kind: AIMClusterProfile
    metadata:
      name: p
    spec:
      aimId: Qwen/Qwen3-8B
      image: img:1
      containerEnv:
        AIM_GPU_MODEL: MI300X
    """
    root = write_tree({"platform.yaml": PLATFORM, "p.yaml": profile})
    result = run_cli("validate", str(root))
    assert result.exit_code == 1  # containerEnv is a list of EnvVar, not a map
    assert "p.yaml:8: AIMClusterProfile p: spec.containerEnv" in result.stderr
    (root / "p.yaml").write_text(
        profile.replace("      containerEnv:\n        AIM_GPU_MODEL: MI300X\n", "")
    )
    fixed = run_cli("render", str(root), "--allow-empty")
    assert fixed.exit_code == 0, fixed.stderr
    assert "AIMClusterProfile" not in fixed.stdout and "kind: InferenceService" not in fixed.stdout


def test_namespaced_profile_is_accepted_with_a_schema_warning(
    write_tree: WriteTree, run_cli
) -> None:
    profile = (
        "apiVersion: aim.eai.amd.com/v1alpha2\nkind: AIMProfile\nmetadata:\n  name: p\n"
        "  namespace: team-a\nspec:\n  anything: goes\n"
    )
    root = write_tree({"p.yaml": profile})
    code, diagnostics = _diagnostics(run_cli, "validate", str(root))
    assert code == 0
    assert "W_SCHEMA_NOT_BUNDLED" in [d["code"] for d in diagnostics]


@pytest.mark.parametrize(
    ("api", "kind", "fragment"),
    [
        ("v1alpha2", "AIMProfileSet", "kind not supported by aimctl (operator ≥ 0.2.5)"),
        ("v1alpha2", "AIMClusterProfileSet", "kind not supported by aimctl (operator ≥ 0.2.5)"),
        ("v1alpha2", "AIMProfileCache", "kind not supported by aimctl (operator ≥ 0.2.5"),
        ("v1alpha2", "AIMModel", "aim.eai.amd.com/v1alpha2 AIMModel: not supported yet"),
        ("v1alpha2", "AIMClusterModel", "AIMClusterModel: not supported yet"),
        ("v1alpha2", "AIMServiceTemplate", "as aim.eai.amd.com/v1alpha1 only"),
        ("v1alpha1", "AIMClusterProfile", "served as aim.eai.amd.com/v1alpha2"),
        ("v1beta1", "AIMService", "unknown AIM API version"),
    ],
)
def test_unsupported_kinds_and_versions_are_refused_naming_the_release(
    write_tree: WriteTree, run_cli, api: str, kind: str, fragment: str
) -> None:
    doc = f"apiVersion: aim.eai.amd.com/{api}\nkind: {kind}\nmetadata:\n  name: x\nspec: {{}}\n"
    root = write_tree({"x.yaml": doc})
    result = run_cli("validate", str(root))
    assert result.exit_code == 1
    assert fragment in result.stderr, result.stderr
    assert "x.yaml:" in result.stderr


def test_base_image_ref_is_refused_naming_file_line_and_field(
    write_tree: WriteTree, run_cli
) -> None:
    model = """
    apiVersion: aim.eai.amd.com/v1alpha1
    kind: AIMClusterModel
    metadata:
      name: m
    spec:
      image: img:1
      imageMetadata:
        baseImageRef: rocm/vllm:latest
    """
    root = write_tree({"m.yaml": model})
    code, diagnostics = _diagnostics(run_cli, "validate", str(root))
    assert code == 1
    [error] = diagnostics
    assert (error["code"], error["line"], error["field"]) == (
        "E_NEWER_FIELD",
        8,
        "spec.imageMetadata.baseImageRef",
    )
    assert "no AIM Engine release defines imageMetadata.baseImageRef" in str(error["message"])
    assert "remove the field" in str(error["hint"])


@pytest.mark.parametrize(
    ("kind", "spec", "field", "release"),
    [
        ("AIMModel", "  image: i\n  aimId: a/b\n", "spec.aimId", "≥ 0.2.4"),
        (
            "AIMClusterModel",
            "  image: i\n  custom:\n    versionPolicy: latest\n",
            "spec.custom.versionPolicy",
            "≥ 0.2.4",
        ),
        ("AIMModel", "  image: i\n  profileCopy: {}\n", "spec.profileCopy", "≥ 0.2.5"),
        (
            "AIMService",
            "  model:\n    name: m\n  profile:\n    name: p\n",
            "spec.profile",
            "≥ 0.2.5",
        ),
        ("AIMArtifact", "  sourceUri: hf://a/b\n  type: adapter\n", "spec.type", "≥ 0.2.5"),
        ("AIMClusterModelSource", "  images: []\n", "spec.images", "≥ 0.2.6"),
    ],
)
def test_fields_of_later_releases_name_the_release_aimctl_renders(
    write_tree: WriteTree, run_cli, kind: str, spec: str, field: str, release: str
) -> None:
    namespace = "" if kind.startswith("AIMCluster") else "  namespace: team-a\n"
    doc = (
        f"apiVersion: aim.eai.amd.com/v1alpha1\nkind: {kind}\nmetadata:\n  name: x\n{namespace}"
        f"spec:\n{spec}"
    )
    root = write_tree({"x.yaml": doc})
    code, diagnostics = _diagnostics(run_cli, "validate", str(root))
    assert code == 1
    found = [d for d in diagnostics if d["field"] == field]
    assert found, diagnostics
    assert found[0]["code"] == "E_NEWER_FIELD"
    assert f"requires operator {release}" in str(found[0]["message"])
    assert "aimctl renders operator 0.2.2" in str(found[0]["message"])


# --------------------------------------------------------------------------- the version is explicit


def test_version_json_names_the_operator_schemas_and_deviations(run_cli) -> None:
    result = run_cli("version", "-o", "json")
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert info["operator"] == "0.2.2" and info["supportedOperators"] == ["0.2.2"]
    assert any("v1alpha2" in s for s in info["schemas"])
    assert any("download-filter" in d for d in info["deviations"])
    assert any("HTTPRoutes" in d for d in info["deviations"])


def test_version_verbose_lists_the_deviations(run_cli) -> None:
    result = run_cli("version", "--verbose")
    assert result.exit_code == 0
    assert "known deviations from the operator:" in result.stdout
    assert "AIM_HF_EXCLUDE" in result.stdout


PROJECT = "apiVersion: aimctl.amd.com/v1alpha1\nkind: Project\noperator: {value}\n"


@pytest.mark.parametrize("command", ["render", "validate"])
def test_an_operator_release_aimctl_does_not_implement_is_a_usage_error(
    write_tree: WriteTree, run_cli, command: str
) -> None:
    root = write_tree(
        {
            "aimctl.yaml": PROJECT.format(value='"0.2.5"'),
            "platform.yaml": PLATFORM,
            "svc.yaml": _service("v1alpha1", "s", MODEL_SHAPE),
        }
    )
    result = run_cli(command, str(root))
    assert result.exit_code == 2 and result.stdout == ""
    assert "aimctl.yaml:3: operator: operator version '0.2.5' is not implemented" in result.stderr
    assert 'supported: "0.2.2"' in result.stderr


def test_operator_version_flag_overrides_the_project_file(write_tree: WriteTree, run_cli) -> None:
    root = write_tree(
        {
            "aimctl.yaml": PROJECT.format(value='"0.2.5"'),
            "platform.yaml": PLATFORM,
            "svc.yaml": _service("v1alpha1", "s", MODEL_SHAPE),
        }
    )
    assert run_cli("render", str(root), "--operator-version", "0.2.2").exit_code == 0
    flagged = run_cli("render", str(root), "--operator-version", "9223504")
    assert flagged.exit_code == 2
    assert "--operator-version: operator version '9223504'" in flagged.stderr


def test_pinning_the_default_release_changes_nothing(write_tree: WriteTree, run_cli) -> None:
    files = {"platform.yaml": PLATFORM, "svc.yaml": _service("v1alpha1", "s", MODEL_SHAPE)}
    plain = run_cli("render", str(write_tree(files)))
    pinned_root = write_tree({**files, "aimctl.yaml": PROJECT.format(value='"0.2.2"')})
    pinned = run_cli("render", str(pinned_root))
    assert plain.exit_code == pinned.exit_code == 0
    assert plain.stdout == pinned.stdout


def test_validate_report_names_the_operator_target(write_tree: WriteTree, run_cli) -> None:
    root = write_tree({"platform.yaml": PLATFORM})
    result = run_cli("validate", str(root), "-o", "json")
    assert json.loads(result.stdout)["operatorVersion"] == "0.2.2"


def test_explain_of_a_profile_pipeline_service_says_why_it_cannot_be_traced(
    write_tree: WriteTree, run_cli
) -> None:
    root = write_tree({"svc.yaml": _service("v1alpha2", "p", PROFILE_SHAPE)})
    result = run_cli("explain", str(root), "team-a/p")
    assert result.exit_code == 1
    assert "uses the v1alpha2 profile pipeline" in result.stderr


# --------------------------------------------------------------------------- accepted, not rendered


@pytest.mark.parametrize(
    ("kind", "spec", "field"),
    [
        (
            "AIMService",
            MODEL_SHAPE + "  storage:\n    downloadFilter:\n      exclude: ['*/*']\n",
            "spec.storage.downloadFilter",
        ),
        (
            "AIMRuntimeConfig",
            "  storage:\n    downloadFilter:\n      include: ['*.json']\n",
            "spec.storage.downloadFilter",
        ),
        (
            "AIMArtifact",
            "  sourceUri: hf://a/b\n  downloadFilter:\n    exclude: []\n",
            "spec.downloadFilter",
        ),
    ],
)
def test_0_2_2_fields_aimctl_does_not_render_draw_a_warning(
    write_tree: WriteTree, run_cli, kind: str, spec: str, field: str
) -> None:
    doc = (
        f"apiVersion: aim.eai.amd.com/v1alpha1\nkind: {kind}\nmetadata:\n  name: x\n"
        f"  namespace: team-a\nspec:\n{spec}"
    )
    root = write_tree({"x.yaml": doc})
    code, diagnostics = _diagnostics(run_cli, "validate", str(root))
    assert code == 0, diagnostics
    found = [d for d in diagnostics if d["code"] == "W_NOT_RENDERED" and d["field"] == field]
    assert found, diagnostics
    assert "accepted and not" in str(found[0]["message"])


def test_validate_warns_when_a_profile_pipeline_service_names_a_missing_profile(
    write_tree: WriteTree, run_cli
) -> None:
    root = write_tree({"svc.yaml": _service("v1alpha2", "p", PROFILE_SHAPE)})
    code, diagnostics = _diagnostics(run_cli, "validate", str(root))
    assert code == 0
    codes = {d["code"]: d for d in diagnostics}
    warning = codes["W_UNRESOLVED_REFERENCE"]
    assert warning["field"] == "spec.profile.name" and warning["severity"] == "warning"
    profile = (
        "apiVersion: aim.eai.amd.com/v1alpha2\nkind: AIMClusterProfile\nmetadata:\n"
        "  name: qwen3-8b-mi300x\nspec:\n  aimId: a/b\n  image: img:1\n"
    )
    (root / "profile.yaml").write_text(profile)
    code, diagnostics = _diagnostics(run_cli, "validate", str(root))
    assert code == 0 and "W_UNRESOLVED_REFERENCE" not in {d["code"] for d in diagnostics}


def test_validate_forecasts_the_profile_pipeline_refusal_and_strict_makes_it_an_error(
    write_tree: WriteTree, run_cli
) -> None:
    root = write_tree(
        {"platform.yaml": PLATFORM, "svc.yaml": _service("v1alpha2", "p", PROFILE_SHAPE)}
    )
    code, diagnostics = _diagnostics(run_cli, "validate", str(root))
    assert code == 0
    [refusal] = [d for d in diagnostics if d["code"] == "E_PROFILE_PIPELINE"]
    assert refusal["severity"] == "warning" and refusal["field"] == "spec.profile"
    strict = run_cli("validate", str(root), "--strict")
    assert strict.exit_code == 1 and "uses the v1alpha2 profile pipeline" in strict.stderr


def test_a_gpu_model_without_device_ids_at_0_2_2_draws_a_warning(
    write_tree: WriteTree, run_cli
) -> None:
    platform = PLATFORM.replace("model: MI300X", "model: R9700")
    root = write_tree(
        {"platform.yaml": platform, "svc.yaml": _service("v1alpha1", "s", MODEL_SHAPE)}
    )
    result = run_cli("render", str(root))
    assert result.exit_code == 0, result.stderr
    assert "GPU model 'R9700' has no device-ID mapping in operator 0.2.2" in result.stderr
    assert "nodeAffinity" not in result.stdout
