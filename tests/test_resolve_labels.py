"""Label propagation (§6), end to end through the CLI.

Operator behaviour as operator-behaviour.md states it; builders and runners in ``tests/resolve_kit.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.resolve_kit import (
    Doc,
    WriteTree,
    _templates_compiled_once,  # noqa: F401  (autouse fixture: compile the templates once)
    base,
    gateway,
    one,
    pvc,
    render,
    route,
    runtime_config,
    service,
    tree,
)

# --- label propagation (§6) ------------------------------------------------------------------------


def _labelled(write_tree: WriteTree, labels: dict[str, str], propagation: Doc | None) -> Path:
    docs = [*base()]
    if propagation is not None:
        docs.append(runtime_config(cluster=True, labelPropagation=propagation))
    docs.append(
        runtime_config(cluster=True, routing={"enabled": True, "gatewayRef": gateway()})
        if propagation is None
        else runtime_config(routing={"enabled": True, "gatewayRef": gateway()})
    )
    return tree(write_tree, *docs, service(labels=labels))


def _labels(obj: Doc) -> dict[str, str]:
    return dict(obj["metadata"].get("labels") or {})


def test_star_pattern_does_not_cross_a_slash(write_tree, run_cli) -> None:
    root = _labelled(
        write_tree,
        {"team": "a", "example.com/team": "b"},
        {"enabled": True, "match": ["*"]},
    )
    labels = _labels(one(render(run_cli, root), "InferenceService"))
    assert labels.get("team") == "a"
    assert "example.com/team" not in labels


@pytest.mark.parametrize(
    ("pattern", "key"),
    [
        ("org.example/*", "org.example/cost"),
        ("compliance.*/severity", "compliance.sec/severity"),
        ("team-*", "team-alpha"),
    ],
)
def test_glob_patterns_propagate_matching_keys(write_tree, run_cli, pattern: str, key: str) -> None:
    root = _labelled(
        write_tree, {key: "v", "unrelated": "x"}, {"enabled": True, "match": [pattern]}
    )
    labels = _labels(one(render(run_cli, root), "InferenceService"))
    assert labels.get(key) == "v"
    assert "unrelated" not in labels


@pytest.mark.parametrize(
    "propagation",
    [None, {"enabled": False, "match": ["*"]}, {"enabled": True}],
    ids=["no-runtime-config", "disabled", "no-match-list"],
)
def test_aim_labels_always_propagate_and_user_labels_need_enabled_and_match(
    write_tree, run_cli, propagation: Doc | None
) -> None:
    root = _labelled(write_tree, {"aim.eai.amd.com/tier": "gold", "team": "a"}, propagation)
    items = render(run_cli, root)
    for obj in (
        one(items, "InferenceService"),
        route(items),
        pvc(items),
        one(items, "Job"),
        one(items, "RoleBinding"),
    ):
        labels = _labels(obj)
        assert labels.get("aim.eai.amd.com/tier") == "gold", obj["kind"]
        assert "team" not in labels, obj["kind"]
    pod = one(items, "Job")["spec"]["template"]["metadata"]["labels"]
    assert pod.get("aim.eai.amd.com/tier") == "gold"


def test_propagated_user_labels_reach_route_pvc_and_download_job_pod(write_tree, run_cli) -> None:
    root = _labelled(write_tree, {"team-name": "a"}, {"enabled": True, "match": ["team-*"]})
    items = render(run_cli, root)
    for obj in (one(items, "InferenceService"), route(items), pvc(items), one(items, "Job")):
        assert _labels(obj).get("team-name") == "a", obj["kind"]
    pod = one(items, "Job")["spec"]["template"]["metadata"]["labels"]
    assert pod.get("team-name") == "a"


def test_builder_labels_win_over_propagated_labels(write_tree, run_cli) -> None:
    root = _labelled(
        write_tree,
        {"app.kubernetes.io/component": "mine", "aim.eai.amd.com/service": "other"},
        {"enabled": True, "match": ["app.kubernetes.io/*"]},
    )
    labels = _labels(one(render(run_cli, root), "InferenceService"))
    assert labels["app.kubernetes.io/component"] == "inference"
    assert labels["aim.eai.amd.com/service"] == "svc"
    assert labels["app.kubernetes.io/managed-by"] == "aim-engine"
    assert labels["aim.eai.amd.com/service.name"] == "svc"
