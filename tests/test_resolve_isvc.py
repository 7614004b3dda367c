"""The InferenceService (§3.4.2, §3.5, §4.1): the container env in the operator's order, the rest of
the spec, replicas and autoscaling, end to end through the CLI.

Operator behaviour as operator-behaviour.md states it; builders and runners in ``tests/resolve_kit.py``.
"""

from __future__ import annotations

import pytest

from tests.resolve_kit import (
    Doc,
    _templates_compiled_once,  # noqa: F401  (autouse fixture: compile the templates once)
    base,
    container,
    env_map,
    frozen,
    located,
    model,
    of_kind,
    one,
    render,
    runtime_config,
    service,
    template,
    the_error,
    tree,
)

# --- inference container env (§3.4.2) ------------------------------------------------------------------


def test_isvc_env_is_built_from_defaults_template_and_service_and_sorted(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        model(),
        template(profileId="prof-1", env=[{"name": "ZED", "value": "t"}]),
        runtime_config(cluster=True, env=[{"name": "MIDDLE", "value": "rc"}]),
        service(
            env=[
                {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}},
                {"name": "ALPHA", "value": "s"},
                {"name": "lower_case", "value": "s"},
            ]
        ),
    )
    env = container(render(run_cli, root))["env"]
    assert env == [
        {"name": "AIM_CACHE_PATH", "value": "/workspace/cache"},
        {"name": "AIM_METRIC", "value": "latency"},
        {"name": "AIM_MODEL_ID", "value": "org/m"},
        {"name": "AIM_PRECISION", "value": "fp8"},
        {"name": "AIM_PROFILE_ID", "value": "prof-1"},
        {"name": "ALPHA", "value": "s"},
        {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf", "key": "token"}}},
        {"name": "MIDDLE", "value": "rc"},
        {"name": "VLLM_ENABLE_METRICS", "value": "true"},
        {"name": "ZED", "value": "t"},
        {"name": "lower_case", "value": "s"},  # byte order: upper case sorts first
    ]


def test_template_derived_variables_come_from_the_template_spec_not_its_status(
    write_tree, run_cli
) -> None:
    status = frozen(metric="throughput", precision="fp16")
    root = tree(
        write_tree,
        model(),
        template(sources=False, status=status, metric=None, precision=None),
        service(),
    )
    items = render(run_cli, root)
    env = env_map(items)
    assert "AIM_METRIC" not in env and "AIM_PRECISION" not in env and "AIM_MODEL_ID" not in env
    labels = one(items, "InferenceService")["metadata"]["labels"]
    assert (labels["aim.eai.amd.com/metric"], labels["aim.eai.amd.com/precision"]) == (
        "throughput",
        "fp16",
    )


def test_runtime_config_env_duplicating_a_template_variable_is_an_error_at_that_entry(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        files={
            "platform.yaml": [
                runtime_config(cluster=True, env=[{"name": "AIM_METRIC", "value": "throughput"}])
            ],
            "models.yaml": base(),
            "svc.yaml": [service()],
        },
    )
    error = the_error(run_cli, root, "E_DUPLICATE_ENV")
    assert "AIM_METRIC" in error["message"]
    located(error, root, "platform.yaml", "- name: AIM_METRIC")


def test_runtime_config_env_duplicating_a_template_variable_is_a_duplicate_env_error(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, env=[{"name": "AIM_PRECISION", "value": "fp16"}]),
        service(),
    )
    assert "AIM_PRECISION" in the_error(run_cli, root, "E_DUPLICATE_ENV")["message"]


def test_service_env_does_not_repair_a_duplicate_env_name(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, env=[{"name": "AIM_METRIC", "value": "throughput"}]),
        service(env=[{"name": "AIM_METRIC", "value": "latency"}]),
    )
    the_error(run_cli, root, "E_DUPLICATE_ENV")


def test_template_env_replaces_a_runtime_config_aim_variable_without_duplicate(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        model(),
        template(env=[{"name": "AIM_PROFILE_ID", "value": "from-template"}]),
        runtime_config(cluster=True, env=[{"name": "AIM_PROFILE_ID", "value": "from-rc"}]),
        service(),
    )
    assert env_map(render(run_cli, root))["AIM_PROFILE_ID"] == "from-template"


# --- the rest of the InferenceService (§3.5, §4.1) --------------------------------------------------


def test_gpu_defaults_come_from_the_template_status_resolved_hardware(write_tree, run_cli) -> None:
    root = tree(
        write_tree, model(), template(sources=False, count=1, status=frozen(count=2)), service()
    )
    resources = container(render(run_cli, root))["resources"]
    assert resources["requests"] == {"amd.com/gpu": "2", "cpu": "8", "memory": "64Gi"}


def test_isvc_node_affinity_targets_the_device_ids_of_the_template_gpu(write_tree, run_cli) -> None:
    root = tree(write_tree, *base(), service())
    predictor = one(render(run_cli, root), "InferenceService")["spec"]["predictor"]
    assert predictor["affinity"] == {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {
                                "key": "amd.com/gpu.device-id",
                                "operator": "In",
                                "values": ["74a1", "74a9", "74b5", "74bd"],
                            }
                        ]
                    }
                ]
            }
        }
    }


