"""Operator rules aimctl used to break (issue 19), each checked twice: through the library
(``resolve_all`` / ``render_inputs`` on a loaded tree) and through the real CLI.

Every rendered object is checked against the real schemas (``check_schemas``). The golden cases
``tests/cases/fidelity-*`` pin the full output of each rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aimctl.pipeline import LoadOptions, RenderOptions, load_inputs, render_inputs
from aimctl.resolve.model_sources import parse_image_filter
from aimctl.resolve.naming import cluster_model_name
from aimctl.resolve.run import Resolution, resolve_all
from aimctl.resolve.service import ResolvedService
from tests.resolve_kit import (
    Doc,
    _templates_compiled_once,  # noqa: F401  (autouse fixture: compile the templates once)
    base,
    check_schemas,
    container,
    explain,
    frozen,
    gateway,
    model,
    of_kind,
    one,
    render,
    render_stderr,
    resource,
    runtime_config,
    service,
    template,
    the_error,
    tree,
    value_of,
)

# --- the library path -----------------------------------------------------------------------------


def resolution(root: Path) -> Resolution:
    """``resolve_all`` on the tree at ``root`` (no CLI)."""
    inputs = load_inputs(LoadOptions((root,)))
    assert not inputs.has_errors, [d.message for d in inputs.diagnostics if d.is_error]
    return resolve_all(inputs.catalog, inputs.project)


def resolved(root: Path, name: str = "svc") -> ResolvedService:
    found = [s for s in resolution(root).services if s.name == name]
    assert len(found) == 1
    return found[0]


def objects(root: Path, *, intermediates: bool = False) -> list[Doc]:
    """``render_inputs`` on the tree at ``root`` (no CLI): the rendered objects, schema-checked."""
    inputs = load_inputs(LoadOptions((root,)))
    assert not inputs.has_errors, [d.message for d in inputs.diagnostics if d.is_error]
    result = render_inputs(inputs, RenderOptions(include_intermediates=intermediates))
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    items: list[Doc] = [dict(o) for o in result.objects]
    check_schemas(items)
    return items


CLI = Callable[..., Any]


def _predictor(items: list[Doc]) -> Doc:
    return dict(one(items, "InferenceService")["spec"]["predictor"])


# --- rule 3: autoScaling: {} renders autoScaling: {} ------------------------------------------------


def _autoscaling_tree(write_tree: Any) -> Path:
    return tree(write_tree, *base(), service(autoScaling={}))


def test_empty_autoscaling_renders_empty_autoscaling_resolve(write_tree) -> None:
    items = objects(_autoscaling_tree(write_tree))
    assert _predictor(items)["autoScaling"] == {}


def test_empty_autoscaling_renders_empty_autoscaling_cli(write_tree, run_cli: CLI) -> None:
    items = render(run_cli, _autoscaling_tree(write_tree))
    predictor = _predictor(items)
    assert predictor["autoScaling"] == {}
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (1, 1)


# --- rule 4: env vars with an empty value are written without value ---------------------------------


def _empty_env_tree(write_tree: Any) -> Path:
    empty = {"name": "EMPTY", "value": ""}
    return tree(
        write_tree,
        model(),
        template(
            modelSources=[
                {
                    "modelId": "org/m",
                    "sourceUri": "hf://org/m",
                    "size": "10Gi",
                    "env": [{"name": "SOURCE_EMPTY", "value": ""}],
                }
            ]
        ),
        service(env=[empty, {"name": "FULL", "value": "x"}]),
    )


def _env_entries(env: list[Doc], *names: str) -> list[Doc]:
    return [e for e in env if e["name"] in names]


def test_env_var_with_empty_value_is_written_without_value_resolve(write_tree) -> None:
    root = _empty_env_tree(write_tree)
    svc = resolved(root)
    assert _env_entries(svc.env, "EMPTY", "FULL") == [
        {"name": "EMPTY"},
        {"name": "FULL", "value": "x"},
    ]
    assert svc.cache is not None
    (artifact,) = svc.cache.artifacts
    assert _env_entries(artifact.job_env, "EMPTY", "SOURCE_EMPTY") == [
        {"name": "EMPTY"},
        {"name": "SOURCE_EMPTY"},
    ]


def test_env_var_with_empty_value_is_written_without_value_cli(write_tree, run_cli: CLI) -> None:
    items = render(run_cli, _empty_env_tree(write_tree), "--include-intermediates")
    env = container(items)["env"]
    assert _env_entries(env, "EMPTY") == [{"name": "EMPTY"}]
    (job,) = of_kind(items, "Job")
    job_env = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert _env_entries(job_env, "EMPTY", "SOURCE_EMPTY") == [
        {"name": "EMPTY"},
        {"name": "SOURCE_EMPTY"},
    ]
    cache_env = one(items, "AIMTemplateCache")["spec"]["env"]
    artifact_env = one(items, "AIMArtifact")["spec"]["env"]
    assert {"name": "EMPTY"} in cache_env and {"name": "EMPTY"} in artifact_env
    # no env list anywhere keeps an empty value
    assert '"value": ""' not in str(items).replace("'", '"')


def test_env_var_with_empty_value_is_explained_as_empty_cli(write_tree, run_cli: CLI) -> None:
    trace = explain(run_cli, _empty_env_tree(write_tree), "team/svc")
    assert value_of(trace, "env.EMPTY")["value"] == ""


# --- rule 2: sticky status references are followed only for scope Namespace or Cluster -------------


def _sticky_tree(write_tree: Any, scope: str | None) -> Path:
    """``worse`` would lose selection; the service's status points at it (and at model ``pinned``)."""
    template_ref: Doc = {"name": "worse", "namespace": "team"}
    model_ref: Doc = {"name": "pinned", "namespace": "team"}
    if scope is not None:
        template_ref["scope"] = scope
        model_ref["scope"] = scope
    return tree(
        write_tree,
        model(),
        model("pinned", image="example.com/pinned:1"),
        template("best", gpu="MI325X"),
        template("worse", gpu="MI210"),
        template("pinned-t", model_name="pinned"),
        service(status={"resolvedTemplate": template_ref, "resolvedModel": model_ref}),
    )


