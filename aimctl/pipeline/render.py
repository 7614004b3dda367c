"""``render`` and ``diff``: load, render with the request's options and filters, then hand back
the objects (stdout), the files written, the drift (``--check``) or both sides of a diff — from
the render cache's record when it answers (``aimctl.incremental``), else in full.

Nothing here prints or exits: a run returns its result or raises ``outcome.Refused`` (errors to
report) or ``outcome.OptionProblem`` (a usage error); ``--verbose`` lines and progress go through
the caller's ``Hooks``.
"""

from __future__ import annotations

import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from aimctl.errors import Diagnostic
from aimctl.pipeline.options import Hooks, LoadOptions, RenderRequest, cache_options
from aimctl.pipeline.outcome import OptionProblem, Refused

if TYPE_CHECKING:  # the stages load on a miss only: a cache hit imports no models
    from aimctl.emit import Drift, Signature, Stage
    from aimctl.incremental import Hit, Partial, Settings
    from aimctl.pipeline.assemble import RenderResult
    from aimctl.pipeline.load import Inputs
    from aimctl.project import Project
    from aimctl.tenants.ownership import OwnerKey

__all__ = [
    "Checked",
    "Compared",
    "Streamed",
    "Written",
    "render_loaded",
    "render_objects",
    "run_diff",
    "run_render",
]

Walked = tuple[list[Path], list[Diagnostic]]


@dataclass(frozen=True, slots=True)
class Streamed:
    """``render`` to stdout: the objects (YAML documents when the stream is YAML)."""

    objects: list[dict[str, Any]]
    warnings: list[Diagnostic]


@dataclass(frozen=True, slots=True)
class Written:
    """``render -o DIR``: ``count`` objects in DIR; ``unchanged``: nothing was written."""

    count: int
    warnings: list[Diagnostic]
    unchanged: bool = False


@dataclass(frozen=True, slots=True)
class Checked:
    """``render --check``: how DIR differs from what would be written."""

    drift: Drift
    warnings: list[Diagnostic]


@dataclass(frozen=True, slots=True)
class Compared:
    """``diff``: DIR's files and the fresh render's, for the files that may differ."""

    old: dict[str, str]
    fresh: dict[str, str]
    warnings: list[Diagnostic] = field(default_factory=list)


def run_render(request: RenderRequest, hooks: Hooks) -> Streamed | Written | Checked:
    output_dir = request.output_dir
    if output_dir is not None and not request.check:
        from aimctl.confine import output_holds_input

        inputs = (*request.paths, request.config, request.options.templates)
        held = output_holds_input(output_dir, inputs)
        if held is not None:
            raise Refused([held])
    if output_dir is None:
        objects, diagnostics, _ = render_objects(request, hooks)
        return Streamed(objects, diagnostics)
    settings = cache_settings(request)
    if not request.check:
        from aimctl.emit import output_lock

        with output_lock(output_dir):
            return _write(request, hooks, settings)
    return _check(request, hooks, settings)


def run_diff(request: RenderRequest, hooks: Hooks) -> Compared:
    from aimctl.emit import build_files, current_files, read_files
    from aimctl.incremental import Hit, Partial

    output_dir = request.output_dir
    assert output_dir is not None
    current_files(output_dir, read=False)  # refuses a directory aimctl did not write
    settings = cache_settings(request)
    answer = _consult(request, hooks, settings)
    if isinstance(answer, Hit):
        return Compared({}, {}, answer.warnings)
    if isinstance(answer, Partial):
        fresh = answer.files
        old = read_files(output_dir, sorted({*fresh, *answer.removed}))
        return Compared(old, fresh, answer.warnings)
    old = current_files(output_dir)  # follows no link
    objects, diagnostics, inputs = render_objects(request, hooks)
    fresh = build_files(objects)
    if settings is not None and old == fresh:
        _remember_clean(request, settings, inputs, diagnostics, len(fresh) - 1)
    return Compared(old, fresh, diagnostics)


