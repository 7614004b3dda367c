"""The AIMTemplateCache a namespace template with ``spec.caching.enabled`` creates for itself (§4.7).

The template controller pre-warms the template's weights whether or not a service uses it
(aimservicetemplate ``PlanResources`` + ``BuildTemplateCache``); the template-cache and artifact
controllers then create the artifacts, PVCs, download Jobs and the RoleBinding, with the label
chain template -> cache -> artifact -> PVC.
"""

from __future__ import annotations

from aimctl.catalog import Catalog, Entry
from aimctl.errors import Diagnostic
from aimctl.model import AIM_API_VERSION, AIMModel, AIMServiceTemplate, AIMTemplateCache
from aimctl.resolve.caching import CachePlan, plan_cache_artifacts
from aimctl.resolve.fields import env_dicts
from aimctl.resolve.labels import propagate_labels
from aimctl.resolve.naming import stand_in_uid
from aimctl.resolve.service import ResolveContext
from aimctl.resolve.templates import TemplateIndex, TemplateView, gpu_available, paused

__all__ = ["resolve_template_caches"]

MANAGED_BY = "aim-service-template-controller"
NAME_LABEL = "aim.eai.amd.com/service-template.name"


def _model_found(catalog: Catalog, view: TemplateView) -> bool:
    """A namespace template finds its AIMModel in its own namespace only (§11 #20); an inline
    template waiting for one that a service auto-creates was woken by then."""
    if not view.frozen:
        return view.waiting is None
    return catalog.lookup(AIMModel, view.namespace, view.spec.model_name) is not None


def _plans_cache(catalog: Catalog, index: TemplateIndex, view: TemplateView) -> bool:
    """``PlanResources``: not paused, caching enabled, the model found; then inline sources (no GPU
    check), or a Ready status with model sources on a GPU the cluster has."""
    spec = view.spec
    if paused(view.obj) or spec.caching is None or not spec.caching.enabled:
        return False
    if not _model_found(catalog, view):
        return False
    if spec.model_sources:
        return True
    gpu = spec.hardware.gpu if spec.hardware else None
    return (
        view.state == "Ready"
        and bool(view.status.get("modelSources"))
        and gpu_available(gpu, index.inventory)
    )


def _owned_cache_exists(catalog: Catalog, entry: Entry[AIMServiceTemplate]) -> bool:
    """``HasExistingTemplateCache``: a cache in the namespace owned by this template's UID."""
    uid = entry.obj.metadata.uid or stand_in_uid(
        AIM_API_VERSION, entry.key.kind, entry.key.namespace or "", entry.key.name
    )
    for cache in catalog.entries(AIMTemplateCache):
        if cache.key.namespace == entry.key.namespace and any(
            ref.uid == uid for ref in cache.obj.metadata.owner_references or ()
        ):
            return True
    return False


def resolve_template_caches(
    catalog: Catalog,
    index: TemplateIndex,
    context: ResolveContext,
    namespaces: frozenset[str] | None = None,
) -> tuple[list[CachePlan], list[Diagnostic]]:
    """The caches of the namespace templates with ``caching.enabled`` (of ``namespaces`` only,
    when given), with the artifacts each creates. A template whose runtime config cannot be found
    is not Ready and creates nothing (its services report the missing config)."""
    plans: list[CachePlan] = []
    problems: list[Diagnostic] = []
    for entry in catalog.entries(AIMServiceTemplate):
        ns = entry.key.namespace or ""
        if entry.obj.spec is None or (namespaces is not None and ns not in namespaces):
            continue
        view = index.get(entry.key.namespace, entry.key.name)
        if view is None or view.entry is not entry or not _plans_cache(catalog, index, view):
            continue
        if _owned_cache_exists(catalog, entry):
            continue
        config, errs = context.runtime_config(catalog, entry)
        if errs:
            continue
        spec = entry.obj.spec
        enabled, patterns = config.label_policy()
        labels = propagate_labels(entry.obj.metadata.labels or {}, {}, enabled, patterns)
        labels.setdefault("app.kubernetes.io/managed-by", MANAGED_BY)
        labels.setdefault(NAME_LABEL, entry.key.name)
        plan = CachePlan(
            name=entry.key.name,
            namespace=ns,
            mode="Shared",  # BuildTemplateCache leaves it unset: the CRD default
            template_name=entry.key.name,
            template_scope="Namespace",
            storage_class="",
            runtime_config_name=spec.runtime_config_name or "",
            env=env_dicts(spec.caching.env)
            if spec.caching is not None
            else [],  # set: _plans_cache
            labels=labels,
        )
        existing = context.existing_artifacts(catalog, ns)
        problems.extend(plan_cache_artifacts(entry, view, plan, config, existing))
        plans.append(plan)
    return plans, problems
