"""Who beats whom: every precedence and merge rule of the resolution, end to end through the CLI.

Each test writes a small inline tree, runs the real `aimctl render` (or `explain`) on it and asserts
the value the AIM Engine operator would compute (operator-behaviour.md §2.5, §3, §4.1, §4.2, §4.9,
§6). Names read "X over Y". Where aimctl disagrees with the operator the test keeps the operator's
expectation.

The small kit at the top (document builders, CLI runners, the schema check of every rendered
child) is shared with ``test_resolve_rules.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from aimctl import goscalars
from aimctl.render.engine import TemplateSet
from tests.conftest import HAS_SHARED, load_validator

# --- document builders ----------------------------------------------------------------------------

API = "aim.eai.amd.com/v1alpha1"
NS = "team"
CLUSTER_KINDS = frozenset(
    {"AIMClusterModel", "AIMClusterServiceTemplate", "AIMClusterRuntimeConfig"}
)
Doc = dict[str, Any]


def resource(
    kind: str,
    name: str,
    spec: Doc | None = None,
    *,
    ns: str = NS,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    uid: str | None = None,
    status: Doc | None = None,
) -> Doc:
    meta: Doc = {"name": name}
    if kind not in CLUSTER_KINDS:
        meta["namespace"] = ns
    if uid is not None:
        meta["uid"] = uid
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    doc: Doc = {"apiVersion": API, "kind": kind, "metadata": meta}
    if spec is not None:
        doc["spec"] = spec
    if status is not None:
        doc["status"] = status
    return doc


def service(
    name: str = "svc",
    model: Doc | None = None,
    *,
    ns: str = NS,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    uid: str | None = None,
    status: Doc | None = None,
    **spec: Any,
) -> Doc:
    """An AIMService; ``model`` defaults to ``{name: m}``; keyword arguments are spec fields."""
    body = {"model": model if model is not None else {"name": "m"}, **spec}
    return resource(
        "AIMService",
        name,
        body,
        ns=ns,
        labels=labels,
        annotations=annotations,
        uid=uid,
        status=status,
    )


def model(
    name: str = "m",
    image: str = "example.com/m:1",
    *,
    cluster: bool = False,
    ns: str = NS,
    status: Doc | None = None,
    **spec: Any,
) -> Doc:
    kind = "AIMClusterModel" if cluster else "AIMModel"
    return resource(kind, name, {"image": image, **spec}, ns=ns, status=status)


def template(
    name: str = "t",
    *,
    cluster: bool = False,
    ns: str = NS,
    model_name: str = "m",
    type_: str | None = "optimized",
    gpu: str | None = "MI300X",
    count: int = 1,
    metric: str | None = "latency",
    precision: str | None = "fp8",
    size: str | None = "10Gi",
    uri: str = "hf://org/m",
    model_id: str = "org/m",
    sources: bool = True,
    hw: bool = True,
    status: Doc | None = None,
    labels: dict[str, str] | None = None,
    **spec: Any,
) -> Doc:
    """A template with inline ``modelSources`` (so it needs no discovery) unless ``sources=False``.

    ``gpu=None, count=0`` makes a CPU-only template; ``hw=False`` one without ``hardware``.
    """
    body: Doc = {"modelName": model_name}
    if type_ is not None:
        body["type"] = type_
    if metric is not None:
        body["metric"] = metric
    if precision is not None:
        body["precision"] = precision
    if not hw:
        pass
    elif gpu is None and count == 0:
        body["hardware"] = {"cpu": {"requests": "4"}}
    else:
        gpu_block: Doc = {"requests": count}
        if gpu is not None:
            gpu_block["model"] = gpu
        body["hardware"] = {"gpu": gpu_block}
    if sources:
        source: Doc = {"modelId": model_id, "sourceUri": uri}
        if size is not None:
            source["size"] = size
        body["modelSources"] = [source]
    body.update(spec)
    kind = "AIMClusterServiceTemplate" if cluster else "AIMServiceTemplate"
    return resource(kind, name, body, ns=ns, status=status, labels=labels)


def runtime_config(
    name: str = "default", *, cluster: bool = False, ns: str = NS, **spec: Any
) -> Doc:
    kind = "AIMClusterRuntimeConfig" if cluster else "AIMRuntimeConfig"
    return resource(kind, name, spec, ns=ns)


def project(gpus: list[Any]) -> Doc:
    return {"apiVersion": "aimctl.amd.com/v1alpha1", "kind": "Project", "cluster": {"gpus": gpus}}


class _KubeDumper(yaml.SafeDumper):
    """PyYAML's dumper, quoting every string Kubernetes' reader would type otherwise (``y``,
    ``n``, ``1e3``: PyYAML writes them plain, as YAML 1.1 strings)."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if goscalars.plain_tag(value) != goscalars.STR else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_KubeDumper.add_representer(str, _str)


def dump(*docs: Doc) -> str:
    return "---\n".join(yaml.dump(d, Dumper=_KubeDumper, sort_keys=False) for d in docs)


