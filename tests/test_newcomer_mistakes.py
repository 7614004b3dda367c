"""Common mistakes of someone copying examples/quickstart, and the message that teaches the fix.

Each case edits a fresh copy of the quickstart (one line, or one added file), runs aimctl the way
a newcomer would (``validate --strict``, the pre-commit hook, unless the case says otherwise) and
checks the exit code, the ``FILE:LINE`` the message points at, and the hint in aimctl's words.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart"
SERVICES = "ml-team/services.yaml"
TEMPLATE = "ml-team/qwen.yaml"
RUNTIME = "ml-team/runtime-config.yaml"
CLUSTER_RC = "platform/cluster-runtime-config.yaml"
PROJECT = "aimctl.yaml"


@dataclass(frozen=True)
class Mistake:
    file: str  # edited (or created) below the copy
    old: str  # text replaced once; "" creates the file with ``new``
    new: str
    where: str  # FILE[:LINE] the message starts with (relative to the copy's parent)
    hint: str  # what the message must say
    exit: int = 1
    args: tuple[str, ...] = ("validate", "--strict", "q")


MISTAKES = {
    # -- quantities, names, durations in domain words instead of patterns
    "size-with-GB": Mistake(TEMPLATE, "size: 61Gi", "size: 61GB", "q/ml-team/qwen.yaml:30:", "write 61G or 61Gi"),
    "size-with-space": Mistake(TEMPLATE, "size: 61Gi", "size: 61 Gi", "q/ml-team/qwen.yaml:30:", "write 61Gi"),
    "name-with-underscore-and-capitals": Mistake(
        SERVICES, "name: qwen-chat", "name: Qwen_Chat", "q/ml-team/services.yaml:5:",
        "'Qwen_Chat' is not a valid Kubernetes name: use lower-case letters, digits, '-' and '.', "
        "starting and ending with a letter or digit, e.g. 'qwen-chat'",
    ),
    "namespace-with-capitals": Mistake(
        SERVICES, "namespace: ml-team", "namespace: ML_Team", "q/ml-team/services.yaml:6:",
        "is not a valid DNS label: use lower-case letters, digits and '-'",
    ),
    "timeout-in-words": Mistake(
        CLUSTER_RC, "requestTimeout: 120s", "requestTimeout: 2 minutes",
        "q/platform/cluster-runtime-config.yaml:13:", "'2 minutes' is not a duration: write 2m",
    ),
    "timeout-in-days": Mistake(
        CLUSTER_RC, "requestTimeout: 120s", "requestTimeout: 1d",
        "q/platform/cluster-runtime-config.yaml:13:", "write 24h",
    ),
    "label-value-with-space": Mistake(
        SERVICES, 'cost-center: "4711"', 'cost-center: "47 11"', "q/ml-team/services.yaml:9:",
        "'47 11' is not a valid label value",
    ),
    "model-id-without-organisation": Mistake(
        TEMPLATE, "modelId: Qwen/Qwen3-32B", "modelId: Qwen3-32B", "q/ml-team/qwen.yaml:28:",
        "write ORGANISATION/MODEL",
    ),
    "source-uri-scheme": Mistake(
        TEMPLATE, "sourceUri: hf://", "sourceUri: huggingface://", "q/ml-team/qwen.yaml:29:",
        "write hf://ORG/MODEL or s3://BUCKET/PATH",
    ),
    # -- YAML text: tabs and quotes in plain words, at the line to fix
    "tab-indent": Mistake(
        SERVICES, '    cost-center: "4711"', '\tcost-center: "4711"', "q/ml-team/services.yaml:9:",
        "a tab character indents this line; YAML indents with spaces only",
    ),
    "unclosed-quote": Mistake(
        SERVICES, 'cost-center: "4711"', 'cost-center: "4711', "q/ml-team/services.yaml:9:",
        'the string opened with " here is never closed',
    ),
    # -- the real cause of an unavailable template
    "gpu-missing-from-cluster-gpus": Mistake(
        PROJECT, "gpus: [MI300X, MI325X]", "gpus: [MI325X]", "q/ml-team/services.yaml:11:",
        "the template needs GPU MI300X, which aimctl.yaml cluster.gpus does not list "
        "(it lists MI325X); add MI300X there",
    ),
    "gpu-misspelt-in-cluster-gpus": Mistake(
        PROJECT, "gpus: [MI300X, MI325X]", "gpus: [MI300, MI325X]", "q/ml-team/services.yaml:11:",
        "is MI300 a misspelling of MI300X?",
    ),
    # -- did you mean: kinds, fields, enum values, references
    "kind-typo": Mistake(
        SERVICES, "kind: AIMService", "kind: AIMServce", "q/ml-team/services.yaml:3:",
        "unknown AIM kind 'AIMServce'; did you mean 'AIMService'?",
    ),
    "field-typo": Mistake(
        SERVICES, "  model:\n    name: qwen3-32b", "  modle:\n    name: qwen3-32b",
        "q/ml-team/services.yaml:11:", "spec.modle: unknown field (not in the CRD schema); did you mean 'model'?",
    ),
    "enum-typo": Mistake(
        TEMPLATE, "metric: latency", "metric: latncy", "q/ml-team/qwen.yaml:19:",
        "'latncy' is not one of latency, throughput; did you mean 'latency'?",
    ),
    "precision-typo": Mistake(
        TEMPLATE, "precision: fp8", "precision: fp9", "q/ml-team/qwen.yaml:20:", "did you mean 'fp8'?",
    ),
    "model-reference-typo": Mistake(
        SERVICES, "name: qwen3-32b", "name: qwen3-23b", "q/ml-team/services.yaml:12:",
        "model \"qwen3-23b\" not found in namespace ml-team or cluster scope (reason ModelNotFound); "
        "did you mean 'qwen3-32b'?",
    ),
    # -- the project file in its own words
    "project-top-level-typo": Mistake(
        PROJECT, "cluster:", "clustr:", "q/aimctl.yaml:5:",
        "'clustr' is not a setting of the project file (aimctl.yaml); did you mean 'cluster'?",
    ),
    "project-nested-typo": Mistake(
        PROJECT, "  gpus:", "  gpu:", "q/aimctl.yaml:7:", "'gpu' is not a setting of the project file (aimctl.yaml); did you mean 'gpus'?",
    ),
    "project-gpu-name-unknown": Mistake(
        PROJECT, "gpus: [MI300X, MI325X]", "gpus: [MI300X, MI325]", "q/aimctl.yaml:7: warning:",
        "GPU 'MI325' is not a GPU model aimctl knows; did you mean 'MI325X'", exit=0,
    ),
    "project-gpus-not-a-list": Mistake(
        PROJECT, "gpus: [MI300X, MI325X]", "gpus: MI300X", "q/aimctl.yaml:7:",
        "expected a list (lines starting with '- '), got a string",
    ),
    # -- types as Kubernetes reads YAML (go-yaml v2)
    "env-value-y": Mistake(
        RUNTIME, "value: INFO", "value: y", "q/ml-team/runtime-config.yaml:15:",
        'expected a string, got the boolean true: Kubernetes reads an unquoted y as a boolean',
    ),
    "env-value-1e3": Mistake(
        RUNTIME, "value: INFO", "value: 1e3", "q/ml-team/runtime-config.yaml:15:",
        'got the number 1000: Kubernetes reads an unquoted 1e3 as a number; write "1e3" in quotes',
    ),
    "number-in-quotes": Mistake(
        RUNTIME, "pvcHeadroomPercent: 10", 'pvcHeadroomPercent: "10"', "q/ml-team/runtime-config.yaml:10:",
        "expected a whole number, got a string (write the number without quotes)",
    ),
    "replicas-in-words": Mistake(
        SERVICES, "minReplicas: 1", "minReplicas: one", "q/ml-team/services.yaml:32:",
        "expected a whole number, got a string",
    ),
    "env-as-a-mapping": Mistake(
        RUNTIME, "  env:\n    - name: AIM_ENGINE_ARGS\n      value: '{\"gpu-memory-utilization\": 0.9}'\n"
        "    - name: VLLM_LOG_LEVEL\n      value: INFO", "  env:\n    VLLM_LOG_LEVEL: INFO",
        "q/ml-team/runtime-config.yaml:11:", "expected a list (lines starting with '- '), got a mapping",
    ),
    "api-version-typo": Mistake(
        SERVICES, "apiVersion: aim.eai.amd.com/v1alpha1", "apiVersion: aim.eai.amd.com/v1",
        "q/ml-team/services.yaml:2:", "aimctl reads aim.eai.amd.com/v1alpha1 or aim.eai.amd.com/v1alpha2",
    ),
    # -- files aimctl does not read: a note each, never a failure
    "json-manifest": Mistake(
        "ml-team/extra.json", "", "{}\n", "q/ml-team/extra.json: warning:",
        "not read: aimctl reads *.yaml and *.yml", exit=0,
    ),
    "kustomization-file": Mistake(
        "ml-team/kustomization.yaml", "", "resources: [services.yaml]\n",
        "q/ml-team/kustomization.yaml: warning:", "not read: a kustomize file", exit=0,
    ),
    "helm-template": Mistake(
        "ml-team/configmap.yaml", "",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n",
        "q/ml-team/configmap.yaml:4: warning:", "not read: a Helm or Go template", exit=0,
    ),
    "template-file-suffix": Mistake(
        "ml-team/services.yaml.tmpl", "", "kind: AIMService\n", "q/ml-team/services.yaml.tmpl: warning:",
        "rename the file if it is a manifest", exit=0,
    ),
    # -- the command line
    "explain-unknown-field": Mistake(
        SERVICES, "", "", "AIMService ml-team/qwen-chat has no value 'env.VLLM_LOG_LEVLE'",
        "did you mean 'env.VLLM_LOG_LEVEL'?", args=("explain", "q", "ml-team/qwen-chat", "env.VLLM_LOG_LEVLE"),
    ),
    "explain-field-with-no-near-name": Mistake(
        SERVICES, "", "", "AIMService ml-team/qwen-chat has no value 'env.NOPE'",
        "it has env.AIM_CACHE_PATH, env.AIM_ENGINE_ARGS", args=("explain", "q", "ml-team/qwen-chat", "env.NOPE"),
    ),
    "explain-service-typo": Mistake(
        SERVICES, "", "", "AIMService ml-team/qwen-chatt not found", "did you mean 'ml-team/qwen-chat'",
        args=("explain", "q", "ml-team/qwen-chatt"),
    ),
    "kinds-typo": Mistake(
        SERVICES, "", "", "", "unknown kind 'InferenceServce' (did you mean InferenceService?)",
        exit=2, args=("render", "q", "--kinds", "InferenceServce"),
    ),
}  # fmt: skip


def _apply(tree: Path, mistake: Mistake) -> None:
    target = tree / mistake.file
    if not mistake.old:
        if mistake.new:
            target.write_text(mistake.new, encoding="utf-8")
        return
    text = target.read_text(encoding="utf-8")
    assert mistake.old in text, f"{mistake.file} no longer holds {mistake.old!r}"
    target.write_text(text.replace(mistake.old, mistake.new, 1), encoding="utf-8")


def test_at_least_26_mistakes() -> None:
    assert len(MISTAKES) >= 26


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_gets_a_message_that_teaches(name: str, tmp_path: Path, run_cli) -> None:
    mistake = MISTAKES[name]
    shutil.copytree(QUICKSTART, tmp_path / "q")
    _apply(tmp_path / "q", mistake)
    result = run_cli(*mistake.args, cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert result.exit_code == mistake.exit, result.stderr
    lines = [line for line in result.stderr.splitlines() if mistake.hint in line]
    assert lines, f"no line says {mistake.hint!r}:\n{result.stderr}"
    assert any(line.startswith(mistake.where) for line in lines), result.stderr
    for word in ("String should", "Input should", "could not find", "found character", "scanning"):
        assert word not in result.stderr  # no pattern dumps or parser jargon
