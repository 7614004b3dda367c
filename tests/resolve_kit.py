"""The kit of the end-to-end resolution tests: document builders, CLI runners, and the schema check
of every rendered child. Shared by ``test_resolve_precedence.py``, the ``test_resolve_*.py`` files
split by resolve concern, ``test_fidelity_rules.py`` and ``test_hostile_repository.py``.

Importing ``_templates_compiled_once`` (an autouse fixture) compiles the shipped templates once per
session instead of once per render.
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


# --- reading results -------------------------------------------------------------------------------


def selected_template(items: list[Doc]) -> str:
    """The template the InferenceService was built from (its ``aim.eai.amd.com/template`` label)."""
    return str(one(items, "InferenceService")["metadata"]["labels"]["aim.eai.amd.com/template"])


def selects_or_refuses(run_cli: Callable[..., Any], root: Path, selected: bool, code: str) -> None:
    """The render picks template ``t`` when ``selected``; otherwise it fails with ``code``."""
    if selected:
        assert selected_template(render(run_cli, root)) == "t"
    else:
        the_error(run_cli, root, code)


def located(error: Doc, root: Path, file: str, needle: str, after: str = "") -> None:
    """The diagnostic points at ``file`` and the line holding ``needle``."""
    assert (error["file"], error["line"]) == (file, line_of(root, file, needle, after)), error


def custom_model_spec(
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