def base() -> list[Doc]:
    """Namespace model ``team/m`` with one Ready optimized template ``t`` (MI300X x1, 10Gi)."""
    return [model(), template()]


def frozen(
    state: str = "Ready",
    *,
    type_: str | None = "optimized",
    gpu: str | None = "MI300X",
    count: int = 1,
    metric: str | None = "latency",
    precision: str | None = "fp8",
    size: str | None = "10Gi",
    sources: bool = True,
) -> Doc:
    """A frozen template ``status`` (a discovery result), as aimctl.md §3 allows."""
    status: Doc = {"status": state}
    if type_ is not None:
        meta: Doc = {"type": type_, "gpuCount": count}
        for key, value in (("gpu", gpu), ("metric", metric), ("precision", precision)):
            if value is not None:
                meta[key] = value
        status["profile"] = {"metadata": meta}
    if sources:
        source: Doc = {"modelId": "org/m", "sourceUri": "hf://org/m"}
        if size is not None:
            source["size"] = size
        status["modelSources"] = [source]
    if count:
        status["resolvedHardware"] = {"gpu": {"requests": count, "resourceName": "amd.com/gpu"}}
    return status


WriteTree = Callable[[dict[str, str]], Path]


def tree(write_tree: WriteTree, *docs: Doc, files: dict[str, list[Doc]] | None = None) -> Path:
    """Write ``docs`` to ``all.yaml`` (and ``files`` to their own paths); return the root."""
    texts = {name: dump(*content) for name, content in (files or {}).items()}
    if docs:
        texts["all.yaml"] = dump(*docs)
    return write_tree(texts)


def line_of(root: Path, file: str, needle: str, after: str = "") -> int:
    """1-based line of the first line of ``file`` containing ``needle`` (after the line
    containing ``after``, when given)."""
    started = not after
    for number, line in enumerate((root / file).read_text().splitlines(), 1):
        if started and needle in line:
            return number
        started = started or line.strip() == after
    raise AssertionError(f"{needle!r} not in {file}")


# --- running the CLI ------------------------------------------------------------------------------

_TEMPLATE_SETS: dict[Path, TemplateSet] = {}
_LOAD_TEMPLATES = TemplateSet.load.__func__  # type: ignore[attr-defined]


def _load_templates_once(
    cls: type[TemplateSet], directory: Path, filters: Any = None
) -> TemplateSet:
    if filters is not None:
        return _LOAD_TEMPLATES(cls, directory, filters)  # type: ignore[no-any-return]
    key = directory.resolve()
    if key not in _TEMPLATE_SETS:
        _TEMPLATE_SETS[key] = _LOAD_TEMPLATES(cls, directory)
    return _TEMPLATE_SETS[key]


@pytest.fixture(autouse=True)
def _templates_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Speed only: the shipped templates are compiled once per session, not once per render."""
    monkeypatch.setattr(TemplateSet, "load", classmethod(_load_templates_once))


_VALIDATORS: dict[str, Any] = {}
_VALIDATED: set[str] = set()
_CEL_CHECKED: set[str] = set()


def check_schemas(items: list[Doc]) -> None:
    """Validate every rendered object against the real schemas (each distinct object once).

    The CRD CEL rules are slow to evaluate, so they run once per distinct ``spec`` of a kind;
    the schema (types, patterns, metadata formats) is checked for every distinct object.
    """
    if not HAS_SHARED:
        return  # test_rendered_children_are_checked_against_real_schemas reports the skip
    vm = load_validator()
    if not _VALIDATORS:
        _VALIDATORS["cel"] = vm.Validator()
        _VALIDATORS["schema"] = vm.Validator(cel="off")
    report, seen = vm.Report(), {}
    for i, item in enumerate(items):
        key = json.dumps(item, sort_keys=True)
        if key in _VALIDATED:
            continue
        spec_key = json.dumps([item.get("kind"), item.get("spec")], sort_keys=True)
        validator = _VALIDATORS["schema" if spec_key in _CEL_CHECKED else "cel"]
        validator.check(vm.Document(f"rendered#{i}", 0, item, {}), report, seen)
        _VALIDATED.add(key)
        _CEL_CHECKED.add(spec_key)
    assert report.ok, report.format()


def render(run_cli: Callable[..., Any], root: Path, *extra: str) -> list[Doc]:
    """``aimctl render ROOT --format json``: the rendered objects (schema-checked)."""
    result = run_cli("render", str(root), "--format", "json", *extra, cwd=root)
    assert result.exit_code == 0, result.stderr
    items: list[Doc] = json.loads(result.stdout)["items"]
    check_schemas(items)
    return items


def render_stderr(run_cli: Callable[..., Any], root: Path, *extra: str) -> tuple[list[Doc], str]:
    result = run_cli("render", str(root), "--format", "json", *extra, cwd=root)
    assert result.exit_code == 0, result.stderr
    items: list[Doc] = json.loads(result.stdout)["items"]
    check_schemas(items)
    return items, str(result.stderr)


def render_errors(run_cli: Callable[..., Any], root: Path) -> list[Doc]:
    """``aimctl render ROOT --report json`` on a failing tree: its error diagnostics."""
    result = run_cli("render", str(root), "--report", "json", cwd=root)
    assert result.exit_code == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    return [d for d in report["diagnostics"] if d["severity"] == "error"]


def the_error(run_cli: Callable[..., Any], root: Path, code: str) -> Doc:
    """The one error with ``code`` (other errors may be reported beside it)."""
    errors = render_errors(run_cli, root)
    found = [d for d in errors if d["code"] == code]
    assert len(found) == 1, errors
    return found[0]


def explain(run_cli: Callable[..., Any], root: Path, target: str, *field: str) -> Doc:
    result = run_cli("explain", str(root), target, *field, "--output", "json", cwd=root)
    trace: Doc = json.loads(result.stdout)
    return trace


def value_of(trace: Doc, field: str) -> Doc:
    (found,) = [v for v in trace["values"] if v["field"] == field]
    return found


def of_kind(items: list[Doc], kind: str) -> list[Doc]:
    return [i for i in items if i["kind"] == kind]


def one(items: list[Doc], kind: str) -> Doc:
    found = of_kind(items, kind)
    assert len(found) == 1, [f"{i['kind']} {i['metadata']['name']}" for i in items]
    return found[0]


def container(items: list[Doc]) -> Doc:
    isvc = one(items, "InferenceService")
    (main,) = isvc["spec"]["predictor"]["containers"]
    return dict(main)


def env_map(items: list[Doc]) -> dict[str, Any]:
    """The inference container's env by name (``valueFrom`` entries as their ``valueFrom``)."""
    env = container(items).get("env") or []
    names = [e["name"] for e in env]
    assert len(names) == len(set(names)), names
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in env}