@pytest.mark.parametrize("scope", [None, "Unknown"], ids=["missing", "unknown"])
def test_sticky_reference_without_namespace_or_cluster_scope_is_not_followed_resolve(
    write_tree, scope: str | None
) -> None:
    svc = resolved(_sticky_tree(write_tree, scope))
    assert svc.model is not None and svc.model.name == "m"
    assert svc.template is not None and svc.template.name == "best"
    assert svc.selection is not None and svc.selection.how == "automatic selection"


@pytest.mark.parametrize("scope", [None, "Unknown"], ids=["missing", "unknown"])
def test_sticky_reference_without_namespace_or_cluster_scope_is_not_followed_cli(
    write_tree, run_cli: CLI, scope: str | None
) -> None:
    items = render(run_cli, _sticky_tree(write_tree, scope))
    assert container(items)["image"] == "example.com/m:1"
    labels = one(items, "InferenceService")["metadata"]["labels"]
    assert labels["aim.eai.amd.com/template"] == "best"


def test_sticky_reference_with_namespace_scope_is_followed_resolve(write_tree) -> None:
    svc = resolved(_sticky_tree(write_tree, "Namespace"))
    assert svc.model is not None and svc.model.name == "pinned"
    assert svc.template is not None and svc.template.name == "worse"


def test_sticky_reference_with_namespace_scope_is_followed_cli(write_tree, run_cli: CLI) -> None:
    items = render(run_cli, _sticky_tree(write_tree, "Namespace"))
    assert container(items)["image"] == "example.com/pinned:1"
    labels = one(items, "InferenceService")["metadata"]["labels"]
    assert labels["aim.eai.amd.com/template"] == "worse"


# --- rule 8: template.scope on artifacts, PVCs and Jobs is the cache's templateScope as written ------


