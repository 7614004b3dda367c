"""Operator 0.2.2: a template's customProfile and a service's priorityClassName, rendered.

The profile file is what ``sigs.k8s.io/yaml.Marshal`` writes (JSON numbers through float64,
go-yaml v2 key order, quoting and folding); the ConfigMap, volume, mount and env follow
``internal/controller/utils/customprofile.go`` and ``internal/aimservice/kserve.go`` @0c8f85b.
"""

from __future__ import annotations

import pytest
import yaml

from aimctl.resolve.customprofile import service_configmap_name
from aimctl.resolve.goyaml import go_key_less, marshal
from tests.conftest import HAS_SHARED, SHARED, WriteTree, load_validator

# --------------------------------------------------------------------------- the YAML writer


def test_keys_are_sorted_the_go_yaml_way() -> None:
    keys = ["kA", "k10", "k_", "k2", "B", "a"]
    ordered = sorted(keys, key=lambda k: sum(go_key_less(o, k) for o in keys))
    assert ordered == ["B", "a", "k_", "k2", "k10", "kA"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (8192, "8192"),
        (8192.0, "8192"),  # json.Marshal writes an integral float64 as digits: an int again
        (0.9, "0.9"),
        (1234567.5, "1.2345675e+06"),  # strconv 'g': exponent form from 1e6 (non-integral)
        (0.00001, "1e-05"),
        (True, "true"),
        (None, "null"),
        ("plain text", "plain text"),
        ("yes", '"yes"'),  # would read as a YAML 1.1 boolean
        ("1.10", '"1.10"'),
        ("", '""'),
        ("*/*", "'*/*'"),  # an alias indicator cannot start a plain scalar
        ("- x", "'- x'"),
        ("a: b", "'a: b'"),
        ("it's", "it's"),
        ("tab\there", '"tab\\there"'),
    ],
)
def test_scalars_are_written_as_go_yaml_writes_them(value: object, text: str) -> None:
    assert marshal({"k": value}) == (f"k: {text}\n", True)


def test_sequences_sit_at_their_key_column_and_empty_collections_are_flow() -> None:
    text, exact = marshal({"a": [1, {"y": 2, "x": []}], "b": {}, "c": {"d": [[1, 2]]}})
    assert exact
    assert text == 'a:\n- 1\n- x: []\n  "y": 2\nb: {}\nc:\n  d:\n  - - 1\n    - 2\n'


def test_long_strings_fold_at_a_space_past_column_80() -> None:
    text, _ = marshal({"engine_args": {"note": " ".join(["word"] * 20)}})
    first, second = text.splitlines()[1:]
    assert first == "  note: " + " ".join(["word"] * 15)
    assert second == "    " + " ".join(["word"] * 5)
    assert yaml.safe_load(text)["engine_args"]["note"] == " ".join(["word"] * 20)


def test_multi_line_strings_are_flagged_as_not_byte_exact() -> None:
    text, exact = marshal({"k": "a\nb"})
    assert not exact and yaml.safe_load(text) == {"k": "a\nb"}


def test_configmap_name_is_the_operators_derived_name() -> None:
    name = service_configmap_name("chat")
    assert name.startswith("chat-custom-profile-") and len(name) == len("chat-custom-profile-") + 8
    assert len(service_configmap_name("x" * 80)) == 63


# --------------------------------------------------------------------------- rendering

PLATFORM = """
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterModel
metadata:
  name: m
spec:
  image: img:1
---
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterServiceTemplate
metadata:
  name: t
spec:
  modelName: m
  aimId: org/family
  modelId: org/model
  metric: latency
  precision: fp8
  hardware:
    gpu:
      model: MI300X
      requests: 4
  modelSources:
    - modelId: org/model
      sourceUri: hf://org/model
      size: 10Gi
  customProfile:
    engineArgs: ENGINE_ARGS
"""

SERVICE = """
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: s
  namespace: ns
spec:
  model:
    name: m
  template:
    name: t
"""


def _render(write_tree: WriteTree, run_cli, engine_args: str, service: str = SERVICE):
    root = write_tree(
        {"platform.yaml": PLATFORM.replace("ENGINE_ARGS", engine_args), "svc.yaml": service}
    )
    result = run_cli("render", str(root))
    objects = [d for d in yaml.safe_load_all(result.stdout) if d] if result.exit_code == 0 else []
    return result, {o["kind"]: o for o in objects}