def route(items: list[Doc]) -> Doc:
    return one(items, "HTTPRoute")


def pvc(items: list[Doc]) -> Doc:
    return one(items, "PersistentVolumeClaim")


def gateway(name: str = "gw", **more: Any) -> Doc:
    return {"name": name, **more}


def test_rendered_children_are_checked_against_real_schemas(write_tree, run_cli) -> None:
    """Every render in these tests validates its output; this one says so when ../shared is absent."""
    if not HAS_SHARED:
        pytest.skip(
            "../shared (validate_manifests.py and the CRD schemas) is not beside the project"
        )
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, routing={"enabled": True, "gatewayRef": gateway()}),
        service(),
    )
    items = render(run_cli, root, "--include-intermediates")
    assert {i["kind"] for i in items} >= {
        "InferenceService",
        "HTTPRoute",
        "PersistentVolumeClaim",
        "Job",
        "RoleBinding",
        "AIMTemplateCache",
        "AIMArtifact",
    }
    vm = load_validator()
    report = vm.validate_objects(items)
    assert report.ok, report.format()


# --- runtime config: which configs, and the cluster ⊕ namespace merge (§2.5, §3.1) ----------------


def test_namespace_runtime_config_env_over_cluster(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, env=[{"name": "LOG", "value": "cluster"}]),
        runtime_config(env=[{"name": "LOG", "value": "namespace"}]),
        service(),
    )
    assert env_map(render(run_cli, root))["LOG"] == "namespace"


def test_cluster_runtime_config_env_kept_beside_namespace_env(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, env=[{"name": "FROM_CLUSTER", "value": "c"}]),
        runtime_config(env=[{"name": "FROM_NAMESPACE", "value": "n"}]),
        service(),
    )
    env = env_map(render(run_cli, root))
    assert (env["FROM_CLUSTER"], env["FROM_NAMESPACE"]) == ("c", "n")


def test_runtime_config_of_another_namespace_is_not_used(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(ns="other", env=[{"name": "LOG", "value": "other"}]),
        service(),
    )
    assert "LOG" not in env_map(render(run_cli, root))


def test_named_runtime_config_over_default_configs(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, env=[{"name": "WHICH", "value": "default"}]),
        runtime_config("gold", cluster=True, env=[{"name": "WHICH", "value": "gold"}]),
        service(runtimeConfigName="gold"),
    )
    assert env_map(render(run_cli, root))["WHICH"] == "gold"


def test_blank_runtime_config_name_means_default(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(env=[{"name": "WHICH", "value": "default"}]),
        service(runtimeConfigName="  "),
    )
    assert env_map(render(run_cli, root))["WHICH"] == "default"


def test_missing_default_runtime_config_is_not_an_error(write_tree, run_cli) -> None:
    root = tree(write_tree, *base(), service(runtimeConfigName="default"))
    assert env_map(render(run_cli, root))["AIM_CACHE_PATH"] == "/workspace/cache"


def test_namespace_runtime_config_false_does_not_disable_cluster_routing(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, routing={"enabled": True, "gatewayRef": gateway()}),
        runtime_config(routing={"enabled": False}),
        service(),
    )
    assert route(render(run_cli, root))["spec"]["parentRefs"][0]["name"] == "gw"