def render_objects(
    request: RenderRequest, hooks: Hooks, walked: Walked | None = None, stage: Stage | None = None
) -> tuple[list[dict[str, Any]], list[Diagnostic], Inputs]:
    """Load and render; any error is ``Refused`` (nothing is written; the caller removes
    ``stage``, the staging tree workers may have written into: ``render_inputs``).

    Returns the objects, the warnings (all of them) and the inputs.
    """
    from aimctl.keepalive import keep
    from aimctl.pipeline.assemble import select_owner

    started = time.perf_counter()
    _refuse_outside(request)
    inputs = _load(request, walked)
    owner, problems = (
        (None, []) if inputs.has_errors else select_owner(inputs, request.tenant, request.platform)
    )
    if inputs.has_errors or problems:
        raise Refused(inputs.diagnostics + problems, operatorVersion=inputs.operator)
    loaded = time.perf_counter()
    objects, diagnostics, result = render_loaded(request, inputs, owner, hooks, stage)
    keep(result)  # the rendered objects, when ``objects`` holds their YAML text
    if any(d.is_error for d in diagnostics):
        raise Refused(diagnostics, operatorVersion=inputs.operator)
    if hooks.note is not None:
        kube = os.environ.get("KUBE_VERSION")
        hooks.note(
            f"{inputs.documents} documents in {len(inputs.files)} files; {result.services} services "
            f"-> {result.rendered} objects; load {loaded - started:.2f}s, resolve+render "
            f"{time.perf_counter() - loaded:.2f}s" + (f"; KUBE_VERSION {kube}" if kube else "")
        )
    return objects, diagnostics, inputs


def _refuse_outside(request: RenderRequest) -> None:
    """Plugin mode: refused when an input path leads outside the repository checkout."""
    from aimctl.confine import outside_repository

    problems = outside_repository(request.paths, request.config, request.options.templates)
    if problems:
        raise Refused(problems)


def _load(request: RenderRequest, walked: Walked | None = None) -> Inputs:
    from aimctl.pipeline.load import load_inputs

    skip = (request.output_dir,) if request.output_dir is not None else ()
    return load_inputs(
        LoadOptions(
            request.paths,
            request.config,
            request.namespace,
            skip,
            request.options.jobs,
            operator=request.operator,
            walked=walked,
            meanwhile=_import_render_stages,
        )
    )


# What rendering loaded inputs imports (``render_inputs``, the workers' resolve and render).
_RENDER_MODULES: Final = (
    "aimctl.pipeline.parts",
    "aimctl.render.children",
    "aimctl.report",
    "aimctl.resolve.apivalues",
    "aimctl.resolve.run",
    "aimctl.resolve.standalone",
    "aimctl.resolve.template_caches",
    "aimctl.resolve.templates",
    "aimctl.tenants",
)


def _import_render_stages() -> None:
    """Import the render's stages while forked workers parse the inputs: else one core waits
    on these imports (0.15 s) between the load and the render's workers. Only a head start:
    each module imports what it needs anyway."""
    import importlib

    for name in _RENDER_MODULES:
        importlib.import_module(name)


def render_loaded(
    request: RenderRequest,
    inputs: Inputs,
    owner: OwnerKey | None,
    hooks: Hooks,
    stage: Stage | None = None,
) -> tuple[list[dict[str, Any]], list[Diagnostic], RenderResult]:
    """Render loaded inputs with the request's options and filters. The diagnostics returned are
    the inputs' and the render's, errors included."""
    from aimctl.pipeline.assemble import render_inputs
    from aimctl.report import shown_paths

    asked = request.options
    present = {str(e.raw.get("kind")) for e in inputs.catalog.passthrough}
    options = replace(
        asked,
        kinds=_resolve_kinds(asked.kinds, present, "--kinds"),
        exclude_kinds=_resolve_kinds(asked.exclude_kinds, present, "--exclude-kinds"),
        gitops=asked.gitops or _default_gitops(inputs.project),
        owner=owner,
    )
    count = len(inputs.catalog.of_kind("AIMService"))
    with hooks.progress(count) if hooks.progress is not None else nullcontext(None) as tick:
        result = render_inputs(inputs, options, on_service=tick, stage=stage)
    diagnostics = inputs.diagnostics + result.diagnostics
    objects = result.objects
    diagnostics.extend(_too_large(objects, inputs, request.paths))
    if result.ok and not objects and not request.allow_empty:
        what = (
            f"nothing left after --kinds {','.join(sorted(asked.kinds or ()))}"
            if result.rendered
            else "nothing to render (no AIMService or other object found)"
        )
        diagnostics.append(
            Diagnostic(
                "E_EMPTY",
                f"{what}; pass --allow-empty to accept",
                file=shown_paths(request.paths),
            )
        )
    return objects, diagnostics, result


