"""``validate``: load and check the inputs, then forecast what ``render`` would refuse."""

from __future__ import annotations

from dataclasses import dataclass, replace

from aimctl.catalog import check_references
from aimctl.errors import Diagnostic, Severity
from aimctl.pipeline.assemble import render_inputs, tenant_checks
from aimctl.pipeline.load import Inputs, load_inputs, locate
from aimctl.pipeline.options import LoadOptions, RenderOptions
from aimctl.pipeline.outcome import Refused

__all__ = ["Validation", "forecast_render", "run_validate"]


@dataclass(frozen=True, slots=True)
class Validation:
    diagnostics: list[Diagnostic]  # located
    files: int
    documents: int
    operator: str

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.is_error)


def run_validate(options: LoadOptions, strict: bool, shown_paths: str) -> Validation:
    """Every problem of the inputs at once: the load's, then render's verdict (``strict``: its
    refusals as errors). Refused when a path leads outside the repository (plugin mode)."""
    from aimctl.confine import outside_repository

    refused = outside_repository(options.paths, options.config, None)
    if refused:
        raise Refused(refused)
    inputs = load_inputs(options)
    diagnostics = inputs.diagnostics
    if not inputs.has_errors:
        diagnostics = diagnostics + forecast_render(inputs, strict, shown_paths)
    if not inputs.files and not inputs.has_errors:
        diagnostics = [
            *diagnostics,
            Diagnostic("E_EMPTY", "no *.yaml or *.yml files found", file=shown_paths),
        ]
    return Validation(locate(diagnostics), len(inputs.files), inputs.documents, inputs.operator)


_RENDER_WOULD_REFUSE = "`aimctl render` refuses this; `validate --strict` reports it as an error"


def forecast_render(inputs: Inputs, strict: bool, shown_paths: str) -> list[Diagnostic]:
    """What ``validate`` adds to the input checks: ``render``'s own verdict, rendered in memory.

    The reference check comes first; then every service is resolved and rendered with the same
    options ``render`` takes by default (nothing is written), so ``validate --strict`` fails on
    exactly what ``render --strict`` refuses. Without ``strict`` a refusal is a warning (the
    missing piece may live in another repository), while the tenant checks keep their own
    severity. A reference warning for a field that ``render`` also reports gives way to it.
    """
    result = render_inputs(inputs, RenderOptions(strict=strict, jobs=0))
    found = list(result.diagnostics)
    if result.ok and not result.objects and inputs.files:
        found.append(
            Diagnostic(
                "E_EMPTY",
                "nothing to render (no AIMService or other object found); "
                "`aimctl render` refuses this without --allow-empty",
                file=shown_paths,
            )
        )
    if not strict:
        found = [
            replace(d, severity=Severity.WARNING, hint=d.hint or _RENDER_WOULD_REFUSE)
            if d.is_error
            else d
            for d in found
        ]
        if inputs.project.tenants is not None:  # on the services the render resolved
            found += tenant_checks(inputs, result.resolved, strict)
    covered = {(d.file, d.doc, d.field) for d in found}
    merged = [
        d for d in check_references(inputs.catalog) if (d.file, d.doc, d.field) not in covered
    ]
    seen: dict[tuple[object, ...], Diagnostic] = {}
    for d in merged + found:  # one copy of each, the error where a warning says the same
        key = (d.code, d.message, d.file, d.doc, d.field, d.resource)
        if key not in seen or (d.is_error and not seen[key].is_error):
            seen[key] = d
    return list(seen.values())