def test_ignored_namespace_routing_false_is_explained_as_overridden(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, routing={"enabled": True, "gatewayRef": gateway()}),
        runtime_config(routing={"enabled": False}),
        service(),
    )
    entry = value_of(explain(run_cli, root, "team/svc", "route.enabled"), "route.enabled")
    assert entry["value"] is True
    assert entry["origin"]["scope"] == "cluster runtime config"
    assert [(o["origin"]["scope"], o["value"]) for o in entry["overridden"]] == [
        ("namespace runtime config", False)
    ]


def test_namespace_runtime_config_true_enables_routing_over_cluster_false(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, routing={"enabled": False, "gatewayRef": gateway()}),
        runtime_config(routing={"enabled": True}),
        service(),
    )
    assert len(of_kind(render(run_cli, root), "HTTPRoute")) == 1


def test_routing_is_off_unless_enabled_somewhere(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, routing={"gatewayRef": gateway()}),
        service(),
    )
    assert of_kind(render(run_cli, root), "HTTPRoute") == []


def test_namespace_gateway_ref_name_inherits_cluster_namespace(write_tree, run_cli) -> None:
    cluster_ref = gateway("platform-gw", namespace="gateways", sectionName="https", port=443)
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, routing={"enabled": True, "gatewayRef": cluster_ref}),
        runtime_config(routing={"gatewayRef": gateway("team-gw")}),
        service(),
    )
    assert route(render(run_cli, root))["spec"]["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "name": "team-gw",
            "namespace": "gateways",
            "sectionName": "https",
            "port": 443,
        }
    ]


def test_service_gateway_ref_replaces_runtime_config_ref_as_a_whole(write_tree, run_cli) -> None:
    cluster_ref = gateway("platform-gw", namespace="gateways", sectionName="https")
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, routing={"enabled": True, "gatewayRef": cluster_ref}),
        service(routing={"gatewayRef": gateway("own-gw")}),
    )
    assert route(render(run_cli, root))["spec"]["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "own-gw"}
    ]


def test_service_routing_false_disables_runtime_config_routing(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, routing={"enabled": True, "gatewayRef": gateway()}),
        service(routing={"enabled": False}),
    )
    items = render(run_cli, root)
    assert of_kind(items, "HTTPRoute") == []
    assert len(of_kind(items, "InferenceService")) == 1


def test_service_routing_true_over_runtime_config_without_enabled(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, routing={"gatewayRef": gateway()}),
        service(routing={"enabled": True}),
    )
    assert route(render(run_cli, root))["spec"]["parentRefs"][0]["name"] == "gw"


def test_namespace_path_template_over_cluster(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(
            cluster=True,
            routing={
                "enabled": True,
                "gatewayRef": gateway(),
                "pathTemplate": "/c/{.metadata.name}",
            },
        ),
        runtime_config(routing={"pathTemplate": "/n/{.metadata.name}"}),
        service(),
    )
    assert (
        route(render(run_cli, root))["spec"]["rules"][0]["matches"][0]["path"]["value"] == "/n/svc"
    )


def test_empty_namespace_path_template_keeps_cluster_template(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(
            cluster=True,
            routing={
                "enabled": True,
                "gatewayRef": gateway(),
                "pathTemplate": "/c/{.metadata.name}",
            },
        ),
        runtime_config(routing={"pathTemplate": ""}),
        service(),
    )
    assert (
        route(render(run_cli, root))["spec"]["rules"][0]["matches"][0]["path"]["value"] == "/c/svc"
    )


def test_service_path_template_over_runtime_config(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(
            cluster=True,
            routing={
                "enabled": True,
                "gatewayRef": gateway(),
                "pathTemplate": "/c/{.metadata.name}",
            },
        ),
        service(routing={"pathTemplate": "/s/{.metadata.name}"}),
    )
    assert (
        route(render(run_cli, root))["spec"]["rules"][0]["matches"][0]["path"]["value"] == "/s/svc"
    )


def test_service_empty_path_template_over_runtime_config_means_default_path(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(
            cluster=True,
            routing={
                "enabled": True,
                "gatewayRef": gateway(),
                "pathTemplate": "/c/{.metadata.name}",
            },
        ),
        service(uid="12345678-90ab", routing={"pathTemplate": ""}),
    )
    path = route(render(run_cli, root))["spec"]["rules"][0]["matches"][0]["path"]["value"]
    assert path == "/team/12345678-90ab"


def _timeout(items: list[Doc]) -> Any:
    return route(items)["spec"]["rules"][0].get("timeouts")


def test_namespace_request_timeout_over_cluster(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(
            cluster=True,
            routing={"enabled": True, "gatewayRef": gateway(), "requestTimeout": "120s"},
        ),
        runtime_config(routing={"requestTimeout": "90s"}),
        service(),
    )
    assert _timeout(render(run_cli, root)) == {"request": "1m30s"}


def test_zero_namespace_request_timeout_does_not_override_cluster(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(
            cluster=True,
            routing={"enabled": True, "gatewayRef": gateway(), "requestTimeout": "120s"},
        ),
        runtime_config(routing={"requestTimeout": "0s"}),
        service(),
    )
    assert _timeout(render(run_cli, root)) == {"request": "2m0s"}


