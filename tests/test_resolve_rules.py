"""Every resolution rule and every error reason, end to end through the CLI.

Model resolution (§3.2, §4.3, §4.4), template resolution and automatic selection with the exact
ranking (§3.3), the inference container's env (§3.4.2), replicas and autoscaling (§4.1), label
propagation (§6), routes (§4.2), caches and PVCs (§4.6, §4.8, §4.9), the §5.6 name vectors, and the
error reasons of §9.2/§9.3 with the file and line of the value that caused them. Tests keep the
operator's behaviour as operator-behaviour.md states it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aimctl.catalog import Catalog
from aimctl.resolve.templates import TemplateIndex
from tests.test_resolve_precedence import (
    Doc,
    WriteTree,
    _templates_compiled_once,  # noqa: F401  (autouse fixture: compile the templates once)
    base,
    container,
    env_map,
    explain,
    frozen,
    gateway,
    line_of,
    model,
    of_kind,
    one,
    project,
    pvc,
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


def _selected(items: list[Doc]) -> str:
    """The template the InferenceService was built from (its ``aim.eai.amd.com/template`` label)."""
    return str(one(items, "InferenceService")["metadata"]["labels"]["aim.eai.amd.com/template"])


def _candidates(trace: Doc) -> dict[str, Doc]:
    return {row["template"]: row for row in trace["template"]["candidates"]}


def _located(error: Doc, root: Path, file: str, needle: str, after: str = "") -> None:
    """The diagnostic points at ``file`` and the line holding ``needle``."""
    assert (error["file"], error["line"]) == (file, line_of(root, file, needle, after)), error


def _at_model_reference(error: Doc, root: Path, file: str = "svc.yaml") -> None:
    """An automatic-selection error points at the service's model reference (``model:``/``name:``)."""
    assert error["file"] == file, error
    assert error["line"] in (line_of(root, file, "model:"), line_of(root, file, "name: m")), error


# --- model resolution (§3.2) -------------------------------------------------------------------------


def test_model_name_namespace_model_over_cluster_model(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(image="example.com/namespace:1"),
        model(image="example.com/cluster:1", cluster=True),
        template(),
        service(),
    )
    assert container(render(run_cli, root))["image"] == "example.com/namespace:1"


def test_model_name_falls_back_to_cluster_model(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(image="example.com/cluster:1", cluster=True),
        template(cluster=True),
        service(),
    )
    assert container(render(run_cli, root))["image"] == "example.com/cluster:1"


def test_model_name_is_trimmed(write_tree, run_cli) -> None:
    root = tree(write_tree, *base(), service(model={"name": " m "}))
    assert container(render(run_cli, root))["image"] == "example.com/m:1"


def test_model_not_found_is_an_error_at_the_model_name(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={"models.yaml": base(), "svc.yaml": [service(model={"name": "ghost"})]},
    )
    error = the_error(run_cli, root, "E_MODEL_NOT_FOUND")
    _located(error, root, "svc.yaml", "name: ghost")
    assert 'model "ghost" not found in namespace team or cluster scope' in error["message"]


def test_model_of_another_namespace_is_not_found(write_tree, run_cli) -> None:
    root = tree(write_tree, model(ns="other"), template(ns="other"), service())
    the_error(run_cli, root, "E_MODEL_NOT_FOUND")


def test_model_image_exact_match_uses_the_existing_cluster_model(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model("cm", image="example.com/m:1", cluster=True),
        template(cluster=True, model_name="cm"),
        service(model={"image": "example.com/m:1"}),
    )
    items = render(run_cli, root, "--include-intermediates")
    assert container(items)["image"] == "example.com/m:1"
    assert of_kind(items, "AIMModel") == []  # nothing auto-created
    assert explain(run_cli, root, "team/svc")["model"]["name"] == "cm"


def test_model_image_match_is_byte_for_byte(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model("cm", image="Example.com/m:1", cluster=True),
        template(cluster=True, model_name="cm"),
        service(model={"image": "example.com/m:1"}),
    )
    found = explain(run_cli, root, "team/svc")["model"]
    assert (found["autoCreated"], found["name"]) == (True, "m-1-" + found["name"][-8:])


def test_image_without_a_model_auto_creates_one_named_by_the_image(write_tree, run_cli) -> None:
    image = "amdenterpriseai/aim-qwen-qwen3-32b:0.8.5"
    auto = "aim-qwen-qwen3-32b-0-8-5-cdc1fb22"  # §5.6
    root = tree(
        write_tree,
        template(model_name=auto),
        service(
            model={"image": image},
            runtimeConfigName="default",
            serviceAccountName="runner",
            imagePullSecrets=[{"name": "pull"}],
        ),
    )
    items = render(run_cli, root, "--include-intermediates")
    created = one(items, "AIMModel")
    assert created["metadata"]["name"] == auto
    assert created["metadata"]["labels"]["aim.eai.amd.com/origin"] == "auto-generated"
    assert created["spec"] == {
        "image": image,
        "runtimeConfigName": "default",
        "imagePullSecrets": [{"name": "pull"}],
        "serviceAccountName": "runner",
        "resources": {},
    }
    assert "ownerReferences" not in created["metadata"]
    assert container(items)["image"] == image


def test_model_image_matching_a_namespace_and_a_cluster_model_is_ambiguous(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [
                model("a", image="example.com/m:1"),
                model("b", image="example.com/m:1", cluster=True),
                template(model_name="a"),
            ],
            "svc.yaml": [service(model={"image": "example.com/m:1"})],
        },
    )
    error = the_error(run_cli, root, "E_MODEL_AMBIGUOUS_IMAGE")
    _located(error, root, "svc.yaml", "image: example.com/m:1")
    assert "team/a (namespace)" in error["message"]
    assert "b (cluster)" in error["message"]


def test_two_namespace_models_with_the_same_image_are_ambiguous(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model("a"),
        model("b"),
        template(model_name="a"),
        service(model={"image": "example.com/m:1"}),
    )
    the_error(run_cli, root, "E_MODEL_AMBIGUOUS_IMAGE")


def test_model_image_in_another_namespace_does_not_count(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model("a", ns="other"),
        model("b", cluster=True),
        template(cluster=True, model_name="b"),
        service(model={"image": "example.com/m:1"}),
    )
    assert explain(run_cli, root, "team/svc")["model"]["name"] == "b"


