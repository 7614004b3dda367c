"""Route path templates render, normalise and fall back exactly as the operator does (§4.2)."""

from __future__ import annotations

from typing import Any

import pytest

from aimctl.resolve.routepath import (
    RoutePathError,
    default_route_path,
    evaluate_expression,
    normalize_route_path,
    render_route_path,
)

NAMESPACE, UID = "Testing", "12345678-90ab"
DEFAULT = "/testing/12345678-90ab"


def demo(
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    **sections: Any,
) -> dict[str, Any]:
    """The operator's test service: namespace ``Testing``, name ``demo``, UID ``12345678-90ab``."""
    metadata: dict[str, Any] = {"name": "demo", "namespace": NAMESPACE, "uid": UID}
    if labels is not None:
        metadata["labels"] = labels
    if annotations is not None:
        metadata["annotations"] = annotations
    return {"metadata": metadata, **sections}


def render(template: str | None, service: dict[str, Any]) -> tuple[str, str | None]:
    return render_route_path(template, service, NAMESPACE, UID)


# --- the operator's own vectors -----------------------------------------------------------------


def test_label_template_vector_renders_lower_cased_label_value() -> None:
    service = demo(labels={"aim.silogen.ai/workload-id": "Workload-42"})
    template = "/{.metadata.namespace}/{.metadata.labels['aim.silogen.ai/workload-id']}/"
    assert render(template, service) == ("/testing/workload-42", None)


def test_resolved_model_template_vector_sanitises_the_model_name() -> None:
    service = demo(status={"resolvedModel": {"name": "Meta/Llama-3-8B"}})
    template = "/{.metadata.namespace}/{.status.resolvedModel.name}"
    assert render(template, service) == ("/testing/meta-llama-3-8b", None)


def test_annotation_template_vector_keeps_slashes_then_sanitises_segments() -> None:
    service = demo(annotations={"route.suffix": "Team-A/B"})
    assert render("/{.metadata.annotations['route.suffix']}", service) == ("/team-a/b", None)


def test_no_template_vector_uses_namespace_and_uid() -> None:
    assert render(None, demo()) == (DEFAULT, None)


# --- default path and fallback ------------------------------------------------------------------


def test_empty_template_uses_default_path_without_a_fallback_reason() -> None:
    assert render("", demo()) == (DEFAULT, None)


def test_runtime_config_name_does_not_resolve_and_falls_back_to_default() -> None:
    path, reason = render("/{.spec.runtimeConfigName}", demo(spec={"runtimeConfigName": "rc"}))
    assert path == DEFAULT
    assert reason is not None and "runtimeConfigName" in reason


@pytest.mark.parametrize(
    "template",
    [
        "/{.metadata.labels['missing']}",
        "/{.metadata.annotations['missing']}",
        "/{.metadata.labels.missing}",
        "/{.spec.model.image}",
        "/{.status.resolvedModel['name']}",
        '/{.status.resolvedModel["name"]}',
        "/{.spec.nothing}",
        "/{ }",
        "/{metadata.name}",
        "/{.spec..name}",
        "/{.spec.list[?(@.a)]}",
        "/{.spec.list[0,1]}",
        "   ",
        "/" + "a" * 200,
    ],
)
def test_any_template_error_silently_falls_back_to_default_path(template: str) -> None:
    service = demo(labels={}, spec={"list": ["a", "b"], "nothing": None, "model": {"name": "m"}})
    service["status"] = {"resolvedModel": {"name": "x"}}
    path, reason = render(template, service)
    assert path == DEFAULT
    assert reason


def test_list_value_renders_as_go_slice_formatting() -> None:
    assert render("/{.spec.list}", demo(spec={"list": ["A", "b"]})) == ("/a-b", None)


def test_default_path_is_root_when_namespace_and_uid_are_too_long() -> None:
    assert default_route_path("n" * 150, "u" * 60) == "/"
    assert render("/{.metadata.labels.nope}", demo(labels={}))[0] == DEFAULT


def test_namespace_and_uid_arguments_override_the_service_metadata() -> None:
    service = demo()
    service["metadata"]["uid"] = "stale"
    assert render_route_path("/{.metadata.uid}", service, "ns", "fresh-uid") == ("/fresh-uid", None)


# --- expression evaluation ----------------------------------------------------------------------


def test_dotted_label_access_and_double_quoted_exact_label_form_resolve() -> None:
    service = demo(labels={"team": "Blue", "a.b/c": "x"})
    assert evaluate_expression(".metadata.labels.team", service) == "Blue"
    assert evaluate_expression('.metadata.labels["a.b/c"]', service) == "x"


def test_escaped_dots_in_field_names_are_one_key() -> None:
    service = demo(labels={"a.b": "v"})
    assert evaluate_expression(".metadata.labels.a\\.b", service) == "v"


def test_non_string_values_use_go_default_formatting() -> None:
    service = demo(spec={"replicas": 3, "routing": {"enabled": True}, "ratio": 1e6})
    assert evaluate_expression(".spec.replicas", service) == "3"
    assert evaluate_expression(".spec.routing.enabled", service) == "true"
    assert evaluate_expression(".spec.ratio", service) == "1e+06"
    assert evaluate_expression(".spec.routing", service) == "map[enabled:true]"


def test_array_indexes_count_from_the_end_when_negative() -> None:
    service = demo(spec={"env": [{"name": "A"}, {"name": "B"}]})
    assert evaluate_expression(".spec.env[0].name", service) == "A"
    assert evaluate_expression(".spec.env[-1].name", service) == "B"
    assert evaluate_expression(".spec.env[*].name", demo(spec={"env": [{"name": "C"}]})) == "C"


@pytest.mark.parametrize(
    "expr", [".spec.env[*].name", ".spec.env[5]", ".spec.env.name", ".spec.env[x]"]
)
def test_multiple_or_missing_results_are_errors(expr: str) -> None:
    service = demo(spec={"env": [{"name": "A"}, {"name": "B"}]})
    with pytest.raises(RoutePathError):
        evaluate_expression(expr, service)


def test_root_marker_and_literals_follow_client_go() -> None:
    service = demo()
    assert evaluate_expression("$.metadata.name", service) == "demo"
    assert evaluate_expression("'v1'", service) == "v1"
    assert evaluate_expression(".metadata.name 7", service) == "7"


def test_annotation_values_are_only_trimmed_before_normalisation() -> None:
    service = demo(annotations={"p": "  Keep/This_Case  "}, labels={"l": "A/B"})
    assert render("/x{.metadata.annotations['p']}", service) == ("/xkeep/this-case", None)
    assert render("/x{.metadata.labels['l']}", service) == ("/xa-b", None)


def test_empty_value_leaves_literal_text_around_it() -> None:
    service = demo(spec={"model": {"name": ""}})
    assert render("/a-{.spec.model.name}-b", service) == ("/a--b", None)


# --- normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ("a/b", "/a/b"),
        ("//A//B//", "/a/b"),
        ("/", "/"),
        ("/!!!/x", "/x"),
        ("  /Team A/ x ", "/team-a/x"),
        ("/" + "a" * 199, "/" + "a" * 63),
    ],
)
def test_normalize_route_path(raw: str, path: str) -> None:
    assert normalize_route_path(raw) == path


@pytest.mark.parametrize("raw", ["", "  ", "/" + "a" * 200, "é" * 101])
def test_normalize_route_path_rejects_empty_and_over_200_bytes(raw: str) -> None:
    with pytest.raises(RoutePathError):
        normalize_route_path(raw)