def _cache(name: str = "warm", scope: str = "Unknown", **spec: Any) -> Doc:
    return resource("AIMTemplateCache", name, {"templateName": "t", "templateScope": scope, **spec})


def _unknown_scope_tree(write_tree: Any) -> Path:
    return tree(write_tree, *base(), _cache())


def test_artifact_template_scope_label_is_the_cache_template_scope_as_written_resolve(
    write_tree,
) -> None:
    (cache,) = resolution(_unknown_scope_tree(write_tree)).caches
    (artifact,) = cache.artifacts
    for labels in (artifact.labels, artifact.pvc_labels, artifact.job_labels):
        assert labels["aim.eai.amd.com/template.scope"] == "Unknown"


def test_artifact_template_scope_label_is_the_cache_template_scope_as_written_cli(
    write_tree, run_cli: CLI
) -> None:
    items = render(run_cli, _unknown_scope_tree(write_tree), "--include-intermediates")
    for kind in ("AIMArtifact", "PersistentVolumeClaim", "Job"):
        labels = one(items, kind)["metadata"]["labels"]
        assert labels["aim.eai.amd.com/template.scope"] == "Unknown", kind
    pod = one(items, "Job")["spec"]["template"]["metadata"]["labels"]
    assert pod["aim.eai.amd.com/template.scope"] == "Unknown"


def test_service_cache_artifacts_keep_the_scope_the_service_wrote_cli(
    write_tree, run_cli: CLI
) -> None:
    root = tree(write_tree, model(), template(cluster=True), service())
    items = render(run_cli, root, "--include-intermediates")
    assert one(items, "AIMTemplateCache")["spec"]["templateScope"] == "Cluster"
    labels = one(items, "AIMArtifact")["metadata"]["labels"]
    assert labels["aim.eai.amd.com/template.scope"] == "Cluster"


# --- rule 10: an unpaused inline-source template ignores a written status ---------------------------


def _inline_with_status_tree(write_tree: Any, paused: bool) -> Path:
    """Inline sources say MI300X x1 / 10Gi; the written status says Failed, MI325X x4, 99Gi."""
    annotations = {"aim.eai.amd.com/reconciliation-paused": "true"} if paused else None
    written = {
        "status": "Ready" if paused else "Failed",
        "profile": {"metadata": {"type": "optimized", "gpu": "MI325X", "gpuCount": 4}},
        "modelSources": [{"modelId": "org/other", "sourceUri": "hf://org/other", "size": "99Gi"}],
        "resolvedHardware": {"gpu": {"requests": 4, "resourceName": "amd.com/gpu"}},
    }
    doc = template(status=written)
    if annotations:
        doc["metadata"]["annotations"] = annotations
    return tree(write_tree, model(), doc, service())


def test_unpaused_inline_source_template_ignores_written_status_resolve(write_tree) -> None:
    svc = resolved(_inline_with_status_tree(write_tree, paused=False))
    assert svc.ok, [d.message for d in svc.diagnostics]
    assert svc.template is not None and not svc.template.frozen
    assert svc.template.state == "Ready"
    assert [s["sourceUri"] for s in svc.template.status["modelSources"]] == ["hf://org/m"]
    assert svc.template.profile_meta()["gpuCount"] == 1


def test_unpaused_inline_source_template_ignores_written_status_cli(
    write_tree, run_cli: CLI
) -> None:
    items = render(run_cli, _inline_with_status_tree(write_tree, paused=False))
    limits = container(items)["resources"]["limits"]
    assert limits["amd.com/gpu"] == "1"
    assert one(items, "PersistentVolumeClaim")["spec"]["resources"]["requests"]["storage"] == "11Gi"


def test_paused_inline_source_template_keeps_written_status_resolve(write_tree) -> None:
    svc = resolved(_inline_with_status_tree(write_tree, paused=True))
    assert svc.template is not None and svc.template.frozen
    assert [s["sourceUri"] for s in svc.template.status["modelSources"]] == ["hf://org/other"]