@pytest.mark.parametrize("image", ["example.com/m:", "example.com/m@sha256", "@"])
def test_unparsable_image_is_an_invalid_image_error(write_tree, run_cli, image: str) -> None:
    root = tree(write_tree, files={"svc.yaml": [service(model={"image": image})]})
    error = the_error(run_cli, root, "E_INVALID_IMAGE")
    _located(error, root, "svc.yaml", "image:")


def _custom(
    *,
    base_image: str = "example.com/base:1",
    model_id: str = "org/c",
    uri: str = "hf://org/c",
    size: str = "2Gi",
    env: list[Doc] | None = None,
) -> Doc:
    source: Doc = {"modelId": model_id, "sourceUri": uri, "size": size}
    if env is not None:
        source["env"] = env
    return {
        "custom": {
            "baseImage": base_image,
            "modelSources": [source],
            "hardware": {"gpu": {"model": "MI300X", "requests": 1}},
        }
    }


def _custom_model(
    name: str = "existing", *, ns: str = "team", cluster: bool = False, env: list[Doc] | None = None
) -> Doc:
    source: Doc = {"modelId": "org/c", "sourceUri": "hf://org/c", "size": "1Gi"}
    if env is not None:
        source["env"] = env
    return model(
        name,
        image="example.com/base:1",
        ns=ns,
        cluster=cluster,
        modelSources=[source],
        custom={"hardware": {"gpu": {"model": "MI300X", "requests": 1}}},
    )


def test_custom_model_matches_a_namespace_model_by_base_image_and_sources(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        _custom_model(env=[{"name": "HF_TOKEN", "value": "other"}]),
        service(
            model=_custom(env=[{"name": "HF_TOKEN", "value": "mine"}]),
            template={"allowUnoptimized": True},
        ),
    )
    found = explain(run_cli, root, "team/svc")["model"]
    assert (found["name"], found["autoCreated"]) == ("existing", False)
    items = render(run_cli, root)
    assert container(items)["image"] == "example.com/base:1"


@pytest.mark.parametrize(
    ("on_model", "on_service", "matches"),
    [
        ({"value": "http://a"}, {"value": "http://a"}, True),
        ({"value": "http://a"}, {"value": "http://b"}, False),
        (None, {"value": "http://a"}, False),
        (None, {"valueFrom": {"secretKeyRef": {"name": "s3", "key": "url"}}}, True),
    ],
    ids=["same-literal", "different-literal", "missing-vs-literal", "missing-vs-valueFrom"],
)
def test_custom_model_match_compares_only_the_aws_endpoint_url_literal(
    write_tree, run_cli, on_model: Doc | None, on_service: Doc, matches: bool
) -> None:
    model_env = [{"name": "AWS_ENDPOINT_URL", **on_model}] if on_model else None
    root = tree(
        write_tree,
        _custom_model(env=model_env),
        service(
            model=_custom(env=[{"name": "AWS_ENDPOINT_URL", **on_service}]),
            template={"allowUnoptimized": True},
        ),
    )
    found = explain(run_cli, root, "team/svc")["model"]
    assert (found["name"] == "existing") is matches
    assert found["autoCreated"] is not matches


@pytest.mark.parametrize(
    "other",
    [
        {"model_id": "org/other"},
        {"uri": "hf://org/other"},
        {"base_image": "example.com/base:2"},
    ],
    ids=["modelId", "sourceUri", "baseImage"],
)
def test_custom_model_differing_in_a_compared_field_is_not_matched(
    write_tree, run_cli, other: dict[str, str]
) -> None:
    root = tree(
        write_tree,
        _custom_model(),
        service(model=_custom(**other), template={"allowUnoptimized": True}),
    )
    assert explain(run_cli, root, "team/svc")["model"]["autoCreated"] is True


def test_custom_model_match_ignores_cluster_models_and_other_namespaces(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        _custom_model(cluster=True),
        _custom_model("elsewhere", ns="other"),
        service(model=_custom(), template={"allowUnoptimized": True}),
    )
    assert explain(run_cli, root, "team/svc")["model"]["autoCreated"] is True


def test_unmatched_custom_model_is_auto_created_with_its_template(write_tree, run_cli) -> None:
    custom = _custom(
        base_image="ghcr.io/silogen/aim-dummy:0.1.10",
        model_id="inline/test-model",
        uri="hf://sshleifer/tiny-gpt2",
    )
    root = tree(
        write_tree,
        service(
            model=custom,
            template={"allowUnoptimized": True},
            env=[{"name": "HF_HOME", "value": "/h"}],
        ),
    )
    items = render(run_cli, root, "--include-intermediates")
    created = one(items, "AIMModel")
    assert created["metadata"]["name"] == "inline-test-model-2cfa2a00"  # §5.6
    assert {
        k: created["metadata"]["labels"][k]
        for k in (
            "aim.eai.amd.com/origin",
            "aim.eai.amd.com/custom-model",
            "aim.eai.amd.com/service",
        )
    } == {
        "aim.eai.amd.com/origin": "auto-generated",
        "aim.eai.amd.com/custom-model": "true",
        "aim.eai.amd.com/service": "svc",
    }
    assert created["spec"]["image"] == "ghcr.io/silogen/aim-dummy:0.1.10"
    assert created["spec"]["env"] == [{"name": "HF_HOME", "value": "/h"}]
    generated = one(items, "AIMServiceTemplate")
    assert generated["spec"]["type"] == "unoptimized"
    assert _selected(items) == generated["metadata"]["name"]
    assert container(items)["image"] == "ghcr.io/silogen/aim-dummy:0.1.10"
    assert env_map(items)["AIM_MODEL_ID"] == "inline/test-model"


def test_auto_generated_custom_template_needs_allow_unoptimized(write_tree, run_cli) -> None:
    root = tree(write_tree, files={"svc.yaml": [service(model=_custom())]})
    error = the_error(run_cli, root, "E_ONLY_UNOPTIMIZED")
    _located(error, root, "svc.yaml", "model:")


