"""`aimctl explain`: where every effective value came from and what it overrode."""

from __future__ import annotations

import json

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