def test_service_request_timeout_over_runtime_config(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(
            cluster=True,
            routing={"enabled": True, "gatewayRef": gateway(), "requestTimeout": "120s"},
        ),
        service(routing={"requestTimeout": "1h"}),
    )
    assert _timeout(render(run_cli, root)) == {"request": "1h0m0s"}


def test_no_request_timeout_anywhere_means_no_timeouts(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(cluster=True, routing={"enabled": True, "gatewayRef": gateway()}),
        service(),
    )
    assert _timeout(render(run_cli, root)) is None


def _annotations(items: list[Doc]) -> dict[str, str]:
    return dict(route(items)["metadata"].get("annotations") or {})


def test_route_annotations_are_the_key_wise_union_namespace_winning_per_key(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(
            cluster=True,
            routing={
                "enabled": True,
                "gatewayRef": gateway(),
                "annotations": {"a.example/only-cluster": "c", "a.example/both": "cluster"},
            },
        ),
        runtime_config(
            routing={"annotations": {"a.example/both": "namespace", "a.example/only-ns": "n"}}
        ),
        service(),
    )
    assert _annotations(render(run_cli, root)) == {
        "a.example/both": "namespace",
        "a.example/only-cluster": "c",
        "a.example/only-ns": "n",
    }


def test_empty_string_annotation_in_namespace_config_wins_its_key(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(
            cluster=True,
            routing={
                "enabled": True,
                "gatewayRef": gateway(),
                "annotations": {"a.example/x": "cluster"},
            },
        ),
        runtime_config(routing={"annotations": {"a.example/x": ""}}),
        service(),
    )
    assert _annotations(render(run_cli, root)) == {"a.example/x": ""}


def test_service_routing_annotations_are_ignored(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        *base(),
        runtime_config(
            cluster=True,
            routing={
                "enabled": True,
                "gatewayRef": gateway(),
                "annotations": {"a.example/x": "rc"},
            },
        ),
        service(routing={"annotations": {"a.example/x": "service", "a.example/y": "service"}}),
    )
    assert _annotations(render(run_cli, root)) == {"a.example/x": "rc"}


def _propagation_tree(write_tree: WriteTree, cluster_lp: Doc, namespace_lp: Doc | None) -> Path:
    configs = [runtime_config(cluster=True, labelPropagation=cluster_lp)]
    if namespace_lp is not None:
        configs.append(runtime_config(labelPropagation=namespace_lp))
    labels = {"team-name": "a", "cost-center": "42"}
    return tree(write_tree, *base(), *configs, service(labels=labels))


def _isvc_labels(items: list[Doc]) -> dict[str, str]:
    return dict(one(items, "InferenceService")["metadata"]["labels"])


def test_empty_label_propagation_match_keeps_cluster_list(write_tree, run_cli) -> None:
    root = _propagation_tree(
        write_tree, {"enabled": True, "match": ["team-*"]}, {"enabled": True, "match": []}
    )
    labels = _isvc_labels(render(run_cli, root))
    assert labels.get("team-name") == "a"
    assert "cost-center" not in labels


def test_namespace_label_propagation_match_replaces_cluster_list(write_tree, run_cli) -> None:
    root = _propagation_tree(
        write_tree, {"enabled": True, "match": ["team-*"]}, {"match": ["cost-*"]}
    )
    labels = _isvc_labels(render(run_cli, root))
    assert labels.get("cost-center") == "42"
    assert "team-name" not in labels


def test_namespace_label_propagation_false_does_not_disable_cluster_propagation(
    write_tree, run_cli
) -> None:
    root = _propagation_tree(write_tree, {"enabled": True, "match": ["team-*"]}, {"enabled": False})
    assert _isvc_labels(render(run_cli, root)).get("team-name") == "a"


def test_namespace_label_propagation_enables_cluster_match_list(write_tree, run_cli) -> None:
    root = _propagation_tree(write_tree, {"match": ["team-*"]}, {"enabled": True})
    assert _isvc_labels(render(run_cli, root)).get("team-name") == "a"


# --- storage class and PVC headroom (§3.1, §3.6, §4.9) ----------------------------------------------


def _storage_tree(write_tree: WriteTree, *configs: Doc, svc: Doc | None = None) -> Path:
    return tree(write_tree, *base(), *configs, svc or service())


def test_storage_block_in_namespace_config_resets_cluster_headroom_to_crd_default(
    write_tree, run_cli
) -> None:
    root = _storage_tree(
        write_tree,
        runtime_config(cluster=True, storage={"pvcHeadroomPercent": 20}),
        runtime_config(storage={"defaultStorageClassName": "team-sc"}),
    )
    claim = pvc(render(run_cli, root))
    assert claim["spec"]["resources"]["requests"]["storage"] == "11Gi"  # 10Gi + 10 %, not + 20 %
    assert claim["spec"]["storageClassName"] == "team-sc"