@pytest.mark.parametrize("state", ["Failed", "Progressing", "Pending", "Degraded"])
def test_model_that_is_not_ready_is_an_error(write_tree, run_cli, state: str) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(status={"status": state}), template()],
            "svc.yaml": [service()],
        },
    )
    error = the_error(run_cli, root, "E_MODEL_NOT_READY")
    _located(error, root, "svc.yaml", "name: m")


# --- runtime config lookup (§2.5) ----------------------------------------------------------------------


def test_missing_named_runtime_config_is_an_error_at_the_name(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [*base(), runtime_config(cluster=True)],
            "svc.yaml": [service(runtimeConfigName="gold")],
        },
    )
    error = the_error(run_cli, root, "E_RUNTIME_CONFIG_NOT_FOUND")
    _located(error, root, "svc.yaml", "runtimeConfigName: gold")
    assert "RuntimeConfig gold not found" in error["message"]


def test_named_runtime_config_found_in_the_namespace_only(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config("gold", env=[{"name": "TIER", "value": "gold"}]),
        service(runtimeConfigName="gold"),
    )
    assert env_map(render(run_cli, root))["TIER"] == "gold"


# --- explicit template name (§3.3.1) ---------------------------------------------------------------


def test_explicit_template_namespace_over_cluster(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("t", gpu="MI300X"),
        template("t", cluster=True, gpu="MI325X"),
        service(template={"name": "t"}),
    )
    selected = explain(run_cli, root, "team/svc")["template"]["selected"]
    assert (selected["kind"], selected["namespace"]) == ("AIMServiceTemplate", "team")


def test_explicit_template_falls_back_to_cluster_template(write_tree, run_cli) -> None:
    root = tree(write_tree, model(), template("t", cluster=True), service(template={"name": "t"}))
    items = render(run_cli, root)
    assert _selected(items) == "t"
    assert explain(run_cli, root, "team/svc")["template"]["selected"]["kind"] == (
        "AIMClusterServiceTemplate"
    )


def test_explicit_template_is_used_without_the_selection_filters(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("best"),
        template("slow", type_="unoptimized", gpu="MI210"),
        service(template={"name": "slow"}),
    )
    assert _selected(render(run_cli, root)) == "slow"


def test_explicit_template_not_found_is_an_error_at_the_template_name(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={"models.yaml": base(), "svc.yaml": [service(template={"name": "nope"})]},
    )
    error = the_error(run_cli, root, "E_TEMPLATE_NOT_FOUND")
    _located(error, root, "svc.yaml", "name: nope")
    assert 'template "nope" not found' in error["message"]


def test_explicit_template_with_overrides_is_looked_up_by_its_derived_name(
    write_tree, run_cli
) -> None:
    """The quirk of §3.3.1: the namespace base template is never looked up by its base name."""
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template("my-template")],
            "svc.yaml": [
                service(template={"name": "my-template"}, overrides={"metric": "latency"})
            ],
        },
    )
    error = the_error(run_cli, root, "E_TEMPLATE_NOT_FOUND")
    assert 'template "my-template-ovr-latency-817c" not found' in error["message"]  # §5.6 vector
    _located(error, root, "svc.yaml", "name: my-template")


def test_explicit_template_with_overrides_finds_the_cluster_template_by_base_name(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        model(),
        template("my-template", cluster=True),
        service(template={"name": "my-template"}, overrides={"metric": "latency"}),
    )
    assert _selected(render(run_cli, root)) == "my-template"


def test_explicit_template_with_overrides_finds_an_existing_derived_template(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        model(),
        template("my-template"),
        template("my-template-ovr-latency-817c"),
        service(template={"name": "my-template"}, overrides={"metric": "latency"}),
    )
    assert _selected(render(run_cli, root)) == "my-template-ovr-latency-817c"


@pytest.mark.parametrize("state", ["Failed", "NotAvailable", "Progressing"])
def test_explicit_template_that_is_not_ready_is_an_error(write_tree, run_cli, state: str) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template(sources=False, status=frozen(state))],
            "svc.yaml": [service(template={"name": "t"})],
        },
    )
    error = the_error(run_cli, root, "E_TEMPLATE_NOT_READY")
    _located(error, root, "svc.yaml", "name: t")


def test_explicit_template_that_needs_discovery_is_an_error_saying_how_to_fix_it(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template(sources=False)],
            "svc.yaml": [service(template={"name": "t"})],
        },
    )
    error = the_error(run_cli, root, "E_TEMPLATE_NEEDS_DISCOVERY")
    _located(error, root, "svc.yaml", "name: t")
    assert "modelSources" in error["hint"]


def test_selected_template_without_model_sources_is_an_error(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base()[:1],
        template(sources=False, status=frozen(sources=False)),
        service(),
    )
    assert "no model sources" in the_error(run_cli, root, "E_TEMPLATE_NO_MODEL_SOURCES")["message"]


def test_template_without_model_sources_is_an_error_at_the_template(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template(sources=False, status=frozen(sources=False))],
            "svc.yaml": [service()],
        },
    )
    error = the_error(run_cli, root, "E_TEMPLATE_NO_MODEL_SOURCES")
    assert error["file"] == "models.yaml"
    assert error["line"] >= line_of(root, "models.yaml", "kind: AIMServiceTemplate")


# --- automatic selection: candidates and stages (§3.3.2) -------------------------------------------


def test_no_template_for_the_model_is_an_error(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), model("other"), template(model_name="other")],
            "svc.yaml": [service()],
        },
    )
    error = the_error(run_cli, root, "E_NO_TEMPLATE")
    assert error["file"] == "svc.yaml"
    assert error["line"] in (
        line_of(root, "svc.yaml", "model:"),
        line_of(root, "svc.yaml", "name: m"),
    )


def test_only_ready_templates_are_selectable(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template(
            "absent", gpu="MI325X", sources=False, status=frozen("NotAvailable", gpu="MI325X")
        ),
        template("ok"),
        service(),
    )
    # NotAvailable, not Failed: a Failed template would also keep the model from being Ready (§4.11)
    assert _selected(render(run_cli, root)) == "ok"
    rows = _candidates(explain(run_cli, root, "team/svc"))
    assert rows["absent"]["reason"] == "TemplateNotAvailable"


