"""Template resolution: sticky status, explicit name, or automatic selection (§3.3).

Automatic selection records every candidate with the stage that dropped it and the ranking keys of
the survivors, so ``explain`` can show the whole table and errors can say why nothing was chosen.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Final

from aimctl.catalog import Entry, entry_error
from aimctl.errors import Diagnostic
from aimctl.model import AIMService
from aimctl.provenance import FieldPath
from aimctl.resolve.fields import service_spec
from aimctl.resolve.gpu import gpu_rank, normalize_gpu_model
from aimctl.resolve.inventory import GpuInventory
from aimctl.resolve.model import STICKY_SCOPES, ResolvedModel
from aimctl.resolve.naming import derived_template_name
from aimctl.resolve.templates import NEEDS_DISCOVERY, TemplateIndex, TemplateView
from aimctl.suggest import closest, did_you_mean

__all__ = ["CandidateRow", "Selection", "rank_key", "select_template"]

TYPE_RANK: Final = {"optimized": 0, "preview": 1, "unoptimized": 2}
METRIC_RANK: Final = {"latency": 0, "throughput": 1}
PRECISION_RANK: Final = {"fp4": 0, "int4": 1, "fp8": 2, "int8": 3, "fp16": 4, "bf16": 5, "fp32": 6}
_STATE_REASON: Final = {
    "Pending": "TemplatePending",
    "Progressing": "TemplateProgressing",
    "NotAvailable": "TemplateNotAvailable",
    "Degraded": "TemplateDegraded",
    "Failed": "TemplateFailed",
}


def rank_key(view: TemplateView) -> tuple[int, int, int, int]:
    """Lower is better: profile type, GPU model (upper-cased, not normalised), metric, precision."""
    return (
        TYPE_RANK.get(view.profile_type, 1003),
        gpu_rank(view.gpu_model),
        METRIC_RANK.get(view.metric, 1002),
        PRECISION_RANK.get(view.precision, 1007),
    )


@dataclass(slots=True)
class CandidateRow:
    template: TemplateView
    stage: str = ""  # the stage that dropped it; "" for survivors
    reason: str = ""
    detail: str = ""
    rank: tuple[int, int, int, int] | None = None


@dataclass(slots=True)
class Selection:
    """How the template was chosen, and the table behind an automatic choice."""

    how: str
    template: TemplateView | None = None
    field: FieldPath = ()
    rows: list[CandidateRow] = dc_field(default_factory=list)


def _readiness_error(
    view: TemplateView, service: Entry[AIMService], path: FieldPath
) -> Diagnostic | None:
    state = view.state
    if state == "Ready":
        return None
    if state == NEEDS_DISCOVERY:
        return entry_error(
            "E_TEMPLATE_NEEDS_DISCOVERY",
            service,
            path,
            f"template {view.display()} has no inline spec.modelSources and no frozen status: the "
            "operator would run a discovery Job, which aimctl cannot do offline",
            "add spec.modelSources (with size) to the template, or a status block with the discovery result",
        )
    reason = _STATE_REASON.get(state, "TemplateNotReady")
    hint = ""
    if state == "NotAvailable":
        hint = f"declare GPU {view.gpu_model or '(any)'} in aimctl.yaml cluster.gpus if the nodes have it"
    return entry_error(
        "E_TEMPLATE_NOT_READY",
        service,
        path,
        f"template {view.display()} is {state} (reason {reason}); the operator creates no "
        "InferenceService for it",
        hint,
    )


def _sticky(index: TemplateIndex, service: Entry[AIMService]) -> TemplateView | None:
    """``status.resolvedTemplate`` while that template exists and is Ready; only a reference
    with scope ``Namespace`` or ``Cluster`` is followed (``tryFetchResolvedTemplate``)."""
    status = service.obj.status
    ref = status.resolved_template if status is not None else None
    if ref is None or not ref.name or ref.scope not in STICKY_SCOPES:
        return None
    ns = None if ref.scope == "Cluster" else (ref.namespace or service.key.namespace)
    view = index.get(ns, ref.name)
    return view if view is not None and view.state == "Ready" else None


def select_template(
    index: TemplateIndex, service: Entry[AIMService], model: ResolvedModel, inventory: GpuInventory
) -> tuple[Selection, list[Diagnostic]]:
    sticky = _sticky(index, service)
    if sticky is not None:
        return Selection(
            "sticky status.resolvedTemplate", sticky, ("status", "resolvedTemplate")
        ), []
    spec = service_spec(service)
    name = (spec.template.name or "").strip() if spec.template else ""
    if name:
        return _explicit(index, service, name)
    return _automatic(index, service, model, inventory)


def _override_parts(overrides: Any) -> tuple[str | None, int | None, str | None, str | None]:
    if overrides is None:
        return None, None, None, None
    gpu = overrides.hardware.gpu if overrides.hardware else None
    return (
        gpu.model if gpu is not None and gpu.model else None,
        gpu.requests if gpu is not None and (gpu.requests or 0) > 0 else None,
        overrides.precision or None,
        overrides.metric or None,
    )


def _explicit(
    index: TemplateIndex, service: Entry[AIMService], name: str
) -> tuple[Selection, list[Diagnostic]]:
    """Namespace template by the derived name, else cluster template by the base name (§3.3.1)."""
    path: FieldPath = ("spec", "template", "name")
    candidate = derived_template_name(name, *_override_parts(service_spec(service).overrides))
    view = index.get(service.key.namespace, candidate)
    how = "explicit spec.template.name, namespace scope"
    if view is None:
        view = index.get(None, name)
        how = "explicit spec.template.name, cluster scope"
    if view is None:
        hint = ""
        if candidate != name:
            hint = (
                "with name-changing overrides the operator looks for the derived template "
                f"{candidate!r} in the namespace (and {name!r} only at cluster scope)"
            )
        return Selection(how, None, path), [
            entry_error(
                "E_TEMPLATE_NOT_FOUND",
                service,
                path,
                f'template "{candidate}" not found (reason TemplateNotFound)'
                + did_you_mean(
                    candidate,
                    [n for (ns, n) in index.by_name if ns in (None, service.key.namespace)],
                ),
                hint,
            )
        ]
    problem = _readiness_error(view, service, path)
    return Selection(how, view, path), [problem] if problem else []


def _overrides_mismatch(view: TemplateView, overrides: Any) -> str:
    if overrides is None:
        return ""
    if overrides.metric and overrides.metric.lower() != view.metric.lower():
        return f"metric {view.metric or '(unknown)'} != override {overrides.metric}"
    if overrides.precision and overrides.precision.lower() != view.precision.lower():
        return f"precision {view.precision or '(unknown)'} != override {overrides.precision}"
    gpu = overrides.hardware.gpu if overrides.hardware else None
    if (
        gpu is not None
        and gpu.model
        and view.gpu_model
        and normalize_gpu_model(gpu.model).lower() != normalize_gpu_model(view.gpu_model).lower()
    ):
        return f"GPU {view.gpu_model} != override {gpu.model}"
    if (
        gpu is not None
        and (gpu.requests or 0) > 0
        and view.gpu_count > 0
        and gpu.requests != view.gpu_count
    ):
        return f"GPU count {view.gpu_count} != override {gpu.requests}"
    return ""


def _automatic(
    index: TemplateIndex, service: Entry[AIMService], model: ResolvedModel, inventory: GpuInventory
) -> tuple[Selection, list[Diagnostic]]:
    spec = service_spec(service)
    path: FieldPath = ("spec", "model")
    ns_views = index.for_model(service.key.namespace, model.name)
    cl_views = index.for_model(None, model.name)
    rows = [CandidateRow(v) for v in ns_views + cl_views]
    selection = Selection("automatic selection", None, path, rows)
    if not rows:
        return selection, [
            entry_error(
                "E_NO_TEMPLATE",
                service,
                path,
                f"no template found for service: no AIMServiceTemplate in namespace "
                f"{service.key.namespace} and no AIMClusterServiceTemplate has modelName "
                f'"{model.name}" (reason TemplateNotFound)',
                "add a template for the model, or set spec.template.name",
            )
        ]
    allow = bool(spec.template and spec.template.allow_unoptimized)
    stages: tuple[tuple[str, Callable[[CandidateRow], str]], ...] = (
        (
            "1 availability",
            lambda r: (
                ""
                if r.template.state == "Ready"
                else _STATE_REASON.get(r.template.state, "TemplateNotReady")
            ),
        ),
        (
            "2 optimisation",
            lambda r: (
                ""
                if allow or r.template.profile_type == "optimized"
                else "UnoptimizedTemplateFiltered"
            ),
        ),
        (
            "3 overrides",
            lambda r: (
                "ServiceOverridesNotMatched"
                if _overrides_mismatch(r.template, spec.overrides)
                else ""
            ),
        ),
        (
            "4 GPU availability",
            lambda r: (
                ""
                if not r.template.gpu_model
                or inventory.has_model(normalize_gpu_model(r.template.gpu_model))
                else "RequiredGPUNotInCluster"
            ),
        ),
    )
    alive = list(rows)
    for stage, reject in stages:
        survivors = []
        for row in alive:
            reason = reject(row)
            if reason:
                row.stage, row.reason = stage, reason
                row.detail = _detail(row, spec.overrides, inventory)
            else:
                survivors.append(row)
        alive = survivors
        if not alive:
            return selection, [_empty_error(stage, service, path, rows)]
    if any(r.template.namespace is not None for r in alive):
        for row in alive:
            if row.template.namespace is None:
                row.stage, row.reason = "5 scope preference", "NamespaceTemplatePreferred"
        alive = [r for r in alive if r.template.namespace is not None]
    for row in alive:
        row.rank = rank_key(row.template)
    best = min(r.rank for r in alive if r.rank is not None)
    winners = [r for r in alive if r.rank == best]
    for row in alive:
        if row.rank != best:
            row.stage, row.reason = "6 ranking", "LowerPreferenceRank"
    if len(winners) > 1:
        for row in winners:
            row.stage, row.reason = "6 ranking", "TiedBestRank"
        tied = ", ".join(r.template.display() for r in winners)
        return selection, [
            entry_error(
                "E_TEMPLATE_AMBIGUOUS",
                service,
                path,
                f"template selection is ambiguous: {tied} rank equally (type, GPU, metric, "
                "precision); the operator selects none (reason TemplateNotFound)",
                "set spec.template.name, or spec.overrides to narrow the choice",
            )
        ]
    winners[0].reason = "BestMatch"
    selection.template = winners[0].template
    return selection, []


def gpu_not_in_cluster(gpu_model: str, inventory: GpuInventory) -> str:
    """Why the cluster lacks ``gpu_model``: the list aimctl.yaml declares, and a near name."""
    return _gpu_not_in_cluster(gpu_model, tuple(sorted(inventory.vram)))


@functools.lru_cache(maxsize=1024)
def _gpu_not_in_cluster(gpu_model: str, declared: tuple[str, ...]) -> str:
    """``gpu_not_in_cluster`` for the sorted declared models (a template rejected for its GPU
    is rejected again for every service of its model: the near-name search runs once)."""
    listed = ", ".join(declared) if declared else "no GPU"
    near = closest(normalize_gpu_model(gpu_model), declared, cutoff=0.85)
    typo = f"; is {near[0]} a misspelling of {gpu_model}?" if near else ""
    return (
        f"the template needs GPU {gpu_model}, which aimctl.yaml cluster.gpus does not list "
        f"(it lists {listed}){typo}; add {gpu_model} there if the nodes have it"
    )


def _detail(row: CandidateRow, overrides: Any, inventory: GpuInventory) -> str:
    view = row.template
    if row.reason == "ServiceOverridesNotMatched":
        return _overrides_mismatch(view, overrides)
    if row.reason == "UnoptimizedTemplateFiltered":
        return f"profile type {view.profile_type or '(none)'}; needs spec.template.allowUnoptimized"
    if row.reason == "RequiredGPUNotInCluster":
        return gpu_not_in_cluster(view.gpu_model, inventory)
    if (
        view.state == "NotAvailable"
        and not view.frozen
        and view.gpu_model
        and not inventory.has_model(normalize_gpu_model(view.gpu_model))
    ):
        return gpu_not_in_cluster(view.gpu_model, inventory)  # the status aimctl derived
    if view.state == NEEDS_DISCOVERY:
        return "no inline modelSources and no frozen status (would need discovery)"
    return f"status {view.state}"


def _empty_error(
    stage: str, service: Entry[AIMService], path: FieldPath, rows: list[CandidateRow]
) -> Diagnostic:
    listed = "; ".join(f"{r.template.display()}: {r.reason} ({r.detail})" for r in rows)
    code, hint = "E_NO_TEMPLATE", "run `aimctl explain` for the selection table"
    if stage.startswith("1"):
        code = "E_TEMPLATE_NOT_READY"
    elif stage.startswith("2"):
        code, hint = "E_ONLY_UNOPTIMIZED", "set spec.template.allowUnoptimized: true to accept them"
    return entry_error(
        code, service, path, f"no template selectable at stage {stage}: {listed}", hint
    )
