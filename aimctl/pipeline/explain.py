"""``explain``: load what one AIMService needs, resolve it once and trace every value.

With tenants declared, the service's namespace is resolved once: the trace and the tenant facts
(quota use) come from the same resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aimctl.errors import Diagnostic
from aimctl.pipeline.load import Inputs, load_for_service, locate
from aimctl.pipeline.options import LoadOptions
from aimctl.pipeline.outcome import Refused, Stopped

if TYPE_CHECKING:
    from aimctl.resolve.run import Resolution

__all__ = ["Explained", "run_explain"]


@dataclass(frozen=True, slots=True)
class Explained:
    trace: dict[str, Any]
    diagnostics: list[Diagnostic]  # the service's, located
    ok: bool  # the service resolved
    documents: int
    files: int


def run_explain(options: LoadOptions, target: str, prefix: str | None) -> Explained:
    """The trace of ``target`` (``namespace/name``), narrowed to fields under ``prefix``."""
    from aimctl.catalog import profile_pipeline_refusals
    from aimctl.confine import outside_repository

    refused = outside_repository(options.paths, options.config, None)
    if refused:
        raise Refused(refused)
    namespace, _, name = target.partition("/")
    inputs = load_for_service(options, namespace, name)
    if inputs.has_errors:
        raise Refused(inputs.diagnostics)
    names = [f"{e.key.namespace}/{e.key.name}" for e in inputs.catalog.of_kind("AIMService")]
    refused = [
        d
        for d in profile_pipeline_refusals(inputs.catalog)
        if d.resource is not None and f"{d.resource.namespace}/{d.resource.name}" == target
    ]
    if refused:  # a profile-pipeline service: nothing to trace offline
        raise Refused(refused)
    if target not in names:
        from aimctl.suggest import did_you_mean

        hint = did_you_mean(target, names, n=3, cutoff=0.5)
        raise Stopped(f"AIMService {target} not found in the given files{hint}")
    resolution, svc, tenant = _resolved(inputs, target, namespace)
    diagnostics = locate(svc.diagnostics)
    if prefix and svc.ok and not any(name.startswith(prefix) for name in svc.decisions):
        raise Stopped(_no_such_value(target, prefix, list(svc.decisions)))
    from aimctl.explain import build_trace

    trace = build_trace(svc, resolution, prefix, diagnostics, tenant, inputs.ownership)
    return Explained(trace, diagnostics, svc.ok, inputs.documents, len(inputs.files))


def _resolved(
    inputs: Inputs, target: str, namespace: str
) -> tuple[Resolution, Any, dict[str, Any] | None]:
    """The resolution holding ``target``, the service, and its tenant's facts (None without
    tenants): the whole namespace when the facts need it, else the one service."""
    from aimctl.resolve.run import resolve_all

    if inputs.project.tenants is None:
        resolution = resolve_all(inputs.catalog, inputs.project, only=target)
        return resolution, resolution.services[0], None
    from aimctl.tenants import tenant_facts

    resolution = resolve_all(inputs.catalog, inputs.project, namespace=namespace)
    key = (namespace, target.partition("/")[2])
    svc = next(s for s in resolution.services if (s.entry.key.namespace, s.entry.key.name) == key)
    ok = [s for s in resolution.services if s.ok]
    return resolution, svc, tenant_facts(inputs.project, namespace, ok)


def _no_such_value(target: str, prefix: str, decisions: list[str]) -> str:
    from aimctl.suggest import did_you_mean

    parts = [name.split(".") for name in decisions]
    prefixes = {".".join(p[:i]) for p in parts for i in range(1, len(p) + 1)}
    head = prefix.split(".")[0]
    near = sorted(n for n in decisions if n.split(".")[0] == head)
    listed = ", ".join(near or sorted({p[0] for p in parts}))
    return f"AIMService {target} has no value {prefix!r} to explain" + (
        did_you_mean(prefix, prefixes, n=3, cutoff=0.75) or f"; it has {listed}"
    )