def test_paused_inline_source_template_keeps_written_status_cli(write_tree, run_cli: CLI) -> None:
    items = render(run_cli, _inline_with_status_tree(write_tree, paused=True))
    assert container(items)["resources"]["limits"]["amd.com/gpu"] == "4"
    assert (
        one(items, "PersistentVolumeClaim")["spec"]["resources"]["requests"]["storage"] == "109Gi"
    )


# --- rule 1: route path templates are evaluated on the defaulted typed object -----------------------


def _route_tree(write_tree: Any, path_template: str, **service_spec: Any) -> Path:
    routing = {"enabled": True, "gatewayRef": gateway(), "pathTemplate": path_template}
    return tree(
        write_tree, *base(), runtime_config(cluster=True, routing=routing), service(**service_spec)
    )


@pytest.mark.parametrize(
    ("path_template", "spec", "expected"),
    [
        # a non-pointer struct field that is not written reads as its zero value: segment dropped
        ("/a/{.spec.template.name}/b", {}, "/a/b"),
        ("/{.spec.template.allowUnoptimized}", {}, "/false"),
        ("/{.spec.serviceAccountName}/x", {}, "/x"),
        # CRD default
        ("/r/{.spec.replicas}", {}, "/r/1"),
        ("/r/{.spec.replicas}", {"minReplicas": 2}, "/r/1"),
        # defaults inside a block that is written
        ("/{.spec.caching.mode}", {"caching": {}}, "/shared"),
        # status references of the steady state
        ("/{.status.resolvedModel.scope}/{.status.resolvedTemplate.name}", {}, "/namespace/t"),
    ],
)
def test_route_path_template_reads_the_defaulted_typed_object_resolve(
    write_tree, path_template: str, spec: Doc, expected: str
) -> None:
    svc = resolved(_route_tree(write_tree, path_template, **spec))
    assert svc.route is not None and svc.route.path == expected
    assert not [d for d in svc.diagnostics if d.code == "W_PATH_TEMPLATE_FALLBACK"]


def test_route_path_template_reads_the_defaulted_typed_object_cli(write_tree, run_cli: CLI) -> None:
    root = _route_tree(write_tree, "/{.metadata.namespace}/{.spec.template.name}/{.spec.replicas}")
    match = one(render(run_cli, root), "HTTPRoute")["spec"]["rules"][0]["matches"][0]
    assert match["path"]["value"] == "/team/1"


@pytest.mark.parametrize(
    ("path_template", "spec"),
    [
        ("/{.spec.model.name}", {"model": {"image": "example.com/m:1"}}),  # nil *string
        ("/{.spec.caching.mode}", {}),  # nil *AIMServiceCachingConfig
        ("/{.spec.resources}", {}),
    ],
)
def test_route_path_template_nil_pointer_falls_back_to_the_default_path_resolve(
    write_tree, path_template: str, spec: Doc
) -> None:
    svc = resolved(_route_tree(write_tree, path_template, **spec))
    assert svc.route is not None and svc.route.path == f"/team/{svc.uid}"
    assert [d.code for d in svc.diagnostics if d.code == "W_PATH_TEMPLATE_FALLBACK"]


def test_route_path_template_nil_pointer_falls_back_to_the_default_path_cli(
    write_tree, run_cli: CLI
) -> None:
    uid = "12345678-90ab-cdef-1234-567890abcdef"
    root = _route_tree(
        write_tree, "/{.spec.model.name}", model={"image": "example.com/m:1"}, uid=uid
    )
    items, stderr = render_stderr(run_cli, root, "--include-intermediates")
    match = one(items, "HTTPRoute")["spec"]["rules"][0]["matches"][0]
    assert match["path"]["value"] == f"/team/{uid}"
    assert "W_PATH_TEMPLATE_FALLBACK" in stderr or "silently uses the default path" in stderr


# --- rule 9: two sources with the same modelId: two artifacts and PVCs, one mount --------------------


