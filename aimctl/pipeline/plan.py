"""``plan``: render the working tree and the base (``aimctl.plan_sources``), then compare them
(``aimctl.plan``). Nothing is printed here; a side that does not render stops the run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aimctl.errors import Diagnostic

if TYPE_CHECKING:
    from aimctl.plan import Plan
    from aimctl.plan_sources import SideOptions

__all__ = ["PlanRefused", "Planned", "run_plan"]


class PlanRefused(Exception):
    """A side does not render: its diagnostics (located), and what failed (``what``)."""

    def __init__(self, diagnostics: list[Diagnostic], what: str) -> None:
        super().__init__(what)
        self.diagnostics = diagnostics
        self.what = what


@dataclass(frozen=True, slots=True)
class Planned:
    plan: Plan
    warnings: list[Diagnostic]  # the working tree's, as render reports them


def run_plan(options: SideOptions, base: str) -> Planned:
    from aimctl.plan import compare
    from aimctl.plan_sources import render_base, render_side

    head = render_side("working tree", options)
    if not head.ok:
        raise PlanRefused(head.diagnostics, "the working tree does not render")
    old = render_base(base, options)
    if not old.ok:
        raise PlanRefused(old.diagnostics, f"the base {base} cannot be rendered")
    gpus = (old.cluster_gpus, head.cluster_gpus)
    return Planned(compare(old.label, old.objects, head.objects, gpus), head.diagnostics)