def test_cluster_headroom_used_when_namespace_config_has_no_storage_block(
    write_tree, run_cli
) -> None:
    root = _storage_tree(
        write_tree,
        runtime_config(cluster=True, storage={"pvcHeadroomPercent": 20}),
        runtime_config(env=[{"name": "X", "value": "1"}]),
    )
    assert pvc(render(run_cli, root))["spec"]["resources"]["requests"]["storage"] == "12Gi"


def test_zero_namespace_headroom_does_not_override_cluster_headroom(write_tree, run_cli) -> None:
    root = _storage_tree(
        write_tree,
        runtime_config(cluster=True, storage={"pvcHeadroomPercent": 20}),
        runtime_config(storage={"pvcHeadroomPercent": 0}),
    )
    assert pvc(render(run_cli, root))["spec"]["resources"]["requests"]["storage"] == "12Gi"


def test_zero_headroom_in_the_only_runtime_config_is_used(write_tree, run_cli) -> None:
    root = _storage_tree(write_tree, runtime_config(storage={"pvcHeadroomPercent": 0}))
    assert pvc(render(run_cli, root))["spec"]["resources"]["requests"]["storage"] == "10Gi"


def test_namespace_storage_class_over_cluster(write_tree, run_cli) -> None:
    root = _storage_tree(
        write_tree,
        runtime_config(cluster=True, storage={"defaultStorageClassName": "cluster-sc"}),
        runtime_config(storage={"defaultStorageClassName": "team-sc"}),
    )
    assert pvc(render(run_cli, root))["spec"]["storageClassName"] == "team-sc"


def test_service_storage_class_over_runtime_config(write_tree, run_cli) -> None:
    root = _storage_tree(
        write_tree,
        runtime_config(cluster=True, storage={"defaultStorageClassName": "cluster-sc"}),
        svc=service(storage={"defaultStorageClassName": "svc-sc"}),
    )
    items = render(run_cli, root, "--include-intermediates")
    assert one(items, "AIMTemplateCache")["spec"]["storageClassName"] == "svc-sc"
    assert pvc(items)["spec"]["storageClassName"] == "svc-sc"


def test_service_storage_class_even_empty_wins(write_tree, run_cli, tmp_path) -> None:
    root = _storage_tree(
        write_tree,
        runtime_config(cluster=True, storage={"defaultStorageClassName": "cluster-sc"}),
        svc=service(storage={"defaultStorageClassName": ""}),
    )
    items = render(run_cli, root, "--include-intermediates")
    # The cache and its artifact get the service's "" (the artifact is named for "") ...
    assert "storageClassName" not in one(items, "AIMTemplateCache")["spec"]
    artifact = one(items, "AIMArtifact")
    assert "storageClassName" not in artifact["spec"]
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "all.yaml").write_text(dump(*base(), service()))
    unset = one(render(run_cli, plain, "--include-intermediates"), "AIMArtifact")
    assert artifact["metadata"]["name"] == unset["metadata"]["name"]
    # ... while the PVC falls back to the artifact's runtime config (§3.6).
    assert pvc(items)["spec"]["storageClassName"] == "cluster-sc"


def test_service_storage_headroom_is_ignored(write_tree, run_cli) -> None:
    root = _storage_tree(write_tree, svc=service(storage={"pvcHeadroomPercent": 50}))
    assert pvc(render(run_cli, root))["spec"]["resources"]["requests"]["storage"] == "11Gi"


def test_deprecated_runtime_config_fields_are_migrated(write_tree, run_cli) -> None:
    root = _storage_tree(
        write_tree,
        runtime_config(cluster=True, defaultStorageClassName="old-sc", pvcHeadroomPercent=50),
    )
    claim = pvc(render(run_cli, root))
    assert claim["spec"]["storageClassName"] == "old-sc"
    assert claim["spec"]["resources"]["requests"]["storage"] == "15Gi"


def test_new_storage_fields_over_deprecated_fields(write_tree, run_cli) -> None:
    root = _storage_tree(
        write_tree,
        runtime_config(
            cluster=True,
            storage={"defaultStorageClassName": "new-sc", "pvcHeadroomPercent": 20},
            defaultStorageClassName="old-sc",
            pvcHeadroomPercent=50,
        ),
    )
    claim = pvc(render(run_cli, root))
    assert claim["spec"]["storageClassName"] == "new-sc"
    assert claim["spec"]["resources"]["requests"]["storage"] == "12Gi"


def test_deprecated_headroom_is_not_migrated_when_storage_block_defaults_it(
    write_tree, run_cli
) -> None:
    root = _storage_tree(
        write_tree,
        runtime_config(
            cluster=True, storage={"defaultStorageClassName": "sc"}, pvcHeadroomPercent=50
        ),
    )
    assert pvc(render(run_cli, root))["spec"]["resources"]["requests"]["storage"] == "11Gi"


def test_migrated_namespace_field_over_cluster_field(write_tree, run_cli) -> None:
    root = _storage_tree(
        write_tree,
        runtime_config(cluster=True, storage={"defaultStorageClassName": "cluster-sc"}),
        runtime_config(defaultStorageClassName="team-old-sc"),
    )
    assert pvc(render(run_cli, root))["spec"]["storageClassName"] == "team-old-sc"


