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
from tests.conftest import WriteTree

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