def _resolve_kinds(
    names: frozenset[str] | None, present: set[str], option: str
) -> frozenset[str] | None:
    """The kinds ``--kinds`` / ``--exclude-kinds`` name (any case, plurals, short names:
    ``aimctl.kinds``); a name that means no kind aimctl renders or the inputs hold is a usage
    error with a suggestion (a typo would filter out everything, or keep the kind meant out)."""
    if names is None:
        return None
    from aimctl.kinds import resolve_kinds

    kinds, problem = resolve_kinds(names, present)
    if problem:
        raise OptionProblem(option, problem)
    return kinds


def _default_gitops(project: Project) -> str:
    """``gitops`` of the project file when it sets one; else the engine aimctl runs under:
    ``argocd`` in the Argo CD plugin (its download Jobs and cache PVCs are kept by Argo CD),
    ``plain`` elsewhere."""
    if "gitops" in project.model_fields_set:
        return project.gitops
    from aimctl.confine import plugin_mode

    return "argocd" if plugin_mode() else "plain"


def _too_large(
    objects: list[dict[str, Any]], inputs: Inputs, paths: tuple[Path, ...]
) -> list[Diagnostic]:
    """Objects the API server could not store (over etcd's 1.5 MiB), each named with the input
    that contributed most (``aimctl.sizes``)."""
    from aimctl.report import shown_paths
    from aimctl.sizes import Source, too_large

    catalog = inputs.catalog

    def sources() -> list[Source]:  # only when an object is too large
        entries = [*catalog.passthrough, *catalog.by_key.values()]
        out = [Source(e.file, e.doc, e.key, e.raw) for e in entries if isinstance(e.raw, dict)]
        if inputs.project_file:
            raw = inputs.project.model_dump(by_alias=True, exclude_none=True, mode="json")
            out.append(Source(inputs.project_file, 0, None, raw))
        return out

    return too_large(objects, sources, shown_paths(paths))


def cache_settings(request: RenderRequest) -> Settings | None:
    """What the cache keys on; None where it is not used (``--tenant``/``--platform``, stdin)."""
    from aimctl.incremental import Settings
    from aimctl.loader import is_stdin

    if (
        request.output_dir is None
        or request.tenant is not None
        or request.platform
        or any(is_stdin(p) for p in request.paths)
    ):
        return None
    options: dict[str, object] = {
        "namespace": request.namespace,
        "allowEmpty": request.allow_empty,
        "operator": request.operator,
        **cache_options(request.options),
    }
    return Settings(
        Path(os.path.abspath(request.output_dir)),  # -o . : the cwd is swapped out by the write
        request.paths,
        request.config,
        request.options.templates,
        options,
        partial=not request.options.include_intermediates,
    )


def _consult(
    request: RenderRequest, hooks: Hooks, settings: Settings | None
) -> Hit | Partial | None:
    if request.no_cache or settings is None:
        return None
    from aimctl.incremental import consult

    _refuse_outside(request)
    answer = consult(
        settings,
        lambda walked: _load(request, walked),
        lambda inputs: render_loaded(request, inputs, None, hooks)[:2],
    )
    if hooks.note is not None:
        what = {"Hit": "inputs and output unchanged", "Partial": "changed namespaces only"}
        hooks.note(f"cache: {what.get(type(answer).__name__, 'full render')}")
    return answer


def _remember_clean(
    request: RenderRequest,
    settings: Settings,
    inputs: Inputs,
    diagnostics: list[Diagnostic],
    count: int,
) -> None:
    """A full ``--check`` or ``diff`` found DIR up to date: record it, when DIR's marker is the
    one this render would write (else the record would not describe DIR)."""
    from aimctl.incremental import fingerprint_of, marker_of, remember
    from aimctl.render_cache import read_marker

    state = fingerprint_of(settings, inputs, not request.no_cache)
    if state is not None and read_marker(settings.output) == marker_of(state).encode("utf-8"):
        remember(settings, state, inputs, diagnostics, count, None)