@pytest.mark.parametrize("state", ["Failed", "Progressing"])
def test_a_non_ready_template_of_the_model_blocks_its_services(
    write_tree, run_cli, state: str
) -> None:
    root = tree(
        write_tree,
        model(),
        template("broken", gpu="MI325X", sources=False, status=frozen(state, gpu="MI325X")),
        template("ok"),
        service(),
    )
    the_error(run_cli, root, "E_MODEL_NOT_READY")


def test_no_ready_template_is_a_template_not_ready_error(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template(sources=False, status=frozen("Progressing"))],
            "svc.yaml": [service()],
        },
    )
    _at_model_reference(the_error(run_cli, root, "E_TEMPLATE_NOT_READY"), root)


def test_templates_needing_discovery_fail_selection_saying_how_to_fix_it(
    write_tree, run_cli
) -> None:
    root = tree(write_tree, model(), template(sources=False), service())
    (error,) = render_errors(run_cli, root)
    assert error["code"] in ("E_TEMPLATE_NEEDS_DISCOVERY", "E_TEMPLATE_NOT_READY")
    assert "modelSources" in error["message"] + (error["hint"] or "")


def test_unoptimized_template_is_dropped_without_allow_unoptimized(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("fast", type_="unoptimized", gpu="MI325X"),
        template("ok", gpu="MI210"),
        service(),
    )
    assert _selected(render(run_cli, root)) == "ok"
    rows = _candidates(explain(run_cli, root, "team/svc"))
    assert rows["fast"]["reason"] == "UnoptimizedTemplateFiltered"


@pytest.mark.parametrize("type_", ["unoptimized", "preview", None])
def test_only_non_optimized_templates_is_an_error(write_tree, run_cli, type_: str | None) -> None:
    root = tree(
        write_tree,
        files={"models.yaml": [model(), template(type_=type_)], "svc.yaml": [service()]},
    )
    _at_model_reference(the_error(run_cli, root, "E_ONLY_UNOPTIMIZED"), root)


@pytest.mark.parametrize("type_", ["unoptimized", "preview", None])
def test_allow_unoptimized_accepts_non_optimized_templates(
    write_tree, run_cli, type_: str | None
) -> None:
    root = tree(
        write_tree, model(), template(type_=type_), service(template={"allowUnoptimized": True})
    )
    assert _selected(render(run_cli, root)) == "t"


def test_template_without_a_profile_counts_as_unoptimized(write_tree, run_cli) -> None:
    no_profile = frozen(type_=None)
    root = tree(write_tree, model(), template(sources=False, status=no_profile), service())
    the_error(run_cli, root, "E_ONLY_UNOPTIMIZED")
    root = tree(
        write_tree,
        model(),
        template(sources=False, status=no_profile),
        service(template={"allowUnoptimized": True}),
    )
    assert _selected(render(run_cli, root)) == "t"


@pytest.mark.parametrize(
    ("spec_type", "status_type", "selectable"),
    [("optimized", "preview", False), ("unoptimized", "optimized", True)],
)
def test_template_spec_type_is_ignored_when_the_status_is_frozen(
    write_tree, run_cli, spec_type: str, status_type: str, selectable: bool
) -> None:
    """The profile type comes from the status; spec.type counts only for inline-source templates."""
    root = tree(
        write_tree,
        model(),
        template(type_=spec_type, sources=False, status=frozen(type_=status_type)),
        service(),
    )
    if selectable:
        assert _selected(render(run_cli, root)) == "t"
    else:
        the_error(run_cli, root, "E_ONLY_UNOPTIMIZED")


def test_allow_unoptimized_still_prefers_optimized(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("u", type_="unoptimized", gpu="MI325X"),
        template("o", gpu="MI210"),
        service(template={"allowUnoptimized": True}),
    )
    assert _selected(render(run_cli, root)) == "o"


def _override_tree(write_tree: WriteTree, overrides: Doc, *templates: Doc) -> Path:
    return tree(write_tree, model(), *templates, service(overrides=overrides))


def test_metric_override_filters_candidates(write_tree, run_cli) -> None:
    root = _override_tree(
        write_tree,
        {"metric": "throughput"},
        template("lat", metric="latency"),
        template("thr", metric="throughput"),
    )
    assert _selected(render(run_cli, root)) == "thr"


def test_precision_override_filters_candidates(write_tree, run_cli) -> None:
    root = _override_tree(
        write_tree,
        {"precision": "fp16"},
        template("fp8", precision="fp8"),
        template("fp16", precision="fp16"),
    )
    assert _selected(render(run_cli, root)) == "fp16"


@pytest.mark.parametrize("written", ["MI300X", "mi300x", "Instinct MI300X"])
def test_gpu_model_override_compares_normalised_names_case_insensitively(
    write_tree, run_cli, written: str
) -> None:
    root = _override_tree(
        write_tree,
        {"hardware": {"gpu": {"model": written}}},
        template("mi325x", gpu="MI325X"),
        template("mi300x", gpu="MI300X"),
    )
    assert _selected(render(run_cli, root)) == "mi300x"


def test_gpu_count_override_filters_candidates(write_tree, run_cli) -> None:
    root = _override_tree(
        write_tree,
        {"hardware": {"gpu": {"requests": 2}}},
        template("one", count=1),
        template("two", count=2),
    )
    assert _selected(render(run_cli, root)) == "two"


def test_gpu_model_override_keeps_candidates_without_a_gpu_model(write_tree, run_cli) -> None:
    root = _override_tree(
        write_tree,
        {"hardware": {"gpu": {"model": "MI300X"}}},
        template("mi325x", gpu="MI325X"),
        template("cpu", gpu=None, count=0),
    )
    assert _selected(render(run_cli, root)) == "cpu"


def test_metric_override_rejects_candidates_with_unknown_metric(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template(metric=None)],
            "svc.yaml": [service(overrides={"metric": "latency"})],
        },
    )
    _at_model_reference(the_error(run_cli, root, "E_NO_TEMPLATE"), root)
    rows = _candidates(explain(run_cli, root, "team/svc"))
    assert rows["t"]["reason"] == "ServiceOverridesNotMatched"


