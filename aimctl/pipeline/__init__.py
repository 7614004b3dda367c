"""The stages wired together, one run per command: load -> catalog -> resolve -> render -> emit.

- ``options``: what a command asks (``LoadOptions``, ``RenderOptions``, ``RenderRequest``,
  ``Hooks``); a leaf module.
- ``load``: project file, inputs, catalog, ownership (``load_inputs``, ``load_for_service``).
- ``parts``: the unit of work, one batch of namespaces resolved and rendered (``render_part``),
  run in this process or in forked workers (``render_parallel``).
- ``assemble``: one render of loaded inputs (``render_inputs``): the part plus what spans
  namespaces.
- the runs: ``render`` (``run_render``, ``run_diff``: stream, write, check, compare, with the
  render cache), ``validate`` (``run_validate``), ``explain`` (``run_explain``); ``plan`` has
  its own (``aimctl.plan_sources``).
- ``outcome``: how a run stops short (``Refused``, ``Stopped``, ``OptionProblem``).

Nothing here prints or exits: ``aimctl.cli`` turns options into a request, calls one run, hands
the result to ``aimctl.report`` and picks the exit code.
"""

from __future__ import annotations

from aimctl.loader import PROJECT_FILE
from aimctl.pipeline.assemble import RenderResult, render_inputs, select_owner, tenant_checks
from aimctl.pipeline.load import Inputs, find_project_file, load_for_service, load_inputs, locate
from aimctl.pipeline.options import LoadOptions, RenderOptions

__all__ = [
    "PROJECT_FILE",
    "Inputs",
    "LoadOptions",
    "RenderOptions",
    "RenderResult",
    "find_project_file",
    "load_for_service",
    "load_inputs",
    "locate",
    "render_inputs",
    "select_owner",
    "tenant_checks",
]
