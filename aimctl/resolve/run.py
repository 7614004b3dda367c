"""Resolve every AIMService in the catalog (one pass, indexed lookups)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aimctl.catalog import Catalog
from aimctl.errors import Diagnostic, Severity
from aimctl.model import AIMService
from aimctl.project import Project
from aimctl.resolve.caching import ArtifactPlan, CachePlan
from aimctl.resolve.inventory import GpuInventory
from aimctl.resolve.service import ResolveContext, ResolvedService, resolve_service
from aimctl.resolve.standalone import resolve_input_artifacts, resolve_input_caches
from aimctl.resolve.template_caches import resolve_template_caches
from aimctl.resolve.templates import TemplateIndex

__all__ = ["Resolution", "resolve_all"]


@dataclass(slots=True)
class Resolution:
    services: list[ResolvedService]
    inventory: GpuInventory
    index: TemplateIndex
    diagnostics: list[Diagnostic] = field(default_factory=list)
    caches: list[CachePlan] = field(default_factory=list)  # hand-written AIMTemplateCaches
    artifacts: list[ArtifactPlan] = field(default_factory=list)  # hand-written AIMArtifacts
    # caches of templates with spec.caching.enabled (their controller creates them)
    template_caches: list[CachePlan] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def resolve_all(
    catalog: Catalog,
    project: Project,
    only: str | None = None,
    namespace: str | None = None,
    on_service: Callable[[int, int], None] | None = None,
    *,
    namespaces: frozenset[str] | None = None,
    index: TemplateIndex | None = None,
) -> Resolution:
    """Resolve all services (or the one ``namespace/name`` in ``only``); collect every problem.

    ``namespaces``: resolve only the services, hand-written template caches and artifacts of
    these namespaces (one part of a parallel render; everything a service shares with others —
    runtime configs, Shared caches, models it creates — lives in its own namespace or at cluster
    scope). ``index``: a template index built beforehand (resolution adds to it).
    """
    if index is None:
        inventory = GpuInventory.from_project(project)
        index = TemplateIndex.build(catalog, inventory)
    inventory = index.inventory
    result = Resolution([], inventory, index)
    context = ResolveContext()
    entries = catalog.entries(AIMService)
    for done, entry in enumerate(entries, 1):
        if on_service is not None:
            on_service(done, len(entries))
        if only is not None and f"{entry.key.namespace}/{entry.key.name}" != only:
            continue
        if namespace is not None and entry.key.namespace != namespace:
            continue
        if namespaces is not None and entry.key.namespace not in namespaces:
            continue
        resolved = resolve_service(catalog, index, inventory, entry, context)
        result.services.append(resolved)
        result.diagnostics.extend(resolved.diagnostics)
    if only is None and namespace is None:
        result.caches, problems = resolve_input_caches(catalog, index, context, namespaces)
        result.diagnostics.extend(problems)
        result.artifacts, problems = resolve_input_artifacts(catalog, context, namespaces)
        result.diagnostics.extend(problems)
        result.template_caches, problems = resolve_template_caches(
            catalog, index, context, namespaces
        )
        result.diagnostics.extend(problems)
    if inventory.assumed and result.services:
        result.diagnostics.append(
            Diagnostic(
                "W_GPU_ASSUMED",
                "no cluster.gpus in aimctl.yaml: every GPU model is assumed present on the nodes",
                severity=Severity.WARNING,
            )
        )
    return result