def test_custom_profile_gives_a_configmap_volume_mount_and_env(
    write_tree: WriteTree, run_cli
) -> None:
    result, objects = _render(write_tree, run_cli, "{max-model-len: 8192}")
    assert result.exit_code == 0, result.stderr
    cm, isvc = objects["ConfigMap"], objects["InferenceService"]
    assert cm["metadata"]["name"] == service_configmap_name("s")
    assert cm["metadata"]["labels"]["aim.eai.amd.com/service"] == "s"
    [(file_name, text)] = cm["data"].items()
    assert file_name == "vllm-mi300x-fp8-tp4-latency.yaml"
    assert yaml.safe_load(text)["engine_args"] == {"max-model-len": 8192}
    assert text.startswith(
        "aim_id: org/family\nengine_args:\n  max-model-len: 8192\nenv_vars: {}\n"
    )
    predictor = isvc["spec"]["predictor"]
    container = predictor["containers"][0]
    assert [v["name"] for v in predictor["volumes"]][:2] == ["dshm", "custom-profile"]
    assert predictor["volumes"][1]["configMap"] == {"name": cm["metadata"]["name"]}
    assert container["volumeMounts"][1] == {
        "name": "custom-profile",
        "mountPath": "/workspace/aim-runtime/profiles/custom/org/family",
        "readOnly": True,
    }
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["AIM_ID"] == "org/family"
    assert env["AIM_PROFILE_ID"] == "custom/org/family/vllm-mi300x-fp8-tp4-latency"


def test_engine_args_that_are_not_a_mapping_stop_the_service(
    write_tree: WriteTree, run_cli
) -> None:
    result, _ = _render(write_tree, run_cli, "[--max-model-len, '8192']")
    assert result.exit_code == 1
    assert "customProfile.engineArgs must be a mapping" in result.stderr
    assert "platform.yaml:" in result.stderr


def test_priority_class_name_goes_to_the_predictor(write_tree: WriteTree, run_cli) -> None:
    service = SERVICE + "  priorityClassName: gpu-high\n"
    result, objects = _render(write_tree, run_cli, "{}", service)
    assert result.exit_code == 0, result.stderr
    assert objects["InferenceService"]["spec"]["predictor"]["priorityClassName"] == "gpu-high"


def test_no_priority_class_name_leaves_the_predictor_without_one(
    write_tree: WriteTree, run_cli
) -> None:
    result, objects = _render(write_tree, run_cli, "{}")
    assert result.exit_code == 0, result.stderr
    assert "priorityClassName" not in objects["InferenceService"]["spec"]["predictor"]


def test_a_profile_aimctl_cannot_write_byte_for_byte_draws_a_warning(
    write_tree: WriteTree, run_cli
) -> None:
    result, objects = _render(write_tree, run_cli, '{chat-template: "line one\\nline two"}')
    assert result.exit_code == 0, result.stderr
    assert "does not reproduce (same value, other bytes in the ConfigMap)" in result.stderr
    [(_, text)] = objects["ConfigMap"]["data"].items()
    assert yaml.safe_load(text)["engine_args"]["chat-template"] == "line one\nline two"


# --------------------------------------------------------------- templates a model generates
#
# internal/aimmodel/template.go @0c8f85b (buildCustomServiceTemplate and
# buildCustomClusterServiceTemplate, "Propagate custom profile fields"): aimId and modelId are
# copied when not empty, customProfile (a deep copy) when set.

MODEL_WITH_CUSTOM_PROFILE = """
apiVersion: aim.eai.amd.com/v1alpha1
kind: KIND
metadata:
  name: m
NAMESPACE
spec:
  image: img:1
  modelSources:
    - modelId: org/model
      sourceUri: hf://org/model
      size: 10Gi
  customTemplates:
    - name: tuned
      type: optimized
      aimId: AIM_ID
      modelId: org/model
      hardware:
        gpu:
          model: MI300X
          requests: 4
      profile:
        metric: latency
        precision: fp8
      customProfile:
        engineArgs: ENGINE_ARGS
        envVars: ENV_VARS
"""

HAND_WRITTEN_TEMPLATE = """
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMClusterServiceTemplate
metadata:
  name: t
spec:
  modelName: m
  type: optimized
  aimId: org/family
  modelId: org/model
  metric: latency
  precision: fp8
  hardware:
    gpu:
      model: MI300X
      requests: 4
  modelSources:
    - modelId: org/model
      sourceUri: hf://org/model
      size: 10Gi
  customProfile:
    engineArgs: {max-model-len: 8192, compilation-config: {level: 3}}
    envVars: {VLLM_ROCM_USE_AITER: "1"}
"""

AUTO_SERVICE = """
apiVersion: aim.eai.amd.com/v1alpha1
kind: AIMService
metadata:
  name: s
  namespace: ns
spec:
  model:
    name: m
"""


def _model(
    *,
    cluster: bool = True,
    aim_id: str = "org/family",
    engine_args: str = "{max-model-len: 8192, compilation-config: {level: 3}}",
    env_vars: str = '{VLLM_ROCM_USE_AITER: "1"}',
) -> str:
    return (
        MODEL_WITH_CUSTOM_PROFILE.replace("KIND", "AIMClusterModel" if cluster else "AIMModel")
        .replace("NAMESPACE\n", "" if cluster else "  namespace: ns\n")
        .replace("AIM_ID", aim_id)
        .replace("ENGINE_ARGS", engine_args)
        .replace("ENV_VARS", env_vars)
    )