def test_metric_and_precision_overrides_compare_case_insensitively(write_tree) -> None:
    """The operator compares with EqualFold; the CRD enums keep inputs lower-case, so this checks
    the selection function directly with a discovered profile written ``Latency``/``FP8``."""
    from aimctl.pipeline import LoadOptions, load_inputs
    from aimctl.resolve.inventory import GpuInventory
    from aimctl.resolve.model import resolve_model
    from aimctl.resolve.selection import select_template

    root = tree(
        write_tree,
        model(),
        template(sources=False, status=frozen(), metric=None, precision=None),
        service(overrides={"metric": "latency", "precision": "fp8"}),
    )
    inputs = load_inputs(LoadOptions(paths=(root,)))
    assert not inputs.has_errors, inputs.diagnostics
    inventory = GpuInventory.from_project(inputs.project)
    index = TemplateIndex.build(inputs.catalog, inventory)
    view = index.get("team", "t")
    assert view is not None
    view.status["profile"]["metadata"].update(metric="Latency", precision="FP8")
    (svc,) = inputs.catalog.of_kind("AIMService")
    resolved, problems = resolve_model(inputs.catalog, svc)
    assert resolved is not None and not problems
    selection, problems = select_template(index, svc, resolved, inventory)
    assert problems == []
    assert selection.template is view


def test_cluster_gpus_drop_templates_for_gpus_not_on_the_nodes(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("mi325x", gpu="MI325X"),
        template("mi300x", gpu="MI300X"),
        service(),
        files={"aimctl.yaml": [project(["MI300X"])]},
    )
    items, stderr = render_stderr(run_cli, root)
    assert _selected(items) == "mi300x"
    assert "assumed" not in stderr


def test_frozen_ready_template_for_a_missing_gpu_is_dropped(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template(hw=False, sources=False, status=frozen(gpu="MI325X")),
        service(),
        files={"aimctl.yaml": [project(["MI300X"])]},
    )
    the_error(run_cli, root, "E_NO_TEMPLATE")
    rows = _candidates(explain(run_cli, root, "team/svc"))
    assert rows["t"]["reason"] == "RequiredGPUNotInCluster"


def test_cluster_gpu_names_are_normalised(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        service(),
        files={"aimctl.yaml": [project(["Instinct MI300X"])]},
    )
    assert _selected(render(run_cli, root)) == "t"


@pytest.mark.parametrize(
    ("gpus", "available"),
    [([{"model": "MI300X"}], False), ([{"model": "MI300X", "vram": "256Gi"}], True)],
    ids=["table-vram-192G", "declared-vram-256Gi"],
)
def test_min_vram_template_needs_a_cluster_gpu_with_enough_vram(
    write_tree, run_cli, gpus: list[Doc], available: bool
) -> None:
    root = tree(
        write_tree,
        model(),
        template(hardware={"gpu": {"requests": 1, "minVram": "200Gi"}}),
        service(),
        files={"aimctl.yaml": [project(gpus)]},
    )
    if available:
        assert _selected(render(run_cli, root)) == "t"
    else:
        the_error(run_cli, root, "E_TEMPLATE_NOT_READY")


@pytest.mark.parametrize(
    ("gpus", "available"), [([], False), (["MI210"], True)], ids=["no-gpus", "some-gpu"]
)
def test_template_requesting_gpus_without_a_model_needs_any_cluster_gpu(
    write_tree, run_cli, gpus: list[str], available: bool
) -> None:
    root = tree(
        write_tree,
        model(),
        template(gpu=None, count=1),
        service(),
        files={"aimctl.yaml": [project(gpus)]},
    )
    if available:
        assert _selected(render(run_cli, root)) == "t"
    else:
        the_error(run_cli, root, "E_TEMPLATE_NOT_READY")


def test_without_cluster_gpus_every_gpu_is_assumed_and_said_once(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template(gpu="MI355X"),
        service("a"),
        service("b"),
    )
    items, stderr = render_stderr(run_cli, root)
    assert {_selected([i]) for i in of_kind(items, "InferenceService")} == {"t"}
    assert stderr.count("assumed") == 1


def test_namespace_candidates_drop_cluster_candidates(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        model(cluster=True),
        template("cluster-best", cluster=True, gpu="MI325X"),
        template("namespace-ok", gpu="MI210"),
        service(),
    )
    assert _selected(render(run_cli, root)) == "namespace-ok"


def test_cluster_candidates_kept_when_no_namespace_candidate_survives(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        model(cluster=True),
        template("cluster-ok", cluster=True, gpu="MI210"),
        template("namespace-absent", sources=False, status=frozen("NotAvailable")),
        service(),
    )
    assert _selected(render(run_cli, root)) == "cluster-ok"


def test_namespace_template_of_a_cluster_model_never_becomes_ready(write_tree, run_cli) -> None:
    root = tree(write_tree, model(cluster=True), template(), service())
    the_error(run_cli, root, "E_TEMPLATE_NOT_READY")


# --- automatic selection: ranking (§3.3.2 step 6) --------------------------------------------------

RANKED_PAIRS = [
    # (what decides, better template attributes, worse template attributes)
    ("type optimized", {"type_": "optimized"}, {"type_": "preview"}),
    ("type preview", {"type_": "preview"}, {"type_": "unoptimized"}),
    ("type known", {"type_": "unoptimized"}, {"type_": None}),
    ("gpu MI325X", {"gpu": "MI325X"}, {"gpu": "MI300X"}),
    ("gpu MI300X", {"gpu": "MI300X"}, {"gpu": "MI250X"}),
    ("gpu MI250X", {"gpu": "MI250X"}, {"gpu": "MI210"}),
    ("gpu MI210 over MI355X", {"gpu": "MI210"}, {"gpu": "MI355X"}),
    ("gpu MI210 over MI300A", {"gpu": "MI210"}, {"gpu": "MI300A"}),
    ("gpu MI210 over CPU", {"gpu": "MI210"}, {"gpu": None, "count": 0}),
    ("gpu not normalised", {"gpu": "MI210"}, {"gpu": "Instinct MI300X"}),
    ("gpu upper-cased", {"gpu": "mi300x"}, {"gpu": "MI250X"}),
    ("metric latency", {"metric": "latency"}, {"metric": "throughput"}),
    ("metric known", {"metric": "throughput"}, {"metric": None}),
    ("precision fp4", {"precision": "fp4"}, {"precision": "int4"}),
    ("precision int4", {"precision": "int4"}, {"precision": "fp8"}),
    ("precision fp8", {"precision": "fp8"}, {"precision": "int8"}),
    ("precision int8", {"precision": "int8"}, {"precision": "fp16"}),
    ("precision fp16", {"precision": "fp16"}, {"precision": "bf16"}),
    ("precision bf16", {"precision": "bf16"}, {"precision": "fp32"}),
    ("precision fp32", {"precision": "fp32"}, {"precision": "auto"}),
    ("precision fp32 over none", {"precision": "fp32"}, {"precision": None}),
    (
        "type before gpu",
        {"type_": "optimized", "gpu": "MI210"},
        {"type_": "preview", "gpu": "MI325X"},
    ),
    (
        "gpu before metric",
        {"gpu": "MI325X", "metric": "throughput"},
        {"gpu": "MI300X", "metric": "latency"},
    ),
    (
        "metric before precision",
        {"metric": "latency", "precision": "fp32"},
        {"metric": "throughput", "precision": "fp4"},
    ),
]


