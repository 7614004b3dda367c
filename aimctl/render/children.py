"""Resolved services -> the Kubernetes objects the operator would create (operator-behaviour.md §4).

Python computes every value here; the templates in ``templates/`` only give them their shape.
Objects shared by several services (Shared caches, their artifacts, PVCs, Jobs, the per-namespace
RoleBinding) are emitted once: the first service in (namespace, name) order creates them, as the
first reconcile would.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aimctl.errors import Diagnostic
from aimctl.provenance import ResourceKey
from aimctl.render.engine import TemplateError, TemplateSet
from aimctl.resolve.caching import ArtifactPlan, CachePlan
from aimctl.resolve.naming import cache_mount_path, cache_volume_name
from aimctl.resolve.quantity import parse_quantity
from aimctl.resolve.service import ResolvedService, propagated_labels

__all__ = ["RenderedManifest", "default_templates_dir", "render_services"]


@dataclass(frozen=True, slots=True)
class RenderedManifest:
    """One rendered object and where it came from (parent service and template file)."""

    body: dict[str, Any]
    parent: ResourceKey
    template: str

    @property
    def identity(self) -> tuple[str, str, str, str]:
        meta = self.body["metadata"]
        return (
            self.body["apiVersion"],
            self.body["kind"],
            meta.get("namespace") or "",
            meta["name"],
        )


def default_templates_dir() -> Path:
    """``templates/`` inside the installed package, or at the top of a source checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_data" / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


def _sorted(labels: dict[str, str]) -> dict[str, str]:
    return dict(sorted(labels.items()))


def _is_quantity(value: Any) -> bool:
    try:
        parse_quantity(str(value))
    except (ValueError, ArithmeticError):
        return False
    return True


def _metric(metric: dict[str, Any]) -> dict[str, Any]:
    """One AIM autoscaling metric as the operator copies it into the ISVC (§4.1)."""
    out: dict[str, Any] = {"type": metric["type"]}
    pod = metric.get("podmetric")
    if metric["type"] == "PodMetric" and pod:
        src = pod.get("metric") or {}
        copied: dict[str, Any] = {"backend": src.get("backend", "")}
        for key in ("serverAddress", "metricNames", "query", "operationOverTime"):
            if src.get(key):
                copied[key] = src[key]
        tgt = pod.get("target") or {}
        target: dict[str, Any] = {"type": tgt.get("type")}
        for key in ("value", "averageValue"):
            if tgt.get(key) and _is_quantity(tgt[key]):
                target[key] = tgt[key]
        if tgt.get("averageUtilization") is not None:
            target["averageUtilization"] = tgt["averageUtilization"]
        out["podmetric"] = {"metric": copied, "target": target}
    return out


def _isvc_context(svc: ResolvedService) -> dict[str, Any]:
    assert svc.scaling is not None and svc.template is not None
    spec = svc.entry.obj.spec
    scaling = svc.scaling
    if scaling.autoscaling:
        annotations = {
            "prometheus.kserve.io/port": "8000",
            "serving.kserve.io/autoscalerClass": "keda",
            "sidecar.opentelemetry.io/inject": f"{svc.isvc_name}-predictor",
        }
    else:
        annotations = {"serving.kserve.io/autoscalerClass": "none"}
    mounts: list[dict[str, Any]] = [{"name": "dshm", "mountPath": "/dev/shm"}]
    volumes: list[dict[str, Any]] = [
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}}
    ]
    artifacts = svc.cache.artifacts if svc.cache else []
    for art in sorted(artifacts, key=lambda a: a.name):
        volume = cache_volume_name(art.name)
        mounts.append({"name": volume, "mountPath": cache_mount_path(art.model_id, volume)})
        volumes.append({"name": volume, "persistentVolumeClaim": {"claimName": art.pvc_name}})
    affinity = svc.template.status.get("resolvedNodeAffinity")
    auto = None
    if scaling.autoscaling and spec.auto_scaling is not None:
        auto = {"metrics": [_metric(m) for m in scaling.metrics]}
    return {
        "name": svc.isvc_name,
        "namespace": svc.namespace,
        "labels": _sorted(svc.isvc_labels),
        "annotations": annotations,
        "min_replicas": scaling.min_replicas,
        "max_replicas": scaling.max_replicas or None,
        "auto_scaling": auto,
        "service_account_name": spec.service_account_name or None,
        "image_pull_secrets": [
            s.model_dump(by_alias=True, exclude_none=True) for s in spec.image_pull_secrets
        ]
        if spec.image_pull_secrets
        else None,
        "affinity": {"nodeAffinity": affinity} if affinity else None,
        "image": svc.model.image if svc.model else "",
        "env": svc.env or None,
        "resources": svc.resources or None,
        "volume_mounts": mounts,
        "volumes": volumes,
    }


def _route_context(svc: ResolvedService) -> dict[str, Any]:
    assert svc.route is not None
    route = svc.route
    return {
        "name": svc.route_name,
        "namespace": svc.namespace,
        "labels": _sorted(svc.route_labels),
        "annotations": dict(route.annotations) or None,
        "gateway_ref": route.gateway_ref,
        "path": route.path,
        "backend": f"{svc.isvc_name}-predictor",
        "timeouts": {"request": route.timeout} if route.timeout else None,
    }


