"""Resolved services -> the Kubernetes objects the operator would create (operator-behaviour.md §4).

Pure mapping: resolution chose every value (with its Decision); this module only lays the resolved
values out as template contexts, and the templates in ``templates/`` give them their shape.
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
from aimctl.provenance import ResourceKey, slot_init
from aimctl.render.engine import TemplateError, TemplateSet
from aimctl.resolve.caching import ArtifactPlan, CachePlan
from aimctl.resolve.service import ResolvedService
from aimctl.resolve.templates import TemplateView

__all__ = ["RenderedManifest", "default_templates_dir", "render_services"]


@slot_init
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
    return {key: labels[key] for key in sorted(labels)}  # keys only: no tuple comparisons


def _isvc_context(svc: ResolvedService) -> dict[str, Any]:
    assert svc.scaling is not None and svc.isvc is not None
    plan = svc.isvc
    return {
        "name": svc.isvc_name,
        "namespace": svc.namespace,
        "labels": _sorted(svc.isvc_labels),
        "annotations": plan.annotations,
        "min_replicas": svc.scaling.min_replicas,
        "max_replicas": svc.scaling.max_replicas or None,
        "auto_scaling": plan.auto_scaling,
        "service_account_name": plan.service_account_name,
        "priority_class_name": plan.priority_class_name,
        "image_pull_secrets": plan.image_pull_secrets,
        "affinity": {"nodeAffinity": plan.node_affinity} if plan.node_affinity else None,
        "image": svc.model.image if svc.model else "",
        "env": svc.env or None,
        "resources": svc.resources or None,
        "volume_mounts": plan.volume_mounts,
        "volumes": plan.volumes,
    }


def _configmap_context(svc: ResolvedService) -> dict[str, Any]:
    assert svc.custom_profile is not None
    profile = svc.custom_profile
    return {
        "configmap": {
            "name": svc.custom_profile_configmap,
            "namespace": svc.namespace,
            "labels": _sorted(svc.custom_profile_labels),
            "data": {profile.file_name: profile.text},
        }
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


def _cache_context(cache: CachePlan) -> dict[str, Any]:
    return {
        "name": cache.name,
        "namespace": cache.namespace,
        "labels": _sorted(cache.labels),
        "template_name": cache.template_name,
        "template_scope": cache.template_scope,
        "storage_class": cache.storage_class or None,
        "runtime_config_name": cache.runtime_config_name or None,
        "mode": cache.mode,
        "env": cache.env or None,
    }


def _pvc_context(art: ArtifactPlan) -> dict[str, Any]:
    return {
        "name": art.pvc_name,
        "namespace": art.namespace,
        "labels": _sorted(art.pvc_labels),
        "size": art.pvc_size,
        "storage_class": art.pvc_storage_class,
    }


def _job_context(art: ArtifactPlan) -> dict[str, Any]:
    return {
        "name": art.job_name,
        "namespace": art.namespace,
        "labels": _sorted(art.job_labels),
        "pod_labels": _sorted(art.job_pod_labels),
        "image_pull_secrets": art.image_pull_secrets,
        "image": art.download_image,
        "source_uri": art.source_uri,
        "env": art.job_env,
        "pvc_name": art.pvc_name,
    }


def _binding_context(art: ArtifactPlan) -> dict[str, Any]:
    return {"namespace": art.namespace, "labels": _sorted(art.binding_labels)}


def _artifact_context(art: ArtifactPlan) -> dict[str, Any]:
    return {
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
    }


class _Output:
    """Rendered objects by identity (first creator wins) and the problems met on the way."""

    def __init__(self, templates: TemplateSet, include_intermediates: bool) -> None:
        self.templates = templates
        self.include_intermediates = include_intermediates
        self.objects: dict[tuple[str, str, str, str], RenderedManifest] = {}
        self.problems: list[Diagnostic] = []
        self.bindings: set[str] = set()

    def add(self, manifest: RenderedManifest) -> None:
        self.objects.setdefault(manifest.identity, manifest)

    def render(
        self, name: str, context: dict[str, Any], parent: ResourceKey, file: str, doc: int
    ) -> None:
        try:
            body = self.templates.render(name, context)
        except TemplateError as exc:
            self.problems.append(
                Diagnostic("E_TEMPLATE", f"rendering {exc}", file=file, doc=doc, resource=parent)
            )
            return
        self.add(RenderedManifest(body, parent, name))

    def cache(self, cache: CachePlan, parent: ResourceKey, file: str, doc: int, own: bool) -> None:
        """A template cache's artifacts and their PVCs, Jobs and the namespace's RoleBinding."""
        for art in cache.artifacts:
            self.artifact(art, parent, file, doc, of_cache=True)
        if own and self.include_intermediates:  # also when it reuses every artifact
            self.render("aimtemplatecache", {"cache": _cache_context(cache)}, parent, file, doc)

    def artifact(
        self,
        art: ArtifactPlan,
        parent: ResourceKey,
        file: str,
        doc: int,
        of_cache: bool = False,
    ) -> None:
        """An artifact's children; the AIMArtifact itself (an intermediate) only for one a cache
        plans, as a hand-written artifact is an input. Each context is built only when used."""
        if art.namespace not in self.bindings:
            self.bindings.add(art.namespace)
            binding = {"binding": _binding_context(art)}
            self.render("artifact-status-rolebinding", binding, parent, file, doc)
        self.render("persistentvolumeclaim", {"pvc": _pvc_context(art)}, parent, file, doc)
        self.render("download-job", {"job": _job_context(art)}, parent, file, doc)
        if self.include_intermediates and of_cache:
            self.render("aimartifact", {"artifact": _artifact_context(art)}, parent, file, doc)


def render_services(
    services: Iterable[ResolvedService],
    templates: TemplateSet,
    include_intermediates: bool = False,
    generated: Iterable[TemplateView] = (),
    caches: Iterable[tuple[CachePlan, ResourceKey, str, int]] = (),
    artifacts: Iterable[tuple[ArtifactPlan, ResourceKey, str, int]] = (),
    template_caches: Iterable[tuple[CachePlan, ResourceKey, str, int]] = (),
) -> tuple[list[RenderedManifest], list[Diagnostic]]:
    """Every child of every resolved service, deduplicated by identity (first creator wins).

    Hand-written template caches and artifacts (``caches``/``artifacts``, each with its key and
    document) come first: they exist before any service looks for them. The caches templates
    create for themselves (``template_caches``, §4.7) come last, with their artifacts' children.
    """
    out = _Output(templates, include_intermediates)
    for cache, key, file, doc in caches:
        out.cache(cache, key, file, doc, own=False)
    for art, key, file, doc in artifacts:
        out.artifact(art, key, file, doc)
    for svc in sorted(services, key=lambda s: (s.namespace, s.name)):
        if not svc.ok or svc.template is None:
            continue
        key, file, doc = svc.entry.key, svc.entry.file, svc.entry.doc
        if svc.cache is not None:
            out.cache(svc.cache, key, file, doc, own=True)
        if svc.custom_profile is not None:
            out.render("custom-profile-configmap", _configmap_context(svc), key, file, doc)
        out.render("inferenceservice", {"isvc": _isvc_context(svc)}, key, file, doc)
        if svc.route is not None and svc.route.enabled:
            out.render("httproute", {"route": _route_context(svc)}, key, file, doc)
        if include_intermediates:
            _intermediates(svc, out.objects)
    for cache, key, file, doc in template_caches:
        out.cache(cache, key, file, doc, own=True)
    if include_intermediates:
        # the model controller creates these whether or not a service uses them
        for view in generated:
            assert view.manifest is not None
            parent = ResourceKey(view.kind, view.namespace, view.name)
            out.add(RenderedManifest(view.manifest, parent, "model-generated template"))
    return list(out.objects.values()), out.problems


def _intermediates(
    svc: ResolvedService, out: dict[tuple[str, str, str, str], RenderedManifest]
) -> None:
    """The auto-created AIMModel and the templates generated for it (§4.3, §4.4, §4.11)."""
    model = svc.model
    if model is not None and model.manifest is not None:
        manifest = RenderedManifest(model.manifest, svc.entry.key, "aimmodel")
        out.setdefault(manifest.identity, manifest)
    if svc.derived_template is not None:
        manifest = RenderedManifest(svc.derived_template, svc.entry.key, "derived template")
        out.setdefault(manifest.identity, manifest)