def _same_model_id_tree(write_tree: Any) -> Path:
    sources = [
        {"modelId": "org/m", "sourceUri": "hf://org/m", "size": "10Gi"},
        {"modelId": "org/m", "sourceUri": "s3://bucket/org-m", "size": "20Gi"},
    ]
    return tree(write_tree, model(), template(modelSources=sources), service())


def test_sources_with_the_same_model_id_get_two_artifacts_and_one_mount_resolve(
    write_tree,
) -> None:
    svc = resolved(_same_model_id_tree(write_tree))
    assert svc.cache is not None
    assert [a.source_uri for a in svc.cache.artifacts] == ["hf://org/m", "s3://bucket/org-m"]
    (mounted,) = svc.cache.mounts.values()
    assert mounted.name == svc.cache.artifacts[1].name  # the later source wins
    assert mounted.pvc_name == svc.cache.artifacts[1].pvc_name


def test_sources_with_the_same_model_id_get_two_artifacts_and_one_mount_cli(
    write_tree, run_cli: CLI
) -> None:
    items = render(run_cli, _same_model_id_tree(write_tree), "--include-intermediates")
    assert len(of_kind(items, "AIMArtifact")) == 2
    assert len(of_kind(items, "PersistentVolumeClaim")) == 2
    assert len(of_kind(items, "Job")) == 2
    mounts = [m for m in container(items)["volumeMounts"] if m["name"] != "dshm"]
    assert [m["mountPath"] for m in mounts] == ["/workspace/cache/org/m"]
    s3_pvc = next(
        p["metadata"]["name"]
        for p in of_kind(items, "PersistentVolumeClaim")
        if p["metadata"]["labels"]["aim.eai.amd.com/source-model"].startswith("bucket")
    )
    volumes = _predictor(items)["volumes"]
    assert [v["persistentVolumeClaim"]["claimName"] for v in volumes[1:]] == [s3_pvc]


# --- rule 7: Shared caches reuse existing AIMArtifacts -----------------------------------------------

_EXISTING_PVC = "warm-llama-pvc"


def _artifact(
    name: str = "warm",
    uri: str = "hf://org/m",
    *,
    state: str | None = "Ready",
    storage_class: str | None = None,
    owned: bool = False,
) -> Doc:
    spec: Doc = {"sourceUri": uri, "modelId": "org/m", "size": "10Gi"}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    status = {"status": state, "persistentVolumeClaim": _EXISTING_PVC} if state else None
    doc = resource("AIMArtifact", name, spec, status=status)
    if owned:
        doc["metadata"]["ownerReferences"] = [
            {"apiVersion": "aim.eai.amd.com/v1alpha1", "kind": "AIMTemplateCache", "name": "c",
             "uid": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}
        ]  # fmt: skip
    return doc


def _two_source_template() -> Doc:
    sources = [
        {"modelId": "org/m", "sourceUri": "hf://org/m", "size": "10Gi"},
        {"modelId": "org/tokenizer", "sourceUri": "hf://org/tokenizer", "size": "1Gi"},
    ]
    return template(modelSources=sources)


def _adopt_tree(write_tree: Any, *artifacts: Doc, **service_spec: Any) -> Path:
    return tree(write_tree, model(), _two_source_template(), *artifacts, service(**service_spec))


def _claims(items: list[Doc]) -> list[str]:
    return [v["persistentVolumeClaim"]["claimName"] for v in _predictor(items)["volumes"][1:]]


def test_shared_cache_reuses_an_existing_artifact_resolve(write_tree) -> None:
    svc = resolved(_adopt_tree(write_tree, _artifact()))
    assert svc.cache is not None
    (created,) = svc.cache.artifacts
    assert created.source_uri == "hf://org/tokenizer"
    assert created.labels["aim.eai.amd.com/template.index"] == "0"  # index in the missing list
    assert svc.cache.mounts["org/m"].name == "warm"
    assert svc.cache.mounts["org/m"].pvc_name == _EXISTING_PVC