def _artifact_contexts(cache: CachePlan, art: ArtifactPlan) -> dict[str, dict[str, Any]]:
    return {
        "pvc": {
            "name": art.pvc_name,
            "namespace": art.namespace,
            "labels": _sorted(art.pvc_labels),
            "size": art.pvc_size,
            "storage_class": art.pvc_storage_class,
        },
        "job": {
            "name": art.job_name,
            "namespace": art.namespace,
            "labels": _sorted(art.job_labels),
            "pod_labels": _sorted(art.job_pod_labels),
            "image_pull_secrets": None,
            "image": art.download_image,
            "source_uri": art.source_uri,
            "env": art.job_env,
            "pvc_name": art.pvc_name,
        },
        "binding": {"namespace": art.namespace, "labels": _sorted(art.binding_labels)},
        "artifact": {
            "name": art.name,
            "namespace": art.namespace,
            "labels": _sorted(art.labels),
            "source_uri": art.source_uri,
            "model_id": art.model_id,
            "storage_class": art.storage_class or None,
            "size": art.size,
            "env": art.env or None,
            "runtime_config_name": art.runtime_config_name or None,
            "download_image": art.download_image,
        },
        "cache": {
            "name": cache.name,
            "namespace": cache.namespace,
            "labels": _sorted(cache.labels),
            "template_name": cache.template_name,
            "template_scope": cache.template_scope,
            "storage_class": cache.storage_class or None,
            "runtime_config_name": cache.runtime_config_name or None,
            "mode": cache.mode,
            "env": cache.env or None,
        },
    }


def _render(
    templates: TemplateSet,
    name: str,
    context: dict[str, Any],
    svc: ResolvedService,
    out: dict[tuple[str, str, str, str], RenderedManifest],
    problems: list[Diagnostic],
) -> None:
    try:
        body = templates.render(name, context)
    except TemplateError as exc:
        problems.append(
            Diagnostic(
                "E_TEMPLATE",
                f"rendering {exc}",
                file=svc.entry.file,
                doc=svc.entry.doc,
                resource=svc.entry.key,
            )
        )
        return
    manifest = RenderedManifest(body, svc.entry.key, name)
    out.setdefault(manifest.identity, manifest)


def _with_model_labels(svc: ResolvedService, manifest: dict[str, Any]) -> dict[str, Any]:
    """Auto-created models carry propagated service labels and the service controller's labels."""
    meta = dict(manifest["metadata"])
    labels = propagated_labels(svc, dict(meta.get("labels") or {}))
    labels.setdefault("app.kubernetes.io/managed-by", "aim-service-controller")
    labels.setdefault("aim.eai.amd.com/service.name", svc.name)
    meta["labels"] = _sorted(labels)
    return {**manifest, "metadata": meta}


def render_services(
    services: Iterable[ResolvedService], templates: TemplateSet, include_intermediates: bool = False
) -> tuple[list[RenderedManifest], list[Diagnostic]]:
    """Every child of every resolved service, deduplicated by identity (first creator wins)."""
    out: dict[tuple[str, str, str, str], RenderedManifest] = {}
    problems: list[Diagnostic] = []
    bindings: set[str] = set()
    for svc in sorted(services, key=lambda s: (s.namespace, s.name)):
        if not svc.ok or svc.template is None:
            continue
        cache = svc.cache
        for art in cache.artifacts if cache else []:
            assert cache is not None
            ctx = _artifact_contexts(cache, art)
            if art.namespace not in bindings:
                bindings.add(art.namespace)
                _render(
                    templates,
                    "artifact-status-rolebinding",
                    {"binding": ctx["binding"]},
                    svc,
                    out,
                    problems,
                )
            _render(templates, "persistentvolumeclaim", {"pvc": ctx["pvc"]}, svc, out, problems)
            _render(templates, "download-job", {"job": ctx["job"]}, svc, out, problems)
            if include_intermediates:
                _render(templates, "aimartifact", {"artifact": ctx["artifact"]}, svc, out, problems)
        if include_intermediates and cache is not None and cache.artifacts:
            cache_ctx = _artifact_contexts(cache, cache.artifacts[0])["cache"]
            _render(templates, "aimtemplatecache", {"cache": cache_ctx}, svc, out, problems)
        _render(templates, "inferenceservice", {"isvc": _isvc_context(svc)}, svc, out, problems)
        if svc.route is not None and svc.route.enabled:
            _render(templates, "httproute", {"route": _route_context(svc)}, svc, out, problems)
        if include_intermediates:
            _intermediates(svc, out)
    return list(out.values()), problems


def _intermediates(
    svc: ResolvedService, out: dict[tuple[str, str, str, str], RenderedManifest]
) -> None:
    """The auto-created AIMModel and the templates generated for it (§4.3, §4.4, §4.11)."""
    model = svc.model
    model_labels: dict[str, str] = {}
    if model is not None and model.manifest is not None:
        body = _with_model_labels(svc, model.manifest)
        model_labels = body["metadata"]["labels"]
        manifest = RenderedManifest(body, svc.entry.key, "aimmodel")
        out.setdefault(manifest.identity, manifest)
    if svc.derived_template is not None:
        manifest = RenderedManifest(svc.derived_template, svc.entry.key, "derived template")
        out.setdefault(manifest.identity, manifest)
    template = svc.template
    if template is not None and template.manifest is not None and model is not None:
        meta = dict(template.manifest["metadata"])
        labels = dict(meta.get("labels") or {})
        for key, value in (model_labels or dict(model.obj.metadata.labels or {})).items():
            if key.startswith("aim.eai.amd.com/"):
                labels.setdefault(key, value)
        cluster = template.kind == "AIMClusterServiceTemplate"
        labels.setdefault(
            "app.kubernetes.io/managed-by",
            "aim-cluster-model-controller" if cluster else "aim-model-controller",
        )
        labels.setdefault(
            "aim.eai.amd.com/cluster-model.name" if cluster else "aim.eai.amd.com/model.name",
            model.name,
        )
        meta["labels"] = _sorted(labels)
        body = {**template.manifest, "metadata": meta}
        manifest = RenderedManifest(body, svc.entry.key, "generated template")
        out.setdefault(manifest.identity, manifest)
