"""AIMTemplateCaches and AIMArtifacts written by hand in the input tree (§4.8, §4.9).

Their controllers create children whether or not a service uses them: a cache's artifacts (with
their PVCs and download Jobs), an artifact's PVC and download Job.
"""

from __future__ import annotations

from aimctl.catalog import Catalog, Entry, entry_error
from aimctl.errors import Diagnostic
from aimctl.model import AIM_API_VERSION, DEFAULT_DOWNLOAD_IMAGE, AIMArtifact, AIMTemplateCache
from aimctl.resolve.caching import (
    ArtifactPlan,
    ArtifactSpec,
    CachePlan,
    plan_artifact_children,
    plan_cache_artifacts,
    pvc_size_problem,
)
from aimctl.resolve.fields import env_dicts
from aimctl.resolve.naming import stand_in_uid
from aimctl.resolve.quantity import parse_quantity, quantity_bytes
from aimctl.resolve.service import ResolveContext
from aimctl.resolve.templates import TemplateIndex, TemplateView

__all__ = ["resolve_input_artifacts", "resolve_input_caches"]


def _cache_template(index: TemplateIndex, entry: Entry[AIMTemplateCache]) -> TemplateView | None:
    """The cache's template by ``templateScope``; ``Unknown`` looks in the namespace first."""
    spec = entry.obj.spec
    if spec is None:
        return None
    scope, name, ns = spec.template_scope, spec.template_name, entry.key.namespace
    if scope == "Namespace":
        return index.get(ns, name)
    if scope == "Cluster":
        return index.get(None, name)
    return index.get(ns, name) or index.get(None, name)


def resolve_input_caches(
    catalog: Catalog,
    index: TemplateIndex,
    context: ResolveContext,
    namespaces: frozenset[str] | None = None,
) -> tuple[list[CachePlan], list[Diagnostic]]:
    """Hand-written AIMTemplateCaches (of ``namespaces`` only, when given)."""
    plans: list[CachePlan] = []
    problems: list[Diagnostic] = []
    for entry in catalog.entries(AIMTemplateCache):
        spec = entry.obj.spec
        if spec is None or (namespaces is not None and entry.key.namespace not in namespaces):
            continue
        template = _cache_template(index, entry)
        if template is None:
            problems.append(
                entry_error(
                    "E_TEMPLATE_NOT_FOUND",
                    entry,
                    ("spec", "templateName"),
                    f'template "{spec.template_name}" not found at scope {spec.template_scope} '
                    "(the template cache fails)",
                )
            )
            continue
        if template.state != "Ready":
            problems.append(
                entry_error(
                    "E_TEMPLATE_NOT_READY",
                    entry,
                    ("spec", "templateName"),
                    f"template {template.display()} is {template.state}; the template cache "
                    "creates no artifacts until it is Ready",
                )
            )
            continue
        config, errs = context.runtime_config(catalog, entry)
        if errs:
            problems.extend(errs)
            continue
        plan = CachePlan(
            name=entry.key.name,
            namespace=entry.key.namespace or "",
            mode=spec.mode or "Shared",
            template_name=template.name,
            template_scope=spec.template_scope,  # as written: labels its artifacts (§4.8)
            storage_class=spec.storage_class_name or "",
            runtime_config_name=spec.runtime_config_name or "",
            env=env_dicts(spec.env),
            labels=dict(entry.obj.metadata.labels or {}),
        )
        existing = context.existing_artifacts(catalog, plan.namespace)
        problems.extend(plan_cache_artifacts(entry, template, plan, config, existing))
        plans.append(plan)
    return plans, problems


def resolve_input_artifacts(
    catalog: Catalog, context: ResolveContext, namespaces: frozenset[str] | None = None
) -> tuple[list[ArtifactPlan], list[Diagnostic]]:
    """Hand-written AIMArtifacts (of ``namespaces`` only, when given)."""
    plans: list[ArtifactPlan] = []
    problems: list[Diagnostic] = []
    for entry in catalog.entries(AIMArtifact):
        spec = entry.obj.spec
        if spec is None or (namespaces is not None and entry.key.namespace not in namespaces):
            continue
        if not spec.size or parse_quantity(str(spec.size)) <= 0:
            problems.append(
                entry_error(
                    "E_SIZE_UNKNOWN",
                    entry,
                    ("spec", "size"),
                    f"AIMArtifact {entry.key.name} has no size; the operator would run a "
                    "check-size Job, which aimctl cannot do offline",
                    "set spec.size (e.g. 16Gi)",
                )
            )
            continue
        config, errs = context.runtime_config(catalog, entry)
        if errs:
            problems.extend(errs)
            continue
        too_large = pvc_size_problem(
            quantity_bytes(str(spec.size)), config, entry, ("spec", "size")
        )
        if too_large is not None:
            problems.append(too_large)
            continue
        ns = entry.key.namespace or ""
        secrets = [
            s.model_dump(by_alias=True, exclude_none=True) for s in spec.image_pull_secrets or []
        ]
        art = ArtifactSpec(
            name=entry.key.name,
            namespace=ns,
            uid=entry.obj.metadata.uid
            or stand_in_uid(AIM_API_VERSION, "AIMArtifact", ns, entry.key.name),
            source_uri=spec.source_uri,
            model_id=spec.model_id or "",
            size=str(spec.size),
            env=env_dicts(spec.env),
            storage_class=spec.storage_class_name or "",
            runtime_config_name=spec.runtime_config_name or "",
            labels=dict(entry.obj.metadata.labels or {}),
            download_image=spec.model_download_image or DEFAULT_DOWNLOAD_IMAGE,
            image_pull_secrets=secrets or None,
        )
        plans.append(plan_artifact_children(art, config, 0))
    return plans, problems
