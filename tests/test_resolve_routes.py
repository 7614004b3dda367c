"""Routes (§3.7, §4.2): the HTTPRoute, its path and timeouts, end to end through the CLI.

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
    line_of,
    located,
    model,
    one,
    render,
    render_errors,
    render_stderr,
    route,
    runtime_config,
    service,
    template,
    the_error,
    tree,
)

# --- routes (§3.7, §4.2) -----------------------------------------------------------------------------


def _route_tree(write_tree: WriteTree, svc: Doc, rc_routing: Doc | None = None) -> Path:
    routing = {"enabled": True, "gatewayRef": gateway(), **(rc_routing or {})}
    return tree(
        write_tree,
        model("llama-3-8b", ns="testing"),
        template(ns="testing", model_name="llama-3-8b"),
        runtime_config(cluster=True, routing=routing),
        svc,
    )


def _path(items: list[Doc]) -> str:
    return str(route(items)["spec"]["rules"][0]["matches"][0]["path"]["value"])


@pytest.mark.parametrize(
    ("path_template", "labels", "annotations", "expected"),
    [
        (
            "/{.metadata.namespace}/{.metadata.labels['aim.silogen.ai/workload-id']}/",
            {"aim.silogen.ai/workload-id": "Workload-42"},
            None,
            "/testing/workload-42",
        ),
        (
            "/{.metadata.annotations['route.suffix']}",
            None,
            {"route.suffix": "Team-A/B"},
            "/team-a/b",
        ),
        (None, None, None, "/testing/12345678-90ab"),
        ("/{.metadata.namespace}/{.status.resolvedModel.name}", None, None, "/testing/llama-3-8b"),
        ('/x/{.metadata.labels["k"]}', {"k": "V"}, None, "/x/v"),
        ("/{.metadata.name}//{.spec.model.name}/", None, None, "/demo/llama-3-8b"),
    ],
    ids=["label", "annotation", "default-uid", "resolved-model", "double-quoted-key", "cleaned"],
)
def test_route_path_vectors(
    write_tree,
    run_cli,
    path_template: str | None,
    labels: dict[str, str] | None,
    annotations: dict[str, str] | None,
    expected: str,
) -> None:
    spec: Doc = {"routing": {"pathTemplate": path_template}} if path_template is not None else {}
    svc = service(
        "demo",
        model={"name": "llama-3-8b"},
        ns="testing",
        uid="12345678-90ab",
        labels=labels,
        annotations=annotations,
        **spec,
    )
    assert _path(render(run_cli, _route_tree(write_tree, svc))) == expected


def test_route_path_vector_with_a_resolved_model_name_in_status() -> None:
    from aimctl.resolve.routepath import render_route_path

    view = {"metadata": {"name": "demo"}, "status": {"resolvedModel": {"name": "Meta/Llama-3-8B"}}}
    path, failure = render_route_path(
        "/{.metadata.namespace}/{.status.resolvedModel.name}", view, "Testing", "12345678-90ab"
    )
    assert (path, failure) == ("/testing/meta-llama-3-8b", None)


@pytest.mark.parametrize(
    "path_template",
    ["/{.spec.runtimeConfigName}", "/{.metadata.labels['missing']}", "/" + "a" * 201],
    ids=["unresolvable-inlined-field", "missing-label", "too-long"],
)
def test_failing_path_template_falls_back_to_the_default_path_with_a_warning(
    write_tree, run_cli, path_template: str
) -> None:
    svc = service(
        "demo",
        model={"name": "llama-3-8b"},
        ns="testing",
        uid="12345678-90ab",
        runtimeConfigName="default",
        routing={"pathTemplate": path_template},
    )
    root = _route_tree(write_tree, svc)
    items, stderr = render_stderr(run_cli, root)
    assert _path(items) == "/testing/12345678-90ab"
    assert "path template" in stderr
    assert f"all.yaml:{line_of(root, 'all.yaml', 'pathTemplate:')}:" in stderr


@pytest.mark.parametrize(
    ("written", "rendered"),
    [("120s", "2m0s"), ("1h", "1h0m0s"), ("90s", "1m30s"), ("500ms", "500ms"), ("0s", "0s")],
)
def test_route_timeout_is_written_in_go_duration_format(
    write_tree, run_cli, written: str, rendered: str
) -> None:
    root = _route_tree(
        write_tree,
        service("demo", model={"name": "llama-3-8b"}, ns="testing"),
        {"requestTimeout": written},
    )
    assert route(render(run_cli, root))["spec"]["rules"][0]["timeouts"] == {"request": rendered}


def test_route_and_isvc_names_and_backend_match_the_vectors(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(ns="ml-team"),
        template(ns="ml-team"),
        runtime_config(cluster=True, routing={"enabled": True, "gatewayRef": gateway()}),
        service("qwen-chat", ns="ml-team"),
    )
    items = render(run_cli, root)
    assert one(items, "InferenceService")["metadata"]["name"] == "qwen-chat-a04542d9"  # §5.6
    assert route(items)["metadata"]["name"] == "qwen-chat-a04542d9"
    assert route(items)["spec"]["rules"][0]["backendRefs"] == [
        {
            "kind": "Service",
            "name": "qwen-chat-a04542d9-predictor",
            "namespace": "ml-team",
            "port": 80,
        }
    ]


def test_long_service_name_is_shortened_for_the_isvc(write_tree, run_cli) -> None:
    name = "very-long-service-name-that-might-exceed-kubernetes-limits"
    root = tree(
        write_tree, model(ns="default"), template(ns="default"), service(name, ns="default")
    )
    isvc = one(render(run_cli, root), "InferenceService")
    assert isvc["metadata"]["name"] == "very-long-service-name-that-might-ex-1080a608"  # §5.6


def test_gateway_not_configured_is_an_error_at_the_service_routing(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={"models.yaml": base(), "svc.yaml": [service(routing={"enabled": True})]},
    )
    error = the_error(run_cli, root, "E_GATEWAY_NOT_CONFIGURED")
    assert error["file"] == "svc.yaml"
    assert error["line"] in (
        line_of(root, "svc.yaml", "routing:"),
        line_of(root, "svc.yaml", "enabled: true"),
    )


def test_gateway_not_configured_points_at_the_runtime_config_that_enabled_routing(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        files={
            "platform.yaml": [runtime_config(cluster=True, routing={"enabled": True})],
            "models.yaml": base(),
            "svc.yaml": [service()],
        },
    )
    error = the_error(run_cli, root, "E_GATEWAY_NOT_CONFIGURED")
    located(error, root, "platform.yaml", "enabled: true")


def test_gateway_not_configured_is_reported_before_model_resolution(write_tree, run_cli) -> None:
    root = tree(write_tree, service(model={"name": "ghost"}, routing={"enabled": True}))
    codes = {d["code"] for d in render_errors(run_cli, root)}
    assert "E_GATEWAY_NOT_CONFIGURED" in codes


def test_namespace_longer_than_42_characters_is_an_error(write_tree, run_cli) -> None:
    long_ns = "n" * 43
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(ns=long_ns), template(ns=long_ns)],
            "svc.yaml": [service(ns=long_ns)],
        },
    )
    error = the_error(run_cli, root, "E_NAMESPACE_TOO_LONG")
    located(error, root, "svc.yaml", f"namespace: {long_ns}")


def test_namespace_of_42_characters_still_renders(write_tree, run_cli) -> None:
    ns = "n" * 42
    root = tree(write_tree, model(ns=ns), template(ns=ns), service(ns=ns))
    name = one(render(run_cli, root), "InferenceService")["metadata"]["name"]
    assert len(name) <= 10
