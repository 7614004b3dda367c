"""Behaviour of the AIM models: CRD defaults (spec only), strictness, and each CEL rule."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from aimctl.model import (
    AIM_KINDS,
    CLUSTER_SCOPED_KINDS,
    MSG_CUSTOM_PROFILE_REQUIRES,
    MSG_CUSTOM_TEMPLATE_PROFILE_REQUIRES,
    MSG_EXACTLY_ONE_MODEL,
    MSG_GPU_OR_CPU,
    MSG_MODEL_SOURCES_NEED_HARDWARE,
    MSG_MODEL_XOR_MIN_VRAM,
    MSG_ONE_MODEL_SOURCE,
    PLURALS,
    AIMArtifact,
    AIMClusterModelSource,
    AIMModel,
    AIMRuntimeConfig,
    AIMService,
    AIMServiceTemplate,
    AIMTemplateCache,
    EnvVar,
    ModelSource,
)
from aimctl.model.schema_export import export_schemas

Doc = dict[str, Any]
SOURCE = {"modelId": "org/model", "sourceUri": "hf://org/model", "size": "10Gi"}


def _doc(kind: str, spec: Any, status: Any = None, **meta: Any) -> Doc:
    doc: Doc = {
        "apiVersion": "aim.eai.amd.com/v1alpha1",
        "kind": kind,
        "metadata": {"name": "x", **meta},
        "spec": spec,
    }
    if status is not None:
        doc["status"] = status
    return doc


def _service(**spec: Any) -> AIMService:
    body = {"model": {"name": "m"}, **spec}
    return AIMService.model_validate(_doc("AIMService", body))


def _errors(kind: str, spec: Any, status: Any = None) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        AIM_KINDS[kind].model_validate(_doc(kind, spec, status))
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in info.value.errors()]


def _error_types(kind: str, spec: Any) -> list[tuple[str, str]]:
    """Where each error is and its type (stable across pydantic releases, unlike its wording)."""
    with pytest.raises(ValidationError) as info:
        AIM_KINDS[kind].model_validate(_doc(kind, spec))
    return [(".".join(map(str, e["loc"])), e["type"]) for e in info.value.errors()]


def _set(doc: Doc, path: str, value: Any) -> Doc:
    out = copy.deepcopy(doc)
    node = out
    keys = path.split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    return out


# --------------------------------------------------------------------------- registry


def test_registry_has_the_ten_kinds_with_scope_and_plural() -> None:
    assert len(AIM_KINDS) == 10
    assert {
        "AIMClusterModel",
        "AIMClusterServiceTemplate",
        "AIMClusterRuntimeConfig",
        "AIMClusterModelSource",
    } == CLUSTER_SCOPED_KINDS
    assert PLURALS["AIMService"] == "aimservices"
    assert PLURALS["AIMTemplateCache"] == "aimtemplatecaches"
    assert all(p == p.lower() and p.endswith("s") for p in PLURALS.values())


def test_each_kind_rejects_another_kind_name() -> None:
    with pytest.raises(ValidationError) as info:
        AIMModel.model_validate(_doc("AIMService", None))
    assert [e["loc"] for e in info.value.errors()] == [("kind",)]


def test_schema_export_gives_one_deterministic_schema_per_kind() -> None:
    first, second = export_schemas(), export_schemas()
    assert first == second
    assert sorted(first) == sorted(
        [
            *(f"{k.lower()}.schema.json" for k in AIM_KINDS),
            "aimservice.v1alpha2.schema.json",
            "aimclusterprofile.schema.json",
        ]
    )
    spec = first["aimservice.schema.json"]["$defs"]["AIMServiceSpec"]
    assert "runtimeConfigName" in spec["properties"]
    assert spec["properties"]["replicas"]["default"] == 1


# --------------------------------------------------------------------------- defaults


def test_null_spec_loads_without_defaults() -> None:
    for kind, cls in AIM_KINDS.items():
        assert cls.model_validate(_doc(kind, None)).model_dump()["spec"] is None


def test_service_replicas_defaults_to_one_and_is_not_marked_written() -> None:
    spec = _service().spec
    assert spec is not None
    assert spec.replicas == 1
    assert "replicas" not in spec.model_fields_set


def test_service_replicas_written_zero_is_kept() -> None:
    spec = _service(replicas=0).spec
    assert spec is not None and spec.replicas == 0 and "replicas" in spec.model_fields_set


def test_null_key_counts_as_not_written() -> None:
    spec = _service(replicas=None, routing=None).spec
    assert spec is not None and spec.replicas == 1 and spec.routing is None


def test_storage_headroom_defaults_only_when_storage_is_given() -> None:
    absent = _service().spec
    assert absent is not None and absent.storage is None
    given = _service(storage={}).spec
    assert given is not None and given.storage is not None
    assert given.storage.pvc_headroom_percent == 10


def test_caching_mode_defaults_to_shared_only_when_caching_is_given() -> None:
    absent = _service().spec
    assert absent is not None and absent.caching is None
    given = _service(caching={}).spec
    assert given is not None and given.caching is not None and given.caching.mode == "Shared"


def test_gateway_ref_defaults_group_and_kind() -> None:
    spec = _service(routing={"gatewayRef": {"name": "gw"}}).spec
    assert spec is not None and spec.routing is not None and spec.routing.gateway_ref is not None
    assert spec.routing.gateway_ref.group == "gateway.networking.k8s.io"
    assert spec.routing.gateway_ref.kind == "Gateway"


def test_gateway_ref_written_empty_group_is_kept() -> None:
    spec = _service(routing={"gatewayRef": {"name": "gw", "group": ""}}).spec
    assert spec is not None and spec.routing is not None and spec.routing.gateway_ref is not None
    assert spec.routing.gateway_ref.group == ""


def test_podmetric_backend_defaults_to_opentelemetry() -> None:
    metric = {"type": "PodMetric", "podmetric": {"metric": {}, "target": {"type": "Value"}}}
    spec = _service(autoScaling={"metrics": [metric]}).spec
    assert spec is not None and spec.auto_scaling is not None and spec.auto_scaling.metrics
    podmetric = spec.auto_scaling.metrics[0].podmetric
    assert podmetric is not None and podmetric.metric.backend == "opentelemetry"


def test_gpu_resource_name_defaults_in_service_overrides_and_custom_hardware() -> None:
    custom = {"baseImage": "img", "modelSources": [SOURCE], "hardware": {"gpu": {}}}
    spec = AIMService.model_validate(
        _doc("AIMService", {"model": {"custom": custom}, "overrides": {"hardware": {"gpu": {}}}})
    ).spec
    assert spec is not None and spec.model.custom is not None and spec.overrides is not None
    assert spec.model.custom.hardware.gpu is not None
    assert spec.model.custom.hardware.gpu.resource_name == "amd.com/gpu"
    assert spec.overrides.hardware is not None and spec.overrides.hardware.gpu is not None
    assert spec.overrides.hardware.gpu.resource_name == "amd.com/gpu"


def test_model_defaults_discovery_custom_template_type_and_gpu_resource() -> None:
    spec = AIMModel.model_validate(
        _doc(
            "AIMModel",
            {
                "image": "img",
                "discovery": {},
                "custom": {"hardware": {"gpu": {"requests": 1}}},
                "customTemplates": [{"hardware": {"gpu": {}}}],
            },
        )
    ).spec
    assert spec is not None and spec.discovery is not None and spec.custom_templates
    assert spec.discovery.extract_metadata is True
    assert spec.discovery.create_service_templates is True
    assert spec.custom_templates[0].type == "unoptimized"
    template_hw = spec.custom_templates[0].hardware
    assert template_hw is not None and template_hw.gpu is not None
    assert template_hw.gpu.resource_name == "amd.com/gpu"
    assert spec.custom is not None and spec.custom.hardware is not None
    assert spec.custom.hardware.gpu is not None
    assert spec.custom.hardware.gpu.resource_name == "amd.com/gpu"


def test_discovery_written_false_is_kept() -> None:
    spec = AIMModel.model_validate(
        _doc("AIMModel", {"image": "img", "discovery": {"extractMetadata": False}})
    ).spec
    assert spec is not None and spec.discovery is not None
    assert spec.discovery.extract_metadata is False
    assert spec.discovery.create_service_templates is True


def test_runtime_config_label_propagation_enabled_defaults_false() -> None:
    spec = AIMRuntimeConfig.model_validate(
        _doc("AIMRuntimeConfig", {"labelPropagation": {"match": ["team-*"]}})
    ).spec
    assert spec is not None and spec.label_propagation is not None
    assert spec.label_propagation.enabled is False
    assert "enabled" not in spec.label_propagation.model_fields_set


def test_template_caching_enabled_and_gpu_resource_defaults() -> None:
    spec = AIMServiceTemplate.model_validate(
        _doc("AIMServiceTemplate", {"modelName": "m", "caching": {}, "hardware": {"gpu": {}}})
    ).spec
    assert spec is not None and spec.caching is not None and spec.caching.enabled is False
    assert spec.hardware is not None and spec.hardware.gpu is not None
    assert spec.hardware.gpu.resource_name == "amd.com/gpu"


def test_template_cache_mode_default_and_no_artifact_image_default_at_0_2_2() -> None:
    cache = AIMTemplateCache.model_validate(
        _doc("AIMTemplateCache", {"templateName": "t", "templateScope": "Namespace"})
    ).spec
    assert cache is not None and cache.mode == "Shared"
    # The 0.2.2 CRD dropped the modelDownloadImage default (the controller's built-in is used).
    artifact = AIMArtifact.model_validate(_doc("AIMArtifact", {"sourceUri": "hf://a/b"})).spec
    assert artifact is not None
    assert artifact.model_download_image is None


def test_cluster_model_source_defaults() -> None:
    spec = AIMClusterModelSource.model_validate(
        _doc("AIMClusterModelSource", {"filters": [{"image": "silogen/aim-*"}]})
    ).spec
    assert spec is not None
    assert (spec.registry, spec.sync_interval, spec.max_models) == ("docker.io", "1h", 100)


def test_env_selector_names_and_file_key_optional_default_in_spec() -> None:
    env = [
        {"name": "A", "valueFrom": {"secretKeyRef": {"key": "k"}}},
        {"name": "B", "valueFrom": {"configMapKeyRef": {"key": "k"}}},
        {"name": "C", "valueFrom": {"fileKeyRef": {"key": "k", "path": "p", "volumeName": "v"}}},
    ]
    spec = _service(env=env, imagePullSecrets=[{}]).spec
    assert spec is not None and spec.env is not None and spec.image_pull_secrets is not None
    sources = [e.value_from for e in spec.env]
    assert sources[0] is not None and sources[0].secret_key_ref is not None
    assert sources[0].secret_key_ref.name == ""
    assert sources[1] is not None and sources[1].config_map_key_ref is not None
    assert sources[1].config_map_key_ref.name == ""
    assert sources[2] is not None and sources[2].file_key_ref is not None
    assert sources[2].file_key_ref.optional is False
    assert spec.image_pull_secrets[0].name == ""


def test_status_gets_no_crd_defaults() -> None:
    status = {
        "resolvedHardware": {"gpu": {"requests": 1}},
        "modelSources": [
            {**SOURCE, "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"key": "k"}}}]}
        ],
    }
    doc = AIMServiceTemplate.model_validate(_doc("AIMServiceTemplate", {"modelName": "m"}, status))
    assert doc.status is not None
    assert doc.status.status is None
    assert doc.status.resolved_hardware is not None
    assert doc.status.resolved_hardware.gpu is not None
    assert doc.status.resolved_hardware.gpu.resource_name is None
    assert doc.status.model_sources is not None and doc.status.model_sources[0].env
    source = doc.status.model_sources[0].env[0].value_from
    assert source is not None and source.secret_key_ref is not None
    assert source.secret_key_ref.name is None
    service = AIMService.model_validate(_doc("AIMService", None, {"routing": {}}))
    assert service.status is not None and service.status.status is None


# --------------------------------------------------------------------------- strictness


def test_yaml_boolean_in_a_string_field_is_an_error() -> None:
    assert _error_types("AIMService", {"model": {"name": True}}) == [
        ("spec.model.name", "string_type")
    ]


def test_string_in_an_int32_field_is_an_error() -> None:
    errors = _error_types("AIMService", {"model": {"name": "m"}, "replicas": "1"})
    assert errors == [("spec.replicas", "int_type")]


def test_float_in_an_int32_field_is_an_error() -> None:
    assert [p for p, _ in _errors("AIMService", {"model": {"name": "m"}, "replicas": 1.5})] == [
        "spec.replicas"
    ]


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1])
def test_int32_out_of_range_is_an_error(value: int) -> None:
    assert [p for p, _ in _errors("AIMService", {"model": {"name": "m"}, "replicas": value})] == [
        "spec.replicas"
    ]


def test_minimums_are_checked() -> None:
    paths = [p for p, _ in _errors("AIMService", {"model": {"name": "m"}, "minReplicas": 0})]
    assert paths == ["spec.minReplicas"]
    storage = {"model": {"name": "m"}, "storage": {"pvcHeadroomPercent": -1}}
    assert [p for p, _ in _errors("AIMService", storage)] == ["spec.storage.pvcHeadroomPercent"]


def test_integer_quantity_is_kept_as_its_string_form() -> None:
    spec = _service(resources={"limits": {"memory": 61, "cpu": "500m"}}).spec
    assert spec is not None and spec.resources is not None
    assert spec.resources.limits == {"memory": "61", "cpu": "500m"}


@pytest.mark.parametrize("value", [True, 1.5, "ten", "1 Gi", [1]])
def test_malformed_quantity_is_an_error(value: Any) -> None:
    spec = {"model": {"name": "m"}, "resources": {"requests": {"cpu": value}}}
    assert {p for p, _ in _errors("AIMService", spec)} == {"spec.resources.requests.cpu"}


def test_unknown_field_is_an_error_at_its_camel_case_path() -> None:
    spec = {"modelName": "m", "modelSources": [{**SOURCE, "sourceURI": "hf://a/b"}]}
    assert _errors("AIMServiceTemplate", spec) == [
        ("spec.modelSources.0.sourceURI", "Extra inputs are not permitted")
    ]


def test_snake_case_key_in_a_manifest_is_an_unknown_field() -> None:
    spec = {"modelName": "m", "modelSources": [{"model_id": "a/b", "sourceUri": "hf://a/b"}]}
    paths = {p for p, _ in _errors("AIMServiceTemplate", spec)}
    assert paths == {"spec.modelSources.0.model_id", "spec.modelSources.0.modelId"}


def test_python_code_may_build_models_by_attribute_name() -> None:
    source = ModelSource(model_id="a/b", source_uri="hf://a/b", env=[EnvVar(name="X", value="1")])
    assert source.model_dump(by_alias=True, exclude_none=True) == {
        "modelId": "a/b",
        "sourceUri": "hf://a/b",
        "env": [{"name": "X", "value": "1"}],
    }


def test_enum_and_pattern_violations_are_errors() -> None:
    spec = {
        "modelName": "m",
        "metric": "fastest",
        "modelSources": [{"modelId": "no-slash", "sourceUri": "http://x"}],
    }
    paths = {p for p, _ in _errors("AIMServiceTemplate", spec)}
    assert paths == {
        "spec.metric",
        "spec.modelSources.0.modelId",
        "spec.modelSources.0.sourceUri",
    }


def test_missing_required_field_is_an_error() -> None:
    assert _errors("AIMTemplateCache", {"templateName": "t"}) == [
        ("spec.templateScope", "Field required")
    ]


def test_max_items_and_max_length_are_checked() -> None:
    spec = {
        "image": "img",
        "modelSources": [SOURCE, {**SOURCE, "modelId": "a/c"}],
        "customTemplates": [{"name": "n" * 64}],
    }
    paths = {p for p, _ in _errors("AIMModel", spec)}
    assert paths == {"spec.modelSources", "spec.customTemplates.0.name"}


def test_duplicate_env_names_are_an_error() -> None:
    env = [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]
    errors = _errors("AIMService", {"model": {"name": "m"}, "env": env})
    assert errors == [("spec.env", "Value error, duplicate entry for key name='A'")]


def test_metadata_name_and_labels_are_checked() -> None:
    doc = _doc("AIMService", None, labels={"ok": "v", "bad key!": "v", "k": "bad value!"})
    doc["metadata"]["name"] = "Bad_Name"
    with pytest.raises(ValidationError) as info:
        AIMService.model_validate(doc)
    paths = {".".join(map(str, e["loc"])) for e in info.value.errors()}
    assert paths == {"metadata.name", "metadata.labels.bad key!.[key]", "metadata.labels.k"}


def test_metadata_name_is_required() -> None:
    doc = _doc("AIMService", None)
    doc["metadata"] = {"generateName": "x-"}
    with pytest.raises(ValidationError) as info:
        AIMService.model_validate(doc)
    assert [e["loc"] for e in info.value.errors()] == [("metadata", "name")]


def test_timestamps_read_as_datetimes_are_kept_as_strings() -> None:
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    condition = {
        "type": "Ready",
        "status": "True",
        "reason": "Done",
        "message": "",
        "lastTransitionTime": when,
    }
    doc = _doc("AIMArtifact", None, {"conditions": [condition]}, creationTimestamp=when)
    artifact = AIMArtifact.model_validate(doc)
    assert artifact.metadata.creation_timestamp == "2024-01-01T00:00:00Z"
    assert artifact.status is not None and artifact.status.conditions is not None
    assert artifact.status.conditions[0].last_transition_time == "2024-01-01T00:00:00Z"


def test_preserve_unknown_fields_keep_any_value() -> None:
    status = {"profile": {"engine_args": {"tp": 8, "x": [1, None]}, "originalDiscoveryOutput": 3}}
    doc = AIMServiceTemplate.model_validate(_doc("AIMServiceTemplate", {"modelName": "m"}, status))
    assert doc.status is not None and doc.status.profile is not None
    assert doc.status.profile.engine_args == {"tp": 8, "x": [1, None]}
    assert doc.status.profile.original_discovery_output == 3


def test_models_are_frozen() -> None:
    spec = _service().spec
    assert spec is not None
    with pytest.raises(ValidationError):
        spec.replicas = 3  # type: ignore[misc]


# --------------------------------------------------------------------------- CEL rules


@pytest.mark.parametrize(
    "model",
    [{}, {"name": "a", "image": "b"}, {"name": "", "image": ""}],
    ids=["none", "two", "two-empty"],
)
def test_service_model_needs_exactly_one_of_name_image_custom(model: Doc) -> None:
    assert _errors("AIMService", {"model": model}) == [
        ("spec.model", f"Value error, {MSG_EXACTLY_ONE_MODEL}")
    ]


def test_service_model_written_empty_name_counts_as_given() -> None:
    spec = _service(model={"name": ""}).spec
    assert spec is not None and spec.model.name == ""


def test_service_custom_model_needs_one_model_source() -> None:
    custom = {"baseImage": "img", "modelSources": [], "hardware": {"cpu": {"requests": 1}}}
    assert _errors("AIMService", {"model": {"custom": custom}}) == [
        ("spec.model.custom", f"Value error, {MSG_ONE_MODEL_SOURCE}")
    ]


HARDWARE_PLACES = [
    ("AIMService", "model.custom.hardware"),
    ("AIMService", "overrides.hardware"),
    ("AIMModel", "custom.hardware"),
    ("AIMServiceTemplate", "hardware"),
    ("AIMClusterServiceTemplate", "hardware"),
]
BASE_SPECS: dict[str, Doc] = {
    "AIMService": {
        "model": {
            "custom": {
                "baseImage": "i",
                "modelSources": [SOURCE],
                "hardware": {"cpu": {"requests": "1"}},
            }
        }
    },
    "AIMModel": {"image": "img"},
    "AIMServiceTemplate": {"modelName": "m"},
    "AIMClusterServiceTemplate": {"modelName": "m"},
}


@pytest.mark.parametrize(("kind", "where"), HARDWARE_PLACES)
def test_hardware_needs_gpu_or_cpu(kind: str, where: str) -> None:
    spec = _set(BASE_SPECS[kind], where, {})
    assert _errors(kind, spec) == [(f"spec.{where}", f"Value error, {MSG_GPU_OR_CPU}")]


def test_custom_template_hardware_needs_gpu_or_cpu() -> None:
    spec = {"image": "img", "customTemplates": [{"hardware": {}}]}
    assert _errors("AIMModel", spec) == [
        ("spec.customTemplates.0.hardware", f"Value error, {MSG_GPU_OR_CPU}")
    ]


def test_resolved_hardware_in_status_needs_gpu_or_cpu() -> None:
    errors = _errors("AIMServiceTemplate", {"modelName": "m"}, {"resolvedHardware": {}})
    assert errors == [("status.resolvedHardware", f"Value error, {MSG_GPU_OR_CPU}")]


@pytest.mark.parametrize(("kind", "where"), HARDWARE_PLACES)
def test_gpu_model_and_min_vram_are_mutually_exclusive(kind: str, where: str) -> None:
    spec = _set(BASE_SPECS[kind], where, {"gpu": {"model": "MI300X", "minVram": "128Gi"}})
    assert _errors(kind, spec) == [(f"spec.{where}.gpu", f"Value error, {MSG_MODEL_XOR_MIN_VRAM}")]


def test_empty_gpu_model_with_min_vram_is_allowed() -> None:
    doc = _doc(
        "AIMServiceTemplate", {"modelName": "m", "hardware": {"gpu": {"model": "", "minVram": 64}}}
    )
    spec = AIMServiceTemplate.model_validate(doc).spec
    assert spec is not None and spec.hardware is not None and spec.hardware.gpu is not None
    assert spec.hardware.gpu.min_vram == "64"


def test_model_sources_with_custom_templates_need_hardware() -> None:
    spec = {"image": "img", "modelSources": [SOURCE], "customTemplates": [{"name": "a"}]}
    assert _errors("AIMModel", spec) == [
        ("spec", f"Value error, {MSG_MODEL_SOURCES_NEED_HARDWARE}")
    ]


@pytest.mark.parametrize(
    "extra",
    [
        {"custom": {"hardware": {"gpu": {"requests": 1}}}},
        {"customTemplates": [{"name": "a", "hardware": {"cpu": {"requests": 1}}}]},
        {"customTemplates": []},
    ],
    ids=["custom-hardware", "template-hardware", "no-templates"],
)
def test_model_sources_hardware_rule_is_met(extra: Doc) -> None:
    spec = {"image": "img", "modelSources": [SOURCE], "customTemplates": [{"name": "a"}], **extra}
    AIMModel.model_validate(_doc("AIMModel", spec))


def test_custom_templates_without_model_sources_need_no_hardware() -> None:
    AIMModel.model_validate(_doc("AIMModel", {"image": "img", "customTemplates": [{"name": "a"}]}))


# --------------------------------------------------------------------------- operator 0.2.2 fields

_CUSTOM_TEMPLATE = {
    "modelName": "m",
    "aimId": "Qwen/Qwen3-32B",
    "modelId": "Qwen/Qwen3-32B-FP8",
    "metric": "latency",
    "precision": "fp8",
    "hardware": {"gpu": {"model": "MI300X", "requests": 1}},
    "customProfile": {"engineArgs": {"max-model-len": 8192}, "envVars": {"VLLM_X": "1"}},
}


@pytest.mark.parametrize("kind", ["AIMServiceTemplate", "AIMClusterServiceTemplate"])
def test_template_accepts_the_0_2_2_custom_profile_fields(kind: str) -> None:
    spec = AIM_KINDS[kind].model_validate(_doc(kind, _CUSTOM_TEMPLATE)).spec
    assert spec.aim_id == "Qwen/Qwen3-32B" and spec.model_id == "Qwen/Qwen3-32B-FP8"
    assert spec.custom_profile.engine_args == {"max-model-len": 8192}
    assert spec.custom_profile.env_vars == {"VLLM_X": "1"}


@pytest.mark.parametrize("kind", ["AIMServiceTemplate", "AIMClusterServiceTemplate"])
@pytest.mark.parametrize("missing", ["aimId", "modelId", "hardware", "metric", "precision"])
def test_custom_profile_without_a_required_field_fails_with_the_crd_message(
    kind: str, missing: str
) -> None:
    spec = {k: v for k, v in _CUSTOM_TEMPLATE.items() if k != missing}
    assert _errors(kind, spec) == [("spec", f"Value error, {MSG_CUSTOM_PROFILE_REQUIRES}")]


def test_aim_id_and_model_id_without_custom_profile_are_informational() -> None:
    spec = {"modelName": "m", "aimId": "a/b", "modelId": "a/b-c"}
    assert AIMServiceTemplate.model_validate(_doc("AIMServiceTemplate", spec)).spec is not None


@pytest.mark.parametrize("missing", ["aimId", "modelId", "hardware", "profile", "precision"])
def test_custom_template_custom_profile_needs_its_fields(missing: str) -> None:
    template: Doc = {
        "aimId": "a/b",
        "modelId": "a/b-c",
        "hardware": {"gpu": {"requests": 1}},
        "profile": {"metric": "latency", "precision": "fp8"},
        "customProfile": {"envVars": {"A": "1"}},
    }
    if missing == "precision":
        del template["profile"]["precision"]
    else:
        del template[missing]
    errors = _errors("AIMModel", {"image": "img", "customTemplates": [template]})
    assert errors == [
        ("spec.customTemplates.0", f"Value error, {MSG_CUSTOM_TEMPLATE_PROFILE_REQUIRES}")
    ]


def test_0_2_2_service_runtime_config_and_artifact_fields_are_accepted() -> None:
    service = _service(
        priorityClassName="high", storage={"downloadFilter": {"exclude": ["*/*"]}}
    ).spec
    assert service is not None and service.priority_class_name == "high"
    assert service.storage is not None and service.storage.download_filter is not None
    cluster_rc = AIM_KINDS["AIMClusterRuntimeConfig"].model_validate(
        _doc(
            "AIMClusterRuntimeConfig",
            {
                "artifact": {"defaultRetentionPriority": 5},
                "artifactStorageQuota": {"clusterLimit": "10Ti", "defaultNamespaceLimit": "1Ti"},
                "storage": {"downloadFilter": {"include": ["*.json"]}},
            },
        )
    )
    assert cluster_rc.spec.artifact_storage_quota.cluster_limit == "10Ti"
    with pytest.raises(ValidationError):  # the namespace kind has no quota
        AIMRuntimeConfig.model_validate(
            _doc("AIMRuntimeConfig", {"artifactStorageQuota": {"clusterLimit": "1Ti"}})
        )
    artifact = AIMArtifact.model_validate(
        _doc(
            "AIMArtifact",
            {"sourceUri": "hf://a/b", "retentionPriority": 3, "downloadFilter": {"exclude": []}},
        )
    ).spec
    assert artifact is not None and artifact.retention_priority == 3
