"""The Chainsaw helpers on their own: assertion-tree semantics, replaying applies, scripts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conformance.chainsaw import (
    TEST_NAMESPACE,
    UnsupportedAssertionError,
    load_test,
    match_tree,
    replay,
    script_effects,
    split_status,
)

ISVC = {
    "apiVersion": "serving.kserve.io/v1beta1",
    "kind": "InferenceService",
    "metadata": {"name": "svc", "namespace": TEST_NAMESPACE, "labels": {"a": "1", "b": "2"}},
    "spec": {
        "predictor": {
            "minReplicas": 2,
            "containers": [
                {
                    "name": "kserve-container",
                    "env": [
                        {"name": "AIM_METRIC", "value": "latency"},
                        {"name": "X", "value": "1"},
                    ],
                }
            ],
        }
    },
    "status": {"failed": 2, "conditions": [{"type": "Ready", "status": "True"}]},
}


def test_maps_are_partial() -> None:
    assert match_tree({"metadata": {"labels": {"a": "1"}}}, ISVC) == []


def test_a_missing_key_fails() -> None:
    assert match_tree({"metadata": {"labels": {"c": "1"}}}, ISVC) == [
        "metadata.labels.c: field not found"
    ]


def test_lists_must_have_the_same_length() -> None:
    tree = {"spec": {"predictor": {"containers": [{"name": "kserve-container"}, {"name": "x"}]}}}
    assert "lengths of lists don't match" in match_tree(tree, ISVC)[0]


def test_lists_match_element_by_element_in_order() -> None:
    env = [{"name": "X"}, {"name": "AIM_METRIC"}]
    tree = {"spec": {"predictor": {"containers": [{"env": env}]}}}
    assert len(match_tree(tree, ISVC)) == 2


def test_strings_and_numbers_do_not_convert() -> None:
    assert match_tree({"spec": {"predictor": {"minReplicas": "2"}}}, ISVC) != []
    assert match_tree({"spec": {"predictor": {"minReplicas": 2.0}}}, ISVC) == []
    assert match_tree({"value": "true"}, {"value": True}) != []


def test_a_jmespath_filter_key_projects_the_value() -> None:
    tree = {
        "spec": {
            "predictor": {
                "containers": [{"(env[?name == 'AIM_METRIC'])": [{"value": "latency"}]}],
            }
        }
    }
    assert match_tree(tree, ISVC) == []
    tree["spec"]["predictor"]["containers"][0] = {"(env[?name == 'AIM_METRIC'])": [{"value": "x"}]}
    assert match_tree(tree, ISVC) != []


def test_a_filter_that_selects_nothing_fails() -> None:
    tree = {"status": {"(conditions[?type == 'Missing'])": [{"status": "True"}]}}
    assert match_tree(tree, ISVC) != []


def test_comparison_expressions_and_literals() -> None:
    assert match_tree({"(status.failed >= `1`)": True}, ISVC) == []
    assert match_tree({"(status.failed >= `3`)": True}, ISVC) != []
    assert match_tree({"metadata": {"(name != '')": True}}, ISVC) == []


def test_the_namespace_binding_is_the_test_namespace() -> None:
    assert match_tree({"metadata": {"namespace": "($namespace)"}}, ISVC) == []
    with pytest.raises(UnsupportedAssertionError):
        match_tree({"metadata": {"namespace": "($other)"}}, ISVC)


def test_an_empty_map_asserts_presence() -> None:
    assert match_tree({"status": {}}, ISVC) == []
    assert match_tree({"missing": {}}, {"missing": None}) != []


def test_foreach_projections_are_unsupported() -> None:
    with pytest.raises(UnsupportedAssertionError):
        match_tree({"~.(spec.predictor.containers)": {"name": "kserve-container"}}, ISVC)


def test_split_status_separates_status_keys_and_status_projections() -> None:
    kept, status = split_status({"kind": "Job", "status": {}, "(status.failed >= `1`)": True})
    assert kept == {"kind": "Job"}
    assert sorted(status) == ["(status.failed >= `1`)", "status"]


def _write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return directory / "chainsaw-test.yaml"


MODEL = """
    apiVersion: aim.eai.amd.com/v1alpha1
    kind: AIMModel
    metadata: {name: m}
    spec: {image: "img:1"}
    status: {status: Failed}
"""
MODEL_V2 = MODEL.replace('"img:1"', '"img:2"')
TEST = """
    apiVersion: chainsaw.kyverno.io/v1alpha1
    kind: Test
    metadata: {name: t}
    spec:
      steps:
        - try:
            - apply: {file: model.yaml}
        - try:
            - script:
                content: |
                  apply-with-status.sh model.yaml --status-only -n $NAMESPACE
        - try:
            - apply: {file: model-v2.yaml}
            - assert:
                resource: {apiVersion: aim.eai.amd.com/v1alpha1, kind: AIMModel, metadata: {name: m}}
        - try:
            - delete:
                ref: {apiVersion: aim.eai.amd.com/v1alpha1, kind: AIMModel, name: m}
"""


def test_replay_keeps_the_last_apply_and_status_only_where_the_test_sets_it(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path, {"model.yaml": MODEL, "model-v2.yaml": MODEL_V2, "chainsaw-test.yaml": TEST}
    )
    snapshots = replay(load_test(path, tmp_path))
    (applied,) = snapshots[(1, 0)].documents
    assert "status" not in applied.body
    assert applied.body["metadata"]["namespace"] == TEST_NAMESPACE
    (frozen,) = snapshots[(2, 0)].documents
    assert frozen.with_status and frozen.body["status"] == {"status": "Failed"}
    (updated,) = snapshots[(3, 2)].documents  # before the assert: v2 applied, status kept
    assert updated.body["spec"]["image"] == "img:2"
    assert updated.body["status"] == {"status": "Failed"}
    final = snapshots[(4, 0)]
    assert final.documents == () and final.deletions


def test_script_effects_model_the_e2e_helpers_and_flag_the_rest() -> None:
    status = script_effects("apply-with-status.sh template.yaml --status-only -n $NAMESPACE\n")
    assert status.status_files == (("template.yaml", True, TEST_NAMESPACE),)
    applied = script_effects('TEST_NS="other"\nkubectl apply -n "${TEST_NS}" -f service.yaml\n')
    assert applied.applied_files == (("service.yaml", "other"),)
    heredoc = script_effects('cat <<EOF | kubectl -n "$NAMESPACE" apply -f -\nkind: X\nEOF\n')
    assert heredoc.unmodelled and not heredoc.modelled
    secret = script_effects("kubectl get secret s -o json | kubectl apply -n $NAMESPACE -f -\n")
    assert secret.secrets == 1 and not secret.unmodelled
    assert script_effects("kubectl get aimservice x -o jsonpath='{.status}'\n").read_only