@pytest.mark.parametrize(
    ("better", "worse"), [(b, w) for _, b, w in RANKED_PAIRS], ids=[i for i, _, _ in RANKED_PAIRS]
)
def test_ranking_selects_the_better_template_whatever_the_candidate_order(
    write_tree, run_cli, better: dict[str, Any], worse: dict[str, Any]
) -> None:
    """Two services, one where the better template sorts first and one where it sorts last."""
    root = tree(
        write_tree,
        model("x"),
        template("a-better", model_name="x", **better),
        template("z-worse", model_name="x", **worse),
        service("sx", model={"name": "x"}, template={"allowUnoptimized": True}),
        model("y"),
        template("a-worse", model_name="y", **worse),
        template("z-better", model_name="y", **better),
        service("sy", model={"name": "y"}, template={"allowUnoptimized": True}),
    )
    chosen = {
        isvc["metadata"]["labels"]["aim.eai.amd.com/service.name"]: _selected([isvc])
        for isvc in of_kind(render(run_cli, root), "InferenceService")
    }
    assert chosen == {"sx": "a-better", "sy": "z-better"}


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"count": 1}, {"count": 2}),
        ({"gpu": "MI355X"}, {"gpu": "MI300A"}),
        ({"gpu": "MI355X"}, {"gpu": None, "count": 0}),
        ({"precision": "auto"}, {"precision": None}),
    ],
    ids=["gpu-count-not-ranked", "unknown-gpus", "unknown-gpu-and-cpu", "auto-and-no-precision"],
)
def test_tie_on_the_best_rank_is_an_ambiguous_selection_error(
    write_tree, run_cli, first: Doc, second: Doc
) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template("a", **first), template("b", **second)],
            "svc.yaml": [service()],
        },
    )
    error = the_error(run_cli, root, "E_TEMPLATE_AMBIGUOUS")
    _at_model_reference(error, root)
    assert "team/a" in error["message"] and "team/b" in error["message"]


def test_tie_below_the_best_rank_is_not_ambiguous(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("best", gpu="MI325X"),
        template("tie-a", gpu="MI210", count=1),
        template("tie-b", gpu="MI210", count=2),
        service(),
    )
    assert _selected(render(run_cli, root)) == "best"


# --- sticky status references (§3.2 step 0, §3.3 step 0) -------------------------------------------


def test_sticky_resolved_template_short_circuits_selection(write_tree, run_cli) -> None:
    sticky = {"resolvedTemplate": {"name": "worse", "namespace": "team", "scope": "Namespace"}}
    root = tree(
        write_tree,
        model(),
        template("best", gpu="MI325X"),
        template("worse", gpu="MI210"),
        service(status=sticky),
    )
    assert _selected(render(run_cli, root)) == "worse"


def test_sticky_cluster_template_reference(write_tree, run_cli) -> None:
    sticky = {"resolvedTemplate": {"name": "pinned", "scope": "Cluster"}}
    root = tree(
        write_tree,
        *base(),
        template("pinned", cluster=True, model_name="something-else"),
        service(status=sticky),
    )
    assert _selected(render(run_cli, root)) == "pinned"


@pytest.mark.parametrize("present", [False, True], ids=["missing", "not-ready"])
def test_sticky_resolved_template_is_ignored_unless_it_exists_and_is_ready(
    write_tree, run_cli, present: bool
) -> None:
    sticky = {"resolvedTemplate": {"name": "gone", "namespace": "team", "scope": "Namespace"}}
    docs = [model(), template("fresh", gpu="MI210"), service(status=sticky)]
    if present:
        docs.append(template("gone", gpu="MI325X", sources=False, status=frozen("NotAvailable")))
    root = tree(write_tree, *docs)
    assert _selected(render(run_cli, root)) == "fresh"


def test_sticky_resolved_model_short_circuits_model_lookup(write_tree, run_cli) -> None:
    sticky = {"resolvedModel": {"name": "pinned", "namespace": "team", "scope": "Namespace"}}
    root = tree(
        write_tree,
        *base(),
        model("pinned", image="example.com/pinned:1"),
        template("pinned-t", model_name="pinned"),
        service(status=sticky),
    )
    items = render(run_cli, root)
    assert container(items)["image"] == "example.com/pinned:1"
    assert _selected(items) == "pinned-t"


def test_sticky_resolved_model_is_ignored_when_not_ready(write_tree, run_cli) -> None:
    sticky = {"resolvedModel": {"name": "pinned", "namespace": "team", "scope": "Namespace"}}
    root = tree(
        write_tree,
        *base(),
        model("pinned", image="example.com/pinned:1", status={"status": "Failed"}),
        template("pinned-t", model_name="pinned"),
        service(status=sticky),
    )
    assert container(render(run_cli, root))["image"] == "example.com/m:1"


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
    _located(error, root, "platform.yaml", "- name: AIM_METRIC")


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
    _located(error, root, "platform.yaml", "enabled: true")


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
    _located(error, root, "svc.yaml", f"namespace: {long_ns}")


def test_namespace_of_42_characters_still_renders(write_tree, run_cli) -> None:
    ns = "n" * 42
    root = tree(write_tree, model(ns=ns), template(ns=ns), service(ns=ns))
    name = one(render(run_cli, root), "InferenceService")["metadata"]["name"]
    assert len(name) <= 10


