"""The stages wired together, one run per command: load -> catalog -> resolve -> render -> emit.

- ``options``: what a command asks (``LoadOptions``, ``RenderOptions``, ``RenderRequest``,
  ``Hooks``); a leaf module.
- ``load``: project file, inputs, catalog, ownership (``load_inputs``, ``load_for_service``).
- ``parts``: the unit of work, one batch of namespaces resolved and rendered (``render_part``),
  run in this process or in forked workers (``render_parallel``).
- ``assemble``: one render of loaded inputs (``render_inputs``): the part plus what spans
  namespaces.
- the runs: ``render`` (``run_render``, ``run_diff``: stream, write, check, compare, with the
  render cache), ``validate`` (``run_validate``), ``explain`` (``run_explain``), ``plan``
  (``run_plan``: the sides rendered by ``aimctl.plan_sources``, compared by ``aimctl.plan``).
- ``outcome``: how a run stops short (``Refused``, ``Stopped``, ``OptionProblem``).

Nothing here prints or exits: ``aimctl.cli`` turns options into a request, calls one run, hands
the result to ``aimctl.report`` and picks the exit code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aimctl.loader import PROJECT_FILE
    from aimctl.pipeline.assemble import RenderResult, render_inputs, select_owner, tenant_checks
    from aimctl.pipeline.load import (
        Inputs,
        find_project_file,
        load_for_service,
        load_inputs,
        locate,
    )
    from aimctl.pipeline.options import LoadOptions, RenderOptions

# Where each name lives; imported on first use, so that importing a light submodule (options,
# outcome, render on a cache hit) loads no models.
_HOMES = {
    "PROJECT_FILE": "aimctl.loader",
    "RenderResult": "aimctl.pipeline.assemble",
    "render_inputs": "aimctl.pipeline.assemble",
    "select_owner": "aimctl.pipeline.assemble",
    "tenant_checks": "aimctl.pipeline.assemble",
    "Inputs": "aimctl.pipeline.load",
    "find_project_file": "aimctl.pipeline.load",
    "load_for_service": "aimctl.pipeline.load",
    "load_inputs": "aimctl.pipeline.load",
    "locate": "aimctl.pipeline.load",
    "LoadOptions": "aimctl.pipeline.options",
    "RenderOptions": "aimctl.pipeline.options",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'aimctl.pipeline' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)


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
