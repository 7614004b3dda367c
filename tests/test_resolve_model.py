"""Model resolution (§3.2, §4.3, §4.4), end to end through the CLI: references, images, custom
models, and the errors with the file and line of the value that caused them.

Operator behaviour as operator-behaviour.md states it; builders and runners in ``tests/resolve_kit.py``.
"""

from __future__ import annotations

import pytest

from tests.resolve_kit import (
    Doc,
    _templates_compiled_once,  # noqa: F401  (autouse fixture: compile the templates once)
    base,
    container,
    custom_model_spec,
    env_map,
    explain,
    located,
    model,
    of_kind,
    one,
    render,
    selected_template,
    service,
    template,
    the_error,
    tree,
)

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
    located(error, root, "svc.yaml", "name: ghost")
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
    located(error, root, "svc.yaml", "image: example.com/m:1")
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
    located(error, root, "svc.yaml", "image:")


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
            model=custom_model_spec(env=[{"name": "HF_TOKEN", "value": "mine"}]),
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
            model=custom_model_spec(env=[{"name": "AWS_ENDPOINT_URL", **on_service}]),
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
        service(model=custom_model_spec(**other), template={"allowUnoptimized": True}),
    )
    assert explain(run_cli, root, "team/svc")["model"]["autoCreated"] is True


def test_custom_model_match_ignores_cluster_models_and_other_namespaces(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        _custom_model(cluster=True),
        _custom_model("elsewhere", ns="other"),
        service(model=custom_model_spec(), template={"allowUnoptimized": True}),
    )
    assert explain(run_cli, root, "team/svc")["model"]["autoCreated"] is True


def test_unmatched_custom_model_is_auto_created_with_its_template(write_tree, run_cli) -> None:
    custom = custom_model_spec(
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
    assert selected_template(items) == generated["metadata"]["name"]
    assert container(items)["image"] == "ghcr.io/silogen/aim-dummy:0.1.10"
    assert env_map(items)["AIM_MODEL_ID"] == "inline/test-model"


def test_auto_generated_custom_template_needs_allow_unoptimized(write_tree, run_cli) -> None:
    root = tree(write_tree, files={"svc.yaml": [service(model=custom_model_spec())]})
    error = the_error(run_cli, root, "E_ONLY_UNOPTIMIZED")
    located(error, root, "svc.yaml", "model:")


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
    located(error, root, "svc.yaml", "name: m")
