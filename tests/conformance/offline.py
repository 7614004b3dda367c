"""Render a Chainsaw snapshot with aimctl, and tell live-only input from aimctl's own refusals.

The snapshot's documents are written to a directory and loaded and rendered in-process with
``--include-intermediates`` (``aimctl.pipeline``); every AIMService's resolution trace is kept
(the JSON of ``aimctl explain``). A failed render is owed to live-only input when the inputs need
what only a cluster knows: registry image labels (an image model without ``spec.imageMetadata``),
a discovery Job (a template without ``spec.modelSources`` or frozen status) or a check-size Job (a
model source without ``size``); otherwise it is aimctl's own decision and can disagree with the
operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aimctl.explain import build_trace
from aimctl.pipeline import LoadOptions, RenderOptions, load_inputs, render_inputs
from aimctl.resolve.run import resolve_all
from tests.conformance.chainsaw import TEST_NAMESPACE, Snapshot

__all__ = [
    "CHECK_SIZE",
    "DISCOVERY",
    "LIVE_TOPICS",
    "REGISTRY",
    "Problem",
    "Renderer",
    "Rendering",
    "live_reason",
    "needs_registry",
    "render_failure",
]


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    service: tuple[str, str] | None = None


@dataclass(slots=True)
class Rendering:
    load_errors: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    traces: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.load_errors and not self.errors

    def problems_for(self, service: tuple[str, str]) -> list[Problem]:
        return [p for p in self.errors if p.service == service]


def _problem(diag: Any) -> Problem:
    res = diag.resource
    service = (
        (res.namespace or "", res.name) if res is not None and res.kind == "AIMService" else None
    )
    return Problem(diag.code, diag.message, service)


class Renderer:
    """Writes a snapshot's documents under ``workdir`` and renders them in-process (cached)."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._cache: dict[str, Rendering] = {}

    def render(self, snapshot: Snapshot) -> Rendering:
        key = snapshot.fingerprint()
        if key not in self._cache:
            self._cache[key] = self._render(snapshot, self._workdir / f"state-{len(self._cache)}")
        return self._cache[key]

    @staticmethod
    def _render(snapshot: Snapshot, directory: Path) -> Rendering:
        directory.mkdir(parents=True)
        for i, doc in enumerate(snapshot.documents):
            _, kind, _, name = doc.key
            path = directory / f"{i:03d}-{kind.lower()}-{name}.yaml"
            path.write_text(yaml.safe_dump(doc.body, sort_keys=False), encoding="utf-8")
        inputs = load_inputs(LoadOptions(paths=(directory,), namespace=TEST_NAMESPACE))
        if inputs.has_errors:
            return Rendering(load_errors=[_problem(d) for d in inputs.diagnostics if d.is_error])
        result = render_inputs(inputs, RenderOptions(include_intermediates=True))
        resolution = resolve_all(inputs.catalog, inputs.project)
        traces = {(s.namespace, s.name): build_trace(s, resolution) for s in resolution.services}
        return Rendering(
            errors=[_problem(d) for d in result.diagnostics if d.is_error],
            objects=result.objects if result.ok else [],
            traces=traces,
        )


# --------------------------------------------------------------------------------------------
# Inputs that only a live cluster can complete


REGISTRY = "needs registry image metadata (an image model without spec.imageMetadata)"
DISCOVERY = "needs a discovery Job (a template without spec.modelSources or frozen status)"
CHECK_SIZE = "needs a check-size Job (a model source without size)"
LIVE_TOPICS: Mapping[str, str] = {
    REGISTRY: "registry image metadata",
    DISCOVERY: "template discovery",
    CHECK_SIZE: "artifact size discovery",
}


def _model_input(snapshot: Snapshot, model: Mapping[str, Any]) -> dict[str, Any] | None:
    doc = snapshot.find(str(model.get("kind")), str(model.get("name")))
    return doc.body if doc is not None else None


def needs_registry(snapshot: Snapshot, service: tuple[str, str], model: Mapping[str, Any]) -> bool:
    """Templates of this model come from its image's labels, which only the registry has."""
    body = _model_input(snapshot, model)
    if body is None:  # auto-created by the service: from model.image, or from model.custom
        svc = snapshot.find("AIMService", service[1])
        spec_model = ((svc.body.get("spec") or {}).get("model") or {}) if svc else {}
        return "image" in spec_model
    spec = body.get("spec") or {}
    discovery = spec.get("discovery") or {}
    return (
        not spec.get("imageMetadata")
        and not spec.get("modelSources")
        and discovery.get("createServiceTemplates", True) is not False
    )


def _needs_discovery(snapshot: Snapshot, model_name: str) -> bool:
    for doc in snapshot.documents:
        if doc.key[1] not in ("AIMServiceTemplate", "AIMClusterServiceTemplate"):
            continue
        spec = doc.body.get("spec") or {}
        if (
            spec.get("modelName") == model_name
            and not spec.get("modelSources")
            and not doc.with_status
        ):
            return True
    return False


def live_reason(problem: Problem, rendering: Rendering, snapshot: Snapshot) -> str | None:
    """Why a render error is owed to live-only input (None: the error is aimctl's own call)."""
    if problem.code == "E_TEMPLATE_NEEDS_DISCOVERY":
        return DISCOVERY
    if problem.code == "E_SIZE_UNKNOWN":
        return CHECK_SIZE
    if problem.code in ("E_NO_TEMPLATE", "E_TEMPLATE_NOT_READY") and problem.service:
        model = (rendering.traces.get(problem.service) or {}).get("model")
        if model:
            if needs_registry(snapshot, problem.service, model):
                return REGISTRY
            if _needs_discovery(snapshot, str(model.get("name"))):
                return DISCOVERY
    return None


def render_failure(rendering: Rendering, snapshot: Snapshot) -> tuple[list[str], list[str]]:
    """(live reasons, aimctl's own refusals) of a failed render."""
    if rendering.load_errors:
        return [], [f"{p.code}: {p.message}" for p in rendering.load_errors]
    live: list[str] = []
    own: list[str] = []
    for problem in rendering.errors:
        reason = live_reason(problem, rendering, snapshot)
        if reason is None:
            own.append(f"{problem.code}: {problem.message}")
        elif reason not in live:
            live.append(reason)
    return live, own