# --- caches, artifacts and PVCs (§3.6, §4.6, §4.8, §4.9) --------------------------------------------


@pytest.mark.parametrize(
    ("size", "headroom", "expected"),
    [
        ("5Gi", None, "6Gi"),
        ("61Gi", None, "68Gi"),
        ("10Gi", 20, "12Gi"),
        ("1Ti", 0, "1Ti"),
        ("931Gi", 10, "1025Gi"),
        ("512Mi", 10, "1Gi"),
    ],
)
def test_pvc_size_is_source_size_plus_headroom_rounded_up_to_gibibytes(
    write_tree, run_cli, size: str, headroom: int | None, expected: str
) -> None:
    docs = [model(), template(size=size), service()]
    if headroom is not None:
        docs.append(runtime_config(storage={"pvcHeadroomPercent": headroom}))
    claim = pvc(render(run_cli, tree(write_tree, *docs)))
    assert claim["spec"]["resources"]["requests"]["storage"] == expected
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]


def test_unknown_source_size_is_an_error_at_the_template_source(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        files={"models.yaml": [model(), template(size=None)], "svc.yaml": [service()]},
    )
    error = the_error(run_cli, root, "E_SIZE_UNKNOWN")
    _located(error, root, "models.yaml", "- modelId: org/m")


def test_unknown_size_in_a_frozen_status_is_an_error_at_the_status_source(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        files={
            "models.yaml": [model(), template(sources=False, status=frozen(size=None))],
            "svc.yaml": [service()],
        },
    )
    error = the_error(run_cli, root, "E_SIZE_UNKNOWN")
    _located(error, root, "models.yaml", "- modelId: org/m")


def test_shared_cache_name_vector(write_tree, run_cli) -> None:
    name = "qwen3-32b-mi300x-lat-fp8"
    root = tree(
        write_tree,
        model(ns="ml-team"),
        template(name, ns="ml-team", uri="hf://Qwen/Qwen3-32B", model_id="Qwen/Qwen3-32B"),
        service("qwen-chat", ns="ml-team"),
    )
    items = render(run_cli, root, "--include-intermediates")
    cache = one(items, "AIMTemplateCache")
    assert cache["metadata"]["name"] == "qwen3-32b-mi300x-lat-fp8-a04542d9"  # §5.6
    assert (cache["spec"]["mode"], cache["spec"]["templateScope"]) == ("Shared", "Namespace")
    artifact = one(items, "AIMArtifact")
    assert artifact["metadata"]["name"] == "hf---qwen-qwen3-32b-c00b812b59"  # §5.6
    assert all("ownerReferences" not in i["metadata"] for i in items)


def test_artifact_name_vector_with_a_secret_env(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(ns="ml-team"),
        template(ns="ml-team", uri="hf://Qwen/Qwen3-32B", model_id="Qwen/Qwen3-32B"),
        service(
            "qwen-chat",
            ns="ml-team",
            env=[
                {
                    "name": "HF_TOKEN",
                    "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}},
                }
            ],
        ),
    )
    items = render(run_cli, root, "--include-intermediates")
    assert one(items, "AIMArtifact")["metadata"]["name"] == "hf---qwen-qwen3-32b-92d23c4735"


def test_dedicated_cache_name_vector(write_tree, run_cli) -> None:
    tpl = "aim-qwen3-32b-1x-mi300x-lat-fp8-abcd"
    root = tree(
        write_tree,
        model(ns="ml-team"),
        template(tpl, ns="ml-team"),
        service(
            "qwen-chat",
            ns="ml-team",
            uid="00000000-0000-0000-0000-000000000001",
            caching={"mode": "Dedicated"},
        ),
    )
    cache = one(render(run_cli, root, "--include-intermediates"), "AIMTemplateCache")
    assert cache["metadata"]["name"] == "aim-qwen3-32b-1x-mi300x-lat-fp8-abcd-qwen-chat-5d49ba04"
    assert cache["spec"]["mode"] == "Dedicated"


@pytest.mark.parametrize(
    ("mode", "effective"),
    [
        (None, "Shared"),
        ("Shared", "Shared"),
        ("Always", "Shared"),
        ("Auto", "Shared"),
        ("Dedicated", "Dedicated"),
        ("Never", "Dedicated"),
    ],
)
def test_caching_mode_aliases(write_tree, run_cli, mode: str | None, effective: str) -> None:
    svc = service(caching={"mode": mode}) if mode else service()
    root = tree(write_tree, *base(), svc)
    cache = one(render(run_cli, root, "--include-intermediates"), "AIMTemplateCache")
    assert cache["spec"]["mode"] == effective


def test_shared_cache_pvc_and_job_are_emitted_once_for_several_services(
    write_tree, run_cli
) -> None:
    root = tree(write_tree, *base(), service("a"), service("b"))
    items = render(run_cli, root)
    claim = pvc(items)
    assert len(of_kind(items, "Job")) == 1
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for isvc in of_kind(items, "InferenceService")
        for v in isvc["spec"]["predictor"]["volumes"]
        if "persistentVolumeClaim" in v
    }
    assert claims == {claim["metadata"]["name"]}


def test_dedicated_caches_give_each_service_its_own_pvc(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        service("a", caching={"mode": "Dedicated"}),
        service("b", caching={"mode": "Dedicated"}),
    )
    items = render(run_cli, root)
    assert len(of_kind(items, "PersistentVolumeClaim")) == 2
    assert len(of_kind(items, "Job")) == 2


def test_cache_env_merges_template_env_caching_env_and_service_env(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template(
            env=[{"name": "A", "value": "template"}, {"name": "B", "value": "template"}],
            caching={"env": [{"name": "B", "value": "caching"}, {"name": "C", "value": "caching"}]},
        ),
        service(env=[{"name": "C", "value": "service"}]),
    )
    cache = one(render(run_cli, root, "--include-intermediates"), "AIMTemplateCache")
    assert cache["spec"]["env"] == [
        {"name": "A", "value": "template"},
        {"name": "B", "value": "caching"},
        {"name": "C", "value": "service"},
    ]


def test_cache_of_a_cluster_template_has_cluster_scope(write_tree, run_cli) -> None:
    root = tree(write_tree, model(cluster=True), template(cluster=True), service())
    items = render(run_cli, root, "--include-intermediates")
    assert one(items, "AIMTemplateCache")["spec"]["templateScope"] == "Cluster"
    assert one(items, "AIMArtifact")["metadata"]["labels"]["aim.eai.amd.com/template.scope"] == (
        "Cluster"
    )