def test_isvc_node_affinity_is_copied_verbatim_from_a_frozen_status(write_tree, run_cli) -> None:
    affinity = {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {
                    "matchExpressions": [
                        {"key": "example.com/pool", "operator": "In", "values": ["a"]}
                    ]
                }
            ]
        }
    }
    status = {**frozen(), "resolvedNodeAffinity": affinity}
    root = tree(write_tree, model(), template(sources=False, status=status), service())
    predictor = one(render(run_cli, root), "InferenceService")["spec"]["predictor"]
    assert predictor["affinity"] == {"nodeAffinity": affinity}


def test_pull_secrets_and_service_account_come_only_from_the_service(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(imagePullSecrets=[{"name": "model-pull"}], serviceAccountName="model-sa"),
        template(imagePullSecrets=[{"name": "tpl-pull"}], serviceAccountName="tpl-sa"),
        service("plain"),
        service("own", imagePullSecrets=[{"name": "svc-pull"}], serviceAccountName="svc-sa"),
    )
    predictors = {
        isvc["metadata"]["labels"]["aim.eai.amd.com/service.name"]: isvc["spec"]["predictor"]
        for isvc in of_kind(render(run_cli, root), "InferenceService")
    }
    assert "imagePullSecrets" not in predictors["plain"]
    assert "serviceAccountName" not in predictors["plain"]
    assert predictors["own"]["imagePullSecrets"] == [{"name": "svc-pull"}]
    assert predictors["own"]["serviceAccountName"] == "svc-sa"


# --- replicas and autoscaling (§4.1) -----------------------------------------------------------------


def _predictor(items: list[Doc]) -> Doc:
    return dict(one(items, "InferenceService")["spec"]["predictor"])


def _isvc_annotations(items: list[Doc]) -> dict[str, str]:
    return dict(one(items, "InferenceService")["metadata"]["annotations"])


@pytest.mark.parametrize(
    ("spec", "min_max"),
    [({}, (1, 1)), ({"replicas": 3}, (3, 3)), ({"replicas": 0}, (0, None))],
    ids=["crd-default-1", "replicas-3", "replicas-0-omits-max"],
)
def test_fixed_replicas(write_tree, run_cli, spec: Doc, min_max: tuple[int, int | None]) -> None:
    root = tree(write_tree, *base(), service(**spec))
    items = render(run_cli, root)
    predictor = _predictor(items)
    assert (predictor.get("minReplicas"), predictor.get("maxReplicas")) == min_max
    assert "autoScaling" not in predictor
    assert _isvc_annotations(items) == {"serving.kserve.io/autoscalerClass": "none"}


@pytest.mark.parametrize(
    ("spec", "min_max"),
    [
        ({"minReplicas": 2}, (2, 2)),
        ({"maxReplicas": 4}, (1, 4)),
        ({"minReplicas": 2, "maxReplicas": 5, "replicas": 3}, (2, 5)),
    ],
    ids=["min-only", "max-only", "min-max-beat-replicas"],
)
def test_min_or_max_replicas_enable_keda_autoscaling(
    write_tree, run_cli, spec: Doc, min_max: tuple[int, int]
) -> None:
    root = tree(write_tree, *base(), service(**spec))
    items = render(run_cli, root)
    predictor = _predictor(items)
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == min_max
    isvc = one(items, "InferenceService")["metadata"]["name"]
    assert _isvc_annotations(items) == {
        "serving.kserve.io/autoscalerClass": "keda",
        "sidecar.opentelemetry.io/inject": f"{isvc}-predictor",
        "prometheus.kserve.io/port": "8000",
    }


def test_autoscaling_target_value_that_is_not_a_quantity_is_dropped(write_tree, run_cli) -> None:
    metric = {
        "type": "PodMetric",
        "podmetric": {"metric": {"query": "q"}, "target": {"type": "Value", "value": "ten"}},
    }
    root = tree(write_tree, *base(), service(autoScaling={"metrics": [metric]}))
    (copied,) = _predictor(render(run_cli, root))["autoScaling"]["metrics"]
    assert copied["podmetric"]["target"] == {"type": "Value"}


def test_autoscaling_metrics_are_copied_into_the_isvc(write_tree, run_cli) -> None:
    metric = {
        "type": "PodMetric",
        "podmetric": {
            "metric": {
                "metricNames": ["vllm:num_requests_running"],
                "query": "sum(vllm:num_requests_running)",
                "operationOverTime": "avg",
            },
            "target": {"type": "Value", "value": "8"},
        },
    }
    root = tree(write_tree, *base(), service(autoScaling={"metrics": [metric]}))
    predictor = _predictor(render(run_cli, root))
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (1, 1)
    assert predictor["autoScaling"] == {
        "metrics": [
            {
                "type": "PodMetric",
                "podmetric": {
                    "metric": {
                        "backend": "opentelemetry",
                        "metricNames": ["vllm:num_requests_running"],
                        "query": "sum(vllm:num_requests_running)",
                        "operationOverTime": "avg",
                    },
                    "target": {"type": "Value", "value": "8"},
                },
            }
        ]
    }