def test_shared_cache_reuses_an_existing_artifact_cli(write_tree, run_cli: CLI) -> None:
    items = render(run_cli, _adopt_tree(write_tree, _artifact()), "--include-intermediates")
    created = [a for a in of_kind(items, "AIMArtifact") if a["metadata"]["name"] != "warm"]
    assert [a["spec"]["sourceUri"] for a in created] == ["hf://org/tokenizer"]
    assert created[0]["metadata"]["labels"]["aim.eai.amd.com/template.index"] == "0"
    assert _EXISTING_PVC in _claims(items)
    assert len(_claims(items)) == 2
    one(items, "AIMTemplateCache")


@pytest.mark.parametrize(
    ("artifact", "service_spec"),
    [
        (_artifact(state=None), {}),  # no status yet
        (_artifact(owned=True), {}),  # owned (a Dedicated cache's)
        (_artifact(uri="hf://org/other"), {}),  # another source
        (_artifact(storage_class="slow"), {"storage": {"defaultStorageClassName": "fast"}}),
        (_artifact(), {"caching": {"mode": "Dedicated"}}),  # Dedicated caches never adopt
    ],
    ids=["no-status", "owned", "other-source", "other-storage-class", "dedicated"],
)
def test_artifacts_a_cache_may_not_reuse_are_not_adopted_resolve(
    write_tree, artifact: Doc, service_spec: Doc
) -> None:
    svc = resolved(_adopt_tree(write_tree, artifact, **service_spec))
    assert svc.cache is not None
    assert [a.source_uri for a in svc.cache.artifacts] == ["hf://org/m", "hf://org/tokenizer"]
    assert "warm" not in {m.name for m in svc.cache.mounts.values()}


def test_any_storage_class_is_accepted_when_the_cache_has_none_cli(
    write_tree, run_cli: CLI
) -> None:
    items = render(run_cli, _adopt_tree(write_tree, _artifact(storage_class="slow")))
    assert _EXISTING_PVC in _claims(items)


def test_the_best_status_wins_among_matching_artifacts_resolve(write_tree) -> None:
    best = _artifact("b-ready")
    worse = _artifact("a-progressing", state="Progressing")
    svc = resolved(_adopt_tree(write_tree, worse, best))
    assert svc.cache is not None and svc.cache.mounts["org/m"].name == "b-ready"


def test_a_reused_artifact_that_is_not_ready_is_an_error_cli(write_tree, run_cli: CLI) -> None:
    root = _adopt_tree(write_tree, _artifact(state="Failed"))
    error = the_error(run_cli, root, "E_ARTIFACT_NOT_READY")
    assert "AIMArtifact team/warm is Failed" in error["message"]


# --- rule 5: templates with caching.enabled pre-warm their cache without any service ----------------


def _caching_template(**spec: Any) -> Doc:
    caching = {"enabled": True, "env": [{"name": "HF_HUB_OFFLINE", "value": "0"}]}
    doc = template(caching=caching, env=[{"name": "INFERENCE_ONLY", "value": "1"}], **spec)
    doc["metadata"]["labels"] = {"aim.eai.amd.com/team": "blue"}
    return doc


def test_caching_template_prewarms_its_cache_without_services_resolve(write_tree) -> None:
    result = resolution(tree(write_tree, model(), _caching_template()))
    assert result.ok and not result.services
    (cache,) = result.template_caches
    assert (cache.name, cache.template_name, cache.template_scope, cache.mode) == (
        "t",
        "t",
        "Namespace",
        "Shared",
    )
    assert cache.env == [{"name": "HF_HUB_OFFLINE", "value": "0"}]  # caching.env only
    assert cache.labels["aim.eai.amd.com/service-template.name"] == "t"
    assert cache.labels["app.kubernetes.io/managed-by"] == "aim-service-template-controller"
    (artifact,) = cache.artifacts
    for labels in (artifact.labels, artifact.pvc_labels, artifact.job_labels):
        assert labels["aim.eai.amd.com/service-template.name"] == "t"
        assert labels["aim.eai.amd.com/template-cache.name"] == "t"
        assert labels["aim.eai.amd.com/team"] == "blue"


