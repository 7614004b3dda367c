"""Values the AIM CRDs accept but the API server refuses in the children (issue 16, class 16).

Each hostile edit of the quickstart must make ``render`` fail through the real CLI: exit 1, one
line ``FILE:LINE: KIND NS/NAME: field: message`` naming the input that wrote the value, no
traceback, nothing on stdout and nothing written to ``-o DIR``. ``validate`` accepts the input (the
AIM API server does) and forecasts the refusal; ``validate --strict`` fails.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.resolve_kit import check_schemas

QUICKSTART = ROOT / "examples" / "quickstart"
SERVICES = "ml-team/services.yaml"
RUNTIME = "ml-team/runtime-config.yaml"
CLUSTER_RUNTIME = "platform/cluster-runtime-config.yaml"
MODELS = "ml-team/qwen.yaml"
QWEN = "AIMService ml-team/qwen-chat"
LONG = "l" * 100  # a valid name (at most 253), too long for a label value


@dataclass(frozen=True)
class Case:
    file: str
    old: str
    new: str
    marker: str  # text on the line the message must name (first occurrence after the edit)
    located: str  # "KIND NS/NAME: field" after FILE:LINE
    fragment: str  # a piece of the message


_SERVICE_ENV = "    - name: VLLM_LOG_LEVEL\n      value: DEBUG\n"
CASES = {
    "env-name-with-equals": Case(
        SERVICES,
        _SERVICE_ENV,
        "    - name: VLLM=LOG\n      value: DEBUG\n",
        "VLLM=LOG",
        f"{QWEN}: spec.env[1].name",
        "other than '='",
    ),
    "env-name-empty": Case(
        SERVICES,
        _SERVICE_ENV,
        '    - name: ""\n      value: DEBUG\n',
        'name: ""',
        f"{QWEN}: spec.env[1].name",
        "other than '='",
    ),
    "env-value-and-valueFrom": Case(
        SERVICES,
        _SERVICE_ENV,
        "    - name: X\n      value: DEBUG\n      valueFrom:\n"
        "        configMapKeyRef: {name: a, key: b}\n",
        "valueFrom:\n        configMapKeyRef",
        f"{QWEN}: spec.env[1].valueFrom",
        "not be given when value is not empty",
    ),
    "env-valueFrom-without-source": Case(
        SERVICES,
        _SERVICE_ENV,
        "    - name: X\n      valueFrom: {}\n",
        "valueFrom: {}",
        f"{QWEN}: spec.env[1].valueFrom",
        "must name one of",
    ),
    "env-valueFrom-two-sources": Case(
        SERVICES,
        _SERVICE_ENV,
        "    - name: X\n      valueFrom:\n        configMapKeyRef: {name: a, key: b}\n"
        "        secretKeyRef: {name: a, key: b}\n",
        "valueFrom:\n        configMapKeyRef",
        f"{QWEN}: spec.env[1].valueFrom",
        "only one source",
    ),
    "env-name-in-runtime-config": Case(
        RUNTIME,
        "    - name: VLLM_LOG_LEVEL\n",
        "    - name: VLLM LOG=x\n",
        "VLLM LOG=x",
        "AIMRuntimeConfig ml-team/default: spec.env[1].name",
        "other than '='",
    ),
    "storage-class-not-dns": Case(
        RUNTIME,
        "defaultStorageClassName: rwx-fast",
        "defaultStorageClassName: RWX_Fast",
        "RWX_Fast",
        "AIMRuntimeConfig ml-team/default: spec.storage.defaultStorageClassName",
        "DNS subdomain",
    ),
    "negative-resources": Case(
        SERVICES,
        "  model:\n    name: qwen3-32b\n",
        "  model:\n    name: qwen3-32b\n  resources:\n    limits:\n      memory: -1Gi\n",
        "memory: -1Gi",
        f"{QWEN}: spec.resources.limits.memory",
        "must not be negative",
    ),
    "annotation-key-not-qualified": Case(
        CLUSTER_RUNTIME,
        "    requestTimeout: 120s\n",
        "    requestTimeout: 120s\n    annotations:\n      'bad key!': v\n",
        "bad key!",
        "AIMClusterRuntimeConfig default: spec.routing.annotations.bad key!",
        "invalid annotation key",
    ),
    "annotations-over-256KiB": Case(
        CLUSTER_RUNTIME,
        "    requestTimeout: 120s\n",
        "    requestTimeout: 120s\n    annotations:\n      example.com/a: small\n"
        f"      example.com/big: {'x' * 270_000}\n",
        "example.com/big",
        "AIMClusterRuntimeConfig default: spec.routing.annotations.example.com/big",
        "at most 262144 (256 KiB)",
    ),
    "request-timeout-negative": Case(
        CLUSTER_RUNTIME,
        "requestTimeout: 120s",
        "requestTimeout: -5s",
        "-5s",
        "AIMClusterRuntimeConfig default: spec.routing.requestTimeout",
        "cannot be negative",
    ),
    "request-timeout-below-a-millisecond": Case(
        CLUSTER_RUNTIME,
        "requestTimeout: 120s",
        "requestTimeout: 1500us",
        "1500us",
        "AIMClusterRuntimeConfig default: spec.routing.requestTimeout",
        "millisecond precision",
    ),
    "request-timeout-too-long": Case(
        SERVICES,
        "  model:\n    name: qwen3-32b\n",
        "  model:\n    name: qwen3-32b\n  routing:\n    requestTimeout: 100000h\n",
        "100000h",
        f"{QWEN}: spec.routing.requestTimeout",
        "at most 99999h",
    ),
    "service-name-over-63": Case(
        SERVICES,
        "name: qwen-chat",
        f"name: {LONG}",
        LONG,
        f"AIMService ml-team/{LONG}: metadata.name",
        "aim.eai.amd.com/service.name",
    ),
    "template-name-over-63": Case(
        MODELS,
        "name: qwen3-32b-mi300x-lat-fp8",
        f"name: {LONG}",
        LONG,
        f"AIMServiceTemplate ml-team/{LONG}: metadata.name",
        "aim.eai.amd.com/template.name",
    ),
    "pvc-size-beyond-int64": Case(
        MODELS,
        "size: 61Gi",
        "size: 8.5e18",
        "size: 8.5e18",
        "AIMServiceTemplate ml-team/qwen3-32b-mi300x-lat-fp8: spec.modelSources[0].size",
        "accepts 1 byte to 9223372036854775807",
    ),
}


def _hostile(tmp_path: Path, case: Case) -> tuple[Path, int]:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    path = tree / case.file
    text = path.read_text(encoding="utf-8")
    assert case.old in text, case.old
    edited = text.replace(case.old, case.new, 1)
    path.write_text(edited, encoding="utf-8")
    line = edited[: edited.index(case.marker)].count("\n") + 1
    return tree, line


def _only_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr[:3000]
    return lines[0]


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("output", ["stdout", "json", "dir"])
def test_render_refuses_what_the_api_server_would_refuse(
    name: str, output: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    case = CASES[name]
    _, line = _hostile(tmp_path, case)
    extra = {"stdout": [], "json": ["--format", "json"], "dir": ["-o", "out"]}[output]
    result = run_cli("render", "tree", *extra, cwd=tmp_path)
    assert result.exit_code == 1, result.stderr[:3000]
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    error = _only_error_line(result.stderr)
    assert error.startswith(f"tree/{case.file}:{line}: {case.located}: "), error[:500]
    assert case.fragment in error, error[:500]
    assert not (tmp_path / "out").exists()
    assert "x" * 100 not in result.stderr  # a large value is never echoed


@pytest.mark.parametrize("name", ["env-name-with-equals", "service-name-over-63"])
def test_validate_forecasts_the_refusal_and_strict_fails(
    name: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    case = CASES[name]
    _hostile(tmp_path, case)
    lenient = run_cli("validate", "tree", cwd=tmp_path)
    assert lenient.exit_code == 0, lenient.stderr
    assert case.located in lenient.stderr
    strict = run_cli("validate", "tree", "--strict", cwd=tmp_path)
    assert strict.exit_code == 1, strict.stderr
    assert case.located in strict.stderr


@pytest.mark.parametrize(
    ("written", "rendered"),
    [("1500ms", "1s500ms"), ("1.5s", "1s500ms"), ("90.25s", "1m30s250ms"), ("120s", "2m0s")],
)
def test_request_timeouts_render_in_gateway_api_duration_form(
    written: str, rendered: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    path = tree / CLUSTER_RUNTIME
    path.write_text(path.read_text().replace("requestTimeout: 120s", f"requestTimeout: {written}"))
    result = run_cli("render", "tree", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    routes = [d for d in docs if d["kind"] == "HTTPRoute"]
    assert routes
    assert {r["spec"]["rules"][0]["timeouts"]["request"] for r in routes} == {rendered}
    check_schemas(docs)


@pytest.mark.parametrize(
    ("quota", "fragment"),
    [
        ("storage: -1Gi", "must not be negative"),
        ("cpu: 1e19", "beyond int64"),
        ('memory: "99999999999999999999999999999"', "beyond int64"),
        ("gpus: 9223372036854775808", "int64"),
        ("gpuResources: {amd.com/gpu-partition: 9223372036854775808}", "int64"),
    ],
)
def test_tenant_quotas_are_non_negative_and_within_int64(
    quota: str, fragment: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(QUICKSTART, tree)
    with (tree / "aimctl.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"tenants:\n  - namespace: ml-team\n    quota: {{{quota}}}\n")
    result = run_cli("render", "tree", "-o", "out", cwd=tmp_path)
    assert result.exit_code == 1, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    error = _only_error_line(result.stderr)
    assert error.startswith("tree/aimctl.yaml:11: tenants[0].quota."), error
    assert fragment in error, error
    assert not (tmp_path / "out").exists()