def _generated_specs(model_yaml: str) -> list[dict[str, object]]:
    from aimctl.model import AIM_KINDS
    from aimctl.resolve.templates import model_templates

    raw = yaml.safe_load(model_yaml)
    obj = AIM_KINDS[raw["kind"]].model_validate(raw)
    namespace = raw["metadata"].get("namespace")
    return [t["spec"] for t in model_templates(raw["kind"], "m", namespace, obj.spec)]


@pytest.mark.parametrize("cluster", [True, False], ids=["cluster-model", "namespace-model"])
def test_model_templates_copy_aim_id_model_id_and_custom_profile(cluster: bool) -> None:
    [spec] = _generated_specs(_model(cluster=cluster))
    assert spec["aimId"] == "org/family"
    assert spec["modelId"] == "org/model"
    assert spec["customProfile"] == {
        "engineArgs": {"max-model-len": 8192, "compilation-config": {"level": 3}},
        "envVars": {"VLLM_ROCM_USE_AITER": "1"},
    }


def test_model_templates_drop_empty_values_as_go_omitempty_does() -> None:
    # aimId/modelId only when not empty ("if customTemplate.AimId != \"\""); the deep copy of
    # customProfile is marshalled with omitempty, so an empty envVars map is left out.
    [spec] = _generated_specs(_model(aim_id='""', engine_args="{}", env_vars="{}"))
    assert "aimId" not in spec
    assert spec["modelId"] == "org/model"
    assert spec["customProfile"] == {"engineArgs": {}}


def test_model_templates_copy_aim_id_and_model_id_without_custom_profile() -> None:
    model_yaml = _model().replace("      customProfile:\n", "      x:\n")
    raw = yaml.safe_load(model_yaml)
    for tpl in raw["spec"]["customTemplates"]:
        del tpl["x"]
    [spec] = _generated_specs(yaml.safe_dump(raw))
    assert (spec["aimId"], spec["modelId"]) == ("org/family", "org/model")
    assert "customProfile" not in spec


def test_the_generated_custom_profile_is_a_copy_not_the_models_object() -> None:
    from aimctl.model import AIM_KINDS
    from aimctl.resolve.templates import model_templates

    raw = yaml.safe_load(_model())
    obj = AIM_KINDS[raw["kind"]].model_validate(raw)
    [manifest] = model_templates("AIMClusterModel", "m", None, obj.spec)
    manifest["spec"]["customProfile"]["engineArgs"]["max-model-len"] = 1
    assert obj.spec.custom_templates[0].custom_profile.engine_args["max-model-len"] == 8192


def _resolved_service(write_tree: WriteTree, files: dict[str, str]):
    from aimctl.pipeline import LoadOptions, load_inputs
    from aimctl.resolve.run import resolve_all

    root = write_tree(files)
    inputs = load_inputs(LoadOptions((root,)))
    assert not inputs.has_errors, [d.message for d in inputs.diagnostics if d.is_error]
    resolution = resolve_all(inputs.catalog, inputs.project)
    assert resolution.ok, [d.message for d in resolution.diagnostics if d.is_error]
    [service] = resolution.services
    return service


def test_a_generated_template_resolves_the_custom_profile_of_a_hand_written_one(
    write_tree: WriteTree,
) -> None:
    generated = _resolved_service(write_tree, {"m.yaml": _model(), "svc.yaml": AUTO_SERVICE})
    hand = _resolved_service(
        write_tree,
        {
            "m.yaml": "apiVersion: aim.eai.amd.com/v1alpha1\nkind: AIMClusterModel\n"
            "metadata:\n  name: m\nspec:\n  image: img:1\n",
            "t.yaml": HAND_WRITTEN_TEMPLATE,
            "svc.yaml": AUTO_SERVICE,
        },
    )
    assert generated.template is not None and generated.template.generated_by == (
        "AIMClusterModel m"
    )
    assert generated.custom_profile is not None and generated.custom_profile == hand.custom_profile
    assert generated.custom_profile_configmap == hand.custom_profile_configmap
    assert generated.custom_profile_labels == hand.custom_profile_labels
    assert generated.custom_profile.profile_id == "custom/org/family/vllm-mi300x-fp8-tp4-latency"
    env = {e["name"]: e.get("value") for e in generated.env}
    assert env == {e["name"]: e.get("value") for e in hand.env}
    assert env["AIM_ID"] == "org/family"