def test_caching_template_prewarms_its_cache_without_services_cli(write_tree, run_cli: CLI) -> None:
    root = tree(write_tree, model(), _caching_template())
    items = render(run_cli, root, "--include-intermediates")
    kinds = sorted(i["kind"] for i in items)
    assert kinds == [
        "AIMArtifact",
        "AIMTemplateCache",
        "Job",
        "PersistentVolumeClaim",
        "RoleBinding",
    ]
    cache = one(items, "AIMTemplateCache")
    assert cache["spec"] == {
        "templateName": "t",
        "templateScope": "Namespace",
        "mode": "Shared",
        "env": [{"name": "HF_HUB_OFFLINE", "value": "0"}],
    }
    pvc_labels = one(items, "PersistentVolumeClaim")["metadata"]["labels"]
    assert pvc_labels["aim.eai.amd.com/service-template.name"] == "t"
    # without intermediates: what a cluster without the operator needs
    plain = render(run_cli, root)
    assert sorted(i["kind"] for i in plain) == ["Job", "PersistentVolumeClaim", "RoleBinding"]


@pytest.mark.parametrize(
    "docs",
    [
        [_caching_template()],  # no AIMModel in the namespace
        [model(), template(caching={"enabled": False})],
        [model(), template(cluster=True)],  # cluster templates have no caching block
        [
            model(),
            {
                **_caching_template(),
                "metadata": {
                    "name": "t",
                    "namespace": "team",
                    "annotations": {"aim.eai.amd.com/reconciliation-paused": "true"},
                },
            },
        ],
    ],
    ids=["no-model", "disabled", "cluster", "paused"],
)
def test_templates_that_do_not_prewarm_a_cache_resolve(write_tree, docs: list[Doc]) -> None:
    assert resolution(tree(write_tree, *docs)).template_caches == []


def test_caching_template_without_inline_sources_needs_a_ready_status_resolve(
    write_tree,
) -> None:
    ready = _caching_template(sources=False, status=frozen())
    failed = _caching_template(sources=False, status=frozen("Failed"))
    failed["metadata"]["name"] = "f"
    (cache,) = resolution(tree(write_tree, model(), ready, failed)).template_caches
    assert cache.name == "t" and len(cache.artifacts) == 1


# --- rule 6: AIMClusterModelSource static filters create AIMClusterModels without a registry ---------

_SOURCE_MODEL = "silogen-aim-llama-1-2-0-9e8b1d"  # D([repo, tag]; [registry, repo, tag]; len=6)


def _model_source(*filters: str, registry: str | None = "ghcr.io") -> Doc:
    spec: Doc = {"filters": [{"image": f} for f in filters]}
    if registry is not None:
        spec["registry"] = registry
    spec["imagePullSecrets"] = [{"name": "pull"}]
    return {
        "apiVersion": "aim.eai.amd.com/v1alpha1",
        "kind": "AIMClusterModelSource",
        "metadata": {"name": "catalog"},
        "spec": spec,
    }


def _source_tree(write_tree: Any, *filters: str, **service_spec: Any) -> Path:
    return tree(
        write_tree,
        _model_source(*filters),
        template(cluster=True, model_name=_SOURCE_MODEL),
        service(**service_spec) if service_spec else service(model={"name": _SOURCE_MODEL}),
    )


def test_static_model_source_filter_creates_a_cluster_model_without_a_registry_resolve(
    write_tree,
) -> None:
    svc = resolved(_source_tree(write_tree, "silogen/aim-llama:1.2.0", "silogen/aim-*"))
    assert svc.ok, [d.message for d in svc.diagnostics]
    assert svc.model is not None
    assert (svc.model.kind, svc.model.name) == ("AIMClusterModel", _SOURCE_MODEL)
    assert svc.model.image == "ghcr.io/silogen/aim-llama:1.2.0"  # the filter names no registry


