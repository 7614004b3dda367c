"""Caches, artifacts and PVCs (§3.6, §4.6, §4.8, §4.9), end to end through the CLI.

Operator behaviour as operator-behaviour.md states it; builders and runners in ``tests/resolve_kit.py``.
"""

from __future__ import annotations

import pytest

from tests.resolve_kit import (
    _templates_compiled_once,  # noqa: F401  (autouse fixture: compile the templates once)
    base,
    container,
    frozen,
    located,
    model,
    of_kind,
    one,
    pvc,
    render,
    runtime_config,
    service,
    template,
    the_error,
    tree,
)

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
    located(error, root, "models.yaml", "- modelId: org/m")


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
    located(error, root, "models.yaml", "- modelId: org/m")


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