def test_download_job_env_is_defaults_then_runtime_config_env_then_artifact_env(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        model(),
        template(env=[{"name": "FROM_TEMPLATE", "value": "t"}]),
        runtime_config(
            cluster=True,
            env=[{"name": "STALL_TIMEOUT", "value": "300"}, {"name": "X", "value": "rc"}],
        ),
        service(env=[{"name": "X", "value": "svc"}]),
    )
    items = render(run_cli, root, "--include-intermediates")
    artifact = one(items, "AIMArtifact")["metadata"]["name"]
    (downloader,) = one(items, "Job")["spec"]["template"]["spec"]["containers"]
    assert downloader["env"] == [
        {"name": "AIM_DOWNLOADER_PROTOCOL", "value": "XET,HF_TRANSFER"},
        {"name": "TMPDIR", "value": "/tmp/"},
        {"name": "HF_HOME", "value": "/tmp/.hf"},
        {"name": "EXPECTED_SIZE_BYTES", "value": str(10 * 2**30)},
        {"name": "MOUNT_PATH", "value": "/cache"},
        {"name": "ARTIFACT_NAME", "value": artifact},
        {"name": "ARTIFACT_NAMESPACE", "value": "team"},
        {"name": "STALL_TIMEOUT", "value": "300"},
        {"name": "TARGET_DIR", "value": "/cache"},
        {"name": "X", "value": "svc"},
        {"name": "FROM_TEMPLATE", "value": "t"},
    ]


def test_shared_pvc_carries_the_labels_of_the_first_service_in_name_order(
    write_tree, run_cli
) -> None:
    root = tree(write_tree, *base(), service("b"), service("a"))
    claim = pvc(render(run_cli, root))
    assert claim["metadata"]["labels"]["aim.eai.amd.com/service"] == "a"


def test_isvc_mounts_each_artifact_pvc_at_its_model_id(write_tree, run_cli) -> None:
    root = tree(write_tree, *base(), service())
    items = render(run_cli, root)
    mounts = container(items)["volumeMounts"]
    assert mounts[0] == {"name": "dshm", "mountPath": "/dev/shm"}
    assert mounts[1]["mountPath"] == "/workspace/cache/org/m"


# --- derived template (§4.5) -------------------------------------------------------------------------


def test_overrides_on_a_namespace_template_plan_a_derived_template(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template("base", gpu="MI300X", count=4, metric="throughput", precision="fp8"),
        service(
            overrides={
                "metric": "throughput",
                "precision": "fp8",
                "hardware": {"gpu": {"model": "MI300X", "requests": 4}},
            }
        ),
    )
    items = render(run_cli, root, "--include-intermediates")
    assert _selected(items) == "base"
    derived = one(items, "AIMServiceTemplate")
    assert derived["metadata"]["name"] == "base-ovr-mi300x-4gpu-fp8-throughput-b295"  # §5.6
    assert derived["metadata"]["labels"]["aim.eai.amd.com/origin"] == "derived"
    assert derived["spec"]["caching"] == {"enabled": True}
    assert derived["spec"]["runtimeConfigName"] == "default"


def test_overrides_on_a_cluster_template_plan_no_derived_template(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(cluster=True),
        template(cluster=True, metric="throughput"),
        service(overrides={"metric": "throughput"}),
    )
    assert of_kind(render(run_cli, root, "--include-intermediates"), "AIMServiceTemplate") == []


# --- scale: lookups are indexed, not scanned per service ---------------------------------------------


def _many_services(write_tree: WriteTree, count: int, custom: bool = False) -> Path:
    docs: list[Doc] = [*base(), template("t2", gpu="MI210")]
    for i in range(count):
        if custom:
            docs.append(service(f"s{i}", model=_custom(), template={"allowUnoptimized": True}))
        else:
            docs.append(service(f"s{i}"))
    return tree(write_tree, *docs)


def _catalog_scans(
    monkeypatch: pytest.MonkeyPatch, run_cli: Any, root: Path
) -> tuple[int, int, int]:
    """(Catalog.of_kind calls, TemplateIndex.build calls, InferenceServices) for one render."""
    calls = {"of_kind": 0, "build": 0}
    of_kind_original = Catalog.of_kind
    build_original = TemplateIndex.build.__func__  # type: ignore[attr-defined]

    def counting_of_kind(self: Catalog, kind: str) -> Any:
        calls["of_kind"] += 1
        return of_kind_original(self, kind)

    def counting_build(cls: type[TemplateIndex], *args: Any) -> Any:
        calls["build"] += 1
        return build_original(cls, *args)

    with monkeypatch.context() as patch:
        patch.setattr(Catalog, "of_kind", counting_of_kind)
        patch.setattr(TemplateIndex, "build", classmethod(counting_build))
        items = render(run_cli, root)
    return calls["of_kind"], calls["build"], len(of_kind(items, "InferenceService"))


def test_resolving_many_services_does_not_scan_the_catalog_per_service(
    write_tree, run_cli, monkeypatch, tmp_path
) -> None:
    few = _catalog_scans(monkeypatch, run_cli, _many_services(write_tree, 3))
    many_root = tmp_path / "many"
    many_root.mkdir()
    many = _catalog_scans(monkeypatch, run_cli, _many_services(lambda f: _write(many_root, f), 30))
    assert (few[2], many[2]) == (3, 30)
    assert many[1] == few[1] == 1  # one template index per render
    assert many[0] == few[0]  # catalog kind lists: a constant number per render


def test_resolving_many_custom_model_services_does_not_scan_the_catalog_per_service(
    write_tree, run_cli, monkeypatch, tmp_path
) -> None:
    few = _catalog_scans(monkeypatch, run_cli, _many_services(write_tree, 3, custom=True))
    many_root = tmp_path / "many"
    many_root.mkdir()
    many = _catalog_scans(
        monkeypatch, run_cli, _many_services(lambda f: _write(many_root, f), 30, custom=True)
    )
    assert (few[2], many[2]) == (3, 30)
    assert many[0] == few[0]


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(text)
    return root