def _check(request: RenderRequest, hooks: Hooks, settings: Settings | None) -> Checked:
    from aimctl.emit import Drift, build_files, compare_dir, read_files
    from aimctl.incremental import Hit, Partial

    output_dir = request.output_dir
    assert output_dir is not None
    answer = _consult(request, hooks, settings)
    if isinstance(answer, Hit):
        return Checked(Drift(), answer.warnings)
    if isinstance(answer, Partial):
        files = answer.files
        current = read_files(output_dir, sorted(files))
        drift = Drift(
            added=[rel for rel in files if rel not in current],
            changed=[rel for rel in files if rel in current and current[rel] != files[rel]],
            removed=[rel for rel in answer.removed if os.path.lexists(output_dir / rel)],
        )
        return Checked(drift, answer.warnings)
    objects, diagnostics, inputs = render_objects(request, hooks)
    files = build_files(objects)
    drift = compare_dir(files, output_dir)
    if settings is not None and drift.clean:
        _remember_clean(request, settings, inputs, diagnostics, len(files) - 1)
    return Checked(drift, diagnostics)


def _begin_stage(request: RenderRequest) -> Stage | None:
    """The staging tree forked workers write their files into, for a render that writes every
    object it renders (no ``--kinds``, ``--exclude-kinds``, ``--phase``, ``--tenant`` or
    ``--platform``); None otherwise, or when it cannot be made (``write_dir`` then reports why).
    """
    options = request.options
    if (
        options.kinds is not None
        or options.exclude_kinds
        or options.phase is not None
        or request.tenant is not None
        or request.platform
        or not options.yaml_output
        or options.jobs == 1
        or request.output_dir is None
    ):
        return None
    from aimctl.emit import begin_stage

    return begin_stage(request.output_dir)


def _write_partial(answer: Partial, settings: Settings) -> dict[str, Signature] | None:
    """Write a partial render: swap the one folder it changes when it changes one (the other
    files stay as they are), else the whole tree. Returns the signatures of DIR's files (None:
    look)."""
    from aimctl.emit import swap_folder, write_dir
    from aimctl.incremental import folder_signatures, marker_of, one_folder

    marker = marker_of(answer.state)
    folder = one_folder(settings, answer)
    if folder is not None:
        swapped: dict[str, Signature] = {}
        output = settings.output
        if swap_folder(output, folder.name, folder.written, folder.kept, marker, swapped):
            return folder_signatures(answer, folder, swapped)
    written: dict[str, Signature] = {}
    write_dir(answer.files, settings.output, marker, answer.reuse, written)
    return written or None


def _write(request: RenderRequest, hooks: Hooks, settings: Settings | None) -> Written:
    """``render -o``: from the record when it answers, else in full (and record it)."""
    from aimctl.emit import build_files, write_dir
    from aimctl.incremental import (
        Hit,
        Partial,
        fingerprint_of,
        marker_of,
        remember,
        remember_partial,
    )
    from aimctl.keepalive import keep

    output_dir = request.output_dir
    assert output_dir is not None
    answer = _consult(request, hooks, settings)
    if isinstance(answer, Hit):
        from aimctl.emit import clean_stale

        clean_stale(output_dir)
        return Written(answer.count, answer.warnings, unchanged=True)
    if isinstance(answer, Partial):
        assert settings is not None
        count = len(answer.files) - 1 + len(answer.reuse)
        remember_partial(settings, answer, answer.warnings, count, _write_partial(answer, settings))
        return Written(count, answer.warnings)
    stage = _begin_stage(request)
    try:
        objects, diagnostics, inputs = render_objects(request, hooks, stage=stage)
        files = build_files(objects)
        state = (
            fingerprint_of(settings, inputs, not request.no_cache) if settings is not None else None
        )
    except BaseException:
        if stage is not None:
            from aimctl.emit import discard_stage

            discard_stage(stage)
        raise
    signatures: dict[str, Signature] = {}  # of every file written or linked
    write_dir(files, output_dir, marker_of(state), signatures=signatures, stage=stage)
    keep(objects, files, inputs)
    if settings is not None and state is not None:
        remember(settings, state, inputs, diagnostics, len(files) - 1, signatures or None)
    return Written(len(files) - 1, diagnostics)