def test_static_model_source_filter_creates_a_cluster_model_without_a_registry_cli(
    write_tree, run_cli: CLI
) -> None:
    root = _source_tree(write_tree, "silogen/aim-llama:1.2.0")
    items = render(run_cli, root, "--include-intermediates")
    assert container(items)["image"] == "ghcr.io/silogen/aim-llama:1.2.0"
    model_doc = one(items, "AIMClusterModel")
    assert model_doc["metadata"]["name"] == _SOURCE_MODEL
    assert model_doc["metadata"]["labels"]["aim.eai.amd.com/model-source"] == "catalog"
    assert model_doc["metadata"]["labels"]["aim.eai.amd.com/origin"] == "auto-generated"
    assert model_doc["metadata"]["annotations"] == {
        "aim.eai.amd.com/source-registry": "ghcr.io",
        "aim.eai.amd.com/source-repository": "silogen/aim-llama",
        "aim.eai.amd.com/source-tag": "1.2.0",
    }
    assert model_doc["spec"]["imagePullSecrets"] == [{"name": "pull"}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("silogen/aim-llama:1.2.0", ("", "silogen/aim-llama", "1.2.0", True)),
        ("ghcr.io/silogen/aim-llama:1.2.0", ("ghcr.io", "silogen/aim-llama", "1.2.0", True)),
        ("docker.io/org/m:1", ("", "org/m", "1", True)),  # Docker Hub counts as none given
        ("index.docker.io/org/m:1", ("", "org/m", "1", True)),
        ("nginx:1.25", ("", "library/nginx", "1.25", True)),
        ("localhost:5000/org/m", ("localhost:5000", "org/m", "latest", True)),  # ':' in the port
        ("silogen/aim-llama", ("", "silogen/aim-llama", "", False)),  # no tag: needs a registry
        ("ghcr.io/silogen/aim-*", ("ghcr.io", "silogen/aim-*", "", False)),
        ("silogen/aim-*:1.0", ("", "silogen/aim-*:1.0", "", False)),
        ("org/m@sha256:" + "a" * 64, ("", "org/m@sha256:" + "a" * 64, "", False)),
    ],
)
def test_model_source_filters_are_parsed_as_the_operator_does(
    text: str, expected: tuple[str, str, str, bool]
) -> None:
    parsed = parse_image_filter(text)
    assert (parsed.registry, parsed.repository, parsed.tag, parsed.static) == expected


def test_docker_hub_model_source_images_carry_no_registry_prefix_resolve(write_tree) -> None:
    name = cluster_model_name("docker.io", "amdenterpriseai/aim-qwen", "0.8.5")
    root = tree(
        write_tree,
        {**_model_source("amdenterpriseai/aim-qwen:0.8.5", registry=None)},
        template(cluster=True, model_name=name),
        service(model={"name": name}),
    )
    svc = resolved(root)
    assert svc.model is not None and svc.model.image == "amdenterpriseai/aim-qwen:0.8.5"


def test_model_from_a_registry_filter_is_not_found_saying_why_cli(write_tree, run_cli: CLI) -> None:
    root = _source_tree(write_tree, "silogen/aim-*")
    error = the_error(run_cli, root, "E_MODEL_NOT_FOUND")
    assert "need a registry" in error["hint"] and "catalog (silogen/aim-*)" in error["hint"]


def test_image_a_registry_filter_may_list_is_warned_about_cli(write_tree, run_cli: CLI) -> None:
    root = tree(
        write_tree,
        _model_source("silogen/aim-*"),
        template(cluster=True, model_name="ghcr-io-silogen-aim-x"),
        service(model={"image": "ghcr.io/silogen/aim-x:1"}),
    )
    result = run_cli("render", str(root), "--report", "json", cwd=root)
    codes = [d["code"] for d in json.loads(result.stdout)["diagnostics"]]
    assert "W_MODEL_SOURCE_NEEDS_REGISTRY" in codes