# --- inference container env (§3.4.2) --------------------------------------------------------------


def _env_tree(
    write_tree: WriteTree,
    *,
    cluster_env: list[Doc] | None = None,
    ns_env: list[Doc] | None = None,
    template_env: list[Doc] | None = None,
    service_env: list[Doc] | None = None,
    **template_spec: Any,
) -> Path:
    docs: list[Doc] = [model()]
    extra = dict(template_spec)
    if template_env is not None:
        extra["env"] = template_env
    docs.append(template(**extra))
    if cluster_env is not None:
        docs.append(runtime_config(cluster=True, env=cluster_env))
    if ns_env is not None:
        docs.append(runtime_config(env=ns_env))
    docs.append(service(env=service_env) if service_env is not None else service())
    return tree(write_tree, *docs)


def test_service_env_over_template_env(write_tree, run_cli) -> None:
    root = _env_tree(
        write_tree,
        template_env=[{"name": "X", "value": "template"}],
        service_env=[{"name": "X", "value": "service"}],
    )
    assert env_map(render(run_cli, root))["X"] == "service"


def test_template_env_over_runtime_config_env(write_tree, run_cli) -> None:
    root = _env_tree(
        write_tree,
        cluster_env=[{"name": "X", "value": "cluster"}],
        ns_env=[{"name": "X", "value": "namespace"}],
        template_env=[{"name": "X", "value": "template"}],
    )
    assert env_map(render(run_cli, root))["X"] == "template"


def test_service_env_over_runtime_config_env(write_tree, run_cli) -> None:
    root = _env_tree(
        write_tree,
        cluster_env=[{"name": "X", "value": "cluster"}],
        service_env=[{"name": "X", "value": "service"}],
    )
    assert env_map(render(run_cli, root))["X"] == "service"


def test_template_env_over_template_derived_aim_metric(write_tree, run_cli) -> None:
    root = _env_tree(write_tree, template_env=[{"name": "AIM_METRIC", "value": "throughput"}])
    assert env_map(render(run_cli, root))["AIM_METRIC"] == "throughput"


def test_service_env_over_template_derived_aim_variables(write_tree, run_cli) -> None:
    root = _env_tree(
        write_tree,
        profileId="p1",
        service_env=[
            {"name": "AIM_PRECISION", "value": "fp16"},
            {"name": "AIM_PROFILE_ID", "value": "mine"},
            {"name": "AIM_MODEL_ID", "value": "org/other"},
        ],
    )
    env = env_map(render(run_cli, root))
    assert (env["AIM_PRECISION"], env["AIM_PROFILE_ID"], env["AIM_MODEL_ID"]) == (
        "fp16",
        "mine",
        "org/other",
    )


def test_runtime_config_env_over_system_defaults(write_tree, run_cli) -> None:
    root = _env_tree(
        write_tree,
        cluster_env=[
            {"name": "VLLM_ENABLE_METRICS", "value": "false"},
            {"name": "AIM_CACHE_PATH", "value": "/elsewhere"},
        ],
    )
    env = env_map(render(run_cli, root))
    assert (env["VLLM_ENABLE_METRICS"], env["AIM_CACHE_PATH"]) == ("false", "/elsewhere")


def test_env_set_at_every_layer_is_explained_with_winner_and_overridden_values(
    write_tree, run_cli
) -> None:
    root = _env_tree(
        write_tree,
        cluster_env=[{"name": "X", "value": "cluster"}],
        ns_env=[{"name": "X", "value": "namespace"}],
        template_env=[{"name": "X", "value": "template"}],
        service_env=[{"name": "X", "value": "service"}],
    )
    entry = value_of(explain(run_cli, root, "team/svc", "env.X"), "env.X")
    assert entry["value"] == "service"
    assert entry["origin"]["scope"] == "service"
    assert entry["origin"]["file"] == "all.yaml"
    assert entry["origin"]["line"] == line_of(
        root, "all.yaml", "- name: X", after="kind: AIMService"
    )
    assert [(o["origin"]["scope"], o["value"]) for o in entry["overridden"]] == [
        ("template", "template"),
        ("namespace runtime config", "namespace"),
        ("cluster runtime config", "cluster"),
    ]


def test_engine_args_are_deep_merged_across_every_layer(write_tree, run_cli) -> None:
    root = _env_tree(
        write_tree,
        cluster_env=[
            {"name": "AIM_ENGINE_ARGS", "value": '{"a": 1, "nested": {"x": 1}, "c": "c"}'}
        ],
        ns_env=[{"name": "AIM_ENGINE_ARGS", "value": '{"b": 2, "c": "n"}'}],
        template_env=[{"name": "AIM_ENGINE_ARGS", "value": '{"nested": {"y": 2}}'}],
        service_env=[{"name": "AIM_ENGINE_ARGS", "value": '{"a": 3, "tag": "<x&y>"}'}],
    )
    assert env_map(render(run_cli, root))["AIM_ENGINE_ARGS"] == (
        '{"a":3,"b":2,"c":"n","nested":{"x":1,"y":2},"tag":"\\u003cx\\u0026y\\u003e"}'
    )