def _check_schemas_0_2_2(items: list[dict]) -> None:
    """Rendered objects against the 0.2.2 AIM CRDs (intermediates) and ``schemas/crd``."""
    if not HAS_SHARED:
        return
    schemas = SHARED / "schemas"
    report = load_validator().validate_objects(
        items, require_namespace=True, schema_dirs=[schemas / "crd-aim-0.2.2", schemas / "crd"]
    )
    assert report.ok, report.format()


def _objects(result) -> dict[str, dict]:
    assert result.exit_code == 0, result.stderr
    return {o["kind"]: o for o in yaml.safe_load_all(result.stdout) if o}


def _profile_parts(objects: dict[str, dict]) -> tuple[object, ...]:
    predictor = objects["InferenceService"]["spec"]["predictor"]
    container = predictor["containers"][0]
    return (
        objects["ConfigMap"],
        predictor["volumes"],
        container["volumeMounts"],
        container["env"],
    )


@pytest.mark.parametrize("cluster", [True, False], ids=["cluster-model", "namespace-model"])
def test_render_of_a_service_on_a_generated_template_matches_a_hand_written_template(
    write_tree: WriteTree, run_cli, cluster: bool
) -> None:
    root = write_tree({"m.yaml": _model(cluster=cluster), "svc.yaml": AUTO_SERVICE})
    generated = run_cli("render", str(root), "--include-intermediates")
    objects = _objects(generated)
    _check_schemas_0_2_2([o for o in yaml.safe_load_all(generated.stdout) if o])
    kind = "AIMClusterServiceTemplate" if cluster else "AIMServiceTemplate"
    template_spec = objects[kind]["spec"]
    assert template_spec["aimId"] == "org/family" and template_spec["modelId"] == "org/model"
    assert "customProfile" in template_spec
    assert (
        objects["InferenceService"]["metadata"]["labels"]["aim.eai.amd.com/template"]
        == (objects[kind]["metadata"]["name"])
    )

    hand_root = write_tree(
        {
            "m.yaml": "apiVersion: aim.eai.amd.com/v1alpha1\nkind: AIMClusterModel\n"
            "metadata:\n  name: m\nspec:\n  image: img:1\n",
            "t.yaml": HAND_WRITTEN_TEMPLATE,
            "svc.yaml": AUTO_SERVICE,
        }
    )
    hand = _objects(run_cli("render", str(hand_root)))
    assert _profile_parts(objects) == _profile_parts(hand)


def test_a_service_naming_a_generated_template_gets_its_custom_profile(
    write_tree: WriteTree, run_cli
) -> None:
    root = write_tree({"m.yaml": _model(), "svc.yaml": AUTO_SERVICE})
    name = _objects(run_cli("render", str(root), "--include-intermediates"))[
        "AIMClusterServiceTemplate"
    ]["metadata"]["name"]
    named = AUTO_SERVICE + f"  template:\n    name: {name}\n"
    (root / "svc.yaml").write_text(named)
    objects = _objects(run_cli("render", str(root)))
    [(file_name, text)] = objects["ConfigMap"]["data"].items()
    assert file_name == "vllm-mi300x-fp8-tp4-latency.yaml"
    assert yaml.safe_load(text)["model_id"] == "org/model"
    assert yaml.safe_load(text)["env_vars"] == {"VLLM_ROCM_USE_AITER": "1"}


def test_custom_template_fields_draw_no_not_rendered_warning(
    write_tree: WriteTree, run_cli
) -> None:
    root = write_tree({"m.yaml": _model()})
    result = run_cli("validate", str(root), "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert "W_NOT_RENDERED" not in result.stdout
    assert "not passed on" not in result.stdout + result.stderr


@pytest.mark.parametrize("field", ["aimId", "modelId"])
def test_an_empty_id_with_custom_profile_is_an_error_naming_the_field(
    write_tree: WriteTree, run_cli, field: str
) -> None:
    model_yaml = (
        _model(aim_id='""')
        if field == "aimId"
        else _model().replace("modelId: org/model\n      hardware", 'modelId: ""\n      hardware')
    )
    root = write_tree({"m.yaml": model_yaml, "svc.yaml": AUTO_SERVICE})
    result = run_cli("render", str(root))
    assert result.exit_code == 1
    assert f"spec.customTemplates[0].{field}" in result.stderr
    assert "the API server rejects that template" in result.stderr
    validate = run_cli("validate", str(root))
    assert validate.exit_code == 1 and f"customTemplates[0].{field}" in validate.stderr


def test_engine_args_not_a_mapping_in_a_custom_template_name_the_generating_model(
    write_tree: WriteTree, run_cli
) -> None:
    root = write_tree(
        {"m.yaml": _model(engine_args="[--max-model-len, '8192']"), "svc.yaml": AUTO_SERVICE}
    )
    result = run_cli("render", str(root))
    assert result.exit_code == 1
    assert "customProfile.engineArgs must be a mapping" in result.stderr
    assert "generated by AIMClusterModel m" in result.stderr
