"""`aimctl explain`: where every effective value came from and what it overrode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "quickstart"


def _trace(run_cli, *extra: str) -> dict:  # type: ignore[type-arg]
    result = run_cli(
        "explain", str(EXAMPLE), "ml-team/qwen-chat", *extra, "--output", "json", cwd=ROOT
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_env_set_at_three_layers_shows_winner_and_both_overridden_values(run_cli) -> None:
    trace = _trace(run_cli, "env.VLLM_LOG_LEVEL")
    (value,) = trace["values"]
    assert value["value"] == "DEBUG"
    assert value["origin"]["scope"] == "service"
    assert value["origin"]["file"] == "examples/quickstart/ml-team/services.yaml"
    assert value["origin"]["line"] == 19
    assert [
        (o["origin"]["scope"], o["value"], o["origin"]["line"]) for o in value["overridden"]
    ] == [
        ("namespace runtime config", "INFO", 14),
        ("cluster runtime config", "WARNING", 17),
    ]


def test_text_output_prints_file_line_for_winner_and_losers(run_cli) -> None:
    result = run_cli("explain", str(EXAMPLE), "ml-team/qwen-chat", "env.VLLM_LOG_LEVEL", cwd=ROOT)
    assert result.exit_code == 0
    out = result.stdout
    assert "env.VLLM_LOG_LEVEL = DEBUG" in out
    assert (
        "from  service  AIMService ml-team/qwen-chat  examples/quickstart/ml-team/services.yaml:19"
        in out
    )
    assert "examples/quickstart/ml-team/runtime-config.yaml:14  = INFO" in out
    assert "examples/quickstart/platform/cluster-runtime-config.yaml:17  = WARNING" in out


def test_engine_args_are_deep_merged_and_explained(run_cli) -> None:
    (value,) = _trace(run_cli, "env.AIM_ENGINE_ARGS")["values"]
    assert value["value"] == '{"gpu-memory-utilization":0.9,"max-model-len":8192}'
    assert "deep-merged" in value["rule"]


def test_json_trace_has_stable_top_level_keys(run_cli) -> None:
    trace = _trace(run_cli)
    assert list(trace) == [
        "service",
        "gpuInventory",
        "runtimeConfig",
        "model",
        "template",
        "children",
        "values",
        "tenant",
        "ok",
        "diagnostics",
    ]
    assert trace["template"]["selected"]["name"] == "qwen3-32b-mi300x-lat-fp8"
    assert trace["children"]["inferenceService"] == "qwen-chat-a04542d9"


def test_selection_table_lists_every_candidate_with_stage_and_rank(run_cli) -> None:
    result = run_cli(
        "explain", str(EXAMPLE), "ml-team/llama-assistant", "template", "-o", "json", cwd=ROOT
    )
    rows = {r["template"]: r for r in json.loads(result.stdout)["template"]["candidates"]}
    assert rows["llama-3-1-8b-mi325x-thr-fp8"]["reason"] == "BestMatch"
    assert rows["llama-3-1-8b-mi300x-lat-fp16"]["droppedAt"] == "6 ranking"
    assert rows["llama-3-1-8b-mi300x-lat-fp16"]["rank"] == [0, 1, 0, 4]


def test_secret_references_are_shown_as_references(run_cli) -> None:
    (value,) = _trace(run_cli, "env.HF_TOKEN")["values"]
    assert value["value"] == {"valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}}


def test_unknown_service_suggests_close_names(run_cli) -> None:
    result = run_cli("explain", str(EXAMPLE), "ml-team/qwen-chta", cwd=ROOT)
    assert result.exit_code == 1
    assert "did you mean 'ml-team/qwen-chat'" in result.stderr


def test_failing_service_prints_trace_and_exits_1(write_tree, run_cli) -> None:
    root = write_tree(
        {
            "svc.yaml": """
            apiVersion: aim.eai.amd.com/v1alpha1
            kind: AIMService
            metadata: {name: s, namespace: ns}
            spec: {model: {name: ghost}}
            """
        }
    )
    result = run_cli("explain", str(root), "ns/s", "-o", "json", cwd=root)
    assert result.exit_code == 1
    trace = json.loads(result.stdout)
    assert trace["ok"] is False
    assert trace["diagnostics"][0]["code"] == "E_MODEL_NOT_FOUND"


def _rendered_isvc(run_cli, name: str) -> dict:  # type: ignore[type-arg]
    import yaml

    result = run_cli("render", str(EXAMPLE), cwd=ROOT)
    assert result.exit_code == 0, result.stderr
    (isvc,) = [
        doc
        for doc in yaml.safe_load_all(result.stdout)
        if doc and doc["kind"] == "InferenceService" and doc["metadata"]["name"].startswith(name)
    ]
    return isvc  # type: ignore[no-any-return]


def test_inference_service_choices_are_explained_as_rendered(run_cli) -> None:
    """Annotations, volumes, mount paths and the copied metrics are resolved (with their origin),
    and explain shows exactly what render writes into the InferenceService."""
    result = run_cli(
        "explain", str(EXAMPLE), "ml-team/llama-assistant", "isvc.", "--output", "json", cwd=ROOT
    )
    assert result.exit_code == 0, result.stderr
    values = {v["field"]: v for v in json.loads(result.stdout)["values"]}
    assert sorted(values) == [
        "isvc.annotations",
        "isvc.autoScaling",
        "isvc.volumeMounts",
        "isvc.volumes",
    ]
    isvc = _rendered_isvc(run_cli, "llama-assistant")
    predictor = isvc["spec"]["predictor"]
    assert values["isvc.annotations"]["value"] == isvc["metadata"]["annotations"]
    assert values["isvc.annotations"]["value"]["serving.kserve.io/autoscalerClass"] == "keda"
    assert values["isvc.autoScaling"]["value"] == predictor["autoScaling"]
    assert values["isvc.volumes"]["value"] == predictor["volumes"]
    assert values["isvc.volumeMounts"]["value"] == predictor["containers"][0]["volumeMounts"]
    for field in ("isvc.annotations", "isvc.autoScaling"):  # autoScaling switched KEDA on
        origin = values[field]["origin"]
        assert (origin["scope"], origin["field"], origin["line"]) == (
            "service",
            "spec.autoScaling",
            34,
        )
    assert values["isvc.volumeMounts"]["origin"]["scope"] == "operator default"


def test_fixed_replicas_service_explains_no_autoscaling_block(run_cli) -> None:
    values = {v["field"]: v for v in _trace(run_cli, "isvc.")["values"]}
    assert "isvc.autoScaling" not in values
    assert values["isvc.annotations"]["value"] == {"serving.kserve.io/autoscalerClass": "none"}
    assert values["isvc.annotations"]["origin"]["scope"] == "operator default"


def test_with_tenants_the_namespace_is_resolved_once_for_trace_and_quota(
    monkeypatch: pytest.MonkeyPatch, resolve_all_calls: list[dict[str, object]]
) -> None:
    """``explain`` shows the tenant's quota use, which needs every service of the namespace:
    that one resolution also gives the traced service (issue 18: tenancy facts resolved once)."""
    from aimctl.pipeline.explain import run_explain
    from aimctl.pipeline.options import LoadOptions

    monkeypatch.chdir(ROOT)
    explained = run_explain(
        LoadOptions((Path("examples/platform"),), jobs=0), "research/eval-70b", None
    )
    assert explained.ok
    assert explained.trace["tenant"] is not None
    assert [c.get("namespace") for c in resolve_all_calls] == ["research"]