def test_engine_args_from_a_single_layer_pass_through_verbatim(write_tree, run_cli) -> None:
    root = _env_tree(
        write_tree, service_env=[{"name": "AIM_ENGINE_ARGS", "value": '{"b": 1, "a": 2.0}'}]
    )
    assert env_map(render(run_cli, root))["AIM_ENGINE_ARGS"] == '{"b": 1, "a": 2.0}'


def test_engine_args_higher_layer_wins_verbatim_when_either_side_is_not_an_object(
    write_tree, run_cli
) -> None:
    root = _env_tree(
        write_tree,
        cluster_env=[{"name": "AIM_ENGINE_ARGS", "value": '{"a": 1}'}],
        service_env=[{"name": "AIM_ENGINE_ARGS", "value": "--max-model-len 8192"}],
    )
    assert env_map(render(run_cli, root))["AIM_ENGINE_ARGS"] == "--max-model-len 8192"


def test_engine_args_merge_drops_value_from(write_tree, run_cli) -> None:
    root = _env_tree(
        write_tree,
        cluster_env=[{"name": "AIM_ENGINE_ARGS", "value": '{"a": 1}'}],
        service_env=[
            {
                "name": "AIM_ENGINE_ARGS",
                "valueFrom": {"configMapKeyRef": {"name": "args", "key": "json"}},
            }
        ],
    )
    (entry,) = [
        e for e in container(render(run_cli, root))["env"] if e["name"] == "AIM_ENGINE_ARGS"
    ]
    assert entry == {"name": "AIM_ENGINE_ARGS", "value": '{"a": 1}'}


def test_profile_env_vars_and_model_env_never_reach_the_container(write_tree, run_cli) -> None:
    frozen = {
        "status": "Ready",
        "profile": {
            "env_vars": {"FROM_PROFILE": "1"},
            "metadata": {"type": "optimized", "gpu": "MI300X", "gpuCount": 1},
        },
        "modelSources": [{"modelId": "org/m", "sourceUri": "hf://org/m", "size": "10Gi"}],
    }
    root = tree(
        write_tree,
        model(env=[{"name": "FROM_MODEL", "value": "1"}]),
        template(sources=False, status=frozen),
        service(),
    )
    env = env_map(render(run_cli, root))
    assert "FROM_PROFILE" not in env
    assert "FROM_MODEL" not in env


# --- container resources (§3.5) --------------------------------------------------------------------


def _resources(items: list[Doc]) -> Doc:
    return dict(container(items).get("resources") or {})


def test_gpu_defaults_scale_with_the_resolved_gpu_count(write_tree, run_cli) -> None:
    root = tree(write_tree, model(), template(count=2), service())
    assert _resources(render(run_cli, root)) == {
        "requests": {"amd.com/gpu": "2", "cpu": "8", "memory": "64Gi"},
        "limits": {"amd.com/gpu": "2", "memory": "96Gi"},
    }


def test_template_resources_over_gpu_defaults_per_resource_name(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template(resources={"requests": {"memory": "40Gi"}, "limits": {"cpu": "16"}}),
        service(),
    )
    assert _resources(render(run_cli, root)) == {
        "requests": {"amd.com/gpu": "1", "cpu": "4", "memory": "40Gi"},
        "limits": {"amd.com/gpu": "1", "cpu": "16", "memory": "48Gi"},
    }


def test_service_resources_over_template_resources(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template(resources={"requests": {"memory": "40Gi"}}),
        service(resources={"requests": {"memory": "100Gi"}}),
    )
    assert _resources(render(run_cli, root))["requests"]["memory"] == "100Gi"


def test_service_resources_can_change_the_gpu_count_but_not_the_cpu_default(
    write_tree, run_cli
) -> None:
    root = tree(
        write_tree,
        *base(),
        service(resources={"requests": {"amd.com/gpu": "2"}, "limits": {"amd.com/gpu": "2"}}),
    )
    assert _resources(render(run_cli, root)) == {
        "requests": {"amd.com/gpu": "2", "cpu": "4", "memory": "32Gi"},
        "limits": {"amd.com/gpu": "2", "memory": "48Gi"},
    }


def test_model_resources_are_never_used(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(resources={"requests": {"memory": "1Gi"}}),
        template(),
        service(),
    )
    assert _resources(render(run_cli, root))["requests"]["memory"] == "32Gi"


def test_cpu_only_template_without_resources_has_no_resource_block(write_tree, run_cli) -> None:
    root = tree(write_tree, model(), template(gpu=None, count=0), service())
    assert "resources" not in container(render(run_cli, root))


def test_gpu_resource_name_comes_from_the_template_hardware(write_tree, run_cli) -> None:
    root = tree(
        write_tree,
        model(),
        template(
            hardware={"gpu": {"model": "MI300X", "requests": 1, "resourceName": "amd.com/gpu-vf"}}
        ),
        service(),
    )
    assert _resources(render(run_cli, root))["limits"] == {"amd.com/gpu-vf": "1", "memory": "48Gi"}
